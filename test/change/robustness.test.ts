import path from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IGNORE_REASONS, REJECT_REASONS } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { CLOUDTRAIL_DETAIL_TYPE, candidates } from "../../core/change/decode.ts";
import { type Judged, judgeDocument } from "../../core/change/intake.ts";
import { type InspectLine, inspectLine } from "../../core/change/report.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { inspectPaths } from "../../functions/cli/inspect.ts";
import { collect, type TempDir, tempDir } from "../io/temp-files.ts";
import { corpusRecords } from "./corpus.ts";
import { ingress, lowercaseKeys, modifyDbInstance, type RawRecord, SG_ID } from "./records.ts";

const context = catalogContext(DEFAULT_CONFIG);
const VERDICTS = ["change", "ignored", "rejected"];
const REASONS: readonly string[] = [...IGNORE_REASONS, ...REJECT_REASONS];
const DB = { type: "AWS::RDS::DBInstance", id: "orders-db" };

/** Every judgement is a verdict; ignored and rejected ones say why; each renders as a contract line. */
function expectSound(judged: readonly Judged[]): void {
  for (const { judgement } of judged) {
    expect(VERDICTS).toContain(judgement.verdict);
    if (judgement.verdict !== "change") {
      expect(REASONS).toContain(judgement.reason);
      expect(typeof judgement.detail).toBe("string");
      expect(judgement.detail.trim()).not.toBe("");
    }
    expectContractLine(JSON.parse(JSON.stringify(inspectLine("capture.json", judgement))) as InspectLine);
  }
}

/** The shape DESIGN §4 promises for every `phantom inspect --json` line. */
function expectContractLine(line: InspectLine): void {
  expect(typeof line.source).toBe("string");
  for (const field of ["eventID", "eventName", "eventSource", "eventTime"] as const) {
    expect(line[field] === null || typeof line[field] === "string").toBe(true);
  }
  expect(VERDICTS).toContain(line.verdict);
  if (line.verdict === "change") expect(line.reason).toBeUndefined();
  else expect(line.reason).toMatch(/^[a-z-]+: \S/);
  expect(typeof line.actor.name).toBe("string");
  expect(line.actor.name).not.toBe("");
  expect(typeof line.actor.console).toBe("boolean");
  expect(Array.isArray(line.resources)).toBe(true);
  for (const r of line.resources) {
    expect(typeof r.type).toBe("string");
    expect(typeof r.id).toBe("string");
  }
}

function expectNoPollution(prototypeKeys: readonly string[]): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
}

function isJsonSerialisable(value: unknown): boolean {
  try {
    return JSON.stringify(value) !== undefined;
  } catch {
    return false;
  }
}

/** Keys CloudTrail uses, plus the ones that have broken object handling elsewhere. */
const recordKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    "eventName",
    "eventSource",
    "eventTime",
    "eventtime",
    "@timestamp",
    "eventType",
    "errorCode",
    "readOnly",
    "userIdentity",
    "useridentity",
    "sessionContext",
    "sessioncontext",
    "sessionIssuer",
    "type",
    "arn",
    "invokedBy",
    "requestParameters",
    "Records",
    "detail",
    "detail-type",
    "__proto__",
    "constructor",
    "toString",
  ),
);

const recordValue = [
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.constant(null),
  fc.constantFrom(
    "ec2.amazonaws.com",
    "rds.amazonaws.com",
    "AuthorizeSecurityGroupIngress",
    "ModifyDBInstance",
    "2021-01-24T04:55:45Z",
    "2021-01-24 04:55:45.000",
    "AssumedRole",
    "AWSService",
    "cloudformation.amazonaws.com",
    "true",
    "false",
  ),
];

