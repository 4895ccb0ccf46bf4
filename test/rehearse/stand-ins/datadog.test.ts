import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { client } from "@datadog/datadog-api-client";
import { afterEach, describe, expect, it } from "vitest";
import type { MetricPoint } from "../../../core/publish/ports.ts";
import { signalsQuery } from "../../../core/reactor/react.ts";
import type { WindowReport } from "../../../core/report/analysis.ts";
import type { AnalysisEvent } from "../../../core/report/metrics.ts";
import { METRIC_CATALOG, metricQueriesFor } from "../../../core/signals/catalog.ts";
import type { MetricSignal, Signals, SignalsReport } from "../../../core/signals/types.ts";
import { createDatadogEvents, createDatadogMetrics } from "../../../functions/adapters/datadog-metrics.ts";
import { createDatadogSignals } from "../../../functions/adapters/datadog-signals.ts";
import { type DatadogStandIn, startDatadogStandIn } from "../../../functions/rehearse/stand-ins/datadog.ts";
import { loadRecordedSignals, recordedSignals } from "../../../functions/replay/recorded-signals.ts";
import { datadogConfiguration } from "../../support/datadog-server.ts";

/**
 * The Datadog stand-in against the real adapters: `createDatadogSignals` over it must report, for a
 * scenario's window, what replay's recorded signals report at the same moment, except for what
 * cannot travel through Datadog (the stand-in's module comment lists it; `throughDatadog` below
 * applies exactly that). Replay answers as of its virtual clock (the window's settle time), the
 * deployed adapter as of the settle time too: the proof suite checks every bundled window there.
 */

const SCENARIOS = fileURLToPath(new URL("../../../fixtures/scenarios/", import.meta.url));
const HOUR = 3_600_000;

type Query = Parameters<Signals["around"]>[0];

interface Golden {
  readonly stack: string;
  readonly window: { firstEventAt: string; lastEventAt: string; settledAt: string };
  readonly resources: readonly { logicalId: string; physicalId: string; resourceType: string }[];
  readonly changes: readonly { logicalId: string }[];
}

/** The window a scenario settles, from its golden output, as `react`'s `signalsQuery` asks, and when it settled. */
async function goldenQuery(scenario: string, stack: string, windowId: string) {
  const file = path.join(SCENARIOS, scenario, "golden", stack, windowId, "analysis.json");
  const golden = JSON.parse(await readFile(file, "utf8")) as Golden;
  const query: Query = signalsQuery(golden as unknown as WindowReport);
  // A reviewed window's analysis.json is its review's; when it settled is in the golden events.jsonl
  // (one "Phantom Drift Analyzed" line per analysis).
  const events = (await readFile(path.join(SCENARIOS, scenario, "golden", "events.jsonl"), "utf8"))
    .trim()
    .split("\n")
    .map(
      (line) =>
        (JSON.parse(line) as { detail: { windowId: string; settledBy: string; settledAt: string } }).detail,
    );
  const settled = events.find((e) => e.windowId === windowId && e.settledBy !== "review");
  return {
    query,
    settledAt: Date.parse(settled?.settledAt ?? golden.window.settledAt),
    drifted: [...new Set(golden.changes.map((c) => c.logicalId))],
  };
}

/** Every bundled scenario with `signals.json` and every window its golden shows. */
function goldenWindows(): [scenario: string, stack: string, window: string][] {
  const dirs = (dir: string) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  return (
    dirs(SCENARIOS)
      // A scenario being added has no golden until the goldens are regenerated: nothing to compare yet.
      .filter((name) => {
        const files = readdirSync(path.join(SCENARIOS, name));
        return files.includes("signals.json") && files.includes("golden");
      })
      .flatMap((name) => {
        const golden = path.join(SCENARIOS, name, "golden");
        // A scenario that spans places nests its output as <account>/<region>/<stack>/: the stack is that path.
        const stacks = dirs(golden).flatMap((top) =>
          /^\d{12}$/.test(top)
            ? dirs(path.join(golden, top)).flatMap((region) =>
                dirs(path.join(golden, top, region)).map((stack) => `${top}/${region}/${stack}`),
              )
            : [top],
        );
        return stacks.flatMap((stack) =>
          dirs(path.join(golden, stack)).map((id): [string, string, string] => [name, stack, id]),
        );
      })
  );
}

