import type { ResourceType } from "../catalog/types.ts";
import type { Actor } from "../change/actor.ts";
import type { StackRef } from "./stack.ts";

/**
 * A window is one burst of changes to one stack: the events of a console session, merged, so the
 * burst gets one drift check per touched resource, one analysis and one pull request.
 */

/** A stack resource an event touched, resolved through the StackDirectory. */
export interface TouchedResource {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: ResourceType | string;
}

/** One change event as a window keeps it. */
export interface WindowEvent {
  /** De-duplication key: the CloudTrail `eventID`, or a hash of the record when it has none. */
  readonly key: string;
  readonly eventID?: string;
  readonly eventName: string;
  readonly eventSource: string;
  /** ISO time the call was made (CloudTrail `eventTime`): windows place late events by it. */
  readonly eventTime: string;
  readonly region?: string;
  readonly account?: string;
  readonly actor: Actor;
  readonly resources: readonly TouchedResource[];
  /** The call's `requestParameters`, for comparing with the template where drift detection is blind. */
  readonly request?: unknown;
}

export const WINDOW_STATUSES = ["open", "claimed", "done"] as const;
export type WindowStatus = (typeof WINDOW_STATUSES)[number];

export interface Claim {
  readonly owner: string;
  /** Epoch ms after which another settle may take the window over (the claimer died). */
  readonly until: number;
  /** How many times the window has been claimed; a window is claimed at most `maxAttempts` times. */
  readonly attempts: number;
}

/** A window of one stack, `(account, region, stack)`: a window is a {@link StackRef} itself. */
export interface Window extends StackRef {
  readonly id: string;
  readonly status: WindowStatus;
  /** Epoch ms (clock time) the window opened: max wait counts from here. */
  readonly openedAt: number;
  /** Epoch ms (clock time) of the latest touch: the quiet period counts from here. */
  readonly lastTouchedAt: number;
  /** Events in the window, de-duplicated by key, sorted by `eventTime` then key. */
  readonly events: readonly WindowEvent[];
  /** Logical ids the events touched, sorted, unique. */
  readonly touched: readonly string[];
  readonly claim?: Claim;
  /** Epoch ms the window was completed. */
  readonly completedAt?: number;
  /**
   * What its reactions already published (`settle.event`, `review.pull-request`, …: the reaction's
   * journal, core/reactor/react.ts), so a retry after a crash does not publish it again.
   */
  readonly checkpoints?: Readonly<Record<string, string>>;
}

/** When windows settle. */
export interface WindowPolicy {
  /** A window settles after this long without a new event (default 120 s). */
  readonly quietMs: number;
  /** ...or once it is this old, so continuous churn is still analysed (default 15 min). */
  readonly maxWaitMs: number;
  /** How long a claim protects a window from a second settle (then a crashed claim is retried). */
  readonly leaseMs: number;
  /** A window is claimed at most this many times: the first try and one retry. */
  readonly maxAttempts: number;
}

export const DEFAULT_WINDOW_POLICY: WindowPolicy = {
  quietMs: 120_000,
  maxWaitMs: 15 * 60_000,
  leaseMs: 5 * 60_000,
  maxAttempts: 2,
};
