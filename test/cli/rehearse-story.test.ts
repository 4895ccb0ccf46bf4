import { describe, expect, it } from "vitest";
import { rehearsalStory } from "../../functions/cli/rehearse.ts";
import type { RehearsalReport } from "../../functions/rehearse/rehearse.ts";
import { HOSTILE, TERMINAL_CONTROL } from "../report/hostile.ts";

/** `phantom rehearse`'s story quotes console text (titles, ids, reasons) only with its controls escaped (issue 15). */

describe("rehearsalStory", () => {
  it("escapes console text in what it quotes: one line per fact", () => {
    const report = {
      windows: [],
      skipped: [{ stack: "orders-sync-prod", window: "w\u001b[2J1", reason: "no-repository\rspoofed ok" }],
      pullRequests: [
        {
          repo: "acme/orders",
          number: 1,
          branch: "phantom/orders-sync-prod",
          title: `phantom: x ${HOSTILE.ansi}`,
          commits: 1,
          updates: 0,
          files: { "a\nb.yaml": "" },
          reviewers: [],
        },
      ],
      events: [],
      metrics: [],
      dlq: { changes: 0, settle: 0 },
      faults: {},
      aborted: 0,
      unfinished: [],
      filtered: 0,
      calls: {},
      rehearsalMs: 0,
      wallMs: 0,
    } as unknown as RehearsalReport;

    const story = rehearsalStory(report);

    expect(story).not.toMatch(TERMINAL_CONTROL);
    expect(story).toContain(
      "skipped publishing w\\u001b[2J1 of orders-sync-prod: no-repository\\rspoofed ok",
    );
    expect(story).toContain("files: a\\nb.yaml");
  });
});
