import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startCloudControlStandIn } from "../../functions/rehearse/stand-ins/cloudcontrol.ts";
import type { StandIn } from "../../functions/rehearse/stand-ins/stand-in.ts";
import { createRuntime } from "../../functions/runtime.ts";

/**
 * The composition root's live ports: on-settle's reaction reads a blind spot through the real Cloud
 * Control client, which `AWS_ENDPOINT_URL_CLOUDCONTROL` (the SDK's own variable) points anywhere, as
 * `phantom rehearse` points it at its stand-in.
 */

const SG_ACCOUNT = fileURLToPath(
  new URL("../../fixtures/scenarios/sg-ssh-world-cdk-rules/account", import.meta.url),
);
const ENV = {
  PHANTOM_WINDOWS_TABLE: "phantom-production-WindowsTable-ozxbyqnm",
  PHANTOM_SETTLE_QUEUE_URL:
    "https://sqs.eu-west-1.amazonaws.com/111122223333/phantom-production-SettleQueue-x",
  PHANTOM_ANALYZER: "rules",
  AWS_REGION: "eu-west-1",
};

let standIn: StandIn | undefined;
const saved = { ...process.env };
afterEach(async () => {
  for (const key of ["AWS_ENDPOINT_URL_CLOUDCONTROL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  await standIn?.close();
});

describe("createRuntime's live ports", () => {
  it("reads a resource's live state through Cloud Control at AWS_ENDPOINT_URL_CLOUDCONTROL", async () => {
    standIn = await startCloudControlStandIn({ accountDir: SG_ACCOUNT });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_CLOUDCONTROL: standIn.url,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    });
    const runtime = await createRuntime({ env: ENV, resource: {}, log: { log: () => {} } });

    const read = await runtime.reaction.live?.state.read({
      stack: "orders-api-prod",
      logicalId: "AppSecurityGroup",
      type: "AWS::EC2::SecurityGroup",
      physicalId: "sg-0f1e2d3c4b5a69788",
    });

    expect(read?.kind).toBe("found");
    expect(standIn.calls.get("cloudcontrol.GetResource")).toBe(1);
    expect(standIn.unexpected).toEqual([]);
  });
});
