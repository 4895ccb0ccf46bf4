import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftReport, ResourceDrift } from "../../core/drift/types.ts";
import type { StackDriftCheck } from "../../core/reactor/sweep.ts";
import { sweepWindow } from "../../core/reactor/sweep.ts";
import type { WindowEvent } from "../../core/window/types.ts";
import { createDynamoWindowStore } from "../../functions/adapters/dynamo-window-store.ts";
import { jsonLogger } from "../../functions/log.ts";
import {
  createOpenWindowLookup,
  createSweepRuntime,
  knownDrift,
  processSweep,
  readSweepConfig,
  SweepConfigError,
  type SweepRuntime,
  type SweepTarget,
} from "../../functions/on-sweep.ts";
import { createRuntime, readRuntimeConfig } from "../../functions/runtime.ts";
import { type LocalDynamo, startDynalite } from "../support/dynalite.ts";

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
      openWindows: async (stack) => (stack === "payments" ? ["Dlq"] : []),
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
      { stack: "payments", windowId: "sweep-payments-20261123T060000Z", reason: "sweep", ids: ["Queue"] },
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
  it("defaults to the function's region and the default read role", () => {
    expect(readSweepConfig({ AWS_REGION: "eu-west-1" })).toEqual({
      regions: ["eu-west-1"],
      memberAccounts: [],
      readRoleName: "PhantomReadOnly",
      filter: {},
      concurrency: 2,
    });
  });

  it("reads regions, accounts and the stack filters the app sets", () => {
    expect(
      readSweepConfig({
        AWS_REGION: "eu-west-1",
        PHANTOM_REGIONS: "eu-west-1,us-east-1",
        PHANTOM_MEMBER_ACCOUNTS: "111111111111",
        PHANTOM_READ_ROLE_NAME: "Reader",
        PHANTOM_STACK_PREFIX: "payments-",
        PHANTOM_STACK_TAG: "owner=team=payments",
        PHANTOM_SWEEP_CONCURRENCY: "3",
      }),
    ).toEqual({
      regions: ["eu-west-1", "us-east-1"],
      memberAccounts: ["111111111111"],
      readRoleName: "Reader",
      filter: { prefix: "payments-", tag: { key: "owner", value: "team=payments" } },
      concurrency: 3,
    });
    expect(readSweepConfig({ AWS_REGION: "eu-west-1", PHANTOM_STACK_TAG: "managed" }).filter).toEqual({
      tag: { key: "managed" },
    });
  });

  it("reports every problem at once", () => {
    const read = () => readSweepConfig({ PHANTOM_REGIONS: "moon", PHANTOM_MEMBER_ACCOUNTS: "1" });
    expect(read).toThrow(SweepConfigError);
    expect(read).toThrow(/AWS_REGION.*PHANTOM_REGIONS.*PHANTOM_MEMBER_ACCOUNTS/s);
  });
});

describe("knownDrift", () => {
  it("answers from the sweep's results: the asked ids only, with the sweep's call count", async () => {
    const report: DriftReport = { resources: [modified("A"), modified("B")], calls: 7 };
    expect(await knownDrift(report).detect("s", ["B"])).toEqual({ resources: [modified("B")], calls: 7 });
  });
});

describe("createSweepRuntime", () => {
  it("reacts with the sweep's drift (no second detection) and reports the window as settled by sweep", async () => {
    const env = {
      AWS_REGION: "eu-west-1",
      PHANTOM_WINDOWS_TABLE: "phantom-windows",
      PHANTOM_SETTLE_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/settle",
    };
    const { lines, log } = logs();
    const base = { ...createRuntime(readRuntimeConfig(env)), log };
    const runtime = createSweepRuntime(readSweepConfig(env), base, env);
    expect(runtime.targets.map((t) => t.region)).toEqual(["eu-west-1"]);
    const window = sweepWindow("payments", ["Queue"], AT);
    const report = (await runtime.react(
      window,
      { at: AT, reason: "sweep" },
      { resources: [modified("Queue")], calls: 4 },
    )) as { window: { settledBy: string }; changes: unknown[]; detection: { calls: number } };
    expect(report.window.settledBy).toBe("sweep");
    expect(report.changes).toHaveLength(1);
    expect(report.detection.calls).toBe(4);
    expect(lines.find((l) => l.message === "window analysed")).toMatchObject({
      stack: "payments",
      window: "sweep-payments-20261123T060000Z",
      changes: 1,
    });
  });

  it("says it skips member accounts until assuming the read role is wired", () => {
    const env = {
      AWS_REGION: "eu-west-1",
      PHANTOM_WINDOWS_TABLE: "t",
      PHANTOM_SETTLE_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/settle",
      PHANTOM_MEMBER_ACCOUNTS: "111111111111",
    };
    const { lines, log } = logs();
    createSweepRuntime(readSweepConfig(env), { ...createRuntime(readRuntimeConfig(env)), log }, env);
    expect(lines).toEqual([
      expect.objectContaining({ level: "warn", accounts: ["111111111111"], role: "PhantomReadOnly" }),
    ]);
  });
});

describe("createOpenWindowLookup (dynalite over HTTP)", () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });

  const event = (key: string): WindowEvent => ({
    key,
    eventID: key,
    eventName: "SetQueueAttributes",
    eventSource: "sqs.amazonaws.com",
    eventTime: "2026-11-23T05:59:00Z",
    actor: { name: "alice", console: true },
    resources: [{ logicalId: "Queue", physicalId: "q", type: "AWS::SQS::Queue" }],
  });

  it("covers the touched ids of the stack's open or claimed window, and nothing once it is done", async () => {
    const table = await dynamo.createWindowTable("sweep-windows");
    const windows = createDynamoWindowStore({ client: dynamo.client, table });
    const lookup = createOpenWindowLookup({ client: dynamo.client, table, windows });
    expect(await lookup("payments")).toEqual([]);

    await windows.touch({
      stack: "payments",
      event: event("e1"),
      logicalIds: ["Queue"],
      now: AT,
      newId: () => "w-1",
    });
    expect(await lookup("payments")).toEqual(["Queue"]);
    expect(await lookup("search")).toEqual([]);

    const claim = await windows.claim({
      stack: "payments",
      windowId: "w-1",
      owner: "t",
      now: AT,
      leaseMs: 60_000,
      maxAttempts: 2,
    });
    expect(claim.ok).toBe(true);
    expect(await lookup("payments")).toEqual(["Queue"]);
    await windows.complete({ stack: "payments", windowId: "w-1", owner: "t", now: AT });
    expect(await lookup("payments")).toEqual([]);
  });
});
