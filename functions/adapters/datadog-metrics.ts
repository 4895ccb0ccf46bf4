import { client, v1, v2 } from "@datadog/datadog-api-client";
import type { MetricPoint, Metrics } from "../../core/publish/ports.ts";
import { type AnalysisEvent, type AnalysisEvents, metricDefinition } from "../../core/report/metrics.ts";

/**
 * The `Metrics` port on Datadog's v2 metrics intake, and the analysed-window events on the v1 Events
 * API, through the official client (`@datadog/datadog-api-client`). Both need only the API key.
 *
 * - Points become series grouped by (metric, type, tags), each series' points in time order, sent in
 *   batches of at most `batchSize` series and ~500 KB a request (`POST /api/v2/series`).
 * - 429 and 5xx are retried here, waiting `x-ratelimit-reset` seconds on a 429 and backing off
 *   exponentially (with jitter) otherwise; leave the client's own `enableRetry` off.
 * - Errors never carry the API or application key.
 *
 * @see https://docs.datadoghq.com/api/latest/metrics/#submit-metrics
 * @see https://docs.datadoghq.com/api/latest/events/#post-an-event
 * @see https://docs.datadoghq.com/api/latest/rate-limits/
 */

/* ---------- errors ---------- */

/**
 * A Datadog request failed after its retries. The message names the operation and status, never a key.
 * @see https://docs.datadoghq.com/api/latest/#response-codes
 */
export class DatadogError extends Error {
  override readonly name = "DatadogError";
  /** HTTP status, when the server answered. */
  readonly status: number | undefined;
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(redactKeys(message), { cause: options.cause });
    this.status = options.status;
  }
}

/**
 * Datadog API keys are 32 hex characters, application keys 40: neither may reach a message or log.
 * @see https://docs.datadoghq.com/account_management/api-app-keys/
 */
export function redactKeys(text: string): string {
  return text.replace(/\b[0-9a-f]{40}\b|\b[0-9a-f]{32}\b/gi, "[redacted]");
}

function errorsOf(body: unknown): string {
  let value = body;
  if (typeof value === "string") {
    const raw = /Body: "([\s\S]*)"$/.exec(value)?.[1] ?? value;
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      return raw.replace(/\s+/g, " ").trim().slice(0, 200);
    }
  }
  const errors = (value as { errors?: unknown } | null | undefined)?.errors;
  return Array.isArray(errors) ? errors.map(String).join("; ").slice(0, 300) : "";
}

