import { createHash } from "node:crypto";
import { z } from "zod";
import { formatIssues } from "../../../core/drift/schema.ts";
import type { FaultPlan } from "../faults.ts";
import {
  type RehearsalClock,
  type Served,
  type StandIn,
  StandInConfigError,
  type StandInRequest,
  StandInUsageError,
  startStandIn,
  valueAt,
} from "./stand-in.ts";

/**
 * The SQS stand-in: standard queues on the rehearsal clock, spoken to in AWS JSON 1.0, the protocol
 * of the installed `@aws-sdk/client-sqs` (3.1169: `AwsJson1_0Protocol`, `awsQueryCompatible`):
 * `POST`, `content-type: application/x-amz-json-1.0`, `x-amz-target: AmazonSQS.<Op>`, JSON bodies.
 * Errors are `{"__type": "com.amazonaws.sqs#<Name>", "message"}` with the query-protocol code in
 * `x-amzn-query-error: <Code>;Sender`, which is what the SDK names the error after
 * (`AWS.SimpleQueueService.NonExistentQueue` becomes `QueueDoesNotExist`; codes the model has no
 * class for, such as `InvalidParameterValue` and `MissingParameter`, keep the code as the name).
 *
 * Why not the `fauxqs` emulator the design suggests: it reads `Date.now()` directly (about twenty
 * places: delays, visibility deadlines, timestamps, retention) and moves delayed messages with a
 * 20 ms `setInterval`, with no clock option. A rehearsal jumps its clock to the next due message, so
 * a 120 s settle delay would take 120 real seconds there; faking the global clock would move every
 * other timer in the process with it (the handlers, the SDK's own retries). It also brings an HTTP
 * framework and SNS/S3 emulation the rehearsal does not use.
 *
 * Semantics, on the injected clock (SQS Developer Guide):
 * - `DelaySeconds` 0–900 per message (`InvalidParameterValue` outside); the message is invisible
 *   until then.
 * - A receive hands out visible messages in the order they were sent, at most `MaxNumberOfMessages`
 *   (1–10), and hides each for the visibility timeout (the queue's, or the request's override,
 *   0–43200 s). `WaitTimeSeconds` is accepted (0–20) but never blocks: the driver moves time.
 * - Redrive: a message whose receive count would exceed `maxReceiveCount` is moved to the dead-letter
 *   queue instead of being delivered. It keeps its id, body, attributes, `SentTimestamp` and receive
 *   count, and gains `DeadLetterQueueSourceArn`.
 * - Receipt handles: each receive issues a new one. `DeleteMessage` with the current handle deletes,
 *   also after the visibility timeout ran out (it is still the latest handle); deleting a message that
 *   is already gone succeeds (SQS is idempotent there). A handle superseded by a later receive is
 *   refused with `ReceiptHandleIsInvalid` — stricter than SQS, which answers success but may keep the
 *   message: in a rehearsal that case means a handler outlived its visibility timeout, and it must show.
 * - Retention: 4 days from `SentTimestamp`. Messages up to 1 MiB (body plus attributes).
 *   `PurgeQueue` at most once per 60 s per queue (`PurgeQueueInProgress`).
 * - Checksums: `MD5OfMessageBody` / `MD5OfBody` (the SDK verifies them) and `MD5OfMessageAttributes`
 *   (over the attributes returned) as SQS computes them.
 * Not served: FIFO queues, CreateQueue and the other queue-management operations (queues are given
 * up front), long polling.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
 */

/** SQS's per-message delay cap (15 minutes). */
export const SQS_MAX_DELAY_SECONDS = 900;
/** SQS's visibility timeout cap (12 hours). */
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;
/** The largest message SQS accepts: body and message attributes together. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

const DEFAULT_ACCOUNT = "000000000000";
const DEFAULT_REGION = "us-east-1";
const DEFAULT_VISIBILITY_SECONDS = 30;
const RETENTION_SECONDS = 345_600;
const PURGE_INTERVAL_MS = 60_000;

/** One queue of the stand-in. */
export interface SqsQueueOptions {
  /** Queue name, as in its URL. */
  readonly name: string;
  /** Default 30 s, as SQS. */
  readonly visibilityTimeoutSeconds?: number;
  /** Move a message to `deadLetterQueue` (another queue of the stand-in) after `maxReceiveCount` receives. */
  readonly redrive?: { readonly deadLetterQueue: string; readonly maxReceiveCount: number };
}

