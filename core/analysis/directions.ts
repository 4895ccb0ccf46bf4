import type { ContextChange } from "./types.ts";
import { asBoolean, asNumber } from "./values.ts";

/**
 * The one table of "stronger/weaker" directions per property (DESIGN §3): for each protective
 * setting, which way makes the stack safer. The guardrails (a weakening of a guarded setting is
 * never written into the template), the rules analyzer (a strengthening is kept with high
 * confidence) and the prompt (each change's context says its direction) all read it, so the three
 * cannot disagree about what hardening is.
 *
 * A setting's level is a number, higher is stronger; a change's direction compares the template's
 * level with the live one. `undefined` means the value does not say (an intrinsic, a redacted
 * value), and then nothing is concluded.
 */

/** What a protective setting protects: the severity reason its weakening carries. */
export type Concern = "security" | "data safety" | "observability";

/** The guardrail a weakening violates (a subset of `GUARDRAIL_RULES`, named here to avoid a cycle). */
export type WeakeningRule =
  | "public-s3-access"
  | "encryption-disabled"
  | "deletion-protection-disabled"
  | "backup-retention-shortened"
  | "logging-disabled"
  | "protection-weakened";

export interface DirectionEntry {
  /** Short name for reasoning and the prompt: `versioning`, `default encryption`. */
  readonly what: string;
  readonly concern: Concern;
  /** CloudFormation types it applies to. */
  readonly types: RegExp;
  /** Property paths (JSON pointer) it applies to: the setting itself or the object holding it. */
  readonly path: RegExp;
  /** The setting's level in a value at that path; higher is stronger. */
  level(value: unknown): number | undefined;
  /** The guardrail a weakening violates; absent when a weaker value may still be legitimate. */
  readonly guardrail?: WeakeningRule;
}

export type Direction = "stronger" | "weaker" | "same";

