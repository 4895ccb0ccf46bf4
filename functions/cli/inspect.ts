import path from "node:path";
import type { IntakeContext } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { judgeCandidates } from "../../core/change/intake.ts";
import { jsonErrorText } from "../../core/change/json-error.ts";
import { JsonLines, quickJudge, quickJudgeBytes } from "../../core/change/quick.ts";
import { type InspectLine, inspectJsonAt, inspectLine, sourcePrefix } from "../../core/change/report.ts";
import type { PhantomConfig } from "../../core/config/schema.ts";
import {
  type CaptureEntry,
  type CaptureLimits,
  DEFAULT_CAPTURE_LIMITS,
  lineEntry,
  listCaptureFiles,
  readCaptureBatches,
  whereIs,
} from "../io/read-captures.ts";
import { type Output, UsageError } from "./output.ts";

export interface InspectOptions {
  readonly json: boolean;
  readonly config: PhantomConfig;
  /** Caps on a capture file and one record (read-captures.ts); the defaults when absent. */
  readonly limits?: CaptureLimits;
}

/**
 * Yields one inspect line per record in input order, each judged on its own (no de-duplication).
 * `source` is the file, plus `#<n>` (0-based record index in the file) unless the file is a single
 * JSON document (or line) holding one record.
 */
export async function* inspectPaths(
  paths: readonly string[],
  config: PhantomConfig,
  limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS,
): AsyncGenerator<InspectLine> {
  for await (const batch of inspectBatches(paths, config, limits)) yield* batch;
}

/**
 * The inspect lines in batches, one per piece of a file read: the CLI writes each batch at once, so a
 * large capture costs one await and one write per batch, not per record.
 */
export async function* inspectBatches(
  paths: readonly string[],
  config: PhantomConfig,
  limits: CaptureLimits = DEFAULT_CAPTURE_LIMITS,
): AsyncGenerator<InspectLine[]> {
  yield* lineBatches(paths, config, undefined, limits);
}

/** Where `--json` lines go as they are judged, in order: the lines, and the captures over a cap. */
interface JsonSink {
  readonly lines: JsonLines;
  readonly overCap: string[];
}

/**
 * The inspect lines in batches. With a `json` sink, every line is written to it as JSON text instead,
 * in order, and the batches are empty: a line judged on the quick path (past a file's first) is
 * written straight from the judgement (JsonLines.quick, else inspectJsonAt), without a line object.
 */
async function* lineBatches(
  paths: readonly string[],
  config: PhantomConfig,
  json: JsonSink | undefined,
  limits: CaptureLimits,
): AsyncGenerator<InspectLine[]> {
  // A capture read offline is judged by the absolute bounds only (2013-11-01 to year 9999), never
  // by this machine's clock: a reader's clock says nothing of when a capture was made.
  const context = catalogContext(config);
  for (const file of await listCaptureFiles(paths)) {
    const display = path.relative(process.cwd(), file) || file;
    const prefix = sourcePrefix(display);
    json?.lines.file(prefix);
    let index = 0;
    // The file's first line waits until a second one comes: a lone record is sourced by the name alone.
    let first: { line: InspectLine; lone: boolean } | undefined;
    let out: InspectLine[] = [];
    const emit = (line: InspectLine): void => {
      if (json === undefined) out.push(line);
      else {
        if (line.reasonCode === TOO_LARGE) json.overCap.push(overCapText(line));
        json.lines.line(JSON.stringify(line));
      }
    };
    const add = (line: InspectLine, lone: boolean): void => {
      if (index === 0) first = { line, lone };
      else {
        if (index === 1 && first !== undefined) emit(first.line);
        emit(line);
      }
      index++;
    };
    for await (const entries of readCaptureBatches(file, limits)) {
      for (const entry of entries) {
        if (entry.kind === "end") {
          if (first !== undefined && entry.units === 1 && first.lone && index === 1) {
            first.line = { ...first.line, source: display };
          }
          continue;
        }
        if (entry.kind === "lines") {
          for (let i = 0; i < entry.count; i++) {
            // The quick path judges a line on its bytes; the rest are decoded and take the full path.
            const start = entry.starts[i] as number;
            const quick = quickJudgeBytes(entry.bytes, start, entry.ends[i] as number, context);
            if (quick === undefined) {
              for (const line of linesOf(lineEntry(entry, i), context, display, index)) add(line, true);
            } else if (json !== undefined && index > 1) {
              if (!json.lines.quick(quick, index))
                json.lines.line(inspectJsonAt(prefix, display, index, quick));
              index++;
            } else add(inspectLine(`${display}#${index}`, quick), true);
          }
          continue;
        }
        if (json !== undefined && index > 1 && entry.kind === "text") {
          // A document's record on the quick path: its line written straight from the judgement too.
          const quick = quickJudge(entry.text, context);
          if (quick !== undefined) {
            if (!json.lines.quick(quick, index))
              json.lines.line(inspectJsonAt(prefix, display, index, quick));
            index++;
            continue;
          }
        }
        for (const line of linesOf(entry, context, display, index)) add(line, entry.kind !== "error");
      }
      // With a sink, an empty batch: the caller writes out what the sink holds.
      if (out.length > 0 || json !== undefined) {
        yield out;
        out = [];
      }
    }
    if (first !== undefined && index === 1) {
      emit(first.line);
      if (out.length > 0) yield out.splice(0);
    }
  }
}

