import { type CloudFormationClient, DetectStackResourceDriftCommand } from "@aws-sdk/client-cloudformation";
import pLimit from "p-limit";
import { parseDriftDocument, unknownDrift, unsupportedDrift } from "../../core/drift/normalize.ts";
import type { DriftDetector } from "../../core/drift/ports.ts";
import type { ResourceDrift } from "../../core/drift/types.ts";
import {
  attemptsOf,
  describeError,
  errorMessage,
  fullJitterBackoff,
  isRetryable,
  isUnsupportedDrift,
  stackNameOf,
} from "./cloudformation.ts";

export interface CloudFormationDriftDetectorOptions {
  /**
   * The CloudFormation client. This adapter owns retries and counts every call, so build the client
   * with `maxAttempts: 1` (in production too): SDK retries behind these would multiply the attempts
   * and hide them from `calls`. Calls the SDK did make anyway are still counted from `$metadata`.
   */
  readonly client: CloudFormationClient;
  /** Calls in flight at once, across all stacks this detector serves. Default 3. */
  readonly concurrency?: number;
  /** Retries of a throttled or failed (5xx) call. Default 4 (five calls at most). */
  readonly retries?: number;
  /** First backoff step; each retry doubles it, with jitter. Default 1000 ms. */
  readonly baseDelayMs?: number;
  /** Cap of one backoff step. Default 20 s. */
  readonly maxDelayMs?: number;
  /** Waits between retries; injected so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
}

/** Runs tasks one at a time per key; different keys run side by side. */
function createKeyedQueue() {
  const tails = new Map<string, Promise<void>>();
  return async function serialise<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task);
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

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Targeted drift detection on CloudFormation: one `DetectStackResourceDrift` per logical id given
 * (duplicates once), and nothing else. At most `concurrency` calls in flight; detections for the
 * same stack run one after another (CloudFormation allows one drift operation per stack at a time),
 * different stacks side by side. Throttling ("Rate exceeded") and 5xx are retried with exponential
 * backoff and jitter. Never rejects for a resource: a type without drift support is UNSUPPORTED with
 * a note, and a resource that still fails after the retries is UNKNOWN with the error as its note.
 * `calls` counts every HTTP call, retries included.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackResourceDrift.html
 * @see https://repost.aws/knowledge-center/cloudformation-rate-exceeded-error
 */
export function createCloudFormationDriftDetector(
  options: CloudFormationDriftDetectorOptions,
): DriftDetector {
  const { client } = options;
  const retries = Math.max(0, options.retries ?? 4);
  const sleep = options.sleep ?? defaultSleep;
  const backoff = {
    baseDelayMs: options.baseDelayMs ?? 1000,
    maxDelayMs: options.maxDelayMs ?? 20_000,
    random: options.random ?? Math.random,
  };
  const limit = pLimit(Math.max(1, options.concurrency ?? 3));
  const perStack = createKeyedQueue();

  async function detectOne(
    stack: string,
    logicalId: string,
  ): Promise<{ drift: ResourceDrift; calls: number }> {
    let calls = 0;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const output = await client.send(
          new DetectStackResourceDriftCommand({ StackName: stack, LogicalResourceId: logicalId }),
        );
        calls += attemptsOf(output);
        const parsed = parseDriftDocument({ StackResourceDrift: output.StackResourceDrift });
        const drift = parsed.ok ? parsed.drifts[0] : undefined;
        if (!parsed.ok || drift === undefined) {
          const issues = parsed.ok ? "no StackResourceDrift" : parsed.issues.join("; ");
          return {
            drift: unknownDrift(logicalId, `CloudFormation's answer could not be read: ${issues}`),
            calls,
          };
        }
        return { drift, calls };
      } catch (error) {
        calls += attemptsOf(error);
        if (isUnsupportedDrift(error))
          return { drift: unsupportedDrift(logicalId, errorMessage(error)), calls };
        if (isRetryable(error) && attempt < retries) {
          await sleep(fullJitterBackoff(attempt, backoff));
          continue;
        }
        const tries = calls > 1 ? ` after ${calls} calls` : "";
        return {
          drift: unknownDrift(logicalId, `drift detection failed${tries}: ${describeError(error)}`),
          calls,
        };
      }
    }
  }

  return {
    detect(stack, logicalIds) {
      const ids = [...new Set(logicalIds)];
      return perStack(stackNameOf(stack), async () => {
        const results = await Promise.all(
          ids.map((id) =>
            limit(() =>
              detectOne(stack, id).catch((error: unknown) => ({
                drift: unknownDrift(id, `drift detection failed: ${describeError(error)}`),
                calls: 1,
              })),
            ),
          ),
        );
        return {
          resources: results.map((r) => r.drift),
          calls: results.reduce((sum, r) => sum + r.calls, 0),
        };
      });
    },
  };
}
