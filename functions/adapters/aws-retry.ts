import type { CloudFormationClientConfig } from "@aws-sdk/client-cloudformation";
// The middleware types every v3 client is built on (a dependency of each @aws-sdk/client-*).
import type { FinalizeRequestMiddleware, MetadataBearer, MiddlewareStack } from "@smithy/types";
import { parseDuration } from "../../core/config/duration.ts";
import { errorName, fullJitterBackoff, isThrottling } from "./cloudformation.ts";

/**
 * One retry and backoff policy for every AWS client Phantom builds, and a way to see each throttled
 * attempt. CloudFormation's describe APIs are rate-limited per account and region, and so are
 * DynamoDB, SQS, Cloud Control and EventBridge in their own ways: a burst or a sweep must slow down
 * when AWS says so, never fail a window for it, and say how often it happened.
 *
 * - **Policy.** Exponential backoff with full jitter: the n-th retry waits a random time in
 *   `[0, min(cap, base × 2^n))` (AWS Architecture Blog, "Exponential Backoff And Jitter"). Throttling
 *   (`Throttling`, `ThrottlingException`, `RequestLimitExceeded`, `TooManyRequestsException`, …, HTTP
 *   429, "Rate exceeded") starts from a longer base than a 5xx or a network failure. A `Retry-After`
 *   hint is honoured when it asks for longer. Client errors are never retried.
 * - **Count.** {@link observeThrottling} adds a middleware inside the SDK's retry loop, so it sees
 *   every attempt, retried or not, with the service and operation that was throttled. The runtime turns
 *   these into `phantom.aws.throttled` points.
 *
 * The policy is a `RetryStrategyV2` (what `retryStrategy` of every v3 client accepts), written here so
 * that its numbers are ours and testable, not the SDK's defaults.
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 * @see https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */

type RetryStrategy = Extract<
  NonNullable<CloudFormationClientConfig["retryStrategy"]>,
  { acquireInitialRetryToken: unknown }
>;
type RetryToken = Awaited<ReturnType<RetryStrategy["acquireInitialRetryToken"]>>;
type RetryErrorInfo = Parameters<RetryStrategy["refreshRetryTokenForRetry"]>[1];

export interface AwsRetryOptions {
  /** Attempts per call, the first included. Default 5. */
  readonly maxAttempts?: number;
  /** First backoff step of a throttled call. Default 500 ms (the SDK's own for throttling). */
  readonly throttlingBaseMs?: number;
  /** First backoff step of a 5xx or network failure. Default 100 ms. */
  readonly baseMs?: number;
  /** Cap of one backoff step. Default 20 s. */
  readonly maxDelayMs?: number;
  /** Jitter source in [0, 1); injected by tests. */
  readonly random?: () => number;
  /** Wall clock for `Retry-After` hints. */
  readonly now?: () => number;
  /**
   * An attempt unanswered this long fails with a `TimeoutError`, retried as a network failure.
   * Default 30 s (`PHANTOM_REQUEST_TIMEOUT`); without one a hung connection would hold the Lambda
   * until its own timeout.
   */
  readonly requestTimeoutMs?: number;
}

export const DEFAULT_AWS_RETRY = {
  maxAttempts: 5,
  throttlingBaseMs: 500,
  baseMs: 100,
  maxDelayMs: 20_000,
  requestTimeoutMs: 30_000,
} as const;

/** Full jitter: a random wait in `[0, min(cap, base × 2^retry))`, whole milliseconds. */
export function fullJitterDelay(
  retry: number,
  options: { readonly baseMs: number; readonly maxDelayMs: number; readonly random: () => number },
): number {
  return fullJitterBackoff(retry, {
    baseDelayMs: options.baseMs,
    maxDelayMs: options.maxDelayMs,
    random: options.random,
  });
}

function token(retryCount: number, delay: number): RetryToken {
  return { getRetryCount: () => retryCount, getRetryDelay: () => delay };
}

/** Worth another try, and how: throttling waits longer than a server or network failure. */
function retryKind(info: RetryErrorInfo): "throttling" | "transient" | undefined {
  if (info.errorType === "THROTTLING" || (info.error !== undefined && isThrottling(info.error)))
    return "throttling";
  if (info.errorType === "TRANSIENT" || info.errorType === "SERVER_ERROR") return "transient";
  return undefined;
}

/** The retry strategy of {@link AwsRetryOptions}: give it to a client as `retryStrategy`. */
export function awsRetryStrategy(options: AwsRetryOptions = {}): RetryStrategy {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_AWS_RETRY.maxAttempts));
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_AWS_RETRY.maxDelayMs;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  return {
    acquireInitialRetryToken: async () => token(0, 0),
    async refreshRetryTokenForRetry(previous, info) {
      const kind = retryKind(info);
      const retries = previous.getRetryCount();
      if (kind === undefined || retries + 1 >= maxAttempts) {
        throw info.error ?? new Error(`AWS call failed (${info.errorType}) and is not retried`);
      }
      const baseMs =
        kind === "throttling"
          ? (options.throttlingBaseMs ?? DEFAULT_AWS_RETRY.throttlingBaseMs)
          : (options.baseMs ?? DEFAULT_AWS_RETRY.baseMs);
      let delay = fullJitterDelay(retries, { baseMs, maxDelayMs, random });
      const hint = info.retryAfterHint?.getTime();
      if (hint !== undefined && Number.isFinite(hint))
        delay = Math.max(delay, Math.min(maxDelayMs, hint - now()));
      return token(retries + 1, delay);
    },
    recordSuccess: () => {},
  };
}

