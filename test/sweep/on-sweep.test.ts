import { describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../core/drift/types.ts";
import type { Reaction } from "../../core/reactor/react.ts";
import type { StackDriftCheck } from "../../core/reactor/sweep.ts";
import { sweepWindow } from "../../core/reactor/sweep.ts";
import { jsonLogger } from "../../functions/log.ts";
import {
  createSweepRuntime,
  processSweep,
  readSweepConfig,
  SweepConfigError,
  type SweepRuntime,
  type SweepTarget,
} from "../../functions/on-sweep.ts";
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
    });
  });

  it("reads the stack filters and concurrency the app sets", () => {
    expect(
      readSweepConfig({
        AWS_REGION: "eu-west-1",
        PHANTOM_STACK_PREFIX: "payments-",
        PHANTOM_STACK_TAG: "owner=team=payments",
        PHANTOM_SWEEP_CONCURRENCY: "3",
      }),
    ).toEqual({
      regions: ["eu-west-1"],
      filter: { prefix: "payments-", tag: { key: "owner", value: "team=payments" } },
      concurrency: 3,
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
