import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { z } from "zod";
import { createRulesAnalyst } from "../../core/analysis/rules.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import type { StackDirectory } from "../../core/drift/ports.ts";
import type { DomainEvents, MetricPoint } from "../../core/publish/ports.ts";
import type { WindowReport } from "../../core/report/analysis.ts";
import { NO_SIGNALS } from "../../core/signals/types.ts";
import { createMemoryWindowStore } from "../../core/window/memory-store.ts";
import type { WindowStore } from "../../core/window/store.ts";
import type { SettleMessage } from "../../core/window/timer.ts";
import { DEFAULT_WINDOW_POLICY, type WindowPolicy } from "../../core/window/types.ts";
import { jsonLogger, type LogLevel } from "../../functions/log.ts";
import { loadRecordedAccount, type RecordedAccount } from "../../functions/replay/recorded-account.ts";
import { recordedTemplateSource } from "../../functions/replay/recorded-templates.ts";
import { recordedMetrics, replayChangeRequests } from "../../functions/replay/replay-ports.ts";
import { SequentialIds, VirtualClock } from "../../functions/replay/virtual-time.ts";
import type { Runtime } from "../../functions/runtime.ts";

/**
 * Builders for the handler tests: SQS events (from `fixtures/events/sqs/` or built from bodies) and a
 * `Runtime` of plain objects and local adapters over the payments scenario's recorded account.
 */

const SQS_FIXTURES = new URL("../../fixtures/events/sqs/", import.meta.url);
const INCIDENT_ACCOUNT = fileURLToPath(
  new URL("../../fixtures/scenarios/payments-3am-incident/account", import.meta.url),
);

export const CHANGES_QUEUE_ARN =
  "arn:aws:sqs:us-east-1:111122223333:phantom-production-ChangesQueue-vmzkbnqd";
export const SETTLE_QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:phantom-production-SettleQueue-xtrhcpwa";
/** The SQS visibility timeout of both queues (`sst.config.ts`): when a failed message comes back. */
export const VISIBILITY_TIMEOUT_MS = 6 * 60_000;

export const SQS_FIXTURE_NAMES = [
  "payments-incident-batch-1",
  "payments-incident-batch-2",
  "bad-bodies",
  "unmanaged-resource",
  "settle-reminder",
  "settle-malformed",
] as const;
export type SqsFixtureName = (typeof SQS_FIXTURE_NAMES)[number];

