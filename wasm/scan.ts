// AssemblyScript, compiled to core/change/scan.wasm by `npm run build:wasm` (wasm/build.ts); the
// test test/change/scan-wasm.test.ts rebuilds it and compares the bytes, so the binary never drifts
// from this source.
//
// The intake's validating scanner (core/change/scan.ts `scanRecord`) in WebAssembly: it accepts
// exactly what the JavaScript scanner accepts (what JSON.parse accepts of the decoded text), and notes
// the same members, by field, in the same layout. Strings, most of a record's bytes, are scanned 16
// bytes at a time (SIMD): a quote, a backslash or a control character ends the fast loop. Keys are
// found in the intake's key table (quick.ts KeyTable), which JavaScript keeps in this module's memory.
//
// Memory (fixed, 4 MiB, never grown, so JavaScript's views on it stay valid): the key table, two
// member sets (the record's and its `detail` object's), the nesting stack, and the input region where
// JavaScript copies a record, followed by a NUL byte that stops any scan running past the record.

// The key table (quick.ts KeyTable): open addressing over 2^13 slots, entries 1-based.
export const KEY_BITS: i32 = 13;
export const KEY_MAX: i32 = 2048;
export const KEY_BYTES_MAX: i32 = 1 << 17;
export const KEY_SLOTS: i32 = 65536;
export const KEY_FROM: i32 = KEY_SLOTS + (4 << KEY_BITS);
export const KEY_LENGTH: i32 = KEY_FROM + 4 * KEY_MAX;
export const KEY_FIELD: i32 = KEY_LENGTH + 4 * KEY_MAX;
export const KEY_BYTES: i32 = KEY_FIELD + 4 * KEY_MAX;

// A member set: slot per field (i32), count (i32), then per member keyStart, keyEnd, valueStart,
// valueEnd (i32) and kind, ascii (u8).
export const MAX_FIELDS: i32 = 64;
export const MAX_MEMBERS: i32 = 256;
export const M_SLOT: i32 = 0;
export const M_COUNT: i32 = 4 * MAX_FIELDS;
export const M_KEY_START: i32 = M_COUNT + 4;
export const M_KEY_END: i32 = M_KEY_START + 4 * MAX_MEMBERS;
export const M_VALUE_START: i32 = M_KEY_END + 4 * MAX_MEMBERS;
export const M_VALUE_END: i32 = M_VALUE_START + 4 * MAX_MEMBERS;
export const M_KIND: i32 = M_VALUE_END + 4 * MAX_MEMBERS;
export const M_ASCII: i32 = M_KIND + MAX_MEMBERS;
export const M_SIZE: i32 = M_ASCII + MAX_MEMBERS;
export const TOP: i32 = KEY_BYTES + KEY_BYTES_MAX;
export const DETAIL: i32 = TOP + M_SIZE;
/** Deeper records go the full path (scan.ts MAX_NESTING). */
const MAX_NESTING: i32 = 64;
const STACK: i32 = DETAIL + M_SIZE;
/** The end of the fixed regions: the input starts past it (scan-wasm.ts checks). */
export const STACK_END: i32 = STACK + MAX_NESTING + 2;
export const INPUT: i32 = 1 << 19;
/** Room for a record, its NUL and the 16 bytes a vector load may read past it (a longer one is scanned in JavaScript). */
export const INPUT_MAX: i32 = (2 << 20) - INPUT - 64;
/** `phantom inspect --json`'s output, written here (`emit`) and read out as text by JavaScript. */
export const OUT: i32 = 2 << 20;
export const OUT_MAX: i32 = 1 << 19;
/** Pieces of output lines JavaScript writes once and `emit` copies: constants, reasons, actors. */
export const PIECES: i32 = OUT + OUT_MAX;
export const PIECES_MAX: i32 = 1 << 20;
/** The (offset, length) pairs of one line for `emit`. */
export const PAIRS: i32 = PIECES + PIECES_MAX;
export const PAIRS_MAX: i32 = 64;

