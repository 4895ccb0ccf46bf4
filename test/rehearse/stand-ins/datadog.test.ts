import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { client } from "@datadog/datadog-api-client";
import { afterEach, describe, expect, it } from "vitest";
import type { MetricPoint } from "../../../core/publish/ports.ts";
import type { AnalysisEvent } from "../../../core/report/metrics.ts";
import { metricQueriesFor } from "../../../core/signals/catalog.ts";
import type { MetricSignal, Signals, SignalsReport } from "../../../core/signals/types.ts";
import { createDatadogEvents, createDatadogMetrics } from "../../../functions/adapters/datadog-metrics.ts";
import { createDatadogSignals } from "../../../functions/adapters/datadog-signals.ts";
import { type DatadogStandIn, startDatadogStandIn } from "../../../functions/rehearse/stand-ins/datadog.ts";
import { loadRecordedSignals } from "../../../functions/replay/recorded-signals.ts";
import { datadogConfiguration } from "../../support/datadog-server.ts";

/**
 * The Datadog stand-in against the real adapters: `createDatadogSignals` over it must report, for a
 * scenario's window, what replay's recorded signals report, except for what cannot travel through
 * Datadog (the stand-in's module comment lists it; `throughDatadog` below applies exactly that).
 */

const SCENARIOS = fileURLToPath(new URL("../../../fixtures/scenarios/", import.meta.url));
const HOUR = 3_600_000;
const ROLLUP_MS = 300_000;

type Query = Parameters<Signals["around"]>[0];

interface Golden {
  readonly stack: string;
  readonly window: { firstEventAt: string; lastEventAt: string; settledAt: string };
  readonly resources: readonly { logicalId: string; physicalId: string; resourceType: string }[];
}

/** The window a scenario settles, from its golden `analysis.json`, as replay's `signalsAround` asks. */
async function goldenQuery(scenario: string, stack: string, windowId: string) {
  const file = path.join(SCENARIOS, scenario, "golden", stack, windowId, "analysis.json");
  const golden = JSON.parse(await readFile(file, "utf8")) as Golden;
  const first = Date.parse(golden.window.firstEventAt);
  const last = Date.parse(golden.window.lastEventAt);
  const query: Query = {
    stack: golden.stack,
    from: first - 2 * HOUR,
    to: last + HOUR,
    firstEventAt: first,
    lastEventAt: last,
    resources: golden.resources.map((r) => ({
      logicalId: r.logicalId,
      physicalId: r.physicalId,
      type: r.resourceType,
    })),
  };
  return { query, settledAt: Date.parse(golden.window.settledAt) };
}

/** Rollup points that fall during the window (a point stands for `[t, t + 300 s)`). */
function duringPoints(query: Query): number {
  let n = 0;
  for (let t = Math.ceil(query.from / ROLLUP_MS) * ROLLUP_MS; t <= query.to; t += ROLLUP_MS)
    if (t + ROLLUP_MS > query.firstEventAt && t <= query.lastEventAt) n += 1;
  return n;
}

/**
 * Replay's report as it comes back through Datadog: the monitors as they are; per drifted resource,
 * the adapter's catalogued metrics in catalogue order, each recorded one with the logical id, the
 * catalogue's unit and a peak (the recorded one when two or more points fall during the window,
 * else `during`), each unrecorded one as the adapter's "no datapoints" note; events always a list;
 * recorded notes gone.
 */
function throughDatadog(replay: SignalsReport, query: Query): SignalsReport {
  const metrics: MetricSignal[] = [];
  const notes: string[] = [];
  const peakSurvives = duringPoints(query) >= 2;
  for (const resource of query.resources) {
    const ids = [resource.logicalId.toLowerCase(), resource.physicalId.toLowerCase()];
    for (const q of metricQueriesFor(resource)) {
      const recorded = replay.metrics.find(
        (m) => m.metric === q.metric && ids.includes(m.resource.toLowerCase()),
      );
      if (recorded === undefined) {
        notes.push(`no Datadog datapoints for ${q.metric} of ${q.logicalId} (${q.query})`);
        continue;
      }
      const { before, during, after } = recorded;
      const peak = during === undefined ? undefined : peakSurvives ? (recorded.peak ?? during) : during;
      metrics.push({
        resource: resource.logicalId,
        metric: q.metric,
        unit: q.unit,
        ...(before !== undefined ? { before } : {}),
        ...(during !== undefined ? { during } : {}),
        ...(peak !== undefined ? { peak } : {}),
        ...(after !== undefined ? { after } : {}),
      });
    }
  }
  return { monitors: replay.monitors, metrics, events: replay.events ?? [], notes };
}

