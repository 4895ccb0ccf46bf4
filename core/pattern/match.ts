/**
 * A local EventBridge pattern matcher, so replays and tests filter events exactly as the rule on the
 * default bus would. Semantics follow EventBridge's open-source matcher (aws/event-ruler, README and
 * `JsonRuleCompiler`) and the user guide:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
import { type CidrBlock, cidrContains, parseCidr, parseIp } from "./ip.ts";
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

/** A pattern EventBridge would reject (PutRule's `InvalidEventPatternException`); carries every issue. */
export class InvalidPatternError extends Error {
  override readonly name = "InvalidPatternError";
  readonly issues: readonly PatternIssue[];
  constructor(issues: readonly PatternIssue[]) {
    super(`invalid event pattern: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`);
    this.issues = issues;
  }
}

/**
 * Most sub-rules one pattern may expand to through `$or` (the product of branch counts); PutRule
 * rejects more. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export const OR_COMBINATION_LIMIT = 1000;

/** `numeric` operands must lie in this range (EventBridge user guide, "Numeric matching"). */
const NUMERIC_BOUND = 5.0e9;
const OR = "$or";
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
type Test = (value: Scalar) => boolean;
/** A compiled leaf matcher: either a presence check or a test on each leaf value. */
type LeafMatcher = { readonly exists: boolean } | { readonly test: Test };

interface Node {
  readonly leaves: ReadonlyArray<{ readonly key: string; readonly matchers: readonly LeafMatcher[] }>;
  readonly children: ReadonlyArray<{ readonly key: string; readonly node: Node }>;
  readonly ors: ReadonlyArray<readonly Node[]>;
  /** Only `{"exists": false}` matchers below: satisfied by absence alone. */
  readonly absenceOnly: boolean;
  /** Sub-rules this node expands to through `$or`. */
  readonly combinations: number;
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

class Compiler {
  readonly issues: PatternIssue[] = [];

