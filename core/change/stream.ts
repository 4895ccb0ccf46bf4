import { MAX_DEPTH } from "./decode.ts";
import { jsonErrorText } from "./json-error.ts";

/**
 * Splits a JSON capture document, fed as text in pieces, into the JSON text of each record as soon as
 * the record is complete: a trail log file's `Records`, a JSON array's items (nested arrays and trail
 * files inside arrays too), or the one value a document holds. Memory holds one record at a time,
 * whatever the size of the document.
 *
 * The splitter only finds where records start and end (strings, escapes and brackets) and checks the
 * structure between them; each record's text is then parsed by JSON.parse, with its exact semantics
 * (duplicate keys, escapes, `__proto__`). Paths and depths are those of `candidates` (decode.ts), so a
 * streamed document gives the same candidates as the parsed one. One exception, because a stream
 * cannot look ahead: an object is read as a trail log file when its `Records` array begins before any
 * `eventName` key; a key after the array that would have changed that is reported as an error.
 *
 * Why not a streaming JSON library: both well-kept ones rebuild every value in JavaScript, token by
 * token, with object semantics of their own. On a 64 MB trail log file of 40,000 records, stream-json
 * 3.9 (parser, pick, streamArray) took 4.2 s of CPU and @streamparser/json 0.0.26 1.6 s, where this
 * splitter with JSON.parse per record took 0.44 s (JSON.parse of the whole file: 0.49 s and 200 MiB).
 * stream-json also says it is not meant for untrusted input, and captures are exactly that.
 */

/** One record's JSON text and where it sits. */
export interface SplitRecord {
  readonly text: string;
  /** Its place in the document, as `candidates` names it: `[3]`, `.Records[41]`, `""` for the document. */
  readonly path: string;
  readonly depth: number;
  /** The line of the file it starts on (1-based; CR, LF and CRLF each end a line). */
  readonly line: number;
}

export interface SplitSink {
  record(record: SplitRecord): void;
  /** The structure is broken at this point; the splitter stops. */
  broken(message: string): void;
  /** A problem that does not stop the splitter (a trail file's other keys). */
  problem(message: string): void;
  /**
   * A kept value grew past `maxRecord` characters. A record inside a streamed array is skipped, and
   * the splitter goes on with the next one (`fatal` false, `line` where it starts). The document's own
   * value (`fatal` true) stops the splitter; `scalar` tells a number or word (nothing JSON lines could
   * start with) from an object or array.
   */
  tooLarge?(
    message: string,
    at: { readonly fatal: boolean; readonly scalar: boolean; readonly line: number },
  ): void;
}

