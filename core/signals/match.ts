import { METRIC_CATALOG, tagValue } from "./catalog.ts";
import type { SignalResource } from "./types.ts";

/**
 * Which resource a recorded metric names. People and Datadog name a resource three ways: by its
 * logical id (`PaymentsDatabase`), by its physical id (`payments-prod-db`, `i-0c0f…`), or by the
 * tag Datadog's AWS integration scopes its metrics with (`dbinstanceidentifier:payments-prod-db`).
 * The tag key per type comes from `METRIC_CATALOG`'s `scope`, the very terms the Datadog adapter
 * queries with, so replay, the rules and production cannot disagree on what a name means.
 * @see https://docs.datadoghq.com/getting_started/tagging/#define-tags (tags are lowercased)
 */

/** How a name matched a resource: what the reasoning can say it was recorded under. */
export type ResourceMatch = "logical-id" | "physical-id" | "tag";

/** `DBInstanceIdentifier: Payments-DB` ► `dbinstanceidentifier:payments-db`, as Datadog stores a tag. */
function tagTerm(name: string): string | undefined {
  const colon = name.indexOf(":");
  if (colon <= 0) return undefined;
  const key = name.slice(0, colon).trim().toLowerCase();
  const value = name.slice(colon + 1).trim();
  return value === "" ? undefined : `${key}:${tagValue(value)}`;
}

/** The Datadog scope terms of a resource (`dbinstanceidentifier:payments-db`); empty when unknown. */
export function scopeTerms(resource: Pick<SignalResource, "type" | "physicalId">): readonly string[] {
  const entry = Object.hasOwn(METRIC_CATALOG, resource.type) ? METRIC_CATALOG[resource.type] : undefined;
  return entry?.scope(resource.physicalId) ?? [];
}

/**
 * How `name` (a metric's `resource` as recorded) names `resource`, or `undefined` when it does not:
 * the logical id or the physical id, case-insensitively, or one of the resource type's Datadog
 * scope terms (`key:value`, the key the type's integration tags with, the value as Datadog
 * normalises it). Never by substring: `Db` does not name `PaymentsDb`.
 */
export function matchResource(
  name: string,
  resource: Pick<SignalResource, "logicalId" | "physicalId" | "type">,
): ResourceMatch | undefined {
  const wanted = name.trim().toLowerCase();
  if (wanted === "") return undefined;
  if (wanted === resource.logicalId.toLowerCase()) return "logical-id";
  if (resource.physicalId !== "" && wanted === resource.physicalId.toLowerCase()) return "physical-id";
  const term = tagTerm(name);
  if (term !== undefined && scopeTerms(resource).includes(term)) return "tag";
  return undefined;
}

/** The first of `resources` that `name` names (see `matchResource`), logical ids first. */
export function findResource<R extends Pick<SignalResource, "logicalId" | "physicalId" | "type">>(
  name: string,
  resources: readonly R[],
): R | undefined {
  for (const how of ["logical-id", "physical-id", "tag"] as const) {
    const found = resources.find((r) => matchResource(name, r) === how);
    if (found !== undefined) return found;
  }
  return undefined;
}
