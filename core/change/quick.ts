import { type Actor, actorOf } from "./actor.ts";
import type { IntakeContext, Judgement } from "./classify.ts";
import { canonicalKey, canonicalKeys, IDENTITY_SHAPE } from "./normalize.ts";
import { Kind, type Members, scanRecord } from "./scan.ts";
import type { CloudTrailRecord, UserIdentity } from "./schema.ts";
import { toIsoTime } from "./schema.ts";
import { type ScreenReason, screen } from "./screen.ts";

/**
 * The quick path of the intake: judges one record's JSON text without building the record. About 99 %
 * of a trail is reads, failed calls and calls outside the catalog; their verdict needs a dozen scalar
 * fields and the caller's identity, never the request or the response. So the text is validated by a
 * scanner that builds nothing (scan.ts), those fields are read where they sit, and the verdict comes
 * from the same screen `judge` uses (screen.ts).
 *
 * Whenever the answer is not certain, `quickJudge` returns `undefined` and the caller takes the full
 * path (JSON.parse, decode, the zod schema, judge): not one record object, escaped or duplicate keys
 * among the fields read, a field of a type the schema would reject or transform, a JSON-text field of
 * an export, a catalogued call. test/change/quick.test.ts proves the two paths give the same line for
 * the corpus, the real datasets and generated adversarial records.
 */

/** Verdicts the quick path may give; everything past the catalog needs the request. */
const QUICK: ReadonlySet<ScreenReason> = new Set<ScreenReason>([
  "not-an-api-call",
  "failed-call",
  "read-only",
  "by-cloudformation",
  "service-automation",
  "not-in-catalog",
]);

/** How the schema (schema.ts) reads a field, for the types it accepts unchanged. */
const OPTIONAL_STRINGS = [
  "eventVersion",
  "eventID",
  "eventType",
  "awsRegion",
  "recipientAccountId",
  "sourceIPAddress",
  "userAgent",
  "errorCode",
  "errorMessage",
] as const;
const BOOLEANS = ["readOnly", "managementEvent", "sessionCredentialFromConsole"] as const;
/** Objects in the schema (`looseObject`), written as JSON text by some exports. */
const OBJECTS = ["requestParameters", "responseElements", "additionalEventData", "addendum"] as const;
/** Not in the schema, but written as JSON text by some exports (the full path parses it). */
const OTHER_JSON = ["resources", "serviceEventDetails", "edgeDeviceDetails", "tlsDetails"] as const;

/** Field ids: record fields by canonical name, then keys that matter by their exact spelling. */
const FIELDS = [
  "eventName",
  "eventSource",
  "eventTime",
  "userIdentity",
  ...OPTIONAL_STRINGS,
  ...BOOLEANS,
  ...OBJECTS,
  ...OTHER_JSON,
  // Exact keys: an EventBridge envelope's, and those that make a document something else.
  "detail-type",
  "detail",
  "region",
  "time",
  "account",
  "Records",
  "records",
] as const;
type Field = (typeof FIELDS)[number];
const ID = new Map<string, number>(FIELDS.map((name, i) => [name, i]));
const id = (name: Field): number => ID.get(name) as number;
const F = {
  eventName: id("eventName"),
  eventSource: id("eventSource"),
  eventTime: id("eventTime"),
  userIdentity: id("userIdentity"),
  detailType: id("detail-type"),
  detail: id("detail"),
  region: id("region"),
  time: id("time"),
  account: id("account"),
  Records: id("Records"),
  records: id("records"),
  awsRegion: id("awsRegion"),
  recipientAccountId: id("recipientAccountId"),
};
const OPTIONAL_STRING_IDS = OPTIONAL_STRINGS.map(id);
const BOOLEAN_IDS = BOOLEANS.map(id);
const OBJECT_IDS = OBJECTS.map(id);
const OTHER_JSON_IDS = OTHER_JSON.map(id);
const NONE = -1;
/** A key Phantom does not read. */
const UNKNOWN = -2;