describe("judgeDocument on arbitrary JSON", () => {
  it("never throws, and every judgement is a verdict with a reason when not a change", () => {
    // prepare
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);

    // act + assess
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        expectSound(judgeDocument(value, context));
      }),
      {
        numRuns: 200,
        examples: [
          [JSON.parse('{"constructor":{"eventName":"x"}}')],
          [
            JSON.parse(
              '{"eventName":"A","eventSource":"ec2.amazonaws.com","eventTime":1,"__proto__":{"polluted":1}}',
            ),
          ],
        ],
      },
    );
    expectNoPollution(prototypeKeys);
  });

  it("never throws on anything JSON.stringify accepts (null prototypes, boxed values, dates, sparse arrays)", () => {
    // prepare
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
    const anything = fc
      .anything({
        maxDepth: 4,
        key: recordKey,
        values: recordValue,
        withNullPrototype: true,
        withBoxedValues: true,
        withDate: true,
        withSparseArray: true,
        withMap: true,
        withSet: true,
      })
      .filter(isJsonSerialisable);

    // act + assess
    fc.assert(
      fc.property(anything, (value) => {
        expectSound(judgeDocument(value, context));
      }),
      { numRuns: 200 },
    );
    expectNoPollution(prototypeKeys);
  });
});

describe("judgeDocument on mutated real records", () => {
  const all = corpusRecords();
  const catalogued = all
    .filter((r) => /^(ec2|rds|lambda)\.amazonaws\.com_/.test(r.name))
    .filter((_, i) => i % 4 === 0);
  const sample = [...catalogued.slice(0, 10), ...all.filter((_, i) => i % 34 === 0)].slice(0, 20);

  const OPS = ["delete", "replace", "add", "lowercase-key", "lowercase-all", "stringify"] as const;
  const mutation = fc.record({
    op: fc.constantFrom(...OPS),
    at: fc.nat(),
    key: recordKey,
    value: fc.jsonValue({ maxDepth: 3 }),
  });
  type Mutation = { op: (typeof OPS)[number]; at: number; key: string; value: unknown };
  const WRAPS = ["bare", "envelope", "trail", "array", "too-deep"] as const;

  type Container = Record<string, unknown> | unknown[];
  interface Slot {
    readonly parent: Container;
    readonly key: string;
  }

  function walk(root: unknown): { containers: Container[]; slots: Slot[] } {
    const containers: Container[] = [];
    const slots: Slot[] = [];
    const visit = (value: unknown) => {
      if (typeof value !== "object" || value === null) return;
      const container = value as Container;
      containers.push(container);
      for (const key of Object.keys(container)) {
        slots.push({ parent: container, key });
        visit((container as Record<string, unknown>)[key]);
      }
    };
    visit(root);
    return { containers, slots };
  }

  /** Sets an own property, even `__proto__`, without invoking setters. */
  function define(target: Container, key: string, value: unknown): void {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }

  function mutate(record: unknown, mutations: readonly Mutation[]): unknown {
    let doc = structuredClone(record);
    for (const m of mutations) {
      if (m.op === "lowercase-all") {
        doc = lowercaseKeys(doc);
        continue;
      }
      const { containers, slots } = walk(doc);
      if (m.op === "add") {
        const target = containers[m.at % Math.max(containers.length, 1)];
        if (target !== undefined && !Array.isArray(target)) define(target, m.key, m.value);
        continue;
      }
      const slot = slots[m.at % Math.max(slots.length, 1)];
      if (slot === undefined) continue;
      const current = (slot.parent as Record<string, unknown>)[slot.key];
      if (m.op === "delete") {
        if (Array.isArray(slot.parent)) slot.parent.splice(Number(slot.key), 1);
        else delete slot.parent[slot.key];
      } else if (m.op === "replace") {
        define(slot.parent, slot.key, m.value);
      } else if (m.op === "stringify") {
        if (typeof current === "boolean" || typeof current === "number")
          define(slot.parent, slot.key, String(current));
      } else if (!Array.isArray(slot.parent) && slot.key !== slot.key.toLowerCase()) {
        delete slot.parent[slot.key];
        define(slot.parent, slot.key.toLowerCase(), current);
      }
    }
    return doc;
  }

  function wrap(doc: unknown, how: (typeof WRAPS)[number]): unknown {
    switch (how) {
      case "bare":
        return doc;
      case "envelope":
        return { "detail-type": CLOUDTRAIL_DETAIL_TYPE, source: "aws.ec2", region: "eu-west-1", detail: doc };
      case "trail":
        return { Records: [doc, modifyDbInstance()] };
      case "array":
        return [doc, [doc]];
      case "too-deep":
        return [[[[[doc]]]]];
    }
  }

  it("uses a sample of about 20 real records", () => {
    expect(sample.length).toBeGreaterThanOrEqual(18);
  });

  it("never throws: deleted keys, replaced values, added keys, lowercased keys, stringified scalars, wrappers", () => {
    // prepare
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
    const input = fc.tuple(
      fc.nat({ max: sample.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 6 }),
      fc.constantFrom(...WRAPS),
    );

    // act + assess
    fc.assert(
      fc.property(input, ([index, mutations, how]) => {
        const record = sample[index]?.record;
        const judged = judgeDocument(wrap(mutate(record, mutations), how), context);
        expect(judged.length).toBeGreaterThanOrEqual(1);
        expectSound(judged);
      }),
      {
        numRuns: 200,
        examples: [
          [[0, [{ op: "add", at: 0, key: "constructor", value: { prototype: { polluted: 1 } } }], "bare"]],
        ],
      },
    );
    expectNoPollution(prototypeKeys);
  });

  it("every corpus record judges the same lowercased, in an envelope, in a trail log file", () => {
    // prepare
    const differences: string[] = [];

    // act
    for (const { name, record } of all) {
      const expected = judgeDocument(record, context).map(({ judgement }) => summary(judgement));
      const variants = {
        lowercased: lowercaseKeys(record),
        envelope: { "detail-type": CLOUDTRAIL_DETAIL_TYPE, detail: record },
        trail: { Records: [record] },
      };
      for (const [variant, doc] of Object.entries(variants)) {
        const actual = judgeDocument(doc, context).map(({ judgement }) => summary(judgement));
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          differences.push(`${name} ${variant}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`);
        }
      }
    }

    // assess
    expect(differences).toEqual([]);
    expect(all.length).toBeGreaterThan(300);
  });
});

