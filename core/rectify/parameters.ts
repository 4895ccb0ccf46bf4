import { type MapNode, nodeAt, type SeqNode, sameValue, type TemplateNode } from "./tree.ts";

/**
 * Template parameters: where a value behind `!Ref Parameter` is written, and whether the value is one
 * the parameter accepts. CloudFormation passes parameter values as strings; lists are comma-joined.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/parameters-section-structure.html
 */

/** A value as a parameter holds it (`"t3.xlarge"`, `"a,b"`), or undefined when it cannot be one. */
export function parameterText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((v) => ["string", "number", "boolean"].includes(typeof v))) {
    return value.map(String).join(",");
  }
  return undefined;
}

function scalarOf(node: TemplateNode | undefined): string | undefined {
  return node?.kind === "scalar" && node.value !== null ? String(node.value) : undefined;
}

/**
 * Why the parameter would reject `value` (AllowedValues, AllowedPattern, Min/MaxLength,
 * Min/MaxValue, Type Number), or undefined when it accepts it.
 */
export function parameterRejects(name: string, parameter: MapNode, value: string): string | undefined {
  const get = (key: string) => parameter.entries.find((e) => e.key === key)?.value;
  const allowed = get("AllowedValues");
  if (allowed?.kind === "seq") {
    const values = allowed.items.map(scalarOf).filter((v): v is string => v !== undefined);
    const parts = scalarOf(get("Type"))?.includes("List") ? value.split(",") : [value];
    if (!parts.every((p) => values.some((v) => sameValue(v, p)))) {
      return `parameter ${name} allows only ${values.join(", ")}`;
    }
  }
  const pattern = scalarOf(get("AllowedPattern"));
  if (pattern !== undefined) {
    try {
      if (!new RegExp(`^(?:${pattern})$`).test(value)) return `parameter ${name} must match ${pattern}`;
    } catch {
      // A Java pattern JavaScript cannot read: CloudFormation will check it.
    }
  }
  const number = (key: string) => {
    const text = scalarOf(get(key));
    return text === undefined ? undefined : Number(text);
  };
  const [minLength, maxLength] = [number("MinLength"), number("MaxLength")];
  if (minLength !== undefined && value.length < minLength)
    return `parameter ${name} needs at least ${minLength} characters`;
  if (maxLength !== undefined && value.length > maxLength)
    return `parameter ${name} takes at most ${maxLength} characters`;
  const isNumber = scalarOf(get("Type")) === "Number";
  if (isNumber && !Number.isFinite(Number(value))) return `parameter ${name} is a Number`;
  const [minValue, maxValue] = [number("MinValue"), number("MaxValue")];
  if (minValue !== undefined && Number(value) < minValue)
    return `parameter ${name} must be at least ${minValue}`;
  if (maxValue !== undefined && Number(value) > maxValue)
    return `parameter ${name} must be at most ${maxValue}`;
  return undefined;
}

/** Where else a parameter is used: logical ids (or sections) holding `Ref` to it or `${Name}` in a `Fn::Sub`. */
export function parameterUses(
  root: TemplateNode | undefined,
  name: string,
): { where: string; path: string }[] {
  const uses: { where: string; path: string }[] = [];
  const visit = (node: TemplateNode) => {
    if (node.kind === "intrinsic") {
      const arg = node.arg;
      const subText =
        node.fn === "Fn::Sub"
          ? arg.kind === "scalar"
            ? arg.value
            : arg.kind === "seq" && arg.items[0]?.kind === "scalar"
              ? arg.items[0].value
              : undefined
          : undefined;
      const refs =
        (node.fn === "Ref" && arg.kind === "scalar" && arg.value === name) ||
        (typeof subText === "string" && subText.includes(`\${${name}}`));
      if (refs) {
        const [section, id] = node.path;
        uses.push({
          where: section === "Resources" || section === "Outputs" ? String(id) : String(section),
          path: node.path.map(String).join("."),
        });
      }
      visit(arg);
    } else if (node.kind === "map") for (const e of node.entries) visit(e.value);
    else if (node.kind === "seq") for (const i of node.items) visit(i);
  };
  if (root) visit(root);
  return uses;
}

/** The `[{"ParameterKey", "ParameterValue"}]` entry for a parameter in a parameter file. */
export function parameterFileEntry(
  root: TemplateNode | undefined,
  name: string,
): { seq: SeqNode; index: number; value: TemplateNode | undefined } | undefined {
  if (root?.kind !== "seq") return undefined;
  const index = root.items.findIndex(
    (item) => item.kind === "map" && scalarOf(nodeAt(item, ["ParameterKey"])) === name,
  );
  const item = root.items[index];
  return item ? { seq: root, index, value: nodeAt(item, ["ParameterValue"]) } : undefined;
}
