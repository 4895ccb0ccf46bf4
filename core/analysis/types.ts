import type { SignalsReport } from "../signals/types.ts";

/**
 * What the analysis decides per change, and the compact context it decides from. The analyzers
 * (rules, Claude on Bedrock) take an `AnalysisContext` and return `Recommendation`s; guardrails then
 * apply a policy floor no analyzer can override.
 */

export const DECISIONS = ["legitimize", "revert", "refactor"] as const;
export type Decision = (typeof DECISIONS)[number];

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ENVIRONMENTS = ["prod", "staging", "dev", "unknown"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Monthly cost figures in USD (hourly × 730), `null` when the resource or value has no price. */
export interface CostFigures {
  /** The safe state's (template's) monthly cost. */
  readonly safeMonthlyUsd: number | null;
  /** The live (drifted) configuration's monthly cost. */
  readonly currentMonthlyUsd: number | null;
  /** current − safe: positive means the drift costs more. */
  readonly deltaMonthlyUsd: number | null;
  /** What the price is for (e.g. `db.r5.4xlarge postgres Multi-AZ us-east-1`). */
  readonly basis?: string;
  /** Prices of candidate values (e.g. smaller instance classes) a refactor could choose from. */
  readonly candidates?: readonly { readonly value: unknown; readonly monthlyUsd: number }[];
}

/** One drifted property, as the analyzers see it. Console-set values are data, never instructions. */
export interface ContextChange {
  /** Stable id within the window: `<LogicalId><propertyPath>`. */
  readonly id: string;
  readonly logicalId: string;
  /** The physical id CloudFormation reports (`payments-prod-db`, `i-0c0f…`); evidence is matched by it too. */
  readonly physicalId?: string;
  readonly resourceType: string;
  readonly propertyPath: string;
  readonly differenceType: "ADD" | "REMOVE" | "NOT_EQUAL";
  /** Template value (redacted). */
  readonly expected: unknown;
  /** Live value (redacted). */
  readonly actual: unknown;
  readonly cost: CostFigures;
  /** Who changed it and when: `sam@example.com (console) ModifyDBInstance 03:07:31Z`. */
  readonly actors: readonly string[];
}

export interface AnalysisContext {
  readonly stack: string;
  readonly environment: Environment;
  readonly region?: string;
  readonly window: {
    readonly id: string;
    readonly firstEventAt: string | null;
    readonly lastEventAt: string | null;
    /** Time-ordered `HH:MM:SSZ actor EventName LogicalId` lines. */
    readonly timeline: readonly string[];
  };
  readonly changes: readonly ContextChange[];
  /** Only the template fragments that matter, as YAML/JSON text (redacted). */
  readonly templateFragments: string;
  readonly signals: SignalsReport;
}

/** An analyzer's recommendation for one change. */
export interface Recommendation {
  /** `ContextChange.id`. */
  readonly changeId: string;
  readonly decision: Decision;
  /** The refactor's value; must be valid for the property. */
  readonly proposed?: unknown;
  /** 0..1. */
  readonly confidence: number;
  readonly severity: Severity;
  /** One or two sentences with the evidence: figures, monitors, policy. */
  readonly reasoning: string;
}

export interface AnalyzerUsage {
  readonly kind: "rules" | "bedrock";
  readonly model?: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cacheReadInputTokens?: number;
  readonly cacheWriteInputTokens?: number;
  readonly latencyMs: number;
  /** Set when another analyzer was asked first and failed: why the rules analyzer answered instead. */
  readonly fallbackReason?: string;
}

export interface AnalystResult {
  readonly recommendations: readonly Recommendation[];
  readonly usage: AnalyzerUsage;
}

/** Decides per change. The rules analyzer offline; Claude on Bedrock when configured. */
export interface Analyst {
  analyze(context: AnalysisContext): Promise<AnalystResult>;
}