export interface SqsStandInOptions {
  /** Faults to inject (`phantom rehearse --fault`); default none. */
  readonly faults?: FaultPlan;
  readonly clock: RehearsalClock;
  /** The account in queue URLs and ARNs. Default `000000000000`. */
  readonly account?: string;
  /** The region in queue ARNs. Default `us-east-1`. */
  readonly region?: string;
  readonly queues: readonly SqsQueueOptions[];
}

/** A queue's messages by state, at the rehearsal clock's now. */
export interface QueueDepth {
  /** Receivable now. */
  readonly visible: number;
  /** Received and not deleted, visibility timeout still running. */
  readonly inFlight: number;
  /** Never received, `DelaySeconds` still running. */
  readonly delayed: number;
}

/** The SQS stand-in and what the driver reads from it in process. */
export interface SqsStandIn extends StandIn {
  /** `http://127.0.0.1:<port>/<account>/<name>`. */
  queueUrl(name: string): string;
  /** `arn:aws:sqs:<region>:<account>:<name>`, e.g. for a Lambda event's `eventSourceARN`. */
  queueArn(name: string): string;
  depth(name: string): QueueDepth;
  /** Bodies of the queue's messages in every state, in the order they entered the queue. */
  messages(name: string): readonly string[];
  /** The earliest time a delayed or in-flight message of any queue becomes visible; none waiting: `undefined`. */
  nextVisibleAt(): number | undefined;
}

const optionsSchema = z
  .object({
    account: z.string().regex(/^\d{12}$/, "must be a 12-digit account id"),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be a region such as us-east-1"),
    queues: z.array(
      z.object({
        name: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, "must be 1-80 letters, digits, - or _"),
        visibilityTimeoutSeconds: z.number().int().min(0).max(SQS_MAX_VISIBILITY_SECONDS).optional(),
        redrive: z
          .object({
            deadLetterQueue: z.string(),
            maxReceiveCount: z.number().int().min(1).max(1000),
          })
          .optional(),
      }),
    ),
  })
  .superRefine((options, ctx) => {
    const names = options.queues.map((q) => q.name);
    options.queues.forEach((q, index) => {
      if (names.indexOf(q.name) !== index)
        ctx.addIssue({
          code: "custom",
          path: ["queues", index, "name"],
          message: `"${q.name}" is given twice`,
        });
      const dlq = q.redrive?.deadLetterQueue;
      if (dlq !== undefined && (!names.includes(dlq) || dlq === q.name))
        ctx.addIssue({
          code: "custom",
          path: ["queues", index, "redrive", "deadLetterQueue"],
          message: `"${dlq}" must be another queue of the stand-in`,
        });
    });
  });

interface MessageAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}
type MessageAttributes = Readonly<Record<string, MessageAttribute>>;

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: MessageAttributes;
  readonly systemAttributes: MessageAttributes;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** The latest receipt handle; absent until the first receive. */
  receipt?: string;
  deadLetterSourceArn?: string;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds: number;
  readonly redrive?: { readonly deadLetterQueue: string; readonly maxReceiveCount: number };
  readonly createdAt: number;
  messages: StoredMessage[];
  lastPurgeAt?: number;
}

/* ---------- wire: errors and replies ---------- */

/** An SQS error reply: the `__type` name, the query-protocol code the SDK reads, the HTTP status. */
interface SqsError {
  readonly name: string;
  readonly queryCode: string;
  readonly status: number;
  readonly message: string;
}

