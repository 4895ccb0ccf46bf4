/**
 * The named steps of the two event handlers, and the observer port that sees each one pass.
 *
 * A step "passes" right after its effect and, where it has one, its checkpoint are written
 * (docs/architecture.md "Failure semantics"): `event` is after PutEvents returned and the window
 * recorded it, `complete` after the window is done. Production passes no observer (a no-op);
 * `phantom rehearse --fault crash:<handler>:<step>` passes one that aborts the invocation there, so a
 * rehearsal shows what a Lambda dying at that point does: nothing deleted, every message of the batch
 * redelivered after its visibility timeout, the window's claim left to expire.
 */

/** on-settle: drift checked, analysed, branch pushed, PR opened or updated, metrics sent, event put, window completed. */
export const SETTLE_STEPS = [
  "drift",
  "analysis",
  "branch",
  "pull-request",
  "metrics",
  "event",
  "complete",
] as const;
export type SettleStep = (typeof SETTLE_STEPS)[number];

/** on-change: a message's records classified, an event added to its window, the settle timer armed. */
export const CHANGE_STEPS = ["classify", "touch", "timer"] as const;
export type ChangeStep = (typeof CHANGE_STEPS)[number];

export const HANDLER_STEPS = { "on-settle": SETTLE_STEPS, "on-change": CHANGE_STEPS } as const;
export type StepHandler = keyof typeof HANDLER_STEPS;

/** Sees every step pass; may throw {@link InvocationAborted}. */
export type StepObserver = <H extends StepHandler>(
  handler: H,
  step: (typeof HANDLER_STEPS)[H][number],
) => void | Promise<void>;

/**
 * Ends the whole invocation as the Lambda runtime does when a function times out or its container
 * dies: the handlers never catch it (no partial batch response, no log line, no metric), so every
 * message of the batch stays in its queue and comes back after the visibility timeout.
 */
export class InvocationAborted extends Error {
  override readonly name = "InvocationAborted";
}