/** Key spelling ► field id (or UNKNOWN). Bounded: a capture of random keys must not grow it forever. */
const keyIds = new Map<string, number>();
const MAX_KEY_CACHE = 4096;

function fieldOf(key: string): number {
  const known = keyIds.get(key);
  if (known !== undefined) return known;
  // Record fields in any case (as canonicalKeys reads them); the rest by exact spelling only.
  const found = ID.get(canonicalKey(key)) ?? UNKNOWN;
  if (keyIds.size < MAX_KEY_CACHE) keyIds.set(key, found);
  return found;
}

/** Member index per field id, for one object; NONE when absent. */
const topSlots = new Int32Array(FIELDS.length);
const recordSlots = new Int32Array(FIELDS.length);
/** Whether a record field's key was spelled exactly (an envelope fills only exactly missing fields). */
const exactSpelling = new Uint8Array(FIELDS.length);

/** Fills `slots` from `members`; false on an escaped key or a field given twice (any spelling). */
function slotsOf(s: string, members: Members, slots: Int32Array, exact: Uint8Array | undefined): boolean {
  slots.fill(NONE);
  for (let m = 0; m < members.count; m++) {
    if (members.keyEscaped[m] === 1) return false;
    const key = s.slice((members.keyStart[m] as number) + 1, (members.keyEnd[m] as number) - 1);
    const field = fieldOf(key);
    if (field === UNKNOWN) continue;
    if (slots[field] !== NONE) return false;
    slots[field] = m;
    if (exact !== undefined) exact[field] = key === FIELDS[field] ? 1 : 0;
  }
  return true;
}

/** A string member's value (JSON.parse decodes escapes exactly as the full path would). */
function stringAt(s: string, members: Members, m: number): string {
  const start = members.valueStart[m] as number;
  const end = members.valueEnd[m] as number;
  return members.kind[m] === Kind.String
    ? s.slice(start + 1, end - 1)
    : (JSON.parse(s.slice(start, end)) as string);
}

function isString(kind: number): boolean {
  return kind === Kind.String || kind === Kind.EscapedString;
}

/** Marks "the schema would not take this as it is": the full path decides. */
const UNSURE = Symbol("unsure");

/**
 * The value the schema's `optionalString` yields for a string or null member, or UNSURE for other
 * types (the schema turns numbers into strings; the full path does that).
 */
function optionalString(s: string, members: Members, m: number): string | undefined | typeof UNSURE {
  if (m === NONE) return undefined;
  const kind = members.kind[m] as number;
  if (kind === Kind.Null) return undefined;
  if (!isString(kind)) return UNSURE;
  const value = stringAt(s, members, m);
  return value === "" ? undefined : value;
}

/** The schema's `looseBoolean` for a member. */
function looseBoolean(s: string, members: Members, m: number): boolean | undefined | typeof UNSURE {
  if (m === NONE) return undefined;
  const kind = members.kind[m] as number;
  if (kind === Kind.True) return true;
  if (kind === Kind.False) return false;
  if (kind === Kind.Null) return undefined;
  if (!isString(kind)) return UNSURE;
  const text = stringAt(s, members, m).trim().toLowerCase();
  return text === "true" ? true : text === "false" ? false : undefined;
}

/** An `optionalString` of the identity schema: a string, a number's text, or invalid. */
function identityString(value: unknown): string | undefined | typeof UNSURE {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return UNSURE;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The strings of `object` named by `keys`, as the identity schema reads them; undefined if any is invalid. */
function stringsOf(
  object: Record<string, unknown>,
  keys: readonly string[],
): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = identityString(object[key]);
    if (value === UNSURE) return undefined;
    if (value !== undefined) out[key] = value;
  }
  return out;
}

const IDENTITY_KEYS = ["type", "principalId", "arn", "accountId", "userName", "invokedBy"];
const ISSUER_KEYS = ["type", "principalId", "arn", "accountId", "userName"];

