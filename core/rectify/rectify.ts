import { DIFFERENCE_TYPES } from "../drift/types.ts";
import { secretPaths } from "../secrets.ts";
import { DocumentError, type EditableDocument, type TextEdit } from "./document.ts";
import { openJson } from "./json-document.ts";
import { parameterFileEntry, parameterRejects, parameterText, parameterUses } from "./parameters.ts";
import { indexOf, parsePointer, valueAt } from "./pointer.ts";
import { type ResolveContext, type Resolved, resolvedMatches, resolveTemplateValue } from "./resolve.ts";
import { requiredCapabilities, revertPlan } from "./revert-plan.ts";
import {
  newRuleResource,
  type RuleList,
  referencesTo,
  ruleListOf,
  rulesDeclaring,
  separateRules,
} from "./separate-rules.ts";
import {
  compatible,
  formatPath,
  type IntrinsicNode,
  intrinsicsIn,
  isLiteral,
  isRecord,
  lineOf,
  type MapEntry,
  type MapNode,
  type NodePath,
  nodeAt,
  plainOf,
  type ScalarNode,
  type ScalarValue,
  type Segment,
  type SeqNode,
  sameValue,
  type TemplateNode,
} from "./tree.ts";
import {
  type AppliedChange,
  type AppliedEdit,
  DECISIONS,
  type EditTarget,
  type ManualChange,
  type RectifyChange,
  type RectifyInput,
  type RectifyIssue,
  type RectifyOutcome,
  type RevertedChange,
} from "./types.ts";
import { openYaml } from "./yaml-document.ts";

/**
 * The manual item for a value that holds a secret: which property, and how to set it without its
 * value in Git. The value itself is never shown.
 */
function secretManual(change: RectifyChange, paths: readonly string[]): string {
  const where = paths.length === 1 && paths[0] === change.propertyPath ? "" : ` (at ${paths.join(", ")})`;
  const goal = change.decision === "legitimize" ? "keep the live value" : "take the proposed value";
  return `${change.logicalId} ${change.propertyPath || "(whole resource)"}: the value holds a secret${where}, so Phantom does not write it into the template. If this stack should ${goal}, declare it without the value: a NoEcho parameter set at deploy time, or a dynamic reference such as {{resolve:secretsmanager:<secret-id>:SecretString:<json-key>}} or {{resolve:ssm-secure:<parameter-name>}}; rotate the secret if it was ever exposed.`;
}

/** Attachment types rectify writes as their own resources (separate-rules.ts); any other is a manual item. */
const SEPARATE_RULE_TYPES: ReadonlySet<string> = new Set([
  "AWS::EC2::SecurityGroupIngress",
  "AWS::EC2::SecurityGroupEgress",
]);

/**
 * Opens a template for editing: JSON when `format` says so, or when the text starts with `{` and
 * reads as JSON; YAML otherwise (a YAML flow mapping starts with `{` too).
 */
export function openTemplate(text: string, format?: "yaml" | "json"): EditableDocument {
  if (format === "yaml") return openYaml(text);
  if (format === "json") return openJson(text);
  if (!text.trimStart().startsWith("{")) return openYaml(text);
  const json = openJson(text);
  return json.problems.length === 0 ? json : openYaml(text);
}

/* ---------- planning: what a change does, as edits by path ---------- */

type Op =
  | { readonly kind: "set"; readonly path: NodePath; readonly value: unknown }
  | {
      readonly kind: "add";
      readonly path: NodePath;
      readonly key: string;
      readonly value: unknown;
      /** Position among the mapping's entries; after the last when absent. */
      readonly index?: number;
    }
  | { readonly kind: "append"; readonly path: NodePath; readonly value: unknown }
  | { readonly kind: "remove"; readonly path: NodePath; readonly segment: Segment }
  | { readonly kind: "parameter"; readonly name: string; readonly value: string };

interface Plan {
  readonly ops: Op[];
  readonly manual: string[];
  readonly notes: string[];
}

type Located =
  | {
      readonly kind: "node";
      readonly node: TemplateNode;
      readonly parent: MapNode | SeqNode;
      readonly segment: Segment;
      /** Found by position in a list keyed by `Key`, which drift reports in another order. */
      readonly uncertain: boolean;
    }
  | {
      readonly kind: "missing-key";
      readonly parent: MapNode;
      readonly key: string;
      /** The path's segments below the missing key (none when the key is the last one). */
      readonly rest: readonly string[];
    }
  | { readonly kind: "new-item"; readonly seq: SeqNode }
  | { readonly kind: "missing-item"; readonly what: string }
  | { readonly kind: "intrinsic"; readonly node: IntrinsicNode }
  | { readonly kind: "error"; readonly message: string };

const KEY_FIELD = "Key";

function isScalarValue(value: unknown): value is ScalarValue {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function isJsonValue(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (isRecord(value)) return Object.values(value).every(isJsonValue);
  return false;
}

/** `Key` when the list is tags-like: its mapping items all carry a `Key` (CloudFormation tags). */
function keyedBy(seq: SeqNode): string | undefined {
  const maps = seq.items.filter((i): i is MapNode => i.kind === "map");
  return maps.length > 0 && maps.every((m) => m.entries.some((e) => e.key === KEY_FIELD))
    ? KEY_FIELD
    : undefined;
}

/** Which item of a keyed list holds a key: found, none, or why Phantom cannot tell. */
type KeyMatch =
  | { readonly kind: "found"; readonly index: number }
  | { readonly kind: "none" }
  | { readonly kind: "unsure"; readonly message: string };

/**
 * Where a new key goes in a mapping: in order when the mapping's keys are sorted (three or more, so
 * the order is no accident), else after the last entry.
 */
function insertionIndex(map: MapNode, key: string): number | undefined {
  const keys = map.entries.map((e) => e.key.toLowerCase());
  if (keys.length < 3 || keys.some((k, i) => i > 0 && (keys[i - 1] as string) >= k)) return undefined;
  const at = keys.findIndex((k) => k > key.toLowerCase());
  return at === -1 ? undefined : at;
}

/** The value a path below a missing key sets: `{SubnetIds: v}` for `/VpcConfig/SubnetIds`, `[v]` for `/List/0`. */
function nested(rest: readonly string[], value: unknown): unknown | undefined {
  let built = value;
  for (let i = rest.length - 1; i >= 0; i--) {
    const segment = rest[i] ?? "";
    const index = indexOf(segment);
    if (index === undefined) built = { [segment]: built };
    else if (index === 0) built = [built];
    else return undefined;
  }
  return built;
}

/** `Fn::GetAtt` as `["A", "B"]` whatever form it was written in (`!GetAtt A.B` reads as `"A.B"`). */
function normalIntrinsics(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalIntrinsics);
  if (!isRecord(value)) return value;
  const getAtt = value["Fn::GetAtt"];
  if (Object.keys(value).length === 1 && typeof getAtt === "string" && getAtt.includes(".")) {
    const dot = getAtt.indexOf(".");
    return { "Fn::GetAtt": [getAtt.slice(0, dot), getAtt.slice(dot + 1)] };
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalIntrinsics(v)]));
}

/** The changed span of `before` in `after`: what lies outside it is byte-identical in both. */
function changedSpan(before: string, after: string): { start: number; end: number } {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let tail = 0;
  while (
    tail < max - start &&
    before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)
  ) {
    tail++;
  }
  return { start, end: before.length - tail };
}

/** The value with its keys in the order the list's existing items use, new keys last. */
function orderLike(value: unknown, seq: SeqNode): unknown {
  const model = seq.items.find((i): i is MapNode => i.kind === "map");
  if (!isRecord(value) || !model) return value;
  const order = model.entries.map((e) => e.key);
  const keys = Object.keys(value).sort((a, b) => {
    const [x, y] = [order.indexOf(a), order.indexOf(b)];
    return (x === -1 ? order.length : x) - (y === -1 ? order.length : y);
  });
  return Object.fromEntries(keys.map((k) => [k, value[k]]));
}

