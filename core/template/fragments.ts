import { isMap, isPair, isScalar, isSeq, type Node, type Pair, parseDocument, visit } from "yaml";
import { assertTemplateSize, templateSizeProblem } from "./bounds.ts";

/**
 * Reading CloudFormation templates (YAML with short-form tags, or JSON) without losing their text:
 * which logical ids a resource references, and the original text of selected sections, so the
 * analysis sees only the fragments that matter instead of the whole template.
 */

export interface TemplateIndex {
  /** Top-level section ► name ► the pair's node, for `Resources`, `Parameters`, `Conditions`, ... */
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, Pair<Node, Node>>>;
  readonly text: string;
}

function keyOf(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

/**
 * Indexes a template's top-level sections. YAML tag warnings (`!Ref` is not core YAML) are expected.
 * @throws {TemplateTooLargeError} for a text over CloudFormation's 1 MB template limit, before parsing it.
 */
export function indexTemplate(text: string): TemplateIndex {
  assertTemplateSize(text);
  const doc = parseDocument(text, { keepSourceTokens: false, uniqueKeys: false });
  const sections = new Map<string, Map<string, Pair<Node, Node>>>();
  if (isMap(doc.contents)) {
    for (const section of doc.contents.items) {
      const name = keyOf(section);
      if (name === undefined || !isMap(section.value)) continue;
      const entries = new Map<string, Pair<Node, Node>>();
      for (const item of section.value.items) {
        const key = keyOf(item);
        if (key !== undefined) entries.set(key, item as Pair<Node, Node>);
      }
      sections.set(name, entries);
    }
  }
  return { sections, text };
}

const SUB_REFERENCE = /\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g;

function subReferences(template: string): string[] {
  return [...template.matchAll(SUB_REFERENCE)].map((m) => m[1] ?? "").filter((n) => n !== "");
}

/**
 * Logical ids (resources, parameters, conditions) a node refers to: `!Ref`, `!GetAtt`, `!Sub`
 * variables, `!If`/`!Condition` condition names, and their `Ref`/`Fn::*`/`Condition` long forms.
 */
export function referencesIn(node: unknown): Set<string> {
  const found = new Set<string>();
  const add = (name: unknown) => {
    if (typeof name === "string" && name !== "" && !name.startsWith("AWS::"))
      found.add(name.split(".")[0] ?? name);
  };
  visit(node as Node, {
    Scalar(_key, scalar) {
      const value = typeof scalar.value === "string" ? scalar.value : undefined;
      if (value === undefined) return;
      if (scalar.tag === "!Ref" || scalar.tag === "!GetAtt" || scalar.tag === "!Condition") add(value);
      if (scalar.tag === "!Sub") for (const name of subReferences(value)) add(name);
    },
    Seq(_key, seq) {
      const first = seq.items[0];
      const firstValue = isScalar(first) ? first.value : undefined;
      if (seq.tag === "!GetAtt" || seq.tag === "!If" || seq.tag === "!FindInMap") add(firstValue);
      if (seq.tag === "!Sub" && typeof firstValue === "string")
        for (const name of subReferences(firstValue)) add(name);
    },
    Pair(_key, pair) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      const value = pair.value;
      if (key === "Ref" || key === "Condition") add(isScalar(value) ? value.value : undefined);
      if (key === "Fn::GetAtt" || key === "Fn::If" || key === "Fn::FindInMap") {
        if (isSeq(value)) add(isScalar(value.items[0]) ? value.items[0].value : undefined);
        else if (isScalar(value)) add(value.value);
      }
      if (key === "Fn::Sub") {
        const template = isSeq(value) ? value.items[0] : value;
        if (isScalar(template) && typeof template.value === "string") {
          for (const name of subReferences(template.value)) add(name);
        }
      }
      if (key === "DependsOn") {
        if (isScalar(value)) add(value.value);
        if (isSeq(value)) for (const item of value.items) add(isScalar(item) ? item.value : undefined);
      }
    },
  });
  return found;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** The original text of one section entry, from the start of its key's line to the end of its value. */
export function entryText(index: TemplateIndex, section: string, name: string): string | undefined {
  const pair = index.sections.get(section)?.get(name);
  const start = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
  const end =
    (pair?.value as Node | undefined)?.range?.[1] ?? (isScalar(pair?.key) ? pair.key.range?.[1] : undefined);
  if (start === undefined || end === undefined) return undefined;
  return index.text.slice(lineStart(index.text, start), end).replace(/\s+$/, "");
}

/**
 * The fragments that matter for `logicalIds`: those resources, the parameters and conditions they
 * use, the resources they reference, and the resources that reference them (one hop each way).
 * Returned as `# Section/Name` headed blocks of the template's own text.
 */
export function templateFragments(text: string, logicalIds: readonly string[]): string {
  // A template over CloudFormation's limit gives no fragments (rectify says why), not a failed analysis.
  if (templateSizeProblem(text) !== undefined) return "";
  const index = indexTemplate(text);
  const resources = index.sections.get("Resources") ?? new Map<string, Pair<Node, Node>>();
  const wanted = new Set(logicalIds.filter((id) => resources.has(id)));
  const referenced = new Set<string>();
  for (const id of wanted) {
    const pair = resources.get(id);
    if (pair) for (const ref of referencesIn(pair)) referenced.add(ref);
  }
  const dependants = new Set<string>();
  for (const [name, pair] of resources) {
    if (wanted.has(name)) continue;
    const refs = referencesIn(pair);
    if ([...wanted].some((id) => refs.has(id))) dependants.add(name);
  }
  const blocks: string[] = [];
  const emitted = new Set<string>();
  const emit = (section: string, name: string) => {
    if (emitted.has(`${section}/${name}`)) return;
    emitted.add(`${section}/${name}`);
    const body = entryText(index, section, name);
    if (body !== undefined) blocks.push(`# ${section}/${name}\n${body}`);
  };
  for (const section of ["Parameters", "Conditions", "Mappings"]) {
    for (const name of index.sections.get(section)?.keys() ?? [])
      if (referenced.has(name)) emit(section, name);
  }
  for (const id of wanted) emit("Resources", id);
  for (const name of referenced) if (resources.has(name) && !wanted.has(name)) emit("Resources", name);
  for (const name of dependants) emit("Resources", name);
  return blocks.join("\n\n");
}

export { isPair };
