import { z } from "zod";
import type { AnalyzedChange, AnalyzedReport } from "./analyze.ts";
import { GUARDRAIL_RULES, violation } from "./guardrails.ts";
import { DECISIONS, type Decision, SEVERITIES, type Severity } from "./types.ts";

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

/** What the analyzer decided for a label: one of the decisions, or `none` when replay produced no change. */
export const DECIDED = [...DECISIONS, "none"] as const;
export type Decided = (typeof DECIDED)[number];
/** What the analyzer rated a label: one of the severities, or `none` (no change, or a window without one). */
export const RATED = [...SEVERITIES, "none"] as const;
export type Rated = (typeof RATED)[number];

/** Decision confusion: expected (row) × decided (column) ► count. */
export type DecisionConfusion = Record<Decision, Record<Decided, number>>;
/** Severity confusion: expected (row) × rated (column) ► count; change and window severities together. */
export type SeverityConfusion = Record<Severity, Record<Rated, number>>;

/**
 * One place the analyzer and a label disagree, with the label's rationale (`why`) next to what the
 * analyzer decided and the first sentence of its reasoning, so a reviewer sees both sides.
 */
export interface Disagreement {
  /** `[stack/]LogicalId/Property/Path`, or the stack for a window severity. */
  readonly id: string;
  /**
   * `decision`: a decision (or refactor value) the label does not accept; `missing`: replay produced no
   * change for the label; `severity` / `window-severity`: another severity; `guardrail`: the labelled
   * guardrail did not fire.
   */
  readonly kind: "decision" | "missing" | "severity" | "window-severity" | "guardrail";
  /** What the label accepts: `refactor "db.r5.2xlarge"`, `revert|refactor`, `critical`, a guardrail rule. */
  readonly expected: string;
  /** What the analyzer did: `legitimize`, `refactor "db.r5.xlarge"`, `high`, `none`. */
  readonly decided: string;
  /** The label's rationale, when it has one. */
  readonly why?: string;
  /** The first sentence of the analyzer's reasoning for the change, when there is a change. */
  readonly reasoning?: string;
}

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
  /** Every disagreement, in label order (a label's decision, severity and guardrail together), then windows. */
  readonly disagreements: readonly Disagreement[];
  readonly confusion: DecisionConfusion;
  readonly severityConfusion: SeverityConfusion;
  /** Labels whose decision is accepted but whose refactor value is not (counted on the diagonal). */
  readonly proposedMismatches: number;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function matrix<R extends string, C extends string>(
  rows: readonly R[],
  columns: readonly C[],
): Record<R, Record<C, number>> {
  return Object.fromEntries(rows.map((r) => [r, Object.fromEntries(columns.map((c) => [c, 0]))])) as Record<
    R,
    Record<C, number>
  >;
}

export const emptyConfusion = (): DecisionConfusion => matrix(DECISIONS, DECIDED);
export const emptySeverityConfusion = (): SeverityConfusion => matrix(SEVERITIES, RATED);

/** The first sentence of a reasoning: up to the first `.`, `!` or `?` followed by a space and a capital. */
export function firstSentence(text: string): string {
  const match = /^.*?[.!?](?=\s+[A-Z\p{Lu}]|\s*$)/su.exec(text.trim());
  return (match ? match[0] : text).trim();
}

