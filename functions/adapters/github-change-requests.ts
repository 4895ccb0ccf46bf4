import { createAppAuth } from "@octokit/auth-app";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import picomatch from "picomatch";
import { markerVerdict, parseMarker } from "../../core/publish/marker.ts";
import type {
  ChangeRequestProgress,
  ChangeRequests,
  PullRequestOutcome,
  PullRequestRequest,
} from "../../core/publish/ports.ts";
import { assertSafeRequest } from "../../core/publish/safe.ts";
import type { Logger } from "../log.ts";

/**
 * The `ChangeRequests` port on GitHub, through `@octokit/rest` with the throttling and retry plugins.
 *
 * `ensure()` keeps ONE open pull request per stack on branch `phantom/<stack>`:
 * 1. find the open PR for head `owner:phantom/<stack>` (`GET /repos/{o}/{r}/pulls`);
 * 2. if there is one, read the hidden marker in its body: same fingerprint ► `unchanged`, a later
 *    `valid-at` ► `stale` — and nothing is written in either case;
 * 3. otherwise build ONE commit on top of the base branch head through the Git Data API — a blob per
 *    file ► one tree (`base_tree` = the base commit's tree) ► one commit ► create or force-update
 *    the branch — never one commit per file (GitHub's secondary limits count content-creating
 *    requests: at most 80 a minute, 500 an hour);
 * 4. update the open PR (title, body, a comment "new drift at … by @…") or open one; a 422 "A pull
 *    request already exists" (another writer won the race) is resolved by re-reading that PR's
 *    marker and updating it when ours is newer;
 * 5. labels (`phantom`, `severity:<level>`, `decision:<kind>`: stale `severity:`/`decision:` labels are
 *    removed on update; GitHub creates a missing label on first use, colour `ededed`) and review
 *    requests for the mapped actors plus the CODEOWNERS of the changed paths (teams as team reviewers).
 *    Neither can fail the PR: a non-collaborator reviewer (422) is skipped and logged.
 *
 * Failures (network, permissions, 5xx past the retries) reject with a `GitHubChangeRequestsError`
 * naming the step; the token never appears in it.
 *
 * @see https://docs.github.com/rest/pulls/pulls
 * @see https://docs.github.com/rest/git/trees#create-a-tree
 * @see https://docs.github.com/rest/git/refs#update-a-reference
 * @see https://docs.github.com/rest/issues/labels#add-labels-to-an-issue
 * @see https://docs.github.com/rest/pulls/review-requests#request-reviewers-for-a-pull-request
 * @see https://docs.github.com/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners
 * @see https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
 */

/* ---------- the client ---------- */

/**
 * `@octokit/rest` with `@octokit/plugin-retry` and `@octokit/plugin-throttling`.
 * @see https://github.com/octokit/rest.js
 */
export const PhantomOctokit = Octokit.plugin(retry, throttling);
/** An instance of {@link PhantomOctokit}. */
export type PhantomOctokit = InstanceType<typeof PhantomOctokit>;

type ThrottleOptions = Extract<
  NonNullable<NonNullable<ConstructorParameters<typeof PhantomOctokit>[0]>["throttle"]>,
  { onRateLimit: unknown; onSecondaryRateLimit: unknown }
>;
type LimiterGroup = NonNullable<ThrottleOptions["write"]>;

/**
 * Options of {@link createOctokit}.
 * @see https://docs.github.com/rest/authentication/authenticating-to-the-rest-api
 */
