import { readdirSync, readFileSync } from "node:fs";
import { openTemplate } from "../../core/rectify/rectify.ts";
import { intrinsicsIn, type TemplateNode } from "../../core/rectify/tree.ts";
import type { RectifyChange } from "../../core/rectify/types.ts";
import { CORPUS } from "../support/corpus.ts";

/**
 * Shared by the rectify tests: the corpus templates and drift outputs (`fixtures/corpus/`, sources in
 * its SOURCES.md), and line-level checks on a rectified text.
 */

export const TEMPLATES = new URL("cfn-templates/", CORPUS);
export const DRIFTS = new URL("cfn-drift/", CORPUS);
export const SCENARIO = new URL("../../fixtures/scenarios/payments-3am-incident/", import.meta.url);

export interface CorpusTemplate {
  readonly name: string;
  readonly text: string;
}

let cache: CorpusTemplate[] | undefined;

/** Every corpus template, sorted by name. */
export function corpusTemplates(): CorpusTemplate[] {
  cache ??= readdirSync(TEMPLATES)
    .filter((n) => n.endsWith(".yaml") || n.endsWith(".json"))
    .sort()
    .map((name) => ({ name, text: readFileSync(new URL(name, TEMPLATES), "utf8") }));
  return cache;
}

export function corpusTemplate(name: string): string {
  const found = corpusTemplates().find((t) => t.name === name);
  if (!found) throw new Error(`corpus has no template ${name}`);
  return found.text;
}

export function corpusDrift(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, DRIFTS), "utf8")) as unknown;
}

export function scenarioFile(relative: string): string {
  return readFileSync(new URL(relative, SCENARIO), "utf8");
}

/** A NOT_EQUAL legitimize change, the most common shape. */
export function legitimize(
  logicalId: string,
  propertyPath: string,
  expected: unknown,
  actual: unknown,
  extra: Partial<RectifyChange> = {},
): RectifyChange {
  return {
    logicalId,
    propertyPath,
    differenceType: "NOT_EQUAL",
    expected,
    actual,
    decision: "legitimize",
    ...extra,
  };
}

/** JSON-pointer segment escaping (RFC 6901). */
export function pointerOf(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/**
 * The lines a rewrite touched: the old text's lines outside `[from, to]` (1-based, inclusive) must
 * all be in the new text, unchanged and in place (same prefix, same suffix).
 */
export function untouchedOutside(before: string, after: string, from: number, to: number): boolean {
  const a = before.split("\n");
  const b = after.split("\n");
  const prefix = from - 1;
  const suffix = a.length - to;
  if (prefix + suffix > b.length) return false;
  for (let i = 0; i < prefix; i++) if (a[i] !== b[i]) return false;
  for (let i = 1; i <= suffix; i++) if (a[a.length - i] !== b[b.length - i]) return false;
  return true;
}

/** Lines the texts share at the start and at the end, and how many lines each has. */
export function lineDiff(
  before: string,
  after: string,
): { prefix: number; suffix: number; a: number; b: number } {
  const a = before.split("\n");
  const b = after.split("\n");
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  ) {
    suffix++;
  }
  return { prefix, suffix, a: a.length, b: b.length };
}

/** How many intrinsic functions of each kind a template holds (`Ref` ► 12, `Fn::Sub` ► 3, …). */
export function intrinsicCounts(text: string): Record<string, number> {
  const root = openTemplate(text).root;
  const counts: Record<string, number> = {};
  for (const n of root ? intrinsicsIn(root) : []) counts[n.fn] = (counts[n.fn] ?? 0) + 1;
  return counts;
}

/** Every node under each resource's Properties, with its CloudFormation property pointer. */
export function propertyNodes(
  root: TemplateNode | undefined,
  skip: (logicalId: string) => boolean = () => false,
): { logicalId: string; pointer: string; node: TemplateNode; parent: TemplateNode | undefined }[] {
  const found: {
    logicalId: string;
    pointer: string;
    node: TemplateNode;
    parent: TemplateNode | undefined;
  }[] = [];
  const resources = root?.kind === "map" ? root.entries.find((e) => e.key === "Resources")?.value : undefined;
  if (resources?.kind !== "map") return found;
  for (const { key: logicalId, value } of resources.entries) {
    if (skip(logicalId) || value.kind !== "map") continue;
    const properties = value.entries.find((e) => e.key === "Properties")?.value;
    if (properties?.kind !== "map") continue;
    const walk = (node: TemplateNode, segments: (string | number)[], parent: TemplateNode | undefined) => {
      if (segments.length > 0) found.push({ logicalId, pointer: pointerOf(segments), node, parent });
      if (node.kind === "map") for (const e of node.entries) walk(e.value, [...segments, e.key], node);
      if (node.kind === "seq") {
        node.items.forEach((item, i) => {
          walk(item, [...segments, i], node);
        });
      }
    };
    walk(properties, [], undefined);
  }
  return found;
}
