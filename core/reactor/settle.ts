import type { Clock } from "../clock.ts";
import { dueAt, settleReason } from "../window/policy.ts";
import { stackRef } from "../window/stack.ts";
import type { WindowStore } from "../window/store.ts";
import type { SettleMessage, Timer } from "../window/timer.ts";
import type { Window, WindowPolicy } from "../window/types.ts";

export interface SettlePorts<R> {
  readonly windows: WindowStore;
  readonly timer: Timer;
  readonly clock: Clock;
  readonly policy: WindowPolicy;
  /** Who is settling (a Lambda request id, the replay process): the claim's owner. */
  readonly owner: string;
  /** The reaction to a settled window; throwing leaves the window claimed, to be retried after the lease. */
  readonly react: (
    window: Window,
    settled: { at: number; reason: "quiet" | "max-wait" | "review" },
  ) => Promise<R>;
  /** When a settled window should be reviewed (see `reviewAt` in react.ts); never by default. */
  readonly reviewAt?: (result: R) => number | undefined;
  /** Sees the window completed (core/reactor/steps.ts, `complete`); may abort the invocation. */
  readonly afterStep?: (step: "complete") => void | Promise<void>;
}

export type SettleOutcome<R> =
  | {
      readonly kind: "settled";
      readonly window: Window;
      readonly result: R;
      readonly completed: boolean;
      /** When its review was armed for. */
      readonly reviewAt?: number;
    }
  | { readonly kind: "reviewed"; readonly window: Window; readonly result: R }
  | { readonly kind: "rearmed"; readonly at: number; readonly why: "not-quiet" | "claim-held" }
  | { readonly kind: "skipped"; readonly why: "missing" | "done" | "exhausted" };

/**
 * The on-settle use case: a settle reminder arrived. A window that is not yet due is re-armed for the
 * remainder (SQS delays cap at 900 s); a due window is claimed (exactly one settler wins), reacted
 * to, and completed. A live claim held by someone else re-arms for when its lease ends, so a settler
 * that died is retried; a window claimed `maxAttempts` times is given up (the message goes to the DLQ).
 */
export async function settle<R>(message: SettleMessage, ports: SettlePorts<R>): Promise<SettleOutcome<R>> {
  const ref = stackRef(message);
  const window = await ports.windows.get(ref, message.windowId);
  if (window === undefined) return { kind: "skipped", why: "missing" };
  if (message.reviewAt !== undefined) return review(message, message.reviewAt, window, ports);
  if (window.status === "done") return { kind: "skipped", why: "done" };
  const now = ports.clock.now();
  if (window.status === "open") {
    const due = dueAt(window, ports.policy);
    if (now < due) {
      await ports.timer.arm(message, due);
      return { kind: "rearmed", at: due, why: "not-quiet" };
    }
  }
  const claim = await ports.windows.claim({
    ...ref,
    windowId: message.windowId,
    owner: ports.owner,
    now,
    leaseMs: ports.policy.leaseMs,
    maxAttempts: ports.policy.maxAttempts,
  });
  if (!claim.ok) {
    if (claim.reason === "held" && claim.window?.claim !== undefined) {
      // A lease holds while `until >= now`: come back just after it ends, not at its last instant.
      const after = claim.window.claim.until + 1;
      await ports.timer.arm(message, after);
      return { kind: "rearmed", at: after, why: "claim-held" };
    }
    return { kind: "skipped", why: claim.reason === "held" ? "exhausted" : claim.reason };
  }
  const result = await ports.react(claim.window, {
    at: now,
    reason: settleReason(claim.window, ports.policy),
  });
  // The review is armed before the window is completed: a settler dying between the two leaves the
  // window claimed, so the retry arms it again (a review delivered twice publishes once: the
  // reaction's journal), where the other order would lose the review with a done window.
  const reviewAt = ports.reviewAt?.(result);
  if (reviewAt !== undefined) await ports.timer.arm({ ...message, reviewAt }, reviewAt);
  const completed = await ports.windows.complete({
    ...ref,
    windowId: message.windowId,
    owner: ports.owner,
    now: ports.clock.now(),
  });
  await ports.afterStep?.("complete");
  return {
    kind: "settled",
    window: claim.window,
    result,
    completed,
    ...(reviewAt !== undefined ? { reviewAt } : {}),
  };
}

/**
 * A review reminder: once due, the done window reacts again with reason `review`. Not claimed: a
 * review changes no window state, and a second delivery converges on the pull request's marker. A
 * window not done yet (its settle is still running or being retried) is come back to later.
 */
async function review<R>(
  message: SettleMessage,
  at: number,
  window: Window,
  ports: SettlePorts<R>,
): Promise<SettleOutcome<R>> {
  const now = ports.clock.now();
  if (now < at) {
    await ports.timer.arm(message, at);
    return { kind: "rearmed", at, why: "not-quiet" };
  }
  if (window.status !== "done") {
    const after = now + ports.policy.leaseMs;
    await ports.timer.arm(message, after);
    return { kind: "rearmed", at: after, why: "claim-held" };
  }
  const result = await ports.react(window, { at: now, reason: "review" });
  return { kind: "reviewed", window, result };
}
