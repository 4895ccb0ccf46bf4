import {
  describeStackResourceDriftsOutputSchema,
  detectStackResourceDriftOutputSchema,
  formatIssues,
  type RawStackResourceDrift,
  stackResourceDriftSchema,
} from "./schema.ts";
import {
  DIFFERENCE_TYPES,
  type DifferenceType,
  DRIFT_STATUSES,
  type DriftStatus,
  type PropertyDifference,
  type ResourceDrift,
} from "./types.ts";

/**
 * Notes Phantom attaches where CloudFormation's answer is not the whole truth.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html
 */
export const DRIFT_NOTES = {
  /** NOT_CHECKED / UNSUPPORTED: the type has no drift support (BucketPolicy, IAM::Policy, SG ingress, …). */
  notCheckable:
    "CloudFormation cannot check this resource type; Phantom compares the CloudTrail request with the template instead",
  /** IN_SYNC: "CloudFormation only determines drift for property values that are explicitly set". */
  inSync:
    "drift detection checks only properties the template sets; a change to an unset property shows IN_SYNC",
} as const;

/**
 * A result for a resource Phantom could not get an answer for (throttled, failed, not recorded).
 * UNKNOWN is never clean.
 */
export function unknownDrift(
  logicalId: string,
  note: string,
  extra: { readonly physicalId?: string; readonly type?: string } = {},
): ResourceDrift {
  return { logicalId, ...pickDefined(extra), status: "UNKNOWN", differences: [], note };
}

/**
 * A result for a resource whose type CloudFormation cannot check (the API refused with "not
 * supported"): the caller falls back to comparing the CloudTrail request with the template.
 */
export function unsupportedDrift(
  logicalId: string,
  reason?: string,
  extra: { readonly physicalId?: string; readonly type?: string } = {},
): ResourceDrift {
  const note = reason ? `${DRIFT_NOTES.notCheckable} (CloudFormation: ${reason})` : DRIFT_NOTES.notCheckable;
  return { logicalId, ...pickDefined(extra), status: "UNSUPPORTED", differences: [], note };
}

function pickDefined(extra: { readonly physicalId?: string; readonly type?: string }) {
  return {
    ...(extra.physicalId !== undefined ? { physicalId: extra.physicalId } : {}),
    ...(extra.type !== undefined ? { type: extra.type } : {}),
  };
}

const KNOWN_STATUSES: readonly string[] = DRIFT_STATUSES;
const KNOWN_DIFFERENCES: readonly string[] = DIFFERENCE_TYPES;
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * CloudFormation sends `ExpectedValue` / `ActualValue` as strings (`"120"`, `"{\"a\":1}"`, `"null"`).
 * Numbers, booleans, null, objects and arrays are parsed; anything else (plain text such as
 * `PAY_PER_REQUEST` or base64 user data, and JSON string literals) stays the string it was. An integer
 * too large to be exact as a number (an account id would be fine, a 20-digit id is not) stays a string.
 */
export function parsePropertyValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (text === "true") return true;
  if (text === "false") return false;
  if (text === "null") return null;
  if (JSON_NUMBER.test(text)) {
    const n = Number(text);
    if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) return value;
    return n;
  }
  if (text.startsWith("{") || text.startsWith("[")) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

