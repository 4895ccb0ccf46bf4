import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandInput,
} from "@aws-sdk/client-bedrock-runtime";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultBedrockModel } from "../../../core/analysis/model.ts";
import { renderContext, SYSTEM_PROMPT } from "../../../core/analysis/prompt.ts";
import { createRulesAnalyst } from "../../../core/analysis/rules.ts";
import { ASSESSMENT_TOOL_NAME, toolSpec } from "../../../core/analysis/schema.ts";
import type { AnalysisContext, Analyst, Recommendation } from "../../../core/analysis/types.ts";
import { createBedrockAnalyst } from "../../../functions/adapters/bedrock-analyst.ts";
import { type BedrockStandIn, startBedrockStandIn } from "../../../functions/rehearse/stand-ins/bedrock.ts";
import { runReplay } from "../../../functions/replay/run-replay.ts";
import { loadScenario } from "../../../functions/replay/scenario.ts";

/**
 * The Bedrock stand-in against the real `createBedrockAnalyst` (real SDK client, HTTP/2): for a
 * window's context, built by replay's own pipeline (`buildContext` inside `analyzeWindow`), Claude's
 * stand-in answers what the rules analyzer decides on the same context.
 */

const SCENARIOS = fileURLToPath(new URL("../../../fixtures/scenarios/", import.meta.url));
const MODEL_ID = defaultBedrockModel("us-east-1");

