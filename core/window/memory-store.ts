import type { Actor } from "../change/actor.ts";
import { type StackRef, stackKey } from "./stack.ts";
import type { ClaimResult, TouchResult, WindowStore } from "./store.ts";
import type { Claim, TouchedResource, Window, WindowEvent, WindowStatus } from "./types.ts";

/**
 * The in-memory `WindowStore` (replay and tests), and the rules every `WindowStore` shares: how an
 * event is stored (its `request` as JSON text, truncated past a size), how many events a window keeps,
 * and in which order they come back. The DynamoDB adapter imports these rules, so the two stores
 * behave the same (the shared contract suite in `test/window/` checks it).
 */

/**
 * Bounds on what a window stores, so its DynamoDB item stays under the 400 KB item limit
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items).
 *
 * Past either bound an event is still accepted but not stored in the window: its logical ids are
 * still merged into `touched`, `lastTouchedAt` still moves, its key is still remembered (a redelivery
 * is a duplicate) and the window counts it as dropped. Drift detection, which works from `touched`,
 * is unaffected; only the dropped event's who/when detail is missing from the analysis.
 */
export interface WindowLimits {
  /** Most events one window stores. */
  readonly maxEvents: number;
  /** Most bytes (UTF-8 of the stored form, see {@link prepareEvent}) all stored events of a window take. */
  readonly maxEventBytes: number;
  /** Largest `request` (UTF-8 of its JSON text) stored as is; a larger one is replaced by a {@link TruncatedRequest}. */
  readonly maxRequestBytes: number;
}

/**
 * 1,000 events, 200 KiB of events and 8 KiB per request. The 200 KiB leaves room in a 400 KB item for
 * `touched` (at most 500 resources per stack × 255-character logical ids ≈ 128 KB) and bookkeeping.
 */
export const DEFAULT_WINDOW_LIMITS: WindowLimits = {
  maxEvents: 1_000,
  maxEventBytes: 200 * 1024,
  maxRequestBytes: 8 * 1024,
};

/** The key that marks a `request` too large to keep: the object holding it replaces the request. */
export const TRUNCATED_REQUEST_KEY = "phantom:truncated";

/** What a window keeps of a request larger than `maxRequestBytes`: its size and the start of its JSON text. */
export interface TruncatedRequest {
  readonly [TRUNCATED_REQUEST_KEY]: true;
  /** UTF-8 bytes of the original request's JSON text (0 when it could not be serialised). */
  readonly bytes: number;
  /** The first characters of the original JSON text (not valid JSON on its own). */
  readonly preview: string;
}

/** True when a stored `request` is the marker of a truncated one. */
export function isTruncatedRequest(request: unknown): request is TruncatedRequest {
  return typeof request === "object" && request !== null && TRUNCATED_REQUEST_KEY in request;
}

const encoder = new TextEncoder();

/** UTF-8 length of a string, in bytes. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** Cuts `text` to at most `chars` UTF-16 units without splitting a surrogate pair. */
function head(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const code = text.charCodeAt(chars - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? chars - 1 : chars);
}

/**
 * The JSON text a window stores for a request: the request itself when its JSON is at most
 * `maxBytes` long, else a {@link TruncatedRequest} (itself at most `maxBytes`). `undefined` stays absent.
 */
export function encodeRequest(request: unknown, maxBytes: number): string | undefined {
  if (request === undefined) return undefined;
  const json = jsonOf(request);
  const bytes = json === undefined ? 0 : utf8Bytes(json);
  if (json !== undefined && bytes <= maxBytes) return json;
  let chars = Math.max(0, Math.floor(maxBytes / 4));
  for (;;) {
    const marker = JSON.stringify({ [TRUNCATED_REQUEST_KEY]: true, bytes, preview: head(json ?? "", chars) });
    if (utf8Bytes(marker) <= maxBytes || chars === 0) return marker;
    chars = Math.floor(chars / 2);
  }
}

/** An event in the form a window stores it, with its size. */
export interface PreparedEvent {
  /** The event as `get` returns it: known fields only, `request` round-tripped through its stored JSON. */
  readonly event: WindowEvent;
  /** The stored JSON text of `request`, when the event has one. */
  readonly requestJson?: string;
  /** UTF-8 bytes of the stored form (the event with `request` as JSON text), counted against `maxEventBytes`. */
  readonly bytes: number;
}

