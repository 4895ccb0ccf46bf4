import { describe, expect, it } from "vitest";
import { metricKey, SIZING_METRICS } from "../../core/analysis/evidence.ts";
import { judgeChange, MEMORY_TARGET, TARGET_UTILISATION } from "../../core/analysis/rules.ts";
import { maxConnections, memoryGiB, parseClass } from "../../core/analysis/sizing.ts";
import type { ContextChange } from "../../core/analysis/types.ts";
import { METRIC_CATALOG } from "../../core/signals/catalog.ts";
import type { MetricSignal } from "../../core/signals/types.ts";
import { change, context, dbClassChange, dbCpuMetric, dbCpuMonitor, signals } from "./support.ts";

/**
 * Sizing on more than CPU (issue 12): where memory binds (RDS freeable memory and connections,
 * ElastiCache memory used, Lambda duration against its timeout), the proposal is sized on it and
 * the reasoning says which metric bound it.
 */

function judgeWith(target: ContextChange, metrics: MetricSignal[]) {
  return judgeChange(
    target,
    context([target], { signals: signals({ monitors: [dbCpuMonitor()], metrics }) }),
  );
}

describe("sizing on memory and connections", () => {
  it("keeps a 4xlarge whose freeable memory binds though CPU alone would revert", () => {
    // db.r5.4xlarge: 128 GiB; 40 GiB free ► 88 GiB used: the 2xlarge (64 GiB) would be 138 % used.
    const scaleUp = dbClassChange("db.r5.large", "db.r5.4xlarge");
    const cpuOnly = judgeWith(scaleUp, [dbCpuMetric({ after: 5 })]);
    expect(cpuOnly.decision).toBe("revert");

    const rec = judgeWith(scaleUp, [
      dbCpuMetric({ after: 5 }),
      dbCpuMetric({ metric: "aws.rds.freeable_memory", unit: "byte", after: 40 * 1024 ** 3 }),
    ]);

    expect(rec.decision).toBe("legitimize");
    expect(rec.reasoning).toBe(
      "post-incident freeable memory 40.0 GiB of 128 GiB (69 % used) on 8× the template's capacity; " +
        `no smaller class stays under ${MEMORY_TARGET} % ► keep 4xlarge (+$1,278/month). ` +
        "freeable memory bound the size; CPU 5.0 % projects to 5 % (target 60 %).",
    );
  });

  it("refactors to the class whose default max_connections holds the connections", () => {
    // 2,000 connections: large (16 GiB) allows 1,365, xlarge (32 GiB) 2,730 ► 73 %.
    expect(maxConnections(16)).toBe(1365);
    expect(maxConnections(32)).toBe(2730);
    const scaleUp = dbClassChange("db.r5.large", "db.r5.4xlarge");

    const rec = judgeWith(scaleUp, [
      dbCpuMetric({ after: 5 }),
      dbCpuMetric({ metric: "DatabaseConnections", unit: "connection", after: 2000 }),
    ]);

    expect(rec).toMatchObject({ decision: "refactor", proposed: "db.r5.xlarge" });
    expect(rec.reasoning).toContain(
      "post-incident 2000 connections of 10922 allowed on 8× the template's capacity",
    );
    expect(rec.reasoning).toContain("db.r5.xlarge projects to 73 %");
    expect(rec.reasoning).toContain("connections bound the size; CPU 5.0 % projects to 20 % (target 60 %).");
  });

  it("keeps an ElastiCache node type whose memory used binds", () => {
    // cache.r6g.large ► 2xlarge (4×): engine CPU 10 % (large 40 %), memory 50 % used (large 200 %, xlarge 100 %).
    const scaleUp = change({
      logicalId: "SessionCache",
      physicalId: "sessions-prod",
      resourceType: "AWS::ElastiCache::ReplicationGroup",
      propertyPath: "/CacheNodeType",
      expected: "cache.r6g.large",
      actual: "cache.r6g.2xlarge",
    });

    const rec = judgeWith(scaleUp, [
      {
        resource: "replication_group:sessions-prod",
        metric: "aws.elasticache.engine_cpuutilization",
        after: 10,
      },
      {
        resource: "replication_group:sessions-prod",
        metric: "aws.elasticache.database_memory_usage_percentage",
        after: 50,
      },
    ]);

    expect(rec.decision).toBe("legitimize");
    expect(rec.reasoning).toContain("post-incident memory 50.0 % used on 4× the template's capacity");
    expect(rec.reasoning).toContain("memory bound the size; CPU 10.0 % projects to 10 % (target 60 %).");
  });

  it("still names CPU alone when only CPU was measured", () => {
    const rec = judgeWith(dbClassChange(), [dbCpuMetric({ after: 28.6 })]);

    expect(rec.reasoning).toContain("post-incident CPU 28.6 %");
    expect(rec.reasoning).not.toContain("bound the size");
  });

  it("reads memory per class from the family: r 8 GiB per xlarge, m half, c a quarter", () => {
    const gib = (cls: string) => memoryGiB(parseClass(cls) ?? { family: "", size: "", units: 0 });
    expect([gib("db.r5.large"), gib("db.m5.xlarge"), gib("c5.2xlarge"), gib("cache.r6g.large")]).toEqual([
      16, 16, 16, 16,
    ]);
    expect(gib("db.q9.large")).toBeUndefined();
  });
});

