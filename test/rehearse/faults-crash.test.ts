import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CHANGE_STEPS, SETTLE_STEPS } from "../../core/reactor/steps.ts";
import { DLQ_RETRY } from "../../functions/infra/app.ts";
import {
  eventKeys,
  expectConverged,
  expectDeadLettered,
  expectInjected,
  rehearseWith,
  settledPoints,
} from "./fault-matrix.ts";

/**
 * Crash matrix (issue 15): on-settle and on-change die right after each of their steps, as a Lambda
 * that times out or loses its container: the invocation gives no answer, SQS redelivers its messages
 * after the visibility timeout, the window's claim lease runs out, and the retry must converge on the
 * 3 AM capture: one PR, one commit, each reaction's event once, no lost window. A crash that comes
 * back more often than the retries allow ends in the DLQ, which the DLQ monitor watches.
 */

describe("a handler dying once right after a step", () => {
  it.each(SETTLE_STEPS.map((step) => `crash:on-settle:${step}:1`))(
    "%s: the retry converges",
    async (spec) => {
      const report = await rehearseWith([spec]);
      expectInjected(report, spec);
      expect(report.aborted).toBe(1);
      expectConverged(report);
      // No Datadog fault here: every reaction's figures arrived, once.
      expect(settledPoints(report)).toBe(report.events.length);
    },
    60_000,
  );

  it.each(CHANGE_STEPS.map((step) => `crash:on-change:${step}:1`))(
    "%s: the batch comes back inside the quiet period and joins its burst's one window",
    async (spec) => {
      const report = await rehearseWith([spec]);
      expectInjected(report, spec);
      expect(report.aborted).toBe(1);
      // on-change hastens its messages' redelivery (sqs-redelivery.ts): back in 75 s, not 6 minutes,
      // so a change held by the dead invocation is not left to open a second window after the first settled.
      expectConverged(report);
    },
    60_000,
  );

  it("crash:on-settle:complete: the window's review, armed before it was completed, still runs", async () => {
    const report = await rehearseWith(["crash:on-settle:complete:1"]);
    // The 3 AM capture's monitors still alert at settle time: its review an hour later is due.
    expect(eventKeys(report).filter((e) => e.endsWith(" review"))).toHaveLength(1);
    expect(report.pullRequests[0]?.updates).toBe(1);
  }, 60_000);

  it("--fault repeats: on-change dies after arming the timer and on-settle after the event, and it still converges", async () => {
    const specs = ["crash:on-change:timer:1", "crash:on-settle:event:1"];
    const report = await rehearseWith(specs);
    for (const spec of specs) expectInjected(report, spec);
    expect(report.aborted).toBe(2);
    expectConverged(report);
  }, 60_000);
});

describe("a crash no retry outlasts", () => {
  it(`crash:on-settle:analysis more often than the settle queue's ${DLQ_RETRY} receives: the settle DLQ`, async () => {
    const spec = `crash:on-settle:analysis:${DLQ_RETRY + 1}`;
    const report = await rehearseWith([spec]);
    expectInjected(report, spec);
    expectDeadLettered(report);
    expect(report.dlq.settle).toBe(1);
    expect(report.pullRequests).toEqual([]);
    expect(report.events).toEqual([]);
  }, 60_000);

  it("crash:on-settle:event on every claim: the event is put once, the settle message ends in the DLQ", async () => {
    const report = await rehearseWith(["crash:on-settle:event"]);
    expectDeadLettered(report);
    expect(report.dlq.settle).toBe(1);
    expect(report.pullRequests).toHaveLength(1);
    expect(eventKeys(report)).toHaveLength(1);
  }, 60_000);

  it("crash:on-change:touch every time: the changes DLQ keeps the changes, no window settles", async () => {
    const report = await rehearseWith(["crash:on-change:touch"]);
    expectInjected(report, "crash:on-change:touch");
    expectDeadLettered(report);
    expect(report.dlq.settle).toBe(0);
    expect(report.dlq.changes).toBeGreaterThan(0);
    expect(report.windows).toEqual([]);
    expect(eventKeys(report)).toEqual([]);
  }, 60_000);
});

describe("the DLQ monitor", () => {
  it("covers the DLQs the faults land in (and the sweep's)", async () => {
    const monitors = JSON.parse(
      await readFile(new URL("../../functions/observability/monitors.json", import.meta.url), "utf8"),
    ) as { name: string; query: string }[];
    const dlq = monitors.find((m) => /dead-letter/i.test(m.name));
    expect(dlq, "a dead-letter monitor").toBeDefined();
    // Datadog's `queuename` tag is the queue's name in lower case; SST names a queue after its component.
    const patterns = [...(dlq?.query ?? "").matchAll(/queuename:([^\s}]+)/g)].map(
      (m) => new RegExp(`^${(m[1] ?? "").replaceAll("*", ".*")}$`),
    );
    for (const queue of ["ChangesDlq", "SettleDlq", "SweepDlq"]) {
      const name = `phantom-production-${queue}Queue-a1b2c3d`.toLowerCase();
      expect(
        patterns.some((p) => p.test(name)),
        `${queue} is not watched by ${dlq?.query}`,
      ).toBe(true);
    }
  });
});