  issue(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  node(pattern: Record<string, unknown>, path: string, insideOr: boolean): Node {
    const leaves: { key: string; matchers: LeafMatcher[] }[] = [];
    const children: { key: string; node: Node }[] = [];
    const ors: Node[][] = [];
    const keys = Object.keys(pattern);
    if (keys.length === 0) this.issue(path, "empty objects are not allowed");
    for (const key of keys) {
      const value = pattern[key];
      const here = at(path, key);
      if (key === OR) {
        const branches = this.or(value, here);
        if (branches !== undefined) ors.push(branches);
        continue;
      }
      if (insideOr && RESERVED_IN_OR.has(key)) {
        this.issue(here, `"${key}" is a reserved word and cannot be a field name inside $or`);
      }
      if (Array.isArray(value)) {
        if (value.length === 0) this.issue(here, "empty arrays are not allowed");
        const matchers = value.map((m, i) => this.matcher(m, `${here}[${i}]`));
        leaves.push({ key, matchers: matchers.filter((m): m is LeafMatcher => m !== undefined) });
      } else if (isRecord(value)) {
        children.push({ key, node: this.node(value, here, insideOr) });
      } else {
        this.issue(here, `must be an array of matchers or a nested object, not ${kindOf(value)}`);
      }
    }
    const absenceOnly =
      leaves.every((l) => l.matchers.every((m) => "exists" in m && !m.exists)) &&
      children.every((c) => c.node.absenceOnly) &&
      ors.every((branches) => branches.every((b) => b.absenceOnly));
    let combinations = 1;
    for (const child of children) combinations *= child.node.combinations;
    for (const branches of ors) combinations *= branches.reduce((sum, b) => sum + b.combinations, 0);
    return { leaves, children, ors, absenceOnly, combinations };
  }

  or(value: unknown, path: string): Node[] | undefined {
    if (!Array.isArray(value)) return this.issue(path, "$or must be an array of patterns");
    if (value.length < 2) this.issue(path, "$or needs at least 2 patterns");
    const branches: Node[] = [];
    for (const [i, branch] of value.entries()) {
      if (isRecord(branch)) branches.push(this.node(branch, `${path}[${i}]`, true));
      else this.issue(`${path}[${i}]`, `$or may only contain objects, not ${kindOf(branch)}`);
    }
    return branches;
  }

  matcher(value: unknown, path: string): LeafMatcher | undefined {
    if (typeof value === "number" && !Number.isFinite(value))
      return this.issue(path, "numbers must be finite");
    if (isScalar(value)) return { test: (v) => v === value };
    if (!isRecord(value))
      return this.issue(path, `a matcher must be a string, number, boolean, null or operator object`);
    const keys = Object.keys(value);
    const [operator] = keys;
    if (operator === undefined || keys.length !== 1) {
      return this.issue(path, `an operator object needs exactly one key, got ${keys.length}`);
    }
    const operand = value[operator];
    const here = at(path, operator);
    switch (operator) {
      case "exists":
        if (typeof operand !== "boolean") return this.issue(here, "exists takes true or false");
        return { exists: operand };
      case "prefix":
      case "suffix":
      case "equals-ignore-case":
        return this.text(operator, operand, here);
      case "wildcard": {
        if (typeof operand !== "string") return this.issue(here, "wildcard takes a string");
        const regex = this.wildcard(operand, here);
        return regex === undefined ? undefined : { test: (v) => typeof v === "string" && regex.test(v) };
      }
      case "anything-but": {
        const excluded = this.anythingBut(operand, here);
        return excluded === undefined ? undefined : { test: (v) => !excluded(v) };
      }
      case "numeric": {
        const inRange = this.numeric(operand, here);
        return inRange === undefined ? undefined : { test: (v) => typeof v === "number" && inRange(v) };
      }
      case "cidr": {
        if (typeof operand !== "string") return this.issue(here, "cidr takes a string such as 10.0.0.0/24");
        const block = parseCidr(operand);
        if (typeof block === "string") return this.issue(here, block);
        return { test: (v) => inBlock(block, v) };
      }
      default:
        return this.issue(path, `unknown operator "${operator}"`);
    }
  }

  /** `prefix`/`suffix` take a string or `{"equals-ignore-case": string}`; `equals-ignore-case` a string. */
  text(
    operator: "prefix" | "suffix" | "equals-ignore-case",
    operand: unknown,
    path: string,
  ): LeafMatcher | undefined {
    let text: unknown = operand;
    let ignoreCase = operator === "equals-ignore-case";
    if (!ignoreCase && isRecord(operand)) {
      const keys = Object.keys(operand);
      if (keys.length !== 1 || keys[0] !== "equals-ignore-case") {
        return this.issue(path, `${operator} takes a string or {"equals-ignore-case": string}`);
      }
      text = operand["equals-ignore-case"];
      ignoreCase = true;
    }
    if (typeof text !== "string") return this.issue(path, `${operator} takes a string, not ${kindOf(text)}`);
    const want = ignoreCase ? text.toLowerCase() : text;
    const compare = COMPARE[operator];
    return { test: (v) => typeof v === "string" && compare(ignoreCase ? v.toLowerCase() : v, want) };
  }

  /** Wildcard text: `*` matches any run of characters; `\*` and `\\` escape; no `**`. */
  wildcard(text: string, path: string): RegExp | undefined {
    let source = "";
    let previousStar = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charAt(i);
      if (c === "*") {
        if (previousStar) return this.issue(path, `consecutive wildcard characters in "${text}"`);
        source += "[\\s\\S]*";
        previousStar = true;
        continue;
      }
      previousStar = false;
      if (c === "\\") {
        const next = text.charAt(i + 1);
        if (next !== "*" && next !== "\\") {
          return this.issue(path, `backslash may only escape "*" or "\\" in "${text}"`);
        }
        source += escapeRegExp(next);
        i++;
      } else {
        source += escapeRegExp(c);
      }
    }
    return new RegExp(`^${source}$`);
  }

