import type { ResourceDrift } from "../drift/types.ts";
import type { DecisionRow } from "./schema.ts";
import type { RectifyChange, RectifyIssue } from "./types.ts";

/**
 * Joins decisions with the drift results they decide on: each decision names a drifted property by
 * logical id and property path, and the drift result gives its difference type, its expected and live
 * values, and the resource's Expected/ActualProperties (which tell which tag an index means).
 */
export type JoinResult =
  | { readonly ok: true; readonly changes: RectifyChange[] }
  | { readonly ok: false; readonly issues: RectifyIssue[] };

/**
 * One change per decision. A decision whose property no drift result reports is an issue, unless the
 * decision carries its own difference (an `analysis.json` row does).
 */
export function joinDecisions(rows: readonly DecisionRow[], drifts: readonly ResourceDrift[]): JoinResult {
  const issues: RectifyIssue[] = [];
  const changes: RectifyChange[] = [];
  rows.forEach((row, index) => {
    const drift = drifts.find((d) => d.logicalId === row.logicalId);
    const difference = drift?.differences.find((d) => d.path === row.propertyPath);
    const deleted = drift?.status === "DELETED" && row.propertyPath === "";
    const base = {
      logicalId: row.logicalId,
      propertyPath: row.propertyPath,
      decision: row.decision,
      ...(row.proposed !== undefined ? { proposed: row.proposed } : {}),
      ...((row.resourceType ?? drift?.type) ? { resourceType: row.resourceType ?? drift?.type } : {}),
      ...(drift?.expectedProperties !== undefined ? { expectedProperties: drift.expectedProperties } : {}),
      ...(drift?.actualProperties !== undefined ? { actualProperties: drift.actualProperties } : {}),
    };
    if (difference) {
      changes.push({
        ...base,
        differenceType: difference.type,
        expected: difference.expected,
        actual: difference.actual,
      });
    } else if (deleted) {
      changes.push({
        ...base,
        differenceType: "REMOVE",
        expected: drift?.expectedProperties ?? null,
        actual: null,
      });
    } else if (row.differenceType !== undefined) {
      changes.push({
        ...base,
        differenceType: row.differenceType,
        expected: row.expected,
        actual: row.actual,
      });
    } else {
      const known = drift?.differences.map((d) => d.path) ?? [];
      issues.push({
        index,
        logicalId: row.logicalId,
        propertyPath: row.propertyPath,
        message: drift
          ? `the drift results report no difference at this path for ${row.logicalId}${known.length > 0 ? ` (they report ${known.join(", ")})` : ` (status ${drift.status})`}`
          : `the drift results have no resource ${row.logicalId}`,
      });
    }
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, changes };
}