const withValue = (decision: string, value: unknown) =>
  value === undefined ? decision : `${decision} ${JSON.stringify(value)}`;

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
  let proposedMismatches = 0;
  const missing: string[] = [];
  const disagreements: Disagreement[] = [];
  const confusion = emptyConfusion();
  const severityConfusion = emptySeverityConfusion();
  for (const label of expected.changes) {
    const id = `${label.stack ? `${label.stack}/` : ""}${label.logicalId}${label.propertyPath}`;
    const why = label.why !== undefined ? { why: label.why } : {};
    const allowed = Array.isArray(label.decision) ? label.decision : [label.decision];
    const accepts = allowed.join("|");
    const found = changes.filter(
      (c) =>
        c.change.logicalId === label.logicalId &&
        c.change.propertyPath === label.propertyPath &&
        (label.stack === undefined || c.stack === label.stack),
    );
    if (found.length === 0) {
      missing.push(id);
      confusion[allowed[0] as Decision].none++;
      disagreements.push({
        id,
        kind: "missing",
        expected: withValue(accepts, label.proposed),
        decided: "none",
        ...why,
      });
      if (label.severity !== undefined) {
        severityTotal++;
        severityConfusion[label.severity].none++;
      }
      continue;
    }
    const valueOk = (change: AnalyzedChange) =>
      label.proposed === undefined ||
      change.decision !== "refactor" ||
      sameValue(change.proposed, label.proposed);
    // The change that decides the row and column: the first one the label does not accept, if any.
    const off =
      found.find(({ change }) => !allowed.includes(change.decision) || !valueOk(change)) ?? found[0];
    if (!off) continue;
    const decided = off.change.decision;
    confusion[allowed.includes(decided) ? decided : (allowed[0] as Decision)][decided]++;
    const reasoning = { reasoning: firstSentence(off.change.reasoning) };
    if (found.every(({ change }) => allowed.includes(change.decision) && valueOk(change))) decisions++;
    else {
      if (allowed.includes(decided)) proposedMismatches++;
      disagreements.push({
        id,
        kind: "decision",
        expected: withValue(accepts, label.proposed),
        decided: found.map(({ change }) => withValue(change.decision, change.proposed)).join(", "),
        ...why,
        ...reasoning,
      });
    }
    if (label.severity !== undefined) {
      severityTotal++;
      const rated = found.find(({ change }) => change.severity !== label.severity) ?? off;
      severityConfusion[label.severity][rated.change.severity]++;
      if (found.every(({ change }) => change.severity === label.severity)) severities++;
      else
        disagreements.push({
          id,
          kind: "severity",
          expected: label.severity,
          decided: found.map((f) => f.change.severity).join(", "),
          ...why,
          reasoning: firstSentence(rated.change.reasoning),
        });
    }
    if (label.guardrail !== undefined) {
      if (found.every(({ change }) => change.guardrail?.rule === label.guardrail)) fired++;
      else
        disagreements.push({
          id,
          kind: "guardrail",
          expected: label.guardrail,
          decided: found.map((f) => f.change.guardrail?.rule ?? "none").join(", "),
          ...why,
          ...reasoning,
        });
    }
  }
  for (const [stack, severity] of Object.entries(expected.severity ?? {})) {
    severityTotal++;
    const windows = reports.filter((r) => r.stack === stack);
    const rated = windows.find((r) => r.severity !== severity) ?? windows[0];
    severityConfusion[severity][rated?.severity ?? "none"]++;
    if (windows.length > 0 && windows.every((r) => r.severity === severity)) severities++;
    else
      disagreements.push({
        id: stack,
        kind: "window-severity",
        expected: severity,
        decided: windows.map((r) => r.severity ?? "none").join(", ") || "none",
      });
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
    disagreements,
    confusion,
    severityConfusion,
    proposedMismatches,
  };
}

export interface EvalSummary {
  readonly scenarios: readonly ScenarioScore[];
  /** Scenarios with an `expected.json`. */
  readonly incidents: number;
  /** Labelled changes the decision score covers. */
  readonly labelledChanges: number;
  /** Severity labels the severity score covers (change labels and window severities). */
  readonly severityLabels: number;
  readonly decisionAccuracy: number | null;
  readonly severityAccuracy: number | null;
  /** Severity accuracy per expected severity (the severity confusion's diagonal over its row). */
  readonly severityBySeverity: Record<Severity, { readonly correct: number; readonly total: number }>;
  /** Decision × expected across scenarios: `confusion[expected][decided]`. */
  readonly confusion: DecisionConfusion;
  readonly severityConfusion: SeverityConfusion;
  /** Labels whose decision is accepted but whose refactor value is not (on the confusion's diagonal). */
  readonly proposedMismatches: number;
  readonly guardrailViolations: number;
  readonly guardrailsFired: { readonly fired: number; readonly expected: number };
  readonly meanCostError: number | null;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

function addInto<R extends string, C extends string>(
  total: Record<R, Record<C, number>>,
  part: Record<R, Record<C, number>>,
): void {
  for (const row of Object.keys(total) as R[])
    for (const column of Object.keys(total[row]) as C[]) total[row][column] += part[row][column];
}

/** Overall figures across scenarios (micro-averaged). */
export function summarizeScores(scores: readonly ScenarioScore[]): EvalSummary {
  const sum = (f: (s: ScenarioScore) => number) => scores.reduce((acc, s) => acc + f(s), 0);
  const costs = scores.map((s) => s.costError).filter((c): c is number => c !== null);
  const confusion = emptyConfusion();
  const severityConfusion = emptySeverityConfusion();
  for (const s of scores) {
    addInto(confusion, s.confusion);
    addInto(severityConfusion, s.severityConfusion);
  }
  const severityBySeverity = Object.fromEntries(
    SEVERITIES.map((sev) => [
      sev,
      {
        correct: severityConfusion[sev][sev],
        total: RATED.reduce((acc, rated) => acc + severityConfusion[sev][rated], 0),
      },
    ]),
  ) as EvalSummary["severityBySeverity"];
  return {
    scenarios: scores,
    incidents: scores.length,
    labelledChanges: sum((s) => s.decisions.total),
    severityLabels: sum((s) => s.severities.total),
    decisionAccuracy: ratio(
      sum((s) => s.decisions.correct),
      sum((s) => s.decisions.total),
    ),
    severityAccuracy: ratio(
      sum((s) => s.severities.correct),
      sum((s) => s.severities.total),
    ),
    severityBySeverity,
    confusion,
    severityConfusion,
    proposedMismatches: sum((s) => s.proposedMismatches),
    guardrailViolations: sum((s) => s.violations.length),
    guardrailsFired: { fired: sum((s) => s.guardrails.fired), expected: sum((s) => s.guardrails.expected) },
    meanCostError: costs.length === 0 ? null : costs.reduce((a, b) => a + b, 0) / costs.length,
  };
}
