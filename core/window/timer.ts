import type { StackRef } from "./stack.ts";

/**
 * A settle reminder for one window of one stack `(account, region, stack)`; with `reviewAt`, the
 * reminder of its review (epoch ms it is due). A message sent before stacks had a place has no
 * `account` and `region`: on-settle reads it as the home place's.
 */
export interface SettleMessage extends StackRef {
  readonly windowId: string;
  readonly reviewAt?: number;
}

/**
 * Arms a reminder to settle a window at (or after) `at`. SQS DelaySeconds in the cloud, capped at
 * 900 s, so the settle use case re-arms for the remainder; the virtual clock in replay.
 */
export interface Timer {
  arm(message: SettleMessage, at: number): Promise<void>;
}
