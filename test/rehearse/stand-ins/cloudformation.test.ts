import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ResourceRef } from "../../../core/catalog/types.ts";
import type { ResourceDrift } from "../../../core/drift/types.ts";
import { isNotStackOwned } from "../../../functions/adapters/cloudformation.ts";
import { createCloudFormationDirectory } from "../../../functions/adapters/cloudformation-directory.ts";
import { createCloudFormationDriftDetector } from "../../../functions/adapters/cloudformation-drift.ts";
import {
  createStackDriftDetector,
  DRIFTED_FILTERS,
  listManagedStacks,
} from "../../../functions/adapters/cloudformation-stack-drift.ts";
import {
  type CloudFormationStandIn,
  startCloudFormationStandIn,
} from "../../../functions/rehearse/stand-ins/cloudformation.ts";
import { loadRecordedAccount, RecordedAccountError } from "../../../functions/replay/recorded-account.ts";
import { recordedTemplateSource } from "../../../functions/replay/recorded-templates.ts";

const SCENARIOS = path.resolve(import.meta.dirname, "../../../fixtures/scenarios");
const START = Date.parse("2026-03-14T03:20:00Z");
const clock = { now: () => START };

function clientOf(standIn: CloudFormationStandIn): CloudFormationClient {
  return new CloudFormationClient({
    endpoint: standIn.url,
    region: "us-east-1",
    credentials: { accessKeyId: "rehearsal", secretAccessKey: "rehearsal" },
    maxAttempts: 1,
  });
}

interface RecordedStackFile {
  readonly StackResources: readonly {
    readonly LogicalResourceId: string;
    readonly PhysicalResourceId?: string;
    readonly ResourceType: ResourceRef["type"];
  }[];
}

async function stackFile(accountDir: string, stack: string): Promise<RecordedStackFile> {
  return JSON.parse(await readFile(path.join(accountDir, "stacks", `${stack}.json`), "utf8"));
}

/**
 * What the real adapter must agree with replay on. A recorded answer is identical. An UNKNOWN one
 * has the same logical id, physical id, type and status; for a resource with no recorded drift the
 * note carries replay's reason, and for a
 * logical id the stack does not have it is CloudFormation's "does not exist".
 */
function expectSameDrift(real: ResourceDrift | undefined, replay: ResourceDrift | undefined): void {
  if (replay?.status !== "UNKNOWN") {
    expect(real).toEqual(replay);
    return;
  }
  const { note: realNote = "", ...realRest } = real ?? ({} as ResourceDrift);
  const { note: replayNote = "", ...replayRest } = replay;
  expect(realRest).toEqual(replayRest);
  if (replay.physicalId !== undefined) {
    expect(realNote).toBe(`CloudFormation could not determine drift: ${replayNote}`);
  } else {
    expect(realNote).toMatch(
      /^drift detection failed: ValidationError: Resource \S+ does not exist for stack /,
    );
  }
}

