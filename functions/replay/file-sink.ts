import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ReportSink } from "../../core/reactor/react.ts";
import type { WindowReport } from "../../core/report/analysis.ts";

/** One metric point, as `metrics.jsonl` holds them (DESIGN §4, contract). */
export interface MetricPoint {
  readonly metric: string;
  readonly type: "count" | "gauge";
  readonly value: number;
  /** Epoch seconds. */
  readonly timestamp: number;
  readonly tags: readonly string[];
}

/** The metric points a settled window yields. */
export function windowMetrics(report: WindowReport): MetricPoint[] {
  const timestamp = Math.floor(Date.parse(report.window.settledAt) / 1000);
  const tags = [`stack:${report.stack}`, `window:${report.window.id}`];
  const point = (metric: string, value: number, type: MetricPoint["type"] = "count"): MetricPoint => ({
    metric,
    type,
    value,
    timestamp,
    tags,
  });
  const firstEvent = report.window.firstEventAt ? Date.parse(report.window.firstEventAt) : undefined;
  return [
    point("phantom.windows.settled", 1),
    point("phantom.window.events", report.window.events, "gauge"),
    point("phantom.drift.count", report.changes.length, "gauge"),
    point("phantom.detection.calls", report.detection.calls, "gauge"),
    point("phantom.detection.unverified", report.detection.unverified.length, "gauge"),
    ...(firstEvent === undefined
      ? []
      : [
          point("phantom.settle.seconds", (Date.parse(report.window.settledAt) - firstEvent) / 1000, "gauge"),
        ]),
  ];
}

/** Writes each settled window to `<out>/<stack>/<window-id>/`: `analysis.json` and `metrics.jsonl`. */
export function createFileSink(
  outDir: string,
  onWritten?: (report: WindowReport, dir: string) => void,
): ReportSink {
  return {
    async publish(report) {
      const dir = path.join(outDir, report.stack, report.window.id);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "analysis.json"), `${JSON.stringify(report, null, 2)}\n`);
      const metrics = windowMetrics(report).map((p) => JSON.stringify(p));
      await writeFile(path.join(dir, "metrics.jsonl"), `${metrics.join("\n")}\n`);
      onWritten?.(report, dir);
    },
  };
}
