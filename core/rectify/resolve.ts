import { parameterFileEntry } from "./parameters.ts";
import { type IntrinsicNode, nodeAt, type TemplateNode } from "./tree.ts";

/**
 * What a small template expression evaluates to, without the stack: the key of a tag written
 * `Key: !Ref TagKey` or `Key: !Sub "${Prefix}:owner"` is only known once its parameters are. Drift
 * reports tags by their resolved `Key`, so matching a drifted tag to its template item goes through
 * this. Parameters resolve to the stack's values when given, else the parameter file's, else the
 * parameter's `Default`; pseudo parameters to the stack's name and region when given. What cannot be
 * known (a pseudo parameter Phantom was not told, a resource's physical id) is a wildcard only where
 * it sits inside a `!Sub` or `!Join` with known text around it, so one template item can still be told
 * from another; anything else is unknown, with the reason.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html
 */

/** The stack a template is deployed as, as far as Phantom knows it. */
export interface ResolveContext {
  readonly root: TemplateNode | undefined;
  /** The stack's parameter values (DescribeStacks), highest precedence. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** The environment's parameter file, opened. */
  readonly parameterFile?: TemplateNode;
  readonly stackName?: string;
  readonly region?: string;
  readonly accountId?: string;
}

/** A resolved expression: an exact string, a pattern with wildcards, or unknown with the reason. */
export type Resolved =
  | { readonly kind: "value"; readonly value: string }
  | { readonly kind: "pattern"; readonly pattern: RegExp; readonly shown: string }
  | { readonly kind: "unknown"; readonly reason: string };

/** A piece of a resolved string: literal text, or a part only the deployed stack knows. */
type Part = { readonly text: string } | { readonly wildcard: string };

const PARTITION_OF: readonly [RegExp, string, string][] = [
  [/^cn-/, "aws-cn", "amazonaws.com.cn"],
  [/^us-gov-/, "aws-us-gov", "amazonaws.com"],
  [/^us-iso-/, "aws-iso", "c2s.ic.gov"],
  [/^us-isob-/, "aws-iso-b", "sc2s.sgov.gov"],
];

function pseudo(name: string, ctx: ResolveContext): Part | undefined {
  const region = ctx.region;
  const partition = region ? PARTITION_OF.find(([re]) => re.test(region)) : undefined;
  switch (name) {
    case "AWS::StackName":
      return ctx.stackName ? { text: ctx.stackName } : { wildcard: name };
    case "AWS::Region":
      return region ? { text: region } : { wildcard: name };
    case "AWS::AccountId":
      return ctx.accountId ? { text: ctx.accountId } : { wildcard: name };
    case "AWS::Partition":
      return region ? { text: partition?.[1] ?? "aws" } : { wildcard: name };
    case "AWS::URLSuffix":
      return region ? { text: partition?.[2] ?? "amazonaws.com" } : { wildcard: name };
    case "AWS::StackId":
    case "AWS::NotificationARNs":
      return { wildcard: name };
    default:
      return undefined;
  }
}

/** The value a parameter has in this stack, or why it is unknown. */
function parameter(name: string, ctx: ResolveContext): Part | { unknown: string } | undefined {
  const declared = nodeAt(ctx.root, ["Parameters", name]);
  if (declared?.kind !== "map") return undefined;
  const given = ctx.parameters?.[name];
  if (given !== undefined) return { text: given };
  const inFile = parameterFileEntry(ctx.parameterFile, name)?.value;
  if (inFile?.kind === "scalar" && inFile.value !== null) return { text: String(inFile.value) };
  const fallback = nodeAt(declared, ["Default"]);
  if (fallback?.kind === "scalar" && fallback.value !== null) return { text: String(fallback.value) };
  return { unknown: `parameter ${name} has no Default and Phantom was not given its value` };
}

function isPart(value: Part | { unknown: string }): value is Part {
  return !("unknown" in value);
}

/** A `Ref`'s value: a parameter, a pseudo parameter, or (unknown) a resource's physical id. */
function reference(name: string, ctx: ResolveContext, inside: boolean): Part | { unknown: string } {
  const p = pseudo(name, ctx) ?? parameter(name, ctx);
  if (p) return p;
  if (nodeAt(ctx.root, ["Resources", name]) !== undefined) {
    return inside ? { wildcard: `${name}'s physical id` } : { unknown: `!Ref ${name} is a resource's id` };
  }
  return { unknown: `!Ref ${name} names nothing the template declares` };
}