describe("CloudFormation stand-in: the real adapters agree with replay's recorded account", async () => {
  const scenarios = (await readdir(SCENARIOS)).sort();

  it.each(scenarios)("%s", async (scenario) => {
    const accountDir = path.join(SCENARIOS, scenario, "account");
    const recorded = await loadRecordedAccount(accountDir);
    const standIn = await startCloudFormationStandIn({ accountDir, clock });
    const client = clientOf(standIn);
    try {
      const directory = createCloudFormationDirectory({ client, ttlMs: 60_000, negativeTtlMs: 1_000, clock });
      const detector = createCloudFormationDriftDetector({ client, sleep: async () => {} });

      expect(standIn.stacks).toEqual(recorded.stacks);
      for (const stack of recorded.stacks) {
        const file = await stackFile(accountDir, stack);

        // StackDirectory: every physical id of the stack, and one no stack owns.
        for (const r of file.StackResources) {
          if (r.PhysicalResourceId === undefined) continue;
          const ref = { type: r.ResourceType, id: r.PhysicalResourceId };
          expect(await directory.lookup(ref)).toEqual(await recorded.directory.lookup(ref));
        }

        // DriftDetector: every logical id of the stack, and one it does not have.
        const ids = [...file.StackResources.map((r) => r.LogicalResourceId), "NoSuchResource"];
        const real = await detector.detect(stack, ids);
        const replay = await recorded.drift.detect(stack, ids);
        expect(real.calls).toBe(replay.calls);
        ids.forEach((_, i) => {
          expectSameDrift(real.resources[i], replay.resources[i]);
        });

        // Stack tags and the template.
        const described = await client.send(new DescribeStacksCommand({ StackName: stack }));
        const tags = Object.fromEntries((described.Stacks?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
        expect(tags).toEqual(recorded.stackTags(stack));
        const template = await recordedTemplateSource(accountDir).read(stack, undefined);
        const got = await client.send(
          new GetTemplateCommand({ StackName: stack, TemplateStage: "Original" }),
        );
        expect(got.TemplateBody).toBe(template?.text);
      }
      const unmanaged: ResourceRef = { type: "AWS::EC2::SecurityGroup", id: "sg-0000000000unmanaged" };
      expect(await directory.lookup(unmanaged)).toBeUndefined();
      expect(await recorded.directory.lookup(unmanaged)).toBeUndefined();

      // The sweep: every stack is managed, and stack-wide detection finds what replay records as drifted.
      const managed = await listManagedStacks(client, {}, { sleep: async () => {} });
      expect(managed).toEqual({ stacks: recorded.stacks, skipped: [] });
      const sweep = createStackDriftDetector({ client, sleep: async () => {}, now: clock.now });
      for (const stack of recorded.stacks) {
        const file = await stackFile(accountDir, stack);
        const all = await recorded.drift.detect(
          stack,
          file.StackResources.map((r) => r.LogicalResourceId),
        );
        const check = await sweep.detect(stack);
        expect(check.detection).toBe("complete");
        expect(check.drift.resources).toEqual(
          all.resources.filter((r) => (DRIFTED_FILTERS as readonly string[]).includes(r.status)),
        );
      }

      expect(standIn.unexpected).toEqual([]);
    } finally {
      client.destroy();
      await standIn.close();
    }
  });
});

/** A recorded account with the corners the fixtures lack, written to a temp directory. */
async function cornerAccount(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "phantom-cfn-corners-"));
  const resources = [
    {
      LogicalResourceId: "Retained",
      PhysicalResourceId: "kept-bucket",
      ResourceType: "AWS::S3::Bucket",
      ResourceStatus: "DELETE_SKIPPED",
    },
    { LogicalResourceId: "NeverCreated", ResourceType: "AWS::SNS::Topic", ResourceStatus: "CREATE_FAILED" },
    {
      LogicalResourceId: "Policy",
      PhysicalResourceId: "big-Policy-1",
      ResourceType: "AWS::IAM::Policy",
      ResourceStatus: "CREATE_COMPLETE",
    },
    {
      LogicalResourceId: "Gone",
      PhysicalResourceId: "gone-table",
      ResourceType: "AWS::DynamoDB::Table",
      ResourceStatus: "CREATE_COMPLETE",
    },
    {
      LogicalResourceId: "Tuned",
      PhysicalResourceId: "tuned-fn",
      ResourceType: "AWS::Lambda::Function",
      ResourceStatus: "UPDATE_COMPLETE",
      Timestamp: 1767225600000,
    },
    // Past DescribeStackResources' first 100: the directory pages ListStackResources for these.
    ...Array.from({ length: 120 }, (_, i) => ({
      LogicalResourceId: `Queue${i}`,
      PhysicalResourceId: `https://sqs.us-east-1.amazonaws.com/123456789012/big-Queue${i}`,
      ResourceType: "AWS::SQS::Queue",
      ResourceStatus: "CREATE_COMPLETE",
    })),
  ].map((r) => ({ StackName: "big", ...r }));
  await mkdir(path.join(dir, "stacks"));
  await mkdir(path.join(dir, "drift", "big"), { recursive: true });
  await writeFile(path.join(dir, "stacks", "big.json"), JSON.stringify({ StackResources: resources }));
  // A bare StackResourceDrift with properties as objects and values of other types, as hand-made recordings have them.
  await writeFile(
    path.join(dir, "drift", "big", "Tuned.json"),
    JSON.stringify({
      LogicalResourceId: "Tuned",
      PhysicalResourceId: "tuned-fn",
      ResourceType: "AWS::Lambda::Function",
      StackResourceDriftStatus: "MODIFIED",
      ExpectedProperties: { MemorySize: 512, Timeout: 30 },
      ActualProperties: {
        MemorySize: 2048,
        Timeout: 30,
        Layers: ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"],
      },
      PropertyDifferences: [
        { PropertyPath: "/MemorySize", ExpectedValue: 512, ActualValue: 2048, DifferenceType: "NOT_EQUAL" },
        {
          PropertyPath: "/Layers",
          ExpectedValue: null,
          ActualValue: ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"],
          DifferenceType: "ADD",
        },
        {
          PropertyPath: "/Description",
          ExpectedValue: "line one\r\nline <two> & 'three'",
          ActualValue: "",
          DifferenceType: "NOT_EQUAL",
        },
      ],
      Timestamp: "2026-03-14T03:15:00Z",
    }),
  );
  await writeFile(
    path.join(dir, "drift", "big", "Policy.json"),
    JSON.stringify({
      StackResourceDrifts: [
        {
          LogicalResourceId: "Policy",
          PhysicalResourceId: "big-Policy-1",
          ResourceType: "AWS::IAM::Policy",
          StackResourceDriftStatus: "NOT_CHECKED",
          DriftStatusReason: "Resource type not supported",
        },
      ],
    }),
  );
  await writeFile(
    path.join(dir, "drift", "big", "Gone.json"),
    JSON.stringify({
      StackResourceDrift: {
        LogicalResourceId: "Gone",
        PhysicalResourceId: "gone-table",
        ResourceType: "AWS::DynamoDB::Table",
        StackResourceDriftStatus: "DELETED",
        Timestamp: "2026-03-14T03:15:01.000Z",
      },
    }),
  );
  return dir;
}

