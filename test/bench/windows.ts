import type { SQSEvent } from "aws-lambda";
import { createRulesAnalyst } from "../../core/analysis/rules.ts";
import type { ResourceRef } from "../../core/catalog/types.ts";
import { judge } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import type { Clock } from "../../core/clock.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import type { DriftDetector, StackDirectory, StackResource } from "../../core/drift/ports.ts";
import { type ReactPorts, react } from "../../core/reactor/react.ts";
import { settle } from "../../core/reactor/settle.ts";
import { touch } from "../../core/reactor/touch.ts";
import type { WindowReport } from "../../core/report/analysis.ts";
import { NO_SIGNALS } from "../../core/signals/types.ts";
import { createMemoryWindowStore } from "../../core/window/memory-store.ts";
import { DEFAULT_WINDOW_POLICY } from "../../core/window/types.ts";
import { processChanges } from "../../functions/on-change.ts";
import { SequentialIds, VirtualClock, VirtualTimer } from "../../functions/replay/virtual-time.ts";
import type { Runtime } from "../../functions/runtime.ts";

/**
 * `npm run bench` (windows part, BENCHMARKS.md "Windows"): what debouncing saves on a generated
 * 300-resource stack hit by a 40-event burst touching 4 resources, how long after its last event a
 * burst settles (virtual time), and the on-change path's throughput over 100,000 SQS records.
 */

const STACK = "bench-prod";
const RESOURCES = 300;
const T0 = Date.parse("2026-03-14T03:00:00Z");

/** A deterministic PRNG (mulberry32), so every run generates the same burst. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const groupId = (i: number) => `sg-${i.toString(16).padStart(17, "0")}`;

/** 300 security groups owned by one stack, looked up like DescribeStackResources would answer. */
function stackDirectory(): StackDirectory {
  const owned = new Map<string, StackResource>();
  for (let i = 0; i < RESOURCES; i++) {
    owned.set(groupId(i), {
      stack: STACK,
      logicalId: `Group${i}`,
      physicalId: groupId(i),
      type: "AWS::EC2::SecurityGroup",
    });
  }
  return { lookup: async (ref: ResourceRef) => owned.get(ref.id) };
}

function sgEvent(eventID: string, at: number, group: string, readOnly = false) {
  return {
    version: "0",
    id: `env-${eventID}`,
    "detail-type": "AWS API Call via CloudTrail",
    source: "aws.ec2",
    account: "111122223333",
    time: new Date(at).toISOString(),
    region: "us-east-1",
    resources: [],
    detail: {
      eventVersion: "1.09",
      eventID,
      eventTime: new Date(at).toISOString(),
      eventSource: "ec2.amazonaws.com",
      eventName: readOnly ? "DescribeSecurityGroups" : "AuthorizeSecurityGroupIngress",
      readOnly,
      eventType: "AwsApiCall",
      awsRegion: "us-east-1",
      recipientAccountId: "111122223333",
      sourceIPAddress: "203.0.113.42",
      userAgent: "console.ec2.amazonaws.com",
      sessionCredentialFromConsole: "true",
      userIdentity: {
        type: "AssumedRole",
        arn: "arn:aws:sts::111122223333:assumed-role/Admin/sam@example.com",
        principalId: "AROAEXAMPLE:sam@example.com",
      },
      requestParameters: {
        groupId: group,
        ipPermissions: { items: [{ ipProtocol: "tcp", fromPort: 22, toPort: 22 }] },
      },
    },
  };
}

/** The burst: 40 change events over 5 minutes, each on one of 4 groups. */
async function burst() {
  const random = prng(40);
  const touchedGroups = [7, 42, 133, 251].map(groupId);
  const context = catalogContext(DEFAULT_CONFIG);
  const clock = new VirtualClock(T0);
  const timer = new VirtualTimer();
  const windows = createMemoryWindowStore();
  const policy = DEFAULT_WINDOW_POLICY;
  let driftCalls = 0;
  const drift: DriftDetector = {
    detect: async (_stack, ids) => {
      driftCalls += ids.length;
      return {
        resources: ids.map((logicalId) => ({ logicalId, status: "IN_SYNC", differences: [] })),
        calls: ids.length,
      };
    },
  };
  const reports: WindowReport[] = [];
  const reaction = benchReactPorts(drift, clock, reports);
  const ports = { directory: stackDirectory(), windows, timer, clock, ids: new SequentialIds(), policy };
  let opened = 0;
  let lastEventAt = T0;
  const fire = async (limit: number) => {
    for (let next = timer.peek(); next !== undefined && next <= limit; next = timer.peek()) {
      const due = timer.take();
      if (due === undefined) break;
      clock.advance(due.at);
      await settle(due.message, {
        windows,
        timer,
        clock,
        policy,
        owner: "bench",
        react: (w, s) => react(w, s, reaction),
      });
    }
  };
  for (let i = 0; i < 40; i++) {
    const at = T0 + Math.round((i * 300_000) / 40 + random() * 5_000);
    const group = touchedGroups[Math.floor(random() * touchedGroups.length)] ?? groupId(7);
    const judgement = judge(sgEvent(`burst-${i}`, at, group).detail, context);
    if (judgement.verdict !== "change") throw new Error("bench event is not a change");
    await fire(at);
    clock.advance(at);
    const outcome = await touch(judgement, ports);
    opened += outcome.stacks.filter((s) => s.opened).length;
    lastEventAt = at;
  }
  await fire(Number.POSITIVE_INFINITY);
  const report = reports[0];
  if (report === undefined) throw new Error("the burst never settled");
  return {
    events: 40,
    stackResources: RESOURCES,
    windowsOpened: opened,
    analyses: reports.length,
    driftCalls,
    touched: report.window.touched.length,
    settleDelaySeconds: (Date.parse(report.window.settledAt) - lastEventAt) / 1000,
  };
}

