/**
 * Shared by the CloudFormation adapters (`cloudformation-directory.ts`, `cloudformation-drift.ts`):
 * what a CloudFormation error means. The AWS SDK v3 throws a `ServiceException` whose `name` is the
 * service's error code (`Throttling`, `ValidationError`, …), with the HTTP status and the attempt
 * count in `$metadata`.
 * @see https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-types/Interface/MetadataBearer/
 */

interface AwsErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
  readonly $retryable?: { readonly throttling?: boolean };
}

function asAwsError(error: unknown): AwsErrorLike {
  return typeof error === "object" && error !== null ? (error as AwsErrorLike) : {};
}

/** The error's code (`name`), or `Error` for something that is not an AWS error. */
export function errorName(error: unknown): string {
  const { name, code } = asAwsError(error);
  if (typeof name === "string" && name !== "" && name !== "Error") return name;
  return typeof code === "string" && code !== "" ? code : "Error";
}

export function errorMessage(error: unknown): string {
  const { message } = asAwsError(error);
  return typeof message === "string" ? message : String(error);
}

/** `name: message`, for notes and logs. */
export function describeError(error: unknown): string {
  const name = errorName(error);
  const message = errorMessage(error);
  return message === "" || message === name ? name : `${name}: ${message}`;
}

/** HTTP calls the SDK made for this response or error: 1 unless SDK retries are on. */
export function attemptsOf(value: unknown): number {
  const attempts = asAwsError(value).$metadata?.attempts;
  return typeof attempts === "number" && attempts > 0 ? attempts : 1;
}

const THROTTLING_CODES = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
]);

/**
 * Throttling as CloudFormation reports it (`Throttling`, "Rate exceeded", HTTP 400), and as other
 * services and proxies do (`ThrottlingException`, 429, 503).
 * @see https://repost.aws/knowledge-center/cloudformation-rate-exceeded-error
 */
export function isThrottling(error: unknown): boolean {
  const e = asAwsError(error);
  const status = e.$metadata?.httpStatusCode;
  return (
    THROTTLING_CODES.has(errorName(error)) ||
    e.$retryable?.throttling === true ||
    /rate exceeded/i.test(errorMessage(error)) ||
    status === 429 ||
    status === 503
  );
}

/** Worth another try: throttling, or a server-side failure (5xx, `InternalFailure`). */
export function isRetryable(error: unknown): boolean {
  const status = asAwsError(error).$metadata?.httpStatusCode;
  return (
    isThrottling(error) ||
    errorName(error) === "InternalFailure" ||
    errorName(error) === "ServiceUnavailable" ||
    (typeof status === "number" && status >= 500)
  );
}

/**
 * Exponential backoff with full jitter: a random wait in `[0, min(cap, base × 2^attempt))`, the policy
 * of the AWS clients (functions/adapters/aws-retry.ts) and of the CloudFormation adapters that retry
 * themselves. Full jitter spreads many throttled callers (a sweep's hundreds of stacks) over the whole
 * step instead of bunching them in its upper half.
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function fullJitterBackoff(
  attempt: number,
  options: { readonly baseDelayMs: number; readonly maxDelayMs: number; readonly random: () => number },
): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.floor(options.random() * step);
}

/** Exponential backoff with equal jitter: half the step fixed, half random, capped (the Bedrock analyst's). */
export function backoffDelay(
  attempt: number,
  options: { readonly baseDelayMs: number; readonly maxDelayMs: number; readonly random: () => number },
): number {
  const step = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.round(step / 2 + options.random() * (step / 2));
}

/**
 * `DescribeStackResources({PhysicalResourceId})` for an id no stack owns fails with a
 * `ValidationError` such as "Stack for i-0abc does not exist": the resource is unmanaged.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResources.html
 */
export function isNotStackOwned(error: unknown): boolean {
  return errorName(error) === "ValidationError" && /does not exist/i.test(errorMessage(error));
}

const NOT_SUPPORTED = /\b(does ?n[o']t|not|cannot) (currently )?support|\bnot supported\b|\bunsupported\b/i;
const NAMES_A_TYPE = /\btype\b|\b\w+::\w+::\w+\b/i;

/**
 * `DetectStackResourceDrift` on a type without drift support fails with a `ValidationError` saying
 * the resource type is not supported. The exact wording is not documented, so this matches a
 * ValidationError that says "not supported" and names a type; a stack-status refusal (no type named)
 * does not match and stays UNKNOWN.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resource-import-supported-resources.html
 */
export function isUnsupportedDrift(error: unknown): boolean {
  const message = errorMessage(error);
  return errorName(error) === "ValidationError" && NOT_SUPPORTED.test(message) && NAMES_A_TYPE.test(message);
}

/**
 * The stack name from a stack name or stack ARN
 * (`arn:aws:cloudformation:us-east-1:123456789012:stack/Name/uuid` ► `Name`).
 */
export function stackNameOf(stack: string): string {
  const match = /^arn:[^:]+:cloudformation:[^:]*:[^:]*:stack\/([^/]+)\//.exec(stack);
  return match?.[1] ?? stack;
}
