import { BEDROCK_GEOGRAPHIES, BEDROCK_MODEL } from "../../core/analysis/model.ts";
import { LIVE_READ_ACTIONS } from "./cloudcontrol-read.ts";
/**
 * Least-privilege IAM for the SST app: every statement names its actions (never `*` or a wildcard
 * action), each action is granted only to a function whose code sends it (the constants below name
 * the adapter call behind each), and resources are scoped to ARNs wherever the service supports
 * resource-level permissions. The exceptions are listed here with their reasons, and test/infra checks
 * the app against them.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html
 */

/** `T`, or a deploy-time value (a Pulumi Output in SST, a recorded token in tests). */
export type Input<T, O> = T | O;

/** One IAM statement as SST's `permissions` takes it (always Allow). */
export interface Statement<O> {
  readonly actions: string[];
  readonly resources: Input<string, O>[];
}

/**
 * Actions granted on `"*"`, each because the service has no resource-level permissions for it
 * (the Service Authorization Reference lists no resource type).
 */
export const WILDCARD_RESOURCE_ACTIONS: Readonly<Record<string, string>> = {
  "cloudformation:DescribeStackDriftDetectionStatus":
    "no resource type: the call names a detection id, not a stack (Service Authorization Reference)",
  "cloudformation:BatchDescribeTypeConfigurations":
    "no resource type; drift detection calls it for the resource types it checks (using-cfn-stack-drift)",
  "cloudformation:GetResource":
    "Cloud Control API defines no resource types (Service Authorization Reference, AWS Cloud Control API)",
};

/**
 * Actions granted although no adapter sends a command of that name: AWS authorizes a call the code
 * does send (`by`) as this action too. test/infra's grep-level proof accepts them on that command.
 */
export const IMPLIED_ACTIONS: Readonly<
  Record<string, { readonly by: readonly string[]; readonly reason: string }>
> = {
  "cloudformation:ListStacks": {
    by: ["DescribeStacksCommand"],
    reason:
      "DescribeStacks without a StackName (listManagedStacks) also needs ListStacks (a CloudFormation change of 2023)",
  },
  "cloudformation:BatchDescribeTypeConfigurations": {
    by: ["DetectStackResourceDriftCommand", "DetectStackDriftCommand"],
    reason: "drift detection reads the checked types' configurations with the caller's permissions",
  },
};

/**
 * AWS managed policies attached to function roles, with the reason. Drift detection reads every
 * checked resource with the caller's own permissions, across every service a template may use, so a
 * hand-written list would lag behind the templates; the managed read-only policy is the documented,
 * maintained choice. A live read (Cloud Control GetResource) runs the type's read handler with the
 * caller's permissions the same way (functions/infra/cloudcontrol-read.ts records what each handler
 * needs: read-level actions only).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html
 * @see https://docs.aws.amazon.com/cloudcontrolapi/latest/userguide/resource-operations-read.html
 */
export const MANAGED_POLICIES: Readonly<Record<string, string>> = {
  "arn:aws:iam::aws:policy/ReadOnlyAccess":
    "drift detection and Cloud Control's read handlers read each resource (ec2:Describe*, s3:GetBucket*, …) with the caller's permissions",
};

/** The ReadOnlyAccess managed policy ARN. */
export const READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess";

// CloudFormation, on the account's stacks (`arn:aws:cloudformation:*:<account>:stack/*/*`).

/** `createCloudFormationDirectory` (on-change): `DescribeStackResources` by physical id, `ListStackResources` past 100. */
export const STACK_LOOKUP_ACTIONS = [
  "cloudformation:DescribeStackResources",
  "cloudformation:ListStackResources",
] as const;

/**
 * `createCloudFormationStacks` (react): `DescribeStacks` of one stack, for the tags that locate its
 * template and, where drift detection is blind, the deployed parameter values.
 */
export const STACK_TAGS_ACTIONS = ["cloudformation:DescribeStacks"] as const;

/**
 * `createCloudFormationStacks` (react, only for a window with a blind spot): `ListStackResources`, the
 * physical ids the template's `!Ref` / `!GetAtt` resolve to.
 */
export const STACK_RESOURCES_ACTIONS = ["cloudformation:ListStackResources"] as const;

/** `createDeployedTemplateSource` (react): `GetTemplate`, the deployed template when no repository holds it. */
export const DEPLOYED_TEMPLATE_ACTIONS = ["cloudformation:GetTemplate"] as const;

/** `listManagedStacks` (on-sweep): `DescribeStacks` of every stack, which AWS also checks as `ListStacks`. */
export const STACK_LIST_ACTIONS = ["cloudformation:DescribeStacks", "cloudformation:ListStacks"] as const;

/** `createCloudFormationDriftDetector` (on-settle): `DetectStackResourceDrift` per touched logical id. */
export const RESOURCE_DRIFT_ACTIONS = ["cloudformation:DetectStackResourceDrift"] as const;

/** `createStackDriftDetector` (on-sweep): `DetectStackDrift`, then `DescribeStackResourceDrifts`. */
export const STACK_DRIFT_ACTIONS = [
  "cloudformation:DetectStackDrift",
  "cloudformation:DescribeStackResourceDrifts",
] as const;

// CloudFormation on `"*"` (see WILDCARD_RESOURCE_ACTIONS).

