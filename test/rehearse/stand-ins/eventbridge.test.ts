import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DRIFT_ANALYZED, driftAnalyzedDetail } from "../../../core/publish/domain-event.ts";
import type { WindowReport } from "../../../core/report/analysis.ts";
import { createEventBridgeEvents } from "../../../functions/adapters/eventbridge-events.ts";
import {
  type EventBridgeStandIn,
  startEventBridgeStandIn,
} from "../../../functions/rehearse/stand-ins/eventbridge.ts";

const NOW = Date.parse("2026-03-14T03:21:00Z");

const report = {
  stack: "payments-prod",
  window: {
    id: "payments-prod-w1",
    firstEventAt: "2026-03-14T03:07:00.000Z",
    lastEventAt: "2026-03-14T03:10:00.000Z",
    openedAt: "2026-03-14T03:07:01.000Z",
    settledAt: "2026-03-14T03:20:00.000Z",
    settledBy: "quiet",
    events: 1,
    touched: [],
  },
  detection: { resourcesChecked: 0, calls: 0, unverified: [] },
  resources: [],
  changes: [],
  actors: [{ name: "sam.rivera@example.com", console: true }],
} as unknown as WindowReport;
const detail = driftAnalyzedDetail(report);

describe("EventBridge stand-in over HTTP (the real @aws-sdk/client-eventbridge)", () => {
  let eventBridge: EventBridgeStandIn;
  let client: EventBridgeClient;

  beforeEach(async () => {
    eventBridge = await startEventBridgeStandIn({ clock: { now: () => NOW } });
    client = new EventBridgeClient({
      endpoint: eventBridge.url,
      region: "us-east-1",
      credentials: { accessKeyId: "rehearsal", secretAccessKey: "rehearsal" },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    client.destroy();
    await eventBridge.close();
  });

  it("takes the project's Phantom Drift Analyzed event", async () => {
    await createEventBridgeEvents({ client }).driftAnalyzed({ report });

    expect(eventBridge.events()).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        source: DRIFT_ANALYZED.source,
        detailType: DRIFT_ANALYZED.detailType,
        detail,
        eventBusName: "default",
        time: new Date(NOW).toISOString(),
        resources: [],
      },
    ]);
    expect(Object.fromEntries(eventBridge.calls)).toEqual({ "eventbridge.PutEvents": 1 });
    expect(eventBridge.unexpected).toEqual([]);
  });

  it("judges each entry on its own, as EventBridge does", async () => {
    const output = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: "phantom",
            DetailType: "Test",
            Detail: '{"a":1}',
            EventBusName: "arn:aws:events:us-east-1:123456789012:event-bus/phantom",
            Time: new Date("2026-03-14T03:00:00Z"),
            Resources: ["arn:aws:cloudformation:us-east-1:123456789012:stack/payments-prod/x"],
          },
          { Source: "phantom", DetailType: "Test", Detail: "[1, 2]" },
          { Source: "phantom", DetailType: "Test", Detail: "{not json" },
          { Source: "phantom", Detail: "{}" },
          { Source: "aws.ec2", DetailType: "Test", Detail: "{}" },
        ],
      }),
    );

    expect(output.FailedEntryCount).toBe(4);
    expect(output.Entries?.[0]?.EventId).toEqual(expect.any(String));
    expect(output.Entries?.slice(1).map((e) => e.ErrorCode)).toEqual([
      "MalformedDetail",
      "MalformedDetail",
      "InvalidArgument",
      "NotAuthorizedForSourceException",
    ]);
    expect(output.Entries?.[3]?.ErrorMessage).toBe(
      "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
    );
    expect(eventBridge.events()).toEqual([
      expect.objectContaining({
        detail: { a: 1 },
        eventBusName: "phantom",
        time: "2026-03-14T03:00:00.000Z",
        resources: ["arn:aws:cloudformation:us-east-1:123456789012:stack/payments-prod/x"],
      }),
    ]);
    expect(eventBridge.unexpected).toEqual([
      expect.stringMatching(
        /^eventbridge\.PutEvents: entry 1: MalformedDetail.*entry 4: NotAuthorizedForSourceException/,
      ),
    ]);
  });

  it("refuses more than 10 entries, or more than 256 KB, with a ValidationException", async () => {
    const entry = { Source: "phantom", DetailType: "Test", Detail: "{}" };
    await expect(
      client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) })),
    ).rejects.toMatchObject({ name: "ValidationException" });
    await expect(
      client.send(
        new PutEventsCommand({
          Entries: [{ ...entry, Detail: JSON.stringify({ blob: "x".repeat(256 * 1024) }) }],
        }),
      ),
    ).rejects.toMatchObject({
      name: "ValidationException",
      message: expect.stringContaining("over the limit"),
    });

    expect(eventBridge.events()).toEqual([]);
    expect(eventBridge.unexpected).toHaveLength(2);
  });

  it("records an unknown operation", async () => {
    const response = await fetch(eventBridge.url, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSEvents.PutRule" },
      body: "{}",
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: "UnknownOperationException" });
    expect(eventBridge.unexpected).toEqual([
      "eventbridge.PutRule: The EventBridge stand-in does not serve PutRule.",
    ]);
  });
});
