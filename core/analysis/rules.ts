import type { Clock } from "../clock.ts";
import type { MetricSignal } from "../signals/types.ts";
import { type ChangeDirection, directionOf } from "./directions.ts";
import { metricsOf } from "./evidence.ts";
import { maxSeverity, violation } from "./guardrails.ts";
import { instructionInValue } from "./instructions.ts";
import { ladder, parseClass, projectUtilisation } from "./sizing.ts";
import type {
  AnalysisContext,
  Analyst,
  ContextChange,
  Decision,
  Environment,
  Recommendation,
  Severity,
} from "./types.ts";
import { asBoolean, asNumber } from "./values.ts";

/**
 * The rules analyzer: deterministic decisions explained with evidence. The default offline and the
 * fallback when Bedrock fails. Each rule names what it saw (figures, monitors, policy) in `reasoning`.
 */

/** Utilisation a right-sized resource should stay under after an incident: 40 % headroom. */
export const TARGET_UTILISATION = 60;

const SIZE_PROPERTIES = /^\/(InstanceType|DBInstanceClass|CacheNodeType|NodeType|InstanceClass)$/;
const COUNT_PROPERTIES =
  /^\/(DesiredCapacity|MinSize|MaxSize|NumCacheNodes|ReservedConcurrentExecutions|MemorySize|Timeout|AllocatedStorage|Iops|ProvisionedThroughput\/(Read|Write)CapacityUnits|DesiredCount)$/;
const DATA_SAFETY =
  /^\/(BackupRetentionPeriod|DeletionProtection|DeletionProtectionEnabled|StorageEncrypted|Encrypted|PubliclyAccessible|MultiAZ|PointInTimeRecoverySpecification|VersioningConfiguration|EnablePerformanceInsights|MonitoringInterval|CopyTagsToSnapshot|DisableApiTermination|IsLogging|EnableLogFileValidation)/;
/** Words of a tag key that mark an incident, not the resource (`IncidentRef`, `temp-debug`). */
const EPHEMERAL_WORDS = new Set([
  "incident",
  "inc",
  "temp",
  "tmp",
  "debug",
  "test",
  "hotfix",
  "oncall",
  "warroom",
]);
/** Words of a tag key that record an approval or a note: claims about a change, not resource metadata. */
const CLAIM_WORDS = new Set([
  "approved",
  "approval",
  "approver",
  "ticket",
  "breakglass",
  "note",
  "notes",
  "justification",
  "phantom",
]);
/** `IncidentRef` ► [incident, ref]; `on-call_owner` ► [on, call, owner]. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function isClaimTag(key: string): boolean {
  const parts = words(key);
  return parts.some((w) => CLAIM_WORDS.has(w)) || parts.join("").includes("breakglass");
}

function isEphemeralTag(key: string): boolean {
  const parts = words(key);
  return (
    parts.some((w) => EPHEMERAL_WORDS.has(w)) ||
    parts.join("").includes("oncall") ||
    parts.join("").includes("warroom")
  );
}
const ALERTING = /alert|warn|triggered|critical|error/i;
const PRIVATE_CIDR = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|fd|fc)/i;
const STATEFUL =
  /::(RDS::DB|DynamoDB::Table|S3::Bucket|EFS::FileSystem|ElastiCache::|Neptune::|DocDB::|KMS::Key|Logs::LogGroup)/;

/** Guardrail rules whose violation exposes or blinds the account outright. */
const CRITICAL_RULES: ReadonlySet<string> = new Set([
  "world-open-port",
  "public-s3-access",
  "encryption-disabled",
  "iam-wildcard",
  "logging-disabled",
]);

const RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };
const BY_RANK: readonly Severity[] = ["low", "medium", "high", "critical"];

/** Environment weighs severity (DESIGN §3: prod > staging > dev). */
export function weighSeverity(base: Severity, environment: Environment): Severity {
  const shift = environment === "dev" ? -1 : environment === "staging" && base === "critical" ? -1 : 0;
  return BY_RANK[Math.max(0, Math.min(3, RANK[base] + shift))] ?? base;
}

