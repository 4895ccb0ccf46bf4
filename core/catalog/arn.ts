/**
 * ARN parsing and the partition facts needed to build ARNs and endpoints the way AWS writes them.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */

/** An ARN split into its fixed fields: `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export interface Arn {
  readonly partition: string;
  readonly service: string;
  /** Empty for global resources (IAM, S3 buckets, CloudFront). */
  readonly region: string;
  /** Empty for S3 buckets; `aws` for AWS-managed IAM policies. */
  readonly account: string;
  /** Everything after the fifth colon, colons included (`function:name:alias`, `log-group:name:*`). */
  readonly resource: string;
}

/** `aws`, `aws-cn`, `aws-us-gov` and the other `aws-*` partitions. */
const PARTITION = /^aws(?:-[a-z]+)*$/;
const SERVICE = /^[a-z0-9][a-z0-9-]*$/;

/** Parses an ARN; `undefined` when the text is not one (wrong prefix, partition or field count). */
export function parseArn(text: string): Arn | undefined {
  const value = text.trim();
  if (!value.startsWith("arn:")) return undefined;
  const parts = value.split(":");
  if (parts.length < 6) return undefined;
  const [, partition = "", service = "", region = "", account = ""] = parts;
  const resource = parts.slice(5).join(":");
  if (!PARTITION.test(partition) || !SERVICE.test(service) || resource === "") return undefined;
  return { partition, service, region, account, resource };
}

/** Whether the text looks like an ARN at all (cheap check before parsing). */
export function isArn(text: string): boolean {
  return parseArn(text) !== undefined;
}

/**
 * The partition a region belongs to: `cn-*` ► `aws-cn`, `us-gov-*` ► `aws-us-gov`, else `aws`.
 * @see https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html
 */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The DNS suffix of service endpoints in a partition (`amazonaws.com`, or `amazonaws.com.cn` in China). */
export function dnsSuffixOf(partition: string): string {
  return partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
}

/** A region-shaped DNS label or ARN field: `us-east-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-4`. */
export const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