/** A value for messages: strings quoted, long values shortened. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function coerceLike(value: ScalarValue, node: ScalarNode): ScalarValue {
  const current = node.value;
  if (typeof current === "number" && typeof value === "string" && sameValue(Number(value), value)) {
    return Number(value);
  }
  if (typeof current === "boolean" && typeof value === "string" && /^(true|false)$/i.test(value.trim())) {
    return value.trim().toLowerCase() === "true";
  }
  if (typeof current === "string" && (typeof value === "number" || typeof value === "boolean"))
    return String(value);
  return value;
}

function decodeBase64(text: string): string | undefined {
  try {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Compares paths for removals: deepest and highest index first, so earlier removals never shift later ones. */
function removalOrder(a: NodePath, b: NodePath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i], b[i]];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return y - x;
    return String(x) < String(y) ? -1 : 1;
  }
  return b.length - a.length;
}

class EditFailure extends Error {
  override readonly name = "EditFailure";
}

/* ---------- the rectifier ---------- */

class Rectifier {
  template: EditableDocument;
  params: EditableDocument | undefined;
  readonly format: "yaml" | "json";
  readonly issues: RectifyIssue[] = [];
  readonly applied: AppliedChange[] = [];
  readonly manual: ManualChange[] = [];
  readonly reverted: RevertedChange[] = [];
  /** Parameter values written in this run: parameter ► value. */
  parameterWrites = new Map<string, string>();
  /** The deployed stack's view, for resolving expressions: the template as it came in. */
  private readonly context: ResolveContext;

  constructor(
    template: EditableDocument,
    params: EditableDocument | undefined,
    readonly changes: readonly RectifyChange[],
    stack: RectifyInput["stack"],
  ) {
    this.template = template;
    this.params = params;
    this.format = template.format;
    this.context = {
      root: template.root,
      ...(params?.root ? { parameterFile: params.root } : {}),
      ...(stack?.parameters ? { parameters: stack.parameters } : {}),
      ...(stack?.name ? { stackName: stack.name } : {}),
      ...(stack?.region ? { region: stack.region } : {}),
      ...(stack?.accountId ? { accountId: stack.accountId } : {}),
    };
  }

  private resources(): MapNode | undefined {
    const node = nodeAt(this.template.root, ["Resources"]);
    return node?.kind === "map" ? node : undefined;
  }

  private where(change: RectifyChange, node?: TemplateNode): string {
    const at = node ? ` (${formatPath(node.path)}, line ${lineOf(this.template.text, node.start)})` : "";
    return `${change.logicalId} ${change.propertyPath || "(whole resource)"}${at}`;
  }

  /**
   * A YAML error inside the span of a node Phantom is about to edit, if any. Only errors whose extent
   * is unknown count: after one, the parser's view of the rest of the resource cannot be trusted. A
   * region read leniently (a quoted string) is guarded edit by edit instead (`guardRegions`).
   */
  private problemIn(node: TemplateNode, keyStart: number): string | undefined {
    const problem = this.template.problems.find(
      (p) => p.end === undefined && p.offset >= keyStart && p.offset <= node.end,
    );
    return problem ? `line ${problem.line}: ${problem.message}` : undefined;
  }

  run(): void {
    const order = this.changes.map((_, i) => i);
    const isRemoval = (c: RectifyChange) =>
      (c.decision === "legitimize" && c.differenceType === "REMOVE") ||
      (c.decision === "refactor" && c.proposed === null);
    const lastIndex = (c: RectifyChange) =>
      indexOf(typeof c.propertyPath === "string" ? (c.propertyPath.split("/").pop() ?? "") : "") ?? -1;
    order.sort((a, b) => {
      const [x, y] = [this.changes[a], this.changes[b]];
      if (!x || !y) return 0;
      const [rx, ry] = [isRemoval(x), isRemoval(y)];
      if (rx !== ry) return rx ? 1 : -1;
      return rx ? lastIndex(y) - lastIndex(x) || a - b : a - b;
    });
    for (const index of order) {
      const change = this.changes[index];
      if (change) this.process(change, index);
    }
  }

  private issue(change: RectifyChange, index: number, message: string): void {
    this.issues.push({ index, logicalId: change.logicalId, propertyPath: change.propertyPath, message });
  }

  private validate(change: RectifyChange, index: number): string[] | undefined {
    const problems: string[] = [];
    if (typeof change.logicalId !== "string" || change.logicalId === "")
      problems.push("logicalId is missing");
    if (!(DECISIONS as readonly string[]).includes(change.decision)) {
      problems.push(`decision ${shown(change.decision)} is not one of ${DECISIONS.join(", ")}`);
    }
    if (!(DIFFERENCE_TYPES as readonly string[]).includes(change.differenceType)) {
      problems.push(
        `differenceType ${shown(change.differenceType)} is not one of ${DIFFERENCE_TYPES.join(", ")}`,
      );
    }
    const segments = typeof change.propertyPath === "string" ? parsePointer(change.propertyPath) : undefined;
    if (segments === undefined) {
      problems.push(
        `propertyPath ${shown(change.propertyPath)} is not a JSON pointer like /InstanceType or /Tags/1/Value`,
      );
    }
    if (change.decision === "refactor") {
      if (change.proposed === undefined) problems.push("a refactor needs a proposed value");
      else if (!isJsonValue(change.proposed))
        problems.push(`proposed ${String(change.proposed)} is not a JSON value`);
    }
    if (
      change.decision === "legitimize" &&
      change.differenceType !== "REMOVE" &&
      !isJsonValue(change.actual)
    ) {
      problems.push("the live (actual) value is missing or not a JSON value");
    }
    for (const p of problems) this.issue(change, index, p);
    return problems.length === 0 ? segments : undefined;
  }

  /**
   * One change, on its own: what it writes is kept only when all of it could be written. When any
   * part fails, the template and parameter file go back to where they were before this change, and
   * the change becomes a manual item with the reason; the other changes of the window go on.
   */
  private process(change: RectifyChange, index: number): void {
    const segments = this.validate(change, index);
    if (segments === undefined) return;
    const decision = change.decision;
    const manual = (message: string) =>
      this.manual.push({
        index,
        logicalId: change.logicalId,
        propertyPath: change.propertyPath,
        decision,
        message,
      });
    const resourceEntry = this.resources()?.entries.find((e) => e.key === change.logicalId);
    if (!resourceEntry) {
      const hidden = this.template.problems.some((p) => p.end === undefined)
        ? " (it may sit after a YAML error that hides the rest)"
        : "";
      manual(
        decision === "revert"
          ? `${change.logicalId} ${change.propertyPath || "(whole resource)"}: the template has no resource ${change.logicalId}${hidden}, so the revert plan cannot restore it from this template: check which template the stack was deployed from.`
          : `${change.logicalId} ${change.propertyPath || "(whole resource)"}: the template has no resource ${change.logicalId}${hidden}: add it, or the property, by hand if this stack should ${decision === "legitimize" ? "keep the live state" : "take the proposed value"}.`,
      );
      return;
    }
    if (decision === "revert") {
      this.reverted.push({
        index,
        logicalId: change.logicalId,
        propertyPath: change.propertyPath,
        ...(change.resourceType ? { resourceType: change.resourceType } : {}),
      });
      return;
    }
    const secrets = this.secretsIn(change, resourceEntry);
    if (secrets.length > 0) {
      manual(secretManual(change, secrets));
      return;
    }
    const attached = change.attachment;
    if (attached !== undefined && !SEPARATE_RULE_TYPES.has(attached.type)) {
      // Written as a property of the target, a bucket policy or a Lambda permission would make the
      // template invalid (or fight its separate resource): only security-group rules are written as
      // their own resources (separate-rules.ts).
      manual(
        `${change.logicalId} ${change.propertyPath}: ${attached.logicalId ? `declared by the separate ${attached.type} resource ${attached.logicalId}` : `declared, in a template, as a separate ${attached.type} resource`}: to ${decision} it, ${attached.logicalId ? `edit ${attached.logicalId}` : `declare a new ${attached.type} resource`} by hand; Phantom writes only security-group rules as separate resources.`,
      );
      return;
    }
    if (segments.length === 0) {
      manual(
        `${change.logicalId} was deleted outside CloudFormation: to ${decision} that, remove Resources.${change.logicalId} and every reference to it from the template by hand.`,
      );
      return;
    }
    const before = { template: this.template, params: this.params, writes: new Map(this.parameterWrites) };
    let outcome: { plan: Plan; edits: AppliedEdit[] } | string;
    try {
      outcome = this.apply(change, index, resourceEntry, segments);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome = `Phantom could not write it: ${message}`;
    }
    if (typeof outcome === "string") {
      this.template = before.template;
      this.params = before.params;
      this.parameterWrites = before.writes;
      manual(this.cannot(change, outcome));
      return;
    }
    const { plan, edits } = outcome;
    for (const m of plan.manual) manual(m);
    if (edits.length > 0 || plan.manual.length === 0) {
      this.applied.push({
        index,
        logicalId: change.logicalId,
        propertyPath: change.propertyPath,
        decision,
        edits,
        notes:
          edits.length === 0 && plan.notes.length === 0
            ? ["the template already has this value"]
            : plan.notes,
      });
    }
  }

