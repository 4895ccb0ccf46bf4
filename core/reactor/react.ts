import { type AnalysisArtifacts, type AnalyzedReport, analyzeWindow } from "../analysis/analyze.ts";
import { environmentOf } from "../analysis/environment.ts";
import type { Analyst } from "../analysis/types.ts";
import type { Clock } from "../clock.ts";
import type { PhantomConfig } from "../config/schema.ts";
import { type LiveState, seeBlindSpots } from "../drift/live.ts";
import type { DriftDetector, StackResource } from "../drift/ports.ts";
import type { DriftReport, DriftStatus } from "../drift/types.ts";
import { type TemplateLocation, templateLocation } from "../publish/location.ts";
import type {
  ChangeRequests,
  DomainEvents,
  MetricPoint,
  Metrics,
  PullRequestOutcome,
  PullRequestRequest,
} from "../publish/ports.ts";
import { pullRequestRequest } from "../publish/request.ts";
import { buildWindowReport, type WindowReport } from "../report/analysis.ts";
import { publicationPoint, reactionSeconds, windowPoints } from "../report/metrics.ts";
import { redactStrings } from "../secrets.ts";
import { METRIC_CATALOG } from "../signals/catalog.ts";
import type { Signals, SignalsReport } from "../signals/types.ts";
import type { SafeStateTemplate, StackTags, TemplateSource } from "../template/ports.ts";
import { type Place, samePlace } from "../window/stack.ts";
import type { Window } from "../window/types.ts";

/**
 * The reaction to a settled window, the one pipeline the Lambdas and replay share (DESIGN §1):
 * targeted drift (► the live state where drift detection is blind) ► safe-state template ► signals ►
 * analysis (guardrails, cost, rectification, revert plan) ► pull request ► metrics ► the "Phantom
 * Drift Analyzed" event. Only the ports differ between the cloud (real clients) and replay (recorded
 * files).
 */

/**
 * What settled the window: its quiet period, its max wait, the weekly sweep, or the review an hour
 * after the incident, once the signals that judge capacity exist (`reviewAt`).
 */
export interface Settled {
  readonly at: number;
  readonly reason: "quiet" | "max-wait" | "sweep" | "review";
}

/**
 * The steps of a reaction, in order; `afterStep` runs after each (logs, fault injection): `branch`
 * when the pull request's commit is on its branch (only when one was pushed), `pull-request` when the
 * PR was opened, updated or found unchanged, `metrics` and `event` once sent (and recorded).
 */
export const REACT_STEPS = ["drift", "analysis", "branch", "pull-request", "metrics", "event"] as const;
export type ReactStep = (typeof REACT_STEPS)[number];

/**
 * Where a reaction records the effects it made, so a retry after a crash does not make them again
 * (on-settle: the window's checkpoints). Keys are `<phase>.<step>`, phase `settle` or `review`:
 * `pull-request` holds the PR's fingerprint and outcome (a retry whose analysis has the same
 * fingerprint does not ask GitHub again), `metrics` and `event` that they were sent.
 */
export interface ReactJournal {
  /** The value an earlier attempt recorded for `key`, if any. */
  get(key: string): string | undefined;
  put(key: string, value: string): Promise<void>;
}

/** What the journal keeps of a published pull request. */
interface PublishedRecord {
  readonly fingerprint: string;
  readonly outcome: PullRequestOutcome;
}

