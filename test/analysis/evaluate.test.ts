import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalyzedChange, AnalyzedReport } from "../../core/analysis/analyze.ts";
import type { EvalSummary } from "../../core/analysis/evaluate.ts";
import {
  type Expected,
  firstSentence,
  scoreScenario,
  summarizeScores,
} from "../../core/analysis/evaluate.ts";
import { runEval } from "../../functions/cli/eval.ts";

/** `phantom eval`'s scoring: confusion matrices, disagreements with both rationales, and coverage. */

type Fake = Pick<AnalyzedChange, "logicalId" | "propertyPath" | "decision" | "severity" | "reasoning"> & {
  proposed?: unknown;
};

/** An analysed window with just what scoring reads. */
function report(
  stack: string,
  changes: readonly Fake[],
  severity: AnalyzedReport["severity"],
): AnalyzedReport {
  return {
    stack,
    severity,
    costDelta: { deltaMonthlyUsd: null },
    changes: changes.map((c) => ({
      resourceType: "AWS::EC2::Instance",
      differenceType: "NOT_EQUAL",
      expected: "t3.large",
      actual: "t3.xlarge",
      ...c,
    })),
  } as unknown as AnalyzedReport;
}

const LABELS: Expected = {
  changes: [
    // Accepts two decisions; the analyzer's is one of them ► under the decided one.
    { logicalId: "App", propertyPath: "/InstanceType", decision: ["refactor", "revert"], severity: "medium" },
    // Accepts two decisions; the analyzer's is neither ► under the first label.
    {
      logicalId: "Db",
      propertyPath: "/DBInstanceClass",
      decision: ["refactor", "revert"],
      proposed: "db.r5.2xlarge",
      severity: "high",
      why: "post-incident CPU 28.6 % on 4xlarge: 2xlarge keeps 40 % headroom",
    },
    // Right decision, other value: on the diagonal, still a disagreement.
    {
      logicalId: "Cache",
      propertyPath: "/CacheNodeType",
      decision: "refactor",
      proposed: "cache.r6g.2xlarge",
      why: "the data set is 16.4 GiB",
    },
    { logicalId: "Sg", propertyPath: "/SecurityGroupIngress/1", decision: "revert", severity: "critical" },
    // Replay produced no change for it.
    { logicalId: "Gone", propertyPath: "/Tags/0", decision: "legitimize", severity: "low", why: "a tag" },
  ],
  severity: { "payments-prod": "critical" },
};

const REPORTS = [
  report(
    "payments-prod",
    [
      {
        logicalId: "App",
        propertyPath: "/InstanceType",
        decision: "revert",
        severity: "medium",
        reasoning: "x.",
      },
      {
        logicalId: "Db",
        propertyPath: "/DBInstanceClass",
        decision: "legitimize",
        severity: "critical",
        reasoning: "During the incident CPU 97.4 % on 8× the capacity. Keep 4xlarge (+$2,555/month).",
      },
      {
        logicalId: "Cache",
        propertyPath: "/CacheNodeType",
        decision: "refactor",
        proposed: "cache.r6g.xlarge",
        severity: "medium",
        reasoning: "Memory 71.0 % bound the proposal.",
      },
      {
        logicalId: "Sg",
        propertyPath: "/SecurityGroupIngress/1",
        decision: "revert",
        severity: "critical",
        reasoning: "SSH from the internet.",
      },
    ],
    "high",
  ),
];

describe("scoreScenario and summarizeScores", () => {
  const score = scoreScenario("payments", LABELS, REPORTS);
  const summary = summarizeScores([score, scoreScenario("empty", { changes: [] }, [])]);

  it("counts each label once in the decision × expected matrix", () => {
    expect(summary.confusion).toEqual({
      legitimize: { legitimize: 0, revert: 0, refactor: 0, none: 1 },
      revert: { legitimize: 0, revert: 2, refactor: 0, none: 0 },
      refactor: { legitimize: 1, revert: 0, refactor: 1, none: 0 },
    });
    expect(summary.proposedMismatches).toBe(1);
    expect(summary.decisionAccuracy).toBeCloseTo(2 / 5);
  });

  it("says how many incidents, labelled changes and severity labels the score covers", () => {
    expect(summary.incidents).toBe(2);
    expect(summary.labelledChanges).toBe(5);
    expect(summary.severityLabels).toBe(5);
  });

  it("splits severity accuracy by expected severity, with a severity confusion matrix", () => {
    expect(summary.severityConfusion).toEqual({
      low: { low: 0, medium: 0, high: 0, critical: 0, none: 1 },
      medium: { low: 0, medium: 1, high: 0, critical: 0, none: 0 },
      high: { low: 0, medium: 0, high: 0, critical: 1, none: 0 },
      critical: { low: 0, medium: 0, high: 1, critical: 1, none: 0 },
    });
    expect(summary.severityBySeverity).toEqual({
      low: { correct: 0, total: 1 },
      medium: { correct: 1, total: 1 },
      high: { correct: 0, total: 1 },
      critical: { correct: 1, total: 2 },
    });
    expect(summary.severityAccuracy).toBeCloseTo(2 / 5);
  });

  it("lists each disagreement with the label's rationale next to the analyzer's first sentence", () => {
    expect(score.disagreements).toEqual([
      {
        id: "Db/DBInstanceClass",
        kind: "decision",
        expected: 'refactor|revert "db.r5.2xlarge"',
        decided: "legitimize",
        why: "post-incident CPU 28.6 % on 4xlarge: 2xlarge keeps 40 % headroom",
        reasoning: "During the incident CPU 97.4 % on 8× the capacity.",
      },
      {
        id: "Db/DBInstanceClass",
        kind: "severity",
        expected: "high",
        decided: "critical",
        why: "post-incident CPU 28.6 % on 4xlarge: 2xlarge keeps 40 % headroom",
        reasoning: "During the incident CPU 97.4 % on 8× the capacity.",
      },
      {
        id: "Cache/CacheNodeType",
        kind: "decision",
        expected: 'refactor "cache.r6g.2xlarge"',
        decided: 'refactor "cache.r6g.xlarge"',
        why: "the data set is 16.4 GiB",
        reasoning: "Memory 71.0 % bound the proposal.",
      },
      { id: "Gone/Tags/0", kind: "missing", expected: "legitimize", decided: "none", why: "a tag" },
      { id: "payments-prod", kind: "window-severity", expected: "critical", decided: "high" },
    ]);
    expect(score.missing).toEqual(["Gone/Tags/0"]);
  });
});

