import { z } from "zod";
import { METRIC_CATALOG, tagValue } from "../../../core/signals/catalog.ts";
import { rollupSeries } from "../../../core/signals/horizon.ts";
import { matchResource } from "../../../core/signals/match.ts";
import type {
  EventSignal,
  MetricSignal,
  MonitorSignal,
  SignalResource,
  SignalsReport,
} from "../../../core/signals/types.ts";
import type { FaultPlan } from "../faults.ts";
import {
  type RehearsalClock,
  type Served,
  type StandIn,
  type StandInRequest,
  startStandIn,
} from "./stand-in.ts";

/**
 * The Datadog stand-in of `phantom rehearse`: a small stateful Datadog API on 127.0.0.1 that the
 * official client (`@datadog/datadog-api-client`, pointed at it with
 * `baseServer: new client.BaseServerConfiguration(url, {})`) talks real HTTP to. It takes what
 * Phantom sends (metric series, analysed-window events) and answers what the `Signals` adapter
 * (`functions/adapters/datadog-signals.ts`) reads from a scenario's `signals.json`, so that the
 * adapter, run against it, reports what replay's recorded signals report for the same window.
 *
 * Operations, counted in `calls` under the client's operation names:
 *
 * | operation | route | keys |
 * |---|---|---|
 * | `datadog.SubmitMetrics` | `POST /api/v2/series` | API |
 * | `datadog.CreateEvent` | `POST /api/v1/events` | API |
 * | `datadog.SearchEvents` | `POST /api/v2/events/search` | API + application |
 * | `datadog.GetMonitor` | `GET /api/v1/monitor/{id}` | API + application |
 * | `datadog.QueryMetrics` | `GET /api/v1/query` | API + application |
 *
 * A request without the keys gets 403 `{"errors": ["Forbidden"]}`; an unknown route 404, a malformed
 * body or query 400, each with Datadog's `{"errors": [...]}` body, and each is listed in
 * `unexpected`. Request bodies are read uncompressed (the adapters never set `Content-Encoding`).
 *
 * **How signals.json is served.** Nothing after the rehearsal clock's now is served: events and
 * metric points whose rollup interval has not closed by `clock.now()` do not exist yet, and a
 * monitor's state is its state at now. With the clock at the window's settle time, as in
 * production, the hour after the last event has not happened: the adapter reports no `after`
 * figures and monitors still alerting. Replay answers as of its virtual clock the same way
 * (`recordedSignals` with a clock; both cut the recording with `core/signals/horizon.ts`), so at
 * the same moment the two agree; `test/rehearse/stand-ins/datadog.test.ts` checks it at every
 * bundled window's settle time.
 * - Monitors: each recorded monitor becomes a Datadog monitor (id 5000001, 5000002, …, one per
 *   distinct name/query/priority/tags) with state-change events in the event stream (`source:alert`,
 *   `monitor.transition` OK ► Alert|Warn at `triggeredAt`, ► OK at `resolvedAt`) tagged with the
 *   monitor's tags and group, and `GET /api/v1/monitor/{id}` answers its name, query, tags, priority
 *   and per-group `last_triggered_ts`/`last_resolved_ts`, so the adapter keeps and describes them.
 * - Events: recorded `events` are served to `-source:alert` searches (title, time, tags, and
 *   `source` as `source_type_name`).
 * - Metrics: a query names a metric and a scope (`{dbinstanceidentifier:payments-prod-db}`). A
 *   recorded metric answers it when the names match and its `resource` resolves to that scope:
 *   a logical or physical id (case-insensitive, as replay matches) found in `resources` resolves
 *   through the adapter's own catalogue (`METRIC_CATALOG[type].scope(physicalId)`); a Datadog tag
 *   (`dbinstanceidentifier:x`) is its own scope; any other string matches a one-tag scope whose value
 *   is that string as a tag value (so physical ids work without `resources`).
 * - Metric time: the series is `rollupSeries` (`core/signals/horizon.ts`) at the query's rollup
 *   interval: points aligned to it as Datadog aligns them, over `[from, to]`, only those whose
 *   interval has closed by now, split with the rule of `core/signals/summarize.ts` (a point stands
 *   for `[t, t + interval)`: before when it ends by the first event, after when it starts after the
 *   last one, during otherwise): every before point is `before`, every after point `after`, the
 *   during points average `during` (one of them is `peak` when recorded and there are two or more).
 *   The adapter's averages then reproduce the recorded figures (to its 6 significant digits). The
 *   window's first and last events come from `windows` when one matches the query's
 *   `from` (first event − 2 h), else from the range itself: first = from + 2 h, last = to − 1 h;
 *   when the adapter cut `to` at its own now (less than 3 h of range), as it does at settle time,
 *   last = now, which places every point exactly as long as the window settled less than one
 *   rollup interval after its last event (no interval can then start after it and close by now;
 *   Phantom's quiet period, 120 s, is shorter than the 300 s rollup). Pass `windows` to be exact
 *   in every case; a cut query without one is listed in `unservable`.
 *
 * **What cannot travel through Datadog** (the adapter has no source for it, or reports it its own
 * way), so the adapter's report differs from replay's at the same moment in these ways and no others:
 * - `notes`: signals.json's free-text notes have no Datadog source; the adapter's notes are its own
 *   (e.g. `no Datadog datapoints for …` for each catalogued metric nothing was recorded for).
 * - Metrics the adapter's catalogue (`core/signals/catalog.ts`) does not list for the resource's
 *   type are never asked for (e.g. `aws.dynamodb.read_throttle_events`, `aws.lambda.duration.p99`,
 *   the Agent's `system.mem.pct_used`, anything of an S3 bucket or a CloudTrail trail).
 * - A metric's `unit` comes back as the catalogue's (`byte`, `connection`), whatever signals.json
 *   said (`bytes`, `connections`); the series' unit is ignored. (`resource` is the logical id in
 *   both.)
 * - A recorded peak other than `during` only survives when two or more rollup points fall during
 *   the window (a burst shorter than the rollup has one); replay reports the same peak, as both go
 *   through `rollupSeries`.
 * - Monitor `status` is the episode's (`Alert` or `Warn`); other recorded statuses cannot be served.
 * - `events` is always a list (empty when nothing was recorded); replay leaves it out.
 * - Metrics come in the adapter's order (per resource, then catalogue order), not the file's.
 * - A metric recorded by Datadog tag (`dbinstanceidentifier:x`) reaches the adapter when it asks for
 *   that scope; replay matches only logical and physical ids, so it never reports one.
 * Recorded items that cannot be reproduced are listed in `unservable` (at start, and as queries
 * show them).
 *
 * Created events are recorded (`events()`), not added to the event stream: a rehearsal's own
 * "Phantom drift analysed" events would otherwise show up in a later window's signals, which
 * replay's recording does not have.
 *
 * @see https://docs.datadoghq.com/api/latest/metrics/#submit-metrics
 * @see https://docs.datadoghq.com/api/latest/events/#post-an-event
 * @see https://docs.datadoghq.com/api/latest/events/#search-events
 * @see https://docs.datadoghq.com/api/latest/monitors/#get-a-monitors-details
 * @see https://docs.datadoghq.com/api/latest/metrics/#query-timeseries-points
 */

