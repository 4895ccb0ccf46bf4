import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MetricPoint } from "../../core/publish/ports.ts";
import { analysisEvent, windowPoints } from "../../core/report/metrics.ts";
import {
  batchSeries,
  createDatadogEvents,
  createDatadogMetrics,
  DatadogError,
  metricSeries,
} from "../../functions/adapters/datadog-metrics.ts";
import {
  corpusResponse,
  type DatadogRequest,
  type DatadogServer,
  datadogConfiguration,
  startDatadogServer,
  TEST_API_KEY,
  TEST_APP_KEY,
} from "../support/datadog-server.ts";
import { SAMPLE_REPORT, SETTLED } from "./sample-report.ts";

/** The v2 series body as the client puts it on the wire. */
interface SeriesBody {
  readonly series: readonly {
    readonly metric: string;
    readonly type: number;
    readonly points: readonly { readonly timestamp: number; readonly value: number }[];
    readonly tags: readonly string[];
    readonly unit?: string;
  }[];
}

const accepted = { status: 202, body: { errors: [] } };
const EXTRAS = { env: "prod", account: "123456789012", region: "us-east-1", reactionSeconds: 412 };

let server: DatadogServer;
const waits: number[] = [];
const sleep = async (ms: number) => {
  waits.push(ms);
};
/** Everything the code under test writes to the console, to prove no key is ever logged. */
let logged: string[] = [];

beforeEach(async () => {
  server = await startDatadogServer();
  waits.length = 0;
  logged = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
    });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await server.close();
});

function seriesOf(request: DatadogRequest | undefined): SeriesBody["series"] {
  return (request?.json as SeriesBody | undefined)?.series ?? [];
}

function noKeysAnywhere(...texts: string[]): void {
  for (const text of [...texts, ...logged]) {
    expect(text).not.toContain(TEST_API_KEY);
    expect(text).not.toContain(TEST_APP_KEY);
  }
}

describe("Datadog metrics adapter (v2 submitMetrics over real HTTP)", () => {
  it("posts the window's points as typed, tagged series with the API key", async () => {
    server.expect({ method: "POST", path: "/api/v2/series", reply: accepted, name: "series" });
    const metrics = createDatadogMetrics({ configuration: datadogConfiguration(server), sleep });

    await metrics.emit(windowPoints(SAMPLE_REPORT, EXTRAS));

    server.verify();
    const [request] = server.requests;
    expect(request?.headers["dd-api-key"]).toBe(TEST_API_KEY);
    expect(request?.headers["content-type"]).toContain("application/json");
    const series = seriesOf(request);
    expect(series).toHaveLength(21);
    expect(
      series.find((s) => s.metric === "phantom.drift.count" && s.tags.includes("decision:refactor")),
    ).toEqual({
      metric: "phantom.drift.count",
      type: 1,
      points: [{ timestamp: SETTLED, value: 1 }],
      tags: [
        "account:123456789012",
        "decision:refactor",
        "env:prod",
        "region:us-east-1",
        "severity:high",
        "stack:payments-prod",
      ],
    });
    expect(
      series.find(
        (s) => s.metric === "phantom.reconciliation.cost_delta" && s.tags.includes("severity:high"),
      ),
    ).toEqual(
      expect.objectContaining({ type: 3, unit: "dollar", points: [{ timestamp: SETTLED, value: 1200.5 }] }),
    );
    expect(series.find((s) => s.metric === "phantom.reaction.seconds")).toEqual(
      expect.objectContaining({ type: 3, unit: "second", points: [{ timestamp: SETTLED, value: 412 }] }),
    );
    noKeysAnywhere();
  });

  it("sends nothing for no points", async () => {
    const metrics = createDatadogMetrics({ configuration: datadogConfiguration(server), sleep });

    await metrics.emit([]);

    expect(server.requests).toHaveLength(0);
  });

  it("batches series: at most batchSize series a request, every series sent once", async () => {
    server.expect({ method: "POST", path: "/api/v2/series", reply: accepted, times: 3 });
    const points: MetricPoint[] = Array.from({ length: 7 }, (_, i) => ({
      metric: "phantom.windows.settled",
      type: "count",
      value: 1,
      timestamp: SETTLED,
      tags: [`stack:s${i}`],
    }));
    const metrics = createDatadogMetrics({
      configuration: datadogConfiguration(server),
      batchSize: 3,
      sleep,
    });

    await metrics.emit(points);

    server.verify();
    expect(server.requests.map((r) => seriesOf(r).length)).toEqual([3, 3, 1]);
    expect(server.requests.flatMap((r) => seriesOf(r).map((s) => s.tags[0]))).toEqual(
      points.map((p) => p.tags[0]),
    );
  });

  it("retries a 429 after x-ratelimit-reset, then succeeds", async () => {
    server.expect({
      method: "POST",
      path: "/api/v2/series",
      reply: [
        { status: 429, headers: { "x-ratelimit-reset": "2" }, body: { errors: ["Too many requests"] } },
        accepted,
      ],
    });
    const metrics = createDatadogMetrics({ configuration: datadogConfiguration(server), sleep });

    await metrics.emit(windowPoints(SAMPLE_REPORT));

    server.verify();
    expect(waits).toEqual([2000]);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.body).toBe(server.requests[0]?.body);
  });

  it("gives up after the retries with a DatadogError that names the loss and carries no key", async () => {
    server.expect({
      method: "POST",
      path: "/api/v2/series",
      reply: { status: 503, body: { errors: [`upstream down for ${TEST_API_KEY}`] } },
      times: 3,
    });
    const metrics = createDatadogMetrics({
      configuration: datadogConfiguration(server),
      retries: 2,
      sleep,
      random: () => 0,
    });

    const error = await metrics.emit(windowPoints(SAMPLE_REPORT).slice(0, 6)).catch((e: unknown) => e);

    server.verify();
    expect(error).toBeInstanceOf(DatadogError);
    const e = error as DatadogError;
    expect(e.status).toBe(503);
    expect(e.message).toMatch(
      /^6 of 6 series in 1 of 1 requests were not accepted: Datadog metrics submit: HTTP 503/,
    );
    expect(waits).toEqual([250, 500]);
    noKeysAnywhere(e.message, String(e.stack), String((e.cause as Error | undefined)?.message));
    expect((e.cause as Error).message).toContain("[redacted]");
  });

  it("does not retry a 400 and still sends the other batches", async () => {
    server.expect({
      method: "POST",
      path: "/api/v2/series",
      reply: [{ status: 400, body: { errors: ["Bad tags"] } }, accepted],
    });
    const metrics = createDatadogMetrics({
      configuration: datadogConfiguration(server),
      batchSize: 4,
      sleep,
    });

    const error = await metrics.emit(windowPoints(SAMPLE_REPORT).slice(0, 6)).catch((e: unknown) => e);

    server.verify();
    expect((error as DatadogError).message).toMatch(
      /^4 of 6 series in 1 of 2 requests.*HTTP 400 \(Bad tags\)/,
    );
    expect(waits).toEqual([]);
  });
});

