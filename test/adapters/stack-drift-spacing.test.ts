import path from "node:path";
import { CloudFormationClient, DetectStackDriftCommand } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStackDriftDetector } from "../../functions/adapters/cloudformation-stack-drift.ts";
import {
  type CloudFormationStandIn,
  startCloudFormationStandIn,
} from "../../functions/rehearse/stand-ins/cloudformation.ts";

/**
 * A sweep of hundreds of stacks spreads its drift detections: on one detector (one account and region)
 * each DetectStackDrift starts at least `minIntervalMs` after the previous one plus a random jitter, so
 * the account's rate limit never sees them in one burst. Over real HTTP against the stand-in, with a
 * virtual clock.
 */

const ACCOUNT_DIR = path.resolve(
  import.meta.dirname,
  "../../fixtures/scenarios/payments-3am-incident/account",
);
let standIn: CloudFormationStandIn;

beforeAll(async () => {
  standIn = await startCloudFormationStandIn({ accountDir: ACCOUNT_DIR, clock: { now: () => 0 } });
});
afterAll(async () => {
  await standIn.close();
});

function harness(spacing?: { minIntervalMs: number; jitterMs?: number }, random = () => 0.5) {
  let now = 0;
  const starts: number[] = [];
  const client = new CloudFormationClient({
    endpoint: standIn.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  const send = client.send.bind(client);
  client.send = ((command: unknown) => {
    if (command instanceof DetectStackDriftCommand) starts.push(now);
    return send(command as never);
  }) as typeof client.send;
  const detector = createStackDriftDetector({
    client,
    pollIntervalMs: 10,
    random,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    ...(spacing ? { spacing } : {}),
  });
  return { detector, starts, client };
}

describe("createStackDriftDetector spacing", () => {
  it("starts detections at least minIntervalMs apart, each with its jitter", async () => {
    const { detector, starts, client } = harness({ minIntervalMs: 1_000, jitterMs: 400 });

    for (let i = 0; i < 4; i++) await detector.detect("payments-prod");

    // Jitter 0.5 × 400 = 200 ms on each slot; the polls (10 ms) finish well inside the interval.
    expect(starts).toEqual([200, 1_400, 2_600, 3_800]);
    client.destroy();
  });

  it("spreads detections asked for at once, in call order (the slot after 500 ms plus that detection's jitter)", async () => {
    let k = 0;
    const { detector, starts, client } = harness(
      { minIntervalMs: 500, jitterMs: 100 },
      () => [0, 0.5, 0.99][k++ % 3] ?? 0,
    );

    await Promise.all([
      detector.detect("payments-prod"),
      detector.detect("payments-prod"),
      detector.detect("payments-prod"),
    ]);

    expect(starts).toEqual([0, 550, 1_149]);
    client.destroy();
  });

  it("does not wait without spacing", async () => {
    const { detector, starts, client } = harness();
    for (let i = 0; i < 3; i++) await detector.detect("payments-prod");
    expect(starts[0]).toBe(0);
    expect(starts.every((t, i) => i === 0 || t - (starts[i - 1] ?? 0) < 100)).toBe(true);
    client.destroy();
  });
});
