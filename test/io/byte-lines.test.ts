import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lineEntry, readCaptureBatches } from "../../functions/io/read-captures.ts";
import { collect, type TempDir, tempDir } from "./temp-files.ts";

/**
 * JSON lines are read as bytes (ByteLines in functions/io/read-captures.ts) and a line is decoded only
 * when it is needed. These tests hold the byte reader to what reading the file as text gives: the
 * whole file decoded, split at LF, CRLF and lone CR, blank lines (as String.prototype.trim sees them)
 * left out, whatever the bytes (invalid UTF-8 too) and wherever a line falls against the 1 MiB pieces.
 */

let temp: TempDir;
beforeAll(async () => {
  temp = await tempDir("byte-lines");
});
afterAll(() => temp.remove());

/** What reading the file as text gives after its first line: each non-blank line, numbered. */
function expected(bytes: Buffer): { text: string; line: number }[] {
  const lines = bytes.toString("utf8").split(/\r\n|\r|\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines
    .map((text, i) => ({ text, line: i + 1 }))
    .filter(({ text, line }) => line > 1 && text.trim() !== "");
}

/** The lines the reader gives after the first record, decoded (each batch before the next is read). */
async function read(file: string): Promise<{ text: string; line: number }[]> {
  const out: { text: string; line: number }[] = [];
  for await (const batch of readCaptureBatches(file)) {
    for (const entry of batch) {
      if (entry.kind !== "lines") continue;
      for (let i = 0; i < entry.count; i++) {
        const { text, line } = lineEntry(entry, i);
        out.push({ text, line });
      }
    }
  }
  return out;
}

const FIRST = Buffer.from('{"eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com"}');

describe("JSON lines read as bytes", () => {
  it("gives the lines of the decoded text, for any bytes and line breaks", async () => {
    const piece = fc.oneof(
      fc.constantFrom(
        "\n",
        "\r\n",
        "\r",
        "   ",
        "\t",
        "\u00a0",
        "\u2028",
        "\ufeff",
        '{"a":1}',
        '{"eventName":"Délété"}',
        "not json",
      ),
      fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a).toString("latin1")),
    );
    // Raw bytes: latin1 pieces are written byte for byte, the rest as UTF-8.
    const bytes = fc
      .array(fc.tuple(piece, fc.boolean()), { maxLength: 40 })
      .map((parts) => Buffer.concat(parts.map(([text, raw]) => Buffer.from(text, raw ? "latin1" : "utf8"))));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(bytes, fc.constantFrom("\n", "\r\n", "\r"), fc.boolean(), async (body, br, gz) => {
        const content = Buffer.concat([FIRST, Buffer.from(br), body]);
        const file = await temp.write(`p${n++}.jsonl${gz ? ".gz" : ""}`, gz ? gzipSync(content) : content);
        expect(await read(file)).toEqual(expected(content));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps lines whole across the 1 MiB pieces: a CRLF split between them, a line longer than two pieces", async () => {
    // prepare: a CR as the last byte of the first piece and its LF as the first of the next, then a
    // 2.5 MiB line, then short lines
    const MiB = 1 << 20;
    const record = (length: number) => {
      const head = '{"eventName":"PutObject","pad":"';
      return `${head}${"é".repeat(Math.floor((length - head.length - 2) / 2))}"}`;
    };
    const first = `${FIRST.toString()}\n`;
    // record() writes whole two-byte characters: one byte short, then one byte of padding.
    const filler = `${record(MiB - first.length - 2)} `;
    const content = Buffer.from(
      `${first}${filler}\r\n${record(2.5 * MiB)}\n\n${record(100)}\r${record(200)}`,
      "utf8",
    );
    const crAt = content.indexOf("\r");

    // act
    const plain = await read(await temp.write("big.jsonl", content));
    const gzipped = await read(await temp.write("big.jsonl.gz", gzipSync(content)));

    // assess
    expect(crAt).toBe(MiB - 1);
    expect(plain.map((l) => l.line)).toEqual([2, 3, 5, 6]);
    const summary = (lines: { text: string; line: number }[]) =>
      lines.map(({ text, line }) => `${line}:${text.length}:${text.slice(-4)}`);
    expect(summary(plain)).toEqual(summary(expected(content)));
    expect(summary(gzipped)).toEqual(summary(expected(content)));
    expect(plain).toEqual(expected(content));
    expect(gzipped).toEqual(expected(content));
  });

  it("passes a long first line without keeping it: a 3 MiB one-line trail file, then JSON lines", async () => {
    // prepare
    const records = Array.from({ length: 3000 }, (_, i) => ({
      eventName: "GetObject",
      eventSource: "s3.amazonaws.com",
      pad: "x".repeat(1000),
      i,
    }));
    const trail = JSON.stringify({ Records: records });
    const content = Buffer.from(`${trail}\r\n${FIRST.toString()}\n\n${FIRST.toString()}`);

    // act
    const lines = await read(await temp.write("trail-then-lines.jsonl", content));
    const streamed = (await collect(readCaptureBatches(await temp.write("t.jsonl", content))))
      .flat()
      .filter((e) => e.kind === "text").length;

    // assess
    expect(trail.length).toBeGreaterThan(3 * 2 ** 20);
    expect(lines).toEqual([
      { text: FIRST.toString(), line: 2 },
      { text: FIRST.toString(), line: 4 },
    ]);
    expect(streamed).toBe(3000);
  });
});
