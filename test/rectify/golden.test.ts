import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { diffLines } from "diff";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseDriftDocument } from "../../core/drift/normalize.ts";
import { joinDecisions } from "../../core/rectify/decisions.ts";
import { openTemplate, rectify } from "../../core/rectify/rectify.ts";
import { parseDecisions } from "../../core/rectify/schema.ts";
import { plainOf } from "../../core/rectify/tree.ts";

/**
 * The 3 AM scenario (fixtures/scenarios/payments-3am-incident): the on-call engineer opened SSH to
 * the world, resized the API server and the database, retagged the server and weakened the database's
 * safety settings. The decisions: revert the SSH rule, the tags and the database safety settings;
 * legitimize the bigger API server (a `!Ref` to AppInstanceType, so its Default changes); refactor the
 * database to db.r5.xlarge (a `!Ref` to DatabaseClass). The rectified template is a golden file,
 * regenerated only with PHANTOM_UPDATE_GOLDEN=1.
 */

const scenario = new URL("../../fixtures/scenarios/payments-3am-incident/account/", import.meta.url);
const golden = new URL("../../fixtures/rectify/payments-prod.rectified.yaml", import.meta.url);
const decisionsFile = new URL("../../fixtures/rectify/payments-prod.decisions.json", import.meta.url);

const template = readFileSync(new URL("templates/payments-prod.yaml", scenario), "utf8");
const driftDir = new URL("drift/payments-prod/", scenario);
const drifts = readdirSync(driftDir)
  .filter((n) => n.endsWith(".json"))
  .sort()
  .flatMap((n) => {
    const parsed = parseDriftDocument(readFileSync(new URL(n, driftDir), "utf8"));
    if (!parsed.ok) throw new Error(parsed.issues.join("; "));
    return parsed.drifts;
  });

function rectified() {
  const decisions = parseDecisions(JSON.parse(readFileSync(decisionsFile, "utf8")));
  if (!decisions.ok) throw new Error(decisions.issues.join("; "));
  const joined = joinDecisions(decisions.rows, drifts);
  if (!joined.ok) throw new Error(JSON.stringify(joined.issues));
  const outcome = rectify({
    template: { text: template, path: "templates/payments-prod.yaml" },
    changes: joined.changes,
    stack: { name: "payments-prod", region: "us-east-1" },
  });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.issues));
  return outcome.result;
}

function changedLineCount(before: string, after: string): number {
  return diffLines(before, after)
    .filter((p) => p.added || p.removed)
    .reduce((n, p) => n + (p.count ?? 0), 0);
}

describe("the 3 AM scenario", () => {
  const result = rectified();

  it("matches the golden rectified template", () => {
    if (process.env.PHANTOM_UPDATE_GOLDEN === "1") writeFileSync(golden, result.text);
    expect(result.text).toBe(readFileSync(golden, "utf8"));
  });

  it("changes two parameter defaults and nothing else", () => {
    const changed = diffLines(template, result.text).filter((p) => p.added || p.removed);

    expect(changed.map((p) => `${p.added ? "+" : "-"}${p.value}`)).toEqual([
      "-    Default: t3.medium # sized from the Q3 load test: p99 CPU 41 %\n",
      "+    Default: t3.xlarge # sized from the Q3 load test: p99 CPU 41 %\n",
      "-    Default: db.r5.large\n",
      "+    Default: db.r5.xlarge\n",
    ]);
    expect(result.manual).toEqual([]);
  });

  it("plans the drift-aware change set for the reverted changes, passing the changed parameters", () => {
    const plan = result.revert;

    expect(plan?.resources).toEqual([
      {
        logicalId: "AppSecurityGroup",
        resourceType: "AWS::EC2::SecurityGroup",
        propertyPaths: ["/SecurityGroupIngress/1"],
      },
      { logicalId: "AppServer", resourceType: "AWS::EC2::Instance", propertyPaths: ["/Tags/1", "/Tags/0"] },
      {
        logicalId: "PaymentsDatabase",
        resourceType: "AWS::RDS::DBInstance",
        propertyPaths: ["/BackupRetentionPeriod", "/DeletionProtection", "/EnablePerformanceInsights"],
      },
    ]);
    expect(plan?.input).toMatchObject({
      StackName: "payments-prod",
      ChangeSetType: "UPDATE",
      DeploymentMode: "REVERT_DRIFT",
      TemplateBody: result.text,
      Capabilities: ["CAPABILITY_IAM"],
    });
    expect(plan?.input.Parameters).toContainEqual({
      ParameterKey: "AppInstanceType",
      ParameterValue: "t3.xlarge",
    });
    expect(plan?.input.Parameters).toContainEqual({
      ParameterKey: "DatabaseClass",
      ParameterValue: "db.r5.xlarge",
    });
    expect(plan?.input.Parameters).toContainEqual({ ParameterKey: "VpcId", UsePreviousValue: true });
    expect(plan?.command).toMatch(
      /^aws cloudformation create-change-set \\\n {2}--stack-name payments-prod \\\n/,
    );
    expect(plan?.command).toContain("--deployment-mode REVERT_DRIFT");
    expect(plan?.command).toContain("--template-body file://templates/payments-prod.yaml");
  });

  it("is a far smaller diff than re-serialising the parsed template", () => {
    const root = openTemplate(template).root;
    const reserialised = stringify(root ? plainOf(root) : {});
    const ours = changedLineCount(template, result.text);
    const theirs = changedLineCount(template, reserialised);

    expect(ours).toBe(4);
    expect(theirs).toBeGreaterThan(ours * 20);
  });
});
