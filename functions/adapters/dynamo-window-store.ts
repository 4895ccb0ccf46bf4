/**
 * `WindowStore` on DynamoDB (AWS SDK v3), safe for concurrent Lambdas and idempotent under SQS
 * redelivery. Every write is one conditional single-item request; no transactions.
 *
 * ## Table
 *
 * One table, on-demand, key `pk` (S, partition) + `sk` (S, sort), TTL on `expiresAt` (epoch seconds,
 * set on every item). No indexes. All items of a stack share the partition `stack#<account>/<region>/<stack>`
 * (`stackKey`: `api-prod` of two accounts or regions never shares a head, a window or a marker):
 *
 * | kind     | pk              | sk               | attributes |
 * |----------|-----------------|------------------|------------|
 * | `head`   | `stack#<key>`   | `head`           | `windowId` (the stack's current window), `generation` (N, +1 per advance), `expiresAt` |
 * | `window` | `stack#<key>`   | `window#<id>`    | `account`, `region`, `stack`, `windowId`, `status` (open/claimed/done), `openedAt`, `lastTouchedAt` (epoch ms), `openedBy` (event key), `events` (M: event key ► event, its `request` as JSON text), `eventCount`, `eventBytes`, `dropped` (N), `touched` (SS), `attempts` (N), `owner`, `until` (epoch ms), `completedAt`, `checkpoints` (M: `<settle|review>.<step>` ► text, what the reaction published), `expiresAt` |
 * | `event`  | `stack#<key>`   | `event#<key>`    | `windowId` (the window that took the event), `at` (epoch ms), `token` (random, per touch), `expiresAt` |
 *
 * `expiresAt` is now + `ttlSeconds` at each write of the item: a head's at each advance, a window's at
 * each touch, claim and complete (so a window always expires after its head), a marker's when written.
 * Every item also has `kind`. {@link WINDOW_TABLE} names these for the SST app
 * (`new sst.aws.Dynamo(name, WINDOW_TABLE.sst)`) and {@link windowTableCreateInput} for CreateTable.
 *
 * Windows written before stacks had a place live under `stack#<stack>` and have no `account` or
 * `region`: with `legacyPlace` (the home account and region, the only place stacks had then), `get`,
 * `claim` and `complete` of a home stack fall back to that partition when the placed one lacks the
 * window, and read its items as the home place's, so a settle message sent before the upgrade still
 * settles its window. New touches always write the placed partition.
 *
 * ## touch
 *
 * 1. A consistent read of `event#<key>` (with the one of step 2): present ► duplicate, nothing written.
 * 2. Read `head`. None ► advance it: UpdateItem setting a new `windowId` from `newId()`, conditional
 *    on `attribute_not_exists(pk)` or on the `generation` read. Only one of concurrent advancers wins;
 *    the others re-read. The head names a window before the window exists.
 * 3. Add the event to the head's window: UpdateItem `SET events.<key> = :event, …, ADD touched :ids`,
 *    conditional on the window existing, `status = open`, `attribute_not_exists(events.<key>)` and the
 *    limits (`eventCount < :max AND eventBytes <= :room`). When that fails, a consistent read says why:
 *    - window missing ► create it with this event (PutItem, `attribute_not_exists(pk)`). The creator
 *      is the window's opener (`openedBy`); a losing creator retries from 2. (A window is written
 *      after its head and expires after it, so a missing window under a head past its `expiresAt`
 *      was deleted by TTL: then the head is advanced instead and the id never reused.)
 *    - the key is already in the window (whatever its status) ► an earlier delivery crashed before
 *      step 4 (or is running concurrently): go on to step 4 with the window as it is.
 *    - claimed or done ► advance the head (2) and retry: a stack has one open window at a time.
 *    - full ► count the event as dropped and merge its logical ids (conditional on `status = open`).
 * 4. Write `event#<key>` with `attribute_not_exists(pk)` and a random `token`. Written (or there with
 *    this touch's token: the SDK retried a write that had succeeded) ► the touch counts, `opened`
 *    when the window's `openedBy` is this key. There with another token ► another delivery won:
 *    `duplicate`.
 *
 * **Contention.** Steps 2–3 are one round; a round that lost a race (the head moved, the window was
 * claimed, another writer created it) starts again from 2. Every round after the first waits a random
 * time in `[0, min(cap, base × 2^(n−1)))` (full jitter, the house policy of functions/adapters/aws-retry.ts):
 * 64 writers on one stack whose window is claimed all lose the same race at once, and waiting the same
 * time would make them collide again. The cap stays low (250 ms) so a writer that lost often is not
 * starved by its own backoff. A touch gives up only when its time budget is spent (default 20 s,
 * {@link DEFAULT_TOUCH_CONTENTION}), never after a fixed number of rounds, so a busy stack slows its
 * writers down instead of failing them, however slow each round is. A round against DynamoDB takes
 * tens of milliseconds, so the budget is hundreds of rounds; it exists so a touch that cannot progress
 * fails its message (SQS redelivers it) within a third of the on-change function's 60 s timeout. The
 * error names the stack, the budget and the rounds. Contention cannot help a window that settles
 * faster than a writer's round (a quiet period shorter than a DynamoDB round trip): that writer starves.
 *
 * The event is in the window before its marker exists, so a crash between steps never loses it, and
 * the marker write decides which of several deliveries of one key is not the duplicate, so exactly one
 * touch per window reports `opened` (a retried crashed opener reports it, since its first try
 * never returned). Two deliveries of one key racing across a claim may both store the event (one in
 * the claimed window, one in the next); only one is reported as not duplicate.
 *
 * ## claim / complete
 *
 * `claim` is one UpdateItem conditional on `attempts < :max AND (status = open OR (status = claimed
 * AND until < :now))`, so exactly one concurrent claimer wins; when it fails, a consistent read gives
 * the reason (missing, done, held, exhausted), or shows the claim is this caller's own (an SDK retry
 * of a claim that succeeded). `complete` is conditional on `status = claimed AND owner = :owner`; a
 * repeated `complete` by the owner of a done window is `true`. Other writes are safe to retry as they
 * are: a failed condition leads to a re-read (the only imprecision: a retried write of an event past
 * the limits counts it twice as dropped).
 *
 * ## Limits
 *
 * A window item stays under the 400 KB item limit through `WindowLimits` (core/window/memory-store.ts):
 * at most 1,000 events and 200 KiB of stored events; a `request` over 8 KiB of JSON is replaced by a
 * truncation marker. Events past the limits are accepted but not stored (see `WindowLimits`).
 */