describe("firstSentence", () => {
  it("stops at the first sentence end, not at decimals or lower-case abbreviations", () => {
    expect(firstSentence("CPU 9.5 % after, e.g. at 10:00. Restore it.")).toBe(
      "CPU 9.5 % after, e.g. at 10:00.",
    );
    expect(firstSentence("no full stop; keep it")).toBe("no full stop; keep it");
    expect(firstSentence("One sentence.")).toBe("One sentence.");
  });
});

describe("runEval", () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const source = path.join(root, "fixtures/scenarios/injection-attempt-sg");
  let dir = "";

  beforeAll(async () => {
    // A copy of a bundled scenario with labels of its own: one the guardrails can never agree with.
    dir = await mkdtemp(path.join(tmpdir(), "phantom-eval-test-"));
    for (const entry of ["account", "events", "scenario.yaml", "signals.json"])
      await cp(path.join(source, entry), path.join(dir, "rdp", entry), { recursive: true });
    await writeFile(
      path.join(dir, "rdp", "expected.json"),
      JSON.stringify({
        changes: [
          {
            logicalId: "JumpHostSecurityGroup",
            propertyPath: "/SecurityGroupIngress/1",
            decision: ["legitimize", "refactor"],
            severity: "low",
            why: "SYNTHETIC wrong label: RDP to the world kept",
          },
          {
            logicalId: "JumpHostSecurityGroup",
            propertyPath: "/Tags/2",
            decision: ["legitimize", "revert"],
          },
          { logicalId: "JumpHostSecurityGroup", propertyPath: "/NotDrifted", decision: "refactor" },
        ],
        severity: { "partner-gateway-prod": "critical" },
      }),
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function evaluate(json: boolean): Promise<{ text: string; summary: EvalSummary }> {
    let text = "";
    const summary = await runEval(
      dir,
      { json, base: undefined },
      {
        out: (t) => {
          text += t;
        },
        err: () => {},
      },
    );
    return { text, summary };
  }

  it("prints the matrices, the coverage and the disagreements grouped by scenario", async () => {
    const { text, summary } = await evaluate(false);

    expect(summary.confusion).toEqual({
      legitimize: { legitimize: 0, revert: 1, refactor: 0, none: 0 },
      revert: { legitimize: 0, revert: 1, refactor: 0, none: 0 },
      refactor: { legitimize: 0, revert: 0, refactor: 0, none: 1 },
    });
    expect(summary.severityConfusion.low.critical).toBe(1);
    expect(summary.severityConfusion.critical.critical).toBe(1);
    expect(text).toContain("decisions (rows: expected; columns: decided)");
    expect(text).toMatch(/\n {2}legitimize +0 +1 +0 +0 +0\/1 0\.0 %\n/);
    expect(text).toMatch(/\n {2}revert +0 +1 +0 +0 +1\/1 100\.0 %\n/);
    expect(text).toContain("severity (rows: expected; columns: rated)");
    expect(text).toMatch(/\n {2}low +0 +0 +0 +1 +0 +0\/1 0\.0 %\n/);
    expect(text).toContain("covers 1 incidents, 3 labelled changes, 2 severity labels\n");
    expect(text).toContain(
      "severity by label: low 0/1 (0.0 %), medium 0/0, high 0/0, critical 1/1 (100.0 %)\n",
    );
    const listed = text.slice(text.indexOf("disagreements"), text.indexOf("decisions (rows"));
    expect(listed).toMatch(
      /\n {2}rdp\n {4}JumpHostSecurityGroup\/SecurityGroupIngress\/1\n {6}label {4}legitimize\|refactor: SYNTHETIC wrong label: RDP to the world kept\n {6}analyzer revert: [^\n]+\.\n/,
    );
    expect(listed).toContain("      label    severity low: SYNTHETIC wrong label");
    expect(listed).toContain("      analyzer none: replay produced no change");
    expect(listed).not.toContain("Tags/2");
    expect(text).toMatch(/\noverall: decisions 33\.3 %, severity 50\.0 %/);
  });

  it("puts the matrices, coverage and disagreements in --json", async () => {
    const { text } = await evaluate(true);
    const doc = JSON.parse(text);

    expect(doc.confusion.legitimize.revert).toBe(1);
    expect(doc.severityBySeverity.critical).toEqual({ correct: 1, total: 1 });
    expect(doc).toMatchObject({ incidents: 1, labelledChanges: 3, severityLabels: 2 });
    expect(doc.scenarios[0].disagreements[0]).toMatchObject({
      id: "JumpHostSecurityGroup/SecurityGroupIngress/1",
      kind: "decision",
      decided: "revert",
      why: "SYNTHETIC wrong label: RDP to the world kept",
    });
  });
});
