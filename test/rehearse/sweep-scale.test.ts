import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CENTRAL_ACCOUNT, type RehearsalReport, runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import {
  type PlacedCloudFormation,
  type SweepScenario,
  startPlacedCloudFormation,
  writeSweepScenario,
} from "../bench/sweep-scenario.ts";

/**
 * The weekly sweep at organisation scale, counted over the rehearsal (on-sweep's production runtime,
 * member accounts reached through STS AssumeRole, every request routed to its account and region):
 * 60 stacks in 6 member accounts × 2 regions, 4 of them drifted (the same stack name in two accounts
 * and two regions). Every stack is checked exactly once, CloudFormation calls per stack are bounded,
 * one AssumeRole per account, and a CloudFormation that throttles every call twice loses no stack
 * and counts every throttle in `phantom.aws.throttled`. BENCHMARKS.md "No throttling" reports the
 * same counts at 500 stacks in 50 accounts (`npm run bench -- --only=sweep`).
 */

/**
 * CloudFormation calls a stack costs the sweep: DetectStackDrift, one DescribeStackDriftDetectionStatus
 * (the stand-in completes a detection at once), one page of DescribeStackResourceDrifts. On top: one
 * DescribeStacks page per place (the listing) and one per reaction (the stack's parameters).
 */
const CALLS_PER_STACK = 3;

let root: string;
let scenario: SweepScenario;
let calm: Rehearsed;
let stormy: Rehearsed;
let storm: PlacedCloudFormation;

interface Rehearsed {
  readonly report: RehearsalReport;
  readonly logs: readonly Record<string, unknown>[];
}

async function rehearse(cloudFormation?: PlacedCloudFormation): Promise<Rehearsed> {
  const loaded = await loadScenario(scenario.dir, { base: {} });
  const logs: Record<string, unknown>[] = [];
  const report = await runRehearsal(loaded, {
    sweep: true,
    onLog: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
    env: {
      ...process.env,
      ...(cloudFormation ? { AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.router.url } : {}),
    },
  });
  return { report, logs };
}

const places = () => [
  ...[CENTRAL_ACCOUNT, ...scenario.accounts].flatMap((a) => scenario.regions.map((r) => `${a}/${r}`)),
];
const finished = ({ logs }: Rehearsed) => logs.filter((l) => l.message === "sweep finished");
const reacted = ({ logs }: Rehearsed) =>
  logs
    .filter((l) => l.message === "sweep found drift")
    .map((l) => `${l.account}/${l.region}/${l.stack}:${(l.touched as string[]).join(",")}`)
    .sort();
const cloudFormation = (calls: Readonly<Record<string, number>>) =>
  Object.fromEntries(Object.entries(calls).filter(([k]) => k.startsWith("cloudformation.")));
const sum = (calls: Readonly<Record<string, number>>) => Object.values(calls).reduce((n, v) => n + v, 0);

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "phantom-sweep-scale-"));
  scenario = await writeSweepScenario(root, {
    accounts: 6,
    regions: ["us-east-1", "eu-west-1"],
    stacksPerPlace: 5,
    resources: 10,
    driftedAccounts: [1, 4],
  });
  const empty = path.join(root, "empty-account");
  await mkdir(empty);
  calm = await rehearse();
  storm = await startPlacedCloudFormation(await loadScenario(scenario.dir, { base: {} }), {
    homeAccount: CENTRAL_ACCOUNT,
    emptyAccountDir: empty,
    throttle: { times: 2 },
  });
  stormy = await rehearse(storm);
}, 120_000);

afterAll(async () => {
  await storm?.close();
  await rm(root, { recursive: true, force: true });
});

describe("a weekly sweep of 60 stacks in 6 accounts × 2 regions", () => {
  it("sweeps every place once and checks every stack exactly once, with no dead letter", () => {
    const { report } = calm;
    expect(report.unexpected).toEqual([]);
    expect(report.dlq).toEqual({ changes: 0, settle: 0 });
    const lines = finished(calm);
    expect(lines.map((l) => `${l.account}/${l.region}`).sort()).toEqual(places().sort());
    for (const line of lines) {
      const recorded = line.account === CENTRAL_ACCOUNT ? 0 : 5;
      expect(line).toMatchObject({ stacks: recorded, failed: 0, deferred: 0, skipped: 0 });
      expect((line.clean as number) + (line.reacted as number)).toBe(recorded);
    }
    // Each stack's outcome needed one detection; as many were started as there are stacks, so each
    // stack was detected exactly once.
    expect(report.calls["cloudformation.DetectStackDrift"]).toBe(scenario.stacks.length);
  });

  it("reacts to exactly the drifted stacks, each in its own account and region", () => {
    const expected = scenario.drifted.map((d) => `${d.place}/${d.stack}:${d.logicalId}`).sort();
    expect(expected).toHaveLength(4);
    expect(reacted(calm)).toEqual(expected);
    const { report } = calm;
    expect(report.windows.map((w) => `${w.account}/${w.region}/${w.stack}:${w.settledBy}`).sort()).toEqual(
      scenario.drifted.map((d) => `${d.place}/${d.stack}:sweep`).sort(),
    );
    // One repository path, four places: four pull requests on placed branches.
    expect(report.pullRequests.map((p) => p.branch).sort()).toEqual(
      scenario.drifted.map((d) => `phantom/${d.place}/${d.stack}`).sort(),
    );
  });

  it("costs at most CALLS_PER_STACK CloudFormation calls a stack plus one listing a place and one read a reaction, and one AssumeRole an account", () => {
    const calls = cloudFormation(calm.report.calls);
    const stacks = scenario.stacks.length;
    const drifted = scenario.drifted.length;
    expect(calls).toEqual({
      "cloudformation.DetectStackDrift": stacks,
      "cloudformation.DescribeStackDriftDetectionStatus": stacks,
      "cloudformation.DescribeStackResourceDrifts": stacks,
      "cloudformation.DescribeStacks": places().length + drifted,
    });
    expect(sum(calls)).toBeLessThanOrEqual(CALLS_PER_STACK * stacks + places().length + drifted);
    // Member sessions are cached across regions and stacks; the central account uses its own role.
    expect(calm.report.calls["sts.AssumeRole"]).toBe(scenario.accounts.length);
    // A clean stack costs no window-table read: only drifted stacks ask what an open window covers.
    expect(calm.report.calls["dynamodb.GetItem"]).toBe(drifted);
    expect(calm.report.callsByHandler["on-sweep"]?.["eventbridge.PutEvents"]).toBe(drifted);
    expect(calm.report.metrics.filter((m) => m.metric === "phantom.aws.throttled")).toEqual([]);
  });
});

