import { countTokens } from "@anthropic-ai/tokenizer";
import { describe, expect, it } from "vitest";
import { promptBudgets } from "../support/prompt-budget.ts";

// Token counts come from Anthropic's published tokenizer package (the Claude 2 vocabulary; Claude 3+
// tokenizers are not published, so counts are indicative). Bedrock's usage.inputTokens is the truth.
// The figures for every scenario are in BENCHMARKS.md (npm run bench).
const budgets = await promptBudgets();

describe("prompt budget (issue 5)", () => {
  it("keeps the 3 AM incident under 6,000 input tokens, below the naive prompt", () => {
    const payments = budgets.filter((b) => b.scenario === "payments-3am-incident");

    // The window at settle, and its review an hour after the incident when signals were incomplete.
    expect(payments.length).toBeGreaterThanOrEqual(1);
    for (const window of payments) {
      expect(countTokens(window.prompt)).toBeLessThan(6_000);
      expect(countTokens(window.prompt)).toBeLessThan(countTokens(window.naive));
    }
  });

  it("builds a prompt for every analysed window of every bundled scenario", () => {
    expect(budgets.length).toBeGreaterThanOrEqual(4);
    for (const b of budgets)
      expect(countTokens(b.prompt), `${b.scenario} ${b.window}`).toBeGreaterThan(3_000);
  });
});
