import { client, logger } from "@datadog/datadog-api-client";
import { afterEach, describe, expect, it } from "vitest";
import type { SignalResource } from "../../core/signals/types.ts";
import {
  createDatadogSignals,
  type DatadogSignalsOptions,
} from "../../functions/adapters/datadog-signals.ts";
import {
  corpusResponse,
  type DatadogServer,
  datadogConfiguration,
  datadogFixture,
  type EventSearchBody,
  on,
  startDatadogServer,
  TEST_API_KEY,
  TEST_APP_KEY,
} from "../support/datadog-server.ts";

/* The payments window of fixtures/datadog (README): changes 12:00–12:10Z, range 10:00–13:10Z. */
const t = (hhmm: string, day = "2022-01-05") => Date.parse(`${day}T${hhmm}:00Z`);
const FROM = t("10:00");
const FIRST = t("12:00");
const LAST = t("12:10");
const TO = t("13:10");
const NOW = t("14:00");

const PAYMENTS_DB: SignalResource = {
  logicalId: "PaymentsDb",
  physicalId: "payments-db",
  type: "AWS::RDS::DBInstance",
};
const API_HOST: SignalResource = {
  logicalId: "ApiHost",
  physicalId: "i-0a1b2c3d4e5f60718",
  type: "AWS::EC2::Instance",
};

const window = (resources: readonly SignalResource[]) => ({
  stack: "payments",
  from: FROM,
  to: TO,
  firstEventAt: FIRST,
  lastEventAt: LAST,
  resources,
});

const RDS = (metric: string) => `avg:aws.rds.${metric}{dbinstanceidentifier:payments-db}.rollup(avg, 300)`;
const EC2 = (metric: string) => `avg:aws.ec2.${metric}{instance_id:i-0a1b2c3d4e5f60718}.rollup(avg, 300)`;
const MONITOR_QUERY = "source:alert team:payments";
const PAGE_2_CURSOR = "eyJhZnRlciI6IkFnQUFBWDRxLXBoYW50b20tbW9uaXRvci1ldmVudC0wMDA1In0";

const CPU_QUERY = "avg(last_5m):avg:aws.rds.cpuutilization{env:prod} by {dbinstanceidentifier} > 90";
const CONNECTIONS_QUERY =
  "avg(last_15m):avg:aws.rds.database_connections{env:prod} by {dbinstanceidentifier} > 300";
const PAYMENTS_TAGS = ["team:payments", "env:prod", "service:payments-db"];

let open: DatadogServer | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function harness(options: Partial<DatadogSignalsOptions> = {}) {
  const server = await startDatadogServer();
  open = server;
  const sleeps: number[] = [];
  const signals = createDatadogSignals({
    configuration: datadogConfiguration(server),
    monitorTags: ["team:payments"],
    now: () => NOW,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
    ...options,
  });
  return { server, signals, sleeps };
}

/** Expect the monitor and event searches to find nothing. */
function expectNoEvents(server: DatadogServer, monitorQuery = MONITOR_QUERY): void {
  server.expect({ ...on.eventSearch(monitorQuery), reply: { body: datadogFixture("events-empty") } });
  server.expect({ ...on.eventSearch("-source:alert"), reply: { body: datadogFixture("events-empty") } });
}

