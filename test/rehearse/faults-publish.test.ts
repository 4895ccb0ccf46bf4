import { describe, expect, it } from "vitest";
import {
  absorbedFaults,
  eventKeys,
  expectConverged,
  expectDeadLettered,
  expectInjected,
  expectNothingTwice,
  rehearseWith,
  settledPoints,
} from "./fault-matrix.ts";

/**
 * Fault matrix, what the reaction publishes and asks (issue 15): Bedrock, EventBridge, GitHub and
 * Datadog, every fault kind, against the 3 AM capture; then outages no retry outlasts. A Datadog or
 * EventBridge outage never blocks or duplicates the pull request.
 */

const TARGETS = [
  "bedrock-runtime.Converse",
  "eventbridge.PutEvents",
  "github.pulls/create",
  "github.git/create-commit",
  "datadog.SubmitMetrics",
  "datadog.QueryMetrics",
] as const;

const cases = absorbedFaults(TARGETS);

describe("the 3 AM capture under faults the retries absorb", () => {
  it.each(cases)(
    "%s: one PR, one commit, one event per reaction, no lost window",
    async (spec) => {
      const report = await rehearseWith([spec]);
      expectInjected(report, spec);
      expectConverged(report);
      // Datadog's retries carried every reaction's figures through: none lost, none twice.
      expect(settledPoints(report)).toBe(report.events.length);
    },
    60_000,
  );
});

describe("outages no retry outlasts", () => {
  it("EventBridge down: the PR goes out once, the settle message reaches the DLQ", async () => {
    const report = await rehearseWith(["eventbridge.*:5xx"]);
    expectInjected(report, "eventbridge.*:5xx");
    expectDeadLettered(report);
    expect(report.pullRequests).toHaveLength(1);
    expect(report.pullRequests[0]?.updates, "the retries pushed the PR again").toBe(0);
    expect(report.events).toEqual([]);
    expect(report.dlq).toEqual({ changes: 0, settle: 1 });
    // The retries did not ask GitHub to open or push anything again (the window's checkpoint).
    expect(report.calls["github.pulls/create"]).toBe(1);
    expect(report.calls["github.git/create-commit"]).toBe(1);
  }, 60_000);

  it("Datadog down: the PR and the event go out once, the window completes", async () => {
    const report = await rehearseWith(["datadog.*:5xx"]);
    expectInjected(report, "datadog.*:5xx");
    expectNothingTwice(report);
    expect(report.pullRequests).toHaveLength(1);
    expect(report.unfinished).toEqual([]);
    expect(report.dlq).toEqual({ changes: 0, settle: 0 });
    expect(eventKeys(report).filter((e) => !e.endsWith(" review"))).toHaveLength(1);
    expect(report.metrics).toEqual([]);
  }, 60_000);

  it("GitHub down: no PR, the settle message reaches the DLQ, no event claims a PR", async () => {
    const report = await rehearseWith(["github.*:5xx"]);
    expectInjected(report, "github.*:5xx");
    expectDeadLettered(report);
    expect(report.pullRequests).toEqual([]);
    expect(report.events).toEqual([]);
  }, 60_000);
});
