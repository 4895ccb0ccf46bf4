import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CaptureItem,
  listCaptureFiles,
  readCaptureFile,
  UnreadablePathError,
} from "../../functions/io/read-captures.ts";
import { collect, type TempDir, tempDir } from "./temp-files.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const READER = fileURLToPath(new URL("../../functions/io/read-captures.ts", import.meta.url));

const record = (eventName: string, extra: Record<string, unknown> = {}) => ({
  eventVersion: "1.08",
  eventTime: "2021-01-24T04:55:45Z",
  eventSource: "ec2.amazonaws.com",
  eventName,
  ...extra,
});

/** Items without the file name, for compact expectations. */
function strip(items: CaptureItem[]): Omit<CaptureItem, "file">[] {
  return items.map(({ file: _file, ...rest }) => rest);
}

let temp: TempDir;
beforeAll(async () => {
  temp = await tempDir("read-captures");
});
afterAll(async () => {
  await temp.remove();
});

describe("readCaptureFile: JSON documents", () => {
  it("reads a pretty-printed trail log file record by record, each with its place and no line", async () => {
    // prepare
    const file = await temp.write(
      "pretty.json",
      JSON.stringify({ Records: [record("A"), record("B")] }, null, 2),
    );

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(items).toEqual([
      { kind: "value", file, value: record("A"), path: ".Records[0]", depth: 1 },
      { kind: "value", file, value: record("B"), path: ".Records[1]", depth: 1 },
    ]);
  });

  it("reads a record as one value without a line or a place", async () => {
    // prepare
    const file = await temp.write("one.json", JSON.stringify(record("A"), null, 2));

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(items).toEqual([{ kind: "value", file, value: record("A") }]);
  });

  it("skips a UTF-8 byte order mark at the start of a document", async () => {
    // prepare
    const document = record("A");
    const file = await temp.write("bom.json", `\ufeff${JSON.stringify(document, null, 2)}\n`);

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([{ kind: "value", value: document }]);
  });

  it.each<[string, string]>([
    ["empty", ""],
    ["blank", "  \n\n \r\n"],
  ])("yields one error for an %s file: the file is empty", async (name, content) => {
    // prepare
    const file = await temp.write(`${name}.json`, content);

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(items).toEqual([{ kind: "error", file, error: "the file is empty" }]);
  });

  it("yields one error for a file that is not JSON at all", async () => {
    // prepare
    const file = await temp.write(
      "notes.json",
      "These are my notes about the incident.\nNothing here is JSON.\n",
    );

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      kind: "error",
      error: expect.stringMatching(/^not JSON or JSON lines: /),
    });
  });

  it("a pretty-printed trail file truncated mid-array yields the records before the cut, then one error saying where", async () => {
    // prepare
    const text = JSON.stringify(
      { Records: [record("A", { requestParameters: { groupId: "sg-1" } }), record("B")] },
      null,
      2,
    );
    const file = await temp.write("truncated.json", text.slice(0, Math.floor(text.length * 0.8)));

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      {
        kind: "value",
        value: record("A", { requestParameters: { groupId: "sg-1" } }),
        path: ".Records[0]",
        depth: 1,
      },
      {
        kind: "error",
        line: expect.any(Number),
        error: expect.stringMatching(
          /^the document is cut at line \d+, column \d+, inside \.Records\[1\]; the 1 record before it were read$/,
        ),
      },
    ]);
  });

  it("a truncated document whose small objects sit on one line gives its whole records, never fragments", async () => {
    // prepare: how Prettier and many SIEM exporters lay out short objects
    const text = [
      "{",
      '  "Records": [',
      "    {",
      '      "eventTime": "2021-01-24T04:55:45Z",',
      '      "eventSource": "ec2.amazonaws.com",',
      '      "eventName": "CreateTags",',
      '      "requestParameters": {',
      '        "resourcesSet": { "items": [{ "resourceId": "sg-0abc" }] },',
      '        "tagSet": {',
      '          "items": [',
      '            { "key": "Name", "value": "web" },',
      '            { "key": "env", "value": "prod" }',
      "          ]",
      "        }",
      "      }",
      "    },",
      "    {",
      '      "eventTime": "2021-01-24T04:56:00Z",',
    ].join("\n");
    const file = await temp.write("truncated-prettier.json", text);

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      expect.objectContaining({
        kind: "value",
        path: ".Records[0]",
        value: expect.objectContaining({ eventName: "CreateTags" }),
      }),
      {
        kind: "error",
        line: 18,
        error:
          "the document is cut at line 18, column 43, inside .Records[1]; the 1 record before it were read",
      },
    ]);
  });

  it("a truncated document that broke before its first record is one error saying where", async () => {
    // prepare
    const file = await temp.write("cut-early.json", '{\n  "Records": [\n    {\n      "eventName": "A",');

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      {
        kind: "error",
        error: "not JSON or JSON lines: the document is cut at line 4, column 24, inside .Records[0]",
      },
    ]);
  });

  it("streams the items of a JSON array, and of arrays and trail files inside it", async () => {
    // prepare
    const document = [record("A"), [record("B"), record("C")], { Records: [record("D")] }];
    const file = await temp.write("array.json", JSON.stringify(document));

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "value", value: record("A"), path: "[0]", depth: 1 },
      { kind: "value", value: record("B"), path: "[1][0]", depth: 2 },
      { kind: "value", value: record("C"), path: "[1][1]", depth: 2 },
      { kind: "value", value: record("D"), path: "[2].Records[0]", depth: 2 },
    ]);
  });

  it("names a record of a streamed document that is not valid JSON, and goes on with the next", async () => {
    // prepare
    const file = await temp.write(
      "bad-record.json",
      `{"Records": [${JSON.stringify(record("A"))}, {"eventName": tru}, ${JSON.stringify(record("C"))}]}`,
    );

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "value", value: record("A"), path: ".Records[0]", depth: 1 },
      { kind: "error", error: expect.stringMatching(/^\.Records\[1\] \(line 1\) is not valid JSON: /) },
      { kind: "value", value: record("C"), path: ".Records[2]", depth: 1 },
    ]);
  });

  it("reports a key after a trail file's Records array that would have made it a record", async () => {
    // prepare
    const file = await temp.write(
      "records-then-eventname.json",
      `{"Records": [${JSON.stringify(record("A"))}], "eventName": "X"}`,
    );

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "value", value: record("A"), path: ".Records[0]", depth: 1 },
      {
        kind: "error",
        line: 1,
        error: 'the document has "eventName" after its Records array, which was read as a trail log file',
      },
    ]);
  });

  it("reports what follows a streamed document, after its records", async () => {
    // prepare
    const file = await temp.write(
      "trailing.json",
      `${JSON.stringify({ Records: [record("A")] }, null, 2)}\nextra`,
    );

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "value", value: record("A"), path: ".Records[0]", depth: 1 },
      { kind: "error", line: 11, error: 'unexpected "e" after the JSON value, at line 11, column 1' },
    ]);
  });
});

