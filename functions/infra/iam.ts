/**
 * Least-privilege IAM for the SST app: every statement names its actions (never `*` or a wildcard
 * action), and resources are scoped to ARNs wherever the service supports resource-level
 * permissions. The exceptions are listed here with their reasons, and test/infra checks the app
 * against them.
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
};

/**
 * AWS managed policies attached to function roles, with the reason. Drift detection reads every
 * checked resource with the caller's own permissions, across every service a template may use, so a
 * hand-written list would lag behind the templates; the managed read-only policy is the documented,
 * maintained choice.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html
 */
export const MANAGED_POLICIES: Readonly<Record<string, string>> = {
  "arn:aws:iam::aws:policy/ReadOnlyAccess":
    "drift detection reads each checked resource (ec2:Describe*, s3:GetBucket*, …) with the caller's permissions",
};

/** The ReadOnlyAccess managed policy ARN. */
export const READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/** What the handlers call on CloudFormation stacks; resource-scoped to the account's stacks. */
export const STACK_READ_ACTIONS = [
  "cloudformation:DescribeStackResources",
  "cloudformation:ListStackResources",
  "cloudformation:DescribeStacks",
  "cloudformation:GetTemplate",
] as const;

/** Targeted drift detection (on-settle). */
export const RESOURCE_DRIFT_ACTIONS = ["cloudformation:DetectStackResourceDrift"] as const;

/** Stack-wide drift detection (the sweep). */
export const STACK_DRIFT_ACTIONS = [
  "cloudformation:DetectStackDrift",
  "cloudformation:DescribeStackResourceDrifts",
] as const;

/** Unscoped drift actions (see {@link WILDCARD_RESOURCE_ACTIONS}). */
export const DRIFT_WILDCARD_ACTIONS = [
  "cloudformation:DescribeStackDriftDetectionStatus",
  "cloudformation:BatchDescribeTypeConfigurations",
] as const;

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
 */
export function bedrockResources<O>(
  modelId: string,
  account: O,
  interpolate: (strings: TemplateStringsArray, ...values: unknown[]) => O,
): Input<string, O>[] {
  if (modelId.startsWith("arn:")) return [modelId];
  const base = modelId.replace(PROFILE_PREFIX, "");
  if (base === modelId) return [`arn:aws:bedrock:*::foundation-model/${modelId}`];
  return [
    interpolate`arn:aws:bedrock:*:${account}:inference-profile/${modelId}`,
    `arn:aws:bedrock:*::foundation-model/${base}`,
    ...(modelId.startsWith("global.") ? [`arn:aws:bedrock:::foundation-model/${base}`] : []),
  ];
}
