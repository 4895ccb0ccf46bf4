import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CENTRAL_ACCOUNT, type RehearsalReport, runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import {
  type PlacedCloudFormation,
  startPlacedCloudFormation,
  writeSweepScenario,
} from "./sweep-scenario.ts";

/**
 * `npm run bench -- --only=sweep` (BENCHMARKS.md "No throttling"). Standalone:
 * `node --import tsx test/bench/sweep.ts [--quick]`. Counts, not times: every figure is a number of
 * requests the stand-ins served, so it is the same on any machine.
 *
 * One weekly sweep of 500 stacks in 50 member accounts × 2 regions (5 stacks a place, 20 security
 * groups each; `svc-1-prod` drifted in 5 accounts, both regions: 10 drifted stacks) through the
 * rehearsal: on-sweep's production runtime (`createSweepRuntime` over `createRuntime`), the member
 * accounts reached through STS AssumeRole, every request routed to its account and region. Then the
 * same with every CloudFormation call answered `Throttling` twice before it is served. `--quick`: 60
 * stacks in 6 accounts (the size test/rehearse/sweep-scale.test.ts asserts).
 */

const log = (text: string) => process.stderr.write(`${text}\n`);
const quick = process.argv.includes("--quick");
const SIZE = quick
  ? { accounts: 6, stacksPerPlace: 5, driftedAccounts: [1, 4] }
  : { accounts: 50, stacksPerPlace: 5, driftedAccounts: [3, 14, 27, 38, 49] };
const REGIONS = ["us-east-1", "eu-west-1"];

const byService = (calls: Readonly<Record<string, number>>) => {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(calls)) {
    const service = key.split(".")[0] ?? key;
    out[service] = (out[service] ?? 0) + n;
  }
  return out;
};
const only = (calls: Readonly<Record<string, number>>, prefix: string) =>
  Object.fromEntries(Object.entries(calls).filter(([k]) => k.startsWith(prefix)));
const total = (calls: Readonly<Record<string, number>>) => Object.values(calls).reduce((n, v) => n + v, 0);

async function run(dir: string, root: string, throttle: number) {
  const loaded = await loadScenario(dir, { base: {} });
  let cloudFormation: PlacedCloudFormation | undefined;
  if (throttle > 0) {
    const empty = path.join(root, "empty-account");
    await mkdir(empty, { recursive: true });
    cloudFormation = await startPlacedCloudFormation(loaded, {
      homeAccount: CENTRAL_ACCOUNT,
      emptyAccountDir: empty,
      throttle: { times: throttle },
    });
  }
  const lines: Record<string, unknown>[] = [];
  const started = performance.now();
  try {
    const report: RehearsalReport = await runRehearsal(loaded, {
      sweep: true,
      onLog: (line) => {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.message === "sweep finished" || parsed.message === "sweep found drift") lines.push(parsed);
      },
      ...(cloudFormation
        ? { env: { ...process.env, AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.router.url } }
        : {}),
    });
    const wallMs = Math.round(performance.now() - started);
    // With its own CloudFormation the requests are the places' stand-ins', Throttling answers included.
    const answered = cloudFormation ? cloudFormation.totals() : undefined;
    // The sweep's own calls (the rehearsal's setup and queue polling are not on-sweep's).
    const calls = { ...(report.callsByHandler["on-sweep"] ?? {}), ...(answered?.calls ?? {}) };
    const throttled = answered?.throttled ?? {};
    const served = Object.fromEntries(
      Object.entries(only(calls, "cloudformation.")).map(([k, n]) => [k, n - (throttled[k] ?? 0)]),
    );
    const finished = lines.filter((l) => l.message === "sweep finished");
    const count = (key: string) => finished.reduce((n, l) => n + ((l[key] as number) ?? 0), 0);
    return {
      places: finished.length,
      stacks: count("stacks"),
      clean: count("clean"),
      reacted: count("reacted"),
      failed: count("failed"),
      deferred: count("deferred"),
      drifted: lines
        .filter((l) => l.message === "sweep found drift")
        .map((l) => `${l.account}/${l.region}/${l.stack}`)
        .sort(),
      pullRequests: report.pullRequests.length,
      dlq: report.dlq,
      unexpected: [...report.unexpected, ...(cloudFormation?.unexpected() ?? [])],
      services: byService(calls),
      cloudFormationServed: served,
      cloudFormationThrottled: throttled,
      sts: only(calls, "sts."),
      eventBridge: only(calls, "eventbridge."),
      dynamodb: only(calls, "dynamodb."),
      throttledMetric: report.metrics
        .filter((m) => m.metric === "phantom.aws.throttled")
        .reduce((n, m) => n + m.value, 0),
      wallMs,
    };
  } finally {
    await cloudFormation?.close();
  }
}

