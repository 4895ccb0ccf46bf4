import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createCloudFormationStacks,
  deployedParameters,
  StackReadError,
} from "../../functions/adapters/cloudformation-templates.ts";
import {
  type CloudFormationStandIn,
  startCloudFormationStandIn,
} from "../../functions/rehearse/stand-ins/cloudformation.ts";
import { loadRecordedAccount } from "../../functions/replay/recorded-account.ts";
import { type TempDir, tempDir } from "../io/temp-files.ts";
import { clientConfig, queryErrorReply, startAwsServer } from "../support/aws-server.ts";

/**
 * What a live comparison reads of a stack besides the template, over real HTTP: the deployed
 * parameter values (DescribeStacks, shared with the tags: one call) and every live resource
 * (ListStackResources, all pages). Replay reads the same from the recorded account, the same way.
 */

const STACK = "catalog-prod";
const clock = { now: () => Date.parse("2026-12-01T03:00:00Z") };
const PARAMETERS = [
  { ParameterKey: "Env", ParameterValue: "prod" },
  { ParameterKey: "DbPassword", ParameterValue: "****" },
  {
    ParameterKey: "AmiId",
    ParameterValue: "/aws/service/ami-amazon-linux-latest/al2023",
    ResolvedValue: "ami-0abc",
  },
  { ParameterKey: "Empty", ParameterValue: "" },
];
/** 150 queues (two ListStackResources pages), one of them deleted, and one retained. */
const RESOURCES = Array.from({ length: 150 }, (_, i) => ({
  StackName: STACK,
  LogicalResourceId: `Queue${i}`,
  PhysicalResourceId: `https://sqs.us-east-1.amazonaws.com/123456789012/catalog-prod-Queue${i}`,
  ResourceType: "AWS::SQS::Queue",
  ResourceStatus: i === 7 ? "DELETE_COMPLETE" : i === 8 ? "DELETE_SKIPPED" : "UPDATE_COMPLETE",
}));

let dir: TempDir;
let standIn: CloudFormationStandIn;
let client: CloudFormationClient;
beforeAll(async () => {
  dir = await tempDir("cfn-stacks");
  await dir.write(
    `stacks/${STACK}.json`,
    JSON.stringify({
      StackResources: RESOURCES,
      Tags: [{ Key: "env", Value: "prod" }],
      Parameters: PARAMETERS,
    }),
  );
  standIn = await startCloudFormationStandIn({ accountDir: dir.dir, clock });
  client = new CloudFormationClient({
    region: "us-east-1",
    endpoint: standIn.url,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
});
afterAll(async () => {
  client.destroy();
  await standIn.close();
  await dir.remove();
});

describe("deployedParameters", () => {
  it("takes an SSM parameter's resolved value, keeps empty strings, and leaves a NoEcho (****) value out", () => {
    expect(deployedParameters(PARAMETERS)).toEqual({ Env: "prod", AmiId: "ami-0abc", Empty: "" });
  });
});

describe("createCloudFormationStacks (over the CloudFormation stand-in)", () => {
  it("reads tags and deployed parameters from one DescribeStacks, cached", async () => {
    const stacks = createCloudFormationStacks({ client, clock });
    const before = standIn.calls.get("cloudformation.DescribeStacks") ?? 0;

    const tags = await stacks.tagsOf(STACK);
    const parameters = await stacks.parametersOf(STACK);

    expect(tags).toEqual({ env: "prod" });
    expect(parameters).toEqual({ Env: "prod", AmiId: "ami-0abc", Empty: "" });
    expect((standIn.calls.get("cloudformation.DescribeStacks") ?? 0) - before).toBe(1);
  });

  it("lists every live resource across ListStackResources pages, deleted and retained ones left out", async () => {
    const stacks = createCloudFormationStacks({ client, clock });

    const resources = await stacks.resourcesOf(STACK);

    expect(resources).toHaveLength(148);
    expect(resources.map((r) => r.logicalId)).not.toContain("Queue7");
    expect(resources.map((r) => r.logicalId)).not.toContain("Queue8");
    expect(resources.at(-1)).toEqual({
      stack: STACK,
      logicalId: "Queue149",
      physicalId: "https://sqs.us-east-1.amazonaws.com/123456789012/catalog-prod-Queue149",
      type: "AWS::SQS::Queue",
    });
  });

  it("answers a stack CloudFormation does not know with no tags, parameters or resources", async () => {
    const stacks = createCloudFormationStacks({ client, clock });

    expect(await stacks.parametersOf("gone-prod")).toEqual({});
    expect(await stacks.resourcesOf("gone-prod")).toEqual([]);
    expect(standIn.unexpected).toEqual([]);
  });

  it("agrees with replay's recorded account on the parameters and resources", async () => {
    const account = await loadRecordedAccount(dir.dir);
    const stacks = createCloudFormationStacks({ client, clock });

    expect(await stacks.parametersOf(STACK)).toEqual(account.parameters(STACK));
    expect((await stacks.resourcesOf(STACK)).map(({ stackId: _, ...r }) => r)).toEqual(
      account.resources(STACK).map(({ stackId: _, ...r }) => r),
    );
  });
});

describe("createCloudFormationStacks failures", () => {
  const server = { current: undefined as Awaited<ReturnType<typeof startAwsServer>> | undefined };
  afterEach(async () => {
    await server.current?.close();
  });

  it("throws a StackReadError naming the stack when CloudFormation throttles (the settle is retried)", async () => {
    const aws = await startAwsServer();
    server.current = aws;
    aws.expect({
      action: "ListStackResources",
      reply: queryErrorReply({ code: "Throttling", message: "Rate exceeded" }),
    });
    const stacks = createCloudFormationStacks({ client: new CloudFormationClient(clientConfig(aws)), clock });

    const failure = await stacks.resourcesOf(STACK).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(StackReadError);
    expect(String(failure)).toContain(
      `cannot read the resources of stack ${STACK}: Throttling: Rate exceeded`,
    );
    aws.verify();
  });
});
