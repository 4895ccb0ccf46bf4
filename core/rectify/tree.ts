/**
 * A format-neutral view of a CloudFormation template: maps, sequences, scalars and intrinsic
 * functions, each with its position in the source text. The YAML and JSON documents build it; the
 * rectifier reads it to find what to edit, then asks the document to edit the text.
 */

/** A step into a template: a map key or a sequence index. */
export type Segment = string | number;
/** From the template root: `["Resources", "AppServer", "Properties", "Tags", 1, "Value"]`. */
export type NodePath = readonly Segment[];

/** How a scalar is written in the source, so a new value is written the same way. */
export type ScalarStyle = "plain" | "double" | "single" | "literal" | "folded" | "json";

/** A scalar value as templates hold them. */
export type ScalarValue = string | number | boolean | null;

interface NodeBase {
  readonly path: NodePath;
  /** Offset of the node's value in the source (after any tag). */
  readonly start: number;
  /** Offset just past the node's value (block collections and block scalars include their last line break). */
  readonly end: number;
  /** Inside a flow collection (`[...]`, `{...}`) or a JSON document. */
  readonly flow: boolean;
}

/** One `key: value` of a mapping. */
export interface MapEntry {
  readonly key: string;
  /** Offset of the key (the first character of the entry). */
  readonly keyStart: number;
  readonly value: TemplateNode;
}

/** A mapping (block or flow). */
export interface MapNode extends NodeBase {
  readonly kind: "map";
  readonly entries: readonly MapEntry[];
}

/** A sequence (block or flow). */
export interface SeqNode extends NodeBase {
  readonly kind: "seq";
  readonly items: readonly TemplateNode[];
}

/** A string, number, boolean or null, with the style it is written in. */
export interface ScalarNode extends NodeBase {
  readonly kind: "scalar";
  readonly value: ScalarValue;
  readonly style: ScalarStyle;
}

/**
 * A CloudFormation intrinsic function: a YAML short-form tag (`!Ref X`, `!Sub "..."`) or a long-form
 * single-key map (`Ref: X`, `{"Fn::Sub": "..."}`). `fn` is always the long-form name.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
 */
export interface IntrinsicNode extends NodeBase {
  readonly kind: "intrinsic";
  /** `Ref`, `Condition` or `Fn::<Name>`. */
  readonly fn: string;
  readonly arg: TemplateNode;
  /** The function as written, for messages (`!Sub "payments-api-${Environment}"`), shortened. */
  readonly source: string;
}

/** Something Phantom does not edit through (a YAML alias, a non-scalar key). */
export interface OpaqueNode extends NodeBase {
  readonly kind: "opaque";
  readonly reason: string;
}

/** Any node of a template. */
export type TemplateNode = MapNode | SeqNode | ScalarNode | IntrinsicNode | OpaqueNode;

/** Long-form name of a YAML short-form tag: `!Ref` ► `Ref`, `!Sub` ► `Fn::Sub`. */
export function intrinsicName(tag: string): string {
  const name = tag.replace(/^!/, "");
  return name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
}

/** Short-form tag of a long-form name: `Fn::Sub` ► `!Sub`. */
export function shortTag(fn: string): string {
  return `!${fn.replace(/^Fn::/, "")}`;
}

/** `Ref` and `Fn::*` single-key maps are intrinsic functions in both YAML and JSON templates. */
export function isIntrinsicKey(key: string): boolean {
  return key === "Ref" || key.startsWith("Fn::");
}

/** The child of a node at a segment, or undefined. */
export function childAt(node: TemplateNode, segment: Segment): TemplateNode | undefined {
  if (node.kind === "map" && typeof segment === "string") {
    return node.entries.find((e) => e.key === segment)?.value;
  }
  if (node.kind === "seq" && typeof segment === "number") return node.items[segment];
  return undefined;
}

/** The node at a path from `root`, or undefined. */
export function nodeAt(root: TemplateNode | undefined, path: NodePath): TemplateNode | undefined {
  let node = root;
  for (const segment of path) {
    if (node === undefined) return undefined;
    node = childAt(node, segment);
  }
  return node;
}

/** The node as plain data; intrinsic functions become their long form (`{"Fn::Sub": ...}`). */
export function plainOf(node: TemplateNode): unknown {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "map":
      return Object.fromEntries(node.entries.map((e) => [e.key, plainOf(e.value)]));
    case "seq":
      return node.items.map(plainOf);
    case "intrinsic":
      return { [node.fn]: plainOf(node.arg) };
    case "opaque":
      return undefined;
  }
}

/** Every intrinsic function in a subtree, outermost first. */
export function intrinsicsIn(node: TemplateNode): IntrinsicNode[] {
  const found: IntrinsicNode[] = [];
  const walk = (n: TemplateNode) => {
    if (n.kind === "intrinsic") {
      found.push(n);
      walk(n.arg);
    } else if (n.kind === "map") for (const e of n.entries) walk(e.value);
    else if (n.kind === "seq") for (const i of n.items) walk(i);
  };
  walk(node);
  return found;
}

/** A plain object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const NUMERIC = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * Equality as CloudFormation compares values: drift reports numbers and booleans as strings
 * (`"120"`, `"true"`), so `120` equals `"120"` and `true` equals `"true"`; objects compare by keys,
 * whatever their order.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]))
    );
  }
  if (isRecord(a) || isRecord(b)) {
    if (!isRecord(a) || !isRecord(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameValue(a[k], b[k]));
  }
  if (a === null || b === null || a === undefined || b === undefined) return false;
  const text = (v: unknown) => (typeof v === "string" ? v.trim() : String(v));
  if (typeof a === "number" || typeof b === "number") {
    const [x, y] = [text(a), text(b)];
    return NUMERIC.test(x) && NUMERIC.test(y) && Number(x) === Number(y);
  }
  if (typeof a === "boolean" || typeof b === "boolean")
    return text(a).toLowerCase() === text(b).toLowerCase();
  return false;
}

/**
 * Whether a template node could be the resolved `value`: literal parts must be equal, intrinsic
 * functions match anything (Phantom cannot evaluate them).
 */
export function compatible(node: TemplateNode, value: unknown): boolean {
  switch (node.kind) {
    case "intrinsic":
    case "opaque":
      return true;
    case "scalar":
      return sameValue(node.value, value);
    case "seq":
      return (
        Array.isArray(value) &&
        value.length === node.items.length &&
        node.items.every((item, i) => compatible(item, value[i]))
      );
    case "map": {
      if (!isRecord(value)) return false;
      const keys = Object.keys(value);
      return (
        keys.length === node.entries.length &&
        node.entries.every((e) => e.key in value && compatible(e.value, value[e.key]))
      );
    }
  }
}

/** Whether a node holds no intrinsic function anywhere: it is plain data Phantom may compare exactly. */
export function isLiteral(node: TemplateNode): boolean {
  if (node.kind === "intrinsic" || node.kind === "opaque") return false;
  if (node.kind === "map") return node.entries.every((e) => isLiteral(e.value));
  if (node.kind === "seq") return node.items.every(isLiteral);
  return true;
}

/** `Resources.AppServer.Properties.Tags[1].Value`, for messages. */
export function formatPath(path: NodePath): string {
  return path
    .map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join("")
    .replace(/^\[/, "[");
}

/** 1-based line of an offset. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) line++;
  return line;
}
