import { z } from "zod";
import { formatIssues } from "../drift/schema.ts";
import type { EventSignal, MetricSignal, MonitorSignal, SignalsReport } from "./types.ts";

/**
 * The scenario's `signals.json` (DESIGN §4, contract): Phantom's own format, so strict. Unknown
 * keys are errors (a typo such as `triggered_at` must not silently drop a field), times are ISO
 * 8601 with a zone, priorities 1–5 as Datadog has them, and every list may be left out (empty).
 * Times come out normalised to `toISOString()` form.
 * @see https://docs.datadoghq.com/monitors/configuration/#priority (monitor priority P1–P5)
 */

const isoTime = z.iso
  .datetime({ offset: true, message: "expected an ISO 8601 time with a zone, e.g. 2024-05-01T03:07:00Z" })
  .transform((s) => new Date(s).toISOString());

const tags = z.array(z.string().min(1));

export const monitorSignalSchema = z
  .strictObject({
    name: z.string().min(1),
    status: z.string().min(1),
    priority: z.number().int().min(1).max(5).optional(),
    triggeredAt: isoTime,
    resolvedAt: isoTime.optional(),
    query: z.string().optional(),
    tags: tags.optional(),
    group: z.string().min(1).optional(),
  })
  .refine((m) => m.resolvedAt === undefined || m.resolvedAt >= m.triggeredAt, {
    message: "resolvedAt is before triggeredAt",
    path: ["resolvedAt"],
  });

const figure = z.number().finite();

export const metricSignalSchema = z.strictObject({
  resource: z.string().min(1),
  metric: z.string().min(1),
  unit: z.string().min(1).optional(),
  before: figure.optional(),
  during: figure.optional(),
  peak: figure.optional(),
  after: figure.optional(),
});

export const eventSignalSchema = z.strictObject({
  title: z.string().min(1),
  at: isoTime,
  source: z.string().min(1).optional(),
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

/**
 * Validates a parsed `signals.json` and returns the report, or every problem at once as
 * `path: message` lines (`monitors.1.triggeredAt: expected an ISO 8601 time …`). The fields are
 * those the Datadog adapter reports, so a file can be written from what the Datadog UI showed.
 * @see https://docs.datadoghq.com/monitors/status/ (monitor states: Alert, Warn, OK, No Data)
 */
export function parseSignalsFile(json: unknown): SignalsFileParse {
  const parsed = signalsFileSchema.safeParse(json);
  if (!parsed.success) return { ok: false, issues: formatIssues(parsed.error) };
  const { monitors, metrics, events, notes } = parsed.data;
  return {
    ok: true,
    report: {
      monitors: monitors.map((m) => defined<MonitorSignal>(m)),
      metrics: metrics.map((m) => defined<MetricSignal>(m)),
      ...(events !== undefined ? { events: events.map((e) => defined<EventSignal>(e)) } : {}),
      notes,
    },
  };
}
