import { serviceOf } from "./catalog.ts";
import type { ResourceType } from "./types.ts";

/**
 * Which CloudFormation properties a write API sets, and to what: one table, `service:API` ► a reader
 * of the call's `requestParameters` that returns the property writes in CloudFormation's names and
 * value shapes. Drift detection only compares properties a template sets, so this table is how
 * Phantom knows which undeclared property a console call changed (reported only then: AWS fills in
 * defaults everywhere else), and, where Cloud Control cannot read the resource, what the call
 * changed (the request fallback).
 *
 * Request keys are matched case-insensitively (SIEM exports lowercase them) and JSON-string values
 * (Athena, CloudTrail Lake) are parsed. An API whose values cannot be read back from the request (a
 * redacted S3 configuration, a patch list) still names the property it touched (`touch`).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html
 */

/** What a call does to one property. */
export type PropertyOp =
  /** The property becomes `value`. */
  | { readonly kind: "set"; readonly value: unknown }
  /** The property is removed (back to AWS's default). */
  | { readonly kind: "remove" }
  /** A set-like list gains these items (security group rules, managed policy ARNs). */
  | { readonly kind: "add-items"; readonly items: readonly unknown[] }
  /** A set-like list loses these items. */
  | { readonly kind: "remove-items"; readonly items: readonly unknown[] }
  /** Items keep their identity and get new fields (a rule's description). */
  | { readonly kind: "update-items"; readonly items: readonly unknown[] }
  /** A list keyed by `key` (Tags by `Key`, Policies by `PolicyName`) gains or replaces these items. */
  | { readonly kind: "put-keyed"; readonly key: string; readonly items: readonly Record<string, unknown>[] }
  /** A keyed list loses the items with these keys. */
  | { readonly kind: "remove-keyed"; readonly key: string; readonly keys: readonly string[] }
  /** The call set the property, but its value cannot be read from the request. */
  | { readonly kind: "touch" };

export interface PropertyWrite {
  /**
   * The type whose property this is when it is not the touched resource's own: an attachment a
   * template declares separately (`AWS::S3::BucketPolicy` for `PutBucketPolicy` on a bucket).
   */
  readonly type?: ResourceType;
  /** JSON pointer into the resource's `Properties`: `/ReservedConcurrentExecutions`. */
  readonly path: string;
  readonly op: PropertyOp;
}

type Request = Readonly<Record<string, unknown>>;
type Reader = (request: Request) => PropertyWrite[];

// --- reading requests ----------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON string (an Athena export, an IAM policy document) as the value it holds. */
export function parsedJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (!text.startsWith("{") && !text.startsWith("[")) return value;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    try {
      return JSON.parse(decodeURIComponent(text)) as unknown;
    } catch {
      return value;
    }
  }
}

/** One field, case-insensitively; EC2's `{"value": x}` wrappers unwrapped. */
function field(object: unknown, name: string): unknown {
  const record = parsedJson(object);
  if (!isRecord(record)) return undefined;
  let value: unknown = record[name];
  if (value === undefined) {
    const lower = name.toLowerCase();
    const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
    value = key === undefined ? undefined : record[key];
  }
  return parsedJson(value);
}

/** A dotted path of fields: `ipPermissions.items`. */
function at(object: unknown, path: string): unknown {
  let value: unknown = object;
  for (const name of path.split(".")) {
    value = field(value, name);
    if (value === undefined || value === null) return undefined;
  }
  return value;
}

/** EC2's `{"value": x}` wrapper, or the value itself. */
function unwrap(value: unknown): unknown {
  if (isRecord(value) && Object.keys(value).length === 1 && "value" in value) return value.value;
  if (isRecord(value) && Object.keys(value).length === 1 && "Value" in value) return value.Value;
  return value;
}

/** A list as EC2 (`{"items": [...]}`), S3's XML (`{"Tag": x}` for one item) or JSON writes it. */
function list(value: unknown): unknown[] {
  if (value === undefined || value === null || value === "") return [];
  if (Array.isArray(value)) return value;
  if (isRecord(value)) {
    const items = field(value, "items") ?? field(value, "item");
    if (items !== undefined) return list(items);
    if (Object.keys(value).length === 0) return [];
  }
  return [value];
}