import { randomUUID } from "node:crypto";
import {
  ConditionalCheckFailedException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import {
  claimRefusal,
  compareWindowEvents,
  DEFAULT_WINDOW_LIMITS,
  type PreparedEvent,
  prepareEvent,
  sortedIds,
  type WindowLimits,
} from "../../core/window/memory-store.ts";
import {
  describeStack,
  type Place,
  type StackRef,
  samePlace,
  stackKey,
  stackRef,
} from "../../core/window/stack.ts";
import type { ClaimResult, TouchResult, WindowStore } from "../../core/window/store.ts";
import { WINDOW_STATUSES, type Window, type WindowEvent } from "../../core/window/types.ts";
import { fullJitterDelay } from "./aws-retry.ts";

/** Names of the windows table: key attributes, TTL attribute, item kinds, and its SST definition. */
export const WINDOW_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  /** TTL attribute, epoch seconds; every item has it. */
  ttlAttribute: "expiresAt",
  kinds: ["head", "window", "event"],
  /** The `sst.aws.Dynamo` arguments that create the table. */
  sst: {
    fields: { pk: "string", sk: "string" },
    primaryIndex: { hashKey: "pk", rangeKey: "sk" },
    ttl: "expiresAt",
  },
} as const;

/** Item keys of the windows table. */
export const windowKeys = {
  /** Partition of all items of a stack `(account, region, stack)`. */
  stack: (stack: StackRef): string => `stack#${stackKey(stack)}`,
  /** Partition of a stack's items written before stacks had a place. */
  legacyStack: (stack: string): string => `stack#${stack}`,
  head: "head",
  window: (windowId: string): string => `window#${windowId}`,
  event: (key: string): string => `event#${key}`,
} as const;