/**
 * Replay's report as it comes back through Datadog at `now`: the monitors as they are; per
 * resource asked about, the adapter's catalogued metrics in catalogue order, each one replay
 * reports with the catalogue's unit, each other as the adapter's "no datapoints" note; events
 * always a list; recorded notes gone, and the adapter's note when it read only up to now.
 */
function throughDatadog(replay: SignalsReport, query: Query, now: number): SignalsReport {
  const metrics: MetricSignal[] = [];
  const notes: string[] =
    now < query.to
      ? [
          `the range is read up to now (${new Date(now).toISOString()}), not to ${new Date(query.to).toISOString()}: the time after the changes is not over`,
        ]
      : [];
  for (const resource of query.resources) {
    for (const q of metricQueriesFor(resource)) {
      const replayed = replay.metrics.find((m) => m.metric === q.metric && m.resource === resource.logicalId);
      if (replayed === undefined) {
        notes.push(`no Datadog datapoints for ${q.metric} of ${q.logicalId} (${q.query})`);
        continue;
      }
      metrics.push({ ...replayed, unit: q.unit });
    }
  }
  return { monitors: replay.monitors, metrics, events: replay.events ?? [], notes };
}

/** What the rules analyzer reads of a metric (`cpuMetric` in core/analysis/rules.ts). */
type CpuFigures = Pick<MetricSignal, "resource" | "metric" | "before" | "during" | "peak" | "after">;

/**
 * The CPU-like metrics of the drifted resources, as `cpuMetric` selects them: per logical id, the
 * metrics whose resource is or contains it and whose name says CPU, in report order (`first` is
 * the one the rules size on).
 */