/** `createStackDriftDetector` (on-sweep) polls `DescribeStackDriftDetectionStatus`. */
export const DETECTION_STATUS_ACTIONS = ["cloudformation:DescribeStackDriftDetectionStatus"] as const;

/** Drift detection of either kind (on-settle, on-sweep) calls `BatchDescribeTypeConfigurations` as the caller. */
export const TYPE_CONFIGURATION_ACTIONS = ["cloudformation:BatchDescribeTypeConfigurations"] as const;

// Cloud Control on `"*"` (see WILDCARD_RESOURCE_ACTIONS).

/** `createCloudControlLiveState` (react, only for a window with a blind spot): `GetResource`. */
export { LIVE_READ_ACTIONS };

// The windows table (functions/adapters/dynamo-window-store.ts, document client commands).

/** `WindowStore.touch` (on-change): `GetCommand`, `PutCommand` (new window, event marker), `UpdateCommand`. */
export const WINDOW_TOUCH_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"] as const;

/** `WindowStore.get`, `claim`, `complete` (on-settle): `GetCommand` and conditional `UpdateCommand`s. */
export const WINDOW_SETTLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:UpdateItem"] as const;

/** `WindowStore.unfinished` (on-sweep): `GetCommand` of the stack's head, then of its window. */
export const WINDOW_READ_ACTIONS = ["dynamodb:GetItem"] as const;

/**
 * The shared directory cache in the windows table (functions/adapters/dynamo-directory-cache.ts,
 * on-change): `GetCommand` of an answer, `BatchWriteCommand` of a stack's answers, `UpdateCommand` of
 * its index, and on the stack's CloudFormation events `BatchWriteCommand` deletes and `DeleteCommand`.
 */
export const DIRECTORY_CACHE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
] as const;

// Queues, models, buses.

/** `createSqsTimer` (on-change arms, on-settle re-arms): `SendMessageCommand` on the settle queue. */
export const SETTLE_TIMER_ACTIONS = ["sqs:SendMessage"] as const;

/**
 * `createSqsRedelivery` (on-change): `ChangeMessageVisibilityBatchCommand` on the changes queue, which
 * SQS authorizes as `ChangeMessageVisibility`.
 */
export const REDELIVERY_ACTIONS = ["sqs:ChangeMessageVisibility"] as const;

/** `createBedrockAnalyst` (react): `ConverseCommand`, which Bedrock authorizes as `InvokeModel`. */
export const ANALYST_ACTIONS = ["bedrock:InvokeModel"] as const;

/** `createEventBridgeEvents` (react): `PutEventsCommand` of the domain event on the home bus. */
export const DOMAIN_EVENT_ACTIONS = ["events:PutEvents"] as const;

// Member accounts (functions/accounts.ts, functions/infra/member-template.ts).

/**
 * `createPlaces` (every function): STS `AssumeRole` of a member account's read role, on
 * `arn:aws:iam::<member>:role/<read role>` only.
 */
export const ASSUME_READ_ROLE_ACTIONS = ["sts:AssumeRole"] as const;

/**
 * `checkForwarding` (on-sweep): `ListRuleNamesByTarget`, the rules of a place that deliver to
 * Phantom (a region without one is reported).
 */
export const FORWARDING_CHECK_ACTIONS = ["events:ListRuleNamesByTarget"] as const;

/**
 * The IAM path of the reactor's function roles. A member's read role trusts the central account only
 * for roles under it (`aws:PrincipalArn`), inside the organisation (`aws:PrincipalOrgID`).
 */
export const REACTOR_ROLE_PATH = "/phantom/";

/**
 * Cross-region inference-profile ids start with a geography (`us.`, `eu.`, `apac.`, `global.`, …);
 * the foundation model is the rest.
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html
 */
const PROFILE_PREFIX = /^(us|eu|apac|jp|au|ca|us-gov|global)\./;

/**
 * Resources `bedrock:InvokeModel` (which Converse uses) needs for a model id: an inference profile
 * needs the profile ARN and the foundation model in every region the profile routes to (any region,
 * and the region-less ARN for `global.` profiles); a plain model id needs only the foundation model.
 * Without a model id, the runtime's default: its model through every geography's profile.
 */
export function bedrockResources<O>(
  modelId: string | undefined,
  account: O,
  interpolate: (strings: TemplateStringsArray, ...values: unknown[]) => O,
): Input<string, O>[] {
  if (modelId === undefined) {
    return [
      ...BEDROCK_GEOGRAPHIES.map(
        (geography) =>
          interpolate`arn:aws:bedrock:*:${account}:inference-profile/${geography}.${BEDROCK_MODEL}`,
      ),
      `arn:aws:bedrock:*::foundation-model/${BEDROCK_MODEL}`,
      `arn:aws:bedrock:::foundation-model/${BEDROCK_MODEL}`,
    ];
  }
  if (modelId.startsWith("arn:")) return [modelId];
  const base = modelId.replace(PROFILE_PREFIX, "");
  if (base === modelId) return [`arn:aws:bedrock:*::foundation-model/${modelId}`];
  return [
    interpolate`arn:aws:bedrock:*:${account}:inference-profile/${modelId}`,
    `arn:aws:bedrock:*::foundation-model/${base}`,
    ...(modelId.startsWith("global.") ? [`arn:aws:bedrock:::foundation-model/${base}`] : []),
  ];
}
