import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { CloudControlClient } from "@aws-sdk/client-cloudcontrol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCloudControlLiveState } from "../../functions/adapters/cloudcontrol-live-state.ts";
import {
  type CloudControlAnswer,
  startCloudControlStandIn,
} from "../../functions/rehearse/stand-ins/cloudcontrol.ts";
import type { StandIn } from "../../functions/rehearse/stand-ins/stand-in.ts";
import { listenLocally } from "../../functions/rehearse/stand-ins/stand-in.ts";
import { loadRecordedAccount, notRecordedMessage } from "../../functions/replay/recorded-account.ts";
import { type TempDir, tempDir } from "../io/temp-files.ts";

/**
 * The Cloud Control adapter over real HTTP: the real `@aws-sdk/client-cloudcontrol` client (its
 * AWS JSON 1.0 protocol, its standard retries) against the rehearsal's Cloud Control stand-in on
 * 127.0.0.1. Every failure is an answer with its reason, never a throw; and replay's recorded live
 * state answers exactly what the adapter answers over the stand-in, for every kind of recording.
 */

const SG_ACCOUNT = fileURLToPath(
  new URL("../../fixtures/scenarios/sg-ssh-world-cdk-rules/account", import.meta.url),
);
const APP_SG = {
  stack: "orders-api-prod",
  logicalId: "AppSecurityGroup",
  type: "AWS::EC2::SecurityGroup",
  physicalId: "sg-0f1e2d3c4b5a69788",
};
const ALB_SG = { ...APP_SG, logicalId: "AlbSecurityGroup", physicalId: "sg-0a3c5e7f9b1d2e4f6" };

const standIns: StandIn[] = [];
const clients: CloudControlClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(standIns.splice(0).map((s) => s.close()));
});

/** The production client settings (runtime.ts) pointed at `url`. */
function client(url: string): CloudControlClient {
  const made = new CloudControlClient({
    region: "eu-west-1",
    endpoint: url,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    retryMode: "standard",
    maxAttempts: 3,
  });
  clients.push(made);
  return made;
}

async function liveState(options: Parameters<typeof startCloudControlStandIn>[0]) {
  const standIn = await startCloudControlStandIn(options);
  standIns.push(standIn);
  return { standIn, live: createCloudControlLiveState({ client: client(standIn.url) }) };
}

/** A stand-in that answers every read with `answer`. */
function answering(answer: CloudControlAnswer) {
  return liveState({ accountDir: SG_ACCOUNT, answer: () => answer });
}

