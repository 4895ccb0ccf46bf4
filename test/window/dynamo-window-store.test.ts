import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_WINDOW_LIMITS,
  isTruncatedRequest,
  prepareEvent,
  TRUNCATED_REQUEST_KEY,
} from "../../core/window/memory-store.ts";
import {
  createDynamoWindowStore,
  DEFAULT_WINDOW_TTL_SECONDS,
  WINDOW_TABLE,
  windowKeys,
} from "../../functions/adapters/dynamo-window-store.ts";
import { type LocalDynamo, startDynalite } from "../support/dynalite.ts";
import { windowEvent, windowStoreContract } from "./window-store.contract.ts";

let dynamo: LocalDynamo;
let pool: string[] = [];
let extra = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  // One empty table per test, created up front: enough for every test in this file.
  pool = await dynamo.createWindowTables("windows", 32);
});

afterAll(async () => {
  await dynamo?.stop();
});

const newTable = async () => pool.shift() ?? (await dynamo.createWindowTable(`windows-extra-${++extra}`));

windowStoreContract("DynamoDB (dynalite over HTTP)", async ({ limits }) =>
  createDynamoWindowStore({ client: dynamo.client, table: await newTable(), ...(limits ? { limits } : {}) }),
);

describe("DynamoDB window store items", () => {
  const T0 = Date.parse("2026-03-03T03:00:00.000Z");

  const setup = async (ttlSeconds?: number) => {
    const table = await newTable();
    const store = createDynamoWindowStore({
      client: dynamo.client,
      table,
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
    });
    const doc = DynamoDBDocumentClient.from(dynamo.client);
    let n = 0;
    const newId = () => `w-${++n}`;
    const items = async () => (await doc.send(new ScanCommand({ TableName: table }))).Items ?? [];
    const item = async (stack: string, sk: string) =>
      (
        await doc.send(
          new GetCommand({
            TableName: table,
            Key: { pk: windowKeys.stack({ account: "123456789012", region: "us-east-1", stack }), sk },
          }),
        )
      ).Item;
    return { table, store, doc, newId, items, item };
  };

  it("puts the TTL attribute (epoch seconds) on every item it writes", async () => {
    const { store, newId, items } = await setup();
    await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e1", 0),
      logicalIds: ["WebSg"],
      now: T0,
      newId,
    });
    await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e2", 1),
      logicalIds: ["WebSg"],
      now: T0 + 1,
      newId,
    });
    await store.claim({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      windowId: "w-1",
      owner: "a",
      now: T0 + 2,
      leaseMs: 1,
      maxAttempts: 2,
    });
    await store.complete({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      windowId: "w-1",
      owner: "a",
      now: T0 + 3,
    });
    await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e3", 2),
      logicalIds: [],
      now: T0 + 4,
      newId,
    });
    await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "orders",
      event: windowEvent("e1", 0),
      logicalIds: ["Queue"],
      now: T0 + 5,
      newId,
    });

    const all = await items();

    expect(all.map((i) => `${i.pk} ${i.sk} ${i.kind}`).sort()).toEqual([
      "stack#123456789012/us-east-1/orders event#e1 event",
      "stack#123456789012/us-east-1/orders head head",
      "stack#123456789012/us-east-1/orders window#w-3 window",
      "stack#123456789012/us-east-1/payments event#e1 event",
      "stack#123456789012/us-east-1/payments event#e2 event",
      "stack#123456789012/us-east-1/payments event#e3 event",
      "stack#123456789012/us-east-1/payments head head",
      "stack#123456789012/us-east-1/payments window#w-1 window",
      "stack#123456789012/us-east-1/payments window#w-2 window",
    ]);
    const base = Math.floor(T0 / 1000) + DEFAULT_WINDOW_TTL_SECONDS;
    for (const i of all) {
      expect(i[WINDOW_TABLE.ttlAttribute], `${i.pk} ${i.sk}`).toBeTypeOf("number");
      expect(i[WINDOW_TABLE.ttlAttribute]).toBeGreaterThanOrEqual(base);
      expect(i[WINDOW_TABLE.ttlAttribute]).toBeLessThanOrEqual(base + 1);
    }
  });

  it("honours ttlSeconds", async () => {
    const { store, newId, items } = await setup(3_600);
    await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e1", 0),
      logicalIds: ["WebSg"],
      now: T0,
      newId,
    });

    for (const i of await items()) expect(i[WINDOW_TABLE.ttlAttribute]).toBe(Math.floor(T0 / 1000) + 3_600);
  });

  it("stores request as JSON text, truncated with a marker past the limit", async () => {
    const { store, newId, item } = await setup();
    const big = { userData: "A".repeat(300_000) };
    await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("small", 0),
      logicalIds: ["WebSg"],
      now: T0,
      newId,
    });
    await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("big", 1, { request: big }),
      logicalIds: ["WebSg"],
      now: T0,
      newId,
    });

    const raw = await item("payments", windowKeys.window("w-1"));
    const events = raw?.events as Record<string, { request?: unknown }>;
    expect(events.small?.request).toBe(JSON.stringify(windowEvent("small", 0).request));
    const stored = events.big?.request;
    expect(typeof stored).toBe("string");
    expect(new TextEncoder().encode(stored as string).length).toBeLessThanOrEqual(
      DEFAULT_WINDOW_LIMITS.maxRequestBytes,
    );
    const parsed = JSON.parse(stored as string) as unknown;
    expect(isTruncatedRequest(parsed)).toBe(true);
    expect(parsed).toMatchObject({ [TRUNCATED_REQUEST_KEY]: true, bytes: JSON.stringify(big).length });
  });

  it("keeps a window item under 400 KB with the default limits", async () => {
    const { store, newId, items } = await setup();
    // Events that touch 300 resources each, with a request at the limit: a few fill 200 KiB of events.
    const resources = Array.from({ length: 300 }, (_, r) => ({
      logicalId: `Instance${r}`,
      physicalId: `i-0${String(r).padStart(16, "0")}`,
      type: "AWS::EC2::Instance",
    }));
    const heavy = (i: number) =>
      windowEvent(`e${i}`, i, {
        resources,
        request: { userData: "B".repeat(DEFAULT_WINDOW_LIMITS.maxRequestBytes) },
      });
    const fit = Math.floor(DEFAULT_WINDOW_LIMITS.maxEventBytes / prepareEvent(heavy(0)).bytes);
    for (let i = 0; i < fit + 2; i++) {
      await store.touch({
        account: "123456789012",
        region: "us-east-1",
        stack: "payments",
        event: heavy(i),
        logicalIds: [`R${i}`],
        now: T0 + i,
        newId,
      });
    }

    const window = await store.get(
      { account: "123456789012", region: "us-east-1", stack: "payments" },
      "w-1",
    );
    const raw = (await items()).find((i) => i.sk === windowKeys.window("w-1"));

    expect(fit).toBeGreaterThan(2);
    expect(window?.events).toHaveLength(fit);
    expect(window?.touched).toHaveLength(fit + 2);
    expect(raw?.dropped).toBe(2);
    expect(raw?.eventBytes).toBeLessThanOrEqual(DEFAULT_WINDOW_LIMITS.maxEventBytes);
    expect(JSON.stringify(raw).length).toBeLessThan(400 * 1024);
  });

  it("stays below the item limit in the worst case the limits allow", () => {
    // 500 resources per stack with 255-character logical ids in `touched`, plus a full events budget.
    const touched = 500 * (255 + 1);
    expect(DEFAULT_WINDOW_LIMITS.maxEventBytes + touched + 4 * 1024).toBeLessThan(400 * 1000);
  });

  it("finishes a touch that crashed after writing the event but before its marker", async () => {
    const { table, store, doc, newId } = await setup();
    const first = await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e1", 0),
      logicalIds: ["A"],
      now: T0,
      newId,
    });
    await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e2", 1),
      logicalIds: ["B"],
      now: T0 + 1,
      newId,
    });
    // Simulate the crash: both events are in the window, neither marker was written.
    for (const k of ["e1", "e2"]) {
      await doc.send(
        new DeleteCommand({
          TableName: table,
          Key: { pk: "stack#123456789012/us-east-1/payments", sk: windowKeys.event(k) },
        }),
      );
    }

    const retriedOpener = await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e1", 0),
      logicalIds: ["A"],
      now: T0 + 5,
      newId,
    });
    const retried = await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e2", 1),
      logicalIds: ["B"],
      now: T0 + 6,
      newId,
    });
    const again = await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e2", 1),
      logicalIds: ["B"],
      now: T0 + 7,
      newId,
    });

    // The opener's first try never returned, so its retry arms the settle timer.
    expect(first.opened).toBe(true);
    expect(retriedOpener).toMatchObject({ opened: true, duplicate: false });
    expect(retried).toMatchObject({ opened: false, duplicate: false });
    expect(again).toMatchObject({ opened: false, duplicate: true });
    expect(retried.window.events.map((e) => e.key)).toEqual(["e1", "e2"]);
  });

  it("finishes a crashed touch into the window that took the event, even once it is claimed", async () => {
    const { table, store, doc, newId, items } = await setup();
    await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e1", 0),
      logicalIds: ["A"],
      now: T0,
      newId,
    });
    await doc.send(
      new DeleteCommand({
        TableName: table,
        Key: { pk: "stack#123456789012/us-east-1/payments", sk: windowKeys.event("e1") },
      }),
    );
    await store.claim({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      windowId: "w-1",
      owner: "a",
      now: T0 + 1,
      leaseMs: 1_000,
      maxAttempts: 2,
    });

    const retried = await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e1", 0),
      logicalIds: ["A"],
      now: T0 + 2,
      newId,
    });

    expect(retried).toMatchObject({ duplicate: false });
    expect(retried.window).toMatchObject({ id: "w-1", status: "claimed" });
    expect((await items()).filter((i) => i.kind === "window").map((i) => i.windowId)).toEqual(["w-1"]);
  });

  it("creates the window a crashed opener named in the head but never wrote", async () => {
    const { table, store, doc, newId } = await setup();
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: "stack#123456789012/us-east-1/payments",
          sk: windowKeys.head,
          kind: "head",
          windowId: "w-crashed",
          generation: 1,
          expiresAt: Math.floor(T0 / 1000) + 60,
        },
      }),
    );

    const result = await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e1", 0),
      logicalIds: ["A"],
      now: T0,
      newId,
    });

    expect(result).toMatchObject({ opened: true, duplicate: false });
    expect(result.window.id).toBe("w-crashed");
  });

  it("never reuses the id of a window TTL deleted under an expired head", async () => {
    const { table, store, doc, newId } = await setup();
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: "stack#123456789012/us-east-1/payments",
          sk: windowKeys.head,
          kind: "head",
          windowId: "w-gone",
          generation: 7,
          expiresAt: 1,
        },
      }),
    );

    const next = await store.touch({
      account: "123456789012",
      region: "us-east-1",
      stack: "payments",
      event: windowEvent("e1", 1),
      logicalIds: ["A"],
      now: T0,
      newId,
    });

    expect(next).toMatchObject({ opened: true, duplicate: false });
    expect(next.window.id).toBe("w-1");
    expect(
      await store.get({ account: "123456789012", region: "us-east-1", stack: "payments" }, "w-gone"),
    ).toBeUndefined();
  });
});

