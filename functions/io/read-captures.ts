import type { Dirent } from "node:fs";
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { jsonErrorText } from "../../core/change/json-error.ts";
import { DocumentSplitter, type SplitRecord, sizeText } from "../../core/change/stream.ts";

/**
 * Streams captured events from files and directories: JSON lines, and JSON documents (a record, an
 * EventBridge envelope, a trail log file, an array), each optionally gzipped like trail log files.
 * Memory stays flat whatever the shape: JSON lines are read line by line, and a document's records
 * are cut out one at a time as they complete (core/change/stream.ts), so a 1 GiB trail log file holds
 * one record in memory, not the file.
 *
 * How a file is read: its first JSON value is streamed. When that value sits on one line with nothing
 * after it on that line, the file is JSON lines and the other lines are read one by one. Otherwise it
 * is one document, and only white space may follow. A document that breaks after some records gives
 * those records and one error saying where it broke; a file that breaks before any record is tried
 * line by line, so a truncated line never hides the good ones around it.
 *
 * Every capture is bounded (CaptureLimits): a file's content after gunzip, and one record (a line of
 * JSON lines, a document's record). Over a cap, that file, line or record is rejected with a reason
 * naming it (an error with `limit`), nothing past the cap is held, and the rest is still read.
 */

/**
 * The caps on a capture. Real captures stay far below the defaults: CloudTrail's largest event is 1 MB
 * (an event data store's "Large" events; 256 KB standard, and EventBridge delivers at most 256 KB), so
 * 16 MiB for one record leaves room for a whole trail log file written as one JSON line; 4 GiB of
 * content is some 2.8 million records at 1.5 KB. A gzip bomb (zeros compress about 1,000 to 1) meets
 * the record cap after 16 MiB, or the file cap.
 */
export interface CaptureLimits {
  /** Bytes of a file's content (after gunzip for `.gz`). */
  readonly fileBytes: number;
  /** Bytes of one line of JSON lines, characters of one record of a document. */
  readonly recordBytes: number;
}

export const DEFAULT_CAPTURE_LIMITS: CaptureLimits = { fileBytes: 4 * 2 ** 30, recordBytes: 16 * 2 ** 20 };

/** The content of a file went past the file cap while it was read. */
class FileTooLarge extends Error {
  constructor(readonly cap: number) {
    super(`more than ${sizeText(cap)}`);
  }
}

function fileTooLarge(cap: number, gz: boolean, where: string): string {
  return `the file holds more than ${sizeText(cap)}${gz ? " after gunzip" : ""} (the cap for one capture file); ${where}`;
}

function isGzip(file: string): boolean {
  return file.toLowerCase().endsWith(".gz");
}

/** A parsed JSON value, or the reason a piece of input could not be parsed. */
export type CaptureItem =
  | {
      readonly kind: "value";
      readonly file: string;
      /** The line of a JSON lines file (absent for a document, or a file of one line). */
      readonly line?: number;
      readonly value: unknown;
      /** Where a document's record sits, as `candidates` names it (`.Records[3]`), and its depth. */
      readonly path?: string;
      readonly depth?: number;
    }
  | {
      readonly kind: "error";
      readonly file: string;
      readonly line?: number;
      readonly error: string;
      /** The file, line or record is over a cap (CaptureLimits): an input the user must split or fix. */
      readonly limit?: true;
    };

/**
 * What the reader finds before anything is parsed: one record's (or one line's) JSON text, an error,
 * or the end of a file. `phantom inspect` judges the text on the intake's quick path.
 */
