import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogContext } from "../../core/change/context.ts";
import { judgeDocument } from "../../core/change/intake.ts";
import { type InspectLine, inspectLine } from "../../core/change/report.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { inspectPaths } from "../../functions/cli/inspect.ts";
import { RecordFactory } from "../bench/generate.ts";
import { ingress, modifyDbInstance } from "../change/records.ts";
import { collect, type TempDir, tempDir } from "./temp-files.ts";

/**
 * The streaming reader behind `phantom inspect`: on valid captures of every shape it gives exactly
 * what reading the whole file and JSON.parse-ing it gives (the reader's behaviour before it streamed),
 * and it holds one record at a time, whatever the size of the file.
 */

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const context = catalogContext(DEFAULT_CONFIG);

let temp: TempDir;
beforeAll(async () => {
  temp = await tempDir("streaming");
});
afterAll(async () => {
  await temp.remove();
});

/**
 * What whole-file reading gives for valid input: when the first non-blank line parses on its own the
 * file is JSON lines, judged line by line; otherwise it is one document. A file of one value holding
 * one record is sourced by its name alone.
 */
function wholeFile(text: string, display: string): InspectLine[] {
  const body = text.replace(/^\ufeff/, "");
  const lines = body.split(/\r\n|\r|\n/);
  const first = lines.find((l) => l.trim() !== "") as string;
  let values: unknown[];
  try {
    JSON.parse(first);
    values = lines.filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as unknown);
  } catch {
    values = [JSON.parse(body)];
  }
  const judged = values.flatMap((v) => judgeDocument(v, context));
  const lone = values.length === 1 && judged.length === 1;
  return judged.map(({ judgement }, i) => inspectLine(lone ? display : `${display}#${i}`, judgement));
}

const generated = (() => {
  const factory = new RecordFactory(11);
  return Array.from({ length: 60 }, () => JSON.parse(factory.next().line) as unknown);
})();

describe("the streaming reader on valid captures", () => {
  it("gives what whole-file reading gives, for every shape, layout, and gzip", async () => {
    // prepare
    const records = fc.array(
      fc.constantFrom(...generated, ingress(), modifyDbInstance(), 42, [], { Records: [] }),
      {
        minLength: 1,
        maxLength: 8,
      },
    );
    const shape = fc.constantFrom("lines", "trail", "array", "nested", "record");
    const layout = fc.constantFrom(undefined, 2, "\t");
    const eol = fc.constantFrom("\n", "\r\n", "\r");
    let n = 0;

    // act + assess
    await fc.assert(
      fc.asyncProperty(
        records,
        shape,
        layout,
        eol,
        fc.boolean(),
        fc.boolean(),
        async (items, kind, space, newline, bom, gz) => {
          const document =
            kind === "trail"
              ? { Records: items }
              : kind === "array"
                ? items
                : kind === "nested"
                  ? [items.slice(0, 2), { Records: items.slice(2) }]
                  : items[0];
          const text =
            kind === "lines"
              ? items.map((i) => JSON.stringify(i)).join(newline)
              : JSON.stringify(document, null, space).replaceAll("\n", newline);
          const content = `${bom ? "\ufeff" : ""}${text}${newline}`;
          const name = `valid/c${n++}.${kind === "lines" ? "jsonl" : "json"}${gz ? ".gz" : ""}`;
          const file = await temp.write(name, gz ? gzipSync(content) : content);
          const display = path.relative(process.cwd(), file);

          const lines = await collect(inspectPaths([file], DEFAULT_CONFIG));

          expect(lines).toEqual(wholeFile(content, display));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("the streaming reader's memory", () => {
  it("reads a 19 MiB one-line trail log file, plain and gzipped, within a 24 MiB heap", async () => {
    // prepare: 12,000 generated records in one line, as S3 delivers trail log files
    const factory = new RecordFactory(3);
    const lines = Array.from({ length: 12_000 }, () => factory.next().line);
    const text = `{"Records":[${lines.join(",")}]}`;
    const plain = await temp.write("big/trail.json", text);
    const zipped = await temp.write("big/trail.json.gz", gzipSync(text));
    const script = await temp.write(
      "big/count.mts",
      [
        `import { inspectBatches } from ${JSON.stringify(path.join(REPO, "functions/cli/inspect.ts"))};`,
        `import { DEFAULT_CONFIG } from ${JSON.stringify(path.join(REPO, "core/config/schema.ts"))};`,
        "const counts = [];",
        "for (const file of process.argv.slice(2)) {",
        "  let n = 0;",
        "  for await (const batch of inspectBatches([file], DEFAULT_CONFIG)) n += batch.length;",
        "  counts.push(n);",
        "}",
        "process.stdout.write(JSON.stringify(counts));",
      ].join("\n"),
    );

    // act: about 13 MiB of the heap is modules; reading the file whole (its text, then its objects) would not fit
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--max-old-space-size=24", "--import", "tsx", script, plain, zipped],
      { cwd: REPO, timeout: 60_000 },
    );

    // assess
    expect(text.length).toBeGreaterThan(18 * 2 ** 20);
    expect(JSON.parse(stdout)).toEqual([12_000, 12_000]);
  }, 90_000);
});
