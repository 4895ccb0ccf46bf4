import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AnalyzedReport } from "../../core/analysis/analyze.ts";
import {
  type EvalSummary,
  expectedSchema,
  scoreScenario,
  summarizeScores,
} from "../../core/analysis/evaluate.ts";
import type { Analyst } from "../../core/analysis/types.ts";
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

/**
 * `phantom eval`: replays every labelled scenario with the chosen analyzer and scores its decisions,
 * severities, guardrails and cost against `expected.json`. Exit code 1 when any guardrail is violated.
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
      const reports: AnalyzedReport[] = [];
      await runReplay(
        await loadScenario(dir, { base: options.base }),
        out,
        { settled: (report) => void ("analyzer" in report ? reports.push(report) : undefined) },
        options.analyst ? { analyst: options.analyst } : {},
      );
      scores.push(scoreScenario(path.basename(dir), parsed.data, reports));
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
    for (const m of [
      ...s.missing.map((id) => `${id}: expected a change, replay produced none`),
      ...s.mismatches,
      ...s.violations,
    ]) {
      io.out(`    ${m}\n`);
    }
  }
  io.out(
    `\noverall: decisions ${pct(summary.decisionAccuracy)}, severity ${pct(summary.severityAccuracy)}, ` +
      `guardrails fired ${summary.guardrailsFired.fired}/${summary.guardrailsFired.expected}, ` +
      `guardrail violations ${summary.guardrailViolations}, mean cost error ${pct(summary.meanCostError)}\n`,
  );
  return summary;
}