/** A 1–10 score for metrics: low 2, medium 4, high 7, critical 9; prod +1, dev −1. */
export function severityScore(severity: Severity, environment: Environment): number {
  const base = { low: 2, medium: 4, high: 7, critical: 9 }[severity];
  const shift = environment === "prod" ? 1 : environment === "dev" ? -1 : 0;
  return Math.max(1, Math.min(10, base + shift));
}

function money(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return "an unpriced amount";
  const sign = usd < 0 ? "-" : "";
  return `${sign}$${Math.abs(usd).toLocaleString("en-US", { maximumFractionDigits: 0 })}/month`;
}

function show(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text === undefined ? "nothing" : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function rec(
  change: ContextChange,
  decision: Decision,
  confidence: number,
  severity: Severity,
  reasoning: string,
  proposed?: unknown,
): Recommendation {
  return {
    changeId: change.id,
    decision,
    ...(proposed === undefined ? {} : { proposed }),
    confidence: Math.round(confidence * 100) / 100,
    severity,
    reasoning,
  };
}

/** Monitors that alerted in the two hours before the window or during it: an incident. */
function incidentMonitors(ctx: AnalysisContext): string[] {
  const first = ctx.window.firstEventAt ? Date.parse(ctx.window.firstEventAt) : Number.NaN;
  const last = ctx.window.lastEventAt ? Date.parse(ctx.window.lastEventAt) : Number.NaN;
  return ctx.signals.monitors
    .filter((m) => ALERTING.test(m.status) || m.resolvedAt !== undefined)
    .filter((m) => {
      const at = Date.parse(m.triggeredAt);
      return !Number.isFinite(first) || (at >= first - 2 * 3_600_000 && at <= last);
    })
    .map((m) => `${m.name}${m.priority ? ` (P${m.priority})` : ""} at ${m.triggeredAt.slice(11, 16)}Z`);
}

function cpuMetric(ctx: AnalysisContext, change: ContextChange): MetricSignal | undefined {
  return metricsOf(ctx, change).find((m) => /cpu/i.test(m.metric));
}

function judgeDeletion(change: ContextChange, env: Environment): Recommendation {
  const stateful = STATEFUL.test(change.resourceType);
  return rec(
    change,
    "revert",
    0.9,
    weighSeverity(stateful ? "critical" : "high", env),
    `${change.logicalId} (${change.resourceType}) was deleted outside CloudFormation; ` +
      `${stateful ? "it holds data, so " : ""}restoring it from the template is the safe state. ` +
      "Recreating it gives a new physical resource: check dependants before deploying.",
  );
}

function ingressRules(value: unknown): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null);
}

function judgeIngress(change: ContextChange, env: Environment): Recommendation {
  const kind = change.differenceType;
  if (kind === "REMOVE") {
    return rec(
      change,
      "legitimize",
      0.7,
      weighSeverity("low", env),
      `A rule was removed from ${change.logicalId}: the live access is narrower than the template's (tightening). ` +
        "Keeping it narrower is safe if nothing depended on it.",
    );
  }
  const added = ingressRules(change.actual);
  const open = violation(change, change.actual);
  if (open !== undefined) {
    return rec(
      change,
      "revert",
      0.95,
      weighSeverity("critical", env),
      `${open.what} on ${change.logicalId} exposes it to the internet; no incident justifies keeping that. ` +
        "Use Session Manager or a bastion for debugging access.",
    );
  }
  const sources = added.map((r) => String(r.CidrIp ?? r.CidrIpv6 ?? r.SourceSecurityGroupId ?? "?"));
  const internal = sources.every((s) => PRIVATE_CIDR.test(s) || s.startsWith("sg-"));
  if (internal) {
    return rec(
      change,
      "legitimize",
      0.6,
      weighSeverity("medium", env),
      `${change.logicalId} gained ingress from internal sources only (${sources.join(", ")}): a loosening inside the network, ` +
        "plausibly needed; keep it in the template so it is reviewed and owned.",
    );
  }
  return rec(
    change,
    "revert",
    0.75,
    weighSeverity("high", env),
    `${change.logicalId} gained ingress from ${sources.join(", ")} (outside the private ranges): a security loosening without review.`,
  );
}