  /**
   * Where the value a legitimize or refactor would write holds a secret (core/secrets.ts), judged with
   * the resource's properties (drift's, and the template's own, for a `Value`'s sibling name). A
   * secret is never written into a template or parameter file that goes to Git.
   */
  private secretsIn(change: RectifyChange, resourceEntry: MapEntry): string[] {
    const removal =
      (change.decision === "legitimize" && change.differenceType === "REMOVE") ||
      (change.decision === "refactor" && change.proposed === null);
    if (removal) return [];
    const value = change.decision === "legitimize" ? change.actual : change.proposed;
    const declared = nodeAt(resourceEntry.value, ["Properties"]);
    const properties = [
      change.actualProperties,
      change.expectedProperties,
      declared ? plainOf(declared) : undefined,
    ].filter((p) => p !== undefined && p !== null);
    return secretPaths(change.propertyPath, value, properties);
  }

  /** A manual item for a change Phantom could not apply: where, why, and what a person should do. */
  private cannot(change: RectifyChange, reason: string): string {
    const remove =
      (change.decision === "legitimize" && change.differenceType === "REMOVE") ||
      (change.decision === "refactor" && change.proposed === null);
    const value = change.decision === "legitimize" ? change.actual : change.proposed;
    const goal = change.decision === "legitimize" ? "keep the live state" : "take the proposed value";
    return `${change.logicalId} ${change.propertyPath}: ${reason}; ${
      remove
        ? "remove it from the template by hand"
        : `edit the template by hand so it becomes ${shown(value)}`
    } if this stack should ${goal}.`;
  }

  /** Plans and writes one change; a string is why it cannot be applied. */
  private apply(
    change: RectifyChange,
    index: number,
    resourceEntry: MapEntry,
    segments: readonly string[],
  ): { plan: Plan; edits: AppliedEdit[] } | string {
    const broken = this.problemIn(resourceEntry.value, resourceEntry.keyStart);
    if (broken) {
      return `Resources.${change.logicalId} has a YAML error (${broken}) and Phantom does not edit inside it`;
    }
    const plan =
      this.separateRulePlan(change, resourceEntry, segments) ??
      this.resourcePlan(change, index, resourceEntry, segments);
    if (typeof plan === "string") return plan;
    return { plan, edits: this.execute(plan.ops) };
  }

  /** The plan for a change on the resource's own Properties (which it may have to add). */
  private resourcePlan(
    change: RectifyChange,
    index: number,
    resourceEntry: MapEntry,
    segments: readonly string[],
  ): Plan | string {
    const properties = nodeAt(resourceEntry.value, ["Properties"]);
    if (properties) return this.plan(change, index, properties, segments);
    const remove =
      (change.decision === "legitimize" && change.differenceType === "REMOVE") ||
      (change.decision === "refactor" && change.proposed === null);
    if (remove) return { ops: [], manual: [], notes: ["the template does not set this property"] };
    if (resourceEntry.value.kind !== "map") return `Resources.${change.logicalId} is not a mapping`;
    const value = nested(segments, change.decision === "legitimize" ? change.actual : change.proposed);
    if (value === undefined)
      return `Resources.${change.logicalId} has no Properties, so it has no ${change.propertyPath}`;
    return {
      ops: [{ kind: "add", path: resourceEntry.value.path, key: "Properties", value }],
      manual: [],
      notes: [],
    };
  }

  /* ---------- security group rules declared as separate resources ---------- */

  /**
   * A change on `/SecurityGroupIngress…` or `/SecurityGroupEgress…` of a group that declares no such
   * list inline but has separate rule resources targeting it: the rule is found, edited, added or
   * removed there. Undefined when the group is not of that shape (the inline list is edited as usual).
   */
  private separateRulePlan(
    change: RectifyChange,
    resourceEntry: MapEntry,
    segments: readonly string[],
  ): Plan | string | undefined {
    const type = nodeAt(resourceEntry.value, ["Type"]);
    if (type?.kind !== "scalar" || type.value !== "AWS::EC2::SecurityGroup") return undefined;
    const list = ruleListOf(segments[0]);
    if (!list || nodeAt(resourceEntry.value, ["Properties", list]) !== undefined) return undefined;
    const group = change.logicalId;
    const rules = separateRules(this.template.root, group, list);
    if (rules.length === 0) return undefined;
    const plan: Plan = { ops: [], manual: [], notes: [] };
    const remove =
      (change.decision === "legitimize" && change.differenceType === "REMOVE") ||
      (change.decision === "refactor" && change.proposed === null);
    const value = change.decision === "legitimize" ? change.actual : change.proposed;
    const ruleIndex = segments[1] === undefined ? undefined : indexOf(segments[1]);
    if (segments.length > 1 && ruleIndex === undefined) return `/${list}/${segments[1]} is not a list index`;

    if (ruleIndex === undefined) {
      // The whole list: add the live rules no resource declares, remove the resources no live rule matches.
      const live = remove ? [] : value;
      if (!Array.isArray(live))
        return `the ${change.decision === "legitimize" ? "live" : "proposed"} ${list} is not a list`;
      const kept = new Set<string>();
      for (const item of live) {
        const declaring = rulesDeclaring(rules, item, this.context);
        if (declaring.length > 0) for (const r of declaring) kept.add(r.logicalId);
        else this.addRule(group, resourceEntry, list, item, rules, plan);
      }
      for (const rule of rules) if (!kept.has(rule.logicalId)) this.removeRule(rule, plan);
      return plan;
    }

    const live = change.differenceType === "ADD";
    const item = live
      ? segments.length === 2
        ? value
        : valueAt(change.actualProperties, [list, String(ruleIndex)])
      : segments.length === 2
        ? change.expected
        : valueAt(change.expectedProperties, [list, String(ruleIndex)]);
    if (segments.length === 2 && live) {
      if (remove) return plan;
      const declaring = rulesDeclaring(rules, item, this.context);
      if (declaring.length > 0) {
        plan.notes.push(`Resources.${declaring[0]?.logicalId} already declares this rule`);
        return plan;
      }
      this.addRule(group, resourceEntry, list, item, rules, plan);
      return plan;
    }
    const declaring =
      item === undefined ? (rules.length === 1 ? rules : []) : rulesDeclaring(rules, item, this.context);
    if (declaring.length !== 1) {
      const names = rules.map((r) => r.logicalId).join(", ");
      return declaring.length === 0
        ? `${group}'s ${list} rules are separate resources (${names}) and none of them declares ${item === undefined ? "this rule (the drift result has no ExpectedProperties to tell)" : shown(item)}`
        : `${declaring.length} of ${group}'s separate ${list} resources (${declaring.map((r) => r.logicalId).join(", ")}) could be ${shown(item)}; Phantom cannot tell which`;
    }
    const rule = declaring[0] as (typeof declaring)[number];
    if (segments.length === 2) {
      if (remove) {
        this.removeRule(rule, plan);
        return plan;
      }
      if (!isRecord(value))
        return `the ${change.decision === "legitimize" ? "live" : "proposed"} rule ${shown(value)} is not an object`;
      const target = { [rule.target.key]: plainOf(rule.target.node) };
      const expected = isRecord(change.expected) ? { ...target, ...change.expected } : undefined;
      this.reconcile(
        { ...change, logicalId: rule.logicalId, propertyPath: "" },
        rule.properties,
        { ...target, ...value },
        expected,
        plan,
      );
      plan.notes.push(`the rule is Resources.${rule.logicalId}, a separate ${list} resource of ${group}`);
      return plan;
    }
    const rest = segments.slice(2);
    const sub: RectifyChange = {
      logicalId: rule.logicalId,
      propertyPath: `/${rest.map((s) => s.replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`,
      differenceType: change.differenceType,
      expected: change.expected,
      actual: change.actual,
      decision: change.decision,
      ...(change.proposed !== undefined ? { proposed: change.proposed } : {}),
    };
    const inner = this.plan(sub, -1, rule.properties, rest);
    if (typeof inner !== "string")
      inner.notes.push(`the rule is Resources.${rule.logicalId}, a separate ${list} resource of ${group}`);
    return inner;
  }

