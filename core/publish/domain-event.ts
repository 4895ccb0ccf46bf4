import type { AnalyzedReport } from "../analysis/analyze.ts";
import { DECISIONS, type Decision } from "../analysis/types.ts";
import type { WindowReport } from "../report/analysis.ts";

/**
 * Phantom's domain event, "Phantom Drift Analyzed": one per settled window, so other tools (chat,
 * ticketing, SIEM) can react with their own rules. Its detail is redacted by construction: names,
 * paths, decisions and figures, never property values, proposals or reasoning text.
 */

/** Source and detail-type of the event (contract: rules match on them). */
export const DRIFT_ANALYZED = {
  source: "phantom",
  detailType: "Phantom Drift Analyzed",
  /** Bumped on an incompatible change of the detail. */
  version: "1",
} as const;

/**
 * The largest EventBridge entry Phantom sends: 256 KB, the PutEvents entry limit before 2026-01-29 and still
 * what older accounts' tooling assumes (1 MB is accepted since).
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/calculate-putevents-entry-size.html
 */
export const MAX_ENTRY_BYTES = 256 * 1024;

/** Changes listed in one event at most; the rest are counted in `changesTotal`. */
export const MAX_EVENT_CHANGES = 200;

/** One change in the event: what drifted and what Phantom decided. No values (they may be secrets). */
export interface DriftAnalyzedChange {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly propertyPath: string;
  readonly differenceType: string;
  readonly decision: Decision | null;
  readonly severity: string | null;
  readonly monthlyUsd: number | null;
  /** The guardrail rule that overrode the analyzer, if one did. */
  readonly guardrail: string | null;
}

/** The `detail` of a "Phantom Drift Analyzed" event (schema in the README). */
export interface DriftAnalyzedDetail {
  readonly version: typeof DRIFT_ANALYZED.version;
  readonly stack: string;
  readonly windowId: string;
  /** `quiet` / `max-wait` for a window of events, `sweep` for the scheduled sweep. */
  readonly settledBy: string;
  readonly settledAt: string;
  readonly env: string;
  readonly severity: string | null;
  readonly decisions: Readonly<Record<Decision, number>>;
  readonly costDelta: {
    readonly currentMonthlyUsd: number | null;
    readonly rectifiedMonthlyUsd: number | null;
    readonly deltaMonthlyUsd: number | null;
  };
  readonly prUrl: string | null;
  readonly actors: readonly string[];
  readonly changesTotal: number;
  readonly changes: readonly DriftAnalyzedChange[];
}

function isAnalyzed(report: WindowReport | AnalyzedReport): report is AnalyzedReport {
  return "analyzer" in report && "severity" in report;
}

/**
 * Builds the event detail from a window report (analysed or not). Redacted by construction: it
 * carries names, paths, decisions and figures, never property values, proposals or reasoning text.
 * At most {@link MAX_EVENT_CHANGES} changes are listed (`changesTotal` counts all), which keeps the
 * entry far below {@link MAX_ENTRY_BYTES}.
 */
export function driftAnalyzedDetail(
  report: WindowReport | AnalyzedReport,
  extra: { readonly prUrl?: string } = {},
): DriftAnalyzedDetail {
  const analysed = isAnalyzed(report) ? report : undefined;
  const decisions = Object.fromEntries(DECISIONS.map((d) => [d, 0])) as Record<Decision, number>;
  const changes: DriftAnalyzedChange[] = analysed
    ? analysed.changes.map((c) => {
        decisions[c.decision] += 1;
        return {
          logicalId: c.logicalId,
          resourceType: c.resourceType,
          propertyPath: c.propertyPath,
          differenceType: c.differenceType,
          decision: c.decision,
          severity: c.severity,
          monthlyUsd: c.costDelta.monthlyUsd,
          guardrail: c.guardrail?.rule ?? null,
        };
      })
    : report.changes.map((c) => ({
        logicalId: c.logicalId,
        resourceType: c.resourceType,
        propertyPath: c.propertyPath,
        differenceType: c.differenceType,
        decision: null,
        severity: null,
        monthlyUsd: null,
        guardrail: null,
      }));
  return {
    version: DRIFT_ANALYZED.version,
    stack: report.stack,
    windowId: report.window.id,
    settledBy: report.window.settledBy,
    settledAt: report.window.settledAt,
    env: analysed?.environment ?? "unknown",
    severity: analysed?.severity ?? null,
    decisions,
    costDelta: {
      currentMonthlyUsd: analysed?.costDelta.currentMonthlyUsd ?? null,
      rectifiedMonthlyUsd: analysed?.costDelta.rectifiedMonthlyUsd ?? null,
      deltaMonthlyUsd: analysed?.costDelta.deltaMonthlyUsd ?? null,
    },
    prUrl: extra.prUrl ?? null,
    actors: report.actors.map((a) => a.name),
    changesTotal: changes.length,
    changes: changes.slice(0, MAX_EVENT_CHANGES),
  };
}
