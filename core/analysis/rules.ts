import type { Clock } from "../clock.ts";
import { type ChangeDirection, directionOf, sourceLevel } from "./directions.ts";
import { metricKey, metricsOf, sizingFigure } from "./evidence.ts";
import { maxSeverity, violation } from "./guardrails.ts";
import { instructionInValue } from "./instructions.ts";
import { REDACTED } from "./redact.ts";
import {
  type InstanceClass,
  ladder,
  maxConnections,
  memoryGiB,
  parseClass,
  projectUtilisation,
} from "./sizing.ts";
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
/** Tag keys that name who owns a resource, joined lowercase (`Owner`, `team`, `owning-team`). */
const OWNERSHIP_KEYS: ReadonlySet<string> = new Set([
  "owner",
  "team",
  "owningteam",
  "ownerteam",
  "owneremail",
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

/**
 * The severity a violated guardrail carries before the environment weighs it: critical when it
 * exposes or blinds the account outright (log file validation only weakens tamper evidence:
 * high), medium for text addressed to a reviewer (it exposes nothing by itself), else high.
 */
function ruleSeverity(change: ContextChange, rule: string): Severity {
  if (rule === "reviewer-instruction") return "medium";
  if (
    rule === "logging-disabled" &&
    /(EnableLogFileValidation|IsMultiRegionTrail)$/.test(change.propertyPath)
  )
    return "high";
  // The ACL flags alone matter only once an ACL grants public access; the policy flags and the
  // whole block are what stop a public policy outright.
  if (rule === "public-s3-access" && /\/(BlockPublicAcls|IgnorePublicAcls)$/.test(change.propertyPath))
    return "high";
  if (CRITICAL_RULES.has(rule)) return "critical";
  return directionOf(change)?.entry.concern === "security" && rule !== "protection-weakened"
    ? "critical"
    : "high";
}

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

function judgeDeletion(change: ContextChange, env: Environment): Recommendation {
  const stateful = STATEFUL.test(change.resourceType);
  return rec(
    change,
    "revert",
    0.9,
    weighSeverity(stateful ? "critical" : "high", env),
    `${change.logicalId} (${change.resourceType}${
      change.cost.safeMonthlyUsd === null ? "" : `, ${money(change.cost.safeMonthlyUsd)} in the template`
    }) was deleted outside CloudFormation; ` +
      `${stateful ? "it holds data, so " : ""}restoring it from the template is the safe state. ` +
      "Recreating it gives a new physical resource: check dependants before deploying.",
  );
}

function ingressRules(value: unknown): Record<string, unknown>[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null);
}

/**
 * The sources an ingress value admits: the CIDR, security group or prefix list of each rule, or
 * the value itself when the drift is on the source field (`/SecurityGroupIngress/0/CidrIp`).
 * Empty when none can be read, never a placeholder.
 */
function ingressSources(value: unknown): string[] {
  if (typeof value === "string" && value.trim() !== "") return [value.trim()];
  return ingressRules(value).flatMap((r) => {
    const source = r.CidrIp ?? r.CidrIpv6 ?? r.SourceSecurityGroupId ?? r.SourcePrefixListId;
    return typeof source === "string" && source !== "" ? [source] : [];
  });
}

/**
 * A world-open rule of the same group removed in the same window: the added internal rule replaces
 * it, which narrows access (the direction table's reading of the pair).
 */
function replacedWorldRule(change: ContextChange, ctx: AnalysisContext): ContextChange | undefined {
  return ctx.changes.find(
    (c) =>
      c !== change &&
      c.logicalId === change.logicalId &&
      c.differenceType === "REMOVE" &&
      /Ingress/.test(c.propertyPath) &&
      sourceLevel(c.expected) === 0,
  );
}

function judgeIngress(change: ContextChange, ctx: AnalysisContext): Recommendation {
  const env = ctx.environment;
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
  const sources = ingressSources(change.actual);
  if (sources.length === 0) {
    return rec(
      change,
      "revert",
      0.5,
      weighSeverity("medium", env),
      `${change.logicalId}${change.propertyPath} changed (${show(change.expected)} ► ${show(change.actual)}) ` +
        "and names no source Phantom can read; the template's rule stays until someone reviews it.",
    );
  }
  const internal = sources.every((s) => PRIVATE_CIDR.test(s) || s.startsWith("sg-") || s.startsWith("pl-"));
  const replaced = internal ? replacedWorldRule(change, ctx) : undefined;
  if (replaced !== undefined) {
    return rec(
      change,
      "legitimize",
      0.85,
      "low",
      `${change.logicalId} gained ingress from ${sources.join(", ")} while the same window removed ` +
        `${show(replaced.expected)}: the private rule replaces a world-open one, which narrows access; keep it.`,
    );
  }
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
    const severe = key === "PubliclyAccessible" ? "critical" : ruleSeverity(change, hit.rule);
    return rec(
      change,
      "revert",
      0.92,
      weighSeverity(severe, env),
      `${change.logicalId}: ${hit.what} (${show(change.expected)} ► ${show(change.actual)}). ` +
        "Data-safety settings are part of the safe state; an incident is no reason to keep them weaker.",
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
      `${change.logicalId} was made publicly accessible (PubliclyAccessible ${show(change.expected)} ► ${show(change.actual)}).`,
    );
  }
  if ((key === "MultiAZ" || key === "CopyTagsToSnapshot") && before === true && after === false) {
    return rec(
      change,
      "revert",
      0.85,
      weighSeverity("high", env),
      `${change.logicalId}: ${key} was turned off (${show(change.expected)} ► ${show(change.actual)}), which weakens recovery.`,
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
      `${change.logicalId}: ${key} was turned off (${show(change.expected)} ► ${show(change.actual)}), likely as a side effect of the console's modify form; ` +
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
  const loads = loadsOf(ctx, change, live);
  if (loads.length === 0) {
    return rec(
      change,
      "legitimize",
      0.5,
      weighSeverity(costly ? "high" : "medium", env),
      `${change.logicalId} was scaled up ${safe.size} ► ${live.size}${costNote} during ${incident.join(", ")}; ` +
        "no utilisation data to right-size it, so keep it and review the size after the incident.",
    );
  }
  const ratio = live.units / safe.units;
  const offered = new Set((change.cost.candidates ?? []).map((c) => String(c.value)));
  const sizes = ladder(live.family, safe.units, live.units, offered);
  const unitsOf = (size: string) => parseClass(size)?.units ?? live.units;
  const fits = sizes.find((size) => loads.every((l) => l.project(unitsOf(size)) <= l.target));
  const chosen = fits ?? live.family.concat(".", live.size);
  const chosenUnits = unitsOf(chosen);
  // The load that needs the most capacity bound the proposal (the first, CPU, on a tie).
  const need = (l: Load) => {
    const size = sizes.find((s) => l.project(unitsOf(s)) <= l.target);
    return size === undefined ? Number.POSITIVE_INFINITY : unitsOf(size);
  };
  const binding = loads.reduce((a, b) => (need(b) > need(a) ? b : a));
  const projected = binding.project(chosenUnits);
  const price = change.cost.candidates?.find((c) => c.value === chosen)?.monthlyUsd;
  const saving =
    price !== undefined && change.cost.currentMonthlyUsd !== null
      ? change.cost.currentMonthlyUsd - price
      : undefined;
  const evidence = `${binding.when} ${binding.measured} on ${ratio}× the template's capacity`;
  const others = loads.filter((l) => l !== binding);
  const bound =
    others.length === 0
      ? ""
      : ` ${binding.name} bound the size; ${others
          .map(
            (o) => `${o.measured} projects to ${o.project(chosenUnits).toFixed(0)} % (target ${o.target} %)`,
          )
          .join(", ")}.`;
  const severity = weighSeverity(costly ? "high" : "medium", env);
  if (chosen === `${live.family}.${live.size}`) {
    return rec(
      change,
      "legitimize",
      0.75,
      severity,
      `${evidence}; no smaller class stays under ${binding.target} % ► keep ${live.size}${costNote}.${bound}`,
    );
  }
  if (chosen === `${safe.family}.${safe.size}`) {
    return rec(
      change,
      "revert",
      0.75,
      severity,
      `${evidence}; the template's ${safe.size} projects to ${projected.toFixed(0)} % ► revert the panic size${costNote}.${bound}`,
    );
  }
  return rec(
    change,
    "refactor",
    0.8,
    severity,
    `${evidence}; ${chosen} projects to ${projected.toFixed(0)} % (${100 - Math.round(projected)} % headroom) ► ` +
      `refactor to ${chosen}${saving !== undefined ? `, saving ${money(saving)} against the live ${live.size}` : ""}.${bound}`,
    chosen,
  );
}

/**
 * RDS memory (and connections, which RDS sizes by memory) a right-sized instance should stay
 * under: 20 % free, because the buffer cache fills whatever memory there is.
 */
export const MEMORY_TARGET = 80;

/** One measured load on a resource, projected onto other sizes of its family. */
interface Load {
  /** What bound the size, for the reasoning: `CPU`, `memory`, `freeable memory`, `connections`. */
  readonly name: string;
  readonly when: string;
  /** The figure as measured, with its unit: `CPU 28.6 %`, `freeable memory 1.2 GiB of 64 GiB (98 % used)`. */
  readonly measured: string;
  /** Utilisation a right size stays under, percent. */
  readonly target: number;
  /** Utilisation, percent, on a class of `units` capacity units of the same family. */
  project(units: number): number;
}

const GIB = 1024 ** 3;

/** A memory figure in GiB: by its unit (`GiB`, `MiB`, `MB`), else bytes as Datadog reports it. */
function gibOf(value: number, unit: string | undefined): number {
  if (unit !== undefined && /^gi?b|gigabyte/i.test(unit)) return value;
  if (unit !== undefined && /^mi?b|megabyte/i.test(unit)) return value / 1024;
  return value / GIB;
}

/**
 * The loads the resource's metrics measure (`evidence.ts`: matched by logical id, physical id or
 * Datadog tag): CPU (`cpuutilization`, ElastiCache's engine CPU), memory used percent (ElastiCache
 * `database_memory_usage_percentage`, ECS `memory_utilization`), RDS `freeable_memory` against the
 * class's memory, and RDS `database_connections` against the class's default `max_connections`.
 * Each is projected inversely to capacity units; per kind, the heaviest is kept.
 */
function loadsOf(ctx: AnalysisContext, change: ContextChange, live: InstanceClass): Load[] {
  const byName = new Map<string, Load>();
  const keep = (load: Load) => {
    const held = byName.get(load.name);
    if (held === undefined || load.project(live.units) > held.project(live.units))
      byName.set(load.name, load);
  };
  const total = memoryGiB(live);
  for (const m of metricsOf(ctx, change)) {
    const key = metricKey(m.metric);
    const figure = sizingFigure(m);
    if (figure === undefined) continue;
    const { value: v, when } = figure;
    const inverse = (units: number) => projectUtilisation(v, live.units, units);
    if (/cpu/.test(key)) {
      keep({
        name: "CPU",
        when,
        measured: `CPU ${v.toFixed(1)} %`,
        target: TARGET_UTILISATION,
        project: inverse,
      });
    } else if (key === "databasememoryusagepercentage" || key === "memoryutilization") {
      keep({
        name: "memory",
        when,
        measured: `memory ${v.toFixed(1)} % used`,
        // The data set lives in this memory (evictions when full): the same 40 % headroom as CPU.
        target: TARGET_UTILISATION,
        project: inverse,
      });
    } else if (key === "freeablememory" && total !== undefined) {
      const free = Math.min(total, gibOf(v, m.unit));
      const used = total - free;
      keep({
        name: "freeable memory",
        when,
        measured: `freeable memory ${free.toFixed(1)} GiB of ${total} GiB (${((used / total) * 100).toFixed(0)} % used)`,
        target: MEMORY_TARGET,
        project: (units) => (used / ((total * units) / live.units)) * 100,
      });
    } else if (key === "databaseconnections" && total !== undefined) {
      keep({
        name: "connections",
        when,
        measured: `${v.toFixed(0)} connections of ${maxConnections(total)} allowed`,
        target: MEMORY_TARGET,
        project: (units) => (v / maxConnections((total * units) / live.units)) * 100,
      });
    }
  }
  // CPU first, so a tie names CPU as before; then in a stable order.
  const order = ["CPU", "memory", "freeable memory", "connections"];
  return order.flatMap((name) => {
    const load = byName.get(name);
    return load === undefined ? [] : [load];
  });
}

/**
 * `aws.lambda.duration.p99 reached 10.0 s (during), 100 % of the template's 10 s timeout` when the
 * function's runs hit (80 % or more of) the template's timeout, read from the window's own
 * `/Timeout` change; `undefined` otherwise.
 */
function durationAtTimeout(change: ContextChange, ctx: AnalysisContext): string | undefined {
  const timeoutChange = ctx.changes.find(
    (c) => c.logicalId === change.logicalId && c.propertyPath === "/Timeout",
  );
  const timeout = asNumber(timeoutChange?.expected);
  if (timeout === undefined) return undefined;
  const worst = worstDuration(change, ctx);
  if (worst === undefined || worst.ms < 0.8 * timeout * 1000) return undefined;
  return `${worst.metric} reached ${(worst.ms / 1000).toFixed(1)} s (${worst.figure}), ${((worst.ms / (timeout * 1000)) * 100).toFixed(0)} % of the template's ${timeout} s timeout`;
}

/** The highest duration figure recorded for the function, with its metric and figure name. */
function worstDuration(
  change: ContextChange,
  ctx: AnalysisContext,
): { metric: string; ms: number; figure: string } | undefined {
  let worst: { metric: string; ms: number; figure: string } | undefined;
  for (const m of metricsOf(ctx, change)) {
    if (!metricKey(m.metric).endsWith("duration")) continue;
    for (const figure of ["before", "during", "peak", "after"] as const) {
      const ms = m[figure];
      if (ms !== undefined && (worst === undefined || ms > worst.ms))
        worst = { metric: m.metric, ms, figure };
    }
  }
  return worst;
}

/**
 * A Lambda timeout judged on the function's duration (any `duration` metric: average, p99,
 * init): the highest figure recorded against the template's timeout. At 80 % or more of it, the
 * template's timeout binds and the raise is kept; under half of it, nothing needed the raise.
 * `undefined` when no duration was recorded or the values are not numbers.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
 */
function judgeTimeout(
  change: ContextChange,
  ctx: AnalysisContext,
  incident: readonly string[],
): Recommendation | undefined {
  const before = asNumber(change.expected);
  const after = asNumber(change.actual);
  if (before === undefined || after === undefined || after <= before) return undefined;
  const worst = worstDuration(change, ctx);
  if (worst === undefined) return undefined;
  const share = (worst.ms / (before * 1000)) * 100;
  const evidence = `${worst.metric} reached ${(worst.ms / 1000).toFixed(1)} s (${worst.figure}), ${share.toFixed(0)} % of the template's ${before} s timeout`;
  if (share >= 80) {
    return rec(
      change,
      "legitimize",
      0.75,
      weighSeverity(incident.length > 0 ? "low" : "medium", ctx.environment),
      `${change.logicalId}: Timeout raised ${before} ► ${after} s; ${evidence}: duration bound the timeout, so keep ${after} s.`,
    );
  }
  // Only figures that cover the incident show the raise was not needed; `before` alone cannot.
  const covered = metricsOf(ctx, change).some(
    (m) =>
      metricKey(m.metric).endsWith("duration") &&
      (m.during !== undefined || m.peak !== undefined || m.after !== undefined),
  );
  if (share < 50 && covered) {
    return rec(
      change,
      "revert",
      0.7,
      weighSeverity("medium", ctx.environment),
      `${change.logicalId}: Timeout raised ${before} ► ${after} s, but ${evidence}: nothing needed the raise.`,
    );
  }
  return undefined;
}

function judgeCount(change: ContextChange, ctx: AnalysisContext): Recommendation {
  const before = asNumber(change.expected);
  const after = asNumber(change.actual);
  const incident = incidentMonitors(ctx);
  const key = change.propertyPath.slice(1);
  if (key === "Timeout" && change.resourceType === "AWS::Lambda::Function") {
    const timeout = judgeTimeout(change, ctx, incident);
    if (timeout !== undefined) return timeout;
  }
  if (key === "MemorySize" && change.resourceType === "AWS::Lambda::Function" && incident.length > 0) {
    const bound = durationAtTimeout(change, ctx);
    if (bound !== undefined && before !== undefined && after !== undefined && after > before) {
      return rec(
        change,
        "legitimize",
        0.75,
        "low",
        `${change.logicalId}: MemorySize raised ${before} ► ${after} MB during ${incident.join(", ")}; ${bound}: ` +
          "Lambda gives CPU in proportion to memory, so the raise is what shortens the runs; keep it.",
      );
    }
  }
  // Reserved concurrency 0 is Lambda's off switch, not a capacity figure: the function stops running.
  // During an incident it is how on-call stops a function doing harm (spamming, corrupting, looping);
  // reverting would switch the harm back on, so the template records the switch until the cause is
  // fixed. With no incident it is an unexplained outage of a function.
  if (key === "ReservedConcurrentExecutions" && after === 0 && before !== 0) {
    const was = before === undefined ? "unreserved" : `${before}`;
    return incident.length > 0
      ? rec(
          change,
          "legitimize",
          0.7,
          weighSeverity("high", ctx.environment),
          `${change.logicalId}: reserved concurrency set ${was} ► 0 during ${incident.join(", ")}: the function is ` +
            "switched off (Lambda's kill switch). Keep the switch in the template so a deploy does not turn the " +
            "function back on, and remove it when the cause is fixed.",
        )
      : rec(
          change,
          "revert",
          0.7,
          weighSeverity("high", ctx.environment),
          `${change.logicalId}: reserved concurrency set ${was} ► 0 with no incident: the function is switched off ` +
            "and nothing explains why.",
        );
  }
  if (before === undefined || after === undefined) {
    return rec(
      change,
      "revert",
      0.5,
      weighSeverity("medium", ctx.environment),
      `${change.logicalId}: ${key} changed (${show(change.expected)} ► ${show(change.actual)}) to a value that is not a number.`,
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
    // A bare approval claim (`approved-by: security-team`) is a claim, low; anything else addressed
    // to a reviewer or a model is an attempt to steer the review, medium.
    const claim = instruction.why === "an approval claim";
    return rec(
      change,
      "revert",
      0.85,
      claim ? "low" : weighSeverity("medium", env),
      `Tag ${key ?? change.propertyPath} on ${change.logicalId} carries text addressed to a reviewer or a model ` +
        `(${instruction.why}); it is treated as data, changes no decision, and does not belong in the template.`,
    );
  }
  if (
    /^\/Tags\/\d+\/Value$/.test(change.propertyPath) ||
    (change.differenceType === "NOT_EQUAL" && key === undefined)
  ) {
    return rec(
      change,
      "revert",
      0.7,
      "low",
      `${change.logicalId}: the template's tag ${change.propertyPath.split("/")[2] ?? ""} value was changed in the console ` +
        `(${show(change.expected)} ► ${show(change.actual)}); the template owns its tags' values, so change it there in a reviewed PR.`,
    );
  }
  if (key !== undefined && OWNERSHIP_KEYS.has(words(key).join(""))) {
    return rec(
      change,
      "revert",
      0.65,
      "low",
      `${change.logicalId}: ownership tag ${key} = ${show(tagOf(change.actual).value)} was added in the console; ` +
        "ownership is declared by the stack's own tags, so add it in the template if it is right.",
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
    `${change.logicalId}: tag ${key ?? change.propertyPath} = ${show(tagOf(change.actual).value)} set in the console; ` +
      "tags are low-risk, keep it in the template.",
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

/** The Allow statements of a policy value (an inline policy, a document, a statement list). */
function allowStatements(value: unknown): Record<string, unknown>[] | undefined {
  const doc =
    typeof value === "object" && value !== null && "PolicyDocument" in value
      ? (value as { PolicyDocument: unknown }).PolicyDocument
      : value;
  const statements =
    typeof doc === "object" && doc !== null && "Statement" in doc
      ? (doc as { Statement: unknown }).Statement
      : doc;
  const list = Array.isArray(statements) ? statements : [statements];
  const objects = list.filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null);
  return objects.length > 0 && objects.every((o) => o.Effect === "Allow") ? objects : undefined;
}

/**
 * An IAM grant added during an incident that names its actions and resources exactly (no
 * wildcard in either, no NotAction/NotResource): the least-privilege fix, kept for review with
 * moderate confidence. Without an incident nothing explains it, and it falls through.
 */
function judgeScopedGrant(change: ContextChange, ctx: AnalysisContext): Recommendation | undefined {
  if (!change.resourceType.startsWith("AWS::IAM::") || !/^\/Polic/.test(change.propertyPath))
    return undefined;
  if (change.differenceType !== "ADD") return undefined;
  const statements = allowStatements(change.actual);
  const incident = incidentMonitors(ctx);
  if (statements === undefined || incident.length === 0) return undefined;
  const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  const actions = statements.flatMap((st) => list(st.Action)).map(String);
  const resources = statements.flatMap((st) => list(st.Resource)).map(String);
  const exact =
    actions.length > 0 &&
    resources.length > 0 &&
    statements.every((st) => st.NotAction === undefined && st.NotResource === undefined) &&
    [...actions, ...resources].every((x) => !x.includes("*"));
  if (!exact) return undefined;
  return rec(
    change,
    "legitimize",
    0.6,
    weighSeverity("medium", ctx.environment),
    `${change.logicalId}: a grant of ${actions.join(", ")} on ${resources.length} named resource(s) (${show(resources[0])}) ` +
      `was added during ${incident.join(", ")}: least privilege, no wildcard; keep it so the fix is owned and reviewed.`,
  );
}

/**
 * A CORS origin added that names one HTTPS site (no wildcard): browsers on that site may read
 * the bucket's responses, nothing more; kept, low. A wildcard origin falls through to review.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html
 */
function judgeCorsOrigin(change: ContextChange, ctx: AnalysisContext): Recommendation | undefined {
  if (!/^\/CorsConfiguration\/CorsRules\/\d+\/AllowedOrigins\/\d+$/.test(change.propertyPath))
    return undefined;
  const origin = change.actual;
  if (typeof origin !== "string" || !/^https:\/\/[a-z0-9.-]+(:\d+)?$/i.test(origin)) return undefined;
  const incident = incidentMonitors(ctx);
  return rec(
    change,
    "legitimize",
    0.65,
    "low",
    `${change.logicalId}: CORS origin ${origin} added${incident.length > 0 ? ` during ${incident.join(", ")}` : ""}; ` +
      "one named HTTPS site may read responses in a browser, no wildcard, no new access for anyone else: keep it.",
  );
}

/** Configuration objects whose members move together: a change inside one goes with its siblings. */
const SETTING_OBJECTS =
  /^\/(BucketEncryption|SSESpecification|PointInTimeRecoverySpecification|LoggingConfiguration)\//;

/**
 * A member of a protective configuration with no direction of its own (S3 `BucketKeyEnabled`)
 * changed in the same window as a member the direction table reads as stronger: it is part of
 * that hardening, and is kept with it.
 */
function partOfHardening(change: ContextChange, ctx: AnalysisContext): Recommendation | undefined {
  const object = SETTING_OBJECTS.exec(change.propertyPath)?.[0];
  if (object === undefined) return undefined;
  const sibling = ctx.changes.find(
    (c) =>
      c !== change &&
      c.logicalId === change.logicalId &&
      c.propertyPath.startsWith(object) &&
      directionOf(c)?.direction === "stronger",
  );
  if (sibling === undefined) return undefined;
  const d = directionOf(sibling);
  return rec(
    change,
    "legitimize",
    0.8,
    "low",
    `${change.logicalId}${change.propertyPath} (${show(change.expected)} ► ${show(change.actual)}) changed together with ` +
      `${sibling.propertyPath}, where ${d?.entry.what ?? "a protective setting"} was strengthened; it is part of that hardening, keep it.`,
  );
}

/** Decides one change. Exported for tests and for the Bedrock analyzer's fallback per change. */
export function judgeChange(change: ContextChange, ctx: AnalysisContext): Recommendation {
  const env = ctx.environment;
  if (change.propertyPath === "" && change.differenceType === "REMOVE") return judgeDeletion(change, env);
  const hardening = directionOf(change);
  if (hardening?.direction === "stronger") return judgeHardening(change, hardening);
  const part = hardening === undefined ? partOfHardening(change, ctx) : undefined;
  if (part !== undefined) return part;
  if (/^\/Tags(\/|$)/.test(change.propertyPath)) return judgeTag(change, env);
  if (/Ingress/.test(change.propertyPath) || /SecurityGroupIngress$/.test(change.resourceType)) {
    return judgeIngress(change, ctx);
  }
  if (SIZE_PROPERTIES.test(change.propertyPath)) return judgeSize(change, ctx);
  if (COUNT_PROPERTIES.test(change.propertyPath)) return judgeCount(change, ctx);
  if (DATA_SAFETY.test(change.propertyPath)) return judgeDataSafety(change, env);
  const hit = violation(change, change.actual);
  if (hit === undefined) {
    const scoped = judgeScopedGrant(change, ctx) ?? judgeCorsOrigin(change, ctx);
    if (scoped !== undefined) return scoped;
  }
  if (hit !== undefined) {
    return rec(
      change,
      "revert",
      0.9,
      weighSeverity(ruleSeverity(change, hit.rule), env),
      `${change.logicalId}: ${hit.what}; restore the template.`,
    );
  }
  if (JSON.stringify(change.actual ?? null).includes(REDACTED)) {
    return rec(
      change,
      "revert",
      0.9,
      weighSeverity("high", env),
      `${change.logicalId}${change.propertyPath}: the live value is a secret (redacted) set in plain configuration, ` +
        "readable by anyone who can describe the resource and written into Git if kept; keep it in Secrets Manager or SSM and reference it.",
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
