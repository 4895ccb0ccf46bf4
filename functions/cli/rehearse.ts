import { formatDuration } from "../../core/config/duration.ts";
import { visible } from "../../core/report/inert.ts";
import { FaultSpecError, parseFaultSpec } from "../rehearse/faults.ts";
import { lostWindows, RehearsalError, type RehearsalReport, runRehearsal } from "../rehearse/rehearse.ts";
import type { Scenario } from "../replay/scenario.ts";
import { type Output, UsageError } from "./output.ts";

export interface RehearseCommandOptions {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly sweep?: boolean;
  readonly quietMs?: number;
  readonly maxWaitMs?: number;
  /** `--fault` values (functions/rehearse/faults.ts); a malformed one is a usage error. */
  readonly faults?: readonly string[];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The human summary: each window, each pull request, the DLQs and what each service was asked. */
export function rehearsalStory(report: RehearsalReport): string {
  const lines: string[] = [];
  for (const w of report.windows) {
    const published = w.pullRequest ? `pull request ${w.pullRequest}` : "no pull request";
    lines.push(
      `window ${w.id} of ${w.stack} (${w.account}/${w.region}) settled by ${w.settledBy}: ` +
        `${plural(w.events, "event")}, touched ${w.touched.join(", ") || "nothing"}, ${plural(w.calls, "drift check")}, ${published}`,
    );
  }
  for (const s of report.skipped) lines.push(`  skipped publishing ${s.window} of ${s.stack}: ${s.reason}`);
  for (const pr of report.pullRequests) {
    lines.push(
      `pull request ${pr.repo}#${pr.number} on ${pr.branch}: ${pr.title}`,
      `  ${plural(pr.commits, "commit")}, ${plural(pr.updates, "update")}, files: ${Object.keys(pr.files).join(", ")}`,
      ...(pr.reviewers.length > 0 ? [`  reviewers: ${pr.reviewers.join(", ")}`] : []),
    );
  }
  lines.push(
    `${plural(report.events.length, "Phantom Drift Analyzed event")}, ${plural(report.metrics.length, "metric point")} in Datadog; ` +
      `DLQ: changes ${report.dlq.changes}, settle ${report.dlq.settle}; ${plural(report.filtered, "record")} no rule matched`,
  );
  const faults = Object.entries(report.faults).map(([fault, n]) => `${fault} ${n}`);
  if (faults.length > 0) {
    lines.push(`faults injected: ${faults.join(", ")}; ${plural(report.aborted, "invocation")} died`);
  }
  for (const w of report.unfinished) {
    lines.push(`window ${w.window} of ${w.stack} (${w.account}/${w.region}) left ${w.status}`);
  }
  const calls = Object.entries(report.calls).map(([call, n]) => `${call} ${n}`);
  lines.push(`calls: ${calls.join(", ")}`);
  lines.push(
    `rehearsed ${formatDuration(report.rehearsalMs)} of incident time in ${(report.wallMs / 1000).toFixed(1)} s`,
  );
  // One line each: what a line quotes (ids, titles, reasons) is console text, its controls escaped.
  return `${lines.map(visible).join("\n")}\n`;
}

/** `phantom rehearse`: the deployed handlers over local stand-ins; fails when a stand-in saw a request no service would take. */
export async function runRehearseCommand(
  scenario: Scenario,
  options: RehearseCommandOptions,
  io: Output,
): Promise<RehearsalReport> {
  const faults = (options.faults ?? []).map((spec) => {
    try {
      return parseFaultSpec(spec);
    } catch (error) {
      if (error instanceof FaultSpecError) throw new UsageError(error.message);
      throw error;
    }
  });
  const report = await runRehearsal(scenario, {
    ...(faults.length > 0 ? { faults } : {}),
    ...(options.quietMs !== undefined ? { quietMs: options.quietMs } : {}),
    ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
    ...(options.verbose ? { onLog: (line: string) => io.err(line) } : {}),
    ...(options.sweep ? { sweep: true } : {}),
  });
  io.out(options.json ? `${JSON.stringify(report)}\n` : rehearsalStory(report));
  if (report.unexpected.length > 0) {
    throw new RehearsalError(
      `stand-ins saw ${plural(report.unexpected.length, "request")} no service would take:\n${report.unexpected.map((u) => `  - ${u}`).join("\n")}`,
    );
  }
  const lost = lostWindows(report);
  if (lost.length > 0) {
    throw new RehearsalError(
      `${plural(lost.length, "window")} left unfinished with no message in a DLQ: lost\n${lost.map((w) => `  - ${w.window} of ${w.stack} (${w.account}/${w.region}), ${w.status}`).join("\n")}`,
    );
  }
  return report;
}