function defined(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** A value CloudTrail hid (`HIDDEN_DUE_TO_SECURITY_REASONS`): the property was set, to something secret. */
function hidden(value: unknown): boolean {
  return typeof value === "string" && /HIDDEN_DUE_TO_SECURITY_REASONS|<sensitiveDataRemoved>/.test(value);
}

/** A `set` write when the request has the field, as `convert` reads it. */
function setFrom(
  request: Request,
  from: string,
  path: string,
  convert: (value: unknown) => unknown = (v) => v,
): PropertyWrite[] {
  const raw = unwrap(at(request, from));
  if (!defined(raw)) return [];
  if (hidden(raw)) return [{ path, op: { kind: "touch" } }];
  return [{ path, op: { kind: "set", value: convert(raw) } }];
}

/** Several request fields, each to its property: `{memorySize: "/MemorySize"}`. */
function fields(
  request: Request,
  map: Readonly<Record<string, string | readonly [string, (value: unknown) => unknown]>>,
): PropertyWrite[] {
  return Object.entries(map).flatMap(([from, to]) =>
    typeof to === "string" ? setFrom(request, from, to) : setFrom(request, from, to[0], to[1]),
  );
}

const asNumber = (value: unknown): unknown => {
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return value;
};
const asBoolean = (value: unknown): unknown => {
  if (typeof value === "string" && /^(true|false)$/i.test(value.trim()))
    return value.trim().toLowerCase() === "true";
  return value;
};

/** `{k: v}` (Lambda, SQS, Logs) or `[{key, value}]` / `[{Key, Value}]` / `[{tagKey, tagValue}]` tags as CloudFormation's `[{Key, Value}]`. */
function tagItems(value: unknown): Record<string, unknown>[] {
  const parsed = parsedJson(value);
  if (
    isRecord(parsed) &&
    !("key" in parsed) &&
    !("Key" in parsed) &&
    !("items" in parsed) &&
    !("Tag" in parsed)
  ) {
    return Object.entries(parsed).map(([Key, Value]) => ({ Key, Value }));
  }
  const items = isRecord(parsed) && "Tag" in parsed ? list(parsed.Tag) : list(parsed);
  return items.flatMap((item) => {
    const key = field(item, "key") ?? field(item, "tagKey");
    if (typeof key !== "string") return [];
    const value = field(item, "value") ?? field(item, "tagValue");
    return [{ Key: key, Value: value ?? "" }];
  });
}

const putTags = (value: unknown, path = "/Tags"): PropertyWrite[] => {
  const items = tagItems(value);
  return items.length > 0 ? [{ path, op: { kind: "put-keyed", key: "Key", items } }] : [];
};
const removeTags = (value: unknown, path = "/Tags"): PropertyWrite[] => {
  const keys = list(value)
    .map((k) => (isRecord(k) ? (field(k, "key") ?? field(k, "tagKey")) : k))
    .filter((k): k is string => typeof k === "string");
  return keys.length > 0 ? [{ path, op: { kind: "remove-keyed", key: "Key", keys } }] : [];
};

const touch = (path: string, type?: ResourceType): PropertyWrite => ({
  ...(type ? { type } : {}),
  path,
  op: { kind: "touch" },
});

// --- EC2 security group rules --------------------------------------------------------------------

/**
 * EC2 `ipPermissions` (one permission may hold several ranges and groups) as CloudFormation's one
 * rule per peer: `{IpProtocol, FromPort, ToPort, CidrIp | CidrIpv6 | SourceSecurityGroupId |
 * SourcePrefixListId, Description}` (`Destination…` for egress). The older flat form
 * (`ipProtocol`, `fromPort`, `cidrIp` at the top) is read too.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ec2-securitygroup-ingress.html
 */
export function securityGroupRules(
  request: Request,
  direction: "ingress" | "egress",
): Record<string, unknown>[] {
  const peer = direction === "ingress" ? "Source" : "Destination";
  const permissions = list(field(request, "ipPermissions"));
  const flat = field(request, "ipProtocol");
  if (flat !== undefined) permissions.push(request);
  return permissions.flatMap((permission) => {
    const protocol = field(permission, "ipProtocol");
    if (protocol === undefined) return [];
    const base: Record<string, unknown> = { IpProtocol: String(protocol) };
    const from = field(permission, "fromPort");
    const to = field(permission, "toPort");
    if (defined(from)) base.FromPort = asNumber(from);
    if (defined(to)) base.ToPort = asNumber(to);
    const rules: Record<string, unknown>[] = [];
    const described = (rule: Record<string, unknown>, item: unknown) => {
      const description = field(item, "description");
      rules.push(defined(description) ? { ...rule, Description: description } : rule);
    };
    for (const range of list(field(permission, "ipRanges"))) {
      const cidr = field(range, "cidrIp");
      if (typeof cidr === "string") described({ ...base, CidrIp: cidr }, range);
    }
    for (const range of list(field(permission, "ipv6Ranges"))) {
      const cidr = field(range, "cidrIpv6");
      if (typeof cidr === "string") described({ ...base, CidrIpv6: cidr }, range);
    }
    for (const group of list(field(permission, "groups"))) {
      const id = field(group, "groupId");
      if (typeof id === "string") described({ ...base, [`${peer}SecurityGroupId`]: id }, group);
    }
    for (const prefix of list(field(permission, "prefixListIds"))) {
      const id = field(prefix, "prefixListId");
      if (typeof id === "string") described({ ...base, [`${peer}PrefixListId`]: id }, prefix);
    }
    const cidr = field(permission, "cidrIp");
    if (typeof cidr === "string") described({ ...base, CidrIp: cidr }, permission);
    return rules;
  });
}

function ruleWrites(
  kind: "add-items" | "remove-items" | "update-items",
  direction: "ingress" | "egress",
): Reader {
  const path = direction === "ingress" ? "/SecurityGroupIngress" : "/SecurityGroupEgress";
  return (request) => {
    const items = securityGroupRules(request, direction);
    // Revoking by rule id names no rule: the list changed, the request cannot say how.
    return items.length > 0 ? [{ path, op: { kind, items } }] : [touch(path)];
  };
}

// --- Lambda --------------------------------------------------------------------------------------

/**
 * `UpdateFunctionConfiguration` fields.
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html
 */
function lambdaConfiguration(request: Request): PropertyWrite[] {
  const writes = fields(request, {
    memorySize: ["/MemorySize", asNumber],
    timeout: ["/Timeout", asNumber],
    runtime: "/Runtime",
    handler: "/Handler",
    role: "/Role",
    description: "/Description",
    kMSKeyArn: "/KMSKeyArn",
    "tracingConfig.mode": "/TracingConfig/Mode",
    "deadLetterConfig.targetArn": "/DeadLetterConfig/TargetArn",
    "ephemeralStorage.size": ["/EphemeralStorage/Size", asNumber],
    "snapStart.applyOn": "/SnapStart/ApplyOn",
    "loggingConfig.logFormat": "/LoggingConfig/LogFormat",
    "loggingConfig.logGroup": "/LoggingConfig/LogGroup",
    "loggingConfig.applicationLogLevel": "/LoggingConfig/ApplicationLogLevel",
    "loggingConfig.systemLogLevel": "/LoggingConfig/SystemLogLevel",
  });
  const layers = field(request, "layers");
  if (layers !== undefined) writes.push({ path: "/Layers", op: { kind: "set", value: list(layers) } });
  const environment = field(request, "environment");
  if (isRecord(environment)) {
    const variables = field(environment, "variables");
    writes.push(
      isRecord(variables)
        ? { path: "/Environment/Variables", op: { kind: "set", value: variables } }
        : hidden(variables)
          ? touch("/Environment/Variables")
          : Object.keys(environment).length === 0
            ? { path: "/Environment", op: { kind: "remove" } }
            : touch("/Environment/Variables"),
    );
  }
  const vpc = field(request, "vpcConfig");
  if (isRecord(vpc)) {
    for (const [from, to] of [
      ["subnetIds", "/VpcConfig/SubnetIds"],
      ["securityGroupIds", "/VpcConfig/SecurityGroupIds"],
    ] as const) {
      const ids = field(vpc, from);
      if (ids !== undefined) writes.push({ path: to, op: { kind: "set", value: list(ids) } });
    }
  }
  return writes;
}

// --- the table -----------------------------------------------------------------------------------

// --- EC2 attributes, S3 configurations, IAM documents --------------------------------------------

/**
 * `ModifyInstanceAttribute`: one attribute per call, as `{"instanceType": {"value": "m5.large"}}` or
 * the flat `{"attribute": "instanceType", "value": "m5.large"}`.
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html
 */
const INSTANCE_ATTRIBUTES: Readonly<Record<string, readonly [string, (v: unknown) => unknown]>> = {
  instanceType: ["/InstanceType", (v) => v],
  disableApiTermination: ["/DisableApiTermination", (v) => asBoolean(v)],
  disableApiStop: ["/DisableApiStop", (v) => asBoolean(v)],
  ebsOptimized: ["/EbsOptimized", (v) => asBoolean(v)],
  sourceDestCheck: ["/SourceDestCheck", (v) => asBoolean(v)],
  instanceInitiatedShutdownBehavior: ["/InstanceInitiatedShutdownBehavior", (v) => v],
  userData: ["/UserData", (v) => v],
  kernel: ["/KernelId", (v) => v],
  ramdisk: ["/RamdiskId", (v) => v],
};

function instanceAttribute(request: Request): PropertyWrite[] {
  const writes: PropertyWrite[] = [];
  const flat = field(request, "attribute");
  for (const [name, [path, convert]] of Object.entries(INSTANCE_ATTRIBUTES)) {
    const raw =
      typeof flat === "string" && flat.toLowerCase() === name.toLowerCase()
        ? field(request, "value")
        : field(request, name);
    const value = unwrap(raw);
    if (!defined(value)) continue;
    writes.push(hidden(value) ? touch(path) : { path, op: { kind: "set", value: convert(value) } });
  }
  const groups = field(request, "groupSet");
  if (groups !== undefined) {
    const ids = list(groups)
      .map((g) => field(g, "groupId"))
      .filter((id): id is string => typeof id === "string");
    writes.push({ path: "/SecurityGroupIds", op: { kind: "set", value: ids } });
  }
  return writes;
}

/** EC2 `CreateTags` / `DeleteTags`: `tagSet.items[] {key, value}`. */
const ec2Tags = (request: Request) => putTags(field(request, "tagSet"));
const ec2Untags = (request: Request) => {
  const keys = list(field(request, "tagSet"))
    .map((t) => field(t, "key"))
    .filter((k): k is string => typeof k === "string");
  return keys.length > 0 ? [{ path: "/Tags", op: { kind: "remove-keyed" as const, key: "Key", keys } }] : [];
};

/** A newer EC2 API's PascalCase request, wrapped as `{"<Action>Request": {...}}`. */
const wrapped = (request: Request, action: string) => field(request, `${action}Request`) ?? request;

/** S3 XML lists hold one item as an object and several as an array. */
const xmlList = (value: unknown) => list(value);

/**
 * `PutBucketEncryption`'s `ServerSideEncryptionConfiguration` as CloudFormation's `BucketEncryption`.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-bucketencryption.html
 */
function bucketEncryption(request: Request): PropertyWrite[] {
  const config = field(request, "ServerSideEncryptionConfiguration");
  if (!isRecord(config)) return [touch("/BucketEncryption")];
  const rules = xmlList(field(config, "Rule")).map((rule) => {
    const byDefault = field(rule, "ApplyServerSideEncryptionByDefault");
    const out: Record<string, unknown> = {};
    if (isRecord(byDefault)) {
      const sse: Record<string, unknown> = { SSEAlgorithm: field(byDefault, "SSEAlgorithm") };
      const key = field(byDefault, "KMSMasterKeyID");
      if (defined(key)) sse.KMSMasterKeyID = key;
      out.ServerSideEncryptionByDefault = sse;
    }
    const bucketKey = field(rule, "BucketKeyEnabled");
    if (defined(bucketKey)) out.BucketKeyEnabled = asBoolean(bucketKey);
    return out;
  });
  return [{ path: "/BucketEncryption/ServerSideEncryptionConfiguration", op: { kind: "set", value: rules } }];
}

function publicAccessBlock(request: Request): PropertyWrite[] {
  const config = field(request, "PublicAccessBlockConfiguration");
  if (!isRecord(config)) return [touch("/PublicAccessBlockConfiguration")];
  const value: Record<string, unknown> = {};
  for (const flag of ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]) {
    const v = field(config, flag);
    if (defined(v)) value[flag] = asBoolean(v);
  }
  return [{ path: "/PublicAccessBlockConfiguration", op: { kind: "set", value } }];
}