describe("CloudFormation stand-in: the corners the fixtures lack", () => {
  it("agrees with replay on retained, failed, unsupported and deleted resources, hand-made drift files and stacks past 100 resources", async () => {
    const accountDir = await cornerAccount();
    const recorded = await loadRecordedAccount(accountDir);
    const standIn = await startCloudFormationStandIn({ accountDir, clock });
    const client = clientOf(standIn);
    try {
      const directory = createCloudFormationDirectory({ client, ttlMs: 60_000, negativeTtlMs: 1_000, clock });
      const detector = createCloudFormationDriftDetector({ client, sleep: async () => {} });
      const file = await stackFile(accountDir, "big");

      for (const r of file.StackResources) {
        if (r.PhysicalResourceId === undefined) continue;
        const ref = { type: r.ResourceType, id: r.PhysicalResourceId };
        const real = await directory.lookup(ref);
        const replay = await recorded.directory.lookup(ref);
        // The stand-in gives every resource its stack's id, as CloudFormation does; the recording has none.
        expect(real === undefined ? undefined : { ...real, stackId: undefined }).toEqual(
          replay === undefined ? undefined : { ...replay, stackId: undefined },
        );
        if (real !== undefined)
          expect(real.stackId).toMatch(
            /^arn:aws:cloudformation:us-east-1:123456789012:stack\/big\/[0-9a-f-]{36}$/,
          );
      }
      const ids = file.StackResources.map((r) => r.LogicalResourceId);
      const real = await detector.detect("big", ids);
      const replay = await recorded.drift.detect("big", ids);
      ids.forEach((_, i) => {
        expectSameDrift(real.resources[i], replay.resources[i]);
      });
      expect(real.resources.find((r) => r.logicalId === "Tuned")?.differences).toEqual([
        { path: "/MemorySize", type: "NOT_EQUAL", expected: 512, actual: 2048 },
        {
          path: "/Layers",
          type: "ADD",
          expected: null,
          actual: ["arn:aws:lambda:us-east-1:123456789012:layer:x:1"],
        },
        { path: "/Description", type: "NOT_EQUAL", expected: "line one\r\nline <two> & 'three'", actual: "" },
      ]);

      const sweep = await createStackDriftDetector({ client, sleep: async () => {}, now: clock.now }).detect(
        "big",
      );
      expect(sweep.drift.resources.map((r) => [r.logicalId, r.status])).toEqual([
        ["Gone", "DELETED"],
        ["Tuned", "MODIFIED"],
      ]);
      await expect(client.send(new GetTemplateCommand({ StackName: "big" }))).rejects.toMatchObject({
        name: "ValidationError",
        message: expect.stringContaining("does not exist"),
      });
      expect(standIn.calls.get("cloudformation.ListStackResources")).toBeGreaterThan(0);
      expect(standIn.unexpected).toEqual([]);
    } finally {
      client.destroy();
      await standIn.close();
      await rm(accountDir, { recursive: true });
    }
  });
});

