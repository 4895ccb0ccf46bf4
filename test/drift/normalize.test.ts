import { readdir, readFile } from "node:fs/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DRIFT_NOTES,
  normalizeDrift,
  parseDriftDocument,
  parsePropertyValue,
} from "../../core/drift/normalize.ts";
import { stackResourceDriftSchema, stackResourcesDocumentSchema } from "../../core/drift/schema.ts";
import type { ResourceDrift } from "../../core/drift/types.ts";
import { CORPUS as CORPUS_ROOT } from "../support/corpus.ts";

const corpus = new URL("cfn-drift/", CORPUS_ROOT);

async function readCorpus(name: string): Promise<unknown> {
  return JSON.parse(await readFile(new URL(name, corpus), "utf8")) as unknown;
}

function drifts(result: ReturnType<typeof parseDriftDocument>): ResourceDrift[] {
  if (!result.ok) throw new Error(`expected drifts, got issues: ${result.issues.join("; ")}`);
  return result.drifts;
}

/**
 * Every file in the corpus, classified. A file added to the corpus fails the suite until it is
 * classified here, so the parser is always tested against all the real drift outputs there are.
 */
const CORPUS: Record<string, { kind: "drift"; statuses: string[] } | { kind: "other"; why: string }> = {
  "aws-cli__describe-stack-resource-drifts.json": { kind: "drift", statuses: ["MODIFIED"] },
  "aws-cli__detect-stack-resource-drift.json": { kind: "drift", statuses: ["MODIFIED"] },
  "awsdocs-cfn-ug__detect-drift-resource_1.json": { kind: "drift", statuses: ["MODIFIED"] },
  "awsdocs-cfn-ug__detect-drift-stack_2.json": { kind: "drift", statuses: ["MODIFIED"] },
  "cfn101-workshop__describe-stack-resource-drifts_1.json": {
    kind: "drift",
    statuses: ["IN_SYNC", "MODIFIED"],
  },
  "cfn101-workshop__describe-stack-resource-drifts_2.json": {
    kind: "drift",
    statuses: ["MODIFIED", "IN_SYNC"],
  },
  "cfn101-workshop__describe-stack-resource-drifts_3.json": {
    kind: "drift",
    statuses: ["IN_SYNC", "IN_SYNC"],
  },
  "cfn101-workshop__describe-stack-resource-drifts_5.json": {
    kind: "drift",
    statuses: ["IN_SYNC", "MODIFIED"],
  },
  "cfn101-workshop__describe-stack-resource-drifts_6.json": {
    kind: "drift",
    statuses: ["IN_SYNC", "IN_SYNC"],
  },
  // A snapshot file: the DetectStackResourceDrift output sits under recorded-content (read below).
  "localstack__test_drift_detection.snapshot.json": { kind: "other", why: "snapshot container" },
  "aws-cli__describe-stack-drift-detection-status.json": { kind: "other", why: "stack-level status" },
  "aws-cli__detect-stack-drift.json": { kind: "other", why: "detection id only" },
  "awsdocs-cfn-ug__detect-drift-stack_1.json": { kind: "other", why: "stack-level status" },
  "awsdocs-cfn-ug__stacksets-drift_1.json": { kind: "other", why: "stack-set operation" },
  // ListStackInstanceResourceDrifts: a stack-set API Phantom never calls.
  "awsdocs-cfn-ug__stacksets-drift_2.json": { kind: "other", why: "stack-set summaries" },
  // Named for the lab step, but it is DescribeStackResources output (checked against that schema below).
  "cfn101-workshop__describe-stack-resource-drifts_4.json": { kind: "other", why: "DescribeStackResources" },
};