describe("series and batches", () => {
  it("merges points of one series: counts add up at a second, a gauge keeps the last, time ordered", () => {
    const at = (timestamp: number, value: number, type: MetricPoint["type"], tags = ["b:1", "a:1"]) => ({
      metric: "phantom.x",
      type,
      value,
      timestamp,
      tags,
    });

    const series = metricSeries([
      at(20, 1, "count"),
      at(10, 1, "count", ["a:1", "b:1"]),
      at(20, 2, "count"),
      at(20, 5, "gauge"),
      at(20, 7, "gauge"),
      at(30, Number.NaN, "gauge"),
    ]);

    expect(series).toEqual([
      {
        metric: "phantom.x",
        type: 1,
        tags: ["a:1", "b:1"],
        points: [
          { timestamp: 10, value: 1 },
          { timestamp: 20, value: 3 },
        ],
      },
      { metric: "phantom.x", type: 3, tags: ["a:1", "b:1"], points: [{ timestamp: 20, value: 7 }] },
    ]);
  });

  it("splits by payload size too", () => {
    const series = metricSeries(
      Array.from({ length: 10 }, (_, i) => ({
        metric: "phantom.windows.settled",
        type: "count" as const,
        value: 1,
        timestamp: SETTLED,
        tags: [`stack:${"s".repeat(100)}${i}`],
      })),
    );
    const one = JSON.stringify(series[0]).length + 1;

    const batches = batchSeries(series, 500, one * 4);

    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
  });
});

describe("Datadog events adapter (v1 createEvent over real HTTP)", () => {
  it("posts the analysed-window event with the PR link, tags and the stack as aggregation key", async () => {
    server.expect({
      method: "POST",
      path: "/api/v1/events",
      reply: { status: 202, body: corpusResponse("events-v1-post") },
    });
    const events = createDatadogEvents({ configuration: datadogConfiguration(server), sleep });
    const event = analysisEvent(SAMPLE_REPORT, { ...EXTRAS, prUrl: "https://github.com/acme/infra/pull/42" });

    await events.analysed(event);

    server.verify();
    const [request] = server.requests;
    expect(request?.headers["dd-api-key"]).toBe(TEST_API_KEY);
    expect(request?.json).toEqual({
      title: "Phantom drift analysed: payments-prod — 4 changes (critical)",
      text: event.text,
      tags: [
        "service:phantom",
        "stack:payments-prod",
        "env:prod",
        "account:123456789012",
        "region:us-east-1",
        "severity:critical",
      ],
      aggregation_key: "payments-prod",
      alert_type: "error",
      date_happened: SETTLED,
    });
    expect(event.text).toContain("(https://github.com/acme/infra/pull/42)");
    noKeysAnywhere();
  });

  it("retries a 5xx, then rejects with a DatadogError", async () => {
    server.expect({
      method: "POST",
      path: "/api/v1/events",
      reply: { status: 502, body: "Bad Gateway" },
      times: 2,
    });
    const events = createDatadogEvents({ configuration: datadogConfiguration(server), retries: 1, sleep });

    const error = await events.analysed(analysisEvent(SAMPLE_REPORT)).catch((e: unknown) => e);

    server.verify();
    expect(error).toBeInstanceOf(DatadogError);
    expect((error as DatadogError).message).toMatch(/^Datadog event post: HTTP 502/);
    expect(waits).toHaveLength(1);
  });
});
