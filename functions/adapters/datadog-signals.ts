import { client, v1, v2 } from "@datadog/datadog-api-client";
import pLimit from "p-limit";
import { z } from "zod";
import { DEFAULT_ROLLUP_SECONDS, type MetricQuery, metricQueriesFor } from "../../core/signals/catalog.ts";
import {
  type AlertState,
  compareMonitors,
  type MonitorTransition,
  monitorEpisodes,
} from "../../core/signals/monitors.ts";
import { summarize } from "../../core/signals/summarize.ts";
import type {
  EventSignal,
  MetricSignal,
  MonitorSignal,
  SignalResource,
  Signals,
  SignalsReport,
} from "../../core/signals/types.ts";

/**
 * The `Signals` port on Datadog, through the official client (`@datadog/datadog-api-client`):
 *
 * - **Monitors that alerted or recovered in the range** come from the monitor state-change events
 *   (`POST /api/v2/events/search`, query `source:alert`): each carries the monitor, the group and
 *   `monitor.transition` (`source_state` ► `destination_state`) at the time it happened, so both the
 *   trigger and the recovery inside the range are known. The Monitors API only holds the current
 *   state (`overall_state_modified`, `last_triggered_ts`, per-group `last_resolved_ts`), which a
 *   later flap overwrites. Each monitor that changed is then read once with
 *   `GET /api/v1/monitor/{id}?group_states=all` for its priority, query and tags (and the trigger
 *   time of an alert that only recovered inside the range).
 * - **Events in the range**: `POST /api/v2/events/search`, default query `-source:alert`.
 * - **Metrics** of each drifted resource (see `core/signals/catalog.ts`): one
 *   `GET /api/v1/query?from=<s>&to=<s>&query=…` per metric, summarised before / during / after.
 *
 * Never rejects: whatever cannot be read (403, 404, 429 past the retries, 5xx, network) becomes a
 * note naming what is missing, and the rest of the report stands. 429 and 5xx are retried here,
 * waiting `x-ratelimit-reset` seconds on a 429. Notes never carry API or application keys.
 *
 * @see https://docs.datadoghq.com/api/latest/events/#search-events
 * @see https://docs.datadoghq.com/api/latest/monitors/#get-a-monitors-details
 * @see https://docs.datadoghq.com/api/latest/metrics/#query-timeseries-points
 * @see https://docs.datadoghq.com/api/latest/rate-limits/
 */

export interface DatadogSignalsOptions {
  /**
   * `client.createConfiguration({ authMethods: { apiKeyAuth, appKeyAuth } })`. This adapter owns
   * retries: leave the client's `enableRetry` off (its default), or each retry multiplies.
   */
  readonly configuration: client.Configuration;
  /** Datadog site, e.g. `datadoghq.eu`, `us5.datadoghq.com`; sets the client's `site` server variable. */
  readonly site?: string;
  /**
   * Tags every monitor event must carry (monitor and group tags), e.g. `["team:payments"]`: only
   * these monitors are reported. Default: every monitor.
   */
  readonly monitorTags?: readonly string[];
  /** Event search query for the events around the window. Default `-source:alert` (all but monitor alerts). */
  readonly eventsQuery?: string;
  /** Epoch ms now; the range is cut at now (the hour after the last event may not be over). */
  readonly now?: () => number;
  /** Retries of a 429 or 5xx. Default 3. */
  readonly retries?: number;
  /** A 429 asking to wait longer than this is not retried (noted instead). Default 15 s. */
  readonly maxRetryWaitMs?: number;
  /** First backoff step for 5xx (and 429 without `x-ratelimit-reset`); doubles per retry. Default 500 ms. */
  readonly baseDelayMs?: number;
  /** Waits between retries; injected so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
  /** Requests in flight at once. Default 4. */
  readonly concurrency?: number;
  /** Monitors read in detail at most (the rest are described from their events). Default 20. */
  readonly maxMonitors?: number;
  /** Pages of monitor events read at most (100 a page). Default 5. */
  readonly maxMonitorEventPages?: number;
  /** Events listed at most. Default 50. */
  readonly maxEvents?: number;
  /** Metric queries at most per report. Default 40. */
  readonly maxMetricQueries?: number;
  /** Rollup of each metric point, seconds. Default 300. */
  readonly rollupSeconds?: number;
}

const MONITOR_EVENTS_PAGE = 100;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/* ---------- retries: a wrapper around the client's HTTP library ---------- */

