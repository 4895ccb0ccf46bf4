import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { MonitorSignal, SignalResource, Signals } from "../../core/signals/types.ts";
import { createDatadogSignals } from "../../functions/adapters/datadog-signals.ts";
import { loadRecordedSignals } from "../../functions/replay/recorded-signals.ts";
import {
  type DatadogRequest,
  datadogConfiguration,
  type EventSearchBody,
  startDatadogServer,
} from "../support/datadog-server.ts";

/**
 * The `Signals` port contract (STYLE: one suite per port, run against the replay adapter and the
 * real one). Both adapters are built over the same world — what the monitoring saw — so a replay
 * answers what Datadog would have answered for the window.
 */

const at = (hhmm: string) => Date.parse(`2024-05-01T${hhmm}:00Z`);
const iso = (ms: number) => new Date(ms).toISOString();

interface WorldMonitor {
  readonly id: number;
  readonly name: string;
  readonly priority: number;
  readonly query: string;
  readonly group?: string;
  readonly triggeredAt: number;
  readonly resolvedAt?: number;
}

/** The world: monitors around a 03:05–03:12 burst, and CPU levels of two databases. */
const MONITORS: readonly WorldMonitor[] = [
  {
    id: 101,
    name: "Payments DB CPU high",
    priority: 1,
    query: "avg(last_5m):avg:aws.rds.cpuutilization{*} by {dbinstanceidentifier} > 90",
    group: "dbinstanceidentifier:payments-db",
    triggeredAt: at("03:06"),
    resolvedAt: at("03:40"),
  },
  {
    id: 102,
    name: "Payments API errors",
    priority: 2,
    query: "sum(last_5m):sum:trace.http.request.errors{service:payments-api}.as_count() > 50",
    triggeredAt: at("00:50"),
    resolvedAt: at("01:20"),
  },
  {
    id: 103,
    name: "Nightly batch slow",
    priority: 4,
    query: "avg(last_1h):avg:batch.duration{*} > 3600",
    triggeredAt: at("00:10"),
    resolvedAt: at("00:40"),
  },
  {
    id: 104,
    name: "Queue backlog",
    priority: 3,
    query: "avg(last_5m):avg:aws.sqs.approximate_number_of_messages_visible{*} > 1000",
    triggeredAt: at("04:30"),
  },
  {
    id: 105,
    name: "Long incident",
    priority: 2,
    query: "avg(last_5m):avg:custom.slo.burn{*} > 2",
    triggeredAt: at("00:30"),
    resolvedAt: at("04:40"),
  },
];

/** CPU levels: the same value at every 5-minute point of each part. */
const CPU: Readonly<Record<string, { logicalId: string; before: number; during: number; after: number }>> = {
  "payments-db": { logicalId: "PaymentsDb", before: 35, during: 92, after: 41 },
  "orders-db": { logicalId: "OrdersDb", before: 10, during: 12, after: 11 },
};

const WINDOW = {
  stack: "payments",
  from: at("01:05"),
  to: at("04:12"),
  firstEventAt: at("03:05"),
  lastEventAt: at("03:12"),
  resources: [
    { logicalId: "PaymentsDb", physicalId: "payments-db", type: "AWS::RDS::DBInstance" },
  ] as SignalResource[],
};

interface Harness {
  readonly signals: Signals;
  done(): Promise<void>;
}

/**
 * The replay adapter: the world as the on-call would record it in `signals.json`, answered as of
 * `now` (replay's virtual clock), or with hindsight without one.
 */
async function recordedHarness(now?: number): Promise<Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), "phantom-contract-"));
  const monitors: MonitorSignal[] = MONITORS.map((m) => ({
    name: m.name,
    status: "Alert",
    priority: m.priority,
    triggeredAt: iso(m.triggeredAt),
    ...(m.resolvedAt !== undefined ? { resolvedAt: iso(m.resolvedAt) } : {}),
    query: m.query,
    ...(m.group ? { group: m.group } : {}),
  }));
  const metrics = Object.values(CPU).map((c) => ({
    resource: c.logicalId,
    metric: "aws.rds.cpuutilization",
    unit: "percent",
    before: c.before,
    during: c.during,
    peak: c.during,
    after: c.after,
  }));
  await writeFile(path.join(dir, "signals.json"), JSON.stringify({ monitors, metrics, notes: [] }));
  const signals = await loadRecordedSignals(dir, now !== undefined ? { clock: { now: () => now } } : {});
  return { signals, done: () => rm(dir, { recursive: true, force: true }) };
}