function judgeDataSafety(change: ContextChange, env: Environment): Recommendation {
  const key = change.propertyPath.split("/").filter(Boolean)[0] ?? "";
  const hit = violation(change, change.actual);
  if (hit !== undefined) {
    const security = directionOf(change)?.entry.concern === "security";
    const severe = CRITICAL_RULES.has(hit.rule) || security ? "critical" : "high";
    return rec(
      change,
      "revert",
      0.92,
      weighSeverity(severe, env),
      `${change.logicalId}: ${hit.what}. Data-safety settings are part of the safe state; an incident is no reason to keep them weaker.`,
    );
  }
  const before = asBoolean(change.expected);
  const after = asBoolean(change.actual);
  if (key === "PubliclyAccessible" && after === true) {
    return rec(
      change,
      "revert",
      0.92,
      weighSeverity("critical", env),
      `${change.logicalId} was made publicly accessible.`,
    );
  }
  if ((key === "MultiAZ" || key === "CopyTagsToSnapshot") && before === true && after === false) {
    return rec(
      change,
      "revert",
      0.85,
      weighSeverity("high", env),
      `${change.logicalId}: ${key} was turned off, which weakens recovery.`,
    );
  }
  if (
    (key === "EnablePerformanceInsights" || key === "MonitoringInterval") &&
    (after === false || asNumber(change.actual) === 0)
  ) {
    return rec(
      change,
      "revert",
      0.85,
      weighSeverity("medium", env),
      `${change.logicalId}: ${key} was turned off, likely as a side effect of the console's modify form; ` +
        "it is the observability you need for the next incident.",
    );
  }
  const numBefore = asNumber(change.expected);
  const numAfter = asNumber(change.actual);
  const stronger =
    (before === false && after === true) ||
    (numBefore !== undefined && numAfter !== undefined && numAfter > numBefore);
  if (stronger && key !== "PubliclyAccessible") {
    return rec(
      change,
      "legitimize",
      0.8,
      "low",
      `${change.logicalId}: ${key} was strengthened (${show(change.expected)} ► ${show(change.actual)}); keep it.`,
    );
  }
  return rec(
    change,
    "revert",
    0.7,
    weighSeverity("medium", env),
    `${change.logicalId}: ${key} changed (${show(change.expected)} ► ${show(change.actual)}) outside the template.`,
  );
}

