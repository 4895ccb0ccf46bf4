import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DRIFT_NOTES } from "../../core/drift/normalize.ts";
import { createCloudFormationDriftDetector } from "../../functions/adapters/cloudformation-drift.ts";
import { queryErrorReply, queryReply, type RecordedRequest, type Reply } from "../support/aws-server.ts";
import { CORPUS } from "../support/corpus.ts";
import { cloudFormationHarness, serveDrift } from "./cfn-world-server.ts";
import { driftDetectorContract } from "./port-contracts.ts";

const noWait = async () => {};

driftDetectorContract("CloudFormation DetectStackResourceDrift over HTTP", async (world) => {
  const { server, client, done } = await cloudFormationHarness();
  serveDrift(server, world);
  return { adapter: createCloudFormationDriftDetector({ client, sleep: noWait }), done };
});

const corpus = new URL("cfn-drift/", CORPUS);

/** The AWS CLI's DetectStackResourceDrift example (Lambda MemorySize/Timeout drift), as recorded. */
async function lambdaDrift(): Promise<{ StackResourceDrift: Record<string, unknown> }> {
  return JSON.parse(await readFile(new URL("aws-cli__detect-stack-resource-drift.json", corpus), "utf8"));
}

const THROTTLED = queryErrorReply({ code: "Throttling", message: "Rate exceeded" });

/** The largest number of requests the server was answering at the same moment. */
function maxInFlight(requests: readonly RecordedRequest[]): number {
  let max = 0;
  for (const r of requests) {
    const at = r.startedAt;
    const open = requests.filter(
      (o) => o.startedAt <= at && at < (o.endedAt ?? Number.POSITIVE_INFINITY),
    ).length;
    max = Math.max(max, open);
  }
  return max;
}