export type CaptureEntry =
  | {
      readonly kind: "text";
      readonly text: string;
      /** The line it starts on. */
      readonly line: number;

      readonly path: string;
      readonly depth: number;
      /** True for a line of a JSON lines file. */
      readonly jsonLine: boolean;
    }
  | {
      /**
       * Lines of a JSON lines file, as bytes: line `i` is `bytes` from `starts[i]` to `ends[i]` (no line
       * break), on line `lines[i]` of the file. Blank lines are left out. The intake judges the bytes
       * (quickJudgeBytes) and decodes a line only when it needs the text. The reader reuses one buffer:
       * `bytes` hold these lines only until the next batch is asked for (copy what must outlive that).
       */
      readonly kind: "lines";
      readonly bytes: Buffer;
      readonly count: number;
      readonly starts: Int32Array;
      readonly ends: Int32Array;
      readonly lines: Int32Array;
    }
  | {
      /** A document's value, already parsed (the reader parsed it to tell the file's shape). */
      readonly kind: "value";
      readonly value: unknown;
      readonly path: string;
      readonly depth: number;
    }
  | {
      readonly kind: "error";
      readonly error: string;
      /** Set when the error takes a place in the file's sequence of records (a line, a cut). */
      readonly line?: number;
      /** Over a cap (CaptureLimits). */
      readonly limit?: true;
    }
  | {
      readonly kind: "end";
      /** The JSON values the file held (lines, or 1 for a document); Infinity when read line by line after a break. */
      readonly units: number;
    };

/** A batch of JSON lines read as bytes. */
export type LinesEntry = Extract<CaptureEntry, { kind: "lines" }>;

/** The text of line `i` of a lines entry, as a text entry (decoded as the text reader would). */
export function lineEntry(entry: LinesEntry, i: number): Extract<CaptureEntry, { kind: "text" }> {
  return {
    kind: "text",
    text: entry.bytes.toString("utf8", entry.starts[i], entry.ends[i]),
    line: entry.lines[i] as number,
    path: "",
    depth: 0,
    jsonLine: true,
  };
}

/** A path that could not be read at all: a usage error, not a rejected record. */
export class UnreadablePathError extends Error {
  override readonly name = "UnreadablePathError";
  constructor(
    readonly target: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`cannot read ${target}: ${reason}`, options);
  }
}

const CAPTURE_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;

/** Expands paths to files: directories recursively (capture files only, sorted), files as given. */
export async function listCaptureFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const target of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(target);
    } catch (cause) {
      throw new UnreadablePathError(target, { cause });
    }
    if (!info.isDirectory()) {
      files.push(target);
      continue;
    }
    let entries: Dirent[];
    try {
      entries = await readdir(target, { recursive: true, withFileTypes: true });
    } catch (cause) {
      // A subdirectory Phantom may not read: exit 1 naming it (the cause's path), not a stack trace.
      throw new UnreadablePathError(target, { cause });
    }
    const found = entries
      .filter((e) => e.isFile() && CAPTURE_FILE.test(e.name))
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
    files.push(...found);
  }
  return files;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error entry for a read that stopped at `line`: over the file cap, or failed. */
function readFailure(cause: unknown, file: string, line: number): CaptureEntry {
  if (cause instanceof FileTooLarge) {
    return {
      kind: "error",
      error: fileTooLarge(
        cause.cap,
        isGzip(file),
        `stopped at line ${line}, the records before it were read`,
      ),
      limit: true,
    };
  }
  return { kind: "error", error: `read failed after line ${line - 1}: ${message(cause)}` };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: jsonErrorText(error) };
  }
}

/**
 * Reads a file as text in pieces, gunzipping `.gz`. Read errors surface as exceptions; content past
 * `cap` bytes as FileTooLarge.
 */
async function* textPieces(file: string, cap: number): AsyncGenerator<string> {
  const raw = createReadStream(file, { highWaterMark: 1 << 16 });
  let input: AsyncIterable<Buffer> = raw;
  if (isGzip(file)) {
    // pipe() does not forward errors: a missing or unreadable file must reach the reader's catch.
    const gunzip = createGunzip();
    raw.on("error", (error) => gunzip.destroy(error));
    input = raw.pipe(gunzip);
  }
  const decoder = new StringDecoder("utf8");
  let total = 0;
  for await (const chunk of input) {
    total += chunk.length;
    if (total > cap) {
      raw.destroy();
      throw new FileTooLarge(cap);
    }
    const text = decoder.write(chunk);
    if (text !== "") yield text;
  }
  const tail = decoder.end();
  if (tail !== "") yield tail;
}

