import { z } from "zod";

/**
 * Permissive schemas for CloudTrail records as they arrive from EventBridge, trail log files and SIEM
 * exports. Only the fields Phantom reads are listed; unknown fields pass through untouched.
 * Key case is normalised before these run (see `normalize.ts`), so `sessioncontext` parses too.
 *
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */

const optionalString = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : String(v)));

/** CloudTrail writes some booleans as strings (`sessionCredentialFromConsole: "true"`); SIEMs do it to all. */
const looseBoolean = z
  .union([z.boolean(), z.string(), z.null()])
  .optional()
  .transform((v) => {
    if (typeof v === "boolean") return v;
    if (typeof v !== "string") return undefined;
    const s = v.trim().toLowerCase();
    return s === "true" ? true : s === "false" ? false : undefined;
  });

const looseObject = z
  .union([z.record(z.string(), z.unknown()), z.null(), z.string()])
  .optional()
  .transform((v) => (v !== null && typeof v === "object" ? v : undefined));

export const sessionIssuerSchema = z.looseObject({
  type: optionalString,
  principalId: optionalString,
  arn: optionalString,
  accountId: optionalString,
  userName: optionalString,
});

export const userIdentitySchema = z.looseObject({
  type: optionalString,
  principalId: optionalString,
  arn: optionalString,
  accountId: optionalString,
  userName: optionalString,
  invokedBy: optionalString,
  sessionContext: z
    .looseObject({
      sessionIssuer: sessionIssuerSchema.nullish().catch(undefined),
      sourceIdentity: optionalString,
    })
    .nullish()
    .catch(undefined),
  onBehalfOf: z.looseObject({ userId: optionalString }).nullish().catch(undefined),
});

const resourceSchema = z.looseObject({
  ARN: optionalString,
  type: optionalString,
  accountId: optionalString,
});

/** Accepts ISO 8601 and the SIEM form `2021-01-24 04:55:45.000` (UTC); yields an ISO string. */
export const eventTimeSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const iso = toIsoTime(v);
  if (iso === undefined) {
    ctx.addIssue({ code: "custom", message: `eventTime ${JSON.stringify(v)} is not a time` });
    return z.NEVER;
  }
  return iso;
});

export const cloudTrailRecordSchema = z.looseObject({
  eventVersion: optionalString,
  eventID: optionalString,
  eventName: z.string().min(1, "eventName is empty"),
  eventSource: z.string().min(1, "eventSource is empty"),
  eventTime: eventTimeSchema,
  eventType: optionalString,
  awsRegion: optionalString,
  recipientAccountId: optionalString,
  userIdentity: userIdentitySchema.nullish().catch(undefined),
  sourceIPAddress: optionalString,
  userAgent: optionalString,
  errorCode: optionalString,
  errorMessage: optionalString,
  readOnly: looseBoolean,
  managementEvent: looseBoolean,
  sessionCredentialFromConsole: looseBoolean,
  requestParameters: looseObject,
  responseElements: looseObject,
  additionalEventData: looseObject,
  resources: z.array(resourceSchema).nullish().catch(undefined),
  addendum: looseObject,
});

/** A CloudTrail record after parsing: times are ISO strings, booleans are booleans. */
export type CloudTrailRecord = z.output<typeof cloudTrailRecordSchema>;
export type UserIdentity = NonNullable<CloudTrailRecord["userIdentity"]>;

/** The EventBridge envelope around a CloudTrail record ("AWS API Call via CloudTrail"). */
export const envelopeSchema = z.looseObject({
  "detail-type": z.string(),
  source: optionalString,
  account: optionalString,
  region: optionalString,
  time: optionalString,
  detail: z.unknown(),
});

/**
 * The plausible range of a record's time. CloudTrail was launched in November 2013, so no record of it
 * is older; and no time may lie past the last one with a four-digit year (`toISOString` writes later
 * years as `+275760-…`, and date arithmetic on them overflows JavaScript's dates, which throws). The
 * caller narrows the upper end to its own clock (IntakeContext `latestEventTime`): a capture cannot
 * hold an event from after the moment it is read, give or take a day of clock skew.
 */
export const EARLIEST_EVENT_TIME = "2013-11-01T00:00:00.000Z";
export const LATEST_EVENT_TIME = "9999-12-31T23:59:59.999Z";
/** How far past its reader's clock a record's time may be (clock skew, a mislabelled zone). */
export const EVENT_TIME_SLACK_MS = 24 * 60 * 60 * 1000;

/** The latest plausible event time for a reader whose clock reads `nowMs`: a day later. */
export function latestEventTimeAt(nowMs: number): string {
  const ms = nowMs + EVENT_TIME_SLACK_MS;
  return Number.isFinite(ms) && ms < Date.parse(LATEST_EVENT_TIME)
    ? new Date(ms).toISOString()
    : LATEST_EVENT_TIME;
}

/**
 * Why an ISO time (toIsoTime's form) is not a plausible event time, or `undefined` when it is. ISO
 * strings of four-digit years compare as times; an extended year (`+275760-…`, `-000001-…`) sorts
 * below every digit, so it is "before" and caught by the first test.
 */
export function implausibleTime(iso: string, latest: string = LATEST_EVENT_TIME): string | undefined {
  if (iso < EARLIEST_EVENT_TIME) {
    return iso.startsWith("+")
      ? `eventTime ${iso} is not a plausible time: after ${latest}`
      : `eventTime ${iso} is not a plausible time: before CloudTrail existed (${EARLIEST_EVENT_TIME})`;
  }
  if (iso > latest) return `eventTime ${iso} is not a plausible time: after ${latest}`;
  return undefined;
}

const SIEM_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})?$/;

/** The last time parsed: records of a trail come in time order, many to the second, so most repeat it. */
let lastTime: string | number | undefined;
let lastIso: string | undefined;

/** Parses a CloudTrail or SIEM time into ISO 8601 UTC; `undefined` when it is not a time. */
export function toIsoTime(value: string | number): string | undefined {
  if (value === lastTime) return lastIso;
  const iso = parseTime(value);
  lastTime = value;
  lastIso = iso;
  return iso;
}

function parseTime(value: string | number): string | undefined {
  let ms: number;
  if (typeof value === "number") {
    // Epoch seconds or milliseconds, as some exports write them.
    ms = value < 1e11 ? value * 1000 : value;
  } else {
    const m = SIEM_TIME.exec(value.trim());
    if (m === null) return undefined;
    const [, date, time, zone] = m;
    ms = Date.parse(`${date}T${time?.slice(0, 12)}${zone ?? "Z"}`);
    if (!Number.isFinite(ms)) return undefined;
    const iso = new Date(ms).toISOString();
    // Date.parse rolls impossible dates over (Feb 30 ► Mar 2); a UTC time must round-trip its date.
    if ((zone === undefined || zone === "Z") && iso.slice(0, 10) !== date) return undefined;
    return iso;
  }
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