// Kinds (scan.ts Kind).
const STRING: i32 = 0;
const ESCAPED_STRING: i32 = 1;
const NUMBER: i32 = 2;
const TRUE: i32 = 3;
const FALSE: i32 = 4;
const NULL: i32 = 5;
const OBJECT: i32 = 6;
const ARRAY: i32 = 7;

// Field ids besides the table's (scan.ts).
const NONE: i32 = -1;
const _UNKNOWN: i32 = -2;

// What `scan` returns.
/** Valid: one object, its members noted. */
export const VALID: i32 = 1;
/** Not for the quick path: invalid, not one object, too deep, an escaped or repeated field. */
export const INVALID: i32 = 0;
/** A key the table does not hold (at `unknownStart`..`unknownEnd`, `unknownAscii`): ask JavaScript. */
export const ASK: i32 = 2;
/** More members than a set holds: use the JavaScript scanner. */
export const TOO_MANY: i32 = 3;

export let unknownStart: i32 = 0;
export let unknownEnd: i32 = 0;
export let unknownAscii: i32 = 0;

// The state of the string just scanned (scan.ts `escaped`, `ascii`).
let escaped: bool = false;
let plain: bool = true;
let status: i32 = VALID;

function byte(i: i32): i32 {
  return <i32>load<u8>(i);
}

