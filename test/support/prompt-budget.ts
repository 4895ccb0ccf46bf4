import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { contextJson, estimateTokens, renderContext, SYSTEM_PROMPT } from "../../core/analysis/prompt.ts";
import { createRulesAnalyst } from "../../core/analysis/rules.ts";
import { toolSpec } from "../../core/analysis/schema.ts";
import type { AnalysisContext, Analyst } from "../../core/analysis/types.ts";
import { runReplay } from "../../functions/replay/run-replay.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";

/**
 * Prompt budgets (issue 5): what one analysis call sends for each bundled scenario, against the naive
 * prompt (the whole template, every signal and every drift fact). Shared by the budget test and
 * `npm run bench`.
 */

export interface PromptBudget {
  readonly scenario: string;
  readonly stack: string;
  readonly window: string;
  /** System prompt + tool schema + rendered context. */
  readonly prompt: string;
  /** System prompt + tool schema + the whole template + all signals + the full context. */
  readonly naive: string;
}

const scenariosDir = new URL("../../fixtures/scenarios/", import.meta.url);

/** Replays every bundled scenario with a capturing rules analyzer and builds both prompts per window. */
export async function promptBudgets(): Promise<PromptBudget[]> {
  const root = scenariosDir.pathname;
  const budgets: PromptBudget[] = [];
  const tool = JSON.stringify(toolSpec());
  for (const entry of (await readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = path.join(root, entry.name);
    const contexts: AnalysisContext[] = [];
    const rules = createRulesAnalyst();
    const capturing: Analyst = {
      analyze: (context) => {
        contexts.push(context);
        return rules.analyze(context);
      },
    };
    const out = await mkdtemp(path.join(tmpdir(), "phantom-budget-"));
    try {
      await runReplay(await loadScenario(dir, { base: {} }), out, {}, { analyst: capturing });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
    const signalsFile = path.join(dir, "signals.json");
    const signals = (await stat(signalsFile).then(
      () => true,
      () => false,
    ))
      ? await readFile(signalsFile, "utf8")
      : "";
    for (const context of contexts) {
      const template = await readFirst([
        path.join(dir, "account", "templates", `${context.stack}.yaml`),
        path.join(dir, "account", "templates", `${context.stack}.yml`),
        path.join(dir, "account", "templates", `${context.stack}.json`),
      ]);
      budgets.push({
        scenario: entry.name,
        stack: context.stack,
        window: context.window.id,
        prompt: `${SYSTEM_PROMPT}\n${tool}\n${renderContext(context)}`,
        naive: `${SYSTEM_PROMPT}\n${tool}\n${template}\n${signals}\n${contextJson({ ...context, templateFragments: "" })}`,
      });
    }
  }
  return budgets;
}

async function readFirst(files: readonly string[]): Promise<string> {
  for (const file of files) {
    try {
      return await readFile(file, "utf8");
    } catch {
      // try the next extension
    }
  }
  return "";
}

export { estimateTokens };