interface RetryPolicy {
  readonly retries: number;
  readonly maxWaitMs: number;
  readonly baseDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

/**
 * Seconds until the rate limit resets, from `x-ratelimit-reset`.
 * @see https://docs.datadoghq.com/api/latest/rate-limits/
 */
function rateLimitResetMs(headers: Readonly<Record<string, string>>): number | undefined {
  const raw = headers["x-ratelimit-reset"] ?? headers["X-RateLimit-Reset"];
  const seconds = raw === undefined ? Number.NaN : Number.parseInt(raw, 10);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/**
 * Retries 429 (after `x-ratelimit-reset`) and 5xx (exponential backoff with jitter) around the
 * client's own HTTP library. The response handed back is the last one, so the client still turns
 * a final error status into its `ApiException`.
 */
function retryingHttpApi(inner: client.HttpLibrary, policy: RetryPolicy): client.HttpLibrary {
  return {
    async send(request) {
      for (let attempt = 0; ; attempt += 1) {
        const response = await inner.send(request);
        const status = response.httpStatusCode;
        if ((status !== 429 && status < 500) || attempt >= policy.retries) return response;
        const step = Math.min(policy.baseDelayMs * 2 ** attempt, 20_000);
        const backoff = Math.round(step / 2 + (policy.random() * step) / 2);
        const wait = status === 429 ? (rateLimitResetMs(response.headers) ?? backoff) : backoff;
        if (wait > policy.maxWaitMs) return response;
        await response.body.text().catch(() => undefined);
        await policy.sleep(wait);
      }
    },
  };
}

/**
 * The caller's configuration with our retrying HTTP library in front of its own. The API classes
 * send through `configuration.httpApi`; everything else (servers, site, auth) is read through the
 * prototype, so the caller's object is left as it is.
 */
function withRetries(configuration: client.Configuration, policy: RetryPolicy): client.Configuration {
  return Object.create(configuration, {
    httpApi: { value: retryingHttpApi(configuration.httpApi, policy), enumerable: true },
  }) as client.Configuration;
}

/* ---------- notes: errors described without secrets ---------- */

/** Datadog API keys are 32 hex characters, application keys 40: never let one reach a note. */
function redact(text: string): string {
  return text.replace(/\b[0-9a-f]{40}\b|\b[0-9a-f]{32}\b/gi, "[redacted]");
}

/**
 * The `errors` of Datadog's error body. The client gives it parsed for the statuses an operation
 * documents, and as `Unknown API Status Code!\nBody: "<text>"` for the others (e.g. 502).
 */
function errorsOf(body: unknown): string {
  let value = body;
  if (typeof value === "string") {
    const text = /Body: "([\s\S]*)"$/.exec(value)?.[1] ?? value;
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      return text.replace(/\s+/g, " ").trim().slice(0, 120);
    }
  }
  const errors = (value as { errors?: unknown } | null | undefined)?.errors;
  return Array.isArray(errors) ? errors.map(String).join("; ") : "";
}

function describeError(error: unknown): string {
  let text: string;
  if (error instanceof client.ApiException) {
    const what = error.code === 429 ? "rate limited" : errorsOf(error.body);
    text = `HTTP ${error.code}${what ? ` (${what})` : ""}`;
  } else if (error instanceof Error) {
    text = error.message;
  } else {
    text = String(error);
  }
  const clean = redact(text);
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}

function isNotFound(error: unknown): boolean {
  return error instanceof client.ApiException && error.code === 404;
}

/* ---------- small helpers ---------- */

const iso = (ms: number) => new Date(ms).toISOString();

function unique(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v !== ""))];
}

/* ---------- monitor events ► transitions ---------- */

/** Fields of a monitor event the client keeps in `additionalProperties` (not in its model). */
const monitorExtrasSchema = z.looseObject({
  priority: z.number().nullish(),
  transition: z
    .looseObject({
      transition_type: z.string().nullish(),
      source_state: z.string().nullish(),
      destination_state: z.string().nullish(),
    })
    .nullish(),
});

function alertState(state: string | null | undefined): AlertState | undefined {
  switch ((state ?? "").toLowerCase()) {
    case "alert":
    case "triggered":
      return "Alert";
    case "warn":
    case "warning":
      return "Warn";
    case "ok":
    case "recovered":
      return "OK";
    default:
      return undefined;
  }
}

/** Event `status` ► state, for monitor events without `monitor.transition`. */
const STATUS_STATES: Readonly<Record<string, AlertState>> = {
  error: "Alert",
  warning: "Warn",
  success: "OK",
};

