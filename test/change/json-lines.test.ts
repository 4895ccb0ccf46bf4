import { describe, expect, it } from "vitest";
import { catalogContext } from "../../core/change/context.ts";
import { JsonLines, quickJudge, useScanner } from "../../core/change/quick.ts";
import { inspectJsonAt, sourcePrefix } from "../../core/change/report.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { inertOutput } from "../../functions/cli/output.ts";
import { RecordFactory } from "../bench/generate.ts";

/**
 * `phantom inspect --json` writes its lines through JsonLines (quick.ts): quick lines put together in
 * the WebAssembly module's memory from the records' bytes, other lines as text, in order, and handed
 * out as ASCII bytes only when every byte is printable ASCII or a line feed (what the terminal's choke
 * point would leave as it is); else as text, which the choke point escapes.
 */

const context = catalogContext(DEFAULT_CONFIG);

/** Writes each text's line (quick when it can), flushing every `every` lines; what `to` received. */
function run(
  name: string,
  texts: readonly string[],
  every: number,
): { out: string; bytes: number; text: number } {
  expect(useScanner("wasm")).toBe(true);
  const lines = new JsonLines();
  const prefix = sourcePrefix(name);
  lines.file(prefix);
  let out = "";
  let bytes = 0;
  let text = 0;
  const to = inertOutput({
    out: (t) => {
      out += t;
      text++;
    },
    ascii: (b) => {
      out += Buffer.from(b).toString("latin1");
      bytes++;
    },
    err: () => {},
  });
  texts.forEach((t, i) => {
    const quick = quickJudge(t, context);
    if (quick === undefined) lines.line(`{"full":${i}}`);
    else if (!lines.quick(quick, i)) lines.line(inspectJsonAt(prefix, name, i, quick));
    if ((i + 1) % every === 0) lines.flushTo(to);
  });
  lines.flushTo(to);
  return { out, bytes, text };
}

/** The lines the CLI wrote before JsonLines: inspectJsonAt's text, through the choke point. */
function expected(name: string, texts: readonly string[]): string {
  const prefix = sourcePrefix(name);
  let out = "";
  texts.forEach((t, i) => {
    const quick = quickJudge(t, context);
    out += `${quick === undefined ? `{"full":${i}}` : inspectJsonAt(prefix, name, i, quick)}\n`;
  });
  let escaped = "";
  inertOutput({ out: (t) => (escaped += t), err: () => {} }).out(out);
  return escaped;
}

const factory = new RecordFactory(11);
const generated = Array.from({ length: 6000 }, () => factory.next().line);

describe("JsonLines", () => {
  it("writes inspectJsonAt's lines, in order, as bytes, across flushes and a full output region", () => {
    // Flushed rarely: 6,000 lines of about 450 bytes overflow the 512 KiB output region.
    for (const every of [1, 97, 100_000]) {
      const { out, bytes } = run("capture.jsonl", generated, every);
      expect(out).toBe(expected("capture.jsonl", generated));
      if (every === 97) expect(bytes).toBeGreaterThan(10);
    }
  });

  it("hands out text, escaped by the choke point, when a line holds DEL or a character past ASCII", () => {
    const base = JSON.parse(generated.find((t) => t.includes('"Describe')) as string) as Record<
      string,
      unknown
    >;
    const record = (base.detail ?? base) as Record<string, unknown>;
    const del = JSON.stringify({ ...record, eventName: "DescribeX\u007f" });
    const accent = JSON.stringify({ ...record, eventName: "DescribeÉ" });
    for (const texts of [[del], [accent], generated.slice(0, 50)]) {
      for (const name of ["capture.jsonl", "capturé.jsonl", 'odd"name\u0085.jsonl']) {
        const { out, bytes, text } = run(name, texts, 1000);
        expect(out).toBe(expected(name, texts));
        if (texts.length === 1 || name !== "capture.jsonl") expect(bytes).toBe(0);
        else expect(text).toBe(0);
      }
    }
    expect(expected("capture.jsonl", [del])).toContain("\\u007f");
  });
});
