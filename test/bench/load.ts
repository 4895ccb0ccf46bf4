import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import { MAX_LAG_MS, writeLoadScenario } from "./load-scenario.ts";
import { prng } from "./windows.ts";

/**
 * `npm run bench -- --only=load` (BENCHMARKS.md "Load"). Standalone: `node --import tsx test/bench/load.ts
 * [--quick]`. 10,000 console changes over 500 stacks in 10 minutes of rehearsal time (`--quick`: 1,000
 * over 50), delivered at least once and out of order, through `runRehearsal`: the deployed on-change and
 * on-settle handlers, the real SDK clients, dynalite for the windows table, the stand-ins on 127.0.0.1.
 *
 * - Delivery: every copy of a change arrives up to 60 s after its `eventTime`; 10 % of the changes
 *   arrive a second time, up to 10 minutes after the first copy (an SQS redelivery). Seeded.
 * - Correctness, counted: changes taken (`event added to window`) against the distinct changes
 *   generated, copies recognised (`event already in a window`), events per settled window against each
 *   burst of each stack, windows opened, dead letters. The bench fails when any of them is off.
 * - Latency: the wall time of every on-change invocation (a batch of up to 10 messages, as Lambda's
 *   event source mapping hands them), and per message its invocation's time divided by its batch size;
 *   median and p99 (nearest rank). Wall time, not rehearsal time: the handlers run as fast as this
 *   machine lets them, with dynalite and the other stand-ins in the same process.
 */

const log = (text: string) => process.stderr.write(`${text}\n`);
const quick = process.argv.includes("--quick");
const SCALE = quick ? { stacks: 50, events: 1_000 } : { stacks: 500, events: 10_000 };
const SEED = 15;

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;