/** CreateTable input for the windows table (on-demand). TTL is enabled separately (UpdateTimeToLive, or SST). */
export function windowTableCreateInput(table: string): CreateTableCommandInput {
  return {
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: WINDOW_TABLE.partitionKey, AttributeType: "S" },
      { AttributeName: WINDOW_TABLE.sortKey, AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: WINDOW_TABLE.partitionKey, KeyType: "HASH" },
      { AttributeName: WINDOW_TABLE.sortKey, KeyType: "RANGE" },
    ],
    BillingMode: "PAY_PER_REQUEST",
  };
}

/** Fourteen days: SQS's longest retention, so a redelivered message still finds its event's dedupe marker. */
export const DEFAULT_WINDOW_TTL_SECONDS = 14 * 24 * 60 * 60;

/** A window store failure that is not an expected outcome (corrupt item, no convergence). */
export class WindowStoreError extends Error {
  override readonly name = "WindowStoreError";
}

/** Options of {@link createDynamoWindowStore}. */
export interface DynamoWindowStoreOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** Lifetime of every item after its last write (default {@link DEFAULT_WINDOW_TTL_SECONDS}). */
  readonly ttlSeconds?: number;
  /** Storage limits; the defaults keep items under 400 KB. */
  readonly limits?: WindowLimits;
  /** The home place: its windows stored before stacks had a place are still read (see the header). */
  readonly legacyPlace?: Place;
  /** How a touch waits out other writers (see the header, "Contention"). */
  readonly contention?: TouchContentionOptions;
}

/** How a touch that lost a race waits before its next round, and for how long it keeps trying. */
export interface TouchContentionOptions {
  /** First backoff step (the wait before round 2 is in `[0, baseMs)`). Default 5 ms. */
  readonly baseMs?: number;
  /** Cap of one backoff step. Default 250 ms: a writer that lost often still tries a few times a second. */
  readonly maxDelayMs?: number;
  /** Time one touch may spend before it gives up, its waits included. Default 20 s. */
  readonly budgetMs?: number;
  /** Jitter source in [0, 1); injected by tests. */
  readonly random?: () => number;
  /** Waits `ms` milliseconds; injected by tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A monotonic clock in milliseconds that measures the budget (not the touch's `now`). */
  readonly elapsed?: () => number;
}

export const DEFAULT_TOUCH_CONTENTION = { baseMs: 5, maxDelayMs: 250, budgetMs: 20_000 } as const;

const storedEventSchema = z.object({
  key: z.string(),
  eventID: z.string().optional(),
  eventName: z.string(),
  eventSource: z.string(),
  eventTime: z.string(),
  region: z.string().optional(),
  account: z.string().optional(),
  actor: z.object({
    name: z.string(),
    arn: z.string().optional(),
    type: z.string().optional(),
    sourceIp: z.string().optional(),
    console: z.boolean(),
  }),
  resources: z
    .array(z.object({ logicalId: z.string(), physicalId: z.string(), type: z.string() }))
    .readonly(),
  /** JSON text. */
  request: z.string().optional(),
});