describe("readCaptureFile: JSON lines", () => {
  it("reads one value per line, skipping blank lines, with CRLF endings and line numbers", async () => {
    // prepare
    const text = `${JSON.stringify(record("A"))}\r\n\r\n${JSON.stringify(record("B"))}\r\n   \r\n${JSON.stringify(record("C"))}`;
    const file = await temp.write("crlf.jsonl", text);

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "value", line: 1, value: record("A") },
      { kind: "value", line: 3, value: record("B") },
      { kind: "value", line: 5, value: record("C") },
    ]);
  });

  it("skips a byte order mark before the first line", async () => {
    // prepare
    const file = await temp.write(
      "bom.jsonl",
      `\ufeff${JSON.stringify(record("A"))}\n${JSON.stringify(record("B"))}\n`,
    );

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "value", line: 1, value: record("A") },
      { kind: "value", line: 2, value: record("B") },
    ]);
  });

  it("a truncated FIRST line is an error for that line; later lines still come through", async () => {
    // prepare
    const first = JSON.stringify(record("A")).slice(0, 40);
    const file = await temp.write(
      "truncated-first.jsonl",
      `${first}\n${JSON.stringify(record("B"))}\n${JSON.stringify(record("C"))}\n`,
    );

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "error", line: 1, error: expect.stringMatching(/^line 1 is not valid JSON/) },
      { kind: "value", line: 2, value: record("B") },
      { kind: "value", line: 3, value: record("C") },
    ]);
  });

  it("a truncated middle line is an error for that line only", async () => {
    // prepare
    const middle = JSON.stringify(record("B")).slice(0, 30);
    const file = await temp.write(
      "truncated-middle.jsonl",
      `${JSON.stringify(record("A"))}\n${middle}\n${JSON.stringify(record("C"))}\n`,
    );

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "value", line: 1, value: record("A") },
      { kind: "error", line: 2, error: expect.stringMatching(/^line 2 is not valid JSON/) },
      { kind: "value", line: 3, value: record("C") },
    ]);
  });

  it("reads gzipped JSON lines (.jsonl.gz)", async () => {
    // prepare
    const text = `${JSON.stringify(record("A"))}\n\n${JSON.stringify(record("B"))}\n`;
    const file = await temp.write("capture.jsonl.gz", gzipSync(text));

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "value", line: 1, value: record("A") },
      { kind: "value", line: 3, value: record("B") },
    ]);
  });

  it("reads a gzipped trail log file (.json.gz) record by record", async () => {
    // prepare
    const document = { Records: [record("A"), record("B")] };
    const file = await temp.write("trail.json.gz", gzipSync(JSON.stringify(document, null, 2)));

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "value", value: record("A"), path: ".Records[0]", depth: 1 },
      { kind: "value", value: record("B"), path: ".Records[1]", depth: 1 },
    ]);
  });

  it("reads a one-line trail log file (as S3 delivers them) record by record", async () => {
    // prepare
    const file = await temp.write("minified.json", JSON.stringify({ Records: [record("A"), record("B")] }));

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "value", value: record("A"), path: ".Records[0]", depth: 1 },
      { kind: "value", value: record("B"), path: ".Records[1]", depth: 1 },
    ]);
  });

  it("a .gz file that is not gzip is one error", async () => {
    // prepare
    const file = await temp.write("plain.jsonl.gz", `${JSON.stringify(record("A"))}\n`);

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    expect(strip(items)).toEqual([
      { kind: "error", error: expect.stringMatching(/^read failed after line 0: /) },
    ]);
  });

  it("a truncated .gz yields the lines before the cut, then one error", async () => {
    // prepare
    const zipped = gzipSync(`${JSON.stringify(record("A"))}\n`.repeat(2000));
    const file = await temp.write("cut.jsonl.gz", zipped.subarray(0, zipped.length - 40));

    // act
    const items = await collect(readCaptureFile(file));

    // assess
    const errors = items.filter((i) => i.kind === "error");
    expect(errors).toEqual([
      expect.objectContaining({ error: expect.stringMatching(/^read failed after line \d+/) }),
    ]);
    expect(items.at(-1)?.kind).toBe("error");
    expect(items.length).toBeGreaterThan(1);
  });

  it("a file that cannot be read is one error, plain or gzipped", async () => {
    // prepare: run in a child process, so an unhandled stream error cannot take the test runner down
    const script = [
      `import { readCaptureFile } from ${JSON.stringify(READER)};`,
      "const out = {};",
      `for (const name of ["missing.jsonl", "missing.jsonl.gz"]) {`,
      "  const items = [];",
      `  for await (const item of readCaptureFile(${JSON.stringify(temp.dir)} + "/" + name)) items.push(item.kind);`,
      "  out[name] = items;",
      "}",
      "process.stdout.write(JSON.stringify(out));",
    ].join("\n");
    const file = await temp.write("read-missing.mts", script);

    // act
    const run = await promisify(execFile)(process.execPath, ["--import", "tsx", file], {
      cwd: REPO,
      timeout: 15_000,
    }).then(
      ({ stdout }) => ({ ok: true as const, stdout }),
      (error: { stdout?: string; stderr?: string; code?: unknown }) => ({
        ok: false as const,
        stdout: error.stdout ?? "",
        stderr: (error.stderr ?? "").split("\n").slice(0, 12).join("\n"),
        code: error.code,
      }),
    );

    // assess
    expect(run).toEqual({
      ok: true,
      stdout: JSON.stringify({ "missing.jsonl": ["error"], "missing.jsonl.gz": ["error"] }),
    });
  });
});