  private addRule(
    group: string,
    resourceEntry: MapEntry,
    list: RuleList,
    item: unknown,
    rules: ReturnType<typeof separateRules>,
    plan: Plan,
  ): void {
    const resources = this.resources();
    if (!resources) return;
    const taken = new Set([
      ...resources.entries.map((e) => e.key),
      ...plan.ops.flatMap((o) => (o.kind === "add" && o.path.length === 1 ? [o.key] : [])),
    ]);
    const made = newRuleResource({
      group,
      groupResource: resourceEntry.value,
      list,
      item,
      siblings: rules,
      taken,
    });
    if ("reason" in made) {
      plan.manual.push(
        `${group} /${list}: ${made.reason}, so Phantom did not declare the live rule ${shown(item)}: add an AWS::EC2::${list} resource for it by hand if it should stay.`,
      );
      return;
    }
    const lastRule = rules[rules.length - 1];
    const after = resources.entries.findIndex((e) => e.key === lastRule?.logicalId);
    plan.ops.push({
      kind: "add",
      path: resources.path,
      key: made.logicalId,
      value: made.value,
      index: after + 1,
    });
    plan.notes.push(...made.notes);
  }

  private removeRule(rule: ReturnType<typeof separateRules>[number], plan: Plan): void {
    const root = this.template.root;
    const uses = root ? referencesTo(root, rule.logicalId) : [];
    if (uses.length > 0) {
      plan.manual.push(
        `Resources.${rule.logicalId} declares a rule that is gone live, but ${uses.join(", ")} refer${uses.length === 1 ? "s" : ""} to it: remove it and those references by hand if the rule should stay gone.`,
      );
      return;
    }
    const resources = this.resources();
    if (resources) plan.ops.push({ kind: "remove", path: resources.path, segment: rule.logicalId });
    plan.notes.push(`removes Resources.${rule.logicalId}, the separate rule resource that declared it`);
  }

  /* ---------- locating ---------- */

