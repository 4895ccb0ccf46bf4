import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogContext } from "../../core/change/context.ts";
import { CLOUDTRAIL_DETAIL_TYPE } from "../../core/change/decode.ts";
import { judgeDocument } from "../../core/change/intake.ts";
import { identityOf, JsonLines, quickJudge, quickJudgeBytes, useScanner } from "../../core/change/quick.ts";
import { inspectJson, inspectJsonAt, inspectLine, sourcePrefix } from "../../core/change/report.ts";
import { userIdentitySchema } from "../../core/change/schema.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { listCaptureFiles, readCaptureFile } from "../../functions/io/read-captures.ts";
import { RecordFactory } from "../bench/generate.ts";
import { CORPUS } from "../support/corpus.ts";
import { corpusRecords } from "./corpus.ts";
import { ingress, modifyDbInstance } from "./records.ts";

/**
 * The quick path (core/change/quick.ts) against the full path (JSON.parse, schema, judge): on every
 * text where the quick path answers, both give the same `phantom inspect --json` line, byte for byte;
 * on text JSON.parse rejects, the quick path never answers. Checked on the corpus, the real datasets,
 * the benchmark's generated records, and adversarial text: keys in odd case, escapes, decoy keys in
 * the request, duplicate keys, odd white space, fields of every type, exports' JSON text.
 */

const context = catalogContext(DEFAULT_CONFIG);
const SOURCE = "capture.jsonl#7";

/** The full path's line for a text, or undefined when the text is not one record. */
function fullLine(text: string): string | undefined {
  const judged = judgeDocument(JSON.parse(text), context);
  if (judged.length !== 1) return undefined;
  return JSON.stringify(inspectLine(SOURCE, (judged[0] as (typeof judged)[0]).judgement));
}

/** Checks one text; returns whether the quick path answered. */
function agrees(text: string): boolean {
  let valid = true;
  try {
    JSON.parse(text);
  } catch {
    valid = false;
  }
  const quick = quickJudge(text, context);
  // The CLI's --json line put together from the record's bytes, when it can be: inspectJsonAt's text.
  const written = quick === undefined ? undefined : jsonLinesOf(quick);
  if (!valid) {
    expect(quick, `quick path answered invalid JSON: ${text.slice(0, 200)}`).toBeUndefined();
    return false;
  }
  if (quick === undefined) return false;
  const line = JSON.stringify(inspectLine(SOURCE, quick));
  expect(line, text.slice(0, 300)).toBe(fullLine(text));
  // The CLI writes a quick line straight from the judgement: the same text.
  expect(inspectJson(SOURCE, quick)).toBe(line);
  if (written !== undefined) {
    expect(written).toBe(`${inspectJsonAt(sourcePrefix(NAME), NAME, 7, quick)}\n`);
    rendered++;
  }
  return true;
}

const NAME = "capture.jsonl";
/** Lines JsonLines put together (the check is not vacuous). */
let rendered = 0;

/** The JsonLines text of the quick judgement just given (file NAME, index 7), when it puts one together. */
function jsonLinesOf(quick: NonNullable<ReturnType<typeof quickJudge>>): string | undefined {
  const lines = new JsonLines();
  lines.file(sourcePrefix(NAME));
  if (!lines.quick(quick, 7)) return undefined;
  let bytes = "";
  lines.flushTo({
    out: (text) => {
      bytes += text;
    },
    ascii: (b) => {
      bytes += Buffer.from(b).toString("latin1");
    },
  });
  return bytes;
}

describe("inspectJsonAt (the CLI's line, the source's name escaped once per file)", () => {
  const quick = quickJudge(
    JSON.stringify({
      eventVersion: "1.08",
      eventSource: "ec2.amazonaws.com",
      eventName: "DescribeInstances",
      eventTime: "2026-03-14T10:00:00Z",
      readOnly: true,
      userIdentity: { type: "IAMUser", userName: "sam", arn: "arn:aws:iam::1:user/sam" },
    }),
    context,
  );

  it("gives inspectJson's text for any file name and index", () => {
    expect(quick).toBeDefined();
    const judged = quick as NonNullable<typeof quick>;
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string(), fc.nat(), (name, raw, index) => {
        // Names with quotes, backslashes, control characters, astral and lone surrogate characters.
        for (const n of [name, raw, `${raw}"\\\u0001\ud800`]) {
          expect(inspectJsonAt(sourcePrefix(n), n, index, judged)).toBe(inspectJson(`${n}#${index}`, judged));
        }
      }),
      { numRuns: 500 },
    );
  });

  it("takes the line object for a change, as inspectJson does", () => {
    const change = quickJudge(JSON.stringify(ingress()), context);
    const full = judgeDocument(ingress(), context)[0]?.judgement;
    expect(change).toBeUndefined();
    expect(full?.verdict).toBe("change");
    const judged = full as NonNullable<typeof full>;
    expect(inspectJsonAt(sourcePrefix('a"b'), 'a"b', 3, judged)).toBe(
      JSON.stringify(inspectLine('a"b#3', judged)),
    );
  });
});

