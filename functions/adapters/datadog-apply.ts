import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { type client, v1 } from "@datadog/datadog-api-client";
import { z } from "zod";
import {
  DatadogError,
  type DatadogRetryOptions,
  datadogError,
  withDatadogRetries,
} from "./datadog-metrics.ts";

/**
 * Dashboards and monitors as code: `functions/observability/dashboard.json` (one dashboard in the
 * Dashboards API's JSON shape, as Datadog's "Export dashboard JSON" gives it) and
 * `functions/observability/monitors.json` (a list in the Monitors API's JSON shape). `apply` matches
 * what exists by dashboard title and monitor name, then creates what is missing and updates what
 * differs; a second run finds everything unchanged. A dry run plans without writing.
 *
 * "Differs" means: some field the file sets has another value in Datadog. Fields Datadog adds (ids,
 * authors, widget ids, defaulted options) are not differences; `tags` compare as sets.
 *
 * @see https://docs.datadoghq.com/api/latest/dashboards/
 * @see https://docs.datadoghq.com/api/latest/monitors/
 */

/**
 * A JSON object in Datadog's wire shape (snake_case, as the API and the files hold it).
 * @see https://docs.datadoghq.com/dashboards/configure/#copy-import-or-export-dashboard-json
 */
export type WireObject = Record<string, unknown>;

/**
 * What the files declare: dashboards (Dashboards API `Dashboard`) and monitors (Monitors API `Monitor`).
 * @see https://docs.datadoghq.com/api/latest/dashboards/#create-a-new-dashboard
 * @see https://docs.datadoghq.com/api/latest/monitors/#create-a-monitor
 */
export interface ObservabilityDefinitions {
  readonly dashboards: readonly WireObject[];
  readonly monitors: readonly WireObject[];
}

/** The folder the definitions ship in (`functions/observability/`). */
export const OBSERVABILITY_DIR = new URL("../observability/", import.meta.url);

