import { test as base, describe } from "vitest";
import { parseMarker } from "../../core/publish/marker.ts";
import type { ChangeRequests } from "../../core/publish/ports.ts";
import { TEMPLATE, TEMPLATE_PATH, windowRequest } from "./support.ts";

/**
 * The `ChangeRequests` contract, run against every adapter (GitHub over the fake server, local git
 * against a real repository): one PR per stack, one commit per window on top of the base branch,
 * converging writes keyed by the marker.
 */

export interface ContractHarness {
  readonly changeRequests: ChangeRequests;
  /** `owner/name` for requests. */
  readonly repo: string;
  /** Files at a branch's tip, or `undefined` when the branch does not exist. */
  files(branch: string): Promise<Record<string, string> | undefined>;
  /** The tip commit of a branch. */
  tip(branch: string): Promise<{ readonly sha: string; readonly parents: readonly string[] } | undefined>;
  /** The commit the base branch points at. */
  baseTip(): Promise<string>;
  /** The PR body as last published for the branch (`undefined`: none open). */
  body(branch: string): Promise<string | undefined>;
  /** The last comment published on the branch's PR. */
  lastComment(branch: string): Promise<string | undefined>;
  /** Everything the adapter can write, serialised: equal snapshots mean nothing was written. */
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

const T1 = "2026-03-02T03:10:00.000Z";
const T2 = "2026-03-02T04:40:00.000Z";

export function changeRequestsContract(name: string, start: () => Promise<ContractHarness>): void {
  /** Each test gets its own repository; they run concurrently (the adapters wait on I/O). */
  const it = base.extend<{ h: ContractHarness }>({
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from its destructured context
    h: async ({}, use) => {
      const h = await start();
      try {
        await use(h);
      } finally {
        await h.close();
      }
    },
  });

  describe.concurrent(`ChangeRequests contract: ${name}`, () => {
    it("opens the first PR with every file in ONE commit on top of the base branch", async ({
      h,
      expect,
    }) => {
      const request = windowRequest({
        repo: h.repo,
        window: "w1",
        validAt: T1,
        files: [
          { path: TEMPLATE_PATH, content: TEMPLATE.replace("30 # seconds", "60 # seconds") },
          { path: "infra/params/prod.json", content: '[{"ParameterKey":"Env","ParameterValue":"prod"}]\n' },
        ],
      });

      const outcome = await h.changeRequests.ensure(request);

      expect(outcome.kind).toBe("created");
      const tip = await h.tip("phantom/payments");
      expect(tip?.parents).toEqual([await h.baseTip()]);
      const files = await h.files("phantom/payments");
      expect(files?.[TEMPLATE_PATH]).toContain("VisibilityTimeout: 60 # seconds");
      expect(files?.["infra/params/prod.json"]).toContain("prod");
      expect(parseMarker((await h.body("phantom/payments")) ?? "")).toEqual(request.marker);
    });

    it("updates the open PR for a newer window: same number, branch rebuilt on the base, a comment", async ({
      h,
      expect,
    }) => {
      const first = await h.changeRequests.ensure(windowRequest({ repo: h.repo, window: "w1", validAt: T1 }));
      const newer = windowRequest({ repo: h.repo, window: "w2", validAt: T2, visibilityTimeout: 90 });

      const outcome = await h.changeRequests.ensure(newer);

      expect(outcome).toMatchObject({ kind: "updated", number: first.number });
      const tip = await h.tip("phantom/payments");
      expect(tip?.parents).toEqual([await h.baseTip()]);
      expect((await h.files("phantom/payments"))?.[TEMPLATE_PATH]).toContain("VisibilityTimeout: 90");
      expect(parseMarker((await h.body("phantom/payments")) ?? "")?.window).toBe("w2");
      expect(await h.lastComment("phantom/payments")).toContain(newer.updateComment);
    });

    it("changes nothing when the same window is published again", async ({ h, expect }) => {
      const request = windowRequest({ repo: h.repo, window: "w1", validAt: T1 });
      const first = await h.changeRequests.ensure(request);
      const before = await h.snapshot();

      const again = await h.changeRequests.ensure(request);

      expect(again).toEqual({ kind: "unchanged", number: first.number, url: first.url });
      expect(await h.snapshot()).toBe(before);
    });

    it("never lets an older window overwrite a newer PR", async ({ h, expect }) => {
      await h.changeRequests.ensure(
        windowRequest({ repo: h.repo, window: "w2", validAt: T2, visibilityTimeout: 90 }),
      );
      const before = await h.snapshot();

      const outcome = await h.changeRequests.ensure(
        windowRequest({ repo: h.repo, window: "w1", validAt: T1, visibilityTimeout: 45 }),
      );

      expect(outcome.kind).toBe("stale");
      expect(await h.snapshot()).toBe(before);
      expect((await h.files("phantom/payments"))?.[TEMPLATE_PATH]).toContain("VisibilityTimeout: 90");
    });

    it("opens a PR for a revert-only window: the template stays, a .phantom/ drift record is added", async ({
      h,
      expect,
    }) => {
      const record = { path: ".phantom/drift/payments/w1.json", content: '{"decision":"revert"}\n' };

      const outcome = await h.changeRequests.ensure(
        windowRequest({ repo: h.repo, window: "w1", validAt: T1, files: [record] }),
      );

      expect(outcome.kind).toBe("created");
      const files = await h.files("phantom/payments");
      expect(files?.[record.path]).toBe(record.content);
      expect(files?.[TEMPLATE_PATH]).toBe(TEMPLATE);
      expect((await h.tip("phantom/payments"))?.parents).toEqual([await h.baseTip()]);
    });

    it("keeps one PR per stack: another stack gets its own branch and PR", async ({ h, expect }) => {
      const payments = await h.changeRequests.ensure(
        windowRequest({ repo: h.repo, window: "w1", validAt: T1 }),
      );
      const orders = await h.changeRequests.ensure(
        windowRequest({ repo: h.repo, stack: "orders", window: "w9", validAt: T1 }),
      );

      expect(orders.kind).toBe("created");
      expect(orders.number).not.toBe(payments.number);
      expect(await h.files("phantom/orders")).toBeDefined();
    });
  });
}
