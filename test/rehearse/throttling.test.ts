import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RehearsalReport, runRehearsal } from "../../functions/rehearse/rehearse.ts";
import {
  type CloudFormationStandIn,
  startCloudFormationStandIn,
} from "../../functions/rehearse/stand-ins/cloudformation.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import {
  ACCOUNT,
  STACK,
  type ThrottlingScenario,
  writeThrottlingScenario,
} from "../bench/throttling-scenario.ts";

/**
 * No throttling, counted over the rehearsal (the deployed handlers, the real SDK clients, the stand-ins):
 * a 1,000-event burst on one stack costs CloudFormation at most 0.01 calls per event, and a
 * CloudFormation that throttles every call costs no window, only retries with backoff and a
 * `phantom.aws.throttled` count. BENCHMARKS.md "No throttling" reports the same figures.
 */

let root: string;
let burst: ThrottlingScenario;
let small: ThrottlingScenario;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "phantom-throttling-"));
  burst = await writeThrottlingScenario(path.join(root, "burst"), {
    events: 1_000,
    resources: 60,
    touched: 5,
    modified: 2,
    spanMs: 100_000,
  });
  small = await writeThrottlingScenario(path.join(root, "small"), {
    events: 60,
    resources: 60,
    touched: 4,
    modified: 2,
    spanMs: 60_000,
  });
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const cloudFormationCalls = (calls: Readonly<Record<string, number>> | undefined) =>
  Object.entries(calls ?? {})
    .filter(([key]) => key.startsWith("cloudformation."))
    .reduce((n, [, v]) => n + v, 0);

/** What must not change when AWS throttles: the windows, what they decided, and the pull requests. */
function outcome(report: RehearsalReport) {
  return {
    windows: report.windows.map((w) => ({
      stack: w.stack,
      events: w.events,
      touched: [...w.touched].sort(),
      settledBy: w.settledBy,
      decisions: w.decisions,
    })),
    pullRequests: report.pullRequests.map((p) => ({
      repo: p.repo,
      title: p.title,
      // Window ids are random: the drift record's file name is not compared.
      files: Object.keys(p.files).map((f) => f.replace(/[^/]+\.json$/, "<window>.json")),
    })),
    skipped: report.skipped,
    dlq: report.dlq,
  };
}

async function rehearse(
  scenario: ThrottlingScenario,
  cloudFormation?: CloudFormationStandIn,
): Promise<RehearsalReport> {
  const loaded = await loadScenario(scenario.dir, { base: {} });
  const saved = process.env.PHANTOM_AWS_BACKOFF;
  // The policy's shape at a rehearsal's pace: full jitter from a 2 ms base instead of 500 ms.
  process.env.PHANTOM_AWS_BACKOFF = "2ms";
  try {
    return await runRehearsal(loaded, {
      env: {
        ...process.env,
        ...(cloudFormation ? { AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url } : {}),
      },
    });
  } finally {
    if (saved === undefined) delete process.env.PHANTOM_AWS_BACKOFF;
    else process.env.PHANTOM_AWS_BACKOFF = saved;
  }
}

async function throttledCloudFormation(
  scenario: ThrottlingScenario,
  throttle: { times: number; operations?: string[] },
) {
  return startCloudFormationStandIn({
    accountDir: path.join(scenario.dir, "account"),
    clock: { now: () => Date.parse("2026-03-14T03:00:00Z") },
    account: ACCOUNT,
    throttle,
  });
}

