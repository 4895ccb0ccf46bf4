import { costFigures, type Properties, windowCost, withProperty } from "../cost/cost.ts";
import type { DriftReport, ResourceDrift } from "../drift/types.ts";
import { rectify } from "../rectify/rectify.ts";
import type { RectifyChange, RectifyResult } from "../rectify/types.ts";
import type { ReportChange, WindowReport } from "../report/analysis.ts";
import type { SignalsReport } from "../signals/types.ts";
import type { Window } from "../window/types.ts";
import { buildContext } from "./context.ts";
import { applyGuardrails, type GuardedRecommendation, type Guardrail, maxSeverity } from "./guardrails.ts";
import { REDACTED, redactAt, redactStrings } from "./redact.ts";
import { judgeChange, severityScore } from "./rules.ts";
import { type SeverityReason, severityReason } from "./severity.ts";
import type {
  AnalysisContext,
  Analyst,
  AnalyzerUsage,
  ContextChange,
  CostFigures,
  Decision,
  Environment,
  Severity,
} from "./types.ts";

/**
 * The analysis step of `react`: context ► analyzer (with the rules analyzer as fallback) ►
 * guardrails ► rectified template and revert plan ► the analysed report (DESIGN §4 `analysis.json`).
 */

/** A change with its decision (DESIGN §4 contract fields). */
export interface AnalyzedChange extends ReportChange {
  readonly decision: Decision;
  readonly proposed?: unknown;
  readonly confidence: number;
  readonly severity: Severity;
  /** Why the severity: security, data safety, cost or environment, with the evidence (issue 12). */
  readonly severityReason?: SeverityReason;
  readonly reasoning: string;
  readonly costDelta: { readonly monthlyUsd: number | null };
  readonly cost: CostFigures & {
    readonly rectifiedMonthlyUsd?: number | null;
    readonly percent?: number | null;
  };
  readonly guardrail?: Guardrail;
  /** Set when Phantom could not write the decision itself: what a person must edit. */
  readonly manual?: string;
}

export interface AnalyzedReport extends Omit<WindowReport, "changes"> {
  readonly environment: Environment;
  readonly changes: readonly AnalyzedChange[];
  readonly severity: Severity | null;
  /** 1–10, for metrics. */
  readonly severityScore: number | null;
  readonly costDelta: {
    readonly currentMonthlyUsd: number | null;
    readonly rectifiedMonthlyUsd: number | null;
    readonly deltaMonthlyUsd: number | null;
    readonly safeMonthlyUsd: number | null;
    readonly percent: number | null;
    readonly unpriced: readonly string[];
  };
  readonly analyzer: AnalyzerUsage;
  readonly rectified?: {
    readonly path?: string;
    readonly changed: boolean;
    readonly applied: number;
    readonly manual: readonly string[];
    readonly issues: readonly string[];
  };
  readonly revertPlan?: {
    readonly command: string;
    readonly changeSetName: string;
    readonly notes: readonly string[];
  };
}

/** Files the analysis produced for the pull request. */
export interface AnalysisArtifacts {
  readonly template?: { readonly path: string; readonly text: string; readonly changed: boolean };
  readonly parameters?: { readonly path: string; readonly text: string };
  readonly revert?: RectifyResult["revert"];
}

export interface AnalyzePorts {
  readonly analyst: Analyst;
  /** Answers when `analyst` throws; normally the rules analyzer. */
  readonly fallback: Analyst;
  readonly environment: Environment;
  readonly region: string;
  readonly signals: SignalsReport;
  readonly template?: { readonly text: string; readonly path: string; readonly format?: "yaml" | "json" };
  readonly parameters?: { readonly text: string; readonly path: string };
}

const SIZED: Readonly<Record<string, string>> = {
  "AWS::EC2::Instance": "/InstanceType",
  "AWS::RDS::DBInstance": "/DBInstanceClass",
  "AWS::ElastiCache::CacheCluster": "/CacheNodeType",
  "AWS::ElastiCache::ReplicationGroup": "/CacheNodeType",
};

function asProperties(value: unknown): Properties | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Properties) : null;
}