  private locate(properties: TemplateNode, segments: readonly string[], change: RectifyChange): Located {
    let node = properties;
    let parent: MapNode | SeqNode | undefined;
    let segment: Segment = "Properties";
    let uncertain = false;
    const pointer = (n: number) => `/${segments.slice(0, n).join("/")}`;
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i] ?? "";
      const last = i === segments.length - 1;
      if (node.kind === "intrinsic") return { kind: "intrinsic", node };
      if (node.kind === "opaque")
        return { kind: "error", message: `the template has ${node.reason} at ${formatPath(node.path)}` };
      if (node.kind === "scalar") {
        return {
          kind: "error",
          message: `the template has a single value at ${i === 0 ? "Properties" : pointer(i)}, so ${change.propertyPath} does not exist in it`,
        };
      }
      if (node.kind === "map") {
        const entry = node.entries.find((e) => e.key === s);
        if (!entry) return { kind: "missing-key", parent: node, key: s, rest: segments.slice(i + 1) };
        parent = node;
        segment = s;
        node = entry.value;
        continue;
      }
      const index = indexOf(s);
      if (index === undefined)
        return { kind: "error", message: `${pointer(i)} is a list in the template; "${s}" is not an index` };
      const pick = this.pickItem(node, index, segments.slice(0, i), last, change);
      if (pick.kind !== "found") return pick;
      parent = node;
      segment = pick.index;
      uncertain ||= pick.uncertain;
      node = node.items[pick.index] as TemplateNode;
    }
    if (!parent) return { kind: "error", message: "empty property path" };
    return { kind: "node", node, parent, segment, uncertain };
  }

  /**
   * Which item of a keyed list (tags) holds `key`. A `Key` written as an expression (`!Ref TagKey`,
   * `!Sub "${Prefix}:owner"`) is resolved first; a literal or fully resolved key wins over a pattern
   * with parts only the deployed stack knows; a key Phantom cannot resolve makes the answer unsure
   * unless another item holds the key for certain.
   */
  private findKeyed(seq: SeqNode, field: string, key: unknown): KeyMatch {
    const exact: number[] = [];
    const patterns: number[] = [];
    const unknown: string[] = [];
    seq.items.forEach((item, i) => {
      const node = nodeAt(item, [field]);
      if (!node) return;
      if (node.kind === "scalar") {
        if (sameValue(node.value, key)) exact.push(i);
        return;
      }
      const resolved: Resolved = resolveTemplateValue(node, this.context);
      if (resolved.kind === "unknown") {
        unknown.push(
          `item ${i}'s ${field} ${node.kind === "intrinsic" ? node.source : "value"} (${resolved.reason})`,
        );
      } else if (resolvedMatches(resolved, key)) (resolved.kind === "value" ? exact : patterns).push(i);
    });
    const first = exact[0] ?? (patterns.length === 1 ? patterns[0] : undefined);
    if (first !== undefined) return { kind: "found", index: first };
    if (patterns.length > 1) {
      return {
        kind: "unsure",
        message: `items ${patterns.join(", ")} could each have ${field} ${shown(key)} once deployed, and Phantom cannot tell which`,
      };
    }
    if (unknown.length > 0) {
      return {
        kind: "unsure",
        message: `no item has ${field} ${shown(key)} for certain, and Phantom cannot resolve ${unknown.join("; ")}`,
      };
    }
    return { kind: "none" };
  }

  /**
   * Which item of a template list a drift path's index means. Drift reports list indexes in the live
   * order for ADD and in the template's order otherwise, and orders tags differently from the
   * template: tags are matched by `Key`, other items by value, the index is the last resort.
   */
  private pickItem(
    seq: SeqNode,
    index: number,
    prefix: readonly string[],
    last: boolean,
    change: RectifyChange,
  ):
    | { kind: "found"; index: number; uncertain: boolean }
    | { kind: "new-item"; seq: SeqNode }
    | { kind: "missing-item"; what: string }
    | { kind: "error"; message: string } {
    const field = keyedBy(seq);
    const live = change.differenceType === "ADD";
    const ref = last
      ? live
        ? change.decision === "refactor" && change.proposed !== null
          ? change.proposed
          : change.actual
        : change.expected
      : valueAt(live ? change.actualProperties : change.expectedProperties, [...prefix, String(index)]);
    const key = field && isRecord(ref) && isScalarValue(ref[field]) ? ref[field] : undefined;
    const where = `/${prefix.join("/")}`;
    if (field && key !== undefined) {
      const match = this.findKeyed(seq, field, key);
      if (match.kind === "found") return { kind: "found", index: match.index, uncertain: false };
      // Drift reports an ADD only for a key the template's resolved list lacks.
      if (last && live) return { kind: "new-item", seq };
      if (match.kind === "unsure") return { kind: "error", message: `${where}: ${match.message}` };
      if (last && change.differenceType === "REMOVE")
        return { kind: "missing-item", what: `the item with ${field} ${shown(key)}` };
      return { kind: "error", message: `the template's ${where} has no item with ${field} ${shown(key)}` };
    }
    if (last && live) {
      const same = seq.items.findIndex((item) => isLiteral(item) && sameValue(plainOf(item), ref));
      return same === -1 ? { kind: "new-item", seq } : { kind: "found", index: same, uncertain: false };
    }
    if (last && ref !== undefined && ref !== null) {
      const candidates = seq.items.flatMap((item, i) => (compatible(item, ref) ? [i] : []));
      if (candidates.includes(index)) return { kind: "found", index, uncertain: false };
      const exact = candidates.filter((i) => isLiteral(seq.items[i] as TemplateNode));
      const chosen = exact[0] ?? (candidates.length === 1 ? candidates[0] : undefined);
      if (chosen !== undefined) return { kind: "found", index: chosen, uncertain: false };
      if (candidates.length > 1) {
        return {
          kind: "error",
          message: `${candidates.length} items of the template's ${where} could be ${shown(ref)}; Phantom cannot tell which`,
        };
      }
      if (change.differenceType === "REMOVE")
        return { kind: "missing-item", what: `an item equal to ${shown(ref)}` };
    }
    if (index < seq.items.length) return { kind: "found", index, uncertain: field !== undefined };
    return {
      kind: "error",
      message: `the template's ${where} has ${seq.items.length} item${seq.items.length === 1 ? "" : "s"}, so there is no item ${index}`,
    };
  }

  /* ---------- planning ---------- */

  private plan(
    change: RectifyChange,
    index: number,
    properties: TemplateNode,
    segments: readonly string[],
  ): Plan | string {
    const plan: Plan = { ops: [], manual: [], notes: [] };
    const remove =
      (change.decision === "legitimize" && change.differenceType === "REMOVE") ||
      (change.decision === "refactor" && change.proposed === null);
    const value = change.decision === "legitimize" ? change.actual : change.proposed;
    const located = this.locate(properties, segments, change);
    switch (located.kind) {
      case "error":
        return located.message;
      case "intrinsic":
        plan.manual.push(
          `${this.where(change, located.node)} goes through ${located.node.source}: Phantom does not edit inside intrinsic functions; ${
            remove
              ? "remove the property by hand"
              : `edit it by hand so ${change.propertyPath} becomes ${shown(value)}`
          } if this stack should keep the ${change.decision === "legitimize" ? "live" : "proposed"} state.`,
        );
        return plan;
      case "missing-item":
        if (remove) {
          plan.notes.push(`the template has no ${located.what} any more`);
          return plan;
        }
        return `the template has no ${located.what}`;
      case "missing-key": {
        if (remove) {
          plan.notes.push("the template does not set this property");
          return plan;
        }
        const missing = `/${segments.slice(0, segments.length - located.rest.length).join("/")}`;
        // Only an ADD (a property the template never declared) writes the levels above it too.
        if (located.rest.length > 0 && change.differenceType !== "ADD") {
          return `the template has no ${missing} under Resources.${change.logicalId}.Properties`;
        }
        const written = nested(located.rest, value);
        if (written === undefined) {
          return `the template has no ${missing}, and ${change.propertyPath} is not its first item`;
        }
        const index = insertionIndex(located.parent, located.key);
        plan.ops.push({
          kind: "add",
          path: located.parent.path,
          key: located.key,
          value: written,
          ...(index === undefined ? {} : { index }),
        });
        if (located.rest.length > 0)
          plan.notes.push(`adds ${located.key}, which the template did not declare`);
        return plan;
      }
      case "new-item":
        if (!remove)
          plan.ops.push({ kind: "append", path: located.seq.path, value: orderLike(value, located.seq) });
        return plan;
      case "node":
        break;
    }
    const { node, parent, segment, uncertain } = located;
    if (uncertain && change.differenceType !== "ADD" && !compatible(node, change.expected)) {
      return `the template's ${formatPath(node.path)} does not hold ${shown(change.expected)}, and without the drift result's ExpectedProperties Phantom cannot tell which item ${change.propertyPath} means`;
    }
    if (remove) {
      if (node.kind === "intrinsic") {
        plan.manual.push(
          `${this.where(change, node)} is set by ${node.source}: remove the property by hand if it should go; Phantom never deletes an intrinsic function on its own.`,
        );
        return plan;
      }
      if (parent.kind === "seq" && keyedBy(parent) && this.pairedAdd(change, index, node)) {
        plan.notes.push("an ADD of the same Key in this rectification rewrites that item in place");
        return plan;
      }
      plan.ops.push({ kind: "remove", path: parent.path, segment });
      const lost = intrinsicsIn(node);
      if (lost.length > 0) plan.notes.push(`removes ${lost.map((n) => n.source).join(", ")} with it`);
      return plan;
    }
    const expected = change.differenceType === "ADD" ? undefined : change.expected;
    this.reconcile(change, node, value, expected, plan);
    return plan;
  }

  /** A REMOVE of a keyed item whose Key another change of this run ADDs back (a changed tag value). */
  private pairedAdd(change: RectifyChange, index: number, node: TemplateNode): boolean {
    const keyNode = nodeAt(node, [KEY_FIELD]);
    const resolved = keyNode ? resolveTemplateValue(keyNode, this.context) : undefined;
    if (resolved?.kind !== "value") return false;
    const key = { value: resolved.value };
    const parentPointer = change.propertyPath.slice(0, change.propertyPath.lastIndexOf("/"));
    return this.changes.some((other, i) => {
      if (i === index || other.logicalId !== change.logicalId || other.differenceType !== "ADD") return false;
      if (other.decision === "revert") return false;
      if (other.propertyPath.slice(0, other.propertyPath.lastIndexOf("/")) !== parentPointer) return false;
      const added = other.decision === "refactor" ? other.proposed : other.actual;
      return isRecord(added) && sameValue(added[KEY_FIELD], key.value);
    });
  }

  /** Plans the smallest edits that make `node` hold `value`; `expected` is what the template resolved to. */
  private reconcile(
    change: RectifyChange,
    node: TemplateNode,
    value: unknown,
    expected: unknown,
    plan: Plan,
  ): void {
    if (expected !== undefined && sameValue(expected, value)) return;
    switch (node.kind) {
      case "intrinsic":
        if (sameValue(plainOf(node), value)) return;
        this.throughIntrinsic(change, node, value, plan);
        return;
      case "opaque":
        plan.manual.push(
          `${this.where(change, node)} is ${node.reason}: edit it by hand so it becomes ${shown(value)}.`,
        );
        return;
      case "scalar":
        if (isScalarValue(value)) {
          if (!sameValue(node.value, value))
            plan.ops.push({ kind: "set", path: node.path, value: coerceLike(value, node) });
        } else plan.ops.push({ kind: "set", path: node.path, value });
        return;
      case "map": {
        if (!isRecord(value)) {
          plan.ops.push({ kind: "set", path: node.path, value });
          return;
        }
        for (const entry of node.entries) {
          if (entry.key in value) continue;
          if (entry.value.kind === "intrinsic") {
            plan.manual.push(
              `${this.where(change, entry.value)} is set by ${entry.value.source} but absent from the ${change.decision === "legitimize" ? "live" : "proposed"} value: remove it by hand if it should go.`,
            );
            continue;
          }
          plan.ops.push({ kind: "remove", path: node.path, segment: entry.key });
        }
        for (const [key, v] of Object.entries(value)) {
          const entry = node.entries.find((e) => e.key === key);
          const sub = isRecord(expected) ? expected[key] : undefined;
          if (entry) this.reconcile(change, entry.value, v, sub, plan);
          else plan.ops.push({ kind: "add", path: node.path, key, value: v });
        }
        return;
      }
      case "seq": {
        if (!Array.isArray(value)) {
          plan.ops.push({ kind: "set", path: node.path, value });
          return;
        }
        const field = keyedBy(node);
        if (field && value.every((v) => isRecord(v) && isScalarValue(v[field]))) {
          const matched = new Set<number>();
          for (const v of value as Record<string, unknown>[]) {
            const found = this.findKeyed(node, field, v[field]);
            // A key the template's resolved list (drift's expected value) does not hold is new, even
            // when some item's key cannot be resolved here.
            const known = Array.isArray(expected) && expected.every((e) => isRecord(e) && field in e);
            const isNew =
              known && !(expected as Record<string, unknown>[]).some((e) => sameValue(e[field], v[field]));
            const match: KeyMatch = found.kind === "unsure" && isNew ? { kind: "none" } : found;
            if (match.kind === "unsure") {
              plan.manual.push(
                `${this.where(change, node)}: ${match.message}; set the item with ${field} ${shown(v[field])} to ${shown(v)} by hand.`,
              );
              continue;
            }
            if (match.kind === "none") {
              plan.ops.push({ kind: "append", path: node.path, value: orderLike(v, node) });
              continue;
            }
            const at = match.index;
            matched.add(at);
            const sub = Array.isArray(expected)
              ? expected.find((e) => isRecord(e) && sameValue(e[field], v[field]))
              : undefined;
            this.reconcile(change, node.items[at] as TemplateNode, v, sub, plan);
          }
          node.items.forEach((item, i) => {
            if (matched.has(i) || item.kind !== "map") return;
            const keyNode = nodeAt(item, [field]);
            if (
              keyNode &&
              keyNode.kind !== "scalar" &&
              resolveTemplateValue(keyNode, this.context).kind === "unknown"
            ) {
              plan.manual.push(
                `${this.where(change, item)} has ${field} ${keyNode.kind === "intrinsic" ? keyNode.source : "(not a value)"}, which Phantom cannot resolve: remove the item by hand if it is not in ${shown(value)}.`,
              );
              return;
            }
            plan.ops.push({ kind: "remove", path: node.path, segment: i });
          });
          return;
        }
        const common = Math.min(node.items.length, value.length);
        for (let i = 0; i < common; i++) {
          const sub = Array.isArray(expected) ? expected[i] : undefined;
          this.reconcile(change, node.items[i] as TemplateNode, value[i], sub, plan);
        }
        for (let i = common; i < value.length; i++) {
          plan.ops.push({ kind: "append", path: node.path, value: orderLike(value[i], node) });
        }
        for (let i = node.items.length - 1; i >= value.length; i--) {
          const item = node.items[i] as TemplateNode;
          if (item.kind === "intrinsic") {
            plan.manual.push(
              `${this.where(change, item)} is ${item.source} and the list is shorter now: remove it by hand if it should go.`,
            );
          } else plan.ops.push({ kind: "remove", path: node.path, segment: i });
        }
        return;
      }
    }
  }

  /** A value behind an intrinsic: `!Ref` to a parameter moves to the parameter; anything else is manual. */
  private throughIntrinsic(change: RectifyChange, node: IntrinsicNode, value: unknown, plan: Plan): void {
    const where = this.where(change, node);
    const wanted = change.decision === "legitimize" ? "the live value" : "the proposed value";
    if (node.fn === "Ref" && node.arg.kind === "scalar" && typeof node.arg.value === "string") {
      const name = node.arg.value;
      const parameter = nodeAt(this.template.root, ["Parameters", name]);
      if (parameter?.kind === "map") {
        this.parameterPlan(change, node, name, parameter, value, plan);
        return;
      }
      plan.manual.push(
        name.startsWith("AWS::")
          ? `${where} is ${node.source}, a pseudo parameter CloudFormation sets: it cannot hold ${shown(value)} (${wanted}); replace the reference by hand if this resource should differ.`
          : `${where} is ${node.source}, a reference to resource ${name}: change ${name}, or replace the reference with ${shown(value)} (${wanted}) by hand.`,
      );
      return;
    }
    const source = node.source;
    switch (node.fn) {
      case "Fn::If":
        plan.manual.push(
          `${where} is ${source}: edit the branch this stack takes so it yields ${shown(value)} (${wanted}); Phantom does not rewrite conditions.`,
        );
        return;
      case "Fn::Sub": {
        const through = this.subParameter(node, value);
        if (through) {
          this.parameterPlan(change, node, through.name, through.parameter, through.value, plan);
          plan.notes.push(`written through ${source}: ${through.name} is the only part of it that differs`);
          return;
        }
        plan.manual.push(
          `${where} is built by ${source}: edit the expression, or the parameters it uses, so it yields ${shown(value)} (${wanted}).`,
        );
        return;
      }
      case "Fn::Join":
        plan.manual.push(
          `${where} is built by ${source}: edit the expression, or the parameters it uses, so it yields ${shown(value)} (${wanted}).`,
        );
        return;
      case "Fn::FindInMap":
        plan.manual.push(
          `${where} is read from a mapping by ${source}: change the mapping entry it reads to ${shown(value)} (${wanted}).`,
        );
        return;
      case "Fn::GetAtt":
      case "Fn::ImportValue":
      case "Fn::GetAZs":
        plan.manual.push(
          `${where} comes from ${source}, which belongs to another resource or stack: change it there, or replace the reference with ${shown(value)} (${wanted}) by hand.`,
        );
        return;
      case "Fn::Base64": {
        const decoded =
          typeof value === "string" && node.arg.kind === "scalar" ? decodeBase64(value) : undefined;
        plan.manual.push(
          decoded === undefined
            ? `${where} is ${source}: edit the text it encodes so it yields ${shown(value)} (${wanted}).`
            : `${where} is ${source}: edit the text it encodes to ${shown(decoded)} (${wanted}, decoded from base64).`,
        );
        return;
      }
      default:
        plan.manual.push(
          `${where} is ${source}: edit it by hand so it yields ${shown(value)} (${wanted}); Phantom never overwrites an intrinsic function.`,
        );
    }
  }

  /**
   * A `!Sub "prefix-${Param}-suffix"` with one placeholder, a template parameter, whose literal text
   * the new value keeps: the value behind it is the parameter's new value (`!Sub value:${TagValue}`
   * becoming `value:x` sets TagValue to `x`). Undefined for anything else.
   */
  private subParameter(
    node: IntrinsicNode,
    value: unknown,
  ): { name: string; parameter: MapNode; value: string } | undefined {
    if (node.arg.kind !== "scalar" || typeof node.arg.value !== "string" || typeof value !== "string")
      return undefined;
    const text = node.arg.value;
    const placeholders = [...text.matchAll(/\$\{([^}]*)\}/g)];
    const only = placeholders[0];
    if (placeholders.length !== 1 || !only) return undefined;
    const name = (only[1] ?? "").trim();
    const parameter = nodeAt(this.template.root, ["Parameters", name]);
    if (parameter?.kind !== "map") return undefined;
    const [prefix, suffix] = [text.slice(0, only.index), text.slice(only.index + only[0].length)];
    if (prefix.includes("${!") || suffix.includes("${!")) return undefined;
    if (!value.startsWith(prefix) || !value.endsWith(suffix) || value.length < prefix.length + suffix.length)
      return undefined;
    return { name, parameter, value: value.slice(prefix.length, value.length - suffix.length) };
  }

  private parameterPlan(
    change: RectifyChange,
    ref: IntrinsicNode,
    name: string,
    parameter: MapNode,
    value: unknown,
    plan: Plan,
  ): void {
    const where = this.where(change, ref);
    const text = parameterText(value);
    if (text === undefined) {
      plan.manual.push(
        `${where} is !Ref ${name}, and ${shown(value)} cannot be a parameter value: edit the template by hand.`,
      );
      return;
    }
    const rejected = parameterRejects(name, parameter, text);
    if (rejected) {
      plan.manual.push(
        `${where} is !Ref ${name}, but ${rejected}, so ${shown(text)} cannot be written there: change the parameter's constraints or the template by hand.`,
      );
      return;
    }
    const earlier = this.parameterWrites.get(name);
    if (earlier !== undefined && earlier !== text) {
      plan.manual.push(
        `${where} is !Ref ${name}, which this rectification already sets to ${shown(earlier)} for another change: decide which value ${name} should have, or give this property its own parameter.`,
      );
      return;
    }
    const paramEntry = nodeAt(this.template.root, ["Parameters"]);
    const broken =
      paramEntry?.kind === "map"
        ? this.problemIn(
            parameter,
            paramEntry.entries.find((e) => e.key === name)?.keyStart ?? parameter.start,
          )
        : undefined;
    if (broken && !this.params) {
      plan.manual.push(
        `${where} is !Ref ${name}, and Parameters.${name} has a YAML error (${broken}): set its Default to ${shown(text)} by hand.`,
      );
      return;
    }
    this.parameterWrites.set(name, text);
    plan.ops.push({ kind: "parameter", name, value: text });
    const others = parameterUses(this.template.root, name).filter(
      (u) => u.path !== ref.path.map(String).join("."),
    );
    if (others.length > 0) {
      const names = [...new Set(others.map((u) => u.where))];
      plan.notes.push(`parameter ${name} is also used by ${names.join(", ")}: they get ${shown(text)} too`);
    }
    if (!this.params && !parameter.entries.some((e) => e.key === "Default")) {
      plan.notes.push(
        `parameter ${name} had no Default: if the deployment passes ${name}, change the value there`,
      );
    }
  }

  /* ---------- executing ---------- */

  private reopen(doc: EditableDocument, edit: TextEdit): EditableDocument {
    this.guardRegions(doc, edit);
    const next = doc.format === "json" ? openJson(edit.text) : openYaml(edit.text);
    if (next.problems.length > doc.problems.length) {
      const first = next.problems[0];
      throw new EditFailure(
        `the edit would make the document invalid (${first ? `line ${first.line}: ${first.message}` : "parse error"})`,
      );
    }
    return next;
  }

  /**
   * Refuses an edit that would change a byte of a region strict parsers reject (a quoted string read
   * leniently, or the point of another YAML error): Phantom never rewrites what it could not read.
   */
  private guardRegions(doc: EditableDocument, edit: TextEdit): void {
    if (doc.problems.length === 0) return;
    const span = changedSpan(doc.text, edit.text);
    const hit = doc.problems.find((p) =>
      p.end === undefined
        ? p.offset >= span.start && p.offset < span.end
        : p.offset < span.end && p.end > span.start,
    );
    if (hit) {
      throw new EditFailure(
        `the edit would rewrite line ${hit.line}, which strict YAML parsers reject, and Phantom never rewrites what it cannot read`,
      );
    }
  }

  private resolve(path: NodePath): TemplateNode {
    const node = nodeAt(this.template.root, path);
    if (!node) throw new EditFailure(`nothing at ${formatPath(path)} any more`);
    return node;
  }

  private templateTarget(path: NodePath, edit: TextEdit): EditTarget {
    return { kind: "template", path: formatPath(path), line: lineOf(edit.text, edit.offset) };
  }

  private check(path: NodePath, value: unknown): void {
    const node = nodeAt(this.template.root, path);
    if (!node || !sameValue(normalIntrinsics(plainOf(node)), normalIntrinsics(value))) {
      throw new EditFailure(`reading ${formatPath(path)} back did not give ${shown(value)}`);
    }
  }

  private execute(ops: readonly Op[]): AppliedEdit[] {
    const writes = ops.filter((o) => o.kind !== "remove");
    const removals = ops
      .filter((o): o is Extract<Op, { kind: "remove" }> => o.kind === "remove")
      .sort((a, b) => removalOrder([...a.path, a.segment], [...b.path, b.segment]));
    const edits: AppliedEdit[] = [];
    for (const op of [...writes, ...removals]) {
      const edit = this.executeOne(op);
      if (edit) edits.push(edit);
    }
    return edits;
  }

  private executeOne(op: Op): AppliedEdit | undefined {
    const doc = this.template;
    switch (op.kind) {
      case "set": {
        const node = this.resolve(op.path);
        const edit =
          node.kind === "scalar" && isScalarValue(op.value)
            ? doc.setScalar(node, op.value)
            : doc.replaceValue(node, op.value);
        this.template = this.reopen(doc, edit);
        this.check(op.path, op.value);
        return { action: "set", target: this.templateTarget(op.path, edit), value: op.value };
      }
      case "add": {
        const map = this.resolve(op.path);
        if (map.kind !== "map") throw new EditFailure(`${formatPath(op.path)} is not a mapping`);
        const edit = doc.addEntry(map, op.key, op.value, op.index);
        this.template = this.reopen(doc, edit);
        this.check([...op.path, op.key], op.value);
        return { action: "add", target: this.templateTarget([...op.path, op.key], edit), value: op.value };
      }
      case "append": {
        const seq = this.resolve(op.path);
        if (seq.kind !== "seq") throw new EditFailure(`${formatPath(op.path)} is not a list`);
        const edit = doc.appendItem(seq, op.value);
        this.template = this.reopen(doc, edit);
        this.check([...op.path, seq.items.length], op.value);
        return {
          action: "add",
          target: this.templateTarget([...op.path, seq.items.length], edit),
          value: op.value,
        };
      }
      case "remove": {
        const parent = this.resolve(op.path);
        const before = parent.kind === "seq" ? parent.items.length : undefined;
        const edit =
          parent.kind === "map" && typeof op.segment === "string"
            ? doc.removeEntry(parent, op.segment)
            : parent.kind === "seq" && typeof op.segment === "number"
              ? doc.removeItem(parent, op.segment)
              : undefined;
        if (!edit) throw new EditFailure(`cannot remove ${String(op.segment)} from ${formatPath(op.path)}`);
        this.template = this.reopen(doc, edit);
        const after = nodeAt(this.template.root, op.path);
        const gone =
          after?.kind === "map"
            ? !after.entries.some((e) => e.key === op.segment)
            : after?.kind === "seq" && after.items.length === (before ?? 0) - 1;
        if (!gone)
          throw new EditFailure(`${formatPath([...op.path, op.segment])} is still there after removing it`);
        return { action: "remove", target: this.templateTarget([...op.path, op.segment], edit) };
      }
      case "parameter":
        return this.params
          ? this.writeParameterFile(op.name, op.value)
          : this.writeDefault(op.name, op.value);
    }
  }

  private writeDefault(name: string, value: string): AppliedEdit | undefined {
    const parameter = this.resolve(["Parameters", name]);
    if (parameter.kind !== "map") throw new EditFailure(`Parameters.${name} is not a mapping`);
    const current = nodeAt(parameter, ["Default"]);
    const line = (edit: TextEdit): EditTarget => ({
      kind: "parameter-default",
      parameter: name,
      line: lineOf(edit.text, edit.offset),
    });
    if (current?.kind === "scalar") {
      if (sameValue(current.value, value)) return undefined;
      const written = coerceLike(value, current);
      const edit = this.template.setScalar(current, written);
      this.template = this.reopen(this.template, edit);
      this.check(["Parameters", name, "Default"], written);
      return { action: "set", target: line(edit), value: written };
    }
    if (current !== undefined) {
      if (current.kind === "intrinsic")
        throw new EditFailure(`Parameters.${name}.Default is ${current.source}`);
      const edit = this.template.replaceValue(current, value);
      this.template = this.reopen(this.template, edit);
      return { action: "set", target: line(edit), value };
    }
    const edit = this.template.addEntry(parameter, "Default", value);
    this.template = this.reopen(this.template, edit);
    this.check(["Parameters", name, "Default"], value);
    return { action: "add", target: line(edit), value };
  }

  private writeParameterFile(name: string, value: string): AppliedEdit | undefined {
    const doc = this.params;
    if (!doc) return undefined;
    const found = parameterFileEntry(doc.root, name);
    const target = (edit: TextEdit): EditTarget => ({
      kind: "parameter-file",
      parameter: name,
      line: lineOf(edit.text, edit.offset),
    });
    let edit: TextEdit;
    if (found?.value?.kind === "scalar") {
      if (found.value.value === value) return undefined;
      edit = doc.setScalar(found.value, value);
    } else if (found) {
      const item = found.seq.items[found.index];
      if (item?.kind !== "map")
        throw new EditFailure(`the parameter file's entry for ${name} is not an object`);
      edit = found.value ? doc.replaceValue(found.value, value) : doc.addEntry(item, "ParameterValue", value);
    } else if (doc.root?.kind === "seq") {
      edit = doc.appendItem(doc.root, { ParameterKey: name, ParameterValue: value });
    } else {
      throw new EditFailure("the parameter file is not a list of {ParameterKey, ParameterValue}");
    }
    this.params = this.reopen(doc, edit);
    if (parameterFileEntry(this.params.root, name)?.value?.kind !== "scalar") {
      throw new EditFailure(`the parameter file has no value for ${name} after writing it`);
    }
    return { action: found ? "set" : "add", target: target(edit), value };
  }
}