const ERROR_CODES: Readonly<Record<string, { readonly queryCode: string; readonly status: number }>> = {
  QueueDoesNotExist: { queryCode: "AWS.SimpleQueueService.NonExistentQueue", status: 400 },
  ReceiptHandleIsInvalid: { queryCode: "ReceiptHandleIsInvalid", status: 404 },
  MessageNotInflight: { queryCode: "AWS.SimpleQueueService.MessageNotInflight", status: 400 },
  PurgeQueueInProgress: { queryCode: "AWS.SimpleQueueService.PurgeQueueInProgress", status: 403 },
  EmptyBatchRequest: { queryCode: "AWS.SimpleQueueService.EmptyBatchRequest", status: 400 },
  TooManyEntriesInBatchRequest: {
    queryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    status: 400,
  },
  BatchEntryIdsNotDistinct: { queryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", status: 400 },
  InvalidBatchEntryId: { queryCode: "AWS.SimpleQueueService.InvalidBatchEntryId", status: 400 },
  BatchRequestTooLong: { queryCode: "AWS.SimpleQueueService.BatchRequestTooLong", status: 400 },
  InvalidAttributeName: { queryCode: "InvalidAttributeName", status: 400 },
  InvalidParameterValue: { queryCode: "InvalidParameterValue", status: 400 },
  MissingParameter: { queryCode: "MissingParameter", status: 400 },
};

function sqsError(name: string, message: string): SqsError {
  const known = ERROR_CODES[name] ?? { queryCode: name, status: 400 };
  return { name, message, ...known };
}

/** A request-level failure inside an operation; `expected` when it is a state outcome, not a client bug. */
class SqsFailure extends Error {
  override readonly name = "SqsFailure";
  constructor(
    readonly error: SqsError,
    readonly expected = false,
  ) {
    super(error.message);
  }
}

const fail = (name: string, message: string, expected = false) =>
  new SqsFailure(sqsError(name, message), expected);

function jsonReply(body: unknown) {
  return {
    status: 200,
    headers: { "content-type": "application/x-amz-json-1.0" },
    body: JSON.stringify(body),
  };
}

function errorReply(error: SqsError) {
  return {
    status: error.status,
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amzn-query-error": `${error.queryCode};Sender`,
    },
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${error.name}`, message: error.message }),
  };
}

/* ---------- checksums ---------- */

function md5Hex(data: string | Buffer): string {
  return createHash("md5").update(data).digest("hex");
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * MD5 of message attributes as SQS computes it: for each attribute in name order, the name, the data
 * type (each as a 4-byte big-endian length and UTF-8 bytes), a transport byte (1 string, 2 binary)
 * and the value (length-prefixed). `undefined` for no attributes.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation
 */
export function md5OfMessageAttributes(attributes: MessageAttributes): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const attribute = attributes[name] as MessageAttribute;
    parts.push(
      lengthPrefixed(Buffer.from(name, "utf8")),
      lengthPrefixed(Buffer.from(attribute.DataType, "utf8")),
    );
    if (attribute.DataType.startsWith("Binary")) {
      parts.push(Buffer.from([2]), lengthPrefixed(Buffer.from(attribute.BinaryValue ?? "", "base64")));
    } else {
      parts.push(Buffer.from([1]), lengthPrefixed(Buffer.from(attribute.StringValue ?? "", "utf8")));
    }
  }
  return md5Hex(Buffer.concat(parts));
}

/* ---------- requests ---------- */

const attributeValueSchema = z.looseObject({
  DataType: z.string(),
  StringValue: z.string().optional(),
  BinaryValue: z.string().optional(),
});
const attributesSchema = z.record(z.string(), attributeValueSchema).optional();
const queueUrlSchema = z.string();
const sendFields = {
  MessageBody: z.string(),
  DelaySeconds: z.number().optional(),
  MessageAttributes: attributesSchema,
  MessageSystemAttributes: attributesSchema,
};
const names = z.array(z.string()).optional();

const requestSchemas = {
  SendMessage: z.looseObject({ QueueUrl: queueUrlSchema, ...sendFields }),
  SendMessageBatch: z.looseObject({
    QueueUrl: queueUrlSchema,
    Entries: z.array(z.looseObject({ Id: z.string(), ...sendFields })),
  }),
  ReceiveMessage: z.looseObject({
    QueueUrl: queueUrlSchema,
    AttributeNames: names,
    MessageSystemAttributeNames: names,
    MessageAttributeNames: names,
    MaxNumberOfMessages: z.number().optional(),
    VisibilityTimeout: z.number().optional(),
    WaitTimeSeconds: z.number().optional(),
  }),
  DeleteMessage: z.looseObject({ QueueUrl: queueUrlSchema, ReceiptHandle: z.string() }),
  DeleteMessageBatch: z.looseObject({
    QueueUrl: queueUrlSchema,
    Entries: z.array(z.looseObject({ Id: z.string(), ReceiptHandle: z.string() })),
  }),
  ChangeMessageVisibility: z.looseObject({
    QueueUrl: queueUrlSchema,
    ReceiptHandle: z.string(),
    VisibilityTimeout: z.number(),
  }),
  ChangeMessageVisibilityBatch: z.looseObject({
    QueueUrl: queueUrlSchema,
    Entries: z.array(
      z.looseObject({ Id: z.string(), ReceiptHandle: z.string(), VisibilityTimeout: z.number() }),
    ),
  }),
  GetQueueAttributes: z.looseObject({ QueueUrl: queueUrlSchema, AttributeNames: names }),
  PurgeQueue: z.looseObject({ QueueUrl: queueUrlSchema }),
  GetQueueUrl: z.looseObject({ QueueName: z.string(), QueueOwnerAWSAccountId: z.string().optional() }),
} as const;
type Operation = keyof typeof requestSchemas;
type Input<O extends Operation> = z.infer<(typeof requestSchemas)[O]>;

function isOperation(name: string): name is Operation {
  return Object.hasOwn(requestSchemas, name);
}

/** Parses an operation's input, failing as SQS does: `MissingParameter` or `InvalidParameterValue`. */
function parseInput<O extends Operation>(operation: O, json: unknown): Input<O> {
  const parsed = requestSchemas[operation].safeParse(json);
  if (parsed.success) return parsed.data as Input<O>;
  const [issue] = parsed.error.issues;
  const where = issue ? issue.path.map(String).join(".") : "";
  if (issue && valueAt(json, issue.path) === undefined)
    throw fail("MissingParameter", `The request must contain the parameter ${where}.`);
  throw fail(
    "InvalidParameterValue",
    `Invalid value for the parameter ${where}: ${formatIssues(parsed.error).join("; ")}`,
  );
}

function integerIn(name: string, value: number | undefined, min: number, max: number, reason?: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw fail(
      "InvalidParameterValue",
      `Value ${value} for parameter ${name} is invalid. Reason: ${reason ?? `${name} must be >= ${min} and <= ${max}.`}`,
    );
  }
}

const ATTRIBUTE_NAME = /^(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.-]{1,256}$/;

/** The bytes SQS counts for message attributes: each name, data type and value. */
function attributesSize(attributes: MessageAttributes): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    const binary = value.DataType.startsWith("Binary");
    const text = (binary ? value.BinaryValue : value.StringValue) ?? "";
    size +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType) +
      (binary ? Buffer.from(text, "base64").length : Buffer.byteLength(text));
  }
  return size;
}

/** The bytes SQS counts for one message: the body and the message attributes. */
function messageSize(entry: {
  readonly MessageBody: string;
  readonly MessageAttributes?: MessageAttributes;
}) {
  return Buffer.byteLength(entry.MessageBody) + attributesSize(entry.MessageAttributes ?? {});
}

/** Validates user (or system) message attributes as SQS does. */
function checkAttributes(attributes: MessageAttributes, kind: "user" | "system"): void {
  const entries = Object.entries(attributes);
  if (entries.length > 10)
    throw fail(
      "InvalidParameterValue",
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`,
    );
  for (const [name, value] of entries) {
    if (kind === "system" && name !== "AWSTraceHeader")
      throw fail("InvalidParameterValue", `Message system attribute name '${name}' is invalid.`);
    if (!ATTRIBUTE_NAME.test(name) || /^(aws|amazon)\./i.test(name))
      throw fail("InvalidParameterValue", `Message (${kind}) attribute name '${name}' is invalid.`);
    const type = value.DataType;
    if (!/^(String|Number|Binary)(\..+)?$/.test(type))
      throw fail(
        "InvalidParameterValue",
        `The type of message (${kind}) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    const binary = type.startsWith("Binary");
    const text = binary ? value.BinaryValue : value.StringValue;
    if (text === undefined || text === "")
      throw fail(
        "InvalidParameterValue",
        `Message (${kind}) attribute '${name}' must contain a non-empty value of type '${binary ? "Binary" : "String"}'.`,
      );
    if (type.startsWith("Number") && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text))
      throw fail(
        "InvalidParameterValue",
        `Can't cast the value of message (${kind}) attribute '${name}' to a number.`,
      );
  }
}