function bucketLogging(request: Request): PropertyWrite[] {
  const status = field(request, "BucketLoggingStatus");
  if (!isRecord(status)) return [touch("/LoggingConfiguration")];
  const enabled = field(status, "LoggingEnabled");
  if (!isRecord(enabled)) return [{ path: "/LoggingConfiguration", op: { kind: "remove" } }];
  const value: Record<string, unknown> = { DestinationBucketName: field(enabled, "TargetBucket") };
  const prefix = field(enabled, "TargetPrefix");
  if (defined(prefix)) value.LogFilePrefix = prefix;
  return [{ path: "/LoggingConfiguration", op: { kind: "set", value } }];
}

/** Canned ACLs as `AccessControl` values. */
const CANNED_ACLS: Readonly<Record<string, string>> = {
  private: "Private",
  "public-read": "PublicRead",
  "public-read-write": "PublicReadWrite",
  "authenticated-read": "AuthenticatedRead",
  "log-delivery-write": "LogDeliveryWrite",
  "bucket-owner-read": "BucketOwnerRead",
  "bucket-owner-full-control": "BucketOwnerFullControl",
  "aws-exec-read": "AwsExecRead",
};

function bucketAcl(request: Request): PropertyWrite[] {
  const raw = field(request, "x-amz-acl");
  const canned = Array.isArray(raw) ? raw[0] : raw;
  const value = typeof canned === "string" ? CANNED_ACLS[canned.toLowerCase()] : undefined;
  return value ? [{ path: "/AccessControl", op: { kind: "set", value } }] : [touch("/AccessControl")];
}

function bucketTagging(request: Request): PropertyWrite[] {
  const tagging = field(request, "Tagging");
  const set = isRecord(tagging) ? field(tagging, "TagSet") : undefined;
  if (set === undefined) return [touch("/Tags")];
  const items = tagItems(isRecord(set) && "Tag" in set ? { Tag: set.Tag } : set);
  return [{ path: "/Tags", op: { kind: "set", value: items } }];
}

function bucketPolicy(request: Request): PropertyWrite[] {
  const policy = field(request, "bucketPolicy") ?? field(request, "policy");
  return isRecord(policy)
    ? [{ type: BUCKET_POLICY, path: "/PolicyDocument", op: { kind: "set", value: policy } }]
    : [touch("/PolicyDocument", BUCKET_POLICY)];
}

/** IAM sends documents as JSON text (sometimes URL-encoded). */
const document = (value: unknown) => parsedJson(value);

function inlinePolicy(request: Request): PropertyWrite[] {
  const name = field(request, "policyName");
  const policy = document(field(request, "policyDocument"));
  if (typeof name !== "string") return [touch("/Policies")];
  return [
    {
      path: "/Policies",
      op: { kind: "put-keyed", key: "PolicyName", items: [{ PolicyName: name, PolicyDocument: policy }] },
    },
  ];
}

function inlinePolicyDeleted(request: Request): PropertyWrite[] {
  const name = field(request, "policyName");
  return typeof name === "string"
    ? [{ path: "/Policies", op: { kind: "remove-keyed", key: "PolicyName", keys: [name] } }]
    : [touch("/Policies")];
}

function managedPolicyArn(kind: "add-items" | "remove-items"): Reader {
  return (request) => {
    const arn = field(request, "policyArn");
    return typeof arn === "string" ? [{ path: "/ManagedPolicyArns", op: { kind, items: [arn] } }] : [];
  };
}

/**
 * SQS `SetQueueAttributes`: attribute names are the queue's property names, but `Policy` belongs to
 * the queue's `AWS::SQS::QueuePolicy` and `RedrivePolicy` / `RedriveAllowPolicy` are JSON text.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
 */
function queueAttributes(request: Request): PropertyWrite[] {
  const attributes = field(request, "attributes");
  if (!isRecord(attributes)) return [];
  return Object.entries(attributes).map(([name, raw]): PropertyWrite => {
    const value = parsedJson(raw);
    if (name === "Policy") {
      return isRecord(value)
        ? { type: QUEUE_POLICY, path: "/PolicyDocument", op: { kind: "set", value } }
        : defined(value)
          ? touch("/PolicyDocument", QUEUE_POLICY)
          : { type: QUEUE_POLICY, path: "/PolicyDocument", op: { kind: "remove" } };
    }
    if (!defined(value)) return { path: `/${name}`, op: { kind: "remove" } };
    return { path: `/${name}`, op: { kind: "set", value: asBoolean(asNumber(value)) } };
  });
}

/**
 * SNS `SetTopicAttributes` / `SetSubscriptionAttributes`: one `attributeName` / `attributeValue`; a
 * topic's `Policy` belongs to its `AWS::SNS::TopicPolicy`.
 */
function snsAttribute(policyType?: ResourceType): Reader {
  return (request) => {
    const name = field(request, "attributeName");
    if (typeof name !== "string") return [];
    const value = parsedJson(field(request, "attributeValue"));
    if (name === "Policy" && policyType) {
      return isRecord(value)
        ? [{ type: policyType, path: "/PolicyDocument", op: { kind: "set", value } }]
        : [touch("/PolicyDocument", policyType)];
    }
    if (!defined(value)) return [{ path: `/${name}`, op: { kind: "remove" } }];
    return [{ path: `/${name}`, op: { kind: "set", value: asBoolean(asNumber(value)) } }];
  };
}

/** RDS `ModifyDBInstance` / `ModifyDBCluster` parameters ► properties. */
const DB_FIELDS = {
  dBInstanceClass: "/DBInstanceClass",
  allocatedStorage: ["/AllocatedStorage", asNumber],
  maxAllocatedStorage: ["/MaxAllocatedStorage", asNumber],
  backupRetentionPeriod: ["/BackupRetentionPeriod", asNumber],
  multiAZ: ["/MultiAZ", asBoolean],
  deletionProtection: ["/DeletionProtection", asBoolean],
  publiclyAccessible: ["/PubliclyAccessible", asBoolean],
  storageType: "/StorageType",
  iops: ["/Iops", asNumber],
  storageThroughput: ["/StorageThroughput", asNumber],
  engineVersion: "/EngineVersion",
  autoMinorVersionUpgrade: ["/AutoMinorVersionUpgrade", asBoolean],
  preferredBackupWindow: "/PreferredBackupWindow",
  preferredMaintenanceWindow: "/PreferredMaintenanceWindow",
  dBParameterGroupName: "/DBParameterGroupName",
  optionGroupName: "/OptionGroupName",
  monitoringInterval: ["/MonitoringInterval", asNumber],
  monitoringRoleArn: "/MonitoringRoleArn",
  enablePerformanceInsights: ["/EnablePerformanceInsights", asBoolean],
  performanceInsightsRetentionPeriod: ["/PerformanceInsightsRetentionPeriod", asNumber],
  copyTagsToSnapshot: ["/CopyTagsToSnapshot", asBoolean],
  cACertificateIdentifier: "/CACertificateIdentifier",
  enableIAMDatabaseAuthentication: ["/EnableIAMDatabaseAuthentication", asBoolean],
  caCertificateIdentifier: "/CACertificateIdentifier",
} as const;

function dbInstance(request: Request): PropertyWrite[] {
  const writes = fields(request, DB_FIELDS);
  const groups = field(request, "vpcSecurityGroupIds");
  if (groups !== undefined)
    writes.push({ path: "/VPCSecurityGroups", op: { kind: "set", value: list(groups) } });
  const logs = field(request, "cloudwatchLogsExportConfiguration");
  if (isRecord(logs)) {
    const enable = list(field(logs, "enableLogTypes"));
    const disable = list(field(logs, "disableLogTypes"));
    if (enable.length)
      writes.push({ path: "/EnableCloudwatchLogsExports", op: { kind: "add-items", items: enable } });
    if (disable.length)
      writes.push({ path: "/EnableCloudwatchLogsExports", op: { kind: "remove-items", items: disable } });
  }
  if (defined(field(request, "masterUserPassword"))) writes.push(touch("/MasterUserPassword"));
  return writes;
}

