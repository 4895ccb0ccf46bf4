import { describe, expect, it } from "vitest";
import { openTemplate } from "../../core/rectify/rectify.ts";
import { requiredCapabilities, revertPlan, shellWord } from "../../core/rectify/revert-plan.ts";
import type { RevertedChange } from "../../core/rectify/types.ts";

const reverted: RevertedChange[] = [
  {
    index: 0,
    logicalId: "AppSecurityGroup",
    propertyPath: "/SecurityGroupIngress/1",
    resourceType: "AWS::EC2::SecurityGroup",
  },
  { index: 3, logicalId: "PaymentsDatabase", propertyPath: "/DeletionProtection" },
  { index: 4, logicalId: "PaymentsDatabase", propertyPath: "/BackupRetentionPeriod" },
];

describe("revertPlan", () => {
  it("restores the previous template when nothing was edited, keeping every parameter value", () => {
    const plan = revertPlan("payments-prod", reverted, {
      region: "us-east-1",
      parameters: [{ key: "Environment" }, { key: "VpcId" }],
      capabilities: ["CAPABILITY_IAM"],
    });

    expect(plan.input).toEqual({
      StackName: "payments-prod",
      ChangeSetName: plan.changeSetName,
      ChangeSetType: "UPDATE",
      DeploymentMode: "REVERT_DRIFT",
      Description:
        "Phantom: revert drift on AppSecurityGroup (/SecurityGroupIngress/1); PaymentsDatabase (/DeletionProtection, /BackupRetentionPeriod)",
      ClientToken: expect.stringMatching(/^phantom-[0-9a-f]{32}$/),
      UsePreviousTemplate: true,
      Parameters: [
        { ParameterKey: "Environment", UsePreviousValue: true },
        { ParameterKey: "VpcId", UsePreviousValue: true },
      ],
      Capabilities: ["CAPABILITY_IAM"],
    });
    expect(plan.changeSetName).toMatch(/^phantom-revert-[0-9a-f]{12}$/);
    expect(plan.command).toBe(
      [
        "aws cloudformation create-change-set",
        "  --stack-name payments-prod",
        `  --change-set-name ${plan.changeSetName}`,
        "  --change-set-type UPDATE",
        "  --deployment-mode REVERT_DRIFT",
        "  --use-previous-template",
        "  --parameters ParameterKey=Environment,UsePreviousValue=true ParameterKey=VpcId,UsePreviousValue=true",
        "  --capabilities CAPABILITY_IAM",
        `  --description '${plan.input.Description}'`,
        `  --client-token ${plan.input.ClientToken}`,
        "  --region us-east-1",
      ].join(" \\\n"),
    );
    expect(plan.resources).toEqual([
      {
        logicalId: "AppSecurityGroup",
        resourceType: "AWS::EC2::SecurityGroup",
        propertyPaths: ["/SecurityGroupIngress/1"],
      },
      { logicalId: "PaymentsDatabase", propertyPaths: ["/DeletionProtection", "/BackupRetentionPeriod"] },
    ]);
    expect(plan.notes.join("\n")).toContain("every drifted property of every resource in the stack");
    expect(plan.notes.join("\n")).toContain("Phantom never executes it");
  });

  it("deploys the rectified template when it was edited, passing the parameters that changed", () => {
    const plan = revertPlan("s", reverted, {
      templatePath: "stacks/my stack.yaml",
      templateBody: "Resources: {}\n",
      parameters: [{ key: "Size", value: "a,b" }, { key: "Name" }],
    });

    expect(plan.input.TemplateBody).toBe("Resources: {}\n");
    expect(plan.input.UsePreviousTemplate).toBeUndefined();
    expect(plan.command).toContain("--template-body 'file://stacks/my stack.yaml'");
    // A value with a comma cannot use the shorthand syntax: JSON instead.
    expect(plan.command).toContain(
      `--parameters '[{"ParameterKey":"Size","ParameterValue":"a,b"},{"ParameterKey":"Name","UsePreviousValue":true}]'`,
    );
    expect(plan.notes.join("\n")).toContain("after the pull request with the rectified template merges");
  });

  it("passes the environment's parameter file as a file", () => {
    const plan = revertPlan("s", reverted, {
      templateBody: "Resources: {}\n",
      parametersPath: "params/prod.json",
      parameterFile: [{ ParameterKey: "Size", ParameterValue: "3" }],
    });

    expect(plan.input.Parameters).toEqual([{ ParameterKey: "Size", ParameterValue: "3" }]);
    expect(plan.command).toContain("--parameters file://params/prod.json");
  });

  it("names the same plan the same way, and a different plan differently", () => {
    const a = revertPlan("s", reverted);
    const b = revertPlan("s", [...reverted]);
    const c = revertPlan("s", reverted.slice(1));

    expect(a.changeSetName).toBe(b.changeSetName);
    expect(a.input.ClientToken).toBe(b.input.ClientToken);
    expect(c.changeSetName).not.toBe(a.changeSetName);
  });

  it("says when the template is too big for --template-body", () => {
    const plan = revertPlan("s", reverted, { templateBody: `Resources: {}\n#${"x".repeat(60_000)}\n` });

    expect(plan.notes.at(-1)).toContain("over the 51,200-byte limit of --template-body");
  });

  it("asks for the IAM capabilities the template needs", () => {
    const iam = openTemplate("Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties: {}\n").root;
    const named = openTemplate(
      "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: x\n",
    ).root;
    const none = openTemplate("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n").root;

    expect(requiredCapabilities(iam)).toEqual(["CAPABILITY_IAM"]);
    expect(requiredCapabilities(named)).toEqual(["CAPABILITY_NAMED_IAM"]);
    expect(requiredCapabilities(none)).toEqual([]);
  });

  it("quotes shell words only when they need it", () => {
    expect(shellWord("payments-prod")).toBe("payments-prod");
    expect(shellWord("it's here")).toBe("'it'\\''s here'");
  });
});
