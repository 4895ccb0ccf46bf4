import { ScanCommand } from "@aws-sdk/client-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { judge } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { touch } from "../../core/reactor/touch.ts";
import { DEFAULT_WINDOW_POLICY } from "../../core/window/types.ts";
import { createDynamoWindowStore } from "../../functions/adapters/dynamo-window-store.ts";
import { SequentialIds, VirtualClock } from "../../functions/replay/virtual-time.ts";
import { type LocalDynamo, startDynalite } from "../support/dynalite.ts";
import { events, formsOf, planted, resources, STACK, secretsOf } from "./planted.ts";

/**
 * The windows table keeps a window's events for 14 days (issue 15): the planted window's records go
 * through `touch` into the DynamoDB window store (dynalite over real HTTP, the real SDK client), and
 * every item a Scan returns is searched for each planted secret the requests carried.
 */

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});

const context = catalogContext(DEFAULT_CONFIG);
let tables = 0;

describe("the windows table", () => {
  it("holds no planted secret after a window's events were touched in", async () => {
    await fc.assert(
      fc.asyncProperty(planted, async (p) => {
        const table = await dynamo.createWindowTable(`planted-${++tables}`);
        const store = createDynamoWindowStore({ client: dynamo.client, table });
        const owned = new Map(resources(p).map((r) => [r.physicalId, { stack: STACK, ...r }]));
        const ports = {
          directory: { lookup: async (ref: { id: string }) => owned.get(ref.id) },
          windows: store,
          timer: { arm: async () => {} },
          clock: new VirtualClock(Date.parse("2026-11-24T03:00:00Z")),
          ids: new SequentialIds(),
          policy: DEFAULT_WINDOW_POLICY,
        };
        let touched = 0;
        for (const record of events(p)) {
          const judgement = judge(record, context);
          if (judgement.verdict !== "change") continue;
          touched += (await touch(judgement, ports)).stacks.length;
        }
        expect(touched).toBeGreaterThan(3);

        const scan = await dynamo.client.send(new ScanCommand({ TableName: table }));
        const items = JSON.stringify(scan.Items ?? []);
        // The requests are there, names and shape intact.
        expect(items).toContain(p.ssm.name);
        const leaks = secretsOf(p).flatMap((secret) =>
          formsOf(secret).filter((form) => items.toLowerCase().includes(form.toLowerCase())),
        );
        expect(leaks).toEqual([]);
      }),
      { numRuns: 4, endOnFailure: true },
    );
  }, 60_000);
});
