import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";

/**
 * Streams captured events from files and directories: JSON documents (a record, an EventBridge
 * envelope, a trail log file, an array) and JSON lines, optionally gzipped like trail log files.
 * Memory stays flat for JSON lines however large the file; a JSON document is held whole.
 */

/** A parsed JSON value, or the reason a piece of input could not be parsed. */
export type CaptureItem =
  | { readonly kind: "value"; readonly file: string; readonly line?: number; readonly value: unknown }
  | { readonly kind: "error"; readonly file: string; readonly line?: number; readonly error: string };

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
    const entries = await readdir(target, { recursive: true, withFileTypes: true });
    const found = entries
      .filter((e) => e.isFile() && CAPTURE_FILE.test(e.name))
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
    files.push(...found);
  }
  return files;
}

function describeJsonError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: describeJsonError(error) };
  }
}

function lines(file: string): AsyncIterable<string> {
  const raw = createReadStream(file);
  if (!file.toLowerCase().endsWith(".gz"))
    return createInterface({ input: raw, crlfDelay: Number.POSITIVE_INFINITY });
  // pipe() does not forward errors: a missing or unreadable file must reach the reader's catch.
  const gunzip = createGunzip();
  raw.on("error", (error) => gunzip.destroy(error));
  return createInterface({ input: raw.pipe(gunzip), crlfDelay: Number.POSITIVE_INFINITY });
}

/**
 * Reads one capture file. JSON lines are detected by the first non-empty line parsing on its own;
 * otherwise the file is one JSON document, and if that fails to parse, its lines are tried one by
 * one so a truncated line never hides the good ones around it.
 */
export async function* readCaptureFile(file: string): AsyncGenerator<CaptureItem> {
  let mode: "unknown" | "lines" | "document" = "unknown";
  // The first JSON line is held back: a file with one line is one document, sourced by its name.
  let held: CaptureItem | undefined;
  let first = true;
  const document: string[] = [];
  let lineNo = 0;
  try {
    for await (let text of lines(file)) {
      lineNo++;
      if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (mode === "document") {
        document.push(text);
        continue;
      }
      if (text.trim() === "") continue;
      const parsed = tryParse(text);
      if (mode === "unknown") {
        if (!parsed.ok) {
          mode = "document";
          document.push(text);
          continue;
        }
        mode = "lines";
      }
      const item: CaptureItem = parsed.ok
        ? { kind: "value", file, line: lineNo, value: parsed.value }
        : { kind: "error", file, line: lineNo, error: `line ${lineNo} is not valid JSON: ${parsed.error}` };
      if (first) {
        first = false;
        held = item;
        continue;
      }
      if (held !== undefined) {
        yield held;
        held = undefined;
      }
      yield item;
    }
  } catch (cause) {
    yield { kind: "error", file, error: `read failed after line ${lineNo}: ${describeJsonError(cause)}` };
    return;
  }
  if (mode === "unknown") {
    yield { kind: "error", file, error: "the file is empty" };
    return;
  }
  if (mode === "lines") {
    if (held !== undefined && held.kind === "value") yield { kind: "value", file, value: held.value };
    return;
  }
  const whole = tryParse(document.join("\n"));
  if (whole.ok) {
    yield { kind: "value", file, value: whole.value };
    return;
  }
  yield* salvageLines(file, document, lineNo - document.length + 1, whole.error);
}

/**
 * A document that does not parse whole: JSON lines with some bad lines (log noise, a truncated line),
 * or not JSON at all. Records in JSON lines are whole lines starting with `{` that parse; a broken
 * multi-line document also has `{` lines, but most are fragments (`{`, `{"Key": "x"},`). So the
 * lines are salvaged when at least half of the `{` lines parse as objects.
 */
function* salvageLines(
  file: string,
  document: string[],
  firstLine: number,
  error: string,
): Generator<CaptureItem> {
  const items: CaptureItem[] = [];
  let braced = 0;
  let good = 0;
  for (const [i, text] of document.entries()) {
    if (text.trim() === "") continue;
    const line = firstLine + i;
    if (text.trimStart().startsWith("{")) braced++;
    const parsed = tryParse(text);
    // Only objects count as salvaged records: a stray `"x"` or `42` line of a broken document is noise.
    if (
      parsed.ok &&
      typeof parsed.value === "object" &&
      parsed.value !== null &&
      !Array.isArray(parsed.value)
    ) {
      good++;
      items.push({ kind: "value", file, line, value: parsed.value });
    } else {
      const why = parsed.ok ? "is not a JSON object" : `is not valid JSON: ${parsed.error}`;
      items.push({ kind: "error", file, line, error: `line ${line} ${why}` });
    }
  }
  if (good === 0 || good * 2 < braced) {
    yield { kind: "error", file, error: `not JSON or JSON lines: ${error}` };
    return;
  }
  yield* items;
}