describe("CloudFormation stand-in over HTTP", () => {
  const accountDir = path.join(SCENARIOS, "payments-3am-incident", "account");
  const stackId =
    "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-prod/5d1e8a40-1f2b-11f0-9c3e-0a1b2c3d4e5f";
  let standIn: CloudFormationStandIn;
  let client: CloudFormationClient;

  beforeEach(async () => {
    standIn = await startCloudFormationStandIn({ accountDir, clock });
    client = clientOf(standIn);
  });

  afterEach(async () => {
    client.destroy();
    await standIn.close();
  });

  it("answers a physical id no stack owns as CloudFormation does, which the adapter reads as unmanaged", async () => {
    const error = await client
      .send(new DescribeStackResourcesCommand({ PhysicalResourceId: "i-0fffffffffffffff0" }))
      .catch((e: unknown) => e);

    expect(error).toMatchObject({
      name: "ValidationError",
      message: "Stack for i-0fffffffffffffff0 does not exist",
    });
    expect(isNotStackOwned(error)).toBe(true);
    expect(standIn.unexpected).toEqual([]);
  });

  it("describes a stack by name or id, and lists its resources", async () => {
    const byId = await client.send(new DescribeStacksCommand({ StackName: stackId }));
    const resources = await client.send(new ListStackResourcesCommand({ StackName: "payments-prod" }));
    const listed = await client.send(new ListStacksCommand({ StackStatusFilter: ["UPDATE_COMPLETE"] }));

    expect(byId.Stacks?.[0]).toMatchObject({
      StackName: "payments-prod",
      StackId: stackId,
      StackStatus: "UPDATE_COMPLETE",
      DriftInformation: { StackDriftStatus: "NOT_CHECKED" },
    });
    expect(byId.Stacks?.[0]?.CreationTime).toBeInstanceOf(Date);
    expect(resources.StackResourceSummaries?.map((r) => r.LogicalResourceId)).toContain("PaymentsDatabase");
    expect(listed.StackSummaries?.map((s) => s.StackName)).toEqual(["payments-prod"]);
    await expect(client.send(new DescribeStacksCommand({ StackName: "nope" }))).rejects.toMatchObject({
      name: "ValidationError",
      message: "Stack with id nope does not exist",
    });
  });

  it("runs a stack drift detection to completion and lists only the resources it checked", async () => {
    const before = await client.send(new DescribeStackResourceDriftsCommand({ StackName: "payments-prod" }));
    const { StackDriftDetectionId } = await client.send(
      new DetectStackDriftCommand({ StackName: "payments-prod" }),
    );
    const status = await client.send(new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId }));
    const drifted = await client.send(
      new DescribeStackResourceDriftsCommand({
        StackName: "payments-prod",
        StackResourceDriftStatusFilters: ["MODIFIED"],
        MaxResults: 2,
      }),
    );
    const rest = await client.send(
      new DescribeStackResourceDriftsCommand({
        StackName: "payments-prod",
        StackResourceDriftStatusFilters: ["MODIFIED"],
        NextToken: drifted.NextToken,
      }),
    );
    const stack = await client.send(new DescribeStacksCommand({ StackName: "payments-prod" }));

    expect(before.StackResourceDrifts).toEqual([]);
    expect(status).toMatchObject({
      StackId: stackId,
      DetectionStatus: "DETECTION_COMPLETE",
      StackDriftStatus: "DRIFTED",
      DriftedStackResourceCount: 3,
    });
    expect(
      [...(drifted.StackResourceDrifts ?? []), ...(rest.StackResourceDrifts ?? [])]
        .map((d) => d.LogicalResourceId)
        .sort(),
    ).toEqual(["AppSecurityGroup", "AppServer", "PaymentsDatabase"]);
    expect(drifted.StackResourceDrifts).toHaveLength(2);
    expect(rest.NextToken).toBeUndefined();
    expect(stack.Stacks?.[0]?.DriftInformation?.StackDriftStatus).toBe("DRIFTED");
  });

  it("serves the template for both stages and refuses an unknown stage", async () => {
    const original = await client.send(new GetTemplateCommand({ StackName: "payments-prod" }));
    const processed = await client.send(
      new GetTemplateCommand({ StackName: "payments-prod", TemplateStage: "Processed" }),
    );

    expect(original.TemplateBody).toBe(
      await readFile(path.join(accountDir, "templates", "payments-prod.yaml"), "utf8"),
    );
    expect(processed.TemplateBody).toBe(original.TemplateBody);
    expect(original.StagesAvailable).toEqual(["Original", "Processed"]);
    await expect(
      client.send(
        new GetTemplateCommand({ StackName: "payments-prod", TemplateStage: "Final" as "Original" }),
      ),
    ).rejects.toMatchObject({ name: "ValidationError" });
    expect(standIn.unexpected).toEqual([
      expect.stringContaining("cloudformation.GetTemplate: ValidationError"),
    ]);
  });

  it("records an unknown action and counts every call", async () => {
    await client.send(new DescribeStacksCommand({}));
    const response = await fetch(standIn.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=DeleteStack&Version=2010-05-15&StackName=payments-prod",
    });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain("<Code>InvalidAction</Code>");
    expect(standIn.unexpected).toEqual([
      expect.stringMatching(
        /^cloudformation\.DeleteStack: InvalidAction: Could not find operation DeleteStack/,
      ),
    ]);
    expect(Object.fromEntries(standIn.calls)).toEqual({
      "cloudformation.DescribeStacks": 1,
      "cloudformation.DeleteStack": 1,
    });
  });

  it("refuses a recorded account replay refuses, and malformed options", async () => {
    const broken = await mkdtemp(path.join(tmpdir(), "phantom-cfn-stand-in-"));
    await mkdir(path.join(broken, "drift", "ghost-stack"), { recursive: true });
    await writeFile(path.join(broken, "drift", "ghost-stack", "Thing.json"), "{}");

    await expect(startCloudFormationStandIn({ accountDir: broken, clock })).rejects.toBeInstanceOf(
      RecordedAccountError,
    );
    await expect(startCloudFormationStandIn({ accountDir, clock, account: "1" })).rejects.toMatchObject({
      name: "StandInConfigError",
    });
    await rm(broken, { recursive: true });
  });
});
