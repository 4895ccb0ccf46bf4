import { z } from "zod";
import type { EventSignal, MetricSignal, MonitorSignal, SignalsReport } from "./types.ts";

/**
 * The scenario's `signals.json` (DESIGN §4, contract). People write it, from what the Datadog UI
 * showed, so it accepts what they plausibly write and rejects only what is meaningless, saying
 * where and what (`monitors.1.priority: expected 1–5 or P1–P5 (got "urgent")`):
 * - monitor `priority` as 1–5, `"1"`–`"5"` or `"P1"`–`"P5"` in any case ► 1–5;
 * - monitor `status` in any case (`alert`, `OK`, `no data`, `no_data`) ► Datadog's spelling
 *   (`Alert`, `Warn`, `OK`, `No Data`); another status is kept as written;
 * - times as ISO 8601 (with a zone, or without one read as UTC, `T` or a space between date and
 *   time) or epoch seconds or milliseconds, as numbers or digit strings ► `toISOString()` form;
 * - metric figures as numbers or numeric strings, optionally with `%` (`"35 %"` ► 35);
 * - snake_case field names (`triggered_at`) for the camelCase ones.
 * Unknown keys stay errors (a typo must not silently drop a field); every list may be left out.
 * @see https://docs.datadoghq.com/monitors/configuration/#priority (monitor priority P1–P5)
 * @see https://docs.datadoghq.com/monitors/status/ (monitor states: Alert, Warn, OK, No Data)
 */

/** The last time a Date holds (ECMAScript: 8.64e15 ms after the epoch). */
const MAX_DATE_MS = 8.64e15;
/** Epoch figures above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const EPOCH_MS_FROM = 1e11;
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** A time people write ► epoch ms, or `undefined` when it names no moment. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) return undefined;
    const ms = value >= EPOCH_MS_FROM ? value : value * 1000;
    // Past JavaScript's last date (year 275760) no Date can hold it, and toISOString would throw.
    return ms <= MAX_DATE_MS ? ms : undefined;
  }
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return parseTime(Number(text));
  const iso = ISO_TIME.exec(text);
  if (iso === null) return undefined;
  const zone = iso[3] === undefined ? "Z" : iso[3].toUpperCase();
  const ms = Date.parse(`${iso[1]}T${iso[2]}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

const time = z.unknown().transform((value, ctx) => {
  const ms = parseTime(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: "expected an ISO 8601 time (e.g. 2024-05-01T03:07:00Z) or epoch seconds or milliseconds",
    });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

/** `1`, `"1"`, `"P1"`, `"p1"` ► 1; `undefined` otherwise. */
export function parsePriority(value: unknown): number | undefined {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value.trim() : "";
  const match = /^p?([1-5])$/i.exec(text);
  return match === null ? undefined : Number(match[1]);
}

const priority = z.unknown().transform((value, ctx) => {
  const p = parsePriority(value);
  if (p === undefined) {
    ctx.addIssue({ code: "custom", message: "expected a priority 1–5 or P1–P5" });
    return z.NEVER;
  }
  return p;
});

/** Datadog's spelling of a monitor state, keyed by the state with case, spaces and `_` removed. */
const STATUS_SPELLING: Readonly<Record<string, string>> = {
  alert: "Alert",
  warn: "Warn",
  warning: "Warn",
  ok: "OK",
  nodata: "No Data",
};

/** A monitor status in any case ► Datadog's spelling; another status as written (trimmed). */
export function normalizeStatus(status: string): string {
  const key = status.toLowerCase().replace(/[\s_-]+/g, "");
  return Object.hasOwn(STATUS_SPELLING, key) ? (STATUS_SPELLING[key] as string) : status.trim();
}

const text = z.string().trim().min(1);
const tags = z.array(text);

