import { describe, expect, it } from "vitest";
import { metricAt, monitorAt, monitorsAt, rollupSeries } from "../../core/signals/horizon.ts";
import type { MetricSignal, MonitorSignal } from "../../core/signals/types.ts";

const at = (hhmm: string) => Date.parse(`2024-05-01T${hhmm}:00Z`);
const MIN = 60_000;

/** Events 03:07–03:12, range 01:07–04:12, 5-minute rollup. */
const RANGE = { from: at("01:07"), to: at("04:12"), firstEventAt: at("03:07"), lastEventAt: at("03:12") };

const CPU: MetricSignal = {
  resource: "Db",
  metric: "aws.rds.cpuutilization",
  before: 40,
  during: 90,
  peak: 99,
  after: 30,
};

describe("monitorAt", () => {
  const monitor: MonitorSignal = {
    name: "CPU",
    status: "Warn",
    triggeredAt: "2024-05-01T03:06:00.000Z",
    resolvedAt: "2024-05-01T03:40:00.000Z",
  };

  it("does not exist before it triggers, is open until it recovers, and is as recorded after", () => {
    expect(monitorAt(monitor, at("03:05"))).toBeUndefined();
    expect(monitorAt(monitor, at("03:06"))).toEqual({
      name: "CPU",
      status: "Warn",
      triggeredAt: "2024-05-01T03:06:00.000Z",
    });
    expect(monitorAt(monitor, at("03:40"))).toBe(monitor);
  });

  it("reads a recorded recovery status as Alert while the monitor is still open", () => {
    expect(monitorAt({ ...monitor, status: "OK" }, at("03:10"))?.status).toBe("Alert");
    expect(monitorAt({ ...monitor, status: "OK" }, at("03:50"))?.status).toBe("OK");
  });

  it("orders the monitors that exist by trigger time, then name", () => {
    const later = { name: "A later", status: "Alert", triggeredAt: "2024-05-01T03:20:00.000Z" };
    const earlier = { name: "B earlier", status: "Alert", triggeredAt: "2024-05-01T02:20:00.000Z" };
    expect(monitorsAt([later, earlier, monitor], at("03:10")).map((m) => m.name)).toEqual([
      "B earlier",
      "CPU",
    ]);
  });
});

describe("rollupSeries", () => {
  it("serves aligned points whose interval has closed by now, parts at their recorded levels", () => {
    const { points, issues } = rollupSeries(CPU, RANGE, at("03:14"), 5 * MIN);

    expect(issues).toEqual([
      "metric aws.rds.cpuutilization of Db: peak 99 needs two or more rollup points during the window; 1 fall in it at 300 s",
    ]);
    expect(points[0]).toEqual([at("01:10"), 40]);
    // [03:05, 03:10) overlaps the events and has closed; [03:10, 03:15) is still open at 03:14.
    expect(points.at(-1)).toEqual([at("03:05"), 90]);
    expect(points.at(-2)).toEqual([at("03:00"), 40]);
  });

  it("puts the peak on the middle during point and keeps the during mean", () => {
    const { points, issues } = rollupSeries(CPU, RANGE, at("03:24"), 5 * MIN);

    expect(issues).toEqual([]);
    expect(points.filter(([t]) => t >= at("03:05"))).toEqual([
      [at("03:05"), 81],
      [at("03:10"), 99],
      [at("03:15"), 30],
    ]);
  });
});

describe("metricAt", () => {
  it("has after only once an interval that starts after the last event has closed", () => {
    expect(metricAt(CPU, RANGE, at("03:19"), 5 * MIN)).toEqual({ before: 40, during: 90, peak: 99 });
    expect(metricAt(CPU, RANGE, at("03:20"), 5 * MIN)).toEqual({
      before: 40,
      during: 90,
      peak: 99,
      after: 30,
    });
  });

  it("is undefined while no interval has closed, and leaves out parts never recorded", () => {
    expect(metricAt(CPU, RANGE, RANGE.from + 4 * MIN, 5 * MIN)).toBeUndefined();
    expect(metricAt({ resource: "Db", metric: "m", during: 7 }, RANGE, at("05:00"), 5 * MIN)).toEqual({
      during: 7,
      peak: 7,
    });
  });
});
