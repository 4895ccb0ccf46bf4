/**
 * Reading drift values, which CloudFormation reports as strings (`"7"`, `"false"`) as often as as
 * numbers and booleans. Shared by the rules analyzer and the guardrails so both read them alike.
 */

/** A finite number, or a numeric string; `undefined` otherwise. */
export function asNumber(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

/** A boolean, or `"true"` / `"false"`; `undefined` otherwise. */
export function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  return undefined;
}
