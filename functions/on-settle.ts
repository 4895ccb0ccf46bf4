import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { z } from "zod";
import { type Reaction, type ReactJournal, react, reviewAt } from "../core/reactor/react.ts";
import { settle } from "../core/reactor/settle.ts";
import { InvocationAborted } from "../core/reactor/steps.ts";
import { publicationPoint } from "../core/report/metrics.ts";
import type { Window } from "../core/window/types.ts";
import { containerRuntime, createRuntime, portsAt, type Runtime } from "./runtime.ts";

/** A settle message; one sent before stacks had a place has no `account`/`region`: the home place's. */
const settleMessageSchema = z.object({
  account: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  region: z.string().min(1).optional(),
  stack: z.string().min(1),
  windowId: z.string().min(1),
  reviewAt: z.number().int().positive().optional(),
});

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The service behind a failed reaction, from the adapters' error classes (`phantom.publish.failed`'s tag). */
const FAILED_SERVICE: Readonly<Record<string, string>> = {
  GitHubChangeRequestsError: "github",
  GitHubTemplateError: "github",
  DomainEventError: "eventbridge",
  StackReadError: "cloudformation",
  StackLookupError: "cloudformation",
  WindowStoreError: "dynamodb",
  DatadogError: "datadog",
};

export function failedService(error: unknown): string {
  const name = error instanceof Error ? error.name : "";
  return FAILED_SERVICE[name] ?? "reaction";
}

/** The one log line of a finished reaction: what was found, decided and published. */
export function reactionFields(reaction: Reaction): Record<string, unknown> {
  const { report, publication } = reaction;
  return {
    stack: report.stack,
    account: report.window.account,
    region: report.window.region,
    window: report.window.id,
    settledBy: report.window.settledBy,
    events: report.window.events,
    touched: report.window.touched,
    changes: report.changes.length,
    severity: "severity" in report ? report.severity : null,
    unverified: report.detection.unverified.length,
    calls: report.detection.calls,
    ...(report.detection.liveReads ? { liveReads: report.detection.liveReads } : {}),
    // `[path, decision]` pairs, not an object keyed by path: a path such as
    // `…/Variables/DB_PASSWORD` is a secret-named key, and the log's redaction would hide its decision.
    ...(report.changes.some((c) => "decision" in c)
      ? {
          decisions: report.changes.map((c) => [
            `${c.logicalId}${c.propertyPath}`,
            "decision" in c ? c.decision : null,
          ]),
        }
      : {}),
    ...(reaction.template ? { template: reaction.template } : {}),
    ...(publication.kind === "pull-request"
      ? { pullRequest: { outcome: publication.outcome.kind, url: publication.outcome.url } }
      : publication.kind === "skipped"
        ? { skipped: publication.reason, detail: publication.detail }
        : {}),
    ...(reaction.failed.length > 0 ? { failed: reaction.failed } : {}),
  };
}

/**
 * on-settle: a settle reminder ► settle (re-arm, or claim ► react ► complete). A reminder for a window
 * that is done or missing is dropped; a failure leaves the window claimed and the message is retried
 * (after the claim's lease the next settle takes over; a window is claimed at most twice, then the
 * message goes to the settle DLQ). Partial batch responses.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export async function processSettles(
  event: SQSEvent,
  runtime: Runtime,
  owner = "on-settle",
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  for (const message of event.Records) {
    try {
      await processMessage(message, runtime, `${owner}:${message.messageId}`);
    } catch (error) {
      // The invocation died (a rehearsal's crash): no answer, so the message comes back.
      if (error instanceof InvocationAborted) throw error;
      runtime.log.log("error", "settle failed; message will be retried", {
        messageId: message.messageId,
        error: describe(error),
      });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures };
}

async function processMessage(message: SQSRecord, runtime: Runtime, owner: string): Promise<void> {
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
      reason: `malformed: expected {"account", "region", "stack", "windowId", "reviewAt"?}, got ${message.body.slice(0, 200)}`,
    });
    return;
  }
  const { stack, windowId } = parsed.data;
  const homeAccount = runtime.places?.reach.homeAccount;
  const homeRegion = runtime.places?.reach.homeRegion;
  const account = parsed.data.account ?? homeAccount;
  const region = parsed.data.region ?? homeRegion;
  if (account === undefined || region === undefined) {
    runtime.log.log("warn", "settle message rejected", {
      messageId: message.messageId,
      reason: `malformed: the message names no account or region and the home place is not configured (PHANTOM_HOME_ACCOUNT, AWS_REGION)`,
    });
    return;
  }
  const place = { account, region };
  const observe = runtime.observe;
  const outcome = await settle(
    { ...parsed.data, ...place },
    {
      windows: runtime.windows,
      timer: runtime.timer,
      clock: runtime.clock,
      policy: runtime.policy,
      owner,
      reviewAt,
      ...(observe ? { afterStep: (step) => observe("on-settle", step) } : {}),
      react: async (window, settled) => {
        try {
          // The place's own clients (a member account through its read role), and the window's
          // checkpoints, so a retry publishes nothing an earlier attempt published.
          return await react(window, settled, {
            ...portsAt(runtime, place).reaction,
            ...journalOf(runtime, window),
            ...(observe ? { afterStep: (step) => observe("on-settle", step) } : {}),
          });
        } catch (error) {
          if (error instanceof InvocationAborted) throw error;
          const target = failedService(error);
          runtime.log.log("error", "reaction failed", {
            ...place,
            stack,
            window: windowId,
            target,
            error: describe(error),
          });
          await runtime.metrics.emit([
            publicationPoint("publishFailed", runtime.clock.now(), { stack, target }, place),
          ]);
          throw error;
        }
      },
    },
  );
  if (outcome.kind === "skipped" && outcome.why === "exhausted") {
    // Claimed `maxAttempts` times and never completed: fail the message so SQS moves it to the
    // settle DLQ, where the DLQ alarm makes a person look. Dropping it would lose the window.
    throw new Error(`window ${windowId} of ${stack} (${account}, ${region}) failed every settle attempt`);
  }
  if (outcome.kind === "settled" || outcome.kind === "reviewed") {
    runtime.log.log("info", "window analysed", {
      ...reactionFields(outcome.result),
      ...(outcome.kind === "settled" && outcome.reviewAt !== undefined
        ? { reviewAt: new Date(outcome.reviewAt).toISOString() }
        : {}),
    });
    return;
  }
  runtime.log.log("info", `window ${outcome.kind}`, {
    ...place,
    stack,
    window: windowId,
    ...(outcome.kind === "rearmed" ? { at: new Date(outcome.at).toISOString(), why: outcome.why } : {}),
    ...(outcome.kind === "skipped" ? { why: outcome.why } : {}),
  });
}

/** The reaction's journal on the window's checkpoints (core/reactor/react.ts, `ReactJournal`). */
function journalOf(runtime: Runtime, window: Window): { journal?: ReactJournal } {
  const store = runtime.windows;
  if (store.checkpoint === undefined) return {};
  const recorded = new Map(Object.entries(window.checkpoints ?? {}));
  return {
    journal: {
      get: (key) => recorded.get(key),
      async put(key, value) {
        const { account, region, stack, id: windowId } = window;
        await store.checkpoint?.({ account, region, stack, windowId, key, value, now: runtime.clock.now() });
        recorded.set(key, value);
      },
    },
  };
}

const runtime = containerRuntime(() => createRuntime());

/** The Lambda entry point; the runtime is built once per container. */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> =>
  processSettles(event, await runtime());
