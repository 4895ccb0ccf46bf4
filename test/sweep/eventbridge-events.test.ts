import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AnalyzedReport } from "../../core/analysis/analyze.ts";
import {
  DRIFT_ANALYZED,
  driftAnalyzedDetail,
  MAX_ENTRY_BYTES,
  MAX_EVENT_CHANGES,
} from "../../core/publish/domain-event.ts";
import type { WindowReport } from "../../core/report/analysis.ts";
import {
  createEventBridgeEvents,
  DomainEventError,
  putEventsEntrySize,
} from "../../functions/adapters/eventbridge-events.ts";
import { type AwsServer, clientConfig, jsonReply, startAwsServer } from "../support/aws-server.ts";

/** PutEvents speaks AWS JSON 1.1. */
const json11 = (body: unknown) =>
  jsonReply(body, { headers: { "content-type": "application/x-amz-json-1.1" } });

const windowReport: WindowReport = {
  stack: "payments",
  window: {
    id: "payments-mf0x-1a2b",
    account: "111122223333",
    region: "us-east-1",
    firstEventAt: "2026-11-22T03:01:00.000Z",
    lastEventAt: "2026-11-22T03:04:00.000Z",
    openedAt: "2026-11-22T03:01:05.000Z",
    settledAt: "2026-11-22T03:06:05.000Z",
    settledBy: "quiet",
    events: 2,
    touched: ["AppSecurityGroup"],
  },
  detection: { resourcesChecked: 1, calls: 1, unverified: [] },
  resources: [],
  changes: [
    {
      logicalId: "AppSecurityGroup",
      resourceType: "AWS::EC2::SecurityGroup",
      physicalId: "sg-0abc",
      propertyPath: "/SecurityGroupIngress/1",
      differenceType: "ADD",
      expected: null,
      actual: {
        CidrIp: "0.0.0.0/0",
        FromPort: 22,
        ToPort: 22,
        IpProtocol: "tcp",
        Description: "hunter2-password",
      },
      actors: [{ name: "alice", console: true, events: [] }],
    },
  ],
  actors: [{ name: "alice", console: true }],
};

function analysed(): AnalyzedReport {
  const [change] = windowReport.changes;
  if (change === undefined) throw new Error("fixture");
  return {
    ...windowReport,
    environment: "prod",
    severity: "critical",
    severityScore: 10,
    costDelta: {
      currentMonthlyUsd: 30.37,
      rectifiedMonthlyUsd: 30.37,
      deltaMonthlyUsd: 0,
      safeMonthlyUsd: 30.37,
      percent: 0,
      unpriced: [],
    },
    analyzer: { kind: "rules", latencyMs: 3 },
    changes: [
      {
        ...change,
        decision: "revert",
        confidence: 0.95,
        severity: "critical",
        reasoning: "SSH from the internet; the description says hunter2-password",
        costDelta: { monthlyUsd: 0 },
        cost: { currentMonthlyUsd: null, safeMonthlyUsd: null, deltaMonthlyUsd: null },
        guardrail: { rule: "world-open-port", overridden: "legitimize", reason: "port 22 from 0.0.0.0/0" },
      },
    ],
  };
}

describe("driftAnalyzedDetail", () => {
  it("summarises an analysed window: env, severity, decision counts, cost, PR, changes", () => {
    expect(driftAnalyzedDetail(analysed(), { prUrl: "https://github.com/acme/infra/pull/7" })).toEqual({
      version: "1",
      stack: "payments",
      windowId: "payments-mf0x-1a2b",
      settledBy: "quiet",
      settledAt: "2026-11-22T03:06:05.000Z",
      env: "prod",
      severity: "critical",
      decisions: { legitimize: 0, revert: 1, refactor: 0 },
      costDelta: { currentMonthlyUsd: 30.37, rectifiedMonthlyUsd: 30.37, deltaMonthlyUsd: 0 },
      prUrl: "https://github.com/acme/infra/pull/7",
      actors: ["alice"],
      changesTotal: 1,
      changes: [
        {
          logicalId: "AppSecurityGroup",
          resourceType: "AWS::EC2::SecurityGroup",
          propertyPath: "/SecurityGroupIngress/1",
          differenceType: "ADD",
          decision: "revert",
          severity: "critical",
          monthlyUsd: 0,
          guardrail: "world-open-port",
        },
      ],
    });
  });

  it("never carries property values, proposals or reasoning (redacted by construction)", () => {
    const text = JSON.stringify(driftAnalyzedDetail(analysed()));
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("0.0.0.0/0");
    expect(text).not.toContain("sg-0abc");
  });

  it("describes an unanalysed window with nulls and zero decisions", () => {
    const detail = driftAnalyzedDetail(windowReport);
    expect(detail).toMatchObject({ env: "unknown", severity: null, prUrl: null });
    expect(detail.decisions).toEqual({ legitimize: 0, revert: 0, refactor: 0 });
    expect(detail.changes[0]).toMatchObject({
      decision: null,
      severity: null,
      monthlyUsd: null,
      guardrail: null,
    });
  });

  it("lists at most MAX_EVENT_CHANGES changes and stays under the entry limit", () => {
    const [change] = windowReport.changes;
    const many: WindowReport = {
      ...windowReport,
      changes: Array.from({ length: 5_000 }, (_, i) => ({
        ...(change as WindowReport["changes"][number]),
        logicalId: `Resource${i}`.padEnd(255, "x"),
        propertyPath: `/Tags/${i}/Value`,
      })),
    };
    const detail = driftAnalyzedDetail(many);
    expect(detail.changes).toHaveLength(MAX_EVENT_CHANGES);
    expect(detail.changesTotal).toBe(5_000);
    const size = putEventsEntrySize({
      Source: DRIFT_ANALYZED.source,
      DetailType: DRIFT_ANALYZED.detailType,
      Detail: JSON.stringify(detail),
    });
    expect(size).toBeLessThan(MAX_ENTRY_BYTES);
  });
});

