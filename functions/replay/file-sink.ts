import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AnalysisArtifacts, AnalyzedReport } from "../../core/analysis/analyze.ts";
import type { MetricPoint } from "../../core/publish/ports.ts";
import type { ReportSink } from "../../core/reactor/react.ts";
import type { WindowReport } from "../../core/report/analysis.ts";
import {
  type MetricExtras,
  type ReportFigures,
  reactionSeconds,
  windowPoints,
} from "../../core/report/metrics.ts";
import { pullRequestBody, pullRequestTitle } from "../../core/report/pull-request.ts";
import type { SignalsReport } from "../../core/signals/types.ts";

/**
 * The metric points a settled window yields (a `WindowReport`, analysed or not): the same series the
 * Datadog adapter sends (`core/report/metrics.ts`). In replay the pull request is written when the window settles, so the
 * reaction time runs from the first console event to `settledAt`.
 */
export function windowMetrics(report: ReportFigures, extras: MetricExtras = {}): MetricPoint[] {
  const reaction = reactionSeconds(report, Date.parse(report.window.settledAt));
  return windowPoints(report, {
    ...(reaction !== undefined ? { reactionSeconds: reaction } : {}),
    ...extras,
  });
}

/**
 * Writes each settled window to `<out>/<stack>/<window-id>/` (DESIGN §4): `analysis.json`,
 * `metrics.jsonl`, the rectified template at its repository path under `rectified/` (and the
 * rectified parameter file) when the rectification changed it, and `revert-plan.json` when a change
 * is reverted, and `pull-request.md` (the PR title as a heading, then its body) when an analysed
 * window has changes.
 */
export function createFileSink(
  outDir: string,
  onWritten?: (
    report: WindowReport | AnalyzedReport,
    dir: string,
    artifacts?: AnalysisArtifacts,
  ) => void | Promise<void>,
  pullRequest: FileSinkPullRequestOptions = {},
): ReportSink {
  return {
    async publish(report, artifacts) {
      const dir = path.join(outDir, report.stack, report.window.id);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "analysis.json"), `${JSON.stringify(report, null, 2)}\n`);
      const metrics = windowMetrics(report).map((p) => JSON.stringify(p));
      await writeFile(path.join(dir, "metrics.jsonl"), `${metrics.join("\n")}\n`);
      for (const file of [
        artifacts?.template?.changed ? artifacts.template : undefined,
        artifacts?.parameters,
      ]) {
        if (file === undefined) continue;
        const target = path.join(dir, "rectified", safeRelative(file.path));
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, file.text);
      }
      if (artifacts?.revert) {
        await writeFile(path.join(dir, "revert-plan.json"), `${JSON.stringify(artifacts.revert, null, 2)}\n`);
      }
      if ("analyzer" in report && report.changes.length > 0) {
        const signals = await pullRequest.signalsFor?.(report);
        const body = pullRequestBody(report, {
          ...(signals ? { signals } : {}),
          ...(pullRequest.identities ? { identities: pullRequest.identities } : {}),
        });
        await writeFile(path.join(dir, "pull-request.md"), `# ${pullRequestTitle(report)}\n\n${body}`);
      }
      await onWritten?.(report, dir, artifacts);
    },
  };
}

/** What the `pull-request.md` body shows besides the report. */
export interface FileSinkPullRequestOptions {
  /** Observability around the window (incident context). */
  readonly signalsFor?: (report: AnalyzedReport) => Promise<SignalsReport>;
  /** `identities:` from the config: principal pattern ► GitHub handle. */
  readonly identities?: Readonly<Record<string, string>>;
}

/** A repository path kept inside the output directory (`../x` and absolute paths are flattened). */
function safeRelative(repoPath: string): string {
  const parts = repoPath.split(/[\\/]+/).filter((p) => p !== "" && p !== "." && p !== "..");
  return parts.length > 0 ? path.join(...parts) : "template";
}
