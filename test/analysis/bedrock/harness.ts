import type { AnalysisContext, Analyst, AnalystResult } from "../../../core/analysis/types.ts";
import {
  type BedrockAnalystOptions,
  createBedrockAnalyst,
} from "../../../functions/adapters/bedrock-analyst.ts";
import { type BedrockServer, bedrockClient, startBedrockServer } from "../../support/bedrock-server.ts";

export const MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/** Virtual time each Converse request takes, so `latencyMs` is a known figure. */
export const REQUEST_MS = 1_000;

/** A stand-in for the rules analyzer: answers `revert` for every change and counts its calls. */
export function stubFallback(): Analyst & { readonly calls: AnalysisContext[] } {
  const calls: AnalysisContext[] = [];
  return {
    calls,
    async analyze(context): Promise<AnalystResult> {
      calls.push(context);
      return {
        recommendations: context.changes.map((c) => ({
          changeId: c.id,
          decision: "revert",
          confidence: 0.5,
          severity: "medium",
          reasoning: "rules analyzer",
        })),
        usage: { kind: "rules", latencyMs: 2 },
      };
    },
  };
}

/**
 * The Bedrock analyzer on the real SDK client over real HTTP to a strict local server, with a
 * virtual clock (each request takes `REQUEST_MS`, each sleep its own length) and recorded sleeps.
 */
export async function bedrockHarness(options: Partial<BedrockAnalystOptions> = {}) {
  let time = 1_773_457_000_000;
  const sleeps: number[] = [];
  const server: BedrockServer = await startBedrockServer({
    modelId: MODEL_ID,
    onRequest: () => {
      time += REQUEST_MS;
    },
  });
  const client = bedrockClient(server);
  const fallback = stubFallback();
  const analyst = createBedrockAnalyst({
    client,
    modelId: MODEL_ID,
    fallback,
    baseDelayMs: 100,
    now: () => time,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      time += ms;
    },
    ...options,
  });
  return {
    server,
    client,
    analyst,
    fallback,
    sleeps,
    async done() {
      client.destroy();
      await server.close();
      server.verify();
    },
  };
}
