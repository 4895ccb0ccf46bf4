import { describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../core/drift/types.ts";
import type { Reaction } from "../../core/reactor/react.ts";
import type { StackDriftCheck } from "../../core/reactor/sweep.ts";
import { sweepWindow } from "../../core/reactor/sweep.ts";
import { createPlaces } from "../../functions/accounts.ts";
import { jsonLogger } from "../../functions/log.ts";
import {
  createSweepRuntime,
  processSweep,
  readSweepConfig,
  type SweepRuntime,
  type SweepTarget,
} from "../../functions/on-sweep.ts";
import { startStandIn } from "../../functions/rehearse/stand-ins/stand-in.ts";
import { buildRuntime } from "../functions/support.ts";

const AT = Date.parse("2026-11-23T06:00:00.000Z");

const modified = (logicalId: string): ResourceDrift => ({
  logicalId,
  type: "AWS::SQS::Queue",
  physicalId: `https://sqs.eu-west-1.amazonaws.com/123456789012/${logicalId}`,
  status: "MODIFIED",
  differences: [{ path: "/VisibilityTimeout", type: "NOT_EQUAL", expected: 30, actual: 300 }],
});

function logs() {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    log: jsonLogger(
      (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
      () => AT,
    ),
  };
}

function target(region: string, checks: Record<string, StackDriftCheck>, account?: string): SweepTarget {
  return {
    region,
    ...(account ? { account } : {}),
    listStacks: async () => ({
      stacks: Object.keys(checks),
      skipped: [{ stack: "busy", reason: "status UPDATE_IN_PROGRESS does not allow drift detection" }],
    }),
    drift: {
      detect: async (stack) => {
        const check = checks[stack];
        if (check === undefined) throw new Error(`unexpected ${stack}`);
        return check;
      },
    },
  };
}

describe("processSweep", () => {
  it("sweeps every target and logs what it found; a target that cannot list is reported, not fatal", async () => {
    const { lines, log } = logs();
    const reacted: { stack: string; windowId: string; reason: string; ids: string[] }[] = [];
    const runtime: SweepRuntime = {
      targets: [
        {
          region: "us-east-1",
          listStacks: async () => {
            throw new Error("AccessDenied");
          },
          drift: { detect: async () => Promise.reject(new Error("unreachable")) },
        },
        target("eu-west-1", {
          payments: {
            stack: "payments",
            detection: "complete",
            drift: { resources: [modified("Queue"), modified("Dlq")], calls: 4 },
          },
          search: { stack: "search", detection: "complete", drift: { resources: [], calls: 3 } },
        }),
      ],
      openWindows: async (ref) => (ref.stack === "payments" ? ["Dlq"] : []),
      react: async (window, trigger, drift) => {
        reacted.push({
          stack: window.stack,
          windowId: window.id,
          reason: trigger.reason,
          ids: drift.resources.map((r) => r.logicalId),
        });
        return "ok";
      },
      clock: { now: () => AT },
      log,
      concurrency: 2,
    };

    const results = await processSweep(runtime);

    expect(reacted).toEqual([
      {
        stack: "payments",
        windowId: "sweep-payments-20261123T060000Z",
        reason: "sweep",
        ids: ["Queue"],
      },
    ]);
    expect(results.map((r) => [r.region, r.error ?? null, r.summary?.counts ?? null])).toEqual([
      ["us-east-1", "Error: AccessDenied", null],
      ["eu-west-1", null, { stacks: 2, reacted: 1, clean: 1, failed: 0, deferred: 0 }],
    ]);
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ["error", "sweep could not list stacks"],
      ["info", "sweep found drift"],
      ["info", "sweep finished"],
    ]);
    expect(lines[1]).toMatchObject({
      region: "eu-west-1",
      stack: "payments",
      touched: ["Queue"],
      covered: ["Dlq"],
    });
    expect(lines[2]).toMatchObject({ reacted: 1, clean: 1, skipped: 1, deferredStacks: [] });
  });

  it("passes the deadline on: stacks past it are deferred and logged", async () => {
    const { lines, log } = logs();
    const results = await processSweep(
      {
        targets: [
          target("eu-west-1", {
            a: { stack: "a", detection: "complete", drift: { resources: [], calls: 1 } },
          }),
        ],
        openWindows: async () => [],
        react: async () => "never",
        clock: { now: () => AT },
        log,
        concurrency: 1,
      },
      AT,
    );
    expect(results[0]?.summary?.counts.deferred).toBe(1);
    expect(lines.at(-1)).toMatchObject({ message: "sweep finished", deferredStacks: ["a"] });
  });
});

