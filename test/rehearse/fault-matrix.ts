import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { FAULT_KINDS, parseFaultSpec } from "../../functions/rehearse/faults.ts";
import { type RehearsalReport, runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";

/**
 * The fault matrix's shared part: rehearse a capture with `--fault` specs and check the invariants
 * issue 15 names — one pull request with one commit, each reaction's domain event once, no lost
 * window — or, when the fault outlasts every retry, the message in a DLQ and nothing published twice.
 */

export const THREE_AM = fileURLToPath(
  new URL("../../fixtures/scenarios/payments-3am-incident/", import.meta.url),
);

/** Rehearses `dir` with `specs` (parsed as `--fault` parses them) at a test's pace (2 ms AWS backoff). */
export async function rehearseWith(specs: readonly string[], dir = THREE_AM): Promise<RehearsalReport> {
  const scenario = await loadScenario(dir, { base: {} });
  const saved = process.env.PHANTOM_AWS_BACKOFF;
  process.env.PHANTOM_AWS_BACKOFF = "2ms";
  try {
    return await runRehearsal(scenario, { faults: specs.map(parseFaultSpec) });
  } finally {
    if (saved === undefined) delete process.env.PHANTOM_AWS_BACKOFF;
    else process.env.PHANTOM_AWS_BACKOFF = saved;
  }
}

/** Every fault kind on each target, twice: what the clients' retries absorb (`<target>:<kind>:2`). */
export function absorbedFaults(targets: readonly string[]): string[] {
  return targets.flatMap((target) => FAULT_KINDS.map((kind) => `${target}:${kind}:2`));
}

interface EventDetail {
  readonly windowId?: string;
  readonly settledBy?: string;
  readonly stack?: string;
}

/** `<stack> <window> <settledBy>` of every domain event, in order. */
export function eventKeys(report: RehearsalReport): string[] {
  return report.events.map((e) => {
    const d = e.detail as EventDetail;
    return `${d.stack} ${d.windowId} ${d.settledBy}`;
  });
}

/** No reaction published its event twice, and no window was analysed twice for one reason. */
export function expectNothingTwice(report: RehearsalReport): void {
  const events = eventKeys(report);
  expect(events, "a domain event was put twice").toEqual([...new Set(events)]);
  const analysed = report.windows.map((w) => `${w.stack} ${w.id} ${w.settledBy}`);
  expect(analysed, "a window reaction completed twice").toEqual([...new Set(analysed)]);
  for (const pr of report.pullRequests) expect(pr.commits, `commits on ${pr.branch}`).toBe(1);
  expect(report.pullRequests.length, "pull requests").toBeLessThanOrEqual(1);
}

/** The fault was injected at least once: a case whose fault never bit proves nothing. */
export function expectInjected(report: RehearsalReport, spec: string): void {
  const fault = parseFaultSpec(spec);
  const prefix =
    fault.kind === "crash"
      ? `crash:${fault.handler}:${fault.step}`
      : `${fault.service}.${fault.operation === "*" ? "" : fault.operation}`;
  const injected = Object.entries(report.faults).filter(([key]) => key.startsWith(prefix));
  expect(injected.length, `${spec} was never injected: ${JSON.stringify(report.faults)}`).toBeGreaterThan(0);
}

/**
 * The 3 AM capture came through: one PR with one commit, every window done, both DLQs empty, and each
 * window's settle-time event exactly once (its review's at most once). `windows: "one"` (the
 * default): the burst stayed one window. `"any"`: a crash held some changes back for the Changes
 * queue's visibility timeout (6 minutes), longer than the quiet period, so a second window took them
 * (a late change opens a new window; the PR converges on the newer one).
 */
export function expectConverged(report: RehearsalReport, options: { windows?: "one" | "any" } = {}): void {
  expect(report.unexpected).toEqual([]);
  expectNothingTwice(report);
  expect(report.pullRequests).toHaveLength(1);
  expect(report.dlq).toEqual({ changes: 0, settle: 0 });
  expect(report.unfinished, "a window was lost").toEqual([]);
  // A window is settled once: its settle-time event (the log line may be missing when the handler
  // died right after completing it).
  const settled = eventKeys(report).filter((e) => !e.endsWith(" review"));
  if ((options.windows ?? "one") === "one") expect(settled).toHaveLength(1);
  else expect(settled.length).toBeGreaterThanOrEqual(1);
  // Each reaction sends its figures at most once (`phantom.windows.settled` is one point a reaction).
  expect(settledPoints(report)).toBeLessThanOrEqual(report.events.length);
}

/** The `phantom.windows.settled` points Datadog received: one per reaction that sent its figures. */
export function settledPoints(report: RehearsalReport): number {
  return report.metrics.filter((m) => m.metric === "phantom.windows.settled").length;
}

/**
 * The fault outlasted every retry: nothing was published twice, some message is in a DLQ (where the
 * DLQ monitor sees it), and every window left unfinished is covered by one: a claimed window by its
 * settle message in the settle DLQ, an open one (its timer never armed) by its changes in the changes DLQ.
 */
export function expectDeadLettered(report: RehearsalReport): void {
  expect(report.unexpected).toEqual([]);
  expectNothingTwice(report);
  expect(report.dlq.changes + report.dlq.settle, "no message reached a DLQ").toBeGreaterThan(0);
  const claimed = report.unfinished.filter((w) => w.status === "claimed").length;
  const open = report.unfinished.filter((w) => w.status === "open").length;
  expect(claimed, "claimed windows whose settle message is not in the DLQ").toBeLessThanOrEqual(
    report.dlq.settle,
  );
  if (open > 0)
    expect(report.dlq.changes, "open windows whose changes are not in the DLQ").toBeGreaterThan(0);
}

/** What a fault must not change on another capture: the PRs and their commits, the events, the DLQs. */
export function outcome(report: RehearsalReport) {
  return {
    pullRequests: report.pullRequests.map((p) => ({ repo: p.repo, branch: p.branch, commits: p.commits })),
    // Window ids are random: an event is its stack and what settled it.
    events: eventKeys(report)
      .map((key) => key.replace(/ \S+ (\S+)$/, " $1"))
      .sort(),
    dlq: report.dlq,
    unfinished: report.unfinished,
    unexpected: report.unexpected,
  };
}