export const monitorSignalSchema = z
  .strictObject({
    name: text,
    status: text.transform(normalizeStatus),
    priority: priority.optional(),
    triggeredAt: time,
    resolvedAt: time.optional(),
    query: z.string().optional(),
    tags: tags.optional(),
    group: text.optional(),
  })
  .refine((m) => m.resolvedAt === undefined || m.resolvedAt >= m.triggeredAt, {
    message: "resolvedAt is before triggeredAt",
    path: ["resolvedAt"],
  });

/** A figure: a finite number, or a numeric string with an optional `%` (`"35 %"`). */
const figure = z.unknown().transform((value, ctx) => {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*%?\s*$/.test(value)
        ? Number.parseFloat(value)
        : Number.NaN;
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: "custom", message: "expected a number" });
    return z.NEVER;
  }
  return n;
});

export const metricSignalSchema = z.strictObject({
  resource: text,
  metric: text,
  unit: text.optional(),
  before: figure.optional(),
  during: figure.optional(),
  peak: figure.optional(),
  after: figure.optional(),
});

export const eventSignalSchema = z.strictObject({
  title: text,
  at: time,
  source: text.optional(),
  tags: tags.optional(),
});

export const signalsFileSchema = z.strictObject({
  monitors: z.array(monitorSignalSchema).default([]),
  metrics: z.array(metricSignalSchema).default([]),
  events: z.array(eventSignalSchema).optional(),
  notes: z.array(z.string()).default([]),
});

export type SignalsFileParse =
  | { readonly ok: true; readonly report: SignalsReport }
  | { readonly ok: false; readonly issues: readonly string[] };

/** Drops `undefined` members so a parsed report compares equal to the file it came from. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The camelCase field names of the format that a snake_case spelling may stand for. */
const CAMEL_FIELDS: ReadonlySet<string> = new Set(["triggeredAt", "resolvedAt"]);

/** `triggered_at` ► `triggeredAt`. */
function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The file with snake_case keys of the known fields renamed to camelCase, at the two levels the
 * format has (each monitor/metric/event). A key already present in camelCase wins, and any other
 * key stays as written so the schema names it.
 */
function camelKeys(json: unknown): unknown {
  const rename = (value: unknown): unknown => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const name = camel(key);
      out[CAMEL_FIELDS.has(name) && !(name in value) ? name : key] = v;
    }
    return out;
  };
  const top = rename(json);
  if (typeof top !== "object" || top === null || Array.isArray(top)) return top;
  const file = top as Record<string, unknown>;
  for (const list of ["monitors", "metrics", "events"]) {
    if (Array.isArray(file[list])) file[list] = (file[list] as unknown[]).map(rename);
  }
  return file;
}

/** The value at a zod issue's path in the input, for the message. */
function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let value = json;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `path: message (got value)` per issue; the value is left out when there is none to show. */
function describeIssues(error: z.ZodError, json: unknown): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.map(String).join(".") || "(top level)";
    const value = issue.code === "unrecognized_keys" ? undefined : valueAt(json, issue.path);
    const got = value === undefined || typeof value === "object" ? "" : ` (got ${shown(value)})`;
    return `${where}: ${issue.message}${got}`;
  });
}

/**
 * Validates a parsed `signals.json` and returns the report, or every problem at once as
 * `path: message (got value)` lines (`monitors.1.priority: expected a priority 1–5 or P1–P5 (got "urgent")`).
 * The fields are those the Datadog adapter reports, so a file can be written from what the
 * Datadog UI showed.
 */
export function parseSignalsFile(json: unknown): SignalsFileParse {
  const input = camelKeys(json);
  const parsed = signalsFileSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: describeIssues(parsed.error, input) };
  const { monitors, metrics, events, notes } = parsed.data;
  return {
    ok: true,
    report: {
      monitors: monitors.map((m) => defined<MonitorSignal>(m as MonitorSignal)),
      metrics: metrics.map((m) => defined<MetricSignal>(m as MetricSignal)),
      ...(events !== undefined ? { events: events.map((e) => defined<EventSignal>(e as EventSignal)) } : {}),
      notes,
    },
  };
}
