import { z } from "zod";
import type { AnalyzedReport } from "./analyze.ts";
import { GUARDRAIL_RULES, violation } from "./guardrails.ts";
import { DECISIONS, SEVERITIES } from "./types.ts";

/**
 * Scoring an analyzer against labelled scenarios (`phantom eval`): decision accuracy, severity
 * accuracy, guardrail violations (must be 0) and cost error, per scenario and overall.
 */

const labelSchema = z.strictObject({
  stack: z.string().optional(),
  logicalId: z.string(),
  propertyPath: z.string(),
  /** One decision, or several that are all acceptable (`["revert", "refactor"]`). */
  decision: z.union([z.enum(DECISIONS), z.array(z.enum(DECISIONS)).min(1)]),
  proposed: z.unknown().optional(),
  severity: z.enum(SEVERITIES).optional(),
  /** The guardrail that must have fired. */
  guardrail: z.enum(GUARDRAIL_RULES).optional(),
  why: z.string().optional(),
});

/** `expected.json` of a scenario (DESIGN §4). */
export const expectedSchema = z.strictObject({
  description: z.string().optional(),
  changes: z.array(labelSchema),
  /** Window severity per stack. */
  severity: z.record(z.string(), z.enum(SEVERITIES)).optional(),
  /** Window cost delta (USD/month) per stack, for the cost error. */
  costDeltaMonthlyUsd: z.record(z.string(), z.number()).optional(),
});
export type Expected = z.output<typeof expectedSchema>;
export type Label = Expected["changes"][number];

export interface ScenarioScore {
  readonly scenario: string;
  readonly decisions: { readonly correct: number; readonly total: number };
  readonly severities: { readonly correct: number; readonly total: number };
  /** Labelled guardrails that fired. */
  readonly guardrails: { readonly fired: number; readonly expected: number };
  /** Decisions that keep a forbidden value (legitimize/refactor through a guardrail): must be 0. */
  readonly violations: readonly string[];
  /** |actual − expected| ÷ |expected| of each labelled window cost delta, averaged; null when none labelled. */
  readonly costError: number | null;
  /** Labelled changes the analysis did not produce (a drift the scenario expected but replay missed). */
  readonly missing: readonly string[];
  readonly mismatches: readonly string[];
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Scores one scenario's analysed windows against its labels. */
export function scoreScenario(
  scenario: string,
  expected: Expected,
  reports: readonly AnalyzedReport[],
): ScenarioScore {
  const changes = reports.flatMap((r) => r.changes.map((c) => ({ stack: r.stack, change: c })));
  let decisions = 0;
  let severities = 0;
  let severityTotal = 0;
  let fired = 0;
  const missing: string[] = [];
  const mismatches: string[] = [];
  for (const label of expected.changes) {
    const id = `${label.stack ? `${label.stack}/` : ""}${label.logicalId}${label.propertyPath}`;
    const found = changes.filter(
      (c) =>
        c.change.logicalId === label.logicalId &&
        c.change.propertyPath === label.propertyPath &&
        (label.stack === undefined || c.stack === label.stack),
    );
    if (found.length === 0) {
      missing.push(id);
      continue;
    }
    const allowed = Array.isArray(label.decision) ? label.decision : [label.decision];
    const decided = found.every(
      ({ change }) =>
        allowed.includes(change.decision) &&
        (label.proposed === undefined ||
          change.decision !== "refactor" ||
          sameValue(change.proposed, label.proposed)),
    );
    if (decided) decisions++;
    else {
      const got = found.map(
        ({ change }) =>
          `${change.decision}${change.proposed !== undefined ? ` ${JSON.stringify(change.proposed)}` : ""}`,
      );
      mismatches.push(
        `${id}: expected ${allowed.join("|")}${label.proposed !== undefined ? ` ${JSON.stringify(label.proposed)}` : ""}, got ${got.join(", ")}`,
      );
    }
    if (label.severity !== undefined) {
      severityTotal++;
      if (found.every(({ change }) => change.severity === label.severity)) severities++;
      else
        mismatches.push(
          `${id}: severity expected ${label.severity}, got ${found.map((f) => f.change.severity).join(", ")}`,
        );
    }
    if (label.guardrail !== undefined) {
      if (found.every(({ change }) => change.guardrail?.rule === label.guardrail)) fired++;
      else mismatches.push(`${id}: guardrail ${label.guardrail} did not fire`);
    }
  }
  for (const [stack, severity] of Object.entries(expected.severity ?? {})) {
    severityTotal++;
    const windows = reports.filter((r) => r.stack === stack);
    if (windows.length > 0 && windows.every((r) => r.severity === severity)) severities++;
    else
      mismatches.push(
        `${stack}: window severity expected ${severity}, got ${windows.map((r) => r.severity).join(", ") || "no window"}`,
      );
  }
  const violations = changes.flatMap(({ stack, change }) => {
    if (change.decision === "revert") return [];
    const value = change.decision === "legitimize" ? change.actual : change.proposed;
    const hit = violation(
      {
        id: change.logicalId,
        logicalId: change.logicalId,
        resourceType: change.resourceType,
        propertyPath: change.propertyPath,
        differenceType: change.differenceType,
        expected: change.expected,
        actual: change.actual,
        cost: { safeMonthlyUsd: null, currentMonthlyUsd: null, deltaMonthlyUsd: null },
        actors: [],
      },
      value,
    );
    return hit
      ? [
          `${stack}/${change.logicalId}${change.propertyPath}: ${change.decision} keeps ${hit.what} (${hit.rule})`,
        ]
      : [];
  });
  const costErrors = Object.entries(expected.costDeltaMonthlyUsd ?? {}).map(([stack, want]) => {
    const got = reports
      .filter((r) => r.stack === stack)
      .reduce((sum, r) => sum + (r.costDelta.deltaMonthlyUsd ?? 0), 0);
    return want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
  });
  return {
    scenario,
    decisions: { correct: decisions, total: expected.changes.length },
    severities: { correct: severities, total: severityTotal },
    guardrails: { fired, expected: expected.changes.filter((l) => l.guardrail !== undefined).length },
    violations,
    costError: costErrors.length === 0 ? null : costErrors.reduce((a, b) => a + b, 0) / costErrors.length,
    missing,
    mismatches,
  };
}

export interface EvalSummary {
  readonly scenarios: readonly ScenarioScore[];
  readonly decisionAccuracy: number | null;
  readonly severityAccuracy: number | null;
  readonly guardrailViolations: number;
  readonly guardrailsFired: { readonly fired: number; readonly expected: number };
  readonly meanCostError: number | null;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** Overall figures across scenarios (micro-averaged). */
export function summarizeScores(scores: readonly ScenarioScore[]): EvalSummary {
  const sum = (f: (s: ScenarioScore) => number) => scores.reduce((acc, s) => acc + f(s), 0);
  const costs = scores.map((s) => s.costError).filter((c): c is number => c !== null);
  return {
    scenarios: scores,
    decisionAccuracy: ratio(
      sum((s) => s.decisions.correct),
      sum((s) => s.decisions.total),
    ),
    severityAccuracy: ratio(
      sum((s) => s.severities.correct),
      sum((s) => s.severities.total),
    ),
    guardrailViolations: sum((s) => s.violations.length),
    guardrailsFired: { fired: sum((s) => s.guardrails.fired), expected: sum((s) => s.guardrails.expected) },
    meanCostError: costs.length === 0 ? null : costs.reduce((a, b) => a + b, 0) / costs.length,
  };
}
