import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { v1 } from "@datadog/datadog-api-client";
import { describe, expect, it } from "vitest";
import { METRIC_CATALOGUE } from "../../core/report/metrics.ts";
import { ObservabilityFileError, readDefinitions } from "../../functions/adapters/datadog-apply.ts";

/**
 * The dashboard and monitors as code (functions/observability/): valid JSON the official client
 * carries without loss, every query on a catalogued phantom.* metric or the DLQ metric from the AWS
 * integration, every monitor with a runbook line and tags.
 */

type Json = Record<string, unknown>;

const DLQ_METRIC = "aws.sqs.approximate_number_of_messages_visible";
const CATALOGUED = new Set(METRIC_CATALOGUE.map((d) => d.metric));

async function file(name: string): Promise<unknown> {
  return JSON.parse(
    await readFile(new URL(`../../functions/observability/${name}`, import.meta.url), "utf8"),
  );
}

/** `sum:phantom.drift.count{…}` ► `phantom.drift.count`, for each metric a query names. */
function metricsIn(query: string): string[] {
  return [...query.matchAll(/\b(?:sum|avg|min|max|count):([a-z0-9_.]+)\{/g)].map((m) => m[1] ?? "");
}

function widgetQueries(dashboard: Json): string[] {
  const widgets = dashboard.widgets as { definition: { requests?: { queries?: { query: string }[] }[] } }[];
  return widgets.flatMap((w) =>
    (w.definition.requests ?? []).flatMap((r) => (r.queries ?? []).map((q) => q.query)),
  );
}

describe("functions/observability/dashboard.json", () => {
  it("is a dashboard every widget of which queries a catalogued phantom.* metric or the DLQ metric", async () => {
    const dashboard = (await file("dashboard.json")) as Json;

    const queries = widgetQueries(dashboard);

    expect((dashboard.widgets as unknown[]).length).toBeGreaterThan(10);
    expect(queries.length).toBeGreaterThanOrEqual((dashboard.widgets as unknown[]).length);
    for (const query of queries) {
      const metrics = metricsIn(query);
      expect(metrics.length, query).toBeGreaterThan(0);
      for (const metric of metrics) expect(CATALOGUED.has(metric) || metric === DLQ_METRIC, query).toBe(true);
    }
  });

  it("shows what the issue asks for: drift by stack and severity, decisions, cost, reaction, analyzer, events by verdict", async () => {
    const queries = widgetQueries((await file("dashboard.json")) as Json);
    const has = (re: RegExp) =>
      expect(
        queries.some((q) => re.test(q)),
        String(re),
      ).toBe(true);

    has(/^sum:phantom\.drift\.count\{.*\} by \{stack,severity\}\.as_count\(\)$/);
    has(/^sum:phantom\.drift\.count\{.*\} by \{decision\}/);
    has(/phantom\.reconciliation\.cost_delta/);
    has(/phantom\.reaction\.seconds/);
    has(/phantom\.analysis\.latency/);
    has(/phantom\.analysis\.tokens\.input/);
    has(/phantom\.analysis\.tokens\.output/);
    has(/phantom\.events\.received/);
    has(/phantom\.events\.ignored\{.*\} by \{reason\}/);
    has(/phantom\.events\.rejected\{.*\} by \{reason\}/);
    has(/phantom\.windows\.opened/);
    has(/phantom\.windows\.settled/);
    has(/aws\.sqs\.approximate_number_of_messages_visible\{queuename:\*changesdlq\*/);
  });

  it("parses into the client's typed widget models (none left unparsed)", async () => {
    const dashboard = v1.ObjectSerializer.deserialize(
      await file("dashboard.json"),
      "Dashboard",
      "",
    ) as v1.Dashboard;

    expect(dashboard._unparsed).toBeUndefined();
    for (const widget of dashboard.widgets) {
      const definition = widget.definition as { _unparsed?: boolean; constructor: { name: string } };
      expect(definition._unparsed, definition.constructor.name).toBeUndefined();
      expect(definition.constructor.name).toMatch(/WidgetDefinition$/);
    }
  });
});

describe("functions/observability/monitors.json", () => {
  it("holds the four monitors, each on catalogued metrics or the DLQ metric, with a runbook line and tags", async () => {
    const monitors = (await file("monitors.json")) as Json[];

    expect(monitors.map((m) => m.name)).toEqual([
      "[Phantom] High-severity drift in production",
      "[Phantom] Low-confidence drift decisions",
      "[Phantom] Drift windows not settled within their SLA",
      "[Phantom] Dead-letter queue growing",
    ]);
    for (const monitor of monitors) {
      const name = String(monitor.name);
      const metrics = metricsIn(String(monitor.query));
      expect(metrics.length, name).toBeGreaterThan(0);
      for (const metric of metrics) expect(CATALOGUED.has(metric) || metric === DLQ_METRIC, name).toBe(true);
      expect(
        String(monitor.message)
          .split("\n")
          .some((l) => /^Runbook: \S/.test(l)),
        name,
      ).toBe(true);
      expect(monitor.tags, name).toEqual(expect.arrayContaining(["service:phantom", "managed-by:phantom"]));
      expect(monitor.type, name).toBe("query alert");
      const options = monitor.options as { thresholds?: { critical?: number } };
      expect(typeof options.thresholds?.critical, name).toBe("number");
    }
  });

  it("alerts on what the issue names", async () => {
    const [severe, confidence, sla, dlq] = ((await file("monitors.json")) as Json[]).map((m) =>
      String(m.query),
    );

    expect(severe).toContain("phantom.drift.count{env:prod AND (severity:high OR severity:critical)}");
    expect(confidence).toMatch(/phantom\.decision\.confidence.* < 0\.5$/);
    expect(sla).toMatch(/phantom\.settle\.seconds.* > 1200$/);
    expect(dlq).toMatch(
      /^change\(.*aws\.sqs\.approximate_number_of_messages_visible\{queuename:\*changesdlq\* OR queuename:\*settledlq\* OR queuename:\*sweepdlq\*\}.* > 0$/,
    );
  });
});

describe("readDefinitions", () => {
  it("accepts the shipped files", async () => {
    const definitions = await readDefinitions();

    expect(definitions.dashboards).toHaveLength(1);
    expect(definitions.monitors).toHaveLength(4);
  });

  it("lists every problem at once: unknown fields, missing fields, duplicate names", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "phantom-dd-"));
    try {
      const monitor = {
        name: "m",
        type: "query alert",
        query: "avg(last_5m):avg:phantom.x{*} > 1",
        message: "x",
        tags: ["a:b"],
      };
      await writeFile(
        path.join(dir, "dashboard.json"),
        JSON.stringify({
          title: "d",
          layout_type: "ordered",
          widgets: [{ definition: { type: "note", content: "hi", colour: "red" } }],
        }),
      );
      await writeFile(
        path.join(dir, "monitors.json"),
        JSON.stringify([monitor, { ...monitor, optoins: {} }, { name: "n" }, monitor]),
      );

      const error = await readDefinitions(dir).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ObservabilityFileError);
      const issues = (error as ObservabilityFileError).issues;
      expect(issues).toEqual([
        'dashboard "d": widgets[0].definition.colour: unknown field',
        'monitor "m": optoins: unknown field',
        "monitor[2].type: Invalid input: expected string, received undefined",
        "monitor[2].query: Invalid input: expected string, received undefined",
        "monitor[2].message: Invalid input: expected string, received undefined",
        "monitor[2].tags: Invalid input: expected array, received undefined",
        'monitor "m" is declared twice (titles and names are the match keys)',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
