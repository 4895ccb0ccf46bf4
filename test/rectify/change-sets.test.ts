import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { revertPlan } from "../../core/rectify/revert-plan.ts";
import type { RevertPlan } from "../../core/rectify/types.ts";
import { ChangeSetError, createChangeSets } from "../../functions/adapters/change-sets.ts";
import {
  type AwsServer,
  clientConfig,
  queryErrorReply,
  queryReply,
  startAwsServer,
} from "../support/aws-server.ts";

/** The real SDK client over real HTTP against a strict local CloudFormation endpoint. */

const STACK_ID =
  "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-prod/5d1e8a40-1f2b-11f0-9c3e-0a1b2c3d4e5f";

function plan(options: Parameters<typeof revertPlan>[2] = {}): RevertPlan {
  return revertPlan(
    "payments-prod",
    [{ index: 0, logicalId: "AppSecurityGroup", propertyPath: "/SecurityGroupIngress/1" }],
    {
      parameters: [{ key: "AppInstanceType", value: "t3.xlarge" }, { key: "VpcId" }],
      capabilities: ["CAPABILITY_IAM"],
      ...options,
    },
  );
}

describe("createChangeSets", () => {
  let server: AwsServer;
  let client: CloudFormationClient;

  beforeEach(async () => {
    server = await startAwsServer();
    client = new CloudFormationClient(clientConfig(server));
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  it("creates the drift-aware change set with CreateChangeSet, and nothing else", async () => {
    const revert = plan({ templateBody: "Resources: {}\n" });
    server.expect({
      action: "CreateChangeSet",
      reply: queryReply("CreateChangeSet", {
        Id: `arn:aws:cloudformation:us-east-1:111122223333:changeSet/${revert.changeSetName}/1`,
        StackId: STACK_ID,
      }),
    });

    const created = await createChangeSets({ client }).createRevertChangeSet(revert);

    server.verify();
    expect(created).toEqual({
      kind: "created",
      changeSetName: revert.changeSetName,
      id: `arn:aws:cloudformation:us-east-1:111122223333:changeSet/${revert.changeSetName}/1`,
      stackId: STACK_ID,
    });
    expect(server.requests.map((r) => r.action)).toEqual(["CreateChangeSet"]);
    const params = Object.fromEntries(server.requests[0]?.params ?? []);
    expect(params).toMatchObject({
      Action: "CreateChangeSet",
      StackName: "payments-prod",
      ChangeSetName: revert.changeSetName,
      ChangeSetType: "UPDATE",
      DeploymentMode: "REVERT_DRIFT",
      ClientToken: revert.input.ClientToken,
      TemplateBody: "Resources: {}\n",
      "Parameters.member.1.ParameterKey": "AppInstanceType",
      "Parameters.member.1.ParameterValue": "t3.xlarge",
      "Parameters.member.2.ParameterKey": "VpcId",
      "Parameters.member.2.UsePreviousValue": "true",
      "Capabilities.member.1": "CAPABILITY_IAM",
    });
    expect(params).not.toHaveProperty("UsePreviousTemplate");
  });

  it("sends UsePreviousTemplate when the plan keeps the stack's template", async () => {
    server.expect({
      action: "CreateChangeSet",
      reply: queryReply("CreateChangeSet", { Id: "cs-1", StackId: STACK_ID }),
    });

    await createChangeSets({ client }).createRevertChangeSet(plan());

    server.verify();
    expect(server.requests[0]?.params.get("UsePreviousTemplate")).toBe("true");
    expect(server.requests[0]?.params.has("TemplateBody")).toBe(false);
  });

  it("finds the change set this plan already created instead of making another", async () => {
    server.expect({
      action: "CreateChangeSet",
      reply: queryErrorReply({
        code: "AlreadyExistsException",
        message: "ChangeSet phantom-revert-x already exists",
      }),
    });

    const created = await createChangeSets({ client }).createRevertChangeSet(plan());

    server.verify();
    expect(created).toEqual({ kind: "exists", changeSetName: plan().changeSetName });
  });

  it("fails with CloudFormation's reason, naming the change set", async () => {
    server.expect({
      action: "CreateChangeSet",
      reply: queryErrorReply({
        code: "InsufficientCapabilitiesException",
        message: "Requires capabilities : [CAPABILITY_NAMED_IAM]",
      }),
    });

    const error = await createChangeSets({ client })
      .createRevertChangeSet(plan())
      .catch((e: unknown) => e);

    server.verify();
    expect(error).toBeInstanceOf(ChangeSetError);
    expect((error as Error).message).toBe(
      `CreateChangeSet ${plan().changeSetName} on payments-prod failed: InsufficientCapabilitiesException: Requires capabilities : [CAPABILITY_NAMED_IAM]`,
    );
  });

  it("refuses a template over the TemplateBody limit without calling AWS", async () => {
    const error = await createChangeSets({ client })
      .createRevertChangeSet(plan({ templateBody: `Resources: {}\n#${"x".repeat(60_000)}\n` }))
      .catch((e: unknown) => e);

    server.verify();
    expect(error).toBeInstanceOf(ChangeSetError);
    expect(server.requests).toEqual([]);
  });
});
