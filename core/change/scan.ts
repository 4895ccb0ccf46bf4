/**
 * A strict JSON scanner for one record's text (a JSON line, or one record of a streamed trail file). It
 * accepts exactly what JSON.parse accepts, builds nothing, and notes where the members of the top-level
 * object sit (and those of its `detail` object, for EventBridge envelopes), by field, so the intake can
 * read the few fields a verdict needs without building the whole record (see quick.ts).
 *
 * Two things keep it near native speed. A text with no backslash and no control character (most
 * records) needs no string checked character by character: each string ends at the next quote, found
 * natively. And a nested value the caller has seen before (the same caller's identity, the same TLS
 * details) is recognised by comparing its text, not scanned again.
 *
 * Anything it is not sure of is `false`, and the caller takes the full path: JSON.parse and the schema.
 *
 * @see https://tc39.es/ecma262/#sec-json.parse (the grammar JSON.parse accepts: RFC 8259 text)
 */

/** What a member's value is, from its first character. */
export const Kind = {
  String: 0,
  /** A string holding a backslash escape: decode it with JSON.parse. */
  EscapedString: 1,
  Number: 2,
  True: 3,
  False: 4,
  Null: 5,
  Object: 6,
  Array: 7,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** The slot of a field that is absent. */
export const NONE = -1;
/** `field` of a key the caller does not read. */
export const UNKNOWN = -2;
/** `field` of a key the scanner must not decide on (escaped): take the full path. */
export const BAIL = -3;

/** What the caller knows about keys and values; see quick.ts. */
export interface ScanHooks {
  /** Number of field ids. */
  readonly fields: number;
  /** The field id of the key between `start` and `end` (inside its quotes), UNKNOWN, or BAIL. */
  field(s: string, start: number, end: number, escaped: boolean): number;
  /** When `s` holds at `at` a nested value of `field` seen before: that value's memo, else undefined. */
  recall(field: number, s: string, at: number): Memo | undefined;
  /** A nested value of `field` was validated between `start` and `end`: the caller may remember it. */
  remember(field: number, s: string, start: number, end: number): Memo | undefined;
}

/** A nested value's text, known valid, and what the caller derived from it. */
export interface Memo {
  readonly text: string;
  derived?: unknown;
}

/** The members of one object, by field: where each value sits and what it is. */
export class Members {
  /** Member index per field id, NONE when absent. */
  readonly slot: Int32Array;
  count = 0;
  /** Where each member's key sits, inside its quotes. */
  keyStart = new Int32Array(32);
  keyEnd = new Int32Array(32);
  valueStart = new Int32Array(32);
  valueEnd = new Int32Array(32);
  kind = new Uint8Array(32);
  memo: (Memo | undefined)[] = [];

  constructor(fields: number) {
    this.slot = new Int32Array(fields);
  }

  reset(): void {
    this.count = 0;
    this.slot.fill(NONE);
  }

  /** Adds a member of `field` whose value starts at `at`; false when the field is there already. */
  add(field: number, keyStart: number, keyEnd: number, at: number): boolean {
    if (this.slot[field] !== NONE) return false;
    const i = this.count++;
    if (i === this.valueStart.length) this.#grow();
    this.slot[field] = i;
    this.keyStart[i] = keyStart;
    this.keyEnd[i] = keyEnd;
    this.valueStart[i] = at;
    this.memo[i] = undefined;
    return true;
  }

  #grow(): void {
    const size = this.valueStart.length * 2;
    const keyStarts = new Int32Array(size);
    keyStarts.set(this.keyStart);
    const keyEnds = new Int32Array(size);
    keyEnds.set(this.keyEnd);
    this.keyStart = keyStarts;
    this.keyEnd = keyEnds;
    const starts = new Int32Array(size);
    starts.set(this.valueStart);
    const ends = new Int32Array(size);
    ends.set(this.valueEnd);
    const kinds = new Uint8Array(size);
    kinds.set(this.kind);
    this.valueStart = starts;
    this.valueEnd = ends;
    this.kind = kinds;
  }
}

/** Deeper records go the full path (JSON.parse copes with any depth; this scanner keeps a fixed stack). */
export const MAX_NESTING = 64;

