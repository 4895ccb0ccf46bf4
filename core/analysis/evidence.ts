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

/**
 * `aws.rds.freeable_memory`, `FreeableMemory` ► `freeablememory`: a metric's name without
 * namespace, case or `_`, so Datadog's and CloudWatch's spellings of one metric compare equal. A
 * statistic suffix is kept (`aws.lambda.duration.p99` ► `p99`): the Datadog adapter queries the
 * catalogue's series only, so a p99 read in replay would be evidence production never has.
 */
export function metricKey(metric: string): string {
  return (metric.split(".").at(-1) ?? metric).toLowerCase().replace(/_/g, "");
}

/**
 * The metrics the sizing rules read, by `metricKey`, with the Datadog name the catalogue queries
 * (`core/signals/catalog.ts`): replay and production must both have them, so `phantom rehearse`
 * and replay agree (test/signals/catalog.test.ts checks each is catalogued).
 */
export const SIZING_METRICS = {
  cpuutilization: "aws.rds.cpuutilization",
  enginecpuutilization: "aws.elasticache.engine_cpuutilization",
  freeablememory: "aws.rds.freeable_memory",
  databaseconnections: "aws.rds.database_connections",
  databasememoryusagepercentage: "aws.elasticache.database_memory_usage_percentage",
  memoryutilization: "aws.ecs.service.memory_utilization",
  duration: "aws.lambda.duration",
} as const;

/** The figure sizing reads: after the incident when measured, else during it. */
export function sizingFigure(
  m: MetricSignal,
): { value: number; when: "post-incident" | "during the incident" } | undefined {
  if (m.after !== undefined) return { value: m.after, when: "post-incident" };
  if (m.during !== undefined) return { value: m.during, when: "during the incident" };
  return undefined;
}