describe("Datadog signals adapter over HTTP", () => {
  it("reports an RDS + EC2 window: monitors in range, events, and metric summaries", async () => {
    // Prepare
    const { server, signals, sleeps } = await harness();
    server.expect({
      ...on.eventSearch(MONITOR_QUERY, (b) => b.page?.cursor === undefined),
      reply: { body: datadogFixture("events-monitor-alerts-page-1") },
    });
    server.expect({
      ...on.eventSearch(MONITOR_QUERY, (b) => b.page?.cursor === PAGE_2_CURSOR),
      reply: { body: datadogFixture("events-monitor-alerts-page-2") },
    });
    server.expect({
      ...on.eventSearch("-source:alert"),
      reply: { body: datadogFixture("events-around-window") },
    });
    server.expect({ ...on.monitor(4403), reply: { body: datadogFixture("monitor-4403") } });
    server.expect({ ...on.monitor(4401), reply: { body: datadogFixture("monitor-4401") } });
    server.expect({ ...on.monitor(155844758), reply: { body: corpusResponse("monitors-v1-get") } });
    server.expect({
      ...on.monitor(12345),
      reply: { status: 404, body: corpusResponse("monitors-v1-get-404") },
    });
    server.expect({
      ...on.metricQuery(RDS("cpuutilization")),
      reply: [
        {
          status: 429,
          headers: {
            "x-ratelimit-limit": "100",
            "x-ratelimit-period": "60",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": "3",
            "x-ratelimit-name": "query_metrics",
          },
          body: { errors: ["Too many requests"] },
        },
        { body: datadogFixture("metrics-rds-cpuutilization") },
      ],
    });
    server.expect({
      ...on.metricQuery(RDS("database_connections")),
      reply: { body: datadogFixture("metrics-rds-database-connections") },
    });
    server.expect({
      ...on.metricQuery(RDS("freeable_memory")),
      reply: { body: datadogFixture("metrics-rds-freeable-memory") },
    });
    server.expect({
      ...on.metricQuery(RDS("read_iops")),
      reply: { body: datadogFixture("metrics-rds-read-iops") },
    });
    server.expect({
      ...on.metricQuery(RDS("write_iops")),
      reply: { status: 403, body: { errors: ["Forbidden"] } },
    });
    server.expect({
      ...on.metricQuery(EC2("cpuutilization")),
      reply: { body: corpusResponse("metrics-v1-query") },
    });
    server.expect({
      ...on.metricQuery(EC2("network_in")),
      reply: { body: datadogFixture("metrics-ec2-network-in") },
    });
    server.expect({
      ...on.metricQuery(EC2("network_out")),
      reply: { body: datadogFixture("metrics-ec2-network-out-empty") },
    });

    // Act
    const report = await signals.around(window([PAYMENTS_DB, API_HOST]));

    // Assess: the report
    expect(report.monitors).toEqual([
      {
        name: "Payments DB connections high",
        status: "Alert",
        priority: 2,
        triggeredAt: "2022-01-05T09:30:00.000Z",
        resolvedAt: "2022-01-05T10:15:00.000Z",
        query: CONNECTIONS_QUERY,
        tags: PAYMENTS_TAGS,
        group: "dbinstanceidentifier:payments-db",
      },
      {
        name: "Payments DB CPU high",
        status: "Alert",
        priority: 1,
        triggeredAt: "2022-01-05T11:40:00.000Z",
        resolvedAt: "2022-01-05T12:25:00.000Z",
        query: CPU_QUERY,
        tags: PAYMENTS_TAGS,
        group: "dbinstanceidentifier:payments-db",
      },
      {
        name: "Test-Get_a_monitor_s_details_returns_OK_response-1728578339",
        status: "Alert",
        priority: 3,
        triggeredAt: "2022-01-05T12:05:00.000Z",
        query: 'logs("service:foo AND type:error").index("main").rollup("count").by("source").last("5m") > 2',
        tags: ["test:testgetamonitorsdetailsreturnsokresponse1728578339", "env:ci"],
        group: "source:payments-api",
      },
      {
        name: "Old EC2 network monitor",
        status: "Warn",
        priority: 4,
        triggeredAt: "2022-01-05T12:50:00.000Z",
        resolvedAt: "2022-01-05T13:05:00.000Z",
        query: "avg(last_10m):avg:aws.ec2.network_in{instance_id:i-0a1b2c3d4e5f60718} > 50000000",
        tags: ["team:payments", "env:prod"],
      },
    ]);
    expect(report.events).toEqual([
      {
        title: "Deployed payments-api 2.14.1",
        at: "2022-01-05T11:30:00.000Z",
        source: "github",
        tags: ["source:github", "service:payments-api", "env:prod", "version:2.14.1"],
      },
      {
        title: "payments-db: Applying modification to database instance class",
        at: "2022-01-05T12:03:00.000Z",
        source: "amazon_rds",
        tags: ["source:amazon_rds", "dbinstanceidentifier:payments-db", "region:us-east-1"],
      },
    ]);
    expect(report.metrics).toEqual([
      {
        resource: "PaymentsDb",
        metric: "aws.rds.cpuutilization",
        unit: "percent",
        before: 35,
        during: 92,
        peak: 97,
        after: 41,
      },
      {
        resource: "PaymentsDb",
        metric: "aws.rds.database_connections",
        unit: "connection",
        before: 120,
        during: 350,
        peak: 390,
        after: 140,
      },
      {
        resource: "PaymentsDb",
        metric: "aws.rds.freeable_memory",
        unit: "byte",
        before: 6e9,
        during: 1.6e9,
        peak: 2.1e9,
        after: 5.5e9,
      },
      {
        resource: "PaymentsDb",
        metric: "aws.rds.read_iops",
        unit: "operation/second",
        before: 897.826,
        during: 3000,
        peak: 3100,
        after: 1000,
      },
      // The corpus recording (system.cpu.idle, 288 points at 300 s) cut to the range.
      {
        resource: "ApiHost",
        metric: "aws.ec2.cpuutilization",
        unit: "percent",
        before: 91.0402,
        during: 91.3181,
        peak: 91.4616,
        after: 91.4255,
      },
      {
        resource: "ApiHost",
        metric: "aws.ec2.network_in",
        unit: "byte",
        before: 1.2e7,
        during: 2.5e7,
        peak: 2.6e7,
        after: 1.1e7,
      },
    ]);
    expect(report.notes).toEqual([
      'Datadog monitor 12345 ("Old EC2 network monitor") no longer exists (HTTP 404); described from its events',
      `Datadog metric aws.rds.write_iops of PaymentsDb (${RDS("write_iops")}) could not be read: HTTP 403 (Forbidden)`,
      `no Datadog datapoints for aws.ec2.network_out of ApiHost (${EC2("network_out")})`,
    ]);

    // Assess: the 429 was retried after x-ratelimit-reset, and nothing else waited
    expect(sleeps).toEqual([3000]);

    // Assess: exactly the requests expected (the strict server saw no other), with the keys as headers only
    server.verify();
    const metricRequests = server.requests.filter((r) => r.path === "/api/v1/query");
    expect(metricRequests.map((r) => r.query.get("query")).sort()).toEqual(
      [
        RDS("cpuutilization"),
        RDS("cpuutilization"),
        RDS("database_connections"),
        RDS("freeable_memory"),
        RDS("read_iops"),
        RDS("write_iops"),
        EC2("cpuutilization"),
        EC2("network_in"),
        EC2("network_out"),
      ].sort(),
    );
    for (const r of metricRequests) {
      expect(r.method).toBe("GET");
      expect([...r.query.keys()].sort()).toEqual(["from", "query", "to"]);
      expect(r.query.get("from")).toBe("1641376800");
      expect(r.query.get("to")).toBe("1641388200");
    }
    const searches = server.requests.filter((r) => r.path === "/api/v2/events/search").map((r) => r.json);
    expect(searches).toHaveLength(3);
    expect(searches).toEqual(
      expect.arrayContaining([
        {
          filter: { query: MONITOR_QUERY, from: "1641376800000", to: "1641388200000" },
          sort: "timestamp",
          page: { limit: 100 },
        },
        {
          filter: { query: MONITOR_QUERY, from: "1641376800000", to: "1641388200000" },
          sort: "timestamp",
          page: { limit: 100, cursor: PAGE_2_CURSOR },
        },
        {
          filter: { query: "-source:alert", from: "1641376800000", to: "1641388200000" },
          sort: "timestamp",
          page: { limit: 50 },
        },
      ]),
    );
    const monitorRequests = server.requests.filter((r) => r.path.startsWith("/api/v1/monitor/"));
    expect(monitorRequests.map((r) => `${r.method} ${r.path}?${r.query}`).sort()).toEqual([
      "GET /api/v1/monitor/12345?group_states=all",
      "GET /api/v1/monitor/155844758?group_states=all",
      "GET /api/v1/monitor/4401?group_states=all",
      "GET /api/v1/monitor/4403?group_states=all",
    ]);
    expect(server.requests).toHaveLength(metricRequests.length + searches.length + monitorRequests.length);
    for (const r of server.requests) {
      expect(r.headers["dd-api-key"]).toBe(TEST_API_KEY);
      expect(r.headers["dd-application-key"]).toBe(TEST_APP_KEY);
    }
    const text = JSON.stringify(report);
    expect(text).not.toContain(TEST_API_KEY);
    expect(text).not.toContain(TEST_APP_KEY);
  });

  it("reads the corpus events search: titles, times, sources, de-duplicated tags, and a note for more", async () => {
    // Prepare: a window around the recording (2022-06-20 17:07Z), no resources to measure.
    const day = "2022-06-20";
    const { server, signals } = await harness({ now: () => t("19:00", day), maxEvents: 2, monitorTags: [] });
    server.expect({ ...on.eventSearch("source:alert"), reply: { body: datadogFixture("events-empty") } });
    server.expect({
      ...on.eventSearch("-source:alert", (b) => b.page?.limit === 2),
      reply: { body: corpusResponse("events-v2-search") },
    });

    // Act
    const report = await signals.around({
      stack: "apps",
      from: t("15:00", day),
      to: t("18:05", day),
      firstEventAt: t("17:00", day),
      lastEventAt: t("17:05", day),
      resources: [],
    });

    // Assess
    const tags = ["environment:staging", "source:my_apps"];
    expect(report).toEqual({
      monitors: [],
      metrics: [],
      events: [
        {
          title: "[Synthetics] EVMGT pipeline test",
          at: "2022-06-20T17:07:17.000Z",
          source: "my_apps",
          tags,
        },
        {
          title: "[Synthetics] EVMGT pipeline test",
          at: "2022-06-20T17:07:30.000Z",
          source: "my_apps",
          tags,
        },
      ],
      notes: ["more than 2 Datadog events in the range; only the first 2 are listed"],
    });
    server.verify();
  });

  it("retries 5xx with backoff, gives up on a long rate limit, and notes what it could not read", async () => {
    // Prepare: a Lambda function (duration, errors, throttles); monitor events forbidden.
    const { server, signals, sleeps } = await harness({ retries: 3, baseDelayMs: 500 });
    const fn: SignalResource = {
      logicalId: "Charge",
      physicalId: "payments-charge",
      type: "AWS::Lambda::Function",
    };
    const duration = "avg:aws.lambda.duration{functionname:payments-charge}.rollup(avg, 300)";
    const errors = "sum:aws.lambda.errors{functionname:payments-charge}.as_count().rollup(sum, 300)";
    const throttles = "sum:aws.lambda.throttles{functionname:payments-charge}.as_count().rollup(sum, 300)";
    server.expect({
      ...on.eventSearch(MONITOR_QUERY),
      reply: { status: 403, body: { errors: ["Forbidden"] } },
    });
    server.expect({ ...on.eventSearch("-source:alert"), reply: { body: datadogFixture("events-empty") } });
    server.expect({
      ...on.metricQuery(duration),
      reply: { status: 429, headers: { "x-ratelimit-reset": "60" }, body: { errors: ["Too many requests"] } },
    });
    server.expect({
      ...on.metricQuery(errors),
      reply: [
        { status: 500, body: { errors: ["Internal Server Error"] } },
        { status: 503, body: "upstream unavailable" },
        {
          body: {
            status: "ok",
            res_type: "time_series",
            series: [
              {
                metric: "aws.lambda.errors",
                interval: 300,
                pointlist: [
                  [t("11:00"), 0],
                  [t("12:05"), 7],
                  [t("12:30"), 1],
                ],
              },
            ],
          },
        },
      ],
    });
    server.expect({
      ...on.metricQuery(throttles),
      times: 4,
      reply: { status: 502, body: { errors: ["Bad Gateway"] } },
    });

    // Act
    const report = await signals.around(window([fn]));

    // Assess
    expect(report).toEqual({
      monitors: [],
      metrics: [
        {
          resource: "Charge",
          metric: "aws.lambda.errors",
          unit: "error/5min",
          before: 0,
          during: 7,
          peak: 7,
          after: 1,
        },
      ],
      events: [],
      notes: [
        "Datadog monitor events could not be read: HTTP 403 (Forbidden)",
        `Datadog metric aws.lambda.duration of Charge (${duration}) could not be read: HTTP 429 (rate limited)`,
        `Datadog metric aws.lambda.throttles of Charge (${throttles}) could not be read: HTTP 502 (Bad Gateway)`,
      ],
    });
    // errors: 500 then 503 (250 ms, 500 ms); throttles: 502 four times (250, 500, 1000 ms); duration: no wait.
    expect([...sleeps].sort((a, b) => a - b)).toEqual([250, 250, 500, 500, 1000]);
    expect(server.requests.filter((r) => r.query.get("query") === throttles)).toHaveLength(4);
    expect(server.requests.filter((r) => r.query.get("query") === duration)).toHaveLength(1);
    server.verify();
  });

  it("cuts the range at now when the hour after the changes is not over", async () => {
    const now = t("12:30");
    const { server, signals } = await harness({ now: () => now });
    expectNoEvents(server);
    server.expect({
      method: "GET",
      path: "/api/v1/query",
      times: 3,
      reply: { body: datadogFixture("metrics-ec2-network-out-empty") },
    });

    const report = await signals.around(window([API_HOST]));

    expect(report.notes[0]).toBe(
      "the range is read up to now (2022-01-05T12:30:00.000Z), not to 2022-01-05T13:10:00.000Z: the time after the changes is not over",
    );
    for (const r of server.requests.filter((x) => x.path === "/api/v1/query")) {
      expect(r.query.get("from")).toBe("1641376800");
      expect(r.query.get("to")).toBe(String(now / 1000));
    }
    for (const r of server.requests.filter((x) => x.path === "/api/v2/events/search")) {
      expect((r.json as EventSearchBody).filter?.to).toBe(String(now));
    }
    server.verify();
  });

  it("never puts keys into notes, even when Datadog echoes one", async () => {
    const { server, signals } = await harness();
    expectNoEvents(server);
    for (const metric of ["cpuutilization", "network_in", "network_out"])
      server.expect({
        ...on.metricQuery(EC2(metric)),
        reply: {
          status: 403,
          body: { errors: [`Forbidden: key ${TEST_API_KEY} / ${TEST_APP_KEY} lacks timeseries_query`] },
        },
      });

    const report = await signals.around(window([API_HOST]));

    expect(report.notes).toHaveLength(3);
    expect(report.notes[0]).toBe(
      `Datadog metric aws.ec2.cpuutilization of ApiHost (${EC2("cpuutilization")}) could not be read: HTTP 403 (Forbidden: key [redacted] / [redacted] lacks timeseries_query)`,
    );
    const text = JSON.stringify(report);
    expect(text).not.toContain(TEST_API_KEY);
    expect(text).not.toContain(TEST_APP_KEY);
    server.verify();
  });

  it("marks a recovery whose trigger time Datadog no longer knows, instead of guessing", async () => {
    // Prepare: only 4403's recovery (10:15) is in range, and the monitor has been deleted since.
    const { server, signals } = await harness();
    const page = datadogFixture("events-monitor-alerts-page-1") as { data: unknown[] };
    server.expect({
      ...on.eventSearch(MONITOR_QUERY),
      reply: { body: { data: page.data.slice(0, 1), meta: { page: {} } } },
    });
    server.expect({ ...on.eventSearch("-source:alert"), reply: { body: datadogFixture("events-empty") } });
    server.expect({
      ...on.monitor(4403),
      reply: { status: 404, body: corpusResponse("monitors-v1-get-404") },
    });

    // Act
    const report = await signals.around(window([]));

    // Assess: described from its event, triggered "at the start of the range", and said so.
    expect(report.monitors).toEqual([
      {
        name: "Payments DB connections high",
        status: "Alert",
        priority: 2,
        triggeredAt: "2022-01-05T10:00:00.000Z",
        resolvedAt: "2022-01-05T10:15:00.000Z",
        query: CONNECTIONS_QUERY,
        tags: PAYMENTS_TAGS,
        group: "dbinstanceidentifier:payments-db",
      },
    ]);
    expect(report.notes).toEqual([
      'Datadog monitor 4403 ("Payments DB connections high") no longer exists (HTTP 404); described from its events',
      'Datadog monitor "Payments DB connections high" recovered at 2022-01-05T10:15:00.000Z after triggering before 2022-01-05T10:00:00.000Z; its trigger time is not known',
    ]);
    server.verify();
  });

  it("still answers, with notes, when Datadog cannot be reached", async () => {
    // A server that is gone: the port refuses connections. (The client logs each failure; hush it.)
    const gone = await startDatadogServer();
    await gone.close();
    const signals = createDatadogSignals({
      configuration: datadogConfiguration(gone),
      now: () => NOW,
      sleep: async () => {},
    });
    const level = logger.getLevel();
    logger.setLevel("silent");

    const report = await signals.around(window([PAYMENTS_DB])).finally(() => logger.setLevel(level));

    expect(report.monitors).toEqual([]);
    expect(report.metrics).toEqual([]);
    expect(report.events).toEqual([]);
    expect(report.notes).toHaveLength(2 + 5);
    expect(report.notes[0]).toMatch(/^Datadog monitor events could not be read: .*ECONNREFUSED/);
    expect(report.notes[1]).toMatch(/^Datadog events could not be read: /);
    expect(report.notes[2]).toMatch(
      /^Datadog metric aws\.rds\.cpuutilization of PaymentsDb \(.*\) could not be read: /,
    );
  });

  it("talks to the configured Datadog site", async () => {
    // Prepare: the client's own server list (no baseServer), with an HTTP library that records URLs.
    const urls: string[] = [];
    const empty = JSON.stringify({ data: [], meta: { page: {} } });
    const httpApi: client.HttpLibrary = {
      async send(request) {
        urls.push(request.getUrl());
        const body = request.getUrl().includes("/api/v1/query")
          ? JSON.stringify({ status: "ok", series: [] })
          : empty;
        return new client.ResponseContext(
          200,
          { "content-type": "application/json" },
          {
            text: async () => body,
            binary: async () => Buffer.from(body),
          },
        );
      },
    };
    const configuration = client.createConfiguration({
      httpApi,
      authMethods: { apiKeyAuth: TEST_API_KEY, appKeyAuth: TEST_APP_KEY },
    });
    const signals = createDatadogSignals({ configuration, site: "datadoghq.eu", now: () => NOW });

    // Act
    const report = await signals.around(window([{ ...PAYMENTS_DB }]));

    // Assess
    expect(report.notes).toHaveLength(5); // one "no datapoints" per RDS metric
    expect(urls.map((u) => u.replace(/\?.*/, "")).sort()).toEqual([
      "https://api.datadoghq.eu/api/v1/query",
      "https://api.datadoghq.eu/api/v1/query",
      "https://api.datadoghq.eu/api/v1/query",
      "https://api.datadoghq.eu/api/v1/query",
      "https://api.datadoghq.eu/api/v1/query",
      "https://api.datadoghq.eu/api/v2/events/search",
      "https://api.datadoghq.eu/api/v2/events/search",
    ]);
  });
});