const OPEN_OBJECT = 1;
const OPEN_ARRAY = 2;

/** Characters JSON never allows raw inside a string (and, but for tab, LF and CR, nowhere else). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\x00-\x1f]/;

/** Index after the whitespace JSON allows (space, tab, line feed, carriage return) from `i`. */
function skipSpace(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * The state of one scan. `clean`: the text has no backslash and no control character, so every `"`
 * delimits a string and a string ends at the next one. `escaped`: the string just scanned held an escape.
 */
let clean = false;
let escaped = false;

/** `i` at an opening quote; the index after the closing quote, or -1 when the string is not valid JSON. */
function scanString(s: string, i: number): number {
  escaped = false;
  if (clean) return s.indexOf('"', i + 1) + 1 || -1;
  i++;
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      escaped = true;
      const e = s.charCodeAt(i + 1);
      if (e === 117) {
        if (!isHex(s.charCodeAt(i + 2)) || !isHex(s.charCodeAt(i + 3))) return -1;
        if (!isHex(s.charCodeAt(i + 4)) || !isHex(s.charCodeAt(i + 5))) return -1;
        i += 6;
      } else if (
        e === 34 ||
        e === 92 ||
        e === 47 ||
        e === 98 ||
        e === 102 ||
        e === 110 ||
        e === 114 ||
        e === 116
      ) {
        i += 2;
      } else return -1;
      continue;
    }
    // Control characters must be escaped; NaN is the end of the text.
    if (!(c >= 32)) return -1;
    i++;
  }
}

function digitsFrom(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) i++;
    else return i;
  }
}

/** `i` at a `-` or digit; the index after the number, or -1 when it is not a JSON number. */
function scanNumber(s: string, i: number): number {
  if (s.charCodeAt(i) === 45) i++;
  const first = s.charCodeAt(i);
  if (first === 48) i++;
  else if (first >= 49 && first <= 57) i = digitsFrom(s, i + 1);
  else return -1;
  if (s.charCodeAt(i) === 46) {
    const after = digitsFrom(s, i + 1);
    if (after === i + 1) return -1;
    i = after;
  }
  const e = s.charCodeAt(i);
  if (e === 101 || e === 69) {
    i++;
    const sign = s.charCodeAt(i);
    if (sign === 43 || sign === 45) i++;
    const after = digitsFrom(s, i);
    if (after === i) return -1;
    i = after;
  }
  return i;
}

/** A scalar at `i`: the index after it, or -1 when it is not valid JSON. */
function scanScalar(s: string, i: number, c: number): number {
  if (c === 34) return scanString(s, i);
  if (c === 116) return s.startsWith("true", i) ? i + 4 : -1;
  if (c === 102) return s.startsWith("false", i) ? i + 5 : -1;
  if (c === 110) return s.startsWith("null", i) ? i + 4 : -1;
  return scanNumber(s, i);
}

function kindOf(c: number): Kind {
  switch (c) {
    case 34:
      return escaped ? Kind.EscapedString : Kind.String;
    case 123:
      return Kind.Object;
    case 91:
      return Kind.Array;
    case 116:
      return Kind.True;
    case 102:
      return Kind.False;
    case 110:
      return Kind.Null;
    default:
      return Kind.Number;
  }
}

const stack = new Uint8Array(MAX_NESTING + 2);

