import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { awsRetry } from "../../functions/adapters/aws-retry.ts";
import {
  createStackDriftDetector,
  listManagedStacks,
} from "../../functions/adapters/cloudformation-stack-drift.ts";
import { type RehearsalReport, runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { startCloudFormationStandIn } from "../../functions/rehearse/stand-ins/cloudformation.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import { ACCOUNT, writeThrottlingScenario } from "./throttling-scenario.ts";
import { groupId } from "./windows.ts";

/**
 * `npm run bench -- --only=throttling` (BENCHMARKS.md "No throttling"). Standalone:
 * `node --import tsx test/bench/throttling.ts`. Counts, not times: every figure is a number of calls
 * the stand-ins served, so it is the same on any machine.
 *
 * 1. A 1,000-event burst on one stack through the rehearsal (the deployed handlers, real SDK clients):
 *    CloudFormation calls per event, by handler; then the same burst with every CloudFormation call
 *    throttled twice before it is served (`PHANTOM_AWS_BACKOFF=2ms` so the backoff keeps its shape
 *    but not its wall time).
 * 2. A sweep of 500 stacks in 50 accounts (10 stacks each, 20 resources, 2 drifted), through the
 *    sweep's own adapters (`listManagedStacks`, `createStackDriftDetector`) against one CloudFormation
 *    stand-in per account, calm and throttled.
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

/** One member account's recorded directory: `stacks` stacks of `resources` groups, two drifted each. */
async function writeAccount(dir: string, stacks: number, resources: number): Promise<void> {
  for (let s = 0; s < stacks; s++) {
    const name = `svc-${s}-prod`;
    await mkdir(path.join(dir, "stacks"), { recursive: true });
    await mkdir(path.join(dir, "drift", name), { recursive: true });
    await writeFile(
      path.join(dir, "stacks", `${name}.json`),
      JSON.stringify({
        StackResources: Array.from({ length: resources }, (_, i) => ({
          StackName: name,
          LogicalResourceId: `Group${i}`,
          PhysicalResourceId: groupId(s * 1000 + i),
          ResourceType: "AWS::EC2::SecurityGroup",
          ResourceStatus: "CREATE_COMPLETE",
        })),
        Tags: [{ Key: "phantom:managed", Value: "true" }],
      }),
    );
    for (let i = 0; i < resources; i++) {
      const drifted = i < 2;
      await writeFile(
        path.join(dir, "drift", name, `Group${i}.json`),
        JSON.stringify({
          StackResourceDrift: {
            LogicalResourceId: `Group${i}`,
            PhysicalResourceId: groupId(s * 1000 + i),
            ResourceType: "AWS::EC2::SecurityGroup",
            ExpectedProperties: "{}",
            ActualProperties: drifted ? '{"Tags":[{"Key":"x","Value":"y"}]}' : "{}",
            PropertyDifferences: drifted
              ? [
                  {
                    PropertyPath: "/Tags",
                    ExpectedValue: "null",
                    ActualValue: '[{"Key":"x","Value":"y"}]',
                    DifferenceType: "ADD",
                  },
                ]
              : [],
            StackResourceDriftStatus: drifted ? "MODIFIED" : "IN_SYNC",
          },
        }),
      );
    }
  }
}

async function sweep(root: string, accounts: number, stacksPerAccount: number, throttleTimes: number) {
  const dir = path.join(root, "member-account");
  await writeAccount(dir, stacksPerAccount, 20);
  let total = 0;
  let throttled = 0;
  const byOperation: Record<string, number> = {};
  let drifted = 0;
  let failed = 0;
  for (let a = 0; a < accounts; a++) {
    const account = String(200000000000 + a);
    const standIn = await startCloudFormationStandIn({
      accountDir: dir,
      clock: { now: () => Date.parse("2026-03-15T04:00:00Z") },
      account,
      ...(throttleTimes > 0 ? { throttle: { times: throttleTimes } } : {}),
    });
    const client = new CloudFormationClient({
      endpoint: standIn.url,
      region: "us-east-1",
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      ...awsRetry({ throttlingBaseMs: 2, baseMs: 1, maxDelayMs: 50 }),
    });
    const unretried = new CloudFormationClient({
      endpoint: standIn.url,
      region: "us-east-1",
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
      maxAttempts: 1,
    });
    const fast = { sleep: async () => {}, baseDelayMs: 2 };
    const managed = await listManagedStacks(client, { tag: { key: "phantom:managed" } }, fast);
    const detector = createStackDriftDetector({ client: unretried, pollIntervalMs: 1, ...fast });
    for (const stack of managed.stacks) {
      try {
        const check = await detector.detect(stack);
        drifted += check.drift.resources.filter((r) => r.status === "MODIFIED").length;
      } catch {
        failed += 1;
      }
    }
    for (const [key, n] of standIn.calls) {
      total += n;
      byOperation[key] = (byOperation[key] ?? 0) + n;
    }
    throttled += [...standIn.throttled.values()].reduce((n, v) => n + v, 0);
    client.destroy();
    unretried.destroy();
    await standIn.close();
  }
  return { stacks: accounts * stacksPerAccount, accounts, total, throttled, byOperation, drifted, failed };
}

async function main() {
  const root = await mkdtemp(path.join(os.tmpdir(), "phantom-bench-throttling-"));
  try {
    log("throttling: 1,000-event burst, calm");
    const calm = await burst(path.join(root, "calm"), 0);
    log("throttling: 1,000-event burst, every CloudFormation call throttled twice");
    const storm = await burst(path.join(root, "storm"), 2);
    log("throttling: sweep of 500 stacks in 50 accounts, calm and throttled");
    const sweepCalm = await sweep(path.join(root, "sweep-calm"), 50, 10, 0);
    const sweepStorm = await sweep(path.join(root, "sweep-storm"), 50, 10, 2);
    const results = { calm, storm, sweepCalm, sweepStorm };
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