describe("parseDriftDocument over the real drift corpus", () => {
  it("has classified every corpus file", async () => {
    const files = (await readdir(corpus)).filter((f) => f.endsWith(".json")).sort();

    expect(files).toEqual(Object.keys(CORPUS).sort());
  });

  for (const [file, expected] of Object.entries(CORPUS)) {
    it(`${file}: ${expected.kind === "drift" ? expected.statuses.join(", ") : `rejected (${expected.why})`}`, async () => {
      const doc = await readCorpus(file);

      const result = parseDriftDocument(doc);

      if (expected.kind === "drift") {
        const parsed = drifts(result);
        expect(parsed.map((d) => d.status)).toEqual(expected.statuses);
        for (const d of parsed) {
          expect(d.checkedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
          expect(typeof d.expectedProperties).toBe("object");
          expect(typeof d.actualProperties).toBe("object");
          if (d.status === "MODIFIED") expect(d.differences.length).toBeGreaterThan(0);
          if (d.status === "IN_SYNC") expect(d.note).toBe(DRIFT_NOTES.inSync);
        }
      } else {
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.issues.length).toBeGreaterThan(0);
      }
    });
  }

  it("reads the Lambda drift from the AWS CLI example with numeric values", async () => {
    const doc = await readCorpus("aws-cli__detect-stack-resource-drift.json");

    const [drift] = drifts(parseDriftDocument(doc));

    expect(drift).toMatchObject({
      logicalId: "MyFunction",
      physicalId: "my-function-SEZV4XMPL4S5",
      type: "AWS::Lambda::Function",
      status: "MODIFIED",
      checkedAt: "2019-10-02T05:58:47.433Z",
      differences: [
        { path: "/MemorySize", type: "NOT_EQUAL", expected: 128, actual: 256 },
        { path: "/Timeout", type: "NOT_EQUAL", expected: 900, actual: 22 },
      ],
    });
    expect(drift?.note).toBeUndefined();
    expect(drift?.expectedProperties).toMatchObject({ MemorySize: 128, Tags: [{ Key: "lambda:createdBy" }] });
    expect(drift?.actualProperties).toMatchObject({ MemorySize: 256, Timeout: 22 });
  });

  it("keeps nested paths of the SQS example from the user guide", async () => {
    const doc = await readCorpus("awsdocs-cfn-ug__detect-drift-resource_1.json");

    const [drift] = drifts(parseDriftDocument(doc));

    expect(drift?.physicalId).toBe(
      "https://sqs.us-east-1.amazonaws.com/099908667365/my-stack-with-resource-drift-Queue-494PBHCO76H4",
    );
    expect(drift?.differences).toEqual([
      { path: "/DelaySeconds", type: "NOT_EQUAL", expected: 20, actual: 120 },
      { path: "/RedrivePolicy/maxReceiveCount", type: "NOT_EQUAL", expected: 10, actual: 12 },
    ]);
    expect(drift?.checkedAt).toBe("2018-03-26T18:54:28.462Z");
  });

  it("parses objects and null but keeps plain text in the DynamoDB billing-mode drift", async () => {
    const doc = await readCorpus("cfn101-workshop__describe-stack-resource-drifts_1.json");

    const [queue, table] = drifts(parseDriftDocument(doc));

    expect(queue).toMatchObject({ logicalId: "Queue1", status: "IN_SYNC", differences: [] });
    expect(queue?.expectedProperties).toEqual({ MessageRetentionPeriod: 345600 });
    expect(table?.differences).toEqual([
      {
        path: "/ProvisionedThroughput",
        type: "REMOVE",
        expected: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
        actual: null,
      },
      { path: "/BillingMode", type: "NOT_EQUAL", expected: "PROVISIONED", actual: "PAY_PER_REQUEST" },
    ]);
    // The CLI prints microseconds and an offset; checkedAt is plain ISO.
    expect(table?.checkedAt).toBe("2023-05-23T09:31:32.470Z");
  });

  it("keeps base64 user data as the string it is", async () => {
    const doc = await readCorpus("cfn101-workshop__describe-stack-resource-drifts_5.json");

    const [bucket, instance] = drifts(parseDriftDocument(doc));

    expect(bucket?.expectedProperties).toEqual({});
    expect(instance?.differences).toEqual([
      {
        path: "/UserData",
        type: "NOT_EQUAL",
        expected: "IyEvdXNyL2Jpbi9lbnYgYmFzaAplY2hvIEhlbGxvIFdvcmxkCg==",
        actual: "IyEvdXNyL2Jpbi9lbnYgYmFzaAplY2hvIEhlbGxvIFVuaXZlcnNl",
      },
    ]);
  });

  it("reads the DetectStackResourceDrift output recorded against AWS in the LocalStack snapshot", async () => {
    const snapshot = (await readCorpus("localstack__test_drift_detection.snapshot.json")) as Record<
      string,
      { "recorded-content": { drift_detection: unknown } }
    >;
    const recorded = Object.values(snapshot).map((test) => test["recorded-content"].drift_detection);

    const [drift] = recorded.flatMap((r) => drifts(parseDriftDocument(r)));

    expect(recorded).toHaveLength(1);
    expect(drift).toMatchObject({
      logicalId: "Function",
      type: "AWS::Lambda::Function",
      status: "MODIFIED",
      differences: [
        {
          path: "/Description",
          expected: "function to test lambda function url",
          actual: "different description",
        },
        {
          path: "/Environment/Variables/ENDPOINT_URL",
          expected: "aws.amazon.com",
          actual: "localhost.localstack.cloud",
        },
        { path: "/Runtime", expected: "python3.9", actual: "python3.8" },
      ],
    });
    // Properties are already objects in the snapshot, and the timestamp is normalised away.
    expect(drift?.expectedProperties).toMatchObject({ Runtime: "python3.9" });
    expect(drift?.checkedAt).toBeUndefined();
  });

  it("recognises the DescribeStackResources output that the workshop file holds", async () => {
    const doc = await readCorpus("cfn101-workshop__describe-stack-resource-drifts_4.json");

    const parsed = stackResourcesDocumentSchema.safeParse(doc);

    expect(parsed.success).toBe(true);
    expect(parsed.data?.StackResources.map((r) => r.LogicalResourceId)).toEqual(["Bucket1", "Instance1"]);
  });
});

