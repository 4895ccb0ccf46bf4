import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type RehearsalReport, runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { startCloudFormationStandIn } from "../../functions/rehearse/stand-ins/cloudformation.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import { ACCOUNT, writeThrottlingScenario } from "./throttling-scenario.ts";

/**
 * `npm run bench -- --only=throttling` (BENCHMARKS.md "No throttling"). Standalone:
 * `node --import tsx test/bench/throttling.ts`. Counts, not times: every figure is a number of calls
 * the stand-ins served, so it is the same on any machine.
 *
 * 1. A 1,000-event burst on one stack through the rehearsal (the deployed handlers, real SDK clients):
 *    CloudFormation calls per event, by handler; then the same burst with every CloudFormation call
 *    throttled twice before it is served (`PHANTOM_AWS_BACKOFF=2ms` so the backoff keeps its shape
 *    but not its wall time).
 *
 * The sweep of 500 stacks in 50 accounts is counted through on-sweep and the rehearsal by sweep.ts
 * (`npm run bench -- --only=sweep`).
 */

const log = (text: string) => process.stderr.write(`${text}\n`);
const cfn = (calls: Readonly<Record<string, number>> | undefined) =>
  Object.entries(calls ?? {})
    .filter(([k]) => k.startsWith("cloudformation."))
    .reduce((n, [, v]) => n + v, 0);
const sumMetric = (report: RehearsalReport, metric: string) =>
  report.metrics.filter((m) => m.metric === metric).reduce((n, m) => n + m.value, 0);

async function burst(root: string, throttleTimes: number) {
  const scenario = await writeThrottlingScenario(root, {
    events: 1_000,
    resources: 60,
    touched: 5,
    modified: 2,
    spanMs: 100_000,
  });
  const loaded = await loadScenario(scenario.dir, { base: {} });
  const standIn =
    throttleTimes > 0
      ? await startCloudFormationStandIn({
          accountDir: path.join(scenario.dir, "account"),
          clock: { now: () => Date.parse("2026-03-14T03:00:00Z") },
          account: ACCOUNT,
          throttle: { times: throttleTimes },
        })
      : undefined;
  process.env.PHANTOM_AWS_BACKOFF = "2ms";
  const started = performance.now();
  try {
    const report = await runRehearsal(loaded, {
      env: { ...process.env, ...(standIn ? { AWS_ENDPOINT_URL_CLOUDFORMATION: standIn.url } : {}) },
    });
    const calls = standIn ? Object.fromEntries(standIn.calls) : report.calls;
    return {
      events: sumMetric(report, "phantom.events.received"),
      windows: report.windows.length,
      dlq: report.dlq,
      unexpected: report.unexpected.length,
      onChange: cfn(report.callsByHandler["on-change"]),
      total: cfn(calls),
      byOperation: Object.fromEntries(Object.entries(calls).filter(([k]) => k.startsWith("cloudformation."))),
      throttledServed: standIn ? [...standIn.throttled.values()].reduce((n, v) => n + v, 0) : 0,
      throttledMetric: sumMetric(report, "phantom.aws.throttled"),
      pullRequests: report.pullRequests.length,
      wallMs: Math.round(performance.now() - started),
    };
  } finally {
    delete process.env.PHANTOM_AWS_BACKOFF;
    await standIn?.close();
  }
}

async function main() {
  const root = await mkdtemp(path.join(os.tmpdir(), "phantom-bench-throttling-"));
  try {
    log("throttling: 1,000-event burst, calm");
    const calm = await burst(path.join(root, "calm"), 0);
    log("throttling: 1,000-event burst, every CloudFormation call throttled twice");
    const storm = await burst(path.join(root, "storm"), 2);
    const results = { calm, storm };
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    const file = path.join(os.tmpdir(), `phantom-bench-throttling-${Date.now()}.json`);
    await writeFile(file, JSON.stringify(results, null, 2));
    log(`full results: ${file}`);
    const bad = [calm, storm].filter((r) => r.unexpected > 0 || r.dlq.changes + r.dlq.settle > 0);
    if (bad.length > 0) throw new Error("a rehearsal had unexpected requests or dead letters");
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
