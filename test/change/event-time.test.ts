import { cp, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { judge } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { quickJudge } from "../../core/change/quick.ts";
import { inspectLine } from "../../core/change/report.ts";
import { EARLIEST_EVENT_TIME, latestEventTimeAt } from "../../core/change/schema.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { parseSignalsFile } from "../../core/signals/schema.ts";
import { main } from "../../functions/cli/main.ts";
import { tempDir } from "../io/temp-files.ts";
import { apiCall, ingress } from "./records.ts";

/**
 * A record's time must be plausible: not before CloudTrail existed (November 2013), not after the last
 * four-digit year (a time JavaScript's dates cannot move on from), and not more than a day after the
 * reader's clock. Out of that range a record is rejected with its reason, on the quick path and the
 * full path alike, and never reaches a window (year 275760 killed replay with a RangeError).
 */

const context = catalogContext(DEFAULT_CONFIG);
const NOW = Date.parse("2026-12-06T06:00:00Z");
const clocked = { ...context, latestEventTime: latestEventTimeAt(NOW) };

const read = (eventTime: unknown) =>
  apiCall("ec2.amazonaws.com", "DescribeInstances", null, { eventTime, readOnly: true });

describe("an implausible eventTime", () => {
  it("is rejected with the reason, year 275760 (epoch milliseconds 8.64e15) included", () => {
    for (const time of [8.64e15, "1999-03-01T00:00:00Z", "2013-10-31T23:59:59Z", 0]) {
      const judgement = judge(read(time), context);
      expect(judgement.verdict, String(time)).toBe("rejected");
      if (judgement.verdict !== "rejected") continue;
      expect(judgement.reason).toBe("malformed");
      expect(judgement.detail).toMatch(
        /eventTime .* is not a plausible time: (before CloudTrail|after 9999)/,
      );
    }
    const change = judge(ingress({ eventTime: 8.64e15 }), context);
    expect(change.verdict).toBe("rejected");
  });

  it("is rejected when more than a day after the reader's clock, and accepted up to then", () => {
    expect(judge(read("2026-12-07T05:59:59Z"), clocked).verdict).toBe("ignored");
    const late = judge(read("2026-12-07T06:00:01Z"), clocked);
    expect(late.verdict).toBe("rejected");
    expect(late.verdict === "rejected" && late.detail).toBe(
      "eventTime 2026-12-07T06:00:01.000Z is not a plausible time: after 2026-12-07T06:00:00.000Z",
    );
    expect(judge(read("2099-01-01T00:00:00Z"), clocked).verdict).toBe("rejected");
    expect(judge(read(8.64e12), clocked).verdict).toBe("rejected");
    // Without a clock (a library caller), only the fixed range applies.
    expect(judge(read("2099-01-01T00:00:00Z"), context).verdict).toBe("ignored");
    expect(judge(read(EARLIEST_EVENT_TIME), clocked).verdict).toBe("ignored");
  });

  it("gives the same line on the quick path and the full path, at every time", () => {
    const times = fc.oneof(
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
      fc.double({ min: -1e17, max: 1e17, noNaN: true }),
      fc
        .integer({ min: Date.parse("2013-10-30T00:00:00Z"), max: Date.parse("2027-01-01T00:00:00Z") })
        .map((ms) => new Date(ms).toISOString()),
      fc.constantFrom("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2013-11-01 00:00:00.000"),
    );
    fc.assert(
      fc.property(times, fc.boolean(), (time, withClock) => {
        const ctx = withClock ? clocked : context;
        const text = JSON.stringify(read(time));
        const full = JSON.stringify(inspectLine("f#1", judge(JSON.parse(text), ctx)));
        const quick = quickJudge(text, ctx);
        if (quick !== undefined) expect(JSON.stringify(inspectLine("f#1", quick))).toBe(full);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("replay of a capture holding a record of year 275760", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("settles the other records' window and notes the rejected record, without a RangeError", async () => {
    // prepare: the kill-switch scenario, with one more change dated 8.64e15 ms after the epoch
    const temp = await tempDir("event-time");
    dirs.push(temp.dir);
    const scenario = path.join(temp.dir, "scenario");
    await cp(new URL("../../fixtures/scenarios/lambda-kill-switch/", import.meta.url).pathname, scenario, {
      recursive: true,
    });
    await rm(path.join(scenario, "golden"), { recursive: true, force: true });
    const events = path.join(scenario, "events", "console-session.jsonl");
    const lines = (await readFile(events, "utf8")).split("\n").filter((l) => l.trim() !== "");
    const change = lines
      .map((l) => JSON.parse(l) as { detail: Record<string, unknown>; time?: string })
      .find((e) => String(e.detail.eventName).startsWith("PutFunctionConcurrency"));
    expect(change).toBeDefined();
    const far = structuredClone(change as NonNullable<typeof change>);
    far.detail.eventTime = 8.64e15;
    far.detail.eventID = "00000000-0000-4000-8000-275760275760";
    delete far.time;
    await temp.write("scenario/events/far-future.jsonl", `${JSON.stringify(far)}\n`);
    const out = path.join(temp.dir, "out");

    // act
    let stdout = "";
    let stderr = "";
    const code = await main(["replay", scenario, "--out", out], {
      out: (s) => (stdout += s),
      err: (s) => (stderr += s),
    });

    // assess
    expect(stderr).not.toMatch(/RangeError|\n\s+at /);
    expect(code).toBe(0);
    expect(stdout).toMatch(/1 window/);
    const stack = (await readdir(out)).find((d) => d !== "metrics.jsonl" && d !== "events.jsonl") as string;
    const [window] = await readdir(path.join(out, stack));
    const analysis = JSON.parse(
      await readFile(path.join(out, stack, window as string, "analysis.json"), "utf8"),
    ) as { intake?: { unread: number; notes: string[] } };
    expect(analysis.intake?.unread).toBe(1);
    expect(analysis.intake?.notes[0]).toMatch(
      /far-future\.jsonl.*malformed: eventTime \+275760-09-13T00:00:00\.000Z is not a plausible time/,
    );
  });
});

describe("a signals.json time past JavaScript's last date", () => {
  it("is rejected with its path, not thrown as a RangeError", () => {
    for (const triggeredAt of [1e16, "99999999999999999", 8.64e15 + 1]) {
      const parsed = parseSignalsFile({ monitors: [{ name: "m", status: "Alert", triggeredAt }] });
      expect(parsed.ok, String(triggeredAt)).toBe(false);
      if (!parsed.ok) expect(parsed.issues.join("\n")).toMatch(/monitors\.0\.triggeredAt/);
    }
    expect(parseSignalsFile({ monitors: [{ name: "m", status: "Alert", triggeredAt: 8.64e15 }] }).ok).toBe(
      true,
    );
  });
});
