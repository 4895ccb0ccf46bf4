import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalysisContext, Recommendation } from "../../core/analysis/types.ts";
import { runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { startBedrockStandIn } from "../../functions/rehearse/stand-ins/bedrock.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import { formsOf, type Planted, planted, secretsOf, writePlantedScenario } from "./planted.ts";

/**
 * The planted-secret proof on the deployed path (issue 15): the Lambda handlers, built by the
 * composition root with the real SDK clients, over the rehearsal's stand-ins. Searched: the GitHub
 * stand-in's pull requests (body, every file at head: the rectified template, the drift record), the
 * Datadog intake's metrics, the EventBridge events, every handler log line, and every prompt the
 * Bedrock stand-in received. The model is scripted as a fooled one that wants every change kept or
 * refactored to the value it saw, so the guards after it are what keeps the secrets out.
 */

let scratch = "";
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "phantom-planted-rehearse-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A model that legitimizes every change, or refactors it to the (redacted) value it was shown. */
function fooled(context: AnalysisContext): Recommendation[] {
  return context.changes.map((c, i) => ({
    changeId: c.id,
    decision: i % 2 === 0 ? "legitimize" : "refactor",
    ...(i % 2 === 0 ? {} : { proposed: c.actual }),
    confidence: 0.99,
    severity: "low",
    reasoning: `keep ${JSON.stringify(c.actual)} as it is`,
  }));
}

describe("planted secrets, rehearsed on the deployed handlers", () => {
  it.each(fc.sample(planted, { numRuns: 2, seed: 1515 }).map((p, i) => [i, p] as const))(
    "no pull request, file, metric, event, log line or prompt holds a planted secret (sample %i)",
    async (i, p: Planted) => {
      const dir = path.join(scratch, `run-${i}`);
      await writePlantedScenario(dir, p);
      const bedrock = await startBedrockStandIn({ assess: fooled });
      const logs: string[] = [];
      try {
        const report = await runRehearsal(await loadScenario(dir, { base: {} }), {
          env: { ...process.env, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock.url },
          onLog: (line) => logs.push(line),
        });
        const prompts = bedrock.requests().map((r) => r.prompt);

        // The pipeline ran: the window (and its review), its pull request with the template, the model was asked.
        expect(report.unexpected).toEqual([]);
        expect(new Set(report.windows.map((w) => w.stack))).toEqual(new Set(["vault-prod"]));
        expect(report.pullRequests).toHaveLength(1);
        expect(Object.keys(report.pullRequests[0]?.files ?? {})).toContain("vault-prod.yaml");
        expect(prompts.length).toBeGreaterThan(0);

        const outputs = new Map<string, string>([
          ["pull requests", JSON.stringify(report.pullRequests)],
          ["files", Object.values(report.pullRequests[0]?.files ?? {}).join("\n")],
          ["body", report.pullRequests[0]?.body ?? ""],
          ["metrics", JSON.stringify(report.metrics)],
          ["events", JSON.stringify(report.events)],
          ["report", JSON.stringify(report)],
          ["logs", logs.join("")],
          ["prompts", prompts.join("\n")],
        ]);
        const leaks: string[] = [];
        for (const secret of secretsOf(p)) {
          for (const form of formsOf(secret)) {
            for (const [where, text] of outputs) {
              if (text.toLowerCase().includes(form.toLowerCase())) leaks.push(`${where}: ${form}`);
            }
          }
        }
        expect(leaks).toEqual([]);
        // And the fooled model's "[redacted]" was never written into the template either.
        expect(report.pullRequests[0]?.files["vault-prod.yaml"]).not.toContain("[redacted]");
      } finally {
        await bedrock.close();
      }
    },
    60_000,
  );
});