/** The CPU figures the rules can read: CPU metrics of the drifted resources that the catalogue queries. */
function cpuRead(report: SignalsReport, drifted: readonly string[]) {
  const catalogued = new Set(Object.values(METRIC_CATALOG).flatMap((e) => e.metrics.map((m) => m.metric)));
  return drifted.map((id) => {
    const all: CpuFigures[] = report.metrics
      .filter(
        (m) =>
          (m.resource === id || m.resource.includes(id)) && /cpu/i.test(m.metric) && catalogued.has(m.metric),
      )
      .map(({ resource, metric, before, during, peak, after }) => ({
        resource,
        metric,
        ...(before !== undefined ? { before } : {}),
        ...(during !== undefined ? { during } : {}),
        ...(peak !== undefined ? { peak } : {}),
        ...(after !== undefined ? { after } : {}),
      }));
    const key = (m: CpuFigures) => `${m.resource} ${m.metric}`;
    return { id, first: all[0], all: [...all].sort((a, b) => key(a).localeCompare(key(b))) };
  });
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

const WINDOWS = goldenWindows();

describe("Datadog stand-in and replay agree at settle time, as production reads Datadog", () => {
  it("covers every bundled window with signals", () => {
    const withSignals = readdirSync(SCENARIOS, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(path.join(SCENARIOS, e.name, "signals.json")))
      .map((e) => e.name);
    expect([...new Set(WINDOWS.map(([scenario]) => scenario))].sort()).toEqual(withSignals.sort());
    expect(WINDOWS.length).toBeGreaterThanOrEqual(withSignals.length);
  });

  /** The drifted resources with a CPU figure for the rules, per window: the comparison is not vacuous. */
  const CPU_READ: Readonly<Record<string, readonly string[]>> = {
    "analytics-dev-w1": ["BatchWorkerGroup"],
    "analytics-dev-w2": ["NotebookServer"],
    "sessions-prod-w1": ["SessionCache"],
    "payments-prod-w1": ["AppServer", "PaymentsDatabase"],
    "reporting-staging-w1": ["ReportingDatabase"],
    "checkout-web-prod-w1": ["CheckoutWebGroup"],
    "reporting-api-staging-w1": ["ReportingApiServer"],
    // Window ids repeat across scenarios (lambda-kill-switch has a notifications-prod-w1 too): scenario/id.
    "ecs-desired-count-no-incident/notifications-prod-w1": ["WorkerService"],
    "catalog-staging-w1": ["ProductCache"],
    "orders-prod-w1": ["OrdersDatabase"],
    "reporting-prod-w1": ["ReportWorker"],
  };

  it.each(WINDOWS)("%s %s %s: same monitors and CPU figures the rules read", async (scenario, stack, id) => {
    // Prepare: both clocks at the window's settle time.
    const recorded = await loadRecordedSignals(path.join(SCENARIOS, scenario));
    const { query, settledAt, drifted } = await goldenQuery(scenario, stack, id);
    const clock = { now: () => settledAt };
    const server = await start({
      signals: recorded.recorded,
      resources: query.resources,
      clock,
      windows: [{ firstEventAt: query.firstEventAt, lastEventAt: query.lastEventAt }],
    });

    // Act
    const production = await signalsAdapter(server, clock.now).around(query);
    const replay = await recordedSignals(recorded.recorded, { clock }).around(query);

    // Assess: what the rules read is the same...
    expect(production.monitors).toEqual(replay.monitors);
    expect(cpuRead(production, drifted)).toEqual(cpuRead(replay, drifted));
    const withCpu = cpuRead(replay, drifted).filter((r) => r.first !== undefined);
    expect(withCpu.map((r) => r.id)).toEqual(CPU_READ[`${scenario}/${id}`] ?? CPU_READ[id] ?? []);
    // ...and everything else differs only as the stand-in's module comment lists.
    expect(production).toEqual(throughDatadog(replay, query, settledAt));
    expect(server.unexpected).toEqual([]);
    expect(server.unservable.filter((u) => u.includes("was cut at now"))).toEqual([]);
  });

  it.each(WINDOWS)(
    "%s %s %s: the same without `windows`, as `phantom rehearse` starts the stand-in",
    async (scenario, stack, id) => {
      const recorded = await loadRecordedSignals(path.join(SCENARIOS, scenario));
      const { query, settledAt } = await goldenQuery(scenario, stack, id);
      const clock = { now: () => settledAt };
      const server = await start({ signals: recorded.recorded, resources: query.resources, clock });

      const production = await signalsAdapter(server, clock.now).around(query);
      const replay = await recordedSignals(recorded.recorded, { clock }).around(query);

      // The last event is taken to be now: exact, as the window settled 120 s (< 300 s) after it.
      expect(production).toEqual(throughDatadog(replay, query, settledAt));
      expect(server.unexpected).toEqual([]);
    },
  );
});

describe("Datadog stand-in: signals.json through the real Signals adapter", () => {
  it.each(WINDOWS)(
    "%s %s: with hindsight the adapter reports replay's signals for %s",
    async (scenario, stack, id) => {
      const recorded = await loadRecordedSignals(path.join(SCENARIOS, scenario));
      const { query } = await goldenQuery(scenario, stack, id);
      // Hindsight: both stand at the end of the range (replay without a clock does).
      const replay = await recorded.around(query);
      const clock = { now: () => query.to };
      const server = await start({ signals: recorded.recorded, resources: query.resources, clock });

      const report = await signalsAdapter(server, clock.now).around(query);

      expect(report).toEqual(throughDatadog(replay, query, query.to));
      expect(server.unexpected).toEqual([]);
    },
  );

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

  it("dynamodb-capacity-incident: a recorded peak cannot survive a burst shorter than the rollup, in replay either", async () => {
    const recorded = await loadRecordedSignals(path.join(SCENARIOS, "dynamodb-capacity-incident"));
    const { query } = await goldenQuery("dynamodb-capacity-incident", "inventory-prod", "inventory-prod-w1");
    const clock = { now: () => query.to };
    const server = await start({ signals: recorded.recorded, resources: query.resources, clock });

    const report = await signalsAdapter(server, clock.now).around(query);
    const replay = await recorded.around(query);

    // 08:06:52–08:09:10 falls inside one 5-minute point: its value is the during average.
    const reads = (r: SignalsReport) =>
      r.metrics.find((m) => m.metric === "aws.dynamodb.consumed_read_capacity_units");
    expect(reads(report)).toMatchObject({ during: 905, peak: 905 });
    expect(reads(replay)).toMatchObject({ during: 905, peak: 905 });
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
