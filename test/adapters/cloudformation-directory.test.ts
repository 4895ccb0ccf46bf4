import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createCloudFormationDirectory,
  StackLookupError,
} from "../../functions/adapters/cloudformation-directory.ts";
import { queryErrorReply, queryReply } from "../support/aws-server.ts";
import { cloudFormationHarness, serveStackResources } from "./cfn-world-server.ts";
import { stackDirectoryContract } from "./port-contracts.ts";
import { loadWorld, QUEUE_URL, TABLE_NAME, WORKSHOP, type World } from "./world.ts";

const TTL = 60_000;
const NEGATIVE_TTL = 5_000;

stackDirectoryContract("CloudFormation DescribeStackResources over HTTP", async (world) => {
  const { server, client, done } = await cloudFormationHarness();
  serveStackResources(server, world);
  const clock = { now: () => 0 };
  return {
    adapter: createCloudFormationDirectory({ client, ttlMs: TTL, negativeTtlMs: NEGATIVE_TTL, clock }),
    done,
  };
});

describe("createCloudFormationDirectory", () => {
  let world: World;
  let harness: Awaited<ReturnType<typeof cloudFormationHarness>>;
  let time: number;
  const clock = { now: () => time };

  beforeEach(async () => {
    world = await loadWorld();
    harness = await cloudFormationHarness();
    time = 1_000_000;
  });

  afterEach(async () => {
    await harness.done();
  });

  function directory(options: { maxEntries?: number } = {}) {
    return createCloudFormationDirectory({
      client: harness.client,
      ttlMs: TTL,
      negativeTtlMs: NEGATIVE_TTL,
      clock,
      ...options,
    });
  }

  function describeCalls(): string[] {
    return harness.server.requests
      .filter((r) => r.action === "DescribeStackResources")
      .map((r) => r.params.get("PhysicalResourceId") ?? "");
  }

  it("sends DescribeStackResources by PhysicalResourceId over awsQuery", async () => {
    serveStackResources(harness.server, world);

    await directory().lookup({ type: "AWS::SQS::Queue", id: QUEUE_URL });

    const [request] = harness.server.requests;
    expect(request?.method).toBe("POST");
    expect(request?.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(request?.params ?? [])).toEqual({
      Action: "DescribeStackResources",
      Version: "2010-05-15",
      PhysicalResourceId: QUEUE_URL,
    });
  });

  it("caches the whole stack from one call until the TTL passes", async () => {
    serveStackResources(harness.server, world);
    const subject = directory();

    await subject.lookup({ type: "AWS::SQS::Queue", id: QUEUE_URL });
    const table = await subject.lookup({ type: "AWS::DynamoDB::Table", id: TABLE_NAME });
    time += TTL - 1;
    await subject.lookup({ type: "AWS::SQS::Queue", id: QUEUE_URL });
    const callsWithinTtl = describeCalls().length;
    time += 1;
    await subject.lookup({ type: "AWS::DynamoDB::Table", id: TABLE_NAME });

    expect(table).toMatchObject({ stack: WORKSHOP, logicalId: "Table1" });
    expect(callsWithinTtl).toBe(1);
    expect(describeCalls()).toEqual([QUEUE_URL, TABLE_NAME]);
  });

  it("caches 'not stack-owned' for the negative TTL only", async () => {
    harness.server.expect({
      action: "DescribeStackResources",
      times: 2,
      reply: queryErrorReply({
        code: "ValidationError",
        message: "Stack for sg-0123456789abcdef0 does not exist",
      }),
    });
    const subject = directory();
    const ref = { type: "AWS::EC2::SecurityGroup", id: "sg-0123456789abcdef0" } as const;

    const first = await subject.lookup(ref);
    time += NEGATIVE_TTL - 1;
    const cached = await subject.lookup(ref);
    time += 1;
    const again = await subject.lookup(ref);

    expect([first, cached, again]).toEqual([undefined, undefined, undefined]);
    expect(describeCalls()).toHaveLength(2);
  });

  it("throws a typed error for throttling and access denied, and caches neither", async () => {
    harness.server.expect({
      action: "DescribeStackResources",
      reply: queryErrorReply({ code: "Throttling", message: "Rate exceeded" }),
    });
    harness.server.expect({
      action: "DescribeStackResources",
      reply: queryErrorReply({
        code: "AccessDenied",
        message: "User is not authorized to perform: cloudformation:DescribeStackResources",
        status: 403,
      }),
    });
    const subject = directory();
    const ref = { type: "AWS::SQS::Queue", id: QUEUE_URL } as const;

    const throttled = await subject.lookup(ref).catch((e: unknown) => e);
    const denied = await subject.lookup(ref).catch((e: unknown) => e);

    expect(throttled).toBeInstanceOf(StackLookupError);
    expect(throttled).toMatchObject({ name: "StackLookupError", code: "Throttling", physicalId: QUEUE_URL });
    expect((throttled as Error).message).toContain("Throttling: Rate exceeded");
    expect((throttled as Error).cause).toMatchObject({ name: "Throttling" });
    expect(denied).toMatchObject({ name: "StackLookupError", code: "AccessDenied" });
    expect(describeCalls()).toHaveLength(2);
  });

  it("shares one call between concurrent lookups of the same id", async () => {
    const stack = world.stacks[WORKSHOP];
    harness.server.expect({
      action: "DescribeStackResources",
      reply: {
        ...queryReply("DescribeStackResources", { StackResources: stack?.StackResources }),
        delayMs: 30,
      },
    });
    const subject = directory();
    const ref = { type: "AWS::SQS::Queue", id: QUEUE_URL } as const;

    const found = await Promise.all([subject.lookup(ref), subject.lookup(ref), subject.lookup(ref)]);

    expect(found.map((f) => f?.logicalId)).toEqual(["Queue1", "Queue1", "Queue1"]);
    expect(describeCalls()).toHaveLength(1);
  });

  it("pages ListStackResources when the id is past DescribeStackResources' first 100", async () => {
    const stackId = "arn:aws:cloudformation:us-east-1:123456789012:stack/big/0f1e2d3c";
    const member = (i: number) => ({
      StackName: "big",
      StackId: stackId,
      LogicalResourceId: `Topic${i}`,
      PhysicalResourceId: `arn:aws:sns:us-east-1:123456789012:big-topic-${i}`,
      ResourceType: "AWS::SNS::Topic",
      ResourceStatus: "CREATE_COMPLETE",
      Timestamp: "2024-01-01T00:00:00Z",
    });
    const summary = (i: number) => {
      const { StackName: _n, StackId: _i, Timestamp: _t, ...rest } = member(i);
      return { ...rest, LastUpdatedTimestamp: "2024-01-01T00:00:00Z" };
    };
    const first100 = Array.from({ length: 100 }, (_, i) => member(i));
    harness.server.expect({
      action: "DescribeStackResources",
      reply: queryReply("DescribeStackResources", { StackResources: first100 }),
    });
    harness.server.expect({
      action: "ListStackResources",
      match: (r) => r.params.get("StackName") === stackId && !r.params.has("NextToken"),
      reply: queryReply("ListStackResources", {
        StackResourceSummaries: Array.from({ length: 100 }, (_, i) => summary(i)),
        NextToken: "page-2",
      }),
    });
    harness.server.expect({
      action: "ListStackResources",
      match: (r) => r.params.get("NextToken") === "page-2",
      reply: queryReply("ListStackResources", {
        StackResourceSummaries: [summary(100), summary(101)],
      }),
    });
    const subject = directory();

    const found = await subject.lookup({ type: "AWS::SNS::Topic", id: member(101).PhysicalResourceId });
    const cached = await subject.lookup({ type: "AWS::SNS::Topic", id: member(100).PhysicalResourceId });

    expect(found).toEqual({
      stack: "big",
      stackId,
      logicalId: "Topic101",
      physicalId: member(101).PhysicalResourceId,
      type: "AWS::SNS::Topic",
    });
    expect(cached?.logicalId).toBe("Topic100");
    expect(harness.server.requests.map((r) => r.action)).toEqual([
      "DescribeStackResources",
      "ListStackResources",
      "ListStackResources",
    ]);
  });

  it("evicts the least recently used ids beyond maxEntries, keeping the one asked for", async () => {
    serveStackResources(harness.server, world);
    const subject = directory({ maxEntries: 1 });

    await subject.lookup({ type: "AWS::SQS::Queue", id: QUEUE_URL });
    await subject.lookup({ type: "AWS::SQS::Queue", id: QUEUE_URL });
    await subject.lookup({ type: "AWS::DynamoDB::Table", id: TABLE_NAME });

    expect(describeCalls()).toEqual([QUEUE_URL, TABLE_NAME]);
  });
});
