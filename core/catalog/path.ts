/**
 * Case-insensitive path lookup into CloudTrail payloads, as used by catalog entries.
 * `a.b[].c` walks every element of `b` (an array, or an EC2 `{items: [...]}` wrapper);
 * `x|y` tries alternatives left to right and returns the first that yields strings.
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function child(value: unknown, key: string): unknown {
  if (!isObject(value)) return undefined;
  if (Object.hasOwn(value, key)) return value[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(value)) if (k.toLowerCase() === lower) return value[k];
  return undefined;
}

function elements(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  const items = child(value, "items");
  if (Array.isArray(items)) return items;
  return value === undefined || value === null ? [] : [value];
}

function walk(roots: unknown[], path: string): unknown[] {
  let current = roots;
  for (const rawSegment of path.split(".")) {
    const spread = rawSegment.endsWith("[]");
    const segment = spread ? rawSegment.slice(0, -2) : rawSegment;
    const next: unknown[] = [];
    for (const value of current) {
      const found = segment === "" ? value : child(value, segment);
      if (spread) next.push(...elements(found));
      else if (found !== undefined && found !== null) next.push(found);
    }
    current = next;
  }
  return current;
}

/** Non-empty string (or number) values at `path` under `root`; the first alternative that yields any wins. */
export function stringsAt(root: unknown, path: string): string[] {
  for (const alternative of path.split("|")) {
    const values = walk([root], alternative.trim())
      .filter((v): v is string | number => typeof v === "string" || typeof v === "number")
      .map(String)
      .filter((v) => v.trim() !== "");
    if (values.length > 0) return values;
  }
  return [];
}

/** Scalar values (strings, numbers, booleans) at `path` under `root`, first yielding alternative wins. */
export function valuesAt(root: unknown, path: string): (string | number | boolean)[] {
  for (const alternative of path.split("|")) {
    const values = walk([root], alternative.trim()).filter(
      (v): v is string | number | boolean =>
        typeof v === "string" || typeof v === "number" || typeof v === "boolean",
    );
    if (values.length > 0) return values;
  }
  return [];
}

const QUALIFIED = /^(requestParameters|responseElements|additionalEventData|resources\[\])[.|]?/;

/** A condition's field as a path from the record: relative to `requestParameters` unless qualified. */
export function qualifiedField(field: string): string {
  return QUALIFIED.test(field) ? field : `requestParameters.${field}`;
}

/** Whether the record's field holds one of the values (compared as text, case-insensitively). */
export function fieldMatches(
  record: unknown,
  condition: { readonly field: string; readonly is: readonly (string | number | boolean)[] },
): boolean {
  const wanted = new Set(condition.is.map((v) => String(v).toLowerCase()));
  return valuesAt(record, qualifiedField(condition.field)).some((v) => wanted.has(String(v).toLowerCase()));
}
