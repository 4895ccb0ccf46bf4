import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMarker } from "../../core/publish/marker.ts";
import { runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import { forgedMarker, forgedMarkerPaymentsScenario } from "../report/hostile.ts";

/**
 * A tag value holding Phantom's marker syntax with `valid-at=2099…` (issue 15) once froze the pull
 * request: the body quoted it before the real marker, `parseMarker` took the first, and every later
 * window was judged older than the PR. Shown through the deployed path: the handlers, the real GitHub
 * adapter and the rehearsal's GitHub stand-in.
 */

let scratch = "";
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "phantom-forged-marker-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("a marker forged in a tag value", () => {
  it("does not freeze the PR: the review an hour later still updates it", async () => {
    const root = await forgedMarkerPaymentsScenario(scratch);

    const report = await runRehearsal(await loadScenario(root, { base: {} }));

    expect(report.unexpected).toEqual([]);
    expect(report.pullRequests).toHaveLength(1);
    const [pr] = report.pullRequests;
    // The forged text reached the PR's commit (the drift record quotes the tag) ...
    expect(
      Object.values(pr?.files ?? {}).some((content) => content.includes(forgedMarker("payments-prod"))),
    ).toBe(true);
    // ... and the PR, opened at settle, was still updated by the review, whose marker it now ends with.
    expect(pr).toMatchObject({ commits: 1, updates: 1 });
    expect(parseMarker(pr?.body ?? "")).toMatchObject({
      stack: "payments-prod",
      window: report.windows[1]?.id,
      reviewed: true,
    });
    expect(report.windows.map((w) => w.settledBy)).toEqual(["quiet", "review"]);
  });
});
