import { describe, expect, it } from "vitest";
import { parseSignalsFile } from "../../core/signals/schema.ts";

describe("parseSignalsFile", () => {
  it("reads a complete signals.json, normalising times", () => {
    const result = parseSignalsFile({
      monitors: [
        {
          name: "Payments DB CPU high",
          status: "Alert",
          priority: 1,
          triggeredAt: "2024-05-01T03:05:00+02:00",
          resolvedAt: "2024-05-01T01:40:00Z",
          query: "avg(last_5m):avg:aws.rds.cpuutilization{dbinstanceidentifier:payments-db} > 90",
          tags: ["team:payments"],
          group: "dbinstanceidentifier:payments-db",
        },
      ],
      metrics: [
        {
          resource: "PaymentsDb",
          metric: "aws.rds.cpuutilization",
          unit: "percent",
          before: 35,
          during: 92,
          peak: 97,
          after: 41,
        },
      ],
      events: [
        {
          title: "Deployed payments-api 2.14.1",
          at: "2024-05-01T00:30:00Z",
          source: "github",
          tags: ["env:prod"],
        },
      ],
      notes: ["captured by hand from the Datadog UI"],
    });
    expect(result).toEqual({
      ok: true,
      report: {
        monitors: [
          {
            name: "Payments DB CPU high",
            status: "Alert",
            priority: 1,
            triggeredAt: "2024-05-01T01:05:00.000Z",
            resolvedAt: "2024-05-01T01:40:00.000Z",
            query: "avg(last_5m):avg:aws.rds.cpuutilization{dbinstanceidentifier:payments-db} > 90",
            tags: ["team:payments"],
            group: "dbinstanceidentifier:payments-db",
          },
        ],
        metrics: [
          {
            resource: "PaymentsDb",
            metric: "aws.rds.cpuutilization",
            unit: "percent",
            before: 35,
            during: 92,
            peak: 97,
            after: 41,
          },
        ],
        events: [
          {
            title: "Deployed payments-api 2.14.1",
            at: "2024-05-01T00:30:00.000Z",
            source: "github",
            tags: ["env:prod"],
          },
        ],
        notes: ["captured by hand from the Datadog UI"],
      },
    });
  });

  it("treats left-out lists as empty", () => {
    expect(parseSignalsFile({})).toEqual({ ok: true, report: { monitors: [], metrics: [], notes: [] } });
    expect(
      parseSignalsFile({ monitors: [{ name: "m", status: "Warn", triggeredAt: "2024-05-01T03:00:00Z" }] }),
    ).toEqual({
      ok: true,
      report: {
        monitors: [{ name: "m", status: "Warn", triggeredAt: "2024-05-01T03:00:00.000Z" }],
        metrics: [],
        notes: [],
      },
    });
  });

  it("lists every problem at once, each with its path and the value it got", () => {
    const result = parseSignalsFile({
      monitors: [
        { name: "ok", status: "Alert", triggeredAt: "2024-05-01T03:00:00Z" },
        {
          name: "",
          status: "Alert",
          triggeredAt: "03:00",
          priority: 7,
          triggred_at: "2024-05-01T03:00:00Z",
        },
      ],
      metrics: [{ resource: "Db", metric: "cpu", before: "high" }, { metric: "cpu" }],
      events: [{ title: "deploy", at: "2024-05-01" }],
      notes: "none",
      extra: true,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([...result.issues].sort()).toEqual(
      [
        '(top level): Unrecognized key: "extra"',
        'events.0.at: expected an ISO 8601 time (e.g. 2024-05-01T03:07:00Z) or epoch seconds or milliseconds (got "2024-05-01")',
        'metrics.0.before: expected a number (got "high")',
        "metrics.1.resource: Invalid input: expected string, received undefined",
        'monitors.1: Unrecognized key: "triggred_at"',
        'monitors.1.name: Too small: expected string to have >=1 characters (got "")',
        "monitors.1.priority: expected a priority 1–5 or P1–P5 (got 7)",
        'monitors.1.triggeredAt: expected an ISO 8601 time (e.g. 2024-05-01T03:07:00Z) or epoch seconds or milliseconds (got "03:00")',
        'notes: Invalid input: expected array, received string (got "none")',
      ].sort(),
    );
  });

  it("rejects a recovery before its trigger", () => {
    const result = parseSignalsFile({
      monitors: [
        {
          name: "m",
          status: "Alert",
          triggeredAt: "2024-05-01T03:00:00Z",
          resolvedAt: "2024-05-01T02:59:59Z",
        },
      ],
    });
    expect(result).toEqual({
      ok: false,
      issues: ['monitors.0.resolvedAt: resolvedAt is before triggeredAt (got "2024-05-01T02:59:59Z")'],
    });
  });

  it.each([
    [1, 1],
    [5, 5],
    ["3", 3],
    ["P1", 1],
    ["p2", 2],
    [" P5 ", 5],
  ])("reads priority %j as %i", (written, priority) => {
    const result = parseSignalsFile({
      monitors: [{ name: "m", status: "Alert", priority: written, triggeredAt: "2024-05-01T03:00:00Z" }],
    });
    expect(result.ok && result.report.monitors[0]?.priority).toBe(priority);
  });

  it.each([0, 6, 1.5, "P0", "P6", "high", "", true])(
    "rejects priority %j, saying where and what",
    (written) => {
      const result = parseSignalsFile({
        monitors: [{ name: "m", status: "Alert", priority: written, triggeredAt: "2024-05-01T03:00:00Z" }],
      });
      expect(result).toEqual({
        ok: false,
        issues: [`monitors.0.priority: expected a priority 1–5 or P1–P5 (got ${JSON.stringify(written)})`],
      });
    },
  );

  it.each([
    ["alert", "Alert"],
    ["ALERT", "Alert"],
    ["warn", "Warn"],
    ["Warning", "Warn"],
    ["ok", "OK"],
    ["no data", "No Data"],
    ["NO_DATA", "No Data"],
    ["Triggered", "Triggered"],
  ])("reads status %j as %j", (written, status) => {
    const result = parseSignalsFile({
      monitors: [{ name: "m", status: written, triggeredAt: "2024-05-01T03:00:00Z" }],
    });
    expect(result.ok && result.report.monitors[0]?.status).toBe(status);
  });

  it.each([
    ["2024-05-01T03:00:00Z", "2024-05-01T03:00:00.000Z"],
    ["2024-05-01T05:00:00+02:00", "2024-05-01T03:00:00.000Z"],
    ["2024-05-01 03:00:00", "2024-05-01T03:00:00.000Z"],
    ["2024-05-01T03:00", "2024-05-01T03:00:00.000Z"],
    ["2024-05-01 03:00:00.000", "2024-05-01T03:00:00.000Z"],
    [1714532400, "2024-05-01T03:00:00.000Z"],
    [1714532400000, "2024-05-01T03:00:00.000Z"],
    ["1714532400", "2024-05-01T03:00:00.000Z"],
    ["1714532400000", "2024-05-01T03:00:00.000Z"],
  ])("reads time %j as %s", (written, iso) => {
    const result = parseSignalsFile({
      monitors: [{ name: "m", status: "Alert", triggeredAt: written }],
      events: [{ title: "deploy", at: written }],
    });
    expect(result.ok && result.report.monitors[0]?.triggeredAt).toBe(iso);
    expect(result.ok && result.report.events?.[0]?.at).toBe(iso);
  });

  it.each(["yesterday", "2024-05-01", "03:00", -5, "2024-13-45T03:00:00Z"])(
    "rejects time %j, saying where and what",
    (written) => {
      const result = parseSignalsFile({ monitors: [{ name: "m", status: "Alert", triggeredAt: written }] });
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.issues).toEqual([
        `monitors.0.triggeredAt: expected an ISO 8601 time (e.g. 2024-05-01T03:07:00Z) or epoch seconds or milliseconds (got ${JSON.stringify(written)})`,
      ]);
    },
  );

  it("reads figures written as numeric strings or percentages", () => {
    const result = parseSignalsFile({
      metrics: [{ resource: "Db", metric: "cpu", before: "35", during: "92 %", after: "9.5%" }],
    });
    expect(result.ok && result.report.metrics[0]).toEqual({
      resource: "Db",
      metric: "cpu",
      before: 35,
      during: 92,
      after: 9.5,
    });
  });

  it("reads snake_case field names", () => {
    const result = parseSignalsFile({
      monitors: [
        { name: "m", status: "alert", triggered_at: "2024-05-01T03:00:00Z", resolved_at: 1714536000 },
      ],
    });
    expect(result.ok && result.report.monitors[0]).toEqual({
      name: "m",
      status: "Alert",
      triggeredAt: "2024-05-01T03:00:00.000Z",
      resolvedAt: "2024-05-01T04:00:00.000Z",
    });
  });

  it("rejects what is not an object", () => {
    expect(parseSignalsFile([])).toEqual({
      ok: false,
      issues: ["(top level): Invalid input: expected object, received array"],
    });
  });
});
