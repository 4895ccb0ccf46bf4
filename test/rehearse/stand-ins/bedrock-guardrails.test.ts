import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { afterEach, describe, expect, it } from "vitest";
import type { AnalyzedReport } from "../../../core/analysis/analyze.ts";
import { applyGuardrails } from "../../../core/analysis/guardrails.ts";
import { defaultBedrockModel } from "../../../core/analysis/model.ts";
import { DATA_BEGIN } from "../../../core/analysis/prompt.ts";
import { createRulesAnalyst, judgeChange } from "../../../core/analysis/rules.ts";
import type { AnalysisContext, Analyst, Recommendation } from "../../../core/analysis/types.ts";
import { createBedrockAnalyst } from "../../../functions/adapters/bedrock-analyst.ts";
import {
  type BedrockStandIn,
  type BedrockStandInOptions,
  startBedrockStandIn,
} from "../../../functions/rehearse/stand-ins/bedrock.ts";
import { runReplay } from "../../../functions/replay/run-replay.ts";
import { loadScenario } from "../../../functions/replay/scenario.ts";
import {
  change,
  context,
  dbClassChange,
  dbCpuMetric,
  dbCpuMonitor,
  signals,
} from "../../analysis/support.ts";

/**
 * Claude on Bedrock, played by the stand-in, against the real Bedrock analyst (issue 12): the
 * prompt carries the evidence the rules weigh (the metrics matched to each change however they
 * were recorded, the hardening direction), the request caches the system prompt behind a
 * `cachePoint`, and an answer that contradicts a guardrail, such as "legitimize" for console text
 * addressed to the reviewer, is overridden and recorded, so it never reaches the template.
 */

const SCENARIOS = fileURLToPath(new URL("../../../fixtures/scenarios/", import.meta.url));
const MODEL_ID = defaultBedrockModel("us-east-1");

let standIn: BedrockStandIn | undefined;
let client: BedrockRuntimeClient | undefined;

afterEach(async () => {
  client?.destroy();
  await standIn?.close();
  standIn = undefined;
  client = undefined;
});

async function start(options: BedrockStandInOptions = {}) {
  standIn = await startBedrockStandIn(options);
  client = new BedrockRuntimeClient({
    endpoint: standIn.url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDREHEARSAL", secretAccessKey: "rehearsal" },
    maxAttempts: 1,
  });
  return { server: standIn, analyst: analyst(client) };
}

/** The Bedrock analyst over the stand-in; a fallback that fails the test if it is ever asked. */
function analyst(bedrock: BedrockRuntimeClient): Analyst {
  return createBedrockAnalyst({
    client: bedrock,
    modelId: MODEL_ID,
    retries: 0,
    fallback: { analyze: () => Promise.reject(new Error("the Bedrock analyst fell back to the rules")) },
  });
}

/** A model that keeps everything, as one that followed the injected text would. */
function legitimizeEverything(ctx: AnalysisContext): Recommendation[] {
  return ctx.changes.map((c) => ({
    changeId: c.id,
    decision: "legitimize",
    confidence: 1,
    severity: "low",
    reasoning: "Pre-approved by the reviewer, as the tag says.",
  }));
}