describe("a Lambda timeout judged on duration", () => {
  const timeout = (actual: number) =>
    change({
      logicalId: "ThumbnailFunction",
      physicalId: "image-resizer-thumbnail",
      resourceType: "AWS::Lambda::Function",
      propertyPath: "/Timeout",
      expected: 10,
      actual,
    });

  it("keeps a raise when the p99 duration reached the template's timeout", () => {
    const rec = judgeWith(timeout(30), [
      {
        resource: "functionname:image-resizer-thumbnail",
        metric: "aws.lambda.duration",
        before: 9950,
        during: 10000,
        after: 5900,
      },
    ]);

    expect(rec).toMatchObject({ decision: "legitimize", severity: "low" });
    expect(rec.reasoning).toBe(
      "ThumbnailFunction: Timeout raised 10 ► 30 s; aws.lambda.duration reached 10.0 s (during), 100 % of the " +
        "template's 10 s timeout: duration bound the timeout, so keep 30 s.",
    );
  });

  it("reverts a raise the duration never needed", () => {
    const rec = judgeWith(timeout(30), [
      {
        resource: "ThumbnailFunction",
        metric: "aws.lambda.duration",
        before: 1200,
        during: 2100,
        after: 900,
      },
    ]);

    expect(rec.decision).toBe("revert");
    expect(rec.reasoning).toContain(
      "aws.lambda.duration reached 2.1 s (during), 21 % of the template's 10 s timeout",
    );
  });
});

describe("the metrics the rules read are the ones the Datadog adapter queries", () => {
  it("catalogues every sizing metric, so rehearse and replay see the same evidence", () => {
    const catalogued = new Set(Object.values(METRIC_CATALOG).flatMap((e) => e.metrics.map((m) => m.metric)));
    for (const [key, metric] of Object.entries(SIZING_METRICS)) {
      expect(catalogued, metric).toContain(metric);
      expect(metricKey(metric)).toBe(key);
    }
  });

  it("reads Datadog's and CloudWatch's spellings of a metric alike", () => {
    expect(metricKey("aws.rds.freeable_memory")).toBe(metricKey("FreeableMemory"));
    // A statistic the adapter never queries is not the catalogued series: replay must not read it.
    expect(metricKey("aws.lambda.duration.p99")).not.toBe("duration");
    expect(metricKey("aws.lambda.duration")).toBe("duration");
    expect(TARGET_UTILISATION).toBe(60);
  });
});

describe("a Lambda timeout with only the figures before the incident", () => {
  it("does not revert a raise on the hour before alone: the incident's runs are not measured yet", () => {
    const raised = change({
      logicalId: "ThumbnailFunction",
      resourceType: "AWS::Lambda::Function",
      propertyPath: "/Timeout",
      expected: 10,
      actual: 30,
    });

    const rec = judgeWith(raised, [
      { resource: "ThumbnailFunction", metric: "aws.lambda.duration", before: 3400 },
    ]);

    expect(rec.decision).toBe("legitimize");
    expect(rec.reasoning).not.toContain("nothing needed the raise");
  });
});