function judgeSize(change: ContextChange, ctx: AnalysisContext): Recommendation {
  const env = ctx.environment;
  const safe = parseClass(change.expected);
  const live = parseClass(change.actual);
  const delta = change.cost.deltaMonthlyUsd;
  const costNote = delta === null ? "" : ` (${delta >= 0 ? "+" : ""}${money(delta)})`;
  if (safe === undefined || live === undefined || safe.family !== live.family) {
    return rec(
      change,
      "revert",
      0.55,
      weighSeverity("medium", env),
      `${change.logicalId} moved from ${show(change.expected)} to ${show(change.actual)}${costNote}, a different family; ` +
        "review the sizing in the template rather than keep a console choice.",
    );
  }
  const incident = incidentMonitors(ctx);
  const costly = delta !== null && delta >= 1000;
  if (live.units < safe.units) {
    if (incident.length > 0) {
      return rec(
        change,
        "revert",
        0.7,
        weighSeverity("high", env),
        `${change.logicalId} was scaled down to ${live.size} while ${incident.join(", ")} fired: restore the template's ${safe.size}.`,
      );
    }
    return rec(
      change,
      "legitimize",
      0.65,
      "low",
      `${change.logicalId} was scaled down ${safe.size} ► ${live.size}${costNote} with no alert in the window; the saving can stay.`,
    );
  }
  if (incident.length === 0) {
    return rec(
      change,
      "revert",
      0.7,
      weighSeverity(costly ? "high" : "medium", env),
      `${change.logicalId} was scaled up ${safe.size} ► ${live.size}${costNote} with no incident in the window to justify it.`,
    );
  }
  const cpu = cpuMetric(ctx, change);
  const measured = cpu?.after ?? cpu?.during;
  if (cpu === undefined || measured === undefined) {
    return rec(
      change,
      "legitimize",
      0.5,
      weighSeverity(costly ? "high" : "medium", env),
      `${change.logicalId} was scaled up ${safe.size} ► ${live.size}${costNote} during ${incident.join(", ")}; ` +
        "no utilisation data to right-size it, so keep it and review the size after the incident.",
    );
  }
  const when = cpu.after !== undefined ? "post-incident" : "during the incident";
  const ratio = live.units / safe.units;
  const offered = new Set((change.cost.candidates ?? []).map((c) => String(c.value)));
  const sizes = ladder(live.family, safe.units, live.units, offered);
  const fits = sizes.find((size) => {
    const units = parseClass(size)?.units ?? live.units;
    return projectUtilisation(measured, live.units, units) <= TARGET_UTILISATION;
  });
  const chosen = fits ?? live.family.concat(".", live.size);
  const chosenUnits = parseClass(chosen)?.units ?? live.units;
  const projected = projectUtilisation(measured, live.units, chosenUnits);
  const price = change.cost.candidates?.find((c) => c.value === chosen)?.monthlyUsd;
  const saving =
    price !== undefined && change.cost.currentMonthlyUsd !== null
      ? change.cost.currentMonthlyUsd - price
      : undefined;
  const evidence = `${when} CPU ${measured.toFixed(1)} % on ${ratio}× the template's capacity`;
  if (chosen === `${live.family}.${live.size}`) {
    return rec(
      change,
      "legitimize",
      0.75,
      weighSeverity(costly ? "high" : "medium", env),
      `${evidence}; no smaller class stays under ${TARGET_UTILISATION} % ► keep ${live.size}${costNote}.`,
    );
  }
  if (chosen === `${safe.family}.${safe.size}`) {
    return rec(
      change,
      "revert",
      0.75,
      weighSeverity(costly ? "high" : "medium", env),
      `${evidence}; the template's ${safe.size} projects to ${projected.toFixed(0)} % ► revert the panic size${costNote}.`,
    );
  }
  return rec(
    change,
    "refactor",
    0.8,
    weighSeverity(costly ? "high" : "medium", env),
    `${evidence}; ${chosen} projects to ${projected.toFixed(0)} % (${100 - Math.round(projected)} % headroom) ► ` +
      `refactor to ${chosen}${saving !== undefined ? `, saving ${money(saving)} against the live ${live.size}` : ""}.`,
    chosen,
  );
}

function judgeCount(change: ContextChange, ctx: AnalysisContext): Recommendation {
  const before = asNumber(change.expected);
  const after = asNumber(change.actual);
  const incident = incidentMonitors(ctx);
  const key = change.propertyPath.slice(1);
  if (before === undefined || after === undefined) {
    return rec(
      change,
      "revert",
      0.5,
      weighSeverity("medium", ctx.environment),
      `${change.logicalId}: ${key} changed.`,
    );
  }
  if (after > before && incident.length > 0) {
    return rec(
      change,
      "legitimize",
      0.6,
      weighSeverity("medium", ctx.environment),
      `${change.logicalId}: ${key} raised ${before} ► ${after} during ${incident.join(", ")}; keep it and review after the incident.`,
    );
  }
  if (after < before && incident.length === 0 && !/ReservedConcurrentExecutions|MaxSize/.test(key)) {
    return rec(
      change,
      "legitimize",
      0.6,
      "low",
      `${change.logicalId}: ${key} lowered ${before} ► ${after} with no alert in the window.`,
    );
  }
  return rec(
    change,
    "revert",
    0.65,
    weighSeverity("medium", ctx.environment),
    `${change.logicalId}: ${key} ${after > before ? "raised" : "lowered"} ${before} ► ${after} ` +
      `${incident.length > 0 ? `while ${incident.join(", ")} fired` : "with no incident to justify it"}.`,
  );
}

function tagOf(value: unknown): { key?: string; value?: unknown } {
  if (typeof value === "object" && value !== null && "Key" in value) {
    const t = value as { Key?: unknown; Value?: unknown };
    return { ...(typeof t.Key === "string" ? { key: t.Key } : {}), value: t.Value };
  }
  return {};
}

