import {
  type CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  type DescribeStackDriftDetectionStatusCommandOutput,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
  DetectStackDriftCommand,
} from "@aws-sdk/client-cloudformation";
import { parseDriftDocument, unknownDrift } from "../../core/drift/normalize.ts";
import type { ResourceDrift } from "../../core/drift/types.ts";
import type { StackDriftCheck } from "../../core/reactor/sweep.ts";
import { attemptsOf, describeError, fullJitterBackoff, isRetryable, stackNameOf } from "./cloudformation.ts";

/**
 * Stack-wide drift detection for the weekly sweep: `DetectStackDrift` ► poll
 * `DescribeStackDriftDetectionStatus` until DETECTION_COMPLETE / DETECTION_FAILED ►
 * `DescribeStackResourceDrifts` (MODIFIED and DELETED, every page) ► normalised drifts. And the
 * managed stacks: `DescribeStacks` (every page), filtered by status, name prefix and tag.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/detect-drift-stack.html
 */

/** Stack drift detection could not give an answer: refused, timed out, or failed before any result. */
export class StackDriftError extends Error {
  override readonly name = "StackDriftError";
  constructor(
    readonly stackName: string,
    readonly reason: "refused" | "timed-out" | "failed",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${stackName}: ${message}`, options);
  }
}

export interface StackDriftDetectorOptions {
  /** Build it with `maxAttempts: 1`: this adapter retries throttling itself, with backoff. */
  readonly client: CloudFormationClient;
  /** First wait between status polls; each poll doubles it up to `maxPollIntervalMs`. Default 5 s. */
  readonly pollIntervalMs?: number;
  /** Default 30 s. */
  readonly maxPollIntervalMs?: number;
  /** Give up on a detection after this long (it goes on in CloudFormation). Default 10 minutes. */
  readonly timeoutMs?: number;
  /** Retries of a throttled or 5xx call. Default 4. */
  readonly retries?: number;
  /** First retry backoff step. Default 1000 ms. */
  readonly baseDelayMs?: number;
  /** Injected so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Clock for the timeout. */
  readonly now?: () => number;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
  /**
   * Spreads the starts of detections on this detector (one per account and region): each
   * `DetectStackDrift` starts at least `minIntervalMs` after the previous one, plus a random
   * `[0, jitterMs)`, so a sweep of hundreds of stacks does not hit the account's rate limit in one
   * burst. Default: no spacing.
   */
  readonly spacing?: { readonly minIntervalMs: number; readonly jitterMs?: number };
}

/** Stack-wide drift detection, one operation per stack at a time. */
export interface StackDriftDetector {
  detect(stack: string): Promise<StackDriftCheck>;
}

/** The statuses the sweep asks `DescribeStackResourceDrifts` for. */
export const DRIFTED_FILTERS = ["MODIFIED", "DELETED"] as const;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs tasks one at a time per key; different keys run side by side. */
function createKeyedQueue() {
  const tails = new Map<string, Promise<void>>();
  return async function serialise<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (tails.get(key) ?? Promise.resolve()).then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

/**
 * Stack-wide drift detection on CloudFormation. Invariants: detections of one stack run one after
 * another (CloudFormation allows one drift operation per stack at a time); polling backs off from
 * `pollIntervalMs` to `maxPollIntervalMs`; throttled and 5xx calls are retried with backoff and
 * jitter; DETECTION_FAILED still returns the results CloudFormation has (`detection: "partial"`);
 * `calls` counts every HTTP call. Throws {@link StackDriftError} when the detection was refused (e.g. a
 * stack in `*_IN_PROGRESS`), timed out, or a call failed after its retries.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackDrift.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackDriftDetectionStatus.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResourceDrifts.html
 */
export function createStackDriftDetector(options: StackDriftDetectorOptions): StackDriftDetector {
  const { client } = options;
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;
  const maxPollIntervalMs = options.maxPollIntervalMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const retries = Math.max(0, options.retries ?? 4);
  const backoff = {
    baseDelayMs: options.baseDelayMs ?? 1000,
    maxDelayMs: 20_000,
    random: options.random ?? Math.random,
  };
  const perStack = createKeyedQueue();
  const spacing = options.spacing;
  let nextStart = Number.NEGATIVE_INFINITY;
  /** Waits for this detection's start slot (see `spacing`); slots are taken in call order. */
  async function startSlot(): Promise<void> {
    if (spacing === undefined || spacing.minIntervalMs <= 0) return;
    const at = Math.max(now(), nextStart) + Math.floor(backoff.random() * (spacing.jitterMs ?? 0));
    nextStart = at + spacing.minIntervalMs;
    const wait = at - now();
    if (wait > 0) await sleep(wait);
  }

  async function detect(stack: string): Promise<StackDriftCheck> {
    let calls = 0;
    /** One API call with the adapter's retries; a final failure becomes a StackDriftError. */
    async function call<T>(what: string, send: () => Promise<T>): Promise<T> {
      for (let attempt = 0; ; attempt += 1) {
        try {
          const output = await send();
          calls += attemptsOf(output);
          return output;
        } catch (error) {
          calls += attemptsOf(error);
          if (isRetryable(error) && attempt < retries) {
            await sleep(fullJitterBackoff(attempt, backoff));
            continue;
          }
          const refused = !isRetryable(error) && what === "DetectStackDrift";
          throw new StackDriftError(
            stack,
            refused ? "refused" : "failed",
            `${what} failed: ${describeError(error)}`,
            { cause: error },
          );
        }
      }
    }

    await startSlot();
    const started = now();
    const { StackDriftDetectionId: id } = await call("DetectStackDrift", () =>
      client.send(new DetectStackDriftCommand({ StackName: stack })),
    );
    if (id === undefined) throw new StackDriftError(stack, "failed", "DetectStackDrift returned no id");

    let status: DescribeStackDriftDetectionStatusCommandOutput | undefined;
    for (
      let wait = pollIntervalMs;
      status?.DetectionStatus === undefined || status.DetectionStatus === "DETECTION_IN_PROGRESS";
      wait = Math.min(maxPollIntervalMs, wait * 2)
    ) {
      if (now() - started + wait > timeoutMs) {
        throw new StackDriftError(
          stack,
          "timed-out",
          `drift detection ${id} still in progress after ${Math.round((now() - started) / 1000)} s`,
        );
      }
      await sleep(wait);
      status = await call("DescribeStackDriftDetectionStatus", () =>
        client.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: id })),
      );
    }

    const resources: ResourceDrift[] = [];
    let token: string | undefined;
    do {
      const page = await call("DescribeStackResourceDrifts", () =>
        client.send(
          new DescribeStackResourceDriftsCommand({
            StackName: stack,
            StackResourceDriftStatusFilters: [...DRIFTED_FILTERS],
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      const parsed = parseDriftDocument({ StackResourceDrifts: page.StackResourceDrifts ?? [] });
      if (parsed.ok) resources.push(...parsed.drifts);
      else {
        resources.push(
          unknownDrift(
            "(unreadable)",
            `CloudFormation's answer could not be read: ${parsed.issues.join("; ")}`,
          ),
        );
      }
      token = page.NextToken;
    } while (token);

    const partial = status.DetectionStatus === "DETECTION_FAILED";
    return {
      stack,
      detection: partial ? "partial" : "complete",
      drift: { resources, calls },
      ...(partial && status.DetectionStatusReason ? { note: status.DetectionStatusReason } : {}),
    };
  }

  return { detect: (stack) => perStack(stackNameOf(stack), () => detect(stack)) };
}

