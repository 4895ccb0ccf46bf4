import type { z } from "zod";
import type { Catalog } from "../catalog/catalog.ts";
import { serviceOf } from "../catalog/catalog.ts";
import { touchedResources } from "../catalog/resolve.ts";
import type { ResourceRef } from "../catalog/types.ts";
import type { IgnoreRules } from "../config/ignore.ts";
import { type Actor, actorOf } from "./actor.ts";
import { canonicalKeys, normalizeRecord } from "./normalize.ts";
import { type CloudTrailRecord, cloudTrailRecordSchema, implausibleTime } from "./schema.ts";
import { screen } from "./screen.ts";

/** Why a record is not a change. Stable codes: metrics and summaries group by them. */
export const IGNORE_REASONS = [
  "not-an-api-call",
  "failed-call",
  "read-only",
  "by-cloudformation",
  "service-automation",
  "creates-new-resource",
  "operational",
  "not-in-catalog",
  "not-stack-ownable",
  "ignore-rule",
] as const;
export type IgnoreReason = (typeof IGNORE_REASONS)[number];

export const REJECT_REASONS = ["malformed", "missing-field", "resource-id-not-found"] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

interface Judged {
  readonly record: CloudTrailRecord;
  readonly actor: Actor;
  readonly resources: readonly ResourceRef[];
}

/** The verdict on one record: a change, ignored with a reason, or rejected with the error. */
export type Judgement =
  | ({ readonly verdict: "change" } & Judged)
  | ({ readonly verdict: "ignored"; readonly reason: IgnoreReason; readonly detail: string } & Judged)
  | {
      readonly verdict: "rejected";
      readonly reason: RejectReason;
      readonly detail: string;
      /** What could be read of the record, for the report line. */
      readonly partial: Partial<
        Pick<CloudTrailRecord, "eventID" | "eventName" | "eventSource" | "eventTime">
      >;
      readonly record?: CloudTrailRecord;
      readonly actor?: Actor;
    };

export interface IntakeContext {
  readonly catalog: Catalog;
  readonly ignore: IgnoreRules;
  /** Treat writes by AWS services acting on your behalf as changes (default: ignore them). */
  readonly includeServiceAutomation?: boolean;
  /**
   * The latest plausible event time (ISO), from the reader's clock (`latestEventTimeAt`): a record
   * after it is rejected. Absent: only the fixed range (schema.ts `implausibleTime`) applies.
   */
  readonly latestEventTime?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function peek(input: unknown): Extract<Judgement, { verdict: "rejected" }>["partial"] {
  const raw = canonicalKeys(input);
  if (!isObject(raw)) return {};
  const pick = (k: string) => (typeof raw[k] === "string" ? (raw[k] as string) : undefined);
  const out: Record<string, string> = {};
  for (const k of ["eventID", "eventName", "eventSource", "eventTime"] as const) {
    const v = pick(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Required fields are checked before the schema runs, so any schema issue is a malformed field. */
function describeIssues(error: z.ZodError): { reason: RejectReason; detail: string } {
  const first = error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "record"}: ${i.message}`)
    .join("; ");
  return { reason: "malformed", detail: first };
}

/** Parses one candidate record permissively; the error names what was wrong and where. */
export function parseRecord(
  raw: unknown,
): { ok: true; record: CloudTrailRecord } | { ok: false; reason: RejectReason; detail: string } {
  if (!isObject(raw)) {
    const kind = Array.isArray(raw) ? "an array" : raw === null ? "null" : typeof raw;
    return { ok: false, reason: "malformed", detail: `expected a CloudTrail record object, got ${kind}` };
  }
  if (typeof raw["detail-type"] === "string") {
    if (raw["detail-type"].endsWith("via CloudTrail")) {
      return {
        ok: false,
        reason: "missing-field",
        detail: "required field missing: detail (the CloudTrail record)",
      };
    }
    return {
      ok: false,
      reason: "malformed",
      detail: `an EventBridge event of detail-type ${JSON.stringify(raw["detail-type"])}, not a CloudTrail API call`,
    };
  }
  const normalized = normalizeRecord(raw);
  if (normalized.undecoded !== undefined) {
    const { field, error } = normalized.undecoded;
    return { ok: false, reason: "malformed", detail: `${field} is JSON text that does not parse: ${error}` };
  }
  const record = withTimeFallback(normalized.record);
  const missing = REQUIRED.filter((k) => record[k] === undefined || record[k] === null || record[k] === "");
  if (missing.length > 0) {
    return {
      ok: false,
      reason: "missing-field",
      detail: `required field${missing.length > 1 ? "s" : ""} missing: ${missing.join(", ")}`,
    };
  }
  const result = cloudTrailRecordSchema.safeParse(record);
  if (result.success) return { ok: true, record: result.data };
  return { ok: false, ...describeIssues(result.error) };
}

const REQUIRED = ["eventName", "eventSource", "eventTime"] as const;

/** Elastic/Logstash exports move the time to `@timestamp`. */
function withTimeFallback(record: Record<string, unknown>): Record<string, unknown> {
  const missing = record.eventTime === undefined || record.eventTime === null || record.eventTime === "";
  if (!missing || record["@timestamp"] === undefined || record["@timestamp"] === null) return record;
  return { ...record, eventTime: record["@timestamp"] };
}

/**
 * Judges one candidate record: is it a change to a stack-ownable resource, and which resources does it
 * touch? Expected outcomes are verdicts, never exceptions; this function does not throw.
 */
export function judge(raw: unknown, context: IntakeContext): Judgement {
  const parsed = parseRecord(raw);
  if (!parsed.ok)
    return { verdict: "rejected", reason: parsed.reason, detail: parsed.detail, partial: peek(raw) };
  const record = parsed.record;
  const late = implausibleTime(record.eventTime, context.latestEventTime);
  if (late !== undefined)
    return { verdict: "rejected", reason: "malformed", detail: late, partial: peek(raw) };
  const actor = actorOf(record);
  const none: readonly ResourceRef[] = [];
  const ignored = (reason: IgnoreReason, detail: string, resources = none): Judgement => ({
    verdict: "ignored",
    reason,
    detail,
    record,
    actor,
    resources,
  });

  const screened = screen(record, context);
  if (screened.out) return ignored(screened.reason, screened.detail);
  const entry = screened.entry;
  if (entry.effect === "create") {
    return ignored("creates-new-resource", `${entry.event} creates a new resource, which no stack owns yet`);
  }
  if (entry.effect === "operational") {
    return ignored(
      "operational",
      `${entry.event} changes runtime state, not configuration a template declares`,
    );
  }
  const resolution = touchedResources(entry, record);
  if (!resolution.ok && resolution.reason === "not-ownable") {
    return ignored("not-stack-ownable", resolution.error);
  }
  if (!resolution.ok) {
    return {
      verdict: "rejected",
      reason: "resource-id-not-found",
      detail: resolution.error,
      partial: peek(record),
      record,
      actor,
    };
  }
  const rule = context.ignore.match({
    actor,
    ...(record.userIdentity?.sessionContext?.sessionIssuer?.arn
      ? { issuerArn: record.userIdentity.sessionContext.sessionIssuer.arn }
      : {}),
    service: serviceOf(record.eventSource),
    eventName: record.eventName,
    baseEventName: entry.event,
    ...(record.awsRegion ? { region: record.awsRegion } : {}),
    resources: resolution.resources,
  });
  if (rule !== undefined) return ignored("ignore-rule", rule.description, resolution.resources);
  return { verdict: "change", record, actor, resources: resolution.resources };
}