const SERVICE = "datadog";
const HOUR = 3_600_000;
const MONITOR_ID_BASE = 5_000_001;
/** The v2 intake's uncompressed payload limit. */
const MAX_SERIES_BYTES = 512_000;
/** The intake keeps points from an hour before to ten minutes after the time of submission. */
const INTAKE_PAST_MS = HOUR;
const INTAKE_FUTURE_MS = 10 * 60_000;

/** The first and last console event of a window, epoch ms. */
export interface RehearsalWindow {
  readonly firstEventAt: number;
  readonly lastEventAt: number;
}

/** Options of {@link startDatadogStandIn}. */
export interface DatadogStandInOptions {
  /** Faults to inject (`phantom rehearse --fault`); default none. */
  readonly faults?: FaultPlan;
  /** The scenario's signals (`loadRecordedSignals(dir).recorded`, or `parseSignalsFile`'s report). */
  readonly signals?: SignalsReport;
  /**
   * The stacks' resources (logical ► physical id, type), e.g. `StackResource`s from the recorded
   * account's `stacks/*.json`: they map a recorded metric's logical id to the tags Datadog scopes it by.
   */
  readonly resources?: readonly SignalResource[];
  /** The rehearsal clock: nothing after its now is served. */
  readonly clock: RehearsalClock;
  /** The windows the rehearsal will settle, to place metric points when the range was cut at now. */
  readonly windows?: readonly RehearsalWindow[];
  /** When set, requests must carry this `DD-API-KEY`; otherwise any non-empty key is taken. */
  readonly apiKey?: string;
  /** When set, reads must carry this `DD-APPLICATION-KEY`; otherwise any non-empty key is taken. */
  readonly applicationKey?: string;
}

/** One point Phantom submitted, flattened from its series (`metricSeries` in reverse). */
export interface SubmittedPoint {
  readonly metric: string;
  /** The v2 intake type: 0 unspecified, 1 count, 2 rate, 3 gauge. */
  readonly type: "unspecified" | "count" | "rate" | "gauge";
  readonly value: number;
  /** Epoch seconds. */
  readonly timestamp: number;
  readonly tags: readonly string[];
}

/** A submitted point Datadog would accept but not ingest, and why. */
export interface DroppedPoint {
  readonly point: SubmittedPoint;
  readonly reason: string;
}

