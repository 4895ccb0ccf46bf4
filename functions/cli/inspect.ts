import path from "node:path";
import { catalogContext } from "../../core/change/context.ts";
import { judgeDocument } from "../../core/change/intake.ts";
import { type InspectLine, inspectLine } from "../../core/change/report.ts";
import type { PhantomConfig } from "../../core/config/schema.ts";
import { listCaptureFiles, readCaptureFile } from "../io/read-captures.ts";
import type { Output } from "./output.ts";

export interface InspectOptions {
  readonly json: boolean;
  readonly config: PhantomConfig;
}

/**
 * Yields one inspect line per record in input order, each judged on its own (no de-duplication).
 * `source` is the file, plus `#<n>` (0-based record index in the file) unless the file is a single
 * JSON document holding one record.
 */
export async function* inspectPaths(
  paths: readonly string[],
  config: PhantomConfig,
): AsyncGenerator<InspectLine> {
  const context = catalogContext(config);
  for (const file of await listCaptureFiles(paths)) {
    const display = path.relative(process.cwd(), file) || file;
    let index = 0;
    for await (const item of readCaptureFile(file)) {
      if (item.kind === "error") {
        const source = item.line === undefined ? display : `${display}#${index}`;
        index++;
        yield rejectedLine(source, item.error);
        continue;
      }
      const judged = judgeDocument(item.value, context);
      const lone = item.line === undefined && judged.length === 1 && index === 0;
      for (const { judgement } of judged) {
        yield inspectLine(lone ? display : `${display}#${index}`, judgement);
        index++;
      }
    }
  }
}

function rejectedLine(source: string, error: string): InspectLine {
  return {
    source,
    eventID: null,
    eventName: null,
    eventSource: null,
    eventTime: null,
    verdict: "rejected",
    reason: `malformed: ${error}`,
    reasonCode: "malformed",
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

/** `phantom inspect`: JSON lines with `--json`, else one human line per record and a summary. */
export async function runInspect(
  paths: readonly string[],
  options: InspectOptions,
  io: Output,
): Promise<void> {
  const tally = new Tally();
  for await (const line of inspectPaths(paths, options.config)) {
    if (options.json) {
      io.out(`${JSON.stringify(line)}\n`);
    } else {
      io.out(humanLine(line));
      tally.add(line.verdict, line.reasonCode);
    }
  }
  if (!options.json) io.out(`${tally}\n`);
}
