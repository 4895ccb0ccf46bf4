import { z } from "zod";
import type { EventPattern } from "./types.ts";

/**
 * CloudFormation's own events that tell Phantom a stack changed, so the cached physical id ► stack
 * answers of that stack are dropped at once (core/drift/directory-cache.ts) instead of after their TTL.
 * CloudFormation sends "CloudFormation Stack Status Change" to the default bus of the stack's account
 * and region for every stack status; only the end of an operation matters here (the resources are
 * what they will be), so the rule matches the terminal statuses of a create, update, rollback, import
 * or delete. EventBridge delivers them beside the CloudTrail rules, to the same Changes queue.
 *
 * Detail: `{"stack-id": "arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>",
 * "status-details": {"status", "status-reason"}, "client-request-token"}`.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/event-detail-stack-status-change.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes
 */

export const STACK_STATUS_DETAIL_TYPE = "CloudFormation Stack Status Change";

/** The statuses an operation ends in: the stack's resources will not change further without another. */
export const STACK_SETTLED_STATUSES = [
  "CREATE_COMPLETE",
  "CREATE_FAILED",
  "DELETE_COMPLETE",
  "DELETE_FAILED",
  "IMPORT_COMPLETE",
  "IMPORT_ROLLBACK_COMPLETE",
  "IMPORT_ROLLBACK_FAILED",
  "ROLLBACK_COMPLETE",
  "ROLLBACK_FAILED",
  "UPDATE_COMPLETE",
  "UPDATE_FAILED",
  "UPDATE_ROLLBACK_COMPLETE",
  "UPDATE_ROLLBACK_FAILED",
] as const;

/** The rule pattern: CloudFormation stack status changes that end an operation. */
export function stackStatusPattern(): EventPattern {
  return {
    source: ["aws.cloudformation"],
    "detail-type": [STACK_STATUS_DETAIL_TYPE],
    detail: { "status-details": { status: [...STACK_SETTLED_STATUSES] } },
  };
}

const envelopeSchema = z.object({
  source: z.literal("aws.cloudformation"),
  "detail-type": z.literal(STACK_STATUS_DETAIL_TYPE),
  account: z.string().optional(),
  region: z.string().optional(),
  detail: z.object({
    "stack-id": z.string().min(1),
    "status-details": z.object({ status: z.string().min(1) }),
  }),
});

/** A stack's status change, read from its EventBridge envelope. */
export interface StackStatusChange {
  readonly account: string;
  readonly region: string;
  readonly stack: string;
  readonly stackId: string;
  readonly status: string;
}

/** `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`. */
const STACK_ARN = /^arn:[^:]+:cloudformation:([^:]+):(\d{12}):stack\/([^/]+)\//;

/**
 * Whether `body` is a CloudFormation Stack Status Change envelope (by `source` and `detail-type`),
 * and if so what it says: the stack, and its account and region from the stack id (else the
 * envelope's). `{ok: false}` names what is missing in an envelope that claims to be one.
 */
export function readStackStatusChange(body: unknown):
  | { readonly kind: "other" }
  | { readonly kind: "stack-status"; readonly change: StackStatusChange }
  | {
      readonly kind: "invalid";
      readonly reason: string;
    } {
  if (
    typeof body !== "object" ||
    body === null ||
    (body as Record<string, unknown>)["detail-type"] !== STACK_STATUS_DETAIL_TYPE
  ) {
    return { kind: "other" };
  }
  const parsed = envelopeSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: "invalid",
      reason: `${STACK_STATUS_DETAIL_TYPE}: ${issue?.path.join(".") || "(envelope)"} ${issue?.message ?? "is invalid"}`,
    };
  }
  const { detail } = parsed.data;
  const stackId = detail["stack-id"];
  const arn = STACK_ARN.exec(stackId);
  const region = arn?.[1] ?? parsed.data.region;
  const account = arn?.[2] ?? parsed.data.account;
  if (region === undefined || account === undefined) {
    return {
      kind: "invalid",
      reason: `${STACK_STATUS_DETAIL_TYPE}: detail.stack-id ${JSON.stringify(stackId)} is not a stack ARN and the envelope names no account or region`,
    };
  }
  return {
    kind: "stack-status",
    change: { account, region, stack: arn?.[3] ?? stackId, stackId, status: detail["status-details"].status },
  };
}
