import { appendFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createRulesAnalyst } from "../../core/analysis/rules.ts";
import type { Analyst } from "../../core/analysis/types.ts";
import type { Clock } from "../../core/clock.ts";
import type { PhantomConfig } from "../../core/config/schema.ts";
import { DRIFT_ANALYZED, driftAnalyzedDetail } from "../../core/publish/domain-event.ts";
import type {
  ChangeRequests,
  DomainEvents,
  MetricPoint,
  Metrics,
  PullRequestOutcome,
} from "../../core/publish/ports.ts";
import { checkPathSegment, checkRepositoryPath, mustBe } from "../../core/publish/safe.ts";
import type { Reaction, ReactPorts } from "../../core/reactor/react.ts";
import { redactString } from "../../core/secrets.ts";
import type { Signals } from "../../core/signals/types.ts";
import { createLocalGitChangeRequests } from "../adapters/local-git-change-requests.ts";
import type { RecordedAccount } from "./recorded-account.ts";
import { recordedTemplateSource } from "./recorded-templates.ts";

/**
 * Replay's ports for `react`: the recorded account (drift, live state, stack resources and
 * parameters), templates and signals of a scenario, and an output directory in place of GitHub,
 * Datadog and EventBridge (DESIGN §4 "Replay output").
 */

/**
 * `<out>/<stack>/<window-id>/`: where everything a window produced is written. Both names are one
 * path segment each (`checkPathSegment`, core/publish/safe.ts), so nothing lands outside `outDir`;
 * the scenario's stack names are CloudFormation's already (loadRecordedAccount refuses others).
 * @throws {UnsafeNameError} for a name that is not one segment (`..`, `a/b`, a newline).
 */
export function windowDir(outDir: string, stack: string, windowId: string): string {
  return path.join(
    outDir,
    mustBe(checkPathSegment(stack), "stack name", stack),
    mustBe(checkPathSegment(windowId), "window id", windowId),
  );
}

/**
 * The replay `ChangeRequests`: each request's title and body go to its window's `pull-request.md`;
 * with `repoPath`, the local git adapter also commits the files on the stack's branch (`--repo`).
 * Without a repository each stack's first request is its PR number 1, 2, … in the order they came.
 */
export function replayChangeRequests(outDir: string, repoPath?: string, urlRoot = outDir): ChangeRequests {
  const git = repoPath ? createLocalGitChangeRequests({ repoPath }) : undefined;
  const numbers = new Map<string, number>();
  return {
    async ensure(request) {
      const dir = windowDir(outDir, request.marker.stack, request.marker.window);
      const file = path.join(dir, "pull-request.md");
      let outcome: PullRequestOutcome;
      if (git) {
        outcome = await git.ensure({ ...request, repo: path.basename(path.resolve(repoPath ?? ".")) });
      } else {
        const known = numbers.get(request.branch);
        const number = known ?? numbers.size + 1;
        numbers.set(request.branch, number);
        // Relative to the output directory, so replays of one scenario compare byte for byte.
        const url = path.relative(urlRoot, file).split(path.sep).join("/");
        outcome = { kind: known === undefined ? "created" : "updated", number, url };
      }
      await mkdir(dir, { recursive: true });
      await writeFile(file, `# ${request.title}\n\n${request.body}`);
      return outcome;
    },
  };
}

/** The replay `DomainEvents`: one `{"source", "detailType", "detail"}` line per window in `<out>/events.jsonl`. */
export function replayEvents(outDir: string): DomainEvents {
  return {
    async driftAnalyzed(event) {
      const detail = driftAnalyzedDetail(event.report, event.prUrl ? { prUrl: event.prUrl } : {});
      const line = { source: DRIFT_ANALYZED.source, detailType: DRIFT_ANALYZED.detailType, detail };
      await mkdir(outDir, { recursive: true });
      await appendFile(path.join(outDir, "events.jsonl"), `${JSON.stringify(line)}\n`);
    },
  };
}

/** Metrics kept in memory: each window's points are written beside its analysis by `writeReaction`. */
export function recordedMetrics(): Metrics & { readonly points: MetricPoint[] } {
  const points: MetricPoint[] = [];
  return {
    points,
    async emit(batch) {
      points.push(...batch);
    },
  };
}