describe("readSweepConfig", () => {
  it("sweeps the function's own region", () => {
    expect(readSweepConfig({ AWS_REGION: "eu-west-1" })).toEqual({
      regions: ["eu-west-1"],
      filter: {},
      concurrency: 2,
      accountConcurrency: 4,
    });
  });

  it("reads the stack filters and concurrency the app sets", () => {
    expect(
      readSweepConfig({
        AWS_REGION: "eu-west-1",
        PHANTOM_STACK_PREFIX: "payments-",
        PHANTOM_STACK_TAG: "owner=team=payments",
        PHANTOM_SWEEP_CONCURRENCY: "3",
        PHANTOM_SWEEP_ACCOUNTS: "8",
      }),
    ).toEqual({
      regions: ["eu-west-1"],
      filter: { prefix: "payments-", tag: { key: "owner", value: "team=payments" } },
      concurrency: 3,
      accountConcurrency: 8,
    });
    expect(readSweepConfig({ AWS_REGION: "eu-west-1", PHANTOM_STACK_TAG: "managed" }).filter).toEqual({
      tag: { key: "managed" },
    });
  });

  it("sweeps the regions the app serves, and names a region that is not one", () => {
    expect(
      readSweepConfig({ AWS_REGION: "eu-west-1", PHANTOM_REGIONS: "eu-west-1, us-east-1" }).regions,
    ).toEqual(["eu-west-1", "us-east-1"]);
    expect(() => readSweepConfig({ AWS_REGION: "eu-west-1", PHANTOM_REGIONS: "eu-west-1,mars" })).toThrow(
      /PHANTOM_REGIONS\.1 must be regions such as eu-west-1/,
    );
  });
});

describe("createSweepRuntime", () => {
  it("reacts with the sweep's drift (no second detection) and reports the window as settled by sweep", async () => {
    const h = await buildRuntime({ start: AT });
    const { lines, log } = logs();
    const detect = async () => {
      throw new Error("the sweep's window must not be detected again");
    };
    const base = { ...h.runtime, log, reaction: { ...h.runtime.reaction, drift: { detect } } };
    const runtime = createSweepRuntime(readSweepConfig({ AWS_REGION: "eu-west-1" }), base);
    expect(runtime.targets.map((t) => t.region)).toEqual(["eu-west-1"]);
    const window = sweepWindow("payments-prod", ["AppQueue"], AT, {
      account: "111122223333",
      region: "eu-west-1",
    });

    const reaction = (await runtime.react(
      window,
      { at: AT, reason: "sweep" },
      { resources: [modified("AppQueue")], calls: 4 },
    )) as Reaction;

    expect(reaction.report.window.settledBy).toBe("sweep");
    expect(reaction.report.changes).toHaveLength(1);
    expect(reaction.report.detection.calls).toBe(4);
    expect(lines.find((l) => l.message === "window analysed")).toMatchObject({
      stack: "payments-prod",
      window: "sweep-payments-prod-20261123T060000Z",
      changes: 1,
      settledBy: "sweep",
    });
  });

  it("leaves what an unfinished window covers to the event path, through the WindowStore port", async () => {
    const h = await buildRuntime({ start: AT });
    const runtime = createSweepRuntime(readSweepConfig({ AWS_REGION: "eu-west-1" }), h.runtime);
    const place = { account: "111122223333", region: "eu-west-1" };
    expect(await runtime.openWindows({ ...place, stack: "payments-prod" })).toEqual([]);

    await h.windows.touch({
      ...place,
      stack: "payments-prod",
      event: {
        key: "e1",
        eventID: "e1",
        eventName: "SetQueueAttributes",
        eventSource: "sqs.amazonaws.com",
        eventTime: "2026-11-23T05:59:00Z",
        actor: { name: "alice", console: true },
        resources: [{ logicalId: "AppQueue", physicalId: "q", type: "AWS::SQS::Queue" }],
      },
      logicalIds: ["AppQueue"],
      now: AT,
      newId: () => "w-1",
    });

    expect(await runtime.openWindows({ ...place, stack: "payments-prod" })).toEqual(["AppQueue"]);
    expect(await runtime.openWindows({ ...place, stack: "search" })).toEqual([]);
    // The same name in another account is another stack, with no window.
    expect(await runtime.openWindows({ ...place, account: "210987654321", stack: "payments-prod" })).toEqual(
      [],
    );
  });
});

