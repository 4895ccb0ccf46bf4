import { readFileSync } from "node:fs";
import { diffLines } from "diff";
import { describe, expect, it } from "vitest";
import { parseDriftDocument } from "../../core/drift/normalize.ts";
import type { ResourceDrift } from "../../core/drift/types.ts";
import { joinDecisions } from "../../core/rectify/decisions.ts";
import { rectify } from "../../core/rectify/rectify.ts";
import type { Decision, RectifyResult } from "../../core/rectify/types.ts";
import { corpusDrift, corpusTemplate } from "./support.ts";

/**
 * Real drift outputs from the corpus applied to the templates they came from: the cfn101 workshop's
 * solution templates (its own captured CLI output), and templates in fixtures/rectify/ built from the
 * ExpectedProperties of the AWS CLI, user guide and LocalStack examples.
 */

function drifts(json: unknown): ResourceDrift[] {
  const parsed = parseDriftDocument(json);
  if (!parsed.ok) throw new Error(parsed.issues.join("; "));
  return parsed.drifts;
}

/** Decides every difference the drift results report with `decision`. */
function decideAll(text: string, found: ResourceDrift[], decision: Decision): RectifyResult {
  const rows = found.flatMap((d) =>
    d.differences.map((x) => ({ logicalId: d.logicalId, propertyPath: x.path, decision })),
  );
  const joined = joinDecisions(rows, found);
  if (!joined.ok) throw new Error(JSON.stringify(joined.issues));
  const outcome = rectify({ template: { text }, changes: joined.changes, stack: { name: "stack" } });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.issues));
  return outcome.result;
}

