import { normalizeEnvironment } from "../analysis/environment.ts";
import { severityScore } from "../analysis/rules.ts";
import { SEVERITIES, type Severity } from "../analysis/types.ts";
import type { MetricPoint } from "../publish/ports.ts";
import { redactString } from "../secrets.ts";
import { parseStackKey } from "../window/stack.ts";

/**
 * The figures Phantom publishes, as data: the metric catalogue, the points a settled window yields
 * (`windowPoints`), the points intake yields (`intakePoints`) and the Datadog event of an analysed
 * window (`analysisEvent`). Pure: the Datadog adapter sends these points, replay writes the very same
 * points to `metrics.jsonl` (DESIGN §4, one point per line).
 *
 * Points are pre-aggregated: within one window every (metric, tags) pair appears once, because
 * Datadog keeps only the last value of a series at a given timestamp.
 * @see https://docs.datadoghq.com/metrics/custom_metrics/
 * @see https://docs.datadoghq.com/api/latest/metrics/#submit-metrics
 */

/** One catalogued metric: its name, intake type, unit and the tags its points carry. */
export interface MetricDefinition {
  readonly metric: string;
  readonly type: MetricPoint["type"];
  /** A Datadog unit name, when there is one. @see https://docs.datadoghq.com/metrics/units/ */
  readonly unit?: string;
  readonly description: string;
  /** Tag keys the points may carry (each only when its value is known). */
  readonly tags: readonly string[];
}

/** Tags every point may carry: where the figure comes from. */
const BASE = ["env", "account", "region"] as const;

/**
 * Every metric Phantom emits. Tag keys are bounded-cardinality by design: no window ids, physical ids
 * or actors (each distinct tag combination is a billed custom metric series).
 * @see https://docs.datadoghq.com/account_management/billing/custom_metrics/
 */
