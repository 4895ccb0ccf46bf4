import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RehearsalReport, runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { startCloudControlStandIn } from "../../functions/rehearse/stand-ins/cloudcontrol.ts";
import { runReplay } from "../../functions/replay/run-replay.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";

/**
 * `phantom rehearse` is how we know production does what replay shows: the deployed handlers, built
 * by the Lambda composition root with the real SDK clients, over local stand-ins. For every bundled
 * scenario they must agree with replay on the windows (stack, events, touched ids), the drift checks
 * and every decision; and at-least-once delivery must never open a second pull request.
 */

const SCENARIOS = fileURLToPath(new URL("../../fixtures/scenarios/", import.meta.url));
const names = (await readdir(SCENARIOS, { withFileTypes: true }))
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

interface Compared {
  readonly account: string;
  readonly region: string;
  readonly stack: string;
  readonly events: number;
  readonly touched: readonly string[];
  readonly calls: number;
  /** Live-state reads where drift detection was blind (Cloud Control in rehearsal, recorded in replay). */
  readonly liveReads: number;
  readonly decisions: Readonly<Record<string, string | null>>;
}

let out = "";
beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), "phantom-rehearse-test-"));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

async function replayed(name: string): Promise<Compared[]> {
  const summary = await runReplay(
    await loadScenario(path.join(SCENARIOS, name), { base: {} }),
    path.join(out, name),
  );
  return summary.windows.map(({ reaction: { report } }) => ({
    account: report.window.account,
    region: report.window.region,
    stack: report.stack,
    events: report.window.events,
    touched: report.window.touched,
    calls: report.detection.calls,
    liveReads: report.detection.liveReads ?? 0,
    decisions: Object.fromEntries(
      report.changes.map((c) => [`${c.logicalId}${c.propertyPath}`, "decision" in c ? c.decision : null]),
    ),
  }));
}

function rehearsed(report: RehearsalReport): Compared[] {
  return report.windows.map((w) => ({
    account: w.account,
    region: w.region,
    stack: w.stack,
    events: w.events,
    touched: w.touched,
    calls: w.calls,
    liveReads: w.liveReads,
    decisions: w.decisions ?? {},
  }));
}

describe.each(names)("rehearsal of %s", (name) => {
  it("agrees with replay on windows, drift checks and decisions, with no unexpected request", async () => {
    const scenario = await loadScenario(path.join(SCENARIOS, name), { base: {} });

    const report = await runRehearsal(scenario);

    expect(report.unexpected).toEqual([]);
    expect(rehearsed(report)).toEqual(await replayed(name));
    expect(report.dlq).toEqual({ changes: 0, settle: 0 });
    // One pull request per stack, a stack being (account, region, name).
    const stacks = new Set(
      report.windows.filter((w) => w.pullRequest).map((w) => `${w.account}/${w.region}/${w.stack}`),
    );
    expect(report.pullRequests).toHaveLength(stacks.size);
  });
});

describe("a scenario that spans places", () => {
  it("checks each window in its own account and region through the member's read role, one pull request per place", async () => {
    const scenario = await loadScenario(path.join(SCENARIOS, "same-stack-three-places"), { base: {} });

    const report = await runRehearsal(scenario);

    expect(report.unexpected).toEqual([]);
    expect(
      report.windows.filter((w) => w.settledBy === "quiet").map((w) => [w.account, w.region, w.stack]),
    ).toEqual([
      ["305482197364", "eu-west-1", "orders-api-prod"],
      ["762913458021", "us-east-1", "orders-api-prod"],
      ["305482197364", "us-east-1", "orders-api-prod"],
    ]);
    // Every drift check went to the member account's CloudFormation, reached through AssumeRole.
    expect(report.calls["sts.AssumeRole"]).toBeGreaterThan(0);
    expect(report.calls["cloudformation.DetectStackResourceDrift"]).toBe(6);
    expect(report.pullRequests.map((p) => [p.repo, p.branch]).sort()).toEqual([
      ["acme/orders-platform", "phantom/305482197364/eu-west-1/orders-api-prod"],
      ["acme/orders-platform", "phantom/305482197364/us-east-1/orders-api-prod"],
      ["acme/orders-platform", "phantom/762913458021/us-east-1/orders-api-prod"],
    ]);
    // The figures name the place: one series per account and region of the one stack name.
    const places = new Set(
      report.metrics
        .filter((m) => m.metric === "phantom.windows.settled")
        .map((m) => m.tags.filter((t) => t.startsWith("account:") || t.startsWith("region:")).join(",")),
    );
    expect(places).toEqual(
      new Set([
        "account:305482197364,region:us-east-1",
        "account:305482197364,region:eu-west-1",
        "account:762913458021,region:us-east-1",
      ]),
    );
  });
});