/** `16 MiB`, `4 KiB`, `512 bytes`: a size for a message. */
export function sizeText(bytes: number): string {
  for (const [unit, size] of [
    ["GiB", 2 ** 30],
    ["MiB", 2 ** 20],
    ["KiB", 2 ** 10],
  ] as const) {
    if (bytes >= size && bytes % (size / 4) === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

const OBJECT = 123; // {
const ARRAY = 91; // [
const CLOSE_OBJECT = 125; // }
const CLOSE_ARRAY = 93; // ]
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const LF = 10;
const CR = 13;

function isSpace(c: number): boolean {
  return c === 32 || c === LF || c === CR || c === 9;
}

/** A streamed array: its items are records (or streamed in turn). */
interface ArrayLevel {
  readonly kind: "array";
  /** Items are named `${prefix}[i]`. */
  readonly prefix: string;
  /** `candidates` depth of the items. */
  readonly itemDepth: number;
  index: number;
  /** After `[` or `,` an item must come (`[` also allows `]`); after an item, `,` or `]`. */
  state: "open" | "comma" | "item";
  /** The trail object this array is the `Records` of, if any. */
  readonly trail?: TrailLevel;
}

/** An object read as a trail log file; what follows its `Records` array is checked when it closes. */
interface TrailLevel {
  readonly path: string;
  readonly key: "Records" | "records";
}

type Mode =
  | "before" // white space before the document's value
  | "array" // between the items of a streamed array
  | "capture" // inside a value whose text is kept: a record, or an object that may be a trail file
  | "rest" // inside a trail object, after its Records array
  | "done"
  | "broken";

/** Describes a character for a message: `"x"`, `end of line`. */
function shown(c: number): string {
  if (c === LF || c === CR) return "a line break";
  return JSON.stringify(String.fromCharCode(c));
}

export class DocumentSplitter {
  #mode: Mode = "before";
  readonly #sink: SplitSink;
  readonly #levels: ArrayLevel[] = [];

  // Position, for lines and messages.
  #line = 1;
  /** Offset (over all text written) where the current line starts. */
  #lineStart = 0;
  /** Offset of the text passed to the current `write`. */
  #base = 0;
  #lastCr = -2;

  // The value being kept ("capture") or the rest of a trail object ("rest").
  #parts: string[] = [];
  /** Characters held in #parts; past #maxRecord the value is skipped (#skipping), not kept. */
  #kept = 0;
  #skipping = false;
  readonly #maxRecord: number;
  #from = 0;
  #stack: number[] = [];
  #inString = false;
  #escape = false;
  #scalar = false;
  #path = "";
  #depth = 0;
  #startLine = 1;
  // Watching the members of a kept object that may be a trail log file.
  #watch = false;
  #expectKey = false;
  #inKey = false;
  #keyParts: string[] = [];
  #keyFrom = 0;
  #key: string | undefined;
  #expectValue = false;
  #sawEventName = false;
  #sawRecords = false;
  #trail: TrailLevel | undefined;

  /** Records emitted so far. */
  records = 0;
  /** Line the document's value starts on, and the one it ends on. */
  valueLine = 0;
  endLine = 0;

  /** `maxRecord`: the most characters one kept value (a record, the document's value) may hold. */
  constructor(sink: SplitSink, maxRecord = Number.POSITIVE_INFINITY) {
    this.#sink = sink;
    this.#maxRecord = maxRecord;
  }

  /** The line being read. */
  get line(): number {
    return this.#line;
  }

  /** The column just after the document's value, once it is done. */
  endColumn = 0;

  get done(): boolean {
    return this.#mode === "done";
  }

  get broken(): boolean {
    return this.#mode === "broken";
  }

  /** Where the reader is: `line 3, column 7`. */
  #at(i: number): string {
    return `line ${this.#line}, column ${this.#base + i - this.#lineStart + 1}`;
  }

  #break(i: number, what: string): void {
    this.#mode = "broken";
    this.#sink.broken(`${what} at ${this.#at(i)}`);
  }

  /**
   * Feeds the next piece of text. Returns the index in `text` just after the document's value once it
   * is complete (the caller reads what follows), or -1 while it is not (or the structure broke).
   */
  write(text: string): number {
    const n = text.length;
    let i = 0;
    this.#backslash = -2;
    if (this.#mode === "capture" || this.#mode === "rest") this.#from = 0;
    if (this.#inKey) this.#keyFrom = 0;
    while (i < n) {
      const mode = this.#mode;
      if (mode === "done" || mode === "broken") break;
      if (mode === "capture" || mode === "rest") {
        i = this.#scanKept(text, i);
        continue;
      }
      const c = text.charCodeAt(i);
      if (isSpace(c) || (c === 0xfeff && this.#base + i === 0)) {
        this.#newline(i, c);
        i++;
        continue;
      }
      if (mode === "before") {
        if (c === COMMA || c === CLOSE_ARRAY || c === CLOSE_OBJECT || c === COLON) {
          this.#break(i, `expected a JSON value, found ${shown(c)}`);
          break;
        }
        this.valueLine = this.#line;
        i = this.#startValue(text, i, "", 0);
        continue;
      }
      // Between the items of a streamed array.
      const level = this.#levels[this.#levels.length - 1] as ArrayLevel;
      if (c === CLOSE_ARRAY && level.state !== "comma") {
        i++;
        this.#closeArray(i);
        continue;
      }
      if (level.state === "item") {
        if (c !== COMMA) {
          this.#break(i, `expected "," or "]" after ${level.prefix}[${level.index - 1}], found ${shown(c)}`);
          break;
        }
        level.state = "comma";
        i++;
        continue;
      }
      if (c === COMMA || c === CLOSE_ARRAY || c === CLOSE_OBJECT || c === COLON) {
        this.#break(
          i,
          `expected a value in ${level.prefix === "" ? "the document's array" : level.prefix}, found ${shown(c)}`,
        );
        break;
      }
      const path = `${level.prefix}[${level.index}]`;
      level.index++;
      level.state = "item";
      i = this.#startValue(text, i, path, level.itemDepth);
    }
    this.#base += n;
    if ((this.#mode === "capture" || this.#mode === "rest") && !this.#skipping) {
      const part = text.slice(this.#from);
      this.#parts.push(part);
      this.#kept += part.length;
      if (this.#kept > this.#maxRecord) this.#oversize();
    }
    if (this.#inKey) this.#keyParts.push(text.slice(this.#keyFrom));
    if (this.#mode === "done") {
      const end = this.#endIndex - (this.#base - n);
      this.#endIndex = Number.NaN;
      return end;
    }
    return -1;
  }

  #endIndex = Number.NaN;
  /** Index of the next backslash in the text being written (-1: none after the last one found; -2: not looked for). */
  #backslash = -2;

  /**
   * The kept value holds more than the cap: stop keeping it. A record of a streamed array is skipped
   * (reported, and the splitter goes on); the document's own value stops the splitter.
   */
  #oversize(): void {
    const cap = sizeText(this.#maxRecord);
    const line = this.#startLine;
    this.#parts = [];
    this.#kept = 0;
    this.#keyParts = [];
    this.#inKey = false;
    this.#watch = false;
    this.#expectKey = false;
    this.#expectValue = false;
    if (this.#mode === "capture" && this.#levels.length === 0) {
      this.#mode = "broken";
      this.#sink.tooLarge?.(
        `the file's first JSON value, from line ${line}, is longer than ${cap} (the cap for one record)`,
        { fatal: true, scalar: this.#scalar, line },
      );
      return;
    }
    this.#skipping = true;
    const what =
      this.#mode === "rest"
        ? `${this.#trail?.path === "" ? "the document" : this.#trail?.path} after its Records array`
        : `${this.#path} (line ${line})`;
    this.#sink.tooLarge?.(`${what} is longer than ${cap} (the cap for one record); it is skipped`, {
      fatal: false,
      scalar: this.#scalar,
      line,
    });
  }

  /** The end of the input. A document that is not complete is reported as cut. */
  end(): void {
    if (this.#mode === "capture" && this.#scalar && !this.#inString && this.#levels.length === 0) {
      this.#finishCapture(this.#parts.join(""));
      this.#mode = "done";
      this.endLine = this.#line;
      this.endColumn = this.#base - this.#lineStart + 1;
      return;
    }
    if (this.#mode === "done" || this.#mode === "broken" || this.#mode === "before") return;
    const inside =
      this.#mode === "capture" ? this.#path : (this.#levels[this.#levels.length - 1]?.prefix ?? "");
    this.#mode = "broken";
    this.#sink.broken(
      `the document is cut at ${this.#at(0)}, inside ${inside === "" ? "its top-level value" : inside}`,
    );
  }

  #newline(i: number, c: number): void {
    if (c === CR) {
      this.#line++;
      this.#lineStart = this.#base + i + 1;
      this.#lastCr = this.#base + i;
    } else if (c === LF) {
      if (this.#lastCr !== this.#base + i - 1) this.#line++;
      this.#lineStart = this.#base + i + 1;
    }
  }

  /** A value starts at `i`: stream it when it is an array of records, else keep its text. Returns where to go on. */
  #startValue(text: string, i: number, path: string, depth: number): number {
    const c = text.charCodeAt(i);
    if (c === ARRAY && depth < MAX_DEPTH) {
      this.#levels.push({ kind: "array", prefix: path, itemDepth: depth + 1, index: 0, state: "open" });
      this.#mode = "array";
      return i + 1;
    }
    this.#mode = "capture";
    this.#parts = [];
    this.#kept = 0;
    this.#skipping = false;
    this.#from = i;
    this.#stack = [];
    this.#inString = false;
    this.#escape = false;
    this.#path = path;
    this.#depth = depth;
    this.#startLine = this.#line;
    this.#scalar = c !== OBJECT && c !== ARRAY;
    // An object may be a trail log file: watch its members for a Records array.
    this.#watch = c === OBJECT && depth < MAX_DEPTH;
    this.#expectKey = false;
    this.#inKey = false;
    this.#key = undefined;
    this.#expectValue = false;
    this.#sawEventName = false;
    this.#sawRecords = false;
    return i;
  }

  /** Scans inside a kept value (or a trail's rest) from `i`; returns where it stopped. */
  #scanKept(text: string, i: number): number {
    const n = text.length;
    const stack = this.#stack;
    while (i < n) {
      if (this.#inString) {
        if (this.#escape) {
          this.#escape = false;
          i++;
          continue;
        }
        // To the closing quote natively, unless a backslash comes first.
        const q = text.indexOf('"', i);
        if (this.#backslash !== -1 && this.#backslash < i) this.#backslash = text.indexOf("\\", i);
        const b = this.#backslash;
        if (b >= 0 && (q < 0 || b < q)) {
          i = b + 1;
          this.#escape = true;
          continue;
        }
        if (q < 0) return n;
        i = q + 1;
        this.#inString = false;
        if (this.#inKey) this.#endKey(text, q);
        if (stack.length === 0 && this.#mode === "capture") return this.#complete(text, i);
        continue;
      }
      const c = text.charCodeAt(i);
      if (this.#scalar) {
        // A number, literal or stray word ends at white space or punctuation.
        if (c === QUOTE && i === this.#from && this.#parts.length === 0) {
          this.#inString = true;
          i++;
          continue;
        }
        if (isSpace(c) || c === COMMA || c === CLOSE_ARRAY || c === CLOSE_OBJECT)
          return this.#complete(text, i);
        i++;
        continue;
      }
      switch (c) {
        case QUOTE:
          this.#inString = true;
          if (this.#watch && stack.length === 1 && this.#expectKey) {
            this.#expectKey = false;
            this.#inKey = true;
            this.#keyParts = [];
            this.#keyFrom = i;
          } else if (this.#expectValue) this.#valueStarts(text, i, c);
          i++;
          continue;
        case OBJECT:
        case ARRAY:
          if (this.#expectValue && this.#valueStarts(text, i, c)) return i + 1;
          stack.push(c);
          if (c === OBJECT && stack.length === 1 && this.#watch) this.#expectKey = true;
          i++;
          continue;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY: {
          const open = stack.pop();
          if (open === undefined && this.#mode === "rest" && c === CLOSE_OBJECT) {
            i++;
            this.#closeTrail(text, i);
            return i;
          }
          if (open !== (c === CLOSE_OBJECT ? OBJECT : ARRAY)) {
            this.#break(
              i,
              `unexpected ${shown(c)} inside ${this.#path === "" ? "the document" : this.#path}`,
            );
            return n;
          }
          i++;
          if (stack.length === 0 && this.#mode === "capture") return this.#complete(text, i);
          continue;
        }
        case COMMA:
          if (this.#watch && stack.length === 1) this.#expectKey = true;
          i++;
          continue;
        case COLON:
          if (this.#watch && stack.length === 1) this.#expectValue = true;
          i++;
          continue;
        case LF:
        case CR:
          this.#newline(i, c);
          i++;
          continue;
        default:
          if (this.#expectValue && !isSpace(c)) this.#valueStarts(text, i, c);
          i++;
      }
    }
    return n;
  }

  #endKey(text: string, quote: number): void {
    this.#inKey = false;
    const raw = this.#keyParts.join("") + text.slice(this.#keyFrom, quote + 1);
    let key: string | undefined;
    if (raw.includes("\\")) {
      try {
        key = JSON.parse(raw) as string;
      } catch {
        key = undefined;
      }
    } else key = raw.slice(1, -1);
    this.#key = key;
    if (key === "eventName") this.#sawEventName = true;
  }

  /**
   * The value of a watched object's member starts at `i`. A `Records` array, before any `eventName`,
   * makes the object a trail log file: true when its items are now streamed.
   */
  #valueStarts(text: string, i: number, c: number): boolean {
    this.#expectValue = false;
    const key = this.#key;
    this.#key = undefined;
    if (key !== "Records" && key !== "records") return false;
    // `value.Records ?? value.records`: a non-null Records wins over records.
    const streamable = c === ARRAY && !this.#sawEventName && (key === "Records" || !this.#sawRecords);
    if (key === "Records" && text.charCodeAt(i) !== 110) this.#sawRecords = true;
    if (!streamable) return false;
    // What came before the array must be valid JSON too.
    const before = this.#parts.join("") + text.slice(this.#from, i);
    try {
      JSON.parse(`${before}[]}`);
    } catch (error) {
      this.#sink.problem(
        `${this.#path === "" ? "the document" : this.#path} is not valid JSON before its ${key} array: ${jsonErrorText(
          error,
        )}`,
      );
    }
    const trail: TrailLevel = { path: this.#path, key };
    this.#levels.push({
      kind: "array",
      prefix: `${this.#path}.Records`,
      itemDepth: this.#depth + 1,
      index: 0,
      state: "open",
      trail,
    });
    this.#mode = "array";
    this.#parts = [];
    this.#kept = 0;
    return true;
  }

  /** A streamed array closed just before `i`. */
  #closeArray(i: number): void {
    const level = this.#levels.pop() as ArrayLevel;
    if (level.trail !== undefined) {
      // Keep the rest of the trail object, to check it when it closes.
      this.#mode = "rest";
      this.#trail = level.trail;
      this.#parts = [];
      this.#kept = 0;
      this.#skipping = false;
      this.#from = i;
      this.#stack = [];
      this.#inString = false;
      this.#escape = false;
      this.#scalar = false;
      this.#watch = false;
      this.#expectValue = false;
      return;
    }
    this.#afterValue(i);
  }

  /** The trail object closed just before `i`: its other keys must not change what it was read as. */
  #closeTrail(text: string, i: number): void {
    const trail = this.#trail as TrailLevel;
    const rest = this.#parts.join("") + text.slice(this.#from, i);
    this.#parts = [];
    if (this.#skipping || this.#kept + (i - this.#from) > this.#maxRecord) {
      // Too long to check (reported when it grew past the cap, or now).
      if (!this.#skipping) this.#oversize();
      this.#skipping = false;
      this.#kept = 0;
      this.#afterValue(i);
      return;
    }
    this.#kept = 0;
    try {
      const others = JSON.parse(`{"":[]${rest}`) as Record<string, unknown>;
      const changing = ["eventName", "Records", ...(trail.key === "records" ? ["records"] : [])].filter((k) =>
        Object.hasOwn(others, k),
      );
      if (changing.length > 0) {
        this.#sink.problem(
          `${trail.path === "" ? "the document" : trail.path} has ${changing.map((k) => `"${k}"`).join(" and ")} after its ${trail.key} array, which was read as a trail log file`,
        );
      }
    } catch (error) {
      this.#sink.problem(
        `${trail.path === "" ? "the document" : trail.path} is not valid JSON after its ${trail.key} array: ${jsonErrorText(
          error,
        )}`,
      );
    }
    this.#afterValue(i);
  }

  /** A kept value is complete just before `i`. */
  #complete(text: string, i: number): number {
    if (!this.#skipping && this.#kept + (i - this.#from) > this.#maxRecord) this.#oversize();
    if (this.#mode === "broken") return text.length;
    if (this.#skipping) {
      this.#skipping = false;
      this.#kept = 0;
      this.#afterValue(i);
      return i;
    }
    const piece = text.slice(this.#from, i);
    const kept = this.#parts.length === 0 ? piece : this.#parts.join("") + piece;
    this.#parts = [];
    this.#kept = 0;
    this.#finishCapture(kept);
    this.#afterValue(i);
    return i;
  }

  #finishCapture(text: string): void {
    this.records++;
    this.#sink.record({ text, path: this.#path, depth: this.#depth, line: this.#startLine });
  }

  /** A value ended just before `i`: back to its array, or the document is done. */
  #afterValue(i: number): void {
    if (this.#levels.length > 0) {
      this.#mode = "array";
      return;
    }
    this.#mode = "done";
    this.endLine = this.#line;
    this.#endIndex = this.#base + i;
    this.endColumn = this.#base + i - this.#lineStart + 1;
  }
}