function actorOf(actor: Actor): Actor {
  return {
    name: actor.name,
    ...(actor.arn !== undefined ? { arn: actor.arn } : {}),
    ...(actor.type !== undefined ? { type: actor.type } : {}),
    ...(actor.sourceIp !== undefined ? { sourceIp: actor.sourceIp } : {}),
    console: actor.console,
  };
}

function resourceOf(resource: TouchedResource): TouchedResource {
  return { logicalId: resource.logicalId, physicalId: resource.physicalId, type: resource.type };
}

/**
 * Normalises an event to its stored form: known fields only (unknown ones are dropped, absent
 * optional ones stay absent) and `request` as JSON text, truncated past `limits.maxRequestBytes`.
 * Both stores keep exactly this, so what `get` returns does not depend on the store.
 */
export function prepareEvent(
  event: WindowEvent,
  limits: WindowLimits = DEFAULT_WINDOW_LIMITS,
): PreparedEvent {
  const requestJson = encodeRequest(event.request, limits.maxRequestBytes);
  const base = {
    key: event.key,
    ...(event.eventID !== undefined ? { eventID: event.eventID } : {}),
    eventName: event.eventName,
    eventSource: event.eventSource,
    eventTime: event.eventTime,
    ...(event.region !== undefined ? { region: event.region } : {}),
    ...(event.account !== undefined ? { account: event.account } : {}),
    actor: actorOf(event.actor),
    resources: event.resources.map(resourceOf),
  };
  const stored = requestJson === undefined ? base : { ...base, request: requestJson };
  return {
    event: requestJson === undefined ? base : { ...base, request: JSON.parse(requestJson) as unknown },
    ...(requestJson === undefined ? {} : { requestJson }),
    bytes: utf8Bytes(JSON.stringify(stored)),
  };
}