function priceChange(
  change: ReportChange,
  drift: ResourceDrift | undefined,
  region: string,
  rectifiedValue?: { value: unknown } | "safe",
) {
  const safe = asProperties(drift?.expectedProperties) ?? {};
  const deleted = change.propertyPath === "" && change.differenceType === "REMOVE";
  const apply = (value: unknown) =>
    change.propertyPath === ""
      ? asProperties(value)
      : withProperty(safe, change.propertyPath, value ?? undefined);
  const live = deleted ? null : apply(change.actual);
  const rectified =
    rectifiedValue === undefined ? undefined : rectifiedValue === "safe" ? safe : apply(rectifiedValue.value);
  const sizedPath = SIZED[change.resourceType];
  return costFigures({
    resourceType: change.resourceType,
    region,
    safeProperties: safe,
    liveProperties: live,
    ...(rectified === undefined ? {} : { rectifiedProperties: rectified }),
    ...(sizedPath !== undefined && sizedPath === change.propertyPath
      ? { candidates: sizedPath.slice(1) }
      : {}),
  });
}

async function runAnalyst(ports: AnalyzePorts, context: AnalysisContext) {
  try {
    return await ports.analyst.analyze(context);
  } catch (error) {
    const result = await ports.fallback.analyze(context);
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return {
      ...result,
      usage: { ...result.usage, fallbackReason: `the analyzer failed (${why}); rules answered` },
    };
  }
}

/** One recommendation per change: missing ones come from the rules; a refactor without a value is a revert. */
function complete(
  context: AnalysisContext,
  recommendations: readonly GuardedRecommendation[],
): GuardedRecommendation[] {
  const byId = new Map(recommendations.map((r) => [r.changeId, r]));
  return context.changes.map((change: ContextChange) => {
    const rec = byId.get(change.id) ?? judgeChange(change, context);
    if (rec.decision === "refactor" && (rec.proposed === undefined || rec.proposed === null)) {
      return {
        ...rec,
        decision: "revert",
        reasoning: `${rec.reasoning} (No refactor value was proposed: reverting.)`,
      };
    }
    return rec;
  });
}

/**
 * A live value Phantom had to redact is a secret: legitimizing it would write it into the
 * template in Git. Such a decision becomes a revert (keep the secret in Secrets Manager or SSM and
 * reference it), whatever the analyzer said.
 */
function keepSecretsOut(
  context: AnalysisContext,
  recs: readonly GuardedRecommendation[],
): GuardedRecommendation[] {
  return recs.map((rec, i) => {
    const change = context.changes[i];
    if (
      change === undefined ||
      rec.decision !== "legitimize" ||
      !JSON.stringify(change.actual ?? null).includes(REDACTED)
    ) {
      return rec;
    }
    return {
      ...rec,
      decision: "revert",
      severity: maxSeverity(rec.severity, "high"),
      reasoning: `${rec.reasoning} The live value is a secret: it must not be written into the template; store it in Secrets Manager or SSM and reference it.`,
    };
  });
}

/**
 * Analyses one window whose drift has been checked. Never throws for analyzer failures (the rules
 * answer instead); a template the rectifier cannot edit is reported in `rectified.issues`.
 */