describe("Cloud Control live state (GetResource over HTTP)", () => {
  it("reads a recorded resource: the properties, as an object, from one GetResource", async () => {
    const { standIn, live } = await liveState({ accountDir: SG_ACCOUNT });

    const read = await live.read(APP_SG);

    expect(read.kind).toBe("found");
    const ingress =
      read.kind === "found" ? (read.properties.SecurityGroupIngress as { CidrIp?: string }[]) : [];
    expect(ingress.map((r) => r.CidrIp)).toEqual([undefined, "10.20.0.0/24", "0.0.0.0/0"]);
    expect(Object.fromEntries(standIn.calls)).toEqual({ "cloudcontrol.GetResource": 1 });
    expect(standIn.unexpected).toEqual([]);
  });

  it("answers a stack resource with nothing recorded as not-found, saying it was not recorded", async () => {
    const { standIn, live } = await liveState({ accountDir: SG_ACCOUNT });

    const read = await live.read(ALB_SG);

    expect(read).toEqual({
      kind: "unavailable",
      reason: "not-found",
      detail: `Cloud Control could not read AWS::EC2::SecurityGroup sg-0a3c5e7f9b1d2e4f6: ResourceNotFoundException: ${notRecordedMessage("orders-api-prod", "AlbSecurityGroup")}`,
    });
    expect(standIn.unexpected).toEqual([]);
  });

  it.each([
    ["ResourceNotFoundException", "not-found"],
    ["UnsupportedActionException", "unsupported-action"],
    ["TypeNotFoundException", "unsupported-type"],
    ["GeneralServiceException", "failed"],
    ["InvalidRequestException", "failed"],
  ] as const)("reads %s as %s, with Cloud Control's words, in one call", async (code, reason) => {
    const message = `${code} from the stand-in`;
    const { standIn, live } = await answering({ error: code, message });

    const read = await live.read(APP_SG);

    expect(read).toEqual({
      kind: "unavailable",
      reason,
      detail: `Cloud Control could not read AWS::EC2::SecurityGroup sg-0f1e2d3c4b5a69788: ${code}: ${message}`,
    });
    expect(standIn.calls.get("cloudcontrol.GetResource")).toBe(1);
  });

  it("retries a throttled read with the SDK's backoff, then answers throttled", async () => {
    const { standIn, live } = await answering({ error: "ThrottlingException", message: "Rate exceeded" });

    const read = await live.read(APP_SG);

    expect(read).toMatchObject({ kind: "unavailable", reason: "throttled" });
    expect(read.kind === "unavailable" ? read.detail : "").toContain("ThrottlingException: Rate exceeded");
    expect(standIn.calls.get("cloudcontrol.GetResource")).toBe(3);
  });

  it("recovers when throttling stops before the SDK gives up", async () => {
    let calls = 0;
    const { live } = await liveState({
      accountDir: SG_ACCOUNT,
      answer: () => (++calls < 3 ? { error: "ThrottlingException", message: "Rate exceeded" } : undefined),
    });

    expect((await live.read(APP_SG)).kind).toBe("found");
    expect(calls).toBe(3);
  });

  it.each([
    ["ServiceInternalErrorException", undefined],
    ["HandlerFailureException", undefined],
    ["InternalFailure", 500],
  ])("retries a 5xx (%s), then answers failed with its error", async (code, status) => {
    const { standIn, live } = await answering({
      error: code,
      message: "internal",
      ...(status ? { status } : {}),
    });

    const read = await live.read(APP_SG);

    expect(read).toMatchObject({ kind: "unavailable", reason: "failed" });
    expect(read.kind === "unavailable" ? read.detail : "").toContain(code);
    expect(standIn.calls.get("cloudcontrol.GetResource")).toBe(3);
  });

  it.each([
    ['{"GroupId": "sg-1", ', "are not JSON"],
    ['["not", "an", "object"]', "are not a JSON object"],
    ["null", "are not a JSON object"],
  ])("answers Properties %j as failed: %s", async (properties, says) => {
    const { live } = await answering({ properties });

    const read = await live.read(APP_SG);

    expect(read).toMatchObject({ kind: "unavailable", reason: "failed" });
    expect(read.kind === "unavailable" ? read.detail : "").toContain(says);
  });

  it("answers failed, never throws, when a read handler hangs past the request timeout", async () => {
    const server = createServer(() => {
      // Never answers.
    });
    const url = await listenLocally(server);
    const hanging = new CloudControlClient({
      region: "eu-west-1",
      endpoint: url,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 2,
      requestHandler: { requestTimeout: 200, throwOnRequestTimeout: true },
    });
    clients.push(hanging);
    try {
      const read = await createCloudControlLiveState({ client: hanging }).read(APP_SG);

      expect(read).toMatchObject({ kind: "unavailable", reason: "failed" });
      expect(read.kind === "unavailable" ? read.detail : "").toMatch(/timeout|timed out/i);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("answers failed, never throws, when Cloud Control cannot be reached at all", async () => {
    const server = createServer();
    const url = await listenLocally(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const live = createCloudControlLiveState({ client: client(url) });

    const read = await live.read(APP_SG);

    expect(read).toMatchObject({ kind: "unavailable", reason: "failed" });
    expect(read.kind === "unavailable" ? read.detail : "").toContain("sg-0f1e2d3c4b5a69788");
  });
});

describe("the Cloud Control stand-in's wire protocol", () => {
  async function post(url: string, headers: Record<string, string>, body: string) {
    const response = await fetch(url, { method: "POST", headers, body });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }
  const JSON_10 = { "content-type": "application/x-amz-json-1.0" };

  it("answers GetResource as CloudApiService does: TypeName and ResourceDescription with Properties as text", async () => {
    const { standIn } = await liveState({ accountDir: SG_ACCOUNT });

    const reply = await post(
      standIn.url,
      { ...JSON_10, "x-amz-target": "CloudApiService.GetResource" },
      JSON.stringify({ TypeName: APP_SG.type, Identifier: APP_SG.physicalId }),
    );

    expect(reply.status).toBe(200);
    expect(reply.json.TypeName).toBe(APP_SG.type);
    const description = reply.json.ResourceDescription as { Identifier: string; Properties: string };
    expect(description.Identifier).toBe(APP_SG.physicalId);
    expect(JSON.parse(description.Properties)).toMatchObject({ GroupId: APP_SG.physicalId });
  });

  it("lists what no correct client sends as unexpected: another target, a missing member, another content type", async () => {
    const { standIn } = await liveState({ accountDir: SG_ACCOUNT });

    const wrongOperation = await post(
      standIn.url,
      { ...JSON_10, "x-amz-target": "CloudApiService.ListResources" },
      "{}",
    );
    const missing = await post(
      standIn.url,
      { ...JSON_10, "x-amz-target": "CloudApiService.GetResource" },
      JSON.stringify({ TypeName: APP_SG.type }),
    );
    const badType = await post(
      standIn.url,
      { "content-type": "application/json", "x-amz-target": "CloudApiService.GetResource" },
      "{}",
    );

    expect([wrongOperation.status, missing.status, badType.status]).toEqual([400, 400, 400]);
    expect(wrongOperation.json.__type).toBe("com.amazonaws.cloudcontrol#UnknownOperationException");
    expect(missing.json.__type).toBe("com.amazonaws.cloudcontrol#ValidationException");
    expect(String(missing.json.Message)).toContain("Identifier");
    expect(standIn.unexpected).toHaveLength(3);
  });
});

describe("replay's recorded live state answers what the adapter answers over the stand-in", () => {
  let dir: TempDir;
  const STACK = "shop-prod";
  const resources = [
    ["Queue", "AWS::SQS::Queue", "https://sqs.eu-west-1.amazonaws.com/111122223333/shop-prod-Queue-1"],
    ["Policy", "AWS::IAM::Policy", "shop-Polic-1AB"],
    ["Fn", "AWS::Lambda::Function", "shop-prod-Fn-2CD"],
    ["Key", "AWS::KMS::Key", "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"],
    ["Topic", "AWS::SNS::Topic", "arn:aws:sns:eu-west-1:111122223333:shop-prod-Topic"],
  ] as const;
  const resource = (logicalId: string) => {
    const [, type, physicalId] = resources.find(([id]) => id === logicalId) ?? ["", "", ""];
    return { stack: STACK, logicalId, type, physicalId };
  };

  beforeAll(async () => {
    dir = await tempDir("cloudcontrol-parity");
    await dir.write(
      `stacks/${STACK}.json`,
      JSON.stringify({
        StackResources: resources.map(([logicalId, type, physicalId]) => ({
          StackName: STACK,
          LogicalResourceId: logicalId,
          PhysicalResourceId: physicalId,
          ResourceType: type,
          ResourceStatus: "UPDATE_COMPLETE",
        })),
      }),
    );
    const queue = resource("Queue");
    await dir.write(
      `resources/${STACK}/Queue.json`,
      JSON.stringify({
        TypeName: queue.type,
        ResourceDescription: {
          Identifier: queue.physicalId,
          Properties: JSON.stringify({ QueueUrl: queue.physicalId, VisibilityTimeout: 30 }),
        },
      }),
    );
    // People write Properties as an object too.
    const fn = resource("Fn");
    await dir.write(
      `resources/${STACK}/Fn.json`,
      JSON.stringify({
        TypeName: fn.type,
        ResourceDescription: { Identifier: fn.physicalId, Properties: { ReservedConcurrentExecutions: 0 } },
      }),
    );
    await dir.write(
      `resources/${STACK}/Policy.json`,
      JSON.stringify({
        TypeName: "AWS::IAM::Policy",
        Error: {
          Code: "UnsupportedActionException",
          Message: "Resource type AWS::IAM::Policy does not support READ action",
        },
      }),
    );
    await dir.write(
      `resources/${STACK}/Key.json`,
      JSON.stringify({ TypeName: "AWS::KMS::Key", Error: { Code: "ThrottlingException" } }),
    );
  });
  afterAll(async () => dir.remove());

  it.each(resources.map(([logicalId]) => logicalId))("%s", async (logicalId) => {
    const account = await loadRecordedAccount(dir.dir);
    const { live } = await liveState({ accountDir: dir.dir });

    const over = await live.read(resource(logicalId));
    const replayed = await account.live.read(resource(logicalId));

    expect(replayed).toEqual(over);
  });
});
