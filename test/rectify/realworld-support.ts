import { readdirSync, readFileSync } from "node:fs";
import { diffLines } from "diff";
import { openTemplate } from "../../core/rectify/rectify.ts";
import {
  isLiteral,
  isRecord,
  lineOf,
  type MapNode,
  type NodePath,
  nodeAt,
  plainOf,
  type SeqNode,
  sameValue,
  type TemplateNode,
} from "../../core/rectify/tree.ts";
import type { RectifyChange } from "../../core/rectify/types.ts";
import { secretPaths } from "../../core/secrets.ts";
import { CORPUS } from "../support/corpus.ts";
import { pointerOf } from "./support.ts";

/**
 * Fabricated drift on the 60 real-world templates Phantom was never written against
 * (`fixtures/corpus/cfn-templates-realworld/`, sources and licenses in its SOURCES.md) and their BOM /
 * CRLF variants: one window of changes per template, of every shape a window brings (a changed scalar,
 * a value behind `!Ref Parameter`, an undeclared property added, one added with a level above it, a
 * removed list item, a tag whose `Key` is an expression, a resource the template lacks, a reverted
 * change, a change inside a region strict parsers reject and one next to it). Each fabricated change
 * says what must become of it and which lines of the original it may touch, so the tests can check
 * every other byte is kept; the bench reports the same windows' diff sizes.
 *
 * What a change expects is derived from the template by rules of its own (a parameter's Default, a
 * `!Sub` of parameters), never from the code under test.
 */

export const REALWORLD = new URL("cfn-templates-realworld/", CORPUS);

export interface RealTemplate {
  readonly name: string;
  readonly text: string;
}

let cache: RealTemplate[] | undefined;

/** The 60 templates, then the 4 derived byte-level variants, each sorted by name. */
export function realworldTemplates(): RealTemplate[] {
  cache ??= ["templates/", "derived/"].flatMap((dir) => {
    const url = new URL(dir, REALWORLD);
    return readdirSync(url)
      .sort()
      .map((name) => ({ name: `${dir}${name}`, text: readFileSync(new URL(name, url), "utf8") }));
  });
  return cache;
}

export type Kind =
  | "scalar"
  | "parameter"
  | "add"
  | "nested-add"
  | "remove-item"
  | "tag-intrinsic-key"
  | "missing-resource"
  | "revert"
  | "lenient"
  | "lenient-neighbour"
  | "behind-expression"
  | "refused-by-parameter";

export interface Fabricated {
  readonly kind: Kind;
  readonly change: RectifyChange;
  /** What must become of the change: written, a manual item, reverted, or written or manual. */
  readonly expect: "applied" | "manual" | "reverted" | "either";
  /** Lines of the original text (1-based) the change may rewrite or remove; any may be inserted. */
  readonly lines: readonly number[];
  /** Where the written value reads back from the rectified template, and what it must be. */
  readonly readBack?: { readonly path: NodePath; readonly value: unknown };
  /** A list that must be one item shorter. */
  readonly shorter?: { readonly path: NodePath; readonly length: number };
  /** A one-line scalar's line around it (indentation and key before, a comment after): kept as it was. */
  readonly around?: { readonly before: string; readonly after: string };
}

/** The text of a one-line node's line before and after it, without the line break. */
function aroundOf(text: string, node: TemplateNode): Fabricated["around"] {
  const lineStart = text.lastIndexOf("\n", node.start - 1) + 1;
  let lineEnd = text.indexOf("\n", node.start);
  if (lineEnd === -1) lineEnd = text.length;
  if (text[lineEnd - 1] === "\r") lineEnd--;
  if (node.end > lineEnd) return undefined;
  return { before: text.slice(lineStart, node.start), after: text.slice(node.end, lineEnd) };
}

