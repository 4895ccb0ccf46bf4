/**
 * A strict JSON scanner for one record's text (a JSON line, or one record of a streamed trail file). It
 * accepts exactly what JSON.parse accepts, builds nothing, and notes where the members of the top-level
 * object sit (and those of its `detail` object, for EventBridge envelopes), so the intake can read the
 * few fields a verdict needs without building the whole record (see quick.ts).
 *
 * Anything it is not sure of (not an object, nesting deeper than MAX_NESTING) is `false`, and the
 * caller takes the full path: JSON.parse and the schema. Its only job is to be fast on the common
 * case and never wrong.
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

/** Members of one object: key and value positions, as offsets into the scanned text. */
export class Members {
  count = 0;
  keyStart = new Int32Array(64);
  keyEnd = new Int32Array(64);
  /** 1 when the key holds a backslash escape. */
  keyEscaped = new Uint8Array(64);
  valueStart = new Int32Array(64);
  valueEnd = new Int32Array(64);
  kind = new Uint8Array(64);

  reset(): void {
    this.count = 0;
  }

  add(keyStart: number, keyEnd: number, keyEscaped: boolean, valueStart: number): number {
    const i = this.count++;
    if (i === this.keyStart.length) this.#grow();
    this.keyStart[i] = keyStart;
    this.keyEnd[i] = keyEnd;
    this.keyEscaped[i] = keyEscaped ? 1 : 0;
    this.valueStart[i] = valueStart;
    return i;
  }

  #grow(): void {
    const size = this.keyStart.length * 2;
    const copy = <T extends Int32Array | Uint8Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.keyStart = copy(this.keyStart, new Int32Array(size));
    this.keyEnd = copy(this.keyEnd, new Int32Array(size));
    this.keyEscaped = copy(this.keyEscaped, new Uint8Array(size));
    this.valueStart = copy(this.valueStart, new Int32Array(size));
    this.valueEnd = copy(this.valueEnd, new Int32Array(size));
    this.kind = copy(this.kind, new Uint8Array(size));
  }
}

/** Deeper records go the full path (JSON.parse copes with any depth; this scanner keeps a fixed stack). */
export const MAX_NESTING = 64;

const OPEN_OBJECT = 1;
const OPEN_ARRAY = 2;

/** The outcome of `scanRecord`: where the members are, or `false` for "take the full path". */
export interface Scan {
  /** Members of the top-level object. */
  readonly top: Members;
  /** Members of the top-level `detail` member when it is an object (the first one), else empty. */
  readonly detail: Members;
}

const top = new Members();
const detail = new Members();
const stack = new Uint8Array(MAX_NESTING + 1);
const SCAN: Scan = { top, detail };

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

/** Set by `scanString`: the string just scanned held an escape. */
let escaped = false;

/** Characters JSON never allows raw inside a string (and, but for tab, LF and CR, nowhere else). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\x00-\x1f]/;

/**
 * True while scanning a text with no backslash and no control character: then every `"` delimits a
 * string, and a string's end is simply the next `"` (found natively, not char by char).
 */
let clean = false;

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

