import { open } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../functions/cli/main.ts";
import {
  type CaptureItem,
  DEFAULT_CAPTURE_LIMITS,
  readCaptureFile,
} from "../../functions/io/read-captures.ts";
import { collect, type TempDir, tempDir } from "./temp-files.ts";

/**
 * Every capture is bounded: a file's content (after gunzip) and one record (a line of JSON lines, a
 * document's record) have caps. Over a cap, that file, line or record is rejected with a reason that
 * names it, the reader never holds more than the cap, and everything else is still read. A gzip bomb
 * (an 18 MB file of zlib'd zeros) crashed `phantom inspect` with a stack trace at 660 MB RSS.
 */

const record = (name: string) =>
  JSON.stringify({
    eventVersion: "1.08",
    eventSource: "ec2.amazonaws.com",
    eventName: name,
    eventTime: "2024-05-01T10:00:00Z",
    readOnly: true,
    userIdentity: { type: "IAMUser", userName: "sam", arn: "arn:aws:iam::111122223333:user/sam" },
  });

const dirs: TempDir[] = [];
async function scratch(): Promise<TempDir> {
  const dir = await tempDir("limits");
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await dir.remove();
});

const errors = (items: CaptureItem[]) => items.filter((i) => i.kind === "error");
const values = (items: CaptureItem[]) => items.filter((i) => i.kind === "value");
const MiB = 1 << 20;

/** A gzip member of `size` bytes of one byte value, generated here: the shape of a zip bomb. */
function bomb(size: number, byte: number): Buffer {
  return gzipSync(Buffer.alloc(size, byte), { level: 9 });
}

describe("a capture file over the size cap", () => {
  it("a gzip bomb of zeros is rejected once, naming the cap, without reading it line by line", async () => {
    const temp = await scratch();
    for (const byte of [0x30, 0x00, 0x20]) {
      // '0' digits (one endless number), NUL bytes, and spaces (nothing but white space)
      const file = await temp.write(`bomb-${byte}.json.gz`, bomb(24 * MiB, byte));
      const items = await collect(readCaptureFile(file, { fileBytes: 8 * MiB, recordBytes: MiB }));
      expect(values(items)).toEqual([]);
      expect(items, `byte ${byte}`).toHaveLength(1);
      expect(errors(items)[0]).toMatchObject({ kind: "error", file, limit: true });
      expect((errors(items)[0] as { error: string }).error).toMatch(
        byte === 0x20
          ? /holds more than 8 MiB after gunzip \(the cap for one capture file\)/
          : /first JSON value, from line 1, is longer than 1 MiB \(the cap for one record\)/,
      );
    }
  });

  it("a JSON lines file gives its records up to the cap, then one error saying where it stopped", async () => {
    const temp = await scratch();
    const lines = Array.from({ length: 20_000 }, (_, i) => record(`Describe${i}`)).join("\n");
    const file = await temp.write("many.jsonl.gz", gzipSync(`${lines}\n`));
    const items = await collect(readCaptureFile(file, { fileBytes: 2 * MiB, recordBytes: MiB }));
    const read = values(items).length;
    expect(read).toBeGreaterThan(1000);
    expect(read).toBeLessThan(20_000);
    expect(errors(items)).toHaveLength(1);
    expect(items.at(-1)).toMatchObject({ kind: "error", limit: true });
    expect((items.at(-1) as { error: string }).error).toMatch(
      /holds more than 2 MiB after gunzip \(the cap for one capture file\); stopped at line \d+, the records before it were read/,
    );
  });

  it("a plain file larger than the default cap is rejected at once, before anything is read", async () => {
    const temp = await scratch();
    const file = await temp.write("huge.jsonl", "");
    // A sparse file: no disk is used, and the size alone decides.
    const handle = await open(file, "r+");
    await handle.truncate(DEFAULT_CAPTURE_LIMITS.fileBytes + 1);
    await handle.close();
    const started = performance.now();
    const items = await collect(readCaptureFile(file));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(items).toEqual([
      {
        kind: "error",
        file,
        limit: true,
        error: "the file holds more than 4 GiB (the cap for one capture file); it is not read",
      },
    ]);
  });
});

