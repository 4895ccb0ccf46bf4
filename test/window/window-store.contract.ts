import { describe, expect, it } from "vitest";
import {
  DEFAULT_WINDOW_LIMITS,
  isTruncatedRequest,
  prepareEvent,
  TRUNCATED_REQUEST_KEY,
  type WindowLimits,
} from "../../core/window/memory-store.ts";
import type { Place } from "../../core/window/stack.ts";
import type { WindowStore } from "../../core/window/store.ts";
import type { WindowEvent } from "../../core/window/types.ts";

/** Builds a fresh, empty store for one test. */
export type MakeWindowStore = (options: {
  readonly limits?: WindowLimits;
}) => WindowStore | Promise<WindowStore>;

const T0 = Date.parse("2026-03-03T03:00:00.000Z");
const LEASE = 60_000;
const HOME: Place = { account: "123456789012", region: "us-east-1" };

/** A change event as on-change builds it; `minute` places its eventTime after T0. */
export function windowEvent(key: string, minute: number, extra: Partial<WindowEvent> = {}): WindowEvent {
  return {
    key,
    eventID: key,
    eventName: "AuthorizeSecurityGroupIngress",
    eventSource: "ec2.amazonaws.com",
    eventTime: new Date(T0 + minute * 60_000).toISOString(),
    region: "us-east-1",
    account: "123456789012",
    actor: {
      name: "sam@example.com",
      arn: "arn:aws:sts::123456789012:assumed-role/Admin/sam@example.com",
      console: true,
    },
    resources: [{ logicalId: "WebSg", physicalId: "sg-0abc", type: "AWS::EC2::SecurityGroup" }],
    request: {
      groupId: "sg-0abc",
      ipPermissions: { items: [{ ipProtocol: "tcp", fromPort: 22, toPort: 22 }] },
    },
    ...extra,
  };
}

/** Deterministic window ids: `<prefix>-1`, `<prefix>-2`, … */
function idsFrom(prefix: string): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

/**
 * The `WindowStore` contract (core/window/store.ts), run against every implementation: the
 * in-memory store and the DynamoDB one must give the same answers.
 */
