import type { SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { DEFAULT_WINDOW_POLICY } from "../../core/window/types.ts";
import { processChanges } from "../../functions/on-change.ts";
import { processSettles } from "../../functions/on-settle.ts";
import {
  type Armed,
  buildRuntime,
  capturingSink,
  type Harness,
  loadSqsFixture,
  receivedAt,
  redeliver,
  retryOf,
  SETTLE_QUEUE_ARN,
  settleEvent,
  sqsEvent,
  VISIBILITY_TIMEOUT_MS,
  withSink,
} from "./support.ts";

const batch1 = loadSqsFixture("payments-incident-batch-1");
const batch2 = loadSqsFixture("payments-incident-batch-2");
const T1 = receivedAt(batch1);
const T2 = receivedAt(batch2);
const { quietMs, leaseMs } = DEFAULT_WINDOW_POLICY;
const WINDOW = {
  account: "111122223333",
  region: "us-east-1",
  stack: "payments-prod",
  windowId: "payments-prod-w1",
};

/** The last reminder the timer armed, delivered by the settle queue when it is due. */
function deliver(h: Harness, reminder: Armed | undefined = h.armed.at(-1)): SQSEvent {
  if (reminder === undefined) throw new Error("no reminder armed");
  h.clock.advance(reminder.at);
  return settleEvent(reminder.message, { sentAt: T1, receivedAt: reminder.at });
}

/** on-change has taken both batches of the incident: one open window, quiet from T2 on. */
async function afterIncident(): Promise<Harness> {
  const h = await buildRuntime({ start: T1 });
  await processChanges(batch1, h.runtime);
  h.clock.advance(T2);
  await processChanges(batch2, h.runtime);
  return h;
}

/** on-change has taken batch 1 only: the window is due one quiet period after T1. */
async function afterBatch1(): Promise<Harness> {
  const h = await buildRuntime({ start: T1 });
  await processChanges(batch1, h.runtime);
  return h;
}

describe("processSettles", () => {
  it("gets the reminder on-change armed, as the settle queue delivers it", async () => {
    const h = await afterBatch1();
    const fixture = loadSqsFixture("settle-reminder");

    expect(h.armed).toEqual([{ message: WINDOW, at: T1 + quietMs }]);
    expect(fixture.Records[0]?.body).toBe(JSON.stringify(h.armed[0]?.message));
    expect(fixture.Records[0]?.eventSourceARN).toBe(SETTLE_QUEUE_ARN);
  });

  it("re-arms for the remainder when the window was touched since the reminder was armed", async () => {
    const h = await afterIncident();
    const fixture = loadSqsFixture("settle-reminder");
    h.clock.advance(receivedAt(fixture));
    const { sink, reports } = capturingSink();

    const response = await processSettles(fixture, withSink(h.runtime, sink));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.armed.at(-1)).toEqual({ message: WINDOW, at: T2 + quietMs });
    expect(h.armed).toHaveLength(2);
    expect(h.logs("window rearmed")).toEqual([
      expect.objectContaining({
        level: "info",
        stack: "payments-prod",
        window: "payments-prod-w1",
        at: new Date(T2 + quietMs).toISOString(),
        why: "not-quiet",
      }),
    ]);
    expect(reports).toEqual([]);
    expect(
      (
        await h.windows.get(
          { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
          "payments-prod-w1",
        )
      )?.status,
    ).toBe("open");
  });

  it("settles a quiet window: one report of its touched resources and the recorded drift, and the window is done", async () => {
    const h = await afterIncident();
    await processSettles(loadSqsFixture("settle-reminder"), withSink(h.runtime, capturingSink().sink));
    const { sink, reports } = capturingSink();

    const response = await processSettles(deliver(h), withSink(h.runtime, sink));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(reports).toHaveLength(1);
    const [report] = reports;
    const touched = ["AppSecurityGroup", "AppServer", "PaymentsDatabase"];
    const recorded = await h.account.drift.detect("payments-prod", touched);
    expect(report?.stack).toBe("payments-prod");
    expect(report?.window).toMatchObject({
      id: "payments-prod-w1",
      touched,
      events: 5,
      openedAt: new Date(T1).toISOString(),
      settledAt: new Date(T2 + quietMs).toISOString(),
      settledBy: "quiet",
    });
    expect(report?.detection).toEqual({ resourcesChecked: 3, calls: 3, unverified: [] });
    expect(report?.resources.map((r) => [r.logicalId, r.status, r.differences])).toEqual(
      recorded.resources.map((d) => [d.logicalId, d.status, d.differences.length]),
    );
    expect(report?.changes.map((c) => `${c.logicalId}${c.propertyPath}`)).toEqual(
      recorded.resources.flatMap((d) => d.differences.map((diff) => `${d.logicalId}${diff.path}`)),
    );
    expect(report?.changes.length).toBeGreaterThan(0);
    expect(
      await h.windows.get(
        { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
        "payments-prod-w1",
      ),
    ).toMatchObject({
      status: "done",
      completedAt: T2 + quietMs,
    });
    expect(h.logs("window analysed")).toEqual([
      expect.objectContaining({ level: "info", stack: "payments-prod", window: "payments-prod-w1" }),
    ]);
  });

  it("logs what the reaction found, decided and published as one 'window analysed' line", async () => {
    const h = await afterBatch1();

    await processSettles(deliver(h), h.runtime);

    expect(h.logs("window analysed")).toEqual([
      expect.objectContaining({
        level: "info",
        stack: "payments-prod",
        window: "payments-prod-w1",
        events: 3,
        touched: ["AppSecurityGroup", "AppServer", "PaymentsDatabase"],
        changes: 8,
        severity: "critical",
        unverified: 0,
        calls: 3,
        template: { path: "stacks/payments-prod.yaml", origin: "repository" },
        pullRequest: { outcome: "created", url: "payments-prod/payments-prod-w1/pull-request.md" },
      }),
    ]);
  });

  it("skips a second delivery of the same reminder once the window is done", async () => {
    const h = await afterBatch1();
    const reminder = deliver(h);
    const { sink, reports } = capturingSink();
    await processSettles(reminder, withSink(h.runtime, sink));
    h.clock.advance(T1 + quietMs + 5_000);

    const response = await processSettles(redeliver(reminder), withSink(h.runtime, sink));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(reports).toHaveLength(1);
    expect(h.armed).toHaveLength(1);
    expect(h.logs("window skipped")).toEqual([
      expect.objectContaining({ stack: "payments-prod", window: "payments-prod-w1", why: "done" }),
    ]);
  });

  it("skips the duplicate reminder a redelivered first event armed", async () => {
    const h = await afterBatch1();
    await processChanges(redeliver(batch1), h.runtime);
    const [first, duplicate] = h.armed;
    const { sink, reports } = capturingSink();

    await processSettles(deliver(h, first), withSink(h.runtime, sink));
    await processSettles(deliver(h, duplicate), withSink(h.runtime, sink));

    expect(reports).toHaveLength(1);
    expect(h.logs("window skipped")).toEqual([
      expect.objectContaining({ window: "payments-prod-w1", why: "done" }),
    ]);
  });

  it("skips a reminder for a window that does not exist", async () => {
    const h = await buildRuntime({ start: T1 });

    const response = await processSettles(
      settleEvent({
        account: "111122223333",
        region: "us-east-1",
        stack: "payments-prod",
        windowId: "payments-prod-w9",
      }),
      h.runtime,
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.logs("window skipped")).toEqual([expect.objectContaining({ why: "missing" })]);
  });

  it.each([
    ["a reminder in an unknown shape", loadSqsFixture("settle-malformed")],
    ["a body that is not JSON", sqsEvent(['{"stack":"payments-prod",'], { queueArn: SETTLE_QUEUE_ARN })],
    ["JSON null", sqsEvent(["null"], { queueArn: SETTLE_QUEUE_ARN })],
    [
      "an empty window id",
      sqsEvent([{ account: "111122223333", region: "us-east-1", stack: "payments-prod", windowId: "" }], {
        queueArn: SETTLE_QUEUE_ARN,
      }),
    ],
  ])("logs %s as rejected and drops it, without failing it", async (_, event) => {
    const h = await afterBatch1();
    h.clock.advance(T1 + quietMs);
    const { sink, reports } = capturingSink();

    const response = await processSettles(event, withSink(h.runtime, sink));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.logs("settle message rejected")).toEqual([
      expect.objectContaining({
        level: "warn",
        messageId: event.Records[0]?.messageId,
        reason: expect.stringMatching(
          /^malformed: expected \{"account", "region", "stack", "windowId", "reviewAt"\?\}, got /,
        ),
      }),
    ]);
    expect(reports).toEqual([]);
    expect(h.armed).toHaveLength(1);
    expect(
      (
        await h.windows.get(
          { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
          "payments-prod-w1",
        )
      )?.status,
    ).toBe("open");
  });

  it("fails only the reminder whose report could not be published, and settles it exactly once when redelivered after the lease", async () => {
    const h = await afterBatch1();
    const due = deliver(h);
    const event = {
      Records: [
        ...sqsEvent([{ stack: "payments-prod" }], { queueArn: SETTLE_QUEUE_ARN }).Records,
        ...due.Records,
      ],
    };
    const reminder = due.Records[0]?.messageId;
    const publisher = capturingSink(1);

    const response = await processSettles(event, withSink(h.runtime, publisher.sink));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: reminder }] });
    expect(h.logs("settle failed; message will be retried")).toEqual([
      expect.objectContaining({
        level: "error",
        messageId: reminder,
        error: "Error: EventBridge PutEvents: 500 InternalFailure",
      }),
    ]);
    expect(
      await h.windows.get(
        { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
        "payments-prod-w1",
      ),
    ).toMatchObject({
      status: "claimed",
      claim: { owner: `on-settle:${reminder}`, until: T1 + quietMs + leaseMs, attempts: 1 },
    });
    expect(publisher.reports).toEqual([]);
    expect(h.logs("reaction failed")).toEqual([
      expect.objectContaining({ stack: "payments-prod", window: "payments-prod-w1", target: "reaction" }),
    ]);
    expect(h.points.filter((p) => p.metric === "phantom.publish.failed").map((p) => p.tags)).toEqual([
      ["stack:payments-prod", "account:111122223333", "region:us-east-1", "target:reaction"],
    ]);

    // SQS redelivers the failed message once its visibility timeout (6 min) is over: past the 5 min lease.
    h.clock.advance(T1 + quietMs + VISIBILITY_TIMEOUT_MS);
    const retried = await processSettles(retryOf(event, response), withSink(h.runtime, publisher.sink));
    h.clock.advance(T1 + quietMs + 2 * VISIBILITY_TIMEOUT_MS);
    const again = await processSettles(redeliver(due), withSink(h.runtime, publisher.sink));

    expect(retried).toEqual({ batchItemFailures: [] });
    expect(again).toEqual({ batchItemFailures: [] });
    expect(publisher.attempts()).toBe(2);
    expect(publisher.reports.map((r) => r.window.id)).toEqual(["payments-prod-w1"]);
    expect(
      await h.windows.get(
        { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
        "payments-prod-w1",
      ),
    ).toMatchObject({
      status: "done",
      claim: { attempts: 2 },
    });
    expect(h.logs("window analysed")).toHaveLength(1);
    expect(h.logs("window skipped")).toEqual([expect.objectContaining({ why: "done" })]);
  });

  // Re-armed just after the lease ends (a lease holds while until >= now).
  it("re-arms for the end of the lease when a failed reminder comes back while its claim is still held", async () => {
    const h = await afterBatch1();
    const due = deliver(h);
    const publisher = capturingSink(1);
    const failed = await processSettles(due, withSink(h.runtime, publisher.sink));
    h.clock.advance(T1 + quietMs + 60_000);

    const early = await processSettles(retryOf(due, failed), withSink(h.runtime, publisher.sink));

    expect(early).toEqual({ batchItemFailures: [] });
    expect(h.logs("window rearmed")).toEqual([
      expect.objectContaining({ why: "claim-held", at: new Date(T1 + quietMs + leaseMs + 1).toISOString() }),
    ]);
    expect(h.armed.at(-1)).toEqual({ message: WINDOW, at: T1 + quietMs + leaseMs + 1 });

    // SQS delivers a delayed message some time after its delay; a second late suffices here.
    const rearmed = h.armed.at(-1) as Armed;
    const late = await processSettles(
      deliver(h, { ...rearmed, at: rearmed.at + 1_000 }),
      withSink(h.runtime, publisher.sink),
    );

    expect(late).toEqual({ batchItemFailures: [] });
    expect(publisher.reports).toHaveLength(1);
    expect(
      (
        await h.windows.get(
          { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
          "payments-prod-w1",
        )
      )?.status,
    ).toBe("done");
  });

  // Regression: found by the handler tests, fixed in the same change.
  it("settles the window when the reminder re-armed for the end of the lease fires at that time", async () => {
    const h = await afterBatch1();
    const due = deliver(h);
    const publisher = capturingSink(1);
    const failed = await processSettles(due, withSink(h.runtime, publisher.sink));
    h.clock.advance(T1 + quietMs + 60_000);
    await processSettles(retryOf(due, failed), withSink(h.runtime, publisher.sink));

    await processSettles(deliver(h), withSink(h.runtime, publisher.sink));

    expect(publisher.reports).toHaveLength(1);
    expect(h.logs("window rearmed")).toHaveLength(1);
  });

  // Regression: found by the handler tests, fixed in the same change.
  it("does not drop a reminder for a window whose every claim failed: it fails, so SQS moves it to the DLQ", async () => {
    const h = await afterBatch1();
    const due = deliver(h);
    const publisher = capturingSink(Number.POSITIVE_INFINITY);
    const reminder = due.Records[0]?.messageId;
    await processSettles(due, withSink(h.runtime, publisher.sink));
    h.clock.advance(T1 + quietMs + VISIBILITY_TIMEOUT_MS);
    await processSettles(redeliver(due), withSink(h.runtime, publisher.sink));
    h.clock.advance(T1 + quietMs + 2 * VISIBILITY_TIMEOUT_MS);

    const third = await processSettles(redeliver(redeliver(due)), withSink(h.runtime, publisher.sink));

    expect(publisher.attempts()).toBe(DEFAULT_WINDOW_POLICY.maxAttempts);
    expect(third).toEqual({ batchItemFailures: [{ itemIdentifier: reminder }] });
  });
});