function judgeTag(change: ContextChange, env: Environment): Recommendation {
  if (change.differenceType === "REMOVE") {
    const { key } = tagOf(change.expected);
    return rec(
      change,
      "revert",
      0.8,
      weighSeverity("low", env),
      `Tag ${key ?? "(unknown)"} was removed from ${change.logicalId}; tags carry ownership and cost allocation, restore it.`,
    );
  }
  const { key } = tagOf(change.actual);
  const instruction = instructionInValue(change.actual);
  if (instruction !== undefined) {
    return rec(
      change,
      "revert",
      0.85,
      weighSeverity("medium", env),
      `Tag ${key ?? change.propertyPath} on ${change.logicalId} carries text addressed to a reviewer or a model ` +
        `(${instruction.why}); it is treated as data, changes no decision, and does not belong in the template.`,
    );
  }
  if (key !== undefined && isClaimTag(key)) {
    return rec(
      change,
      "revert",
      0.75,
      "low",
      `Tag ${key} on ${change.logicalId} records a claim about a change (an approval, a ticket, a note), not the resource; ` +
        "keep it in the incident record, not on the resource.",
    );
  }
  if (key !== undefined && isEphemeralTag(key)) {
    return rec(
      change,
      "revert",
      0.7,
      "low",
      `Tag ${key} on ${change.logicalId} marks the incident, not the resource: drop it from the live state when the incident is closed.`,
    );
  }
  return rec(
    change,
    "legitimize",
    0.7,
    "low",
    `${change.logicalId}: tag ${key ?? change.propertyPath} set in the console; tags are low-risk, keep it in the template.`,
  );
}

/**
 * A protective setting made stronger (the direction table, `directions.ts`): the stack is safer
 * than its template, so the template catches up, with high confidence and low severity.
 */
function judgeHardening(change: ContextChange, d: ChangeDirection): Recommendation {
  return rec(
    change,
    "legitimize",
    0.9,
    "low",
    `${change.logicalId}: ${d.entry.what} strengthened (${show(change.expected)} ► ${show(change.actual)}), ` +
      `which makes the stack safer (${d.entry.concern}); keep it in the template.`,
  );
}

/** Decides one change. Exported for tests and for the Bedrock analyzer's fallback per change. */
export function judgeChange(change: ContextChange, ctx: AnalysisContext): Recommendation {
  const env = ctx.environment;
  if (change.propertyPath === "" && change.differenceType === "REMOVE") return judgeDeletion(change, env);
  const hardening = directionOf(change);
  if (hardening?.direction === "stronger") return judgeHardening(change, hardening);
  if (/^\/Tags(\/|$)/.test(change.propertyPath)) return judgeTag(change, env);
  if (/Ingress/.test(change.propertyPath) || /SecurityGroupIngress$/.test(change.resourceType)) {
    return judgeIngress(change, env);
  }
  if (SIZE_PROPERTIES.test(change.propertyPath)) return judgeSize(change, ctx);
  if (COUNT_PROPERTIES.test(change.propertyPath)) return judgeCount(change, ctx);
  if (DATA_SAFETY.test(change.propertyPath)) return judgeDataSafety(change, env);
  const hit = violation(change, change.actual);
  if (hit !== undefined) {
    return rec(
      change,
      "revert",
      0.9,
      weighSeverity("high", env),
      `${change.logicalId}: ${hit.what}; restore the template.`,
    );
  }
  const costly = change.cost.deltaMonthlyUsd !== null && change.cost.deltaMonthlyUsd > 100;
  return rec(
    change,
    "revert",
    0.5,
    maxSeverity(weighSeverity("medium", env), costly ? "medium" : "low"),
    `${change.logicalId}${change.propertyPath}: ${show(change.expected)} ► ${show(change.actual)} changed outside the template ` +
      "and no rule explains it; the template is the safe state until someone owns the change.",
  );
}

/** The rules analyzer. `clock` only measures latency. */
export function createRulesAnalyst(clock?: Clock): Analyst {
  return {
    async analyze(context) {
      const started = clock?.now() ?? 0;
      const recommendations = context.changes.map((change) => judgeChange(change, context));
      return { recommendations, usage: { kind: "rules", latencyMs: (clock?.now() ?? 0) - started } };
    },
  };
}