/** The Datadog adapter over HTTP: a server that answers from the world as Datadog would, at `now`. */
async function datadogHarness(now = at("05:00")): Promise<Harness> {
  const server = await startDatadogServer();
  const transitionEvent = (m: WorldMonitor, time: number, from: string, to: string) => ({
    type: "event",
    id: `${m.id}-${time}`,
    attributes: {
      timestamp: iso(time),
      tags: ["source:alert", ...(m.group ? [m.group] : [])],
      message: `${m.name} is ${to}`,
      attributes: {
        monitor_id: m.id,
        monitor_groups: m.group ? [m.group] : [],
        status: to === "OK" ? "success" : "error",
        timestamp: time,
        title: `[${to === "OK" ? "Recovered" : "Triggered"}] ${m.name}`,
        monitor: {
          id: m.id,
          name: m.name,
          query: m.query,
          priority: m.priority,
          transition: {
            transition_type: to === "OK" ? "alert recovery" : "alert",
            source_state: from,
            destination_state: to,
          },
        },
      },
    },
  });
  server.expect({
    method: "POST",
    path: "/api/v2/events/search",
    times: Number.POSITIVE_INFINITY,
    reply: (request: DatadogRequest) => {
      const body = request.json as EventSearchBody;
      const from = Number(body.filter?.from);
      const to = Number(body.filter?.to);
      if (body.filter?.query !== "source:alert") return { body: { data: [], meta: { page: {} } } };
      const events = MONITORS.flatMap((m) => [
        transitionEvent(m, m.triggeredAt, "OK", "Alert"),
        ...(m.resolvedAt !== undefined ? [transitionEvent(m, m.resolvedAt, "Alert", "OK")] : []),
      ])
        .filter((e) => e.attributes.attributes.timestamp >= from && e.attributes.attributes.timestamp <= to)
        .sort((a, b) => a.attributes.attributes.timestamp - b.attributes.attributes.timestamp);
      return { body: { data: events, meta: { page: {} } } };
    },
  });
  for (const m of MONITORS) {
    const group = m.group ?? "*";
    server.expect({
      method: "GET",
      path: `/api/v1/monitor/${m.id}`,
      times: Number.POSITIVE_INFINITY,
      reply: {
        body: {
          id: m.id,
          name: m.name,
          type: "query alert",
          query: m.query,
          priority: m.priority,
          overall_state: m.resolvedAt === undefined ? "Alert" : "OK",
          state: {
            groups: {
              [group]: {
                name: group,
                status: m.resolvedAt === undefined ? "Alert" : "OK",
                last_triggered_ts: m.triggeredAt / 1000,
                ...(m.resolvedAt !== undefined ? { last_resolved_ts: m.resolvedAt / 1000 } : {}),
              },
            },
          },
        },
      },
    });
  }
  server.expect({
    method: "GET",
    path: "/api/v1/query",
    times: Number.POSITIVE_INFINITY,
    reply: (request) => {
      const query = request.query.get("query") ?? "";
      const from = Number(request.query.get("from")) * 1000;
      const to = Number(request.query.get("to")) * 1000;
      const id = /^avg:aws\.rds\.cpuutilization\{dbinstanceidentifier:([^}]+)\}/.exec(query)?.[1];
      const levels = id !== undefined ? CPU[id] : undefined;
      if (levels === undefined) return { body: { status: "ok", series: [] } };
      const pointlist: [number, number][] = [];
      for (let time = from; time <= to; time += 300_000) {
        const level =
          time + 300_000 <= WINDOW.firstEventAt
            ? levels.before
            : time > WINDOW.lastEventAt
              ? levels.after
              : levels.during;
        pointlist.push([time, level]);
      }
      return {
        body: { status: "ok", series: [{ metric: "aws.rds.cpuutilization", interval: 300, pointlist }] },
      };
    },
  });
  const signals = createDatadogSignals({
    configuration: datadogConfiguration(server),
    now: () => now,
    sleep: async () => {},
  });
  return {
    signals,
    async done() {
      await server.close();
      server.verify();
    },
  };
}