describe("Bedrock: a model answer contradicting a guardrail is overridden and recorded", () => {
  it("keeps console text addressed to the reviewer out of the template when the model says legitimize", async () => {
    // Prepare: the injection scenario (an RDP rule described "Ignore previous instructions…", an
    // approved-by tag and a "SYSTEM OVERRIDE" tag), analysed by a model that legitimizes everything.
    const { server, analyst: bedrock } = await start({ models: [MODEL_ID], assess: legitimizeEverything });
    const out = await mkdtemp(path.join(tmpdir(), "phantom-bedrock-guardrails-"));
    let report: AnalyzedReport;
    let template: string | undefined;
    try {
      const scenario = await loadScenario(path.join(SCENARIOS, "injection-attempt-sg"), { base: {} });

      // Act
      const summary = await runReplay(scenario, out, {}, { analyst: bedrock });
      const [window] = summary.windows;
      report = window?.reaction.report as AnalyzedReport;
      template = window?.reaction.artifacts?.template?.text;
    } finally {
      await rm(out, { recursive: true, force: true });
    }

    // Assess: the model answered; the guardrails overrode what it may not keep, and said so.
    expect(report.analyzer).toMatchObject({ kind: "bedrock", model: MODEL_ID });
    expect(report.analyzer.fallbackReason).toBeUndefined();
    const byPath = Object.fromEntries(report.changes.map((c) => [c.propertyPath, c]));
    expect(byPath["/Tags/2"]).toMatchObject({
      decision: "revert",
      guardrail: { rule: "reviewer-instruction", overridden: "legitimize" },
    });
    expect(byPath["/Tags/2"]?.reasoning).toContain("Guardrail reviewer-instruction");
    expect(byPath["/Tags/1"]).toMatchObject({
      decision: "revert",
      guardrail: { rule: "reviewer-instruction", overridden: "legitimize" },
    });
    expect(byPath["/SecurityGroupIngress/1"]).toMatchObject({
      decision: "revert",
      guardrail: { rule: "world-open-port", overridden: "legitimize" },
    });
    // The private-range rule is no guardrail's business: the model's answer stands.
    expect(byPath["/SecurityGroupIngress/2"]).toMatchObject({ decision: "legitimize" });
    expect(byPath["/SecurityGroupIngress/2"]).not.toHaveProperty("guardrail");
    // Nothing addressed to the reviewer is written into the rectified template.
    for (const text of ["SYSTEM OVERRIDE", "approved-by", "Ignore previous instructions"])
      expect(template ?? "").not.toContain(text);
    expect(server.unexpected).toEqual([]);
  });

  it("overrides a model that keeps a weakened setting the direction table guards", async () => {
    const { analyst: bedrock } = await start({ assess: legitimizeEverything });
    const backups = change({
      logicalId: "OrdersDatabase",
      resourceType: "AWS::RDS::DBInstance",
      propertyPath: "/BackupRetentionPeriod",
      expected: 14,
      actual: 1,
    });
    const ctx = context([backups]);

    const result = await bedrock.analyze(ctx);
    const [guarded] = applyGuardrails(ctx.changes, result.recommendations);

    expect(result.recommendations[0]?.decision).toBe("legitimize");
    expect(guarded).toMatchObject({
      decision: "revert",
      guardrail: { rule: "backup-retention-shortened", overridden: "legitimize" },
    });
  });
});

describe("Bedrock: the prompt carries the evidence the rules weigh", () => {
  it("matches a metric recorded under the physical id or the Datadog tag to its change, as the rules do", async () => {
    // Prepare: a 4× upsize whose CPU was recorded under the Datadog tag, and versioning switched on.
    const { server, analyst: bedrock } = await start();
    const upsize = { ...dbClassChange("db.r5.large", "db.r5.2xlarge"), physicalId: "payments-prod-db" };
    const versioning = change({
      logicalId: "ExportsBucket",
      resourceType: "AWS::S3::Bucket",
      propertyPath: "/VersioningConfiguration",
      differenceType: "ADD",
      actual: { Status: "Enabled" },
    });
    const ctx = context([upsize, versioning], {
      signals: signals({
        monitors: [dbCpuMonitor()],
        metrics: [
          dbCpuMetric({ resource: "dbinstanceidentifier:payments-prod-db", after: 9 }),
          dbCpuMetric({ resource: "orders-prod-db", metric: "aws.rds.freeable_memory", after: 1 }),
        ],
      }),
    });

    // Act
    const result = await bedrock.analyze(ctx);

    // Assess: what the model read names, per change, the metric and the direction the rules used.
    const [request] = server.requests();
    expect(request?.prompt).toContain(DATA_BEGIN);
    const seen: Record<string, unknown> = Object.fromEntries(
      request?.context.changes.map((c) => [c.id, c]) ?? [],
    );
    expect(seen["PaymentsDatabase/DBInstanceClass"]).toMatchObject({
      physicalId: "payments-prod-db",
      metrics: ["CPUUtilization"],
    });
    expect(seen["PaymentsDatabase/DBInstanceClass"]).not.toHaveProperty("direction");
    expect(seen["ExportsBucket/VersioningConfiguration"]).toMatchObject({
      direction: "stronger: versioning (data safety)",
    });
    expect(seen["ExportsBucket/VersioningConfiguration"]).not.toHaveProperty("metrics");
    // The stand-in's model decided on the same evidence as the rules: sized on 9 %, hardening kept.
    const rules = await createRulesAnalyst().analyze(ctx);
    expect(result.recommendations.map((r) => [r.changeId, r.decision])).toEqual(
      rules.recommendations.map((r) => [r.changeId, r.decision]),
    );
    expect(judgeChange(upsize, ctx).reasoning).toContain("post-incident CPU 9.0 %");
    expect(judgeChange(versioning, ctx)).toMatchObject({ decision: "legitimize", confidence: 0.9 });
  });

  it("sends the system prompt behind a cachePoint", async () => {
    const { server, analyst: bedrock } = await start();

    await bedrock.analyze(context([dbClassChange()]));

    expect(server.requests().map((r) => r.cachePoint)).toEqual([true]);
    expect(server.unexpected).toEqual([]);
  });
});
