import { describe, expect, it } from "vitest";
import type { ResourceRef } from "../../core/catalog/types.ts";
import { createCachedDirectory, memoryDirectoryStore } from "../../core/drift/directory-cache.ts";
import { STACK_STATUS_DETAIL_TYPE } from "../../core/pattern/stack-status.ts";
import { processChanges } from "../../functions/on-change.ts";
import { buildRuntime, loadSqsFixture, receivedAt, sqsEvent } from "./support.ts";

/**
 * on-change and a stack's own CloudFormation Stack Status Change: the stack's cached directory
 * answers are dropped, so the next change on it is looked up afresh; a broken or foreign one never
 * fails the batch.
 */

const batch = loadSqsFixture("payments-incident-batch-1");
const ACCOUNT = "111122223333";

function statusChange(stackId: string, status = "UPDATE_COMPLETE") {
  return {
    version: "0",
    id: `status-${status}`,
    "detail-type": STACK_STATUS_DETAIL_TYPE,
    source: "aws.cloudformation",
    account: ACCOUNT,
    time: "2026-03-14T03:30:00Z",
    region: "us-east-1",
    resources: [stackId],
    detail: { "stack-id": stackId, "status-details": { status, "status-reason": "" } },
  };
}

async function harness() {
  let resolved = 0;
  const h = await buildRuntime({
    start: receivedAt(batch),
    directory: (recorded) =>
      createCachedDirectory({
        source: {
          async resolve(physicalId) {
            resolved += 1;
            const owner = await recorded.lookup({ id: physicalId, type: "" } as unknown as ResourceRef);
            return { owners: owner ? [owner] : [], stack: [] };
          },
        },
        store: memoryDirectoryStore({ now: () => h.clock.now() }),
        clock: { now: () => h.clock.now() },
        home: { account: ACCOUNT, region: "us-east-1" },
        ttlMs: 3_600_000,
        negativeTtlMs: 60_000,
      }),
  });
  return { h, resolved: () => resolved };
}

describe("on-change and CloudFormation Stack Status Change", () => {
  it("drops the stack's cached answers, so its next change is looked up again", async () => {
    const { h, resolved } = await harness();
    await processChanges(batch, h.runtime);
    const first = resolved();
    expect(first).toBeGreaterThan(0);
    // Cached: a redelivery looks nothing up.
    await processChanges(batch, h.runtime);
    expect(resolved()).toBe(first);

    const stackId = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/payments-prod/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`;
    const response = await processChanges(sqsEvent([statusChange(stackId)]), h.runtime);

    expect(response).toEqual({ batchItemFailures: [] });
    const [line] = h.logs("stack changed: its cached directory answers dropped");
    expect(line).toMatchObject({
      account: ACCOUNT,
      region: "us-east-1",
      stack: "payments-prod",
      status: "UPDATE_COMPLETE",
    });
    expect((line as { dropped?: number }).dropped).toBeGreaterThan(0);
    await processChanges(batch, h.runtime);
    expect(resolved()).toBeGreaterThan(first);
  });

  it("rejects a broken one as malformed and goes on with the batch", async () => {
    const { h } = await harness();
    const broken = { ...statusChange("x"), detail: { "status-details": { status: "UPDATE_COMPLETE" } } };
    const event = sqsEvent([broken, ...batch.Records.map((r) => JSON.parse(r.body) as unknown)]);

    const response = await processChanges(event, h.runtime);

    expect(response).toEqual({ batchItemFailures: [] });
    const rejected = h.logs("event rejected");
    expect(
      rejected.some((l) =>
        /malformed: CloudFormation Stack Status Change: detail.stack-id/.test(
          String((l as { reason?: string }).reason),
        ),
      ),
    ).toBe(true);
    expect(h.logs("event added to window").length).toBeGreaterThan(0);
  });
});