function md5(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

const epochMs = z.string().regex(/^\d{13}$/, "must be epoch milliseconds");

/** Strict: these are our own fixtures, so every field Lambda sends must be there and consistent. */
const sqsRecordSchema = z
  .strictObject({
    messageId: z.uuid(),
    receiptHandle: z.string().min(1),
    body: z.string(),
    attributes: z
      .object({
        ApproximateReceiveCount: z.string().regex(/^[1-9]\d*$/),
        SentTimestamp: epochMs,
        SenderId: z.string().min(1),
        ApproximateFirstReceiveTimestamp: epochMs,
      })
      .catchall(z.string()),
    messageAttributes: z.record(z.string(), z.object({ dataType: z.string(), stringValue: z.string() })),
    md5OfBody: z.string().regex(/^[0-9a-f]{32}$/),
    eventSource: z.literal("aws:sqs"),
    eventSourceARN: z.string().regex(/^arn:aws:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/),
    awsRegion: z.string().min(1),
  })
  .refine((r) => r.md5OfBody === md5(r.body), { message: "md5OfBody is not the MD5 of body" })
  .refine(
    (r) => Number(r.attributes.SentTimestamp) <= Number(r.attributes.ApproximateFirstReceiveTimestamp),
    {
      message: "received before it was sent",
    },
  );

const sqsEventSchema = z.strictObject({ Records: z.array(sqsRecordSchema).min(1).max(10) });

/** An SQS event fixture from `fixtures/events/sqs/<name>.json`, validated as Lambda would deliver it. */
export function loadSqsFixture(name: SqsFixtureName): SQSEvent {
  const json: unknown = JSON.parse(readFileSync(new URL(`${name}.json`, SQS_FIXTURES), "utf8"));
  const parsed = sqsEventSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`fixtures/events/sqs/${name}.json: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data as SQSEvent;
}

/** When Lambda received the batch: its latest first-receive time. */
export function receivedAt(event: SQSEvent): number {
  return Math.max(...event.Records.map((r) => Number(r.attributes.ApproximateFirstReceiveTimestamp)));
}

/** The parsed body of each record. */
export function bodies(event: SQSEvent): unknown[] {
  return event.Records.map((r) => JSON.parse(r.body) as unknown);
}

export interface SqsEventOptions {
  /** Default: the changes queue. */
  readonly queueArn?: string;
  /** Epoch ms the messages were sent; default 1 s before `receivedAt`. */
  readonly sentAt?: number;
  /** Epoch ms Lambda received them; default 2026-03-14T03:11:05Z. */
  readonly receivedAt?: number;
  readonly senderId?: string;
}

let sent = 0;

function uuidFrom(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  const variant = "89ab"[Number.parseInt(h.slice(16, 17), 16) % 4] ?? "8";
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function receiptHandle(seed: string): string {
  const bytes = Buffer.concat([
    createHash("sha512").update(seed).digest(),
    createHash("sha512").update(`${seed}/2`).digest(),
  ]);
  return `AQEB${bytes.toString("base64")}`;
}

/**
 * An SQS event with one message per body, as Lambda delivers it: a string body is sent as is (so a
 * test can send text that is not JSON), anything else as its JSON. Every call sends new messages
 * (fresh message ids); use {@link redeliver} for SQS delivering the same messages again.
 */
export function sqsEvent(items: readonly unknown[], options: SqsEventOptions = {}): SQSEvent {
  const queueArn = options.queueArn ?? CHANGES_QUEUE_ARN;
  const received = options.receivedAt ?? Date.parse("2026-03-14T03:11:05Z");
  const sentAt = options.sentAt ?? received - 1_000;
  const region = queueArn.split(":")[3] ?? "us-east-1";
  return {
    Records: items.map((item): SQSRecord => {
      const body = typeof item === "string" ? item : JSON.stringify(item);
      const seed = `${queueArn}#${++sent}`;
      return {
        messageId: uuidFrom(seed),
        receiptHandle: receiptHandle(seed),
        body,
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: String(sentAt),
          SenderId: options.senderId ?? "AIDAJ2E4ZHTZPIG4AM4I6",
          ApproximateFirstReceiveTimestamp: String(received),
        },
        messageAttributes: {},
        md5OfBody: md5(body),
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: region,
      };
    }),
  };
}

/** The settle queue message the SQS timer sends for a reminder. */
export function settleEvent(
  message: SettleMessage,
  options: Omit<SqsEventOptions, "queueArn"> = {},
): SQSEvent {
  return sqsEvent(
    [{ account: message.account, region: message.region, stack: message.stack, windowId: message.windowId }],
    {
      ...options,
      queueArn: SETTLE_QUEUE_ARN,
      senderId: "AROAEXAMPLEROLEID0002:phantom-production-ChangesSubscriberFunction-kfwbmzqa",
    },
  );
}

/**
 * SQS delivering the same messages again (same message ids, a new receipt handle, one more receive),
 * all of them or those `only` keeps.
 */
export function redeliver(event: SQSEvent, only: (record: SQSRecord) => boolean = () => true): SQSEvent {
  return {
    Records: event.Records.filter(only).map((r) => {
      const count = Number(r.attributes.ApproximateReceiveCount) + 1;
      return {
        ...r,
        receiptHandle: receiptHandle(`${r.receiptHandle}#${count}`),
        attributes: { ...r.attributes, ApproximateReceiveCount: String(count) },
      };
    }),
  };
}

/** What SQS delivers again after a partial batch response: exactly the failed messages. */
export function retryOf(event: SQSEvent, response: SQSBatchResponse): SQSEvent {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  return redeliver(event, (r) => failed.has(r.messageId));
}

/** One parsed log line. */
export interface LogLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly time: string;
  readonly [field: string]: unknown;
}

export interface Armed {
  readonly message: SettleMessage;
  readonly at: number;
}

export interface Harness {
  readonly runtime: Runtime;
  readonly clock: VirtualClock;
  readonly windows: WindowStore;
  readonly account: RecordedAccount;
  /** Every reminder the timer armed, in order. */
  readonly armed: Armed[];
  /** The raw lines the logger wrote. */
  readonly lines: string[];
  /** The parsed log lines, all or those with `message`. */
  logs(message?: string): LogLine[];
  /** Every metric point the handlers emitted, in order. */
  readonly points: readonly MetricPoint[];
}