/** A small deterministic generator (mulberry32), so a seed names one window. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface PropertyNode {
  readonly logicalId: string;
  readonly segments: readonly (string | number)[];
  readonly node: TemplateNode;
  readonly parent: TemplateNode | undefined;
}

function keyed(seq: TemplateNode | undefined): seq is SeqNode {
  if (seq?.kind !== "seq") return false;
  const maps = seq.items.filter((i): i is MapNode => i.kind === "map");
  return maps.length > 0 && maps.every((m) => m.entries.some((e) => e.key === "Key"));
}

/** Lines from a node's first character to its last non-blank one. */
function linesOf(text: string, node: TemplateNode, from = node.start): number[] {
  let end = node.end;
  while (end > node.start && /\s/.test(text[end - 1] ?? "")) end--;
  const [a, b] = [lineOf(text, from), lineOf(text, Math.max(from, end - 1))];
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** A parameter's Default, as the deployed stack would hold it, when it has a plain one. */
function parameterDefault(root: TemplateNode | undefined, name: string): string | undefined {
  const d = nodeAt(root, ["Parameters", name, "Default"]);
  return d?.kind === "scalar" && d.value !== null ? String(d.value) : undefined;
}

/**
 * The test's own evaluation of a tag key: a literal, `!Ref Parameter` (its Default), or a `!Sub` whose
 * placeholders are all parameters with a Default. Anything else is unknown here.
 */
function oracleKey(root: TemplateNode | undefined, node: TemplateNode | undefined): string | undefined {
  if (node?.kind === "scalar") return node.value === null ? undefined : String(node.value);
  if (node?.kind !== "intrinsic") return undefined;
  if (node.fn === "Ref" && node.arg.kind === "scalar") return parameterDefault(root, String(node.arg.value));
  if (node.fn === "Fn::Sub" && node.arg.kind === "scalar" && typeof node.arg.value === "string") {
    let unknown = false;
    const text = node.arg.value.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const value = parameterDefault(root, name.trim());
      if (value === undefined) unknown = true;
      return value ?? "";
    });
    return unknown ? undefined : text;
  }
  return undefined;
}

/** A resource's properties as drift detection's ExpectedProperties would give them, as far as the oracle knows. */
function expectedProperties(root: TemplateNode | undefined, properties: TemplateNode): unknown {
  const walk = (node: TemplateNode): unknown => {
    if (node.kind === "intrinsic") {
      if (node.fn === "Ref" && node.arg.kind === "scalar") {
        const value = parameterDefault(root, String(node.arg.value));
        if (value !== undefined) return value;
      }
      const key = oracleKey(root, node);
      return key ?? plainOf(node);
    }
    if (node.kind === "map") return Object.fromEntries(node.entries.map((e) => [e.key, walk(e.value)]));
    if (node.kind === "seq") return node.items.map(walk);
    return plainOf(node);
  };
  return walk(properties);
}

/** Whether a parameter takes any string: a String with no constraint Phantom would have to honour. */
function freeParameter(root: TemplateNode | undefined, name: string): boolean {
  const p = nodeAt(root, ["Parameters", name]);
  if (p?.kind !== "map") return false;
  const type = nodeAt(p, ["Type"]);
  if (type?.kind !== "scalar" || type.value !== "String") return false;
  if (parameterDefault(root, name) === undefined) return false;
  return !p.entries.some((e) =>
    ["AllowedValues", "AllowedPattern", "MinLength", "MaxLength", "NoEcho"].includes(e.key),
  );
}

function changedScalar(value: unknown, random: () => number): unknown {
  if (typeof value === "number") return value + 1 + Math.floor(random() * 5);
  if (typeof value === "boolean") return !value;
  const suffixes = ["-live", " (console)", "-2", "_rev"];
  return `${String(value)}${suffixes[Math.floor(random() * suffixes.length)]}`;
}

const ADDED_KEYS = [
  ["ReservedConcurrentExecutions", 0],
  ["DeletionProtection", true],
  ["Description", "set from the console"],
  ["MaxSessionDuration", 7200],
] as const;