/** Bytes read at a time. */
const CHUNK = 1 << 20;

/** Fills `into` from `at` with the file's next bytes (gunzipped for `.gz`); 0 at the end. */
type Fill = (into: Buffer, at: number) => Promise<number>;

/**
 * Opens a file for reading bytes into a caller's buffer. Plain files are read straight into it, with
 * no stream machinery per piece; a `.gz` file is gunzipped and its output copied in.
 */
async function byteSource(file: string, cap: number): Promise<{ fill: Fill; close: () => Promise<void> }> {
  let total = 0;
  const counted = (n: number): number => {
    total += n;
    if (total > cap) throw new FileTooLarge(cap);
    return n;
  };
  if (!isGzip(file)) {
    const handle = await open(file, "r");
    return {
      fill: async (into, at) => counted((await handle.read(into, at, into.length - at, null)).bytesRead),
      close: () => handle.close(),
    };
  }
  const raw = createReadStream(file, { highWaterMark: 1 << 16 });
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  raw.on("error", (error) => gunzip.destroy(error));
  const chunks = raw.pipe(gunzip)[Symbol.asyncIterator]();
  let chunk: Buffer | undefined;
  let from = 0;
  return {
    fill: async (into, at) => {
      while (chunk === undefined || from === chunk.length) {
        const next = await chunks.next();
        if (next.done === true) return 0;
        chunk = next.value as Buffer;
        from = 0;
      }
      const copied = chunk.copy(into, at, from);
      from += copied;
      return counted(copied);
    },
    close: async () => {
      await chunks.return?.();
      raw.destroy();
    },
  };
}

const LF = 10;
const CR = 13;

/** Whether the line's bytes hold nothing but white space (as String.prototype.trim sees it). */
function isBlankBytes(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (c === 32 || c === 9 || c === 11 || c === 12) continue;
    // Beyond ASCII, trim also takes U+00A0, U+FEFF, U+2028 and friends: ask the text.
    return c >= 0x80 && isBlank(bytes.toString("utf8", start, end));
  }
  return true;
}

/**
 * Splits bytes into lines exactly as LineSplitter splits their text: LF, CRLF and a lone CR each end a
 * line, also across pieces. Line breaks are ASCII and never part of a UTF-8 sequence, so a line's bytes
 * decode to the text LineSplitter would give. A line longer than `max` bytes is an error entry in its
 * place, and its bytes are passed over, never kept: the caller's buffer holds at most `max` of them.
 */
class ByteLines {
  #crPending = false;
  /** Line breaks still to pass before lines are kept (the lines already read as text). */
  #skip: number;
  /** Passing over the rest of a line found too long. */
  #overlong = false;
  readonly #max: number;
  /** The number of the line being read (1-based). */
  line = 1;

  constructor(skip: number, max: number) {
    this.#skip = skip;
    this.#max = max;
  }

  /** Where the unfinished line of the last `split` starts (its length, when every line was finished). */
  rest = 0;

