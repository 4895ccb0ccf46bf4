import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { MetricPoint } from "../../core/publish/ports.ts";
import type { WindowReport } from "../../core/report/analysis.ts";
import {
  analysisEvent,
  intakePoints,
  METRIC_CATALOGUE,
  METRICS,
  metricDefinition,
  reactionSeconds,
  tag,
  windowPoints,
  windowSeverity,
} from "../../core/report/metrics.ts";
import { writeReaction } from "../../functions/replay/replay-ports.ts";
import { SAMPLE_REPORT, SETTLED, unanalysed } from "./sample-report.ts";

const B = ["stack:payments-prod", "env:prod", "account:123456789012", "region:us-east-1"];
const EXTRAS = { env: "Production", account: "123456789012", region: "us-east-1", reactionSeconds: 412 };

const p = (metric: string, type: MetricPoint["type"], value: number, tags: string[]): MetricPoint => ({
  metric,
  type,
  value,
  timestamp: SETTLED,
  tags,
});

describe("windowPoints", () => {
  it("yields the catalogued points of an analysed window: names, types, values, tags", () => {
    const points = windowPoints(SAMPLE_REPORT, EXTRAS);

    const group = (decision: string, severity: string) => [
      ...B,
      `decision:${decision}`,
      `severity:${severity}`,
    ];
    const analyzer = [...B, "analyzer:bedrock", "model:anthropic.claude-sonnet-4"];
    expect(points).toEqual([
      p("phantom.windows.settled", "count", 1, [...B, "severity:critical", "settled_by:quiet"]),
      p("phantom.window.events", "gauge", 5, B),
      p("phantom.drift.count", "count", 2, group("revert", "critical")),
      p("phantom.drift.severity", "gauge", 10, group("revert", "critical")),
      p("phantom.decision.confidence", "gauge", 0.9, group("revert", "critical")),
      p("phantom.reconciliation.cost_delta", "gauge", 0, group("revert", "critical")),
      p("phantom.drift.count", "count", 1, group("refactor", "high")),
      p("phantom.drift.severity", "gauge", 8, group("refactor", "high")),
      p("phantom.decision.confidence", "gauge", 0.72, group("refactor", "high")),
      p("phantom.reconciliation.cost_delta", "gauge", 1200.5, group("refactor", "high")),
      p("phantom.drift.count", "count", 1, group("legitimize", "low")),
      p("phantom.drift.severity", "gauge", 3, group("legitimize", "low")),
      p("phantom.decision.confidence", "gauge", 0.99, group("legitimize", "low")),
      p("phantom.reconciliation.cost_delta", "gauge", 0, group("legitimize", "low")),
      p("phantom.reaction.seconds", "gauge", 412, [...B, "severity:critical"]),
      p("phantom.analysis.latency", "gauge", 4210, analyzer),
      p("phantom.analysis.tokens.input", "count", 5120, analyzer),
      p("phantom.analysis.tokens.output", "count", 880, analyzer),
      p("phantom.detection.calls", "count", 3, B),
      p("phantom.detection.unverified", "count", 1, B),
      p("phantom.settle.seconds", "gauge", 464, [...B, "settled_by:quiet"]),
    ]);
  });

  it("scores severity 1–10 by environment: dev −1, unknown ±0", () => {
    const score = (env?: string) =>
      windowPoints(SAMPLE_REPORT, env ? { env } : {})
        .filter((x) => x.metric === "phantom.drift.severity")
        .map((x) => x.value);

    expect(score("prod")).toEqual([10, 8, 3]);
    expect(score("development")).toEqual([8, 6, 1]);
    expect(score()).toEqual([9, 7, 2]);
  });

  it("tags an environment it cannot name by its own (normalised) word, and uses the report's when no extra gives one", () => {
    const custom = windowPoints(SAMPLE_REPORT, { env: "Blue Green" })[0];
    const fromReport = windowPoints({ ...SAMPLE_REPORT, environment: "staging" })[0];

    expect(custom?.tags).toContain("env:blue_green");
    expect(fromReport?.tags).toContain("env:staging");
  });

  it("invents nothing for a report from before the analysis: no decision, severity, score, confidence or cost", () => {
    const points = windowPoints(unanalysed());

    expect(points.map((x) => x.metric)).toEqual([
      "phantom.windows.settled",
      "phantom.window.events",
      "phantom.drift.count",
      "phantom.detection.calls",
      "phantom.detection.unverified",
      "phantom.settle.seconds",
    ]);
    expect(points.find((x) => x.metric === "phantom.drift.count")).toEqual(
      p("phantom.drift.count", "count", 4, ["stack:payments-prod"]),
    );
    expect(points.flatMap((x) => x.tags).filter((t) => /^(decision|severity|env):/.test(t))).toEqual([]);
  });

  it("reads analysis fields defensively: unknown severities and non-numbers yield no tag and no point", () => {
    const odd = {
      ...unanalysed(),
      severity: "catastrophic",
      analyzer: { kind: "rules", latencyMs: Number.NaN },
      changes: [
        { decision: "revert", severity: "SEVERE", confidence: "high", costDelta: { monthlyUsd: null } },
      ],
    } as unknown as WindowReport;

    const points = windowPoints(odd);

    expect(points.filter((x) => x.metric.startsWith("phantom.analysis"))).toEqual([]);
    expect(points.find((x) => x.metric === "phantom.drift.count")?.tags).toEqual([
      "stack:payments-prod",
      "decision:revert",
    ]);
    expect(points.map((x) => x.metric)).not.toContain("phantom.decision.confidence");
    expect(points.map((x) => x.metric)).not.toContain("phantom.reconciliation.cost_delta");
  });

  it("emits each (metric, tags) once per window: Datadog keeps only the last value at a timestamp", () => {
    const keys = windowPoints(SAMPLE_REPORT, EXTRAS).map((x) => `${x.metric} ${x.tags.join(",")}`);

    expect(new Set(keys).size).toBe(keys.length);
  });

  it("uses only catalogued metrics, their types, and their tag keys", () => {
    const points = [
      ...windowPoints(SAMPLE_REPORT, EXTRAS),
      ...intakePoints(
        {
          at: 0,
          received: 3,
          ignored: { "read-only": 1 },
          rejected: { malformed: 1 },
          windowsOpened: { a: 1 },
        },
        EXTRAS,
      ),
    ];

    for (const point of points) {
      const def = metricDefinition(point.metric);
      expect(def, point.metric).toBeDefined();
      expect(point.type).toBe(def?.type);
      for (const t of point.tags) expect(def?.tags, `${point.metric} ${t}`).toContain(t.split(":")[0]);
    }
  });

  it("rejects a report whose settledAt is not a time", () => {
    expect(() =>
      windowPoints({ ...SAMPLE_REPORT, window: { ...SAMPLE_REPORT.window, settledAt: "soon" } }),
    ).toThrow(/settledAt/);
  });
});

