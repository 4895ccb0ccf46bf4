import { SCAN_WASM } from "./scan-wasm-binary.ts";

/**
 * The intake's validating scanner in WebAssembly (wasm/scan.ts, built into scan-wasm-binary.ts): the
 * same validation and the same member layout as scan.ts `scanRecord`, with strings scanned 16 bytes at a
 * time. quick.ts copies a record into the module's input region, scans it there, and reads the members
 * through typed-array views on the module's memory, which is fixed in size, so the views stay valid.
 * When the module cannot be compiled (no WebAssembly or no SIMD where it runs), `WASM_SCANNER` is
 * undefined and the intake scans in JavaScript (scan.ts), to the same result.
 */

/** What the module runtime offers (the Node types describe only part of it without the DOM's). */
interface WasmGlobal {
  readonly value: unknown;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
}

interface ScanExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  scan(start: number, end: number, fields: number, detailField: number): number;
  emit(n: number, at: number): number;
  readonly [constant: string]: unknown;
}

/** A member set's arrays, as views on the module's memory (scan.ts Members). */
export interface MemberViews {
  readonly slot: Int32Array<ArrayBuffer>;
  readonly count: Int32Array<ArrayBuffer>;
  readonly keyStart: Int32Array<ArrayBuffer>;
  readonly keyEnd: Int32Array<ArrayBuffer>;
  readonly valueStart: Int32Array<ArrayBuffer>;
  readonly valueEnd: Int32Array<ArrayBuffer>;
  readonly kind: Uint8Array<ArrayBuffer>;
  readonly ascii: Uint8Array<ArrayBuffer>;
}

/** The key table's arrays (quick.ts KeyTable), as views on the module's memory. */
export interface KeyTableViews {
  readonly bits: number;
  readonly max: number;
  readonly slots: Int32Array<ArrayBuffer>;
  readonly from: Int32Array<ArrayBuffer>;
  readonly length: Int32Array<ArrayBuffer>;
  readonly field: Int32Array<ArrayBuffer>;
  readonly bytes: Uint8Array<ArrayBuffer>;
}

export interface WasmScanner {
  /** The module's whole memory, as a Buffer. */
  readonly memory: Buffer;
  /** Where a record is copied to be scanned, and the most bytes it may have. */
  readonly input: number;
  readonly inputMax: number;
  readonly keys: KeyTableViews;
  readonly top: MemberViews;
  readonly detail: MemberViews;
  /** What `scan` returns. */
  readonly VALID: number;
  readonly INVALID: number;
  readonly ASK: number;
  /** Scans the `length` bytes at `input` (a NUL written after them): VALID, INVALID, ASK or another. */
  scan(length: number, fields: number, detailField: number): number;
  /** The key the table lacked, after ASK: where it sits in `memory`, and whether it is ASCII. */
  unknownKey(): { start: number; end: number; ascii: boolean };
  /** Where output lines are written, and their room. */
  readonly out: number;
  readonly outMax: number;
  /** Where pieces of lines are kept, and their room. */
  readonly pieces: number;
  readonly piecesMax: number;
  /** The (offset, length) pairs of a line, as a view; at most `pairsMax` pairs. */
  readonly pairs: Int32Array<ArrayBuffer>;
  readonly pairsMax: number;
  /** Appends the line of the first `n` pairs to the output at `at`: where it ends, or -1 when it does not fit. */
  emit(n: number, at: number): number;
}

/** The scanner, or undefined when the module cannot be compiled or is not the one this code expects. */
function load(): WasmScanner | undefined {
  try {
    return instantiate();
  } catch {
    return undefined;
  }
}

function instantiate(): WasmScanner | undefined {
  let exports: ScanExports;
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return undefined;
  const module = new api.Module(Buffer.from(SCAN_WASM, "base64"));
  exports = new api.Instance(module, {}).exports as ScanExports;
  const constant = (name: string): number => {
    const value = (exports[name] as WasmGlobal | undefined)?.value;
    if (typeof value !== "number") throw new Error(`the scanner module lacks ${name}`);
    return value;
  };
  const buffer = exports.memory.buffer;
  const memory = Buffer.from(buffer);
  const maxFields = constant("MAX_FIELDS");
  const maxMembers = constant("MAX_MEMBERS");
  const views = (set: number): MemberViews => ({
    slot: new Int32Array(buffer, set + constant("M_SLOT"), maxFields),
    count: new Int32Array(buffer, set + constant("M_COUNT"), 1),
    keyStart: new Int32Array(buffer, set + constant("M_KEY_START"), maxMembers),
    keyEnd: new Int32Array(buffer, set + constant("M_KEY_END"), maxMembers),
    valueStart: new Int32Array(buffer, set + constant("M_VALUE_START"), maxMembers),
    valueEnd: new Int32Array(buffer, set + constant("M_VALUE_END"), maxMembers),
    kind: new Uint8Array(buffer, set + constant("M_KIND"), maxMembers),
    ascii: new Uint8Array(buffer, set + constant("M_ASCII"), maxMembers),
  });
  const bits = constant("KEY_BITS");
  const max = constant("KEY_MAX");
  const input = constant("INPUT");
  // The regions must not overlap, and the table and member sets must fit what quick.ts keeps.
  if (constant("STACK_END") > input || input + constant("INPUT_MAX") + 64 > constant("OUT")) return undefined;
  if (constant("PAIRS") + 8 * constant("PAIRS_MAX") > memory.length) return undefined;
  const unknownStart = exports.unknownStart as WasmGlobal;
  const unknownEnd = exports.unknownEnd as WasmGlobal;
  const unknownAscii = exports.unknownAscii as WasmGlobal;
  return {
    memory,
    input,
    inputMax: constant("INPUT_MAX"),
    keys: {
      bits,
      max,
      slots: new Int32Array(buffer, constant("KEY_SLOTS"), 1 << bits),
      from: new Int32Array(buffer, constant("KEY_FROM"), max),
      length: new Int32Array(buffer, constant("KEY_LENGTH"), max),
      field: new Int32Array(buffer, constant("KEY_FIELD"), max),
      bytes: new Uint8Array(buffer, constant("KEY_BYTES"), constant("KEY_BYTES_MAX")),
    },
    top: views(constant("TOP")),
    detail: views(constant("DETAIL")),
    VALID: constant("VALID"),
    INVALID: constant("INVALID"),
    ASK: constant("ASK"),
    scan: (length, fields, detailField) => {
      memory[input + length] = 0;
      return exports.scan(input, input + length, fields, detailField);
    },
    out: constant("OUT"),
    outMax: constant("OUT_MAX"),
    pieces: constant("PIECES"),
    piecesMax: constant("PIECES_MAX"),
    pairs: new Int32Array(buffer, constant("PAIRS"), 2 * constant("PAIRS_MAX")),
    pairsMax: constant("PAIRS_MAX"),
    emit: (n, at) => exports.emit(n, at),
    unknownKey: () => ({
      start: unknownStart.value as number,
      end: unknownEnd.value as number,
      ascii: unknownAscii.value === 1,
    }),
  };
}

export const WASM_SCANNER: WasmScanner | undefined = load();
