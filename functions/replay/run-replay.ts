import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AnalyzedReport } from "../../core/analysis/analyze.ts";
import type { Analyst } from "../../core/analysis/types.ts";
import type { Judgement } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { judgeCandidates } from "../../core/change/intake.ts";
import type { PullRequestOutcome } from "../../core/publish/ports.ts";
import { type Reaction, type ReactPorts, react, reviewAt } from "../../core/reactor/react.ts";
import { settle } from "../../core/reactor/settle.ts";
import { type TouchOutcome, type TouchPorts, touch } from "../../core/reactor/touch.ts";
import type { WindowReport } from "../../core/report/analysis.ts";
import { intakePoints } from "../../core/report/metrics.ts";
import { NO_SIGNALS } from "../../core/signals/types.ts";
import { createMemoryWindowStore } from "../../core/window/memory-store.ts";
import { type Place, placeKey, samePlace, stackKey } from "../../core/window/stack.ts";
import { DEFAULT_WINDOW_POLICY, type WindowPolicy } from "../../core/window/types.ts";
import { listCaptureFiles, readCaptureFile } from "../io/read-captures.ts";
import { loadRecordedPlaces } from "./recorded-account.ts";
import { loadRecordedSignals, loadSignalsFile, recordedSignals } from "./recorded-signals.ts";
import { intakeNote, replayEvents, replayReactPorts, writeReaction } from "./replay-ports.ts";
import type { Scenario } from "./scenario.ts";
import { SequentialIds, VirtualClock, VirtualTimer } from "./virtual-time.ts";

type Change = Extract<Judgement, { verdict: "change" }>;

/** What replay tells its caller as it goes (the CLI renders it as a story). */
export interface ReplayListener {
  touched?(change: Change, outcome: TouchOutcome, at: number): void;
  settled?(report: WindowReport | AnalyzedReport, dir: string): void;
  /** With `repo`: what publishing the window's pull request did. */
  published?(report: AnalyzedReport, outcome: PullRequestOutcome, branch: string): void;
  /**
   * A window with drift got no pull request, and why (`no-repository`: its template location was
   * refused or unknown, the detail naming the tag or config field and the reason).
   */
  skipped?(report: AnalyzedReport, reason: string, detail: string): void;
}

export interface ReplayOptions {
  readonly policy?: Partial<WindowPolicy>;
  /** The analyzer; the rules analyzer by default. */
  readonly analyst?: Analyst;
  /** A local git repository to publish each analysed window's pull request to (`--repo`). */
  readonly repo?: string;
}

export interface ReplayedWindow {
  readonly account: string;
  readonly region: string;
  readonly stack: string;
  readonly windowId: string;
  readonly out: string;
  readonly changes: number;
  /** The window's severity; `null` when nothing drifted. */
  readonly severity: string | null;
  /** The pull request outcome, when one was published. */
  readonly pullRequest?: PullRequestOutcome;
  /** Everything the reaction produced. */
  readonly reaction: Reaction;
}

