import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openTemplate, rectify } from "../../core/rectify/rectify.ts";
import { intrinsicsIn, lineOf, nodeAt, plainOf, type TemplateNode } from "../../core/rectify/tree.ts";
import type { RectifyChange } from "../../core/rectify/types.ts";
import { secretPaths } from "../../core/secrets.ts";
import { corpusTemplates, lineDiff, propertyNodes, untouchedOutside } from "./support.ts";

/**
 * The property-based suite run on corpus templates (split over two test files so they run in
 * parallel): random single-property rectifications write exactly that property. The value reads
 * back from the re-parsed output, no intrinsic function is lost, and only the lines of the edited node
 * change.
 */

export interface Case {
  readonly name: string;
  readonly text: string;
  readonly format: "yaml" | "json";
}

export const yamlCases: Case[] = corpusTemplates().map((t) => ({ ...t, format: "yaml" }));

/** A resource's template Properties, as the rectifier judges a value's sibling names. */
function resourceProperties(root: TemplateNode | undefined, logicalId: string): unknown[] {
  const properties = nodeAt(root, ["Resources", logicalId, "Properties"]);
  return properties ? [plainOf(properties)] : [];
}

/** JSON renderings (2 and 4 spaces) of corpus templates, intrinsic functions in long form. */
export const jsonCases: Case[] = [
  "acft__EC2__EC2InstanceWithSecurityGroupSample.yaml",
  "acft__SQS__SQSStandardQueue.yaml",
  "widdix__security__kms-key.yaml",
  "acft__RDS__RDS_MySQL_With_Read_Replica.yaml",
].flatMap((name) => {
  const text = yamlCases.find((c) => c.name === name)?.text ?? "";
  const root = openTemplate(text).root;
  const value = root ? plainOf(root) : {};
  return [2, 4].map((indent) => ({
    name: `${name} as JSON (${indent} spaces)`,
    text: `${JSON.stringify(value, null, indent)}\n`,
    format: "json" as const,
  }));
});

/** `PHANTOM_PROPERTY_RUNS=5` multiplies the runs, for a longer local search. */
const factor = Math.max(1, Number(process.env.PHANTOM_PROPERTY_RUNS ?? 1) || 1);

/** Fewer runs on the big templates: each run parses the template three times. */
function runs(text: string): number {
  return factor * (text.length > 50_000 ? 3 : text.length > 15_000 ? 5 : 10);
}

/** Resources Phantom refuses to edit (a YAML error inside). */
function brokenResources(text: string): Set<string> {
  const doc = openTemplate(text);
  const resources = nodeAt(doc.root, ["Resources"]);
  const broken = new Set<string>();
  if (resources?.kind !== "map") return broken;
  for (const e of resources.entries) {
    if (doc.problems.some((p) => p.offset >= e.keyStart && p.offset <= e.value.end)) broken.add(e.key);
  }
  return broken;
}

function contentEnd(text: string, node: TemplateNode): number {
  let end = node.end;
  while (end > node.start && /\s/.test(text[end - 1] ?? "")) end--;
  return end;
}

function counts(root: TemplateNode | undefined): Record<string, number> {
  const found: Record<string, number> = {};
  for (const n of root ? intrinsicsIn(root) : []) found[n.fn] = (found[n.fn] ?? 0) + 1;
  return found;
}

const strings = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.stringMatching(/^[A-Za-z0-9._/:-]{1,30}$/),
  fc.constantFrom(
    "yes",
    "off",
    "null",
    "~",
    "true",
    "1.0",
    "0777",
    "2010-09-09",
    "a: b",
    "#x",
    "- x",
    "!Ref X",
    "*a",
    "it's",
    'say "hi"',
    "x #y",
    "",
    " lead",
    "trail ",
    "multi\nline\n",
    "two\nlines",
    "a,b",
    "[x]",
    "{x}",
    "%x",
    "@x",
    "tab\there",
    "0.0.0.0/0",
    "arn:aws:iam::123456789012:root",
  ),
);

function valueLike(current: unknown): fc.Arbitrary<unknown> {
  if (typeof current === "number") {
    return Number.isInteger(current)
      ? fc.integer({ min: -1, max: 10_000_000 })
      : fc.double({ min: 0, max: 1e6, noNaN: true });
  }
  if (typeof current === "boolean") return fc.boolean();
  return strings;
}