describe("normalizeDrift", () => {
  const base = { LogicalResourceId: "Policy", ResourceType: "AWS::S3::BucketPolicy" };
  const normalize = (raw: Record<string, unknown>) => normalizeDrift(stackResourceDriftSchema.parse(raw));

  it("maps NOT_CHECKED and UNSUPPORTED to cannot-check with the template-comparison note", () => {
    const notChecked = normalize({ ...base, StackResourceDriftStatus: "NOT_CHECKED" });
    const unsupported = normalize({
      ...base,
      StackResourceDriftStatus: "UNSUPPORTED",
      DriftStatusReason: "type not supported",
    });

    expect(notChecked).toMatchObject({ status: "NOT_CHECKED", note: DRIFT_NOTES.notCheckable });
    expect(unsupported.status).toBe("UNSUPPORTED");
    expect(unsupported.note).toBe(`${DRIFT_NOTES.notCheckable} (CloudFormation: type not supported)`);
  });

  it("maps a missing or unknown status to UNKNOWN, never to clean", () => {
    const missing = normalize({ ...base });
    const strange = normalize({ ...base, StackResourceDriftStatus: "DRIFTING" });
    const unknown = normalize({
      ...base,
      StackResourceDriftStatus: "UNKNOWN",
      DriftStatusReason: "Rate exceeded",
    });

    expect(missing).toMatchObject({ status: "UNKNOWN", note: "CloudFormation returned no drift status" });
    expect(strange.status).toBe("UNKNOWN");
    expect(strange.note).toContain("DRIFTING");
    expect(unknown).toMatchObject({
      status: "UNKNOWN",
      note: "CloudFormation could not determine drift: Rate exceeded",
    });
  });

  it("reads DELETED without properties, and SDK dates", () => {
    const deleted = normalize({
      ...base,
      StackResourceDriftStatus: "DELETED",
      Timestamp: new Date("2024-01-02T03:04:05Z"),
    });

    expect(deleted).toEqual({
      logicalId: "Policy",
      type: "AWS::S3::BucketPolicy",
      status: "DELETED",
      differences: [],
      checkedAt: "2024-01-02T03:04:05.000Z",
    });
  });

  it("reads an unknown difference type as NOT_EQUAL and keeps ADD", () => {
    const drift = normalize({
      ...base,
      StackResourceDriftStatus: "MODIFIED",
      PropertyDifferences: [
        {
          PropertyPath: "/SecurityGroupIngress/2",
          ExpectedValue: "null",
          ActualValue: '{"CidrIp":"0.0.0.0/0","FromPort":22}',
          DifferenceType: "ADD",
        },
        { PropertyPath: "/Tags/1/Value", ExpectedValue: "a", ActualValue: "b", DifferenceType: "CHANGED" },
      ],
    });

    expect(drift.differences).toEqual([
      {
        path: "/SecurityGroupIngress/2",
        type: "ADD",
        expected: null,
        actual: { CidrIp: "0.0.0.0/0", FromPort: 22 },
      },
      { path: "/Tags/1/Value", type: "NOT_EQUAL", expected: "a", actual: "b" },
    ]);
  });
});