function stateOfStatus(status: string): AlertState | undefined {
  return Object.hasOwn(STATUS_STATES, status) ? STATUS_STATES[status] : undefined;
}

/** What a monitor event says about its monitor, kept to describe it when the Monitors API cannot. */
interface MonitorFromEvents {
  readonly name?: string;
  readonly query?: string;
  readonly tags?: readonly string[];
  readonly priority?: number;
}

function validPriority(p: number | null | undefined): number | undefined {
  return typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 5 ? p : undefined;
}

/** `[Triggered on {host:a}] High CPU` ► `High CPU`. */
function stripTitle(title: string | undefined): string | undefined {
  const name = title?.replace(/^(\[[^\]]*\]\s*)+/, "").trim();
  return name === "" ? undefined : name;
}

function readMonitorEvent(
  event: v2.EventResponse,
): { transition: MonitorTransition; info: MonitorFromEvents } | undefined {
  const attributes = event.attributes?.attributes;
  const monitor = attributes?.monitor;
  const id = attributes?.monitorId ?? monitor?.id;
  const at = attributes?.timestamp ?? event.attributes?.timestamp?.getTime();
  if (id === undefined || at === undefined || !Number.isFinite(at)) return undefined;
  const extras = monitorExtrasSchema.safeParse(monitor?.additionalProperties ?? {});
  const transition = extras.success ? extras.data.transition : undefined;
  // With a transition, its destination decides (No Data is no alert); without one, the event status.
  const to =
    transition?.destination_state != null
      ? alertState(transition.destination_state)
      : stateOfStatus(String(attributes?.status ?? ""));
  if (to === undefined) return undefined;
  const from = alertState(transition?.source_state);
  const group = (attributes?.monitorGroups ?? []).join(",");
  const name = monitor?.name || monitor?.templatedName || stripTitle(attributes?.title);
  const priority = validPriority(extras.success ? extras.data.priority : undefined);
  const info: MonitorFromEvents = {
    ...(name ? { name } : {}),
    ...(monitor?.query ? { query: monitor.query } : {}),
    ...(monitor?.tags?.length ? { tags: monitor.tags } : {}),
    ...(priority !== undefined ? { priority } : {}),
  };
  return {
    transition: { monitorId: String(id), ...(group ? { group } : {}), at, to, ...(from ? { from } : {}) },
    info,
  };
}

/* ---------- the adapter ---------- */

/**
 * Creates the Datadog `Signals` adapter. See the module comment for the endpoints and why.
 * @see https://github.com/DataDog/datadog-api-client-typescript#getting-started
 */
