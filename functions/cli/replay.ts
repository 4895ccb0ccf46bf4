import path from "node:path";
import type { AnalyzedReport } from "../../core/analysis/analyze.ts";
import type { Analyst } from "../../core/analysis/types.ts";
import { formatDuration } from "../../core/config/duration.ts";
import type { WindowReport } from "../../core/report/analysis.ts";
import { visible } from "../../core/report/inert.ts";
import { type ReplayListener, type ReplaySummary, runReplay } from "../replay/run-replay.ts";
import type { Scenario } from "../replay/scenario.ts";
import type { Output } from "./output.ts";

export interface ReplayOptions {
  readonly out: string;
  readonly json: boolean;
  /** The analyzer (rules by default). */
  readonly analyst?: Analyst;
  /** A local git repository to publish pull requests to (`--repo`). */
  readonly repo?: string;
}

function money(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return "unpriced";
  return `${usd < 0 ? "-" : "+"}$${Math.abs(usd).toLocaleString("en-US", { maximumFractionDigits: 0 })}/mo`;
}

function isAnalyzed(report: WindowReport | AnalyzedReport): report is AnalyzedReport {
  return "analyzer" in report;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** `284000` ► `4m 44s`. */
function span(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h ? `${h}h` : "", m ? `${m}m` : "", s || (!h && !m) ? `${s}s` : ""].filter(Boolean).join(" ");
}

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);