/** `i` at `{` or `[`: the index after the matching bracket when the value is valid JSON, else -1. */
function scanNested(s: string, i: number): number {
  let depth = 0;
  for (;;) {
    // At a value.
    let c = s.charCodeAt(i);
    if (c === 123 || c === 91) {
      if (depth === MAX_NESTING) return -1;
      stack[++depth] = c === 123 ? OPEN_OBJECT : OPEN_ARRAY;
      i = skipSpace(s, i + 1);
      c = s.charCodeAt(i);
      if (c === (stack[depth] === OPEN_OBJECT ? 125 : 93)) {
        depth--;
        i++;
      } else if (stack[depth] === OPEN_OBJECT) {
        if (c !== 34) return -1;
        i = scanString(s, i);
        if (i < 0) return -1;
        i = skipSpace(s, i);
        if (s.charCodeAt(i) !== 58) return -1;
        i = skipSpace(s, i + 1);
        continue;
      } else continue;
    } else {
      i = scanScalar(s, i, c);
      if (i < 0) return -1;
    }
    // After a value.
    for (;;) {
      if (depth === 0) return i;
      i = skipSpace(s, i);
      c = s.charCodeAt(i);
      if (c === 44) {
        i = skipSpace(s, i + 1);
        if (stack[depth] === OPEN_OBJECT) {
          if (s.charCodeAt(i) !== 34) return -1;
          i = scanString(s, i);
          if (i < 0) return -1;
          i = skipSpace(s, i);
          if (s.charCodeAt(i) !== 58) return -1;
          i = skipSpace(s, i + 1);
        }
        break;
      }
      if (c === (stack[depth] === OPEN_OBJECT ? 125 : 93)) {
        depth--;
        i++;
        continue;
      }
      return -1;
    }
  }
}

/**
 * The members of the object at `i` into `into`: each key classified by `hooks.field`, each value
 * scanned (nested values recalled or remembered). `detail` receives the members of a `detail`
 * object member (field id `detailField`) when given. Returns the index after the object, or -1.
 */
function scanObject(
  s: string,
  i: number,
  into: Members,
  hooks: ScanHooks,
  detail: Members | undefined,
  detailField: number,
): number {
  i = skipSpace(s, i + 1);
  if (s.charCodeAt(i) === 125) return i + 1;
  for (;;) {
    if (s.charCodeAt(i) !== 34) return -1;
    const keyStart = i + 1;
    i = scanString(s, i);
    if (i < 0) return -1;
    const keyEnd = i - 1;
    const field = hooks.field(s, keyStart, keyEnd, escaped);
    if (field === BAIL) return -1;
    // Compact text has no white space around `:` and `,`: test for that first.
    if (s.charCodeAt(i) !== 58) {
      i = skipSpace(s, i);
      if (s.charCodeAt(i) !== 58) return -1;
    }
    i++;
    let c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) {
      i = skipSpace(s, i);
      c = s.charCodeAt(i);
    }
    const at = i;
    let memo: Memo | undefined;
    if (c === 123 || c === 91) {
      if (field === detailField && detail !== undefined && c === 123) {
        i = scanObject(s, i, detail, hooks, undefined, NONE);
      } else {
        memo = field >= 0 ? hooks.recall(field, s, i) : undefined;
        if (memo !== undefined) i += memo.text.length;
        else {
          i = scanNested(s, i);
          if (i >= 0 && field >= 0) memo = hooks.remember(field, s, at, i);
        }
      }
    } else i = scanScalar(s, i, c);
    if (i < 0) return -1;
    if (field >= 0) {
      // A field given twice (in any spelling) is left to JSON.parse's "the last one wins".
      if (!into.add(field, keyStart, keyEnd, at)) return -1;
      const m = into.count - 1;
      into.valueEnd[m] = i;
      into.kind[m] = kindOf(c);
      into.memo[m] = memo;
    }
    let next = s.charCodeAt(i);
    if (next !== 44 && next !== 125) {
      i = skipSpace(s, i);
      next = s.charCodeAt(i);
    }
    if (next === 125) return i + 1;
    if (next !== 44) return -1;
    i++;
    if (s.charCodeAt(i) !== 34) i = skipSpace(s, i);
  }
}

/**
 * Validates `s` as JSON exactly as JSON.parse would and, when it is one object, notes its members in
 * `top` (and its `detail` object's members in `detail`). False means: not one object, not valid
 * JSON, too deep, or a key to leave to JSON.parse.
 */
export function scanRecord(
  s: string,
  hooks: ScanHooks,
  top: Members,
  detail: Members,
  detailField: number,
): boolean {
  top.reset();
  detail.reset();
  // One native pass each; most records have neither, and their strings then need no checking.
  clean = s.indexOf("\\") < 0 && !CONTROL.test(s);
  const i = skipSpace(s, 0);
  if (s.charCodeAt(i) !== 123) return false;
  const end = scanObject(s, i, top, hooks, detail, detailField);
  return end >= 0 && skipSpace(s, end) === s.length;
}
