import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { catalogContext } from "../core/change/context.ts";
import { judgeDocument } from "../core/change/intake.ts";
import { touch } from "../core/reactor/touch.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

/**
 * on-change: SQS batch of EventBridge events ► intake ► owning stack ► window.touch ► settle timer.
 * Partial batch responses: a message fails (and is retried) only when a dependency failed; a
 * malformed or irrelevant event is logged with its reason and dropped, never blocking the batch.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export async function processChanges(event: SQSEvent, runtime: Runtime): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  for (const message of event.Records) {
    try {
      await processMessage(message, runtime);
    } catch (error) {
      runtime.log.log("error", "change processing failed; message will be retried", {
        messageId: message.messageId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures };
}

async function processMessage(message: SQSRecord, runtime: Runtime): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch (error) {
    runtime.log.log("warn", "event rejected", {
      messageId: message.messageId,
      reason: `malformed: message body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    });
    return;
  }
  const context = catalogContext(runtime.config);
  const judged = judgeDocument(body, context);
  if (judged.length === 0) {
    runtime.log.log("warn", "event rejected", {
      messageId: message.messageId,
      reason: "malformed: no records in the body",
    });
  }
  for (const { judgement } of judged) {
    if (judgement.verdict === "rejected") {
      runtime.log.log("warn", "event rejected", {
        messageId: message.messageId,
        eventID: judgement.partial.eventID,
        eventName: judgement.partial.eventName,
        reason: `${judgement.reason}: ${judgement.detail}`,
      });
      continue;
    }
    const { record } = judgement;
    if (judgement.verdict === "ignored") {
      runtime.log.log("debug", "event ignored", {
        messageId: message.messageId,
        eventID: record.eventID,
        eventName: record.eventName,
        reason: `${judgement.reason}: ${judgement.detail}`,
      });
      continue;
    }
    const outcome = await touch(judgement, runtime);
    for (const s of outcome.stacks) {
      runtime.log.log("info", s.duplicate ? "event already in a window" : "event added to window", {
        eventID: record.eventID,
        eventName: record.eventName,
        stack: s.stack,
        window: s.windowId,
        opened: s.opened,
        actor: judgement.actor.name,
      });
    }
    for (const r of outcome.unmanaged) {
      runtime.log.log("info", "change on an unmanaged resource", {
        eventID: record.eventID,
        eventName: record.eventName,
        resourceType: r.type,
        resourceId: r.id,
      });
    }
  }
}

let runtime: Runtime | undefined;

/** The Lambda entry point; the runtime is built once per container. */
export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => {
  runtime ??= createRuntime();
  return processChanges(event, runtime);
};
