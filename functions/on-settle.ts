import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { z } from "zod";
import type { ReportSink } from "../core/reactor/react.ts";
import { react } from "../core/reactor/react.ts";
import { settle } from "../core/reactor/settle.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

const settleMessageSchema = z.object({ stack: z.string().min(1), windowId: z.string().min(1) });

/** A sink that logs each report's summary (pull requests and metrics publish here as they land). */
export function loggingSink(runtime: Pick<Runtime, "log">): ReportSink {
  return {
    async publish(report) {
      runtime.log.log("info", "window analysed", {
        stack: report.stack,
        window: report.window.id,
        events: report.window.events,
        touched: report.window.touched,
        changes: report.changes.length,
        unverified: report.detection.unverified,
        calls: report.detection.calls,
      });
    },
  };
}

/**
 * on-settle: a settle reminder ► settle (re-arm, or claim ► react ► complete). A reminder for a window
 * that is done or missing is dropped; a failure leaves the window claimed and the message is retried
 * (after the claim's lease the next settle takes over; a window is claimed at most twice).
 */
export async function processSettles(
  event: SQSEvent,
  runtime: Runtime,
  sink: ReportSink = loggingSink(runtime),
  owner = "on-settle",
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  for (const message of event.Records) {
    try {
      await processMessage(message, runtime, sink, `${owner}:${message.messageId}`);
    } catch (error) {
      runtime.log.log("error", "settle failed; message will be retried", {
        messageId: message.messageId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures };
}

async function processMessage(
  message: SQSRecord,
  runtime: Runtime,
  sink: ReportSink,
  owner: string,
): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    body = undefined;
  }
  const parsed = settleMessageSchema.safeParse(body);
  if (!parsed.success) {
    runtime.log.log("warn", "settle message rejected", {
      messageId: message.messageId,
      reason: `malformed: expected {"stack", "windowId"}, got ${message.body.slice(0, 200)}`,
    });
    return;
  }
  const outcome = await settle(parsed.data, {
    windows: runtime.windows,
    timer: runtime.timer,
    clock: runtime.clock,
    policy: runtime.policy,
    owner,
    react: (window, settled) => react(window, settled, { drift: runtime.drift, sink }),
  });
  if (outcome.kind === "skipped" && outcome.why === "exhausted") {
    // Claimed `maxAttempts` times and never completed: fail the message so SQS moves it to the
    // settle DLQ, where the DLQ alarm makes a person look. Dropping it would lose the window.
    throw new Error(`window ${parsed.data.windowId} of ${parsed.data.stack} failed every settle attempt`);
  }
  runtime.log.log("info", `window ${outcome.kind}`, {
    stack: parsed.data.stack,
    window: parsed.data.windowId,
    ...(outcome.kind === "rearmed" ? { at: new Date(outcome.at).toISOString(), why: outcome.why } : {}),
    ...(outcome.kind === "skipped" ? { why: outcome.why } : {}),
  });
}

let runtime: Runtime | undefined;

/** The Lambda entry point; the runtime is built once per container. */
export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => {
  runtime ??= createRuntime();
  return processSettles(event, runtime);
};