export interface CreateOctokitOptions {
  /**
   * A token (fine-grained PAT or installation token) with contents, pull requests and issues write;
   * or a GitHub App installation, whose short-lived installation tokens `@octokit/auth-app` mints
   * (and renews) from the App's private key.
   * @see https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation
   */
  readonly auth?:
    | string
    | { readonly appId: string; readonly privateKey: string; readonly installationId: number };
  /** GitHub Enterprise Server: `https://github.example.com/api/v3`; tests: the fake server's URL. */
  readonly baseUrl?: string;
  readonly userAgent?: string;
  readonly throttle?: {
    /** Retries after a primary rate limit (`x-ratelimit-remaining: 0`). Default 1. */
    readonly retries?: number;
    /** Retries after a secondary rate limit (403/429 "secondary rate limit", `retry-after`). Default 2. */
    readonly secondaryRetries?: number;
    /** A limit asking to wait longer than this is not retried: the request fails. Default 120 s. */
    readonly maxRetryAfterSeconds?: number;
    /** Milliseconds per second of `retry-after` (set small in tests). Default 1000. */
    readonly retryAfterBaseValue?: number;
    /** Seconds to wait on a secondary limit without `retry-after`. Default 60. */
    readonly fallbackSecondaryRateRetryAfter?: number;
    /**
     * The plugin paces writes (1 a second, 1 every 3 s for requests that notify people), as GitHub
     * asks of integrations. `false` turns that pacing off (tests, a private GHES); rate-limit
     * retries still apply. Default true.
     */
    readonly pacing?: boolean;
  };
  /** `@octokit/plugin-retry` for 5xx and other transient errors (never 4xx). */
  readonly retry?: { readonly retries?: number; readonly retryAfterBaseValue?: number };
  readonly logger?: Logger;
  /** A `fetch` implementation (default: the global one). */
  readonly fetch?: typeof fetch;
  /** A request unanswered this long fails (and is retried as a server error). Default: none. */
  readonly requestTimeoutMs?: number;
}

/** A Bottleneck group stand-in that runs jobs at once (no pacing). */
function unpaced(): LimiterGroup {
  const limiter = {
    schedule: (...args: unknown[]) => {
      const rest = typeof args[0] === "function" ? args : args.slice(1);
      const [job, ...jobArgs] = rest as [(...a: unknown[]) => unknown, ...unknown[]];
      return Promise.resolve().then(() => job(...jobArgs));
    },
  };
  return { key: () => limiter } as unknown as LimiterGroup;
}

/**
 * Builds the Octokit client Phantom uses: throttling (GitHub's recommended pacing, and bounded
 * retries on primary and secondary rate limits: both callbacks return `true` to retry after
 * `retry-after`) and retry (5xx; 4xx other than rate limits are not retried, 429 is left to the
 * throttling plugin so it is never retried twice).
 *
 * @see https://github.com/octokit/plugin-throttling.js
 * @see https://github.com/octokit/plugin-retry.js
 * @see https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api
 */
export function createOctokit(options: CreateOctokitOptions = {}): PhantomOctokit {
  const t = options.throttle ?? {};
  const retries = t.retries ?? 1;
  const secondaryRetries = t.secondaryRetries ?? 2;
  const maxWait = t.maxRetryAfterSeconds ?? 120;
  const logger = options.logger;
  const onLimit =
    (kind: "primary" | "secondary", allowed: number) =>
    (
      retryAfter: number,
      request: { method?: string; url?: string },
      _octokit: unknown,
      retryCount: number,
    ) => {
      const retrying = retryCount < allowed && retryAfter <= maxWait;
      logger?.log("warn", "github.rate-limited", {
        limit: kind,
        method: request.method,
        url: request.url,
        retryAfterSeconds: retryAfter,
        retryCount,
        retrying,
      });
      return retrying;
    };
  const pacing = t.pacing === false ? { write: unpaced(), notifications: unpaced(), search: unpaced() } : {};
  return new PhantomOctokit({
    ...(typeof options.auth === "string" ? { auth: options.auth } : {}),
    ...(typeof options.auth === "object"
      ? {
          authStrategy: createAppAuth,
          auth: {
            appId: options.auth.appId,
            privateKey: options.auth.privateKey,
            installationId: options.auth.installationId,
          },
        }
      : {}),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    userAgent: options.userAgent ?? "phantom-drift-reactor",
    ...(options.fetch || options.requestTimeoutMs
      ? { request: { fetch: timedFetch(options.fetch ?? globalThis.fetch, options.requestTimeoutMs) } }
      : {}),
    throttle: {
      onRateLimit: onLimit("primary", retries),
      onSecondaryRateLimit: onLimit("secondary", secondaryRetries),
      retryAfterBaseValue: t.retryAfterBaseValue ?? 1000,
      fallbackSecondaryRateRetryAfter: t.fallbackSecondaryRateRetryAfter ?? 60,
      ...pacing,
    },
    retry: {
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
      retries: options.retry?.retries ?? 3,
      retryAfterBaseValue: options.retry?.retryAfterBaseValue ?? 1000,
    },
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger?.log("warn", "github.octokit", { detail: message }),
      // A 404 is how Phantom learns a file (CODEOWNERS, a template) is absent: not an error.
      error: (message: string) =>
        / - 404 with id /.test(message)
          ? undefined
          : logger?.log("error", "github.octokit", { detail: message }),
    },
  });
}