export const METRICS = {
  driftCount: {
    metric: "phantom.drift.count",
    type: "count",
    description: "Drifted properties found in a settled window, by decision and severity.",
    tags: ["stack", ...BASE, "decision", "severity"],
  },
  driftSeverity: {
    metric: "phantom.drift.severity",
    type: "gauge",
    description:
      "Severity score 1–10 of the drifted properties (low 2, medium 4, high 7, critical 9; prod +1, dev −1).",
    tags: ["stack", ...BASE, "decision", "severity"],
  },
  decisionConfidence: {
    metric: "phantom.decision.confidence",
    type: "gauge",
    description:
      "Lowest analyzer confidence (0–1) among the decisions of a window, by decision and severity.",
    tags: ["stack", ...BASE, "decision", "severity"],
  },
  costDelta: {
    metric: "phantom.reconciliation.cost_delta",
    type: "gauge",
    unit: "dollar",
    description:
      "Monthly cost of the live configuration minus the safe state's, USD/month (positive: the drift costs more).",
    tags: ["stack", ...BASE, "decision", "severity"],
  },
  reactionSeconds: {
    metric: "phantom.reaction.seconds",
    type: "gauge",
    unit: "second",
    description: "Seconds from the window's first console event to its pull request.",
    tags: ["stack", ...BASE, "severity"],
  },
  analysisLatency: {
    metric: "phantom.analysis.latency",
    type: "gauge",
    unit: "millisecond",
    description: "Time the analyzer took for one window, milliseconds.",
    tags: ["stack", ...BASE, "analyzer", "model"],
  },
  tokensInput: {
    metric: "phantom.analysis.tokens.input",
    type: "count",
    description: "Model input tokens spent on one window.",
    tags: ["stack", ...BASE, "analyzer", "model"],
  },
  tokensOutput: {
    metric: "phantom.analysis.tokens.output",
    type: "count",
    description: "Model output tokens spent on one window.",
    tags: ["stack", ...BASE, "analyzer", "model"],
  },
  windowsOpened: {
    metric: "phantom.windows.opened",
    type: "count",
    description: "Debounce windows opened (a burst of changes on a stack began).",
    tags: ["stack", ...BASE],
  },
  windowsSettled: {
    metric: "phantom.windows.settled",
    type: "count",
    description:
      "Windows settled and analysed, by window severity and what settled them (quiet or max-wait).",
    tags: ["stack", ...BASE, "severity", "settled_by"],
  },
  windowEvents: {
    metric: "phantom.window.events",
    type: "gauge",
    description: "Distinct change events in a settled window.",
    tags: ["stack", ...BASE],
  },
  settleSeconds: {
    metric: "phantom.settle.seconds",
    type: "gauge",
    unit: "second",
    description: "Seconds from a window's first event to its settling (the quiet period or max-wait SLA).",
    tags: ["stack", ...BASE, "settled_by"],
  },
  detectionCalls: {
    metric: "phantom.detection.calls",
    type: "count",
    description: "DetectStackResourceDrift calls made for a window.",
    tags: ["stack", ...BASE],
  },
  detectionUnverified: {
    metric: "phantom.detection.unverified",
    type: "count",
    description: "Touched resources drift detection could not verify (NOT_CHECKED, UNSUPPORTED, UNKNOWN).",
    tags: ["stack", ...BASE],
  },
  eventsReceived: {
    metric: "phantom.events.received",
    type: "count",
    description: "CloudTrail records received by intake.",
    tags: [...BASE],
  },
  eventsIgnored: {
    metric: "phantom.events.ignored",
    type: "count",
    description:
      "Records judged not to be drift, by reason (read-only, failed call, CloudFormation itself, …).",
    tags: [...BASE, "reason"],
  },
  eventsRejected: {
    metric: "phantom.events.rejected",
    type: "count",
    description: "Records intake could not read, by reason (malformed, missing field, …).",
    tags: [...BASE, "reason"],
  },
  publishSkipped: {
    metric: "phantom.publish.skipped",
    type: "count",
    description:
      "Analysed windows with drift that got no pull request, by reason (no-repository, template-missing, github-disabled).",
    tags: ["stack", ...BASE, "reason"],
  },
  publishFailed: {
    metric: "phantom.publish.failed",
    type: "count",
    description:
      "Reactions that failed past their retries, by the service that failed (github, eventbridge, cloudformation, bedrock, datadog): SQS retries the window.",
    tags: ["stack", ...BASE, "target"],
  },
  portDisabled: {
    metric: "phantom.port.disabled",
    type: "gauge",
    description:
      "Ports a cold start left off because their secret is unset (github, datadog), by port: 1 per container start.",
    tags: [...BASE, "port"],
  },
  awsThrottled: {
    metric: "phantom.aws.throttled",
    type: "count",
    description:
      "AWS calls answered with throttling (each attempt, retried or not), by service and operation: the SDK backs off with full jitter.",
    tags: [...BASE, "service", "operation"],
  },
  accountUnreachable: {
    metric: "phantom.account.unreachable",
    type: "count",
    description:
      "A member account whose read role could not be assumed (missing, trust policy, STS refused), by account and the code STS gave: its stacks were skipped.",
    tags: [...BASE, "reason"],
  },
} as const satisfies Record<string, MetricDefinition>;

/**
 * The catalogue as a list, in declaration order.
 * @see https://docs.datadoghq.com/metrics/types/
 */
export const METRIC_CATALOGUE: readonly MetricDefinition[] = Object.values(METRICS);

/**
 * Catalogued metric name ► its definition (the adapter sends its unit).
 * @see https://docs.datadoghq.com/metrics/units/
 */
export function metricDefinition(metric: string): MetricDefinition | undefined {
  return METRIC_CATALOGUE.find((d) => d.metric === metric);
}

/* ---------- what is read from a report ---------- */

/**
 * The parts of a window report (`analysis.json`, DESIGN §4) the figures are made of. Narrow on
 * purpose, every analysis field optional: the report can grow, and a report from before the analysis
 * (no decisions yet) still yields its window figures. Values are checked at run time too.
 */
export interface ReportFigures {
  readonly stack: string;
  readonly window: {
    readonly id: string;
    readonly settledAt: string;
    readonly firstEventAt?: string | null;
    readonly settledBy?: string;
    readonly events?: number;
  };
  readonly detection?: { readonly calls?: number; readonly unverified?: readonly unknown[] };
  readonly changes: readonly ChangeFigures[];
  readonly severity?: string | null;
  readonly environment?: string | null;
  readonly analyzer?: {
    readonly kind?: string;
    readonly model?: string;
    readonly inputTokens?: number;
    readonly outputTokens?: number;
    readonly latencyMs?: number;
  } | null;
}

