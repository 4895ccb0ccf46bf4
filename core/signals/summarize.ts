/**
 * Summarises a metric's points around a window of console changes: the average before the first
 * event, the average and peak while the changes happened, and the average after the last event.
 */

/** `[epoch ms, value]` as Datadog's `pointlist` gives it; `null` values (gaps) are skipped. */
export type MetricPoint = readonly [timestamp: number, value: number | null | undefined];

export interface SummaryWindow {
  /** Epoch ms of the window's first event. */
  readonly firstEventAt: number;
  /** Epoch ms of the window's last event (≥ `firstEventAt`). */
  readonly lastEventAt: number;
  /** Points before this (epoch ms) are ignored, e.g. first event − 2 h. */
  readonly from?: number;
  /** Points after this (epoch ms) are ignored, e.g. last event + 1 h. */
  readonly to?: number;
  /**
   * Length of the interval each point stands for (Datadog's rollup: a point at `t` covers
   * `[t, t + interval)`). With it, a point whose interval overlaps the events counts as during,
   * so a burst shorter than the rollup still has a `during`. Without it points are instants.
   */
  readonly intervalMs?: number;
}

export interface MetricSummary {
  readonly before?: number;
  readonly during?: number;
  /** Highest value during the window. */
  readonly peak?: number;
  readonly after?: number;
  /** How many points each figure stands on. */
  readonly samples: { readonly before: number; readonly during: number; readonly after: number };
}

/** Rounds to 6 significant digits: enough for any sizing decision, and stable in JSON. */
export function roundFigure(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(6));
}

function mean(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  let sum = 0;
  for (const v of values) sum += v;
  return roundFigure(sum / values.length);
}

/**
 * Splits points into before / during / after the events and averages each; `peak` is the highest
 * value during. A point is *before* when its interval ends at or before the first event, *after*
 * when it starts after the last event, and *during* otherwise. Points outside `[from, to]`, and
 * null or non-finite values, are ignored; an empty part has no figure (never 0). Figures are
 * rounded to 6 significant digits. Pure: the order of `points` does not matter.
 * @see https://docs.datadoghq.com/dashboards/functions/rollup/ (a point stands for its rollup interval)
 * @see https://docs.datadoghq.com/api/latest/metrics/#query-timeseries-points (`pointlist`, `interval`)
 */
export function summarize(points: readonly MetricPoint[], window: SummaryWindow): MetricSummary {
  const first = Math.min(window.firstEventAt, window.lastEventAt);
  const last = Math.max(window.firstEventAt, window.lastEventAt);
  const interval = Math.max(0, window.intervalMs ?? 0);
  const before: number[] = [];
  const during: number[] = [];
  const after: number[] = [];
  for (const [at, value] of points) {
    if (typeof value !== "number" || !Number.isFinite(value) || !Number.isFinite(at)) continue;
    if (window.from !== undefined && at < window.from) continue;
    if (window.to !== undefined && at > window.to) continue;
    const end = interval > 0 ? at + interval : at;
    if (interval > 0 ? end <= first : at < first) before.push(value);
    else if (at > last) after.push(value);
    else during.push(value);
  }
  const summary = {
    before: mean(before),
    during: mean(during),
    peak: during.length > 0 ? roundFigure(during.reduce((a, b) => Math.max(a, b))) : undefined,
    after: mean(after),
  };
  return {
    ...Object.fromEntries(Object.entries(summary).filter(([, v]) => v !== undefined)),
    samples: { before: before.length, during: during.length, after: after.length },
  };
}
