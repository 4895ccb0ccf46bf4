import { SQSClient } from "@aws-sdk/client-sqs";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createSqsTimer,
  delaySeconds,
  MAX_DELAY_SECONDS,
  SettleTimerError,
} from "../../functions/adapters/sqs-timer.ts";
import {
  type AwsServer,
  clientConfig,
  jsonReply,
  sqsSendMessageReply,
  startAwsServer,
} from "../support/aws-server.ts";

describe("createSqsTimer over HTTP (AWS JSON 1.0)", () => {
  let server: AwsServer;
  let client: SQSClient;
  let queueUrl: string;
  const now = Date.parse("2024-05-01T03:00:00Z");
  const clock = { now: () => now };

  beforeEach(async () => {
    server = await startAwsServer();
    client = new SQSClient(clientConfig(server));
    queueUrl = `${server.endpoint}/123456789012/phantom-settle`;
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
    server.verify();
  });

  it("sends the window as JSON with the delay until `at`, rounded up", async () => {
    server.expect({ action: "SendMessage", reply: sqsSendMessageReply });

    await createSqsTimer({ client, queueUrl, clock }).arm(
      { account: "111122223333", region: "us-east-1", stack: "payments", windowId: "w-1" },
      now + 120_001,
    );

    const [request] = server.requests;
    expect(request?.headers["x-amz-target"]).toBe("AmazonSQS.SendMessage");
    expect(request?.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(request?.json).toEqual({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({
        account: "111122223333",
        region: "us-east-1",
        stack: "payments",
        windowId: "w-1",
      }),
      DelaySeconds: 121,
    });
  });

  it("caps the delay at 900 s and sends a past time at once", async () => {
    server.expect({ action: "SendMessage", reply: sqsSendMessageReply, times: 2 });
    const timer = createSqsTimer({ client, queueUrl, clock });

    await timer.arm(
      { account: "111122223333", region: "us-east-1", stack: "payments", windowId: "w-2" },
      now + 60 * 60_000,
    );
    await timer.arm(
      { account: "111122223333", region: "us-east-1", stack: "payments", windowId: "w-3" },
      now - 5_000,
    );

    expect(server.requests.map((r) => (r.json as { DelaySeconds: number }).DelaySeconds)).toEqual([900, 0]);
  });

  it("throws a typed error with the SQS error as cause", async () => {
    server.expect({
      action: "SendMessage",
      reply: jsonReply(
        { __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "The specified queue does not exist." },
        { status: 400, headers: { "x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender" } },
      ),
    });

    const error = await createSqsTimer({ client, queueUrl, clock })
      .arm({ account: "111122223333", region: "us-east-1", stack: "payments", windowId: "w-4" }, now)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SettleTimerError);
    expect(error).toMatchObject({ name: "SettleTimerError" });
    expect((error as Error).message).toContain("payments/w-4");
    expect((error as Error).cause).toMatchObject({ name: "QueueDoesNotExist" });
  });
});

describe("delaySeconds", () => {
  it("never arrives early and stays within SQS's 0–900 s", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 2e12 }), (offset, now) => {
        const delay = delaySeconds(now + offset, now);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(MAX_DELAY_SECONDS);
        if (offset <= MAX_DELAY_SECONDS * 1000) expect(delay * 1000).toBeGreaterThanOrEqual(offset);
      }),
    );
  });

  it("reads a time that is not a number as now", () => {
    expect(delaySeconds(Number.NaN, 0)).toBe(0);
  });
});
