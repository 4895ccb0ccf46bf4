import { describe, expect, it } from "vitest";
import { processChanges } from "../../functions/on-change.ts";
import type { Runtime } from "../../functions/runtime.ts";
import {
  bodies,
  buildRuntime,
  failingDirectory,
  loadSqsFixture,
  receivedAt,
  redeliver,
  retryOf,
  SQS_FIXTURE_NAMES,
  sqsEvent,
} from "./support.ts";

const batch1 = loadSqsFixture("payments-incident-batch-1");
const batch2 = loadSqsFixture("payments-incident-batch-2");
const T1 = receivedAt(batch1);
const T2 = receivedAt(batch2);
const QUIET = 120_000;

/** The message of `event` whose EventBridge body has this CloudTrail eventName (the first one). */
function messageOf(event: typeof batch1, eventName: string): string {
  const index = bodies(event).findIndex(
    (b) => (b as { detail?: { eventName?: string } }).detail?.eventName === eventName,
  );
  const record = event.Records[index];
  if (record === undefined) throw new Error(`no ${eventName} in the batch`);
  return record.messageId;
}

describe("SQS event fixtures", () => {
  it.each(SQS_FIXTURE_NAMES)("%s is an SQS event as Lambda delivers it", (name) => {
    const event = loadSqsFixture(name);

    expect(event.Records.length).toBeGreaterThan(0);
    expect(new Set(event.Records.map((r) => r.messageId)).size).toBe(event.Records.length);
  });

  it("batch 2 arrives inside batch 1's quiet period", () => {
    expect(T2 - T1).toBeGreaterThan(0);
    expect(T2 - T1).toBeLessThan(QUIET);
  });
});