/** The entries of a parameter file, for the revert plan. */
function parameterFileEntries(doc: EditableDocument): { ParameterKey: string; ParameterValue: string }[] {
  const plain = doc.root ? plainOf(doc.root) : undefined;
  if (!Array.isArray(plain)) return [];
  return plain.flatMap((p) =>
    isRecord(p) &&
    typeof p.ParameterKey === "string" &&
    p.ParameterValue !== undefined &&
    p.ParameterValue !== null
      ? [{ ParameterKey: p.ParameterKey, ParameterValue: String(p.ParameterValue) }]
      : [],
  );
}

/**
 * Applies per-change decisions to a safe-state template and returns the new text, byte-identical
 * outside the edited nodes: `legitimize` writes the live value, `refactor` the proposed one, `revert`
 * leaves the template alone and goes into the revert plan. A value behind `!Ref Parameter` is written
 * to the parameter's `Default` (or to the parameter file, when given); any other intrinsic function is
 * never overwritten: the change is listed in `manual` with what to edit. Every written path is read
 * back from the re-parsed output before the result is returned.
 *
 * A change the template cannot take (a resource or item it does not have, a tag whose `Key` it
 * cannot resolve, an edit that would touch a region strict parsers reject) never stops the others: it
 * is undone and listed in `manual` with the reason, and every other change is still written.
 *
 * Invariants: no decisions ► the text is returned unchanged; malformed changes (not a decision, not a
 * JSON pointer, a refactor without a value) and unreadable templates are returned all at once as
 * issues naming the change, and nothing is written.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html
 */