async function main() {
  const root = await mkdtemp(path.join(os.tmpdir(), "phantom-bench-sweep-"));
  try {
    const g0 = performance.now();
    const scenario = await writeSweepScenario(root, {
      accounts: SIZE.accounts,
      regions: REGIONS,
      stacksPerPlace: SIZE.stacksPerPlace,
      resources: 20,
      driftedAccounts: SIZE.driftedAccounts,
    });
    const stacks = scenario.stacks.length;
    log(
      `sweep: generated ${stacks} stacks in ${SIZE.accounts} accounts × ${REGIONS.length} regions (${scenario.drifted.length} drifted) in ${Math.round(performance.now() - g0)} ms`,
    );
    log("sweep: calm");
    const calm = await run(scenario.dir, root, 0);
    log(`  ${calm.wallMs} ms wall`);
    log("sweep: every CloudFormation call throttled twice");
    const storm = await run(scenario.dir, root, 2);
    log(`  ${storm.wallMs} ms wall`);

    const cfnCalm = total(calm.cloudFormationServed);
    const cfnThrottled = total(storm.cloudFormationThrottled);
    const rows: [string, string][] = [
      [
        "stacks / accounts / places swept (central account included)",
        `${calm.stacks} / ${SIZE.accounts} / ${calm.places}`,
      ],
      [
        "outcomes: clean / reacted / failed / deferred",
        `${calm.clean} / ${calm.reacted} / ${calm.failed} / ${calm.deferred}`,
      ],
      ["CloudFormation calls", `${cfnCalm} = ${(cfnCalm / stacks).toFixed(3)} per stack`],
      ...Object.entries(calm.cloudFormationServed).map(([k, n]): [string, string] => [`  ${k}`, String(n)]),
      ["STS AssumeRole", String(calm.sts["sts.AssumeRole"] ?? 0)],
      ["EventBridge", JSON.stringify(calm.eventBridge)],
      ["DynamoDB", JSON.stringify(calm.dynamodb)],
      ["every service", JSON.stringify(calm.services)],
      ["pull requests / dead letters", `${calm.pullRequests} / ${calm.dlq.changes + calm.dlq.settle}`],
      ["throttled: outcomes clean / reacted / failed", `${storm.clean} / ${storm.reacted} / ${storm.failed}`],
      [
        "throttled: CloudFormation requests answered",
        `${cfnThrottled + total(storm.cloudFormationServed)} = ${total(storm.cloudFormationServed)} served + ${cfnThrottled} Throttling`,
      ],
      ["throttled: phantom.aws.throttled counted", String(storm.throttledMetric)],
      [
        "throttled: same drifted stacks, same PRs",
        String(
          JSON.stringify(storm.drifted) === JSON.stringify(calm.drifted) &&
            storm.pullRequests === calm.pullRequests,
        ),
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(
      `\nSweep of ${stacks} stacks in ${SIZE.accounts} accounts × ${REGIONS.length} regions, through the rehearsal\n\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n")}\n\n`,
    );
    const results = { size: SIZE, regions: REGIONS, stacks, drifted: scenario.drifted, calm, storm };
    const file = path.join(os.tmpdir(), `phantom-bench-sweep-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(results, null, 2));
    log(`full results: ${file}`);
    const problems = [
      ...[calm, storm].flatMap((r) => r.unexpected),
      ...[calm, storm].flatMap((r) =>
        r.dlq.changes + r.dlq.settle > 0 || r.failed > 0 || r.stacks !== stacks
          ? ["a stack failed or was lost"]
          : [],
      ),
      ...(storm.throttledMetric === cfnThrottled
        ? []
        : ["phantom.aws.throttled differs from the Throttling answers"]),
      ...(total(storm.cloudFormationServed) === cfnCalm
        ? []
        : ["throttled run served a different number of calls"]),
    ];
    if (problems.length > 0) throw new Error(`sweep bench: ${problems.join("; ")}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
