/** A settle reminder for one window; with `reviewAt`, the reminder of its review (epoch ms it is due). */
export interface SettleMessage {
  readonly stack: string;
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