export interface ChangeDirection {
  readonly entry: DirectionEntry;
  readonly direction: Direction;
  readonly from: number;
  readonly to: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A flag at the path, or inside the object at the path (`{PointInTimeRecoveryEnabled: true}`). Absent is off. */
function flag(...keys: readonly string[]) {
  return (value: unknown): number | undefined => {
    if (value === null || value === undefined) return 0;
    const direct = asBoolean(value);
    if (direct !== undefined) return direct ? 1 : 0;
    if (!isObject(value)) return undefined;
    for (const key of keys) {
      if (key in value) {
        const inner = asBoolean(value[key]);
        return inner === undefined ? undefined : inner ? 1 : 0;
      }
    }
    return undefined;
  };
}

/** A flag where `true` is the weaker side (`PubliclyAccessible`). */
function inverseFlag(...keys: readonly string[]) {
  const on = flag(...keys);
  return (value: unknown): number | undefined => {
    if (value === null || value === undefined) return 1;
    const level = on(value);
    return level === undefined ? undefined : 1 - level;
  };
}

/** A configuration whose presence is the protection (`BucketEncryption`, `LoggingConfiguration`). */
function present(value: unknown): number | undefined {
  if (value === null || value === undefined) return 0;
  if (isObject(value) || (Array.isArray(value) && value.length > 0)) return 1;
  return undefined;
}

/** A key named (an ARN, an alias, an id): named 1, none 0. */
function named(value: unknown): number | undefined {
  if (value === null || value === undefined || value === "") return 0;
  return typeof value === "string" ? 1 : undefined;
}

/** S3 versioning: `Enabled` is on; `Suspended` or none is off. */
function versioning(value: unknown): number | undefined {
  if (value === null || value === undefined) return 0;
  const status = isObject(value) ? value.Status : value;
  if (typeof status !== "string") return undefined;
  return status.toLowerCase() === "enabled" ? 1 : 0;
}

const PUBLIC_ACCESS_FLAGS = [
  "BlockPublicAcls",
  "BlockPublicPolicy",
  "IgnorePublicAcls",
  "RestrictPublicBuckets",
];

/** The public access block: how many of its four flags are on (a flag alone is 0 or 1). */
function publicAccessBlock(value: unknown): number | undefined {
  if (value === null || value === undefined) return 0;
  const alone = asBoolean(value);
  if (alone !== undefined) return alone ? 1 : 0;
  if (!isObject(value)) return undefined;
  return PUBLIC_ACCESS_FLAGS.filter((f) => asBoolean(value[f]) === true).length;
}

/** S3 default encryption: none 0, SSE-S3 (`AES256`) 1, SSE-KMS 2, dual-layer SSE-KMS 3. */
function sseAlgorithm(value: unknown): number | undefined {
  if (value === null || value === undefined) return 0;
  if (typeof value !== "string") return undefined;
  const levels: Readonly<Record<string, number>> = { aes256: 1, "aws:kms": 2, "aws:kms:dsse": 3 };
  return levels[value.toLowerCase()];
}

/** S3 object ownership: `ObjectWriter` (ACLs decide) 0, `BucketOwnerPreferred` 1, `BucketOwnerEnforced` (ACLs off) 2. */
function objectOwnership(value: unknown): number | undefined {
  const levels: Readonly<Record<string, number>> = {
    objectwriter: 0,
    bucketownerpreferred: 1,
    bucketownerenforced: 2,
  };
  return typeof value === "string" ? levels[value.toLowerCase()] : value === null ? 0 : undefined;
}

/** A retention: more days (or hours) keep more; none is 0. */
function retention(value: unknown): number | undefined {
  if (value === null || value === undefined) return 0;
  return asNumber(value);
}

/** A load balancer attribute `{Key: "access_logs.s3.enabled", Value: "true"}`; `undefined` for other keys. */
function accessLogAttribute(value: unknown): number | undefined {
  if (!isObject(value)) return value === null ? 0 : undefined;
  const key = value.Key ?? value.key;
  if (key !== "access_logs.s3.enabled") return undefined;
  const on = asBoolean(value.Value ?? value.value);
  return on === undefined ? undefined : on ? 1 : 0;
}

/**
 * An ELBv2 listener's TLS security policy: the oldest protocol it accepts. TLS 1.0 is 1, 1.1 is 2,
 * 1.2 is 3, 1.3 only is 4; inside one minimum, a restricted cipher set (`-Res-`) is half a step
 * stronger and an extended one (`-Ext`, with CBC and SHA-1 ciphers) half a step weaker. The dated
 * policies without a version (`ELBSecurityPolicy-2016-08`, `-2015-05`, `-FS-2018-06`) accept TLS 1.0,
 * `ELBSecurityPolicy-TLS-1-0-2015-04` with 3DES too. No policy is CloudFormation's default,
 * `ELBSecurityPolicy-2016-08` (TLS 1.0). A name it does not know says nothing.
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
 */
function tlsPolicy(value: unknown): number | undefined {
  if (value === null || value === undefined) return 1;
  if (typeof value !== "string") return undefined;
  const name = value.trim();
  if (/^ELBSecurityPolicy-TLS-1-0-2015-04$/i.test(name)) return 0.5;
  if (/^ELBSecurityPolicy-(FS-)?20\d\d-\d\d$/i.test(name)) return 1;
  const version = /^ELBSecurityPolicy-(?:TLS13-|TLS-|FS-)1-([0-3])-(.*)$/i.exec(name);
  if (version === null) return undefined;
  const [, minor, rest = ""] = version;
  const base = Number(minor) + 1;
  if (/(^|-)Res(-|$)/i.test(rest)) return base + 0.5;
  if (/(^|-)Ext\d?(-|$)/i.test(rest)) return base - 0.5;
  return base;
}

/** A CIDR's prefix length; `undefined` when not a CIDR. */
function prefix(cidr: string): number | undefined {
  const match = /\/(\d{1,3})$/.exec(cidr.trim());
  return match ? Number(match[1]) : undefined;
}

const PRIVATE = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|f[cd][0-9a-f]{0,2}:)/i;

/**
 * How narrow an ingress source is: the whole internet (prefix 0) is 0; a public range 1 + prefix/256;
 * a private range (RFC 1918, fc00::/7) or a security group 2 + prefix/256, so narrowing inside a
 * category is stronger too. A removed rule (no source) admits nothing: 3.
 */