function signalsContract(name: string, make: (now?: number) => Promise<Harness>): void {
  describe(`Signals contract: ${name}`, () => {
    async function withSignals(use: (signals: Signals) => Promise<void>, now?: number) {
      const harness = await make(now);
      try {
        await use(harness.signals);
      } finally {
        await harness.done();
      }
    }

    it("reports the monitors that triggered or recovered in the range, with priority and query", async () => {
      await withSignals(async (signals) => {
        const report = await signals.around(WINDOW);
        expect(report.monitors).toEqual([
          {
            name: "Payments API errors",
            status: "Alert",
            priority: 2,
            triggeredAt: "2024-05-01T00:50:00.000Z",
            resolvedAt: "2024-05-01T01:20:00.000Z",
            query: "sum(last_5m):sum:trace.http.request.errors{service:payments-api}.as_count() > 50",
          },
          {
            name: "Payments DB CPU high",
            status: "Alert",
            priority: 1,
            triggeredAt: "2024-05-01T03:06:00.000Z",
            resolvedAt: "2024-05-01T03:40:00.000Z",
            query: "avg(last_5m):avg:aws.rds.cpuutilization{*} by {dbinstanceidentifier} > 90",
            group: "dbinstanceidentifier:payments-db",
          },
        ]);
      });
    });

    it("summarises the metrics of the resources asked about, and only those", async () => {
      await withSignals(async (signals) => {
        const report = await signals.around(WINDOW);
        expect(report.metrics).toEqual([
          {
            resource: "PaymentsDb",
            metric: "aws.rds.cpuutilization",
            unit: "percent",
            before: 35,
            during: 92,
            peak: 92,
            after: 41,
          },
        ]);
      });
    });

    it("answers as of now at settle time: a monitor recovering later still alerting, no figure after", async () => {
      await withSignals(async (signals) => {
        const report = await signals.around(WINDOW);
        expect(report.monitors).toEqual([
          {
            name: "Payments API errors",
            status: "Alert",
            priority: 2,
            triggeredAt: "2024-05-01T00:50:00.000Z",
            resolvedAt: "2024-05-01T01:20:00.000Z",
            query: "sum(last_5m):sum:trace.http.request.errors{service:payments-api}.as_count() > 50",
          },
          {
            name: "Payments DB CPU high",
            status: "Alert",
            priority: 1,
            triggeredAt: "2024-05-01T03:06:00.000Z",
            query: "avg(last_5m):avg:aws.rds.cpuutilization{*} by {dbinstanceidentifier} > 90",
            group: "dbinstanceidentifier:payments-db",
          },
        ]);
        expect(report.metrics).toEqual([
          {
            resource: "PaymentsDb",
            metric: "aws.rds.cpuutilization",
            unit: "percent",
            before: 35,
            during: 92,
            peak: 92,
          },
        ]);
      }, at("03:14"));
    });

    it("reports nothing for a quiet range with no resources", async () => {
      await withSignals(async (signals) => {
        const quiet = {
          ...WINDOW,
          from: at("01:25"),
          to: at("02:55"),
          firstEventAt: at("02:00"),
          lastEventAt: at("02:00"),
          resources: [],
        };
        const report = await signals.around(quiet);
        expect(report.monitors).toEqual([]);
        expect(report.metrics).toEqual([]);
        expect(report.events ?? []).toEqual([]);
      });
    });
  });
}

signalsContract("recorded signals.json", recordedHarness);
signalsContract("Datadog over HTTP", datadogHarness);
