import { directionOf } from "./directions.ts";
import { instructionInValue, quoteFragment } from "./instructions.ts";
import type { ContextChange, Decision, Recommendation, Severity } from "./types.ts";
import { asBoolean, asNumber } from "./values.ts";

/**
 * The policy floor no analyzer can override (DESIGN §3 "Guardrails beat the model"): a decision that
 * would write a forbidden value into the safe state (legitimize the live value, or refactor to a
 * proposed one) becomes `revert`, and the override is recorded. Deterministic; reads only the change
 * and the value the decision would write, never console-set text as instructions.
 */

export const GUARDRAIL_RULES = [
  "world-open-port",
  "public-s3-access",
  "encryption-disabled",
  "deletion-protection-disabled",
  "backup-retention-shortened",
  "iam-wildcard",
  "logging-disabled",
  "reviewer-instruction",
  "protection-weakened",
] as const;
export type GuardrailRule = (typeof GUARDRAIL_RULES)[number];

export interface Guardrail {
  readonly rule: GuardrailRule;
  /** The decision the analyzer made, before the guardrail. */
  readonly overridden: Decision;
  readonly reason: string;
}

export type GuardedRecommendation = Recommendation & { readonly guardrail?: Guardrail };

const WEB_PORTS = new Set([80, 443]);

/** A CIDR with prefix length 0 is the whole address space, whatever its address part. */
function isWorld(cidr: unknown): cidr is string {
  return typeof cidr === "string" && /\/0$/.test(cidr.trim());
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function lastSegment(path: string): string {
  return path.split("/").filter(Boolean).at(-1) ?? "";
}

/** Every object nested in `value` (itself included), for rules that look at rule-shaped objects. */
function* objects(value: unknown, depth = 0): Generator<Record<string, unknown>> {
  if (depth > 32) return;
  if (Array.isArray(value)) for (const v of value) yield* objects(v, depth + 1);
  else if (isObject(value)) {
    yield value;
    for (const v of Object.values(value)) yield* objects(v, depth + 1);
  }
}

/** An ingress rule open to the world on any port other than 80/443 (or all protocols). */
function worldOpenRule(rule: Record<string, unknown>): string | undefined {
  const ranges = [rule.IpRanges, rule.Ipv6Ranges, rule.ipRanges, rule.ipv6Ranges]
    .flatMap((r) => (Array.isArray(r) ? r : []))
    .filter(isObject)
    .map((r) => r.CidrIp ?? r.CidrIpv6 ?? r.cidrIp ?? r.cidrIpv6);
  const cidr = [rule.CidrIp, rule.CidrIpv6, rule.cidrIp, rule.cidrIpv4, rule.cidrIpv6, ...ranges].find(
    isWorld,
  );
  if (cidr === undefined) return undefined;
  const protocolField = rule.IpProtocol ?? rule.ipProtocol;
  const hasPorts = [rule.FromPort, rule.ToPort, rule.fromPort, rule.toPort].some((p) => p !== undefined);
  // A bare range object ({CidrIp}) inside a rule: its parent rule, walked first, carries the ports.
  if (protocolField === undefined && !hasPorts && !("CidrIp" in rule || "CidrIpv6" in rule)) return undefined;
  const protocol = String(protocolField ?? "-1");
  if (protocol === "-1" || protocol.toLowerCase() === "all") return `all traffic from ${cidr}`;
  const from = asNumber(rule.FromPort ?? rule.fromPort);
  const to = asNumber(rule.ToPort ?? rule.toPort) ?? from;
  if (from === undefined || to === undefined) return `${protocol} from ${cidr} on unspecified ports`;
  if (from === to && WEB_PORTS.has(from)) return undefined;
  return `${protocol} ${from === to ? `port ${from}` : `ports ${from}-${to}`} from ${cidr}`;
}

/** Strings anywhere in a value (policy ARNs in lists, principals). */
function* strings(value: unknown, depth = 0): Generator<string> {
  if (depth > 32) return;
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v, depth + 1);
  else if (isObject(value)) for (const v of Object.values(value)) yield* strings(v, depth + 1);
}

