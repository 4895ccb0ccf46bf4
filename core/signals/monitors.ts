import type { MonitorSignal } from "./types.ts";

/**
 * Monitor state changes ► alert episodes: when a monitor (group) went to Alert or Warn and when it
 * recovered. Datadog records each state change of a monitor group as an event (`source:alert`)
 * carrying `monitor.transition` (`source_state` ► `destination_state`).
 * @see https://docs.datadoghq.com/api/latest/events/#search-events
 * @see https://docs.datadoghq.com/monitors/status/
 */

/** The states an episode is made of; `No Data`, `Skipped` and the like are not alerts. */
export type AlertState = "Alert" | "Warn" | "OK";

/** One state change of one monitor group. */
export interface MonitorTransition {
  readonly monitorId: string;
  /** The group (`dbinstanceidentifier:payments-db`); absent for a simple (ungrouped) monitor. */
  readonly group?: string;
  /** Epoch ms. */
  readonly at: number;
  /** State after the change. */
  readonly to: AlertState;
  /** State before the change, when known. */
  readonly from?: AlertState;
}

/** From a trigger to its recovery, for one monitor group. */
export interface MonitorEpisode {
  readonly monitorId: string;
  readonly group?: string;
  /** The highest state reached: Alert beats Warn. */
  readonly status: "Alert" | "Warn";
  /** Epoch ms; absent when the trigger came before the first transition seen (only the recovery is known). */
  readonly triggeredAt?: number;
  /** Epoch ms; absent while still alerting. */
  readonly resolvedAt?: number;
}

const RANK = { Warn: 1, Alert: 2 } as const;

function higher(a: "Alert" | "Warn", b: "Alert" | "Warn"): "Alert" | "Warn" {
  return RANK[b] > RANK[a] ? b : a;
}

/**
 * Folds transitions into episodes, per monitor and group, in time order: a change to Alert or Warn
 * opens an episode (or raises an open one from Warn to Alert); a change to OK closes it. A recovery
 * with no open episode yields an episode without `triggeredAt`, its status the state it recovered
 * from (Alert when unknown). Repeated triggers (re-notifications) do not open a second episode.
 * Episodes come out ordered by their first known time, then monitor id and group.
 */
export function monitorEpisodes(transitions: readonly MonitorTransition[]): MonitorEpisode[] {
  const byKey = new Map<string, MonitorTransition[]>();
  for (const t of transitions) {
    const key = JSON.stringify([t.monitorId, t.group ?? ""]);
    const list = byKey.get(key);
    if (list) list.push(t);
    else byKey.set(key, [t]);
  }
  const episodes: MonitorEpisode[] = [];
  for (const list of byKey.values()) {
    let open: { status: "Alert" | "Warn"; triggeredAt: number } | undefined;
    const sorted = [...list].sort((a, b) => a.at - b.at);
    const base = sorted[0];
    if (base === undefined) continue;
    const identity = { monitorId: base.monitorId, ...(base.group ? { group: base.group } : {}) };
    for (const t of sorted) {
      if (t.to === "OK") {
        if (open)
          episodes.push({
            ...identity,
            status: open.status,
            triggeredAt: open.triggeredAt,
            resolvedAt: t.at,
          });
        else episodes.push({ ...identity, status: t.from === "Warn" ? "Warn" : "Alert", resolvedAt: t.at });
        open = undefined;
      } else if (open) {
        open.status = higher(open.status, t.to);
      } else {
        open = { status: t.to, triggeredAt: t.at };
      }
    }
    if (open) episodes.push({ ...identity, status: open.status, triggeredAt: open.triggeredAt });
  }
  const firstKnown = (e: MonitorEpisode) => e.triggeredAt ?? e.resolvedAt ?? 0;
  return episodes.sort(
    (a, b) =>
      firstKnown(a) - firstKnown(b) ||
      a.monitorId.localeCompare(b.monitorId) ||
      (a.group ?? "").localeCompare(b.group ?? ""),
  );
}

/** The report's monitor order: by trigger time, then name. */
export function compareMonitors(a: MonitorSignal, b: MonitorSignal): number {
  return Date.parse(a.triggeredAt) - Date.parse(b.triggeredAt) || a.name.localeCompare(b.name);
}

/**
 * The monitors that triggered or recovered inside `[from, to]` (epoch ms, inclusive), ordered by
 * `compareMonitors`. A monitor that triggered before and recovered after the range (or is still
 * alerting) changed nothing inside it and is left out. Times that do not parse never match.
 */
export function monitorsInRange(
  monitors: readonly MonitorSignal[],
  range: { readonly from: number; readonly to: number },
): MonitorSignal[] {
  const inside = (iso: string | undefined) => {
    if (iso === undefined) return false;
    const at = Date.parse(iso);
    return Number.isFinite(at) && at >= range.from && at <= range.to;
  };
  return monitors.filter((m) => inside(m.triggeredAt) || inside(m.resolvedAt)).sort(compareMonitors);
}