/** One window of fabricated drift for a template; the same seed gives the same window. */
export function fabricateWindow(text: string, seed: number): Fabricated[] {
  const random = generator(seed);
  const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(random() * list.length)];
  const doc = openTemplate(text);
  const root = doc.root;
  const format = doc.format;
  const resources = nodeAt(root, ["Resources"]);
  if (resources?.kind !== "map") return [];
  const lastLine = lineOf(text, text.length);
  const unreadable = (entry: { keyStart: number; value: TemplateNode }) =>
    doc.problems.some(
      (p) => p.end === undefined && p.offset >= entry.keyStart && p.offset <= entry.value.end,
    );
  const lenient = doc.problems.filter((p) => p.end !== undefined);

  const nodes: PropertyNode[] = [];
  const propertyMaps: { logicalId: string; map: MapNode }[] = [];
  for (const entry of resources.entries) {
    if (unreadable(entry) || entry.value.kind !== "map") continue;
    const properties = nodeAt(entry.value, ["Properties"]);
    if (properties?.kind !== "map") continue;
    propertyMaps.push({ logicalId: entry.key, map: properties });
    const walk = (node: TemplateNode, segments: (string | number)[], parent: TemplateNode | undefined) => {
      if (segments.length > 0) nodes.push({ logicalId: entry.key, segments, node, parent });
      if (node.kind === "map") for (const e of node.entries) walk(e.value, [...segments, e.key], node);
      if (node.kind === "seq") {
        for (const [i, item] of node.items.entries()) walk(item, [...segments, i], node);
      }
    };
    walk(properties, [], undefined);
  }
  const propertiesOf = (logicalId: string) => nodeAt(resources, [logicalId, "Properties"]) as TemplateNode;
  const throughKeyedList = (n: PropertyNode) =>
    n.segments.some((_, i) => keyed(nodeAt(propertiesOf(n.logicalId), n.segments.slice(0, i))));
  const usedResources = new Set<string>();
  const usedParameters = new Set<string>();
  const window: Fabricated[] = [];
  const base = (n: { logicalId: string }, kind: Kind) => ({ kind, logicalId: n.logicalId });
  const withExpected = (logicalId: string) => ({
    expectedProperties: expectedProperties(root, propertiesOf(logicalId)),
  });
  const free = <T extends { logicalId: string }>(list: readonly T[]) =>
    list.filter((n) => !usedResources.has(n.logicalId));

  const scalars = nodes.filter(
    (n) =>
      n.node.kind === "scalar" &&
      n.node.value !== null &&
      n.node.start !== n.node.end &&
      !(n.parent && keyed(n.parent)),
  );

  // Inside a region strict parsers reject (a quoted string read leniently), and right next to it.
  const inRegion = nodes.filter(
    (n) =>
      n.node.kind === "opaque" && lenient.some((p) => n.node.start < (p.end ?? 0) && n.node.end > p.offset),
  );
  const region = pick(inRegion);
  if (region) {
    window.push({
      kind: "lenient",
      change: {
        ...base(region, "lenient"),
        propertyPath: pointerOf(region.segments),
        differenceType: "NOT_EQUAL",
        expected: "anything",
        actual: "rewritten",
        decision: "legitimize",
      },
      expect: "manual",
      lines: [],
    });
  }
  const regionResources = new Set(
    resources.entries
      .filter((e) => lenient.some((p) => p.offset >= e.keyStart && p.offset < e.value.end))
      .map((e) => e.key),
  );
  const neighbour = pick(
    free(scalars).filter((n) => regionResources.has(n.logicalId) && !throughKeyedList(n)),
  );
  if (neighbour && neighbour.node.kind === "scalar") {
    const actual = changedScalar(neighbour.node.value, random);
    usedResources.add(neighbour.logicalId);
    window.push({
      kind: "lenient-neighbour",
      change: {
        ...base(neighbour, "lenient-neighbour"),
        propertyPath: pointerOf(neighbour.segments),
        differenceType: "NOT_EQUAL",
        expected: neighbour.node.value,
        actual,
        decision: "legitimize",
      },
      expect: "applied",
      lines: linesOf(text, neighbour.node),
      readBack: { path: neighbour.node.path, value: actual },
    });
  }

  // A tag whose Key is an expression, found through the drift result's (shuffled) ExpectedProperties.
  const tagItems = nodes.filter(
    (n) =>
      n.segments.length === 2 &&
      n.segments[0] === "Tags" &&
      keyed(n.parent) &&
      nodeAt(n.node, ["Key"])?.kind === "intrinsic",
  );
  const tag = pick(free(tagItems));
  if (tag) {
    const list = nodeAt(propertiesOf(tag.logicalId), ["Tags"]) as SeqNode;
    const resolved = list.items.map((item) => expectedProperties(root, item));
    const order = resolved.map((_, i) => i).sort(() => random() - 0.5);
    const shuffled = order.map((i) => resolved[i]);
    const at = order.indexOf(tag.segments[1] as number);
    const keyNode = nodeAt(tag.node, ["Key"]);
    const valueNode = nodeAt(tag.node, ["Value"]);
    const key = oracleKey(root, keyNode);
    const current = isRecord(shuffled[at]) ? shuffled[at].Value : undefined;
    const props = expectedProperties(root, propertiesOf(tag.logicalId));
    const change: RectifyChange = {
      ...base(tag, "tag-intrinsic-key"),
      propertyPath: `/Tags/${at}/Value`,
      differenceType: "NOT_EQUAL",
      expected: current,
      actual: "phantom-live",
      decision: "legitimize",
      expectedProperties: { ...(isRecord(props) ? props : {}), Tags: shuffled },
    };
    usedResources.add(tag.logicalId);
    if (key !== undefined && valueNode?.kind === "scalar") {
      window.push({
        kind: "tag-intrinsic-key",
        change,
        expect: "applied",
        lines: linesOf(text, valueNode),
        readBack: { path: valueNode.path, value: "phantom-live" },
      });
    } else if (
      key !== undefined &&
      valueNode?.kind === "intrinsic" &&
      valueNode.fn === "Ref" &&
      nodeAt(root, ["Parameters", String(plainOf(valueNode.arg))])?.kind === "map"
    ) {
      // Written to the parameter's Default, unless the parameter's constraints refuse the value.
      const name = String(plainOf(valueNode.arg));
      usedParameters.add(name);
      const param = nodeAt(root, ["Parameters", name]) as TemplateNode;
      const free = freeParameter(root, name);
      window.push({
        kind: "tag-intrinsic-key",
        change,
        expect: free ? "applied" : "either",
        lines: linesOf(text, param),
        ...(free ? { readBack: { path: ["Parameters", name, "Default"], value: "phantom-live" } } : {}),
      });
    } else {
      window.push({
        kind: "tag-intrinsic-key",
        change,
        expect: key === undefined ? "either" : "manual",
        lines: linesOf(text, tag.node),
      });
    }
  }

  // A literal scalar changed in the console.
  const scalar = pick(free(scalars));
  if (scalar && scalar.node.kind === "scalar") {
    const actual = changedScalar(scalar.node.value, random);
    usedResources.add(scalar.logicalId);
    window.push({
      kind: "scalar",
      change: {
        ...base(scalar, "scalar"),
        propertyPath: pointerOf(scalar.segments),
        differenceType: "NOT_EQUAL",
        expected: scalar.node.value,
        actual,
        decision: "legitimize",
        ...(throughKeyedList(scalar) ? withExpected(scalar.logicalId) : {}),
      },
      expect: "applied",
      lines: linesOf(text, scalar.node),
      readBack: { path: scalar.node.path, value: actual },
      around: aroundOf(text, scalar.node),
    });
  }

  // A value behind !Ref Parameter: the parameter's Default is where it goes.
  const refs = nodes.filter(
    (n) =>
      n.node.kind === "intrinsic" &&
      n.node.fn === "Ref" &&
      n.node.arg.kind === "scalar" &&
      freeParameter(root, String(n.node.arg.value)) &&
      !usedParameters.has(String(n.node.arg.value)),
  );
  const ref = pick(free(refs));
  if (ref && ref.node.kind === "intrinsic") {
    const name = String(plainOf(ref.node.arg));
    const expected = parameterDefault(root, name) ?? "";
    const actual = `${expected}-live`;
    usedParameters.add(name);
    usedResources.add(ref.logicalId);
    window.push({
      kind: "parameter",
      change: {
        ...base(ref, "parameter"),
        propertyPath: pointerOf(ref.segments),
        differenceType: "NOT_EQUAL",
        expected,
        actual,
        decision: "legitimize",
        ...(throughKeyedList(ref) ? withExpected(ref.logicalId) : {}),
      },
      expect: "applied",
      lines: linesOf(text, nodeAt(root, ["Parameters", name]) as TemplateNode),
      readBack: { path: ["Parameters", name, "Default"], value: actual },
    });
  }

  // A property the template never declared, added from the console (Cloud Control sees it).
  const addable = free(propertyMaps).filter((p) =>
    ADDED_KEYS.some(([k]) => !p.map.entries.some((e) => e.key === k)),
  );
  const mapLines = (map: MapNode): number[] => {
    const last = map.entries[map.entries.length - 1];
    const touched = map.flow || map.entries.length === 0 ? linesOf(text, map) : [];
    // JSON adds a comma after the entry the new one follows; its formatter may re-space that line.
    const commas = format === "json" ? map.entries.flatMap((e) => linesOf(text, e.value).slice(-1)) : [];
    return [...touched, ...commas, ...(last ? linesOf(text, last.value).slice(-1) : []), lastLine];
  };
  const add = pick(addable);
  if (add) {
    const [key, value] = ADDED_KEYS.find(([k]) => !add.map.entries.some((e) => e.key === k)) ?? ADDED_KEYS[0];
    usedResources.add(add.logicalId);
    window.push({
      kind: "add",
      change: {
        ...base(add, "add"),
        propertyPath: `/${key}`,
        differenceType: "ADD",
        expected: null,
        actual: value,
        decision: "legitimize",
      },
      expect: "applied",
      lines: mapLines(add.map),
      readBack: { path: [...add.map.path, key], value },
    });
  }
  const nestedAdd = pick(
    free(propertyMaps).filter((p) => !p.map.entries.some((e) => e.key === "LoggingConfig")),
  );
  if (nestedAdd) {
    usedResources.add(nestedAdd.logicalId);
    window.push({
      kind: "nested-add",
      change: {
        ...base(nestedAdd, "nested-add"),
        propertyPath: "/LoggingConfig/LogFormat",
        differenceType: "ADD",
        expected: null,
        actual: "JSON",
        decision: "legitimize",
      },
      expect: "applied",
      lines: mapLines(nestedAdd.map),
      readBack: { path: [...nestedAdd.map.path, "LoggingConfig", "LogFormat"], value: "JSON" },
    });
  }

  // A list item removed live: a literal item, unlike every other item of its list.
  const removable = nodes.filter((n) => {
    if (n.parent?.kind !== "seq" || n.parent.items.length < 2 || !isLiteral(n.node)) return false;
    const plain = plainOf(n.node);
    return n.parent.items.filter((i) => sameValue(plainOf(i), plain)).length === 1;
  });
  const removed = pick(free(removable));
  if (removed && removed.parent?.kind === "seq") {
    const seq = removed.parent;
    const before = linesOf(text, removed.node)[0] ?? 1;
    usedResources.add(removed.logicalId);
    window.push({
      kind: "remove-item",
      change: {
        ...base(removed, "remove-item"),
        propertyPath: pointerOf(removed.segments),
        differenceType: "REMOVE",
        expected: plainOf(removed.node),
        actual: null,
        decision: "legitimize",
        ...(throughKeyedList(removed) || keyed(seq) ? withExpected(removed.logicalId) : {}),
      },
      expect: "applied",
      // The item's lines (from its `-`), the line before (a JSON comma), and the line after (the next
      // key of a `- key:` item moving up), or the whole list when it is written in flow style.
      lines: seq.flow
        ? [...linesOf(text, seq), before - 1]
        : [
            before - 1,
            ...linesOf(text, removed.node, text.lastIndexOf("-", removed.node.start)),
            ...linesOf(text, removed.node)
              .slice(-1)
              .map((l) => l + 1),
          ],
      shorter: { path: seq.path, length: seq.items.length - 1 },
    });
  }

  // A value an expression computes (!Sub, !If, !GetAtt, !FindInMap, !Ref to a resource or pseudo
  // parameter): Phantom never overwrites one, so it is a manual item.
  const parameterSub = (node: TemplateNode) => {
    // `!Sub "…${Param}…"` with one parameter: a value that keeps its text is written to the parameter.
    if (node.kind !== "intrinsic" || node.fn !== "Fn::Sub" || node.arg.kind !== "scalar") return false;
    const names = [...String(node.arg.value).matchAll(/\$\{([^}]*)\}/g)].map((m) => (m[1] ?? "").trim());
    return names.length === 1 && nodeAt(root, ["Parameters", names[0] ?? ""]) !== undefined;
  };
  const computed = nodes.filter(
    (n) =>
      n.node.kind === "intrinsic" &&
      !(n.node.fn === "Ref" && nodeAt(root, ["Parameters", String(plainOf(n.node.arg))]) !== undefined) &&
      !parameterSub(n.node) &&
      !(n.parent && keyed(n.parent)),
  );
  const expression = pick(free(computed));
  if (expression) {
    usedResources.add(expression.logicalId);
    window.push({
      kind: "behind-expression",
      change: {
        ...base(expression, "behind-expression"),
        propertyPath: pointerOf(expression.segments),
        differenceType: "NOT_EQUAL",
        expected: "as deployed",
        actual: "changed in the console",
        decision: "legitimize",
        ...(throughKeyedList(expression) ? withExpected(expression.logicalId) : {}),
      },
      expect: "manual",
      lines: [],
    });
  }

  // A value behind !Ref Parameter that the parameter's AllowedValues refuse.
  const constrained = nodes.filter((n) => {
    if (n.node.kind !== "intrinsic" || n.node.fn !== "Ref") return false;
    const name = String(plainOf(n.node.arg));
    return nodeAt(root, ["Parameters", name, "AllowedValues"])?.kind === "seq" && !usedParameters.has(name);
  });
  const refused = pick(free(constrained));
  if (refused && refused.node.kind === "intrinsic") {
    const name = String(plainOf(refused.node.arg));
    usedParameters.add(name);
    usedResources.add(refused.logicalId);
    window.push({
      kind: "refused-by-parameter",
      change: {
        ...base(refused, "refused-by-parameter"),
        propertyPath: pointerOf(refused.segments),
        differenceType: "NOT_EQUAL",
        expected: parameterDefault(root, name) ?? "",
        actual: "a-value-no-AllowedValues-list-has",
        decision: "legitimize",
        ...(throughKeyedList(refused) ? withExpected(refused.logicalId) : {}),
      },
      expect: "manual",
      lines: [],
    });
  }

  // A change the repository's template cannot take: the resource is not in it.
  window.push({
    kind: "missing-resource",
    change: {
      logicalId: "PhantomResourceNotInThisTemplate",
      propertyPath: "/Enabled",
      differenceType: "NOT_EQUAL",
      expected: true,
      actual: false,
      decision: "legitimize",
    },
    expect: "manual",
    lines: [],
  });

  // A reverted change: the template stays.
  const reverted = pick(free(scalars.length > 0 ? scalars : nodes));
  if (reverted) {
    window.push({
      kind: "revert",
      change: {
        ...base(reverted, "revert"),
        propertyPath: pointerOf(reverted.segments),
        differenceType: "NOT_EQUAL",
        expected: plainOf(reverted.node),
        actual: "changed-live",
        decision: "revert",
      },
      expect: "reverted",
      lines: [],
    });
  }

  // A value that holds a secret by the one table (core/secrets.ts) is never written: a manual item.
  return window.map((f) => (holdsTemplateSecret(root, f.change) ? { ...f, expect: "manual", lines: [] } : f));
}