/** The parts of one reported change the figures use. */
export interface ChangeFigures {
  readonly decision?: string | null;
  readonly severity?: string | null;
  readonly confidence?: number | null;
  readonly costDelta?: { readonly monthlyUsd?: number | null } | null;
  readonly actors?: readonly {
    readonly console?: boolean;
    readonly events?: readonly { readonly eventTime?: string }[];
  }[];
}

/** Where the figures come from, known outside the report (deployment config, the publisher). */
export interface MetricExtras {
  /** The stack's environment (`prod`, `Production`, …); else the report's, else untagged. */
  readonly env?: string;
  readonly account?: string;
  readonly region?: string;
  /** First console event ► pull request, seconds (see `reactionSeconds`). */
  readonly reactionSeconds?: number;
  /** The pull request, for the event text. Never a tag (unbounded cardinality). */
  readonly prUrl?: string;
}

/* ---------- tags ---------- */

/**
 * A `key:value` tag as Datadog stores it: lowercased, characters other than letters, digits, `_`,
 * `-`, `.`, `/` and `:` become `_`, at most 200 characters. Normalised here so `metrics.jsonl` holds
 * exactly what Datadog will show.
 * @see https://docs.datadoghq.com/getting_started/tagging/#define-tags
 */
export function tag(key: string, value: string): string {
  const clean = (s: string) =>
    s
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9_\-./:]/g, "_");
  // A tag value may come from people's text (a stack tag's environment): never a secret in Datadog.
  return `${clean(key)}:${clean(redactString(value))}`.slice(0, 200);
}

type TagValues = Readonly<Record<string, string | undefined>>;

function tagList(values: TagValues): string[] {
  return Object.entries(values).flatMap(([k, v]) => (v === undefined || v === "" ? [] : [tag(k, v)]));
}

/**
 * `phantom.aws.throttled` points: one per (service, operation) with the attempts throttled since the
 * last flush, at `at` (epoch ms).
 */
export function throttlePoints(
  at: number,
  counts: readonly {
    readonly service: string;
    readonly operation: string;
    readonly account?: string;
    readonly region?: string;
    readonly count: number;
  }[],
  extras: { readonly region?: string } = {},
): MetricPoint[] {
  const def = METRICS.awsThrottled;
  // A count from a place's client carries its account and region; the home clients', the runtime's region.
  return counts
    .filter((c) => c.count > 0)
    .map((c) => ({
      metric: def.metric,
      type: def.type,
      value: c.count,
      timestamp: Math.floor(at / 1000),
      tags: tagList({
        account: c.account,
        region: c.region ?? extras.region,
        service: c.service,
        operation: c.operation,
      }),
    }));
}

/**
 * A `phantom.account.unreachable` point: `account`'s read role could not be assumed (`reason`, STS's
 * code such as `AccessDenied`), at `at` (epoch ms).
 */
export function unreachablePoint(at: number, account: string, reason: string): MetricPoint {
  const def = METRICS.accountUnreachable;
  return {
    metric: def.metric,
    type: def.type,
    value: 1,
    timestamp: Math.floor(at / 1000),
    tags: tagList({ account, reason }),
  };
}

/* ---------- small readers ---------- */

