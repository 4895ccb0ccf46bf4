/**
 * A strict JSON scanner for one record's bytes (a line of a JSON lines file, or one record of a streamed
 * document, as UTF-8). It accepts exactly what JSON.parse accepts of the decoded text, builds nothing,
 * and notes where the members of the top-level object sit (and those of its `detail` object, for
 * EventBridge envelopes), by field, so the intake can read the few fields a verdict needs without
 * decoding or building the whole record (see quick.ts).
 *
 * Why bytes: reading a capture as text costs a UTF-8 decode of every byte and a string per line before
 * anything is judged, and a check for control characters over the whole text (which JSON.parse does
 * inside its own pass). Scanning the bytes does all of it in the one pass that validates: a string ends
 * at its quote, and anything below U+0020 or a bad escape on the way makes the record invalid. Bytes
 * of U+0080 and above may only sit inside strings; there they need no check, since the decoder turns
 * any invalid sequence into U+FFFD, which JSON accepts. Only the strings a verdict reads are decoded.
 *
 * A nested value the caller has seen before (the same caller's identity) is recognised by comparing its
 * bytes natively, not scanned again.
 *
 * Anything it is not sure of is `false`, and the caller takes the full path: JSON.parse and the schema.
 *
 * @see https://tc39.es/ecma262/#sec-json.parse (the grammar JSON.parse accepts: RFC 8259 text)
 */

/** What a member's value is, from its first byte. */
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
  /**
   * The field id of the key between `start` and `end` (inside its quotes), UNKNOWN, or BAIL. `escaped`:
   * it holds a backslash escape; `ascii`: every byte is below 0x80.
   */
  field(b: Buffer, start: number, end: number, escaped: boolean, ascii: boolean): number;
  /** When `b` holds at `at` (before `limit`) a nested value of `field` seen before: its memo, else undefined. */
  recall(field: number, b: Buffer, at: number, limit: number): Memo | undefined;
  /** A nested value of `field` was validated between `start` and `end`: the caller may remember it. */
  remember(field: number, b: Buffer, start: number, end: number): Memo | undefined;
}

/** A nested value's bytes, known valid, and what the caller derived from them. */
export interface Memo {
  readonly bytes: Buffer;
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
  /** 1 when a string value's bytes are all below 0x80 (one byte per character). */
  ascii = new Uint8Array(32);
  memo: (Memo | undefined)[] = [];

  /** `views`: arrays the WebAssembly scanner fills (scan-wasm.ts), instead of the object's own. */
  constructor(
    fields: number,
    views?: Pick<Members, "slot" | "keyStart" | "keyEnd" | "valueStart" | "valueEnd" | "kind" | "ascii">,
  ) {
    this.slot = views?.slot ?? new Int32Array(fields);
    if (views !== undefined) {
      this.keyStart = views.keyStart;
      this.keyEnd = views.keyEnd;
      this.valueStart = views.valueStart;
      this.valueEnd = views.valueEnd;
      this.kind = views.kind;
      this.ascii = views.ascii;
    }
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
    const grown = <T extends Int32Array | Uint8Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.keyStart = grown(this.keyStart, new Int32Array(size));
    this.keyEnd = grown(this.keyEnd, new Int32Array(size));
    this.valueStart = grown(this.valueStart, new Int32Array(size));
    this.valueEnd = grown(this.valueEnd, new Int32Array(size));
    this.kind = grown(this.kind, new Uint8Array(size));
    this.ascii = grown(this.ascii, new Uint8Array(size));
  }
}

/** Deeper records go the full path (JSON.parse copes with any depth; this scanner keeps a fixed stack). */
export const MAX_NESTING = 64;

const OPEN_OBJECT = 1;
const OPEN_ARRAY = 2;

/**
 * The state of one scan. `escaped`: the string just scanned held an escape; `ascii`: it held no byte
 * of 0x80 or above. Bytes past the record's end (the next line, or nothing) may be read, but a record
 * is only valid when its object ends exactly at its end, so they never make one valid.
 */
let escaped = false;
let ascii = true;

/** Index after the white space JSON allows (space, tab, line feed, carriage return) from `i`. */
function skipSpace(b: Buffer, i: number): number {
  for (;;) {
    const c = b[i];
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70));
}

