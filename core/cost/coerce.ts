/**
 * Careful readers for CloudFormation property values. Drift results carry scalars as strings
 * (`"AllocatedStorage": "200"`, `"MultiAZ": "true"`) while templates carry numbers and booleans, and
 * an unresolved template value is an intrinsic-function object (`{"Ref": "DatabaseClass"}`). A reader
 * returns `undefined` for an absent value and a `NotLiteral` marker for a present value it cannot read,
 * so a caller can say which happened instead of guessing.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_PropertyDifference.html
 */

/** A present value that is not a literal of the expected kind (e.g. `{"Ref": ...}` or `"abc"` for a number). */
export interface NotLiteral {
  readonly notLiteral: true;
  readonly value: unknown;
}

/** Whether a reader's result is the {@link NotLiteral} marker. */
export function isNotLiteral(value: unknown): value is NotLiteral {
  return (
    typeof value === "object" && value !== null && (value as { notLiteral?: unknown }).notLiteral === true
  );
}

const notLiteral = (value: unknown): NotLiteral => ({ notLiteral: true, value });

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A finite number from a number or a numeric string (`"200"`, `" 1.5 "`); absent ► `undefined`. */
export function readNumber(value: unknown): number | NotLiteral | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? value : notLiteral(value);
  if (typeof value === "string" && NUMBER.test(value.trim())) {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : notLiteral(value);
  }
  return notLiteral(value);
}

/** A boolean from a boolean or `"true"`/`"false"` in any case; absent ► `undefined`. */
export function readBoolean(value: unknown): boolean | NotLiteral | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const text = value.trim().toLowerCase();
    if (text === "true") return true;
    if (text === "false") return false;
  }
  return notLiteral(value);
}

/** A trimmed non-empty string; absent or empty ► `undefined`. */
export function readText(value: unknown): string | NotLiteral | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value.trim() === "" ? undefined : value.trim();
  return notLiteral(value);
}

/** How a value that could not be read is described in a reason. */
export function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
