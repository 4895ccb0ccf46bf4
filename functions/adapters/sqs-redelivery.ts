import { ChangeMessageVisibilityBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Logger } from "../log.ts";

/**
 * SQS caps a batch call at 10 entries, and a visibility timeout at 12 hours.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html
 */
const MAX_BATCH = 10;

/** A received message, as Lambda's SQS event gives it. */
export interface Received {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly attributes: { readonly ApproximateReceiveCount?: string };
}

/**
 * Brings a change back soon if the invocation holding it dies. The changes queue's visibility timeout
 * is 6× on-change's timeout (AWS's advice for Lambda event sources), so a change held by an invocation
 * that died came back after 6 minutes: past a 2-minute quiet period, its burst had settled without it
 * and it opened a second window, a second analysis and a second domain event. On its first receive,
 * each message's visibility is cut to the time the invocation can still run plus a margin: a crash
 * (or a failed message) returns it within the burst's quiet period, where it joins the same window.
 * Later receives keep the queue's timeout, so a lasting failure backs off as before and the DLQ's
 * `maxReceiveCount` counts the same receives. Best effort: a failed call is logged, and the message
 * keeps the queue's timeout (later, never lost).
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export interface Redelivery {
  hasten(messages: readonly Received[], visibleAfterSeconds: number): Promise<void>;
}

export function createSqsRedelivery(options: {
  readonly client: SQSClient;
  /** URL of the changes queue the messages came from. */
  readonly queueUrl: string;
  readonly log: Logger;
}): Redelivery {
  const { client, queueUrl, log } = options;
  return {
    async hasten(messages, visibleAfterSeconds) {
      const first = messages.filter((m) => (m.attributes.ApproximateReceiveCount ?? "1") === "1");
      const seconds = Math.max(0, Math.ceil(visibleAfterSeconds));
      for (let i = 0; i < first.length; i += MAX_BATCH) {
        const batch = first.slice(i, i + MAX_BATCH);
        try {
          const answer = await client.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: queueUrl,
              Entries: batch.map((m, n) => ({
                Id: String(n),
                ReceiptHandle: m.receiptHandle,
                VisibilityTimeout: seconds,
              })),
            }),
          );
          for (const failed of answer.Failed ?? []) {
            log.log("warn", "redelivery not hastened; the queue's visibility timeout applies", {
              messageId: batch[Number(failed.Id)]?.messageId,
              code: failed.Code,
            });
          }
        } catch (error) {
          log.log("warn", "redelivery not hastened; the queue's visibility timeout applies", {
            messages: batch.length,
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
        }
      }
    },
  };
}
