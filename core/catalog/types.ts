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
 * - `delete`: removes a resource; a deleted stack resource is drift too. Removing a link or attachment a
 *   template declares as its own resource (`DisassociateRouteTable`, `DeleteBackupSelection`) is a delete.
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
  /**
   * Only when the record's field has one of these values: one API that names several kinds of resource
   * in one field (SSM's `AddTagsToResource` with `resourceType: "Parameter"` or `"Document"`).
   */
  readonly when?: FieldCondition;
}

/**
 * A request value to test: the field at `field` (a path as in {@link ResourceSpec.from}) holds one of
 * `is`. Values compare as text, case-insensitively, so a SIEM export's `"true"` matches `true`.
 */
export interface FieldCondition {
  readonly field: string;
  readonly is: readonly (string | number | boolean)[];
}

/**
 * A request value the entry's effect depends on. The entry's own `effect` holds only when the field
 * has one of the values in `is`; any other value, or none, gives `otherwise`. `ssm:PutParameter`
 * modifies a parameter only with `overwrite: true`, and creates a new one (no stack owns it yet)
 * without.
 *
 * The entry's `effect` is the one that can make drift (the consequential one): a reader that ignores
 * the condition watches too much, never too little.
 */
export interface EffectCondition extends FieldCondition {
  readonly otherwise: Effect;
}

export interface CatalogEntry {
  /** Service prefix: eventSource is `<service>.amazonaws.com`, the EventBridge source `aws.<service>`. */
  readonly service: string;
  /** The API name as CloudTrail writes it, without any version suffix. */
  readonly event: string;
  /** CloudTrail appends an API version (`UpdateFunctionConfiguration20150331v2`): match by prefix. */
  readonly versioned?: boolean;
  readonly effect: Effect;
  /** When set, `effect` holds only for these request values (see {@link EffectCondition}). */
  readonly when?: EffectCondition;
  /** Resources the call touches; empty for `create` and `operational`. */
  readonly touches: readonly ResourceSpec[];
  /**
   * Types a template may declare as separate resources that this call changes through the resources
   * it touches: `PutBucketPolicy` on a bucket changes its `AWS::S3::BucketPolicy`, `AddPermission` on a
   * function its `AWS::Lambda::Permission`. Their changes are read on the touched resource; listed for
   * coverage (`phantom pattern --coverage`) and for readers that fold attachments into their target.
   */
  readonly alsoChanges?: readonly ResourceType[];
}

/** A touched resource, identified the way CloudFormation stores it. */
export interface ResourceRef {
  readonly type: ResourceType;
  /** The physical id CloudFormation stores (DescribeStackResources `PhysicalResourceId`). */
  readonly id: string;
}