describe("parseDriftDocument", () => {
  it("accepts a bare StackResourceDrift and JSON text", () => {
    const bare = { LogicalResourceId: "Queue", StackResourceDriftStatus: "IN_SYNC" };

    expect(drifts(parseDriftDocument(bare))[0]?.status).toBe("IN_SYNC");
    expect(drifts(parseDriftDocument(JSON.stringify({ StackResourceDrift: bare })))[0]?.logicalId).toBe(
      "Queue",
    );
  });

  it("lists every problem with its path", () => {
    const result = parseDriftDocument({
      StackResourceDrifts: [{ LogicalResourceId: "" }, { PropertyDifferences: [{}] }],
    });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      expect.stringMatching(/^StackResourceDrifts\.0\.LogicalResourceId: /),
      expect.stringMatching(/^StackResourceDrifts\.1\.LogicalResourceId: /),
      expect.stringMatching(/^StackResourceDrifts\.1\.PropertyDifferences\.0\.PropertyPath: /),
    ]);
  });

  it("rejects text that is not JSON and JSON that is not a drift document", () => {
    expect(parseDriftDocument("{nope").ok).toBe(false);
    expect(parseDriftDocument([1, 2]).ok).toBe(false);
    expect(parseDriftDocument({ StackDriftDetectionId: "x" }).ok).toBe(false);
  });

  it("never throws, whatever it is given", () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = parseDriftDocument(value);
        expect(typeof result.ok).toBe("boolean");
      }),
    );
  });
});

describe("parsePropertyValue", () => {
  it("round-trips numbers, booleans, null, objects and arrays that CloudFormation stringifies", () => {
    const jsonish = fc.oneof(
      fc.integer(),
      // Integers beyond 2^53 stay strings by design (they would lose digits), so they are left out here.
      fc
        .double({ noNaN: true, noDefaultInfinity: true })
        .filter((n) => !Number.isInteger(n) || Number.isSafeInteger(n)),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.jsonValue()),
      fc.dictionary(fc.string(), fc.jsonValue()),
    );
    fc.assert(
      fc.property(jsonish, (value) => {
        expect(parsePropertyValue(JSON.stringify(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it("keeps text that is not a JSON number, boolean, null, object or array", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parsePropertyValue(text);
        if (typeof parsed === "string") expect(parsed).toBe(text);
        else expect(parsed).toEqual(JSON.parse(text));
      }),
    );
    expect(parsePropertyValue("PAY_PER_REQUEST")).toBe("PAY_PER_REQUEST");
    expect(parsePropertyValue('"quoted"')).toBe('"quoted"');
    expect(parsePropertyValue("0123")).toBe("0123");
    expect(parsePropertyValue("12345678901234567890")).toBe("12345678901234567890");
    expect(parsePropertyValue("123456789012")).toBe(123456789012);
  });
});
