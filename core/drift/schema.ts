import { z } from "zod";

/**
 * Permissive schemas for CloudFormation's drift and stack-resource payloads: API responses as the SDK
 * returns them (`Timestamp` is a `Date`), CLI output (`Timestamp` is a string), and recorded scenario
 * files. Only the fields Phantom reads are listed; unknown fields pass through untouched.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackResourceDrift.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResources.html
 */

/** A string CloudFormation may omit, send empty, or (in hand-made recordings) send as a number. */
const optionalString = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (v === null || v === undefined || v === "" ? undefined : String(v)));

/** A time as the SDK (`Date`), the CLI (ISO string) or a recording (epoch ms) gives it. */
const looseTime = z.union([z.string(), z.number(), z.date(), z.null()]).optional();

/** One entry of `PropertyDifferences`; values are strings on the wire, kept `unknown` here. */
export const propertyDifferenceSchema = z.looseObject({
  PropertyPath: z.string(),
  ExpectedValue: z.unknown().optional(),
  ActualValue: z.unknown().optional(),
  DifferenceType: optionalString,
});

/**
 * A `StackResourceDrift`. `ExpectedProperties` / `ActualProperties` are JSON strings from the API and
 * objects in some recordings, so both are accepted.
 */
export const stackResourceDriftSchema = z.looseObject({
  StackId: optionalString,
  LogicalResourceId: z.string().min(1),
  PhysicalResourceId: optionalString,
  ResourceType: optionalString,
  ExpectedProperties: z.unknown().optional(),
  ActualProperties: z.unknown().optional(),
  PropertyDifferences: z.array(propertyDifferenceSchema).nullish(),
  StackResourceDriftStatus: optionalString,
  DriftStatusReason: optionalString,
  Timestamp: looseTime,
});
export type RawStackResourceDrift = z.infer<typeof stackResourceDriftSchema>;

/**
 * `DetectStackResourceDrift` output.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackResourceDrift.html
 */
export const detectStackResourceDriftOutputSchema = z.looseObject({
  StackResourceDrift: stackResourceDriftSchema,
});

/**
 * `DescribeStackResourceDrifts` output.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResourceDrifts.html
 */
export const describeStackResourceDriftsOutputSchema = z.looseObject({
  StackResourceDrifts: z.array(stackResourceDriftSchema),
});

/** One `StackResource` of `DescribeStackResources`. `PhysicalResourceId` is absent for failed creates. */
export const stackResourceSchema = z.looseObject({
  StackName: optionalString,
  StackId: optionalString,
  LogicalResourceId: z.string().min(1),
  PhysicalResourceId: optionalString,
  ResourceType: z.string().min(1),
  ResourceStatus: optionalString,
});
export type RawStackResource = z.infer<typeof stackResourceSchema>;

/** A stack tag as `DescribeStacks` gives it. */
export const stackTagSchema = z.looseObject({ Key: z.string().min(1), Value: z.string() });

/**
 * A recorded `account/stacks/<Stack>.json` (DESIGN §4): `DescribeStackResources` output plus the
 * stack's optional `Tags`.
 */
export const stackResourcesDocumentSchema = z.looseObject({
  StackResources: z.array(stackResourceSchema),
  Tags: z.array(stackTagSchema).nullish(),
});
export type StackResourcesDocument = z.infer<typeof stackResourcesDocumentSchema>;

/**
 * Resource statuses that mean the stack no longer manages the resource. `DescribeStackResources`
 * still lists a deleted stack's resources for 90 days, and a retained resource (`DeletionPolicy:
 * Retain`) lives on as `DELETE_SKIPPED`: both are unmanaged now.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResources.html
 */
export const GONE_RESOURCE_STATUSES: readonly string[] = ["DELETE_COMPLETE", "DELETE_SKIPPED"];

/** Formats zod issues as `path: message` lines, `(top level)` for the root. */
export function formatIssues(error: z.ZodError, prefix = ""): string[] {
  return error.issues.map((i) => {
    const where = [prefix, ...i.path.map(String)].filter((s) => s !== "").join(".");
    return `${where || "(top level)"}: ${i.message}`;
  });
}
