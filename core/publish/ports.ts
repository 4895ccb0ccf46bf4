import type { AnalyzedReport } from "../analysis/analyze.ts";
import type { WindowReport } from "../report/analysis.ts";

/**
 * Ports for what Phantom publishes: the pull request per stack, metrics, and domain events.
 */

/** One file the pull request writes, at its path in the repository. */
export interface ChangeFile {
  readonly path: string;
  readonly content: string;
}

/**
 * The hidden marker in a PR body (STYLE "Every write converges"): which stack and window the PR
 * reflects, a fingerprint of the window's changes, and the time the state was valid at, so an older
 * window never overwrites a newer PR and re-running a window changes nothing.
 * Rendered as `<!-- phantom:stack=<stack> window=<id> fingerprint=<hex> valid-at=<ISO> -->`.
 */
export interface PullRequestMarker {
  readonly stack: string;
  /** The stack's account and region, on the marker of a stack away from the home place. */
  readonly account?: string;
  readonly region?: string;
  readonly window: string;
  readonly fingerprint: string;
  /** ISO time of the window's last event: the state the PR describes. */
  readonly validAt: string;
  /** The window's review wrote it (the hour after the incident known): its settle-time analysis never overwrites it. */
  readonly reviewed?: boolean;
  /**
   * The weekly sweep wrote it. A sweep knows the drift but not the incident (no events, no signals
   * around them), so it never overwrites a PR a window of events wrote: it opens a PR only where none is open.
   */
  readonly sweep?: boolean;
}

export interface PullRequestRequest {
  /** `owner/name`. */
  readonly repo: string;
  /** The default branch when absent. */
  readonly baseBranch?: string;
  /** `phantom/<stack>`. */
  readonly branch: string;
  readonly title: string;
  /** Markdown, including the rendered marker. */
  readonly body: string;
  readonly marker: PullRequestMarker;
  /** All files in ONE commit. */
  readonly files: readonly ChangeFile[];
  readonly commitMessage: string;
  readonly labels: readonly string[];
  /** GitHub handles to request reviews from (mapped actors). */
  readonly reviewers: readonly string[];
  /** The comment added when an open PR is updated by a newer window ("new drift at … by @…"). */
  readonly updateComment: string;
}

export type PullRequestOutcome =
  | { readonly kind: "created"; readonly number: number; readonly url: string }
  | { readonly kind: "updated"; readonly number: number; readonly url: string }
  | { readonly kind: "unchanged"; readonly number: number; readonly url: string }
  /** The open PR describes a newer window (`valid-at` later): nothing written. */
  | { readonly kind: "stale"; readonly number: number; readonly url: string };

/** Told as `ensure` passes its steps (on-settle's `branch` step: the commit is on the branch, no PR yet). */
export interface ChangeRequestProgress {
  readonly branchPushed?: () => void | Promise<void>;
}

/** Ensures the ONE open pull request per stack reflects the newest window. */
export interface ChangeRequests {
  ensure(request: PullRequestRequest, progress?: ChangeRequestProgress): Promise<PullRequestOutcome>;
}

/** One metric point (the `metrics.jsonl` line contract, DESIGN §4). */
export interface MetricPoint {
  readonly metric: string;
  readonly type: "count" | "gauge";
  readonly value: number;
  /** Epoch seconds. */
  readonly timestamp: number;
  /** `key:value`. */
  readonly tags: readonly string[];
}

export interface Metrics {
  emit(points: readonly MetricPoint[]): Promise<void>;
}

/** One settled window, as the "Phantom Drift Analyzed" event tells it. */
export interface DriftAnalyzed {
  readonly report: WindowReport | AnalyzedReport;
  /** The window's pull request, when one was opened or updated. */
  readonly prUrl?: string;
  /** Why no pull request was published (`no-repository`, ...), when none was. */
  readonly skipped?: string;
  /** The stack's environment as configured or tagged (`prod`, `Production`, ...). */
  readonly env?: string;
}

/**
 * The "Phantom Drift Analyzed" domain event, one port for every sink of it: EventBridge (source
 * `phantom`, for other tools' rules) and Datadog events (the incident timeline); replay writes it to a file.
 */
export interface DomainEvents {
  driftAnalyzed(event: DriftAnalyzed): Promise<void>;
}
