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
  readonly window: string;
  readonly fingerprint: string;
  /** ISO time of the window's last event: the state the PR describes. */
  readonly validAt: string;
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

/** Ensures the ONE open pull request per stack reflects the newest window. */
export interface ChangeRequests {
  ensure(request: PullRequestRequest): Promise<PullRequestOutcome>;
  /** A later check found the stack back in sync: comment and close its open PR, if any. */
  closeInSync(input: {
    readonly repo: string;
    readonly branch: string;
    readonly comment: string;
  }): Promise<{ readonly closed: false } | { readonly closed: true; readonly number: number }>;
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

/** The "Phantom Drift Analyzed" domain event (EventBridge, source `phantom`). */
export interface DomainEvents {
  driftAnalyzed(detail: Record<string, unknown>): Promise<void>;
}
