import { createHash } from "node:crypto";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSqsTimer } from "../../../functions/adapters/sqs-timer.ts";
import {
  md5OfMessageAttributes,
  type SqsStandIn,
  startSqsStandIn,
} from "../../../functions/rehearse/stand-ins/sqs.ts";
import { StandInConfigError } from "../../../functions/rehearse/stand-ins/stand-in.ts";

const START = Date.parse("2026-03-14T03:07:00Z");

/** A rehearsal clock the test moves by hand. */
function manualClock() {
  let now = START;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe("SQS stand-in over HTTP (the real @aws-sdk/client-sqs)", () => {
  let clock: ReturnType<typeof manualClock>;
  let sqs: SqsStandIn;
  let client: SQSClient;
  let settle: string;

  beforeEach(async () => {
    clock = manualClock();
    sqs = await startSqsStandIn({
      clock,
      queues: [
        {
          name: "settle",
          visibilityTimeoutSeconds: 60,
          redrive: { deadLetterQueue: "settle-dlq", maxReceiveCount: 2 },
        },
        { name: "settle-dlq" },
      ],
    });
    client = new SQSClient({
      endpoint: sqs.url,
      region: "us-east-1",
      credentials: { accessKeyId: "rehearsal", secretAccessKey: "rehearsal" },
      maxAttempts: 1,
    });
    settle = sqs.queueUrl("settle");
  });

  afterEach(async () => {
    client.destroy();
    await sqs.close();
  });

  const receive = (extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {}) =>
    client.send(
      new ReceiveMessageCommand({
        QueueUrl: settle,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
        ...extra,
      }),
    );

  it("answers GetQueueUrl with http://127.0.0.1:<port>/<account>/<name>", async () => {
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: "settle" }));

    expect(QueueUrl).toBe(`${sqs.url}/000000000000/settle`);
    expect(sqs.queueArn("settle")).toBe("arn:aws:sqs:us-east-1:000000000000:settle");
    await expect(client.send(new GetQueueUrlCommand({ QueueName: "nope" }))).rejects.toMatchObject({
      name: "QueueDoesNotExist",
    });
  });

  it("holds a delayed message until the rehearsal clock reaches its delay", async () => {
    await createSqsTimer({ client, queueUrl: settle, clock }).arm(
      { account: "111122223333", region: "us-east-1", stack: "payments-prod", windowId: "w1" },
      START + 120_000,
    );

    expect(sqs.depth("settle")).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    expect(sqs.nextVisibleAt()).toBe(START + 120_000);
    expect((await receive()).Messages).toBeUndefined();

    clock.advance(119_999);
    expect((await receive()).Messages ?? []).toHaveLength(0);
    clock.advance(1);
    const { Messages = [] } = await receive();

    expect(Messages.map((m) => JSON.parse(m.Body ?? ""))).toEqual([
      { account: "111122223333", region: "us-east-1", stack: "payments-prod", windowId: "w1" },
    ]);
    expect(Messages[0]?.Attributes).toMatchObject({
      ApproximateReceiveCount: "1",
      SentTimestamp: String(START),
      ApproximateFirstReceiveTimestamp: String(START + 120_000),
      SenderId: "000000000000",
    });
  });

  it("hides a received message for the visibility timeout, then redelivers it with a new receipt handle", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: settle, MessageBody: "settle me" }));

    const first = (await receive()).Messages?.[0];
    expect(sqs.depth("settle")).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    expect(sqs.nextVisibleAt()).toBe(START + 60_000);
    clock.advance(59_000);
    expect((await receive()).Messages).toBeUndefined();
    clock.advance(1_000);
    const second = (await receive({ VisibilityTimeout: 5 })).Messages?.[0];

    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(second?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(String(START));
    expect(sqs.nextVisibleAt()).toBe(START + 65_000);

    // The superseded handle no longer deletes; the current one does.
    await expect(
      client.send(new DeleteMessageCommand({ QueueUrl: settle, ReceiptHandle: first?.ReceiptHandle })),
    ).rejects.toMatchObject({ name: "ReceiptHandleIsInvalid" });
    await client.send(new DeleteMessageCommand({ QueueUrl: settle, ReceiptHandle: second?.ReceiptHandle }));
    expect(sqs.depth("settle")).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    // Deleting again is idempotent, as in SQS.
    await client.send(new DeleteMessageCommand({ QueueUrl: settle, ReceiptHandle: second?.ReceiptHandle }));
    expect(sqs.unexpected).toEqual([]);
  });

  it("changes a message's visibility while it is in flight, and refuses once it is not", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: settle, MessageBody: "retry later" }));
    const handle = (await receive()).Messages?.[0]?.ReceiptHandle;

    await client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: settle, ReceiptHandle: handle, VisibilityTimeout: 0 }),
    );
    expect(sqs.depth("settle").visible).toBe(1);
    await expect(
      client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: settle,
          ReceiptHandle: handle,
          VisibilityTimeout: 10,
        }),
      ),
    ).rejects.toMatchObject({ name: "MessageNotInflight" });
  });

  it("moves a message to the dead-letter queue instead of delivering it past maxReceiveCount", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: settle, MessageBody: "poison" }));

    for (let i = 0; i < 2; i += 1) {
      expect((await receive()).Messages).toHaveLength(1);
      clock.advance(60_000);
    }
    expect((await receive()).Messages).toBeUndefined();

    expect(sqs.depth("settle")).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(sqs.messages("settle-dlq")).toEqual(["poison"]);
    const attributes = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: sqs.queueUrl("settle-dlq"), AttributeNames: ["All"] }),
    );
    expect(attributes.Attributes).toMatchObject({
      ApproximateNumberOfMessages: "1",
      QueueArn: "arn:aws:sqs:us-east-1:000000000000:settle-dlq",
    });
    const dead = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: sqs.queueUrl("settle-dlq"),
        MessageSystemAttributeNames: ["All"],
      }),
    );
    expect(dead.Messages?.[0]?.Attributes).toMatchObject({
      DeadLetterQueueSourceArn: sqs.queueArn("settle"),
      SentTimestamp: String(START),
    });
    const source = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: settle,
        AttributeNames: ["RedrivePolicy", "VisibilityTimeout"],
      }),
    );
    expect(source.Attributes).toEqual({
      VisibilityTimeout: "60",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: sqs.queueArn("settle-dlq"), maxReceiveCount: 2 }),
    });
  });

  it("sends and deletes in batches, reporting a bad entry in Failed", async () => {
    const sent = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: settle,
        Entries: [
          { Id: "a", MessageBody: "one" },
          { Id: "b", MessageBody: "two", DelaySeconds: 30 },
          { Id: "c", MessageBody: "three", DelaySeconds: 901 },
        ],
      }),
    );
    expect(sent.Successful?.map((s) => s.Id)).toEqual(["a", "b"]);
    expect(sent.Failed).toEqual([
      expect.objectContaining({ Id: "c", Code: "InvalidParameterValue", SenderFault: true }),
    ]);
    expect(sqs.depth("settle")).toEqual({ visible: 1, inFlight: 0, delayed: 1 });

    clock.advance(30_000);
    const { Messages = [] } = await receive();
    const deleted = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: settle,
        Entries: [
          ...Messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
          { Id: "bogus", ReceiptHandle: "not-a-handle" },
        ],
      }),
    );

    expect(Messages.map((m) => m.Body)).toEqual(["one", "two"]);
    expect(deleted.Successful?.map((s) => s.Id)).toEqual(["m0", "m1"]);
    expect(deleted.Failed).toEqual([
      expect.objectContaining({ Id: "bogus", Code: "ReceiptHandleIsInvalid" }),
    ]);
    expect(sqs.messages("settle")).toEqual([]);
    expect(sqs.unexpected).toEqual([
      expect.stringContaining("sqs.SendMessageBatch: entry c: InvalidParameterValue"),
      expect.stringContaining("sqs.DeleteMessageBatch: entry bogus: ReceiptHandleIsInvalid"),
    ]);
  });

  it("gives MD5 checksums the SDK verifies, for bodies and message attributes", async () => {
    const attributes = {
      stack: { DataType: "String", StringValue: "payments-prod" },
      attempt: { DataType: "Number", StringValue: "3" },
      blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3, 250]) },
    };
    const body = "héllo, 3 AM ☕";

    const sent = await client.send(
      new SendMessageCommand({ QueueUrl: settle, MessageBody: body, MessageAttributes: attributes }),
    );
    const { Messages = [] } = await receive({ MessageAttributeNames: ["All"] });

    expect(sent.MD5OfMessageBody).toBe(createHash("md5").update(body, "utf8").digest("hex"));
    expect(sent.MD5OfMessageAttributes).toBe("7f33200b78af8b9cab6fa98fa5fc0e26");
    expect(Messages[0]?.Body).toBe(body);
    expect(Messages[0]?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(Messages[0]?.MessageAttributes?.blob?.BinaryValue).toEqual(new Uint8Array([1, 2, 3, 250]));
  });

  it("computes MD5OfMessageAttributes as AWS's own samples do", () => {
    expect(
      md5OfMessageAttributes({
        test_attribute_name_2: { DataType: "String", StringValue: "test_attribute_value_2" },
        test_attribute_name_1: { DataType: "String", StringValue: "test_attribute_value_1" },
      }),
    ).toBe("d53f3b558fe951154770f25cb63dbba9");
    expect(
      md5OfMessageAttributes({
        test_attribute_name: {
          DataType: "Binary",
          BinaryValue: Buffer.from("test_attribute_value").toString("base64"),
        },
      }),
    ).toBe("23f6bd27ea87aab7dfeadcc9aebee495");
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });

  it("rejects DelaySeconds over 900 with InvalidParameterValue and records it", async () => {
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: settle, MessageBody: "late", DelaySeconds: 901 })),
    ).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message:
        "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
    });
    await expect(
      client.send(new ReceiveMessageCommand({ QueueUrl: settle, MaxNumberOfMessages: 11 })),
    ).rejects.toMatchObject({ name: "InvalidParameterValue" });

    expect(sqs.messages("settle")).toEqual([]);
    expect(sqs.unexpected).toEqual([
      expect.stringMatching(/^sqs\.SendMessage: InvalidParameterValue: Value 901/),
      expect.stringMatching(/^sqs\.ReceiveMessage: InvalidParameterValue: Value 11/),
    ]);
  });

  it("answers an unknown queue with QueueDoesNotExist", async () => {
    await expect(
      client.send(new SendMessageCommand({ QueueUrl: `${sqs.url}/000000000000/changes`, MessageBody: "x" })),
    ).rejects.toMatchObject({ name: "QueueDoesNotExist" });
    expect(sqs.unexpected).toEqual([expect.stringContaining("sqs.SendMessage: QueueDoesNotExist")]);
  });

  it("purges a queue at most once a minute", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: settle, MessageBody: "x" }));
    await client.send(new PurgeQueueCommand({ QueueUrl: settle }));

    expect(sqs.messages("settle")).toEqual([]);
    await expect(client.send(new PurgeQueueCommand({ QueueUrl: settle }))).rejects.toMatchObject({
      name: "PurgeQueueInProgress",
    });
    clock.advance(60_000);
    await client.send(new PurgeQueueCommand({ QueueUrl: settle }));
  });

  it("records an unknown operation and counts every call", async () => {
    await client.send(new SendMessageCommand({ QueueUrl: settle, MessageBody: "x" }));
    const response = await fetch(sqs.url, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.CreateQueue" },
      body: JSON.stringify({ QueueName: "extra" }),
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      __type: "com.amazon.coral.service#UnknownOperationException",
    });
    expect(sqs.unexpected).toEqual(["sqs.CreateQueue: The SQS stand-in does not serve CreateQueue."]);
    expect(Object.fromEntries(sqs.calls)).toEqual({ "sqs.SendMessage": 1, "sqs.CreateQueue": 1 });
  });
});

describe("startSqsStandIn options", () => {
  it("lists every problem at once", async () => {
    const start = startSqsStandIn({
      clock: { now: () => 0 },
      account: "42",
      queues: [
        { name: "a", redrive: { deadLetterQueue: "missing", maxReceiveCount: 0 } },
        { name: "a" },
        { name: "bad name" },
      ],
    });

    await expect(start).rejects.toBeInstanceOf(StandInConfigError);
    await expect(start).rejects.toMatchObject({
      issues: expect.arrayContaining([
        expect.stringContaining("account"),
        expect.stringContaining("maxReceiveCount"),
        expect.stringContaining('"a" is given twice'),
        expect.stringContaining('"missing" must be another queue'),
        expect.stringContaining("queues.2.name"),
      ]),
    });
  });
});
