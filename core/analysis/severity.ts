import { directionOf } from "./directions.ts";
import { type GuardedRecommendation, type GuardrailRule, violation } from "./guardrails.ts";
import { REDACTED } from "./redact.ts";
import type { ContextChange, Environment } from "./types.ts";

/**
 * Why a change has its severity (issue 12): every severity in the report states its basis, one of
 * security, data safety, cost or environment, with the figure or setting behind it, so a reviewer
 * can check it. Pure; derived from the change, the decision the guardrails let through, and the
 * environment that weighed it.
 */

export const SEVERITY_BASES = ["security", "data safety", "cost", "environment"] as const;
export type SeverityBasis = (typeof SEVERITY_BASES)[number];

export interface SeverityReason {
  readonly basis: SeverityBasis;
  /** One clause with the evidence: `ingress tcp port 22 from 0.0.0.0/0 (prod)`. */
  readonly detail: string;
}

const GUARDRAIL_BASIS: Readonly<Record<GuardrailRule, SeverityBasis>> = {
  "world-open-port": "security",
  "public-s3-access": "security",
  "encryption-disabled": "security",
  "deletion-protection-disabled": "data safety",
  "backup-retention-shortened": "data safety",
  "iam-wildcard": "security",
  "logging-disabled": "security",
  "reviewer-instruction": "security",
  "protection-weakened": "data safety",
};

const STATEFUL =
  /::(RDS::DB|DynamoDB::Table|S3::Bucket|EFS::FileSystem|ElastiCache::|Neptune::|DocDB::|KMS::Key|Logs::LogGroup)/;
const CAPACITY =
  /^\/(InstanceType|DBInstanceClass|CacheNodeType|NodeType|InstanceClass|DesiredCapacity|MinSize|MaxSize|NumCacheNodes|ReservedConcurrentExecutions|MemorySize|Timeout|AllocatedStorage|Iops|ProvisionedThroughput\/(Read|Write)CapacityUnits|DesiredCount)$/;

/** Properties that grant or deny access; a `DeliveryPolicy` or `RetentionPolicy` is not one. */
const PERMISSIONS =
  /(^|\/)(Policies|PolicyDocument|AssumeRolePolicyDocument|KeyPolicy|ManagedPolicyArns|PermissionsBoundary|PolicyText|AccessPolicies|ResourcePolicy|BucketPolicy|QueuePolicy|TopicPolicy|Permission)(\/|$)/;
/** Lambda's off switch: reserved concurrency 0 stops every invocation. */
const KILL_SWITCH = /^\/ReservedConcurrentExecutions$/;

function money(usd: number): string {
  return `${usd < 0 ? "-" : "+"}$${Math.abs(usd).toLocaleString("en-US", { maximumFractionDigits: 0 })}/month`;
}

/** `in prod`; for dev and staging, that the environment weighed it. */
function where(env: Environment): string {
  if (env === "dev") return "in dev, one step lower";
  if (env === "staging") return "in staging, critical lowered to high";
  if (env === "unknown") return "environment unknown, weighed as prod";
  return "in prod";
}

/** The basis and evidence of a change's severity. */
export function severityReason(
  change: ContextChange,
  rec: GuardedRecommendation,
  env: Environment,
): SeverityReason {
  const at = where(env);
  // What a guardrail overrode, or what the live value breaks even when the analyzer reverted it.
  const hit = rec.guardrail
    ? { rule: rec.guardrail.rule, what: rec.guardrail.reason.replace(/^\w+ would keep /, "") }
    : violation(change, change.actual);
  if (hit !== undefined) {
    const direction = directionOf(change);
    const basis =
      hit.rule === "protection-weakened" && direction?.entry.concern === "security"
        ? "security"
        : GUARDRAIL_BASIS[hit.rule];
    return { basis, detail: `${hit.what} (${at})` };
  }
  if (JSON.stringify(change.actual ?? null).includes(REDACTED))
    return { basis: "security", detail: `the live value is a secret (${at})` };
  if (change.propertyPath === "" && change.differenceType === "REMOVE") {
    return STATEFUL.test(change.resourceType)
      ? { basis: "data safety", detail: `${change.resourceType} holding data deleted (${at})` }
      : { basis: "environment", detail: `${change.resourceType} deleted (${at})` };
  }
  const direction = directionOf(change);
  if (direction !== undefined && direction.direction !== "same") {
    const basis: SeverityBasis = direction.entry.concern === "data safety" ? "data safety" : "security";
    const moved = direction.direction === "stronger" ? "strengthened" : "weakened";
    return { basis, detail: `${direction.entry.what} ${moved} (${at})` };
  }
  if (/Ingress|Egress/.test(change.propertyPath) || /Ingress$|Egress$/.test(change.resourceType))
    return { basis: "security", detail: `network access changed (${at})` };
  if (change.resourceType.startsWith("AWS::IAM::") || PERMISSIONS.test(change.propertyPath))
    return { basis: "security", detail: `permissions changed (${at})` };
  if (KILL_SWITCH.test(change.propertyPath) && change.actual === 0)
    return { basis: "environment", detail: `the function is switched off: reserved concurrency 0 (${at})` };
  const delta = change.cost.deltaMonthlyUsd;
  if (delta !== null && delta !== 0) return { basis: "cost", detail: `${money(delta)} (${at})` };
  if (CAPACITY.test(change.propertyPath))
    return {
      basis: "cost",
      detail: `capacity changed, ${delta === 0 ? "no cost change" : "unpriced"} (${at})`,
    };
  return {
    basis: "environment",
    detail: `no security, data-safety or cost impact found; ${/^\/Tags(\/|$)/.test(change.propertyPath) ? "metadata" : "configuration"} ${at}`,
  };
}