const SYSTEM_ATTRIBUTES = [
  "SenderId",
  "SentTimestamp",
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
] as const;

const QUEUE_ATTRIBUTES = [
  "QueueArn",
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "VisibilityTimeout",
  "MaximumMessageSize",
  "MessageRetentionPeriod",
  "DelaySeconds",
  "ReceiveMessageWaitTimeSeconds",
  "RedrivePolicy",
] as const;

/** Queue attributes SQS knows that these queues do not set (SQS leaves them out too). */
const UNSET_QUEUE_ATTRIBUTES = new Set([
  "Policy",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
  "FifoQueue",
  "ContentBasedDeduplication",
  "DeduplicationScope",
  "FifoThroughputLimit",
  "RedriveAllowPolicy",
  "SqsManagedSseEnabled",
]);

/* ---------- the stand-in ---------- */

/**
 * Starts the SQS stand-in on 127.0.0.1 with the given standard queues, all empty.
 * @throws {StandInConfigError} listing every problem with the options (bad names, a dead-letter
 * queue that is not one of the queues, out-of-range numbers).
 */
export async function startSqsStandIn(options: SqsStandInOptions): Promise<SqsStandIn> {
  const parsed = optionsSchema.safeParse({
    account: options.account ?? DEFAULT_ACCOUNT,
    region: options.region ?? DEFAULT_REGION,
    queues: options.queues,
  });
  if (!parsed.success) throw new StandInConfigError("sqs", formatIssues(parsed.error));
  const { account, region } = parsed.data;
  const { clock } = options;
  const startedAt = clock.now();

  const queues = new Map<string, Queue>();
  /** Every receipt handle issued ► its queue and message, so a made-up handle is told from a stale one. */
  const issued = new Map<string, { readonly queue: string; readonly messageId: string }>();
  let messageSeq = 0;
  let receiptSeq = 0;

  const standIn = await startStandIn("sqs", (request) => serve(request), {
    ...(options.faults ? { faults: options.faults } : {}),
  });
  for (const q of parsed.data.queues) {
    queues.set(q.name, {
      name: q.name,
      url: `${standIn.url}/${account}/${q.name}`,
      arn: `arn:aws:sqs:${region}:${account}:${q.name}`,
      visibilityTimeoutSeconds: q.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_SECONDS,
      ...(q.redrive ? { redrive: q.redrive } : {}),
      createdAt: startedAt,
      messages: [],
    });
  }

  function queueNamed(name: string): Queue {
    const queue = queues.get(name);
    if (queue === undefined) throw new StandInUsageError(`the SQS stand-in has no queue "${name}"`);
    return queue;
  }

  /** The queue a `QueueUrl` names: its path is `/<account>/<name>`; the host is not checked. */
  function queueOf(url: string): Queue {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      throw fail("QueueDoesNotExist", "The specified queue does not exist.");
    }
    const [, owner, name, ...rest] = path.split("/");
    const queue = name !== undefined ? queues.get(name) : undefined;
    if (queue === undefined || owner !== account || rest.length > 0)
      throw fail("QueueDoesNotExist", "The specified queue does not exist.");
    return queue;
  }

  function expire(queue: Queue, now: number): void {
    queue.messages = queue.messages.filter((m) => m.sentAt + RETENTION_SECONDS * 1000 > now);
  }

  function depthOf(queue: Queue, now: number): QueueDepth {
    expire(queue, now);
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of queue.messages) {
      if (m.visibleAt <= now) visible += 1;
      else if (m.receiveCount > 0) inFlight += 1;
      else delayed += 1;
    }
    return { visible, inFlight, delayed };
  }

  function nextMessageId(): string {
    messageSeq += 1;
    return `00000000-0000-4000-8000-${messageSeq.toString(16).padStart(12, "0")}`;
  }

  function nextReceipt(queue: Queue, message: StoredMessage): string {
    receiptSeq += 1;
    const handle = Buffer.from(`${queue.name}/${message.id}/${receiptSeq}`).toString("base64url");
    issued.set(handle, { queue: queue.name, messageId: message.id });
    return handle;
  }

  type Receipt =
    | { readonly kind: "current"; readonly message: StoredMessage }
    | { readonly kind: "gone" }
    | { readonly kind: "stale" }
    | { readonly kind: "invalid" };

  function receiptOf(queue: Queue, handle: string): Receipt {
    const known = issued.get(handle);
    if (known === undefined || known.queue !== queue.name) return { kind: "invalid" };
    const message = queue.messages.find((m) => m.id === known.messageId);
    if (message === undefined) return { kind: "gone" };
    return message.receipt === handle ? { kind: "current", message } : { kind: "stale" };
  }

  const receiptFailure = (receipt: Receipt, handle: string) =>
    receipt.kind === "stale"
      ? fail(
          "ReceiptHandleIsInvalid",
          `The receipt handle "${handle}" is not the latest one of its message: it was received again since.`,
          true,
        )
      : fail("ReceiptHandleIsInvalid", `The input receipt handle "${handle}" is not a valid receipt handle.`);

  /** Validates and stores one message; returns SendMessage's result fields. */
  function send(queue: Queue, entry: Input<"SendMessage"> | Input<"SendMessageBatch">["Entries"][number]) {
    const now = clock.now();
    integerIn("DelaySeconds", entry.DelaySeconds, 0, SQS_MAX_DELAY_SECONDS);
    if (entry.MessageBody === "")
      throw fail("MissingParameter", "The request must contain the parameter MessageBody.");
    const attributes = entry.MessageAttributes ?? {};
    const systemAttributes = entry.MessageSystemAttributes ?? {};
    checkAttributes(attributes, "user");
    checkAttributes(systemAttributes, "system");
    if (messageSize(entry) > SQS_MAX_MESSAGE_BYTES)
      throw fail(
        "InvalidParameterValue",
        `One or more parameters are invalid. Reason: Message must be shorter than ${SQS_MAX_MESSAGE_BYTES} bytes.`,
      );
    const message: StoredMessage = {
      id: nextMessageId(),
      body: entry.MessageBody,
      md5OfBody: md5Hex(entry.MessageBody),
      attributes,
      systemAttributes,
      sentAt: now,
      visibleAt: now + (entry.DelaySeconds ?? 0) * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    const md5Attributes = md5OfMessageAttributes(attributes);
    const md5System = md5OfMessageAttributes(systemAttributes);
    return {
      MessageId: message.id,
      MD5OfMessageBody: message.md5OfBody,
      ...(md5Attributes ? { MD5OfMessageAttributes: md5Attributes } : {}),
      ...(md5System ? { MD5OfMessageSystemAttributes: md5System } : {}),
    };
  }

  function checkBatch(entries: readonly { readonly Id: string }[], total?: number): void {
    if (entries.length === 0)
      throw fail("EmptyBatchRequest", "There should be at least one entry in the request.");
    if (entries.length > 10)
      throw fail(
        "TooManyEntriesInBatchRequest",
        `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
      );
    const ids = new Set<string>();
    for (const { Id } of entries) {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(Id))
        throw fail(
          "InvalidBatchEntryId",
          `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long: "${Id}".`,
        );
      if (ids.has(Id)) throw fail("BatchEntryIdsNotDistinct", `Id ${Id} repeated.`);
      ids.add(Id);
    }
    if (total !== undefined && total > SQS_MAX_MESSAGE_BYTES)
      throw fail(
        "BatchRequestTooLong",
        `Batch requests cannot be longer than ${SQS_MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
      );
  }

  /** Failures of single batch entries, reported back in `Failed` and (when unexpected) recorded. */
  let entryProblems: string[] = [];

  function batchFailure(id: string, error: unknown) {
    if (!(error instanceof SqsFailure)) throw error;
    if (!error.expected) entryProblems.push(`entry ${id}: ${error.error.name}: ${error.message}`);
    return { Id: id, SenderFault: true, Code: error.error.queryCode, Message: error.message };
  }

  function moveToDeadLetterQueue(source: Queue, message: StoredMessage, now: number): void {
    const target = queueNamed(source.redrive?.deadLetterQueue ?? "");
    source.messages = source.messages.filter((m) => m !== message);
    message.visibleAt = now;
    delete message.receipt;
    message.deadLetterSourceArn = source.arn;
    target.messages.push(message);
  }

  function systemAttributesOf(message: StoredMessage, wanted: ReadonlySet<string>): Record<string, string> {
    const all = wanted.has("All");
    const values: Record<string, string | undefined> = {
      SenderId: account,
      SentTimestamp: String(message.sentAt),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp:
        message.firstReceivedAt !== undefined ? String(message.firstReceivedAt) : undefined,
      AWSTraceHeader: message.systemAttributes.AWSTraceHeader?.StringValue,
      DeadLetterQueueSourceArn: message.deadLetterSourceArn,
    };
    const out: Record<string, string> = {};
    for (const name of SYSTEM_ATTRIBUTES) {
      const value = values[name];
      if (value !== undefined && (all || wanted.has(name))) out[name] = value;
    }
    return out;
  }

  function userAttributesOf(
    message: StoredMessage,
    wanted: readonly string[],
  ): Record<string, MessageAttribute> {
    const matches = (name: string) =>
      wanted.some(
        (w) =>
          w === "All" || w === ".*" || w === name || (w.endsWith(".*") && name.startsWith(w.slice(0, -1))),
      );
    return Object.fromEntries(Object.entries(message.attributes).filter(([name]) => matches(name)));
  }

  function receive(input: Input<"ReceiveMessage">) {
    const queue = queueOf(input.QueueUrl);
    integerIn(
      "MaxNumberOfMessages",
      input.MaxNumberOfMessages,
      1,
      10,
      "Must be between 1 and 10, if provided.",
    );
    integerIn("VisibilityTimeout", input.VisibilityTimeout, 0, SQS_MAX_VISIBILITY_SECONDS);
    integerIn("WaitTimeSeconds", input.WaitTimeSeconds, 0, 20);
    const now = clock.now();
    expire(queue, now);
    const max = input.MaxNumberOfMessages ?? 1;
    const visibility = input.VisibilityTimeout ?? queue.visibilityTimeoutSeconds;
    const wantedSystem = new Set([
      ...(input.AttributeNames ?? []),
      ...(input.MessageSystemAttributeNames ?? []),
    ]);
    const delivered: StoredMessage[] = [];
    for (const message of [...queue.messages]) {
      if (delivered.length >= max) break;
      if (message.visibleAt > now) continue;
      if (queue.redrive && message.receiveCount >= queue.redrive.maxReceiveCount) {
        moveToDeadLetterQueue(queue, message, now);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + visibility * 1000;
      message.receipt = nextReceipt(queue, message);
      delivered.push(message);
    }
    // SQS leaves `Messages` out of an empty answer (the SDK then gives `undefined`).
    if (delivered.length === 0) return {};
    return {
      Messages: delivered.map((m) => {
        const attributes = systemAttributesOf(m, wantedSystem);
        const userAttributes = userAttributesOf(m, input.MessageAttributeNames ?? []);
        const md5Attributes = md5OfMessageAttributes(userAttributes);
        return {
          MessageId: m.id,
          ReceiptHandle: m.receipt,
          MD5OfBody: m.md5OfBody,
          Body: m.body,
          ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
          ...(md5Attributes
            ? { MD5OfMessageAttributes: md5Attributes, MessageAttributes: userAttributes }
            : {}),
        };
      }),
    };
  }

  function remove(queue: Queue, handle: string): void {
    const receipt = receiptOf(queue, handle);
    if (receipt.kind === "gone") return;
    if (receipt.kind !== "current") throw receiptFailure(receipt, handle);
    queue.messages = queue.messages.filter((m) => m !== receipt.message);
  }

  /** A batch call's answer: each entry applied on its own, its failure reported under its `Id`. */
  function eachEntry<E extends { Id: string }>(
    entries: readonly E[],
    apply: (entry: E) => unknown,
  ): { Successful: unknown[]; Failed: unknown[] } {
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of entries) {
      try {
        const answer = apply(entry);
        Successful.push({ Id: entry.Id, ...(typeof answer === "object" ? answer : {}) });
      } catch (error) {
        Failed.push(batchFailure(entry.Id, error));
      }
    }
    return { Successful, Failed };
  }

  /** A received message's visibility, from now: only while it is in flight, as SQS does. */
  function changeVisibility(queue: Queue, input: { ReceiptHandle: string; VisibilityTimeout: number }): void {
    integerIn("VisibilityTimeout", input.VisibilityTimeout, 0, SQS_MAX_VISIBILITY_SECONDS);
    const receipt = receiptOf(queue, input.ReceiptHandle);
    const now = clock.now();
    if (receipt.kind === "gone" || (receipt.kind === "current" && receipt.message.visibleAt <= now))
      throw fail("MessageNotInflight", "The message referred to isn't in flight.", true);
    if (receipt.kind !== "current") throw receiptFailure(receipt, input.ReceiptHandle);
    receipt.message.visibleAt = now + input.VisibilityTimeout * 1000;
  }

  function queueAttributes(queue: Queue, requested: readonly string[]): Record<string, string> {
    const now = clock.now();
    for (const name of requested) {
      if (
        name !== "All" &&
        !(QUEUE_ATTRIBUTES as readonly string[]).includes(name) &&
        !UNSET_QUEUE_ATTRIBUTES.has(name)
      )
        throw fail("InvalidAttributeName", `Unknown Attribute ${name}.`);
    }
    const depth = depthOf(queue, now);
    const created = String(Math.floor(queue.createdAt / 1000));
    const values: Record<(typeof QUEUE_ATTRIBUTES)[number], string | undefined> = {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(depth.visible),
      ApproximateNumberOfMessagesNotVisible: String(depth.inFlight),
      ApproximateNumberOfMessagesDelayed: String(depth.delayed),
      CreatedTimestamp: created,
      LastModifiedTimestamp: created,
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      MaximumMessageSize: String(SQS_MAX_MESSAGE_BYTES),
      MessageRetentionPeriod: String(RETENTION_SECONDS),
      DelaySeconds: "0",
      ReceiveMessageWaitTimeSeconds: "0",
      RedrivePolicy: queue.redrive
        ? JSON.stringify({
            deadLetterTargetArn: queueNamed(queue.redrive.deadLetterQueue).arn,
            maxReceiveCount: queue.redrive.maxReceiveCount,
          })
        : undefined,
    };
    const all = requested.includes("All");
    const out: Record<string, string> = {};
    for (const name of QUEUE_ATTRIBUTES) {
      const value = values[name];
      if (value !== undefined && (all || requested.includes(name))) out[name] = value;
    }
    return out;
  }

  function run(operation: Operation, json: unknown): unknown {
    switch (operation) {
      case "SendMessage": {
        const input = parseInput(operation, json);
        return send(queueOf(input.QueueUrl), input);
      }
      case "SendMessageBatch": {
        const input = parseInput(operation, json);
        const queue = queueOf(input.QueueUrl);
        checkBatch(
          input.Entries,
          input.Entries.reduce((sum, e) => sum + messageSize(e), 0),
        );
        return eachEntry(input.Entries, (entry) => send(queue, entry));
      }
      case "ReceiveMessage":
        return receive(parseInput(operation, json));
      case "DeleteMessage": {
        const input = parseInput(operation, json);
        remove(queueOf(input.QueueUrl), input.ReceiptHandle);
        return {};
      }
      case "DeleteMessageBatch": {
        const input = parseInput(operation, json);
        const queue = queueOf(input.QueueUrl);
        checkBatch(input.Entries);
        return eachEntry(input.Entries, (entry) => remove(queue, entry.ReceiptHandle));
      }
      case "ChangeMessageVisibility": {
        const input = parseInput(operation, json);
        changeVisibility(queueOf(input.QueueUrl), input);
        return {};
      }
      case "ChangeMessageVisibilityBatch": {
        const input = parseInput(operation, json);
        const queue = queueOf(input.QueueUrl);
        checkBatch(input.Entries);
        return eachEntry(input.Entries, (entry) => changeVisibility(queue, entry));
      }
      case "GetQueueAttributes": {
        const input = parseInput(operation, json);
        return { Attributes: queueAttributes(queueOf(input.QueueUrl), input.AttributeNames ?? []) };
      }
      case "PurgeQueue": {
        const input = parseInput(operation, json);
        const queue = queueOf(input.QueueUrl);
        const now = clock.now();
        if (queue.lastPurgeAt !== undefined && now - queue.lastPurgeAt < PURGE_INTERVAL_MS)
          throw fail(
            "PurgeQueueInProgress",
            `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`,
            true,
          );
        queue.lastPurgeAt = now;
        queue.messages = [];
        return {};
      }
      case "GetQueueUrl": {
        const input = parseInput(operation, json);
        const queue = queues.get(input.QueueName);
        const owner = input.QueueOwnerAWSAccountId ?? account;
        if (queue === undefined || owner !== account)
          throw fail("QueueDoesNotExist", "The specified queue does not exist.");
        return { QueueUrl: queue.url };
      }
    }
  }

  function serve(request: StandInRequest): Served {
    const target = request.headers["x-amz-target"];
    const operation =
      typeof target === "string" && target.startsWith("AmazonSQS.") ? target.slice("AmazonSQS.".length) : "";
    if (request.method !== "POST" || !isOperation(operation)) {
      const what = operation || `${request.method} ${request.path} without an AmazonSQS target`;
      const message = `The SQS stand-in does not serve ${what}.`;
      return {
        operation,
        reply: {
          status: 400,
          headers: { "content-type": "application/x-amz-json-1.0" },
          body: JSON.stringify({ __type: "com.amazon.coral.service#UnknownOperationException", message }),
        },
        unexpected: message,
      };
    }
    let json: unknown;
    try {
      json = JSON.parse(request.body === "" ? "{}" : request.body) as unknown;
    } catch (error) {
      const message = `The request body is not JSON: ${error instanceof Error ? error.message : String(error)}`;
      return {
        operation,
        reply: {
          status: 400,
          headers: { "content-type": "application/x-amz-json-1.0" },
          body: JSON.stringify({ __type: "com.amazon.coral.service#SerializationException", message }),
        },
        unexpected: message,
      };
    }
    entryProblems = [];
    try {
      const output = run(operation, json);
      const problems = entryProblems;
      return {
        operation,
        reply: jsonReply(output),
        ...(problems.length > 0 ? { unexpected: problems.join("; ") } : {}),
      };
    } catch (error) {
      if (!(error instanceof SqsFailure)) throw error;
      return {
        operation,
        reply: errorReply(error.error),
        ...(error.expected ? {} : { unexpected: `${error.error.name}: ${error.message}` }),
      };
    }
  }

  return {
    url: standIn.url,
    calls: standIn.calls,
    unexpected: standIn.unexpected,
    close: () => standIn.close(),
    queueUrl: (name) => queueNamed(name).url,
    queueArn: (name) => queueNamed(name).arn,
    depth: (name) => depthOf(queueNamed(name), clock.now()),
    messages(name) {
      const queue = queueNamed(name);
      expire(queue, clock.now());
      return queue.messages.map((m) => m.body);
    },
    nextVisibleAt() {
      const now = clock.now();
      let next: number | undefined;
      for (const queue of queues.values()) {
        expire(queue, now);
        for (const m of queue.messages) {
          if (m.visibleAt > now && (next === undefined || m.visibleAt < next)) next = m.visibleAt;
        }
      }
      return next;
    },
  };
}