  #tooLong(line: number): CaptureEntry {
    return {
      kind: "error",
      error: `line ${line} is longer than ${sizeText(this.#max)} (the cap for one record); it is skipped`,
      line,
      limit: true,
    };
  }

  /**
   * The entries of `data`'s lines ended by a line break (and at `final`, the last line too): lines, and
   * an error for each line over the cap, in order; `rest` tells where the unfinished line starts, to be
   * given again in front of the next bytes.
   */
  split(data: Buffer, final: boolean): CaptureEntry[] {
    const n = data.length;
    const out: CaptureEntry[] = [];
    let a = 0;
    if (this.#crPending && data[0] === LF) a = 1;
    this.#crPending = false;
    let capacity = 64;
    let starts = new Int32Array(capacity);
    let ends = new Int32Array(capacity);
    let lines = new Int32Array(capacity);
    let count = 0;
    const flush = () => {
      if (count === 0) return;
      out.push({ kind: "lines", bytes: data, count, starts, ends, lines });
      capacity = 64;
      starts = new Int32Array(capacity);
      ends = new Int32Array(capacity);
      lines = new Int32Array(capacity);
      count = 0;
    };
    let lf = data.indexOf(LF, a);
    let cr = data.indexOf(CR, a);
    for (;;) {
      if (lf !== -1 && lf < a) lf = data.indexOf(LF, a);
      if (cr !== -1 && cr < a) cr = data.indexOf(CR, a);
      let end = lf;
      let next = lf + 1;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr === n - 1 && !final) this.#crPending = true;
        next = data[cr + 1] === LF ? cr + 2 : cr + 1;
      }
      if (end === -1) {
        if (final && a < n) end = n;
        else break;
        next = n;
      }
      if (this.#skip > 0) this.#skip--;
      else if (this.#overlong) this.#overlong = false;
      else if (end - a > this.#max) {
        flush();
        out.push(this.#tooLong(this.line));
      } else if (!isBlankBytes(data, a, end)) {
        if (count === capacity) {
          capacity *= 2;
          const grow = (from: Int32Array) => {
            const to = new Int32Array(capacity);
            to.set(from);
            return to;
          };
          starts = grow(starts);
          ends = grow(ends);
          lines = grow(lines);
        }
        starts[count] = a;
        ends[count] = end;
        lines[count] = this.line;
        count++;
      }
      this.line++;
      a = next;
      if (a >= n) break;
    }
    flush();
    // An unfinished line still to be passed is not kept: a long first line (a one-line trail log file
    // before more lines) never has to fit in memory. Nor is one already over the cap.
    if (final || this.#skip > 0 || this.#overlong) this.rest = n;
    else if (n - a > this.#max) {
      out.push(this.#tooLong(this.line));
      this.#overlong = true;
      this.rest = n;
    } else this.rest = Math.min(a, n);
    return out;
  }
}

/**
 * Splits text into lines as node:readline does (`crlfDelay: Infinity`): LF, CRLF and a lone CR each
 * end a line, also across pieces. `flush` returns the last line when the text did not end with one.
 */
class LineSplitter {
  #carry = "";
  #crPending = false;
  /** Passing over the rest of a line found longer than #max characters. */
  #overlong = false;
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** Calls `line` for each complete line in `text`: `null` for one longer than the cap (never kept). */
  push(text: string, line: (text: string | null) => void): void {
    let a = 0;
    if (this.#crPending && text.charCodeAt(0) === 10) a = 1;
    this.#crPending = false;
    let cr = text.indexOf("\r", a);
    for (;;) {
      let end = text.indexOf("\n", a);
      if (cr !== -1 && cr < a) cr = text.indexOf("\r", a);
      let width = 1;
      if (cr !== -1 && (end === -1 || cr < end)) {
        if (cr === text.length - 1) {
          // A CR at the end of a piece: a line break, and a LF starting the next piece belongs to it.
          this.#crPending = true;
        } else if (text.charCodeAt(cr + 1) === 10) width = 2;
        end = cr;
      }
      if (end === -1) break;
      if (this.#overlong) {
        this.#overlong = false;
        line(null);
      } else if (this.#carry.length + end - a > this.#max) {
        this.#carry = "";
        line(null);
      } else if (this.#carry === "") line(text.slice(a, end));
      else {
        line(this.#carry + text.slice(a, end));
        this.#carry = "";
      }
      a = end + width;
    }
    if (a < text.length && !this.#overlong) {
      this.#carry += text.slice(a);
      if (this.#carry.length > this.#max) {
        this.#carry = "";
        this.#overlong = true;
      }
    }
  }

  flush(): string | null | undefined {
    if (this.#overlong) {
      this.#overlong = false;
      return null;
    }
    const last = this.#carry;
    this.#carry = "";
    return last === "" ? undefined : last;
  }
}

const BLANK = /^\s*$/;

/** Whether a line holds nothing but white space (as String.prototype.trim sees it). */
function isBlank(text: string): boolean {
  return BLANK.test(text);
}

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

type Batches = AsyncGenerator<CaptureEntry[]>;

/**
 * Reads one capture file into entries, a batch per piece of the file read, so a caller pays one
 * await per batch rather than per record. See the module comment for how a file is read.
 */
export async function* readCaptureBatches(
  file: string,
  limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS,
): Batches {
  if (!isGzip(file)) {
    // A plain file's size is its content's: over the cap, nothing of it is read.
    let size = 0;
    try {
      size = (await stat(file)).size;
    } catch {
      // Reading it reports the reason.
    }
    if (size > limits.fileBytes) {
      yield [{ kind: "error", error: fileTooLarge(limits.fileBytes, false, "it is not read"), limit: true }];
      return;
    }
  }
  const pieces = textPieces(file, limits.fileBytes)[Symbol.asyncIterator]();
  const batch: CaptureEntry[] = [];
  let streamed = 0;
  /** The document's value when it was kept whole (not streamed): held until the file's shape is known. */
  let held: SplitRecord | undefined;
  let broken: string | undefined;
  /** The first value went past the record cap: the file is rejected, or (an object) read line by line. */
  let tooLarge: { message: string; scalar: boolean } | undefined;
  const splitter: DocumentSplitter = new DocumentSplitter(
    {
      record: (record) => {
        if (record.path === "") {
          held = record;
          return;
        }
        streamed++;
        batch.push({
          kind: "text",
          text: record.text,
          line: record.line,
          path: record.path,
          depth: record.depth,
          jsonLine: false,
        });
      },
      broken: (why) => {
        broken = why;
      },
      problem: (why) => {
        batch.push({ kind: "error", error: why, line: splitter.line });
      },
      tooLarge: (why, at) => {
        if (at.fatal) tooLarge = { message: why, scalar: at.scalar };
        else batch.push({ kind: "error", error: why, line: at.line, limit: true });
      },
    },
    limits.recordBytes,
  );
  let rest = "";
  try {
    for (;;) {
      const next = await pieces.next();
      if (next.done === true) {
        splitter.end();
        break;
      }
      const end = splitter.write(next.value);
      if (batch.length > 0) yield batch.splice(0);
      if (end >= 0) {
        rest = next.value.slice(end);
        break;
      }
      if (broken !== undefined || tooLarge !== undefined) break;
    }
  } catch (cause) {
    if (batch.length > 0) yield batch.splice(0);
    yield [readFailure(cause, file, splitter.line)];
    return;
  }
  if (batch.length > 0) yield batch.splice(0);
  if (tooLarge !== undefined) {
    await pieces.return?.(undefined);
    // A number or word is nothing JSON lines could hold: the file is rejected. An object may be a
    // broken first line of JSON lines: its lines are read one by one, each held to the cap.
    if (tooLarge.scalar || streamed > 0) {
      yield [{ kind: "error", error: `${tooLarge.message}; the file is not read further`, limit: true }];
      return;
    }
    yield* salvage(file, tooLarge.message, limits, true);
    return;
  }
  if (broken !== undefined) {
    if (streamed === 0) {
      yield* salvage(file, broken, limits);
      return;
    }
    yield [
      {
        kind: "error",
        error: `${broken}; the ${streamed} record${streamed === 1 ? "" : "s"} before it were read`,
        line: splitter.line,
      },
      { kind: "end", units: 1 },
    ];
    return;
  }
  if (!splitter.done) {
    yield [{ kind: "error", error: "the file is empty" }];
    return;
  }
  // The first value is complete: the rest of its line decides between JSON lines and a document.
  const after = new After(rest, pieces, splitter.endLine, splitter.endColumn);
  try {
    const tail = await after.restOfLine();
    if (splitter.valueLine === splitter.endLine && tail.blank) {
      // More lines are read again as bytes, unless the value's line was the last (a one-line trail file).
      const more = !(await after.atEnd());
      await pieces.return?.(undefined);
      yield* readLines(file, more ? after.line - 1 : -1, held, splitter.valueLine, limits);
      return;
    }
    const trailing = tail.blank ? await after.trailing() : tail.error;
    if (trailing === undefined) {
      if (held !== undefined) {
        const whole = tryParse(held.text);
        if (!whole.ok) {
          yield* salvage(file, whole.error, limits);
          return;
        }
        yield [{ kind: "value", value: whole.value, path: "", depth: 0 }];
      }
      yield [{ kind: "end", units: 1 }];
      return;
    }
    if (streamed === 0) {
      yield* salvage(file, trailing, limits);
      return;
    }
    yield [
      { kind: "error", error: trailing, line: after.line },
      { kind: "end", units: 1 },
    ];
  } catch (cause) {
    yield [readFailure(cause, file, after.line)];
  }
}

/** Reads what follows the first value, from the rest of its piece and the pieces after it. */
class After {
  #text: string;
  #at = 0;
  #done = false;
  /** Line and column of the next character to read. */
  line: number;
  column: number;

  constructor(
    rest: string,
    readonly pieces: AsyncIterator<string>,
    line: number,
    column: number,
  ) {
    this.#text = rest;
    this.line = line;
    this.column = column;
  }

  /** The next character code, or -1 at the end of the input. Consumes it. */
  async #next(): Promise<number> {
    while (this.#at >= this.#text.length) {
      if (this.#done) return -1;
      const next = await this.pieces.next();
      if (next.done === true) {
        this.#done = true;
        return -1;
      }
      this.#text = next.value;
      this.#at = 0;
    }
    return this.#text.charCodeAt(this.#at++);
  }

  #unexpected(c: number): string {
    return `unexpected ${JSON.stringify(String.fromCharCode(c))} after the JSON value, at line ${this.line}, column ${this.column}`;
  }

  /** Whether nothing at all follows (reads the next piece when the current one is used up). */
  async atEnd(): Promise<boolean> {
    const c = await this.#next();
    if (c === -1) return true;
    this.#at--;
    return false;
  }

  /** Reads to the end of the value's line: blank (spaces and tabs only), or the error naming what is there. */
  async restOfLine(): Promise<{ blank: true } | { blank: false; error: string }> {
    for (;;) {
      const c = await this.#next();
      if (c === -1 || c === 10) break;
      if (c === 13) {
        // CRLF is one line break.
        if ((await this.#peek()) === 10) await this.#next();
        break;
      }
      if (c !== 32 && c !== 9) return { blank: false, error: this.#unexpected(c) };
      this.column++;
    }
    this.line++;
    this.column = 1;
    return { blank: true };
  }

  async #peek(): Promise<number> {
    const c = await this.#next();
    if (c !== -1) this.#at--;
    return c;
  }

  /** Reads to the end of the input: undefined when only JSON white space follows, else the error. */
  async trailing(): Promise<string | undefined> {
    for (;;) {
      const c = await this.#next();
      if (c === -1) return undefined;
      if (!isJsonSpace(c)) return this.#unexpected(c);
      if (c === 10 || c === 13) {
        if (c === 13 && (await this.#peek()) === 10) await this.#next();
        this.line++;
        this.column = 1;
      } else this.column++;
    }
  }

  /** The unread text of the current piece, then the following pieces. */
  async *remaining(): AsyncGenerator<string> {
    const first = this.#text.slice(this.#at);
    this.#at = this.#text.length;
    if (first !== "") yield first;
    if (this.#done) return;
    for (;;) {
      const next = await this.pieces.next();
      if (next.done === true) return;
      yield next.value;
    }
  }
}

/**
 * JSON lines: the first value was on `firstLine` (held, or streamed already), and the lines up to
 * `skip` were read as text; every other line is one value. The rest of the file is read again as bytes,
 * from its start, and split into lines without decoding them (ByteLines). `skip` -1: nothing follows.
 */
async function* readLines(
  file: string,
  skip: number,
  held: SplitRecord | undefined,
  firstLine: number,
  limits: CaptureLimits,
): Batches {
  let units = 1;
  if (held !== undefined) {
    yield [{ kind: "text", text: held.text, line: firstLine, path: "", depth: 0, jsonLine: true }];
  }
  if (skip < 0) {
    yield [{ kind: "end", units }];
    return;
  }
  const lines = new ByteLines(skip, limits.recordBytes);
  let source: Awaited<ReturnType<typeof byteSource>> | undefined;
  try {
    source = await byteSource(file, limits.fileBytes);
    // One buffer, reused: a batch's bytes are read before the next batch is asked for.
    let buffer = Buffer.allocUnsafe(CHUNK);
    let kept = 0;
    for (;;) {
      if (kept * 2 > buffer.length) {
        // A line longer than half the buffer: room for it to finish.
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, kept);
        buffer = bigger;
      }
      const read = await source.fill(buffer, kept);
      const data = buffer.subarray(0, kept + read);
      const entries = lines.split(data, read === 0);
      if (entries.length > 0) {
        for (const entry of entries) units += entry.kind === "lines" ? entry.count : 1;
        yield entries;
      }
      if (read === 0) break;
      // The unfinished line moves to the front, and the next bytes follow it.
      kept = data.copy(buffer, 0, lines.rest);
    }
  } catch (cause) {
    yield [readFailure(cause, file, lines.line)];
    return;
  } finally {
    await source?.close();
  }
  yield [{ kind: "end", units }];
}

/**
 * A file that broke before its first record: JSON lines with some bad lines (log noise, a truncated
 * line), or not JSON at all. Records in JSON lines are whole lines starting with `{` that parse; a
 * broken multi-line document also has `{` lines, but most are fragments (`{`, `{"Key": "x"},`). So the
 * lines are salvaged when at least half of the `{` lines parse as objects. Two passes over the file:
 * the first counts, the second yields, so memory stays flat.
 */
async function* salvage(file: string, reason: string, limits: CaptureLimits, limited = false): Batches {
  let braced = 0;
  let good = 0;
  let nonBlank = 0;
  let lineNo = 0;
  const count = (text: string | null): void => {
    lineNo++;
    if (text === null) {
      nonBlank++;
      return;
    }
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (isBlank(text)) return;
    nonBlank++;
    if (text.trimStart().startsWith("{")) braced++;
    const parsed = tryParse(text);
    if (
      parsed.ok &&
      typeof parsed.value === "object" &&
      parsed.value !== null &&
      !Array.isArray(parsed.value)
    )
      good++;
  };
  try {
    for await (const lines of linesOf(file, limits)) for (const text of lines) count(text);
  } catch (cause) {
    yield [readFailure(cause, file, lineNo + 1)];
    return;
  }
  if (nonBlank === 0) {
    yield [{ kind: "error", error: "the file is empty" }];
    return;
  }
  if (good === 0 || good * 2 < braced) {
    yield [
      { kind: "error", error: `not JSON or JSON lines: ${reason}`, ...(limited ? { limit: true } : {}) },
    ];
    return;
  }
  lineNo = 0;
  const entryOf = (text: string | null): CaptureEntry | undefined => {
    lineNo++;
    if (text === null) {
      const error = `line ${lineNo} is longer than ${sizeText(limits.recordBytes)} (the cap for one record); it is skipped`;
      return { kind: "error", error, line: lineNo, limit: true };
    }
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (isBlank(text)) return undefined;
    const parsed = tryParse(text);
    // Only objects count as salvaged records: a stray `"x"` or `42` line of a broken document is noise.
    if (
      parsed.ok &&
      typeof parsed.value === "object" &&
      parsed.value !== null &&
      !Array.isArray(parsed.value)
    ) {
      return {
        kind: "text",
        text,
        line: lineNo,
        path: "",
        depth: 0,
        jsonLine: true,
      };
    }
    const why = parsed.ok ? "is not a JSON object" : `is not valid JSON: ${parsed.error}`;
    return { kind: "error", error: `line ${lineNo} ${why}`, line: lineNo };
  };
  try {
    for await (const lines of linesOf(file, limits)) {
      const batch = lines.map(entryOf).filter((e) => e !== undefined);
      if (batch.length > 0) yield batch;
    }
  } catch (cause) {
    yield [readFailure(cause, file, lineNo + 1)];
    return;
  }
  yield [{ kind: "end", units: Number.POSITIVE_INFINITY }];
}

/** The lines of a file, a batch per piece read; `null` for a line over the record cap. */
async function* linesOf(file: string, limits: CaptureLimits): AsyncGenerator<(string | null)[]> {
  const lines = new LineSplitter(limits.recordBytes);
  for await (const piece of textPieces(file, limits.fileBytes)) {
    const batch: (string | null)[] = [];
    lines.push(piece, (text) => batch.push(text));
    if (batch.length > 0) yield batch;
  }
  const last = lines.flush();
  if (last !== undefined) yield [last];
}

/** Names a text entry in an error: `line 7` for JSON lines, `.Records[3] (line 7)` for a document's record. */
export function whereIs(entry: {
  readonly jsonLine: boolean;
  readonly path: string;
  readonly line: number;
}): string {
  return entry.jsonLine || entry.path === "" ? `line ${entry.line}` : `${entry.path} (line ${entry.line})`;
}

/** A record's place in its document, when it is not the document itself. */
function at(entry: { readonly path: string; readonly depth: number }): { path?: string; depth?: number } {
  return entry.path === "" && entry.depth === 0 ? {} : { path: entry.path, depth: entry.depth };
}

/**
 * Reads one capture file as parsed values: every record of a document, every line of JSON lines.
 * A file of a single JSON line is one value without a line, like a document.
 */
export async function* readCaptureFile(
  file: string,
  limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS,
): AsyncGenerator<CaptureItem> {
  let held: CaptureItem | undefined;
  let first = true;
  for await (const batch of readCaptureBatches(file, limits)) {
    const entries = batch.flatMap((entry) =>
      entry.kind === "lines" ? Array.from({ length: entry.count }, (_, i) => lineEntry(entry, i)) : [entry],
    );
    for (const entry of entries) {
      if (entry.kind === "end") continue;
      let item: CaptureItem;
      if (entry.kind === "error") {
        item = {
          kind: "error",
          file,
          ...(entry.line !== undefined ? { line: entry.line } : {}),
          error: entry.error,
          ...(entry.limit === true ? { limit: true } : {}),
        };
      } else if (entry.kind === "value") {
        item = { kind: "value", file, value: entry.value, ...at(entry) };
      } else {
        const parsed = tryParse(entry.text);
        item = parsed.ok
          ? entry.jsonLine
            ? { kind: "value", file, line: entry.line, value: parsed.value }
            : { kind: "value", file, value: parsed.value, ...at(entry) }
          : {
              kind: "error",
              file,
              ...(entry.jsonLine ? { line: entry.line } : {}),
              error: `${whereIs(entry)} is not valid JSON: ${parsed.error}`,
            };
      }
      // The first JSON line is held back: a file with one line is one document, sourced by its name.
      if (first && entry.kind === "text" && entry.jsonLine) {
        first = false;
        held = item;
        continue;
      }
      first = false;
      if (held !== undefined) {
        yield held;
        held = undefined;
      }
      yield item;
    }
  }
  if (held !== undefined) {
    if (held.kind === "value") {
      const { line: _line, ...alone } = held;
      yield alone;
    } else yield held;
  }
}