async function realRecords(): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const file of await listCaptureFiles([new URL("realworld/", CORPUS).pathname])) {
    for await (const item of readCaptureFile(file)) if (item.kind === "value") out.push(item.value);
  }
  return out;
}

const generated = (() => {
  const factory = new RecordFactory(7);
  return Array.from({ length: 5000 }, () => factory.next().line);
})();

/** The quick path scans with WebAssembly (scan-wasm.ts) or JavaScript (scan.ts): each must agree. */
const SCANNERS = ["wasm", "js"] as const;

describe.each(SCANNERS)("the quick path (%s scanner) gives the full path's line", (scanner) => {
  beforeAll(() => {
    expect(useScanner(scanner)).toBe(true);
  });
  afterAll(() => {
    useScanner("wasm");
  });

  it("on every corpus record, bare and in an EventBridge envelope", () => {
    // prepare
    const texts = corpusRecords().flatMap(({ record }) => [
      JSON.stringify(record),
      JSON.stringify({ "detail-type": CLOUDTRAIL_DETAIL_TYPE, region: "eu-west-1", detail: record }, null, 2),
    ]);

    // act
    const answered = texts.filter(agrees).length;

    // assess: most corpus records are reads, failures or outside the catalog
    expect(answered).toBeGreaterThan(texts.length * 0.3);
  });

  it("on every record of the real datasets", async () => {
    // prepare
    const texts = (await realRecords()).map((r) => JSON.stringify(r));

    // act
    const answered = texts.filter(agrees).length;

    // assess
    expect(texts.length).toBeGreaterThan(3000);
    expect(answered).toBeGreaterThan(texts.length * 0.5);
  });

  it("on the benchmark's generated records, answering all but the catalogued writes", () => {
    // act
    const before = rendered;
    const answered = generated.filter(agrees).length;

    // assess: 1 % catalogued writes go the full path; the rest are answered quickly, and with the
    // WebAssembly scanner their --json lines are put together from the records' bytes
    expect(answered).toBeGreaterThan(generated.length * 0.97);
    if (scanner === "wasm") expect(rendered - before).toBeGreaterThan(generated.length * 0.9);
  });
});

/** Options for writing JSON text the way odd exporters do. */
interface Style {
  readonly space: string;
  /** Escape a character as \uXXXX with this probability (0 to 1), keys included. */
  readonly escape: number;
  readonly seed: number;
}

/** Writes JSON text with the given white space and escapes: the same value, other bytes. */
function write(value: unknown, style: Style): string {
  let seed = style.seed;
  const roll = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const str = (s: string) => {
    let out = '"';
    for (const ch of s) {
      const code = ch.charCodeAt(0);
      if (ch === '"' || ch === "\\" || code < 0x20 || (roll() < style.escape && ch.length === 1)) {
        out += `\\u${code.toString(16).padStart(4, "0")}`;
      } else out += ch;
    }
    return `${out}"`;
  };
  const go = (v: unknown): string => {
    if (v === null || typeof v !== "object") return typeof v === "string" ? str(v) : JSON.stringify(v);
    const sp = style.space;
    if (Array.isArray(v)) return `[${sp}${v.map(go).join(`${sp},${sp}`)}${sp}]`;
    return `{${sp}${Object.entries(v)
      .map(([k, inner]) => `${str(k)}${sp}:${sp}${go(inner)}`)
      .join(`${sp},${sp}`)}${sp}}`;
  };
  return go(value);
}

const FIELDS = [
  "eventName",
  "eventSource",
  "eventTime",
  "eventType",
  "errorCode",
  "readOnly",
  "userIdentity",
  "userAgent",
  "sourceIPAddress",
  "sessionCredentialFromConsole",
  "eventID",
  "awsRegion",
  "requestParameters",
  "responseElements",
  "resources",
  "tlsDetails",
  "Records",
  "records",
  "detail-type",
  "detail",
  "@timestamp",
];