function dbCluster(request: Request): PropertyWrite[] {
  const writes = fields(request, {
    engineVersion: "/EngineVersion",
    backupRetentionPeriod: ["/BackupRetentionPeriod", asNumber],
    deletionProtection: ["/DeletionProtection", asBoolean],
    preferredBackupWindow: "/PreferredBackupWindow",
    preferredMaintenanceWindow: "/PreferredMaintenanceWindow",
    dBClusterParameterGroupName: "/DBClusterParameterGroupName",
    port: ["/Port", asNumber],
    enableIAMDatabaseAuthentication: ["/EnableIAMDatabaseAuthentication", asBoolean],
    copyTagsToSnapshot: ["/CopyTagsToSnapshot", asBoolean],
    backtrackWindow: ["/BacktrackWindow", asNumber],
    "serverlessV2ScalingConfiguration.minCapacity": [
      "/ServerlessV2ScalingConfiguration/MinCapacity",
      asNumber,
    ],
    "serverlessV2ScalingConfiguration.maxCapacity": [
      "/ServerlessV2ScalingConfiguration/MaxCapacity",
      asNumber,
    ],
  });
  const groups = field(request, "vpcSecurityGroupIds");
  if (groups !== undefined)
    writes.push({ path: "/VpcSecurityGroupIds", op: { kind: "set", value: list(groups) } });
  if (defined(field(request, "masterUserPassword"))) writes.push(touch("/MasterUserPassword"));
  return writes;
}

function dynamoTable(request: Request): PropertyWrite[] {
  const writes = fields(request, {
    billingMode: "/BillingMode",
    "provisionedThroughput.readCapacityUnits": ["/ProvisionedThroughput/ReadCapacityUnits", asNumber],
    "provisionedThroughput.writeCapacityUnits": ["/ProvisionedThroughput/WriteCapacityUnits", asNumber],
    deletionProtectionEnabled: ["/DeletionProtectionEnabled", asBoolean],
    tableClass: "/TableClass",
    "sSESpecification.enabled": ["/SSESpecification/SSEEnabled", asBoolean],
    "sSESpecification.sSEType": "/SSESpecification/SSEType",
    "sSESpecification.kMSMasterKeyId": "/SSESpecification/KMSMasterKeyId",
  });
  const stream = field(request, "streamSpecification");
  if (isRecord(stream)) {
    writes.push(
      asBoolean(field(stream, "streamEnabled")) === false
        ? { path: "/StreamSpecification", op: { kind: "remove" } }
        : {
            path: "/StreamSpecification/StreamViewType",
            op: { kind: "set", value: field(stream, "streamViewType") },
          },
    );
  }
  if (field(request, "globalSecondaryIndexUpdates") !== undefined)
    writes.push(touch("/GlobalSecondaryIndexes"));
  if (field(request, "replicaUpdates") !== undefined) writes.push(touch("/Replicas"));
  return writes;
}

function trailUpdate(request: Request): PropertyWrite[] {
  return fields(request, {
    s3BucketName: "/S3BucketName",
    s3KeyPrefix: "/S3KeyPrefix",
    snsTopicName: "/SnsTopicName",
    includeGlobalServiceEvents: ["/IncludeGlobalServiceEvents", asBoolean],
    isMultiRegionTrail: ["/IsMultiRegionTrail", asBoolean],
    enableLogFileValidation: ["/EnableLogFileValidation", asBoolean],
    cloudWatchLogsLogGroupArn: "/CloudWatchLogsLogGroupArn",
    cloudWatchLogsRoleArn: "/CloudWatchLogsRoleArn",
    kmsKeyId: "/KMSKeyId",
    isOrganizationTrail: ["/IsOrganizationTrail", asBoolean],
  });
}

/** Keys of a logged request object in CloudFormation's PascalCase: `readWriteType` ► `ReadWriteType`. */
function pascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascal);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), pascal(v)]),
  );
}

function eventSelectors(request: Request): PropertyWrite[] {
  const writes: PropertyWrite[] = [];
  const selectors = field(request, "eventSelectors");
  if (selectors !== undefined)
    writes.push({ path: "/EventSelectors", op: { kind: "set", value: pascal(list(selectors)) } });
  if (field(request, "advancedEventSelectors") !== undefined) writes.push(touch("/AdvancedEventSelectors"));
  return writes;
}

function eventRule(request: Request): PropertyWrite[] {
  return fields(request, {
    scheduleExpression: "/ScheduleExpression",
    eventPattern: ["/EventPattern", parsedJson],
    state: "/State",
    description: "/Description",
    roleArn: "/RoleArn",
  });
}

function asgUpdate(request: Request): PropertyWrite[] {
  const writes = fields(request, {
    minSize: ["/MinSize", asNumber],
    maxSize: ["/MaxSize", asNumber],
    desiredCapacity: ["/DesiredCapacity", asNumber],
    healthCheckType: "/HealthCheckType",
    healthCheckGracePeriod: ["/HealthCheckGracePeriod", asNumber],
    defaultCooldown: ["/Cooldown", asNumber],
    launchConfigurationName: "/LaunchConfigurationName",
    maxInstanceLifetime: ["/MaxInstanceLifetime", asNumber],
    capacityRebalance: ["/CapacityRebalance", asBoolean],
    newInstancesProtectedFromScaleIn: ["/NewInstancesProtectedFromScaleIn", asBoolean],
    "launchTemplate.version": "/LaunchTemplate/Version",
  });
  const zones = field(request, "vPCZoneIdentifier");
  if (typeof zones === "string") {
    writes.push({
      path: "/VPCZoneIdentifier",
      op: { kind: "set", value: zones.split(",").map((z) => z.trim()) },
    });
  }
  const policies = field(request, "terminationPolicies");
  if (policies !== undefined)
    writes.push({ path: "/TerminationPolicies", op: { kind: "set", value: list(policies) } });
  if (field(request, "mixedInstancesPolicy") !== undefined) writes.push(touch("/MixedInstancesPolicy"));
  return writes;
}

/** `[{key, value}]` ELBv2 attributes as `[{Key, Value}]`, put by key. */
function elbAttributes(path: string): Reader {
  return (request) => {
    const items = list(field(request, "attributes")).flatMap((a) => {
      const key = field(a, "key");
      return typeof key === "string" ? [{ Key: key, Value: String(field(a, "value") ?? "") }] : [];
    });
    return items.length > 0 ? [{ path, op: { kind: "put-keyed", key: "Key", items } }] : [];
  };
}

function listenerModified(request: Request): PropertyWrite[] {
  const writes = fields(request, {
    sslPolicy: "/SslPolicy",
    port: ["/Port", asNumber],
    protocol: "/Protocol",
  });
  const certificates = field(request, "certificates");
  if (certificates !== undefined) {
    writes.push({
      path: "/Certificates",
      op: {
        kind: "set",
        value: list(certificates).map((c) => ({ CertificateArn: field(c, "certificateArn") })),
      },
    });
  }
  if (field(request, "defaultActions") !== undefined) writes.push(touch("/DefaultActions"));
  if (field(request, "alpnPolicy") !== undefined)
    writes.push({ path: "/AlpnPolicy", op: { kind: "set", value: list(field(request, "alpnPolicy")) } });
  return writes;
}

function targetGroupModified(request: Request): PropertyWrite[] {
  return fields(request, {
    healthCheckProtocol: "/HealthCheckProtocol",
    healthCheckPort: "/HealthCheckPort",
    healthCheckPath: "/HealthCheckPath",
    healthCheckEnabled: ["/HealthCheckEnabled", asBoolean],
    healthCheckIntervalSeconds: ["/HealthCheckIntervalSeconds", asNumber],
    healthCheckTimeoutSeconds: ["/HealthCheckTimeoutSeconds", asNumber],
    healthyThresholdCount: ["/HealthyThresholdCount", asNumber],
    unhealthyThresholdCount: ["/UnhealthyThresholdCount", asNumber],
    "matcher.httpCode": "/Matcher/HttpCode",
    "matcher.grpcCode": "/Matcher/GrpcCode",
  });
}

function cacheCluster(request: Request): PropertyWrite[] {
  const writes = fields(request, {
    cacheNodeType: "/CacheNodeType",
    numCacheNodes: ["/NumCacheNodes", asNumber],
    engineVersion: "/EngineVersion",
    snapshotRetentionLimit: ["/SnapshotRetentionLimit", asNumber],
    snapshotWindow: "/SnapshotWindow",
    preferredMaintenanceWindow: "/PreferredMaintenanceWindow",
    cacheParameterGroupName: "/CacheParameterGroupName",
    autoMinorVersionUpgrade: ["/AutoMinorVersionUpgrade", asBoolean],
  });
  const groups = field(request, "securityGroupIds");
  if (groups !== undefined)
    writes.push({ path: "/VpcSecurityGroupIds", op: { kind: "set", value: list(groups) } });
  return writes;
}

