import type { ReportChange, WindowReport } from "../report/analysis.ts";
import type { SignalsReport } from "../signals/types.ts";
import { templateFragments } from "../template/fragments.ts";
import type { Window } from "../window/types.ts";
import { redact, redactAt, redactString, redactText } from "./redact.ts";
import type { AnalysisContext, ContextChange, CostFigures, Environment } from "./types.ts";

export const UNPRICED: CostFigures = { safeMonthlyUsd: null, currentMonthlyUsd: null, deltaMonthlyUsd: null };

export interface ContextInputs {
  readonly report: WindowReport;
  readonly window: Window;
  readonly environment: Environment;
  readonly region?: string;
  /** The safe-state template's text, when known. */
  readonly template?: string;
  readonly signals: SignalsReport;
  /** Prices a change; unpriced when absent. */
  readonly costOf?: (change: ReportChange) => CostFigures;
  /**
   * The changed resource's whole properties (template and live, as drift gives them): a `Value` is
   * judged by its sibling name there (`{Key: db_pwd, Value}`, an SSM parameter's `Name`).
   */
  readonly propertiesOf?: (change: ReportChange) => readonly unknown[];
}

/**
 * What the analyzer needs of a change's cost: the figures, the basis only when something is unpriced
 * (it says why), and the candidate sizes nearest the live one. Repeating a priced basis per change
 * costs tokens and says nothing the figures do not.
 */
function compactCost(cost: CostFigures): CostFigures {
  const unpriced = cost.safeMonthlyUsd === null || cost.currentMonthlyUsd === null;
  const figures: CostFigures = {
    safeMonthlyUsd: cost.safeMonthlyUsd,
    currentMonthlyUsd: cost.currentMonthlyUsd,
    deltaMonthlyUsd: cost.deltaMonthlyUsd,
    ...(unpriced && cost.basis ? { basis: cost.basis } : {}),
    ...(cost.candidates && cost.candidates.length > 0 ? { candidates: cost.candidates.slice(0, 8) } : {}),
  };
  return figures;
}

/** `AppServer/InstanceType`-style ids, unique within the window. */
export function changeIds(changes: readonly Pick<ReportChange, "logicalId" | "propertyPath">[]): string[] {
  const seen = new Map<string, number>();
  return changes.map((c) => {
    const base = `${c.logicalId}${c.propertyPath}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

const hhmmss = (iso: string) => `${iso.slice(11, 19)}Z`;

/**
 * Assembles the compact, serialisable context one analysis call sees: the drift facts (redacted),
 * who changed what and when, only the template fragments that matter, the signals around the window,
 * costs, and the environment. Console-set values stay data: they are JSON values here, and the
 * prompt renders them as quoted data.
 */
export function buildContext(inputs: ContextInputs): AnalysisContext {
  const { report, window } = inputs;
  const ids = changeIds(report.changes);
  const changes: ContextChange[] = report.changes.map((c, i) => {
    const properties = inputs.propertiesOf?.(c) ?? [];
    return {
      id: ids[i] ?? `${c.logicalId}${c.propertyPath}`,
      logicalId: c.logicalId,
      ...(c.physicalId ? { physicalId: c.physicalId } : {}),
      resourceType: c.resourceType,
      propertyPath: c.propertyPath,
      differenceType: c.differenceType,
      expected: redactAt(c.propertyPath, c.expected, properties),
      actual: redactAt(c.propertyPath, c.actual, properties),
      cost: compactCost(inputs.costOf?.(c) ?? UNPRICED),
      actors: c.actors.flatMap((a) =>
        a.events.map((e) =>
          redactString(`${a.name}${a.console ? " (console)" : ""} ${e.eventName} ${hhmmss(e.eventTime)}`),
        ),
      ),
    };
  });
  const timeline = window.events.map((e) =>
    redactString(
      `${hhmmss(e.eventTime)} ${e.actor.name}${e.actor.console ? " (console)" : ""} ${e.eventName} ${e.resources
        .map((r) => r.logicalId)
        .join(",")}`,
    ),
  );
  const drifted = [...new Set(report.changes.map((c) => c.logicalId))];
  return {
    stack: report.stack,
    environment: inputs.environment,
    ...(inputs.region ? { region: inputs.region } : {}),
    window: {
      id: report.window.id,
      firstEventAt: report.window.firstEventAt,
      lastEventAt: report.window.lastEventAt,
      timeline,
    },
    changes,
    templateFragments: inputs.template ? redactText(templateFragments(inputs.template, drifted)) : "",
    signals: redact(inputs.signals) as SignalsReport,
  };
}