const windowItemSchema = z.object({
  /** Absent on windows written before stacks had a place. */
  account: z.string().optional(),
  region: z.string().optional(),
  stack: z.string(),
  windowId: z.string(),
  status: z.enum(WINDOW_STATUSES),
  openedAt: z.number(),
  lastTouchedAt: z.number(),
  openedBy: z.string(),
  events: z.record(z.string(), storedEventSchema),
  eventCount: z.number(),
  eventBytes: z.number(),
  dropped: z.number(),
  touched: z.set(z.string()).optional(),
  attempts: z.number(),
  owner: z.string().optional(),
  until: z.number().optional(),
  completedAt: z.number().optional(),
  checkpoints: z.record(z.string(), z.string()).optional(),
});
type WindowItem = z.infer<typeof windowItemSchema>;

const headItemSchema = z.object({ windowId: z.string(), generation: z.number(), expiresAt: z.number() });
type HeadItem = z.infer<typeof headItemSchema>;

const markerItemSchema = z.object({ windowId: z.string(), at: z.number(), token: z.string().optional() });

function parse<T>(schema: z.ZodType<T>, item: Record<string, unknown>, what: string): T {
  const result = schema.safeParse(item);
  if (!result.success) throw new WindowStoreError(`unreadable ${what} item`, { cause: result.error });
  return result.data;
}

type StoredEvent = z.infer<typeof storedEventSchema>;

function eventFromItem(stored: StoredEvent): WindowEvent {
  const { request, ...rest } = stored;
  return request === undefined ? rest : { ...rest, request: JSON.parse(request) as unknown };
}

/** `ref` is the stack the item was read for: it places a window written before stacks had a place. */
function windowFromItem(item: WindowItem, ref: StackRef): Window {
  return {
    account: item.account ?? ref.account,
    region: item.region ?? ref.region,
    stack: item.stack,
    id: item.windowId,
    status: item.status,
    openedAt: item.openedAt,
    lastTouchedAt: item.lastTouchedAt,
    events: Object.values(item.events).map(eventFromItem).sort(compareWindowEvents),
    touched: sortedIds(item.touched ?? []),
    ...(item.attempts > 0 && item.owner !== undefined && item.until !== undefined
      ? { claim: { owner: item.owner, until: item.until, attempts: item.attempts } }
      : {}),
    ...(item.completedAt !== undefined ? { completedAt: item.completedAt } : {}),
    ...(item.checkpoints !== undefined ? { checkpoints: item.checkpoints } : {}),
  };
}

/** The event as the `events` map stores it: `request` as JSON text. */
function storedEvent(prepared: PreparedEvent): StoredEvent {
  const { request: _request, ...rest } = prepared.event;
  return prepared.requestJson === undefined ? rest : { ...rest, request: prepared.requestJson };
}

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === "ConditionalCheckFailedException")
  );
}

/** Runs a conditional write: `true` when it happened, `false` when its condition failed. */
async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Rounds of a claim: it only repeats when the window changed between its write and its read. */
const MAX_ROUNDS = 10;

/**
 * The rounds of one touch: `next()` waits before every round but the first (full jitter, doubling)
 * and answers `false` once the budget is spent.
 */
function contentionRounds(options: TouchContentionOptions = {}) {
  const baseMs = options.baseMs ?? DEFAULT_TOUCH_CONTENTION.baseMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_TOUCH_CONTENTION.maxDelayMs;
  const budgetMs = options.budgetMs ?? DEFAULT_TOUCH_CONTENTION.budgetMs;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const elapsed = options.elapsed ?? (() => performance.now());
  const started = elapsed();
  let rounds = 0;
  return {
    budgetMs,
    get rounds() {
      return rounds;
    },
    async next(): Promise<boolean> {
      if (rounds > 0) {
        const left = started + budgetMs - elapsed();
        if (left <= 0) return false;
        const delay = fullJitterDelay(rounds - 1, { baseMs, maxDelayMs, random });
        if (delay > 0) await sleep(Math.min(delay, left));
      }
      rounds += 1;
      return true;
    },
  };
}

/**
 * A `WindowStore` on a DynamoDB table with the schema of {@link WINDOW_TABLE} (see the file header for
 * the items and the conditions each operation writes under).
 */