/** Declares the property tests for each case. */
export function propertySuite(cases: readonly Case[]): void {
  describe.each(cases)("$name", ({ text, format }) => {
    const before = openTemplate(text, format);
    const root = before.root;
    const broken = brokenResources(text);
    const nodes = propertyNodes(root, (id) => broken.has(id));
    const scalars = nodes.filter((n) => n.node.kind === "scalar");
    const removable = nodes.filter(
      (n) =>
        n.node.kind !== "intrinsic" &&
        ((n.parent?.kind === "map" && n.parent.entries.length > 1) ||
          (n.parent?.kind === "seq" && n.parent.items.length > 1)),
    );
    const seqs = nodes.filter((n) => n.node.kind === "seq");
    const intrinsics = counts(root);
    const rectifyOne = (change: RectifyChange) => {
      const outcome = rectify({ template: { text, format }, changes: [change] });
      if (!outcome.ok) throw new Error(JSON.stringify(outcome.issues));
      const after = openTemplate(outcome.result.text, format);
      expect(after.problems.length).toBe(before.problems.length);
      return { result: outcome.result, after };
    };

    if (scalars.length > 0)
      it("legitimizing a random scalar writes it and only its lines", () => {
        fc.assert(
          fc.property(
            fc.integer({ min: 0, max: scalars.length - 1 }).chain((i) => {
              const target = scalars[i] as (typeof scalars)[number];
              const current = target.node.kind === "scalar" ? target.node.value : null;
              return fc.tuple(fc.constant(target), valueLike(current));
            }),
            ([target, value]) => {
              const current = target.node.kind === "scalar" ? target.node.value : null;
              const { result, after } = rectifyOne({
                logicalId: target.logicalId,
                propertyPath: target.pointer,
                differenceType: "NOT_EQUAL",
                expected: current,
                actual: value,
                decision: "legitimize",
              });
              const properties = resourceProperties(root, target.logicalId);
              if (secretPaths(target.pointer, value, properties).length > 0) {
                // A secret (by the one table, core/secrets.ts) is never written: a manual item says where.
                expect(result.text).toBe(text);
                expect(result.manual.map((m) => m.message).join(" ")).toContain("holds a secret");
                return;
              }
              const written = nodeAt(after.root, target.node.path);
              expect(written?.kind).toBe("scalar");
              const read = written?.kind === "scalar" ? written.value : undefined;
              if (typeof current === "string" || current === null) expect(read).toBe(value);
              else expect(read).toEqual(value);
              expect(counts(after.root)).toEqual(intrinsics);
              const from = lineOf(text, target.node.start);
              const to = lineOf(text, Math.max(target.node.start, contentEnd(text, target.node) - 1));
              expect(untouchedOutside(text, result.text, from, to)).toBe(true);
            },
          ),
          { numRuns: runs(text) },
        );
      });

    if (removable.length > 0)
      it("legitimizing a random removal removes exactly that node's lines", () => {
        fc.assert(
          fc.property(fc.integer({ min: 0, max: removable.length - 1 }), (i) => {
            const target = removable[i] as (typeof removable)[number];
            const { result, after } = rectifyOne({
              logicalId: target.logicalId,
              propertyPath: target.pointer,
              differenceType: "REMOVE",
              expected: plainOf(target.node),
              actual: null,
              decision: "legitimize",
            });
            const parentPath = target.node.path.slice(0, -1);
            const size = (n: TemplateNode | undefined) =>
              n?.kind === "map" ? n.entries.length : n?.kind === "seq" ? n.items.length : -1;
            expect(size(nodeAt(after.root, parentPath))).toBe(size(nodeAt(root, parentPath)) - 1);
            const left = counts(after.root);
            for (const [fn, n] of Object.entries(left)) expect(n).toBeLessThanOrEqual(intrinsics[fn] ?? 0);
            // JSON removals may also drop the comma that ended the previous line.
            const slack = format === "json" ? 1 : 0;
            const entry =
              target.parent?.kind === "map"
                ? target.parent.entries.find((e) => e.value === target.node)
                : undefined;
            const keyStart = entry?.keyStart ?? target.node.start;
            const lineStart = text.lastIndexOf("\n", keyStart - 1) + 1;
            // The first key of a `- key: …` item: the next key moves up onto the dash line.
            const merges = entry && text.slice(lineStart, keyStart).trim() !== "" ? 1 : 0;
            const d = lineDiff(text, result.text);
            expect(d.prefix + d.suffix + slack + merges).toBeGreaterThanOrEqual(d.b); // lines only go
            if (target.parent?.kind !== "map") return; // equal list items: the first equal one goes
            const from = lineOf(text, keyStart) - slack;
            const to = lineOf(text, Math.max(target.node.start, contentEnd(text, target.node) - 1)) + merges;
            expect(untouchedOutside(text, result.text, from, to)).toBe(true);
          }),
          { numRuns: runs(text) },
        );
      });

    if (seqs.length > 0)
      it("legitimizing a random ADD to a list inserts only the new item", () => {
        fc.assert(
          fc.property(
            fc.integer({ min: 0, max: seqs.length - 1 }),
            fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/),
            strings,
            (i, key, value) => {
              const target = seqs[i] as (typeof seqs)[number];
              const seq = target.node;
              if (seq.kind !== "seq") return;
              const model = seq.items.find((item) => item.kind === "map");
              const item = model ? { Key: `phantom-${key}`, Value: value } : value;
              const { result, after } = rectifyOne({
                logicalId: target.logicalId,
                propertyPath: `${target.pointer}/${seq.items.length}`,
                differenceType: "ADD",
                expected: null,
                actual: item,
                decision: "legitimize",
              });
              if (result.text === text) return; // an equal item was already there
              const list = nodeAt(after.root, seq.path);
              expect(
                list?.kind === "seq" && plainOf(list.items[list.items.length - 1] as TemplateNode),
              ).toEqual(item);
              expect(counts(after.root)).toEqual(intrinsics);
              const from = lineOf(text, seq.start) - (format === "json" ? 1 : 0);
              const to = lineOf(text, Math.max(seq.start, contentEnd(text, seq) - 1));
              expect(untouchedOutside(text, result.text, from, to)).toBe(true);
              if (!seq.flow) {
                const d = lineDiff(text, result.text);
                expect(d.prefix + d.suffix).toBe(d.a); // a pure insertion: every old line kept
              }
            },
          ),
          { numRuns: runs(text) },
        );
      });
  });
}
