/**
 * The write-API catalog: which CloudTrail events change which CloudFormation-managed resources.
 *
 * One entry per API. An entry names the resource type(s) the call touches and where in the record the
 * physical id comes from, so adding an API is one line in `entries.ts`.
 */

/** CloudFormation resource type, e.g. `AWS::EC2::SecurityGroup`. */
export type ResourceType = `AWS::${string}::${string}`;

/**
 * What the call does to the resource(s) it names.
 * - `modify`: changes configuration a template may declare (drift candidate).
 * - `delete`: removes a resource; a deleted stack resource is drift too.
 * - `create`: creates a new top-level resource, which cannot belong to a stack yet (ignored).
 * - `operational`: changes runtime state a template does not declare (stop, reboot, failover; ignored).
 */
export const EFFECTS = ["modify", "delete", "create", "operational"] as const;
export type Effect = (typeof EFFECTS)[number];

/**
 * Where a touched resource's physical id comes from.
 *
 * `from` is a path into the record, relative to `requestParameters` unless it starts with
 * `responseElements.` or `resources[]`. `[]` walks every element of an array (or of an EC2
 * `{items: [...]}` wrapper), and `a|b` tries alternatives left to right, first hit wins. Lookups are
 * case-insensitive, so SIEM exports with lowercased keys resolve the same.
 *
 * `type` is either a fixed CloudFormation type, `"arn"` (the value is an ARN: type and id derive from it),
 * or `"ec2-id"` (the value is an EC2 id whose prefix names the type: `sg-`, `i-`, `vpc-`, ...).
 */
export interface ResourceSpec {
  readonly type: ResourceType | "arn" | "ec2-id";
  readonly from: string;
}

export interface CatalogEntry {
  /** Service prefix: eventSource is `<service>.amazonaws.com`, the EventBridge source `aws.<service>`. */
  readonly service: string;
  /** The API name as CloudTrail writes it, without any version suffix. */
  readonly event: string;
  /** CloudTrail appends an API version (`UpdateFunctionConfiguration20150331v2`): match by prefix. */
  readonly versioned?: boolean;
  readonly effect: Effect;
  /** Resources the call touches; empty for `create` and `operational`. */
  readonly touches: readonly ResourceSpec[];
}

/** A touched resource, identified the way CloudFormation stores it. */
export interface ResourceRef {
  readonly type: ResourceType;
  /** The physical id CloudFormation stores (DescribeStackResources `PhysicalResourceId`). */
  readonly id: string;
}