/**
 * `userIdentitySchema.nullish().catch(undefined)` (schema.ts) for a canonical identity, without zod:
 * the fields the actor and the screen read, each failure caught where the schema catches it.
 */
export function identityOf(raw: unknown): UserIdentity | undefined {
  if (!isPlainObject(raw)) return undefined;
  const identity: Record<string, unknown> | undefined = stringsOf(raw, IDENTITY_KEYS);
  if (identity === undefined) return undefined;
  const context = raw.sessionContext;
  if (isPlainObject(context)) {
    const issuer = isPlainObject(context.sessionIssuer)
      ? stringsOf(context.sessionIssuer, ISSUER_KEYS)
      : undefined;
    const source = identityString(context.sourceIdentity);
    if (source !== UNSURE) {
      identity.sessionContext = {
        ...(issuer !== undefined ? { sessionIssuer: issuer } : {}),
        ...(source !== undefined ? { sourceIdentity: source } : {}),
      };
    }
  }
  const behalf = raw.onBehalfOf;
  if (isPlainObject(behalf)) {
    const userId = identityString(behalf.userId);
    if (userId !== UNSURE) identity.onBehalfOf = userId === undefined ? {} : { userId };
  }
  return identity as UserIdentity;
}

/**
 * The verdict on one record's JSON text when it is certain without building the record, else
 * `undefined` (take the full path). Never throws.
 */
export function quickJudge(text: string, context: IntakeContext): Judgement | undefined {
  const scan = scanRecord(text);
  if (scan === false) return undefined;
  if (!slotsOf(text, scan.top, topSlots, undefined)) return undefined;
  // A trail log file, or an object holding one: the full path flattens it.
  if (topSlots[F.Records] !== NONE || topSlots[F.records] !== NONE) return undefined;
  let members = scan.top;
  let slots = topSlots;
  let envelope = false;
  const detailType = topSlots[F.detailType] as number;
  if (detailType !== NONE && isString(scan.top.kind[detailType] as number)) {
    // An EventBridge envelope of a CloudTrail record, or a document the full path rejects.
    if (topSlots[F.detail] === NONE || !stringAt(text, scan.top, detailType).endsWith("via CloudTrail")) {
      return undefined;
    }
    if (scan.top.kind[topSlots[F.detail] as number] !== Kind.Object) return undefined;
    members = scan.detail;
    slots = recordSlots;
    envelope = true;
    if (!slotsOf(text, members, slots, exactSpelling)) return undefined;
    const inner = slots[F.detailType] as number;
    if (inner !== NONE && isString(members.kind[inner] as number)) return undefined;
  }
  const record = lightRecord(text, members, slots, envelope ? scan.top : undefined);
  if (record === undefined) return undefined;
  const screening = screen(record, context);
  if (!screening.out || !QUICK.has(screening.reason)) return undefined;
  const actor: Actor = actorOf(record);
  return {
    verdict: "ignored",
    reason: screening.reason,
    detail: screening.detail,
    record,
    actor,
    resources: [],
  };
}

/** An envelope's own value for a field the detail lacks (`fromEnvelope` in decode.ts). */
function envelopeString(text: string, envelope: Members, field: number): string | undefined {
  const m = topSlots[field] as number;
  if (m === NONE || !isString(envelope.kind[m] as number)) return undefined;
  return stringAt(text, envelope, m);
}

/**
 * The record's scalar fields and identity as the schema yields them; undefined when the schema would
 * reject the record or transform a field the quick path does not (then the full path decides).
 */
