import type { DriftDetector } from "../drift/ports.ts";
import { buildWindowReport, type WindowReport } from "../report/analysis.ts";
import type { Window } from "../window/types.ts";

/** Where finished reports go: files in replay; pull requests, metrics and events in the cloud. */
export interface ReportSink {
  publish(report: WindowReport): Promise<void>;
}

export interface ReactPorts {
  readonly drift: DriftDetector;
  readonly sink: ReportSink;
}

/**
 * The reaction to a settled window: targeted drift detection on exactly the logical ids the window's
 * events touched, then the report. (Context, analysis, rectification and the pull request build on
 * this report.)
 */
export async function react(
  window: Window,
  settled: { at: number; reason: "quiet" | "max-wait" },
  ports: ReactPorts,
): Promise<WindowReport> {
  const drift = await ports.drift.detect(window.stack, window.touched);
  const report = buildWindowReport(window, drift, settled);
  await ports.sink.publish(report);
  return report;
}
