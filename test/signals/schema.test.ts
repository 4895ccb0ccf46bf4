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

  it("lists every problem at once, each with its path", () => {
    const result = parseSignalsFile({
      monitors: [
        { name: "ok", status: "Alert", triggeredAt: "2024-05-01T03:00:00Z" },
        {
          name: "",
          status: "Alert",
          triggeredAt: "03:00",
          priority: 7,
          triggered_at: "2024-05-01T03:00:00Z",
        },
      ],
      metrics: [{ resource: "Db", metric: "cpu", before: "35%" }, { metric: "cpu" }],
      events: [{ title: "deploy", at: "2024-05-01" }],
      notes: "none",
      extra: true,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([...result.issues].sort()).toEqual(
      [
        '(top level): Unrecognized key: "extra"',
        "events.0.at: expected an ISO 8601 time with a zone, e.g. 2024-05-01T03:07:00Z",
        "metrics.0.before: Invalid input: expected number, received string",
        "metrics.1.resource: Invalid input: expected string, received undefined",
        'monitors.1: Unrecognized key: "triggered_at"',
        "monitors.1.name: Too small: expected string to have >=1 characters",
        "monitors.1.priority: Too big: expected number to be <=5",
        "monitors.1.triggeredAt: expected an ISO 8601 time with a zone, e.g. 2024-05-01T03:07:00Z",
        "notes: Invalid input: expected array, received string",
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
      issues: ["monitors.0.resolvedAt: resolvedAt is before triggeredAt"],
    });
  });

  it("rejects what is not an object", () => {
    expect(parseSignalsFile([])).toEqual({
      ok: false,
      issues: ["(top level): Invalid input: expected object, received array"],
    });
  });
});