let standIn: DatadogStandIn | undefined;

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function start(options: Parameters<typeof startDatadogStandIn>[0]): Promise<DatadogStandIn> {
  standIn = await startDatadogStandIn(options);
  return standIn;
}

function signalsAdapter(server: DatadogStandIn, now: () => number): Signals {
  return createDatadogSignals({
    configuration: datadogConfiguration(server),
    now,
    retries: 0,
    sleep: async () => undefined,
  });
}

describe("Datadog stand-in: signals.json through the real Signals adapter", () => {
  const windows: readonly [scenario: string, stack: string, window: string][] = [
    ["payments-3am-incident", "payments-prod", "payments-prod-w1"],
    ["dynamodb-capacity-incident", "inventory-prod", "inventory-prod-w1"],
    ["rds-encryption-and-backups", "reporting-staging", "reporting-staging-w1"],
    ["asg-scale-down-savings", "analytics-dev", "analytics-dev-w1"],
    ["asg-scale-down-savings", "analytics-dev", "analytics-dev-w2"],
    ["elasticache-panic-upsize", "sessions-prod", "sessions-prod-w1"],
    ["iam-wildcard-break-glass", "billing-workers-prod", "billing-workers-prod-w1"],
    ["lambda-tuning-legit", "quotes-api-prod", "quotes-api-prod-w1"],
    ["s3-public-bucket-hotfix", "customer-exports-prod", "customer-exports-prod-w1"],
    ["cloudtrail-logging-stopped", "security-baseline", "security-baseline-w1"],
    ["injection-attempt-sg", "partner-gateway-prod", "partner-gateway-prod-w1"],
  ];

  it.each(windows)("%s %s: the adapter reports replay's signals for %s", async (scenario, stack, id) => {
    const recorded = await loadRecordedSignals(path.join(SCENARIOS, scenario));
    const { query } = await goldenQuery(scenario, stack, id);
    const replay = await recorded.around(query);
    // Hindsight: the rehearsal clock stands at the end of the range, as replay reads it.
    const clock = { now: () => query.to };
    const server = await start({ signals: recorded.recorded, resources: query.resources, clock });

    const report = await signalsAdapter(server, clock.now).around(query);

    expect(report).toEqual(throughDatadog(replay, query));
    expect(server.unexpected).toEqual([]);
  });

  it("payments-3am-incident: every recorded monitor and metric figure arrives; only notes, units and order differ", async () => {
    const recorded = await loadRecordedSignals(path.join(SCENARIOS, "payments-3am-incident"));
    const { query } = await goldenQuery("payments-3am-incident", "payments-prod", "payments-prod-w1");
    const replay = await recorded.around(query);
    const clock = { now: () => query.to };
    const server = await start({ signals: recorded.recorded, resources: query.resources, clock });

    const report = await signalsAdapter(server, clock.now).around(query);

    expect(report.monitors).toEqual(replay.monitors);
    const figures = (list: readonly MetricSignal[]) =>
      list
        .map((m) => `${m.resource} ${m.metric} ${m.before} ${m.during} ${m.after}`)
        .sort((a, b) => a.localeCompare(b));
    expect(figures(report.metrics)).toEqual(figures(replay.metrics));
    expect(server.unservable).toEqual([
      "2 note(s): free text has no Datadog source; the adapter's notes are its own",
    ]);
    expect(Object.fromEntries(server.calls)).toEqual({
      "datadog.SearchEvents": 2,
      "datadog.GetMonitor": 2,
      "datadog.QueryMetrics": 8,
    });
  });

  it("dynamodb-capacity-incident: a recorded peak cannot survive a burst shorter than the rollup", async () => {
    const recorded = await loadRecordedSignals(path.join(SCENARIOS, "dynamodb-capacity-incident"));
    const { query } = await goldenQuery("dynamodb-capacity-incident", "inventory-prod", "inventory-prod-w1");
    const clock = { now: () => query.to };
    const server = await start({ signals: recorded.recorded, resources: query.resources, clock });

    const report = await signalsAdapter(server, clock.now).around(query);

    expect(duringPoints(query)).toBe(1);
    const reads = report.metrics.find((m) => m.metric === "aws.dynamodb.consumed_read_capacity_units");
    expect(reads).toMatchObject({ during: 905, peak: 905 });
    expect(server.unservable).toEqual(
      expect.arrayContaining([
        "metric aws.dynamodb.read_throttle_events of StockLevelsTable: the adapter's catalogue does not ask for it on AWS::DynamoDB::Table",
        "metric aws.dynamodb.consumed_read_capacity_units of StockLevelsTable: peak 960 needs two or more rollup points during the window; 1 fall in it at 300 s",
      ]),
    );
  });

  it("serves a recorded peak when two or more rollup points fall during the window", async () => {
    const clock = { now: () => Date.parse("2026-03-14T05:00:00Z") };
    const first = Date.parse("2026-03-14T03:01:00Z");
    const last = Date.parse("2026-03-14T03:14:00Z");
    const server = await start({
      signals: {
        monitors: [],
        metrics: [
          { resource: "db-1", metric: "aws.rds.cpuutilization", before: 40, during: 90, peak: 99, after: 30 },
        ],
        notes: [],
      },
      clock,
    });

    const report = await signalsAdapter(server, clock.now).around({
      stack: "s",
      from: first - 2 * HOUR,
      to: last + HOUR,
      firstEventAt: first,
      lastEventAt: last,
      resources: [{ logicalId: "Db", physicalId: "db-1", type: "AWS::RDS::DBInstance" }],
    });

    expect(report.metrics).toEqual([
      {
        resource: "Db",
        metric: "aws.rds.cpuutilization",
        unit: "percent",
        before: 40,
        during: 90,
        peak: 99,
        after: 30,
      },
    ]);
    expect(server.unservable).toEqual([]);
  });

  it("matches a metric recorded by physical id or by Datadog tag without the stack's resources", async () => {
    const clock = { now: () => Date.parse("2026-03-14T05:00:00Z") };
    const first = Date.parse("2026-03-14T03:07:31Z");
    const server = await start({
      signals: {
        monitors: [],
        metrics: [
          {
            resource: "i-0c8f2e4a6b1d3f507",
            metric: "aws.ec2.cpuutilization",
            before: 38,
            during: 71.5,
            after: 22,
          },
          {
            resource: "dbinstanceidentifier:payments-prod-db",
            metric: "aws.rds.cpuutilization",
            during: 97.4,
          },
        ],
        notes: [],
      },
      clock,
    });

    const report = await signalsAdapter(server, clock.now).around({
      stack: "payments-prod",
      from: first - 2 * HOUR,
      to: first + HOUR,
      firstEventAt: first,
      lastEventAt: first,
      resources: [
        { logicalId: "AppServer", physicalId: "i-0c8f2e4a6b1d3f507", type: "AWS::EC2::Instance" },
        { logicalId: "PaymentsDatabase", physicalId: "payments-prod-db", type: "AWS::RDS::DBInstance" },
      ],
    });

    expect(report.metrics.map((m) => [m.resource, m.metric, m.before, m.during, m.after])).toEqual([
      ["AppServer", "aws.ec2.cpuutilization", 38, 71.5, 22],
      ["PaymentsDatabase", "aws.rds.cpuutilization", undefined, 97.4, undefined],
    ]);
  });

  it("at settle time serves only what has happened: no hour after, monitors still alerting", async () => {
    const recorded = await loadRecordedSignals(path.join(SCENARIOS, "payments-3am-incident"));
    const { query, settledAt } = await goldenQuery(
      "payments-3am-incident",
      "payments-prod",
      "payments-prod-w1",
    );
    const clock = { now: () => settledAt };
    const server = await start({
      signals: recorded.recorded,
      resources: query.resources,
      clock,
      windows: [{ firstEventAt: query.firstEventAt, lastEventAt: query.lastEventAt }],
    });

    const report = await signalsAdapter(server, clock.now).around(query);

    expect(report.monitors.map((m) => [m.name, m.status, m.triggeredAt, m.resolvedAt])).toEqual([
      ["[P1] payments-prod database CPU above 95%", "Alert", "2026-03-14T03:02:10.000Z", undefined],
      ["[P2] payments API p99 latency above 2s", "Warn", "2026-03-14T03:04:45.000Z", undefined],
    ]);
    const cpu = report.metrics.find(
      (m) => m.resource === "AppServer" && m.metric === "aws.ec2.cpuutilization",
    );
    expect(cpu).toEqual({
      resource: "AppServer",
      metric: "aws.ec2.cpuutilization",
      unit: "percent",
      before: 38,
      during: 71.5,
      peak: 71.5,
    });
    expect(report.notes[0]).toBe(
      "the range is read up to now (2026-03-14T03:12:15.000Z), not to 2026-03-14T04:10:15.000Z: the time after the changes is not over",
    );
  });

  it("serves recorded events to the adapter's event search, monitor events left out", async () => {
    const clock = { now: () => Date.parse("2026-03-14T06:00:00Z") };
    const first = Date.parse("2026-03-14T03:07:31Z");
    const events = [
      {
        title: "Deployed payments-api 2.14.1",
        at: "2026-03-14T02:30:00.000Z",
        source: "github",
        tags: ["env:prod"],
      },
      { title: "Hotfix deploy", at: "2026-03-14T03:35:00.000Z", tags: ["service:payments"] },
      { title: "Yesterday's deploy", at: "2026-03-13T03:35:00.000Z" },
    ];
    const server = await start({
      signals: {
        monitors: [{ name: "CPU", status: "Alert", triggeredAt: "2026-03-14T03:02:10.000Z" }],
        metrics: [],
        events,
        notes: [],
      },
      clock,
    });

    const report = await signalsAdapter(server, clock.now).around({
      stack: "s",
      from: first - 2 * HOUR,
      to: first + HOUR,
      firstEventAt: first,
      lastEventAt: first,
      resources: [],
    });

    expect(report.events).toEqual(events.slice(0, 2));
    expect(report.monitors).toEqual([
      { name: "CPU", status: "Alert", triggeredAt: "2026-03-14T03:02:10.000Z" },
    ]);
  });

  it("reports a monitor that only recovered in the range with its trigger time from the monitor's state", async () => {
    const clock = { now: () => Date.parse("2026-03-14T06:00:00Z") };
    const first = Date.parse("2026-03-14T03:07:31Z");
    const monitor = {
      name: "Queue age",
      status: "Warn",
      priority: 2,
      triggeredAt: "2026-03-14T00:30:00.000Z",
      resolvedAt: "2026-03-14T01:30:00.000Z",
      query: "avg(last_5m):avg:aws.sqs.approximate_age_of_oldest_message{*} > 600",
      tags: ["team:payments"],
      group: "queuename:settlements",
    };
    const server = await start({ signals: { monitors: [monitor], metrics: [], notes: [] }, clock });

    const report = await signalsAdapter(server, clock.now).around({
      stack: "s",
      from: first - 2 * HOUR,
      to: first + HOUR,
      firstEventAt: first,
      lastEventAt: first,
      resources: [],
    });

    expect(report.monitors).toEqual([monitor]);
    expect(report.notes).toEqual([]);
  });
});

