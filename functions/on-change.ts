import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { intakeContextAt } from "../core/change/context.ts";
import { judgeDocument } from "../core/change/intake.ts";
import { jsonErrorText } from "../core/change/json-error.ts";
import { isCachedDirectory } from "../core/drift/directory-cache.ts";
import { readStackStatusChange } from "../core/pattern/stack-status.ts";
import { InvocationAborted } from "../core/reactor/steps.ts";
import { type TouchPorts, touch } from "../core/reactor/touch.ts";
import { intakePoints } from "../core/report/metrics.ts";
import { stackKey } from "../core/window/stack.ts";
import { containerRuntime, createRuntime, portsAt, type Runtime, servesAccount } from "./runtime.ts";

/** What one invocation's intake saw: flushed as `phantom.events.*` / `phantom.windows.opened` points. */
interface Tally {
  received: number;
  readonly ignored: Map<string, number>;
  readonly rejected: Map<string, number>;
  readonly opened: Map<string, number>;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** What on-change knows of its invocation: Lambda's context, or the rehearsal's stand-in for it. */
export type Invocation = Pick<Context, "getRemainingTimeInMillis">;

/** Seconds past the invocation's end before a message it held comes back (sqs-redelivery.ts). */
const REDELIVERY_MARGIN_SECONDS = 15;

/**
 * on-change: SQS batch of EventBridge events ► intake ► owning stack ► window.touch ► settle timer.
 * Partial batch responses: a message fails (and is retried) only when a dependency failed; a
 * malformed or irrelevant event is logged with its reason and dropped, never blocking the batch.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export async function processChanges(
  event: SQSEvent,
  runtime: Runtime,
  invocation?: Invocation,
): Promise<SQSBatchResponse> {
  // If this invocation dies, its changes come back just after it, inside their burst's quiet period.
  if (invocation !== undefined)
    await runtime.redelivery?.hasten(
      event.Records,
      invocation.getRemainingTimeInMillis() / 1000 + REDELIVERY_MARGIN_SECONDS,
    );
  const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
  const tally: Tally = { received: 0, ignored: new Map(), rejected: new Map(), opened: new Map() };
  for (const message of event.Records) {
    try {
      await processMessage(message, runtime, tally);
    } catch (error) {
      // The invocation died (a rehearsal's crash): no answer, so every message of the batch comes back.
      if (error instanceof InvocationAborted) throw error;
      runtime.log.log("error", "change processing failed; message will be retried", {
        messageId: message.messageId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  // One flush per invocation; a failing Metrics port never fails a message (the runtime's is best effort).
  await runtime.metrics.emit(
    intakePoints({
      at: runtime.clock.now(),
      received: tally.received,
      ignored: tally.ignored,
      rejected: tally.rejected,
      windowsOpened: tally.opened,
    }),
  );
  return { batchItemFailures };
}

async function processMessage(message: SQSRecord, runtime: Runtime, tally: Tally): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch (error) {
    tally.received += 1;
    bump(tally.rejected, "malformed");
    runtime.log.log("warn", "event rejected", {
      messageId: message.messageId,
      reason: `malformed: message body is not JSON: ${jsonErrorText(error)}`,
    });
    return;
  }
  if (await stackChanged(body, message, runtime, tally)) return;
  const context = intakeContextAt(runtime.config, runtime.clock.now());
  const judged = judgeDocument(body, context);
  await runtime.observe?.("on-change", "classify");
  if (judged.length === 0) {
    tally.received += 1;
    bump(tally.rejected, "malformed");
    runtime.log.log("warn", "event rejected", {
      messageId: message.messageId,
      reason: "malformed: no records in the body",
    });
  }
  for (const { judgement } of judged) {
    tally.received += 1;
    if (judgement.verdict === "rejected") {
      bump(tally.rejected, judgement.reason);
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
      bump(tally.ignored, judgement.reason);
      runtime.log.log("debug", "event ignored", {
        messageId: message.messageId,
        eventID: record.eventID,
        eventName: record.eventName,
        reason: `${judgement.reason}: ${judgement.detail}`,
      });
      continue;
    }
    const outcome = await touch(judgement, touchPorts(runtime));
    if (outcome.ignored !== undefined) {
      bump(tally.ignored, outcome.ignored.reason);
      runtime.log.log("info", "event ignored", {
        messageId: message.messageId,
        eventID: record.eventID,
        eventName: record.eventName,
        account: record.recipientAccountId,
        reason: `${outcome.ignored.reason}: ${outcome.ignored.detail}`,
      });
      continue;
    }
    for (const s of outcome.stacks) {
      if (s.opened) bump(tally.opened, stackKey(s));
      runtime.log.log("info", s.duplicate ? "event already in a window" : "event added to window", {
        eventID: record.eventID,
        eventName: record.eventName,
        account: s.account,
        region: s.region,
        stack: s.stack,
        window: s.windowId,
        opened: s.opened,
        actor: judgement.actor.name,
      });
    }
    // No stack owns what the event touched: nothing to react to, counted so the figure explains the gap.
    if (outcome.stacks.length === 0) bump(tally.ignored, "unmanaged");
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

/**
 * `touch`'s ports over the runtime: the stack directory of each event's own place (a member account
 * through its read role), the configured accounts, the home place and, for global services, every
 * configured region of the account.
 */
export function touchPorts(runtime: Runtime): TouchPorts {
  const reach = runtime.places?.reach;
  const regions = [...new Set([...(reach?.homeRegion ? [reach.homeRegion] : []), ...(reach?.regions ?? [])])];
  return {
    ...runtime,
    directory: {
      lookup: (resource, where) =>
        where?.account !== undefined && where.region !== undefined
          ? portsAt(runtime, { account: where.account, region: where.region }).directory.lookup(
              resource,
              where,
            )
          : runtime.directory.lookup(resource, where),
    },
    serves: (account) => servesAccount(runtime, account),
    home: {
      ...(reach?.homeAccount ? { account: reach.homeAccount } : {}),
      ...(reach?.homeRegion ? { region: reach.homeRegion } : {}),
    },
    regionsOf: () => regions,
    ...(runtime.observe ? { afterStep: (step) => runtime.observe?.("on-change", step) } : {}),
  };
}

/**
 * A stack's own CloudFormation Stack Status Change (its rule, core/pattern/stack-status.ts, delivers it
 * here): the stack's cached physical id ► stack answers are dropped, so what an update added or a
 * delete removed is looked up afresh. Counted as received and ignored (`stack-status`); one from an
 * account not served is `unknown-account`, a malformed one rejected. Answers whether `body` was one.
 */
async function stackChanged(
  body: unknown,
  message: SQSRecord,
  runtime: Runtime,
  tally: Tally,
): Promise<boolean> {
  const read = readStackStatusChange(body);
  if (read.kind === "other") return false;
  tally.received += 1;
  if (read.kind === "invalid") {
    bump(tally.rejected, "malformed");
    runtime.log.log("warn", "event rejected", {
      messageId: message.messageId,
      reason: `malformed: ${read.reason}`,
    });
    return true;
  }
  const { change } = read;
  if (!servesAccount(runtime, change.account)) {
    bump(tally.ignored, "unknown-account");
    runtime.log.log("info", "event ignored", {
      messageId: message.messageId,
      account: change.account,
      reason: `unknown-account: stack ${change.stack} is in an account this reactor does not serve`,
    });
    return true;
  }
  const { directory } = portsAt(runtime, change);
  const dropped = isCachedDirectory(directory) ? await directory.invalidate(change) : 0;
  bump(tally.ignored, "stack-status");
  runtime.log.log("info", "stack changed: its cached directory answers dropped", {
    account: change.account,
    region: change.region,
    stack: change.stack,
    status: change.status,
    dropped,
  });
  return true;
}

const runtime = containerRuntime(() => createRuntime({ role: "intake" }));

/** The Lambda entry point; the runtime is built once per container. */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processChanges(event, await runtime(), context);