describe("createCloudFormationDriftDetector", () => {
  let harness: Awaited<ReturnType<typeof cloudFormationHarness>>;
  let slept: number[];
  const sleep = async (ms: number) => {
    slept.push(ms);
  };

  beforeEach(async () => {
    harness = await cloudFormationHarness();
    slept = [];
  });

  afterEach(async () => {
    await harness.done();
  });

  function detector(options: { concurrency?: number; retries?: number } = {}) {
    return createCloudFormationDriftDetector({
      client: harness.client,
      sleep,
      baseDelayMs: 100,
      random: () => 0.5,
      ...options,
    });
  }

  /** Answers DetectStackResourceDrift for one logical id with the Lambda example renamed to it. */
  async function answer(logicalId: string, reply?: Partial<Reply>, times = 1) {
    const recorded = await lambdaDrift();
    harness.server.expect({
      action: "DetectStackResourceDrift",
      match: (r) => r.params.get("LogicalResourceId") === logicalId,
      reply: {
        ...queryReply("DetectStackResourceDrift", {
          StackResourceDrift: { ...recorded.StackResourceDrift, LogicalResourceId: logicalId },
        }),
        ...reply,
      },
      times,
    });
  }

  it("sends DetectStackResourceDrift with the stack and logical id over awsQuery", async () => {
    await answer("MyFunction");

    const report = await detector().detect("MyStack", ["MyFunction"]);

    expect(Object.fromEntries(harness.server.requests[0]?.params ?? [])).toEqual({
      Action: "DetectStackResourceDrift",
      Version: "2010-05-15",
      StackName: "MyStack",
      LogicalResourceId: "MyFunction",
    });
    expect(report).toEqual({
      calls: 1,
      resources: [
        expect.objectContaining({
          logicalId: "MyFunction",
          status: "MODIFIED",
          checkedAt: "2019-10-02T05:58:47.433Z",
          differences: [
            { path: "/MemorySize", type: "NOT_EQUAL", expected: 128, actual: 256 },
            { path: "/Timeout", type: "NOT_EQUAL", expected: 900, actual: 22 },
          ],
        }),
      ],
    });
  });

  it("retries throttling with growing backoff and counts every call", async () => {
    harness.server.expect({ action: "DetectStackResourceDrift", reply: THROTTLED, times: 2 });
    await answer("MyFunction");

    const report = await detector().detect("MyStack", ["MyFunction"]);

    expect(report.calls).toBe(3);
    expect(report.resources[0]?.status).toBe("MODIFIED");
    // Equal jitter with random() = 0.5: three quarters of 100 ms, then of 200 ms.
    expect(slept).toEqual([50, 100]);
  });

  it("retries 503 and 'Rate exceeded' under other codes too", async () => {
    harness.server.expect({
      action: "DetectStackResourceDrift",
      reply: queryErrorReply({
        code: "ServiceUnavailable",
        message: "try later",
        type: "Receiver",
        status: 503,
      }),
    });
    harness.server.expect({
      action: "DetectStackResourceDrift",
      reply: queryErrorReply({ code: "LimitExceeded", message: "Rate exceeded" }),
    });
    await answer("MyFunction");

    const report = await detector().detect("MyStack", ["MyFunction"]);

    expect(report.calls).toBe(3);
    expect(report.resources[0]?.status).toBe("MODIFIED");
  });

  it("reports a resource still throttled after the retries as UNKNOWN, and the others normally", async () => {
    harness.server.expect({
      action: "DetectStackResourceDrift",
      match: (r) => r.params.get("LogicalResourceId") === "Busy",
      reply: THROTTLED,
      times: 3,
    });
    await answer("MyFunction");

    const report = await detector({ retries: 2 }).detect("MyStack", ["Busy", "MyFunction"]);

    expect(report.calls).toBe(4);
    expect(report.resources.map((r) => r.status)).toEqual(["UNKNOWN", "MODIFIED"]);
    expect(report.resources[0]?.note).toBe("drift detection failed after 3 calls: Throttling: Rate exceeded");
    expect(slept).toHaveLength(2);
  });

  it("marks a type without drift support UNSUPPORTED, without retrying", async () => {
    // The wording is an assumption (AWS does not document it); the matcher needs "not supported" and a type.
    harness.server.expect({
      action: "DetectStackResourceDrift",
      reply: queryErrorReply({
        code: "ValidationError",
        message: "Drift detection is not supported for resource type AWS::S3::BucketPolicy",
      }),
    });

    const report = await detector().detect("MyStack", ["BucketPolicy"]);

    expect(report.calls).toBe(1);
    expect(report.resources[0]).toEqual({
      logicalId: "BucketPolicy",
      status: "UNSUPPORTED",
      differences: [],
      note: `${DRIFT_NOTES.notCheckable} (CloudFormation: Drift detection is not supported for resource type AWS::S3::BucketPolicy)`,
    });
    expect(slept).toEqual([]);
  });

  it("reports access denied and a stack-status refusal as UNKNOWN at once", async () => {
    harness.server.expect({
      action: "DetectStackResourceDrift",
      match: (r) => r.params.get("LogicalResourceId") === "Role",
      reply: queryErrorReply({
        code: "AccessDenied",
        message: "not authorized to perform iam:GetRole",
        status: 403,
      }),
    });
    harness.server.expect({
      action: "DetectStackResourceDrift",
      match: (r) => r.params.get("LogicalResourceId") === "Queue",
      reply: queryErrorReply({
        code: "ValidationError",
        message: "Stack MyStack is in UPDATE_IN_PROGRESS state",
      }),
    });

    const report = await detector().detect("MyStack", ["Role", "Queue"]);

    expect(report.calls).toBe(2);
    expect(report.resources.map((r) => [r.status, r.note])).toEqual([
      ["UNKNOWN", "drift detection failed: AccessDenied: not authorized to perform iam:GetRole"],
      ["UNKNOWN", "drift detection failed: ValidationError: Stack MyStack is in UPDATE_IN_PROGRESS state"],
    ]);
    expect(slept).toEqual([]);
  });

  it("keeps at most `concurrency` calls in flight", async () => {
    const ids = ["A", "B", "C", "D", "E", "F"];
    for (const id of ids) await answer(id, { delayMs: 40 });

    const report = await detector({ concurrency: 2 }).detect("MyStack", ids);

    expect(report.calls).toBe(6);
    expect(maxInFlight(harness.server.requests)).toBe(2);
  });

  it("serialises detections of one stack, by name or ARN, and runs other stacks side by side", async () => {
    for (const id of ["A1", "A2", "A3", "A4", "B1"]) await answer(id, { delayMs: 40 });
    const subject = detector({ concurrency: 3 });
    const arn =
      "arn:aws:cloudformation:us-east-1:123456789012:stack/StackA/d0a825a0-e4cd-xmpl-b9fb-061c69e99204";

    await Promise.all([
      subject.detect("StackA", ["A1", "A2"]),
      subject.detect(arn, ["A3", "A4"]),
      subject.detect("StackB", ["B1"]),
    ]);

    const at = (id: string) => {
      const r = harness.server.requests.find((q) => q.params.get("LogicalResourceId") === id);
      if (!r?.endedAt) throw new Error(`no request for ${id}`);
      return r;
    };
    const firstEnds = Math.max(at("A1").endedAt ?? 0, at("A2").endedAt ?? 0);
    const secondStarts = Math.min(at("A3").startedAt, at("A4").startedAt);
    expect(secondStarts).toBeGreaterThanOrEqual(firstEnds);
    // StackB did not wait for StackA.
    expect(at("B1").startedAt).toBeLessThan(firstEnds);
  });

  it("does not let a failing detection block the next one for the stack", async () => {
    harness.server.expect({ action: "DetectStackResourceDrift", reply: THROTTLED, times: 1 });
    await answer("MyFunction");
    const subject = detector({ retries: 0 });

    const first = await subject.detect("MyStack", ["Gone"]);
    const second = await subject.detect("MyStack", ["MyFunction"]);

    expect(first.resources[0]?.status).toBe("UNKNOWN");
    expect(second.resources[0]?.status).toBe("MODIFIED");
  });
});
