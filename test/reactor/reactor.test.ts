import { describe, expect, it } from "vitest";
import type { ResourceRef } from "../../core/catalog/types.ts";
import { judge } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import type { StackDirectory, StackResource } from "../../core/drift/ports.ts";
import { settle } from "../../core/reactor/settle.ts";
import { touch } from "../../core/reactor/touch.ts";
import { createMemoryWindowStore } from "../../core/window/memory-store.ts";
import type { SettleMessage } from "../../core/window/timer.ts";
import { DEFAULT_WINDOW_POLICY, type Window } from "../../core/window/types.ts";
import { SequentialIds, VirtualClock } from "../../functions/replay/virtual-time.ts";

const T0 = Date.parse("2026-03-14T03:07:00Z");
const context = catalogContext(DEFAULT_CONFIG);

function sgChange(eventID: string | undefined, at: number, groupId = "sg-0a1b2c3d4e5f60718") {
  const judgement = judge(
    {
      eventVersion: "1.09",
      ...(eventID ? { eventID } : {}),
      eventTime: new Date(at).toISOString(),
      eventSource: "ec2.amazonaws.com",
      eventName: "AuthorizeSecurityGroupIngress",
      awsRegion: "us-east-1",
      recipientAccountId: "111122223333",
      userIdentity: { type: "IAMUser", userName: "sam", arn: "arn:aws:iam::111122223333:user/sam" },
      sessionCredentialFromConsole: "true",
      requestParameters: { groupId },
    },
    context,
  );
  if (judgement.verdict !== "change")
    throw new Error(`fixture is not a change: ${JSON.stringify(judgement)}`);
  return judgement;
}

const owned: Record<string, StackResource> = {
  "sg-0a1b2c3d4e5f60718": {
    stack: "payments-prod",
    logicalId: "AppSecurityGroup",
    physicalId: "sg-0a1b2c3d4e5f60718",
    type: "AWS::EC2::SecurityGroup",
  },
  "sg-0ccccccccccccccc1": {
    stack: "search-prod",
    logicalId: "SearchSecurityGroup",
    physicalId: "sg-0ccccccccccccccc1",
    type: "AWS::EC2::SecurityGroup",
  },
};

/** A plain-object StackDirectory over a fixed table. */
const directory: StackDirectory = {
  lookup: async (ref: ResourceRef) => owned[ref.id],
};

function harness() {
  const clock = new VirtualClock(T0);
  const armed: { message: SettleMessage; at: number }[] = [];
  const timer = { arm: async (message: SettleMessage, at: number) => void armed.push({ message, at }) };
  const windows = createMemoryWindowStore();
  const ports = { directory, windows, timer, clock, ids: new SequentialIds(), policy: DEFAULT_WINDOW_POLICY };
  return { clock, armed, windows, ports };
}

