import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Clock } from "../../core/clock.ts";
import { DEFAULT_ROLLUP_SECONDS } from "../../core/signals/catalog.ts";
import { metricAt, monitorsAt } from "../../core/signals/horizon.ts";
import { findResource } from "../../core/signals/match.ts";
import { monitorsInRange } from "../../core/signals/monitors.ts";
import { parseSignalsFile } from "../../core/signals/schema.ts";
import type { MetricSignal, Signals, SignalsReport } from "../../core/signals/types.ts";

/**
 * The replay adapter of the `Signals` port over a scenario's optional `signals.json` (DESIGN §4,
 * contract): what the monitoring showed when the incident was captured, answered as of replay's
 * virtual clock, the way the Datadog adapter answers in production at settle time.
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

/** How the recording is answered. */
export interface RecordedSignalsOptions {
  /**
   * The moment each answer is as of: replay's virtual clock, which stands at the window's settle
   * time when `react` asks. Without one, each answer is as of the end of the range it asks about
   * (last event + 1 h): hindsight no deployed reactor has.
   */
  readonly clock?: Clock;
  /** The rollup, seconds, the figures are served at: the Datadog adapter's. Default 300. */
  readonly rollupSeconds?: number;
}

/**
 * Reads and validates `<scenarioDir>/signals.json` up front. A missing file is an empty report
 * noting "no signals recorded", not an error. `around()` answers as `recordedSignals` says.
 * @throws {RecordedSignalsError} when the file is unreadable, not JSON, or invalid (every issue listed).
 */
export async function loadRecordedSignals(
  scenarioDir: string,
  options: RecordedSignalsOptions = {},
): Promise<RecordedSignals> {
  return loadSignalsFile(path.join(scenarioDir, "signals.json"), { ...options, optional: true });
}

/**
 * Reads and validates a signals file at any path (e.g. given with `--signals` next to a bare
 * events path). Missing is an error unless `optional`, then the empty report of
 * `loadRecordedSignals`.
 * @throws {RecordedSignalsError} when the file is missing (and required), unreadable, not JSON, or invalid.
 */
export async function loadSignalsFile(
  file: string,
  options: RecordedSignalsOptions & { readonly optional?: boolean } = {},
): Promise<RecordedSignals> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && options.optional)
      return recordedSignals(emptyReport(), options);
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
  return recordedSignals(parsed.report, options);
}

function emptyReport(): SignalsReport {
  return { monitors: [], metrics: [], notes: [NO_SIGNALS_RECORDED] };
}

/**
 * The `Signals` port over an already parsed report (see `loadRecordedSignals`). `around()` answers
 * as Datadog would at `now` (the clock's, capped at the range's end; see `core/signals/horizon.ts`),
 * over `[from, min(to, now)]`:
 * - monitors that triggered or recovered in it, as they stood at `now` (one recovering later is
 *   still alerting, without `resolvedAt`; one triggering later is not there);
 * - events in it;
 * - per recorded metric of a resource asked about (its `resource` naming it by logical id,
 *   physical id or the Datadog tag its type is scoped by, `core/signals/match.ts`, and reported
 *   under the logical id as the adapter does), the
 *   figures Datadog's rollup points give by `now`: `after` only once an interval after the last
 *   event has closed, `peak` the highest during point; a metric with no point yet is left out;
 * - every recorded note: people's text, which the deployed adapter has no source for (rules never
 *   read notes; the Bedrock prompt does, so replay's prompt knows more than production's).
 */
export function recordedSignals(
  recorded: SignalsReport,
  options: RecordedSignalsOptions = {},
): RecordedSignals {
  const intervalMs = Math.max(1, Math.round(options.rollupSeconds ?? DEFAULT_ROLLUP_SECONDS)) * 1000;
  return {
    recorded,
    async around(input) {
      const now = Math.min(input.to, options.clock?.now() ?? input.to);
      const range = { from: input.from, to: now };
      const inRange = (at: string) => {
        const ms = Date.parse(at);
        return ms >= range.from && ms <= range.to;
      };
      const metrics: MetricSignal[] = [];
      for (const m of recorded.metrics) {
        const resource = findResource(m.resource, input.resources);
        if (resource === undefined) continue;
        const figures = metricAt(
          m,
          { ...range, firstEventAt: input.firstEventAt, lastEventAt: input.lastEventAt },
          now,
          intervalMs,
        );
        if (figures === undefined) continue;
        metrics.push({
          resource: resource.logicalId,
          metric: m.metric,
          ...(m.unit !== undefined ? { unit: m.unit } : {}),
          ...figures,
        });
      }
      return {
        monitors: monitorsInRange(monitorsAt(recorded.monitors, now), range),
        metrics,
        ...(recorded.events !== undefined ? { events: recorded.events.filter((e) => inRange(e.at)) } : {}),
        notes: [...recorded.notes],
      };
    },
  };
}