export function createDatadogSignals(options: DatadogSignalsOptions): Signals {
  if (options.site !== undefined) options.configuration.setServerVariables({ site: options.site });
  const configuration = withRetries(options.configuration, {
    retries: Math.max(0, options.retries ?? 3),
    maxWaitMs: options.maxRetryWaitMs ?? 15_000,
    baseDelayMs: options.baseDelayMs ?? 500,
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
  });
  const monitorsApi = new v1.MonitorsApi(configuration);
  const metricsApi = new v1.MetricsApi(configuration);
  const eventsApi = new v2.EventsApi(configuration);
  const now = options.now ?? Date.now;
  const limit = pLimit(Math.max(1, options.concurrency ?? 4));
  const maxMonitors = options.maxMonitors ?? 20;
  const maxMonitorEventPages = Math.max(1, options.maxMonitorEventPages ?? 5);
  const maxEvents = Math.max(1, options.maxEvents ?? 50);
  const maxMetricQueries = options.maxMetricQueries ?? 40;
  const rollupSeconds = options.rollupSeconds ?? DEFAULT_ROLLUP_SECONDS;
  const monitorQuery = ["source:alert", ...(options.monitorTags ?? [])].join(" ");
  const eventsQuery = options.eventsQuery ?? "-source:alert";

  async function monitors(from: number, to: number): Promise<{ monitors: MonitorSignal[]; notes: string[] }> {
    const notes: string[] = [];
    const transitions: MonitorTransition[] = [];
    const described = new Map<string, MonitorFromEvents>();
    let cursor: string | undefined;
    try {
      for (let page = 0; page < maxMonitorEventPages; page += 1) {
        const response = await limit(() =>
          eventsApi.searchEvents({
            body: {
              filter: { query: monitorQuery, from: String(from), to: String(to) },
              sort: "timestamp",
              page: { limit: MONITOR_EVENTS_PAGE, ...(cursor ? { cursor } : {}) },
            },
          }),
        );
        for (const event of response.data ?? []) {
          const read = readMonitorEvent(event);
          if (read === undefined) continue;
          transitions.push(read.transition);
          described.set(read.transition.monitorId, {
            ...described.get(read.transition.monitorId),
            ...read.info,
          });
        }
        cursor = response.meta?.page?.after;
        if (!cursor) break;
        if (page === maxMonitorEventPages - 1)
          notes.push(
            `more than ${maxMonitorEventPages * MONITOR_EVENTS_PAGE} Datadog monitor events in the range; later ones were not read`,
          );
      }
    } catch (error) {
      notes.push(`Datadog monitor events could not be read: ${describeError(error)}`);
      if (transitions.length === 0) return { monitors: [], notes };
    }

    const inRange = (at: number | undefined) => at !== undefined && at >= from && at <= to;
    const episodes = monitorEpisodes(transitions).filter(
      (e) => inRange(e.triggeredAt) || inRange(e.resolvedAt),
    );
    const ids = unique(episodes.map((e) => e.monitorId));
    const detailed = ids.slice(0, Math.max(0, maxMonitors));
    if (ids.length > detailed.length)
      notes.push(
        `${ids.length - detailed.length} more Datadog monitors changed state; they are described from their events only`,
      );
    const details = new Map<string, v1.Monitor>();
    const failures = await Promise.all(
      detailed.map((id) =>
        limit(() => monitorsApi.getMonitor({ monitorId: Number(id), groupStates: "all" })).then(
          (monitor) => {
            details.set(id, monitor);
            return undefined;
          },
          (error: unknown) => {
            const name = described.get(id)?.name;
            const which = `Datadog monitor ${id}${name ? ` ("${name}")` : ""}`;
            return isNotFound(error)
              ? `${which} no longer exists (HTTP 404); described from its events`
              : `${which} could not be read: ${describeError(error)}; described from its events`;
          },
        ),
      ),
    );
    notes.push(...failures.filter((f) => f !== undefined));

    const signals: MonitorSignal[] = [];
    for (const episode of episodes) {
      const detail = details.get(episode.monitorId);
      const fromEvents = described.get(episode.monitorId) ?? {};
      const name = detail?.name || fromEvents.name || `monitor ${episode.monitorId}`;
      let triggeredAt = episode.triggeredAt;
      if (triggeredAt === undefined) {
        // Per-group state; a simple monitor has one group (whatever its key).
        const groups = Object.entries(detail?.state?.groups ?? {});
        const state =
          episode.group !== undefined
            ? groups.find(([key, g]) => key === episode.group || g.name === episode.group)?.[1]
            : groups.length === 1
              ? groups[0]?.[1]
              : undefined;
        const lastTriggeredTs = state?.lastTriggeredTs;
        const known = lastTriggeredTs !== undefined ? lastTriggeredTs * 1000 : undefined;
        if (known !== undefined && episode.resolvedAt !== undefined && known <= episode.resolvedAt) {
          triggeredAt = known;
        } else {
          triggeredAt = from;
          notes.push(
            `Datadog monitor "${name}" recovered at ${iso(episode.resolvedAt ?? from)} after triggering before ${iso(from)}; its trigger time is not known`,
          );
        }
      }
      const priority = validPriority(detail?.priority) ?? fromEvents.priority;
      const query = detail?.query || fromEvents.query;
      const tags = unique([...(detail?.tags ?? fromEvents.tags ?? [])]);
      signals.push({
        name,
        status: episode.status,
        ...(priority !== undefined ? { priority } : {}),
        triggeredAt: iso(triggeredAt),
        ...(episode.resolvedAt !== undefined ? { resolvedAt: iso(episode.resolvedAt) } : {}),
        ...(query ? { query } : {}),
        ...(tags.length > 0 ? { tags } : {}),
        ...(episode.group ? { group: episode.group } : {}),
      });
    }
    signals.sort(compareMonitors);
    return { monitors: signals, notes };
  }

  async function events(from: number, to: number): Promise<{ events: EventSignal[]; notes: string[] }> {
    try {
      const response = await limit(() =>
        eventsApi.searchEvents({
          body: {
            filter: { query: eventsQuery, from: String(from), to: String(to) },
            sort: "timestamp",
            page: { limit: maxEvents },
          },
        }),
      );
      const list: EventSignal[] = [];
      for (const event of response.data ?? []) {
        const attributes = event.attributes;
        const at = attributes?.attributes?.timestamp ?? attributes?.timestamp?.getTime();
        if (at === undefined || !Number.isFinite(at) || at < from || at > to) continue;
        const title =
          attributes?.attributes?.title || attributes?.message?.split("\n")[0] || "(untitled event)";
        const tags = unique(attributes?.tags ?? []);
        const source =
          tags.find((t) => t.startsWith("source:"))?.slice("source:".length) ||
          attributes?.attributes?.sourceTypeName;
        list.push({
          title,
          at: iso(at),
          ...(source ? { source } : {}),
          ...(tags.length > 0 ? { tags } : {}),
        });
      }
      const notes = response.meta?.page?.after
        ? [`more than ${maxEvents} Datadog events in the range; only the first ${maxEvents} are listed`]
        : [];
      return { events: list, notes };
    } catch (error) {
      return { events: [], notes: [`Datadog events could not be read: ${describeError(error)}`] };
    }
  }

  async function metric(
    q: MetricQuery,
    window: { from: number; to: number; firstEventAt: number; lastEventAt: number },
  ): Promise<{ signal?: MetricSignal; note?: string }> {
    const what = `${q.metric} of ${q.logicalId} (${q.query})`;
    try {
      const response = await limit(() =>
        metricsApi.queryMetrics({
          from: Math.floor(window.from / 1000),
          to: Math.ceil(window.to / 1000),
          query: q.query,
        }),
      );
      if (response.status === "error" || response.error)
        return {
          note: `Datadog metric ${what} could not be read: ${redact(response.error ?? "query error")}`,
        };
      const series = response.series ?? [];
      const points = series.flatMap((s) => s.pointlist ?? []);
      const interval = series[0]?.interval ?? rollupSeconds;
      const summary = summarize(points, { ...window, intervalMs: interval * 1000 });
      const { before, during, peak, after } = summary;
      if (before === undefined && during === undefined && after === undefined)
        return { note: `no Datadog datapoints for ${what}` };
      return {
        signal: {
          resource: q.logicalId,
          metric: q.metric,
          unit: q.unit,
          ...(before !== undefined ? { before } : {}),
          ...(during !== undefined ? { during } : {}),
          ...(peak !== undefined ? { peak } : {}),
          ...(after !== undefined ? { after } : {}),
        },
        ...(series.length > 1
          ? { note: `${series.length} Datadog series matched ${what}; summarised together` }
          : {}),
      };
    } catch (error) {
      return { note: `Datadog metric ${what} could not be read: ${describeError(error)}` };
    }
  }

  async function metrics(
    resources: readonly SignalResource[],
    window: { from: number; to: number; firstEventAt: number; lastEventAt: number },
  ): Promise<{ metrics: MetricSignal[]; notes: string[] }> {
    const seen = new Set<string>();
    const queries = resources
      .filter((r) => {
        const key = `${r.type}\u0000${r.physicalId}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .flatMap((r) => metricQueriesFor(r, { rollupSeconds }));
    const run = queries.slice(0, Math.max(0, maxMetricQueries));
    const notes =
      queries.length > run.length
        ? [
            `${queries.length - run.length} Datadog metric queries were skipped (at most ${run.length} a window)`,
          ]
        : [];
    const results = await Promise.all(run.map((q) => metric(q, window)));
    return {
      metrics: results.flatMap((r) => (r.signal ? [r.signal] : [])),
      notes: [...results.flatMap((r) => (r.note ? [r.note] : [])), ...notes],
    };
  }

  return {
    async around(input): Promise<SignalsReport> {
      const from = input.from;
      const to = Math.min(input.to, now());
      const notes: string[] = [];
      if (to <= from)
        return { monitors: [], metrics: [], events: [], notes: [`the range starts after now (${iso(to)})`] };
      if (to < input.to)
        notes.push(
          `the range is read up to now (${iso(to)}), not to ${iso(input.to)}: the time after the changes is not over`,
        );
      const window = { from, to, firstEventAt: input.firstEventAt, lastEventAt: input.lastEventAt };
      const [m, e, x] = await Promise.all([
        monitors(from, to),
        events(from, to),
        metrics(input.resources, window),
      ]);
      return {
        monitors: m.monitors,
        metrics: x.metrics,
        events: e.events,
        notes: [...notes, ...m.notes, ...e.notes, ...x.notes],
      };
    },
  };
}