function show(value: unknown): string {
  if (value === null || value === undefined) return "(none)";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text === undefined ? "-" : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const SETTLED_BY: Readonly<Record<string, string>> = {
  quiet: "settled (quiet)",
  "max-wait": "settled (max wait reached)",
  review: "reviewed with the hour after the incident",
};

/** `1 window` / `2 windows`, and how many were reviewed after the incident. */
function settledCount(summary: ReplaySummary): string {
  const settled = summary.windows.filter((w) => w.reaction.report.window.settledBy !== "review").length;
  const reviewed = summary.windows.length - settled;
  return `${settled} window${settled === 1 ? "" : "s"}${reviewed > 0 ? ` (${reviewed} reviewed)` : ""}`;
}

function settledStory(report: WindowReport | AnalyzedReport, dir: string): string {
  const w = report.window;
  const lines = [
    `${w.settledAt.slice(11, 19)}  window ${w.id} ${SETTLED_BY[w.settledBy] ?? `settled (${w.settledBy})`}: ` +
      `${w.events} event${w.events === 1 ? "" : "s"} from ${w.firstEventAt?.slice(11, 19)} to ${w.lastEventAt?.slice(11, 19)}, ` +
      `touched ${w.touched.join(", ")}`,
    `          drift check: ${report.detection.resourcesChecked} resource${report.detection.resourcesChecked === 1 ? "" : "s"}, ` +
      `${report.detection.calls} DetectStackResourceDrift call${report.detection.calls === 1 ? "" : "s"}`,
  ];
  for (const r of report.resources) {
    lines.push(
      `            ${r.logicalId.padEnd(24)} ${r.status.padEnd(11)} ${r.note && r.status !== "IN_SYNC" && r.status !== "MODIFIED" ? r.note : ""}`.trimEnd(),
    );
  }
  for (const c of report.changes) {
    const where = c.propertyPath === "" ? "(whole resource)" : c.propertyPath;
    lines.push(`              ${c.logicalId} ${where}: ${show(c.expected)} -> ${show(c.actual)}`);
  }
  if (isAnalyzed(report)) {
    const a = report.analyzer;
    lines.push(
      `          analysis (${a.kind}${a.model ? ` ${a.model}` : ""}${a.fallbackReason ? `; ${a.fallbackReason}` : ""}): ` +
        `severity ${report.severity ?? "-"}, drift costs ${money(report.costDelta.deltaMonthlyUsd)} ` +
        `over the template; the rectified template ${money(
          report.costDelta.rectifiedMonthlyUsd === null || report.costDelta.safeMonthlyUsd === null
            ? null
            : report.costDelta.rectifiedMonthlyUsd - report.costDelta.safeMonthlyUsd,
        )}`,
    );
    for (const c of report.changes) {
      const to = c.decision === "refactor" ? ` to ${show(c.proposed)}` : "";
      const guard = c.guardrail ? ` [guardrail ${c.guardrail.rule}]` : "";
      lines.push(
        `            ${c.decision.toUpperCase().padEnd(10)} ${`${c.logicalId}${c.propertyPath}`.padEnd(40)} ${c.severity}, ` +
          `confidence ${c.confidence}${to}${guard}`,
      );
    }
    if (report.rectified?.changed)
      lines.push(`          rectified template: ${report.rectified.applied} change(s) written`);
    for (const m of report.rectified?.manual ?? []) lines.push(`          manual: ${m}`);
    if (report.revertPlan)
      lines.push(`          revert plan: ${report.revertPlan.changeSetName} (revert-plan.json)`);
  }
  lines.push(`          output: ${path.relative(process.cwd(), dir) || dir}`);
  // Each line is Phantom's; what it quotes (ids, values, notes) is console text: its controls escaped.
  return `${lines.map(visible).join("\n")}\n`;
}

/** `phantom replay`: a short story of what happened, or one JSON line per settled window. */
export async function runReplayCommand(
  scenario: Scenario,
  options: ReplayOptions,
  io: Output,
): Promise<void> {
  // One line per settled window; a window's review (an hour later) updates nothing printed, its
  // directory holds the reviewed analysis.
  const listener: ReplayListener = options.json
    ? {
        settled: (report, dir) => {
          if (report.window.settledBy === "review") return;
          io.out(
            `${JSON.stringify({
              account: report.window.account,
              region: report.window.region,
              stack: report.stack,
              windowId: report.window.id,
              out: dir,
              changes: report.changes.length,
              severity: isAnalyzed(report) ? report.severity : null,
            })}\n`,
          );
        },
      }
    : {
        // One line each: console text (actor names, event names, ids, reasons) with its controls escaped.
        touched: (change, outcome, at) => {
          const who = `${change.actor.name}${change.actor.console ? ", console" : ""}`;
          if (outcome.ignored !== undefined) {
            io.out(
              `${visible(`${time(at)}  ${change.record.eventName} (${who}): ignored, ${outcome.ignored.reason} (${outcome.ignored.detail})`)}\n`,
            );
            return;
          }
          if (outcome.stacks.length === 0) {
            const ids = change.resources.map((r) => r.id).join(", ");
            io.out(
              `${visible(`${time(at)}  ${change.record.eventName} (${who}) on ${ids}: not owned by any stack`)}\n`,
            );
          }
          for (const s of outcome.stacks) {
            const verb = s.duplicate
              ? "duplicate delivery, ignored"
              : s.opened
                ? `opened window ${s.windowId}`
                : `joined window ${s.windowId}`;
            const where = scenario.places !== undefined ? ` (${s.account}, ${s.region})` : "";
            io.out(
              `${visible(`${time(at)}  ${change.record.eventName} (${who}) on stack ${s.stack}${where}: ${verb}`)}\n`,
            );
          }
        },
        settled: (report, dir) => io.out(settledStory(report, dir)),
        published: (_report, outcome, branch) =>
          io.out(
            `${visible(
              `          pull request: ${outcome.kind} #${outcome.number} on branch ${branch}` +
                `${outcome.kind === "stale" ? " (it already describes a newer window; nothing written)" : ""}`,
            )}\n`,
          ),
        skipped: (_report, reason, detail) =>
          io.out(`${visible(`          pull request: not published (${reason}): ${detail}`)}\n`),
      };
  if (!options.json) {
    const { quietPeriod, maxWait } = scenario.config.windows;
    io.out(
      `${visible(`Replaying ${scenario.name}${scenario.description ? ` — ${scenario.description.trim().replace(/\r?\n/g, " ")}` : ""}`)}\n` +
        `${visible(`quiet period ${formatDuration(quietPeriod)}, max wait ${formatDuration(maxWait)}, output ${options.out}`)}\n`,
    );
  }
  const summary = await runReplay(scenario, options.out, listener, {
    ...(options.analyst ? { analyst: options.analyst } : {}),
    ...(options.repo ? { repo: options.repo } : {}),
  });
  if (options.json) return;
  const ignored = [...summary.ignored.entries()].map(([k, n]) => `${k} ${n}`).join(", ");
  const rejectedCount = [...summary.rejected.values()].reduce((a, b) => a + b, 0);
  io.out(
    `\n${summary.records} records: ${summary.changes} changes (${plural(summary.duplicates, "duplicate delivery", "duplicate deliveries")}, ` +
      `${summary.unmanaged} on unmanaged resources), ${[...summary.ignored.values()].reduce((a, b) => a + b, 0)} ignored` +
      `${ignored ? ` (${ignored})` : ""}, ${rejectedCount} rejected\n` +
      `${settledCount(summary)} settled over ` +
      `${span(summary.virtualMs)} of incident time\n`,
  );
}