describe("processChanges", () => {
  it("opens one window for the incident's batch and arms one settle timer a quiet period later", async () => {
    const h = await buildRuntime({ start: T1 });

    const response = await processChanges(batch1, h.runtime);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.armed).toEqual([
      {
        message: {
          account: "111122223333",
          region: "us-east-1",
          stack: "payments-prod",
          windowId: "payments-prod-w1",
        },
        at: T1 + QUIET,
      },
    ]);
    const window = await h.windows.get(
      { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
      "payments-prod-w1",
    );
    expect(window).toMatchObject({ status: "open", openedAt: T1, lastTouchedAt: T1 });
    expect(window?.touched).toEqual(["AppSecurityGroup", "AppServer", "PaymentsDatabase"]);
    expect(window?.events.map((e) => e.eventName)).toEqual([
      "ModifyDBInstance",
      "AuthorizeSecurityGroupIngress",
      "ModifyInstanceAttribute",
    ]);
  });

  it("adds the next batch to the same window without arming another timer", async () => {
    const h = await buildRuntime({ start: T1 });
    await processChanges(batch1, h.runtime);
    h.clock.advance(T2);

    const response = await processChanges(batch2, h.runtime);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.armed).toHaveLength(1);
    expect(
      await h.windows.get(
        { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
        "payments-prod-w2",
      ),
    ).toBeUndefined();
    const window = await h.windows.get(
      { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
      "payments-prod-w1",
    );
    expect(window).toMatchObject({ status: "open", openedAt: T1, lastTouchedAt: T2 });
    expect(window?.events.map((e) => e.eventName)).toEqual([
      "ModifyDBInstance",
      "AuthorizeSecurityGroupIngress",
      "ModifyInstanceAttribute",
      "DeleteTags",
      "CreateTags",
    ]);
  });

  it("logs every ignored event with its reason", async () => {
    const h = await buildRuntime({ start: T1 });
    await processChanges(batch1, h.runtime);
    await processChanges(batch2, h.runtime);

    const ignored = h.logs("event ignored").map((l) => ({
      level: l.level,
      eventName: l.eventName,
      reason: String(l.reason).split(":")[0],
    }));

    expect(ignored).toEqual([
      { level: "debug", eventName: "ConsoleLogin", reason: "not-an-api-call" },
      { level: "debug", eventName: "DescribeDBInstances", reason: "read-only" },
      { level: "debug", eventName: "StopInstances", reason: "operational" },
      { level: "debug", eventName: "StartInstances", reason: "operational" },
      { level: "debug", eventName: "ModifyDBInstance", reason: "failed-call" },
      { level: "debug", eventName: "RebootDBInstance", reason: "operational" },
      { level: "debug", eventName: "DescribeInstances", reason: "read-only" },
    ]);
    expect(h.logs("event ignored").find((l) => l.eventName === "ModifyDBInstance")).toMatchObject({
      eventID: "604961fc-d66c-4005-af7b-32d25c106fce",
      reason: "failed-call: the call failed with InvalidDBInstanceState",
    });
  });

  it("logs each change with its stack, window and eventID, and EventBridge's second copy as already in the window", async () => {
    const h = await buildRuntime({ start: T1 });
    await processChanges(batch1, h.runtime);
    await processChanges(batch2, h.runtime);

    const added = h
      .logs()
      .filter((l) => l.message === "event added to window" || l.message === "event already in a window");

    expect(added.map((l) => [l.message, l.eventName, l.eventID, l.stack, l.window, l.opened])).toEqual([
      [
        "event added to window",
        "ModifyDBInstance",
        "366aeeae-9662-4a9c-aef4-14fe1a0fb3ab",
        "payments-prod",
        "payments-prod-w1",
        true,
      ],
      [
        "event added to window",
        "AuthorizeSecurityGroupIngress",
        "747696c5-cf81-483a-ad45-e7c6d2cc6a8e",
        "payments-prod",
        "payments-prod-w1",
        false,
      ],
      [
        "event added to window",
        "ModifyInstanceAttribute",
        "a5ae8932-57f0-4e1d-a10c-33339c7fbfbe",
        "payments-prod",
        "payments-prod-w1",
        false,
      ],
      [
        "event already in a window",
        "AuthorizeSecurityGroupIngress",
        "747696c5-cf81-483a-ad45-e7c6d2cc6a8e",
        "payments-prod",
        "payments-prod-w1",
        false,
      ],
      [
        "event added to window",
        "DeleteTags",
        "92370ee1-3b5a-42bc-a80b-27c57898cad8",
        "payments-prod",
        "payments-prod-w1",
        false,
      ],
      [
        "event added to window",
        "CreateTags",
        "1ae212df-0b86-4f51-adf0-df9c34f08d97",
        "payments-prod",
        "payments-prod-w1",
        false,
      ],
    ]);
    expect(added[0]).toMatchObject({ level: "info", actor: "sam.rivera@example.com" });
  });

  it("writes one JSON object per line, with a fixed message and the data in fields", async () => {
    const h = await buildRuntime({ start: T1 });
    await processChanges(loadSqsFixture("bad-bodies"), h.runtime);
    await processChanges(batch1, h.runtime);
    await processChanges(loadSqsFixture("unmanaged-resource"), h.runtime);

    const messages = new Set(h.logs().map((l) => l.message));

    expect(h.lines.every((line) => line.endsWith("\n") && !line.slice(0, -1).includes("\n"))).toBe(true);
    expect(h.logs().every((l) => l.time === new Date(T1).toISOString())).toBe(true);
    expect([...messages].sort()).toEqual([
      "change on an unmanaged resource",
      "event added to window",
      "event already in a window",
      "event ignored",
      "event rejected",
    ]);
  });

  it("drops bodies that are not JSON, not CloudTrail or lack eventName as rejected, and processes the rest of the batch", async () => {
    const event = loadSqsFixture("bad-bodies");
    const h = await buildRuntime({ start: receivedAt(event) });
    const [notJson, , scheduled, noEventName] = event.Records;

    const response = await processChanges(event, h.runtime);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.logs("event rejected")).toEqual([
      expect.objectContaining({
        level: "warn",
        messageId: notJson?.messageId,
        reason: expect.stringMatching(/^malformed: message body is not JSON: /),
      }),
      expect.objectContaining({
        level: "warn",
        messageId: scheduled?.messageId,
        reason: 'malformed: an EventBridge event of detail-type "Scheduled Event", not a CloudTrail API call',
      }),
      expect.objectContaining({
        level: "warn",
        messageId: noEventName?.messageId,
        eventID: "a5ae8932-57f0-4e1d-a10c-33339c7fbfbe",
        reason: "missing-field: required field missing: eventName",
      }),
    ]);
    expect(h.logs("event added to window").map((l) => l.eventName)).toEqual([
      "ModifyDBInstance",
      "AuthorizeSecurityGroupIngress",
    ]);
    expect(h.armed).toHaveLength(1);
    const window = await h.windows.get(
      { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
      "payments-prod-w1",
    );
    expect(window?.touched).toEqual(["AppSecurityGroup", "PaymentsDatabase"]);
    // One flush for the invocation: what intake received, rejected (by reason) and opened.
    expect(h.points.map((p) => [p.metric, p.value, p.tags])).toEqual([
      ["phantom.events.received", 5, []],
      ["phantom.events.rejected", 2, ["reason:malformed"]],
      ["phantom.events.rejected", 1, ["reason:missing-field"]],
      ["phantom.windows.opened", 1, ["stack:payments-prod", "account:111122223333", "region:us-east-1"]],
    ]);
  });

  it("fails only the message whose stack lookup failed; its retry joins the same window", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    const h = await buildRuntime({
      start: T1,
      directory: (recorded) => failingDirectory(recorded, "payments-prod-db", throttled),
    });
    const modifyDb = messageOf(batch1, "ModifyDBInstance");

    const response = await processChanges(batch1, h.runtime);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: modifyDb }] });
    expect(h.logs("change processing failed; message will be retried")).toEqual([
      expect.objectContaining({ level: "error", messageId: modifyDb, error: "Throttling: Rate exceeded" }),
    ]);
    expect(
      (
        await h.windows.get(
          { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
          "payments-prod-w1",
        )
      )?.touched,
    ).toEqual(["AppSecurityGroup", "AppServer"]);
    expect(h.armed).toHaveLength(1);

    // SQS redelivers only the failed message, after the visibility timeout; CloudFormation answers now.
    h.clock.advance(T1 + 30_000);
    const retry = retryOf(batch1, response);
    const again = await processChanges(retry, { ...h.runtime, directory: h.account.directory });

    expect(retry.Records.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount])).toEqual([
      [modifyDb, "2"],
    ]);
    expect(again).toEqual({ batchItemFailures: [] });
    expect(h.armed).toHaveLength(1);
    const window = await h.windows.get(
      { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
      "payments-prod-w1",
    );
    expect(window?.touched).toEqual(["AppSecurityGroup", "AppServer", "PaymentsDatabase"]);
    expect(window?.lastTouchedAt).toBe(T1 + 30_000);
  });

  it("changes no window when the same batch is delivered twice; only the window's first event re-arms its reminder", async () => {
    const h = await buildRuntime({ start: T1 });
    await processChanges(batch1, h.runtime);
    const before = await h.windows.get(
      { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
      "payments-prod-w1",
    );
    h.clock.advance(T1 + 60_000);

    const response = await processChanges(redeliver(batch1), h.runtime);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(
      await h.windows.get(
        { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
        "payments-prod-w1",
      ),
    ).toEqual(before);
    expect(
      await h.windows.get(
        { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
        "payments-prod-w2",
      ),
    ).toBeUndefined();
    expect(h.logs("event already in a window").map((l) => l.eventName)).toEqual([
      "ModifyDBInstance",
      "AuthorizeSecurityGroupIngress",
      "ModifyInstanceAttribute",
    ]);
    // By design (core/reactor/touch.ts): a redelivered first event re-arms, in case its first delivery
    // died between opening the window and arming. Same window, same due time; a duplicate reminder is
    // skipped once the window is done (test/functions/on-settle.test.ts).
    const reminder = {
      message: {
        account: "111122223333",
        region: "us-east-1",
        stack: "payments-prod",
        windowId: "payments-prod-w1",
      },
      at: T1 + QUIET,
    };
    expect(h.armed).toEqual([reminder, reminder]);
  });

  it("logs a change to a resource no stack owns, and opens no window", async () => {
    const event = loadSqsFixture("unmanaged-resource");
    const h = await buildRuntime({ start: receivedAt(event) });

    const response = await processChanges(event, h.runtime);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.logs("change on an unmanaged resource")).toEqual([
      expect.objectContaining({
        level: "info",
        eventID: "c1e7b3a9-4d2f-4e8b-a6c0-9f5d1b3e7a24",
        eventName: "AuthorizeSecurityGroupIngress",
        resourceType: "AWS::EC2::SecurityGroup",
        resourceId: "sg-0fedcba9876543210",
      }),
    ]);
    expect(h.armed).toEqual([]);
    expect(
      await h.windows.get(
        { account: "111122223333", region: "us-east-1", stack: "payments-prod" },
        "payments-prod-w1",
      ),
    ).toBeUndefined();
    expect(h.points.find((p) => p.metric === "phantom.events.ignored")).toMatchObject({
      value: 1,
      tags: ["reason:unmanaged"],
    });
  });

  it("accepts a bare CloudTrail record as a body", async () => {
    const h = await buildRuntime({ start: T1 });
    const [, , modifyDb] = bodies(batch1) as { detail: unknown }[];

    const response = await processChanges(sqsEvent([modifyDb?.detail], { receivedAt: T1 }), h.runtime);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.logs().map((l) => l.message)).toEqual(["event added to window"]);
  });

  it("ignores a change from an account the deployment does not serve as unknown-account, and keeps the batch going", async () => {
    const h = await buildRuntime({ start: T1 });
    const reach = {
      homeAccount: "999999999999",
      accounts: ["999999999999"],
      regions: [],
      readRoleName: "PhantomReadOnly",
    };
    const places = {
      reach,
      serves: (account: string | undefined) => account === undefined || reach.accounts.includes(account),
      at: () => {
        throw new Error("no place of an unserved account is reached");
      },
      reachable: async () => ({ ok: true as const }),
    };
    const runtime = { ...h.runtime, places } as unknown as Runtime;

    const response = await processChanges(batch1, runtime);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.armed).toEqual([]);
    const ignored = h.logs("event ignored").filter((l) => String(l.reason).startsWith("unknown-account"));
    expect(ignored.length).toBeGreaterThan(0);
    expect(ignored[0]).toMatchObject({
      account: "111122223333",
      reason: "unknown-account: account 111122223333 is not configured (PHANTOM_ACCOUNTS)",
    });
    expect(
      h.points.find(
        (p) => p.metric === "phantom.events.ignored" && p.tags.includes("reason:unknown-account"),
      ),
    ).toMatchObject({ value: ignored.length });
  });
});
