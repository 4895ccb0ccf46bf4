import { serviceOf } from "../catalog/catalog.ts";
import type { CatalogEntry } from "../catalog/types.ts";
import type { IntakeContext } from "./classify.ts";
import type { CloudTrailRecord } from "./schema.ts";

/**
 * The first verdicts on a parsed record, before any resource is resolved: not an API call, a failed
 * call, a read, CloudFormation's own call, a service acting alone, or a call outside the catalog. They
 * read only the record's scalar fields and its identity, so `judge` (classify.ts) and the quick path
 * (quick.ts, which never builds the request) take them from this one function.
 */

/** Why a record is screened out; the stable codes of classify.ts's IGNORE_REASONS. */
export type ScreenReason =
  | "not-an-api-call"
  | "failed-call"
  | "read-only"
  | "by-cloudformation"
  | "service-automation"
  | "not-in-catalog";

export type Screening =
  | { readonly out: true; readonly reason: ScreenReason; readonly detail: string }
  | { readonly out: false; readonly entry: CatalogEntry };

const CLOUDFORMATION = "cloudformation.amazonaws.com";
/** Hosts that front a person's console session, not a service acting alone. */
const PERSON_FACING = new Set(["signin.amazonaws.com", "console.amazonaws.com", "AWS Internal"]);
const READ_PREFIX =
  /^(Describe|Get|List|Head|Lookup|Search|BatchGet|Select|Scan|Query|Preview|Validate|Check)/;

function madeByCloudFormation(record: CloudTrailRecord): boolean {
  return (
    record.userIdentity?.invokedBy === CLOUDFORMATION ||
    record.userAgent === CLOUDFORMATION ||
    record.sourceIPAddress === CLOUDFORMATION
  );
}

/** The AWS service acting on the caller's behalf, if any (never a console session). */
function automatingService(record: CloudTrailRecord): string | undefined {
  const id = record.userIdentity;
  if (id?.type === "AWSService") return id.invokedBy ?? "an AWS service";
  const invokedBy = id?.invokedBy;
  if (invokedBy?.endsWith(".amazonaws.com") && !PERSON_FACING.has(invokedBy)) return invokedBy;
  if (id?.sessionContext?.sessionIssuer?.arn?.includes(":role/aws-service-role/")) {
    return `service-linked role ${id.sessionContext.sessionIssuer.arn.split("/").pop()}`;
  }
  const ip = record.sourceIPAddress;
  if (ip?.endsWith(".amazonaws.com") && !PERSON_FACING.has(ip) && !ip.startsWith("console.")) return ip;
  return undefined;
}

function out(reason: ScreenReason, detail: string): Screening {
  return { out: true, reason, detail };
}

function isReadOnly(record: CloudTrailRecord): boolean {
  if (record.readOnly !== undefined) return record.readOnly;
  return READ_PREFIX.test(record.eventName);
}

/**
 * Screens a record in the order `judge` always has: event type, failure, read, CloudFormation, service
 * automation, catalog. The record goes to the catalog, where an entry's effect may depend on the
 * request; the quick path's record has no request, and it only takes a "not in the catalog" from here.
 */
export function screen(record: CloudTrailRecord, context: IntakeContext): Screening {
  if (record.eventType !== undefined && record.eventType !== "AwsApiCall") {
    return out("not-an-api-call", `${record.eventType} events change no resource`);
  }
  if (record.errorCode !== undefined) return out("failed-call", `the call failed with ${record.errorCode}`);
  if (isReadOnly(record)) return out("read-only", `${record.eventName} only reads`);
  if (madeByCloudFormation(record)) {
    return out("by-cloudformation", "made by CloudFormation itself: a stack operation, not drift");
  }
  const service = automatingService(record);
  if (service !== undefined && context.includeServiceAutomation !== true) {
    return out("service-automation", `made by ${service} acting on the account's behalf`);
  }
  const entry = context.catalog.lookup(record.eventSource, record.eventName, record);
  if (entry === undefined) {
    return out(
      "not-in-catalog",
      `${serviceOf(record.eventSource)}:${record.eventName} is not a catalogued write`,
    );
  }
  return { out: false, entry };
}
