import { describe, expect, it } from "vitest";
import { judge } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { CLOUDTRAIL_DETAIL_TYPE, candidates } from "../../core/change/decode.ts";
import { judgeDocument } from "../../core/change/intake.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { ACCOUNT, modifyDbInstance, only, type RawRecord, TIME, TIME_ISO, why, without } from "./records.ts";

const context = catalogContext(DEFAULT_CONFIG);

function envelope(detail: unknown, overrides: RawRecord = {}): RawRecord {
  return {
    version: "0",
    id: "6f87d04b-9f74-4f04-a780-7acf4b0a9b38",
    "detail-type": CLOUDTRAIL_DETAIL_TYPE,
    source: "aws.rds",
    account: ACCOUNT,
    time: TIME,
    region: "eu-west-1",
    resources: [],
    detail,
    ...overrides,
  };
}

describe("candidates", () => {
  it("unwraps an EventBridge envelope and fills region, account and time a trimmed detail lacks", () => {
    // prepare
    const detail = without(modifyDbInstance(), "awsRegion", "eventTime", "recipientAccountId");

    // act
    const found = candidates(envelope(detail));

    // assess
    expect(found).toEqual([
      { raw: { ...detail, awsRegion: "eu-west-1", eventTime: TIME, recipientAccountId: ACCOUNT }, path: "" },
    ]);
    expect(detail).not.toHaveProperty("awsRegion");
  });

  it("keeps the detail's own region, account and time over the envelope's", () => {
    // prepare
    const detail = modifyDbInstance({ awsRegion: "us-east-1", recipientAccountId: "999999999999" });

    // act
    const [found] = candidates(envelope(detail, { region: "eu-west-1", time: "2030-01-01T00:00:00Z" }));

    // assess
    expect(found?.raw).toMatchObject({
      awsRegion: "us-east-1",
      eventTime: TIME,
      recipientAccountId: "999999999999",
    });
  });

  it("judges an envelope around a time-less detail as a change dated by the envelope", () => {
    // prepare
    const document = envelope(without(modifyDbInstance(), "eventTime"));

    // act
    const judged = judgeDocument(document, context);

    // assess
    expect(only(judged)).toMatchObject({
      path: "",
      judgement: { verdict: "change", record: { eventTime: TIME_ISO } },
    });
  });

  it("flattens a trail log file, keeping the position of each record", () => {
    // prepare
    const a = modifyDbInstance();
    const b = modifyDbInstance({ eventName: "DescribeDBInstances" });

    // act
    const found = candidates({ Records: [a, b] });

    // assess
    expect(found).toEqual([
      { raw: a, path: ".Records[0]" },
      { raw: b, path: ".Records[1]" },
    ]);
  });

  it("reads a lowercased `records` key as a trail log file too", () => {
    // prepare
    const a = modifyDbInstance();

    // act
    const found = candidates({ records: [a] });

    // assess
    expect(found).toEqual([{ raw: a, path: ".Records[0]" }]);
  });

  it("yields nothing for an empty trail log file or an empty array", () => {
    // prepare
    const documents = [{ Records: [] }, []];

    // act
    const found = documents.map((d) => candidates(d));

    // assess
    expect(found).toEqual([[], []]);
  });

  it("treats an object with an eventName as a record even when it has a Records field", () => {
    // prepare
    const record = modifyDbInstance({ Records: [{ eventName: "Nested" }] });

    // act
    const found = candidates(record);

    // assess
    expect(found).toEqual([{ raw: record, path: "" }]);
  });

  it("flattens arrays of mixed shapes in document order", () => {
    // prepare
    const bare = modifyDbInstance();
    const wrapped = modifyDbInstance({ eventName: "DeleteDBInstance" });
    const logged = modifyDbInstance({ eventName: "DescribeDBInstances" });
    const inner = modifyDbInstance({ eventName: "RebootDBInstance" });
    const document = [bare, envelope(wrapped), { Records: [logged] }, 42, "text", null, [inner]];

    // act
    const found = candidates(document);

    // assess
    expect(found.map((c) => c.path)).toEqual(["[0]", "[1]", "[2].Records[0]", "[3]", "[4]", "[5]", "[6][0]"]);
    expect(found.map((c) => (c.raw as RawRecord | null)?.eventName)).toEqual([
      "ModifyDBInstance",
      "DeleteDBInstance",
      "DescribeDBInstances",
      undefined,
      undefined,
      undefined,
      "RebootDBInstance",
    ]);
  });

  it("judges each record of a mixed array on its own", () => {
    // prepare
    const document = [modifyDbInstance(), 42, { Records: [modifyDbInstance({ errorCode: "AccessDenied" })] }];

    // act
    const judged = judgeDocument(document, context);

    // assess
    expect(judged.map((j) => [j.path, j.judgement.verdict, why(j.judgement).reason])).toEqual([
      ["[0]", "change", ""],
      ["[1]", "rejected", "malformed"],
      ["[2].Records[0]", "ignored", "failed-call"],
    ]);
  });

  it("reads a record four arrays deep", () => {
    // prepare
    const record = modifyDbInstance();

    // act
    const found = candidates([[[[record]]]]);

    // assess
    expect(found).toEqual([{ raw: record, path: "[0][0][0][0]" }]);
  });

  it("stops at the depth limit: deeper arrays come out as one malformed candidate", () => {
    // prepare
    const record = modifyDbInstance();

    // act
    const found = candidates([[[[[record]]]]]);
    const judged = judge(only(found).raw, context);

    // assess
    expect(found).toEqual([{ raw: [record], path: "[0][0][0][0]" }]);
    expect(why(judged)).toEqual({ reason: "malformed", detail: expect.stringContaining("an array") });
  });

  it("survives 100,000 nested arrays without walking them", () => {
    // prepare
    let deep: unknown = modifyDbInstance();
    for (let i = 0; i < 100_000; i++) deep = [deep];

    // act
    const found = candidates(deep);

    // assess
    expect(only(found).path).toBe("[0][0][0][0]");
    expect(judge(only(found).raw, context).verdict).toBe("rejected");
  });

  it("stops at the depth limit for trail log files nested in trail log files", () => {
    // prepare
    let deep: unknown = modifyDbInstance();
    for (let i = 0; i < 10; i++) deep = { Records: [deep] };

    // act
    const found = candidates(deep);

    // assess
    expect(judge(only(found).raw, context).verdict).toBe("rejected");
  });

  it.each<[string, unknown, string]>([
    ["a string", "ModifyDBInstance", "string"],
    ["null", null, "null"],
    ["an array", [modifyDbInstance()], "an array"],
    ["a number", 7, "number"],
  ])("passes an envelope whose detail is %s through as a malformed candidate", (_what, detail, kind) => {
    // prepare
    const document = envelope(detail);

    // act
    const found = candidates(document);
    const judged = judgeDocument(document, context);

    // assess
    expect(found).toEqual([{ raw: detail, path: "" }]);
    expect(why(only(judged).judgement)).toEqual({
      reason: "malformed",
      detail: expect.stringContaining(kind),
    });
  });

  it("rejects an envelope without a detail as a record missing its fields", () => {
    // prepare
    const document = without(envelope(modifyDbInstance()), "detail");

    // act
    const judged = judgeDocument(document, context);

    // assess
    expect(only(judged).judgement.verdict).toBe("rejected");
    expect(why(only(judged).judgement).reason).toBe("missing-field");
  });
});
