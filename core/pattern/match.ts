/**
 * A local EventBridge pattern matcher, so replays and `phantom rehearse` filter events exactly as the
 * rules on the default bus would. It implements only what `eventPatterns` (generate.ts) emits: string values,
 * `{"prefix": string}`, `{"exists": false}`, nested objects and one top-level `$or`; anything else is
 * refused, never matched by guesswork. Semantics follow EventBridge's open-source matcher
 * (aws/event-ruler, README and `JsonRuleCompiler`) and the user guide:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
import { type EventPattern, PATTERN_SIZE_LIMIT, patternSize } from "./types.ts";

/** One problem in a pattern, at a path such as `detail.eventName[2]` or `$or[1].source`. */
export interface PatternIssue {
  readonly path: string;
  readonly message: string;
}

/** Result of {@link validatePattern}: every problem at once, never just the first. */
export type PatternValidation =
  | { readonly ok: true }
  | { readonly ok: false; readonly issues: PatternIssue[] };

/** A pattern EventBridge would reject, or one using what Phantom never emits; carries every issue. */
export class InvalidPatternError extends Error {
  override readonly name = "InvalidPatternError";
  readonly issues: readonly PatternIssue[];
  constructor(issues: readonly PatternIssue[]) {
    super(`invalid event pattern: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`);
    this.issues = issues;
  }
}

const OR = "$or";
const UNUSED = "is not used by Phantom's generated patterns";
/** Field names event-ruler refuses inside `$or` branches (`Constants.RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP`). */
const RESERVED_IN_OR = new Set([
  "exactly",
  "equals-ignore-case",
  "prefix",
  "suffix",
  "anything-but",
  "exists",
  "wildcard",
  "numeric",
  "cidr",
  "=",
  "<",
  "<=",
  ">",
  ">=",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
]);

type Scalar = string | number | boolean | null;
/** A compiled leaf matcher: `{"exists": false}`, or a test on each leaf value. */
type LeafMatcher = "absent" | ((value: Scalar) => boolean);

interface Node {
  readonly leaves: ReadonlyArray<{ readonly key: string; readonly matchers: readonly LeafMatcher[] }>;
  readonly children: ReadonlyArray<{ readonly key: string; readonly node: Node }>;
  /** The top-level `$or` branches; only the root has them. */
  readonly branches: readonly Node[];
  /** Only `{"exists": false}` matchers below: satisfied by absence alone. */
  readonly absenceOnly: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return (
    value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean"
  );
}

const at = (path: string, key: string): string => (path === "" ? key : `${path}.${key}`);
const kindOf = (value: unknown): string =>
  Array.isArray(value) ? "an array" : value === null ? "null" : typeof value;

/** Where a node sits: the root may hold `$or`; field names inside a branch may not be reserved words. */
type Place = "root" | "nested" | "in-or";

class Compiler {
  readonly issues: PatternIssue[] = [];

  issue(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  node(pattern: Record<string, unknown>, path: string, place: Place): Node {
    const leaves: { key: string; matchers: LeafMatcher[] }[] = [];
    const children: { key: string; node: Node }[] = [];
    let branches: Node[] = [];
    const keys = Object.keys(pattern);
    if (keys.length === 0) this.issue(path, "empty objects are not allowed");
    for (const key of keys) {
      const value = pattern[key];
      const here = at(path, key);
      if (key === OR) {
        if (place === "root") branches = this.or(value, here);
        else this.issue(here, `"$or" below the top level ${UNUSED}`);
        continue;
      }
      if (place === "in-or" && RESERVED_IN_OR.has(key)) {
        this.issue(here, `"${key}" is a reserved word and cannot be a field name inside $or`);
      }
      if (Array.isArray(value)) {
        if (value.length === 0) this.issue(here, "empty arrays are not allowed");
        const matchers = value.map((m, i) => this.matcher(m, `${here}[${i}]`));
        leaves.push({ key, matchers: matchers.filter((m): m is LeafMatcher => m !== undefined) });
      } else if (isRecord(value)) {
        children.push({ key, node: this.node(value, here, place === "root" ? "nested" : place) });
      } else {
        this.issue(here, `must be an array of matchers or a nested object, not ${kindOf(value)}`);
      }
    }
    const absenceOnly =
      leaves.every((l) => l.matchers.every((m) => m === "absent")) &&
      children.every((c) => c.node.absenceOnly);
    return { leaves, children, branches, absenceOnly };
  }

  or(value: unknown, path: string): Node[] {
    if (!Array.isArray(value)) return this.issue(path, "$or must be an array of patterns") ?? [];
    if (value.length < 2) this.issue(path, "$or needs at least 2 patterns");
    const branches: Node[] = [];
    for (const [i, branch] of value.entries()) {
      if (isRecord(branch)) branches.push(this.node(branch, `${path}[${i}]`, "in-or"));
      else this.issue(`${path}[${i}]`, `$or may only contain objects, not ${kindOf(branch)}`);
    }
    return branches;
  }

  /** A string (exact, case- and type-sensitive), `{"prefix": string}` or `{"exists": false}`. */
  matcher(value: unknown, path: string): LeafMatcher | undefined {
    if (typeof value === "string") return (v) => v === value;
    if (isScalar(value)) return this.issue(path, `a ${kindOf(value)} value ${UNUSED}; match strings`);
    if (!isRecord(value)) return this.issue(path, `a matcher must be a string or an operator object`);
    const keys = Object.keys(value);
    const [operator] = keys;
    if (operator === undefined || keys.length !== 1) {
      return this.issue(path, `an operator object needs exactly one key, got ${keys.length}`);
    }
    const operand = value[operator];
    const here = at(path, operator);
    switch (operator) {
      case "exists":
        if (operand === false) return "absent";
        if (operand === true) return this.issue(here, `{"exists": true} ${UNUSED}; only {"exists": false}`);
        return this.issue(here, "exists takes true or false");
      case "prefix":
        if (typeof operand === "string") return (v) => typeof v === "string" && v.startsWith(operand);
        if (isRecord(operand) && "equals-ignore-case" in operand) {
          return this.issue(here, `prefix with "equals-ignore-case" ${UNUSED}`);
        }
        return this.issue(here, `prefix takes a string, not ${kindOf(operand)}`);
      default:
        return this.issue(path, `operator "${operator}" ${UNUSED}`);
    }
  }
}

function compile(pattern: unknown): { node?: Node; issues: PatternIssue[] } {
  const compiler = new Compiler();
  if (!isRecord(pattern)) {
    compiler.issue("", `a pattern must be a JSON object, not ${kindOf(pattern)}`);
    return { issues: compiler.issues };
  }
  const node = compiler.node(pattern, "", "root");
  return { node, issues: compiler.issues };
}

/** Leaf values at a field: scalars, with arrays (of arrays) flattened; objects are not leaves. */
function leafValues(value: unknown, into: Scalar[] = []): Scalar[] {
  if (Array.isArray(value)) for (const element of value) leafValues(element, into);
  else if (isScalar(value)) into.push(value);
  return into;
}

/** Objects at a field, with arrays (of arrays) "crushed" into their object elements. */
function objectsIn(value: unknown, into: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) for (const element of value) objectsIn(element, into);
  else if (isRecord(value)) into.push(value);
  return into;
}

