/**
 * Drift facts, normalised from CloudFormation's `StackResourceDrift`.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackResourceDrift.html
 */

/**
 * MODIFIED / DELETED / IN_SYNC are CloudFormation's verdicts. NOT_CHECKED and UNSUPPORTED mean
 * CloudFormation could not look; UNKNOWN means Phantom could not get an answer (throttled, failed,
 * not recorded). Only IN_SYNC is clean: "not checked" is never treated as clean.
 */
export const DRIFT_STATUSES = [
  "MODIFIED",
  "DELETED",
  "IN_SYNC",
  "NOT_CHECKED",
  "UNSUPPORTED",
  "UNKNOWN",
] as const;
export type DriftStatus = (typeof DRIFT_STATUSES)[number];

export const DIFFERENCE_TYPES = ["ADD", "REMOVE", "NOT_EQUAL"] as const;
export type DifferenceType = (typeof DIFFERENCE_TYPES)[number];

export interface PropertyDifference {
  /** JSON-pointer form, as CloudFormation reports it: `/SecurityGroupIngress/2`, `/Tags/1/Value`. */
  readonly path: string;
  readonly type: DifferenceType;
  /** The template's value, parsed from CloudFormation's JSON string where it is JSON. */
  readonly expected: unknown;
  /** The live value, parsed likewise. */
  readonly actual: unknown;
  /**
   * Who found the difference: CloudFormation drift detection (`drift`, or absent), the live state read
   * through Cloud Control where drift detection is blind (`cloudcontrol`), or the window's CloudTrail
   * requests where Cloud Control could not read either (`request`).
   */
  readonly source?: DifferenceSource;
  /**
   * Set when the template declares the item (or would) as a separate resource attached to this one:
   * an `AWS::EC2::SecurityGroupIngress` rule of a group, an `AWS::IAM::Policy` of a role, a bucket's
   * `AWS::S3::BucketPolicy`. `logicalId` names the declaring resource when there is one; without it,
   * the item is new and a new resource of `type` is where a template would declare it.
   */
  readonly attachment?: { readonly type: string; readonly logicalId?: string };
}

export const DIFFERENCE_SOURCES = ["drift", "cloudcontrol", "request"] as const;
export type DifferenceSource = (typeof DIFFERENCE_SOURCES)[number];

export interface ResourceDrift {
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly type?: string;
  readonly status: DriftStatus;
  readonly differences: readonly PropertyDifference[];
  /** The template's properties as CloudFormation resolved them (ExpectedProperties), when given. */
  readonly expectedProperties?: unknown;
  /** The live properties CloudFormation read (ActualProperties), when given. */
  readonly actualProperties?: unknown;
  /** ISO time CloudFormation checked the resource. */
  readonly checkedAt?: string;
  /** Why the status is not a plain answer: what CloudFormation cannot see, or why the check failed. */
  readonly note?: string;
  /**
   * Logical ids whose window events changed this resource when it was not touched itself: a separate
   * attachment (a bucket's `AWS::S3::BucketPolicy`) changed through the resource it targets.
   */
  readonly changedThrough?: readonly string[];
}

/** The result of a targeted drift check. */
export interface DriftReport {
  readonly resources: readonly ResourceDrift[];
  /** DetectStackResourceDrift calls made, retries included. */
  readonly calls: number;
  /** Cloud Control GetResource reads made where drift detection was blind (`seeBlindSpots`). */
  readonly liveReads?: number;
}