/** `"*"`, `["*"]`, `{AWS: "*"}`, `{AWS: ["*"]}`: anyone. */
function isPublicPrincipal(principal: unknown): boolean {
  if (principal === "*") return true;
  if (Array.isArray(principal)) return principal.includes("*");
  if (isObject(principal)) return [principal.AWS].flat().includes("*");
  return false;
}

type Check = (change: ContextChange, value: unknown) => string | undefined;

/** Value checks per rule; `protection-weakened` has none: the direction table decides it. */
const CHECKS: Readonly<Record<Exclude<GuardrailRule, "protection-weakened">, Check>> = {
  "world-open-port": (change, value) => {
    if (!/Ingress/.test(change.propertyPath) && !/Ingress$/.test(change.resourceType)) return undefined;
    if (isWorld(value)) return `ingress from ${value}`;
    for (const rule of objects(value)) {
      const open = worldOpenRule(rule);
      if (open) return `ingress ${open}`;
    }
    return undefined;
  },
  "public-s3-access": (change, value) => {
    if (!change.resourceType.startsWith("AWS::S3::")) return undefined;
    const path = change.propertyPath;
    if (path.includes("PublicAccessBlockConfiguration")) {
      if (value === null || value === undefined) return "the bucket's public access block removed";
      if (asBoolean(value) === false) return `${lastSegment(path)} turned off`;
      for (const o of objects(value)) {
        for (const flag of [
          "BlockPublicAcls",
          "BlockPublicPolicy",
          "IgnorePublicAcls",
          "RestrictPublicBuckets",
        ]) {
          if (asBoolean(o[flag]) === false) return `${flag} turned off`;
        }
      }
    }
    if (/AccessControl$/.test(path) && typeof value === "string" && /^Public/i.test(value))
      return `ACL ${value}`;
    for (const o of objects(value)) {
      if (isPublicPrincipal(o.Principal) && o.Effect === "Allow" && o.Condition === undefined) {
        return "a policy allowing Principal *";
      }
    }
    return undefined;
  },
  "encryption-disabled": (change, value) => {
    const key = lastSegment(change.propertyPath);
    if (
      /^(StorageEncrypted|Encrypted|SSEEnabled|EncryptionEnabled|KmsEncrypted)$/.test(key) &&
      asBoolean(value) === false
    ) {
      return `${key} set to false`;
    }
    if (
      /(BucketEncryption|SSESpecification|KmsKeyId|KmsMasterKeyId|EncryptionConfiguration)$/.test(
        change.propertyPath,
      )
    ) {
      if (value === null || value === undefined) return `${key} removed`;
    }
    for (const o of objects(value)) {
      if (asBoolean(o.SSEEnabled) === false || asBoolean(o.Encrypted) === false)
        return "encryption turned off";
    }
    return undefined;
  },
  "deletion-protection-disabled": (change, value) => {
    const key = lastSegment(change.propertyPath);
    if (
      /^(DeletionProtection|DeletionProtectionEnabled|DisableApiTermination|EnableTerminationProtection)$/.test(
        key,
      )
    ) {
      if (asBoolean(value) === false || value === null) return `${key} turned off`;
    }
    return undefined;
  },
  "backup-retention-shortened": (change, value) => {
    const key = lastSegment(change.propertyPath);
    if (/^(BackupRetentionPeriod|SnapshotRetentionLimit|RetentionPeriodHours)$/.test(key)) {
      const before = asNumber(change.expected);
      const after = asNumber(value);
      if (after === undefined) return `${key} removed`;
      if (before !== undefined && after < before) return `${key} shortened from ${before} to ${after}`;
    }
    if (/PointInTimeRecoveryEnabled$/.test(change.propertyPath) && asBoolean(value) === false) {
      return "point-in-time recovery turned off";
    }
    return undefined;
  },
  "iam-wildcard": (change, value) => {
    if (!change.resourceType.startsWith("AWS::IAM::") && !/Polic/.test(change.propertyPath)) return undefined;
    for (const text of strings(value))
      if (/\/AdministratorAccess$/.test(text)) return "AdministratorAccess attached";
    for (const o of objects(value)) {
      if (o.Effect !== undefined && o.Effect !== "Allow") continue;
      const fields = [o.Action, o.Resource, o.NotAction].flatMap((f) => (Array.isArray(f) ? f : [f]));
      if (fields.some((f) => f === "*")) return "a statement allowing * actions or resources";
      if (
        Array.isArray(o.ManagedPolicyArns) &&
        o.ManagedPolicyArns.some((a) => /\/AdministratorAccess$/.test(String(a)))
      ) {
        return "AdministratorAccess attached";
      }
    }
    return undefined;
  },
  "logging-disabled": (change, value) => {
    const key = lastSegment(change.propertyPath);
    if (/^(IsLogging|EnableLogFileValidation|IsMultiRegionTrail)$/.test(key) && asBoolean(value) === false) {
      return `${key} turned off`;
    }
    if (
      /(LoggingConfiguration|LoggingProperties|AccessLoggingPolicy|LogPublishingOptions)$/.test(
        change.propertyPath,
      )
    ) {
      if (value === null || value === undefined) return `${key} removed`;
    }
    for (const o of objects(value)) {
      if (
        (o.Key === "access_logs.s3.enabled" || o.key === "access_logs.s3.enabled") &&
        asBoolean(o.Value ?? o.value) === false
      ) {
        return "load balancer access logs turned off";
      }
    }
    if (change.resourceType === "AWS::CloudTrail::Trail" && change.propertyPath === "" && value === null) {
      return "the trail deleted";
    }
    return undefined;
  },
  /** Console text that reads as instructions to a reviewer or a model never enters a template. */
  "reviewer-instruction": (_change, value) => {
    const hit = instructionInValue(value);
    return hit === undefined
      ? undefined
      : `text addressed to a reviewer or a model (${hit.why}: ${quoteFragment(hit.text)})`;
  },
};

