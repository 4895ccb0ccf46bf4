import type { Window, WindowPolicy } from "./types.ts";

/**
 * When a window is due to settle: quiet for the quiet period since its latest touch, or open for the
 * max wait, whichever comes first. Both count in clock time (arrival), not event time, because
 * CloudTrail delivers minutes late: a burst is over when Phantom has stopped hearing about it.
 */
export function dueAt(window: Pick<Window, "openedAt" | "lastTouchedAt">, policy: WindowPolicy): number {
  return Math.min(window.lastTouchedAt + policy.quietMs, window.openedAt + policy.maxWaitMs);
}

/** Why a due window settled: `quiet` or `max-wait`. */
export function settleReason(
  window: Pick<Window, "openedAt" | "lastTouchedAt">,
  policy: WindowPolicy,
): "quiet" | "max-wait" {
  return window.lastTouchedAt + policy.quietMs <= window.openedAt + policy.maxWaitMs ? "quiet" : "max-wait";
}

/** First and last event times of a window (its events are sorted by time). */
export function eventSpan(window: Pick<Window, "events">): { first?: string; last?: string } {
  const first = window.events[0]?.eventTime;
  const last = window.events[window.events.length - 1]?.eventTime;
  return { ...(first ? { first } : {}), ...(last ? { last } : {}) };
}