function kindOf(c: number): Kind {
  switch (c) {
    case 34:
      return Kind.String;
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

/** Whether `s` holds the key `detail` between `start` (its opening quote) and `end` (after its closing quote). */
function isDetailKey(s: string, start: number, end: number): boolean {
  return end - start === 8 && s.startsWith("detail", start + 1);
}

/**
 * Validates `s` as JSON exactly as JSON.parse would and, when it is one object, returns where its
 * members are. `false` means not an object, not valid JSON, or too deep to be sure of here.
 */
export function scanRecord(s: string): Scan | false {
  top.reset();
  detail.reset();
  const n = s.length;
  // One native pass each; most records have neither, and their strings then need no checking.
  clean = s.indexOf("\\") < 0 && !CONTROL.test(s);
  let i = skipSpace(s, 0);
  if (s.charCodeAt(i) !== 123) return false;
  let depth = 0;
  /** Index of the open member of the top object, or -1. */
  let topMember = -1;
  /** Index of the open member of the detail object, or -1. */
  let detailMember = -1;
  /** Stack depth at which the detail object's members sit (2), or 0 when not inside it. */
  let detailDepth = 0;
  let detailSeen = false;
  // Each turn starts at a value.
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 123 || c === 91) {
      if (depth === MAX_NESTING) return false;
      const opens = c === 123 ? OPEN_OBJECT : OPEN_ARRAY;
      // The top object's `detail` member: scan its members too.
      if (
        opens === OPEN_OBJECT &&
        depth === 1 &&
        !detailSeen &&
        topMember >= 0 &&
        isDetailKey(s, top.keyStart[topMember] as number, top.keyEnd[topMember] as number) &&
        top.keyEscaped[topMember] === 0
      ) {
        detailSeen = true;
        detailDepth = 2;
      }
      stack[++depth] = opens;
      i = skipSpace(s, i + 1);
      const next = s.charCodeAt(i);
      if ((opens === OPEN_OBJECT && next === 125) || (opens === OPEN_ARRAY && next === 93)) {
        if (depth === detailDepth) detailDepth = 0;
        depth--;
        i++;
      } else if (opens === OPEN_OBJECT) {
        // A key, a colon, then the member's value.
        if (next !== 34) return false;
        const keyStart = i;
        i = scanString(s, i);
        if (i < 0) return false;
        const keyEnd = i;
        i = skipSpace(s, i);
        if (s.charCodeAt(i) !== 58) return false;
        i = skipSpace(s, i + 1);
        if (depth === 1) topMember = top.add(keyStart, keyEnd, escaped, i);
        else if (depth === detailDepth) detailMember = detail.add(keyStart, keyEnd, escaped, i);
        continue;
      } else continue;
    } else if (c === 34) {
      i = scanString(s, i);
      if (i < 0) return false;
    } else if (c === 116) {
      if (!s.startsWith("true", i)) return false;
      i += 4;
    } else if (c === 102) {
      if (!s.startsWith("false", i)) return false;
      i += 5;
    } else if (c === 110) {
      if (!s.startsWith("null", i)) return false;
      i += 4;
    } else {
      i = scanNumber(s, i);
      if (i < 0) return false;
    }
    // After a value: close containers, or move to the next element or member.
    for (;;) {
      if (depth === 1 && topMember >= 0) {
        top.valueEnd[topMember] = i;
        // A string value was the last string scanned, so `escaped` is its own.
        const kind = kindOf(s.charCodeAt(top.valueStart[topMember] as number));
        top.kind[topMember] = kind === Kind.String && escaped ? Kind.EscapedString : kind;
        topMember = -1;
      } else if (depth === detailDepth && detailMember >= 0) {
        const m = detailMember;
        detail.valueEnd[m] = i;
        const kind = kindOf(s.charCodeAt(detail.valueStart[m] as number));
        detail.kind[m] = kind === Kind.String && escaped ? Kind.EscapedString : kind;
        detailMember = -1;
      }
      if (depth === 0) return skipSpace(s, i) === n ? SCAN : false;
      i = skipSpace(s, i);
      const c2 = s.charCodeAt(i);
      if (c2 === 44) {
        i = skipSpace(s, i + 1);
        if (stack[depth] === OPEN_OBJECT) {
          if (s.charCodeAt(i) !== 34) return false;
          const keyStart = i;
          i = scanString(s, i);
          if (i < 0) return false;
          const keyEnd = i;
          i = skipSpace(s, i);
          if (s.charCodeAt(i) !== 58) return false;
          i = skipSpace(s, i + 1);
          if (depth === 1) topMember = top.add(keyStart, keyEnd, escaped, i);
          else if (depth === detailDepth) detailMember = detail.add(keyStart, keyEnd, escaped, i);
        }
        break;
      }
      if ((c2 === 125 && stack[depth] === OPEN_OBJECT) || (c2 === 93 && stack[depth] === OPEN_ARRAY)) {
        if (depth === detailDepth) detailDepth = 0;
        depth--;
        i++;
        continue;
      }
      return false;
    }
  }
}