function lightRecord(
  text: string,
  members: Members,
  slots: Int32Array,
  envelope: Members | undefined,
): CloudTrailRecord | undefined {
  // JSON text of an export: the full path parses it (and rejects it when it does not parse).
  for (const field of OBJECT_IDS) {
    const kind = kindAt(members, slots, field);
    if (kind !== NONE && kind !== Kind.Object && kind !== Kind.Null) return undefined;
  }
  for (const field of OTHER_JSON_IDS) if (isString(kindAt(members, slots, field))) return undefined;
  if (isString(kindAt(members, slots, F.userIdentity))) return undefined;

  const record: Record<string, unknown> = {};
  for (const field of OPTIONAL_STRING_IDS) {
    const value = optionalString(text, members, slots[field] as number);
    if (value === UNSURE) return undefined;
    if (value !== undefined) record[FIELDS[field] as string] = value;
  }
  for (const field of BOOLEAN_IDS) {
    const value = looseBoolean(text, members, slots[field] as number);
    if (value === UNSURE) return undefined;
    if (value !== undefined) record[FIELDS[field] as string] = value;
  }
  // Required: a non-empty eventName and eventSource, and an eventTime that is a time (as a string).
  if (!isString(kindAt(members, slots, F.eventName))) return undefined;
  if (!isString(kindAt(members, slots, F.eventSource))) return undefined;
  if (!isString(kindAt(members, slots, F.eventTime))) return undefined;
  const eventName = stringAt(text, members, slots[F.eventName] as number);
  const eventSource = stringAt(text, members, slots[F.eventSource] as number);
  let time = stringAt(text, members, slots[F.eventTime] as number);
  if (envelope !== undefined) {
    // The envelope fills a field only when the detail lacks its exact spelling, and then wins.
    const region = filled(text, envelope, slots, F.awsRegion, F.region);
    if (region !== undefined) record.awsRegion = region === "" ? undefined : region;
    const account = filled(text, envelope, slots, F.recipientAccountId, F.account);
    if (account !== undefined) record.recipientAccountId = account === "" ? undefined : account;
    const envelopeTime = filled(text, envelope, slots, F.eventTime, F.time);
    if (envelopeTime !== undefined) time = envelopeTime;
  }
  if (eventName === "" || eventSource === "" || time === "") return undefined;
  const eventTime = toIsoTime(time);
  if (eventTime === undefined) return undefined;
  record.eventName = eventName;
  record.eventSource = eventSource;
  record.eventTime = eventTime;
  const identitySlot = slots[F.userIdentity] as number;
  if (identitySlot !== NONE && kindAt(members, slots, F.userIdentity) === Kind.Object) {
    const identity = identityAt(
      text.slice(members.valueStart[identitySlot] as number, members.valueEnd[identitySlot] as number),
    );
    if (identity !== undefined) record.userIdentity = identity;
  }
  return record as CloudTrailRecord;
}

function kindAt(members: Members, slots: Int32Array, field: number): number {
  const m = slots[field] as number;
  return m === NONE ? NONE : (members.kind[m] as number);
}

/** The envelope's value for a record field the detail lacks in its exact spelling, if it is a string. */
function filled(
  text: string,
  envelope: Members,
  slots: Int32Array,
  field: number,
  from: number,
): string | undefined {
  return slots[field] !== NONE && exactSpelling[field] === 1
    ? undefined
    : envelopeString(text, envelope, from);
}

/**
 * Identities by their JSON text. A trail repeats a handful of callers, each with the same identity
 * block, so most records find theirs here. Bounded, and emptied when full.
 */
const identities = new Map<string, UserIdentity | undefined>();
const MAX_IDENTITIES = 512;

/** The identity the schema reads from `text`, a valid JSON object. */
function identityAt(text: string): UserIdentity | undefined {
  if (identities.has(text)) return identities.get(text);
  const identity = identityOf(canonicalKeys(JSON.parse(text), IDENTITY_SHAPE));
  if (identities.size >= MAX_IDENTITIES) identities.clear();
  // Frozen: records share it, and nobody may change one caller's identity through another record.
  identities.set(text, identity === undefined ? undefined : deepFreeze(identity));
  return identities.get(text);
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === "object" && inner !== null) deepFreeze(inner);
  }
  return Object.freeze(value);
}