describe("the same sweep when CloudFormation throttles every call twice", () => {
  it("loses no stack: the same places, outcomes, windows and pull requests", () => {
    expect(stormy.report.unexpected).toEqual([]);
    expect(storm.unexpected()).toEqual([]);
    expect(stormy.report.dlq).toEqual({ changes: 0, settle: 0 });
    const outcome = (r: Rehearsed) =>
      finished(r)
        .map((l) => ({
          place: `${l.account}/${l.region}`,
          stacks: l.stacks,
          clean: l.clean,
          reacted: l.reacted,
          failed: l.failed,
        }))
        .sort((a, b) => a.place.localeCompare(b.place));
    expect(outcome(stormy)).toEqual(outcome(calm));
    expect(reacted(stormy)).toEqual(reacted(calm));
    expect(stormy.report.pullRequests.map((p) => p.branch).sort()).toEqual(
      calm.report.pullRequests.map((p) => p.branch).sort(),
    );
  });

  it("retries each call until served: twice the calls answered Throttling, the same calls served", () => {
    const { calls, throttled } = storm.totals();
    const served = Object.fromEntries(Object.entries(calls).map(([k, n]) => [k, n - (throttled[k] ?? 0)]));
    expect(served).toEqual(cloudFormation(calm.report.calls));
    for (const [operation, n] of Object.entries(served)) expect(throttled[operation]).toBe(2 * n);
  });

  it("counts every throttled attempt in phantom.aws.throttled, by operation", () => {
    expect(throttledByOperation(stormy.report)).toEqual(expectedThrottles(storm));
  });

  it("counts them too when nothing drifted, so no reaction sent metrics: the sweep flushes its own", async () => {
    const clean = await writeSweepScenario(path.join(root, "clean"), {
      accounts: 2,
      regions: ["us-east-1", "eu-west-1"],
      stacksPerPlace: 3,
      resources: 5,
      driftedAccounts: [],
    });
    const loaded = await loadScenario(clean.dir, { base: {} });
    const throttling = await startPlacedCloudFormation(loaded, {
      homeAccount: CENTRAL_ACCOUNT,
      emptyAccountDir: path.join(root, "empty-account"),
      throttle: { times: 2 },
    });
    try {
      const report = await runRehearsal(loaded, {
        sweep: true,
        env: { ...process.env, AWS_ENDPOINT_URL_CLOUDFORMATION: throttling.router.url },
      });
      expect(report.unexpected).toEqual([]);
      expect(report.windows).toEqual([]);
      expect(throttling.totals().calls["cloudformation.DetectStackDrift"]).toBe(3 * clean.stacks.length);
      expect(throttledByOperation(report)).toEqual(expectedThrottles(throttling));
    } finally {
      await throttling.close();
    }
  }, 60_000);
});

/** `phantom.aws.throttled` summed by operation (every point is CloudFormation's). */
function throttledByOperation(report: RehearsalReport): Record<string, number> {
  const byOperation: Record<string, number> = {};
  for (const p of report.metrics.filter((m) => m.metric === "phantom.aws.throttled")) {
    expect(p.tags).toContain("service:cloudformation");
    const operation = p.tags.find((t) => t.startsWith("operation:"))?.slice("operation:".length) ?? "";
    byOperation[operation] = (byOperation[operation] ?? 0) + p.value;
  }
  return byOperation;
}

/** The `Throttling` answers the places' stand-ins gave, keyed as the metric tags operations. */
function expectedThrottles(cloudFormation: PlacedCloudFormation): Record<string, number> {
  return Object.fromEntries(
    Object.entries(cloudFormation.totals().throttled).map(([k, n]) => [
      k.slice("cloudformation.".length).toLowerCase(),
      n,
    ]),
  );
}