function replicationGroup(request: Request): PropertyWrite[] {
  const writes = fields(request, {
    cacheNodeType: "/CacheNodeType",
    engineVersion: "/EngineVersion",
    automaticFailoverEnabled: ["/AutomaticFailoverEnabled", asBoolean],
    multiAZEnabled: ["/MultiAZEnabled", asBoolean],
    snapshotRetentionLimit: ["/SnapshotRetentionLimit", asNumber],
    snapshotWindow: "/SnapshotWindow",
    preferredMaintenanceWindow: "/PreferredMaintenanceWindow",
    cacheParameterGroupName: "/CacheParameterGroupName",
    transitEncryptionEnabled: ["/TransitEncryptionEnabled", asBoolean],
    transitEncryptionMode: "/TransitEncryptionMode",
    replicationGroupDescription: "/ReplicationGroupDescription",
  });
  const groups = field(request, "securityGroupIds");
  if (groups !== undefined)
    writes.push({ path: "/SecurityGroupIds", op: { kind: "set", value: list(groups) } });
  if (defined(field(request, "authToken"))) writes.push(touch("/AuthToken"));
  return writes;
}

/** RDS and ElastiCache tags: `tags: [{key, value}]` to add, `tagKeys` to remove. */
const addTags = (request: Request) => putTags(field(request, "tags"));
const dropTags = (request: Request) => removeTags(field(request, "tagKeys"));

/** `PutParameter` only overwrites (changes) a parameter with `overwrite: true`; the rest is a create. */
function ssmParameter(request: Request): PropertyWrite[] {
  if (asBoolean(field(request, "overwrite")) !== true) return [];
  return fields(request, {
    value: "/Value",
    description: "/Description",
    allowedPattern: "/AllowedPattern",
    tier: "/Tier",
    dataType: "/DataType",
    type: "/Type",
  });
}

const BUCKET_POLICY: ResourceType = "AWS::S3::BucketPolicy";
const QUEUE_POLICY: ResourceType = "AWS::SQS::QueuePolicy";
const TOPIC_POLICY: ResourceType = "AWS::SNS::TopicPolicy";
const FUNCTION_PERMISSION: ResourceType = "AWS::Lambda::Permission";
const EVENT_INVOKE_CONFIG: ResourceType = "AWS::Lambda::EventInvokeConfig";
const SECRET_POLICY: ResourceType = "AWS::SecretsManager::ResourcePolicy";
const ROUTE: ResourceType = "AWS::EC2::Route";
const ROUTE_ASSOCIATION: ResourceType = "AWS::EC2::SubnetRouteTableAssociation";
const GATEWAY_ATTACHMENT: ResourceType = "AWS::EC2::VPCGatewayAttachment";
const NACL_ENTRY: ResourceType = "AWS::EC2::NetworkAclEntry";

/**
 * A new instance of an attachment: a permission added to a function, a route added to a table. It is
 * never one the template declares (unless it re-adds one), so the request is its only witness.
 */
const instance = (type: ResourceType, item: Record<string, unknown>): PropertyWrite => ({
  type,
  path: "",
  op: { kind: "add-items", items: [Object.fromEntries(Object.entries(item).filter(([, v]) => defined(v)))] },
});

function lambdaPermission(request: Request): PropertyWrite[] {
  return [
    instance(FUNCTION_PERMISSION, {
      Action: field(request, "action"),
      Principal: field(request, "principal"),
      SourceArn: field(request, "sourceArn"),
      SourceAccount: field(request, "sourceAccount"),
      PrincipalOrgID: field(request, "principalOrgID"),
      FunctionUrlAuthType: field(request, "functionUrlAuthType"),
      EventSourceToken: field(request, "eventSourceToken"),
    }),
  ];
}

function route(request: Request): PropertyWrite[] {
  return [
    instance(ROUTE, {
      DestinationCidrBlock: field(request, "destinationCidrBlock"),
      DestinationIpv6CidrBlock: field(request, "destinationIpv6CidrBlock"),
      DestinationPrefixListId: field(request, "destinationPrefixListId"),
      GatewayId: field(request, "gatewayId"),
      NatGatewayId: field(request, "natGatewayId"),
      InstanceId: field(request, "instanceId"),
      NetworkInterfaceId: field(request, "networkInterfaceId"),
      TransitGatewayId: field(request, "transitGatewayId"),
      VpcPeeringConnectionId: field(request, "vpcPeeringConnectionId"),
      VpcEndpointId: field(request, "vpcEndpointId"),
      EgressOnlyInternetGatewayId: field(request, "egressOnlyInternetGatewayId"),
    }),
  ];
}

function naclEntry(request: Request): PropertyWrite[] {
  const ports = field(request, "portRange");
  const icmp = field(request, "icmpTypeCode");
  const from = isRecord(ports) ? field(ports, "from") : undefined;
  const to = isRecord(ports) ? field(ports, "to") : undefined;
  const code = isRecord(icmp) ? field(icmp, "code") : undefined;
  const type = isRecord(icmp) ? field(icmp, "type") : undefined;
  return [
    instance(NACL_ENTRY, {
      RuleNumber: asNumber(field(request, "ruleNumber")),
      Protocol: asNumber(field(request, "aclProtocol") ?? field(request, "protocol")),
      RuleAction: field(request, "ruleAction"),
      Egress: asBoolean(field(request, "egress")),
      CidrBlock: field(request, "cidrBlock"),
      Ipv6CidrBlock: field(request, "ipv6CidrBlock"),
      PortRange: defined(from) || defined(to) ? { From: asNumber(from), To: asNumber(to) } : undefined,
      Icmp: defined(code) || defined(type) ? { Code: asNumber(code), Type: asNumber(type) } : undefined,
    }),
  ];
}