export function createDynamoWindowStore(options: DynamoWindowStoreOptions): WindowStore {
  const { table } = options;
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_WINDOW_TTL_SECONDS;
  const limits = options.limits ?? DEFAULT_WINDOW_LIMITS;
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const expiresAt = (now: number): number => Math.floor(now / 1000) + ttlSeconds;
  /** A stack is its partition: `stack#<key>`, or the legacy `stack#<name>` a window was found under. */
  type Stack = StackRef & { readonly pk?: string };
  const key = (stack: Stack, sk: string) => ({ pk: stack.pk ?? windowKeys.stack(stack), sk });

  const read = async (stack: Stack, sk: string): Promise<Record<string, unknown> | undefined> => {
    const out = await doc.send(
      new GetCommand({ TableName: table, Key: key(stack, sk), ConsistentRead: true }),
    );
    return out.Item;
  };

  const readWindow = async (stack: Stack, windowId: string): Promise<WindowItem | undefined> => {
    const item = await read(stack, windowKeys.window(windowId));
    return item === undefined ? undefined : parse(windowItemSchema, item, "window");
  };

  /**
   * The partition holding `windowId` of `ref`: the placed one, or for a home stack whose window was
   * written before stacks had a place, the legacy one (when it holds the window).
   */
  const locate = async (ref: StackRef, windowId: string): Promise<Stack> => {
    const placed = stackRef(ref);
    if (options.legacyPlace === undefined || !samePlace(options.legacyPlace, ref)) return placed;
    if ((await readWindow(placed, windowId)) !== undefined) return placed;
    const legacy = { ...placed, pk: windowKeys.legacyStack(ref.stack) };
    return (await readWindow(legacy, windowId)) !== undefined ? legacy : placed;
  };

  const readHead = async (stack: Stack): Promise<HeadItem | undefined> => {
    const item = await read(stack, windowKeys.head);
    return item === undefined ? undefined : parse(headItemSchema, item, "head");
  };

  /** The outcome of a touch whose key another delivery recorded. */
  const markerOf = async (stack: Stack, eventKey: string) => {
    const item = await read(stack, windowKeys.event(eventKey));
    return item === undefined ? undefined : parse(markerItemSchema, item, "event");
  };

  const duplicateOf = async (
    stack: Stack,
    now: number,
    marker: z.infer<typeof markerItemSchema>,
  ): Promise<TouchResult> => {
    const window = await readWindow(stack, marker.windowId);
    return {
      // The window can only be gone once TTL deleted it (weeks later): say so with an empty done window.
      window:
        window === undefined
          ? {
              ...stackRef(stack),
              id: marker.windowId,
              status: "done",
              openedAt: marker.at,
              lastTouchedAt: marker.at,
              events: [],
              touched: [],
              completedAt: now,
            }
          : windowFromItem(window, stack),
      opened: false,
      duplicate: true,
    };
  };

  /** Moves the head to a fresh window id, unless another writer moved it since `head` was read. */
  const advanceHead = (stack: Stack, head: HeadItem | undefined, windowId: string, now: number) =>
    conditional(() =>
      doc.send(
        new UpdateCommand({
          TableName: table,
          Key: key(stack, windowKeys.head),
          UpdateExpression:
            "SET #kind = :kind, #windowId = :windowId, #generation = :generation, #exp = :exp",
          ConditionExpression: head === undefined ? "attribute_not_exists(#pk)" : "#generation = :read",
          ExpressionAttributeNames: {
            "#kind": "kind",
            "#windowId": "windowId",
            "#generation": "generation",
            "#exp": WINDOW_TABLE.ttlAttribute,
            ...(head === undefined ? { "#pk": WINDOW_TABLE.partitionKey } : {}),
          },
          ExpressionAttributeValues: {
            ":kind": "head",
            ":windowId": windowId,
            ":generation": (head?.generation ?? 0) + 1,
            ":exp": expiresAt(now),
            ...(head === undefined ? {} : { ":read": head.generation }),
          },
        }),
      ),
    );

  const touchedUpdate = (
    ids: ReadonlySet<string>,
  ): { expression: string; names: Record<string, string>; values: Record<string, unknown> } =>
    ids.size === 0
      ? { expression: "", names: {}, values: {} }
      : { expression: " ADD #touched :ids", names: { "#touched": "touched" }, values: { ":ids": ids } };

  return {
    async touch(input): Promise<TouchResult> {
      const { event, logicalIds, now, newId } = input;
      const stack = stackRef(input);
      const eventKey = event.key;
      if (eventKey.length === 0) throw new WindowStoreError("window event key must not be empty");
      // The head is read with the marker to save a round trip; it is only a hint (writes are conditional).
      const [seen, firstHead] = await Promise.all([markerOf(stack, eventKey), readHead(stack)]);
      if (seen !== undefined) return duplicateOf(stack, now, seen);
      // Tells this touch's marker from another delivery's when the SDK retries a write that succeeded.
      const token = randomUUID();

      const prepared = prepareEvent(event, limits);
      const ids = new Set(logicalIds);
      const touched = touchedUpdate(ids);

      /** Step 4: the marker decides which delivery of the key counts. */
      const finish = async (item: WindowItem): Promise<TouchResult> => {
        const written = await conditional(() =>
          doc.send(
            new PutCommand({
              TableName: table,
              Item: {
                ...key(stack, windowKeys.event(eventKey)),
                kind: "event",
                windowId: item.windowId,
                at: now,
                token,
                [WINDOW_TABLE.ttlAttribute]: expiresAt(now),
              },
              ConditionExpression: "attribute_not_exists(#pk)",
              ExpressionAttributeNames: { "#pk": WINDOW_TABLE.partitionKey },
            }),
          ),
        );
        const marker = written ? undefined : await markerOf(stack, eventKey);
        if (written || marker?.token === token) {
          return {
            window: windowFromItem(item, stack),
            opened: item.openedBy === eventKey,
            duplicate: false,
          };
        }
        if (marker === undefined) throw new WindowStoreError(`event marker ${eventKey} vanished`);
        return duplicateOf(stack, now, marker);
      };

      const rounds = contentionRounds(options.contention);
      while (await rounds.next()) {
        const head = rounds.rounds === 1 ? firstHead : await readHead(stack);
        if (head === undefined) {
          await advanceHead(stack, head, newId(), now);
          continue;
        }
        const { windowId } = head;

        // Step 3: add the event to the head's window.
        try {
          const out = await doc.send(
            new UpdateCommand({
              TableName: table,
              Key: key(stack, windowKeys.window(windowId)),
              UpdateExpression: `SET #events.#key = :event, #last = :now, #exp = :exp, #count = #count + :one, #bytes = #bytes + :bytes${touched.expression}`,
              ConditionExpression:
                "attribute_exists(#pk) AND #status = :open AND attribute_not_exists(#events.#key) AND #count < :maxEvents AND #bytes <= :room",
              ExpressionAttributeNames: {
                "#pk": WINDOW_TABLE.partitionKey,
                "#status": "status",
                "#events": "events",
                "#key": eventKey,
                "#last": "lastTouchedAt",
                "#exp": WINDOW_TABLE.ttlAttribute,
                "#count": "eventCount",
                "#bytes": "eventBytes",
                ...touched.names,
              },
              ExpressionAttributeValues: {
                ":event": storedEvent(prepared),
                ":now": now,
                ":exp": expiresAt(now),
                ":one": 1,
                ":bytes": prepared.bytes,
                ":open": "open",
                ":maxEvents": limits.maxEvents,
                ":room": limits.maxEventBytes - prepared.bytes,
                ...touched.values,
              },
              ReturnValues: "ALL_NEW",
            }),
          );
          return await finish(parse(windowItemSchema, out.Attributes ?? {}, "window"));
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }

        const window = await readWindow(stack, windowId);
        if (window === undefined && head.expiresAt * 1000 <= now) {
          // The head outlived its window (TTL deleted it; windows expire after their head): never reuse the id.
          await advanceHead(stack, head, newId(), now);
          continue;
        }
        if (window === undefined) {
          const fits = limits.maxEvents >= 1 && prepared.bytes <= limits.maxEventBytes;
          const item: WindowItem = {
            ...stack,
            windowId,
            status: "open",
            openedAt: now,
            lastTouchedAt: now,
            openedBy: eventKey,
            events: fits ? { [eventKey]: storedEvent(prepared) } : {},
            eventCount: fits ? 1 : 0,
            eventBytes: fits ? prepared.bytes : 0,
            dropped: fits ? 0 : 1,
            attempts: 0,
            ...(ids.size > 0 ? { touched: ids } : {}),
          };
          const created = await conditional(() =>
            doc.send(
              new PutCommand({
                TableName: table,
                Item: {
                  ...key(stack, windowKeys.window(windowId)),
                  kind: "window",
                  ...item,
                  [WINDOW_TABLE.ttlAttribute]: expiresAt(now),
                },
                ConditionExpression: "attribute_not_exists(#pk)",
                ExpressionAttributeNames: { "#pk": WINDOW_TABLE.partitionKey },
              }),
            ),
          );
          if (created) return await finish(item);
          continue;
        }
        // Already there (whatever the window's status now): a crashed or concurrent delivery stored it.
        if (window.events[eventKey] !== undefined) return await finish(window);
        if (window.status !== "open") {
          await advanceHead(stack, head, newId(), now);
          continue;
        }
        const full =
          window.eventCount >= limits.maxEvents || window.eventBytes > limits.maxEventBytes - prepared.bytes;
        if (!full) continue;

        try {
          const out = await doc.send(
            new UpdateCommand({
              TableName: table,
              Key: key(stack, windowKeys.window(windowId)),
              UpdateExpression: `SET #last = :now, #exp = :exp, #dropped = #dropped + :one${touched.expression}`,
              ConditionExpression:
                "attribute_exists(#pk) AND #status = :open AND attribute_not_exists(#events.#key)",
              ExpressionAttributeNames: {
                "#pk": WINDOW_TABLE.partitionKey,
                "#status": "status",
                "#events": "events",
                "#key": eventKey,
                "#last": "lastTouchedAt",
                "#exp": WINDOW_TABLE.ttlAttribute,
                "#dropped": "dropped",
                ...touched.names,
              },
              ExpressionAttributeValues: {
                ":now": now,
                ":exp": expiresAt(now),
                ":one": 1,
                ":open": "open",
                ...touched.values,
              },
              ReturnValues: "ALL_NEW",
            }),
          );
          return await finish(parse(windowItemSchema, out.Attributes ?? {}, "window"));
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
      throw new WindowStoreError(
        `touch of stack ${describeStack(stack)} did not converge within ${rounds.budgetMs} ms (${rounds.rounds} rounds): other writers kept moving its window`,
      );
    },

    async get(ref, windowId) {
      const stack = await locate(ref, windowId);
      const item = await readWindow(stack, windowId);
      return item === undefined ? undefined : windowFromItem(item, stack);
    },

    async unfinished(ref) {
      const stack = stackRef(ref);
      const head = await readHead(stack);
      if (head === undefined) return undefined;
      const item = await readWindow(stack, head.windowId);
      const window = item === undefined ? undefined : windowFromItem(item, stack);
      return window === undefined || window.status === "done" ? undefined : window;
    },

    async claim(input): Promise<ClaimResult> {
      const { windowId, owner, now, leaseMs, maxAttempts } = input;
      const stack = await locate(input, windowId);
      for (let round = 0; round < MAX_ROUNDS; round++) {
        try {
          const out = await doc.send(
            new UpdateCommand({
              TableName: table,
              Key: key(stack, windowKeys.window(windowId)),
              UpdateExpression:
                "SET #status = :claimed, #owner = :owner, #until = :until, #attempts = #attempts + :one, #exp = :exp",
              ConditionExpression:
                "attribute_exists(#pk) AND #attempts < :max AND (#status = :open OR (#status = :claimed AND #until < :now))",
              ExpressionAttributeNames: {
                "#pk": WINDOW_TABLE.partitionKey,
                "#status": "status",
                "#owner": "owner",
                "#until": "until",
                "#attempts": "attempts",
                "#exp": WINDOW_TABLE.ttlAttribute,
              },
              ExpressionAttributeValues: {
                ":claimed": "claimed",
                ":open": "open",
                ":owner": owner,
                ":until": now + leaseMs,
                ":one": 1,
                ":max": maxAttempts,
                ":now": now,
                ":exp": expiresAt(now),
              },
              ReturnValues: "ALL_NEW",
            }),
          );
          return {
            ok: true,
            window: windowFromItem(parse(windowItemSchema, out.Attributes ?? {}, "window"), stack),
          };
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
        const item = await readWindow(stack, windowId);
        const window = item === undefined ? undefined : windowFromItem(item, stack);
        // The SDK retried a claim whose first try succeeded: the claim is ours.
        if (
          window?.status === "claimed" &&
          window.claim?.owner === owner &&
          window.claim.until === now + leaseMs
        ) {
          return { ok: true, window };
        }
        const reason = claimRefusal(window, now, maxAttempts);
        // No reason: the window changed between the write and the read (it was just created): try again.
        if (reason !== undefined) return { ok: false, reason, ...(window !== undefined ? { window } : {}) };
      }
      throw new WindowStoreError(
        `claim of window ${windowId} of stack ${describeStack(stack)} did not converge`,
      );
    },

    async complete(input) {
      const { windowId, owner, now } = input;
      const stack = await locate(input, windowId);
      const done = await conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(stack, windowKeys.window(windowId)),
            UpdateExpression: "SET #status = :done, #completedAt = :now, #exp = :exp",
            ConditionExpression: "#status = :claimed AND #owner = :owner",
            ExpressionAttributeNames: {
              "#status": "status",
              "#completedAt": "completedAt",
              "#owner": "owner",
              "#exp": WINDOW_TABLE.ttlAttribute,
            },
            ExpressionAttributeValues: {
              ":done": "done",
              ":claimed": "claimed",
              ":owner": owner,
              ":now": now,
              ":exp": expiresAt(now),
            },
          }),
        ),
      );
      if (done) return true;
      const window = await readWindow(stack, windowId);
      return window?.status === "done" && window.owner === owner;
    },

    async checkpoint(input) {
      const { windowId, key: name, value } = input;
      const stack = await locate(input, windowId);
      const update = (expression: string, condition: string, values: Record<string, unknown>) =>
        conditional(() =>
          doc.send(
            new UpdateCommand({
              TableName: table,
              Key: key(stack, windowKeys.window(windowId)),
              UpdateExpression: expression,
              ConditionExpression: `attribute_exists(#pk) AND ${condition}`,
              ExpressionAttributeNames: {
                "#pk": WINDOW_TABLE.partitionKey,
                "#cp": "checkpoints",
                ...(expression.includes("#k") ? { "#k": name } : {}),
              },
              ExpressionAttributeValues: values,
            }),
          ),
        );
      // `checkpoints` is a map attribute: one key set in it, or the map created with its first key.
      for (let round = 0; round < 3; round++) {
        if (await update("SET #cp.#k = :v", "attribute_exists(#cp)", { ":v": value })) return;
        if (await update("SET #cp = :map", "attribute_not_exists(#cp)", { ":map": { [name]: value } }))
          return;
      }
      throw new WindowStoreError(
        `checkpoint ${name} of window ${windowId} of stack ${describeStack(stack)}: no such window`,
      );
    },
  };
}