/** `i` at an opening quote; the index after the closing quote, or -1 when the string is not valid JSON. */
function scanString(b: Buffer, i: number): number {
  escaped = false;
  let high = 0;
  i++;
  for (;;) {
    const c = b[i] as number;
    // Most bytes: neither a quote, a backslash nor a control character (undefined past the buffer).
    if (c > 34 && c !== 92) {
      high |= c;
      i++;
      continue;
    }
    if (c === 34) {
      ascii = high < 128;
      return i + 1;
    }
    if (c === 32 || c === 33) {
      i++;
      continue;
    }
    if (c !== 92) return -1;
    escaped = true;
    const e = b[i + 1];
    if (e === 117) {
      if (!isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return -1;
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
  }
}

function digitsFrom(b: Buffer, i: number): number {
  for (;;) {
    const c = b[i] as number;
    if (c >= 48 && c <= 57) i++;
    else return i;
  }
}

/** `i` at a `-` or digit; the index after the number, or -1 when it is not a JSON number. */
function scanNumber(b: Buffer, i: number): number {
  if (b[i] === 45) i++;
  const first = b[i] as number;
  if (first === 48) i++;
  else if (first >= 49 && first <= 57) i = digitsFrom(b, i + 1);
  else return -1;
  if (b[i] === 46) {
    const after = digitsFrom(b, i + 1);
    if (after === i + 1) return -1;
    i = after;
  }
  const e = b[i];
  if (e === 101 || e === 69) {
    i++;
    const sign = b[i];
    if (sign === 43 || sign === 45) i++;
    const after = digitsFrom(b, i);
    if (after === i) return -1;
    i = after;
  }
  return i;
}

/** Whether `b` holds the bytes of `word` (ASCII) at `i`. */
function holds(b: Buffer, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** A scalar at `i`: the index after it, or -1 when it is not valid JSON. */
function scanScalar(b: Buffer, i: number, c: number | undefined): number {
  if (c === 34) return scanString(b, i);
  if (c === 116) return holds(b, i, "true") ? i + 4 : -1;
  if (c === 102) return holds(b, i, "false") ? i + 5 : -1;
  if (c === 110) return holds(b, i, "null") ? i + 4 : -1;
  return scanNumber(b, i);
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
function scanNested(b: Buffer, i: number): number {
  let depth = 0;
  for (;;) {
    // At a value.
    let c = b[i];
    if (c === 123 || c === 91) {
      if (depth === MAX_NESTING) return -1;
      stack[++depth] = c === 123 ? OPEN_OBJECT : OPEN_ARRAY;
      i = skipSpace(b, i + 1);
      c = b[i];
      if (c === (stack[depth] === OPEN_OBJECT ? 125 : 93)) {
        depth--;
        i++;
      } else if (stack[depth] === OPEN_OBJECT) {
        if (c !== 34) return -1;
        i = scanString(b, i);
        if (i < 0) return -1;
        if (b[i] !== 58) {
          i = skipSpace(b, i);
          if (b[i] !== 58) return -1;
        }
        i = skipSpace(b, i + 1);
        continue;
      } else continue;
    } else {
      i = scanScalar(b, i, c);
      if (i < 0) return -1;
    }
    // After a value.
    for (;;) {
      if (depth === 0) return i;
      c = b[i];
      if (c !== 44 && c !== 125 && c !== 93) {
        i = skipSpace(b, i);
        c = b[i];
      }
      if (c === 44) {
        i++;
        if (stack[depth] === OPEN_OBJECT) {
          if (b[i] !== 34) i = skipSpace(b, i);
          if (b[i] !== 34) return -1;
          i = scanString(b, i);
          if (i < 0) return -1;
          if (b[i] !== 58) {
            i = skipSpace(b, i);
            if (b[i] !== 58) return -1;
          }
          i++;
        }
        c = b[i];
        if (c === 32 || c === 10 || c === 13 || c === 9) i = skipSpace(b, i);
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
  b: Buffer,
  i: number,
  limit: number,
  into: Members,
  hooks: ScanHooks,
  detail: Members | undefined,
  detailField: number,
): number {
  i = skipSpace(b, i + 1);
  if (b[i] === 125) return i + 1;
  for (;;) {
    if (b[i] !== 34) return -1;
    const keyStart = i + 1;
    i = scanString(b, i);
    if (i < 0) return -1;
    const keyEnd = i - 1;
    const field = hooks.field(b, keyStart, keyEnd, escaped, ascii);
    if (field === BAIL) return -1;
    // Compact text has no white space around `:` and `,`: test for that first.
    if (b[i] !== 58) {
      i = skipSpace(b, i);
      if (b[i] !== 58) return -1;
    }
    i++;
    let c = b[i] as number;
    if (c === 32 || c === 10 || c === 13 || c === 9) {
      i = skipSpace(b, i);
      c = b[i] as number;
    }
    const at = i;
    let memo: Memo | undefined;
    if (c === 123 || c === 91) {
      if (field === detailField && detail !== undefined && c === 123) {
        i = scanObject(b, i, limit, detail, hooks, undefined, NONE);
      } else {
        memo = field >= 0 ? hooks.recall(field, b, i, limit) : undefined;
        if (memo !== undefined) i += memo.bytes.length;
        else {
          i = scanNested(b, i);
          if (i >= 0 && field >= 0) memo = hooks.remember(field, b, at, i);
        }
      }
    } else i = scanScalar(b, i, c);
    if (i < 0) return -1;
    if (field >= 0) {
      // A field given twice (in any spelling) is left to JSON.parse's "the last one wins".
      if (!into.add(field, keyStart, keyEnd, at)) return -1;
      const m = into.count - 1;
      into.valueEnd[m] = i;
      into.kind[m] = kindOf(c);
      into.ascii[m] = c === 34 && ascii ? 1 : 0;
      into.memo[m] = memo;
    }
    let next = b[i];
    if (next !== 44 && next !== 125) {
      i = skipSpace(b, i);
      next = b[i];
    }
    if (next === 125) return i + 1;
    if (next !== 44) return -1;
    i++;
    if (b[i] !== 34) i = skipSpace(b, i);
  }
}

/**
 * Validates `b` between `start` and `end` as JSON exactly as JSON.parse would validate its UTF-8 text
 * and, when it is one object, notes its members in `top` (and its `detail` object's members in
 * `detail`). False means: not one object, not valid JSON, too deep, or a key to leave to JSON.parse.
 */
export function scanRecord(
  b: Buffer,
  start: number,
  end: number,
  hooks: ScanHooks,
  top: Members,
  detail: Members,
  detailField: number,
): boolean {
  top.reset();
  detail.reset();
  let i = start;
  for (;;) {
    const c = b[i];
    if (i < end && (c === 32 || c === 10 || c === 13 || c === 9)) i++;
    else break;
  }
  if (i >= end || b[i] !== 123) return false;
  i = scanObject(b, i, end, top, hooks, detail, detailField);
  if (i < 0 || i > end) return false;
  for (; i < end; i++) {
    const c = b[i];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return false;
  }
  return true;
}