const anyValue = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1.5e3,
    "",
    " ",
    "true",
    "FALSE",
    "AwsApiCall",
    "AwsServiceEvent",
    "AccessDenied",
    "DescribeInstances",
    "ModifyDBInstance",
    "rds.amazonaws.com",
    "cloudformation.amazonaws.com",
    "ec2.amazonaws.com",
    "2021-01-24T04:55:45Z",
    "2021-02-30T04:55:45Z",
    "2021-01-24 04:55:45.000",
    "1999-01-24T04:55:45Z",
    "9999-12-31T23:59:59Z",
    8.64e15,
    1.6e12,
    "via CloudTrail",
    CLOUDTRAIL_DETAIL_TYPE,
    '{"a":1}',
    "{oops",
    "[]",
  ),
  fc.string({ maxLength: 8 }),
  fc.jsonValue({ maxDepth: 2 }),
  fc.constant({ type: "AWSService", invokedBy: "ec2.amazonaws.com" }),
  fc.constant({ type: "AssumedRole", arn: "arn:aws:sts::1:assumed-role/R/s", sessionContext: "x" }),
  fc.constant({ type: 7, arn: "arn:aws:iam::1:user/u" }),
  fc.constant({ eventName: "Decoy", readOnly: false, errorCode: null, Records: [] }),
);

/** A change to a record object: the shapes real exports and bad input take. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant("set" as const), key: fc.constantFrom(...FIELDS), value: anyValue }),
  fc.record({ op: fc.constant("delete" as const), key: fc.constantFrom(...FIELDS) }),
  fc.record({
    op: fc.constant("case" as const),
    key: fc.constantFrom(...FIELDS),
    how: fc.constantFrom("lower", "upper", "title"),
  }),
  fc.record({ op: fc.constant("decoy" as const), key: fc.constantFrom(...FIELDS), value: anyValue }),
  fc.record({
    op: fc.constant("identity" as const),
    key: fc.constantFrom(
      "type",
      "arn",
      "invokedBy",
      "sessionContext",
      "userName",
      "principalId",
      "onBehalfOf",
    ),
    value: anyValue,
  }),
  fc.record({
    op: fc.constant("json-text" as const),
    key: fc.constantFrom("requestParameters", "userIdentity", "resources", "tlsDetails", "responseElements"),
  }),
  fc.record({ op: fc.constant("envelope" as const), fill: fc.boolean() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function recase(key: string, how: "lower" | "upper" | "title"): string {
  if (how === "lower") return key.toLowerCase();
  if (how === "upper") return key.toUpperCase();
  return key.charAt(0).toUpperCase() + key.slice(1);
}

function apply(base: Record<string, unknown>, mutations: readonly Mutation[]): unknown {
  let record: Record<string, unknown> = structuredClone(base);
  let wrapped: unknown = record;
  for (const m of mutations) {
    if (m.op === "set") record[m.key] = m.value;
    else if (m.op === "delete") delete record[m.key];
    else if (m.op === "case" && m.key in record) {
      const value = record[m.key];
      delete record[m.key];
      record[recase(m.key, m.how)] = value;
    } else if (m.op === "decoy") {
      const request =
        typeof record.requestParameters === "object" && record.requestParameters !== null
          ? record.requestParameters
          : {};
      record.requestParameters = { ...request, [m.key]: m.value };
    } else if (m.op === "identity") {
      const identity =
        typeof record.userIdentity === "object" && record.userIdentity !== null ? record.userIdentity : {};
      record.userIdentity = { ...identity, [m.key]: m.value };
    } else if (m.op === "json-text" && m.key in record) record[m.key] = JSON.stringify(record[m.key]);
    else if (m.op === "envelope") {
      const envelope: Record<string, unknown> = {
        version: "0",
        "detail-type": CLOUDTRAIL_DETAIL_TYPE,
        source: "aws.ec2",
        detail: record,
      };
      if (m.fill)
        Object.assign(envelope, {
          region: "us-east-1",
          time: "2022-02-02T02:02:02Z",
          account: "999988887777",
        });
      wrapped = envelope;
      record = {};
    }
  }
  return wrapped;
}

/** Adds `"key": value` again at the start or the end of the top-level object (JSON.parse keeps the last). */
function duplicate(text: string, key: string, value: unknown, atEnd: boolean): string {
  const member = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
  if (!text.startsWith("{") || text === "{}") return text;
  return atEnd ? `${text.slice(0, -1)},${member}}` : `{${member},${text.slice(1)}`;
}

