import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { DRIFT_ANALYZED, driftAnalyzedDetail, MAX_ENTRY_BYTES } from "../../core/publish/domain-event.ts";
import type { DomainEvents } from "../../core/publish/ports.ts";

/**
 * Phantom's domain event on EventBridge: one "Phantom Drift Analyzed" event per analysed window
 * (source `phantom`), so other tools (chat, ticketing, SIEM) can react with their own rules.
 *
 * Wire: EventBridge speaks AWS JSON 1.1 — `POST /`, `content-type: application/x-amz-json-1.1`,
 * `x-amz-target: AWSEvents.PutEvents`, body `{"Entries":[{Source, DetailType, Detail, EventBusName}]}`
 * (checked against the SDK's own request in test/sweep/eventbridge-events.test.ts).
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */

/** Publishing the domain event failed; `code` is EventBridge's per-entry `ErrorCode` or the SDK error's name. */
export class DomainEventError extends Error {
  override readonly name = "DomainEventError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The size EventBridge counts for an entry: UTF-8 bytes of Source, DetailType, Detail and each
 * Resources entry, plus 14 when Time is set.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/calculate-putevents-entry-size.html
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, "utf8"));
  return (
    (entry.Time ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, r) => sum + bytes(r), 0)
  );
}

/** Per-entry error codes worth another try (PutEvents answers HTTP 200 with them). */
const RETRYABLE_ENTRY_CODES = new Set(["InternalFailure", "ThrottlingException"]);

export interface EventBridgeEventsOptions {
  readonly client: EventBridgeClient;
  /** Bus name or ARN. Default `default`. */
  readonly busName?: string;
  /** Retries of an entry that failed with a retryable code. Default 2. */
  readonly retries?: number;
  /** Injected so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The {@link DomainEvents} port on EventBridge `PutEvents`: one entry per call, source
 * {@link DRIFT_ANALYZED}.source, detail-type {@link DRIFT_ANALYZED}.detailType. Invariants: an entry
 * over {@link MAX_ENTRY_BYTES} is never sent; PutEvents' HTTP 200 is not trusted alone —
 * `FailedEntryCount` and the entry's `ErrorCode` are checked, a retryable code is retried with
 * backoff, and any other failure throws {@link DomainEventError}.
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
export function createEventBridgeEvents(options: EventBridgeEventsOptions): DomainEvents {
  const busName = options.busName ?? "default";
  const retries = Math.max(0, options.retries ?? 2);
  const sleep = options.sleep ?? defaultSleep;
  return {
    async driftAnalyzed(event) {
      const detail = driftAnalyzedDetail(event.report, event.prUrl ? { prUrl: event.prUrl } : {});
      const entry: PutEventsRequestEntry = {
        Source: DRIFT_ANALYZED.source,
        DetailType: DRIFT_ANALYZED.detailType,
        Detail: JSON.stringify(detail),
        EventBusName: busName,
      };
      const size = putEventsEntrySize(entry);
      if (size > MAX_ENTRY_BYTES) {
        throw new DomainEventError(
          "EntryTooLarge",
          `"${DRIFT_ANALYZED.detailType}" entry is ${size} bytes; the limit Phantom keeps is ${MAX_ENTRY_BYTES}`,
        );
      }
      for (let attempt = 0; ; attempt += 1) {
        let output: PutEventsCommandOutput;
        try {
          output = await options.client.send(new PutEventsCommand({ Entries: [entry] }));
        } catch (error) {
          const code = error instanceof Error ? error.name : "Error";
          throw new DomainEventError(
            code,
            `PutEvents failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        }
        const result = output.Entries?.[0];
        const failed = (output.FailedEntryCount ?? 0) > 0 || result?.ErrorCode !== undefined;
        if (!failed && result?.EventId !== undefined) return;
        const code = result?.ErrorCode ?? "UnknownFailure";
        if (RETRYABLE_ENTRY_CODES.has(code) && attempt < retries) {
          await sleep(200 * 2 ** attempt);
          continue;
        }
        throw new DomainEventError(
          code,
          `PutEvents rejected the "${DRIFT_ANALYZED.detailType}" entry: ${code}${result?.ErrorMessage ? `: ${result.ErrorMessage}` : ""}`,
        );
      }
    },
  };
}