  /** Compiles the excluded set of `anything-but`; the matcher then accepts every other present value. */
  anythingBut(operand: unknown, path: string): Test | undefined {
    if (typeof operand === "string") return (v) => v === operand;
    if (typeof operand === "number") {
      if (!Number.isFinite(operand)) return this.issue(path, "numbers must be finite");
      return (v) => v === operand;
    }
    if (Array.isArray(operand)) {
      const strings = operand.every((x) => typeof x === "string");
      const numbers = operand.every((x) => typeof x === "number" && Number.isFinite(x));
      if (operand.length === 0 || !(strings || numbers)) {
        return this.issue(path, "anything-but takes a non-empty list of all strings or all numbers");
      }
      const excluded = new Set<unknown>(operand);
      return (v) => excluded.has(v);
    }
    if (!isRecord(operand)) {
      return this.issue(
        path,
        `anything-but takes a string, number, list or operator object, not ${kindOf(operand)}`,
      );
    }
    const keys = Object.keys(operand);
    const [inner] = keys;
    if (inner === undefined || keys.length !== 1) {
      return this.issue(path, "anything-but takes an operator object with exactly one key");
    }
    const innerOperand = operand[inner];
    const here = at(path, inner);
    const values = typeof innerOperand === "string" ? [innerOperand] : innerOperand;
    if (!Array.isArray(values) || values.length === 0 || !values.every((x) => typeof x === "string")) {
      return this.issue(here, `anything-but ${inner} takes a string or a non-empty list of strings`);
    }
    switch (inner) {
      case "prefix":
      case "suffix": {
        if (values.some((x) => x === ""))
          return this.issue(here, `empty ${inner} is not allowed in anything-but`);
        const compare = COMPARE[inner];
        return (v) => typeof v === "string" && values.some((x) => compare(v, x));
      }
      case "equals-ignore-case": {
        const lowered = new Set(values.map((x) => x.toLowerCase()));
        return (v) => typeof v === "string" && lowered.has(v.toLowerCase());
      }
      case "wildcard": {
        const regexes = values.map((x) => this.wildcard(x, here));
        if (regexes.some((r) => r === undefined)) return undefined;
        return (v) => typeof v === "string" && regexes.some((r) => r?.test(v));
      }
      default:
        return this.issue(here, `anything-but does not support "${inner}"`);
    }
  }