export interface ReplayPortsInput {
  readonly account: RecordedAccount;
  readonly accountDir: string;
  /** The scenario's `repo/`: extra files of the IaC repository (parameter files). */
  readonly repoDir?: string;
  readonly signals: Signals;
  readonly config: PhantomConfig;
  readonly clock: Clock;
  readonly outDir: string;
  /** What pull request URLs are relative to (the replay's output root); default `outDir`. */
  readonly urlRoot?: string;
  /** The analyzer; the rules analyzer by default. */
  readonly analyst?: Analyst;
  /** A local git repository to commit each pull request to (`--repo`). */
  readonly repoPath?: string;
}

/** The ports `react` runs on in replay. */
export function replayReactPorts(input: ReplayPortsInput): ReactPorts {
  const fallback = createRulesAnalyst(input.clock);
  const templates = recordedTemplateSource(input.accountDir, input.repoDir);
  return {
    drift: input.account.drift,
    live: {
      state: input.account.live,
      resources: async (stack) => input.account.resources(stack),
      parameters: async (stack) => input.account.parameters(stack),
    },
    tags: { tagsOf: async (stack) => input.account.stackTags(stack) },
    templates: { repository: templates },
    signals: input.signals,
    analyst: input.analyst ?? fallback,
    fallback,
    changeRequests: replayChangeRequests(input.outDir, input.repoPath, input.urlRoot),
    metrics: recordedMetrics(),
    events: replayEvents(input.outDir),
    config: input.config,
    clock: input.clock,
  };
}

/**
 * A repository path under `rectified/`: checked as every repository path is (`checkRepositoryPath`:
 * relative, no `..`, no `.git`), so it stays inside the window's directory.
 */
function safeRelative(repoPath: string): string {
  return path.join(...mustBe(checkRepositoryPath(repoPath), "repository path", repoPath).split("/"));
}

/** How many of the capture's records Phantom could not read, and the first of them (file:line path: reason). */
export interface IntakeNote {
  readonly unread: number;
  readonly notes: readonly string[];
}

const INTAKE_NOTES = 20;

/**
 * The capture's unreadable records as a window reports them: a record Phantom could not read (an
 * export's field that is not JSON, a file cut mid-array) may have been a change to any stack, so every
 * window of the replay says how many there were. `undefined` when every record was read.
 */
export function intakeNote(unread: readonly string[]): IntakeNote | undefined {
  if (unread.length === 0) return undefined;
  // A note quotes the record where it broke (JSON.parse shows a few characters): no secret in it.
  return {
    unread: unread.length,
    notes: unread.slice(0, INTAKE_NOTES).map((n) => redactString(n).slice(0, 400)),
  };
}

/**
 * Writes what a reaction produced to `<out>/<stack>/<window-id>/` (DESIGN §4): `analysis.json`,
 * `metrics.jsonl` (the points the Metrics port received), the rectified template at its repository
 * path under `rectified/` when the rectification changed it (and the rectified parameter file), and
 * `revert-plan.json` when a change is reverted. `pull-request.md` is the ChangeRequests port's.
 * Returns the directory.
 */
export async function writeReaction(
  outDir: string,
  reaction: Reaction,
  intake?: IntakeNote,
): Promise<string> {
  const { report, artifacts } = reaction;
  const dir = windowDir(outDir, report.stack, report.window.id);
  await mkdir(dir, { recursive: true });
  const analysis = intake ? { ...report, intake } : report;
  await writeFile(path.join(dir, "analysis.json"), `${JSON.stringify(analysis, null, 2)}\n`);
  await writeFile(
    path.join(dir, "metrics.jsonl"),
    `${reaction.points.map((p) => JSON.stringify(p)).join("\n")}\n`,
  );
  for (const file of [artifacts?.template?.changed ? artifacts.template : undefined, artifacts?.parameters]) {
    if (file === undefined) continue;
    const target = path.join(dir, "rectified", safeRelative(file.path));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.text);
  }
  if (artifacts?.revert) {
    await writeFile(path.join(dir, "revert-plan.json"), `${JSON.stringify(artifacts.revert, null, 2)}\n`);
  }
  return dir;
}
