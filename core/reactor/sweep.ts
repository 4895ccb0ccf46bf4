import type { Clock } from "../clock.ts";
import type { DriftReport, DriftStatus, ResourceDrift } from "../drift/types.ts";
import type { Place } from "../window/stack.ts";
import type { Window } from "../window/types.ts";

/**
 * The scheduled safety net (DESIGN §1): EventBridge delivery of CloudTrail events is best effort, so a
 * weekly sweep runs a stack-wide drift detection on every managed stack and feeds what drifted, and
 * is not already in an open window, into the same `react` path as a settled window.
 */

/** What one stack-wide drift detection (`DetectStackDrift`) found. */
export interface StackDriftCheck {
  readonly stack: string;
  /**
   * `complete`: every resource that supports drift detection was checked. `partial`: CloudFormation
   * reported DETECTION_FAILED for some resources; the results of the others are still good.
   */
  readonly detection: "complete" | "partial";
  /** The resources CloudFormation reported (the sweep acts on MODIFIED and DELETED only). */
  readonly drift: DriftReport;
  /** Why detection was partial, in CloudFormation's words. */
  readonly note?: string;
}

/** Why react runs for a sweep window: found by the scheduled sweep, not by a settled burst of events. */
export interface SweepTrigger {
  readonly at: number;
  readonly reason: "sweep";
}

export interface SweepPorts<R> {
  /** The account and region the stacks live in (a sweep window is a stack of one place). */
  readonly place: Place;
  /** The managed stacks to sweep (names); duplicates are swept once. */
  readonly stacks: readonly string[];
  /** Stack-wide drift detection; throws when detection could not run (the stack is reported failed). */
  readonly driftOfStack: (stack: string) => Promise<StackDriftCheck>;
  /**
   * Logical ids an unfinished (open or claimed) window of the stack already covers: the event path
   * reacts to those, so the sweep leaves them alone.
   */
  readonly openWindows: (stack: string) => Promise<readonly string[]>;
  /** The reaction (the same `react` as on-settle), given the sweep window and the drift already found. */
  readonly react: (window: Window, trigger: SweepTrigger, drift: DriftReport) => Promise<R>;
  readonly clock: Clock;
  /** Stacks swept side by side (each stack still has one drift operation at a time). Default 2. */
  readonly concurrency?: number;
  /** Epoch ms after which no further stack is started (the Lambda timeout is near); those are deferred. */
  readonly deadline?: number;
}

/** What the sweep did for one stack. */
export type StackSweepOutcome<R> =
  | {
      readonly kind: "reacted";
      readonly stack: string;
      readonly windowId: string;
      /** The drifted logical ids handed to react. */
      readonly logicalIds: readonly string[];
      /** Drifted logical ids left to an open window. */
      readonly covered: readonly string[];
      readonly detection: StackDriftCheck["detection"];
      readonly result: R;
    }
  | {
      /** Nothing drifted that an open window does not already cover. */
      readonly kind: "clean";
      readonly stack: string;
      readonly covered: readonly string[];
      readonly detection: StackDriftCheck["detection"];
    }
  | { readonly kind: "failed"; readonly stack: string; readonly error: string }
  | { readonly kind: "deferred"; readonly stack: string; readonly why: "deadline" };

export interface SweepSummary<R> {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly counts: {
    readonly stacks: number;
    readonly reacted: number;
    readonly clean: number;
    readonly failed: number;
    readonly deferred: number;
  };
  /** One per stack, in the order the stacks were given. */
  readonly outcomes: readonly StackSweepOutcome<R>[];
}

/** Resource statuses the sweep reacts to: CloudFormation saw the resource change or disappear. */
export const SWEEP_STATUSES: readonly DriftStatus[] = ["MODIFIED", "DELETED"];

function compact(ms: number): string {
  // 2026-11-22T03:15:00.000Z ► 20261122T031500Z
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replaceAll("-", "")
    .replaceAll(":", "");
}

/**
 * The synthetic window a sweep reacts with: no events (nobody's CloudTrail call is known), `touched` =
 * the drifted logical ids (sorted, unique), id `sweep-<stack>-<UTC time, ISO basic>`, so a report and
 * a pull request say where it came from. Its status is `claimed`: it is being reacted to and never
 * enters the window store.
 */
export function sweepWindow(stack: string, logicalIds: readonly string[], at: number, place: Place): Window {
  return {
    account: place.account,
    region: place.region,
    stack,
    id: `sweep-${stack}-${compact(at)}`,
    status: "claimed",
    openedAt: at,
    lastTouchedAt: at,
    events: [],
    touched: [...new Set(logicalIds)].sort(),
  };
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function sweepStack<R>(stack: string, ports: SweepPorts<R>): Promise<StackSweepOutcome<R>> {
  try {
    const check = await ports.driftOfStack(stack);
    const drifted = check.drift.resources.filter((r) => SWEEP_STATUSES.includes(r.status));
    // Read the open windows after detection (which takes minutes), so a burst that opened a window
    // meanwhile keeps its resources.
    const coveredIds = new Set(drifted.length > 0 ? await ports.openWindows(stack) : []);
    const covered = [...new Set(drifted.filter((r) => coveredIds.has(r.logicalId)).map((r) => r.logicalId))];
    const uncovered: ResourceDrift[] = drifted.filter((r) => !coveredIds.has(r.logicalId));
    if (uncovered.length === 0) return { kind: "clean", stack, covered, detection: check.detection };
    const at = ports.clock.now();
    const window = sweepWindow(
      stack,
      uncovered.map((r) => r.logicalId),
      at,
      ports.place,
    );
    const result = await ports.react(
      window,
      { at, reason: "sweep" },
      { resources: uncovered, calls: check.drift.calls },
    );
    return {
      kind: "reacted",
      stack,
      windowId: window.id,
      logicalIds: window.touched,
      covered,
      detection: check.detection,
      result,
    };
  } catch (error) {
    return { kind: "failed", stack, error: message(error) };
  }
}

/**
 * The sweep use case. For each managed stack: stack-wide drift detection, then the MODIFIED and
 * DELETED resources that no unfinished window covers go to `react` as one sweep window (reason
 * `sweep`). Invariants: each stack is swept at most once per run, so there is one drift operation per
 * stack at a time (CloudFormation allows one); at most `concurrency` stacks run at once; a stack whose
 * detection or reaction fails is reported `failed` and never stops the others; after `deadline` no
 * stack is started (`deferred`). Outcomes come back in the order the stacks were given.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackDrift.html
 */
export async function sweep<R>(ports: SweepPorts<R>): Promise<SweepSummary<R>> {
  const startedAt = ports.clock.now();
  const stacks = [...new Set(ports.stacks)];
  const outcomes: StackSweepOutcome<R>[] = new Array(stacks.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next;
      next += 1;
      const stack = stacks[index];
      if (stack === undefined) return;
      outcomes[index] =
        ports.deadline !== undefined && ports.clock.now() >= ports.deadline
          ? { kind: "deferred", stack, why: "deadline" }
          : await sweepStack(stack, ports);
    }
  };
  const workers = Math.max(1, Math.min(ports.concurrency ?? 2, stacks.length));
  await Promise.all(Array.from({ length: workers }, worker));
  const count = (kind: StackSweepOutcome<R>["kind"]) => outcomes.filter((o) => o.kind === kind).length;
  return {
    startedAt,
    finishedAt: ports.clock.now(),
    counts: {
      stacks: stacks.length,
      reacted: count("reacted"),
      clean: count("clean"),
      failed: count("failed"),
      deferred: count("deferred"),
    },
    outcomes,
  };
}