/**
 * Stack statuses drift detection runs on ("CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE,
 * and UPDATE_ROLLBACK_FAILED"); other stacks are skipped with their status as the reason.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html
 */
export const DRIFT_ELIGIBLE_STATUSES: readonly string[] = [
  "CREATE_COMPLETE",
  "UPDATE_COMPLETE",
  "UPDATE_ROLLBACK_COMPLETE",
  "UPDATE_ROLLBACK_FAILED",
];

/** Which stacks are Phantom's to sweep. Both filters apply when both are set. */
export interface ManagedStackFilter {
  /** Stack names starting with this. */
  readonly prefix?: string;
  /** Stacks carrying this tag (any value when `value` is absent). */
  readonly tag?: { readonly key: string; readonly value?: string };
}

export interface ManagedStacks {
  /** Stack names to sweep, in CloudFormation's order. Nested stacks are included: DetectStackDrift skips them inside their parent. */
  readonly stacks: readonly string[];
  readonly skipped: readonly { readonly stack: string; readonly reason: string }[];
}

/**
 * The managed stacks of one account and region: `DescribeStacks`, every page (it carries tags, which
 * `ListStacks` does not), keeping the stacks that match `filter` and whose status allows drift
 * detection. Throttled calls are retried like the detector's.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 */
export async function listManagedStacks(
  client: CloudFormationClient,
  filter: ManagedStackFilter = {},
  options: Pick<StackDriftDetectorOptions, "retries" | "baseDelayMs" | "sleep" | "random"> = {},
): Promise<ManagedStacks> {
  const sleep = options.sleep ?? defaultSleep;
  const retries = Math.max(0, options.retries ?? 4);
  const backoff = {
    baseDelayMs: options.baseDelayMs ?? 1000,
    maxDelayMs: 20_000,
    random: options.random ?? Math.random,
  };
  const stacks: string[] = [];
  const skipped: { stack: string; reason: string }[] = [];
  const describe = async (token: string | undefined): Promise<DescribeStacksCommandOutput> => {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await client.send(new DescribeStacksCommand(token ? { NextToken: token } : {}));
      } catch (error) {
        if (!isRetryable(error) || attempt >= retries) throw error;
        await sleep(fullJitterBackoff(attempt, backoff));
      }
    }
  };
  let token: string | undefined;
  do {
    const page = await describe(token);
    for (const stack of page.Stacks ?? []) {
      const name = stack.StackName;
      if (name === undefined) continue;
      if (filter.prefix !== undefined && !name.startsWith(filter.prefix)) continue;
      const { tag } = filter;
      if (
        tag !== undefined &&
        !(stack.Tags ?? []).some(
          (t) => t.Key === tag.key && (tag.value === undefined || t.Value === tag.value),
        )
      ) {
        continue;
      }
      const status = stack.StackStatus ?? "UNKNOWN";
      if (DRIFT_ELIGIBLE_STATUSES.includes(status)) stacks.push(name);
      else skipped.push({ stack: name, reason: `status ${status} does not allow drift detection` });
    }
    token = page.NextToken;
  } while (token);
  return { stacks, skipped };
}
