import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { candidates } from "../../core/change/decode.ts";
import { DocumentSplitter, type SplitRecord } from "../../core/change/stream.ts";

/**
 * The streaming splitter (core/change/stream.ts) against JSON.parse and `candidates`: for any capture
 * document, in any layout, fed in pieces of any size, the records it cuts out parse to the same
 * candidates, at the same places, as the whole document does; and a document cut anywhere yields the
 * records before the cut, then says where it was cut.
 */

interface Split {
  readonly records: SplitRecord[];
  readonly broken: string[];
  readonly problems: string[];
  readonly end: number;
}

function split(pieces: readonly string[]): Split {
  const records: SplitRecord[] = [];
  const broken: string[] = [];
  const problems: string[] = [];
  const splitter = new DocumentSplitter({
    record: (r) => records.push(r),
    broken: (m) => broken.push(m),
    problem: (m) => problems.push(m),
  });
  let end = -1;
  let offset = 0;
  for (const piece of pieces) {
    const at = splitter.write(piece);
    if (at >= 0) {
      end = offset + at;
      break;
    }
    offset += piece.length;
    if (splitter.broken) break;
  }
  if (end < 0 && !splitter.broken) splitter.end();
  return { records, broken, problems, end };
}

/** Cuts text into pieces at the given fractions. */
function cut(text: string, at: readonly number[]): string[] {
  const points = [...new Set(at.map((f) => Math.floor(f * text.length)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) pieces.push(text.slice(from, p));
    from = Math.max(from, p);
  }
  pieces.push(text.slice(from));
  return pieces.filter((p) => p !== "");
}

/** The candidates the records give, each parsed at its place. */
function streamed(records: readonly SplitRecord[]) {
  return records.flatMap((r) => candidates(JSON.parse(r.text), r.path, r.depth));
}

const record = fc.record(
  {
    eventName: fc.constantFrom("DescribeInstances", "ModifyDBInstance", 'Odd"Name\\', "\u2028"),
    eventSource: fc.constant("ec2.amazonaws.com"),
    requestParameters: fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 3 })),
    note: fc.string({ unit: "binary", maxLength: 6 }),
  },
  { requiredKeys: ["eventName"] },
);

/** Capture documents: records, arrays and trail log files, nested, with scalars as noise. */
const { document } = fc.letrec((tie) => ({
  document: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    record,
    fc.jsonValue({ maxDepth: 1 }),
    fc.array(tie("document"), { maxLength: 4 }),
    fc.record({ Records: fc.array(tie("document"), { maxLength: 4 }) }),
    fc.record({ version: fc.constant("1"), records: fc.array(tie("document"), { maxLength: 3 }) }),
    fc.record({ eventName: fc.constant("HasRecords"), Records: fc.array(record, { maxLength: 2 }) }),
  ),
}));

const layout = fc.constantFrom(undefined, 2, "\t", "\r\n");

function render(value: unknown, space: string | number | undefined): string {
  if (space === "\r\n") return JSON.stringify(value, null, 1).replaceAll("\n", "\r\n");
  return JSON.stringify(value, null, space);
}

