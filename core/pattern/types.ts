/**
 * EventBridge event patterns as plain JSON objects.
 *
 * A pattern mirrors the event's nesting: an object field holds a nested pattern, a leaf field holds an
 * array of matchers (a literal value or a one-key operator object such as `{"prefix": "Update"}`), and
 * `$or` holds an array of sub-patterns.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */

/** A literal value or a one-key operator object (`{"prefix": "x"}`, `{"exists": false}`, ...). */
export type PatternMatcher = string | number | boolean | null | { readonly [operator: string]: unknown };

/** One EventBridge event pattern (the JSON object given to `PutRule.EventPattern`). */
export interface EventPattern {
  readonly [field: string]: readonly PatternMatcher[] | EventPattern | readonly EventPattern[];
}

/**
 * Largest event pattern EventBridge accepts, in characters ("Event pattern size: 2048", quota not
 * adjustable). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 */
export const PATTERN_SIZE_LIMIT = 2048;

/**
 * The size EventBridge counts for a pattern: characters of its compact JSON text. Send patterns as
 * `JSON.stringify(pattern)` (no indentation), or whitespace counts against the limit too.
 */
export function patternSize(pattern: EventPattern): number {
  return JSON.stringify(pattern).length;
}
