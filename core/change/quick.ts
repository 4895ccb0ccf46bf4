import { type Actor, actorOf } from "./actor.ts";
import { ascii, isWellFormed, utf8 } from "./bytes.ts";
import type { IntakeContext, Judgement } from "./classify.ts";
import { canonicalKey, canonicalKeys, IDENTITY_SHAPE, RECORD_SHAPE } from "./normalize.ts";
import { BAIL, Kind, Members, type Memo, NONE, type ScanHooks, scanRecord, UNKNOWN } from "./scan.ts";
import { type KeyTableViews, WASM_SCANNER, type WasmScanner } from "./scan-wasm.ts";
import type { CloudTrailRecord, UserIdentity } from "./schema.ts";
import { EARLIEST_EVENT_TIME, LATEST_EVENT_TIME, toIsoTime } from "./schema.ts";
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
  eventID: id("eventID"),
};
const OPTIONAL_STRING_IDS = OPTIONAL_STRINGS.map(id);
/** Optional strings a quick verdict, its actor or its line reads; the others are only type-checked. */
const UNREAD: readonly Field[] = ["eventVersion", "awsRegion", "recipientAccountId", "errorMessage"];
const UNREAD_IDS = UNREAD.map(id);
const READ_STRING_IDS = OPTIONAL_STRING_IDS.filter((field) => !UNREAD_IDS.includes(field));
const BOOLEAN_IDS = BOOLEANS.map(id);
const OBJECT_IDS = OBJECTS.map(id);
const OTHER_JSON_IDS = OTHER_JSON.map(id);
const FIELD_COUNT = FIELDS.length;

/**
 * Key spellings ► field id, looked up by the key's bytes without decoding them: an open-addressing hash
 * table over the key's length and three of its bytes, each hit checked byte by byte. It starts with
 * each record field's exact and lowercase spellings, the exact keys that matter, and the other keys
 * CloudTrail and EventBridge write (UNKNOWN); any other printable ASCII key is added once its field is
 * known, so it is decoded once (bounded: a capture of random keys must not grow it forever).
 */
class KeyTable {
  static readonly #BITS = 13;
  static readonly #MAX = 2048;
  readonly #slots: Int32Array;
  #bytes: Uint8Array;
  /** The WebAssembly scanner reads the table where it is (scan-wasm.ts): its bytes cannot grow. */
  readonly #fixed: boolean;
  #used = 0;
  readonly #from: Int32Array;
  readonly #length: Int32Array;
  readonly #field: Int32Array;
  #count = 0;