/** The client settings of the policy: spread into any v3 client's configuration. */
export function awsRetry(options: AwsRetryOptions = {}): {
  readonly maxAttempts: number;
  readonly retryStrategy: RetryStrategy;
} & ReturnType<typeof awsRequestTimeout> {
  return {
    maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? DEFAULT_AWS_RETRY.maxAttempts)),
    retryStrategy: awsRetryStrategy(options),
    ...awsRequestTimeout(options),
  };
}

/** The policy's request timeout alone, for a client that retries by itself (spread into its configuration). */
export function awsRequestTimeout(options: Pick<AwsRetryOptions, "requestTimeoutMs"> = {}): {
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    readonly throwOnRequestTimeout: true;
  };
} {
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_AWS_RETRY.requestTimeoutMs;
  return {
    requestHandler: {
      connectionTimeout: Math.min(requestTimeout, 3_000),
      requestTimeout,
      // Without it the handler only logs a warning and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}

/** One throttled attempt. */
export interface Throttle {
  /** The service as its endpoint variable names it: `cloudformation`, `dynamodb`, `sqs`, … */
  readonly service: string;
  /** The operation, e.g. `DescribeStackResources`. */
  readonly operation: string;
  /** The error code AWS answered, e.g. `Throttling`. */
  readonly code: string;
  /** The place whose client was throttled, when the client serves one (a member account's ports). */
  readonly account?: string;
  readonly region?: string;
}

/** A throttle count: per service and operation, and per place when the throttled client named one. */
export interface ThrottleCount {
  readonly service: string;
  readonly operation: string;
  readonly account?: string;
  readonly region?: string;
  readonly count: number;
}

/**
 * Calls `onThrottle` for every throttled attempt the client makes, retried or not, and lets the error
 * go on to the retry strategy unchanged. The middleware sits in `finalizeRequest` at low priority,
 * inside the SDK's retry middleware (high priority in the same step), so it runs once per attempt.
 * A failing hook never fails the call.
 * @see https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/middleware.html
 */
export function observeThrottling<I extends object, O extends MetadataBearer>(
  client: { readonly middlewareStack: MiddlewareStack<I, O> },
  service: string,
  onThrottle: (throttle: Throttle) => void,
): void {
  const middleware: FinalizeRequestMiddleware<I, O> = (next, context) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (isThrottling(error)) {
        try {
          const operation = (context.commandName ?? "unknown").replace(/Command$/, "");
          onThrottle({ service, operation, code: errorName(error) });
        } catch {
          // Counting is best effort; the call's own error is what matters.
        }
      }
      throw error;
    }
  };
  client.middlewareStack.add(middleware, {
    step: "finalizeRequest",
    priority: "low",
    name: "phantomObserveThrottling",
    override: true,
  });
}

/**
 * Throttles counted by (service, operation) until drained: the runtime drains them into
 * `phantom.aws.throttled` points with the next metrics it sends.
 */
export interface ThrottleTally {
  readonly record: (throttle: Throttle) => void;
  /** The counts so far, and zero them. */
  drain(): ThrottleCount[];
}

export function throttleTally(): ThrottleTally {
  const counts = new Map<string, { -readonly [K in keyof ThrottleCount]: ThrottleCount[K] }>();
  return {
    record({ service, operation, account, region }) {
      const key = [service, operation, account ?? "", region ?? ""].join("\u0000");
      const entry = counts.get(key) ?? {
        service,
        operation,
        ...(account !== undefined ? { account } : {}),
        ...(region !== undefined ? { region } : {}),
        count: 0,
      };
      entry.count += 1;
      counts.set(key, entry);
    },
    drain() {
      const out = [...counts.values()].map((e) => ({ ...e }));
      counts.clear();
      return out;
    },
  };
}

/** The environment variable that sets the throttling backoff base (a duration: `500ms`, `1s`). */
export const BACKOFF_VARIABLE = "PHANTOM_AWS_BACKOFF";

/** The environment variable that sets every client's request timeout (a duration: `30s`). */
export const REQUEST_TIMEOUT_VARIABLE = "PHANTOM_REQUEST_TIMEOUT";

function durationVariable(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const ms = parseDuration(raw);
  if (ms === undefined || ms <= 0)
    throw new Error(`${name} ${JSON.stringify(raw)} is not a positive duration (e.g. 500ms, 1s)`);
  return ms;
}

/**
 * The policy the Lambdas use: the defaults, or `PHANTOM_AWS_BACKOFF` as the throttling base (the
 * 5xx base is a fifth of it, the cap 40 times it) and `PHANTOM_REQUEST_TIMEOUT` as the request
 * timeout. `phantom rehearse` shortens them so a throttled or held rehearsal does not wait in real time.
 * @throws {Error} naming the variable when its value is not a duration.
 */
export function awsRetryFromEnv(env: Record<string, string | undefined>): AwsRetryOptions {
  const ms = durationVariable(env, BACKOFF_VARIABLE);
  const requestTimeoutMs = durationVariable(env, REQUEST_TIMEOUT_VARIABLE);
  return {
    ...(ms !== undefined ? { throttlingBaseMs: ms, baseMs: ms / 5, maxDelayMs: ms * 40 } : {}),
    ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
  };
}
