import { describe, expect, it } from "vitest";
import { judge } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import type { StackResource } from "../../core/drift/ports.ts";
import { touch } from "../../core/reactor/touch.ts";
import { createMemoryWindowStore } from "../../core/window/memory-store.ts";
import { DEFAULT_WINDOW_POLICY } from "../../core/window/types.ts";
import { SequentialIds, VirtualClock } from "../../functions/replay/virtual-time.ts";

/**
 * A window event keeps its request (`requestParameters`) for the blind-spot comparison, in the
 * windows table for 14 days: stored with its secrets redacted and its names and shape intact
 * (issue 15).
 */

const PASSWORD = "Zq8-vLm2Rt9xWp4K";
const T0 = Date.parse("2026-11-27T10:14:00Z");
const ACCOUNT = "305482197364";

const db: StackResource = {
  stack: "orders-prod",
  logicalId: "OrdersDb",
  physicalId: "orders-db",
  type: "AWS::RDS::DBInstance",
};

describe("touch", () => {
  it("stores a window event's request with its secrets redacted, names and other values kept", async () => {
    const judgement = judge(
      {
        eventVersion: "1.09",
        eventID: "e1",
        eventTime: new Date(T0).toISOString(),
        eventSource: "rds.amazonaws.com",
        eventName: "ModifyDBInstance",
        awsRegion: "us-east-1",
        recipientAccountId: ACCOUNT,
        userIdentity: { type: "IAMUser", userName: "maria", arn: `arn:aws:iam::${ACCOUNT}:user/maria` },
        requestParameters: {
          dBInstanceIdentifier: "orders-db",
          dBInstanceClass: "db.r5.large",
          masterUserPassword: PASSWORD,
          tags: [{ key: "db_pwd", value: PASSWORD }],
          applyImmediately: true,
        },
      },
      catalogContext(DEFAULT_CONFIG),
    );
    if (judgement.verdict !== "change") throw new Error(`not a change: ${JSON.stringify(judgement)}`);
    const windows = createMemoryWindowStore();

    const outcome = await touch(judgement, {
      directory: { lookup: async (ref) => (ref.id === db.physicalId ? db : undefined) },
      windows,
      timer: { arm: async () => {} },
      clock: new VirtualClock(T0),
      ids: new SequentialIds(),
      policy: DEFAULT_WINDOW_POLICY,
    });

    const id = outcome.stacks[0]?.windowId ?? "";
    const window = await windows.get({ account: ACCOUNT, region: "us-east-1", stack: "orders-prod" }, id);
    const request = window?.events[0]?.request;
    expect(JSON.stringify(window)).not.toContain(PASSWORD);
    expect(request).toEqual({
      dBInstanceIdentifier: "orders-db",
      dBInstanceClass: "db.r5.large",
      masterUserPassword: "[redacted]",
      tags: [{ key: "db_pwd", value: "[redacted]" }],
      applyImmediately: true,
    });
  });
});