/** Whether the value a legitimize or refactor would write holds a secret, judged as the rectifier does. */
function holdsTemplateSecret(root: TemplateNode | undefined, change: RectifyChange): boolean {
  if (change.decision === "revert") return false;
  if (change.decision === "legitimize" && change.differenceType === "REMOVE") return false;
  const value = change.decision === "legitimize" ? change.actual : change.proposed;
  const declared = nodeAt(root, ["Resources", change.logicalId, "Properties"]);
  const properties = [
    change.actualProperties,
    change.expectedProperties,
    declared ? plainOf(declared) : undefined,
  ];
  return (
    secretPaths(
      change.propertyPath,
      value,
      properties.filter((p) => p !== undefined && p !== null),
    ).length > 0
  );
}

/** The original's lines a rewrite removed or changed (1-based), and how many lines it added. */
export function rewrittenLines(before: string, after: string): { removed: number[]; added: number } {
  const removed: number[] = [];
  let added = 0;
  let line = 1;
  for (const part of diffLines(before, after)) {
    const count = part.count ?? part.value.split("\n").length - (part.value.endsWith("\n") ? 1 : 0);
    if (part.added) added += count;
    else {
      if (part.removed) for (let i = 0; i < count; i++) removed.push(line + i);
      line += count;
    }
  }
  return { removed, added };
}

/**
 * Whether every line of `before` outside `allowed` (1-based) is still in `after`, byte for byte and in
 * the same order (new lines may sit between them): independent of how a line diff would align
 * repeated lines. Returns the first line that is missing, or undefined when all are kept.
 */
export function missingOutside(
  before: string,
  after: string,
  allowed: ReadonlySet<number>,
): number | undefined {
  const a = before.split("\n");
  const b = after.split("\n");
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    if (allowed.has(i + 1)) continue;
    while (j < b.length && b[j] !== a[i]) j++;
    if (j === b.length) return i + 1;
    j++;
  }
  return undefined;
}