export interface HarnessOptions {
  /** Where the virtual clock starts; default when batch 1 of the incident was received. */
  readonly start?: number;
  /** Replaces the recorded account's directory. */
  readonly directory?: (recorded: StackDirectory) => StackDirectory;
  readonly policy?: WindowPolicy;
  /** Where pull request bodies are written. */
  readonly out?: string;
}

const OUT = fileURLToPath(new URL("../../node_modules/.cache/phantom-handler-tests/", import.meta.url));

let account: Promise<RecordedAccount> | undefined;

/** The payments scenario's recorded account (loaded once: it is read-only). */
export function incidentAccount(): Promise<RecordedAccount> {
  account ??= loadRecordedAccount(INCIDENT_ACCOUNT);
  return account;
}

/**
 * A `Runtime` of local adapters: the in-memory window store, the recorded account's directory and
 * drift, a capturing timer, a virtual clock, sequential ids and a logger collecting JSON lines.
 */
export async function buildRuntime(options: HarnessOptions = {}): Promise<Harness> {
  const recorded = await incidentAccount();
  const clock = new VirtualClock(options.start ?? Date.parse("2026-03-14T03:11:05.412Z"));
  const windows = createMemoryWindowStore();
  const armed: Armed[] = [];
  const lines: string[] = [];
  const fallback = createRulesAnalyst(clock);
  const metrics = recordedMetrics();
  const runtime: Runtime = {
    config: DEFAULT_CONFIG,
    policy: options.policy ?? DEFAULT_WINDOW_POLICY,
    directory: options.directory ? options.directory(recorded.directory) : recorded.directory,
    windows,
    timer: {
      arm: async (message, at) => {
        armed.push({ message: { ...message }, at });
      },
    },
    clock,
    ids: new SequentialIds(),
    log: jsonLogger(
      (line) => lines.push(line),
      () => clock.now(),
    ),
    metrics,
    reaction: {
      drift: recorded.drift,
      tags: { tagsOf: async (stack) => recorded.stackTags(stack) },
      templates: { repository: recordedTemplateSource(INCIDENT_ACCOUNT) },
      signals: { around: async () => NO_SIGNALS },
      analyst: fallback,
      fallback,
      changeRequests: replayChangeRequests(options.out ?? OUT),
      metrics,
      events: { driftAnalyzed: async () => {} },
      config: DEFAULT_CONFIG,
      clock,
    },
  };
  return {
    runtime,
    clock,
    windows,
    account: recorded,
    armed,
    lines,
    points: metrics.points,
    logs(message) {
      const all = lines.map((line) => JSON.parse(line) as LogLine);
      return message === undefined ? all : all.filter((l) => l.message === message);
    },
  };
}

/** A directory that fails for one physical id (CloudFormation throttling, say) and asks `inner` otherwise. */
export function failingDirectory(inner: StackDirectory, physicalId: string, error: Error): StackDirectory {
  return {
    async lookup(resource, where) {
      if (resource.id === physicalId) throw error;
      return inner.lookup(resource, where);
    },
  };
}

export interface CapturingSink {
  /** The domain-event port: each finished reaction ends with one event. */
  readonly sink: DomainEvents;
  /** Reports of the reactions that finished. */
  readonly reports: WindowReport[];
  /** Reactions that reached the event, failed ones included. */
  attempts(): number;
}

/**
 * Keeps the report of each finished reaction; its first `failures` events throw (EventBridge is down,
 * say), so the reaction fails at its last step and the settle message is retried.
 */
export function capturingSink(failures = 0): CapturingSink {
  const reports: WindowReport[] = [];
  let attempts = 0;
  return {
    sink: {
      async driftAnalyzed(event) {
        attempts += 1;
        if (attempts <= failures) throw new Error("EventBridge PutEvents: 500 InternalFailure");
        reports.push(event.report);
      },
    },
    reports,
    attempts: () => attempts,
  };
}

/** The runtime with its domain events going to `sink`. */
export function withSink(runtime: Runtime, sink: DomainEvents): Runtime {
  return { ...runtime, reaction: { ...runtime.reaction, events: sink } };
}