function changedLines(before: string, after: string): string[] {
  return diffLines(before, after).flatMap((part) =>
    part.added || part.removed
      ? part.value
          .replace(/\n$/, "")
          .split("\n")
          .map((l) => `${part.added ? "+" : "-"}${l}`)
      : [],
  );
}

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/rectify/${name}`, import.meta.url), "utf8");

describe("cfn101 drift-detection workshop", () => {
  const workshop = corpusTemplate("cfn101__code__solutions__drift-detection__drift-detection-workshop.yaml");
  const challenge = corpusTemplate(
    "cfn101__code__solutions__drift-detection__drift-detection-challenge.yaml",
  );

  it("legitimizes the table switched to on-demand: BillingMode written, ProvisionedThroughput removed", () => {
    const result = decideAll(
      workshop,
      drifts(corpusDrift("cfn101-workshop__describe-stack-resource-drifts_1.json")),
      "legitimize",
    );

    expect(changedLines(workshop, result.text)).toEqual([
      "-      BillingMode: PROVISIONED",
      "+      BillingMode: PAY_PER_REQUEST",
      "-      ProvisionedThroughput:",
      "-        ReadCapacityUnits: 1",
      "-        WriteCapacityUnits: 1",
    ]);
  });

  it("finds nothing to write when the template already has the live value (the workshop's own fix)", () => {
    const result = decideAll(
      workshop,
      drifts(corpusDrift("cfn101-workshop__describe-stack-resource-drifts_2.json")),
      "legitimize",
    );

    expect(result.text).toBe(workshop);
    expect(result.applied).toEqual([
      expect.objectContaining({
        logicalId: "Queue1",
        edits: [],
        notes: ["the template already has this value"],
      }),
    ]);
  });

  it("reverts the queue with a drift-aware change set and leaves the template alone", () => {
    const result = decideAll(
      workshop,
      drifts(corpusDrift("cfn101-workshop__describe-stack-resource-drifts_2.json")),
      "revert",
    );

    expect(result.text).toBe(workshop);
    expect(result.revert?.resources).toEqual([
      { logicalId: "Queue1", resourceType: "AWS::SQS::Queue", propertyPaths: ["/MessageRetentionPeriod"] },
    ]);
    expect(result.revert?.input.UsePreviousTemplate).toBe(true);
  });

  it("leaves the user data behind !Base64 to a person, with the text it should hold", () => {
    const result = decideAll(
      challenge,
      drifts(corpusDrift("cfn101-workshop__describe-stack-resource-drifts_5.json")),
      "legitimize",
    );

    expect(result.text).toBe(challenge);
    expect(result.manual).toHaveLength(1);
    expect(result.manual[0]?.message).toBe(
      "Instance1 /UserData (Resources.Instance1.Properties.UserData, line 23) is !Base64 | #!/usr/bin/env bash echo Hello Universe: " +
        'edit the text it encodes to "#!/usr/bin/env bash\\necho Hello Universe" (the live value, decoded from base64).',
    );
  });

  it("has nothing to do for in-sync results", () => {
    for (const name of [
      "cfn101-workshop__describe-stack-resource-drifts_3.json",
      "cfn101-workshop__describe-stack-resource-drifts_6.json",
    ]) {
      const template = name.endsWith("_3.json") ? workshop : challenge;
      const result = decideAll(template, drifts(corpusDrift(name)), "legitimize");
      expect(result.text).toBe(template);
      expect(result.applied).toEqual([]);
    }
  });
});

describe("AWS CLI, user guide and LocalStack drift outputs", () => {
  it("legitimizes a Lambda function's memory and timeout (describe-stack-resource-drifts)", () => {
    const text = fixture("lambda-function.yaml");
    const result = decideAll(
      text,
      drifts(corpusDrift("aws-cli__describe-stack-resource-drifts.json")),
      "legitimize",
    );

    expect(changedLines(text, result.text)).toEqual([
      "-      MemorySize: 128 # MB",
      "+      MemorySize: 256 # MB",
      "-      Timeout: 900",
      "+      Timeout: 22",
    ]);
  });

  it("legitimizes the same drift reported by detect-stack-resource-drift on another resource", () => {
    const text = fixture("lambda-function.yaml");
    const result = decideAll(
      text,
      drifts(corpusDrift("aws-cli__detect-stack-resource-drift.json")),
      "legitimize",
    );

    expect(changedLines(text, result.text)).toEqual([
      "-      MemorySize: 128",
      "+      MemorySize: 256",
      "-      Timeout: 900",
      "+      Timeout: 22",
    ]);
  });

  it("writes a nested property and keeps the sibling !GetAtt (user guide SQS example)", () => {
    const text = fixture("sqs-queue.yaml");
    const result = decideAll(
      text,
      drifts(corpusDrift("awsdocs-cfn-ug__detect-drift-stack_2.json")),
      "legitimize",
    );

    expect(changedLines(text, result.text)).toEqual([
      "-      DelaySeconds: 20",
      "+      DelaySeconds: 120",
      "-        maxReceiveCount: 10",
      "+        maxReceiveCount: 12",
    ]);
  });

  it("legitimizes LocalStack's recorded Lambda drift, objects instead of JSON strings", () => {
    const text = fixture("lambda-url.yaml");
    const snapshot = corpusDrift("localstack__test_drift_detection.snapshot.json") as Record<
      string,
      { "recorded-content": { drift_detection: unknown } }
    >;
    const recorded = Object.values(snapshot)[0]?.["recorded-content"].drift_detection;
    const result = decideAll(text, drifts(recorded), "legitimize");

    // Every value of a function's environment is a secret (core/secrets.ts): never written, a manual item.
    expect(changedLines(text, result.text)).toEqual([
      "-      Description: function to test lambda function url",
      "+      Description: different description",
      "-      Runtime: python3.9",
      "+      Runtime: python3.8",
    ]);
    const manual = result.manual.map((m) => m.message).join("\n");
    expect(manual).toContain("/Environment/Variables/ENDPOINT_URL: the value holds a secret");
    expect(manual).not.toContain("localhost.localstack.cloud");
  });

  it("rejects outputs that are not resource drift results", () => {
    for (const name of [
      "aws-cli__describe-stack-drift-detection-status.json",
      "aws-cli__detect-stack-drift.json",
      "cfn101-workshop__describe-stack-resource-drifts_4.json",
    ]) {
      expect(parseDriftDocument(corpusDrift(name)).ok).toBe(false);
    }
  });
});
