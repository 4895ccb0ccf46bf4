import { createHash } from "node:crypto";
import type { CloudTrailRecord } from "./schema.ts";

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return Object.fromEntries(entries.map(([k, v]) => [k, stable(v)]));
  }
  return value;
}

/**
 * The de-duplication key of a record: its CloudTrail `eventID`, or, for records exported without one,
 * a SHA-256 of the record with keys sorted (so key order and re-serialisation do not matter).
 */
export function eventKey(record: CloudTrailRecord): string {
  if (record.eventID) return record.eventID;
  let text: string;
  try {
    text = JSON.stringify(stable(record));
  } catch {
    // Pathologically deep records: fall back to the identifying fields.
    text = JSON.stringify([record.eventSource, record.eventName, record.eventTime, record.userIdentity?.arn]);
  }
  return `sha256:${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;
}