  constructor(views?: KeyTableViews) {
    if (views !== undefined && (views.bits !== KeyTable.#BITS || views.max !== KeyTable.#MAX)) {
      throw new Error("the WebAssembly scanner's key table differs from quick.ts's");
    }
    this.#slots = views?.slots ?? new Int32Array(1 << KeyTable.#BITS);
    this.#bytes = views?.bytes ?? new Uint8Array(1 << 15);
    this.#fixed = views !== undefined;
    this.#from = views?.from ?? new Int32Array(KeyTable.#MAX);
    this.#length = views?.length ?? new Int32Array(KeyTable.#MAX);
    this.#field = views?.field ?? new Int32Array(KeyTable.#MAX);
  }

  static #hash(length: number, first: number, middle: number, last: number): number {
    const h = Math.imul(length ^ (first << 8) ^ (middle << 16) ^ (last << 24), 0x9e3779b1);
    return h >>> (32 - KeyTable.#BITS);
  }

  /** The field of the key between `start` and `end` of `b` (not empty), or NONE when it is not listed. */
  find(b: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const mask = (1 << KeyTable.#BITS) - 1;
    let slot = KeyTable.#hash(
      length,
      b[start] as number,
      b[start + (length >> 1)] as number,
      b[end - 1] as number,
    );
    for (;;) {
      const entry = this.#slots[slot] as number;
      if (entry === 0) return NONE;
      const e = entry - 1;
      if (this.#length[e] === length) {
        const from = this.#from[e] as number;
        let k = 0;
        while (k < length && b[start + k] === this.#bytes[from + k]) k++;
        if (k === length) return this.#field[e] as number;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Lists a printable ASCII spelling (not empty) unless it is there; false when the table is full. */
  add(text: string, field: number): boolean {
    const length = text.length;
    const bytes = Uint8Array.from(text, (ch) => ch.charCodeAt(0));
    if (this.find(bytes, 0, length) !== NONE) return true;
    if (this.#count === KeyTable.#MAX) return false;
    if (this.#used + length > this.#bytes.length) {
      if (this.#fixed) return false;
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#used + length));
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    const e = this.#count++;
    this.#from[e] = this.#used;
    this.#length[e] = length;
    this.#field[e] = field;
    this.#bytes.set(bytes, this.#used);
    this.#used += length;
    const mask = (1 << KeyTable.#BITS) - 1;
    let slot = KeyTable.#hash(
      length,
      bytes[0] as number,
      bytes[length >> 1] as number,
      bytes[length - 1] as number,
    );
    while (this.#slots[slot] !== 0) slot = (slot + 1) & mask;
    this.#slots[slot] = e + 1;
    return true;
  }
}

const KEYS = new KeyTable(WASM_SCANNER?.keys);
/** Only printable ASCII spellings go in the table (each byte is its character). */
const listable = (text: string): boolean => /^[\x20-\x7e]+$/.test(text);
function listSpelling(text: string, field: number): void {
  if (listable(text)) KEYS.add(text, field);
}
for (const [i, name] of FIELDS.entries()) {
  listSpelling(name, i);
  // Record fields in any case, as canonicalKeys reads them; the exact keys only as they are.
  if (canonicalKey(name) === name && canonicalKey(name.toLowerCase()) === name)
    listSpelling(name.toLowerCase(), i);
}
for (const name of [...RECORD_SHAPE.keys, "version", "id", "source", "resources"]) {
  listSpelling(name, ID.get(canonicalKey(name)) ?? UNKNOWN);
  listSpelling(name.toLowerCase(), ID.get(canonicalKey(name.toLowerCase())) ?? UNKNOWN);
}

/** Other spellings ► field id: keys beyond printable ASCII, or any once the table is full. Bounded too. */
const otherKeys = new Map<string, number>();
const MAX_OTHER_KEYS = 4096;

/** The field id of a key as canonicalKeys reads it: its spelling, else its lowercase, else itself. */
function slowField(key: string): number {
  const known = otherKeys.get(key);
  if (known !== undefined) return known;
  const found = ID.get(canonicalKey(key)) ?? UNKNOWN;
  // Listed in the table, the key is found there next time without decoding it.
  const listed = listable(key) && KEYS.add(key, found);
  if (!listed && otherKeys.size < MAX_OTHER_KEYS) otherKeys.set(key, found);
  return found;
}

/** Whether `b` holds `text` (ASCII, as its char codes) at `at`. */
function spells(b: Buffer, at: number, text: string): boolean {
  for (let k = 0; k < text.length; k++) if (b[at + k] !== text.charCodeAt(k)) return false;
  return true;
}

/**
 * The caller's identity is remembered: a trail repeats a handful of callers, each with the same
 * identity block of several hundred characters. An identity seen before is recognised by comparing
 * its text instead of scanning it, and is read only once. Identities are found by a signature of the
 * text where the value starts (a character in five of its first 64), then compared in full. When
 * identities stop repeating (an export of a thousand callers), remembering rests for a while, so it
 * costs nothing. Shorter nested values (requests, TLS details) are cheaper to scan than to look up.
 */
const REMEMBERED = new Set<number>([F.userIdentity]);
const MAX_MEMOS_PER_FIELD = 256;
/** Longer values are not worth keeping. */
const MAX_MEMO_TEXT = 4096;

interface FieldMemos {
  readonly bySignature: Map<number, Memo[]>;
  tries: number;
  hits: number;
  /** Occurrences to skip before trying again, after a poor hit rate. */
  resting: number;
}

const memos: (FieldMemos | undefined)[] = Array.from({ length: FIELD_COUNT }, (_, field) =>
  REMEMBERED.has(field) ? { bySignature: new Map(), tries: 0, hits: 0, resting: 0 } : undefined,
);
/** Checked every this many tries: below one hit in eight, the field rests this long. */
const MEMO_WINDOW = 1024;
const MEMO_REST = 16384;

function signature(b: Buffer, at: number, limit: number): number {
  const end = Math.min(limit, at + 64);
  let h = end - at;
  for (let i = at + 3; i < end; i += 5) h = (Math.imul(h, 31) + (b[i] as number)) | 0;
  return h;
}

/** The field's memos when it is being remembered now; counts the try. */
function memosFor(field: number): FieldMemos | undefined {
  const m = memos[field];
  if (m === undefined) return undefined;
  if (m.resting > 0) {
    m.resting--;
    return undefined;
  }
  if (++m.tries === MEMO_WINDOW) {
    if (m.hits * 8 < m.tries) {
      m.resting = MEMO_REST;
      m.bySignature.clear();
    }
    m.tries = 0;
    m.hits = 0;
  }
  return m;
}

/** The memos of the field tried last (set by `recall`, read by `remember` for the same value). */
let current: FieldMemos | undefined;
let currentSignature = 0;

const HOOKS: ScanHooks = {
  fields: FIELD_COUNT,
  field(b, start, end, escaped, plain) {
    // An escaped key could spell anything: JSON.parse decides.
    if (escaped) return BAIL;
    if (!plain || start === end) return slowField(utf8(b, start, end));
    const field = KEYS.find(b, start, end);
    return field !== NONE ? field : slowField(ascii(b, start, end));
  },
  recall(field, b, at, limit) {
    current = memosFor(field);
    if (current === undefined) return undefined;
    currentSignature = signature(b, at, limit);
    const list = current.bySignature.get(currentSignature);
    if (list !== undefined) {
      for (const memo of list) {
        // One native comparison of the bytes.
        const length = memo.bytes.length;
        if (at + length <= limit && b.compare(memo.bytes, 0, length, at, at + length) === 0) {
          current.hits++;
          return memo;
        }
      }
    }
    return undefined;
  },
  remember(field, b, start, end) {
    // `recall` was just called for this value and missed.
    const m = current;
    if (m === undefined || memos[field] !== m || end - start > MAX_MEMO_TEXT) return undefined;
    if (m.bySignature.size >= MAX_MEMOS_PER_FIELD) m.bySignature.clear();
    // A copy, so a remembered value does not keep the whole piece of the file alive.
    const memo: Memo = { bytes: Buffer.copyBytesFrom(b, start, end - start) };
    const list = m.bySignature.get(currentSignature);
    if (list === undefined) m.bySignature.set(currentSignature, [memo]);
    else if (list.length < 4) list.push(memo);
    else list[0] = memo;
    return memo;
  },
};

const top = new Members(FIELD_COUNT);
const detail = new Members(FIELD_COUNT);
/** The WebAssembly scanner's members, read in its memory. */
const wasmTop = WASM_SCANNER && new Members(FIELD_COUNT, WASM_SCANNER.top);
const wasmDetail = WASM_SCANNER && new Members(FIELD_COUNT, WASM_SCANNER.detail);

let useWasm = WASM_SCANNER !== undefined;

/**
 * Which scanner the quick path uses: WebAssembly when it loaded (the default), or JavaScript. Both give
 * the same members; the tests run the quick path with each.
 */
export function useScanner(kind: "wasm" | "js"): boolean {
  useWasm = kind === "wasm" && WASM_SCANNER !== undefined;
  return useWasm === (kind === "wasm");
}

/** The members the last quick judgement read its record from (the envelope's detail, or the record). */
let judgedMembers: Members = top;

/** The members a scan found: in the record's own bytes, or in the WebAssembly module's memory. */
interface Scanned {
  b: Buffer;
  top: Members;
  detail: Members;
}
const scanned: Scanned = { b: Buffer.alloc(0), top, detail };

/**
 * Scans the record between `start` and `end` of `b` into `scanned`; false when the quick path cannot
 * answer (scan.ts `scanRecord`'s false). The WebAssembly scanner takes a copy of the record in its
 * memory; a key its table lacks is looked up here (and listed) and the record scanned again, and what
 * it cannot hold (more members than it keeps, a key that is never listed) is scanned in JavaScript.
 */
function scan(b: Buffer, start: number, end: number): boolean {
  const wasm = WASM_SCANNER;
  if (useWasm && wasm !== undefined && end - start <= wasm.inputMax) {
    const length = end - start;
    b.copy(wasm.memory, wasm.input, start, end);
    for (;;) {
      const status = wasm.scan(length, FIELD_COUNT, F.detail);
      if (status === wasm.INVALID) return false;
      if (status === wasm.VALID) {
        const into = scanned;
        into.b = wasm.memory;
        into.top = wasmTop as Members;
        into.detail = wasmDetail as Members;
        rememberIdentity(into.b, into.top);
        rememberIdentity(into.b, into.detail);
        return true;
      }
      if (status !== wasm.ASK) break;
      const key = wasm.unknownKey();
      HOOKS.field(wasm.memory, key.start, key.end, false, key.ascii);
      // A key that cannot be listed (not printable ASCII, a full table) is never in the table.
      if (!key.ascii || key.end === key.start || KEYS.find(wasm.memory, key.start, key.end) === NONE) break;
    }
  }
  scanned.b = b;
  scanned.top = top;
  scanned.detail = detail;
  return scanRecord(b, start, end, HOOKS, top, detail, F.detail);
}

/** The caller's identity the WebAssembly scanner validated: recalled, or remembered (HOOKS, as scan.ts does). */
function rememberIdentity(b: Buffer, members: Members): void {
  const m = members.slot[F.userIdentity] as number;
  if (m === NONE) return;
  let memo: Memo | undefined;
  if (members.kind[m] === Kind.Object) {
    const start = members.valueStart[m] as number;
    const end = members.valueEnd[m] as number;
    memo = HOOKS.recall(F.userIdentity, b, start, end) ?? HOOKS.remember(F.userIdentity, b, start, end);
  }
  members.memo[m] = memo;
}

/** A string member's value: its bytes decoded, or JSON.parse'd when escaped (exactly as the full path). */
function stringAt(b: Buffer, members: Members, m: number): string {
  const start = members.valueStart[m] as number;
  const end = members.valueEnd[m] as number;
  if (members.kind[m] === Kind.EscapedString) return JSON.parse(utf8(b, start, end)) as string;
  return members.ascii[m] === 1 ? ascii(b, start + 1, end - 1) : utf8(b, start + 1, end - 1);
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
function optionalString(s: Buffer, members: Members, m: number): string | undefined | typeof UNSURE {
  if (m === NONE) return undefined;
  const kind = members.kind[m] as number;
  if (kind === Kind.Null) return undefined;
  if (!isString(kind)) return UNSURE;
  const value = stringAt(s, members, m);
  return value === "" ? undefined : value;
}

/** The schema's `looseBoolean` for a member. */
function looseBoolean(s: Buffer, members: Members, m: number): boolean | undefined | typeof UNSURE {
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
  // A lone surrogate has no UTF-8 bytes of its own: the full path keeps it.
  if (!isWellFormed(text)) return undefined;
  const b = Buffer.from(text, "utf8");
  return quickJudgeBytes(b, 0, b.length, context);
}

/**
 * The verdict on one record's UTF-8 JSON text, `b` between `start` and `end` (a line without its line
 * break), when it is certain without building the record, else `undefined`. Never throws.
 */
export function quickJudgeBytes(
  b: Buffer,
  start: number,
  end: number,
  context: IntakeContext,
): Judgement | undefined {
  if (!scan(b, start, end)) return undefined;
  const { top, detail } = scanned;
  b = scanned.b;
  // A trail log file, or an object holding one: the full path flattens it.
  if (top.slot[F.Records] !== NONE || top.slot[F.records] !== NONE) return undefined;
  let members = top;
  let envelope: Members | undefined;
  const detailType = top.slot[F.detailType] as number;
  if (detailType !== NONE && isString(top.kind[detailType] as number)) {
    // An EventBridge envelope of a CloudTrail record, or a document the full path rejects.
    const detailAt = top.slot[F.detail] as number;
    if (detailAt === NONE || !stringAt(b, top, detailType).endsWith("via CloudTrail")) return undefined;
    if (top.kind[detailAt] !== Kind.Object) return undefined;
    members = detail;
    envelope = top;
    const inner = detail.slot[F.detailType] as number;
    if (inner !== NONE && isString(detail.kind[inner] as number)) return undefined;
  }
  const record = lightRecord(b, members, envelope);
  if (record === undefined) return undefined;
  judgedMembers = members;
  // A time out of the plausible range is rejected on the full path (implausibleTime), with its words.
  const time = record.eventTime;
  if (time < EARLIEST_EVENT_TIME || time > (context.latestEventTime ?? LATEST_EVENT_TIME)) return undefined;
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

function kindAt(members: Members, field: number): number {
  const m = members.slot[field] as number;
  return m === NONE ? NONE : (members.kind[m] as number);
}

/**
 * The envelope's value for a record field the detail lacks in its exact spelling, when the envelope
 * has it as a string (`fromEnvelope` in decode.ts); then it wins over any other spelling.
 */
function filled(
  text: Buffer,
  record: Members,
  envelope: Members,
  field: number,
  from: number,
): string | undefined {
  const m = record.slot[field] as number;
  const name = FIELDS[field] as string;
  const start = record.keyStart[m] as number;
  if (m !== NONE && record.keyEnd[m] === start + name.length && spells(text, start, name)) return undefined;
  const e = envelope.slot[from] as number;
  if (e === NONE || !isString(envelope.kind[e] as number)) return undefined;
  return stringAt(text, envelope, e);
}

/**
 * The record's scalar fields and identity as the schema yields them; undefined when the schema would
 * reject the record or transform a field the quick path does not (then the full path decides). Fields
 * no quick verdict, actor or line reads (UNREAD: eventVersion, awsRegion, recipientAccountId,
 * errorMessage) are checked to be what the schema takes as it is, but not decoded into the record.
 */
function lightRecord(
  text: Buffer,
  members: Members,
  envelope: Members | undefined,
): CloudTrailRecord | undefined {
  // JSON text of an export: the full path parses it (and rejects it when it does not parse).
  for (const field of OBJECT_IDS) {
    const kind = kindAt(members, field);
    if (kind !== NONE && kind !== Kind.Object && kind !== Kind.Null) return undefined;
  }
  for (const field of OTHER_JSON_IDS) if (isString(kindAt(members, field))) return undefined;
  if (isString(kindAt(members, F.userIdentity))) return undefined;

  const record: Record<string, unknown> = {};
  for (const field of UNREAD_IDS) {
    const kind = kindAt(members, field);
    if (kind !== NONE && kind !== Kind.Null && !isString(kind)) return undefined;
  }
  for (const field of READ_STRING_IDS) {
    const value = optionalString(text, members, members.slot[field] as number);
    if (value === UNSURE) return undefined;
    if (value !== undefined) record[FIELDS[field] as string] = value;
  }
  for (const field of BOOLEAN_IDS) {
    const value = looseBoolean(text, members, members.slot[field] as number);
    if (value === UNSURE) return undefined;
    if (value !== undefined) record[FIELDS[field] as string] = value;
  }
  // Required: a non-empty eventName and eventSource, and an eventTime that is a time (as a string).
  if (!isString(kindAt(members, F.eventName))) return undefined;
  if (!isString(kindAt(members, F.eventSource))) return undefined;
  if (!isString(kindAt(members, F.eventTime))) return undefined;
  const eventName = stringAt(text, members, members.slot[F.eventName] as number);
  const eventSource = stringAt(text, members, members.slot[F.eventSource] as number);
  let time = stringAt(text, members, members.slot[F.eventTime] as number);
  if (envelope !== undefined) {
    const envelopeTime = filled(text, members, envelope, F.eventTime, F.time);
    if (envelopeTime !== undefined) time = envelopeTime;
  }
  if (eventName === "" || eventSource === "" || time === "") return undefined;
  const eventTime = toIsoTime(time);
  if (eventTime === undefined) return undefined;
  record.eventName = eventName;
  record.eventSource = eventSource;
  record.eventTime = eventTime;
  const m = members.slot[F.userIdentity] as number;
  if (m !== NONE && members.kind[m] === Kind.Object) {
    const identity = identityAt(text, members, m);
    if (identity !== undefined) record.userIdentity = identity;
  }
  return record as CloudTrailRecord;
}

/**
 * The identity the schema reads from the member's object. A trail repeats a handful of callers, so
 * the identity is kept with the remembered text (scan.ts) and read once per caller; frozen then,
 * since records share it.
 */
function identityAt(text: Buffer, members: Members, m: number): UserIdentity | undefined {
  const memo = members.memo[m];
  if (memo === undefined) {
    return identityOf(
      canonicalKeys(
        JSON.parse(utf8(text, members.valueStart[m] as number, members.valueEnd[m] as number)),
        IDENTITY_SHAPE,
      ),
    );
  }
  if (memo.derived === undefined) {
    const identity = identityOf(
      canonicalKeys(JSON.parse(utf8(memo.bytes, 0, memo.bytes.length)), IDENTITY_SHAPE),
    );
    memo.derived = identity === undefined ? NO_IDENTITY : deepFreeze(identity);
  }
  return memo.derived === NO_IDENTITY ? undefined : (memo.derived as UserIdentity);
}

const NO_IDENTITY = Symbol("no identity");

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === "object" && inner !== null) deepFreeze(inner);
  }
  return Object.freeze(value);
}

/** A run of bytes in the module's memory. */
interface Piece {
  readonly at: number;
  readonly length: number;
}

/** The constant pieces of a quick line, in the order of their indexes below. */
const CONSTANTS = [
  '","eventID":',
  "null",
  ',"eventName":',
  ',"eventSource":',
  ',"eventTime":"',
  '","verdict":"ignored","reason":',
];
const EVENT_ID = 0;
const NULL = 1;
const EVENT_NAME = 2;
const EVENT_SOURCE = 3;
const EVENT_TIME = 4;
const VERDICT = 5;
/** Printable ASCII that JSON.stringify leaves as it is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** Callers whose actor pieces are kept; past it, a line's actor is written for that line only. */
const MAX_ACTORS = 8192;
/** Room at the end of the pieces for an actor not kept. */
const SCRATCH = 65536;

/**
 * `phantom inspect --json`'s output: lines written into the WebAssembly module's memory, and read out
 * as one string per `flush`. A line the quick path judged is put together there from its record's own
 * bytes (eventID, eventName and eventSource, when they are plain ASCII strings, are their own JSON
 * text) and pieces written once (a reason, a caller's actor), by one call; it is the same text as
 * `inspectJsonAt` (test/change/quick.test.ts holds them to it). Any other line is written as text.
 * Without the module, lines are kept as text.
 */
export class JsonLines {
  readonly #wasm = useWasm ? WASM_SCANNER : undefined;
  #text = "";
  #at = 0;
  /** Pairs of the line being put together. */
  #k = 0;
  #ascii = true;
  // Pieces: the file's source, constants, the last time, then reasons and actors as they come.
  #source = -1;
  #sourceLength = 0;
  #sourceAscii = true;
  #time = 0;
  #lastTime = "";
  #next = 0;
  readonly #constants: Piece[] = [];
  readonly #reasons = new Map<string, Map<string, Piece>>();
  readonly #actors = new Map<object | undefined, (Piece | undefined)[]>();

  static readonly #FILE_ROOM = 1 << 14;

  constructor() {
    const wasm = this.#wasm;
    if (wasm === undefined) return;
    this.#time = wasm.pieces + JsonLines.#FILE_ROOM;
    this.#next = this.#time + 32;
    for (const text of CONSTANTS) this.#constants.push(this.#piece(text) as Piece);
  }

  /** Bytes written (or characters held) since the last flush. */
  get size(): number {
    return this.#wasm === undefined ? this.#text.length : this.#at;
  }

  /** Writes ASCII `text` as a piece; undefined when it is not ASCII or there is no room. */
  #piece(text: string): Piece | undefined {
    const wasm = this.#wasm as WasmScanner;
    if (this.#next + text.length > wasm.pieces + wasm.piecesMax - SCRATCH) return undefined;
    const at = this.#next;
    const n = wasm.memory.write(text, at, "utf8");
    if (n !== text.length) return undefined;
    this.#next += n;
    return { at, length: n };
  }

  /** The line's next (offset, length) pair. */
  #put(at: number, length: number): void {
    const pairs = (this.#wasm as WasmScanner).pairs;
    pairs[this.#k++] = at;
    pairs[this.#k++] = length;
  }

  #constant(i: number): void {
    const piece = this.#constants[i] as Piece;
    this.#put(piece.at, piece.length);
  }

  /** Adds the pair of a member that is a plain ASCII string (its own JSON text); false when it is not. */
  #raw(members: Members, field: number): boolean {
    const m = members.slot[field] as number;
    if (m === NONE || members.kind[m] !== Kind.String || members.ascii[m] !== 1) return false;
    const start = members.valueStart[m] as number;
    this.#put(start, (members.valueEnd[m] as number) - start);
    return true;
  }

  /** A new file: its lines' source starts with `prefix` (sourcePrefix of its name). */
  file(prefix: string): void {
    const wasm = this.#wasm;
    if (wasm === undefined) return;
    const text = `{"source":${prefix}`;
    this.#source = -1;
    if (text.length * 3 > JsonLines.#FILE_ROOM) return;
    this.#sourceLength = wasm.memory.write(text, wasm.pieces, "utf8");
    this.#sourceAscii = this.#sourceLength === text.length;
    this.#source = wasm.pieces;
  }

  /** A line of text (its line feed added). */
  line(text: string): void {
    const wasm = this.#wasm;
    if (wasm === undefined) {
      this.#text += `${text}\n`;
      return;
    }
    if (this.#at + text.length * 3 + 1 > wasm.outMax) this.#spill();
    if (text.length * 3 + 1 > wasm.outMax) {
      this.#text += `${text}\n`;
      return;
    }
    const n = wasm.memory.write(text, wasm.out + this.#at, "utf8");
    if (n !== text.length) this.#ascii = false;
    this.#at += n;
    wasm.memory[wasm.out + this.#at++] = 10;
  }

  /** The written bytes move to the text, to make room. */
  #spill(): void {
    this.#text += this.#decode();
  }

  #decode(): string {
    const wasm = this.#wasm as WasmScanner;
    const from = wasm.out;
    const text = this.#ascii
      ? ascii(wasm.memory, from, from + this.#at)
      : utf8(wasm.memory, from, from + this.#at);
    this.#at = 0;
    this.#ascii = true;
    return text;
  }

  /**
   * Writes what was written since the last flush to `to`: as bytes when it is all printable ASCII and
   * line feeds and `to` takes them (`ascii`), else as one string.
   */
  flushTo(to: { out(text: string): void; ascii?(bytes: Uint8Array): void }): void {
    const wasm = this.#wasm;
    if (wasm !== undefined && to.ascii !== undefined && this.#ascii && this.#text === "") {
      const bytes = wasm.memory.subarray(wasm.out, wasm.out + this.#at);
      // DEL is ASCII, but not printable: the terminal's choke point escapes it, so it goes as text.
      if (bytes.indexOf(0x7f) < 0) {
        this.#at = 0;
        if (bytes.length > 0) to.ascii(bytes);
        return;
      }
    }
    const text = this.flush();
    if (text !== "") to.out(text);
  }

  /** The text written since the last flush. */
  flush(): string {
    if (this.#wasm === undefined) {
      const text = this.#text;
      this.#text = "";
      return text;
    }
    const text = this.#text + this.#decode();
    this.#text = "";
    return text;
  }

  /**
   * The line of a judgement `quickJudgeBytes` just gave (before any other record is judged), at
   * `index`; false when it cannot be put together from pieces (the caller writes inspectJsonAt's text).
   */
  quick(judgement: Judgement, index: number): boolean {
    const wasm = this.#wasm;
    if (wasm === undefined || this.#source < 0 || scanned.b !== wasm.memory) return false;
    if (judgement.verdict !== "ignored" || judgement.resources.length > 0) return false;
    const { record, actor } = judgement;
    const members = judgedMembers;
    this.#k = 0;
    this.#put(this.#source, this.#sourceLength);
    this.#put(index, -1);
    this.#constant(EVENT_ID);
    // eventID: absent, null or empty is `null`; a plain ASCII string is its own JSON text.
    if (record.eventID === undefined) this.#constant(NULL);
    else if (!this.#raw(members, F.eventID)) return false;
    this.#constant(EVENT_NAME);
    if (!this.#raw(members, F.eventName)) return false;
    this.#constant(EVENT_SOURCE);
    if (!this.#raw(members, F.eventSource)) return false;
    // The time (toIsoTime's, ASCII), written again only when it changes.
    const time = record.eventTime;
    if (time !== this.#lastTime) {
      if (time.length !== 24 || !PLAIN.test(time)) return false;
      wasm.memory.write(time, this.#time, "latin1");
      this.#lastTime = time;
    }
    this.#constant(EVENT_TIME);
    this.#put(this.#time, 24);
    this.#constant(VERDICT);
    // The reason and its code, and the caller's actor: pieces kept by their words and identity.
    let byDetail = this.#reasons.get(judgement.reason);
    if (byDetail === undefined) {
      byDetail = new Map();
      this.#reasons.set(judgement.reason, byDetail);
    }
    let reason = byDetail.get(judgement.detail);
    if (reason === undefined) {
      const code = JSON.stringify(judgement.reason);
      reason = this.#piece(
        `${JSON.stringify(`${judgement.reason}: ${judgement.detail}`)},"reasonCode":${code}`,
      );
      if (reason === undefined) return false;
      byDetail.set(judgement.detail, reason);
    }
    this.#put(reason.at, reason.length);
    const identity = record.userIdentity ?? undefined;
    let actors = this.#actors.get(identity);
    const slot = actor.console ? 1 : 0;
    let piece = actors?.[slot];
    if (piece === undefined) {
      const arn = actor.arn ? `,"arn":${JSON.stringify(actor.arn)}` : "";
      const type = actor.type ? `,"type":${JSON.stringify(actor.type)}` : "";
      const text = `,"actor":{"name":${JSON.stringify(actor.name)}${arn}${type},"console":${actor.console}},"resources":[]}\n`;
      // Kept for a remembered caller's identity (identityAt's, frozen and shared by its records).
      if (actors === undefined && Object.isFrozen(identity) && this.#actors.size < MAX_ACTORS) {
        actors = [];
        this.#actors.set(identity, actors);
      }
      if (actors !== undefined) {
        piece = this.#piece(text);
        if (piece !== undefined) actors[slot] = piece;
      }
      if (piece === undefined) {
        // Not kept: written to the scratch room at the end of the pieces, for this line only.
        const at = wasm.pieces + wasm.piecesMax - SCRATCH;
        if (text.length > SCRATCH || wasm.memory.write(text, at, "utf8") !== text.length) return false;
        piece = { at, length: text.length };
      }
    }
    this.#put(piece.at, piece.length);
    const n = this.#k >> 1;
    let end = wasm.emit(n, this.#at);
    if (end < 0) {
      this.#spill();
      end = wasm.emit(n, this.#at);
      if (end < 0) return false;
    }
    this.#at = end;
    if (!this.#sourceAscii) this.#ascii = false;
    return true;
  }
}
