import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RehearsalReport, runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import { type LoadScenario, MAX_LAG_MS, writeLoadScenario } from "../bench/load-scenario.ts";
import { prng } from "../bench/windows.ts";

/**
 * Load on the deployed path, at a tenth of the bench's scale (BENCHMARKS.md "Load"): 1,000 console
 * changes over 50 stacks in 10 minutes, delivered at least once (10 % twice, the second copy up to
 * 10 minutes later) and out of order (each copy up to a minute late), through the rehearsal: the
 * deployed handlers, the real SDK clients, dynalite for the windows table. No event may be lost and
 * every burst must settle exactly once, however the copies arrive.
 */

let root: string;
let scenario: LoadScenario;
let report: RehearsalReport;
const lines: { message: string; eventID?: string; stack?: string; window?: string }[] = [];
const invocations: { handler: string; messages: number; ms: number }[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "phantom-load-"));
  scenario = await writeLoadScenario(root, {
    stacks: 50,
    events: 1_000,
    spanMs: 600_000,
    groups: 2,
    driftEvery: 25,
    seed: 15,
  });
  report = await runRehearsal(await loadScenario(scenario.dir, { base: {} }), {
    disorder: { lagMs: MAX_LAG_MS, duplicates: 0.1, duplicateLagMs: 600_000, random: prng(1_015) },
    onLog: (line) => {
      if (line.includes('"message":"event')) lines.push(JSON.parse(line) as (typeof lines)[number]);
    },
    onInvocation: (invocation) => invocations.push(invocation),
  });
}, 600_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sum = (metric: string) =>
  report.metrics.filter((m) => m.metric === metric).reduce((n, m) => n + m.value, 0);

describe("1,000 changes over 50 stacks, at least once and out of order (rehearsal)", () => {
  it("runs clean: no unexpected request, nothing in a dead-letter queue", () => {
    expect(report.unexpected).toEqual([]);
    expect(report.dlq).toEqual({ changes: 0, settle: 0 });
  });

  it("was delivered at least once, about 10 % twice, and out of order", () => {
    const received = sum("phantom.events.received");
    const duplicates = received - scenario.events;
    expect(duplicates / scenario.events).toBeGreaterThan(0.07);
    expect(duplicates / scenario.events).toBeLessThan(0.13);
    // Out of order: many changes were taken after a later change of their own stack.
    const added = lines.filter((l) => l.message === "event added to window");
    expect(added.length).toBe(scenario.events);
    const latest = new Map<string, number>();
    let overtaken = 0;
    for (const line of added) {
      const change = scenario.changes.get(line.eventID ?? "");
      if (change === undefined) throw new Error(`a change the scenario does not hold: ${line.eventID}`);
      if (change.at < (latest.get(change.stack) ?? 0)) overtaken += 1;
      latest.set(change.stack, Math.max(change.at, latest.get(change.stack) ?? 0));
    }
    expect(overtaken).toBeGreaterThan(scenario.events / 10);
    expect(invocations.filter((i) => i.handler === "on-change").reduce((n, i) => n + i.messages, 0)).toBe(
      received,
    );
  });

  it("loses no event and counts none twice: every change is in exactly one window", () => {
    const added = lines.filter((l) => l.message === "event added to window");
    const again = lines.filter((l) => l.message === "event already in a window");
    expect(new Set(added.map((l) => l.eventID)).size).toBe(scenario.events);
    expect(added.length + again.length).toBe(sum("phantom.events.received"));
    const settled = report.windows.filter((w) => w.settledBy !== "review");
    expect(settled.reduce((n, w) => n + w.events, 0)).toBe(scenario.events);
  });

  it("settles every burst exactly once, with all of its events", () => {
    const settled = report.windows.filter((w) => w.settledBy !== "review");
    const byStack = (stack: string) => ({
      windows: settled
        .filter((w) => w.stack === stack)
        .map((w) => w.events)
        .sort((a, b) => a - b),
      bursts: scenario.bursts
        .filter((b) => b.stack === stack)
        .map((b) => b.events)
        .sort((a, b) => a - b),
    });
    for (const stack of scenario.stacks) {
      const { windows, bursts } = byStack(stack);
      expect(windows, stack).toEqual(bursts);
    }
    expect(settled).toHaveLength(scenario.bursts.length);
    expect(new Set(settled.map((w) => w.id)).size).toBe(settled.length);
    expect(sum("phantom.windows.opened")).toBe(scenario.bursts.length);
    expect(settled.every((w) => w.settledBy === "quiet")).toBe(true);
  });

  it("keeps one pull request per stack: a second burst or a late copy never opens another", () => {
    const branches = report.pullRequests.map((pr) => pr.branch);
    expect(new Set(branches).size).toBe(branches.length);
    for (const branch of branches) expect(scenario.stacks.map((s) => `phantom/${s}`)).toContain(branch);
    const reacted = new Set(report.windows.filter((w) => w.pullRequest !== undefined).map((w) => w.stack));
    expect(branches.length).toBe(reacted.size);
  });
});