async function main() {
  const root = await mkdtemp(path.join(os.tmpdir(), "phantom-bench-load-"));
  try {
    const scenario = await writeLoadScenario(root, {
      ...SCALE,
      spanMs: 600_000,
      groups: 2,
      driftEvery: 25,
      seed: SEED,
    });
    log(
      `load: ${scenario.events} changes, ${scenario.stacks.length} stacks, ${scenario.bursts.length} bursts over 10 minutes; node ${process.version}, ${os.cpus().length} cpu(s)`,
    );
    const lines: { message: string; eventID?: string }[] = [];
    const invocations: { handler: string; messages: number; ms: number }[] = [];
    const loadBefore = os.loadavg();
    const started = performance.now();
    const report = await runRehearsal(await loadScenario(scenario.dir, { base: {} }), {
      disorder: { lagMs: MAX_LAG_MS, duplicates: 0.1, duplicateLagMs: 600_000, random: prng(1_000 + SEED) },
      onLog: (line) => {
        if (line.includes('"message":"event')) lines.push(JSON.parse(line) as (typeof lines)[number]);
      },
      onInvocation: (invocation) => invocations.push(invocation),
    });
    const wallMs = performance.now() - started;
    const loadAfter = os.loadavg();

    const sum = (metric: string) =>
      report.metrics.filter((m) => m.metric === metric).reduce((n, m) => n + m.value, 0);
    const received = sum("phantom.events.received");
    const added = lines.filter((l) => l.message === "event added to window");
    const again = lines.filter((l) => l.message === "event already in a window");
    const distinctAdded = new Set(added.map((l) => l.eventID)).size;
    const latest = new Map<string, number>();
    let overtaken = 0;
    for (const line of added) {
      const change = scenario.changes.get(line.eventID ?? "");
      if (change === undefined) continue;
      if (change.at < (latest.get(change.stack) ?? 0)) overtaken += 1;
      latest.set(change.stack, Math.max(change.at, latest.get(change.stack) ?? 0));
    }
    const settled = report.windows.filter((w) => w.settledBy !== "review");
    const inWindows = settled.reduce((n, w) => n + w.events, 0);
    let burstMismatches = 0;
    for (const stack of scenario.stacks) {
      const windows = settled
        .filter((w) => w.stack === stack)
        .map((w) => w.events)
        .sort((a, b) => a - b);
      const bursts = scenario.bursts
        .filter((b) => b.stack === stack)
        .map((b) => b.events)
        .sort((a, b) => a - b);
      if (JSON.stringify(windows) !== JSON.stringify(bursts)) burstMismatches += 1;
    }
    const onChange = invocations.filter((i) => i.handler === "on-change");
    const onSettle = invocations.filter((i) => i.handler === "on-settle");
    const perMessage = onChange.flatMap((i) => Array.from({ length: i.messages }, () => i.ms / i.messages));
    const dynamoCalls = Object.entries(report.calls)
      .filter(([k]) => k.startsWith("dynamodb."))
      .reduce((n, [, v]) => n + v, 0);
    const onChangeDynamo = Object.entries(report.callsByHandler["on-change"] ?? {})
      .filter(([k]) => k.startsWith("dynamodb."))
      .reduce((n, [, v]) => n + v, 0);

    const results = {
      scale: SCALE,
      seed: SEED,
      machine: {
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? null,
        loadBefore,
        loadAfter,
      },
      delivered: {
        changes: scenario.events,
        messages: received,
        duplicates: received - scenario.events,
        overtaken,
      },
      correctness: {
        taken: added.length,
        distinctTaken: distinctAdded,
        recognisedCopies: again.length,
        lost: scenario.events - inWindows,
        bursts: scenario.bursts.length,
        windowsSettled: settled.length,
        windowsOpened: sum("phantom.windows.opened"),
        stacksWhoseWindowsDifferFromBursts: burstMismatches,
        settledBy: Object.fromEntries(
          [...new Set(settled.map((w) => w.settledBy))].map((s) => [
            s,
            settled.filter((w) => w.settledBy === s).length,
          ]),
        ),
        pullRequests: report.pullRequests.length,
        dlq: report.dlq,
        unexpected: report.unexpected.length,
      },
      onChange: {
        invocations: onChange.length,
        messagesPerInvocation: received / onChange.length,
        invocationMedianMs: percentile(
          onChange.map((i) => i.ms),
          50,
        ),
        invocationP99Ms: percentile(
          onChange.map((i) => i.ms),
          99,
        ),
        invocationMaxMs: Math.max(...onChange.map((i) => i.ms)),
        perMessageMedianMs: percentile(perMessage, 50),
        perMessageP99Ms: percentile(perMessage, 99),
        dynamodbCallsPerMessage: onChangeDynamo / received,
      },
      onSettle: {
        invocations: onSettle.length,
        invocationMedianMs: percentile(
          onSettle.map((i) => i.ms),
          50,
        ),
        invocationP99Ms: percentile(
          onSettle.map((i) => i.ms),
          99,
        ),
      },
      dynamodbCalls: dynamoCalls,
      rehearsalMinutes: report.rehearsalMs / 60_000,
      wallSeconds: wallMs / 1000,
    };
    process.stdout.write(
      [
        "",
        `Load: ${scenario.events.toLocaleString("en-US")} changes over ${scenario.stacks.length} stacks in 10 rehearsal minutes, ${results.delivered.duplicates} delivered twice (${((100 * results.delivered.duplicates) / scenario.events).toFixed(1)} %), ${overtaken} taken after a later change of their stack`,
        `taken ${added.length} (distinct ${distinctAdded}), copies recognised ${again.length}, lost ${results.correctness.lost}`,
        `bursts ${scenario.bursts.length}, windows opened ${results.correctness.windowsOpened}, settled ${settled.length} (${JSON.stringify(results.correctness.settledBy)}), stacks whose windows differ from their bursts ${burstMismatches}`,
        `pull requests ${report.pullRequests.length}, dead letters ${report.dlq.changes + report.dlq.settle}, unexpected requests ${report.unexpected.length}`,
        `on-change: ${onChange.length} invocations (${results.onChange.messagesPerInvocation.toFixed(2)} messages each); per invocation median ${ms(results.onChange.invocationMedianMs)}, p99 ${ms(results.onChange.invocationP99Ms)}, max ${ms(results.onChange.invocationMaxMs)}; per message median ${ms(results.onChange.perMessageMedianMs)}, p99 ${ms(results.onChange.perMessageP99Ms)}; ${results.onChange.dynamodbCallsPerMessage.toFixed(2)} DynamoDB calls a message`,
        `on-settle: ${onSettle.length} invocations; median ${ms(results.onSettle.invocationMedianMs)}, p99 ${ms(results.onSettle.invocationP99Ms)}`,
        `rehearsal ${results.rehearsalMinutes.toFixed(1)} min of rehearsal time in ${results.wallSeconds.toFixed(0)} s wall; 1-minute load ${loadBefore[0]?.toFixed(2)} before, ${loadAfter[0]?.toFixed(2)} after, on ${os.cpus().length} cpu(s)`,
        "",
      ].join("\n"),
    );
    const file = path.join(os.tmpdir(), `phantom-bench-load-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(results, null, 2));
    log(`full results: ${file}`);
    const wrong =
      results.correctness.lost !== 0 ||
      distinctAdded !== scenario.events ||
      added.length !== scenario.events ||
      added.length + again.length !== received ||
      burstMismatches !== 0 ||
      settled.length !== scenario.bursts.length ||
      report.unexpected.length > 0 ||
      report.dlq.changes + report.dlq.settle > 0;
    if (wrong)
      throw new Error(
        "load: an event was lost or counted twice, a burst did not settle exactly once, or a request went wrong",
      );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