function publishedRecord(text: string | undefined): PublishedRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<PublishedRecord>;
    const outcome = value.outcome;
    return typeof value.fingerprint === "string" &&
      outcome !== undefined &&
      typeof outcome.url === "string" &&
      typeof outcome.number === "number" &&
      ["created", "updated", "unchanged", "stale"].includes(outcome.kind)
      ? { fingerprint: value.fingerprint, outcome }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Why a window with drift got no pull request (`phantom.publish.skipped`'s `reason` tag). */
export type SkipReason = "no-repository" | "template-missing" | "github-disabled";

export type Publication =
  | {
      readonly kind: "pull-request";
      readonly request: PullRequestRequest;
      readonly outcome: PullRequestOutcome;
    }
  | { readonly kind: "skipped"; readonly reason: SkipReason; readonly detail: string }
  /** Nothing drifted: nothing to publish but the figures and the event. */
  | { readonly kind: "in-sync" };

/** Everything one reaction produced, for the caller to log or write (replay's output directory). */
export interface Reaction {
  readonly report: WindowReport | AnalyzedReport;
  readonly artifacts?: AnalysisArtifacts;
  /** Where the safe-state template came from, when one was found. */
  readonly template?: Pick<SafeStateTemplate, "path" | "origin">;
  readonly signals?: SignalsReport;
  readonly publication: Publication;
  /** The points handed to the `Metrics` port. */
  readonly points: readonly MetricPoint[];
  /** Steps whose port failed without failing the reaction (metrics are best effort). */
  readonly failed: readonly { readonly step: ReactStep; readonly error: string }[];
}

/**
 * Where drift detection is blind, the live state (core/drift/live.ts): a touched resource that drift
 * detection calls IN_SYNC, NOT_CHECKED or UNSUPPORTED while the window's events changed it is read
 * (Cloud Control in the cloud, `account/resources/` in replay) and compared with what the template
 * declares, resolved against the stack's resources and deployed parameter values.
 */
export interface LivePorts {
  readonly state: LiveState;
  /** The stack's live resources, which `!Ref` / `!GetAtt` in the template resolve to. */
  resources(stack: string): Promise<readonly StackResource[]>;
  /** The values the stack was deployed with (a parameter without one falls back to its `Default`). */
  parameters?(stack: string): Promise<Readonly<Record<string, string>>>;
}

export interface ReactPorts {
  readonly drift: DriftDetector;
  /** Absent: drift detection's verdict is the whole answer (no live reads). */
  readonly live?: LivePorts;
  readonly tags: StackTags;
  /**
   * `repository` reads the template where config or tags say it lives (GitHub in the cloud);
   * `deployed` is the fallback when no location is known or the file is missing (GetTemplate).
   */
  readonly templates: { readonly repository?: TemplateSource; readonly deployed?: TemplateSource };
  readonly signals: Signals;
  readonly analyst: Analyst;
  /** Answers when `analyst` fails: the rules analyzer. */
  readonly fallback: Analyst;
  /** Absent when pull requests are off (no GitHub credentials): the reaction records the skip. */
  readonly changeRequests?: ChangeRequests;
  readonly metrics: Metrics;
  readonly events: DomainEvents;
  readonly config: Pick<PhantomConfig, "stacks" | "identities" | "environment">;
  readonly clock: Clock;
  /**
   * The home place: its stacks keep the branch `phantom/<stack>`; a stack in any other place gets
   * `phantom/<account>/<region>/<stack>`, so `api-prod` of two accounts sharing one repository never
   * shares a pull request. Absent: every stack keeps the short branch (a single-place deployment).
   * `"none"`: no place is home (a replayed scenario of several places): every branch names its place.
   */
  readonly home?: Place | "none";
  readonly afterStep?: (step: ReactStep, reaction: Partial<Reaction>) => void | Promise<void>;
  /** Absent: every attempt publishes again (replay, the sweep). */
  readonly journal?: ReactJournal;
}

const HOUR = 3_600_000;

/** The signals an analysis reads: [first event − 2 h, last event + 1 h] around the window's events. */
export function signalsQuery(report: WindowReport): Parameters<Signals["around"]>[0] {
  const first = Date.parse(report.window.firstEventAt ?? report.window.settledAt);
  const last = Date.parse(report.window.lastEventAt ?? report.window.settledAt);
  return {
    stack: report.stack,
    from: first - 2 * HOUR,
    to: last + HOUR,
    firstEventAt: first,
    lastEventAt: last,
    resources: report.resources.map((r) => ({
      logicalId: r.logicalId,
      physicalId: r.physicalId,
      type: r.resourceType,
    })),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The verdicts that may hide a change the window's events made (drift detection compares only what it can). */
const BLIND: ReadonlySet<DriftStatus> = new Set(["IN_SYNC", "NOT_CHECKED", "UNSUPPORTED"]);

/** Whether a window event touched a resource drift detection was blind to: only then is anything read live. */
function hasBlindSpot(drift: DriftReport, window: Window): boolean {
  const touched = new Set(window.events.flatMap((e) => e.resources.map((r) => r.logicalId)));
  return drift.resources.some((r) => BLIND.has(r.status) && touched.has(r.logicalId));
}

async function safeState(
  stack: string,
  location: TemplateLocation | undefined,
  ports: ReactPorts,
): Promise<SafeStateTemplate | undefined> {
  const fromRepository = location ? await ports.templates.repository?.read(stack, location) : undefined;
  return fromRepository ?? (await ports.templates.deployed?.read(stack, location));
}

/**
 * Reacts to a settled window (see the module comment). `drift` is the drift already found (the
 * sweep's stack-wide detection); without it the window's touched logical ids are checked.
 *
 * Where a touched resource is blind to drift detection and `ports.live` is given, its live state is
 * read and compared first (`seeBlindSpots`), with the safe-state template read then (once per
 * reaction) and the stack's resources and deployed parameters; `detection.liveReads` counts the reads.
 *
 * Failure semantics: a failing drift check, template read, stack resources or parameters read, pull
 * request or domain event throws, so the settle message is retried (the pull request converges on its
 * marker, so a retry never opens a second one); a live read never throws (it answers `unavailable`
 * and the window's requests are compared instead); the analyzer falls back to the rules; metrics are
 * best effort and never fail the reaction (`failed` says what was lost).
 */
export async function react(
  window: Window,
  settled: Settled,
  ports: ReactPorts,
  known?: DriftReport,
): Promise<Reaction> {
  const step = async (name: ReactStep, partial: Partial<Reaction>) => ports.afterStep?.(name, partial);
  const phase = settled.reason === "review" ? "review" : "settle";
  const journal = ports.journal;
  /** Runs `effect` unless an earlier attempt of this reaction recorded it, then records it. */
  const once = async (name: "metrics" | "event", effect: () => Promise<void>) => {
    const key = `${phase}.${name}`;
    if (journal?.get(key) !== undefined) return;
    await effect();
    await journal?.put(key, "done");
  };
  const detected = known ?? (await ports.drift.detect(window.stack, window.touched));
  const { region, account } = window;

  // The safe state is read once: here when a blind spot needs it for the live comparison, else
  // before the analysis, and only when something drifted.
  let tags: Readonly<Record<string, string>> | undefined;
  let template: SafeStateTemplate | undefined;
  let templateRead = false;
  const readTemplate = async (location: TemplateLocation | undefined) => {
    if (!templateRead) template = await safeState(window.stack, location, ports);
    templateRead = true;
    return template;
  };

  let drift: DriftReport = detected;
  if (ports.live && hasBlindSpot(detected, window)) {
    tags = await ports.tags.tagsOf(window.stack);
    const early = templateLocation(window.stack, ports.config, tags);
    const safe = await readTemplate(early.kind === "found" ? early.location : undefined);
    const [stackResources, parameters] = await Promise.all([
      ports.live.resources(window.stack),
      ports.live.parameters?.(window.stack),
    ]);
    const seen = await seeBlindSpots({
      drift: detected,
      events: window.events,
      ...(safe ? { template: { text: safe.text, format: safe.format } } : {}),
      ...(parameters ? { parameters } : {}),
      stackResources,
      live: ports.live.state,
      region,
      account,
    });
    // `liveReads` rides on the report: analysis.json's `detection.liveReads`.
    drift = seen;
  }
  const report = buildWindowReport(window, drift, settled);
  await step("drift", { report });

  tags ??= await ports.tags.tagsOf(window.stack);
  const located = templateLocation(window.stack, ports.config, tags);
  const location = located.kind === "found" ? located.location : undefined;
  const environment = environmentOf(ports.config.environment ?? location?.env, tags);
  const env = environment === "unknown" ? undefined : environment;
  // Every figure names its stack's place: `api-prod` in two accounts are two series.
  const figures = { ...(env ? { env } : {}), account, region };
  const failed: { step: ReactStep; error: string }[] = [];

  const finish = async (reaction: Omit<Reaction, "points" | "failed">, extra: MetricPoint[] = []) => {
    const prUrl = reaction.publication.kind === "pull-request" ? reaction.publication.outcome.url : undefined;
    const seconds = prUrl ? reactionSeconds(reaction.report, ports.clock.now()) : undefined;
    const points = [
      ...windowPoints(reaction.report, {
        ...figures,
        ...(seconds !== undefined ? { reactionSeconds: seconds } : {}),
      }),
      ...extra,
    ];
    await once("metrics", async () => {
      try {
        await ports.metrics.emit(points);
      } catch (error) {
        failed.push({ step: "metrics", error: describe(error) });
      }
    });
    await step("metrics", { ...reaction, points });
    await once("event", () =>
      ports.events.driftAnalyzed({
        report: reaction.report,
        ...(prUrl ? { prUrl } : {}),
        ...(reaction.publication.kind === "skipped" ? { skipped: reaction.publication.reason } : {}),
        ...(env ? { env } : {}),
      }),
    );
    const done: Reaction = { ...reaction, points, failed };
    await step("event", done);
    return done;
  };

  // Nothing drifted: the report still leaves (analysis.json, logs); its notes lose any credential.
  if (report.changes.length === 0) {
    return finish({ report: redactStrings(report), publication: { kind: "in-sync" } });
  }

  const safe = await readTemplate(location);
  const query = signalsQuery(report);
  const signals = await ports.signals.around(query);
  const analysed = await analyzeWindow(report, drift, window, {
    analyst: ports.analyst,
    fallback: ports.fallback,
    environment,
    region: region ?? "us-east-1",
    signals,
    ...(safe ? { template: { text: safe.text, path: safe.path, format: safe.format } } : {}),
    ...(safe?.parameters ? { parameters: safe.parameters } : {}),
  });
  const base = {
    report: analysed.report,
    artifacts: analysed.artifacts,
    ...(safe ? { template: { path: safe.path, origin: safe.origin } } : {}),
    signals,
  };
  await step("analysis", base);

  const skip = (reason: SkipReason, detail: string) =>
    finish({ ...base, publication: { kind: "skipped", reason, detail } }, [
      publicationPoint("publishSkipped", ports.clock.now(), { stack: window.stack, reason }, figures),
    ]);
  if (location === undefined) {
    return skip("no-repository", located.kind === "unknown" ? located.reason : "no template location");
  }
  if (safe?.origin !== "repository") {
    return skip(
      "template-missing",
      `${location.path} is not on ${location.repo}${location.branch ? `@${location.branch}` : ""}`,
    );
  }
  if (ports.changeRequests === undefined) {
    return skip("github-disabled", "no GitHub credentials: pull requests are off");
  }
  const request = pullRequestRequest({
    report: analysed.report,
    artifacts: analysed.artifacts,
    location,
    signals,
    // Away from home, the branch and the marker name the place (two places may share a repository).
    ...(awayFromHome(ports.home, window) ? { place: { account, region } } : {}),
    ...(ports.config.identities ? { identities: ports.config.identities } : {}),
  });
  // A retry whose analysis is the one an earlier attempt published does not ask GitHub again.
  const key = `${phase}.pull-request`;
  const recorded = publishedRecord(journal?.get(key));
  const outcome =
    recorded?.fingerprint === request.marker.fingerprint
      ? recorded.outcome
      : await ports.changeRequests.ensure(request, {
          branchPushed: () => step("branch", { ...base }),
        });
  if (recorded?.fingerprint !== request.marker.fingerprint) {
    await journal?.put(key, JSON.stringify({ fingerprint: request.marker.fingerprint, outcome }));
  }
  const publication: Publication = { kind: "pull-request", request, outcome };
  await step("pull-request", { ...base, publication });
  return finish({ ...base, publication });
}

/** Whether a stack's branch and marker name its place (see `ReactPorts.home`). */
function awayFromHome(home: ReactPorts["home"], stack: Place): boolean {
  if (home === undefined) return false;
  return home === "none" || !samePlace(home, stack);
}

/**
 * How long after a window's last event its review runs: the hour of signals the analysis reads after
 * the events (`signalsQuery`), plus one 5-minute rollup for Datadog to have its last point.
 */
export const REVIEW_AFTER_MS = 65 * 60_000;

/**
 * When a settled window should be analysed again, or `undefined`. At settle time — minutes after the
 * incident — Datadog cannot know the hour that follows: a monitor may still be alerting and no metric
 * has its `after` figure, so a capacity decision rests on the incident alone. When the signals of the
 * drifted resources are incomplete that way, the window is reviewed once that hour is over; the review
 * is the same reaction, and the pull request converges on its marker (updated when a decision
 * changed, untouched otherwise). Nothing to learn (no signals, all complete) ► no review.
 */
export function reviewAt(reaction: Reaction): number | undefined {
  const { report, signals } = reaction;
  if (report.window.settledBy === "review" || report.window.settledBy === "sweep") return undefined;
  if (signals === undefined || report.changes.length === 0) return undefined;
  const last = Date.parse(report.window.lastEventAt ?? report.window.settledAt);
  const due = last + REVIEW_AFTER_MS;
  if (!(Date.parse(report.window.settledAt) < due)) return undefined;
  // Only the metrics Phantom reads for the drifted resources' types (the Datadog catalogue) count: a
  // recorded metric Datadog is never asked for changes nothing at the review.
  const typeOf = new Map(report.changes.map((c) => [c.logicalId, c.resourceType]));
  const read = (logicalId: string, metric: string) =>
    METRIC_CATALOG[typeOf.get(logicalId) ?? ""]?.metrics.some((m) => m.metric === metric) ?? false;
  const alerting = signals.monitors.some((m) => m.resolvedAt === undefined);
  const partial = signals.metrics.some((m) => m.after === undefined && read(m.resource, m.metric));
  return alerting || partial ? due : undefined;
}
