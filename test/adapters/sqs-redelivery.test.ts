import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSqsRedelivery, type Received } from "../../functions/adapters/sqs-redelivery.ts";
import type { Logger } from "../../functions/log.ts";
import { type SqsStandIn, startSqsStandIn } from "../../functions/rehearse/stand-ins/sqs.ts";

const START = Date.parse("2026-03-14T03:07:00Z");

describe("createSqsRedelivery over HTTP (the SQS stand-in, the real client)", () => {
  let now = START;
  const clock = { now: () => now };
  let sqs: SqsStandIn;
  let client: SQSClient;
  let queueUrl: string;
  const logged: { message: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = {
    log: (_level, message, fields) => logged.push({ message, ...(fields ? { fields } : {}) }),
  };

  beforeEach(async () => {
    now = START;
    logged.length = 0;
    sqs = await startSqsStandIn({ clock, queues: [{ name: "changes", visibilityTimeoutSeconds: 360 }] });
    client = new SQSClient({
      endpoint: sqs.url,
      region: "us-east-1",
      credentials: { accessKeyId: "rehearsal", secretAccessKey: "rehearsal" },
      maxAttempts: 1,
    });
    queueUrl = sqs.queueUrl("changes");
  });

  afterEach(async () => {
    client.destroy();
    await sqs.close();
  });

  async function receive(): Promise<Received[]> {
    const answer = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
    );
    return (answer.Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? "",
      receiptHandle: m.ReceiptHandle ?? "",
      attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "" },
    }));
  }

  it("brings a first receive back after the given seconds instead of the queue's 6 minutes; later receives keep the queue's", async () => {
    for (const n of [1, 2, 3])
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `change ${n}` }));
    const redelivery = createSqsRedelivery({ client, queueUrl, log });

    const first = await receive();
    expect(first).toHaveLength(3);
    await redelivery.hasten(first, 75);
    // The invocation dies: nothing is deleted. At 74 s nothing is back, at 75 s all three are.
    now = START + 74_000;
    expect(await receive()).toEqual([]);
    now = START + 75_000;
    const second = await receive();
    expect(second.map((m) => m.attributes.ApproximateReceiveCount)).toEqual(["2", "2", "2"]);

    // A second receive is not hastened: a lasting failure backs off with the queue's timeout.
    await redelivery.hasten(second, 75);
    now = START + 75_000 + 359_000;
    expect(await receive()).toEqual([]);
    now = START + 75_000 + 360_000;
    expect(await receive()).toHaveLength(3);
    expect(logged).toEqual([]);
  });

  it("logs a message it could not hasten (no longer in flight) and leaves the others hastened", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "change" }));
    const [held] = await receive();
    if (held === undefined) throw new Error("no message received");
    now = START + 361_000; // its visibility ran out: the handle no longer holds it
    await createSqsRedelivery({ client, queueUrl, log }).hasten([held], 75);
    expect(logged.map((l) => l.message)).toEqual([
      "redelivery not hastened; the queue's visibility timeout applies",
    ]);
    expect(logged[0]?.fields?.messageId).toBe(held.messageId);
  });

  it("never fails the invocation when SQS cannot be reached: it logs and the queue's timeout applies", async () => {
    await sqs.close();
    const unreachable = createSqsRedelivery({ client, queueUrl, log });
    await expect(
      unreachable.hasten(
        [{ messageId: "m", receiptHandle: "h", attributes: { ApproximateReceiveCount: "1" } }],
        75,
      ),
    ).resolves.toBeUndefined();
    expect(logged).toHaveLength(1);
    sqs = await startSqsStandIn({ clock, queues: [{ name: "changes" }] });
  });
});
