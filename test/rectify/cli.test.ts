import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChangeSets } from "../../functions/adapters/change-sets.ts";
import { runRectify } from "../../functions/cli/rectify.ts";
import { type TempDir, tempDir } from "../io/temp-files.ts";
import { clientConfig, queryReply, startAwsServer } from "../support/aws-server.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = path.join(root, "functions/cli/bin.js");
const account = "fixtures/scenarios/payments-3am-incident/account";
const template = `${account}/templates/payments-prod.yaml`;
const driftDir = `${account}/drift/payments-prod`;
const decisions = "fixtures/rectify/payments-prod.decisions.json";
const golden = "fixtures/rectify/payments-prod.rectified.yaml";

/** Runs the real `phantom` bin as a user would. */
async function phantom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

// Each case spawns the CLI (node + the tsx loader): allow for a busy machine.
describe("phantom rectify", { timeout: 60_000 }, () => {
  let tmp: TempDir;

  beforeAll(async () => {
    tmp = await tempDir("rectify");
  });

  afterAll(async () => {
    await tmp.remove();
  });

  it("prints its help", async () => {
    const result = await phantom("rectify", "--help");

    expect(result.code).toBe(0);
    for (const flag of [
      "--template",
      "--drift",
      "--decisions",
      "--params",
      "--diff",
      "--create-change-set",
    ]) {
      expect(result.stdout).toContain(flag);
    }
  });

  it("writes the rectified template to stdout and the plan to stderr (the 3 AM scenario)", async () => {
    const result = await phantom(
      "rectify",
      "--template",
      template,
      "--drift",
      driftDir,
      "--decisions",
      decisions,
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(await readFile(path.join(root, golden), "utf8"));
    expect(result.stderr).toContain("rectify: 2 edits for 2 changes, 0 to do by hand, 6 to revert");
    expect(result.stderr).toContain(
      'legitimize AppServer /InstanceType: Parameters.AppInstanceType.Default set to "t3.xlarge" (line 13)',
    );
    expect(result.stderr).toContain("--deployment-mode REVERT_DRIFT");
    expect(result.stderr).toContain("--stack-name payments-prod");
    expect(result.stderr).toContain("--region us-east-1");
  });

  it("prints a unified diff with --diff", async () => {
    const result = await phantom(
      "rectify",
      "--template",
      template,
      "--drift",
      driftDir,
      "--decisions",
      decisions,
      "--diff",
    );

    expect(result.code).toBe(0);
    const changed = result.stdout.split("\n").filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual([
      "-    Default: t3.medium # sized from the Q3 load test: p99 CPU 41 %",
      "+    Default: t3.xlarge # sized from the Q3 load test: p99 CPU 41 %",
      "-    Default: db.r5.large",
      "+    Default: db.r5.xlarge",
    ]);
    expect(result.stdout).toContain(`--- a/${template}`);
  });

  it("takes an analysis.json, writes the parameter file, and lists manual items on stderr", async () => {
    const analysis = await tmp.write(
      "analysis.json",
      JSON.stringify({
        stack: "payments-prod",
        changes: [
          {
            logicalId: "AppServer",
            propertyPath: "/InstanceType",
            differenceType: "NOT_EQUAL",
            expected: "t3.medium",
            actual: "t3.xlarge",
            decision: "legitimize",
          },
          {
            logicalId: "AppServer",
            propertyPath: "/Tags/0",
            differenceType: "ADD",
            expected: null,
            actual: { Key: "IncidentRef", Value: "INC-4211" },
          },
          {
            logicalId: "PaymentsDatabase",
            propertyPath: "/MultiAZ",
            differenceType: "NOT_EQUAL",
            expected: true,
            actual: false,
            decision: "legitimize",
          },
        ],
      }),
    );
    const params = await tmp.write(
      "prod.json",
      '[\n  {"ParameterKey": "AppInstanceType", "ParameterValue": "t3.medium"}\n]\n',
    );
    const out = path.join(tmp.dir, "prod.rectified.json");

    const result = await phantom(
      "rectify",
      "--template",
      template,
      "--drift",
      driftDir,
      "--decisions",
      analysis,
      "--params",
      params,
      "--params-out",
      out,
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(await readFile(path.join(root, template), "utf8"));
    expect(await readFile(out, "utf8")).toBe(
      '[\n  {"ParameterKey": "AppInstanceType", "ParameterValue": "t3.xlarge"}\n]\n',
    );
    expect(result.stderr).toContain("manual:");
    expect(result.stderr).toContain(
      "PaymentsDatabase /MultiAZ (Resources.PaymentsDatabase.Properties.MultiAZ, line 110) is !If [IsProduction, true, false]",
    );
    expect(result.stderr).toContain("1 change in");
  });

  it("exits 1 naming the change for a decision the drift results do not back", async () => {
    const bad = await tmp.write(
      "bad.json",
      JSON.stringify([
        { logicalId: "AppServer", propertyPath: "/InstanceType", decision: "legitimize" },
        { logicalId: "AppServer", propertyPath: "/Nope", decision: "revert" },
      ]),
    );

    const result = await phantom("rectify", "--template", template, "--drift", driftDir, "--decisions", bad);

    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      "change 2 (AppServer /Nope): the drift results report no difference at this path for AppServer (they report /InstanceType, /Tags/1, /Tags/0)",
    );
  });

  it("exits 1 naming the change for a path the template does not have", async () => {
    const other = await tmp.write(
      "other.yaml",
      "Resources:\n  AppServer:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-1\n",
    );
    const result = await phantom(
      "rectify",
      "--template",
      other,
      "--drift",
      `${driftDir}/AppServer.json`,
      "--decisions",
      decisions,
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "change 1 (AppSecurityGroup /SecurityGroupIngress/1): the drift results have no resource AppSecurityGroup",
    );
  });

  it("writes what it can when the template lacks some decided resources, and lists the rest as manual", async () => {
    const other = await tmp.write(
      "partial.yaml",
      "Resources:\n  AppServer:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-1 # pinned\n",
    );
    const result = await phantom(
      "rectify",
      "--template",
      other,
      "--drift",
      driftDir,
      "--decisions",
      decisions,
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "Resources:\n  AppServer:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: ami-1 # pinned\n      InstanceType: t3.xlarge\n",
    );
    // AppServer's two reverted tags stay in the revert plan; PaymentsDatabase and the group are not here.
    expect(result.stderr).toContain("rectify: 1 edit for 1 change, 5 to do by hand, 2 to revert");
    expect(result.stderr).toContain(
      "refactor: PaymentsDatabase /DBInstanceClass: the template has no resource PaymentsDatabase: add it, or the property, by hand if this stack should take the proposed value.",
    );
    expect(result.stderr).toContain(
      "revert: AppSecurityGroup /SecurityGroupIngress/1: the template has no resource AppSecurityGroup, so the revert plan cannot restore it from this template",
    );
  });

  it("exits 1 for files that are missing or are not what they should be", async () => {
    const [missing, notDrift, noFlags] = await Promise.all([
      phantom("rectify", "--template", "nope.yaml", "--drift", driftDir, "--decisions", decisions),
      phantom(
        "rectify",
        "--template",
        template,
        "--drift",
        "fixtures/corpus/cfn-drift/aws-cli__detect-stack-drift.json",
        "--decisions",
        decisions,
      ),
      phantom("rectify", "--template", template),
    ]);

    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("cannot read template nope.yaml: no such file");
    expect(notDrift.code).toBe(1);
    expect(notDrift.stderr).toContain("is not a drift result");
    expect(noFlags.code).toBe(1);
    expect(noFlags.stderr).toContain("--drift");
  });

  it("creates the revert change set with --create-change-set, and never executes it", async () => {
    const server = await startAwsServer();
    server.expect({
      action: "CreateChangeSet",
      reply: queryReply("CreateChangeSet", { Id: "arn:cs/1", StackId: "arn:stack/1" }),
    });
    const client = new CloudFormationClient(clientConfig(server));
    const out: string[] = [];
    const err: string[] = [];
    try {
      await runRectify(
        {
          template: path.join(root, template),
          drift: [path.join(root, driftDir)],
          decisions: path.join(root, decisions),
          diff: true,
          createChangeSet: true,
        },
        { out: (s) => out.push(s), err: (s) => err.push(s) },
        { changeSets: () => createChangeSets({ client }) },
      );
      server.verify();
    } finally {
      client.destroy();
      await server.close();
    }

    expect(server.requests.map((r) => r.action)).toEqual(["CreateChangeSet"]);
    expect(server.requests[0]?.params.get("DeploymentMode")).toBe("REVERT_DRIFT");
    expect(err.join("")).toMatch(
      /created change set phantom-revert-[0-9a-f]{12} \(arn:cs\/1\); review it, then execute it yourself/,
    );
  });
});