/** React's ports for the benchmarks: the given drift, no template or signals, reports kept from the event. */
function benchReactPorts(drift: DriftDetector, clock: Clock, reports: WindowReport[]): ReactPorts {
  const rules = createRulesAnalyst(clock);
  return {
    drift,
    tags: { tagsOf: async () => ({}) },
    templates: {},
    signals: { around: async () => NO_SIGNALS },
    analyst: rules,
    fallback: rules,
    metrics: { emit: async () => {} },
    events: { driftAnalyzed: async (event) => void reports.push(event.report) },
    config: DEFAULT_CONFIG,
    clock,
  };
}

/** The on-change handler over `records` SQS messages (1 % catalogued changes), in batches of 10. */
async function onChangeThroughput(records: number): Promise<number> {
  const random = prng(7);
  const bodies: string[] = [];
  for (let i = 0; i < records; i++) {
    const change = random() < 0.01;
    const at = T0 + i * 50;
    bodies.push(JSON.stringify(sgEvent(`evt-${i}`, at, groupId(Math.floor(random() * RESOURCES)), !change)));
  }
  const clock = new VirtualClock(T0);
  const runtime: Runtime = {
    config: DEFAULT_CONFIG,
    policy: DEFAULT_WINDOW_POLICY,
    directory: stackDirectory(),
    windows: createMemoryWindowStore(),
    timer: { arm: async () => {} },
    clock,
    ids: new SequentialIds(),
    log: { log: () => {} },
    metrics: { emit: async () => {} },
    reaction: benchReactPorts({ detect: async () => ({ resources: [], calls: 0 }) }, clock, []),
  };
  const started = performance.now();
  for (let i = 0; i < bodies.length; i += 10) {
    const event: SQSEvent = {
      Records: bodies.slice(i, i + 10).map((body, j) => ({
        messageId: `m-${i + j}`,
        receiptHandle: "r",
        body,
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: "0",
          SenderId: "events.amazonaws.com",
          ApproximateFirstReceiveTimestamp: "0",
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:111122223333:changes",
        awsRegion: "us-east-1",
      })),
    };
    clock.advance(T0 + i * 50);
    const result = await processChanges(event, runtime);
    if (result.batchItemFailures.length > 0) throw new Error("bench batch failed");
  }
  return records / ((performance.now() - started) / 1000);
}

/** Runs the windows benchmark and returns printable rows plus raw figures. */
export async function benchWindows(options: { records: number; runs: number }) {
  const debounce = await burst();
  const rates: number[] = [];
  for (let run = 0; run < options.runs; run++) rates.push(await onChangeThroughput(options.records));
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)] ?? 0;
  return {
    debounce,
    onChange: { records: options.records, runs: options.runs, medianPerSecond: median, rates },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes("--quick");
  const result = await benchWindows({ records: quick ? 10_000 : 100_000, runs: quick ? 1 : 3 });
  const d = result.debounce;
  process.stdout.write(
    [
      "## Windows",
      `burst: ${d.events} change events over 5 min on ${d.touched} of ${d.stackResources} stack resources`,
      `windows opened            ${d.windowsOpened}`,
      `analyses triggered        ${d.analyses}   (one per event: ${d.events}; ${d.events / d.analyses}x fewer)`,
      `drift calls               ${d.driftCalls}   (whole-stack check: ${d.stackResources}; ${(d.stackResources / d.driftCalls).toFixed(0)}x fewer)`,
      `last event ► settle       ${d.settleDelaySeconds} s virtual (quiet period ${DEFAULT_WINDOW_POLICY.quietMs / 1000} s)`,
      `on-change throughput      ${Math.round(result.onChange.medianPerSecond).toLocaleString("en-US")} records/s ` +
        `(median of ${result.onChange.runs} over ${result.onChange.records.toLocaleString("en-US")} records; ` +
        `runs ${result.onChange.rates.map((r) => Math.round(r).toLocaleString("en-US")).join(", ")})`,
      "",
    ].join("\n"),
  );
}
