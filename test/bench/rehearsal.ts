import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { stringify } from "yaml";
import { candidates } from "../../core/change/decode.ts";
import { listCaptureFiles, readCaptureFile } from "../../functions/io/read-captures.ts";
import { type RehearsalReport, runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import { consoleRecord, uuid } from "./cloudtrail.ts";
import { groupId, prng } from "./windows.ts";

/**
 * `npm run bench` (rehearsal part, BENCHMARKS.md "Rehearsal (issue 10)"). Standalone:
 *
 *   node --import tsx test/bench/rehearsal.ts            5 runs per case
 *   node --import tsx test/bench/rehearsal.ts --quick    1 run per case: a sanity run
 *   BENCH_RUNS=9 node --import tsx test/bench/rehearsal.ts
 *
 * `runRehearsal` (what `phantom rehearse` runs: the deployed handlers, the real SDK/Octokit/Datadog
 * clients, local stand-ins on 127.0.0.1, a rehearsal clock) on two cases:
 *
 * 1. the 3 AM incident (`fixtures/scenarios/payments-3am-incident`);
 * 2. a generated scenario directory: a 300-security-group stack hit by a 40-event console burst of
 *    `AuthorizeSecurityGroupIngress` calls over 5 minutes on 6 of the groups (4 drifted, 2 in sync).
 *
 * Every run is its own child process (`--child=<case> <scenario dir>`), the cases alternating so a slow
 * spell on the machine hits both. A child rehearses twice: *cold* is the first rehearsal in the process
 * (modules imported but nothing run yet), *warm* the second. Reported per rehearsal:
 *
 * - `wallMs` as `runRehearsal` reports it: from entering it to its report, i.e. reading the scenario,
 *   starting the stand-ins (dynalite and the windows table, SQS, CloudFormation, Datadog, Bedrock,
 *   EventBridge, GitHub seeded with the templates), building the two runtimes, driving every message
 *   through the handlers, and assembling the report. Stand-in shutdown is not in it.
 * - `setupMs`: entering `runRehearsal` to the driver's first `SendMessage` to the Changes queue (seen by
 *   wrapping `SQSClient.prototype.send` in this process); `driveMs` = `wallMs - setupMs`, the handling
 *   itself (handlers, SDK clients, HTTP over loopback, and the in-process stand-ins answering).
 * - `analyseMs`, part of `driveMs`: the on-settle invocation that analysed the window, from the driver
 *   receiving its settle message to the handler's `window analysed` log line (claim, drift checks,
 *   context, analysis by the Bedrock stand-in, rectification, the pull request, metrics, the event).
 * - `teardownMs`: the report to `runRehearsal` returning (closing the stand-ins, removing scratch files).
 * - the rehearsal-clock figures: the `phantom.reaction.seconds` point the Datadog stand-in received
 *   (first console event ► pull request) and `rehearsalMs` (first event ► last message handled).
 * - the calls every stand-in served, split into the handlers' (`callsByHandler`) and the harness's
 *   (the rest: table creation, event delivery, the event source mapping's polling); the windows, drift
 *   checks and pull requests. A rehearsal with an unexpected request or a dead letter fails the bench.
 *
 * Tables go to stdout, progress to stderr, every run's figures to `$TMPDIR/phantom-bench-rehearsal-*.json`.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const THREE_AM = path.join(repoRoot, "fixtures/scenarios/payments-3am-incident");

const CASES = ["3am", "burst"] as const;
type CaseName = (typeof CASES)[number];
const CASE_TITLE: Record<CaseName, string> = {
  "3am": "3 AM incident (payments-3am-incident)",
  burst: "40-event console burst, 300-resource stack",
};

// --- the generated scenario ------------------------------------------------------------------------

const ACCOUNT = "111122223333";
const REGION = "us-east-1";
const STACK = "bench-prod";
const RESOURCES = 300;
const EVENTS = 40;
const T0 = Date.parse("2026-03-14T03:00:00Z");
const VPC = "vpc-0f9e8d7c6b5a43210";
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}/7c1e9a40-2f3b-11f0-8a1c-0a1b2c3d4e5f`;

/** The touched groups and what their recorded drift says. */
const TOUCHED: readonly { index: number; drift: "world-open" | "private" | "in-sync" }[] = [
  { index: 7, drift: "world-open" },
  { index: 42, drift: "private" },
  { index: 88, drift: "in-sync" },
  { index: 133, drift: "world-open" },
  { index: 199, drift: "private" },
  { index: 251, drift: "in-sync" },
];
const WORLD_PORTS = [22, 3389, 5432, 6379, 8080, 9200, 27017, 5601, 9090, 15672, 2375, 11211, 8443, 9000];

interface Rule {
  readonly CidrIp: string;
  readonly Description: string;
  readonly FromPort: number;
  readonly IpProtocol: string;
  readonly ToPort: number;
}

/** What the template declares on every group. */
const baseRule = (i: number): Rule => ({
  CidrIp: "10.0.0.0/16",
  Description: `HTTPS from the internal ALB (tier ${i % 10})`,
  FromPort: 443,
  IpProtocol: "tcp",
  ToPort: 443,
});

/** The k-th rule the engineer adds to a group of the given kind. */
function addedRule(kind: "world-open" | "private" | "in-sync", k: number): Rule {
  if (kind === "private") {
    return {
      CidrIp: `10.${60 + k}.0.0/16`,
      Description: `APAC support VPN range ${k + 1} (NET-88${k})`,
      FromPort: 5432,
      IpProtocol: "tcp",
      ToPort: 5432,
    };
  }
  const port = WORLD_PORTS[k % WORLD_PORTS.length] ?? 22;
  return {
    CidrIp: "0.0.0.0/0",
    Description: "temp debug INC-4711",
    FromPort: port,
    IpProtocol: "tcp",
    ToPort: port,
  };
}

/** One `AuthorizeSecurityGroupIngress` record as CloudTrail writes it for a console (SSO) session. */
function authorizeRecord(random: () => number, at: number, group: string, rule: Rule) {
  return consoleRecord(random, {
    at,
    account: ACCOUNT,
    region: REGION,
    eventSource: "ec2.amazonaws.com",
    eventName: "AuthorizeSecurityGroupIngress",
    requestParameters: {
      groupId: group,
      ipPermissions: {
        items: [
          {
            ipProtocol: rule.IpProtocol,
            fromPort: rule.FromPort,
            toPort: rule.ToPort,
            groups: {},
            ipRanges: { items: [{ cidrIp: rule.CidrIp, description: rule.Description }] },
            ipv6Ranges: {},
            prefixListIds: {},
          },
        ],
      },
    },
    response: () => ({
      securityGroupRuleSet: {
        items: [
          {
            groupOwnerId: ACCOUNT,
            groupId: group,
            securityGroupRuleId: `sgr-${uuid(random).replaceAll("-", "").slice(0, 17)}`,
            isEgress: false,
            ipProtocol: rule.IpProtocol,
            fromPort: rule.FromPort,
            toPort: rule.ToPort,
            cidrIpv4: rule.CidrIp,
            description: rule.Description,
          },
        ],
      },
    }),
  });
}

function template(): string {
  const lines = [
    'AWSTemplateFormatVersion: "2010-09-09"',
    "Description: >-",
    `  ${STACK}: ${RESOURCES} security groups of the bench service (generated by test/bench/rehearsal.ts).`,
    "",
    "Parameters:",
    "  VpcId:",
    "    Type: AWS::EC2::VPC::Id",
    "",
    "Resources:",
  ];
  for (let i = 0; i < RESOURCES; i++) {
    const rule = baseRule(i);
    lines.push(
      `  Group${i}:`,
      "    Type: AWS::EC2::SecurityGroup",
      "    Properties:",
      `      GroupDescription: ${STACK} group ${i}`,
      "      VpcId: !Ref VpcId",
      "      SecurityGroupIngress:",
      `        - IpProtocol: ${rule.IpProtocol}`,
      `          FromPort: ${rule.FromPort}`,
      `          ToPort: ${rule.ToPort}`,
      `          CidrIp: ${rule.CidrIp}`,
      `          Description: ${rule.Description}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function driftDocument(i: number, added: readonly Rule[], at: string) {
  const expected = {
    GroupDescription: `${STACK} group ${i}`,
    SecurityGroupIngress: [baseRule(i)],
    VpcId: VPC,
  };
  const actual = { ...expected, SecurityGroupIngress: [baseRule(i), ...added] };
  return {
    StackResourceDrift: {
      StackId: STACK_ID,
      LogicalResourceId: `Group${i}`,
      PhysicalResourceId: groupId(i),
      ResourceType: "AWS::EC2::SecurityGroup",
      ExpectedProperties: JSON.stringify(expected),
      ActualProperties: JSON.stringify(actual),
      PropertyDifferences: added.map((rule, k) => ({
        PropertyPath: `/SecurityGroupIngress/${k + 1}`,
        ExpectedValue: "null",
        ActualValue: JSON.stringify(rule),
        DifferenceType: "ADD",
      })),
      StackResourceDriftStatus: added.length > 0 ? "MODIFIED" : "IN_SYNC",
      Timestamp: at,
    },
  };
}

export interface BurstScenario {
  readonly dir: string;
  readonly events: number;
  readonly touched: readonly string[];
  readonly firstEventAt: string;
  readonly lastEventAt: string;
  readonly modified: number;
  readonly inSync: number;
  readonly rulesAdded: number;
}

/**
 * Writes the 300-resource scenario directory (DESIGN "Scenario directory") under `root`: a trail log
 * file of the 40 records, the stack's resources and tags, its template, and the drift recorded for the
 * touched groups. Deterministic (mulberry32, seed 40, as the windows benchmark's burst).
 */
export async function writeBurstScenario(root: string): Promise<BurstScenario> {
  const dir = path.join(root, "console-burst-300");
  const random = prng(40);
  const added = new Map<number, Rule[]>(TOUCHED.map((t) => [t.index, []]));
  const records = [];
  let first: number | undefined;
  let last = T0;
  for (let i = 0; i < EVENTS; i++) {
    const at = T0 + Math.round((i * 300_000) / EVENTS + random() * 5_000);
    const touched = TOUCHED[Math.floor(random() * TOUCHED.length)] ?? TOUCHED[0];
    if (touched === undefined) throw new Error("no touched groups");
    const rules = added.get(touched.index) ?? [];
    const rule = addedRule(touched.drift, rules.length);
    rules.push(rule);
    records.push(authorizeRecord(random, at, groupId(touched.index), rule));
    first ??= at;
    last = at;
  }
  const checkedAt = new Date(last + 150_000).toISOString();
  await mkdir(path.join(dir, "events"), { recursive: true });
  await mkdir(path.join(dir, "account/stacks"), { recursive: true });
  await mkdir(path.join(dir, "account/templates"), { recursive: true });
  await mkdir(path.join(dir, "account/drift", STACK), { recursive: true });
  await writeFile(
    path.join(dir, "scenario.yaml"),
    stringify({
      description: `Generated: ${EVENTS} console AuthorizeSecurityGroupIngress calls over 5 minutes on ${TOUCHED.length} of the ${RESOURCES} security groups of ${STACK}.`,
      config: { windows: { quietPeriod: "120s", maxWait: "15m" } },
    }),
  );
  // As CloudTrail delivers to S3: one log file, `{"Records": [...]}`.
  await writeFile(
    path.join(dir, "events", `${ACCOUNT}_CloudTrail_${REGION}_20260314T0305Z_bench.json`),
    JSON.stringify({ Records: records }),
  );
  const stackResources = Array.from({ length: RESOURCES }, (_, i) => ({
    StackName: STACK,
    StackId: STACK_ID,
    LogicalResourceId: `Group${i}`,
    PhysicalResourceId: groupId(i),
    ResourceType: "AWS::EC2::SecurityGroup",
    Timestamp: "2026-02-02T14:21:09.512Z",
    ResourceStatus: "CREATE_COMPLETE",
    DriftInformation: { StackResourceDriftStatus: "IN_SYNC", LastCheckTimestamp: "2026-03-08T04:00:12.000Z" },
  }));
  await writeFile(
    path.join(dir, "account/stacks", `${STACK}.json`),
    JSON.stringify(
      {
        StackResources: stackResources,
        Tags: [
          { Key: "env", Value: "production" },
          { Key: "phantom:repo", Value: "acme/bench-infra" },
          { Key: "phantom:path", Value: `stacks/${STACK}.yaml` },
        ],
      },
      null,
      2,
    ),
  );
  await writeFile(path.join(dir, "account/templates", `${STACK}.yaml`), template());
  for (const t of TOUCHED) {
    const rules = t.drift === "in-sync" ? [] : (added.get(t.index) ?? []);
    await writeFile(
      path.join(dir, "account/drift", STACK, `Group${t.index}.json`),
      JSON.stringify(driftDocument(t.index, rules, checkedAt), null, 2),
    );
  }
  const hit = TOUCHED.filter((t) => (added.get(t.index) ?? []).length > 0);
  return {
    dir,
    events: EVENTS,
    touched: hit.map((t) => `Group${t.index}`),
    firstEventAt: new Date(first ?? T0).toISOString().replace(/\.\d{3}Z$/, "Z"),
    lastEventAt: new Date(last).toISOString().replace(/\.\d{3}Z$/, "Z"),
    modified: hit.filter((t) => t.drift !== "in-sync").length,
    inSync: hit.filter((t) => t.drift === "in-sync").length,
    rulesAdded: hit
      .filter((t) => t.drift !== "in-sync")
      .reduce((n, t) => n + (added.get(t.index) ?? []).length, 0),
  };
}

// --- one rehearsal, measured -----------------------------------------------------------------------

interface Figures {
  readonly wallMs: number;
  readonly setupMs: number;
  readonly driveMs: number;
  readonly teardownMs: number;
  /** Of driveMs: the on-settle invocations that analysed a window (receipt ► `window analysed`), summed. */
  readonly analyseMs: number;
  readonly rehearsalMs: number;
  readonly reactionSeconds: readonly number[];
  readonly records: number;
  readonly filtered: number;
  readonly eventsReceived: number;
  readonly windowsOpened: number;
  readonly windows: readonly { stack: string; events: number; touched: number; settledBy: string }[];
  readonly pullRequests: readonly { repo: string; title: string; commits: number; files: number }[];
  readonly calls: Readonly<Record<string, number>>;
  readonly callsByHandler: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** SendMessage to Changes (the driver, as EventBridge) and to Settle (the handlers' timers). */
  readonly deliveries: number;
  readonly settleTimers: number;
}

const sum = (report: RehearsalReport, metric: string) =>
  report.metrics.filter((m) => m.metric === metric).reduce((n, m) => n + m.value, 0);

/**
 * The SQS calls of this process, seen by wrapping `SQSClient.prototype.send` (patched once per process):
 * the driver's deliveries to Changes (the first one ends set-up), the handlers' settle timers on Settle,
 * and when the driver received settle messages (the on-settle invocation starts right after).
 */
const sends = {
  firstChanges: undefined as number | undefined,
  changes: 0,
  settle: 0,
  settleReceived: [] as number[],
};
function watchSends(): void {
  const proto = SQSClient.prototype as unknown as { send: (...args: unknown[]) => Promise<unknown> };
  const original = proto.send;
  proto.send = function (this: unknown, ...args: unknown[]) {
    const command = args[0];
    if (command instanceof SendMessageCommand) {
      if (command.input.QueueUrl?.endsWith("/Changes")) {
        sends.firstChanges ??= performance.now();
        sends.changes += 1;
      } else if (command.input.QueueUrl?.endsWith("/Settle")) sends.settle += 1;
    }
    const result = original.apply(this, args);
    if (command instanceof ReceiveMessageCommand && command.input.QueueUrl?.endsWith("/Settle")) {
      // Attached before the driver's own `await`, so this runs first.
      void result.then(
        (out) => {
          if (((out as { Messages?: unknown[] }).Messages ?? []).length > 0)
            sends.settleReceived.push(performance.now());
        },
        () => {},
      );
    }
    return result;
  };
}

async function countRecords(eventsPaths: readonly string[]): Promise<number> {
  let n = 0;
  for (const file of await listCaptureFiles(eventsPaths)) {
    for await (const item of readCaptureFile(file)) {
      if (item.kind !== "error") n += [...candidates(item.value)].length;
    }
  }
  return n;
}

async function rehearseOnce(dir: string): Promise<Figures> {
  const scenario = await loadScenario(dir, { base: {} });
  const records = await countRecords(scenario.eventsPaths);
  (globalThis as { gc?: () => void }).gc?.();
  Object.assign(sends, { firstChanges: undefined, changes: 0, settle: 0, settleReceived: [] });
  const analysed: number[] = [];
  const entered = performance.now();
  const report = await runRehearsal(scenario, {
    onLog: (line) => {
      if (line.includes('"message":"window analysed"')) analysed.push(performance.now());
    },
  });
  const returned = performance.now();
  if (report.unexpected.length > 0) throw new Error(`unexpected requests: ${report.unexpected.join("; ")}`);
  if (report.dlq.changes + report.dlq.settle > 0)
    throw new Error(`messages in a DLQ: ${JSON.stringify(report.dlq)}`);
  if (sends.firstChanges === undefined) throw new Error("never saw the driver's first SendMessage");
  if (sends.changes + sends.settle !== report.calls["sqs.SendMessage"])
    throw new Error(
      `SendMessage: saw ${sends.changes} + ${sends.settle}, the stand-in ${report.calls["sqs.SendMessage"]}`,
    );
  const setupMs = sends.firstChanges - entered;
  if (analysed.length !== report.windows.length)
    throw new Error(`saw ${analysed.length} "window analysed" lines for ${report.windows.length} windows`);
  const analyseMs = analysed.reduce((total, at) => {
    const received = sends.settleReceived.filter((r) => r <= at).at(-1);
    if (received === undefined) throw new Error("a window was analysed before any settle message");
    return total + (at - received);
  }, 0);
  return {
    wallMs: report.wallMs,
    setupMs,
    driveMs: report.wallMs - setupMs,
    teardownMs: returned - entered - report.wallMs,
    analyseMs,
    rehearsalMs: report.rehearsalMs,
    reactionSeconds: report.metrics
      .filter((m) => m.metric === "phantom.reaction.seconds")
      .map((m) => m.value),
    records,
    filtered: report.filtered,
    eventsReceived: sum(report, "phantom.events.received"),
    windowsOpened: sum(report, "phantom.windows.opened"),
    windows: report.windows.map((w) => ({
      stack: w.stack,
      events: w.events,
      touched: w.touched.length,
      settledBy: w.settledBy,
    })),
    pullRequests: report.pullRequests.map((pr) => ({
      repo: pr.repo,
      title: pr.title,
      commits: pr.commits,
      files: Object.keys(pr.files).length,
    })),
    calls: report.calls,
    callsByHandler: report.callsByHandler,
    deliveries: sends.changes,
    settleTimers: sends.settle,
  };
}

interface ChildOutput {
  readonly case: CaseName;
  readonly node: string;
  readonly cold: Figures;
  readonly warm: Figures;
}

async function child(name: CaseName, dir: string): Promise<void> {
  watchSends();
  const cold = await rehearseOnce(dir);
  const warm = await rehearseOnce(dir);
  const out: ChildOutput = { case: name, node: process.version, cold, warm };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(name: CaseName, dir: string): Promise<ChildOutput & { loadBefore: number }> {
  const loadBefore = os.loadavg()[0] ?? 0;
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), `--child=${name}`, dir],
      {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    proc.on("error", reject);
    proc.on("close", (code) => {
      if (code !== 0) return reject(new Error(`rehearsal child (${name}) exited with ${code}`));
      try {
        resolve({ ...(JSON.parse(out.trim().split("\n").pop() ?? "") as ChildOutput), loadBefore });
      } catch {
        reject(new Error(`rehearsal child (${name}) printed no result: ${out.slice(0, 500)}`));
      }
    });
  });
}

// --- the report ------------------------------------------------------------------------------------

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (values: readonly number[]) =>
  `${int(median(values))} (${int(Math.min(...values))}–${int(Math.max(...values))})`;

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [
    pad(header, widths),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map((r) => pad(r, widths)),
  ].join("\n");
}

const HANDLERS = ["on-change", "on-settle"] as const;

/**
 * Calls per key, split by who made them: the handlers (the report's `callsByHandler`, booked while each
 * invocation ran) and the harness, the rest: creating the windows table, delivering events to Changes
 * (EventBridge's part), polling and deleting messages (the Lambda event source mapping's).
 */
function split(f: Figures, keyOf: (op: string) => string): string[][] {
  const rows = new Map<string, number[]>();
  for (const [op, n] of Object.entries(f.calls)) {
    const key = keyOf(op);
    const row = rows.get(key) ?? [0, 0, ...HANDLERS.map(() => 0)];
    const handled = HANDLERS.map((h) => f.callsByHandler[h]?.[op] ?? 0);
    row[0] = (row[0] ?? 0) + n;
    row[1] = (row[1] ?? 0) + n - handled.reduce((a, b) => a + b, 0);
    handled.forEach((m, i) => {
      row[i + 2] = (row[i + 2] ?? 0) + m;
    });
    rows.set(key, row);
  }
  const total = [...rows.values()].reduce((t, r) => t.map((v, i) => v + (r[i] ?? 0)));
  return [...[...rows].map(([key, r]) => [key, ...r.map(String)]), ["total", ...(total ?? []).map(String)]];
}

const sameCalls = (runs: readonly Figures[]) =>
  runs.every(
    (r) =>
      JSON.stringify([r.calls, r.callsByHandler]) ===
      JSON.stringify([runs[0]?.calls, runs[0]?.callsByHandler]),
  );

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const raw = process.env.BENCH_RUNS;
  const runs = raw ? Number(raw) : quick ? 1 : 5;
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`BENCH_RUNS must be a positive integer, got ${raw}`);
  const started = new Date();
  const work = await mkdtemp(path.join(os.tmpdir(), "phantom-bench-rehearsal-"));
  const log = (text: string) => process.stderr.write(`${text}\n`);
  try {
    const burst = await writeBurstScenario(work);
    log(
      `rehearsal bench: ${runs} run(s) per case, each in its own process; node ${process.version}, ${os.cpus().length} cpu(s) ${os.cpus()[0]?.model ?? "?"}`,
    );
    log(
      `generated ${burst.dir}: ${burst.events} events ${burst.firstEventAt} ► ${burst.lastEventAt} on ${burst.touched.length} of ${RESOURCES} groups (${burst.modified} drifted, ${burst.rulesAdded} rules added; ${burst.inSync} in sync)`,
    );
    const dirs: Record<CaseName, string> = { "3am": THREE_AM, burst: burst.dir };
    const results: Record<CaseName, (ChildOutput & { loadBefore: number })[]> = { "3am": [], burst: [] };
    for (let r = 1; r <= runs; r++) {
      for (const name of CASES) {
        const result = await runChild(name, dirs[name]);
        results[name].push(result);
        log(
          `  ${name.padEnd(5)} run ${r}/${runs}: wall cold ${int(result.cold.wallMs)} ms (setup ${int(result.cold.setupMs)}, drive ${int(result.cold.driveMs)}, analyse ${int(result.cold.analyseMs)}), warm ${int(result.warm.wallMs)} ms (setup ${int(result.warm.setupMs)}, drive ${int(result.warm.driveMs)}, analyse ${int(result.warm.analyseMs)}); load before ${result.loadBefore.toFixed(2)}`,
        );
      }
    }

    const sections: string[] = ["## Rehearsal", ""];
    const node = results["3am"][0]?.node ?? process.version;
    const loads = CASES.flatMap((c) => results[c].map((r) => r.loadBefore));
    sections.push(
      `node ${node}, ${os.cpus().length} cpu(s); ${runs} child process(es) per case; cold = first rehearsal in a process, warm = the second; median (min–max)`,
      `1-minute load average before each child: ${Math.min(...loads).toFixed(2)} to ${Math.max(...loads).toFixed(2)}`,
      "",
    );
    const timing: string[][] = [];
    for (const name of CASES) {
      const all = results[name];
      for (const kind of ["cold", "warm"] as const) {
        const f = all.map((r) => r[kind]);
        timing.push([
          `${name} ${kind}`,
          ms(f.map((x) => x.wallMs)),
          ms(f.map((x) => x.setupMs)),
          ms(f.map((x) => x.driveMs)),
          ms(f.map((x) => x.analyseMs)),
          ms(f.map((x) => x.teardownMs)),
          [...new Set(f.flatMap((x) => x.reactionSeconds))].join("/") || "—",
          [...new Set(f.map((x) => x.rehearsalMs / 1000))].join("/"),
        ]);
      }
    }
    sections.push(
      table(
        [
          "case",
          "wallMs",
          "setup",
          "drive",
          "of which analyse",
          "teardown",
          "reaction.seconds",
          "rehearsalMs/1000",
        ],
        timing,
      ),
      "",
    );
    for (const name of CASES) {
      const figures = results[name].flatMap((r) => [r.cold, r.warm]);
      const first = figures[0];
      if (first === undefined) continue;
      sections.push(
        `### ${CASE_TITLE[name]}`,
        `records ${first.records}, delivered by the rule patterns ${first.records - first.filtered} (filtered ${first.filtered}), phantom.events.received ${first.eventsReceived}`,
        `windows opened ${first.windowsOpened}, analysed ${first.windows.length}: ${first.windows.map((w) => `${w.stack} (${w.events} events, ${w.touched} touched, settled by ${w.settledBy})`).join("; ")}`,
        `drift checks (cloudformation.DetectStackResourceDrift) ${first.calls["cloudformation.DetectStackResourceDrift"] ?? 0} for ${first.records - first.filtered} delivered events; settle timers sent ${first.settleTimers}`,
        `pull requests ${first.pullRequests.length}: ${first.pullRequests.map((pr) => `${pr.repo} "${pr.title}" (${pr.commits} commit, ${pr.files} files)`).join("; ")}`,
        `calls identical in all ${figures.length} rehearsals: ${sameCalls(figures) ? "yes" : "NO"}`,
        "",
        table(
          ["service", "calls", "harness", ...HANDLERS],
          split(first, (op) => op.split(".")[0] ?? op),
        ),
        "",
        table(
          ["operation", "calls", "harness", ...HANDLERS],
          split(first, (op) => op),
        ),
        "",
      );
    }
    process.stdout.write(`${sections.join("\n")}\n`);
    const out = path.join(
      os.tmpdir(),
      `phantom-bench-rehearsal-${started.toISOString().replaceAll(":", "-")}.json`,
    );
    await writeFile(
      out,
      `${JSON.stringify(
        {
          benchmark: "rehearsal",
          started: started.toISOString(),
          finished: new Date().toISOString(),
          machine: { node, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null },
          runs,
          burst: { ...burst, dir: undefined },
          results,
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`Results written to ${out}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const childArg = process.argv.find((a) => a.startsWith("--child="));
  if (childArg) {
    const name = childArg.slice("--child=".length) as CaseName;
    const dir = process.argv[process.argv.indexOf(childArg) + 1];
    if (!CASES.includes(name) || dir === undefined)
      throw new Error(`usage: --child=<${CASES.join("|")}> <dir>`);
    await child(name, dir);
  } else {
    await main();
  }
}