/** The definition files are unreadable or invalid; `issues` lists every problem at once. */
export class ObservabilityFileError extends Error {
  override readonly name = "ObservabilityFileError";
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid Datadog definitions:\n  - ${issues.join("\n  - ")}`);
    this.issues = issues;
  }
}

const dashboardSchema = z.looseObject({
  title: z.string().min(1),
  layout_type: z.enum(["ordered", "free"]),
  widgets: z.array(z.looseObject({ definition: z.looseObject({ type: z.string() }) })).min(1),
});

const monitorSchema = z.looseObject({
  name: z.string().min(1),
  type: z.string().min(1),
  query: z.string().min(1),
  message: z.string().min(1),
  tags: z.array(z.string()).min(1),
  options: z.looseObject({}).optional(),
});

/**
 * Fields of `json` the official client's model does not know (a typo, a widget type it cannot
 * parse): they would be sent as-is, unchecked. Empty when the file is exactly the API's shape.
 */
function unknownFields(json: unknown, type: "Dashboard" | "Monitor"): string[] {
  const found: string[] = [];
  const walk = (value: unknown, at: string) => {
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, `${at}[${i}]`);
      return;
    }
    if (typeof value !== "object" || value === null || value instanceof Date) return;
    const record = value as Record<string, unknown>;
    if (record._unparsed === true) found.push(`${at || "(root)"}: not a shape the client knows`);
    const extra = record.additionalProperties;
    if (typeof extra === "object" && extra !== null)
      for (const key of Object.keys(extra)) found.push(`${at ? `${at}.` : ""}${key}: unknown field`);
    for (const [key, v] of Object.entries(record))
      if (key !== "additionalProperties" && key !== "_unparsed") walk(v, at ? `${at}.${key}` : key);
  };
  const model = v1.ObjectSerializer.deserialize(json, type, "");
  walk(model, "");
  if (found.length === 0 && !isDeepStrictEqual(v1.ObjectSerializer.serialize(model, type, ""), json))
    found.push("(root): the client does not carry the file unchanged");
  return found;
}

function issuesOf(error: z.ZodError, where: string): string[] {
  return error.issues.map((i) => `${where}${i.path.length ? `.${i.path.join(".")}` : ""}: ${i.message}`);
}

/**
 * Checks definitions: the dashboard and monitor shapes, unique titles and names, and that the
 * official client's models know every field (a typo in a field name or an unknown widget type
 * would otherwise reach Datadog unchecked).
 * @see https://docs.datadoghq.com/dashboards/widgets/
 */
export function validateDefinitions(input: {
  dashboards: unknown;
  monitors: unknown;
}): ObservabilityDefinitions {
  const issues: string[] = [];
  const dashboards: WireObject[] = [];
  const monitors: WireObject[] = [];
  const dashboardList = Array.isArray(input.dashboards) ? input.dashboards : [input.dashboards];
  for (const [i, d] of dashboardList.entries()) {
    const parsed = dashboardSchema.safeParse(d);
    if (!parsed.success) issues.push(...issuesOf(parsed.error, `dashboard[${i}]`));
    else {
      const unknown = unknownFields(d, "Dashboard");
      if (unknown.length > 0) issues.push(...unknown.map((u) => `dashboard "${parsed.data.title}": ${u}`));
      else dashboards.push(d as WireObject);
    }
  }
  if (!Array.isArray(input.monitors)) issues.push("monitors: expected a list of monitors");
  else
    for (const [i, m] of input.monitors.entries()) {
      const parsed = monitorSchema.safeParse(m);
      if (!parsed.success) issues.push(...issuesOf(parsed.error, `monitor[${i}]`));
      else {
        const unknown = unknownFields(m, "Monitor");
        if (unknown.length > 0) issues.push(...unknown.map((u) => `monitor "${parsed.data.name}": ${u}`));
        else monitors.push(m as WireObject);
      }
    }
  const dup = (names: string[], what: string) => {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) issues.push(`${what} "${n}" is declared twice (titles and names are the match keys)`);
      seen.add(n);
    }
  };
  dup(
    dashboards.map((d) => String(d.title)),
    "dashboard",
  );
  dup(
    monitors.map((m) => String(m.name)),
    "monitor",
  );
  if (issues.length > 0) throw new ObservabilityFileError(issues);
  return { dashboards, monitors };
}

/**
 * Reads and validates `dashboard.json` and `monitors.json` from `dir` (default: the shipped ones).
 * @see https://docs.datadoghq.com/api/latest/dashboards/
 */
export async function readDefinitions(
  dir: URL | string = OBSERVABILITY_DIR,
): Promise<ObservabilityDefinitions> {
  const base = typeof dir === "string" ? pathToFileURL(`${path.resolve(dir)}/`) : dir;
  const issues: string[] = [];
  const load = async (name: string): Promise<unknown> => {
    try {
      return JSON.parse(await readFile(new URL(name, base), "utf8")) as unknown;
    } catch (error) {
      issues.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };
  const [dashboards, monitors] = [await load("dashboard.json"), await load("monitors.json")];
  if (issues.length > 0) throw new ObservabilityFileError(issues);
  return validateDefinitions({ dashboards, monitors });
}

/**
 * Appends a `Notify: @a @b` line to every monitor message: notification handles are per deployment,
 * so they come from the command line rather than the files.
 * @see https://docs.datadoghq.com/monitors/notify/#notifications
 */
export function withNotifications(
  definitions: ObservabilityDefinitions,
  handles: readonly string[],
): ObservabilityDefinitions {
  if (handles.length === 0) return definitions;
  const line = `Notify: ${handles.map((h) => (h.startsWith("@") ? h : `@${h}`)).join(" ")}`;
  return {
    ...definitions,
    monitors: definitions.monitors.map((m) => ({ ...m, message: `${String(m.message)}\n\n${line}` })),
  };
}

/* ---------- differences ---------- */

function show(value: unknown): string {
  const text = value === undefined ? "(absent)" : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Where `existing` does not hold what `desired` sets: `path: existing ► desired` lines. Fields only in
 * `existing` are Datadog's own and not differences; `null` and absent are the same; `tags` are sets.
 */
export function differences(desired: unknown, existing: unknown, path = ""): string[] {
  const here = path === "" ? "(root)" : path;
  if (isObject(desired)) {
    if (!isObject(existing)) return [`${here}: ${show(existing)} ► object`];
    return Object.entries(desired).flatMap(([k, v]) =>
      differences(v, existing[k], path ? `${path}.${k}` : k),
    );
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(existing)) return [`${here}: ${show(existing)} ► ${desired.length} items`];
    if (path.endsWith("tags") && desired.every((t) => typeof t === "string")) {
      const a = [...desired].sort();
      const b = [...existing].map(String).sort();
      return isDeepStrictEqual(a, b) ? [] : [`${here}: ${show(b)} ► ${show(a)}`];
    }
    const out: string[] =
      desired.length === existing.length
        ? []
        : [`${here}: ${existing.length} items ► ${desired.length} items`];
    const common = Math.min(desired.length, existing.length);
    for (let i = 0; i < common; i += 1) out.push(...differences(desired[i], existing[i], `${path}[${i}]`));
    return out;
  }
  return (desired ?? null) === (existing ?? null) ? [] : [`${here}: ${show(existing)} ► ${show(desired)}`];
}

/* ---------- the account ---------- */

/** The few Datadog calls apply needs, in wire JSON. */
interface Account {
  readonly kind: "datadog" | "empty";
  dashboards(): Promise<{ id: string; title: string }[]>;
  dashboard(id: string): Promise<WireObject>;
  monitorsNamed(name: string): Promise<WireObject[]>;
  createDashboard(body: WireObject): Promise<string>;
  updateDashboard(id: string, body: WireObject): Promise<void>;
  createMonitor(body: WireObject): Promise<number>;
  updateMonitor(id: number, body: WireObject): Promise<void>;
}

const EMPTY_ACCOUNT: Account = {
  kind: "empty",
  dashboards: async () => [],
  dashboard: async (id) => {
    throw new DatadogError(`no dashboard ${id} in an empty account`);
  },
  monitorsNamed: async () => [],
  createDashboard: async () => {
    throw new DatadogError("cannot write to the empty (dry-run) account");
  },
  updateDashboard: async () => {
    throw new DatadogError("cannot write to the empty (dry-run) account");
  },
  createMonitor: async () => {
    throw new DatadogError("cannot write to the empty (dry-run) account");
  },
  updateMonitor: async () => {
    throw new DatadogError("cannot write to the empty (dry-run) account");
  },
};

function wire(model: unknown, type: string): WireObject {
  return v1.ObjectSerializer.serialize(model, type, "") as WireObject;
}

function model<T>(json: WireObject, type: string): T {
  return v1.ObjectSerializer.deserialize(json, type, "") as T;
}

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw datadogError(what, error);
  }
}

function datadogAccount(configuration: client.Configuration): Account {
  const dashboards = new v1.DashboardsApi(configuration);
  const monitors = new v1.MonitorsApi(configuration);
  return {
    kind: "datadog",
    dashboards: () =>
      call("listing dashboards", async () => {
        const out: { id: string; title: string }[] = [];
        for await (const d of dashboards.listDashboardsWithPagination({ filterDeleted: false, count: 100 }))
          if (d.id && d.title !== undefined) out.push({ id: d.id, title: d.title });
        return out;
      }),
    dashboard: (id) =>
      call(`reading dashboard ${id}`, async () =>
        wire(await dashboards.getDashboard({ dashboardId: id }), "Dashboard"),
      ),
    monitorsNamed: (name) =>
      call(`listing monitors named ${JSON.stringify(name)}`, async () => {
        const out: WireObject[] = [];
        for await (const m of monitors.listMonitorsWithPagination({ name, pageSize: 100 }))
          out.push(wire(m, "Monitor"));
        return out;
      }),
    createDashboard: (body) =>
      call(`creating dashboard ${JSON.stringify(body.title)}`, async () => {
        const created = await dashboards.createDashboard({ body: model<v1.Dashboard>(body, "Dashboard") });
        return created.id ?? "";
      }),
    updateDashboard: (id, body) =>
      call(`updating dashboard ${id}`, async () => {
        await dashboards.updateDashboard({ dashboardId: id, body: model<v1.Dashboard>(body, "Dashboard") });
      }),
    createMonitor: (body) =>
      call(`creating monitor ${JSON.stringify(body.name)}`, async () => {
        const created = await monitors.createMonitor({ body: model<v1.Monitor>(body, "Monitor") });
        return created.id ?? 0;
      }),
    updateMonitor: (id, body) =>
      call(`updating monitor ${id}`, async () => {
        await monitors.updateMonitor({
          monitorId: id,
          body: model<v1.MonitorUpdateRequest>(body, "MonitorUpdateRequest"),
        });
      }),
  };
}

/* ---------- plan and apply ---------- */

/**
 * One dashboard or monitor and what apply does (or would do) with it.
 * @see https://docs.datadoghq.com/api/latest/monitors/#get-all-monitor-details
 */
export interface PlanItem {
  readonly kind: "dashboard" | "monitor";
  /** Dashboard title or monitor name: the match key. */
  readonly name: string;
  readonly action: "create" | "update" | "unchanged";
  /** The existing item's id; after a create, the new one (not in a dry run). */
  readonly id?: string | number;
  /** `path: existing ► desired` for an update (at most `MAX_DIFFERENCES`, then a count). */
  readonly differences: readonly string[];
  /** E.g. several existing items share the name. */
  readonly note?: string;
}

/** The plan (dry run) or what was done, with counts. */
export interface ApplyReport {
  readonly dryRun: boolean;
  /** `empty`: no keys were given, so the plan assumes nothing exists. */
  readonly account: "datadog" | "empty";
  readonly items: readonly PlanItem[];
  readonly summary: { readonly create: number; readonly update: number; readonly unchanged: number };
}

const MAX_DIFFERENCES = 12;

function summarise(list: string[]): string[] {
  return list.length <= MAX_DIFFERENCES
    ? list
    : [...list.slice(0, MAX_DIFFERENCES), `… and ${list.length - MAX_DIFFERENCES} more`];
}

interface Planned {
  readonly item: PlanItem;
  readonly body: WireObject;
}

function decide(
  kind: PlanItem["kind"],
  name: string,
  body: WireObject,
  matches: readonly { id: string | number; json: WireObject }[],
): Planned {
  const [first, ...others] = matches;
  const note =
    others.length > 0
      ? `${matches.length} existing ${kind}s share this ${kind === "dashboard" ? "title" : "name"}; the first (id ${first?.id}) is managed`
      : undefined;
  if (first === undefined) return { item: { kind, name, action: "create", differences: [] }, body };
  const diff = differences(body, first.json);
  return {
    item: {
      kind,
      name,
      action: diff.length === 0 ? "unchanged" : "update",
      id: first.id,
      differences: summarise(diff),
      ...(note ? { note } : {}),
    },
    body,
  };
}

async function plan(account: Account, definitions: ObservabilityDefinitions): Promise<Planned[]> {
  const planned: Planned[] = [];
  if (definitions.dashboards.length > 0) {
    const existing = await account.dashboards();
    for (const body of definitions.dashboards) {
      const title = String(body.title);
      const ids = existing
        .filter((d) => d.title === title)
        .map((d) => d.id)
        .sort();
      const matches = [];
      // Only the managed (first) match is read in full.
      for (const id of ids.slice(0, 1)) matches.push({ id, json: await account.dashboard(id) });
      for (const id of ids.slice(1)) matches.push({ id, json: {} });
      planned.push(decide("dashboard", title, body, matches));
    }
  }
  for (const body of definitions.monitors) {
    const name = String(body.name);
    const matches = (await account.monitorsNamed(name))
      .filter((m) => m.name === name && typeof m.id === "number")
      .map((m) => ({ id: m.id as number, json: m }))
      .sort((a, b) => a.id - b.id);
    planned.push(decide("monitor", name, body, matches));
  }
  return planned;
}

/** What `applyObservability` needs; retries as for the metrics adapter. */
export interface ApplyOptions extends DatadogRetryOptions {
  /**
   * The client configuration with API and application keys; absent for a dry run without keys, which
   * plans against an empty account.
   */
  readonly configuration?: client.Configuration;
  readonly definitions: ObservabilityDefinitions;
  readonly dryRun: boolean;
  /** Called after each write, so a failure part-way still shows what was done. */
  readonly onApplied?: (item: PlanItem) => void;
}

/**
 * Plans, then (unless `dryRun`) creates and updates, one request at a time. Reads only in a dry run.
 * Rejects with a `DatadogError` on the first failed request; items written before it stay written,
 * and re-running converges.
 * @see https://docs.datadoghq.com/api/latest/dashboards/#update-a-dashboard
 * @see https://docs.datadoghq.com/api/latest/monitors/#edit-a-monitor
 */
export async function applyObservability(options: ApplyOptions): Promise<ApplyReport> {
  if (options.configuration === undefined && !options.dryRun)
    throw new DatadogError("applying needs Datadog API and application keys");
  const account = options.configuration
    ? datadogAccount(withDatadogRetries(options.configuration, options))
    : EMPTY_ACCOUNT;
  const planned = await plan(account, options.definitions);
  const items: PlanItem[] = [];
  for (const { item, body } of planned) {
    if (options.dryRun || item.action === "unchanged") {
      items.push(item);
      continue;
    }
    let done: PlanItem = item;
    if (item.kind === "dashboard") {
      if (item.action === "create") done = { ...item, id: await account.createDashboard(body) };
      else await account.updateDashboard(String(item.id), body);
    } else if (item.action === "create") done = { ...item, id: await account.createMonitor(body) };
    else await account.updateMonitor(Number(item.id), body);
    items.push(done);
    options.onApplied?.(done);
  }
  const count = (action: PlanItem["action"]) => items.filter((i) => i.action === action).length;
  return {
    dryRun: options.dryRun,
    account: account.kind,
    items,
    summary: { create: count("create"), update: count("update"), unchanged: count("unchanged") },
  };
}