describe("processSweep across accounts and regions", () => {
  const HOME = "111111111111";
  const MEMBER = "222222222222";
  const LOCKED = "333333333333";

  /** A target whose detections take a few ticks and record how many ran at once, per account. */
  function counted(
    account: string,
    region: string,
    stacks: string[],
    running: Map<string, number>,
    peaks: Map<string, number>,
  ) {
    return {
      account,
      region,
      listStacks: async () => ({ stacks, skipped: [] }),
      drift: {
        detect: async (stack: string): Promise<StackDriftCheck> => {
          const now = (running.get(account) ?? 0) + 1;
          running.set(account, now);
          peaks.set(account, Math.max(peaks.get(account) ?? 0, now));
          peaks.set(
            "*",
            Math.max(
              peaks.get("*") ?? 0,
              [...running.values()].reduce((a, b) => a + b, 0),
            ),
          );
          await new Promise((resolve) => setTimeout(resolve, 5));
          running.set(account, (running.get(account) ?? 1) - 1);
          return { stack, detection: "complete", drift: { resources: [], calls: 1 } };
        },
      },
    } satisfies SweepTarget;
  }

  it("skips an account whose role cannot be assumed, naming it, with a metric, and sweeps the others", async () => {
    const { lines, log } = logs();
    const asked: string[] = [];
    const points: unknown[] = [];
    const running = new Map<string, number>();
    const peaks = new Map<string, number>();
    const stacks = ["a", "b", "c", "d", "e"];
    const runtime: SweepRuntime = {
      targets: [HOME, MEMBER, LOCKED].flatMap((account) =>
        ["eu-west-1", "us-east-1"].map((region) => counted(account, region, stacks, running, peaks)),
      ),
      openWindows: async () => [],
      react: async () => "never",
      reachable: async (account) => {
        asked.push(account);
        return account === LOCKED
          ? {
              ok: false,
              code: "AccessDenied",
              message: `cannot assume arn:aws:iam::${LOCKED}:role/PhantomReadOnly`,
            }
          : { ok: true };
      },
      metrics: { emit: async (p) => void points.push(...p) },
      clock: { now: () => AT },
      log,
      concurrency: 2,
      accountConcurrency: 3,
    };

    const results = await processSweep(runtime);

    // Each account asked once, whatever its number of regions.
    expect(asked.sort()).toEqual([HOME, MEMBER, LOCKED]);
    expect(
      results.map((r) => [r.account, r.region, r.summary?.counts.clean ?? null, r.unreachable ?? false]),
    ).toEqual([
      [HOME, "eu-west-1", 5, false],
      [HOME, "us-east-1", 5, false],
      [MEMBER, "eu-west-1", 5, false],
      [MEMBER, "us-east-1", 5, false],
      [LOCKED, "eu-west-1", null, true],
      [LOCKED, "us-east-1", null, true],
    ]);
    expect(results[4]?.error).toMatch(
      /^AccessDenied: cannot assume arn:aws:iam::333333333333:role\/PhantomReadOnly/,
    );
    const unreachable = lines.filter((l) => l.message === "account unreachable");
    expect(unreachable).toEqual([
      expect.objectContaining({
        level: "error",
        account: LOCKED,
        code: "AccessDenied",
        regions: ["eu-west-1", "us-east-1"],
      }),
    ]);
    expect(points).toEqual([
      {
        metric: "phantom.account.unreachable",
        type: "count",
        value: 1,
        timestamp: AT / 1000,
        tags: [`account:${LOCKED}`, "reason:accessdenied"],
      },
    ]);
    // Per account never more than `concurrency` detections at once; accounts side by side.
    expect(peaks.get(HOME)).toBe(2);
    expect(peaks.get(MEMBER)).toBe(2);
    expect(peaks.get("*")).toBe(4);
  });

  it("does not stop when the reachability check itself fails", async () => {
    const { log } = logs();
    const results = await processSweep({
      targets: [target("eu-west-1", {}, MEMBER)],
      openWindows: async () => [],
      react: async () => "never",
      reachable: async () => {
        throw new Error("STS unreachable");
      },
      clock: { now: () => AT },
      log,
      concurrency: 1,
    });
    expect(results).toEqual([
      {
        account: MEMBER,
        region: "eu-west-1",
        skipped: [],
        error: "Error: STS unreachable",
        unreachable: true,
      },
    ]);
  });

  it("walks every served account in every served region with the place's clients", async () => {
    const h = await buildRuntime({ start: AT });
    const places = createPlaces({
      reach: {
        homeAccount: HOME,
        homeRegion: "eu-west-1",
        accounts: [HOME, MEMBER],
        regions: ["eu-west-1", "us-east-1"],
        readRoleName: "PhantomReadOnly",
      },
      clock: h.runtime.clock,
    });
    const base = {
      ...h.runtime,
      places,
      at: (place: { account: string; region: string }) => ({
        directory: h.runtime.directory,
        reaction: h.runtime.reaction,
        ports: places.at(place),
      }),
    };
    const runtime = createSweepRuntime(
      readSweepConfig({ AWS_REGION: "eu-west-1", PHANTOM_REGIONS: "eu-west-1,us-east-1" }),
      base,
    );
    expect(runtime.targets.map((t) => [t.account, t.region])).toEqual([
      [HOME, "eu-west-1"],
      [HOME, "us-east-1"],
      [MEMBER, "eu-west-1"],
      [MEMBER, "us-east-1"],
    ]);
    expect(runtime.reachable).toBeDefined();
    expect(await runtime.reachable?.(HOME)).toEqual({ ok: true });
    // Without named accounts (a runtime built by hand), the home region with the function's own role.
    const single = createSweepRuntime(readSweepConfig({ AWS_REGION: "eu-west-1" }), h.runtime);
    expect(single.targets.map((t) => [t.account ?? null, t.region])).toEqual([[null, "eu-west-1"]]);
    expect(single.reachable).toBeUndefined();
  });
});