describe.each(SCANNERS)("the quick path (%s scanner) on adversarial text", (scanner) => {
  beforeAll(() => {
    expect(useScanner(scanner)).toBe(true);
  });
  afterAll(() => {
    useScanner("wasm");
  });

  const bases = [
    ...corpusRecords()
      .filter((_, i) => i % 9 === 0)
      .map((r) => r.record as Record<string, unknown>),
    ...generated.slice(0, 40).map((t) => JSON.parse(t) as Record<string, unknown>),
    ingress({ readOnly: "TRUE", userAgent: 'console.amazonaws.com "quoted"' }),
    modifyDbInstance({ eventName: "DescribeDBInstances" }),
  ].filter((r) => typeof r === "object" && r !== null && !Array.isArray(r));

  it("agrees on mutated records written with odd case, escapes, white space and duplicate keys", () => {
    // prepare
    const input = fc.record({
      base: fc.nat({ max: bases.length - 1 }),
      mutations: fc.array(mutation, { maxLength: 5 }),
      space: fc.constantFrom("", " ", "\n", "\t", "\r\n  "),
      escapes: fc.constantFrom(0, 0, 0.05, 1),
      seed: fc.nat(),
      dup: fc.option(
        fc.record({
          key: fc.constantFrom(...FIELDS, "EVENTNAME", "eventname"),
          value: anyValue,
          atEnd: fc.boolean(),
        }),
      ),
    });

    let answered = 0;

    // act + assess
    fc.assert(
      fc.property(input, ({ base, mutations, space, escapes, seed, dup }) => {
        const value = apply(bases[base] as Record<string, unknown>, mutations);
        let text = write(value, { space, escape: escapes, seed });
        if (dup !== null) text = duplicate(text, dup.key, dup.value, dup.atEnd);
        if (agrees(text)) answered++;
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: the quick path answered a good share of the mutated records.
    expect(answered).toBeGreaterThan(300);
  });

  it("never answers text JSON.parse rejects: cut, stray, control characters, bad escapes, bad numbers", () => {
    // prepare
    const valid = [
      ...generated.slice(0, 30),
      ...corpusRecords()
        .slice(0, 30)
        .map((r) => JSON.stringify(r.record)),
    ];
    const breakage = fc.oneof(
      fc.nat().map((n) => (t: string) => t.slice(0, n % t.length)),
      fc
        .tuple(
          fc.nat(),
          fc.constantFrom(
            "\u0001",
            "\t",
            "\\x",
            "\\u12g4",
            "01",
            "-",
            "1.",
            "1e",
            "tru",
            ",",
            "]",
            "}",
            "{",
            '"',
            ":",
            "\u00a0",
            "\\",
          ),
        )
        .map(
          ([n, junk]) =>
            (t: string) =>
              `${t.slice(0, n % t.length)}${junk}${t.slice(n % t.length)}`,
        ),
      fc.constant((t: string) => `${t},`),
      fc.constant((t: string) => `${t.slice(0, -1)},}`),
      fc.constant((t: string) => t.replace('":', '"')),
      fc.constant((t: string) => t.replace('","', '" "')),
    );

    // act + assess
    fc.assert(
      fc.property(fc.nat({ max: valid.length - 1 }), breakage, (i, brk) => {
        agrees(brk(valid[i] as string));
      }),
      { numRuns: 3000 },
    );
  });

  it("agrees on bytes: any UTF-8, invalid sequences and raw bytes anywhere, judged as the decoded text", () => {
    // prepare: records' bytes with bytes put in at random places (inside strings, keys, or between
    // tokens); the full path reads the line as a decoder gives it (invalid sequences become U+FFFD)
    const valid = [
      ...generated.slice(0, 60),
      ...corpusRecords()
        .slice(0, 60)
        .map((r) => JSON.stringify(r.record)),
    ];
    const insert = fc.oneof(
      fc.constantFrom(
        [0xc3, 0xa9],
        [0xe2, 0x82, 0xac],
        [0xf0, 0x9d, 0x84, 0x9e],
        [0xe2, 0x80, 0xa8],
        [0xef, 0xbb, 0xbf],
        [0xe2, 0x82],
        [0xc3],
        [0x80],
        [0xff, 0xfe],
        [0xed, 0xa0, 0x80],
        [0x09],
        [0x7f],
      ),
      // Mostly bytes beyond ASCII (which JSON takes inside strings only), now and then any byte.
      fc.uint8Array({ minLength: 1, maxLength: 4 }).map((a) => [...a].map((x) => x | 0x80)),
      fc.uint8Array({ minLength: 1, maxLength: 2 }).map((a) => [...a]),
    );
    const input = fc.record({
      text: fc.nat({ max: valid.length - 1 }),
      // Places spread over the whole record (a biased double would favour its two ends).
      inserts: fc.array(fc.tuple(fc.noBias(fc.nat({ max: 1_000_000 })), insert), {
        minLength: 1,
        maxLength: 2,
      }),
      pad: fc.nat({ max: 8 }),
    });
    let answered = 0;

    // act + assess
    fc.assert(
      fc.property(input, ({ text, inserts, pad }) => {
        let bytes = Buffer.from(valid[text] as string, "utf8");
        for (const [at, more] of inserts) {
          const i = at % (bytes.length + 1);
          bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from(more), bytes.subarray(i)]);
        }
        // The record sits inside a larger buffer, as a line of a file does.
        const framed = Buffer.concat([Buffer.alloc(pad, 0x7b), bytes, Buffer.from('\n{"x":1}')]);
        const decoded = bytes.toString("utf8");
        const quick = quickJudgeBytes(framed, pad, pad + bytes.length, context);
        let valid_ = true;
        try {
          JSON.parse(decoded);
        } catch {
          valid_ = false;
        }
        if (!valid_) {
          expect(quick, `quick path answered invalid JSON: ${decoded.slice(0, 200)}`).toBeUndefined();
          return;
        }
        if (quick === undefined) return;
        answered++;
        const line = JSON.stringify(inspectLine(SOURCE, quick));
        expect(line, decoded.slice(0, 300)).toBe(fullLine(decoded));
        expect(inspectJson(SOURCE, quick)).toBe(line);
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: bytes inside strings leave many records valid and answered.
    expect(answered).toBeGreaterThan(300);
  });

  it("sends deep records to the full path, and they agree", () => {
    // prepare
    const deep = `${'{"a":'.repeat(200)}1${"}".repeat(200)}`;
    const text = JSON.stringify({ ...ingress({ eventName: "DescribeSecurityGroups" }), vendor: 0 }).replace(
      '"vendor":0',
      `"vendor":${deep}`,
    );

    // act
    const quick = quickJudge(text, context);

    // assess
    expect(quick).toBeUndefined();
    expect(fullLine(text)).toContain('"verdict":"ignored"');
  });
});

/** Null and undefined read the same to the actor and the screen (`?.`). */
const absent = (value: unknown) => value === undefined || value === null;

describe("the identity read without zod", () => {
  it("is what the schema's userIdentity yields, for arbitrary identities", () => {
    // prepare
    const scalar = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.constant(""),
    );
    const part = (keys: string[]) =>
      fc.oneof(
        fc.dictionary(fc.constantFrom(...keys), fc.oneof(scalar, fc.jsonValue({ maxDepth: 1 })), {
          maxKeys: keys.length,
        }),
        fc.jsonValue({ maxDepth: 1 }),
      );
    const identity = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record(
        {
          type: scalar,
          principalId: scalar,
          arn: scalar,
          accountId: scalar,
          userName: scalar,
          invokedBy: scalar,
          sessionContext: fc.oneof(
            fc.record(
              {
                sessionIssuer: part(["type", "principalId", "arn", "accountId", "userName"]),
                sourceIdentity: scalar,
              },
              { requiredKeys: [] },
            ),
            fc.jsonValue({ maxDepth: 1 }),
          ),
          onBehalfOf: part(["userId"]),
        },
        { requiredKeys: [] },
      ),
    );

    // act + assess: the fields the actor and the screen read are the same
    fc.assert(
      fc.property(identity, (raw) => {
        const ours = identityOf(raw);
        const schema = userIdentitySchema.nullish().catch(undefined).parse(raw) ?? undefined;
        const pick = (id: typeof ours) =>
          id === undefined
            ? undefined
            : {
                type: id.type,
                principalId: id.principalId,
                arn: id.arn,
                accountId: id.accountId,
                userName: id.userName,
                invokedBy: id.invokedBy,
                issuerArn: id.sessionContext?.sessionIssuer?.arn,
                issuer: absent(id.sessionContext?.sessionIssuer),
                sourceIdentity: id.sessionContext?.sourceIdentity,
                context: absent(id.sessionContext),
                userId: id.onBehalfOf?.userId,
                behalf: absent(id.onBehalfOf),
              };
        expect(pick(ours)).toEqual(pick(schema));
      }),
      { numRuns: 2000 },
    );
  });
});