export function windowStoreContract(name: string, makeStore: MakeWindowStore): void {
  describe(`WindowStore contract: ${name}`, () => {
    const fresh = async (limits?: WindowLimits) => {
      const store = await makeStore(limits === undefined ? {} : { limits });
      const newId = idsFrom("w");
      const touch = (
        stack: string,
        event: WindowEvent,
        now: number,
        logicalIds: readonly string[] = ["WebSg"],
        place: Place = HOME,
      ) => store.touch({ ...place, stack, event, logicalIds, now, newId });
      const claim = (stack: string, windowId: string, owner: string, now: number, maxAttempts = 2) =>
        store.claim({ ...HOME, stack, windowId, owner, now, leaseMs: LEASE, maxAttempts });
      return { store, touch, claim };
    };

    describe("places", () => {
      it("keeps one stack name in two accounts and two regions apart: four windows, four openers", async () => {
        const { store, touch } = await fresh();
        const places: Place[] = [
          HOME,
          { account: "210987654321", region: "us-east-1" },
          { account: "123456789012", region: "eu-west-1" },
          { account: "210987654321", region: "eu-west-1" },
        ];
        const results = [];
        for (const place of places)
          results.push(await touch("api-prod", windowEvent("same-key", 0), T0, ["Fn"], place));
        expect(results.map((r) => r.opened)).toEqual([true, true, true, true]);
        expect(results.map((r) => r.duplicate)).toEqual([false, false, false, false]);
        expect(new Set(results.map((r) => r.window.id)).size).toBe(4);
        for (const [i, place] of places.entries()) {
          expect(results[i]?.window).toMatchObject({ ...place, stack: "api-prod" });
          const open = await store.unfinished({ ...place, stack: "api-prod" });
          expect(open?.id).toBe(results[i]?.window.id);
        }
        expect(
          await store.get({ ...HOME, region: "ap-south-1", stack: "api-prod" }, results[0]?.window.id ?? ""),
        ).toBeUndefined();
      });
    });

    describe("touch", () => {
      it("opens a window on the first touch and joins it on the second", async () => {
        const { touch } = await fresh();

        const first = await touch("payments", windowEvent("e1", 0), T0);
        const second = await touch("payments", windowEvent("e2", 1), T0 + 1_000);

        expect(first).toMatchObject({ opened: true, duplicate: false });
        expect(first.window).toMatchObject({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          id: "w-1",
          status: "open",
          openedAt: T0,
        });
        expect(second).toMatchObject({ opened: false, duplicate: false });
        expect(second.window.id).toBe("w-1");
        expect(second.window.events.map((e) => e.key)).toEqual(["e1", "e2"]);
      });

      it("sorts events by their own eventTime, so late and out-of-order events fall in place", async () => {
        const { touch, store } = await fresh();

        await touch("payments", windowEvent("c", 5), T0);
        await touch("payments", windowEvent("a", 1), T0 + 1_000);
        await touch("payments", windowEvent("b", 3), T0 + 2_000);
        await touch("payments", windowEvent("a2", 3), T0 + 3_000);

        const window = await store.get(
          { account: "123456789012", region: "us-east-1", stack: "payments" },
          "w-1",
        );
        expect(window?.events.map((e) => e.key)).toEqual(["a", "a2", "b", "c"]);
      });

      it("merges touched logical ids: unique and sorted", async () => {
        const { touch } = await fresh();

        await touch("payments", windowEvent("e1", 0), T0, ["WebSg", "Bucket"]);
        await touch("payments", windowEvent("e2", 1), T0, ["Bucket", "ApiRole", "Bucket"]);
        const result = await touch("payments", windowEvent("e3", 2), T0, []);

        expect(result.window.touched).toEqual(["ApiRole", "Bucket", "WebSg"]);
      });

      it("says duplicate and changes nothing when a key comes again to the same window", async () => {
        const { touch, store } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);
        await touch("payments", windowEvent("e2", 1), T0 + 1_000);
        const before = await store.get(
          { account: "123456789012", region: "us-east-1", stack: "payments" },
          "w-1",
        );

        const again = await touch("payments", windowEvent("e2", 1), T0 + 5_000, ["Other"]);

        expect(again).toMatchObject({ opened: false, duplicate: true });
        expect(again.window).toEqual(before);
        expect(
          await store.get({ account: "123456789012", region: "us-east-1", stack: "payments" }, "w-1"),
        ).toEqual(before);
      });

      it("says duplicate for a key seen in an earlier window that is claimed or done", async () => {
        const { touch, claim, store } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);
        await claim("payments", "w-1", "settler", T0 + 200_000);
        const claimed = await store.get(
          { account: "123456789012", region: "us-east-1", stack: "payments" },
          "w-1",
        );

        const afterClaim = await touch("payments", windowEvent("e1", 0), T0 + 201_000);
        await store.complete({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          windowId: "w-1",
          owner: "settler",
          now: T0 + 202_000,
        });
        const afterDone = await touch("payments", windowEvent("e1", 0), T0 + 203_000);
        const next = await touch("payments", windowEvent("e2", 4), T0 + 204_000);

        expect(afterClaim).toMatchObject({ duplicate: true, opened: false });
        expect(afterClaim.window).toEqual(claimed);
        expect(afterDone).toMatchObject({ duplicate: true, opened: false });
        expect(afterDone.window.id).toBe("w-1");
        // The duplicates opened nothing: the next real event opens the second window.
        expect(next).toMatchObject({ opened: true, duplicate: false });
        expect(next.window.id).toBe("w-2");
      });

      it("opens the next window with a new id when the stack's window is claimed", async () => {
        const { touch, claim, store } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);
        await claim("payments", "w-1", "settler", T0 + 200_000);

        const next = await touch("payments", windowEvent("e2", 4), T0 + 240_000);
        const joined = await touch("payments", windowEvent("e3", 5), T0 + 300_000);

        expect(next).toMatchObject({ opened: true, duplicate: false });
        expect(next.window).toMatchObject({ id: "w-2", status: "open", openedAt: T0 + 240_000 });
        expect(next.window.events.map((e) => e.key)).toEqual(["e2"]);
        expect(joined).toMatchObject({ opened: false });
        expect(joined.window.id).toBe("w-2");
        const first = await store.get(
          { account: "123456789012", region: "us-east-1", stack: "payments" },
          "w-1",
        );
        expect(first?.status).toBe("claimed");
        expect(first?.events.map((e) => e.key)).toEqual(["e1"]);
      });

      it("opens the next window when the stack's window is done", async () => {
        const { touch, claim, store } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);
        await claim("payments", "w-1", "settler", T0 + 200_000);
        await store.complete({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          windowId: "w-1",
          owner: "settler",
          now: T0 + 210_000,
        });

        const next = await touch("payments", windowEvent("e2", 4), T0 + 240_000);

        expect(next).toMatchObject({ opened: true, duplicate: false });
        expect(next.window.id).toBe("w-2");
      });

      it("keeps stacks independent: own windows, own keys", async () => {
        const { touch, claim, store } = await fresh();

        const a = await touch("payments", windowEvent("e1", 0), T0);
        const b = await touch("orders", windowEvent("e1", 0), T0, ["Queue"]);
        await claim("payments", a.window.id, "settler", T0 + 200_000);
        const b2 = await touch("orders", windowEvent("e2", 1), T0 + 201_000, ["Queue"]);

        expect(a).toMatchObject({ opened: true, duplicate: false });
        expect(b).toMatchObject({ opened: true, duplicate: false });
        expect(b.window.stack).toBe("orders");
        expect(b2).toMatchObject({ opened: false, duplicate: false });
        expect(b2.window.id).toBe(b.window.id);
        expect(
          (await store.get({ account: "123456789012", region: "us-east-1", stack: "orders" }, b.window.id))
            ?.status,
        ).toBe("open");
        expect(
          await store.get({ account: "123456789012", region: "us-east-1", stack: "orders" }, a.window.id),
        ).toBeUndefined();
      });

      it("under 20 concurrent touches of a fresh stack: one window, one opener, every event", async () => {
        const { touch, store } = await fresh();
        const keys = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, "0")}`);

        const results = await Promise.all(
          keys.map((key, i) => touch("payments", windowEvent(key, i), T0 + i, [`R${i % 4}`])),
        );

        const ids = new Set(results.map((r) => r.window.id));
        expect(ids.size).toBe(1);
        expect(results.filter((r) => r.opened)).toHaveLength(1);
        expect(results.filter((r) => r.duplicate)).toHaveLength(0);
        const [id] = [...ids];
        const window = await store.get(
          { account: "123456789012", region: "us-east-1", stack: "payments" },
          id ?? "",
        );
        expect(window?.events.map((e) => e.key)).toEqual(keys);
        expect(window?.touched).toEqual(["R0", "R1", "R2", "R3"]);
      });

      it("under 5 concurrent deliveries of one event: one counts, the others are duplicates", async () => {
        const { touch, store } = await fresh();

        const results = await Promise.all(
          Array.from({ length: 5 }, () => touch("payments", windowEvent("e1", 0), T0)),
        );

        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(results.filter((r) => r.opened)).toHaveLength(1);
        expect(results.find((r) => r.opened)?.duplicate).toBe(false);
        const window = await store.get(
          { account: "123456789012", region: "us-east-1", stack: "payments" },
          results[0]?.window.id ?? "",
        );
        expect(window?.events.map((e) => e.key)).toEqual(["e1"]);
      });
    });

    describe("get", () => {
      it("returns what touch built", async () => {
        const { touch, store } = await fresh();
        const e1 = windowEvent("e1", 2);
        const e2 = windowEvent("e2", 1, {
          eventName: "PutBucketVersioning",
          eventSource: "s3.amazonaws.com",
          actor: { name: "root", type: "Root", console: false },
          resources: [{ logicalId: "Bucket", physicalId: "payments-bucket", type: "AWS::S3::Bucket" }],
          request: {
            bucketName: "payments-bucket",
            VersioningConfiguration: { Status: "Suspended" },
            list: [1, "x"],
          },
        });
        const {
          eventID: _id,
          region: _region,
          account: _account,
          request: _request,
          ...bare
        } = windowEvent("e3", 3);

        await touch("payments", e1, T0 + 10_000, ["WebSg"]);
        await touch("payments", e2, T0 + 20_000, ["Bucket"]);
        await touch("payments", bare, T0 + 30_000, ["WebSg"]);

        expect(
          await store.get({ account: "123456789012", region: "us-east-1", stack: "payments" }, "w-1"),
        ).toEqual({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          id: "w-1",
          status: "open",
          openedAt: T0 + 10_000,
          lastTouchedAt: T0 + 30_000,
          events: [e2, e1, bare],
          touched: ["Bucket", "WebSg"],
        });
      });

      it("returns undefined for a window that does not exist", async () => {
        const { touch, store } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);

        expect(
          await store.get({ account: "123456789012", region: "us-east-1", stack: "payments" }, "w-9"),
        ).toBeUndefined();
        expect(
          await store.get({ account: "123456789012", region: "us-east-1", stack: "orders" }, "w-1"),
        ).toBeUndefined();
      });

      it("keeps only the known event fields", async () => {
        const { touch, store } = await fresh();
        const event = { ...windowEvent("e1", 0), extra: "dropped" } as WindowEvent;

        await touch("payments", event, T0);

        const window = await store.get(
          { account: "123456789012", region: "us-east-1", stack: "payments" },
          "w-1",
        );
        expect(window?.events[0]).toEqual(windowEvent("e1", 0));
        expect(window?.events[0]).toEqual(prepareEvent(event).event);
      });
    });

    describe("unfinished", () => {
      it("is the stack's open or claimed window, and nothing once it is done or the stack has none", async () => {
        const { touch, claim, store } = await fresh();
        expect(
          await store.unfinished({ account: "123456789012", region: "us-east-1", stack: "payments" }),
        ).toBeUndefined();

        await touch("payments", windowEvent("e1", 0), T0, ["WebSg", "Db"]);
        expect(
          await store.unfinished({ account: "123456789012", region: "us-east-1", stack: "payments" }),
        ).toMatchObject({
          id: "w-1",
          status: "open",
          touched: ["Db", "WebSg"],
        });

        await claim("payments", "w-1", "settler", T0 + 200_000);
        expect(
          await store.unfinished({ account: "123456789012", region: "us-east-1", stack: "payments" }),
        ).toMatchObject({ id: "w-1", status: "claimed" });

        await store.complete({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          windowId: "w-1",
          owner: "settler",
          now: T0 + 210_000,
        });
        expect(
          await store.unfinished({ account: "123456789012", region: "us-east-1", stack: "payments" }),
        ).toBeUndefined();
        expect(
          await store.unfinished({ account: "123456789012", region: "us-east-1", stack: "orders" }),
        ).toBeUndefined();
      });
    });

    describe("claim", () => {
      it("wins once on an open window; a second claim finds it held", async () => {
        const { touch, claim } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);

        const first = await claim("payments", "w-1", "a", T0 + 200_000);
        const second = await claim("payments", "w-1", "b", T0 + 200_001);

        expect(first).toMatchObject({ ok: true, window: { status: "claimed" } });
        expect(first.ok && first.window.claim).toEqual({
          owner: "a",
          until: T0 + 200_000 + LEASE,
          attempts: 1,
        });
        expect(second).toMatchObject({ ok: false, reason: "held" });
        expect(second.window?.claim).toEqual({ owner: "a", until: T0 + 200_000 + LEASE, attempts: 1 });
      });

      it("takes over after the lease expired, and is exhausted after maxAttempts", async () => {
        const { touch, claim } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);
        const t1 = T0 + 200_000;
        await claim("payments", "w-1", "a", t1);

        const atExpiry = await claim("payments", "w-1", "b", t1 + LEASE);
        const retry = await claim("payments", "w-1", "b", t1 + LEASE + 1);
        const third = await claim("payments", "w-1", "c", t1 + 2 * LEASE + 2);

        expect(atExpiry).toMatchObject({ ok: false, reason: "held" });
        expect(retry).toMatchObject({ ok: true });
        expect(retry.ok && retry.window.claim).toEqual({
          owner: "b",
          until: t1 + 2 * LEASE + 1,
          attempts: 2,
        });
        expect(third).toMatchObject({ ok: false, reason: "exhausted" });
        expect(third.window?.claim?.attempts).toBe(2);
      });

      it("says done for a completed window and missing for an unknown one", async () => {
        const { touch, claim, store } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);
        await claim("payments", "w-1", "a", T0 + 200_000);
        await store.complete({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          windowId: "w-1",
          owner: "a",
          now: T0 + 210_000,
        });

        const done = await claim("payments", "w-1", "b", T0 + 999_000);
        const missing = await claim("payments", "w-7", "b", T0);
        const otherStack = await claim("orders", "w-1", "b", T0);

        expect(done).toMatchObject({ ok: false, reason: "done", window: { status: "done" } });
        expect(missing).toEqual({ ok: false, reason: "missing" });
        expect(otherStack).toEqual({ ok: false, reason: "missing" });
      });

      it("has exactly one winner among 5 concurrent claims", async () => {
        const { touch, claim } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);

        const results = await Promise.all(
          ["a", "b", "c", "d", "e"].map((owner) => claim("payments", "w-1", owner, T0 + 200_000)),
        );

        const winners = results.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        expect(results.filter((r) => !r.ok && r.reason === "held")).toHaveLength(4);
        const owner = winners[0]?.ok ? winners[0].window.claim?.owner : undefined;
        for (const r of results) expect(r.window?.claim?.owner).toBe(owner);
      });
    });

    describe("checkpoint", () => {
      it("records a reaction's checkpoints on the window, whatever its status, and get and claim return them", async () => {
        const { touch, claim, store } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);
        const at = { ...HOME, stack: "payments", windowId: "w-1", now: T0 + 1 };
        expect(store.checkpoint).toBeDefined();
        await store.checkpoint?.({ ...at, key: "settle.metrics", value: "done" });
        await claim("payments", "w-1", "a", T0 + 200_000);
        await store.checkpoint?.({ ...at, key: "settle.pull-request", value: '{"fingerprint":"f1"}' });
        await store.checkpoint?.({ ...at, key: "settle.pull-request", value: '{"fingerprint":"f2"}' });
        await store.complete({ ...HOME, stack: "payments", windowId: "w-1", owner: "a", now: T0 + 250_000 });
        await store.checkpoint?.({ ...at, key: "review.event", value: "done" });

        expect((await store.get({ ...HOME, stack: "payments" }, "w-1"))?.checkpoints).toEqual({
          "settle.metrics": "done",
          "settle.pull-request": '{"fingerprint":"f2"}',
          "review.event": "done",
        });
      });

      it("a claim after a crash sees what the first attempt recorded", async () => {
        const { touch, claim, store } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);
        await claim("payments", "w-1", "a", T0 + 200_000);
        await store.checkpoint?.({
          ...HOME,
          stack: "payments",
          windowId: "w-1",
          key: "settle.event",
          value: "done",
          now: T0,
        });
        const retried = await claim("payments", "w-1", "b", T0 + 200_000 + LEASE + 1);
        expect(retried.ok && retried.window.checkpoints).toEqual({ "settle.event": "done" });
      });

      it("refuses a window that does not exist", async () => {
        const { store } = await fresh();
        await expect(
          store.checkpoint?.({
            ...HOME,
            stack: "payments",
            windowId: "w-9",
            key: "settle.event",
            value: "done",
            now: T0,
          }),
        ).rejects.toThrow(/w-9/);
      });
    });

    describe("complete", () => {
      it("completes for the owner", async () => {
        const { touch, claim, store } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);
        await claim("payments", "w-1", "a", T0 + 200_000);

        const completed = await store.complete({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          windowId: "w-1",
          owner: "a",
          now: T0 + 250_000,
        });
        const repeated = await store.complete({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          windowId: "w-1",
          owner: "a",
          now: T0 + 260_000,
        });

        expect(completed).toBe(true);
        expect(repeated).toBe(true);
        expect(
          await store.get({ account: "123456789012", region: "us-east-1", stack: "payments" }, "w-1"),
        ).toMatchObject({
          status: "done",
          completedAt: T0 + 250_000,
          claim: { owner: "a", attempts: 1 },
        });
      });

      it("refuses a stale owner whose lease was taken over, an unclaimed window and a missing one", async () => {
        const { touch, claim, store } = await fresh();
        await touch("payments", windowEvent("e1", 0), T0);
        const open = await store.complete({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          windowId: "w-1",
          owner: "a",
          now: T0,
        });
        await claim("payments", "w-1", "a", T0 + 200_000);
        await claim("payments", "w-1", "b", T0 + 200_001 + LEASE);

        const stale = await store.complete({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          windowId: "w-1",
          owner: "a",
          now: T0 + 300_000,
        });
        const staleAfterDone = await (async () => {
          await store.complete({
            account: "123456789012",
            region: "us-east-1",
            stack: "payments",
            windowId: "w-1",
            owner: "b",
            now: T0 + 310_000,
          });
          return store.complete({
            account: "123456789012",
            region: "us-east-1",
            stack: "payments",
            windowId: "w-1",
            owner: "a",
            now: T0 + 320_000,
          });
        })();
        const missing = await store.complete({
          account: "123456789012",
          region: "us-east-1",
          stack: "payments",
          windowId: "w-5",
          owner: "a",
          now: T0,
        });

        expect(open).toBe(false);
        expect(stale).toBe(false);
        expect(staleAfterDone).toBe(false);
        expect(missing).toBe(false);
        expect(
          await store.get({ account: "123456789012", region: "us-east-1", stack: "payments" }, "w-1"),
        ).toMatchObject({
          status: "done",
          completedAt: T0 + 310_000,
          claim: { owner: "b", attempts: 2 },
        });
      });
    });

    describe("limits", () => {
      it("stores a small request as is and replaces a large one by a truncation marker", async () => {
        const { touch, store } = await fresh();
        const big = { policy: "x".repeat(DEFAULT_WINDOW_LIMITS.maxRequestBytes + 10), note: "é" };

        await touch("payments", windowEvent("small", 0), T0);
        await touch("payments", windowEvent("big", 1, { request: big }), T0 + 1);

        const window = await store.get(
          { account: "123456789012", region: "us-east-1", stack: "payments" },
          "w-1",
        );
        expect(window?.events[0]?.request).toEqual(windowEvent("small", 0).request);
        const request = window?.events[1]?.request;
        expect(isTruncatedRequest(request)).toBe(true);
        expect(request).toMatchObject({
          [TRUNCATED_REQUEST_KEY]: true,
          bytes: new TextEncoder().encode(JSON.stringify(big)).length,
        });
        expect(JSON.stringify(request).length).toBeLessThanOrEqual(DEFAULT_WINDOW_LIMITS.maxRequestBytes);
        expect(isTruncatedRequest(request) && request.preview.startsWith('{"policy":"xxx')).toBe(true);
      });

      it("past maxEvents accepts an event without storing it: touched and lastTouchedAt still move", async () => {
        const { touch, store } = await fresh({ ...DEFAULT_WINDOW_LIMITS, maxEvents: 2 });
        await touch("payments", windowEvent("e1", 0), T0, ["A"]);
        await touch("payments", windowEvent("e2", 1), T0 + 1_000, ["B"]);

        const third = await touch("payments", windowEvent("e3", 2), T0 + 2_000, ["C"]);
        const redelivered = await touch("payments", windowEvent("e3", 2), T0 + 3_000, ["D"]);

        expect(third).toMatchObject({ opened: false, duplicate: false });
        expect(third.window).toMatchObject({
          id: "w-1",
          lastTouchedAt: T0 + 2_000,
          touched: ["A", "B", "C"],
        });
        expect(third.window.events.map((e) => e.key)).toEqual(["e1", "e2"]);
        expect(redelivered).toMatchObject({ duplicate: true });
        expect(
          (await store.get({ account: "123456789012", region: "us-east-1", stack: "payments" }, "w-1"))
            ?.touched,
        ).toEqual(["A", "B", "C"]);
      });

      it("past maxEventBytes accepts an event without storing it", async () => {
        const size = prepareEvent(windowEvent("e1", 0)).bytes;
        const { touch } = await fresh({ ...DEFAULT_WINDOW_LIMITS, maxEventBytes: size * 2 + 5 });
        await touch("payments", windowEvent("e1", 0), T0);
        await touch("payments", windowEvent("e2", 1), T0);

        const third = await touch("payments", windowEvent("e3", 2), T0, ["Other"]);

        expect(third).toMatchObject({ duplicate: false });
        expect(third.window.events.map((e) => e.key)).toEqual(["e1", "e2"]);
        expect(third.window.touched).toEqual(["Other", "WebSg"]);
      });

      it("opens a window even when its first event does not fit", async () => {
        const { touch } = await fresh({ ...DEFAULT_WINDOW_LIMITS, maxEventBytes: 10 });

        const first = await touch("payments", windowEvent("e1", 0), T0);

        expect(first).toMatchObject({ opened: true, duplicate: false });
        expect(first.window.events).toEqual([]);
        expect(first.window.touched).toEqual(["WebSg"]);
      });
    });
  });
}