describe("putEventsEntrySize", () => {
  it("counts UTF-8 bytes of source, detail-type, detail and resources, plus 14 for a time", () => {
    expect(
      putEventsEntrySize({ Source: "phantom", DetailType: "T", Detail: '{"a":"é"}', Resources: ["r1"] }),
    ).toBe(7 + 1 + 10 + 2);
    expect(putEventsEntrySize({ Source: "a", Time: new Date() })).toBe(15);
  });
});

describe("createEventBridgeEvents over HTTP", () => {
  let server: AwsServer;
  let client: EventBridgeClient;

  beforeEach(async () => {
    server = await startAwsServer();
    client = new EventBridgeClient(clientConfig(server));
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
    server.verify();
  });

  it("sends one PutEvents entry (AWS JSON 1.1) with source phantom and the detail as JSON", async () => {
    server.expect({
      action: "PutEvents",
      reply: json11({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] }),
    });
    const prUrl = "https://github.com/acme/infra/pull/7";
    const detail = driftAnalyzedDetail(analysed(), { prUrl });
    await createEventBridgeEvents({ client }).driftAnalyzed({ report: analysed(), prUrl });
    const [request] = server.requests;
    expect(request?.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(request?.headers["x-amz-target"]).toBe("AWSEvents.PutEvents");
    expect(request?.json).toEqual({
      Entries: [
        {
          Source: "phantom",
          DetailType: "Phantom Drift Analyzed",
          Detail: JSON.stringify(detail),
          EventBusName: "default",
        },
      ],
    });
  });

  it("sends to a named bus", async () => {
    server.expect({
      action: "PutEvents",
      match: (r) => JSON.stringify(r.json).includes('"EventBusName":"ops"'),
      reply: json11({ FailedEntryCount: 0, Entries: [{ EventId: "e-1" }] }),
    });
    await createEventBridgeEvents({ client, busName: "ops" }).driftAnalyzed({ report: windowReport });
  });

  it("throws a DomainEventError with the entry's ErrorCode when PutEvents answers 200 with a failed entry", async () => {
    server.expect({
      action: "PutEvents",
      reply: json11({
        FailedEntryCount: 1,
        Entries: [
          { ErrorCode: "NotAuthorizedForSourceException", ErrorMessage: "Not authorized for the source." },
        ],
      }),
    });
    const error = await createEventBridgeEvents({ client })
      .driftAnalyzed({ report: windowReport })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainEventError);
    expect(error).toMatchObject({ code: "NotAuthorizedForSourceException" });
    expect(String(error)).toContain("Not authorized for the source.");
  });

  it("retries an entry that failed with a retryable code", async () => {
    server.expect({
      action: "PutEvents",
      reply: json11({ FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException" }] }),
    });
    server.expect({
      action: "PutEvents",
      reply: json11({ FailedEntryCount: 0, Entries: [{ EventId: "e-2" }] }),
    });
    const slept: number[] = [];
    await createEventBridgeEvents({ client, sleep: async (ms) => void slept.push(ms) }).driftAnalyzed({
      report: windowReport,
    });
    expect(slept).toEqual([200]);
  });

  it("gives up after the retries", async () => {
    server.expect({
      action: "PutEvents",
      times: 2,
      reply: json11({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure" }] }),
    });
    const error = await createEventBridgeEvents({ client, retries: 1, sleep: async () => {} })
      .driftAnalyzed({ report: windowReport })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "DomainEventError", code: "InternalFailure" });
  });

  it("wraps a request failure (HTTP error) in a DomainEventError", async () => {
    server.expect({
      action: "PutEvents",
      reply: {
        status: 400,
        headers: { "content-type": "application/x-amz-json-1.1" },
        body: JSON.stringify({ __type: "AccessDeniedException", message: "no" }),
      },
    });
    const error = await createEventBridgeEvents({ client })
      .driftAnalyzed({ report: windowReport })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "DomainEventError", code: "AccessDeniedException" });
  });

  it("never sends an entry over the limit", async () => {
    const error = await createEventBridgeEvents({ client })
      .driftAnalyzed({
        report: { ...windowReport, actors: [{ name: "x".repeat(MAX_ENTRY_BYTES), console: true }] },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "DomainEventError", code: "EntryTooLarge" });
    expect(server.requests).toEqual([]);
  });
});
