/**
 * Every shape a captured CloudTrail event arrives in, flattened to candidate records:
 * an EventBridge envelope (`detail-type` + `detail`), a bare record, a trail log file
 * (`{"Records": [...]}`) and JSON arrays of any of these. JSON lines are split by the reader.
 */

/** The detail-type of CloudTrail API calls on EventBridge. */
export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

/** One record to judge, and where it sat inside its document (`[2]`, `.Records[5]`). */
export interface Candidate {
  readonly raw: unknown;
  readonly path: string;
}

/** Deeper arrays than this are not a capture format; they come out as one malformed candidate. */
export const MAX_DEPTH = 4;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function recordsOf(value: Record<string, unknown>): unknown[] | undefined {
  const records = value.Records ?? value.records;
  return Array.isArray(records) ? records : undefined;
}

function fromEnvelope(value: Record<string, unknown>): unknown {
  const detail = value.detail;
  if (!isObject(detail)) return detail;
  // The envelope's region and account stand in for fields a trimmed detail may lack.
  const filled: Record<string, unknown> = { ...detail };
  if (filled.awsRegion === undefined && typeof value.region === "string") filled.awsRegion = value.region;
  if (filled.eventTime === undefined && typeof value.time === "string") filled.eventTime = value.time;
  if (filled.recipientAccountId === undefined && typeof value.account === "string") {
    filled.recipientAccountId = value.account;
  }
  return filled;
}

/** Flattens one parsed JSON document into candidate records, in document order. */
export function candidates(value: unknown, path = "", depth = 0): Candidate[] {
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return [{ raw: value, path }];
    return value.flatMap((item, i) => candidates(item, `${path}[${i}]`, depth + 1));
  }
  if (isObject(value)) {
    const records = recordsOf(value);
    if (records !== undefined && value.eventName === undefined) {
      if (depth >= MAX_DEPTH) return [{ raw: value, path }];
      return records.flatMap((item, i) => candidates(item, `${path}.Records[${i}]`, depth + 1));
    }
    // Only CloudTrail's detail types (CLOUDTRAIL_DETAIL_TYPE, console sign-in, service events) wrap a
    // record; other EventBridge events are judged as they are, and rejected as not CloudTrail.
    const detailType = value["detail-type"];
    if (typeof detailType === "string" && detailType.endsWith("via CloudTrail") && "detail" in value) {
      return [{ raw: fromEnvelope(value), path }];
    }
  }
  return [{ raw: value, path }];
}
