import { describe, expect, it } from "vitest";
import { type MonitorTransition, monitorEpisodes, monitorsInRange } from "../../core/signals/monitors.ts";
import type { MonitorSignal } from "../../core/signals/types.ts";

const at = (hhmm: string) => Date.parse(`2024-05-01T${hhmm}:00Z`);

describe("monitorEpisodes", () => {
  it("pairs each trigger with its recovery, per monitor and group", () => {
    const transitions: MonitorTransition[] = [
      { monitorId: "1", group: "host:a", at: at("03:20"), to: "OK", from: "Alert" },
      { monitorId: "1", group: "host:a", at: at("03:05"), to: "Alert", from: "OK" },
      { monitorId: "1", group: "host:b", at: at("03:10"), to: "Warn", from: "OK" },
      { monitorId: "2", at: at("03:00"), to: "Alert" },
    ];
    expect(monitorEpisodes(transitions)).toEqual([
      { monitorId: "2", status: "Alert", triggeredAt: at("03:00") },
      { monitorId: "1", group: "host:a", status: "Alert", triggeredAt: at("03:05"), resolvedAt: at("03:20") },
      { monitorId: "1", group: "host:b", status: "Warn", triggeredAt: at("03:10") },
    ]);
  });

  it("raises Warn to Alert within one episode and ignores re-notifications", () => {
    const transitions: MonitorTransition[] = [
      { monitorId: "7", at: at("03:00"), to: "Warn", from: "OK" },
      { monitorId: "7", at: at("03:05"), to: "Alert", from: "Warn" },
      { monitorId: "7", at: at("03:10"), to: "Alert", from: "Alert" },
      { monitorId: "7", at: at("03:15"), to: "Warn", from: "Alert" },
      { monitorId: "7", at: at("03:30"), to: "OK", from: "Warn" },
      { monitorId: "7", at: at("04:00"), to: "Warn", from: "OK" },
    ];
    expect(monitorEpisodes(transitions)).toEqual([
      { monitorId: "7", status: "Alert", triggeredAt: at("03:00"), resolvedAt: at("03:30") },
      { monitorId: "7", status: "Warn", triggeredAt: at("04:00") },
    ]);
  });

  it("keeps a recovery whose trigger was not seen, with the state it recovered from", () => {
    expect(
      monitorEpisodes([
        { monitorId: "3", at: at("03:00"), to: "OK", from: "Warn" },
        { monitorId: "4", at: at("03:01"), to: "OK" },
      ]),
    ).toEqual([
      { monitorId: "3", status: "Warn", resolvedAt: at("03:00") },
      { monitorId: "4", status: "Alert", resolvedAt: at("03:01") },
    ]);
  });
});

describe("monitorsInRange", () => {
  const monitor = (name: string, triggeredAt: string, resolvedAt?: string): MonitorSignal => ({
    name,
    status: "Alert",
    triggeredAt,
    ...(resolvedAt ? { resolvedAt } : {}),
  });

  it("keeps monitors that triggered or recovered inside the range, bounds included, by trigger time", () => {
    const monitors = [
      monitor("triggered inside", "2024-05-01T03:10:00Z"),
      monitor("recovered inside", "2024-05-01T01:00:00Z", "2024-05-01T03:00:00.000Z"),
      monitor("at the end", "2024-05-01T04:00:00Z"),
      monitor("before", "2024-05-01T01:00:00Z", "2024-05-01T02:00:00Z"),
      monitor("spans the range", "2024-05-01T01:00:00Z", "2024-05-01T05:00:00Z"),
      monitor("still alerting from before", "2024-05-01T01:00:00Z"),
      monitor("after", "2024-05-01T04:00:01Z"),
      monitor("unparseable", "yesterday"),
    ];
    const kept = monitorsInRange(monitors, { from: at("03:00"), to: at("04:00") });
    expect(kept.map((m) => m.name)).toEqual(["recovered inside", "triggered inside", "at the end"]);
  });
});