/** `${Name}`, `${Res.Attr}` and `${!Literal}` placeholders of a `Fn::Sub` string. */
function subParts(
  template: string,
  vars: ReadonlyMap<string, TemplateNode>,
  ctx: ResolveContext,
): Part[] | { unknown: string } {
  const parts: Part[] = [];
  let last = 0;
  for (const match of template.matchAll(/\$\{([^}]*)\}/g)) {
    parts.push({ text: template.slice(last, match.index) });
    last = match.index + match[0].length;
    const name = (match[1] ?? "").trim();
    if (name.startsWith("!")) {
      parts.push({ text: `\${${name.slice(1)}}` });
      continue;
    }
    const bound = vars.get(name);
    const part = bound
      ? partsOf(bound, ctx, true)
      : name.includes(".")
        ? [{ wildcard: `\${${name}}` }]
        : [reference(name, ctx, true)];
    if (!Array.isArray(part)) return part;
    for (const p of part) {
      if (!isPart(p)) return p;
      parts.push(p);
    }
  }
  parts.push({ text: template.slice(last) });
  return parts;
}

/** The parts an expression evaluates to, or why it cannot be evaluated. */
function partsOf(node: TemplateNode, ctx: ResolveContext, inside: boolean): Part[] | { unknown: string } {
  switch (node.kind) {
    case "scalar":
      return node.value === null ? { unknown: "the value is null" } : [{ text: String(node.value) }];
    case "intrinsic":
      return intrinsicParts(node, ctx, inside);
    default:
      return { unknown: `the value is a ${node.kind === "opaque" ? node.reason : node.kind}` };
  }
}

function intrinsicParts(
  node: IntrinsicNode,
  ctx: ResolveContext,
  inside: boolean,
): Part[] | { unknown: string } {
  const arg = node.arg;
  switch (node.fn) {
    case "Ref": {
      if (arg.kind !== "scalar" || typeof arg.value !== "string")
        return { unknown: `${node.source} is malformed` };
      const part = reference(arg.value, ctx, inside);
      return isPart(part) ? [part] : part;
    }
    case "Fn::Sub": {
      const [text, vars] =
        arg.kind === "scalar" ? [arg, undefined] : arg.kind === "seq" ? [arg.items[0], arg.items[1]] : [];
      if (text?.kind !== "scalar" || typeof text.value !== "string")
        return { unknown: `${node.source} has no literal string` };
      const bound = new Map(vars?.kind === "map" ? vars.entries.map((e) => [e.key, e.value]) : []);
      return subParts(text.value, bound, ctx);
    }
    case "Fn::Join": {
      const [delimiter, list] = arg.kind === "seq" ? arg.items : [];
      if (delimiter?.kind !== "scalar" || list?.kind !== "seq")
        return { unknown: `${node.source} joins a list Phantom cannot read` };
      const parts: Part[] = [];
      for (const [i, item] of list.items.entries()) {
        if (i > 0) parts.push({ text: String(delimiter.value ?? "") });
        const got = partsOf(item, ctx, true);
        if (!Array.isArray(got)) return got;
        parts.push(...got);
      }
      return parts;
    }
    case "Fn::FindInMap": {
      const keys = arg.kind === "seq" ? arg.items.map((item) => resolveTemplateValue(item, ctx)) : [];
      if (keys.length !== 3 || keys.some((k) => k.kind !== "value"))
        return { unknown: `${node.source} reads a mapping with keys Phantom cannot resolve` };
      const path = keys.map((k) => (k.kind === "value" ? k.value : ""));
      const found = nodeAt(ctx.root, ["Mappings", ...path]);
      return found?.kind === "scalar" && found.value !== null
        ? [{ text: String(found.value) }]
        : { unknown: `${node.source} has no scalar entry in Mappings` };
    }
    default:
      return { unknown: `${node.source} is evaluated by CloudFormation at deploy time` };
  }
}

function regexLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** What a template node evaluates to in this stack. */
export function resolveTemplateValue(node: TemplateNode, ctx: ResolveContext): Resolved {
  const parts = partsOf(node, ctx, false);
  if (!Array.isArray(parts)) return { kind: "unknown", reason: parts.unknown };
  if (parts.every((p) => "text" in p)) {
    return { kind: "value", value: parts.map((p) => ("text" in p ? p.text : "")).join("") };
  }
  const literal = parts.some((p) => "text" in p && p.text !== "");
  if (!literal) return { kind: "unknown", reason: "every part of it is only known to the deployed stack" };
  const source = parts.map((p) => ("text" in p ? regexLiteral(p.text) : ".+?")).join("");
  return {
    kind: "pattern",
    pattern: new RegExp(`^${source}$`, "s"),
    shown: parts.map((p) => ("text" in p ? p.text : `<${p.wildcard}>`)).join(""),
  };
}

/** Whether a resolved expression can be `value`. */
export function resolvedMatches(resolved: Resolved, value: unknown): boolean {
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return false;
  const text = String(value);
  if (resolved.kind === "value") return resolved.value === text;
  if (resolved.kind === "pattern") return resolved.pattern.test(text);
  return false;
}