describe("DynamoDB window store: windows stored before stacks had a place", () => {
  const HOME = { account: "123456789012", region: "us-east-1" };

  it("settles a home window written under stack#<name> with no account or region, and never a member's", async () => {
    const table = await newTable();
    const doc = DynamoDBDocumentClient.from(dynamo.client);
    // What the store wrote before issue 14: partition `stack#<name>`, no account, no region.
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: "stack#payments",
          sk: "window#w-old",
          kind: "window",
          stack: "payments",
          windowId: "w-old",
          status: "open",
          openedAt: 1,
          lastTouchedAt: 1,
          openedBy: "e0",
          events: {},
          eventCount: 0,
          eventBytes: 0,
          dropped: 0,
          attempts: 0,
          expiresAt: 4_000_000_000,
        },
      }),
    );
    const store = createDynamoWindowStore({ client: dynamo.client, table, legacyPlace: HOME });
    const ref = { ...HOME, stack: "payments" };
    expect(await store.get(ref, "w-old")).toMatchObject({ ...ref, id: "w-old", status: "open" });
    const claim = await store.claim({
      ...ref,
      windowId: "w-old",
      owner: "s",
      now: 10,
      leaseMs: 1000,
      maxAttempts: 2,
    });
    expect(claim).toMatchObject({ ok: true, window: { ...ref, status: "claimed" } });
    expect(await store.complete({ ...ref, windowId: "w-old", owner: "s", now: 20 })).toBe(true);
    // The same name in a member account is another stack: the old item is not its window.
    expect(await store.get({ ...ref, account: "210987654321" }, "w-old")).toBeUndefined();
    // Without the legacy place the old partition is not read at all.
    const placedOnly = createDynamoWindowStore({ client: dynamo.client, table });
    expect(await placedOnly.get(ref, "w-old")).toBeUndefined();
  });
});