export async function analyzeWindow(
  report: WindowReport,
  drift: DriftReport,
  window: Window,
  ports: AnalyzePorts,
): Promise<{ report: AnalyzedReport; artifacts: AnalysisArtifacts }> {
  const driftOf = new Map(drift.resources.map((d) => [d.logicalId, d]));
  const context = buildContext({
    report,
    window,
    environment: ports.environment,
    region: ports.region,
    signals: ports.signals,
    ...(ports.template ? { template: ports.template.text } : {}),
    costOf: (change) => priceChange(change, driftOf.get(change.logicalId), ports.region),
    propertiesOf: (change) => propertiesOf(driftOf.get(change.logicalId)),
  });
  const result = await runAnalyst(ports, context);
  const guarded = keepSecretsOut(
    context,
    applyGuardrails(context.changes, complete(context, result.recommendations)),
  );

  const rectifyChanges: RectifyChange[] = report.changes.map((change, i) => {
    const rec = guarded[i];
    const d = driftOf.get(change.logicalId);
    return {
      logicalId: change.logicalId,
      propertyPath: change.propertyPath,
      differenceType: change.differenceType,
      expected: change.expected,
      actual: change.actual,
      decision: rec?.decision ?? "revert",
      ...(rec?.proposed !== undefined ? { proposed: rec.proposed } : {}),
      resourceType: change.resourceType,
      ...(d?.expectedProperties !== undefined ? { expectedProperties: d.expectedProperties } : {}),
      ...(d?.actualProperties !== undefined ? { actualProperties: d.actualProperties } : {}),
      ...(change.source ? { source: change.source } : {}),
      ...(change.attachment ? { attachment: change.attachment } : {}),
    };
  });
  const rectified =
    ports.template && rectifyChanges.length > 0
      ? rectify({
          template: {
            text: ports.template.text,
            path: ports.template.path,
            ...(ports.template.format ? { format: ports.template.format } : {}),
          },
          changes: rectifyChanges,
          ...(ports.parameters ? { parameters: ports.parameters } : {}),
          stack: { name: report.stack, region: ports.region },
        })
      : undefined;
  const manualByIndex = new Map(
    rectified?.ok ? rectified.result.manual.map((m) => [m.index, m.message]) : [],
  );

  const changes: AnalyzedChange[] = report.changes.map((change, i) => {
    const rec: GuardedRecommendation =
      guarded[i] ?? judgeChange(context.changes[i] as ContextChange, context);
    const d = driftOf.get(change.logicalId);
    const written =
      rec.decision === "revert"
        ? "safe"
        : { value: rec.decision === "refactor" ? rec.proposed : change.actual };
    const cost = priceChange(change, d, ports.region, written);
    const manual = manualByIndex.get(i);
    return {
      ...change,
      decision: rec.decision,
      ...(rec.proposed !== undefined
        ? { proposed: redactAt(change.propertyPath, rec.proposed, propertiesOf(d)) }
        : {}),
      confidence: rec.confidence,
      severity: rec.severity,
      severityReason: severityReason(context.changes[i] as ContextChange, rec, ports.environment),
      reasoning: rec.reasoning,
      costDelta: { monthlyUsd: cost.deltaMonthlyUsd },
      cost,
      ...(rec.guardrail ? { guardrail: rec.guardrail } : {}),
      ...(manual ? { manual } : {}),
      expected: context.changes[i]?.expected ?? change.expected,
      actual: context.changes[i]?.actual ?? change.actual,
    };
  });

  const totals = windowCost(
    changes.map((c) => ({
      resource: c.logicalId,
      cost: { ...c.cost, rectifiedMonthlyUsd: c.cost.rectifiedMonthlyUsd ?? null },
    })),
  );
  const priced = totals.unpriced.length < new Set(changes.map((c) => c.logicalId)).size;
  const severity = changes.reduce<Severity | null>(
    (worst, c) => (worst === null ? c.severity : maxSeverity(worst, c.severity)),
    null,
  );
  const revert = rectified?.ok ? rectified.result.revert : undefined;
  const analyzed: AnalyzedReport = {
    ...report,
    environment: ports.environment,
    changes,
    severity,
    severityScore: severity === null ? null : severityScore(severity, ports.environment),
    costDelta: {
      currentMonthlyUsd: priced ? totals.currentMonthlyUsd : null,
      rectifiedMonthlyUsd: priced ? totals.rectifiedMonthlyUsd : null,
      deltaMonthlyUsd: priced ? totals.deltaMonthlyUsd : null,
      safeMonthlyUsd: priced ? totals.safeMonthlyUsd : null,
      percent: priced ? totals.percent : null,
      unpriced: totals.unpriced,
    },
    analyzer: result.usage,
    ...(rectified
      ? {
          rectified: {
            ...(ports.template ? { path: ports.template.path } : {}),
            changed: rectified.ok ? rectified.result.changed : false,
            applied: rectified.ok ? rectified.result.applied.length : 0,
            manual: rectified.ok ? rectified.result.manual.map((m) => m.message) : [],
            issues: rectified.ok ? [] : rectified.issues.map((i) => i.message),
          },
        }
      : {}),
    ...(revert
      ? { revertPlan: { command: revert.command, changeSetName: revert.changeSetName, notes: revert.notes } }
      : {}),
  };
  const artifacts: AnalysisArtifacts = {
    ...(ports.template && rectified?.ok
      ? {
          template: {
            path: ports.template.path,
            text: rectified.result.text,
            changed: rectified.result.changed,
          },
        }
      : {}),
    ...(ports.parameters && rectified?.ok && rectified.result.parameters !== undefined
      ? { parameters: { path: ports.parameters.path, text: rectified.result.parameters } }
      : {}),
    ...(revert ? { revert } : {}),
  };
  // The last net before anything leaves: every string of the report (reasoning, notes, manual
  // items, proposals) loses what looks like a credential; values were redacted by key above.
  return { report: redactStrings(analyzed), artifacts };
}

/** A drifted resource's whole properties, template and live, for judging a value by its siblings. */
function propertiesOf(drift: ResourceDrift | undefined): unknown[] {
  return [drift?.expectedProperties, drift?.actualProperties].filter((p) => p !== undefined);
}
