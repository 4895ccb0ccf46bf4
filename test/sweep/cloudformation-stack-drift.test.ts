import { readFile } from "node:fs/promises";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createStackDriftDetector,
  listManagedStacks,
  StackDriftError,
} from "../../functions/adapters/cloudformation-stack-drift.ts";
import {
  type AwsServer,
  clientConfig,
  queryErrorReply,
  queryReply,
  startAwsServer,
} from "../support/aws-server.ts";
import { CORPUS } from "../support/corpus.ts";

/** The AWS CLI's drift examples (`fixtures/corpus/cfn-drift/`, from aws/aws-cli's examples). */
const corpus = new URL("cfn-drift/", CORPUS);
async function recorded(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(new URL(name, corpus), "utf8"));
}

const THROTTLED = queryErrorReply({ code: "Throttling", message: "Rate exceeded" });

describe("createStackDriftDetector over HTTP", () => {
  let server: AwsServer;
  let client: CloudFormationClient;
  let slept: number[];
  let now: number;

  beforeEach(async () => {
    server = await startAwsServer();
    client = new CloudFormationClient(clientConfig(server));
    slept = [];
    now = 0;
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
    server.verify();
  });

  function detector(options: { timeoutMs?: number } = {}) {
    return createStackDriftDetector({
      client,
      pollIntervalMs: 1_000,
      maxPollIntervalMs: 4_000,
      baseDelayMs: 100,
      random: () => 0.5,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
      ...options,
    });
  }

  it("detects, polls with backoff until complete, then reads MODIFIED and DELETED drifts, every page", async () => {
    const detect = await recorded("aws-cli__detect-stack-drift.json");
    const complete = await recorded("aws-cli__describe-stack-drift-detection-status.json");
    const drifts = await recorded("aws-cli__describe-stack-resource-drifts.json");
    const id = String(detect.StackDriftDetectionId);
    server.expect({ action: "DetectStackDrift", reply: queryReply("DetectStackDrift", detect) });
    server.expect({
      action: "DescribeStackDriftDetectionStatus",
      times: 3,
      reply: queryReply("DescribeStackDriftDetectionStatus", {
        ...complete,
        DetectionStatus: "DETECTION_IN_PROGRESS",
      }),
    });
    server.expect({
      action: "DescribeStackDriftDetectionStatus",
      reply: queryReply("DescribeStackDriftDetectionStatus", complete),
    });
    server.expect({
      action: "DescribeStackResourceDrifts",
      match: (r) => !r.params.has("NextToken"),
      reply: queryReply("DescribeStackResourceDrifts", { ...drifts, NextToken: "page-2" }),
    });
    server.expect({
      action: "DescribeStackResourceDrifts",
      match: (r) => r.params.get("NextToken") === "page-2",
      reply: queryReply("DescribeStackResourceDrifts", {
        StackResourceDrifts: [
          {
            StackId: "arn:aws:cloudformation:us-west-2:123456789012:stack/my-stack/d0a825a0",
            LogicalResourceId: "bucket",
            PhysicalResourceId: "my-stack-bucket-1vc62xmplgguf",
            ResourceType: "AWS::S3::Bucket",
            StackResourceDriftStatus: "DELETED",
            Timestamp: "2019-10-02T05:54:44.064Z",
          },
        ],
      }),
    });

    const result = await detector().detect("my-stack");

    expect(result.stack).toBe("my-stack");
    expect(result.detection).toBe("complete");
    expect(result.drift.calls).toBe(7);
    expect(result.drift.resources.map((r) => [r.logicalId, r.status])).toEqual([
      ["function", "MODIFIED"],
      ["bucket", "DELETED"],
    ]);
    expect(result.drift.resources[0]?.differences).toEqual([
      { path: "/MemorySize", type: "NOT_EQUAL", expected: 128, actual: 256 },
      { path: "/Timeout", type: "NOT_EQUAL", expected: 900, actual: 22 },
    ]);
    // Poll intervals double up to the cap.
    expect(slept).toEqual([1_000, 2_000, 4_000, 4_000]);
    const [detectRequest, , , , , firstPage] = server.requests;
    expect(detectRequest?.params.get("StackName")).toBe("my-stack");
    expect(detectRequest?.params.has("LogicalResourceIds.member.1")).toBe(false);
    expect(server.requests[1]?.params.get("StackDriftDetectionId")).toBe(id);
    expect(firstPage?.params.get("StackResourceDriftStatusFilters.member.1")).toBe("MODIFIED");
    expect(firstPage?.params.get("StackResourceDriftStatusFilters.member.2")).toBe("DELETED");
    expect(firstPage?.params.has("StackResourceDriftStatusFilters.member.3")).toBe(false);
  });

  it("returns the results of a DETECTION_FAILED detection as partial, with CloudFormation's reason", async () => {
    server.expect({
      action: "DetectStackDrift",
      reply: queryReply("DetectStackDrift", { StackDriftDetectionId: "d-1" }),
    });
    server.expect({
      action: "DescribeStackDriftDetectionStatus",
      reply: queryReply("DescribeStackDriftDetectionStatus", {
        StackId: "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1",
        StackDriftDetectionId: "d-1",
        StackDriftStatus: "DRIFTED",
        DetectionStatus: "DETECTION_FAILED",
        DetectionStatusReason: '{"Failures":[{"Resource":"Queue","FailureReason":"Rate exceeded"}]}',
        Timestamp: "2026-11-23T06:00:00Z",
      }),
    });
    server.expect({
      action: "DescribeStackResourceDrifts",
      reply: queryReply("DescribeStackResourceDrifts", { StackResourceDrifts: [] }),
    });
    const result = await detector().detect("s");
    expect(result.detection).toBe("partial");
    expect(result.note).toContain("Rate exceeded");
    expect(result.drift.resources).toEqual([]);
  });

  it("retries throttled calls with backoff and counts every call", async () => {
    server.expect({ action: "DetectStackDrift", times: 2, reply: THROTTLED });
    server.expect({
      action: "DetectStackDrift",
      reply: queryReply("DetectStackDrift", { StackDriftDetectionId: "d-1" }),
    });
    server.expect({
      action: "DescribeStackDriftDetectionStatus",
      reply: queryReply("DescribeStackDriftDetectionStatus", { DetectionStatus: "DETECTION_COMPLETE" }),
    });
    server.expect({ action: "DescribeStackResourceDrifts", reply: THROTTLED });
    server.expect({
      action: "DescribeStackResourceDrifts",
      reply: queryReply("DescribeStackResourceDrifts", { StackResourceDrifts: [] }),
    });
    const result = await detector().detect("s");
    expect(result.drift.calls).toBe(6);
    expect(slept).toEqual([50, 100, 1_000, 50]);
  });

  it("throws a refused StackDriftError when CloudFormation will not start a detection", async () => {
    server.expect({
      action: "DetectStackDrift",
      reply: queryErrorReply({
        code: "ValidationError",
        message: "Stack [s] is in UPDATE_IN_PROGRESS state and can not be drift detected",
      }),
    });
    const error = await detector()
      .detect("s")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackDriftError);
    expect(error).toMatchObject({ stackName: "s", reason: "refused" });
    expect(String(error)).toContain("UPDATE_IN_PROGRESS");
  });

  it("gives up with a timed-out StackDriftError when detection outlasts the timeout", async () => {
    server.expect({
      action: "DetectStackDrift",
      reply: queryReply("DetectStackDrift", { StackDriftDetectionId: "d-9" }),
    });
    server.expect({
      action: "DescribeStackDriftDetectionStatus",
      times: Number.POSITIVE_INFINITY,
      reply: queryReply("DescribeStackDriftDetectionStatus", { DetectionStatus: "DETECTION_IN_PROGRESS" }),
    });
    const error = await detector({ timeoutMs: 10_000 })
      .detect("s")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "StackDriftError", reason: "timed-out" });
    expect(slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
  });

  it("runs one drift operation per stack at a time; other stacks run side by side", async () => {
    for (const stack of ["a", "a", "b"]) {
      server.expect({
        action: "DetectStackDrift",
        match: (r) => r.params.get("StackName") === stack,
        reply: { ...queryReply("DetectStackDrift", { StackDriftDetectionId: `d-${stack}` }), delayMs: 30 },
      });
    }
    server.expect({
      action: "DescribeStackDriftDetectionStatus",
      times: 3,
      reply: {
        ...queryReply("DescribeStackDriftDetectionStatus", { DetectionStatus: "DETECTION_COMPLETE" }),
        delayMs: 30,
      },
    });
    server.expect({
      action: "DescribeStackResourceDrifts",
      times: 3,
      reply: queryReply("DescribeStackResourceDrifts", { StackResourceDrifts: [] }),
    });
    const d = createStackDriftDetector({ client, pollIntervalMs: 1, sleep: async () => {} });
    await Promise.all([d.detect("a"), d.detect("a"), d.detect("b")]);
    const spans = (stack: string) => {
      const requests = server.requests.filter(
        (r) => r.params.get("StackName") === stack || r.params.get("StackDriftDetectionId") === `d-${stack}`,
      );
      return requests;
    };
    const a = spans("a");
    const secondDetectA = a.filter((r) => r.action === "DetectStackDrift")[1];
    const lastOfFirstA = a.filter((r) => r.action === "DescribeStackResourceDrifts")[0];
    expect(secondDetectA?.startedAt).toBeGreaterThanOrEqual(
      lastOfFirstA?.endedAt ?? Number.POSITIVE_INFINITY,
    );
    const firstB = spans("b")[0];
    expect(firstB?.startedAt).toBeLessThan(lastOfFirstA?.endedAt ?? 0);
  });
});