/** Wraps whatever the client threw into a `DatadogError` for `what`. */
export function datadogError(what: string, error: unknown): DatadogError {
  if (error instanceof DatadogError) return error;
  if (error instanceof client.ApiException) {
    const detail = errorsOf(error.body);
    // The cause keeps the status and the error text, redacted; not the raw exception and its body.
    const cause = new Error(redactKeys(`HTTP ${error.code}: ${detail || "no error text"}`));
    return new DatadogError(`${what}: HTTP ${error.code}${detail ? ` (${detail})` : ""}`, {
      status: error.code,
      cause,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new DatadogError(`${what}: ${message}`, { cause: new Error(redactKeys(message)) });
}

/* ---------- retries ---------- */

/**
 * How 429 and 5xx answers are retried.
 * @see https://docs.datadoghq.com/api/latest/rate-limits/
 */
export interface DatadogRetryOptions {
  /** Retries of a 429 or 5xx. Default 3. */
  readonly retries?: number;
  /** A 429 asking to wait longer than this is not retried. Default 30 s. */
  readonly maxRetryWaitMs?: number;
  /** First backoff step for 5xx (and a 429 without `x-ratelimit-reset`); doubles per retry. Default 500 ms. */
  readonly baseDelayMs?: number;
  /** Waits between retries; injected so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function rateLimitResetMs(headers: Readonly<Record<string, string>>): number | undefined {
  const raw = headers["x-ratelimit-reset"] ?? headers["X-RateLimit-Reset"];
  const seconds = raw === undefined ? Number.NaN : Number.parseInt(raw, 10);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * The caller's configuration with a retrying HTTP library in front of its own: 429 waits
 * `x-ratelimit-reset` seconds, 5xx and a failed connection (reset, timed out) back off exponentially
 * with jitter. The last response is handed
 * back as it is, so the client still turns a final error status into its `ApiException`. The
 * caller's object is not modified (servers, site and auth are read through the prototype).
 * @see https://docs.datadoghq.com/api/latest/rate-limits/
 */
export function withDatadogRetries(
  configuration: client.Configuration,
  options: DatadogRetryOptions = {},
): client.Configuration {
  const inner = configuration.httpApi;
  const retries = Math.max(0, options.retries ?? 3);
  const maxWaitMs = options.maxRetryWaitMs ?? 30_000;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const httpApi: client.HttpLibrary = {
    async send(request) {
      for (let attempt = 0; ; attempt += 1) {
        let response: Awaited<ReturnType<typeof inner.send>>;
        try {
          response = await inner.send(request);
        } catch (error) {
          // A reset or timed-out connection is retried like a 5xx.
          if (attempt >= retries) throw error;
          const step = Math.min(baseDelayMs * 2 ** attempt, 20_000);
          await sleep(Math.round(step / 2 + (random() * step) / 2));
          continue;
        }
        const status = response.httpStatusCode;
        if ((status !== 429 && status < 500) || attempt >= retries) return response;
        const step = Math.min(baseDelayMs * 2 ** attempt, 20_000);
        const backoff = Math.round(step / 2 + (random() * step) / 2);
        const wait = status === 429 ? (rateLimitResetMs(response.headers) ?? backoff) : backoff;
        if (wait > maxWaitMs) return response;
        await response.body.text().catch(() => undefined);
        await sleep(wait);
      }
    },
  };
  return Object.create(configuration, {
    httpApi: { value: httpApi, enumerable: true },
  }) as client.Configuration;
}

/* ---------- series ---------- */

/** v2 intake types. @see https://docs.datadoghq.com/api/latest/metrics/#submit-metrics */
const INTAKE_TYPE = { count: 1, gauge: 3 } as const satisfies Record<
  MetricPoint["type"],
  v2.MetricIntakeType
>;

/**
 * Groups points into v2 series: one per (metric, type, tag set), tags sorted, points in time order.
 * Points of one series at the same second are merged the way Datadog would read them: counts add up,
 * a gauge keeps the last value. Catalogued metrics carry their unit.
 * @see https://docs.datadoghq.com/metrics/types/
 */
export function metricSeries(points: readonly MetricPoint[]): v2.MetricSeries[] {
  const bySeries = new Map<
    string,
    { metric: string; type: MetricPoint["type"]; tags: string[]; at: Map<number, number> }
  >();
  for (const p of points) {
    if (!Number.isFinite(p.value) || !Number.isFinite(p.timestamp)) continue;
    const tags = [...new Set(p.tags)].sort();
    const key = JSON.stringify([p.metric, p.type, tags]);
    const series = bySeries.get(key) ?? {
      metric: p.metric,
      type: p.type,
      tags,
      at: new Map<number, number>(),
    };
    const ts = Math.floor(p.timestamp);
    const before = series.at.get(ts);
    series.at.set(ts, p.type === "count" && before !== undefined ? before + p.value : p.value);
    bySeries.set(key, series);
  }
  return [...bySeries.values()].map((s) => {
    const unit = metricDefinition(s.metric)?.unit;
    return {
      metric: s.metric,
      type: INTAKE_TYPE[s.type],
      points: [...s.at.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([timestamp, value]) => ({ timestamp, value })),
      tags: s.tags,
      ...(unit ? { unit } : {}),
    };
  });
}

/**
 * Splits series into requests of at most `maxSeries` series and about `maxBytes` of JSON (the
 * intake takes at most 512,000 bytes a request).
 * @see https://docs.datadoghq.com/api/latest/metrics/#submit-metrics
 */
export function batchSeries(
  series: readonly v2.MetricSeries[],
  maxSeries: number,
  maxBytes: number,
): v2.MetricSeries[][] {
  const batches: v2.MetricSeries[][] = [];
  let current: v2.MetricSeries[] = [];
  let bytes = 0;
  for (const s of series) {
    const size = Buffer.byteLength(JSON.stringify(s)) + 1;
    if (current.length > 0 && (current.length >= maxSeries || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(s);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/* ---------- the metrics adapter ---------- */

/**
 * Options of `createDatadogMetrics`.
 * @see https://github.com/DataDog/datadog-api-client-typescript#changing-server
 */
export interface DatadogMetricsOptions extends DatadogRetryOptions {
  /**
   * `client.createConfiguration({ authMethods: { apiKeyAuth } })`; tests pass
   * `baseServer: new client.BaseServerConfiguration("http://127.0.0.1:<port>", {})`.
   */
  readonly configuration: client.Configuration;
  /** Datadog site, e.g. `datadoghq.eu`; sets the client's `site` server variable. */
  readonly site?: string;
  /** Series per request at most. Default 500. */
  readonly batchSize?: number;
  /** JSON bytes per request at most (Datadog's limit is 512,000 uncompressed). Default 500,000. */
  readonly maxPayloadBytes?: number;
}

/**
 * Creates the Datadog `Metrics` adapter (v2 `submitMetrics`). Every batch is attempted; when any
 * fails after its retries, `emit` rejects with one `DatadogError` naming how many series were lost.
 * An accepted payload that reports `errors` counts as failed too.
 * @see https://docs.datadoghq.com/api/latest/metrics/#submit-metrics
 * @see https://github.com/DataDog/datadog-api-client-typescript#getting-started
 */
export function createDatadogMetrics(options: DatadogMetricsOptions): Metrics {
  if (options.site !== undefined) options.configuration.setServerVariables({ site: options.site });
  const api = new v2.MetricsApi(withDatadogRetries(options.configuration, options));
  const batchSize = Math.max(1, options.batchSize ?? 500);
  const maxBytes = Math.max(1024, options.maxPayloadBytes ?? 500_000);
  return {
    async emit(points) {
      const batches = batchSeries(metricSeries(points), batchSize, maxBytes);
      const failures: DatadogError[] = [];
      let lost = 0;
      for (const series of batches) {
        try {
          const accepted = await api.submitMetrics({ body: { series } });
          if (accepted.errors && accepted.errors.length > 0)
            throw new DatadogError(
              `Datadog metrics intake reported: ${accepted.errors.join("; ").slice(0, 300)}`,
            );
        } catch (error) {
          failures.push(datadogError("Datadog metrics submit", error));
          lost += series.length;
        }
      }
      const first = failures[0];
      if (first !== undefined) {
        const total = batches.reduce((n, b) => n + b.length, 0);
        throw new DatadogError(
          `${lost} of ${total} series in ${failures.length} of ${batches.length} requests were not accepted: ${first.message}`,
          {
            ...(first.status !== undefined ? { status: first.status } : {}),
            cause: failures.length === 1 ? first : failures,
          },
        );
      }
    },
  };
}

/* ---------- the events adapter ---------- */

/** Options of `createDatadogEvents`. */
export interface DatadogEventsOptions extends DatadogRetryOptions {
  /** As for `createDatadogMetrics`: only the API key is needed. */
  readonly configuration: client.Configuration;
  readonly site?: string;
}

/**
 * Creates the analysed-window events adapter: one `POST /api/v1/events` per window, aggregated by
 * stack (v1 `createEvent`; the v2 endpoint is the Event Management intake, meant for alert and change
 * events with a fixed schema). Rejects with a `DatadogError` after the retries.
 * @see https://docs.datadoghq.com/api/latest/events/#post-an-event
 */
export function createDatadogEvents(options: DatadogEventsOptions): AnalysisEvents {
  if (options.site !== undefined) options.configuration.setServerVariables({ site: options.site });
  const api = new v1.EventsApi(withDatadogRetries(options.configuration, options));
  return {
    async analysed(event: AnalysisEvent) {
      try {
        await api.createEvent({
          body: {
            title: event.title,
            text: event.text,
            tags: [...event.tags],
            aggregationKey: event.aggregationKey,
            alertType: event.alertType,
            dateHappened: event.dateHappened,
          },
        });
      } catch (error) {
        throw datadogError("Datadog event post", error);
      }
    },
  };
}