function summary(judgement: Judged["judgement"]) {
  return {
    verdict: judgement.verdict,
    reason: judgement.verdict === "change" ? undefined : judgement.reason,
    actor: judgement.actor?.name,
    resources: judgement.verdict === "rejected" ? [] : judgement.resources,
  };
}

describe("inspectPaths end to end", () => {
  let temp: TempDir;
  beforeAll(async () => {
    temp = await tempDir("robustness");
  });
  afterAll(async () => {
    await temp.remove();
  });

  const display = (file: string) => path.relative(process.cwd(), file) || file;
  const inspect = (file: string) => collect(inspectPaths([file], DEFAULT_CONFIG));
  const jsonl = (...lines: unknown[]) =>
    lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n");

  /** Whether the text is JSON (or JSON lines) holding no record at all, like `[]`: zero lines is right then. */
  function holdsNoRecords(text: string): boolean {
    const body = text.replace(/^\ufeff/, "");
    const parse = (t: string): { ok: boolean; value?: unknown } => {
      try {
        return { ok: true, value: JSON.parse(t) };
      } catch {
        return { ok: false };
      }
    };
    const whole = parse(body);
    if (whole.ok) return candidates(whole.value).length === 0;
    const lines = body.split(/\r\n|\r|\n/).filter((l) => l.trim() !== "");
    return (
      lines.length > 0 &&
      lines.every((l) => {
        const p = parse(l);
        return p.ok && candidates(p.value).length === 0;
      })
    );
  }

  it("never throws on random bytes and strings, and yields at least one line per file", async () => {
    // prepare
    let n = 0;
    const body = fc.oneof(
      fc.string({ unit: "binary", maxLength: 300 }).map((s) => Buffer.from(s, "utf8")),
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
      fc
        .tuple(fc.jsonValue({ maxDepth: 4 }), fc.nat())
        .map(([v, cut]) => JSON.stringify(v, null, cut % 2 === 0 ? 2 : undefined))
        .chain((s) => fc.nat({ max: s.length }).map((cut) => Buffer.from(s.slice(0, cut), "utf8"))),
      fc
        .tuple(
          fc.array(
            fc.oneof(
              fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
              fc.string({ maxLength: 40 }),
            ),
            { maxLength: 8 },
          ),
          fc.constantFrom("\n", "\r\n"),
        )
        .map(([lines, eol]) => Buffer.from(lines.join(eol), "utf8")),
    );
    const capture = fc.record({
      body,
      ext: fc.constantFrom(".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz"),
      gzip: fc.boolean(),
    });

    // act + assess
    await fc.assert(
      fc.asyncProperty(capture, async ({ body: bytes, ext, gzip }) => {
        const file = await temp.write(
          `random/c${n++}${ext}`,
          ext.endsWith(".gz") && gzip ? gzipSync(bytes) : bytes,
        );
        const lines = await inspect(file);
        if (!holdsNoRecords(bytes.toString("utf8"))) expect(lines.length).toBeGreaterThanOrEqual(1);
        for (const line of lines) {
          expectContractLine(line);
          expect(line.source.startsWith(display(file))).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("classifies a good record holding a 1 MB string field", async () => {
    // prepare
    const record = modifyDbInstance({
      requestParameters: { dBInstanceIdentifier: "orders-db", note: "x".repeat(1 << 20) },
    });
    const file = await temp.write("big.jsonl", `${JSON.stringify(record)}\n${JSON.stringify(ingress())}\n`);

    // act
    const lines = await inspect(file);

    // assess
    expect(lines.map((l) => [l.verdict, l.resources])).toEqual([
      ["change", [DB]],
      ["change", [{ type: "AWS::EC2::SecurityGroup", id: SG_ID }]],
    ]);
  });

  it("rejects 100,000 nested arrays as one line, without crashing", async () => {
    // prepare
    const file = await temp.write("deep-arrays.json", `${"[".repeat(100_000)}${"]".repeat(100_000)}`);

    // act
    const lines = await inspect(file);

    // assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ verdict: "rejected", reasonCode: "malformed" });
  });

  it("a line of 100,000 nested arrays between good records is one rejected line", async () => {
    // prepare
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const file = await temp.write("deep-line.jsonl", jsonl(modifyDbInstance(), deep, ingress()));

    // act
    const lines = await inspect(file);

    // assess
    expect(lines.map((l) => [l.source, l.verdict])).toEqual([
      [`${display(file)}#0`, "change"],
      [`${display(file)}#1`, "rejected"],
      [`${display(file)}#2`, "change"],
    ]);
  });

  it.each<[string, number]>([
    ["requestParameters", 10_000],
    ["an unknown top-level field", 100_000],
  ])("a record with deep nesting in %s is still judged", async (where, depth) => {
    // prepare
    const nested = `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
    const text =
      where === "requestParameters"
        ? `{"eventTime":"2021-01-24T04:55:45Z","eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance","requestParameters":{"dBInstanceIdentifier":"orders-db","deep":${nested}}}`
        : `{"eventTime":"2021-01-24T04:55:45Z","eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance","requestParameters":{"dBInstanceIdentifier":"orders-db"},"vendorPayload":${nested}}`;
    const file = await temp.write(`deep-objects-${depth}.jsonl`, `${text}\n`);

    // act
    const lines = await inspect(file);

    // assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ verdict: "change", resources: [DB] });
  });

  it("a file mixing good records and garbage lines: good ones keep their verdicts, each bad line is one rejected line naming it", async () => {
    // prepare
    const file = await temp.write(
      "mixed.jsonl",
      jsonl(
        modifyDbInstance(),
        "<html>502 Bad Gateway</html>",
        ingress({ errorCode: "AccessDenied" }),
        "",
        '{"eventName":"ModifyDBInstance","eventSource":"rds.amazon',
        modifyDbInstance({ eventName: "DescribeDBInstances", readOnly: true }),
        "\u0000\u0001\u0002",
        { Records: [ingress(), ingress({ userAgent: "cloudformation.amazonaws.com" })] },
      ),
    );

    // act
    const lines = await inspect(file);

    // assess
    const at = (i: number) => `${display(file)}#${i}`;
    expect(lines.map((l) => [l.source, l.verdict, l.reasonCode ?? ""])).toEqual([
      [at(0), "change", ""],
      [at(1), "rejected", "malformed"],
      [at(2), "ignored", "failed-call"],
      [at(3), "rejected", "malformed"],
      [at(4), "ignored", "read-only"],
      [at(5), "rejected", "malformed"],
      [at(6), "change", ""],
      [at(7), "ignored", "by-cloudformation"],
    ]);
    expect(lines[1]?.reason).toContain("line 2");
    expect(lines[3]?.reason).toContain("line 5");
    expect(lines[5]?.reason).toContain("line 7");
  });

  it("a file whose FIRST line is garbage still yields the good records after it", async () => {
    // prepare
    const file = await temp.write(
      "garbage-first.jsonl",
      jsonl('{"eventName":"ModifyDBInstance",', modifyDbInstance(), "not json", ingress()),
    );

    // act
    const lines = await inspect(file);

    // assess
    expect(lines.map((l) => [l.verdict, l.reasonCode ?? ""])).toEqual([
      ["rejected", "malformed"],
      ["change", ""],
      ["rejected", "malformed"],
      ["change", ""],
    ]);
    expect(lines[0]?.reason).toContain("line 1");
    expect(lines[2]?.reason).toContain("line 3");
  });

  it("a file interleaving text log lines with records, text first, still yields every record", async () => {
    // prepare: a Lambda log export, where START/END/REPORT lines surround each printed event
    const text = (id: number) => [
      `START RequestId: ${id} Version: $LATEST`,
      `END RequestId: ${id}`,
      `REPORT RequestId: ${id} Duration: 3.21 ms`,
    ];
    const [start1, end1, report1] = text(1);
    const [start2, end2, report2] = text(2);
    const lines = [start1, modifyDbInstance(), end1, report1, start2, ingress(), end2, report2];
    const textFirst = await temp.write("lambda-log.jsonl", jsonl(...lines));
    const recordFirst = await temp.write("lambda-log-record-first.jsonl", jsonl(...lines.slice(1), lines[0]));

    // act
    const fromTextFirst = await inspect(textFirst);
    const fromRecordFirst = await inspect(recordFirst);

    // assess
    const verdicts = (out: InspectLine[]) => out.map((l) => [l.verdict, l.reasonCode ?? ""]);
    const rejected = ["rejected", "malformed"];
    expect(verdicts(fromRecordFirst)).toEqual([
      ["change", ""],
      rejected,
      rejected,
      rejected,
      ["change", ""],
      rejected,
      rejected,
      rejected,
    ]);
    expect(verdicts(fromTextFirst)).toEqual([
      rejected,
      ["change", ""],
      rejected,
      rejected,
      rejected,
      ["change", ""],
      rejected,
      rejected,
    ]);
    expect(fromTextFirst[0]?.reason).toContain("line 1");
    expect(fromTextFirst[3]?.reason).toContain("line 4");
  });

  it("a file that is not JSON at all is one rejected line with the reason", async () => {
    // prepare
    const file = await temp.write("notes.json", "incident notes: someone opened port 22\n");

    // act
    const lines = await inspect(file);

    // assess
    expect(lines).toEqual([
      expect.objectContaining({
        source: display(file),
        verdict: "rejected",
        reason: expect.stringMatching(/^malformed: /),
      }),
    ]);
  });

  it.each<[string, (r: RawRecord) => string]>([
    ["pretty-printed", (r) => JSON.stringify(r, null, 2)],
    ["on one line", (r) => JSON.stringify(r)],
  ])("a .json file holding one record %s is sourced by its name alone", async (layout, render) => {
    // prepare
    const file = await temp.write(
      `single-${layout.replace(/\W+/g, "-")}.json`,
      `${render(modifyDbInstance())}\n`,
    );

    // act
    const lines = await inspect(file);

    // assess
    expect(lines.map((l) => [l.source, l.verdict])).toEqual([[display(file), "change"]]);
  });
});