function timeOf(event: WindowEvent): number {
  const ms = Date.parse(event.eventTime);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Window order: by `eventTime` (unparseable times last), then by its text, then by key. */
export function compareWindowEvents(a: WindowEvent, b: WindowEvent): number {
  const ta = timeOf(a);
  const tb = timeOf(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareText(a.eventTime, b.eventTime) || compareText(a.key, b.key);
}

/** Sorted (code-unit order), unique logical ids. */
export function sortedIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort(compareText);
}

/** Why a claim failed, from the window as it stands: the same order in every store. */
export function claimRefusal(
  window: Window | undefined,
  now: number,
  maxAttempts: number,
): "missing" | "done" | "held" | "exhausted" | undefined {
  if (window === undefined) return "missing";
  if (window.status === "done") return "done";
  const attempts = window.claim?.attempts ?? 0;
  if (window.status === "claimed" && window.claim !== undefined && window.claim.until >= now) return "held";
  if (attempts >= maxAttempts) return "exhausted";
  return undefined;
}

interface WindowState extends StackRef {
  readonly id: string;
  status: WindowStatus;
  readonly openedAt: number;
  lastTouchedAt: number;
  readonly events: Map<string, WindowEvent>;
  eventBytes: number;
  /** Accepted events past the limits: counted, not stored. */
  dropped: number;
  readonly touched: Set<string>;
  claim?: Claim;
  completedAt?: number;
  checkpoints?: Record<string, string>;
}

interface StackState {
  /** The stack's current window (open, or claimed/done until the next touch opens another). */
  current?: string;
  readonly windows: Map<string, WindowState>;
  /** Event key ► the window that took it. */
  readonly seen: Map<string, string>;
}

function snapshot(state: WindowState): Window {
  return {
    account: state.account,
    region: state.region,
    stack: state.stack,
    id: state.id,
    status: state.status,
    openedAt: state.openedAt,
    lastTouchedAt: state.lastTouchedAt,
    events: [...state.events.values()].sort(compareWindowEvents),
    touched: sortedIds(state.touched),
    ...(state.claim !== undefined ? { claim: { ...state.claim } } : {}),
    ...(state.completedAt !== undefined ? { completedAt: state.completedAt } : {}),
    ...(state.checkpoints !== undefined ? { checkpoints: { ...state.checkpoints } } : {}),
  };
}

/** Options of {@link createMemoryWindowStore}. */
export interface MemoryWindowStoreOptions {
  readonly limits?: WindowLimits;
}

/**
 * A `WindowStore` in memory, for replay and tests: a faithful model of the DynamoDB store (same
 * limits, stored event form, ordering, claim rules and outcomes), without I/O, clock or TTL. Each
 * operation runs to completion without yielding, so concurrent callers see atomic operations.
 */
export function createMemoryWindowStore(options: MemoryWindowStoreOptions = {}): WindowStore {
  const limits = options.limits ?? DEFAULT_WINDOW_LIMITS;
  /** Per stack, by its canonical key: the same name in two places has two states. */
  const stacks = new Map<string, StackState>();

  const stackState = (ref: StackRef): StackState => {
    let state = stacks.get(stackKey(ref));
    if (state === undefined) {
      state = { windows: new Map(), seen: new Map() };
      stacks.set(stackKey(ref), state);
    }
    return state;
  };

  const windowOf = (ref: StackRef, windowId: string): WindowState | undefined =>
    stacks.get(stackKey(ref))?.windows.get(windowId);

  return {
    async touch(input): Promise<TouchResult> {
      const { stack, event, logicalIds, now, newId } = input;
      if (event.key.length === 0) throw new Error("window event key must not be empty");
      const state = stackState(input);
      const seenIn = state.seen.get(event.key);
      if (seenIn !== undefined) {
        const window = state.windows.get(seenIn);
        if (window === undefined) throw new Error(`window ${seenIn} of stack ${stack} is missing`);
        return { window: snapshot(window), opened: false, duplicate: true };
      }

      let window = state.current === undefined ? undefined : state.windows.get(state.current);
      let opened = false;
      if (window === undefined || window.status !== "open") {
        let id = newId();
        for (let tries = 1; state.windows.has(id); tries++) {
          if (tries >= 10) throw new Error(`newId keeps returning ids stack ${stack} already used`);
          id = newId();
        }
        window = {
          account: input.account,
          region: input.region,
          stack,
          id,
          status: "open",
          openedAt: now,
          lastTouchedAt: now,
          events: new Map(),
          eventBytes: 0,
          dropped: 0,
          touched: new Set(),
        };
        state.windows.set(id, window);
        state.current = id;
        opened = true;
      }

      const prepared = prepareEvent(event, limits);
      if (
        window.events.size < limits.maxEvents &&
        window.eventBytes + prepared.bytes <= limits.maxEventBytes
      ) {
        window.events.set(event.key, prepared.event);
        window.eventBytes += prepared.bytes;
      } else {
        window.dropped += 1;
      }
      for (const id of logicalIds) window.touched.add(id);
      window.lastTouchedAt = now;
      state.seen.set(event.key, window.id);
      return { window: snapshot(window), opened, duplicate: false };
    },

    async get(stack, windowId) {
      const window = windowOf(stack, windowId);
      return window === undefined ? undefined : snapshot(window);
    },

    async unfinished(stack) {
      const state = stacks.get(stackKey(stack));
      const window = state?.current === undefined ? undefined : state.windows.get(state.current);
      return window === undefined || window.status === "done" ? undefined : snapshot(window);
    },

    async claim(input): Promise<ClaimResult> {
      const { windowId, owner, now, leaseMs, maxAttempts } = input;
      const window = windowOf(input, windowId);
      const current = window === undefined ? undefined : snapshot(window);
      const refusal = claimRefusal(current, now, maxAttempts);
      if (window === undefined || refusal !== undefined) {
        return {
          ok: false,
          reason: refusal ?? "missing",
          ...(current !== undefined ? { window: current } : {}),
        };
      }
      window.status = "claimed";
      window.claim = { owner, until: now + leaseMs, attempts: (window.claim?.attempts ?? 0) + 1 };
      return { ok: true, window: snapshot(window) };
    },

    async complete(input) {
      const { windowId, owner, now } = input;
      const window = windowOf(input, windowId);
      if (window === undefined || window.claim?.owner !== owner) return false;
      if (window.status === "done") return true;
      if (window.status !== "claimed") return false;
      window.status = "done";
      window.completedAt = now;
      return true;
    },

    async checkpoint(input) {
      const window = windowOf(input, input.windowId);
      if (window === undefined) {
        throw new Error(`window ${input.windowId} of stack ${input.stack} is missing`);
      }
      window.checkpoints = { ...window.checkpoints, [input.key]: input.value };
    },
  };
}