describe("listManagedStacks over HTTP", () => {
  let server: AwsServer;
  let client: CloudFormationClient;

  beforeEach(async () => {
    server = await startAwsServer();
    client = new CloudFormationClient(clientConfig(server));
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
    server.verify();
  });

  const stack = (name: string, status: string, tags: Record<string, string> = {}) => ({
    StackName: name,
    StackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/1`,
    StackStatus: status,
    CreationTime: "2026-01-01T00:00:00Z",
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  });

  function serve() {
    server.expect({
      action: "DescribeStacks",
      match: (r) => !r.params.has("NextToken"),
      reply: queryReply("DescribeStacks", {
        Stacks: [
          stack("payments-api", "UPDATE_COMPLETE", { team: "payments" }),
          stack("payments-db", "UPDATE_IN_PROGRESS", { team: "payments" }),
          stack("search", "CREATE_COMPLETE", { team: "search" }),
        ],
        NextToken: "next",
      }),
    });
    server.expect({
      action: "DescribeStacks",
      match: (r) => r.params.get("NextToken") === "next",
      reply: queryReply("DescribeStacks", {
        Stacks: [stack("payments-queue", "UPDATE_ROLLBACK_FAILED"), stack("old", "ROLLBACK_COMPLETE")],
      }),
    });
  }

  it("lists every page and skips stacks whose status does not allow drift detection", async () => {
    serve();
    expect(await listManagedStacks(client)).toEqual({
      stacks: ["payments-api", "search", "payments-queue"],
      skipped: [
        { stack: "payments-db", reason: "status UPDATE_IN_PROGRESS does not allow drift detection" },
        { stack: "old", reason: "status ROLLBACK_COMPLETE does not allow drift detection" },
      ],
    });
  });

  it("filters by name prefix and by tag", async () => {
    serve();
    expect((await listManagedStacks(client, { prefix: "payments-" })).stacks).toEqual([
      "payments-api",
      "payments-queue",
    ]);
    serve();
    expect((await listManagedStacks(client, { tag: { key: "team", value: "payments" } })).stacks).toEqual([
      "payments-api",
    ]);
  });

  it("retries throttling", async () => {
    server.expect({ action: "DescribeStacks", reply: THROTTLED });
    server.expect({ action: "DescribeStacks", reply: queryReply("DescribeStacks", { Stacks: [] }) });
    expect(await listManagedStacks(client, {}, { sleep: async () => {} })).toEqual({
      stacks: [],
      skipped: [],
    });
  });
});