/** `service:API` ► what the call sets. Keep grouped by service, sorted by API within a group. */
export const REQUEST_PROPERTIES: Readonly<Record<string, Reader>> = {
  // EC2
  "ec2:AssociateRouteTable": (r) => [instance(ROUTE_ASSOCIATION, { SubnetId: field(r, "subnetId") })],
  "ec2:AttachInternetGateway": (r) => [instance(GATEWAY_ATTACHMENT, { VpcId: field(r, "vpcId") })],
  "ec2:AuthorizeSecurityGroupEgress": ruleWrites("add-items", "egress"),
  "ec2:AuthorizeSecurityGroupIngress": ruleWrites("add-items", "ingress"),
  "ec2:CreateNetworkAclEntry": naclEntry,
  "ec2:CreateRoute": route,
  "ec2:CreateTags": ec2Tags,
  "ec2:DeleteNetworkAclEntry": () => [touch("", NACL_ENTRY)],
  "ec2:DeleteRoute": () => [touch("", ROUTE)],
  "ec2:DeleteTags": ec2Untags,
  "ec2:DetachInternetGateway": () => [touch("", GATEWAY_ATTACHMENT)],
  "ec2:DisassociateRouteTable": () => [touch("", ROUTE_ASSOCIATION)],
  "ec2:ModifyInstanceAttribute": instanceAttribute,
  "ec2:ModifyNetworkInterfaceAttribute": (r) => [
    ...fields(r, { description: "/Description", sourceDestCheck: ["/SourceDestCheck", asBoolean] }),
    ...(field(r, "groupSet") !== undefined
      ? [
          {
            path: "/GroupSet",
            op: { kind: "set" as const, value: list(field(r, "groupSet")).map((g) => field(g, "groupId")) },
          },
        ]
      : []),
  ],
  "ec2:ModifySecurityGroupRules": () => [touch("/SecurityGroupIngress"), touch("/SecurityGroupEgress")],
  "ec2:ModifySubnetAttribute": (r) =>
    fields(r, {
      mapPublicIpOnLaunch: ["/MapPublicIpOnLaunch", asBoolean],
      assignIpv6AddressOnCreation: ["/AssignIpv6AddressOnCreation", asBoolean],
      enableDns64: ["/EnableDns64", asBoolean],
    }),
  "ec2:ModifyVolume": (r) =>
    fields(wrapped(r, "ModifyVolume") as Request, {
      Size: ["/Size", asNumber],
      VolumeType: "/VolumeType",
      Iops: ["/Iops", asNumber],
      Throughput: ["/Throughput", asNumber],
      MultiAttachEnabled: ["/MultiAttachEnabled", asBoolean],
    }),
  "ec2:ModifyVolumeAttribute": (r) => fields(r, { autoEnableIO: ["/AutoEnableIO", asBoolean] }),
  "ec2:ModifyVpcAttribute": (r) =>
    fields(r, {
      enableDnsSupport: ["/EnableDnsSupport", asBoolean],
      enableDnsHostnames: ["/EnableDnsHostnames", asBoolean],
    }),
  "ec2:ReplaceNetworkAclEntry": () => [touch("", NACL_ENTRY)],
  "ec2:ReplaceRoute": () => [touch("", ROUTE)],
  "ec2:ReplaceRouteTableAssociation": () => [touch("", ROUTE_ASSOCIATION)],
  "ec2:RevokeSecurityGroupEgress": ruleWrites("remove-items", "egress"),
  "ec2:RevokeSecurityGroupIngress": ruleWrites("remove-items", "ingress"),
  "ec2:UpdateSecurityGroupRuleDescriptionsEgress": ruleWrites("update-items", "egress"),
  "ec2:UpdateSecurityGroupRuleDescriptionsIngress": ruleWrites("update-items", "ingress"),
  // Lambda
  "lambda:AddPermission": lambdaPermission,
  "lambda:DeleteFunctionConcurrency": () => [
    { path: "/ReservedConcurrentExecutions", op: { kind: "remove" } },
  ],
  "lambda:DeleteFunctionEventInvokeConfig": () => [touch("", EVENT_INVOKE_CONFIG)],
  "lambda:PutFunctionConcurrency": (r) =>
    setFrom(r, "reservedConcurrentExecutions", "/ReservedConcurrentExecutions", asNumber),
  "lambda:PutFunctionEventInvokeConfig": (r) =>
    fields(r, {
      maximumRetryAttempts: ["/MaximumRetryAttempts", asNumber],
      maximumEventAgeInSeconds: ["/MaximumEventAgeInSeconds", asNumber],
    }).map((w) => ({ ...w, type: EVENT_INVOKE_CONFIG })),
  "lambda:RemovePermission": () => [touch("", FUNCTION_PERMISSION)],
  "lambda:TagResource": (r) => putTags(field(r, "tags")),
  "lambda:UntagResource": (r) => removeTags(field(r, "tagKeys")),
  "lambda:UpdateFunctionConfiguration": lambdaConfiguration,
  "lambda:UpdateFunctionEventInvokeConfig": (r) =>
    fields(r, {
      maximumRetryAttempts: ["/MaximumRetryAttempts", asNumber],
      maximumEventAgeInSeconds: ["/MaximumEventAgeInSeconds", asNumber],
    }).map((w) => ({ ...w, type: EVENT_INVOKE_CONFIG })),
  // S3
  "s3:DeleteBucketCors": () => [{ path: "/CorsConfiguration", op: { kind: "remove" } }],
  "s3:DeleteBucketEncryption": () => [{ path: "/BucketEncryption", op: { kind: "remove" } }],
  "s3:DeleteBucketLifecycle": () => [{ path: "/LifecycleConfiguration", op: { kind: "remove" } }],
  "s3:DeleteBucketOwnershipControls": () => [{ path: "/OwnershipControls", op: { kind: "remove" } }],
  "s3:DeleteBucketPolicy": () => [{ type: BUCKET_POLICY, path: "/PolicyDocument", op: { kind: "remove" } }],
  "s3:DeleteBucketPublicAccessBlock": () => [
    { path: "/PublicAccessBlockConfiguration", op: { kind: "remove" } },
  ],
  "s3:DeleteBucketReplication": () => [{ path: "/ReplicationConfiguration", op: { kind: "remove" } }],
  "s3:DeleteBucketTagging": () => [{ path: "/Tags", op: { kind: "set", value: [] } }],
  "s3:DeleteBucketWebsite": () => [{ path: "/WebsiteConfiguration", op: { kind: "remove" } }],
  "s3:PutBucketAccelerateConfiguration": (r) =>
    setFrom(r, "AccelerateConfiguration.Status", "/AccelerateConfiguration/AccelerationStatus"),
  "s3:PutBucketAcl": bucketAcl,
  "s3:PutBucketCors": () => [touch("/CorsConfiguration")],
  "s3:PutBucketEncryption": bucketEncryption,
  "s3:PutBucketLifecycle": () => [touch("/LifecycleConfiguration")],
  "s3:PutBucketLifecycleConfiguration": () => [touch("/LifecycleConfiguration")],
  "s3:PutBucketLogging": bucketLogging,
  "s3:PutBucketNotification": () => [touch("/NotificationConfiguration")],
  "s3:PutBucketOwnershipControls": (r) => {
    const rule = at(r, "OwnershipControls.Rule");
    const ownership = field(Array.isArray(rule) ? rule[0] : rule, "ObjectOwnership");
    return typeof ownership === "string"
      ? [{ path: "/OwnershipControls/Rules", op: { kind: "set", value: [{ ObjectOwnership: ownership }] } }]
      : [touch("/OwnershipControls")];
  },
  "s3:PutBucketPolicy": bucketPolicy,
  "s3:PutBucketPublicAccessBlock": publicAccessBlock,
  "s3:PutBucketReplication": () => [touch("/ReplicationConfiguration")],
  "s3:PutBucketTagging": bucketTagging,
  "s3:PutBucketVersioning": (r) =>
    setFrom(r, "VersioningConfiguration.Status", "/VersioningConfiguration/Status"),
  "s3:PutBucketWebsite": () => [touch("/WebsiteConfiguration")],
  "s3:PutObjectLockConfiguration": () => [touch("/ObjectLockConfiguration")],
  // IAM
  "iam:AddRoleToInstanceProfile": (r) => [
    { path: "/Roles", op: { kind: "add-items", items: [field(r, "roleName")] } },
  ],
  "iam:AddUserToGroup": (r) => [
    { path: "/Groups", op: { kind: "add-items", items: [field(r, "groupName")] } },
  ],
  "iam:AttachGroupPolicy": managedPolicyArn("add-items"),
  "iam:AttachRolePolicy": managedPolicyArn("add-items"),
  "iam:AttachUserPolicy": managedPolicyArn("add-items"),
  "iam:CreatePolicyVersion": (r) =>
    asBoolean(field(r, "setAsDefault")) === true
      ? [{ path: "/PolicyDocument", op: { kind: "set", value: document(field(r, "policyDocument")) } }]
      : [],
  "iam:DeleteGroupPolicy": inlinePolicyDeleted,
  "iam:DeleteRolePermissionsBoundary": () => [{ path: "/PermissionsBoundary", op: { kind: "remove" } }],
  "iam:DeleteRolePolicy": inlinePolicyDeleted,
  "iam:DeleteUserPermissionsBoundary": () => [{ path: "/PermissionsBoundary", op: { kind: "remove" } }],
  "iam:DeleteUserPolicy": inlinePolicyDeleted,
  "iam:DetachGroupPolicy": managedPolicyArn("remove-items"),
  "iam:DetachRolePolicy": managedPolicyArn("remove-items"),
  "iam:DetachUserPolicy": managedPolicyArn("remove-items"),
  "iam:PutGroupPolicy": inlinePolicy,
  "iam:PutRolePermissionsBoundary": (r) => setFrom(r, "permissionsBoundary", "/PermissionsBoundary"),
  "iam:PutRolePolicy": inlinePolicy,
  "iam:PutUserPermissionsBoundary": (r) => setFrom(r, "permissionsBoundary", "/PermissionsBoundary"),
  "iam:PutUserPolicy": inlinePolicy,
  "iam:RemoveRoleFromInstanceProfile": (r) => [
    { path: "/Roles", op: { kind: "remove-items", items: [field(r, "roleName")] } },
  ],
  "iam:RemoveUserFromGroup": (r) => [
    { path: "/Groups", op: { kind: "remove-items", items: [field(r, "groupName")] } },
  ],
  "iam:SetDefaultPolicyVersion": () => [touch("/PolicyDocument")],
  "iam:TagPolicy": (r) => putTags(field(r, "tags")),
  "iam:TagRole": (r) => putTags(field(r, "tags")),
  "iam:TagUser": (r) => putTags(field(r, "tags")),
  "iam:UntagPolicy": (r) => removeTags(field(r, "tagKeys")),
  "iam:UntagRole": (r) => removeTags(field(r, "tagKeys")),
  "iam:UntagUser": (r) => removeTags(field(r, "tagKeys")),
  "iam:UpdateAssumeRolePolicy": (r) => [
    { path: "/AssumeRolePolicyDocument", op: { kind: "set", value: document(field(r, "policyDocument")) } },
  ],
  "iam:UpdateRole": (r) =>
    fields(r, { description: "/Description", maxSessionDuration: ["/MaxSessionDuration", asNumber] }),
  "iam:UpdateRoleDescription": (r) => fields(r, { description: "/Description" }),
  // Auto Scaling
  "autoscaling:AttachLoadBalancerTargetGroups": (r) => [
    { path: "/TargetGroupARNs", op: { kind: "add-items", items: list(field(r, "targetGroupARNs")) } },
  ],
  "autoscaling:CreateOrUpdateTags": (r) => {
    const items = list(field(r, "tags")).flatMap((t) => {
      const key = field(t, "key");
      return typeof key === "string"
        ? [
            {
              Key: key,
              Value: field(t, "value") ?? "",
              PropagateAtLaunch: asBoolean(field(t, "propagateAtLaunch")) ?? false,
            },
          ]
        : [];
    });
    return items.length ? [{ path: "/Tags", op: { kind: "put-keyed", key: "Key", items } }] : [];
  },
  "autoscaling:DeleteTags": (r) => removeTags(field(r, "tags")),
  "autoscaling:DetachLoadBalancerTargetGroups": (r) => [
    { path: "/TargetGroupARNs", op: { kind: "remove-items", items: list(field(r, "targetGroupARNs")) } },
  ],
  "autoscaling:DisableMetricsCollection": () => [touch("/MetricsCollection")],
  "autoscaling:EnableMetricsCollection": () => [touch("/MetricsCollection")],
  "autoscaling:SetDesiredCapacity": (r) => setFrom(r, "desiredCapacity", "/DesiredCapacity", asNumber),
  "autoscaling:UpdateAutoScalingGroup": asgUpdate,
  // ECS
  "ecs:PutClusterCapacityProviders": (r) => [
    { path: "/CapacityProviders", op: { kind: "set", value: list(field(r, "capacityProviders")) } },
    touch("/DefaultCapacityProviderStrategy"),
  ],
  "ecs:TagResource": (r) => putTags(field(r, "tags")),
  "ecs:UntagResource": (r) => removeTags(field(r, "tagKeys")),
  "ecs:UpdateCluster": (r) =>
    field(r, "settings") !== undefined
      ? [{ path: "/ClusterSettings", op: { kind: "set", value: pascal(list(field(r, "settings"))) } }]
      : [],
  "ecs:UpdateClusterSettings": (r) => [
    { path: "/ClusterSettings", op: { kind: "set", value: pascal(list(field(r, "settings"))) } },
  ],
  "ecs:UpdateService": (r) => [
    ...fields(r, {
      desiredCount: ["/DesiredCount", asNumber],
      taskDefinition: "/TaskDefinition",
      platformVersion: "/PlatformVersion",
      enableExecuteCommand: ["/EnableExecuteCommand", asBoolean],
      healthCheckGracePeriodSeconds: ["/HealthCheckGracePeriodSeconds", asNumber],
      propagateTags: "/PropagateTags",
    }),
    ...(field(r, "networkConfiguration") !== undefined ? [touch("/NetworkConfiguration")] : []),
    ...(field(r, "deploymentConfiguration") !== undefined ? [touch("/DeploymentConfiguration")] : []),
    ...(field(r, "capacityProviderStrategy") !== undefined ? [touch("/CapacityProviderStrategy")] : []),
  ],
  // DynamoDB
  "dynamodb:DisableKinesisStreamingDestination": () => [
    { path: "/KinesisStreamSpecification", op: { kind: "remove" } },
  ],
  "dynamodb:EnableKinesisStreamingDestination": (r) =>
    setFrom(r, "streamArn", "/KinesisStreamSpecification/StreamArn"),
  "dynamodb:TagResource": (r) => putTags(field(r, "tags")),
  "dynamodb:UntagResource": (r) => removeTags(field(r, "tagKeys")),
  "dynamodb:UpdateContinuousBackups": (r) =>
    setFrom(
      r,
      "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled",
      "/PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled",
      asBoolean,
    ),
  "dynamodb:UpdateContributorInsights": (r) =>
    setFrom(r, "contributorInsightsAction", "/ContributorInsightsSpecification/Enabled", (v) =>
      String(v).toUpperCase() === "ENABLE" ? true : String(v).toUpperCase() === "DISABLE" ? false : v,
    ),
  "dynamodb:UpdateTable": dynamoTable,
  "dynamodb:UpdateTimeToLive": (r) =>
    fields(r, {
      "timeToLiveSpecification.attributeName": "/TimeToLiveSpecification/AttributeName",
      "timeToLiveSpecification.enabled": ["/TimeToLiveSpecification/Enabled", asBoolean],
    }),
  // SQS
  "sqs:AddPermission": () => [touch("/PolicyDocument", QUEUE_POLICY)],
  "sqs:RemovePermission": () => [touch("/PolicyDocument", QUEUE_POLICY)],
  "sqs:SetQueueAttributes": queueAttributes,
  "sqs:TagQueue": (r) => putTags(field(r, "tags")),
  "sqs:UntagQueue": (r) => removeTags(field(r, "tagKeys")),
  // SNS
  "sns:AddPermission": () => [touch("/PolicyDocument", TOPIC_POLICY)],
  "sns:PutDataProtectionPolicy": (r) =>
    setFrom(r, "dataProtectionPolicy", "/DataProtectionPolicy", parsedJson),
  "sns:RemovePermission": () => [touch("/PolicyDocument", TOPIC_POLICY)],
  "sns:SetSubscriptionAttributes": snsAttribute(),
  "sns:SetTopicAttributes": snsAttribute(TOPIC_POLICY),
  "sns:TagResource": (r) => putTags(field(r, "tags")),
  "sns:UntagResource": (r) => removeTags(field(r, "tagKeys")),
  // KMS (a cancelled deletion leaves the key disabled)
  "kms:CancelKeyDeletion": () => [{ path: "/Enabled", op: { kind: "set", value: false } }],
  "kms:DisableKey": () => [{ path: "/Enabled", op: { kind: "set", value: false } }],
  "kms:DisableKeyRotation": () => [{ path: "/EnableKeyRotation", op: { kind: "set", value: false } }],
  "kms:EnableKey": () => [{ path: "/Enabled", op: { kind: "set", value: true } }],
  "kms:EnableKeyRotation": (r) => [
    { path: "/EnableKeyRotation", op: { kind: "set", value: true } },
    ...setFrom(r, "rotationPeriodInDays", "/RotationPeriodInDays", asNumber),
  ],
  "kms:PutKeyPolicy": (r) => setFrom(r, "policy", "/KeyPolicy", parsedJson),
  "kms:TagResource": (r) => putTags(field(r, "tags")),
  "kms:UntagResource": (r) => removeTags(field(r, "tagKeys")),
  "kms:UpdateKeyDescription": (r) => fields(r, { description: "/Description" }),
  // RDS
  "rds:AddRoleToDBCluster": (r) => [
    {
      path: "/AssociatedRoles",
      op: {
        kind: "put-keyed",
        key: "RoleArn",
        items: [{ RoleArn: field(r, "roleArn"), FeatureName: field(r, "featureName") }],
      },
    },
  ],
  "rds:AddRoleToDBInstance": (r) => [
    {
      path: "/AssociatedRoles",
      op: {
        kind: "put-keyed",
        key: "RoleArn",
        items: [{ RoleArn: field(r, "roleArn"), FeatureName: field(r, "featureName") }],
      },
    },
  ],
  "rds:AddTagsToResource": addTags,
  "rds:ModifyDBCluster": dbCluster,
  "rds:ModifyDBClusterParameterGroup": () => [touch("/Parameters")],
  "rds:ModifyDBInstance": dbInstance,
  "rds:ModifyDBParameterGroup": () => [touch("/Parameters")],
  "rds:ModifyDBSubnetGroup": (r) => [
    ...fields(r, { dBSubnetGroupDescription: "/DBSubnetGroupDescription" }),
    ...(field(r, "subnetIds") !== undefined
      ? [{ path: "/SubnetIds", op: { kind: "set" as const, value: list(field(r, "subnetIds")) } }]
      : []),
  ],
  "rds:RemoveRoleFromDBCluster": (r) => [
    {
      path: "/AssociatedRoles",
      op: { kind: "remove-keyed", key: "RoleArn", keys: [String(field(r, "roleArn"))] },
    },
  ],
  "rds:RemoveRoleFromDBInstance": (r) => [
    {
      path: "/AssociatedRoles",
      op: { kind: "remove-keyed", key: "RoleArn", keys: [String(field(r, "roleArn"))] },
    },
  ],
  "rds:RemoveTagsFromResource": dropTags,
  // Elastic Load Balancing v2
  "elasticloadbalancing:AddTags": (r) => putTags(field(r, "tags")),
  "elasticloadbalancing:ModifyListener": listenerModified,
  "elasticloadbalancing:ModifyLoadBalancerAttributes": elbAttributes("/LoadBalancerAttributes"),
  "elasticloadbalancing:ModifyTargetGroup": targetGroupModified,
  "elasticloadbalancing:ModifyTargetGroupAttributes": elbAttributes("/TargetGroupAttributes"),
  "elasticloadbalancing:RemoveTags": (r) => removeTags(field(r, "tagKeys")),
  "elasticloadbalancing:SetIpAddressType": (r) => fields(r, { ipAddressType: "/IpAddressType" }),
  "elasticloadbalancing:SetSecurityGroups": (r) => [
    { path: "/SecurityGroups", op: { kind: "set", value: list(field(r, "securityGroups")) } },
  ],
  "elasticloadbalancing:SetSubnets": (r) =>
    field(r, "subnets") !== undefined
      ? [{ path: "/Subnets", op: { kind: "set", value: list(field(r, "subnets")) } }]
      : [touch("/SubnetMappings")],
  // CloudWatch Logs
  "logs:AssociateKmsKey": (r) => setFrom(r, "kmsKeyId", "/KmsKeyId"),
  "logs:DeleteRetentionPolicy": () => [{ path: "/RetentionInDays", op: { kind: "remove" } }],
  "logs:DisassociateKmsKey": () => [{ path: "/KmsKeyId", op: { kind: "remove" } }],
  "logs:PutDataProtectionPolicy": (r) => setFrom(r, "policyDocument", "/DataProtectionPolicy", parsedJson),
  "logs:PutRetentionPolicy": (r) => setFrom(r, "retentionInDays", "/RetentionInDays", asNumber),
  "logs:TagLogGroup": (r) => putTags(field(r, "tags")),
  "logs:TagResource": (r) => putTags(field(r, "tags")),
  "logs:UntagLogGroup": (r) => removeTags(field(r, "tags")),
  "logs:UntagResource": (r) => removeTags(field(r, "tagKeys")),
  // ElastiCache
  "elasticache:AddTagsToResource": addTags,
  "elasticache:DecreaseReplicaCount": () => [touch("/NumCacheClusters"), touch("/ReplicasPerNodeGroup")],
  "elasticache:IncreaseReplicaCount": () => [touch("/NumCacheClusters"), touch("/ReplicasPerNodeGroup")],
  "elasticache:ModifyCacheCluster": cacheCluster,
  "elasticache:ModifyCacheParameterGroup": () => [touch("/Properties")],
  "elasticache:ModifyReplicationGroup": replicationGroup,
  "elasticache:RemoveTagsFromResource": dropTags,
  // CloudTrail (`IsLogging` is a template property)
  "cloudtrail:AddTags": (r) => putTags(field(r, "tagsList")),
  "cloudtrail:PutEventSelectors": eventSelectors,
  "cloudtrail:PutInsightSelectors": (r) => [
    { path: "/InsightSelectors", op: { kind: "set", value: pascal(list(field(r, "insightSelectors"))) } },
  ],
  "cloudtrail:RemoveTags": (r) => removeTags(field(r, "tagsList")),
  "cloudtrail:StartLogging": () => [{ path: "/IsLogging", op: { kind: "set", value: true } }],
  "cloudtrail:StopLogging": () => [{ path: "/IsLogging", op: { kind: "set", value: false } }],
  "cloudtrail:UpdateTrail": trailUpdate,
  // EventBridge
  "events:DisableRule": () => [{ path: "/State", op: { kind: "set", value: "DISABLED" } }],
  "events:EnableRule": () => [{ path: "/State", op: { kind: "set", value: "ENABLED" } }],
  "events:PutRule": eventRule,
  "events:PutTargets": () => [touch("/Targets")],
  "events:RemoveTargets": () => [touch("/Targets")],
  "events:TagResource": (r) => putTags(field(r, "tags")),
  "events:UntagResource": (r) => removeTags(field(r, "tagKeys")),
  // ECR
  "ecr:DeleteLifecyclePolicy": () => [{ path: "/LifecyclePolicy", op: { kind: "remove" } }],
  "ecr:DeleteRepositoryPolicy": () => [{ path: "/RepositoryPolicyText", op: { kind: "remove" } }],
  "ecr:PutImageScanningConfiguration": (r) =>
    setFrom(r, "imageScanningConfiguration.scanOnPush", "/ImageScanningConfiguration/ScanOnPush", asBoolean),
  "ecr:PutImageTagMutability": (r) => fields(r, { imageTagMutability: "/ImageTagMutability" }),
  "ecr:PutLifecyclePolicy": (r) => setFrom(r, "lifecyclePolicyText", "/LifecyclePolicy/LifecyclePolicyText"),
  "ecr:SetRepositoryPolicy": (r) => setFrom(r, "policyText", "/RepositoryPolicyText", parsedJson),
  "ecr:TagResource": (r) => putTags(field(r, "tags")),
  "ecr:UntagResource": (r) => removeTags(field(r, "tagKeys")),
  // Secrets Manager (never the secret value)
  "secretsmanager:DeleteResourcePolicy": () => [
    { type: SECRET_POLICY, path: "/ResourcePolicy", op: { kind: "remove" } },
  ],
  "secretsmanager:PutResourcePolicy": (r) =>
    setFrom(r, "resourcePolicy", "/ResourcePolicy", parsedJson).map((w) => ({ ...w, type: SECRET_POLICY })),
  "secretsmanager:RemoveRegionsFromReplication": (r) => [
    {
      path: "/ReplicaRegions",
      op: { kind: "remove-keyed", key: "Region", keys: list(field(r, "removeReplicaRegions")).map(String) },
    },
  ],
  "secretsmanager:ReplicateSecretToRegions": (r) => [
    {
      path: "/ReplicaRegions",
      op: {
        kind: "put-keyed",
        key: "Region",
        items: list(field(r, "addReplicaRegions")).map((x) => pascal(x) as Record<string, unknown>),
      },
    },
  ],
  "secretsmanager:TagResource": (r) => putTags(field(r, "tags")),
  "secretsmanager:UntagResource": (r) => removeTags(field(r, "tagKeys")),
  "secretsmanager:UpdateSecret": (r) => fields(r, { description: "/Description", kmsKeyId: "/KmsKeyId" }),
  // EFS
  "elasticfilesystem:ModifyMountTargetSecurityGroups": (r) => [
    { path: "/SecurityGroups", op: { kind: "set", value: list(field(r, "securityGroups")) } },
  ],
  "elasticfilesystem:PutBackupPolicy": (r) => setFrom(r, "backupPolicy.status", "/BackupPolicy/Status"),
  "elasticfilesystem:PutFileSystemPolicy": (r) => setFrom(r, "policy", "/FileSystemPolicy", parsedJson),
  "elasticfilesystem:PutLifecycleConfiguration": (r) => [
    { path: "/LifecyclePolicies", op: { kind: "set", value: pascal(list(field(r, "lifecyclePolicies"))) } },
  ],
  "elasticfilesystem:UpdateFileSystem": (r) =>
    fields(r, {
      throughputMode: "/ThroughputMode",
      provisionedThroughputInMibps: ["/ProvisionedThroughputInMibps", asNumber],
    }),
  // SSM
  "ssm:PutParameter": ssmParameter,
};