/** One event Phantom posted (`POST /api/v1/events`). */
export interface PostedEvent {
  readonly title: string;
  readonly text: string;
  readonly tags: readonly string[];
  readonly aggregationKey?: string;
  readonly alertType?: string;
  /** Epoch seconds, as sent. */
  readonly dateHappened?: number;
}

/** The running Datadog stand-in. */
export interface DatadogStandIn extends StandIn {
  /** Points ingested, in arrival order (series order, then point order). */
  metrics(): readonly SubmittedPoint[];
  /** Points accepted (202) but outside the intake's time range on the rehearsal clock: not ingested. */
  dropped(): readonly DroppedPoint[];
  /** Events created, in arrival order. */
  events(): readonly PostedEvent[];
  /** Recorded signals the adapter cannot get back as recorded, each saying what and why. */
  readonly unservable: readonly string[];
}

/* ---------- replies ---------- */

const JSON_HEADERS = { "content-type": "application/json" } as const;

function reply(operation: string, status: number, body: unknown): Served {
  return { operation, reply: { status, headers: JSON_HEADERS, body: JSON.stringify(body) } };
}

function refuse(operation: string, status: number, error: string, why: string = error): Served {
  return { ...reply(operation, status, { errors: [error] }), unexpected: why };
}

function header(request: StandInRequest, name: string): string {
  const value = request.headers[name.toLowerCase()];
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

/* ---------- request schemas (foreign payloads: only what is read, unknown keys kept) ---------- */

const INTAKE_TYPES = ["unspecified", "count", "rate", "gauge"] as const;

const seriesBodySchema = z.looseObject({
  series: z
    .array(
      z.looseObject({
        metric: z.string().min(1).max(200),
        type: z.number().int().min(0).max(3).optional(),
        points: z.array(z.looseObject({ timestamp: z.number().int(), value: z.number() })).min(1),
        tags: z.array(z.string()).optional(),
      }),
    )
    .min(1),
});

const eventBodySchema = z.looseObject({
  title: z.string().min(1).max(100),
  text: z.string().max(4000),
  tags: z.array(z.string()).optional(),
  aggregation_key: z.string().max(100).optional(),
  alert_type: z
    .enum(["error", "warning", "info", "success", "user_update", "recommendation", "snapshot"])
    .optional(),
  date_happened: z.number().int().optional(),
});

const searchBodySchema = z.looseObject({
  filter: z
    .looseObject({ query: z.string().optional(), from: z.string().optional(), to: z.string().optional() })
    .optional(),
  sort: z.enum(["timestamp", "-timestamp"]).optional(),
  page: z
    .looseObject({ limit: z.number().int().min(1).max(1000).optional(), cursor: z.string().optional() })
    .optional(),
});

function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/* ---------- the event stream ---------- */

interface StreamEvent {
  readonly id: string;
  /** Epoch ms. */
  readonly at: number;
  /** `alert` for monitor events; the recorded source otherwise (may be empty). */
  readonly source: string;
  readonly tags: readonly string[];
  readonly title: string;
  readonly message: string;
  /** The inner `attributes.attributes` object as Datadog sends it. */
  readonly attributes: Record<string, unknown>;
}

interface MonitorRecord {
  readonly id: number;
  readonly signal: MonitorSignal;
  readonly episodes: {
    readonly group?: string;
    readonly triggeredAt: number;
    readonly resolvedAt?: number;
  }[];
}

const ALERT_STATES: Readonly<Record<string, "Alert" | "Warn">> = { alert: "Alert", warn: "Warn" };

function eventId(n: number): string {
  return Buffer.from(`phantom-rehearsal-event-${String(n).padStart(6, "0")}`).toString("base64url");
}

function groupTags(group: string | undefined): string[] {
  return group === undefined ? [] : group.split(",").filter((t) => t !== "");
}

/** Monitors (one per distinct name/query/priority/tags) and their state-change events. */
function monitorsOf(
  recorded: readonly MonitorSignal[],
  note: (text: string) => void,
): { monitors: Map<number, MonitorRecord>; events: StreamEvent[] } {
  const byKey = new Map<string, MonitorRecord>();
  for (const m of recorded) {
    const status = Object.hasOwn(ALERT_STATES, m.status.toLowerCase())
      ? ALERT_STATES[m.status.toLowerCase()]
      : undefined;
    if (status === undefined || status !== m.status) {
      note(
        `monitor "${m.name}": status "${m.status}" is not served; the adapter reports alert episodes as Alert or Warn`,
      );
      if (status === undefined) continue;
    }
    if (Date.parse(m.triggeredAt) % 1000 !== 0)
      note(
        `monitor "${m.name}": triggeredAt ${m.triggeredAt} has milliseconds; Datadog's last_triggered_ts is in seconds`,
      );
    const key = JSON.stringify([m.name, m.query ?? "", m.priority ?? 0, m.tags ?? []]);
    const record = byKey.get(key) ?? {
      id: MONITOR_ID_BASE + byKey.size,
      signal: { ...m, status },
      episodes: [],
    };
    record.episodes.push({
      ...(m.group !== undefined ? { group: m.group } : {}),
      triggeredAt: Date.parse(m.triggeredAt),
      ...(m.resolvedAt !== undefined ? { resolvedAt: Date.parse(m.resolvedAt) } : {}),
    });
    byKey.set(key, record);
  }

  const events: StreamEvent[] = [];
  for (const record of byKey.values()) {
    const m = record.signal;
    const status = m.status as "Alert" | "Warn";
    for (const episode of record.episodes) {
      const groups = groupTags(episode.group);
      const transitions = [
        {
          at: episode.triggeredAt,
          type: status === "Alert" ? "alert" : "warning",
          from: "OK",
          to: status,
          eventStatus: status === "Alert" ? "error" : "warning",
          verb: status === "Alert" ? "Triggered" : "Warn",
        },
        ...(episode.resolvedAt !== undefined
          ? [
              {
                at: episode.resolvedAt,
                type: status === "Alert" ? "alert recovery" : "warn recovery",
                from: status,
                to: "OK",
                eventStatus: "success",
                verb: "Recovered",
              },
            ]
          : []),
      ];
      for (const t of transitions) {
        const title = `[${t.verb}${episode.group ? ` on {${episode.group}}` : ""}] ${m.name}`;
        events.push({
          id: "",
          at: t.at,
          source: "alert",
          tags: [...(m.tags ?? []), "source:alert", "monitor", ...groups],
          title,
          message: `%%%\n${m.name} is ${t.to}.\n%%%`,
          attributes: {
            status: t.eventStatus,
            monitor: {
              id: record.id,
              name: m.name,
              templated_name: m.name,
              type: "query alert",
              query: m.query ?? "",
              tags: [...(m.tags ?? [])],
              groups,
              priority: m.priority ?? null,
              message: "",
              transition: { transition_type: t.type, source_state: t.from, destination_state: t.to },
            },
            monitor_id: record.id,
            monitor_groups: groups,
            priority: "normal",
            title,
            timestamp: t.at,
            aggregation_key: String(record.id),
            evt: { id: "", source_id: 36, type: "monitor_alert" },
            source_type_name: "Monitor Alert",
          },
        });
      }
    }
  }
  return { monitors: new Map([...byKey.values()].map((r) => [r.id, r])), events };
}

function recordedEvents(recorded: readonly EventSignal[], note: (text: string) => void): StreamEvent[] {
  return recorded.map((e) => {
    const tags = [...(e.tags ?? [])];
    const tagSource = tags.find((t) => t.startsWith("source:"))?.slice("source:".length);
    if (tagSource !== undefined && e.source !== undefined && tagSource !== e.source)
      note(
        `event "${e.title}": its tag source:${tagSource} wins over its source "${e.source}" in the adapter`,
      );
    if ((e.source ?? tagSource) === "alert")
      note(`event "${e.title}": source "alert" is read as a monitor event, not listed as an event`);
    const at = Date.parse(e.at);
    return {
      id: "",
      at,
      source: e.source ?? tagSource ?? "",
      tags,
      title: e.title,
      message: e.title,
      attributes: {
        status: "info",
        title: e.title,
        timestamp: at,
        priority: "normal",
        evt: { id: "", source_id: 1, type: "api" },
        ...(e.source !== undefined ? { source_type_name: e.source } : {}),
      },
    };
  });
}

/* ---------- event search queries ---------- */

type Term = { readonly negate: boolean; readonly key?: string; readonly value: string };

/** `*` globs, case-insensitive. */
function glob(pattern: string, value: string): boolean {
  const escaped = pattern
    .toLowerCase()
    .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`).test(value.toLowerCase());
}

/**
 * The subset of Datadog's event query syntax the stand-in evaluates: space-separated terms, all
 * required (`AND` may be written), `-` negates, `key:value` matches a tag (`source:` also the
 * event's source), `*` globs, a bare word matches the title or message. `OR`, `NOT`, parentheses and
 * quotes are refused (400, and listed as unexpected) rather than guessed.
 * @see https://docs.datadoghq.com/service_management/events/explorer/searching/
 */
function parseEventQuery(query: string): { ok: true; terms: Term[] } | { ok: false; why: string } {
  if (/[()"]|(^|\s)(OR|NOT)(\s|$)/.test(query))
    return { ok: false, why: `event query syntax the stand-in does not evaluate: ${query}` };
  const terms: Term[] = [];
  for (const word of query.trim().split(/\s+/)) {
    if (word === "" || word === "AND" || word === "*") continue;
    const negate = word.startsWith("-");
    const body = negate ? word.slice(1) : word;
    const colon = body.indexOf(":");
    terms.push(
      colon > 0
        ? { negate, key: body.slice(0, colon).toLowerCase(), value: body.slice(colon + 1) }
        : { negate, value: body },
    );
  }
  return { ok: true, terms };
}

function matches(event: StreamEvent, terms: readonly Term[]): boolean {
  return terms.every((term) => {
    let hit: boolean;
    if (term.key === undefined) {
      const needle = term.value.toLowerCase().replace(/\*/g, "");
      hit = `${event.title}\n${event.message}`.toLowerCase().includes(needle);
    } else {
      const key = term.key;
      hit =
        (key === "source" && glob(term.value, event.source)) ||
        event.tags.some((tag) => {
          const colon = tag.indexOf(":");
          return (
            colon > 0 && tag.slice(0, colon).toLowerCase() === key && glob(term.value, tag.slice(colon + 1))
          );
        });
    }
    return term.negate ? !hit : hit;
  });
}

/** `1773457651000`, an ISO time, `now` or `now-15m`: epoch ms, or undefined when unreadable. */
function readTime(text: string, now: number): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const relative = /^now(?:-(\d+)([smhdw]))?$/.exec(text);
  if (relative) {
    const unit = { s: 1000, m: 60_000, h: HOUR, d: 24 * HOUR, w: 7 * 24 * HOUR }[relative[2] ?? "s"] ?? 0;
    return now - Number(relative[1] ?? 0) * unit;
  }
  const at = Date.parse(text);
  return Number.isFinite(at) ? at : undefined;
}

function eventJson(event: StreamEvent): unknown {
  return {
    id: event.id,
    type: "event",
    attributes: {
      timestamp: new Date(event.at).toISOString(),
      tags: [...event.tags],
      message: event.message,
      attributes: event.attributes,
    },
  };
}

/* ---------- metrics ---------- */

interface MetricQuery {
  readonly metric: string;
  /** Scope tags, lowercased; empty for `*`. */
  readonly scope: readonly string[];
  readonly rollupSeconds: number;
  readonly expression: string;
  readonly aggregator: string;
}

const METRIC_QUERY =
  /^(avg|sum|min|max):([A-Za-z0-9_.]+)\{([^}]*)\}(\.as_count\(\)|\.as_rate\(\))?(?:\.rollup\((avg|sum|min|max|count)(?:,\s*(\d+))?\))?$/;

/** The adapter's query form (`avg:<metric>{<tags>}[.as_count()].rollup(<fn>, <s>)`); others are refused. */
function parseMetricQuery(query: string): MetricQuery | undefined {
  const m = METRIC_QUERY.exec(query.trim());
  if (m === null) return undefined;
  const [, aggregator = "avg", metric = "", where = "", modifier = ""] = m;
  const scope = where
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== "" && t !== "*");
  return {
    metric,
    scope,
    rollupSeconds: Math.max(1, Number(m[6] ?? 300)),
    expression: `${aggregator}:${metric}{${where}}${modifier}`,
    aggregator,
  };
}

/** How a recorded metric's `resource` is found by a query scope. */
type ResourceMatch =
  | { readonly kind: "scopes"; readonly scopes: readonly (readonly string[])[] }
  | { readonly kind: "value"; readonly value: string };

/**
 * The resources a recorded `resource` names (`core/signals/match.ts`): by logical or physical id, or by
 * one of its Datadog scope tags. A series recorded under `servicename:x` is that service's series, and
 * carries its whole scope (`clustername:…` too) as Datadog's would.
 */
function named(resource: string, resources: readonly SignalResource[]): SignalResource[] {
  return resources.filter((r) => matchResource(resource, r) !== undefined);
}

function resolveResource(resource: string, resources: readonly SignalResource[]): ResourceMatch {
  const found = named(resource, resources);
  if (found.length > 0) {
    const scopes = found.flatMap((r) => {
      const entry = Object.hasOwn(METRIC_CATALOG, r.type) ? METRIC_CATALOG[r.type] : undefined;
      const scope = entry?.scope(r.physicalId);
      return scope === undefined ? [] : [scope.map((t) => t.toLowerCase())];
    });
    return { kind: "scopes", scopes };
  }
  if (resource.includes(":") && !resource.startsWith("arn:"))
    return { kind: "scopes", scopes: [[tagValue(resource)]] };
  return { kind: "value", value: tagValue(resource) };
}

function scopeMatches(query: readonly string[], match: ResourceMatch): boolean {
  if (match.kind === "value")
    return query.length === 1 && query[0]?.slice(query[0].indexOf(":") + 1) === match.value;
  return match.scopes.some((scope) => query.every((tag) => scope.includes(tag)));
}

/** Metrics the adapter's catalogue never asks for on the resource's type: they cannot travel. */
function uncatalogued(metric: MetricSignal, resources: readonly SignalResource[]): string | undefined {
  const types = new Set(named(metric.resource, resources).map((r) => r.type));
  if (types.size === 0) return undefined;
  const asked = [...types].some((type) =>
    (Object.hasOwn(METRIC_CATALOG, type) ? METRIC_CATALOG[type]?.metrics : undefined)?.some(
      (m) => m.metric === metric.metric,
    ),
  );
  return asked
    ? undefined
    : `metric ${metric.metric} of ${metric.resource}: the adapter's catalogue does not ask for it on ${[...types].join(", ")}`;
}

/* ---------- the stand-in ---------- */

/**
 * Starts the Datadog stand-in on 127.0.0.1 at an ephemeral port. See the module comment for what it
 * serves and how.
 * @throws never for bad signals: what cannot be served is listed in `unservable`.
 */
export async function startDatadogStandIn(options: DatadogStandInOptions): Promise<DatadogStandIn> {
  const { clock } = options;
  const signals = options.signals ?? { monitors: [], metrics: [], notes: [] };
  const resources = options.resources ?? [];
  const windows = options.windows ?? [];
  const unservable: string[] = [];
  /** Each problem once, however many queries show it. */
  const note = (text: string) => {
    if (!unservable.includes(text)) unservable.push(text);
  };
  const submitted: SubmittedPoint[] = [];
  const dropped: DroppedPoint[] = [];
  const posted: PostedEvent[] = [];
  let nextEventId = 6_700_000_000_000_000_000n;

  if (signals.notes.length > 0)
    note(`${signals.notes.length} note(s): free text has no Datadog source; the adapter's notes are its own`);
  for (const metric of signals.metrics) {
    const why = uncatalogued(metric, resources);
    if (why !== undefined) note(why);
  }
  const { monitors, events: monitorEvents } = monitorsOf(signals.monitors, note);
  const stream = [...monitorEvents, ...recordedEvents(signals.events ?? [], note)]
    .sort((a, b) => a.at - b.at)
    .map((e, i) => ({
      ...e,
      id: eventId(i + 1),
      attributes: {
        ...e.attributes,
        evt: { ...(e.attributes.evt as object), id: String(6_800_000_000 + i) },
      },
    }));
  const metricMatches = signals.metrics.map((m) => ({
    signal: m,
    match: resolveResource(m.resource, resources),
  }));

  function authorised(request: StandInRequest, operation: string, read: boolean): Served | undefined {
    const apiKey = header(request, "DD-API-KEY");
    if (apiKey === "" || (options.apiKey !== undefined && apiKey !== options.apiKey))
      return refuse(operation, 403, "Forbidden", `${apiKey === "" ? "no" : "a wrong"} DD-API-KEY`);
    if (!read) return undefined;
    const appKey = header(request, "DD-APPLICATION-KEY");
    if (appKey === "" || (options.applicationKey !== undefined && appKey !== options.applicationKey))
      return refuse(operation, 403, "Forbidden", `${appKey === "" ? "no" : "a wrong"} DD-APPLICATION-KEY`);
    return undefined;
  }

  function jsonBody(request: StandInRequest, operation: string): { ok: true; value: unknown } | Served {
    const encoding = header(request, "content-encoding");
    if (encoding !== "" && encoding !== "identity")
      return refuse(operation, 400, `Content-Encoding ${encoding} is not read by the stand-in`);
    const parsed = parseJson(request.body);
    return parsed.ok
      ? parsed
      : refuse(operation, 400, "Payload is not in the expected format", "body is not JSON");
  }

  function submitMetrics(request: StandInRequest): Served {
    const operation = "SubmitMetrics";
    if (Buffer.byteLength(request.body) > MAX_SERIES_BYTES)
      return refuse(operation, 413, "Payload too large", `payload over ${MAX_SERIES_BYTES} bytes`);
    const body = jsonBody(request, operation);
    if (!("ok" in body)) return body;
    const parsed = seriesBodySchema.safeParse(body.value);
    if (!parsed.success) return refuse(operation, 400, `Invalid payload: ${issuesOf(parsed.error)}`);
    const now = clock.now();
    for (const series of parsed.data.series) {
      for (const p of series.points) {
        const point: SubmittedPoint = {
          metric: series.metric,
          type: INTAKE_TYPES[series.type ?? 0] ?? "unspecified",
          value: p.value,
          timestamp: p.timestamp,
          tags: [...(series.tags ?? [])],
        };
        const at = p.timestamp * 1000;
        if (at < now - INTAKE_PAST_MS)
          dropped.push({ point, reason: "more than an hour before the submission (historical metrics)" });
        else if (at > now + INTAKE_FUTURE_MS)
          dropped.push({ point, reason: "more than ten minutes after the submission" });
        else submitted.push(point);
      }
    }
    return reply(operation, 202, { errors: [] });
  }

  function createEvent(request: StandInRequest): Served {
    const operation = "CreateEvent";
    const body = jsonBody(request, operation);
    if (!("ok" in body)) return body;
    const parsed = eventBodySchema.safeParse(body.value);
    if (!parsed.success) return refuse(operation, 400, `Invalid payload: ${issuesOf(parsed.error)}`);
    const e = parsed.data;
    posted.push({
      title: e.title,
      text: e.text,
      tags: [...(e.tags ?? [])],
      ...(e.aggregation_key !== undefined ? { aggregationKey: e.aggregation_key } : {}),
      ...(e.alert_type !== undefined ? { alertType: e.alert_type } : {}),
      ...(e.date_happened !== undefined ? { dateHappened: e.date_happened } : {}),
    });
    nextEventId += 1n;
    const id = nextEventId.toString();
    return reply(operation, 202, {
      status: "ok",
      event: {
        id: Number(id),
        id_str: id,
        title: e.title,
        text: e.text,
        date_happened: e.date_happened ?? Math.floor(clock.now() / 1000),
        handle: null,
        priority: null,
        related_event_id: null,
        tags: e.tags ?? [],
        url: `https://app.datadoghq.com/event/event?id=${id}`,
      },
    });
  }

  function searchEvents(request: StandInRequest, url: URL): Served {
    const operation = "SearchEvents";
    const body = jsonBody(request, operation);
    if (!("ok" in body)) return body;
    const parsed = searchBodySchema.safeParse(body.value);
    if (!parsed.success) return refuse(operation, 400, `Invalid payload: ${issuesOf(parsed.error)}`);
    const { filter = {}, sort = "timestamp", page = {} } = parsed.data;
    const now = clock.now();
    const from = readTime(filter.from ?? "now-15m", now);
    const to = readTime(filter.to ?? "now", now);
    if (from === undefined || to === undefined)
      return refuse(operation, 400, `invalid filter.from or filter.to: ${filter.from} ► ${filter.to}`);
    const query = parseEventQuery(filter.query ?? "*");
    if (!query.ok) return refuse(operation, 400, query.why);
    const found = stream
      .filter((e) => e.at >= from && e.at <= to && e.at <= now && matches(e, query.terms))
      .sort((a, b) => (sort === "timestamp" ? a.at - b.at : b.at - a.at));
    let offset = 0;
    if (page.cursor !== undefined) {
      offset = Number(/^offset:(\d+)$/.exec(Buffer.from(page.cursor, "base64url").toString())?.[1] ?? -1);
      if (offset < 0) return refuse(operation, 400, `invalid page.cursor ${page.cursor}`);
    }
    const limit = page.limit ?? 10;
    const data = found.slice(offset, offset + limit);
    const after =
      offset + limit < found.length
        ? Buffer.from(`offset:${offset + limit}`).toString("base64url")
        : undefined;
    return reply(operation, 200, {
      data: data.map(eventJson),
      meta: {
        page: after !== undefined ? { after } : {},
        elapsed: 12,
        request_id: `rehearsal-${Buffer.from(String(now)).toString("base64url")}`,
        status: "done",
      },
      links: after !== undefined ? { next: `${url.origin}${url.pathname}?page[cursor]=${after}` } : {},
    });
  }

  function getMonitor(id: string, url: URL): Served {
    const operation = "GetMonitor";
    const record = monitors.get(Number(id));
    if (!/^\d+$/.test(id) || record === undefined)
      return refuse(operation, 404, "Monitor not found", `no monitor ${id}`);
    const now = clock.now();
    const m = record.signal;
    const wantGroups = url.searchParams.get("group_states");
    const seconds = (ms: number | undefined) => (ms === undefined ? 0 : Math.floor(ms / 1000));
    const states = record.episodes.map((e) => {
      const triggered = e.triggeredAt <= now ? e.triggeredAt : undefined;
      const resolved = e.resolvedAt !== undefined && e.resolvedAt <= now ? e.resolvedAt : undefined;
      const status = triggered !== undefined && resolved === undefined ? m.status : "OK";
      return { name: e.group ?? "*", status, triggered, resolved };
    });
    const alerting = states.find((s) => s.status !== "OK");
    const groups = Object.fromEntries(
      states.map((s) => [
        s.name,
        {
          name: s.name,
          status: s.status,
          last_triggered_ts: seconds(s.triggered),
          last_resolved_ts: seconds(s.resolved),
          last_notified_ts: seconds(s.triggered),
          last_nodata_ts: 0,
        },
      ]),
    );
    const changed = Math.max(0, ...states.flatMap((s) => [s.triggered ?? 0, s.resolved ?? 0]));
    return reply(operation, 200, {
      id: record.id,
      org_id: 321813,
      type: "query alert",
      name: m.name,
      message: "",
      tags: [...(m.tags ?? [])],
      query: m.query ?? "",
      options: { notify_no_data: false, require_full_window: false, thresholds: {} },
      multi: record.episodes.some((e) => e.group !== undefined),
      created: "2025-01-01T00:00:00.000000+00:00",
      modified: "2025-01-01T00:00:00.000000+00:00",
      deleted: null,
      restricted_roles: null,
      priority: m.priority ?? null,
      overall_state: alerting?.status ?? "OK",
      ...(changed > 0 ? { overall_state_modified: new Date(changed).toISOString() } : {}),
      state: wantGroups ? { groups } : {},
    });
  }

  function queryMetrics(url: URL): Served {
    const operation = "QueryMetrics";
    const fromText = url.searchParams.get("from") ?? "";
    const toText = url.searchParams.get("to") ?? "";
    const queryText = url.searchParams.get("query") ?? "";
    if (!/^\d+$/.test(fromText) || !/^\d+$/.test(toText) || Number(fromText) >= Number(toText))
      return refuse(operation, 400, `invalid from/to: ${fromText} ► ${toText}`);
    const q = parseMetricQuery(queryText);
    if (q === undefined) return refuse(operation, 400, `Error parsing query: ${queryText}`);
    const from = Number(fromText) * 1000;
    const to = Number(toText) * 1000;
    const known = windows.find((w) => Math.floor((w.firstEventAt - 2 * HOUR) / 1000) * 1000 === from);
    // Less than 3 h of range: the adapter cut it at its now, so `to` does not tell the last event.
    const cut = to - HOUR < from + 2 * HOUR;
    const window = known ?? {
      firstEventAt: from + 2 * HOUR,
      lastEventAt: cut ? Math.max(from + 2 * HOUR, to) : to - HOUR,
    };
    if (known === undefined && cut)
      note(
        `metric query from ${new Date(from).toISOString()} was cut at now and no window in \`windows\` starts 2 h later: the last event is taken to be now, exact only when the window settled less than one rollup interval after its last event`,
      );
    const intervalMs = q.rollupSeconds * 1000;
    const matched = metricMatches.filter(
      (m) => m.signal.metric === q.metric && scopeMatches(q.scope, m.match),
    );
    if (matched.length > 1)
      note(
        `${matched.length} recorded ${q.metric} metrics match ${queryText}; the adapter summarises them together`,
      );
    const scope = q.scope.length > 0 ? q.scope.join(",") : "*";
    const series = matched.map(({ signal }, index) => {
      const { points: pointlist, issues } = rollupSeries(
        signal,
        { from, to, ...window },
        clock.now(),
        intervalMs,
      );
      for (const issue of issues) note(issue);
      return {
        metric: q.metric,
        display_name: q.metric,
        pointlist,
        start: pointlist[0]?.[0] ?? from,
        end: (pointlist.at(-1)?.[0] ?? to) + intervalMs - 1000,
        interval: q.rollupSeconds,
        length: pointlist.length,
        aggr: q.aggregator,
        scope,
        expression: q.expression,
        tag_set: [],
        query_index: index,
        attributes: {},
      };
    });
    return reply(operation, 200, {
      status: "ok",
      res_type: "time_series",
      resp_version: 1,
      query: queryText,
      from_date: from,
      to_date: to,
      series: series.filter((s) => s.length > 0),
      values: [],
      times: [],
      message: "",
      group_by: [],
    });
  }

  const standIn = await startStandIn(
    SERVICE,
    (request): Served => {
      const url = new URL(request.path, "http://127.0.0.1");
      const operation = datadogOperationOf(request);
      const serve: Readonly<Record<string, { read: boolean; serve: () => Served }>> = {
        SubmitMetrics: { read: false, serve: () => submitMetrics(request) },
        CreateEvent: { read: false, serve: () => createEvent(request) },
        SearchEvents: { read: true, serve: () => searchEvents(request, url) },
        QueryMetrics: { read: true, serve: () => queryMetrics(url) },
        GetMonitor: {
          read: true,
          serve: () => getMonitor(decodeURIComponent(url.pathname.split("/").pop() ?? ""), url),
        },
      };
      const route = serve[operation];
      if (route === undefined)
        return refuse("", 404, "Not found", `no operation at ${request.method} ${url.pathname}`);
      return authorised(request, operation, route.read) ?? route.serve();
    },
    { ...(options.faults ? { faults: options.faults } : {}), operationOf: datadogOperationOf },
  );

  return {
    ...standIn,
    unservable,
    metrics: () => [...submitted],
    dropped: () => [...dropped],
    events: () => [...posted],
  };
}

/** The operation a Datadog request names (as `calls` counts it), read before the stand-in serves it. */
function datadogOperationOf(request: StandInRequest): string {
  const { pathname } = new URL(request.path, "http://127.0.0.1");
  const route = `${request.method} ${pathname}`;
  if (route === "POST /api/v2/series") return "SubmitMetrics";
  if (route === "POST /api/v1/events") return "CreateEvent";
  if (route === "POST /api/v2/events/search") return "SearchEvents";
  if (route === "GET /api/v1/query") return "QueryMetrics";
  if (request.method === "GET" && /^\/api\/v1\/monitor\/[^/]+$/.test(pathname)) return "GetMonitor";
  return "";
}
