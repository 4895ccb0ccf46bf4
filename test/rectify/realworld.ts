import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openTemplate, rectify } from "../../core/rectify/rectify.ts";
import { nodeAt, plainOf, sameValue } from "../../core/rectify/tree.ts";
import type { RectifyResult } from "../../core/rectify/types.ts";
import {
  type Fabricated,
  fabricateWindow,
  missingOutside,
  type RealTemplate,
  rewrittenLines,
} from "./realworld-support.ts";

/**
 * Every template shape (issue 13): on each real-world template and its BOM / CRLF variants, one
 * window of fabricated drift of every kind is rectified in one call, and:
 * - it never throws and never refuses the window: each change is written, a manual item with its
 *   reason, or reverted;
 * - the changes that must be written read back from the re-parsed output;
 * - every line of the original the window's written changes may not touch is still there, byte for
 *   byte (comments, quoting, line endings), and the BOM and line-ending style are kept.
 * Split over two files (realworld-a/b) so they run in parallel.
 */

const BOM = "\uFEFF";

export function checkWindow(text: string, window: readonly Fabricated[]): RectifyResult {
  const outcome = rectify({ template: { text }, changes: window.map((f) => f.change) });
  if (!outcome.ok) throw new Error(`rectify refused the window: ${JSON.stringify(outcome.issues)}`);
  const result = outcome.result;
  const applied = new Map(result.applied.map((a) => [a.index, a]));
  const manual = new Map(result.manual.map((m) => [m.index, m]));
  const reverted = new Set(result.reverted.map((r) => r.index));
  const after = openTemplate(result.text);
  window.forEach((f, i) => {
    const got = applied.has(i) ? "applied" : reverted.has(i) ? "reverted" : manual.has(i) ? "manual" : "lost";
    const where = `${f.kind} ${f.change.logicalId} ${f.change.propertyPath}`;
    if (f.expect === "either") expect(["applied", "manual"], where).toContain(got);
    else expect(got, `${where}: ${manual.get(i)?.message ?? ""}`).toBe(f.expect);
    if (got === "manual") expect(manual.get(i)?.message.length, where).toBeGreaterThan(20);
    if (got === "applied" && f.readBack) {
      const node = nodeAt(after.root, f.readBack.path);
      expect(node && sameValue(plainOf(node), f.readBack.value), `${where} reads back`).toBe(true);
    }
    if (got === "applied" && f.around) {
      const { before, after: tail } = f.around;
      const kept = result.text.split(/\r?\n/).some((l) => l.startsWith(before) && l.endsWith(tail));
      expect(kept, `${where} keeps ${JSON.stringify(before)} … ${JSON.stringify(tail)} on its line`).toBe(
        true,
      );
    }
    if (got === "applied" && f.shorter) {
      const list = nodeAt(after.root, f.shorter.path);
      expect(list?.kind === "seq" && list.items.length, `${where} removes one item`).toBe(f.shorter.length);
    }
  });
  const allowed = new Set(window.flatMap((f, i) => (applied.has(i) ? f.lines : [])));
  const missing = missingOutside(text, result.text, allowed);
  expect(
    missing && `line ${missing} is not kept: ${JSON.stringify(text.split("\n")[missing - 1])}`,
  ).toBeUndefined();
  expect(rewrittenLines(text, result.text).removed.length).toBeLessThanOrEqual(allowed.size);
  expect(result.text.startsWith(BOM)).toBe(text.startsWith(BOM));
  if (text.includes("\r\n")) expect(/(^|[^\r])\n/.test(result.text.replace(/\r\n/g, ""))).toBe(false);
  expect(after.problems.length).toBe(openTemplate(text).problems.length);
  return result;
}

/** `PHANTOM_PROPERTY_RUNS=5` multiplies the runs, for a longer local search. */
const factor = Math.max(1, Number(process.env.PHANTOM_PROPERTY_RUNS ?? 1) || 1);

export function realworldSuite(templates: readonly RealTemplate[]): void {
  describe.each(templates)("$name", ({ text }) => {
    it("takes a fabricated window of every kind of drift, writing what it can and keeping every other byte", () => {
      const window = fabricateWindow(text, 0);
      expect(window.length).toBeGreaterThanOrEqual(2);
      checkWindow(text, window);
    });

    it("does so for any window", () => {
      const runs = factor * (text.length > 60_000 ? 2 : 4);
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
          checkWindow(text, fabricateWindow(text, seed));
        }),
        { numRuns: runs },
      );
    });
  });
}