/** Lambda and CloudFront suffix API versions to event names: `PutFunctionConcurrency20171031`. */
const VERSION_SUFFIX = /(\d{4}_?\d{2}_?\d{2})(v\d+)?$/;

/** The table's key for a CloudTrail `eventSource` + `eventName`, version suffix removed. */
export function requestPropertiesKey(eventSource: string, eventName: string): string | undefined {
  const service = serviceOf(eventSource);
  const exact = `${service}:${eventName}`;
  if (exact in REQUEST_PROPERTIES) return exact;
  const base = `${service}:${eventName.replace(VERSION_SUFFIX, "")}`;
  return base in REQUEST_PROPERTIES ? base : undefined;
}

/**
 * The property writes of one call, or `undefined` when the table does not know the API (the caller
 * then cannot name what changed). Never throws: a request it cannot read yields no writes.
 */
export function requestWrites(
  eventSource: string,
  eventName: string,
  request: unknown,
): PropertyWrite[] | undefined {
  const key = requestPropertiesKey(eventSource, eventName);
  if (key === undefined) return undefined;
  const parsed = parsedJson(request);
  const reader = REQUEST_PROPERTIES[key];
  if (reader === undefined) return undefined;
  try {
    return reader(isRecord(parsed) ? parsed : {});
  } catch {
    return [];
  }
}

export { field as requestField, list as requestList, tagItems };