/** The inspect lines of one entry, the first sourced `#index`. */
function linesOf(entry: CaptureEntry, context: IntakeContext, display: string, index: number): InspectLine[] {
  if (entry.kind === "error") {
    const source = entry.line === undefined ? display : `${display}#${index}`;
    return [rejectedLine(source, entry.error, entry.limit === true ? TOO_LARGE : "malformed")];
  }
  if (entry.kind === "text") {
    // The quick path decides reads, failures and calls outside the catalog without building the record.
    const quick = quickJudge(entry.text, context);
    if (quick !== undefined) return [inspectLine(`${display}#${index}`, quick)];
    let value: unknown;
    try {
      value = JSON.parse(entry.text);
    } catch (error) {
      return [
        rejectedLine(
          `${display}#${index}`,
          `${whereIs(entry)} is not valid JSON: ${jsonErrorText(error)}`,
          "malformed",
        ),
      ];
    }
    return judgeCandidates(value, context, entry.path, entry.depth).map(({ judgement }, i) =>
      inspectLine(`${display}#${index + i}`, judgement),
    );
  }
  if (entry.kind === "value") {
    return judgeCandidates(entry.value, context, entry.path, entry.depth).map(({ judgement }, i) =>
      inspectLine(`${display}#${index + i}`, judgement),
    );
  }
  return [];
}

/** The reason code of a file, line or record over a capture cap (CaptureLimits): an input error. */
const TOO_LARGE = "too-large";

/** `<source>: <reason>` of a line over a cap, for the command's error. */
function overCapText(line: InspectLine): string {
  return `${line.source}: ${line.reason?.slice(TOO_LARGE.length + 2)}`;
}

function rejectedLine(source: string, error: string, code: string): InspectLine {
  return {
    source,
    eventID: null,
    eventName: null,
    eventSource: null,
    eventTime: null,
    verdict: "rejected",
    reason: `${code}: ${error}`,
    reasonCode: code,
    actor: { name: "unknown", console: false },
    resources: [],
  };
}

const VERDICT_LABEL = { change: "CHANGE  ", ignored: "ignored ", rejected: "REJECTED" } as const;

function humanLine(line: InspectLine): string {
  const what = line.eventName
    ? `${(line.eventSource ?? "").replace(/\.amazonaws\.com$/, "")}:${line.eventName}`
    : "?";
  const who = line.eventName ? ` by ${line.actor.name}${line.actor.console ? " (console)" : ""}` : "";
  const touched =
    line.resources.length > 0 ? ` -> ${line.resources.map((r) => `${r.type} ${r.id}`).join(", ")}` : "";
  const why = line.verdict === "change" ? "" : `  [${line.reason}]`;
  return `${VERDICT_LABEL[line.verdict]} ${line.eventTime ?? "-"}  ${what}${who}${touched}${why}  (${line.source})\n`;
}

/** Running counts per verdict and reason code, for the human summary; constant memory. */
export class Tally {
  readonly #counts = new Map<InspectLine["verdict"], Map<string, number>>();
  #total = 0;

  add(verdict: InspectLine["verdict"], reasonCode = ""): void {
    this.#total++;
    const reasons = this.#counts.get(verdict) ?? new Map<string, number>();
    reasons.set(reasonCode, (reasons.get(reasonCode) ?? 0) + 1);
    this.#counts.set(verdict, reasons);
  }

  /** `12 records: 3 change; 8 ignored (read-only 5, failed-call 3); 1 rejected (malformed 1)` */
  toString(): string {
    const parts = (["change", "ignored", "rejected"] as const).map((verdict) => {
      const reasons = [...(this.#counts.get(verdict) ?? new Map<string, number>()).entries()];
      const count = reasons.reduce((sum, [, n]) => sum + n, 0);
      const detail = reasons
        .filter(([code]) => code !== "")
        .sort((a, b) => b[1] - a[1])
        .map(([code, n]) => `${code} ${n}`)
        .join(", ");
      return `${count} ${verdict}${detail ? ` (${detail})` : ""}`;
    });
    return `${this.#total} record${this.#total === 1 ? "" : "s"}: ${parts.join("; ")}`;
  }
}

/** Output is written in pieces of about this many characters. */
const WRITE_AT = 1 << 16;

/**
 * `phantom inspect`: JSON lines with `--json`, else one human line per record and a summary. A file,
 * line or record over a capture cap is rejected in its place like any other, every other record is
 * still reported, and then the command fails as an input error (exit 1) naming the first of them.
 */
export async function runInspect(
  paths: readonly string[],
  options: InspectOptions,
  io: Output,
): Promise<void> {
  const tally = new Tally();
  const limits = options.limits ?? DEFAULT_CAPTURE_LIMITS;
  const overCap: string[] = [];
  if (options.json) {
    const lines = new JsonLines();
    try {
      for await (const _ of lineBatches(paths, options.config, { lines, overCap }, limits)) {
        if (lines.size >= WRITE_AT) lines.flushTo(io);
      }
    } finally {
      // What was judged before a failure is still written.
      if (lines.size > 0) lines.flushTo(io);
    }
  } else {
    let pending = "";
    try {
      for await (const batch of lineBatches(paths, options.config, undefined, limits)) {
        for (const line of batch) {
          if (line.reasonCode === TOO_LARGE) overCap.push(overCapText(line));
          pending += humanLine(line);
          tally.add(line.verdict, line.reasonCode);
        }
        if (pending.length >= WRITE_AT) {
          io.out(pending);
          pending = "";
        }
      }
    } finally {
      if (pending !== "") io.out(pending);
    }
  }
  if (!options.json) io.out(`${tally}\n`);
  if (overCap.length > 0) {
    const n = overCap.length;
    throw new UsageError(
      `${n} capture${n === 1 ? "" : "s"} over a size cap: ${overCap[0]}${n > 1 ? ` (and ${n - 1} more)` : ""}`,
    );
  }
}