describe("touch", () => {
  it("opens a window for the owning stack and arms the settle timer one quiet period later", async () => {
    const { ports, armed } = harness();

    const outcome = await touch(sgChange("e1", T0), ports);

    expect(outcome.stacks).toEqual([
      {
        account: "111122223333",
        region: "us-east-1",
        stack: "payments-prod",
        windowId: "payments-prod-w1",
        opened: true,
        duplicate: false,
      },
    ]);
    expect(armed).toEqual([
      {
        message: {
          account: "111122223333",
          region: "us-east-1",
          stack: "payments-prod",
          windowId: "payments-prod-w1",
        },
        at: T0 + DEFAULT_WINDOW_POLICY.quietMs,
      },
    ]);
  });

  it("joins the open window without re-arming, and ignores a redelivered event", async () => {
    const { ports, armed, clock, windows } = harness();
    await touch(sgChange("e1", T0), ports);
    clock.advance(T0 + 30_000);

    const second = await touch(sgChange("e2", T0 + 30_000), ports);
    const again = await touch(sgChange("e2", T0 + 30_000), ports);

    expect(second.stacks[0]).toMatchObject({ opened: false, duplicate: false });
    expect(again.stacks[0]).toMatchObject({ opened: false, duplicate: true });
    expect(armed).toHaveLength(1);
    const window = await windows.get(
      { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
      "payments-prod-w1",
    );
    expect(window?.events.map((e) => e.key)).toEqual(["e1", "e2"]);
    expect(window?.lastTouchedAt).toBe(T0 + 30_000);
  });

  it("re-arms when the window's first event is redelivered: its first delivery may have died before arming", async () => {
    const { ports, armed, clock } = harness();
    await touch(sgChange("e1", T0), ports);
    clock.advance(T0 + 50_000);

    const again = await touch(sgChange("e1", T0), ports);

    expect(again.stacks[0]).toMatchObject({ opened: false, duplicate: true });
    expect(armed.map((a) => a.at)).toEqual([T0 + 120_000, T0 + 120_000]);
  });

  it("de-duplicates records without eventID on a hash of the record", async () => {
    const { ports } = harness();

    const first = await touch(sgChange(undefined, T0), ports);
    const again = await touch(sgChange(undefined, T0), ports);

    expect(first.key).toMatch(/^sha256:/);
    expect(again.key).toBe(first.key);
    expect(again.stacks[0]?.duplicate).toBe(true);
  });

  it("reports resources no stack owns instead of dropping them", async () => {
    const { ports, armed } = harness();

    const outcome = await touch(sgChange("e9", T0, "sg-0ffffffffffffffff"), ports);

    expect(outcome.stacks).toEqual([]);
    expect(outcome.unmanaged).toEqual([{ type: "AWS::EC2::SecurityGroup", id: "sg-0ffffffffffffffff" }]);
    expect(armed).toEqual([]);
  });
});

describe("settle", () => {
  async function opened() {
    const h = harness();
    await touch(sgChange("e1", T0), h.ports);
    const message = {
      account: "111122223333",
      region: "us-east-1",
      stack: "payments-prod",
      windowId: "payments-prod-w1",
    };
    return { ...h, message };
  }

  function settlePorts(h: ReturnType<typeof harness>, reactFn: (w: Window) => Promise<string>, owner = "a") {
    return { ...h.ports, owner, react: reactFn };
  }

  it("re-arms a window that is not yet quiet for the remainder", async () => {
    const h = await opened();
    h.clock.advance(T0 + 60_000);
    await touch(sgChange("e2", T0 + 60_000), h.ports);
    h.clock.advance(T0 + DEFAULT_WINDOW_POLICY.quietMs);

    const outcome = await settle(
      h.message,
      settlePorts(h, async () => "reacted"),
    );

    expect(outcome).toEqual({
      kind: "rearmed",
      at: T0 + 60_000 + DEFAULT_WINDOW_POLICY.quietMs,
      why: "not-quiet",
    });
  });

  it("settles a quiet window once: claim, react, complete; a second reminder is skipped", async () => {
    const h = await opened();
    h.clock.advance(T0 + DEFAULT_WINDOW_POLICY.quietMs);
    const reacted: Window[] = [];
    const ports = settlePorts(h, async (w) => {
      reacted.push(w);
      return "ok";
    });

    const first = await settle(h.message, ports);
    const second = await settle(h.message, ports);

    expect(first).toMatchObject({ kind: "settled", result: "ok", completed: true });
    expect(second).toEqual({ kind: "skipped", why: "done" });
    expect(reacted.map((w) => w.id)).toEqual(["payments-prod-w1"]);
  });

  it("settles continuous churn at the max wait", async () => {
    const h = await opened();
    for (let t = T0 + 60_000; t <= T0 + DEFAULT_WINDOW_POLICY.maxWaitMs; t += 60_000) {
      h.clock.advance(t);
      await touch(sgChange(`e${t}`, t), h.ports);
    }

    const outcome = await settle(
      h.message,
      settlePorts(h, async () => "ok"),
    );

    expect(outcome).toMatchObject({ kind: "settled" });
  });

  it("retries a settle that died halfway exactly once, after the lease, and never twice", async () => {
    const h = await opened();
    h.clock.advance(T0 + DEFAULT_WINDOW_POLICY.quietMs);
    const crash = settlePorts(h, async () => {
      throw new Error("Lambda timed out");
    });

    await expect(settle(h.message, crash)).rejects.toThrow("Lambda timed out");
    const whileHeld = await settle(
      h.message,
      settlePorts(h, async () => "ok", "b"),
    );
    h.clock.advance(h.clock.now() + DEFAULT_WINDOW_POLICY.leaseMs + 1);
    await expect(settle(h.message, { ...crash, owner: "c" })).rejects.toThrow();
    h.clock.advance(h.clock.now() + DEFAULT_WINDOW_POLICY.leaseMs + 1);
    const exhausted = await settle(
      h.message,
      settlePorts(h, async () => "ok", "d"),
    );

    expect(whileHeld).toMatchObject({ kind: "rearmed", why: "claim-held" });
    expect(exhausted).toEqual({ kind: "skipped", why: "exhausted" });
  });

  it("opens the next window for events that arrive while a window is claimed", async () => {
    const h = await opened();
    h.clock.advance(T0 + DEFAULT_WINDOW_POLICY.quietMs);
    let during: Awaited<ReturnType<typeof touch>> | undefined;
    await settle(
      h.message,
      settlePorts(h, async () => {
        during = await touch(sgChange("late", T0 + DEFAULT_WINDOW_POLICY.quietMs), h.ports);
        return "ok";
      }),
    );

    expect(during?.stacks[0]).toMatchObject({ windowId: "payments-prod-w2", opened: true });
  });

  it("arms a review when the reaction asks for one, and reviews the done window once it is due", async () => {
    const h = await opened();
    h.clock.advance(T0 + DEFAULT_WINDOW_POLICY.quietMs);
    const REVIEW = T0 + 65 * 60_000;
    const reasons: string[] = [];
    const ports = {
      ...settlePorts(h, async () => "ok"),
      react: async (_w: Window, settled: { reason: string }) => {
        reasons.push(settled.reason);
        return settled.reason;
      },
      reviewAt: (result: string) => (result === "quiet" ? REVIEW : undefined),
    };

    const settled = await settle(h.message, ports);
    const review = { ...h.message, reviewAt: REVIEW };
    const early = await settle(review, ports);
    h.clock.advance(REVIEW);
    const reviewed = await settle(review, ports);

    expect(settled).toMatchObject({ kind: "settled", reviewAt: REVIEW });
    expect(h.armed.at(-2)).toEqual({ message: review, at: REVIEW });
    expect(early).toEqual({ kind: "rearmed", at: REVIEW, why: "not-quiet" });
    expect(reviewed).toMatchObject({ kind: "reviewed", result: "review" });
    expect(reasons).toEqual(["quiet", "review"]);
  });

  it("comes back to a review whose window is not done yet, after the lease", async () => {
    const h = await opened();
    h.clock.advance(T0 + 2 * 60 * 60_000);

    const outcome = await settle(
      { ...h.message, reviewAt: T0 },
      settlePorts(h, async () => "ok"),
    );

    expect(outcome).toEqual({
      kind: "rearmed",
      at: h.clock.now() + DEFAULT_WINDOW_POLICY.leaseMs,
      why: "claim-held",
    });
  });
});
