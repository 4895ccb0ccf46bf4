import { readFile } from "node:fs/promises";
import path from "node:path";
import { monitorsInRange } from "../../core/signals/monitors.ts";
import { parseSignalsFile } from "../../core/signals/schema.ts";
import type { Signals, SignalsReport } from "../../core/signals/types.ts";

/**
 * The replay adapter of the `Signals` port over a scenario's optional `signals.json` (DESIGN §4,
 * contract): what the monitoring showed when the incident was captured.
 */

/** The scenario's `signals.json` is invalid; the message lists every problem with its path. */
export class RecordedSignalsError extends Error {
  override readonly name = "RecordedSignalsError";
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
  ) {
    super(`${file} is not a valid signals file:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
  }
}

/** The note of a scenario without `signals.json`. */
export const NO_SIGNALS_RECORDED = "no signals recorded";

export interface RecordedSignals extends Signals {
  /** The whole file as recorded (or the empty report with its note). */
  readonly recorded: SignalsReport;
}

/**
 * Reads and validates `<scenarioDir>/signals.json` up front. A missing file is an empty report
 * noting "no signals recorded", not an error. `around()` answers as Datadog would for the window:
 * monitors that triggered or recovered inside `[from, to]`, events inside it, the metrics of the
 * resources asked about (a metric's `resource` matched, case-insensitively, against each
 * resource's logical or physical id), and every recorded note.
 * @throws {RecordedSignalsError} when the file is unreadable, not JSON, or invalid (every issue listed).
 */
export async function loadRecordedSignals(scenarioDir: string): Promise<RecordedSignals> {
  return loadSignalsFile(path.join(scenarioDir, "signals.json"), { optional: true });
}

/**
 * Reads and validates a signals file at any path (e.g. given with `--signals` next to a bare
 * events path). Missing is an error unless `optional`, then the empty report of
 * `loadRecordedSignals`.
 * @throws {RecordedSignalsError} when the file is missing (and required), unreadable, not JSON, or invalid.
 */
export async function loadSignalsFile(
  file: string,
  options: { readonly optional?: boolean } = {},
): Promise<RecordedSignals> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && options.optional)
      return recordedSignals(emptyReport());
    throw new RecordedSignalsError(file, [`cannot read: ${(error as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (error) {
    throw new RecordedSignalsError(file, [`not JSON: ${(error as Error).message}`]);
  }
  const parsed = parseSignalsFile(json);
  if (!parsed.ok) throw new RecordedSignalsError(file, parsed.issues);
  return recordedSignals(parsed.report);
}

function emptyReport(): SignalsReport {
  return { monitors: [], metrics: [], notes: [NO_SIGNALS_RECORDED] };
}

/** The `Signals` port over an already parsed report (see `loadRecordedSignals`). */
export function recordedSignals(recorded: SignalsReport): RecordedSignals {
  return {
    recorded,
    async around(input) {
      const ids = new Set(
        input.resources.flatMap((r) => [r.logicalId.toLowerCase(), r.physicalId.toLowerCase()]),
      );
      const inRange = (at: string) => {
        const ms = Date.parse(at);
        return ms >= input.from && ms <= input.to;
      };
      return {
        monitors: monitorsInRange(recorded.monitors, input),
        metrics: recorded.metrics.filter((m) => ids.has(m.resource.toLowerCase())),
        ...(recorded.events !== undefined ? { events: recorded.events.filter((e) => inRange(e.at)) } : {}),
        notes: [...recorded.notes],
      };
    },
  };
}