function finite(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function severityOf(value: unknown): Severity | undefined {
  return typeof value === "string" && (SEVERITIES as readonly string[]).includes(value)
    ? (value as Severity)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

const RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The window's severity: the report's, else the highest of its changes', else undefined (not analysed). */
export function windowSeverity(report: Pick<ReportFigures, "severity" | "changes">): Severity | undefined {
  const stated = severityOf(report.severity);
  if (stated) return stated;
  let worst: Severity | undefined;
  for (const c of report.changes) {
    const s = severityOf(c.severity);
    if (s && (worst === undefined || RANK[s] > RANK[worst])) worst = s;
  }
  return worst;
}

/** Epoch seconds of the report's `settledAt` (the timestamp of every window point). */
function settledSeconds(report: ReportFigures): number {
  const ms = Date.parse(report.window.settledAt);
  if (!Number.isFinite(ms)) throw new RangeError(`window ${report.window.id}: settledAt is not a time`);
  return Math.floor(ms / 1000);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Seconds from the window's first console event to the pull request at `prAt` (epoch ms). Without a
 * console event (CLI or SDK changes) it counts from the window's first event. Undefined when neither
 * is known or the pull request would predate it.
 */
export function reactionSeconds(
  report: Pick<ReportFigures, "changes" | "window">,
  prAt: number,
): number | undefined {
  let first: number | undefined;
  for (const change of report.changes) {
    for (const actor of change.actors ?? []) {
      if (actor.console !== true) continue;
      for (const e of actor.events ?? []) {
        const t = e.eventTime === undefined ? Number.NaN : Date.parse(e.eventTime);
        if (Number.isFinite(t) && (first === undefined || t < first)) first = t;
      }
    }
  }
  if (first === undefined && report.window.firstEventAt) {
    const t = Date.parse(report.window.firstEventAt);
    if (Number.isFinite(t)) first = t;
  }
  if (first === undefined || prAt < first) return undefined;
  return round((prAt - first) / 1000, 3);
}

/* ---------- window points ---------- */

interface ChangeGroup {
  readonly decision?: string;
  readonly severity?: Severity;
  count: number;
  confidence?: number;
  costUsd?: number;
}

/**
 * The points of one settled window, timestamped at its `settledAt` (epoch seconds): per (decision,
 * severity) group `phantom.drift.count`, `.severity` (the 1–10 score), `phantom.decision.confidence`
 * (lowest) and `phantom.reconciliation.cost_delta` (sum of the priced changes); per window
 * `phantom.windows.settled`, the event, detection and settle figures, the analyzer's latency and
 * tokens when an analyzer ran, and `phantom.reaction.seconds` when `extras` carries it. Fields the
 * report does not (yet) have yield no point and no tag; nothing is invented.
 * @see https://docs.datadoghq.com/metrics/types/
 */
export function windowPoints(report: ReportFigures, extras: MetricExtras = {}): MetricPoint[] {
  const timestamp = settledSeconds(report);
  const envText = text(extras.env) ?? text(report.environment);
  const environment = normalizeEnvironment(envText);
  const env = environment === "unknown" ? envText : environment;
  const base: TagValues = { stack: report.stack, env, account: extras.account, region: extras.region };
  const severity = windowSeverity(report);
  const settledBy = text(report.window.settledBy);
  const points: MetricPoint[] = [];
  const point = (def: MetricDefinition, value: number, tags: TagValues) =>
    points.push({ metric: def.metric, type: def.type, value, timestamp, tags: tagList(tags) });

  point(METRICS.windowsSettled, 1, { ...base, severity, settled_by: settledBy });
  const events = finite(report.window.events);
  if (events !== undefined) point(METRICS.windowEvents, events, base);

  const groups = new Map<string, ChangeGroup>();
  for (const change of report.changes) {
    const decision = text(change.decision);
    const sev = severityOf(change.severity);
    const key = `${decision ?? ""}\u0000${sev ?? ""}`;
    const group = groups.get(key) ?? {
      ...(decision !== undefined ? { decision } : {}),
      ...(sev !== undefined ? { severity: sev } : {}),
      count: 0,
    };
    group.count += 1;
    const confidence = finite(change.confidence);
    if (confidence !== undefined) group.confidence = Math.min(group.confidence ?? confidence, confidence);
    const usd = finite(change.costDelta?.monthlyUsd);
    if (usd !== undefined) group.costUsd = (group.costUsd ?? 0) + usd;
    groups.set(key, group);
  }
  for (const g of groups.values()) {
    const tags = { ...base, decision: g.decision, severity: g.severity };
    point(METRICS.driftCount, g.count, tags);
    if (g.severity) point(METRICS.driftSeverity, severityScore(g.severity, environment), tags);
    if (g.confidence !== undefined) point(METRICS.decisionConfidence, round(g.confidence, 4), tags);
    if (g.costUsd !== undefined) point(METRICS.costDelta, round(g.costUsd, 2), tags);
  }

  const reaction = finite(extras.reactionSeconds);
  if (reaction !== undefined && reaction >= 0)
    point(METRICS.reactionSeconds, reaction, { ...base, severity });

  const analyzer = report.analyzer ?? undefined;
  if (analyzer) {
    const tags = { ...base, analyzer: text(analyzer.kind), model: text(analyzer.model) };
    const latency = finite(analyzer.latencyMs);
    if (latency !== undefined) point(METRICS.analysisLatency, latency, tags);
    const input = finite(analyzer.inputTokens);
    if (input !== undefined) point(METRICS.tokensInput, input, tags);
    const output = finite(analyzer.outputTokens);
    if (output !== undefined) point(METRICS.tokensOutput, output, tags);
  }

  const calls = finite(report.detection?.calls);
  if (calls !== undefined) point(METRICS.detectionCalls, calls, base);
  if (report.detection?.unverified)
    point(METRICS.detectionUnverified, report.detection.unverified.length, base);

  const first = report.window.firstEventAt ? Date.parse(report.window.firstEventAt) : Number.NaN;
  const settled = Date.parse(report.window.settledAt);
  if (Number.isFinite(first) && settled >= first) {
    point(METRICS.settleSeconds, round((settled - first) / 1000, 3), { ...base, settled_by: settledBy });
  }
  return points;
}

/* ---------- publication points ---------- */

/**
 * One point of a publication figure (`phantom.publish.skipped` by reason, `phantom.publish.failed`
 * by target, `phantom.port.disabled` by port) at `at` (epoch ms).
 */
export function publicationPoint(
  kind: "publishSkipped" | "publishFailed" | "portDisabled",
  at: number,
  tags: Readonly<{ stack?: string; reason?: string; target?: string; port?: string }>,
  extras: Omit<MetricExtras, "reactionSeconds" | "prUrl"> = {},
): MetricPoint {
  const def = METRICS[kind];
  const envText = text(extras.env);
  const environment = normalizeEnvironment(envText);
  return {
    metric: def.metric,
    type: def.type,
    value: 1,
    timestamp: Math.floor(at / 1000),
    tags: tagList({
      stack: tags.stack,
      env: environment === "unknown" ? envText : environment,
      account: extras.account,
      region: extras.region,
      reason: tags.reason,
      target: tags.target,
      port: tags.port,
    }),
  };
}

/* ---------- intake points ---------- */

/** Counts by reason: a plain record or a map (as replay's summary holds them). */
export type ReasonCounts = Readonly<Record<string, number>> | ReadonlyMap<string, number>;

/** What intake saw over one flush interval (a Lambda batch, a replay run). */
export interface IntakeCounts {
  /** When the counts were taken, epoch ms. */
  readonly at: number;
  readonly received: number;
  readonly ignored?: ReasonCounts;
  readonly rejected?: ReasonCounts;
  /** Windows opened, by stack. */
  readonly windowsOpened?: ReasonCounts;
}

function entries(counts: ReasonCounts | undefined): [string, number][] {
  if (counts === undefined) return [];
  const list = counts instanceof Map ? [...counts.entries()] : Object.entries(counts);
  return list
    .filter((e): e is [string, number] => finite(e[1]) !== undefined && e[1] > 0)
    .sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * The intake points: `phantom.events.received`, `phantom.events.ignored` and `.rejected` by `reason`,
 * and `phantom.windows.opened` by `stack`, at `counts.at` (epoch seconds). Zero counts yield no point,
 * except `received` (a quiet interval is a figure too).
 * @see https://docs.datadoghq.com/metrics/types/?tab=count#metric-types
 */
export function intakePoints(
  counts: IntakeCounts,
  extras: Omit<MetricExtras, "reactionSeconds" | "prUrl"> = {},
): MetricPoint[] {
  const timestamp = Math.floor(counts.at / 1000);
  const envText = text(extras.env);
  const environment = normalizeEnvironment(envText);
  const base: TagValues = {
    env: environment === "unknown" ? envText : environment,
    account: extras.account,
    region: extras.region,
  };
  const point = (def: MetricDefinition, value: number, tags: TagValues): MetricPoint => ({
    metric: def.metric,
    type: def.type,
    value,
    timestamp,
    tags: tagList(tags),
  });
  return [
    point(METRICS.eventsReceived, Math.max(0, finite(counts.received) ?? 0), base),
    ...entries(counts.ignored).map(([reason, n]) => point(METRICS.eventsIgnored, n, { ...base, reason })),
    ...entries(counts.rejected).map(([reason, n]) => point(METRICS.eventsRejected, n, { ...base, reason })),
    // Keyed by `stackKey` (account/region/stack): each stack's place tags its own point.
    ...entries(counts.windowsOpened).map(([key, n]) => {
      const ref = parseStackKey(key);
      return point(
        METRICS.windowsOpened,
        n,
        ref
          ? { stack: ref.stack, ...base, account: ref.account, region: ref.region }
          : { stack: key, ...base },
      );
    }),
  ];
}

/* ---------- the analysed-window event ---------- */

/**
 * The Datadog event of one analysed window, in the client's `EventCreateRequest` terms.
 * @see https://docs.datadoghq.com/api/latest/events/#post-an-event
 */
export interface AnalysisEvent {
  /** `Phantom drift analysed: <stack> — <n> changes (<severity>)`. At most 100 characters. */
  readonly title: string;
  /** Markdown (`%%%` fenced) with the decisions, cost and the pull request link. At most 4000 characters. */
  readonly text: string;
  readonly tags: readonly string[];
  /** The stack: Datadog rolls one stack's events up together. At most 100 characters. */
  readonly aggregationKey: string;
  readonly alertType: "info" | "warning" | "error";
  /** Epoch seconds (the window's `settledAt`). */
  readonly dateHappened: number;
}

/**
 * Posts analysed-window events (Datadog in the cloud).
 * @see https://docs.datadoghq.com/api/latest/events/#post-an-event
 */
export interface AnalysisEvents {
  analysed(event: AnalysisEvent): Promise<void>;
}

const ALERT: Readonly<Record<Severity, AnalysisEvent["alertType"]>> = {
  low: "info",
  medium: "info",
  high: "warning",
  critical: "error",
};

function usd(value: number): string {
  const sign = value < 0 ? "-" : value > 0 ? "+" : "";
  return `${sign}$${Math.abs(value).toLocaleString("en-US", { maximumFractionDigits: 2 })}/month`;
}

function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/**
 * The "Phantom drift analysed: …" event of a window: title, markdown text with the decision counts,
 * the cost delta and the pull request link, and the same bounded tags as the metrics (plus
 * `service:phantom`), aggregated by stack.
 * @see https://docs.datadoghq.com/events/
 */
export function analysisEvent(report: ReportFigures, extras: MetricExtras = {}): AnalysisEvent {
  const severity = windowSeverity(report);
  const n = report.changes.length;
  const title = clip(
    `Phantom drift analysed: ${report.stack} — ${n} ${n === 1 ? "change" : "changes"} (${severity ?? "unrated"})`,
    100,
  );
  const byDecision = new Map<string, number>();
  let cost = 0;
  let priced = false;
  for (const c of report.changes) {
    const d = text(c.decision) ?? "undecided";
    byDecision.set(d, (byDecision.get(d) ?? 0) + 1);
    const u = finite(c.costDelta?.monthlyUsd);
    if (u !== undefined) {
      cost += u;
      priced = true;
    }
  }
  const decisions = [...byDecision.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([d, k]) => `${k} ${d}`)
    .join(", ");
  const lines = [
    `**Stack:** ${report.stack} · **window:** ${report.window.id}`,
    ...(n > 0 ? [`**Decisions:** ${decisions}`] : ["No drift left: the stack matches its template."]),
    ...(priced ? [`**Cost delta:** ${usd(Math.round(cost * 100) / 100)}`] : []),
    ...(report.analyzer?.kind
      ? [`**Analyzer:** ${report.analyzer.kind}${report.analyzer.model ? ` (${report.analyzer.model})` : ""}`]
      : []),
    extras.prUrl ? `**Pull request:** [${extras.prUrl}](${extras.prUrl})` : "No pull request.",
  ];
  const body = clip(lines.join("\n"), 4000 - 10);
  const envText = text(extras.env) ?? text(report.environment);
  const environment = normalizeEnvironment(envText);
  return {
    title,
    text: `%%% \n${body}\n %%%`,
    tags: tagList({
      service: "phantom",
      stack: report.stack,
      env: environment === "unknown" ? envText : environment,
      account: extras.account,
      region: extras.region,
      severity,
    }),
    aggregationKey: clip(report.stack, 100),
    alertType: severity ? ALERT[severity] : "info",
    dateHappened: settledSeconds(report),
  };
}