export function rectify(input: RectifyInput): RectifyOutcome {
  const issues: RectifyIssue[] = [];
  let template: EditableDocument;
  try {
    template = openTemplate(input.template.text, input.template.format);
  } catch (error) {
    return {
      ok: false,
      issues: [
        {
          message: `the template cannot be read: ${error instanceof DocumentError ? error.message : String(error)}`,
        },
      ],
    };
  }
  if (template.root?.kind !== "map") {
    issues.push({
      message: "the template is not a mapping (a CloudFormation template has Resources at its top level)",
    });
  } else if (nodeAt(template.root, ["Resources"])?.kind !== "map") {
    issues.push({ message: "the template has no Resources section" });
  }
  if (template.format === "json" && template.problems.length > 0) {
    const first = template.problems[0];
    issues.push({ message: `the template is not valid JSON (line ${first?.line}: ${first?.message})` });
  }
  let params: EditableDocument | undefined;
  if (input.parameters) {
    params = openJson(input.parameters.text);
    const first = params.problems[0];
    if (first)
      issues.push({ message: `the parameter file is not valid JSON (line ${first.line}: ${first.message})` });
    else if (params.root?.kind !== "seq") {
      issues.push({
        message: 'the parameter file must be a JSON list of {"ParameterKey", "ParameterValue"}',
      });
    }
  }
  if (issues.length > 0) return { ok: false, issues };

  const rectifier = new Rectifier(template, params, input.changes, input.stack);
  rectifier.run();
  if (rectifier.issues.length > 0) {
    return { ok: false, issues: [...rectifier.issues].sort((a, b) => (a.index ?? -1) - (b.index ?? -1)) };
  }

  const text = rectifier.template.text;
  const changed = text !== input.template.text;
  const parametersChanged =
    rectifier.params !== undefined && rectifier.params.text !== input.parameters?.text;
  const warnings: string[] = [];
  const firstProblem = template.problems[0];
  if (template.format === "yaml" && firstProblem) {
    warnings.push(
      `the template has ${template.problems.length} YAML error${template.problems.length === 1 ? "" : "s"} that strict parsers reject (first at line ${firstProblem.line}: ${firstProblem.message}); Phantom leaves those lines alone`,
    );
  }

  let revert: ReturnType<typeof revertPlan> | undefined;
  if (rectifier.reverted.length > 0) {
    const root = rectifier.template.root;
    const parameterNodes = nodeAt(root, ["Parameters"]);
    const names = parameterNodes?.kind === "map" ? parameterNodes.entries.map((e) => e.key) : [];
    const deployed = changed || parametersChanged;
    revert = revertPlan(input.stack?.name ?? "<stack-name>", rectifier.reverted, {
      ...(input.stack?.region ? { region: input.stack.region } : {}),
      ...(input.template.path ? { templatePath: input.template.path } : {}),
      ...(input.parameters?.path ? { parametersPath: input.parameters.path } : {}),
      ...(changed ? { templateBody: text } : {}),
      ...(rectifier.params && deployed
        ? { parameterFile: parameterFileEntries(rectifier.params) }
        : {
            parameters: names.map((key) => {
              const value = rectifier.params ? undefined : rectifier.parameterWrites.get(key);
              return value === undefined ? { key } : { key, value };
            }),
          }),
      capabilities: requiredCapabilities(root),
    });
  }

  return {
    ok: true,
    result: {
      text,
      changed,
      ...(parametersChanged && rectifier.params ? { parameters: rectifier.params.text } : {}),
      applied: [...rectifier.applied].sort((a, b) => a.index - b.index),
      manual: [...rectifier.manual].sort((a, b) => a.index - b.index),
      reverted: [...rectifier.reverted].sort((a, b) => a.index - b.index),
      ...(revert ? { revert } : {}),
      warnings,
    },
  };
}