describe("CloudFormation calls per event", () => {
  it("a 1,000-event burst on one stack is one window and costs at most 0.01 CloudFormation calls per event", async () => {
    const report = await rehearse(burst);

    expect(report.unexpected).toEqual([]);
    expect(report.dlq).toEqual({ changes: 0, settle: 0 });
    expect(report.windows).toHaveLength(1);
    expect(report.windows[0]).toMatchObject({ stack: STACK, settledBy: "quiet" });
    // Every event reached its window (a window stores at most 200 KiB of events; the rest are counted).
    const received = report.metrics
      .filter((m) => m.metric === "phantom.events.received")
      .reduce((n, m) => n + m.value, 0);
    expect(received).toBe(burst.events);
    expect([...(report.windows[0]?.touched ?? [])].sort()).toEqual([...burst.touched].sort());
    // Finding the stack: one DescribeStackResources for the whole burst, then the shared cache.
    const lookups = cloudFormationCalls(report.callsByHandler["on-change"]);
    expect(report.callsByHandler["on-change"]).toEqual(
      expect.objectContaining({ "cloudformation.DescribeStackResources": 1 }),
    );
    expect(lookups).toBe(1);
    // Everything CloudFormation served, the reaction's drift checks (one per touched resource) included.
    const total = cloudFormationCalls(report.calls);
    expect(report.calls["cloudformation.DetectStackResourceDrift"]).toBe(burst.touched.length);
    expect(total / burst.events).toBeLessThanOrEqual(0.01);
  }, 240_000);
});

describe("behaviour under Throttling on every call", () => {
  let calm: RehearsalReport;
  beforeAll(async () => {
    calm = await rehearse(small);
  }, 120_000);

  it("backs off and gets through: the same windows, decisions and pull request, and phantom.aws.throttled says how often", async () => {
    const cloudFormation = await throttledCloudFormation(small, { times: 2 });
    let report: RehearsalReport;
    try {
      report = await rehearse(small, cloudFormation);
    } finally {
      await cloudFormation.close();
    }

    expect(report.unexpected).toEqual([]);
    expect(outcome(report)).toEqual(outcome(calm));
    expect(calm.windows).toHaveLength(1);
    // Every call CloudFormation served was throttled twice first, however many ran at once.
    const served = cloudFormationCalls(Object.fromEntries(cloudFormation.calls));
    const throttled = [...cloudFormation.throttled.values()].reduce((n, v) => n + v, 0);
    expect(throttled).toBe((served * 2) / 3);
    const points = report.metrics.filter((m) => m.metric === "phantom.aws.throttled");
    const counted = points
      .filter((p) => p.tags.includes("service:cloudformation"))
      .reduce((n, p) => n + p.value, 0);
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThanOrEqual(throttled);
    expect(points.map((p) => p.tags.find((t) => t.startsWith("operation:")))).toEqual(
      expect.arrayContaining(["operation:describestackresources", "operation:detectstackresourcedrift"]),
    );
    expect(calm.metrics.filter((m) => m.metric === "phantom.aws.throttled")).toEqual([]);
  }, 120_000);

  it("loses no event when throttling outlasts the SDK's retries: the messages come back and are analysed", async () => {
    // Six throttles in a row beat the five attempts of one lookup: its message fails and SQS redelivers it.
    const cloudFormation = await throttledCloudFormation(small, {
      times: 6,
      operations: ["DescribeStackResources"],
    });
    let report: RehearsalReport;
    try {
      report = await rehearse(small, cloudFormation);
    } finally {
      await cloudFormation.close();
    }

    expect(report.unexpected).toEqual([]);
    expect(report.dlq).toEqual({ changes: 0, settle: 0 });
    // The redelivered events come back after the Changes queue's visibility timeout, when the burst's
    // window has settled: they open a window of their own. Every event is analysed, none is lost.
    const events = (r: RehearsalReport) => r.windows.reduce((n, w) => n + w.events, 0);
    const touched = (r: RehearsalReport) => [...new Set(r.windows.flatMap((w) => w.touched))].sort();
    expect(events(report)).toBe(events(calm));
    expect(touched(report)).toEqual(touched(calm));
    expect(report.skipped).toEqual([]);
    // At least one lookup failed past its five attempts (its message came back); the first one served
    // cached the whole stack, so the others were answered without CloudFormation.
    expect(cloudFormation.throttled.get("DescribeStackResources")).toBeGreaterThanOrEqual(6);
    expect(cloudFormation.calls.get("cloudformation.DescribeStackResources")).toBe(
      (cloudFormation.throttled.get("DescribeStackResources") ?? 0) + 1,
    );
  }, 120_000);
});