export function sourceLevel(value: unknown): number | undefined {
  if (value === null || value === undefined) return 3;
  if (isObject(value)) {
    if (typeof value.SourceSecurityGroupId === "string" || typeof value.SourcePrefixListId === "string")
      return 2.5;
    const cidr = value.CidrIp ?? value.CidrIpv6;
    return typeof cidr === "string" ? sourceLevel(cidr) : undefined;
  }
  if (typeof value !== "string") return undefined;
  if (value.startsWith("sg-")) return 2.5;
  const bits = prefix(value);
  if (bits === undefined) return undefined;
  if (bits === 0) return 0;
  return (PRIVATE.test(value) ? 2 : 1) + bits / 256;
}

const RDS = /^AWS::(RDS::DB(Instance|Cluster)|Neptune::DBCluster|DocDB::DBCluster)$/;

/**
 * The table. One row per protective setting; the first row matching a change's type and path
 * decides. Adding a row makes the guardrails, the rules and the prompt agree on it at once.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Point-in-time-recovery.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html
 */
export const DIRECTIONS: readonly DirectionEntry[] = [
  {
    what: "versioning",
    concern: "data safety",
    types: /^AWS::S3::Bucket$/,
    path: /^\/VersioningConfiguration(\/Status)?$/,
    level: versioning,
    guardrail: "protection-weakened",
  },
  {
    what: "default encryption",
    concern: "security",
    types: /^AWS::S3::Bucket$/,
    path: /^\/BucketEncryption$/,
    level: present,
    guardrail: "encryption-disabled",
  },
  {
    what: "the public access block",
    concern: "security",
    types: /^AWS::S3::Bucket$/,
    path: /^\/PublicAccessBlockConfiguration(\/\w+)?$/,
    level: publicAccessBlock,
    guardrail: "public-s3-access",
  },
  {
    what: "the encryption algorithm",
    concern: "security",
    types: /^AWS::S3::Bucket$/,
    path: /^\/BucketEncryption\/ServerSideEncryptionConfiguration\/\d+\/ServerSideEncryptionByDefault\/SSEAlgorithm$/,
    level: sseAlgorithm,
    guardrail: "encryption-disabled",
  },
  {
    what: "the customer managed encryption key",
    concern: "security",
    types: /^AWS::(S3::Bucket|SQS::Queue|SNS::Topic)$/,
    path: /^(\/BucketEncryption\/ServerSideEncryptionConfiguration\/\d+\/ServerSideEncryptionByDefault\/KMSMasterKeyID|\/KmsMasterKeyId)$/,
    level: named,
  },
  {
    what: "object ownership enforced",
    concern: "security",
    types: /^AWS::S3::Bucket$/,
    path: /^\/OwnershipControls\/Rules\/\d+\/ObjectOwnership$/,
    level: objectOwnership,
    guardrail: "protection-weakened",
  },
  {
    what: "access logging",
    concern: "observability",
    types: /^AWS::CloudFront::Distribution$/,
    path: /^\/DistributionConfig\/Logging$/,
    level: present,
    guardrail: "logging-disabled",
  },
  {
    what: "key rotation",
    concern: "security",
    types: /^AWS::KMS::Key$/,
    path: /^\/EnableKeyRotation$/,
    level: flag(),
    guardrail: "protection-weakened",
  },
  {
    what: "queue encryption",
    concern: "security",
    types: /^AWS::SQS::Queue$/,
    path: /^\/SqsManagedSseEnabled$/,
    level: flag(),
    guardrail: "protection-weakened",
  },
  {
    what: "access logging",
    concern: "observability",
    types: /^AWS::S3::Bucket$/,
    path: /^\/LoggingConfiguration$/,
    level: present,
    guardrail: "logging-disabled",
  },
  {
    what: "access logging",
    concern: "observability",
    types: /^AWS::ElasticLoadBalancingV2::LoadBalancer$/,
    path: /^\/LoadBalancerAttributes\/\d+$/,
    level: accessLogAttribute,
    guardrail: "logging-disabled",
  },
  {
    what: "the TLS policy",
    concern: "security",
    types: /^AWS::ElasticLoadBalancingV2::Listener$/,
    path: /^\/SslPolicy$/,
    level: tlsPolicy,
    guardrail: "protection-weakened",
  },
  {
    what: "trail logging",
    concern: "observability",
    types: /^AWS::CloudTrail::Trail$/,
    path: /^\/(IsLogging|EnableLogFileValidation|IsMultiRegionTrail)$/,
    level: flag(),
    guardrail: "logging-disabled",
  },
  {
    what: "storage encryption",
    concern: "security",
    types: /./,
    path: /^\/(StorageEncrypted|Encrypted|KmsEncrypted)$/,
    level: flag(),
    guardrail: "encryption-disabled",
  },
  {
    what: "encryption at rest",
    concern: "security",
    types: /^AWS::DynamoDB::(Table|GlobalTable)$/,
    path: /^\/SSESpecification(\/SSEEnabled)?$/,
    level: flag("SSEEnabled"),
    guardrail: "encryption-disabled",
  },
  {
    what: "point-in-time recovery",
    concern: "data safety",
    types: /^AWS::DynamoDB::(Table|GlobalTable)$/,
    path: /^\/PointInTimeRecoverySpecification(\/PointInTimeRecoveryEnabled)?$/,
    level: flag("PointInTimeRecoveryEnabled"),
    guardrail: "backup-retention-shortened",
  },
  {
    what: "deletion protection",
    concern: "data safety",
    types: /./,
    path: /^\/(DeletionProtection|DeletionProtectionEnabled|DisableApiTermination|EnableTerminationProtection)$/,
    level: flag(),
    guardrail: "deletion-protection-disabled",
  },
  {
    what: "backup retention",
    concern: "data safety",
    types: /./,
    path: /^\/(BackupRetentionPeriod|SnapshotRetentionLimit|RetentionPeriodHours)$/,
    level: retention,
    guardrail: "backup-retention-shortened",
  },
  {
    what: "Multi-AZ",
    concern: "data safety",
    types: RDS,
    path: /^\/MultiAZ$/,
    level: flag(),
    guardrail: "protection-weakened",
  },
  {
    what: "public accessibility",
    concern: "security",
    types: RDS,
    path: /^\/PubliclyAccessible$/,
    level: inverseFlag(),
    guardrail: "protection-weakened",
  },
  {
    what: "ingress source",
    concern: "security",
    types: /^AWS::EC2::SecurityGroup(Ingress)?$/,
    path: /^(\/SecurityGroupIngress\/\d+(\/(CidrIp|CidrIpv6))?|\/(CidrIp|CidrIpv6))$/,
    level: sourceLevel,
  },
];