describe("the sweep's forwarding check", () => {
  const HOME = "111111111111";
  const BUS = `arn:aws:events:eu-west-1:${HOME}:event-bus/default`;
  const QUEUE = `arn:aws:sqs:eu-west-1:${HOME}:phantom-changes`;

  it("reports a region whose rules deliver nowhere, and a check that failed, and sweeps both anyway", async () => {
    const { lines, log } = logs();
    const results = await processSweep({
      targets: [
        { ...target("eu-west-1", {}, HOME), forwarding: async () => 3 },
        { ...target("ap-south-1", {}, HOME), forwarding: async () => 0 },
        {
          ...target("sa-east-1", {}, HOME),
          forwarding: async () => Promise.reject(new Error("AccessDeniedException")),
        },
      ],
      openWindows: async () => [],
      react: async () => "never",
      clock: { now: () => AT },
      log,
      concurrency: 1,
    });
    expect(results.map((r) => [r.region, r.forwarding, r.summary?.counts.stacks])).toEqual([
      ["eu-west-1", { rules: 3 }, 0],
      ["ap-south-1", { rules: 0 }, 0],
      ["sa-east-1", { error: "Error: AccessDeniedException" }, 0],
    ]);
    expect(lines.filter((l) => l.message === "region has no forwarding rule")).toEqual([
      expect.objectContaining({ level: "warn", account: HOME, region: "ap-south-1" }),
    ]);
    expect(lines.filter((l) => l.message === "forwarding not checked")).toHaveLength(1);
  });

  it("asks EventBridge for the rules targeting the Changes queue at home and the home bus elsewhere", async () => {
    const asked: { region: string; target: string }[] = [];
    const eventBridge = await startStandIn("events", (request) => {
      const body = JSON.parse(request.body) as { TargetArn: string; Limit?: number };
      const region =
        /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(request.headers.authorization))?.[1] ?? "";
      asked.push({ region, target: body.TargetArn });
      return {
        operation: String(request.headers["x-amz-target"]).replace("AWSEvents.", ""),
        reply: {
          status: 200,
          headers: { "content-type": "application/x-amz-json-1.1" },
          body: JSON.stringify({
            RuleNames: region === "eu-west-1" ? ["CloudTrailWrites1", "CloudTrailWrites2"] : [],
          }),
        },
      };
    });
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.url,
      AWS_ACCESS_KEY_ID: "home",
      AWS_SECRET_ACCESS_KEY: "home",
    });
    try {
      const h = await buildRuntime({ start: AT });
      const places = createPlaces({
        reach: {
          homeAccount: HOME,
          homeRegion: "eu-west-1",
          accounts: [HOME],
          regions: ["eu-west-1", "us-east-1"],
          readRoleName: "PhantomReadOnly",
        },
        clock: h.runtime.clock,
      });
      const runtime = createSweepRuntime(
        readSweepConfig({
          AWS_REGION: "eu-west-1",
          PHANTOM_REGIONS: "eu-west-1,us-east-1",
          PHANTOM_FORWARD_TO: BUS,
          PHANTOM_CHANGES_QUEUE_ARN: QUEUE,
        }),
        { ...h.runtime, places },
      );
      const counts = await Promise.all(runtime.targets.map((t) => t.forwarding?.()));
      expect(counts).toEqual([2, 0]);
      expect(asked).toEqual([
        { region: "eu-west-1", target: QUEUE },
        { region: "us-east-1", target: BUS },
      ]);
      expect(eventBridge.calls.get("events.ListRuleNamesByTarget")).toBe(2);
      // Without PHANTOM_FORWARD_TO (one place) nothing is checked.
      const single = createSweepRuntime(readSweepConfig({ AWS_REGION: "eu-west-1" }), {
        ...h.runtime,
        places,
      });
      expect(single.targets.every((t) => t.forwarding === undefined)).toBe(true);
    } finally {
      for (const k of ["AWS_ENDPOINT_URL_EVENTBRIDGE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await eventBridge.close();
    }
  });
});