describe("the catalogue", () => {
  it("names every metric the issue asks for, once, under phantom.*", () => {
    const names = METRIC_CATALOGUE.map((d) => d.metric);

    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^phantom\.[a-z_.]+$/.test(n))).toBe(true);
    expect(names).toEqual(
      expect.arrayContaining([
        "phantom.drift.count",
        "phantom.drift.severity",
        "phantom.reconciliation.cost_delta",
        "phantom.reaction.seconds",
        "phantom.analysis.latency",
        "phantom.analysis.tokens.input",
        "phantom.analysis.tokens.output",
        "phantom.windows.opened",
        "phantom.windows.settled",
        "phantom.events.received",
        "phantom.events.ignored",
        "phantom.events.rejected",
      ]),
    );
  });

  it("keeps tag keys bounded: no window, physical id or actor tags", () => {
    const keys = new Set(METRIC_CATALOGUE.flatMap((d) => d.tags));

    expect([...keys].sort()).toEqual(
      [
        "account",
        "analyzer",
        "decision",
        "env",
        "model",
        "operation",
        "port",
        "reason",
        "region",
        "service",
        "settled_by",
        "severity",
        "stack",
        "target",
      ].sort(),
    );
  });
});

describe("intakePoints", () => {
  it("counts received, ignored and rejected by reason, and windows opened by stack", () => {
    const at = Date.parse("2026-03-14T03:05:00.500Z");

    const points = intakePoints(
      {
        at,
        received: 40,
        ignored: new Map([
          ["read-only", 30],
          ["cloudformation", 4],
          ["none", 0],
        ]),
        rejected: { malformed: 1 },
        windowsOpened: { "payments-prod": 1 },
      },
      { env: "prod", account: "123456789012" },
    );

    const ts = Math.floor(at / 1000);
    const base = ["env:prod", "account:123456789012"];
    expect(points).toEqual([
      { metric: "phantom.events.received", type: "count", value: 40, timestamp: ts, tags: base },
      {
        metric: "phantom.events.ignored",
        type: "count",
        value: 4,
        timestamp: ts,
        tags: [...base, "reason:cloudformation"],
      },
      {
        metric: "phantom.events.ignored",
        type: "count",
        value: 30,
        timestamp: ts,
        tags: [...base, "reason:read-only"],
      },
      {
        metric: "phantom.events.rejected",
        type: "count",
        value: 1,
        timestamp: ts,
        tags: [...base, "reason:malformed"],
      },
      {
        metric: "phantom.windows.opened",
        type: "count",
        value: 1,
        timestamp: ts,
        tags: ["stack:payments-prod", ...base],
      },
    ]);
  });

  it("still reports a quiet interval: received 0", () => {
    expect(intakePoints({ at: 60_000, received: 0 })).toEqual([
      { metric: METRICS.eventsReceived.metric, type: "count", value: 0, timestamp: 60, tags: [] },
    ]);
  });
});