/** The table's row for a change's type and property path, if any. */
export function directionEntry(
  change: Pick<ContextChange, "resourceType" | "propertyPath">,
): DirectionEntry | undefined {
  return DIRECTIONS.find((d) => d.types.test(change.resourceType) && d.path.test(change.propertyPath));
}

/**
 * The direction of writing `to` where the template has `from` (by default the change's own
 * expected ► actual), or `undefined` when no row applies or a value does not say. A whole
 * resource (`""`) has no direction.
 */
export function directionOf(
  change: Pick<ContextChange, "resourceType" | "propertyPath" | "expected" | "actual">,
  to: unknown = change.actual,
  from: unknown = change.expected,
): ChangeDirection | undefined {
  if (change.propertyPath === "") return undefined;
  const entry = directionEntry(change);
  if (entry === undefined) return undefined;
  const a = entry.level(from);
  const b = entry.level(to);
  if (a === undefined || b === undefined) return undefined;
  return { entry, direction: b > a ? "stronger" : b < a ? "weaker" : "same", from: a, to: b };
}

/**
 * `stronger: versioning (data safety)`, or for a guarded weakening `weaker: backup retention (data
 * safety; guardrail backup-retention-shortened)`: what the prompt says of a direction.
 */
export function describeDirection(d: ChangeDirection): string {
  const guarded = d.direction === "weaker" && d.entry.guardrail !== undefined;
  return `${d.direction}: ${d.entry.what} (${d.entry.concern}${guarded ? `; guardrail ${d.entry.guardrail}` : ""})`;
}