export interface ReplaySummary {
  readonly records: number;
  readonly changes: number;
  readonly duplicates: number;
  readonly ignored: ReadonlyMap<string, number>;
  readonly rejected: ReadonlyMap<string, number>;
  /** Change events whose resources no recorded stack owns. */
  readonly unmanaged: number;
  readonly windows: readonly ReplayedWindow[];
  /** Virtual time from the first change to the last settle. */
  readonly virtualMs: number;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * Replays a captured incident through the production use cases (`touch`, `settle`, `react`) with the
 * recorded-account adapters, an in-memory window store and a virtual clock: events arrive at their
 * own time, settle reminders fire in time order, and each settled window is written to `outDir`.
 */
export async function runReplay(
  scenario: Scenario,
  outDir: string,
  listener: ReplayListener = {},
  options: ReplayOptions = {},
): Promise<ReplaySummary> {
  const places = await loadRecordedPlaces(scenario);
  const signals = scenario.signalsFile
    ? await loadSignalsFile(scenario.signalsFile)
    : scenario.root
      ? await loadRecordedSignals(scenario.root)
      : recordedSignals(NO_SIGNALS);
  // Replay runs on the capture's own time: only the absolute bounds apply, never this machine's clock.
  const context = catalogContext(scenario.config);
  const ignored = new Map<string, number>();
  const rejected = new Map<string, number>();
  const changes: { change: Change; at: number; order: number }[] = [];
  let records = 0;

  // Records Phantom could not read: any of them may have been a change, so every window's
  // analysis.json says so (`intake`), never silence.
  const unread: string[] = [];
  for (const file of await listCaptureFiles(scenario.eventsPaths)) {
    for await (const item of readCaptureFile(file)) {
      const where = `${file}${item.line !== undefined ? `:${item.line}` : ""}`;
      if (item.kind === "error") {
        records++;
        bump(rejected, "malformed");
        unread.push(`${where}: malformed: ${item.error}`);
        continue;
      }
      for (const { judgement, path: at } of judgeCandidates(
        item.value,
        context,
        item.path ?? "",
        item.depth ?? 0,
      )) {
        records++;
        if (judgement.verdict === "rejected") {
          unread.push(`${where}${at}: ${judgement.reason}: ${judgement.detail}`);
        }
        if (judgement.verdict === "change") {
          changes.push({
            change: judgement,
            at: Date.parse(judgement.record.eventTime),
            order: changes.length,
          });
        } else if (judgement.verdict === "ignored") bump(ignored, judgement.reason);
        else bump(rejected, judgement.reason);
      }
    }
  }
  changes.sort((a, b) => a.at - b.at || a.order - b.order);

  const policy: WindowPolicy = {
    ...DEFAULT_WINDOW_POLICY,
    quietMs: scenario.config.windows.quietPeriod,
    maxWaitMs: scenario.config.windows.maxWait,
    ...options.policy,
  };
  const start = changes[0]?.at ?? 0;
  const clock = new VirtualClock(start);
  const timer = new VirtualTimer();
  const windows = createMemoryWindowStore();
  const ids = new SequentialIds();
  const written: ReplayedWindow[] = [];
  await rm(path.join(outDir, "events.jsonl"), { force: true });
  // As of the virtual clock: at settle time, as the deployed adapter reads Datadog.
  const signalsPort = recordedSignals(signals.recorded, { clock });
  const events = replayEvents(outDir);
  const spans = scenario.places !== undefined;
  /** Each place's react ports: its recorded account and templates; a multi-place output nests by place. */
  const portsOf = new Map<string, { ports: ReactPorts; out: string }>();
  const reactPortsAt = (place: Place) => {
    const key = placeKey(place);
    const known = portsOf.get(key);
    if (known !== undefined) return known;
    const recorded = places.find((p) => p.place === undefined || samePlace(p.place, place));
    if (recorded === undefined) throw new Error(`no recorded place ${key} in the scenario`);
    const out = spans ? path.join(outDir, place.account, place.region) : outDir;
    const ports: ReactPorts = {
      ...replayReactPorts({
        account: recorded.account,
        accountDir: recorded.dir,
        ...(scenario.root ? { repoDir: path.join(scenario.root, "repo") } : {}),
        signals: signalsPort,
        config: scenario.config,
        clock,
        outDir: out,
        urlRoot: outDir,
        ...(options.analyst ? { analyst: options.analyst } : {}),
        ...(options.repo ? { repoPath: options.repo } : {}),
      }),
      events,
      // Several places: no place is home, so every pull request branch names its place.
      ...(spans ? { home: "none" as const } : {}),
    };
    const entry = { ports, out };
    portsOf.set(key, entry);
    return entry;
  };
  const touchPorts: TouchPorts = {
    directory: {
      // A one-place scenario answers wherever the event happened; several places, only the event's own.
      lookup: async (resource, where) => {
        const recorded = places.find(
          (p) =>
            p.place === undefined ||
            (where?.account !== undefined &&
              where.region !== undefined &&
              samePlace(p.place, { account: where.account, region: where.region })),
        );
        return recorded?.account.directory.lookup(resource, where);
      },
    },
    windows,
    timer,
    clock,
    ids,
    policy,
    ...(spans
      ? {
          serves: (account: string) => places.some((p) => p.place?.account === account),
          regionsOf: (account: string) =>
            places.flatMap((p) => (p.place?.account === account ? [p.place.region] : [])),
        }
      : {}),
  };
  const settlePorts = {
    windows,
    timer,
    clock,
    policy,
    owner: "replay",
    reviewAt,
    react: async (window: Parameters<typeof react>[0], settled: Parameters<typeof react>[1]) => {
      const at = reactPortsAt(window);
      const reaction = await react(window, settled, at.ports);
      const dir = await writeReaction(at.out, reaction, intakeNote(unread));
      const { report, publication } = reaction;
      const analyzed = "analyzer" in report ? report : undefined;
      const pullRequest = publication.kind === "pull-request" ? publication.outcome : undefined;
      written.push({
        account: window.account,
        region: window.region,
        stack: report.stack,
        windowId: report.window.id,
        out: dir,
        changes: report.changes.length,
        severity: analyzed?.severity ?? null,
        ...(pullRequest ? { pullRequest } : {}),
        reaction,
      });
      listener.settled?.(report, dir);
      if (analyzed && publication.kind === "pull-request" && options.repo) {
        listener.published?.(analyzed, publication.outcome, publication.request.branch);
      }
      if (analyzed && publication.kind === "skipped") {
        listener.skipped?.(analyzed, publication.reason, publication.detail);
      }
      return reaction;
    },
  };

  const fireUntil = async (limit: number) => {
    for (let next = timer.peek(); next !== undefined && next <= limit; next = timer.peek()) {
      const due = timer.take();
      if (due === undefined) break;
      clock.advance(due.at);
      await settle(due.message, settlePorts);
    }
  };

  let duplicates = 0;
  let unmanaged = 0;
  const seenUnmanaged = new Set<string>();
  for (const { change, at } of changes) {
    await fireUntil(at);
    clock.advance(at);
    const outcome = await touch(change, touchPorts);
    if (outcome.ignored !== undefined) {
      bump(ignored, outcome.ignored.reason);
      listener.touched?.(change, outcome, clock.now());
      continue;
    }
    if (outcome.stacks.length > 0 && outcome.stacks.every((s) => s.duplicate)) duplicates++;
    // No window de-duplicates a change no stack owns: count each event key once.
    if (outcome.stacks.length === 0 && !seenUnmanaged.has(outcome.key)) {
      seenUnmanaged.add(outcome.key);
      unmanaged++;
    }
    listener.touched?.(change, outcome, clock.now());
  }
  await fireUntil(Number.POSITIVE_INFINITY);

  // The intake's own series (events received, ignored and rejected by reason, windows opened by
  // stack) for the whole replay, next to the per-window metrics: `<out>/metrics.jsonl`.
  if (records > 0) {
    const opened = new Map<string, number>();
    // A window opens once; its review (an hour later) is the same window, reacted to again.
    for (const w of written.filter((x) => x.reaction.report.window.settledBy !== "review")) {
      opened.set(stackKey(w), (opened.get(stackKey(w)) ?? 0) + 1);
    }
    const points = intakePoints({
      at: clock.now(),
      received: records,
      ignored,
      rejected,
      windowsOpened: opened,
    });
    await mkdir(outDir, { recursive: true });
    await writeFile(
      path.join(outDir, "metrics.jsonl"),
      `${points.map((p) => JSON.stringify(p)).join("\n")}\n`,
    );
  }

  return {
    records,
    changes: changes.length,
    duplicates,
    ignored,
    rejected,
    unmanaged,
    windows: written,
    virtualMs: clock.now() - start,
  };
}
