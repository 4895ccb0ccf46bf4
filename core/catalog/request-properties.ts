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
  return typeof value === "string" && /HIDDEN_DUE_TO_SECURITY_REASONS/.test(value);
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
const strings = (value: unknown): unknown => list(value).map((v) => (isRecord(v) ? Object.values(v)[0] : v));

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

const FUNCTION_PERMISSION: ResourceType = "AWS::Lambda::Permission";

/** `service:API` ► what the call sets. Keep grouped by service, sorted by API within a group. */
export const REQUEST_PROPERTIES: Readonly<Record<string, Reader>> = {
  // EC2
  "ec2:AuthorizeSecurityGroupEgress": ruleWrites("add-items", "egress"),
  "ec2:AuthorizeSecurityGroupIngress": ruleWrites("add-items", "ingress"),
  "ec2:RevokeSecurityGroupEgress": ruleWrites("remove-items", "egress"),
  "ec2:RevokeSecurityGroupIngress": ruleWrites("remove-items", "ingress"),
  "ec2:UpdateSecurityGroupRuleDescriptionsEgress": ruleWrites("update-items", "egress"),
  "ec2:UpdateSecurityGroupRuleDescriptionsIngress": ruleWrites("update-items", "ingress"),
  "ec2:ModifySecurityGroupRules": () => [touch("/SecurityGroupIngress"), touch("/SecurityGroupEgress")],
  // Lambda
  "lambda:AddPermission": () => [touch("", FUNCTION_PERMISSION)],
  "lambda:DeleteFunctionConcurrency": () => [
    { path: "/ReservedConcurrentExecutions", op: { kind: "remove" } },
  ],
  "lambda:PutFunctionConcurrency": (r) =>
    setFrom(r, "reservedConcurrentExecutions", "/ReservedConcurrentExecutions", asNumber),
  "lambda:RemovePermission": () => [touch("", FUNCTION_PERMISSION)],
  "lambda:TagResource": (r) => putTags(field(r, "tags")),
  "lambda:UntagResource": (r) => removeTags(field(r, "tagKeys")),
  "lambda:UpdateFunctionConfiguration": lambdaConfiguration,
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