/** `fetch` whose every request is aborted after `ms` (Octokit then fails it as a 500, which is retried). */
function timedFetch(fetcher: typeof fetch, ms: number | undefined): typeof fetch {
  if (ms === undefined) return fetcher;
  return (input, init) => {
    const timeout = AbortSignal.timeout(ms);
    return fetcher(input, {
      ...init,
      signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
    });
  };
}

/* ---------- errors ---------- */

/**
 * A GitHub call failed past the retries; `step` says which, `status` is the HTTP status, `cause` is
 * Octokit's `RequestError` (whose request headers have the token redacted).
 * @see https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api
 */
export class GitHubChangeRequestsError extends Error {
  override readonly name = "GitHubChangeRequestsError";
  readonly status?: number;
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    const status = statusOf(cause);
    super(`GitHub: ${step} failed${status ? ` (HTTP ${status})` : ""}: ${messageOf(cause)}`, { cause });
    if (status !== undefined) this.status = status;
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The `errors[].message`s and `message` of a 422 body, for matching GitHub's validation errors. */
function validationText(error: unknown): string {
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data as
    | { message?: string; errors?: { message?: string }[] }
    | undefined;
  return [data?.message, ...(data?.errors ?? []).map((e) => e.message), messageOf(error)]
    .filter((m): m is string => typeof m === "string")
    .join(" | ");
}

/* ---------- CODEOWNERS ---------- */

/** One CODEOWNERS rule: a gitignore-style pattern and its owners (`@user`, `@org/team`, emails). */
export interface CodeOwnersRule {
  readonly pattern: string;
  readonly owners: readonly string[];
  readonly matches: (path: string) => boolean;
}

/**
 * Parses a CODEOWNERS file. Patterns follow GitHub's gitignore-like rules: a leading `/` or an inner
 * `/` anchors at the root, otherwise a pattern matches at any depth; a trailing `/` (or a directory
 * name without wildcards) matches everything beneath; `*` stays within a segment, `**` spans
 * segments, and `docs/*` does not reach into `docs/x/`. The LAST
 * matching rule wins, and a rule with no owners un-owns the path.
 * @see https://docs.github.com/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners#codeowners-syntax
 */
export function parseCodeOwners(text: string): CodeOwnersRule[] {
  const rules: CodeOwnersRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (line === "") continue;
    const [pattern, ...owners] = line.split(/\s+/);
    if (!pattern || pattern.startsWith("!") || pattern.startsWith("[")) continue;
    const anchored = pattern.startsWith("/") || pattern.slice(0, -1).includes("/");
    let core = pattern.replace(/^\//, "");
    const directory = core.endsWith("/");
    core = core.replace(/\/+$/, "");
    if (core === "" || core === "*" || core === "**") {
      rules.push({ pattern, owners, matches: () => true });
      continue;
    }
    const prefix = anchored ? "" : "**/";
    // A name without wildcards may be a directory (`/build/logs`): it owns everything beneath. A
    // wildcard segment does not reach deeper (`docs/*` owns `docs/a.md`, not `docs/x/a.md`).
    const last = core.split("/").pop() ?? core;
    const globs = directory
      ? [`${prefix}${core}/**`]
      : last.includes("*")
        ? [`${prefix}${core}`]
        : [`${prefix}${core}`, `${prefix}${core}/**`];
    const matcher = picomatch(globs, { dot: true });
    rules.push({ pattern, owners, matches: (path) => matcher(path) });
  }
  return rules;
}

/**
 * The owners of a path: those of the last rule matching it (none when no rule matches).
 * @see https://docs.github.com/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners#example-of-a-codeowners-file
 */
export function ownersOf(rules: readonly CodeOwnersRule[], path: string): readonly string[] {
  for (let i = rules.length - 1; i >= 0; i -= 1) {
    const rule = rules[i];
    if (rule?.matches(path)) return rule.owners;
  }
  return [];
}

const CODEOWNERS_PATHS = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] as const;