describe("Datadog stand-in: intake", () => {
  const now = Date.parse("2026-03-14T03:12:15Z");
  const clock = { now: () => now };

  it("records the series createDatadogMetrics submits, as flat points", async () => {
    const server = await start({ clock });
    const at = Math.floor(now / 1000);
    const points: MetricPoint[] = [
      {
        metric: "phantom.drift.count",
        type: "count",
        value: 6,
        timestamp: at,
        tags: ["stack:payments-prod", "env:prod"],
      },
      {
        metric: "phantom.drift.severity",
        type: "gauge",
        value: 9,
        timestamp: at,
        tags: ["stack:payments-prod"],
      },
      {
        metric: "phantom.drift.count",
        type: "count",
        value: 2,
        timestamp: at - 60,
        tags: ["env:prod", "stack:payments-prod"],
      },
    ];

    await createDatadogMetrics({ configuration: datadogConfiguration(server) }).emit(points);

    const sorted = (list: readonly { metric: string; timestamp: number; tags: readonly string[] }[]) =>
      list
        .map((p) => ({ ...p, tags: [...p.tags].sort() }))
        .sort((a, b) => a.metric.localeCompare(b.metric) || a.timestamp - b.timestamp);
    expect(sorted(server.metrics())).toEqual(sorted(points));
    expect(server.dropped()).toEqual([]);
    expect(Object.fromEntries(server.calls)).toEqual({ "datadog.SubmitMetrics": 1 });
    expect(server.unexpected).toEqual([]);
  });

  it("accepts but does not ingest points more than an hour old on the rehearsal clock", async () => {
    const server = await start({ clock });
    const stale: MetricPoint = {
      metric: "phantom.drift.count",
      type: "count",
      value: 1,
      timestamp: Math.floor((now - 2 * HOUR) / 1000),
      tags: [],
    };

    await createDatadogMetrics({ configuration: datadogConfiguration(server) }).emit([stale]);

    expect(server.metrics()).toEqual([]);
    expect(server.dropped()).toEqual([
      { point: stale, reason: "more than an hour before the submission (historical metrics)" },
    ]);
  });

  it("records the event createDatadogEvents posts", async () => {
    const server = await start({ clock });
    const event: AnalysisEvent = {
      title: "Phantom drift analysed: payments-prod — 8 changes (critical)",
      text: "%%%\n6 revert, 2 refactor\n%%%",
      tags: ["stack:payments-prod", "severity:critical"],
      aggregationKey: "payments-prod",
      alertType: "error",
      dateHappened: Math.floor(now / 1000),
    };

    await createDatadogEvents({ configuration: datadogConfiguration(server) }).analysed(event);

    expect(server.events()).toEqual([event]);
    expect(Object.fromEntries(server.calls)).toEqual({ "datadog.CreateEvent": 1 });
  });

  it("answers 403 without an API key, and 404 to an unknown route, listing both as unexpected", async () => {
    const server = await start({ clock });
    const keyless = client.createConfiguration({
      baseServer: new client.BaseServerConfiguration(server.url, {}),
      authMethods: {},
      httpConfig: { compress: false },
    });

    await expect(
      createDatadogMetrics({ configuration: keyless, retries: 0 }).emit([
        { metric: "m", type: "gauge", value: 1, timestamp: Math.floor(now / 1000), tags: [] },
      ]),
    ).rejects.toMatchObject({ name: "DatadogError", status: 403 });
    const unknown = await fetch(`${server.url}/api/v1/dashboard`, { headers: { "DD-API-KEY": "k" } });

    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ errors: ["Not found"] });
    expect(server.unexpected).toEqual([
      "datadog.SubmitMetrics: no DD-API-KEY",
      "datadog.(none): no operation at GET /api/v1/dashboard",
    ]);
  });

  it("refuses a read without an application key and a metric query it cannot evaluate", async () => {
    const server = await start({ clock });
    const from = Math.floor(now / 1000) - 3600;
    const url = (query: string) =>
      `${server.url}/api/v1/query?from=${from}&to=${from + 600}&query=${encodeURIComponent(query)}`;

    const noAppKey = await fetch(url("avg:aws.ec2.cpuutilization{*}"), { headers: { "DD-API-KEY": "k" } });
    const grouped = await fetch(url("avg:aws.ec2.cpuutilization{*} by {host}"), {
      headers: { "DD-API-KEY": "k", "DD-APPLICATION-KEY": "a" },
    });

    expect([noAppKey.status, grouped.status]).toEqual([403, 400]);
    expect(server.unexpected).toEqual([
      "datadog.QueryMetrics: no DD-APPLICATION-KEY",
      "datadog.QueryMetrics: Error parsing query: avg:aws.ec2.cpuutilization{*} by {host}",
    ]);
  });
});
