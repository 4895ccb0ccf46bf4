import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Clock } from "../../core/clock.ts";
import type { SettleMessage, Timer } from "../../core/window/timer.ts";

/**
 * SQS caps a message's `DelaySeconds` at 900 (15 minutes).
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 */
export const MAX_DELAY_SECONDS = 900;

/**
 * Seconds from `now` until `at`, rounded up so the message never arrives early, within SQS's
 * 0–900 s. A reminder past the cap arrives at 900 s and the settle use case re-arms for the rest.
 */
export function delaySeconds(at: number, now: number): number {
  const seconds = Math.ceil((at - now) / 1000);
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.min(MAX_DELAY_SECONDS, seconds);
}

/** Sending the settle reminder failed; the caller's batch item should be retried. */
export class SettleTimerError extends Error {
  override readonly name = "SettleTimerError";
  constructor(message: SettleMessage, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`cannot arm the settle timer for ${message.stack}/${message.windowId}: ${reason}`, options);
  }
}

export interface SqsTimerOptions {
  /** The SQS client; the SDK's standard retries are fine here (a duplicate reminder is harmless). */
  readonly client: SQSClient;
  /** URL of the standard `settle` queue (per-message delays are not allowed on FIFO queues). */
  readonly queueUrl: string;
  readonly clock: Clock;
}

/**
 * The settle timer on SQS: `SendMessage` with body `{"account", "region", "stack", "windowId", "reviewAt"?}` and
 * `DelaySeconds` until `at`. Settling is idempotent (the window is claimed), so a redelivered reminder does no harm.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-timers.html
 */
export function createSqsTimer(options: SqsTimerOptions): Timer {
  const { client, queueUrl, clock } = options;
  return {
    async arm(message, at) {
      const body: SettleMessage = {
        account: message.account,
        region: message.region,
        stack: message.stack,
        windowId: message.windowId,
        ...(message.reviewAt !== undefined ? { reviewAt: message.reviewAt } : {}),
      };
      try {
        await client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: JSON.stringify(body),
            DelaySeconds: delaySeconds(at, clock.now()),
          }),
        );
      } catch (cause) {
        throw new SettleTimerError(message, { cause });
      }
    },
  };
}
