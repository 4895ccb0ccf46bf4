import { matchResource } from "../signals/match.ts";
import type { MetricSignal } from "../signals/types.ts";
import type { AnalysisContext, ContextChange } from "./types.ts";

/**
 * The evidence a change is judged on, read the same way by the rules analyzer and the prompt, so
 * the model sees exactly what the rules weigh.
 */

/**
 * The metrics recorded for the change's resource, named by logical id, physical id or the Datadog
 * tag its type is scoped by (`core/signals/match.ts`, the rule replay and the Datadog adapter use).
 */
export function metricsOf(ctx: Pick<AnalysisContext, "signals">, change: ContextChange): MetricSignal[] {
  const resource = {
    logicalId: change.logicalId,
    physicalId: change.physicalId ?? "",
    type: change.resourceType,
  };
  return ctx.signals.metrics.filter((m) => matchResource(m.resource, resource) !== undefined);
}