  /** `["=", n]`, `[">"|">=", n]`, `["<"|"<=", n]` or `[">"|">=", lo, "<"|"<=", hi]` with lo < hi. */
  numeric(operand: unknown, path: string): ((n: number) => boolean) | undefined {
    if (!Array.isArray(operand)) return this.issue(path, 'numeric takes an array such as [">", 0, "<=", 5]');
    const [op1, n1, op2, n2] = operand as unknown[];
    const bad = (v: unknown): boolean =>
      typeof v !== "number" || !Number.isFinite(v) || Math.abs(v) > NUMERIC_BOUND;
    const shape = operand.length === 2 || (operand.length === 4 && (op1 === ">" || op1 === ">="));
    if (!shape || typeof op1 !== "string" || !["=", ">", ">=", "<", "<="].includes(op1)) {
      return this.issue(
        path,
        `numeric expects ["=", n], [">"|">="|"<"|"<=", n] or [">"|">=", lo, "<"|"<=", hi]`,
      );
    }
    if (bad(n1) || (operand.length === 4 && bad(n2))) {
      return this.issue(
        path,
        `numeric operands must be numbers between -${NUMERIC_BOUND} and ${NUMERIC_BOUND}`,
      );
    }
    const lo = n1 as number;
    const first = bound(op1, lo);
    if (operand.length === 2) return first;
    if (op2 !== "<" && op2 !== "<=") return this.issue(path, `numeric range must close with "<" or "<="`);
    const hi = n2 as number;
    if (!(lo < hi)) return this.issue(path, `numeric range is empty: ${lo} is not below ${hi}`);
    const second = bound(op2, hi);
    return (n) => first(n) && second(n);
  }
}

const COMPARE = {
  prefix: (value: string, text: string) => value.startsWith(text),
  suffix: (value: string, text: string) => value.endsWith(text),
  "equals-ignore-case": (value: string, text: string) => value === text,
} as const;

function bound(op: string, x: number): (n: number) => boolean {
  switch (op) {
    case "=":
      return (n) => n === x;
    case ">":
      return (n) => n > x;
    case ">=":
      return (n) => n >= x;
    case "<":
      return (n) => n < x;
    default:
      return (n) => n <= x;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function inBlock(block: CidrBlock, value: Scalar): boolean {
  if (typeof value !== "string") return false;
  const address = parseIp(value);
  return address !== undefined && cidrContains(block, address);
}

function compile(pattern: unknown): { node?: Node; issues: PatternIssue[] } {
  const compiler = new Compiler();
  if (!isRecord(pattern)) {
    compiler.issue("", `a pattern must be a JSON object, not ${kindOf(pattern)}`);
    return { issues: compiler.issues };
  }
  const node = compiler.node(pattern, "", false);
  if (node.combinations > OR_COMBINATION_LIMIT) {
    compiler.issue(
      OR,
      `$or expands to ${node.combinations} combinations; EventBridge allows ${OR_COMBINATION_LIMIT}`,
    );
  }
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
  return matchers.some((m) => ("exists" in m ? m.exists === values.length > 0 : values.some(m.test)));
}

function run(node: Node, event: Record<string, unknown>): boolean {
  for (const leaf of node.leaves)
    if (!leafMatches(leaf.matchers, leafValues(field(event, leaf.key)))) return false;
  for (const child of node.children) if (!runNested(child.node, field(event, child.key))) return false;
  for (const branches of node.ors) if (!branches.some((b) => run(b, event))) return false;
  return true;
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
 * Checks a pattern the way PutRule would and reports every problem at once: non-object patterns,
 * empty objects or arrays, leaf values that are not arrays, unknown operators or malformed operands
 * (numeric grammar and ±5.0e9 range, CIDR, wildcard escapes, anything-but forms), `$or` with fewer than
 * two branches, reserved words inside `$or`, more than {@link OR_COMBINATION_LIMIT} `$or` combinations,
 * and patterns over {@link PATTERN_SIZE_LIMIT} characters.
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
 * Compiles a pattern once into a predicate over events, for filtering many events (replay).
 * Throws {@link InvalidPatternError} if the pattern is malformed; the size limit is not enforced here
 * (use {@link validatePattern} before deploying).
 */
export function patternMatcher(pattern: EventPattern): (event: unknown) => boolean {
  const { node, issues } = compile(pattern);
  if (node === undefined || issues.length > 0) throw new InvalidPatternError(issues);
  return (event) => isRecord(event) && run(node, event);
}

/**
 * True when EventBridge would deliver `event` to a rule with `pattern`.
 *
 * - Every field in the pattern must match (AND); the matchers in one field's array are ORed; fields the
 *   pattern does not name are ignored. `$or` (any level) needs one of its sub-patterns to match.
 * - An event array matches when any of its values matches (intersection); arrays of objects are
 *   "crushed", and fields of one nested pattern must match within the same array element.
 * - A missing field (or an object, or an empty array, where a leaf is expected) fails every matcher
 *   except `{"exists": false}`; `anything-but` never matches a missing field. `[null]` matches `null`.
 * - Literals match exactly and by type, case-sensitive (`"5"` ≠ `5`); numbers compare by value only
 *   through `numeric` (JSON parsing already equates `300` and `300.0`).
 * - `prefix`, `suffix` (each also with `{"equals-ignore-case": …}`), `equals-ignore-case`, `wildcard`
 *   and `cidr` apply to strings only; `numeric` to numbers only; `anything-but` accepts every present
 *   value its inner matcher does not, including values of other types.
 *
 * Known difference from event-ruler: plain string patterns that look like IP addresses are compared as
 * text here (event-ruler compares them as addresses). Throws {@link InvalidPatternError} for a
 * malformed pattern.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export function matches(pattern: EventPattern, event: unknown): boolean {
  return patternMatcher(pattern)(event);
}