function skipSpace(i: i32): i32 {
  while (true) {
    const c = byte(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

function isHex(c: i32): bool {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** `i` at an opening quote; the index after the closing quote, or -1 when the string is not valid JSON. */
function scanString(i: i32): i32 {
  escaped = false;
  let high: i32 = 0;
  i++;
  const quote = i8x16.splat(34);
  const backslash = i8x16.splat(92);
  const space = i8x16.splat(32);
  while (true) {
    const v = v128.load(i);
    const stop = i8x16.bitmask(
      v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)), i8x16.lt_u(v, space)),
    );
    if (stop === 0) {
      high |= i8x16.bitmask(v);
      i += 16;
      continue;
    }
    const k = ctz(stop);
    high |= i8x16.bitmask(v) & ((1 << k) - 1);
    i += k;
    const c = byte(i);
    if (c === 34) {
      plain = high === 0;
      return i + 1;
    }
    if (c !== 92) return -1;
    escaped = true;
    const e = byte(i + 1);
    if (e === 117) {
      if (!isHex(byte(i + 2)) || !isHex(byte(i + 3)) || !isHex(byte(i + 4)) || !isHex(byte(i + 5))) return -1;
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

function digitsFrom(i: i32): i32 {
  while (true) {
    const c = byte(i);
    if (c >= 48 && c <= 57) i++;
    else return i;
  }
}

/** `i` at a `-` or digit; the index after the number, or -1 when it is not a JSON number. */
function scanNumber(i: i32): i32 {
  if (byte(i) === 45) i++;
  const first = byte(i);
  if (first === 48) i++;
  else if (first >= 49 && first <= 57) i = digitsFrom(i + 1);
  else return -1;
  if (byte(i) === 46) {
    const after = digitsFrom(i + 1);
    if (after === i + 1) return -1;
    i = after;
  }
  const e = byte(i);
  if (e === 101 || e === 69) {
    i++;
    const sign = byte(i);
    if (sign === 43 || sign === 45) i++;
    const after = digitsFrom(i);
    if (after === i) return -1;
    i = after;
  }
  return i;
}

/** A scalar at `i`: the index after it, or -1 when it is not valid JSON. */
function scanScalar(i: i32, c: i32): i32 {
  if (c === 34) return scanString(i);
  // true, false, null: compared as one little-endian word.
  if (c === 116) return load<u32>(i) === 0x65757274 ? i + 4 : -1;
  if (c === 102) return load<u32>(i + 1) === 0x65736c61 ? i + 5 : -1;
  if (c === 110) return load<u32>(i) === 0x6c6c756e ? i + 4 : -1;
  return scanNumber(i);
}

function kindOf(c: i32): i32 {
  if (c === 34) return escaped ? ESCAPED_STRING : STRING;
  if (c === 123) return OBJECT;
  if (c === 91) return ARRAY;
  if (c === 116) return TRUE;
  if (c === 102) return FALSE;
  if (c === 110) return NULL;
  return NUMBER;
}

/** `i` at `{` or `[`: the index after the matching bracket when the value is valid JSON, else -1. */
function scanNested(i: i32): i32 {
  let depth: i32 = 0;
  while (true) {
    // At a value.
    let c = byte(i);
    if (c === 123 || c === 91) {
      if (depth === MAX_NESTING) return -1;
      depth++;
      store<u8>(STACK + depth, c);
      i = skipSpace(i + 1);
      const open = byte(STACK + depth);
      c = byte(i);
      if (c === open + 2) {
        depth--;
        i++;
      } else if (open === 123) {
        if (c !== 34) return -1;
        i = scanString(i);
        if (i < 0) return -1;
        if (byte(i) !== 58) {
          i = skipSpace(i);
          if (byte(i) !== 58) return -1;
        }
        i = skipSpace(i + 1);
        continue;
      } else continue;
    } else {
      i = scanScalar(i, c);
      if (i < 0) return -1;
    }
    // After a value.
    while (true) {
      if (depth === 0) return i;
      c = byte(i);
      if (c !== 44 && c !== 125 && c !== 93) {
        i = skipSpace(i);
        c = byte(i);
      }
      const open = byte(STACK + depth);
      if (c === 44) {
        i++;
        if (open === 123) {
          if (byte(i) !== 34) i = skipSpace(i);
          if (byte(i) !== 34) return -1;
          i = scanString(i);
          if (i < 0) return -1;
          if (byte(i) !== 58) {
            i = skipSpace(i);
            if (byte(i) !== 58) return -1;
          }
          i++;
        }
        c = byte(i);
        if (c === 32 || c === 10 || c === 13 || c === 9) i = skipSpace(i);
        break;
      }
      // `{` + 2 is `}`, `[` + 2 is `]`.
      if (c === open + 2) {
        depth--;
        i++;
        continue;
      }
      return -1;
    }
  }
}

const GOLDEN: i32 = <i32>0x9e3779b1;

/** The field of the key between `start` and `end` in the key table (quick.ts KeyTable.find), or NONE. */
function find(start: i32, end: i32): i32 {
  const length = end - start;
  const mask = (1 << KEY_BITS) - 1;
  const h =
    (length ^ (byte(start) << 8) ^ (byte(start + (length >> 1)) << 16) ^ (byte(end - 1) << 24)) * GOLDEN;
  let slot = <i32>(<u32>h >> (32 - KEY_BITS));
  while (true) {
    const entry = load<i32>(KEY_SLOTS + 4 * slot);
    if (entry === 0) return NONE;
    const e = entry - 1;
    if (load<i32>(KEY_LENGTH + 4 * e) === length) {
      const from = KEY_BYTES + load<i32>(KEY_FROM + 4 * e);
      let k: i32 = 0;
      while (k + 8 <= length && load<u64>(start + k) === load<u64>(from + k)) k += 8;
      while (k < length && byte(start + k) === byte(from + k)) k++;
      if (k === length) return load<i32>(KEY_FIELD + 4 * e);
    }
    slot = (slot + 1) & mask;
  }
}

/**
 * The members of the object at `i` into the set at `into` (scan.ts scanObject): each key found in the
 * table, each value scanned; the members of a `detailField` object go to the DETAIL set when `nested`.
 * Returns the index after the object, or -1 (with `status` saying why when it is not plain INVALID).
 */
function scanObject(i: i32, into: i32, nested: bool, detailField: i32): i32 {
  i = skipSpace(i + 1);
  if (byte(i) === 125) return i + 1;
  while (true) {
    if (byte(i) !== 34) return -1;
    const keyStart = i + 1;
    i = scanString(i);
    if (i < 0) return -1;
    const keyEnd = i - 1;
    // An escaped key could spell anything: JSON.parse decides.
    if (escaped) return -1;
    const field = plain && keyEnd > keyStart ? find(keyStart, keyEnd) : NONE;
    if (field === NONE) {
      status = ASK;
      unknownStart = keyStart;
      unknownEnd = keyEnd;
      unknownAscii = plain ? 1 : 0;
      return -1;
    }
    if (byte(i) !== 58) {
      i = skipSpace(i);
      if (byte(i) !== 58) return -1;
    }
    i++;
    let c = byte(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) {
      i = skipSpace(i);
      c = byte(i);
    }
    const at = i;
    if (c === 123 || c === 91) {
      if (field === detailField && nested && c === 123) i = scanObject(i, DETAIL, false, NONE);
      else i = scanNested(i);
    } else i = scanScalar(i, c);
    if (i < 0) return -1;
    if (field >= 0) {
      // A field given twice (in any spelling) is left to JSON.parse's "the last one wins".
      if (load<i32>(into + M_SLOT + 4 * field) !== NONE) return -1;
      const m = load<i32>(into + M_COUNT);
      if (m === MAX_MEMBERS) {
        status = TOO_MANY;
        return -1;
      }
      store<i32>(into + M_COUNT, m + 1);
      store<i32>(into + M_SLOT + 4 * field, m);
      store<i32>(into + M_KEY_START + 4 * m, keyStart);
      store<i32>(into + M_KEY_END + 4 * m, keyEnd);
      store<i32>(into + M_VALUE_START + 4 * m, at);
      store<i32>(into + M_VALUE_END + 4 * m, i);
      store<u8>(into + M_KIND + m, kindOf(c));
      store<u8>(into + M_ASCII + m, c === 34 && plain ? 1 : 0);
    }
    let next = byte(i);
    if (next !== 44 && next !== 125) {
      i = skipSpace(i);
      next = byte(i);
    }
    if (next === 125) return i + 1;
    if (next !== 44) return -1;
    i++;
    if (byte(i) !== 34) i = skipSpace(i);
  }
}

function reset(set: i32, fields: i32): void {
  store<i32>(set + M_COUNT, 0);
  memory.fill(set + M_SLOT, 0xff, 4 * fields);
}

/**
 * Validates the record at `start`..`end` (in the input region, a NUL written at `end`) as scan.ts
 * `scanRecord` does, noting its members in TOP and its `detail` object's in DETAIL.
 */
export function scan(start: i32, end: i32, fields: i32, detailField: i32): i32 {
  reset(TOP, fields);
  reset(DETAIL, fields);
  status = VALID;
  let i = start;
  while (true) {
    const c = byte(i);
    if (i < end && (c === 32 || c === 10 || c === 13 || c === 9)) i++;
    else break;
  }
  if (i >= end || byte(i) !== 123) return INVALID;
  i = scanObject(i, TOP, true, detailField);
  if (i < 0) return status === VALID ? INVALID : status;
  if (i > end) return INVALID;
  for (; i < end; i++) {
    const c = byte(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return INVALID;
  }
  return VALID;
}

/** Writes the decimal digits of `n` (not negative) at `at`; the index after them. */
function decimal(at: i32, n: i32): i32 {
  let digits: i32 = 1;
  for (let rest = n; rest >= 10; rest /= 10) digits++;
  let i = at + digits;
  let rest = n;
  do {
    i--;
    store<u8>(i, 48 + (rest % 10));
    rest /= 10;
  } while (rest > 0);
  return at + digits;
}

/**
 * Appends one output line to OUT from `at`: the `n` (offset, length) pairs at PAIRS, each bytes of this
 * memory, or a length of -1 for the decimal digits of the offset. Returns where the output ends, or -1
 * when it does not fit (nothing is counted written).
 */
export function emit(n: i32, at: i32): i32 {
  let i = OUT + at;
  const limit = OUT + OUT_MAX;
  for (let k: i32 = 0; k < n; k++) {
    const from = load<i32>(PAIRS + 8 * k);
    const length = load<i32>(PAIRS + 8 * k + 4);
    if (length < 0) {
      if (i + 11 > limit) return -1;
      i = decimal(i, from);
    } else {
      if (i + length > limit) return -1;
      memory.copy(i, from, length);
      i += length;
    }
  }
  return i - OUT;
}