describe("DocumentSplitter", () => {
  it("gives the candidates of the whole document, for any document, layout and pieces", () => {
    fc.assert(
      fc.property(
        document,
        layout,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (doc, space, at) => {
          // prepare
          const text = render(doc, space);

          // act
          const result = split(cut(text, at));

          // assess
          expect(result.broken).toEqual([]);
          expect(result.problems).toEqual([]);
          expect(streamed(result.records)).toEqual(candidates(JSON.parse(text)));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("a document cut anywhere yields the records before the cut and says where it was cut", () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 6 }),
        layout,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        (records, space, where, at) => {
          // prepare
          const text = render({ Records: records }, space);
          const length = Math.floor(where * (text.trimEnd().length - 1));
          const truncated = text.slice(0, length);

          // act
          const result = split(cut(truncated, at));

          // assess: a prefix of the records, each whole, then where the text ends
          const got = result.records.map((r) => JSON.parse(r.text) as unknown);
          // The records as their text holds them (JSON writes -0 as 0).
          const written = JSON.parse(JSON.stringify(records)) as unknown[];
          expect(got).toEqual(written.slice(0, got.length));
          expect(result.records.map((r) => r.path)).toEqual(got.map((_, i) => `.Records[${i}]`));
          if (truncated.trim() !== "") {
            expect(result.broken).toEqual([
              expect.stringMatching(/^the document is cut at line \d+, column \d+, inside /),
            ]);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("returns where the document's value ends, and the line it starts and ends on", () => {
    // prepare
    const splitter = new DocumentSplitter({ record: () => {}, broken: () => {}, problem: () => {} });

    // act
    const end = splitter.write('\n\n  {"Records": [\n{"a": 1}\n]}  \n{"next": 1}');

    // assess
    expect(end).toBe('\n\n  {"Records": [\n{"a": 1}\n]}'.length);
    expect([splitter.valueLine, splitter.endLine]).toEqual([3, 5]);
  });

  it("counts CR, LF and CRLF as one line break each, also across pieces", () => {
    // prepare
    const records: SplitRecord[] = [];
    const splitter = new DocumentSplitter({
      record: (r) => records.push(r),
      broken: () => {},
      problem: () => {},
    });

    // act
    for (const piece of ["[\r", "\n1,\r2,\n3,\r", "\n4]"]) splitter.write(piece);

    // assess
    expect(records.map((r) => [r.text, r.line])).toEqual([
      ["1", 2],
      ["2", 3],
      ["3", 4],
      ["4", 5],
    ]);
  });

  it.each([
    ["[1 2]", 'expected "," or "]" after [0], found "2" at line 1, column 4'],
    ["[1,]", 'expected a value in the document\'s array, found "]" at line 1, column 4'],
    ['{"Records": [{"a": [1}]}', 'unexpected "}" inside .Records[0] at line 1, column 22'],
    ["]", 'expected a JSON value, found "]" at line 1, column 1'],
    ['{"Records": [', "the document is cut at line 1, column 14, inside .Records"],
  ])("says where %j breaks", (text, message) => {
    // act
    const result = split([text]);

    // assess
    expect(result.broken).toEqual([message]);
  });

  it("reads a Records array after an eventName as a record's field, as candidates does", () => {
    // prepare
    const text = JSON.stringify({ eventName: "X", Records: [{ eventName: "Inner" }] });

    // act
    const result = split([text]);

    // assess
    expect(result.records.map((r) => r.path)).toEqual([""]);
    expect(streamed(result.records)).toEqual(candidates(JSON.parse(text)));
  });

  it("reports a key after a Records array that would have made the object a record", () => {
    // act
    const result = split(['{"Records": [{"a": 1}], "eventName": "X", "Records": []}']);

    // assess
    expect(result.records.map((r) => r.text)).toEqual(['{"a": 1}']);
    expect(result.problems).toEqual([
      'the document has "eventName" and "Records" after its Records array, which was read as a trail log file',
    ]);
  });

  it("keeps one record at a time: a trail file of 20,000 records never holds more than one", () => {
    // prepare
    const item = JSON.stringify({
      eventName: "DescribeInstances",
      requestParameters: { filterSet: { items: [] } },
    });
    let longest = 0;
    let count = 0;
    const splitter = new DocumentSplitter({
      record: (r) => {
        count++;
        longest = Math.max(longest, r.text.length);
      },
      broken: (m) => {
        throw new Error(m);
      },
      problem: (m) => {
        throw new Error(m);
      },
    });

    // act
    splitter.write('{"Records": [');
    for (let i = 0; i < 20_000; i++) splitter.write(`${i === 0 ? "" : ","}${item}`);
    const end = splitter.write("]}");

    // assess
    expect(count).toBe(20_000);
    expect(longest).toBe(item.length);
    expect(end).toBe(2);
  });
});
