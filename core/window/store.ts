import type { StackRef } from "./stack.ts";
import type { Window, WindowEvent } from "./types.ts";

/** What `touch` did. */
export interface TouchResult {
  readonly window: Window;
  /** This touch opened the window: the caller arms the settle timer. */
  readonly opened: boolean;
  /** The event key was already seen for this stack (in this or an earlier window): nothing changed. */
  readonly duplicate: boolean;
}

export type ClaimResult =
  | { readonly ok: true; readonly window: Window }
  | {
      readonly ok: false;
      /** missing: no such window; done: already completed; held: another claim's lease is live; exhausted: retried enough. */
      readonly reason: "missing" | "done" | "held" | "exhausted";
      readonly window?: Window;
    };

/**
 * Window state, per stack `(account, region, stack)`: the same stack name in two places never shares
 * a window, a head or an event marker (keys go through `stackKey`). Implementations must be safe under concurrent callers (Lambda) and
 * idempotent under redelivery (SQS is at least once).
 */
export interface WindowStore {
  /**
   * Adds `event` (touching `logicalIds`) to the stack's open window, opening a new window with
   * `newId` when the stack has none open (none yet, or the last one is claimed or done).
   * Idempotent per event key for the stack: a key seen before changes nothing and says `duplicate`.
   */
  touch(
    input: StackRef & {
      readonly event: WindowEvent;
      readonly logicalIds: readonly string[];
      readonly now: number;
      readonly newId: () => string;
    },
  ): Promise<TouchResult>;

  get(stack: StackRef, windowId: string): Promise<Window | undefined>;

  /**
   * The stack's unfinished window (open, or claimed and not yet done), if it has one: the weekly
   * sweep leaves what it covers to the event path.
   */
  unfinished(stack: StackRef): Promise<Window | undefined>;

  /**
   * Takes the window for reaction: succeeds when it is open, or claimed with an expired lease and
   * fewer than `maxAttempts` claims so far. Exactly one concurrent caller wins.
   */
  claim(
    input: StackRef & {
      readonly windowId: string;
      readonly owner: string;
      readonly now: number;
      readonly leaseMs: number;
      readonly maxAttempts: number;
    },
  ): Promise<ClaimResult>;

  /**
   * Records one checkpoint of the window's reaction (`key` ► `value`, replacing an earlier value),
   * whatever the window's status. Optional: without it reactions keep no journal.
   */
  checkpoint?(
    input: StackRef & {
      readonly windowId: string;
      readonly key: string;
      readonly value: string;
      readonly now: number;
    },
  ): Promise<void>;

  /** Marks a claimed window done; `false` when `owner` no longer holds it (its lease was taken over). */
  complete(
    input: StackRef & {
      readonly windowId: string;
      readonly owner: string;
      readonly now: number;
    },
  ): Promise<boolean>;
}
