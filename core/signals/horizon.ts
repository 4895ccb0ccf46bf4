import { compareMonitors } from "./monitors.ts";
import { type MetricSummary, summarize } from "./summarize.ts";
import type { MetricSignal, MonitorSignal } from "./types.ts";

/**
 * A recording as Datadog would answer it at a given moment. A scenario's `signals.json` holds the
 * whole incident, the hour after the changes included; Datadog, asked at a window's settle time
 * (minutes after the last console event), holds only what had happened by then. These pure
 * functions cut a recording at `now`, so that replay's recorded signals
 * (`functions/replay/recorded-signals.ts`) and the rehearsal's Datadog stand-in, read through the
 * real adapter (`functions/adapters/datadog-signals.ts`), give the same answer for the same moment.
 *
 * - A monitor that triggers after `now` does not exist yet; one that recovers after `now` is still
 *   alerting: no `resolvedAt`, an alerting status.
 * - A metric's figures become rollup points, as Datadog's `GET /api/v1/query` serves them: one
 *   point per rollup interval, aligned to it, each part (before / during / after the events) at its
 *   recorded level, the recorded peak on one during point. A point exists once its interval has
 *   closed (`t + interval ≤ now`): a CloudWatch datapoint is stamped with the start of its period
 *   and only complete after the period ends (the crawler's own delay of several minutes comes on
 *   top, and is not modelled). The figures are then what `summarize` makes of those points, exactly
 *   what the adapter computes, so `after` exists only when an interval that starts after the last
 *   event has closed by `now`.
 *
 * @see https://docs.datadoghq.com/monitors/status/ (a monitor group is alerting until it recovers)
 * @see https://docs.datadoghq.com/dashboards/functions/rollup/ (points aligned to the rollup interval)
 * @see https://docs.datadoghq.com/integrations/guide/cloud-metric-delay/ (AWS metrics arrive late)
 */

/** Statuses that say a monitor recovered; at a moment before the recovery it is alerting. */
const RECOVERED = /^(ok|resolved|recovered)$/i;

/**
 * The monitor as it stood at `now` (epoch ms): `undefined` before it triggered; without
 * `resolvedAt` while still alerting (a recorded `OK` then reads `Alert`, the state it recovered
 * from); as recorded once it recovered. Times that do not parse are never "by now".
 */
export function monitorAt(monitor: MonitorSignal, now: number): MonitorSignal | undefined {
  const triggered = Date.parse(monitor.triggeredAt);
  if (!(triggered <= now)) return undefined;
  const resolved = monitor.resolvedAt === undefined ? Number.NaN : Date.parse(monitor.resolvedAt);
  if (resolved <= now) return monitor;
  const { resolvedAt: _resolved, ...open } = monitor;
  return { ...open, status: RECOVERED.test(monitor.status) ? "Alert" : monitor.status };
}

/** The recorded monitors as they stood at `now`, in the report's order. */
export function monitorsAt(monitors: readonly MonitorSignal[], now: number): MonitorSignal[] {
  return monitors.flatMap((m) => monitorAt(m, now) ?? []).sort(compareMonitors);
}

/** A window's events and the range asked about, epoch ms. */
export interface RollupRange {
  /** First point considered (the query's `from`, e.g. first event − 2 h). */
  readonly from: number;
  /** Last point considered (the query's `to`, e.g. last event + 1 h). */
  readonly to: number;
  readonly firstEventAt: number;
  readonly lastEventAt: number;
}

export interface RollupSeries {
  /** `[epoch ms, value]`, in time order. */
  readonly points: [number, number][];
  /** Recorded figures the points cannot carry, each saying what and why. */
  readonly issues: readonly string[];
}

/**
 * The recorded figures as the rollup points Datadog would hold at `now`: timestamps aligned to
 * `intervalMs` from `from`, none after `to`, none whose interval is still open at `now`; a point
 * is before when its interval ends by the first event, after when it starts after the last one,
 * during otherwise (the rule of `summarize`). Before and after points carry the recorded
 * `before`/`after`; during points average `during`, with the recorded `peak` on the middle one when
 * two or more fall during (the others lowered so the mean stays `during`). A part without a
 * recorded figure has no points.
 */
export function rollupSeries(
  recorded: MetricSignal,
  range: RollupRange,
  now: number,
  intervalMs: number,
): RollupSeries {
  const first = Math.min(range.firstEventAt, range.lastEventAt);
  const last = Math.max(range.firstEventAt, range.lastEventAt);
  const issues: string[] = [];
  const stamps: { at: number; part: "before" | "during" | "after" }[] = [];
  for (let at = Math.ceil(range.from / intervalMs) * intervalMs; at <= range.to; at += intervalMs) {
    if (at + intervalMs > now) break;
    stamps.push({ at, part: at + intervalMs <= first ? "before" : at > last ? "after" : "during" });
  }
  const during = stamps.filter((s) => s.part === "during");
  const what = `metric ${recorded.metric} of ${recorded.resource}`;
  let peakAt: number | undefined;
  let rest = recorded.during;
  if (recorded.peak !== undefined && recorded.peak !== recorded.during) {
    if (recorded.during === undefined || recorded.peak < recorded.during)
      issues.push(`${what}: peak ${recorded.peak} cannot go with during ${recorded.during ?? "(none)"}`);
    else if (during.length < 2)
      issues.push(
        `${what}: peak ${recorded.peak} needs two or more rollup points during the window; ${during.length} fall in it at ${intervalMs / 1000} s`,
      );
    else {
      const n = during.length;
      peakAt = during[Math.floor(n / 2)]?.at;
      rest = (n * recorded.during - recorded.peak) / (n - 1);
    }
  }
  const points: [number, number][] = [];
  for (const { at, part } of stamps) {
    const value =
      part === "before"
        ? recorded.before
        : part === "after"
          ? recorded.after
          : at === peakAt
            ? recorded.peak
            : rest;
    if (value !== undefined) points.push([at, value]);
  }
  return { points, issues };
}

/**
 * The recorded metric's figures as Datadog would report them at `now`: `summarize` over
 * `rollupSeries`, the way the adapter summarises what Datadog serves. `peak` is then always there
 * when `during` is (the highest during point). `undefined` when no point exists yet.
 */
export function metricAt(
  recorded: MetricSignal,
  range: RollupRange,
  now: number,
  intervalMs: number,
): Omit<MetricSummary, "samples"> | undefined {
  const { points } = rollupSeries(recorded, range, now, intervalMs);
  if (points.length === 0) return undefined;
  const { samples: _samples, ...figures } = summarize(points, { ...range, intervalMs });
  return figures;
}