describe("a record over the cap", () => {
  it("a JSON line longer than the cap is rejected by its line, and the lines around it are read", async () => {
    const temp = await scratch();
    const long = record(`Describe${"x".repeat(5000)}`);
    // The reader's piece is 1 MiB: one long line within a piece, one across pieces, one at the end.
    const across = record(`Describe${"y".repeat(3 * MiB)}`);
    const text = [record("A"), long, record("B"), across, record("C"), long].join("\r\n");
    const file = await temp.write("long.jsonl", text);
    const items = await collect(readCaptureFile(file, { fileBytes: 64 * MiB, recordBytes: 4096 }));
    expect(values(items).map((i) => (i.kind === "value" ? i.line : 0))).toEqual([1, 3, 5]);
    expect(errors(items)).toEqual([
      {
        kind: "error",
        file,
        line: 2,
        limit: true,
        error: expect.stringMatching(/^line 2 is longer than 4 KiB/),
      },
      {
        kind: "error",
        file,
        line: 4,
        limit: true,
        error: expect.stringMatching(/^line 4 is longer than 4 KiB/),
      },
      {
        kind: "error",
        file,
        line: 6,
        limit: true,
        error: expect.stringMatching(/^line 6 is longer than 4 KiB/),
      },
    ]);
    expect((errors(items)[0] as { error: string }).error).toBe(
      "line 2 is longer than 4 KiB (the cap for one record); it is skipped",
    );
  });

  it("a trail log file's record longer than the cap is rejected by its path, and the others are read", async () => {
    const temp = await scratch();
    const records = [record("A"), record(`Describe${"z".repeat(2 * MiB)}`), record("C")];
    const file = await temp.write("trail.json", `{"Records": [\n${records.join(",\n")}\n]}`);
    const items = await collect(readCaptureFile(file, { fileBytes: 64 * MiB, recordBytes: MiB }));
    expect(values(items).map((i) => (i.kind === "value" ? i.path : ""))).toEqual([
      ".Records[0]",
      ".Records[2]",
    ]);
    expect(errors(items)).toEqual([
      {
        kind: "error",
        file,
        line: 3,
        limit: true,
        error: ".Records[1] (line 3) is longer than 1 MiB (the cap for one record); it is skipped",
      },
    ]);
  });

  it("a line of a broken file read line by line is held to the cap too", async () => {
    const temp = await scratch();
    // Not one JSON value: the reader salvages the lines, one of which is too long.
    const text = ["{oops", record("A"), record(`Describe${"w".repeat(10_000)}`), record("B")].join("\n");
    const file = await temp.write("broken.jsonl", text);
    const items = await collect(readCaptureFile(file, { fileBytes: 64 * MiB, recordBytes: 4096 }));
    expect(values(items).map((i) => (i.kind === "value" ? i.line : 0))).toEqual([2, 4]);
    expect(errors(items).map((e) => e.kind === "error" && [e.line, e.limit ?? false])).toEqual([
      [1, false],
      [3, true],
    ]);
  });

  it("at the default cap (16 MiB): a longer line is rejected and the next one read, quickly", async () => {
    const temp = await scratch();
    const cap = DEFAULT_CAPTURE_LIMITS.recordBytes;
    expect(cap).toBe(16 * MiB);
    const padding = cap - record("").length + 1;
    const over = record(`Describe${"q".repeat(padding)}`);
    expect(Buffer.byteLength(over)).toBe(cap + "Describe".length + 1);
    const file = await temp.write(
      "default.jsonl.gz",
      gzipSync([record("A"), over, record("B")].join("\n"), { level: 1 }),
    );
    const items = await collect(readCaptureFile(file));
    expect(values(items).map((i) => (i.kind === "value" ? i.line : 0))).toEqual([1, 3]);
    expect(errors(items)).toMatchObject([
      { line: 2, limit: true, error: "line 2 is longer than 16 MiB (the cap for one record); it is skipped" },
    ]);
  });
});

describe("phantom inspect on a gzip bomb next to a good file", () => {
  it("reports the good file, rejects the bomb with a message, exits 1 and prints no stack", async () => {
    const temp = await scratch();
    const good = await temp.write(
      "a-good.jsonl",
      `${record("DescribeInstances")}\n${record("DescribeVpcs")}\n`,
    );
    // 24 MiB of '0' (one endless number): over the default cap for one record.
    const evil = await temp.write("b-bomb.json.gz", bomb(24 * MiB, 0x30));
    let stdout = "";
    let stderr = "";
    const code = await main(["inspect", "--json", good, evil], {
      out: (s) => (stdout += s),
      err: (s) => (stderr += s),
    });
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { source: string; verdict: string; reason?: string; reasonCode?: string });
    expect(lines.map((l) => l.verdict)).toEqual(["ignored", "ignored", "rejected"]);
    expect(lines[2]?.reasonCode).toBe("too-large");
    expect(lines[2]?.source).toMatch(/b-bomb\.json\.gz$/);
    expect(lines[2]?.reason).toMatch(
      /^too-large: the file's first JSON value, from line 1, is longer than 16 MiB/,
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^phantom: 1 capture over a size cap: .*b-bomb\.json\.gz: the file's first JSON value/,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
