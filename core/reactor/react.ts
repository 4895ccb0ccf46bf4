import type { AnalysisArtifacts, AnalyzedReport } from "../analysis/analyze.ts";
import type { DriftDetector } from "../drift/ports.ts";
import type { DriftReport } from "../drift/types.ts";
import { buildWindowReport, type WindowReport } from "../report/analysis.ts";
import type { Window } from "../window/types.ts";

/** Where finished reports go: files in replay; pull requests, metrics and events in the cloud. */
export interface ReportSink {
  publish(report: WindowReport | AnalyzedReport, artifacts?: AnalysisArtifacts): Promise<void>;
}

/** Analyses a window whose drift was checked (context, analyzer, guardrails, rectification). */
export type WindowAnalysis = (
  report: WindowReport,
  drift: DriftReport,
  window: Window,
) => Promise<{ report: AnalyzedReport; artifacts: AnalysisArtifacts }>;

export interface ReactPorts {
  readonly drift: DriftDetector;
  readonly sink: ReportSink;
  /** Without it the report carries the drift facts only. */
  readonly analyze?: WindowAnalysis;
}

/**
 * The reaction to a settled window: targeted drift detection on exactly the logical ids the window's
 * events touched, the report, its analysis when configured, and publication.
 */
export async function react(
  window: Window,
  settled: { at: number; reason: "quiet" | "max-wait" | "sweep" },
  ports: ReactPorts,
): Promise<WindowReport | AnalyzedReport> {
  const drift = await ports.drift.detect(window.stack, window.touched);
  const report = buildWindowReport(window, drift, settled);
  if (ports.analyze === undefined || report.changes.length === 0) {
    await ports.sink.publish(report);
    return report;
  }
  const analysed = await ports.analyze(report, drift, window);
  await ports.sink.publish(analysed.report, analysed.artifacts);
  return analysed.report;
}
