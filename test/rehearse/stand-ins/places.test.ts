import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Place } from "../../../core/window/stack.ts";
import { startCloudFormationStandIn } from "../../../functions/rehearse/stand-ins/cloudformation.ts";
import { regionOfAuthorization, startPlaceRouter } from "../../../functions/rehearse/stand-ins/places.ts";
import type { StandIn } from "../../../functions/rehearse/stand-ins/stand-in.ts";

/**
 * The place router in front of per-place stand-ins: the real SDK client signs with its region and
 * its credentials' key, and gets the answer of that place only; a place without the stack gets
 * CloudFormation's own "does not exist".
 */

const PLACES = fileURLToPath(
  new URL("../../../fixtures/scenarios/same-stack-three-places/accounts/", import.meta.url),
);
const A = "305482197364";
const B = "762913458021";

let empty = "";
let router: StandIn;
const started: StandIn[] = [];
const clock = { now: () => Date.parse("2026-11-27T10:20:00Z") };

beforeAll(async () => {
  empty = await mkdtemp(path.join(tmpdir(), "phantom-places-"));
  const recorded = new Set([`${A}/us-east-1`, `${A}/eu-west-1`, `${B}/us-east-1`]);
  router = await startPlaceRouter({
    homeAccount: A,
    standInAt: async (place: Place) => {
      const key = `${place.account}/${place.region}`;
      const standIn = await startCloudFormationStandIn({
        accountDir: recorded.has(key) ? path.join(PLACES, key) : empty,
        clock,
        ...place,
      });
      started.push(standIn);
      return standIn;
    },
  });
});

afterAll(async () => {
  await router?.close();
  await Promise.allSettled(started.map((s) => s.close()));
  await rm(empty, { recursive: true, force: true });
});

const client = (region: string, accessKeyId = "rehearsal") =>
  new CloudFormationClient({
    region,
    endpoint: router.url,
    credentials: { accessKeyId, secretAccessKey: "rehearsal", sessionToken: "token" },
    maxAttempts: 1,
  });

const stackId = async (c: CloudFormationClient) =>
  (await c.send(new DescribeStacksCommand({ StackName: "orders-api-prod" }))).Stacks?.[0]?.StackId;

describe("place router", () => {
  it("reads the region from the SigV4 credential scope", () => {
    expect(
      regionOfAuthorization(
        "AWS4-HMAC-SHA256 Credential=ASIA762913458021ABCD/20261127/eu-west-1/cloudformation/aws4_request, SignedHeaders=host, Signature=x",
      ),
    ).toBe("eu-west-1");
    expect(regionOfAuthorization(undefined)).toBeUndefined();
  });

  it("answers each place's own stack: the home key in two regions, a member's assumed key in its account", async () => {
    expect(await stackId(client("us-east-1"))).toContain(`:${A}:stack/orders-api-prod/`);
    expect(await stackId(client("eu-west-1"))).toMatch(new RegExp(`^arn:aws:cloudformation:eu-west-1:${A}:`));
    expect(await stackId(client("us-east-1", `ASIA${B}00A1`))).toContain(`:${B}:stack/orders-api-prod/`);
  });

  it("gives a request for a place without the stack CloudFormation's 'does not exist', never another place's stack", async () => {
    await expect(stackId(client("eu-west-1", `ASIA${B}00A2`))).rejects.toMatchObject({
      name: "ValidationError",
      message: "Stack with id orders-api-prod does not exist",
    });
    await expect(stackId(client("ap-south-1"))).rejects.toMatchObject({ name: "ValidationError" });
  });
});