describe("the live state where drift detection is blind", () => {
  it("reads the group's live state through Cloud Control and reverts SSH to the world as critical, as replay does", async () => {
    const scenario = await loadScenario(path.join(SCENARIOS, "sg-ssh-world-cdk-rules"), { base: {} });

    const report = await runRehearsal(scenario);

    expect(report.unexpected).toEqual([]);
    expect(report.windows.map((w) => [w.settledBy, w.liveReads, w.decisions])).toEqual([
      ["quiet", 1, { "AppSecurityGroup/SecurityGroupIngress/2": "revert" }],
      ["review", 1, { "AppSecurityGroup/SecurityGroupIngress/2": "revert" }],
    ]);
    // One read per reaction, by on-settle only: the settle and its review.
    expect(report.callsByHandler["on-settle"]?.["cloudcontrol.GetResource"]).toBe(2);
    expect(report.callsByHandler["on-change"]?.["cloudcontrol.GetResource"]).toBeUndefined();
    expect(report.pullRequests[0]?.title).toContain("critical");
  });

  it("a throttled Cloud Control fails nothing: after the SDK's retries the requests are compared, and the SSH rule is still reverted", async () => {
    const scenario = await loadScenario(path.join(SCENARIOS, "sg-ssh-world-cdk-rules"), { base: {} });
    const throttling = await startCloudControlStandIn({
      accountDir: scenario.accountDir,
      answer: () => ({ error: "ThrottlingException", message: "Rate exceeded" }),
    });
    try {
      const report = await runRehearsal(scenario, {
        env: { ...process.env, AWS_ENDPOINT_URL_CLOUDCONTROL: throttling.url },
      });

      expect(report.unexpected).toEqual([]);
      expect(report.dlq).toEqual({ changes: 0, settle: 0 });
      expect(report.windows.map((w) => [w.settledBy, w.liveReads])).toEqual([
        ["quiet", 1],
        ["review", 1],
      ]);
      expect(report.windows[0]?.decisions).toEqual({ "AppSecurityGroup/SecurityGroupIngress/2": "revert" });
      // Three attempts (the SDK's standard retries) per reaction.
      expect(throttling.calls.get("cloudcontrol.GetResource")).toBe(6);
      // The note in analysis.json saying so is replay's to show (test/replay/live-state.test.ts).
    } finally {
      await throttling.close();
    }
  });
});

describe("at-least-once delivery", () => {
  it("every event delivered twice and the whole capture delivered again later: one PR per stack", async () => {
    const scenario = await loadScenario(path.join(SCENARIOS, "two-stacks-interleaved"), { base: {} });

    const once = await runRehearsal(scenario);
    const twice = await runRehearsal(scenario, { deliveries: 2, redeliverAfterMs: 24 * 3_600_000 });

    expect(twice.unexpected).toEqual([]);
    expect(rehearsed(twice)).toEqual(rehearsed(once));
    expect(twice.pullRequests.map((pr) => [pr.repo, pr.branch, pr.commits])).toEqual(
      once.pullRequests.map((pr) => [pr.repo, pr.branch, pr.commits]),
    );
    expect(twice.pullRequests.every((pr) => pr.updates === 0)).toBe(true);
  });
});

describe("the weekly sweep (on-sweep) after the incident", () => {
  it("finds the same drift stack-wide, reacts with reason sweep, and leaves the events' pull request as it was", async () => {
    const scenario = await loadScenario(path.join(SCENARIOS, "payments-3am-incident"), { base: {} });

    const report = await runRehearsal(scenario, { sweep: true });

    expect(report.unexpected).toEqual([]);
    expect(report.windows.map((w) => w.settledBy)).toEqual(["quiet", "review", "sweep"]);
    const [, reviewed, swept] = report.windows;
    expect(Object.keys(swept?.decisions ?? {})).toEqual(Object.keys(reviewed?.decisions ?? {}));
    expect(report.pullRequests).toHaveLength(1);
    // The review updated the PR once; the sweep, which knows the drift but not the incident, leaves
    // the PR the events' window wrote as it was.
    expect(report.pullRequests[0]).toMatchObject({ commits: 1, updates: 1 });
    expect(report.pullRequests[0]?.title).toBe(
      "phantom: payments-prod drift — 6 revert, 2 refactor (critical, +$2,646/mo)",
    );
    expect(report.calls["cloudformation.DetectStackDrift"]).toBe(1);
  });
});

describe("the 3 AM incident", () => {
  it("opens one PR on acme/payments-infra, mentions the engineer, updates it once at the review, and emits the figures and events", async () => {
    const scenario = await loadScenario(path.join(SCENARIOS, "payments-3am-incident"), { base: {} });

    const report = await runRehearsal(scenario);

    expect(report.pullRequests).toHaveLength(1);
    const [pr] = report.pullRequests;
    // Opened at 03:12 with the capacity kept; the review at 04:15, with the hour after the incident,
    // refactors both sizes: still one commit, force-updated once.
    expect(pr).toMatchObject({
      repo: "acme/payments-infra",
      branch: "phantom/payments-prod",
      commits: 1,
      updates: 1,
    });
    expect(pr?.title).toBe("phantom: payments-prod drift — 6 revert, 2 refactor (critical, +$2,646/mo)");
    expect(pr?.body).toContain("sam.rivera@example.com");
    expect(pr?.labels).toContain("phantom");
    expect(
      report.events.map((e) => [e.source, e.detailType, (e.detail as { settledBy: string }).settledBy]),
    ).toEqual([
      ["phantom", "Phantom Drift Analyzed", "quiet"],
      ["phantom", "Phantom Drift Analyzed", "review"],
    ]);
    const metrics = new Set(report.metrics.map((m) => m.metric));
    for (const metric of [
      "phantom.events.received",
      "phantom.windows.opened",
      "phantom.windows.settled",
      "phantom.drift.count",
      "phantom.reaction.seconds",
    ]) {
      expect(metrics, metric).toContain(metric);
    }
    expect(report.calls["cloudformation.DetectStackResourceDrift"]).toBe(6);
    expect(report.calls["bedrock-runtime.Converse"]).toBe(2);
  });
});
