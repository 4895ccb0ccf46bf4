import { describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../core/drift/types.ts";
import { type StackDriftCheck, type SweepPorts, sweep, sweepWindow } from "../../core/reactor/sweep.ts";
import type { Window } from "../../core/window/types.ts";

const AT = Date.parse("2026-11-23T06:00:00.000Z");

function drift(logicalId: string, status: ResourceDrift["status"]): ResourceDrift {
  return {
    logicalId,
    status,
    type: "AWS::SQS::Queue",
    differences:
      status === "MODIFIED" ? [{ path: "/DelaySeconds", type: "NOT_EQUAL", expected: 20, actual: 120 }] : [],
  };
}

function check(
  stack: string,
  resources: ResourceDrift[],
  detection: StackDriftCheck["detection"] = "complete",
) {
  return { stack, detection, drift: { resources, calls: 3 } } satisfies StackDriftCheck;
}

/** Ports over plain objects; `reacted` records every react call. */
function ports(
  checks: Record<string, StackDriftCheck | Error>,
  open: Record<string, string[]> = {},
  extra: Partial<SweepPorts<string>> = {},
) {
  const reacted: { window: Window; reason: string; ids: string[] }[] = [];
  const events: string[] = [];
  let now = AT;
  const p: SweepPorts<string> = {
    place: PLACE,
    stacks: Object.keys(checks),
    driftOfStack: async (stack) => {
      events.push(`detect:${stack}:start`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`detect:${stack}:end`);
      const c = checks[stack];
      if (c instanceof Error) throw c;
      if (c === undefined) throw new Error(`unexpected stack ${stack}`);
      return c;
    },
    openWindows: async (stack) => {
      events.push(`open:${stack}`);
      return open[stack] ?? [];
    },
    react: async (window, trigger, d) => {
      reacted.push({ window, reason: trigger.reason, ids: d.resources.map((r) => r.logicalId) });
      return `report:${window.id}`;
    },
    clock: { now: () => now },
    ...extra,
  };
  return { ports: p, reacted, events, advance: (ms: number) => (now += ms) };
}

const PLACE = { account: "111122223333", region: "eu-west-1" };

describe("sweepWindow", () => {
  it("is a synthetic window: no events, sorted unique touched ids, a sweep id", () => {
    expect(sweepWindow("payments", ["Queue", "Bucket", "Queue"], AT, PLACE)).toEqual({
      ...PLACE,
      stack: "payments",
      id: "sweep-payments-20261123T060000Z",
      status: "claimed",
      openedAt: AT,
      lastTouchedAt: AT,
      events: [],
      touched: ["Bucket", "Queue"],
    });
  });
});

describe("sweep", () => {
  it("reacts to MODIFIED and DELETED resources that no open window covers, with reason sweep", async () => {
    const { ports: p, reacted } = ports(
      {
        payments: check("payments", [
          drift("Queue", "MODIFIED"),
          drift("Bucket", "DELETED"),
          drift("Role", "IN_SYNC"),
          drift("Policy", "NOT_CHECKED"),
          drift("Topic", "MODIFIED"),
        ]),
      },
      { payments: ["Topic", "Unrelated"] },
    );
    const summary = await sweep(p);
    expect(reacted).toEqual([
      {
        window: expect.objectContaining({
          id: "sweep-payments-20261123T060000Z",
          touched: ["Bucket", "Queue"],
          events: [],
        }),
        reason: "sweep",
        ids: ["Queue", "Bucket"],
      },
    ]);
    expect(summary.outcomes).toEqual([
      {
        kind: "reacted",
        stack: "payments",
        windowId: "sweep-payments-20261123T060000Z",
        logicalIds: ["Bucket", "Queue"],
        covered: ["Topic"],
        detection: "complete",
        result: "report:sweep-payments-20261123T060000Z",
      },
    ]);
    expect(summary.counts).toEqual({ stacks: 1, reacted: 1, clean: 0, failed: 0, deferred: 0 });
  });

  it("is clean when nothing drifted, or an open window covers all of it (and then does not ask for windows needlessly)", async () => {
    const {
      ports: p,
      reacted,
      events,
    } = ports(
      {
        quiet: check("quiet", [drift("Queue", "IN_SYNC")]),
        covered: check("covered", [drift("Queue", "MODIFIED")]),
      },
      { covered: ["Queue"] },
    );
    const summary = await sweep(p);
    expect(reacted).toEqual([]);
    expect(summary.outcomes.map((o) => o.kind)).toEqual(["clean", "clean"]);
    expect(summary.outcomes[1]).toMatchObject({ covered: ["Queue"] });
    expect(events).not.toContain("open:quiet");
  });

  it("reads open windows after detection finished, so a burst that opened meanwhile keeps its resources", async () => {
    const { ports: p, events } = ports({ s: check("s", [drift("Queue", "MODIFIED")]) });
    await sweep(p);
    expect(events).toEqual(["detect:s:start", "detect:s:end", "open:s"]);
  });

  it("reports a stack whose detection or reaction fails and goes on with the others", async () => {
    const { ports: p } = ports({
      broken: new Error("DetectStackDrift failed: ValidationError: Stack is in UPDATE_IN_PROGRESS"),
      fine: check("fine", [drift("Queue", "MODIFIED")], "partial"),
    });
    const summary = await sweep({
      ...p,
      react: async (window) => {
        if (window.stack === "fine") return "ok";
        throw new Error("unreachable");
      },
    });
    expect(summary.outcomes[0]).toEqual({
      kind: "failed",
      stack: "broken",
      error: "Error: DetectStackDrift failed: ValidationError: Stack is in UPDATE_IN_PROGRESS",
    });
    expect(summary.outcomes[1]).toMatchObject({ kind: "reacted", detection: "partial", result: "ok" });

    const failing = ports({ s: check("s", [drift("Queue", "MODIFIED")]) });
    const failed = await sweep({
      ...failing.ports,
      react: async () => {
        throw new TypeError("sink down");
      },
    });
    expect(failed.outcomes).toEqual([{ kind: "failed", stack: "s", error: "TypeError: sink down" }]);
  });

  it("sweeps each stack once and never runs two detections of one stack at a time", async () => {
    const { ports: p, events } = ports({ a: check("a", []), b: check("b", []) });
    const summary = await sweep({ ...p, stacks: ["a", "b", "a", "b", "a"], concurrency: 4 });
    expect(summary.counts.stacks).toBe(2);
    expect(events.filter((e) => e === "detect:a:start")).toHaveLength(1);
    expect(events.filter((e) => e === "detect:b:start")).toHaveLength(1);
  });

  it("runs at most `concurrency` stacks at once and keeps the stacks' order in the outcomes", async () => {
    const checks = Object.fromEntries(["s1", "s2", "s3", "s4", "s5"].map((s) => [s, check(s, [])]));
    const { ports: p, events } = ports(checks);
    const summary = await sweep({ ...p, concurrency: 2 });
    let running = 0;
    let max = 0;
    for (const e of events) {
      if (e.endsWith(":start")) running += 1;
      if (e.endsWith(":end")) running -= 1;
      max = Math.max(max, running);
    }
    expect(max).toBe(2);
    expect(summary.outcomes.map((o) => o.stack)).toEqual(["s1", "s2", "s3", "s4", "s5"]);
  });

  it("defers the stacks it would start after the deadline", async () => {
    const state = ports({ a: check("a", []), b: check("b", []), c: check("c", []) });
    const summary = await sweep({
      ...state.ports,
      concurrency: 1,
      deadline: AT + 1_000,
      driftOfStack: async (stack) => {
        state.advance(600);
        return check(stack, []);
      },
    });
    expect(summary.outcomes.map((o) => o.kind)).toEqual(["clean", "clean", "deferred"]);
    expect(summary.counts.deferred).toBe(1);
  });

  it("does nothing for no stacks", async () => {
    const { ports: p } = ports({});
    const summary = await sweep(p);
    expect(summary.outcomes).toEqual([]);
    expect(summary.counts.stacks).toBe(0);
  });
});