describe("listCaptureFiles", () => {
  it("recurses into directories, keeps only .json/.jsonl/.ndjson (optionally .gz), sorted", async () => {
    // prepare
    const root = "tree";
    const names = [
      "b.jsonl",
      "a.json",
      "sub/deeper/c.ndjson",
      "sub/d.json.gz",
      "sub/e.ndjson.gz",
      "sub/f.jsonl.gz",
      "upper.JSON",
      "notes.txt",
      "a.json.bak",
      "archive.gz",
      "template.yaml",
      "README",
      "sub/.hidden.json",
    ];
    for (const name of names) await temp.write(`${root}/${name}`, "{}");
    const dir = path.join(temp.dir, root);

    // act
    const files = await listCaptureFiles([dir]);

    // assess
    const expected = [
      "a.json",
      "b.jsonl",
      "sub/.hidden.json",
      "sub/d.json.gz",
      "sub/deeper/c.ndjson",
      "sub/e.ndjson.gz",
      "sub/f.jsonl.gz",
      "upper.JSON",
    ]
      .map((name) => path.join(dir, name))
      .sort();
    expect(files).toEqual(expected);
  });

  it("keeps the order of the paths given and reads a file given by name whatever its extension", async () => {
    // prepare
    const loose = await temp.write("order/z-capture.txt", "{}");
    const inDir = await temp.write("order/dir/a.json", "{}");

    // act
    const files = await listCaptureFiles([loose, path.dirname(inDir)]);

    // assess
    expect(files).toEqual([loose, inDir]);
  });

  it("throws UnreadablePathError for a missing path, naming it", async () => {
    // prepare
    const missing = path.join(temp.dir, "no-such-capture.json");

    // act
    const listing = listCaptureFiles([missing]);

    // assess
    await expect(listing).rejects.toBeInstanceOf(UnreadablePathError);
    await expect(listing).rejects.toMatchObject({
      name: "UnreadablePathError",
      target: missing,
      message: expect.stringContaining(`cannot read ${missing}`),
      cause: expect.objectContaining({ code: "ENOENT" }),
    });
  });
});
