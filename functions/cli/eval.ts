import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AnalyzedReport } from "../../core/analysis/analyze.ts";
import {
  DECIDED,
  type EvalSummary,
  expectedSchema,
  RATED,
  scoreScenario,
  summarizeScores,
} from "../../core/analysis/evaluate.ts";
import { type Analyst, DECISIONS, SEVERITIES } from "../../core/analysis/types.ts";
import { runReplay } from "../replay/run-replay.ts";
import { loadScenario } from "../replay/scenario.ts";
import { type Output, UsageError } from "./output.ts";

export interface EvalOptions {
  readonly json: boolean;
  readonly analyst?: Analyst;
  readonly base: unknown;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Scenario directories under `root` that carry an `expected.json` (or `root` itself). */
async function labelledScenarios(root: string): Promise<string[]> {
  if (await exists(path.join(root, "expected.json"))) return [root];
  const entries = await readdir(root, { withFileTypes: true }).catch(() => {
    throw new UsageError(`cannot read scenarios directory ${root}`);
  });
  const dirs: string[] = [];
  for (const e of entries.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (await exists(path.join(root, e.name, "expected.json"))) dirs.push(path.join(root, e.name));
  }
  if (dirs.length === 0) throw new UsageError(`no scenario under ${root} has an expected.json`);
  return dirs;
}

const pct = (v: number | null) => (v === null ? "-" : `${(v * 100).toFixed(1)} %`);

/** A confusion matrix as text: one row per expected value, ending with its diagonal ÷ its row (`score`). */
function renderMatrix<R extends string, C extends string>(
  counts: Record<R, Record<C, number>>,
  rows: readonly R[],
  columns: readonly C[],
  score: string,
): string {
  const width = Math.max(...columns.map((c) => c.length), 6) + 2;
  const head = `  ${"".padEnd(12)}${columns.map((c) => c.padStart(width)).join("")}${score.padStart(width + 6)}\n`;
  return (
    head +
    rows
      .map((r) => {
        const total = columns.reduce((acc, c) => acc + counts[r][c], 0);
        const diagonal = (columns as readonly string[]).includes(r) ? counts[r][r as unknown as C] : 0;
        const accuracy = total === 0 ? "-" : `${diagonal}/${total} ${pct(diagonal / total)}`;
        return `  ${r.padEnd(12)}${columns.map((c) => String(counts[r][c]).padStart(width)).join("")}${accuracy.padStart(width + 6)}\n`;
      })
      .join("")
  );
}

/**
 * Each disagreement, grouped by scenario then by label: what the label accepts and why, next to what the
 * analyzer decided and the first sentence of its reasoning.
 */
function renderDisagreements(summary: EvalSummary): string {
  const blocks = summary.scenarios
    .filter((s) => s.disagreements.length > 0 || s.violations.length > 0)
    .map((s) => {
      const lines = [`  ${s.scenario}`];
      let last = "";
      for (const d of s.disagreements) {
        if (d.id !== last) lines.push(`    ${d.id}`);
        last = d.id;
        const what = d.kind === "decision" || d.kind === "missing" ? "" : `${d.kind} `;
        lines.push(
          `      label    ${what}${d.expected}: ${d.why ?? "(no rationale recorded)"}`,
          `      analyzer ${what}${d.decided}${d.kind === "missing" ? ": replay produced no change" : d.reasoning ? `: ${d.reasoning}` : ""}`,
        );
      }
      for (const v of s.violations) lines.push(`    violation ${v}`);
      return `${lines.join("\n")}\n`;
    });
  return blocks.length === 0
    ? "\nno disagreements\n"
    : `\ndisagreements (label, then analyzer)\n${blocks.join("")}`;
}

/**
 * `phantom eval`: replays every labelled scenario with the chosen analyzer and scores its decisions,
 * severities, guardrails and cost against `expected.json`; the caller exits 2 when any guardrail is violated.
 */
export async function runEval(root: string, options: EvalOptions, io: Output): Promise<EvalSummary> {
  const scores = [];
  for (const dir of await labelledScenarios(root)) {
    const file = path.join(dir, "expected.json");
    const parsed = expectedSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
    if (!parsed.success) {
      throw new UsageError(
        `${file} is not a valid expected.json:\n${parsed.error.issues.map((i) => `  - ${i.path.join(".")}: ${i.message}`).join("\n")}`,
      );
    }
    const out = await mkdtemp(path.join(tmpdir(), "phantom-eval-"));
    try {
      // The last analysis of each window: a window reacted to again (its review) supersedes its
      // earlier report, as its pull request does.
      const reports = new Map<string, AnalyzedReport>();
      await runReplay(
        await loadScenario(dir, { base: options.base }),
        out,
        {
          settled: (report) =>
            void ("analyzer" in report
              ? reports.set(`${report.stack}/${report.window.id}`, report)
              : undefined),
        },
        options.analyst ? { analyst: options.analyst } : {},
      );
      scores.push(scoreScenario(path.basename(dir), parsed.data, [...reports.values()]));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }
  const summary = summarizeScores(scores);
  if (options.json) {
    io.out(`${JSON.stringify(summary)}\n`);
    return summary;
  }
  io.out(`${"scenario".padEnd(34)} decisions   severity    guardrails  violations  cost error\n`);
  for (const s of summary.scenarios) {
    io.out(
      `${s.scenario.padEnd(34)} ${`${s.decisions.correct}/${s.decisions.total}`.padEnd(11)} ` +
        `${`${s.severities.correct}/${s.severities.total}`.padEnd(11)} ${`${s.guardrails.fired}/${s.guardrails.expected}`.padEnd(11)} ` +
        `${String(s.violations.length).padEnd(11)} ${s.costError === null ? "-" : pct(s.costError)}\n`,
    );
  }
  io.out(renderDisagreements(summary));
  io.out(
    `\ndecisions (rows: expected; columns: decided)\n${renderMatrix(summary.confusion, [...DECISIONS], [...DECIDED], "same")}`,
  );
  if (summary.proposedMismatches > 0)
    io.out(
      `  (${summary.proposedMismatches} refactor(s) on the diagonal propose another value than the label)\n`,
    );
  io.out(
    `\nseverity (rows: expected; columns: rated)\n${renderMatrix(summary.severityConfusion, [...SEVERITIES], [...RATED], "accuracy")}`,
  );
  io.out(
    `\ncovers ${summary.incidents} incidents, ${summary.labelledChanges} labelled changes, ` +
      `${summary.severityLabels} severity labels\n`,
  );
  io.out(
    `severity by label: ${SEVERITIES.map((sev) => {
      const { correct, total } = summary.severityBySeverity[sev];
      return `${sev} ${correct}/${total}${total > 0 ? ` (${pct(correct / total)})` : ""}`;
    }).join(", ")}\n`,
  );
  io.out(
    `overall: decisions ${pct(summary.decisionAccuracy)}, severity ${pct(summary.severityAccuracy)}, ` +
      `guardrails fired ${summary.guardrailsFired.fired}/${summary.guardrailsFired.expected}, ` +
      `guardrail violations ${summary.guardrailViolations}, mean cost error ${pct(summary.meanCostError)}\n`,
  );
  return summary;
}