describe("tags, severity and reaction time", () => {
  it("normalises tags the way Datadog stores them", () => {
    expect(tag("Stack", "Payments Prod (EU)")).toBe("stack:payments_prod__eu_");
    expect(tag("model", "us.anthropic.claude-3-7:0")).toBe("model:us.anthropic.claude-3-7:0");
    expect(tag("stack", "x".repeat(300))).toHaveLength(200);
  });

  it("takes the report's severity, else the worst change's", () => {
    expect(windowSeverity(SAMPLE_REPORT)).toBe("critical");
    expect(windowSeverity({ changes: [{ severity: "medium" }, { severity: "high" }] })).toBe("high");
    expect(windowSeverity({ changes: [] })).toBeUndefined();
  });

  it("measures reaction from the first console event, else from the first event", () => {
    const pr = Date.parse("2026-03-14T03:12:15Z");

    expect(reactionSeconds(SAMPLE_REPORT, pr)).toBe(425);
    expect(reactionSeconds({ ...SAMPLE_REPORT, changes: [] }, pr)).toBe(464);
    expect(reactionSeconds(SAMPLE_REPORT, Date.parse("2026-03-14T03:00:00Z"))).toBeUndefined();
  });
});

describe("analysisEvent", () => {
  it("titles the window, links the pull request, tags it and aggregates by stack", () => {
    const event = analysisEvent(SAMPLE_REPORT, {
      ...EXTRAS,
      prUrl: "https://github.com/acme/payments-infra/pull/42",
    });

    expect(event.title).toBe("Phantom drift analysed: payments-prod — 4 changes (critical)");
    expect(event.text.startsWith("%%% \n")).toBe(true);
    expect(event.text.endsWith("\n %%%")).toBe(true);
    expect(event.text).toContain(
      "[https://github.com/acme/payments-infra/pull/42](https://github.com/acme/payments-infra/pull/42)",
    );
    expect(event.text).toContain("**Decisions:** 2 revert, 1 legitimize, 1 refactor");
    expect(event.text).toContain("**Cost delta:** +$1,200.5/month");
    expect(event.tags).toEqual(["service:phantom", ...B, "severity:critical"]);
    expect(event.aggregationKey).toBe("payments-prod");
    expect(event.alertType).toBe("error");
    expect(event.dateHappened).toBe(SETTLED);
  });

  it("says unrated and no pull request before any analysis, singular for one change", () => {
    const one = { ...unanalysed(), changes: unanalysed().changes.slice(0, 1) };

    const event = analysisEvent(one);

    expect(event.title).toBe("Phantom drift analysed: payments-prod — 1 change (unrated)");
    expect(event.text).toContain("No pull request.");
    expect(event.alertType).toBe("info");
  });
});

describe("replay's metrics.jsonl", () => {
  let out = "";
  beforeAll(async () => {
    out = await mkdtemp(path.join(tmpdir(), "phantom-metrics-"));
  });
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  const line = z.strictObject({
    metric: z.string().regex(/^phantom\./),
    type: z.enum(["count", "gauge"]),
    value: z.number(),
    timestamp: z.number().int(),
    tags: z.array(z.string().regex(/^[a-z][a-z0-9_\-./]*:[a-z0-9_\-./:]+$/)),
  });

  it("writes one point per line in the contract's shape, the same series the adapter sends", async () => {
    // A real analysed window (the 3 AM incident's golden analysis.json): the sink also renders its PR.
    const golden = new URL(
      "../../fixtures/scenarios/payments-3am-incident/golden/payments-prod/payments-prod-w1/analysis.json",
      import.meta.url,
    );
    const report = JSON.parse(await readFile(golden, "utf8")) as WindowReport;
    const points = windowPoints(report, { reactionSeconds: 312.4 });
    await writeReaction(out, { report, publication: { kind: "in-sync" }, points, failed: [] });

    const text = await readFile(path.join(out, "payments-prod", "payments-prod-w1", "metrics.jsonl"), "utf8");

    const lines = text.trimEnd().split("\n");
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const point of parsed) {
      expect(line.safeParse(point).success, JSON.stringify(point)).toBe(true);
      expect(Object.keys(point)).toEqual(["metric", "type", "value", "timestamp", "tags"]);
    }
    expect(text.endsWith("\n")).toBe(true);
    expect(parsed).toEqual(points);
    expect(parsed.map((p) => p.metric)).toContain("phantom.reconciliation.cost_delta");
  });
});