function field(event: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(event, key) ? event[key] : undefined;
}

function leafMatches(matchers: readonly LeafMatcher[], values: readonly Scalar[]): boolean {
  return matchers.some((m) => (m === "absent" ? values.length === 0 : values.some(m)));
}

function run(node: Node, event: Record<string, unknown>): boolean {
  for (const leaf of node.leaves)
    if (!leafMatches(leaf.matchers, leafValues(field(event, leaf.key)))) return false;
  for (const child of node.children) if (!runNested(child.node, field(event, child.key))) return false;
  return node.branches.length === 0 || node.branches.some((b) => run(b, event));
}

/**
 * A nested pattern against the event value at its field. No object there: every field below is
 * absent. An array of objects: array-consistent, i.e. one element must satisfy the whole nested
 * pattern; but a nested pattern of absences only holds when no element carries those fields.
 */
function runNested(node: Node, value: unknown): boolean {
  const objects = objectsIn(value);
  if (objects.length === 0) return run(node, {});
  return node.absenceOnly ? objects.every((o) => run(node, o)) : objects.some((o) => run(node, o));
}

/**
 * Checks a pattern the way PutRule would, for the constructs Phantom emits, and reports every problem
 * at once: non-object patterns, empty objects or arrays, leaf values that are not arrays, malformed
 * `prefix`/`exists` operands, `$or` with fewer than two branches or reserved words inside it, and
 * patterns over {@link PATTERN_SIZE_LIMIT} characters. Operators, literals and `$or` placements that
 * `eventPatterns` never emits are refused by name, although EventBridge would accept them.
 *
 * EventBridge also caps `$or` at 1000 combinations. With one top-level `$or` those are its branches,
 * each at least 10 characters with its comma (`{"":[""]},`), so the size limit already caps them at 203.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 */
export function validatePattern(pattern: unknown): PatternValidation {
  const { issues } = compile(pattern);
  if (isRecord(pattern)) {
    const size = patternSize(pattern as EventPattern);
    if (size > PATTERN_SIZE_LIMIT) {
      issues.push({
        path: "",
        message: `pattern is ${size} characters; EventBridge allows ${PATTERN_SIZE_LIMIT}`,
      });
    }
  }
  return issues.length === 0 ? { ok: true } : { ok: false, issues };
}

/**
 * Compiles a pattern once into a predicate that is true when EventBridge would deliver the event to a
 * rule with that pattern.
 *
 * - Every field in the pattern must match (AND); the matchers in one field's array are ORed; fields the
 *   pattern does not name are ignored. The top-level `$or` needs one of its sub-patterns to match.
 * - An event array matches when any of its values matches (intersection); arrays of objects are
 *   "crushed", and fields of one nested pattern must match within the same array element.
 * - A missing field (or an object, or an empty array, where a leaf is expected) fails every matcher
 *   except `{"exists": false}`, which holds only when no value is there.
 * - Strings match exactly, case- and type-sensitive (`"5"` ≠ `5`); `prefix` applies to strings only.
 *
 * Known difference from event-ruler: string patterns that look like IP addresses are compared as text
 * here (event-ruler compares them as addresses); no generated pattern holds one.
 * Throws {@link InvalidPatternError} for a malformed pattern or one using what Phantom never emits; the
 * size limit is not enforced here (see {@link validatePattern}).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export function patternMatcher(pattern: EventPattern): (event: unknown) => boolean {
  const { node, issues } = compile(pattern);
  if (node === undefined || issues.length > 0) throw new InvalidPatternError(issues);
  return (event) => isRecord(event) && run(node, event);
}