/* ---------- the adapter ---------- */

/**
 * Options of {@link createGitHubChangeRequests}.
 * @see https://docs.github.com/rest/pulls/pulls#create-a-pull-request
 */
export interface GitHubChangeRequestsOptions {
  /** From {@link createOctokit}; any `@octokit/rest` instance works. */
  readonly octokit: Octokit;
  readonly logger?: Logger;
  /** Request reviews from the CODEOWNERS of the changed paths. Default true. */
  readonly codeowners?: boolean;
  /** Commit author; GitHub's default is the token's user. */
  readonly author?: { readonly name: string; readonly email: string };
  /** Labels Phantom manages by prefix: removed from an updated PR when the new window does not carry them. */
  readonly managedLabelPrefixes?: readonly string[];
}

interface OpenPull {
  readonly number: number;
  readonly html_url: string;
  readonly body: string | null;
  readonly user: { readonly login: string } | null;
  readonly base: { readonly ref: string };
  readonly head: { readonly ref: string };
  readonly labels: readonly { readonly name?: string }[];
  readonly requested_reviewers?: readonly { readonly login: string }[] | null;
  readonly requested_teams?: readonly { readonly slug: string }[] | null;
}

function splitRepo(full: string): { owner: string; repo: string } {
  const [owner, repo, ...rest] = full.split("/");
  if (!owner || !repo || rest.length > 0)
    throw new GitHubChangeRequestsError(`parse repository ${JSON.stringify(full)}`, "expected owner/name");
  return { owner, repo };
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Creates the GitHub `ChangeRequests` adapter (see the module comment for the flow). Every ensure
 * starts with `GET /repos/{owner}/{repo}/pulls?head=owner:phantom/<stack>&state=open`; a re-run or
 * an older window stops there.
 * @see https://docs.github.com/rest/pulls/pulls#list-pull-requests
 * @see https://docs.github.com/rest/git/blobs#create-a-blob
 * @see https://docs.github.com/rest/git/commits#create-a-commit
 */
export function createGitHubChangeRequests(options: GitHubChangeRequestsOptions): ChangeRequests {
  const { octokit, logger } = options;
  const managed = options.managedLabelPrefixes ?? ["severity:", "decision:"];

  async function step<T>(name: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof GitHubChangeRequestsError) throw error;
      throw new GitHubChangeRequestsError(name, error);
    }
  }

  async function findOpenPull(owner: string, repo: string, branch: string): Promise<OpenPull | undefined> {
    const { data } = await step(`list open pull requests for ${branch}`, () =>
      octokit.rest.pulls.list({ owner, repo, state: "open", head: `${owner}:${branch}`, per_page: 100 }),
    );
    return data.find((p) => p.head.ref === branch);
  }

  async function baseCommit(owner: string, repo: string, branch: string) {
    const ref = await step(`read branch ${branch}`, () =>
      octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }),
    );
    const commit = await step(`read commit ${ref.data.object.sha}`, () =>
      octokit.rest.git.getCommit({ owner, repo, commit_sha: ref.data.object.sha }),
    );
    return { sha: commit.data.sha, tree: commit.data.tree.sha };
  }

  /** All files in ONE commit on top of `base`: blobs ► tree ► commit. */
  async function commitFiles(
    owner: string,
    repo: string,
    request: PullRequestRequest,
    base: { sha: string; tree: string },
  ) {
    if (request.files.length === 0)
      throw new GitHubChangeRequestsError("build the commit", "the request has no files");
    const entries: { path: string; mode: "100644"; type: "blob"; sha: string }[] = [];
    for (const file of request.files) {
      const blob = await step(`create blob for ${file.path}`, () =>
        octokit.rest.git.createBlob({ owner, repo, content: file.content, encoding: "utf-8" }),
      );
      entries.push({ path: file.path, mode: "100644", type: "blob", sha: blob.data.sha });
    }
    const tree = await step("create tree", () =>
      octokit.rest.git.createTree({ owner, repo, base_tree: base.tree, tree: entries }),
    );
    const commit = await step("create commit", () =>
      octokit.rest.git.createCommit({
        owner,
        repo,
        message: request.commitMessage,
        tree: tree.data.sha,
        parents: [base.sha],
        ...(options.author ? { author: options.author } : {}),
      }),
    );
    return commit.data.sha;
  }

  /** Points `refs/heads/<branch>` at `sha`: force-update, or create it when it does not exist. */
  async function forceBranch(owner: string, repo: string, branch: string, sha: string): Promise<void> {
    try {
      await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: true });
    } catch (error) {
      if (statusOf(error) !== 422 || !/Reference does not exist/i.test(validationText(error))) {
        throw new GitHubChangeRequestsError(`force-update branch ${branch}`, error);
      }
      await step(`create branch ${branch}`, () =>
        octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha }),
      );
    }
  }

  async function codeOwners(owner: string, repo: string, ref: string): Promise<CodeOwnersRule[]> {
    if (options.codeowners === false) return [];
    for (const path of CODEOWNERS_PATHS) {
      try {
        const { data } = await octokit.rest.repos.getContent({ owner, repo, path, ref });
        if (Array.isArray(data) || data.type !== "file" || !("content" in data)) continue;
        return parseCodeOwners(Buffer.from(data.content, "base64").toString("utf8"));
      } catch (error) {
        if (statusOf(error) === 404) continue;
        // Review requests never fail a PR that exists: go on without CODEOWNERS.
        logger?.log("warn", "github.codeowners.unreadable", {
          repo: `${owner}/${repo}`,
          path,
          status: statusOf(error),
          error: messageOf(error),
        });
        return [];
      }
    }
    return [];
  }

  async function syncLabels(
    owner: string,
    repo: string,
    pull: OpenPull | undefined,
    number: number,
    labels: readonly string[],
  ) {
    const current = (pull?.labels ?? []).map((l) => l.name ?? "").filter((n) => n !== "");
    const wanted = new Set(labels.map((l) => l.toLowerCase()));
    const obsolete = current.filter(
      (name) => !wanted.has(name.toLowerCase()) && managed.some((p) => name.toLowerCase().startsWith(p)),
    );
    const missing = labels.filter((l) => !current.some((c) => same(c, l)));
    try {
      for (const name of obsolete) {
        await octokit.rest.issues.removeLabel({ owner, repo, issue_number: number, name });
      }
      if (missing.length > 0) {
        await octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels: missing });
      }
    } catch (error) {
      // Labels help triage; they never undo a PR that exists.
      logger?.log("warn", "github.labels.failed", {
        repo: `${owner}/${repo}`,
        number,
        labels: missing,
        status: statusOf(error),
        error: messageOf(error),
      });
    }
  }

  async function requestReviews(
    owner: string,
    repo: string,
    pull: { number: number; author?: string; already: readonly string[]; alreadyTeams: readonly string[] },
    request: PullRequestRequest,
    baseBranch: string,
  ) {
    const users = new Map<string, string>();
    const teams = new Map<string, string>();
    for (const handle of request.reviewers)
      users.set(handle.replace(/^@/, "").toLowerCase(), handle.replace(/^@/, ""));
    const rules = await codeOwners(owner, repo, baseBranch);
    for (const file of request.files) {
      for (const o of ownersOf(rules, file.path)) {
        if (!o.startsWith("@")) continue; // an email owner has no handle to request
        const [org, slug] = o.slice(1).split("/");
        if (slug === undefined && org) users.set(org.toLowerCase(), org);
        else if (org && slug && same(org, owner)) teams.set(slug.toLowerCase(), slug);
      }
    }
    const skip = new Set(
      [...(pull.author ? [pull.author] : []), ...pull.already].map((u) => u.toLowerCase()),
    );
    const reviewers = [...users].filter(([key]) => !skip.has(key)).map(([, v]) => v);
    const skipTeams = new Set(pull.alreadyTeams.map((t) => t.toLowerCase()));
    const teamReviewers = [...teams].filter(([key]) => !skipTeams.has(key)).map(([, v]) => v);
    if (reviewers.length === 0 && teamReviewers.length === 0) return;

    const ask = (r: readonly string[], t: readonly string[]) =>
      octokit.rest.pulls.requestReviewers({
        owner,
        repo,
        pull_number: pull.number,
        ...(r.length > 0 ? { reviewers: [...r] } : {}),
        ...(t.length > 0 ? { team_reviewers: [...t] } : {}),
      });
    try {
      await ask(reviewers, teamReviewers);
      return;
    } catch (error) {
      if (statusOf(error) !== 422) {
        logger?.log("warn", "github.reviewers.failed", {
          number: pull.number,
          status: statusOf(error),
          error: messageOf(error),
        });
        return;
      }
    }
    // One of them cannot review (not a collaborator, no such team): ask one at a time, skip the rest.
    const skipped: string[] = [];
    for (const [r, t] of [
      ...reviewers.map((r) => [[r], []] as const),
      ...teamReviewers.map((t) => [[], [t]] as const),
    ]) {
      try {
        await ask(r, t);
      } catch (error) {
        skipped.push(r[0] ?? `team ${t[0]}`);
        if (statusOf(error) !== 422) {
          logger?.log("warn", "github.reviewers.failed", {
            number: pull.number,
            status: statusOf(error),
            error: messageOf(error),
          });
        }
      }
    }
    logger?.log("info", "github.reviewers.skipped", {
      repo: `${owner}/${repo}`,
      number: pull.number,
      skipped,
      reason: "not a collaborator of the repository (or the PR author)",
    });
  }

  /** Brings an open PR to the request's window, unless its marker says not to. */
  async function updateOpen(
    owner: string,
    repo: string,
    open: OpenPull,
    request: PullRequestRequest,
    prepared?: { sha: string; baseBranch: string },
    progress?: ChangeRequestProgress,
  ): Promise<PullRequestOutcome> {
    const existing = parseMarker(open.body ?? "");
    const verdict = markerVerdict(existing, request.marker);
    const log = {
      repo: request.repo,
      stack: request.marker.stack,
      window: request.marker.window,
      number: open.number,
    };
    if (verdict === "unchanged") {
      logger?.log("info", "github.pull-request.unchanged", log);
      return { kind: "unchanged", number: open.number, url: open.html_url };
    }
    if (verdict === "stale") {
      logger?.log("info", "github.pull-request.stale", {
        ...log,
        openWindow: existing?.window,
        openValidAt: existing?.validAt,
      });
      return { kind: "stale", number: open.number, url: open.html_url };
    }
    const baseBranch = request.baseBranch ?? prepared?.baseBranch ?? open.base.ref;
    const sha =
      prepared && prepared.baseBranch === baseBranch
        ? prepared.sha
        : await commitFiles(owner, repo, request, await baseCommit(owner, repo, baseBranch));
    await forceBranch(owner, repo, request.branch, sha);
    await progress?.branchPushed?.();
    const updated = await step(`update pull request #${open.number}`, () =>
      octokit.rest.pulls.update({
        owner,
        repo,
        pull_number: open.number,
        title: request.title,
        body: request.body,
      }),
    );
    await step(`comment on pull request #${open.number}`, () =>
      octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: open.number,
        body: request.updateComment,
      }),
    );
    await syncLabels(owner, repo, open, open.number, request.labels);
    await requestReviews(
      owner,
      repo,
      {
        number: open.number,
        ...(open.user ? { author: open.user.login } : {}),
        already: (open.requested_reviewers ?? []).map((u) => u.login),
        alreadyTeams: (open.requested_teams ?? []).map((t) => t.slug),
      },
      request,
      baseBranch,
    );
    logger?.log("info", "github.pull-request.updated", log);
    return { kind: "updated", number: open.number, url: updated.data.html_url };
  }

  async function create(
    owner: string,
    repo: string,
    request: PullRequestRequest,
    progress?: ChangeRequestProgress,
  ): Promise<PullRequestOutcome> {
    const baseBranch =
      request.baseBranch ??
      (await step(`read repository ${request.repo}`, () => octokit.rest.repos.get({ owner, repo }))).data
        .default_branch;
    const sha = await commitFiles(owner, repo, request, await baseCommit(owner, repo, baseBranch));
    try {
      await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${request.branch}`, sha });
    } catch (error) {
      if (statusOf(error) !== 422 || !/already exists/i.test(validationText(error))) {
        throw new GitHubChangeRequestsError(`create branch ${request.branch}`, error);
      }
      // The branch outlived a closed PR, or another writer just made it: look again before forcing.
      const raced = await findOpenPull(owner, repo, request.branch);
      if (raced) return updateOpen(owner, repo, raced, request, { sha, baseBranch }, progress);
      await forceBranch(owner, repo, request.branch, sha);
    }
    await progress?.branchPushed?.();
    let created: Awaited<ReturnType<typeof octokit.rest.pulls.create>>;
    try {
      created = await octokit.rest.pulls.create({
        owner,
        repo,
        title: request.title,
        head: request.branch,
        base: baseBranch,
        body: request.body,
      });
    } catch (error) {
      if (statusOf(error) === 422 && /pull request already exists/i.test(validationText(error))) {
        const raced = await findOpenPull(owner, repo, request.branch);
        if (raced) {
          logger?.log("info", "github.pull-request.raced", { repo: request.repo, number: raced.number });
          return updateOpen(owner, repo, raced, request, { sha, baseBranch }, progress);
        }
      }
      throw new GitHubChangeRequestsError(`open pull request from ${request.branch}`, error);
    }
    const pull = created.data;
    await syncLabels(owner, repo, undefined, pull.number, request.labels);
    await requestReviews(
      owner,
      repo,
      {
        number: pull.number,
        ...(pull.user ? { author: pull.user.login } : {}),
        already: [],
        alreadyTeams: [],
      },
      request,
      baseBranch,
    );
    logger?.log("info", "github.pull-request.created", {
      repo: request.repo,
      stack: request.marker.stack,
      window: request.marker.window,
      number: pull.number,
    });
    return { kind: "created", number: pull.number, url: pull.html_url };
  }

  return {
    async ensure(request, progress) {
      // Paths and refs are data from tags and config: refused before any call (core/publish/safe.ts).
      try {
        assertSafeRequest(request);
      } catch (error) {
        throw new GitHubChangeRequestsError("check the request", error);
      }
      const { owner, repo } = splitRepo(request.repo);
      const open = await findOpenPull(owner, repo, request.branch);
      return open
        ? updateOpen(owner, repo, open, request, undefined, progress)
        : create(owner, repo, request, progress);
    },
  };
}