/** `ExpectedProperties` / `ActualProperties`: a JSON string from the API, an object in some recordings. */
function parseProperties(value: unknown): unknown {
  if (typeof value !== "string") return value ?? undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function toIso(value: RawStackResourceDrift["Timestamp"]): string | undefined {
  if (value === undefined || value === null) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function statusOf(raw: RawStackResourceDrift): { status: DriftStatus; note?: string } {
  const given = raw.StackResourceDriftStatus?.trim().toUpperCase();
  const reason = raw.DriftStatusReason;
  if (given === undefined) return { status: "UNKNOWN", note: "CloudFormation returned no drift status" };
  if (!KNOWN_STATUSES.includes(given)) {
    return {
      status: "UNKNOWN",
      note: `CloudFormation returned drift status "${given}", which Phantom does not know`,
    };
  }
  const status = given as DriftStatus;
  switch (status) {
    case "NOT_CHECKED":
    case "UNSUPPORTED":
      return {
        status,
        note: reason ? `${DRIFT_NOTES.notCheckable} (CloudFormation: ${reason})` : DRIFT_NOTES.notCheckable,
      };
    case "IN_SYNC":
      return { status, note: DRIFT_NOTES.inSync };
    case "UNKNOWN":
      return {
        status,
        note: reason
          ? `CloudFormation could not determine drift: ${reason}`
          : "CloudFormation could not determine drift",
      };
    default:
      return reason ? { status, note: reason } : { status };
  }
}

function differenceOf(
  raw: NonNullable<RawStackResourceDrift["PropertyDifferences"]>[number],
): PropertyDifference {
  const given = raw.DifferenceType?.trim().toUpperCase() ?? "";
  // An unknown difference type is still a difference: NOT_EQUAL is the neutral reading.
  const type: DifferenceType = KNOWN_DIFFERENCES.includes(given) ? (given as DifferenceType) : "NOT_EQUAL";
  return {
    path: raw.PropertyPath,
    type,
    expected: parsePropertyValue(raw.ExpectedValue),
    actual: parsePropertyValue(raw.ActualValue),
  };
}

/**
 * Normalises one parsed `StackResourceDrift`. Status: CloudFormation's `StackResourceDriftStatus`
 * when Phantom knows it, else UNKNOWN (never clean). Adds a note where CloudFormation cannot see a
 * change: NOT_CHECKED / UNSUPPORTED (no drift support for the type) and IN_SYNC (only properties the
 * template sets are compared).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackResourceDrift.html
 */
export function normalizeDrift(raw: RawStackResourceDrift): ResourceDrift {
  const { status, note } = statusOf(raw);
  const expectedProperties = parseProperties(raw.ExpectedProperties);
  const actualProperties = parseProperties(raw.ActualProperties);
  const checkedAt = toIso(raw.Timestamp);
  return {
    logicalId: raw.LogicalResourceId,
    ...(raw.PhysicalResourceId !== undefined ? { physicalId: raw.PhysicalResourceId } : {}),
    ...(raw.ResourceType !== undefined ? { type: raw.ResourceType } : {}),
    status,
    differences: (raw.PropertyDifferences ?? []).map(differenceOf),
    ...(expectedProperties !== undefined ? { expectedProperties } : {}),
    ...(actualProperties !== undefined ? { actualProperties } : {}),
    ...(checkedAt !== undefined ? { checkedAt } : {}),
    ...(note !== undefined ? { note } : {}),
  };
}

/** The outcome of reading a drift document: every resource, or every problem at once. */
export type DriftDocumentResult =
  | { readonly ok: true; readonly drifts: ResourceDrift[] }
  | { readonly ok: false; readonly issues: string[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads a drift document in any of the shapes CloudFormation produces: `DetectStackResourceDrift`
 * output (`{"StackResourceDrift": {...}}`), `DescribeStackResourceDrifts` output
 * (`{"StackResourceDrifts": [...]}`), or a bare `StackResourceDrift`. A JSON string is parsed first.
 * Anything else (drift-detection status, stack-set operations, `DescribeStackResources` output) is
 * not a resource drift document and yields `ok: false` with the reasons.
 */
export function parseDriftDocument(json: unknown): DriftDocumentResult {
  let value = json;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value) as unknown;
    } catch (error) {
      return { ok: false, issues: [`not JSON: ${error instanceof Error ? error.message : String(error)}`] };
    }
  }
  if (!isRecord(value)) {
    return {
      ok: false,
      issues: ["(top level): expected a JSON object holding CloudFormation drift results"],
    };
  }
  if ("StackResourceDrift" in value) {
    const parsed = detectStackResourceDriftOutputSchema.safeParse(value);
    return parsed.success
      ? { ok: true, drifts: [normalizeDrift(parsed.data.StackResourceDrift)] }
      : { ok: false, issues: formatIssues(parsed.error) };
  }
  if ("StackResourceDrifts" in value) {
    const parsed = describeStackResourceDriftsOutputSchema.safeParse(value);
    return parsed.success
      ? { ok: true, drifts: parsed.data.StackResourceDrifts.map(normalizeDrift) }
      : { ok: false, issues: formatIssues(parsed.error) };
  }
  if (
    "LogicalResourceId" in value &&
    ("StackResourceDriftStatus" in value || "PropertyDifferences" in value)
  ) {
    const parsed = stackResourceDriftSchema.safeParse(value);
    return parsed.success
      ? { ok: true, drifts: [normalizeDrift(parsed.data)] }
      : { ok: false, issues: formatIssues(parsed.error) };
  }
  const keys = Object.keys(value).slice(0, 5).join(", ");
  return {
    ok: false,
    issues: [
      `(top level): not a resource drift document: expected "StackResourceDrift", "StackResourceDrifts" or a bare StackResourceDrift (keys: ${keys || "none"})`,
    ],
  };
}