/** The value a decision would write into the safe state; `undefined` for revert (writes nothing). */
function writtenValue(rec: Recommendation, change: ContextChange): { value: unknown } | undefined {
  if (rec.decision === "legitimize") return { value: change.actual };
  if (rec.decision === "refactor") return { value: rec.proposed };
  return undefined;
}

function show(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text === undefined ? "none" : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A weakening of a guarded setting in the one direction table (`directions.ts`): writing `value`
 * where the template has the change's `expected` makes the setting weaker.
 */
function weakening(change: ContextChange, value: unknown): { rule: GuardrailRule; what: string } | undefined {
  const d = directionOf(change, value);
  if (d?.direction !== "weaker" || d.entry.guardrail === undefined) return undefined;
  return {
    rule: d.entry.guardrail,
    what: `${d.entry.what} weakened (${show(change.expected)} ► ${show(value)})`,
  };
}

/** The first guardrail the value violates, with a sentence saying what. */
export function violation(
  change: ContextChange,
  value: unknown,
): { rule: GuardrailRule; what: string } | undefined {
  for (const rule of GUARDRAIL_RULES) {
    if (!Object.hasOwn(CHECKS, rule)) continue;
    const what = CHECKS[rule as keyof typeof CHECKS](change, value);
    if (what !== undefined) return { rule, what };
  }
  return weakening(change, value);
}

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The higher of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/**
 * Applies the guardrails after any analyzer: a forbidden legitimize/refactor becomes a revert with
 * the rule recorded, and its severity is raised to at least `high` (`critical` for a world-open port,
 * `medium` for text addressed to a reviewer, which exposes nothing by itself).
 */
export function applyGuardrails(
  changes: readonly ContextChange[],
  recommendations: readonly Recommendation[],
): GuardedRecommendation[] {
  const byId = new Map(changes.map((c) => [c.id, c]));
  return recommendations.map((rec) => {
    const change = byId.get(rec.changeId);
    if (change === undefined) return rec;
    const written = writtenValue(rec, change);
    if (written === undefined) return rec;
    const hit = violation(change, written.value);
    if (hit === undefined) return rec;
    const floor: Severity =
      hit.rule === "world-open-port" ? "critical" : hit.rule === "reviewer-instruction" ? "medium" : "high";
    const { proposed: _dropped, ...rest } = rec;
    return {
      ...rest,
      decision: "revert",
      severity: maxSeverity(rec.severity, floor),
      reasoning: `${rec.reasoning} Guardrail ${hit.rule}: ${rec.decision} would keep ${hit.what}; reverting instead.`,
      guardrail: {
        rule: hit.rule,
        overridden: rec.decision,
        reason: `${rec.decision} would keep ${hit.what}`,
      },
    };
  });
}