/** The contexts replay hands its analyzer, per scenario (captured, then answered by the rules). */
async function replayContexts(scenario: string): Promise<AnalysisContext[]> {
  const contexts: AnalysisContext[] = [];
  const rules = createRulesAnalyst();
  const capturing: Analyst = {
    analyze(context) {
      contexts.push(context);
      return rules.analyze(context);
    },
  };
  const out = await mkdtemp(path.join(tmpdir(), "phantom-rehearse-bedrock-"));
  try {
    const dir = path.join(SCENARIOS, scenario);
    await runReplay(await loadScenario(dir, { base: {} }), out, {}, { analyst: capturing });
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  return contexts;
}

/** What must agree between the two analyzers: the decision and its figures, per change id. */
function decisions(recommendations: readonly Recommendation[]) {
  return recommendations.map((r) => ({
    changeId: r.changeId,
    decision: r.decision,
    proposed: r.proposed,
    confidence: r.confidence,
    severity: r.severity,
  }));
}

let standIn: BedrockStandIn | undefined;
let client: BedrockRuntimeClient | undefined;

afterEach(async () => {
  client?.destroy();
  await standIn?.close();
  standIn = undefined;
  client = undefined;
});

async function start(options: Parameters<typeof startBedrockStandIn>[0] = {}) {
  standIn = await startBedrockStandIn(options);
  client = new BedrockRuntimeClient({
    endpoint: standIn.url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDREHEARSAL", secretAccessKey: "rehearsal" },
    maxAttempts: 1,
  });
  return { server: standIn, client };
}

/** The Bedrock analyst over the stand-in; a fallback that fails the test if it is ever asked. */
function analyst(bedrock: BedrockRuntimeClient): Analyst {
  return createBedrockAnalyst({
    client: bedrock,
    modelId: MODEL_ID,
    retries: 0,
    fallback: {
      analyze: () => Promise.reject(new Error("the Bedrock analyst fell back to the rules")),
    },
  });
}

describe("Bedrock stand-in: the real Bedrock analyst answers as the rules analyzer", () => {
  let payments: AnalysisContext;

  beforeAll(async () => {
    // The first analysis, at settle (a review an hour later may follow).
    const contexts = await replayContexts("payments-3am-incident");
    expect(contexts.length).toBeGreaterThanOrEqual(1);
    payments = contexts[0] as AnalysisContext;
  });

  it("payments-3am-incident: same decision, proposal, confidence and severity per change", async () => {
    const { server, client: bedrock } = await start({ models: [MODEL_ID] });

    const result = await analyst(bedrock).analyze(payments);
    const rules = await createRulesAnalyst().analyze(payments);

    expect(decisions(result.recommendations)).toEqual(decisions(rules.recommendations));
    expect(result.recommendations.map((r) => r.reasoning)).toEqual(
      rules.recommendations.map((r) => r.reasoning),
    );
    expect(decisions(result.recommendations).map((r) => [r.changeId, r.decision, r.proposed])).toEqual([
      ["AppSecurityGroup/SecurityGroupIngress/1", "revert", undefined],
      ["AppServer/InstanceType", "legitimize", undefined],
      ["AppServer/Tags/1", "revert", undefined],
      ["AppServer/Tags/0", "revert", undefined],
      ["PaymentsDatabase/BackupRetentionPeriod", "revert", undefined],
      ["PaymentsDatabase/DBInstanceClass", "legitimize", undefined],
      ["PaymentsDatabase/DeletionProtection", "revert", undefined],
      ["PaymentsDatabase/EnablePerformanceInsights", "revert", undefined],
    ]);
    expect(result.usage).toMatchObject({ kind: "bedrock", model: MODEL_ID });
    expect(result.usage.fallbackReason).toBeUndefined();
    expect(
      server.requests().map(({ modelId, changeIds, repair }) => ({ modelId, changeIds, repair })),
    ).toEqual([{ modelId: MODEL_ID, changeIds: payments.changes.map((c) => c.id), repair: false }]);
    expect(Object.fromEntries(server.calls)).toEqual({ "bedrock-runtime.Converse": 1 });
    expect(server.unexpected).toEqual([]);
  });

  const scenarios = readdirSync(SCENARIOS, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

  it("every bundled scenario's windows: same decisions as the rules analyzer", async () => {
    const { server, client: bedrock } = await start();
    let windows = 0;

    for (const scenario of scenarios) {
      for (const context of await replayContexts(scenario)) {
        const result = await analyst(bedrock).analyze(context);
        const rules = await createRulesAnalyst().analyze(context);
        expect(decisions(result.recommendations), `${scenario} ${context.window.id}`).toEqual(
          decisions(rules.recommendations),
        );
        windows += context.changes.length > 0 ? 1 : 0;
      }
    }

    expect(windows).toBeGreaterThan(10);
    expect(server.unexpected).toEqual([]);
  });

  it("reports usage with prompt caching: a write on the first call, a read within five minutes", async () => {
    let now = Date.parse("2026-03-14T03:12:15Z");
    const { client: bedrock } = await start({ clock: { now: () => now } });

    const first = await analyst(bedrock).analyze(payments);
    now += 4 * 60_000;
    const second = await analyst(bedrock).analyze(payments);
    now += 6 * 60_000;
    const third = await analyst(bedrock).analyze(payments);

    const prefix = first.usage.cacheWriteInputTokens ?? 0;
    expect(prefix).toBeGreaterThan(2048);
    expect(first.usage).toMatchObject({ cacheReadInputTokens: 0 });
    expect(second.usage).toMatchObject({ cacheReadInputTokens: prefix, cacheWriteInputTokens: 0 });
    expect(third.usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: prefix });
    expect(first.usage.inputTokens).toBe(second.usage.inputTokens);
    expect(first.usage.inputTokens).toBeGreaterThan(renderContext(payments).length / 4);
    expect(first.usage.outputTokens).toBeGreaterThan(100);
  });
});

describe("Bedrock stand-in: requests Bedrock or the stand-in refuses", () => {
  const context = (): AnalysisContext => ({
    stack: "payments-prod",
    environment: "prod",
    window: {
      id: "payments-prod-w1",
      firstEventAt: "2026-03-14T03:07:31.000Z",
      lastEventAt: "2026-03-14T03:10:15.000Z",
      timeline: ["03:07:31Z sam (console) ModifyDBInstance PaymentsDatabase"],
    },
    changes: [
      {
        id: "PaymentsDatabase/DeletionProtection",
        logicalId: "PaymentsDatabase",
        resourceType: "AWS::RDS::DBInstance",
        propertyPath: "/DeletionProtection",
        differenceType: "NOT_EQUAL",
        expected: true,
        actual: false,
        cost: { safeMonthlyUsd: null, currentMonthlyUsd: null, deltaMonthlyUsd: null },
        actors: [],
      },
    ],
    templateFragments: "",
    signals: { monitors: [], metrics: [], notes: [] },
  });

  function converse(overrides: Partial<ConverseCommandInput> = {}): ConverseCommandInput {
    const tool = toolSpec();
    return {
      modelId: MODEL_ID,
      system: [{ text: SYSTEM_PROMPT }, { cachePoint: { type: "default" } }],
      messages: [{ role: "user", content: [{ text: renderContext(context()) }] }],
      inferenceConfig: { maxTokens: 8192, temperature: 0 },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: tool.name,
              description: tool.description,
              inputSchema: { json: tool.inputSchema.json as Record<string, never> },
            },
          },
        ],
        toolChoice: { tool: { name: tool.name } },
      },
      ...overrides,
    };
  }

  it("answers a repair turn (answer and tool result appended) with the same assessment", async () => {
    const { server, client: bedrock } = await start();
    const first = await bedrock.send(new ConverseCommand(converse()));
    const toolUse = first.output?.message?.content?.[0]?.toolUse;

    const second = await bedrock.send(
      new ConverseCommand(
        converse({
          messages: [
            { role: "user", content: [{ text: renderContext(context()) }] },
            { role: "assistant", content: [{ toolUse }] },
            {
              role: "user",
              content: [
                {
                  toolResult: {
                    toolUseId: toolUse?.toolUseId,
                    status: "error",
                    content: [{ text: "fix it" }],
                  },
                },
                { text: "Call it again." },
              ],
            },
          ] as ConverseCommandInput["messages"],
        }),
      ),
    );

    expect(first.stopReason).toBe("tool_use");
    expect(toolUse?.name).toBe(ASSESSMENT_TOOL_NAME);
    expect(toolUse?.input).toEqual({
      recommendations: [
        expect.objectContaining({ changeId: "PaymentsDatabase/DeletionProtection", decision: "revert" }),
      ],
    });
    expect(second.output?.message?.content?.[0]?.toolUse?.input).toEqual(toolUse?.input);
    expect(server.requests().map((r) => r.repair)).toEqual([false, true]);
  });

  it.each([
    [
      "a conversation that starts with the assistant",
      { messages: [{ role: "assistant", content: [{ text: "hi" }] }] },
      "A conversation must start with a user message.",
    ],
    [
      "a toolChoice naming no tool",
      { toolConfig: { ...converse().toolConfig, toolChoice: { tool: { name: "other" } } } },
      "is not one of the tools",
    ],
    [
      "maxTokens above the model's limit",
      { inferenceConfig: { maxTokens: 100_000 } },
      "exceeds the model limit of 64000",
    ],
    ["no system prompt", { system: [] }, "rehearsal stand-in: no system prompt"],
    [
      "a toolChoice that does not force the assessment",
      { toolConfig: { ...converse().toolConfig, toolChoice: { auto: {} } } },
      "rehearsal stand-in: toolChoice does not force record_drift_assessment",
    ],
    [
      "a message without the data block",
      { messages: [{ role: "user", content: [{ text: "Assess the drift." }] }] },
      "rehearsal stand-in: no === BEGIN UNTRUSTED DATA (JSON) === in the first user message",
    ],
  ] as [string, Partial<ConverseCommandInput>, string][])(
    "refuses %s with ValidationException",
    async (_what, overrides, message) => {
      const { server, client: bedrock } = await start();

      const error = await bedrock.send(new ConverseCommand(converse(overrides))).catch((e: unknown) => e);

      expect(error).toMatchObject({ name: "ValidationException", $metadata: { httpStatusCode: 400 } });
      expect((error as Error).message).toContain(message);
      expect(server.unexpected).toHaveLength(1);
      expect(server.unexpected[0]).toMatch(/^bedrock-runtime\.Converse: ValidationException: /);
    },
  );

  it("refuses a model id it was not started for", async () => {
    const { client: bedrock } = await start({ models: ["anthropic.claude-opus-4-1-20250805-v1:0"] });

    await expect(bedrock.send(new ConverseCommand(converse()))).rejects.toMatchObject({
      name: "ValidationException",
      message: "The provided model identifier is invalid.",
    });
  });

  it("the Bedrock analyst falls back to the rules when the stand-in refuses", async () => {
    const { server, client: bedrock } = await start({ models: ["another-model"] });
    const rules = createRulesAnalyst();

    const result = await createBedrockAnalyst({
      client: bedrock,
      modelId: MODEL_ID,
      fallback: rules,
      retries: 0,
    }).analyze(context());

    expect(result.usage.kind).toBe("rules");
    expect(result.usage.fallbackReason).toContain("ValidationException (HTTP 400)");
    expect(server.unexpected).toHaveLength(1);
  });
});
