import { createHash, createPublicKey, type KeyObject, randomBytes, verify } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { z } from "zod";
import { formatIssues } from "../../../core/drift/schema.ts";
import type { FaultPlan } from "../faults.ts";
import {
  type RehearsalClock,
  type Served,
  type StandIn,
  StandInConfigError,
  type StandInReply,
  type StandInRequest,
  StandInUsageError,
  startStandIn,
} from "./stand-in.ts";

/**
 * The GitHub stand-in: a local GitHub that the real Octokit client (`createOctokit`, with its
 * throttling and retry plugins, and `@octokit/auth-app` for an App installation) talks to over HTTP
 * through `baseUrl`. It keeps repository state in memory the way GitHub does: git objects with real
 * SHA-1 ids (blobs, nested trees, commits), refs, pull requests (numbered per repository), labels
 * (created on first use, as `POST /issues/{n}/labels` does), comments and requested reviewers, and
 * it answers in GitHub's JSON shapes and error bodies.
 *
 * It serves the REST operations Phantom calls (the `ChangeRequests` adapter and the template source,
 * `functions/adapters/github-*.ts`), the contents API with the raw media type, and the installation
 * token exchange of a GitHub App. It is built on {@link startStandIn}, like the AWS stand-ins, so the
 * rehearsal driver treats it as one of them: every call is counted as `github.<operationId>`
 * (`github.pulls/create`; `github.(none)` for a route it does not serve), and a request a correct
 * client would not send (an unknown route, a missing or wrong token or JWT, a body that is not JSON,
 * a path, query or body the operation does not take) gets GitHub's error answer (404, 401, 400,
 * 422) and is listed in `unexpected`; `verify()` throws on any of them. Strictness lives in the
 * routing and checks below, not in the HTTP plumbing, which is why the shared base is enough.
 * Answers GitHub gives correct clients (404 for a missing file or repository, 422 for an existing
 * branch or pull request) are not unexpected.
 *
 * On its own the stand-in checks the parameters it reads (with zod). A `validator` adds a check of
 * every request and every JSON answer against a description of GitHub's API: the tests inject one
 * built on GitHub's published OpenAPI description (`test/support/github-server.ts`), which Phantom's
 * runtime does not ship; its issues are unexpected too.
 *
 * `script()` answers an operation differently a number of times: secondary or primary rate limits,
 * a 422 on `pulls/create`, or a side effect before the normal answer (another writer racing Phantom).
 * `pullRequestsSummary()` is what a rehearsal reports: each repository's pull requests with their
 * branch, labels, reviewers, commits, changed files and how often the branch was pushed.
 *
 * @see https://docs.github.com/rest
 * @see https://docs.github.com/rest/repos/contents#get-repository-content
 * @see https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app
 */

/* ---------- public types ---------- */

/** A repository the stand-in starts with. */
export interface GitHubRepoInit {
  /** `owner/name`. */
  readonly repo: string;
  readonly defaultBranch?: string;
  /** Files of the initial commit on the default branch: path ► text. */
  readonly files: Readonly<Record<string, string>>;
  /** Users reviews may be requested from (besides the owner). Default: anyone. */
  readonly collaborators?: readonly string[];
  /** Team slugs of the owner organisation. */
  readonly teams?: readonly string[];
}

/**
 * A GitHub App installed on the stand-in's repositories: `POST /app/installations/{id}/access_tokens`
 * with the App's JWT answers an installation token.
 * @see https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
 */
export interface GitHubAppOptions {
  /** The App id, the JWT's `iss`. */
  readonly id: string;
  /** The App's public key (PEM); when given, the JWT's RS256 signature is verified with it. */
  readonly publicKey?: string;
  readonly installationId: number;
}

/** A request as the stand-in saw it, handed to a {@link GitHubApiValidator}. */
export interface GitHubRequestToValidate {
  readonly method: string;
  /** Raw (still percent-encoded) path, without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Parsed JSON body; `undefined` when the request had none. */
  readonly body: unknown;
  /** The operation the stand-in routed it to; absent when it knows no such route. */
  readonly operationId?: string;
}

/** Checks traffic against a description of GitHub's API; each method returns its issues, empty when none. */
export interface GitHubApiValidator {
  request(request: GitHubRequestToValidate): readonly string[];
  /** A JSON answer the stand-in gives (raw file contents are not passed). */
  response(operationId: string, status: number, body: unknown): readonly string[];
}

export interface GitHubStandInOptions {
  /** Faults to inject (`phantom rehearse --fault`); default none. */
  readonly faults?: FaultPlan;
  readonly repos: readonly GitHubRepoInit[];
  /** The token Octokit must send (an installation token minted for {@link app} works too). Default `test-token`. */
  readonly token?: string;
  /** The user the token belongs to (author of pull requests, comments and commits). Default `phantom-bot`. */
  readonly login?: string;
  readonly app?: GitHubAppOptions;
  /** Checks every request and JSON answer besides the stand-in's own checks (the tests' OpenAPI validator). */
  readonly validator?: GitHubApiValidator;
  /** Stamps pull requests, comments and commits. Default: the wall clock. */
  readonly clock?: RehearsalClock;
}

/** A request as the stand-in saw it. */
export interface GitHubRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** `pulls/create`, ... when the route is known. */
  readonly operationId?: string;
  /** The HTTP status it was answered with. */
  status: number;
}

/** A JSON answer, for {@link GitHubStandIn.script}. */
export interface GitHubReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface GitHubScriptContext {
  readonly request: GitHubRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly repo: GitHubRepo;
}

/** A reply, or a function returning one (or `undefined` to answer normally, after a side effect). */
export type GitHubScript = GitHubReply | ((context: GitHubScriptContext) => GitHubReply | undefined);

export interface GitHubComment {
  readonly id: number;
  readonly body: string;
  readonly user: string;
}

export interface GitHubPull {
  readonly number: number;
  state: "open" | "closed";
  title: string;
  body: string | null;
  readonly head: string;
  base: string;
  readonly user: string;
  readonly labels: string[];
  readonly comments: GitHubComment[];
  readonly requestedReviewers: string[];
  readonly requestedTeams: string[];
  readonly createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface GitHubCommit {
  readonly sha: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly message: string;
  readonly author: { readonly name: string; readonly email: string; readonly date: string };
}

/** One repository's state, live. */
export interface GitHubRepo {
  readonly owner: string;
  readonly name: string;
  readonly fullName: string;
  readonly defaultBranch: string;
  /** The commit a ref points at: `main`, `heads/main` or `refs/heads/main`. */
  ref(name: string): string | undefined;
  /** Every ref: `refs/heads/main` ► sha. */
  refs(): Record<string, string>;
  commit(sha: string): GitHubCommit;
  /** Every file of a commit (or of the commit a branch points at): path ► text. */
  files(commitOrBranch: string): Record<string, string>;
  readonly pulls: GitHubPull[];
  /** Label names defined in the repository. */
  labels(): string[];
  /** Another writer opens a pull request (the head branch must exist). */
  openPull(init: { head: string; title: string; body: string; base?: string; user?: string }): GitHubPull;
  /** Another writer commits files on a branch (moves it forward; creates it from the default branch). */
  commitFiles(branch: string, files: Readonly<Record<string, string>>, message?: string): string;
}

/**
 * A pull request as a rehearsal reports it: what a reviewer would see on GitHub.
 * @see https://docs.github.com/pull-requests/collaborating-with-pull-requests/proposing-changes-to-your-work-with-pull-requests/about-comparing-branches-in-pull-requests
 */
export interface PullRequestSummary {
  /** `owner/name`. */
  readonly repo: string;
  readonly number: number;
  readonly state: "open" | "closed";
  /** The head branch, e.g. `phantom/payments`. */
  readonly branch: string;
  readonly base: string;
  readonly title: string;
  /** The description ("" when it has none). */
  readonly body: string;
  readonly author: string;
  readonly labels: readonly string[];
  /** Users asked for a review (logins), as `POST …/requested_reviewers` takes them. */
  readonly reviewers: readonly string[];
  /** Teams asked for a review (slugs of the owner organisation). */
  readonly teamReviewers: readonly string[];
  readonly comments: readonly string[];
  /** Commits on the head branch that the base branch does not have (GitHub's "Commits" tab). */
  readonly commits: number;
  /**
   * The files the pull request adds or changes, path ► content at the head: GitHub's "Files
   * changed", the head against its merge base with the base branch (so commits the base gained since
   * do not show).
   */
  readonly files: Readonly<Record<string, string>>;
  /** Files the head deletes, against the same merge base. */
  readonly deleted: readonly string[];
  /** How many times the head branch moved after the pull request was opened. */
  readonly updates: number;
}

/** The running GitHub stand-in. */
export interface GitHubStandIn extends StandIn {
  readonly token: string;
  readonly login: string;
  /** Every request in arrival order. */
  readonly requests: readonly GitHubRequest[];
  /** A repository's live state; throws {@link StandInUsageError} for one the stand-in does not hold. */
  repo(fullName: string): GitHubRepo;
  /** Answers the next `times` requests to `operationId` with `reply` instead. */
  script(operationId: string, reply: GitHubScript, times?: number): void;
  /** Requests that change state (not GET), from index `since` on. */
  writes(since?: number): GitHubRequest[];
  /** Every pull request, by repository (in the options' order) and number. */
  pullRequestsSummary(): readonly PullRequestSummary[];
  /** Throws when a request was unexpected or a script is still unused. */
  verify(): void;
}

/* ---------- replies for scripts ---------- */

/**
 * GitHub's secondary rate limit answer: 403 or 429, `retry-after`, and the message the throttling
 * plugin recognises ("secondary rate").
 * @see https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
 */
export function secondaryRateLimit(status: 403 | 429 = 403, retryAfterSeconds = 1): GitHubReply {
  return {
    status,
    headers: { "retry-after": String(retryAfterSeconds) },
    body: {
      message:
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
      documentation_url:
        "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
      status: String(status),
    },
  };
}

/**
 * The primary rate limit: 403 with `x-ratelimit-remaining: 0` and the reset time.
 * @see https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
 */
export function primaryRateLimit(resetInSeconds = 1): GitHubReply {
  return {
    status: 403,
    headers: {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-used": "5000",
      "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + resetInSeconds),
    },
    body: {
      message: "API rate limit exceeded for user ID 1.",
      documentation_url:
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-rate-limit",
      status: "403",
    },
  };
}

/** `pulls/create` when an open pull request already has this head. */
export function pullRequestAlreadyExists(owner: string, branch: string): GitHubReply {
  return validationFailed([
    {
      resource: "PullRequest",
      code: "custom",
      message: `A pull request already exists for ${owner}:${branch}.`,
    },
  ]);
}

function validationFailed(errors: readonly Record<string, unknown>[], message = "Validation Failed"): Reply {
  return {
    status: 422,
    body: {
      message,
      errors,
      documentation_url: "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
      status: "422",
    },
  };
}

function basicError(status: number, message: string, documentation = "https://docs.github.com/rest"): Reply {
  return { status, body: { message, documentation_url: documentation, status: String(status) } };
}

/* ---------- git objects ---------- */

interface TreeEntry {
  readonly mode: string;
  readonly type: "blob" | "tree";
  readonly sha: string;
}

interface Store {
  readonly blobs: Map<string, Buffer>;
  readonly trees: Map<string, Map<string, TreeEntry>>;
  readonly commits: Map<string, GitHubCommit>;
}

function gitHash(type: string, content: Buffer): string {
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]))
    .digest("hex");
}

function writeBlob(store: Store, content: Buffer): string {
  const sha = gitHash("blob", content);
  store.blobs.set(sha, content);
  return sha;
}

/** Git sorts tree entries by name, directories as if their name ended in `/`. */
function treeKey(name: string, entry: TreeEntry): string {
  return entry.type === "tree" ? `${name}/` : name;
}

function writeTree(store: Store, entries: Map<string, TreeEntry>): string {
  const sorted = [...entries].sort(([a, ea], [b, eb]) => (treeKey(a, ea) < treeKey(b, eb) ? -1 : 1));
  const body = Buffer.concat(
    sorted.map(([name, e]) =>
      Buffer.concat([
        Buffer.from(`${e.mode === "040000" ? "40000" : e.mode} ${name}\0`),
        Buffer.from(e.sha, "hex"),
      ]),
    ),
  );
  const sha = gitHash("tree", body);
  store.trees.set(sha, new Map(sorted));
  return sha;
}

/** Every blob under a tree: path ► {mode, sha}. */
function flatten(store: Store, treeSha: string, prefix = ""): Map<string, TreeEntry> {
  const out = new Map<string, TreeEntry>();
  const tree = store.trees.get(treeSha);
  if (!tree) throw new Error(`no tree ${treeSha}`);
  for (const [name, entry] of tree) {
    if (entry.type === "tree") {
      for (const [path, e] of flatten(store, entry.sha, `${prefix}${name}/`)) out.set(path, e);
    } else {
      out.set(`${prefix}${name}`, entry);
    }
  }
  return out;
}

/** Nested trees from a flat path ► blob map; returns the root tree's sha. */
function buildTree(store: Store, files: Map<string, TreeEntry>): string {
  const direct = new Map<string, TreeEntry>();
  const subdirs = new Map<string, Map<string, TreeEntry>>();
  for (const [path, entry] of files) {
    const slash = path.indexOf("/");
    if (slash < 0) {
      direct.set(path, entry);
    } else {
      const dir = path.slice(0, slash);
      const inner = subdirs.get(dir) ?? new Map<string, TreeEntry>();
      inner.set(path.slice(slash + 1), entry);
      subdirs.set(dir, inner);
    }
  }
  for (const [dir, inner] of subdirs)
    direct.set(dir, { mode: "040000", type: "tree", sha: buildTree(store, inner) });
  return writeTree(store, direct);
}

/** The entry at `path` under a tree (`""` is the tree itself). */
function entryAt(store: Store, treeSha: string, path: string): TreeEntry | undefined {
  let entry: TreeEntry | undefined = { mode: "040000", type: "tree", sha: treeSha };
  for (const name of path.split("/").filter((s) => s !== "")) {
    if (entry?.type !== "tree") return undefined;
    entry = store.trees.get(entry.sha)?.get(name);
  }
  return entry;
}

function writeCommit(
  store: Store,
  input: { tree: string; parents: readonly string[]; message: string; author: GitHubCommit["author"] },
): string {
  const seconds = Math.floor(Date.parse(input.author.date) / 1000);
  const who = `${input.author.name} <${input.author.email}> ${seconds} +0000`;
  const text = [
    `tree ${input.tree}`,
    ...input.parents.map((p) => `parent ${p}`),
    `author ${who}`,
    `committer ${who}`,
    "",
    input.message,
  ].join("\n");
  const sha = gitHash("commit", Buffer.from(text));
  store.commits.set(sha, { sha, ...input });
  return sha;
}

/** Every commit reachable from `sha`, nearest first. */
function ancestry(store: Store, sha: string): string[] {
  const seen = new Set<string>();
  const order: string[] = [];
  const queue = [sha];
  while (queue.length > 0) {
    const next = queue.shift() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    order.push(next);
    queue.push(...(store.commits.get(next)?.parents ?? []));
  }
  return order;
}

/* ---------- routes ---------- */

/** The installation token exchange of a GitHub App (`@octokit/auth-app` calls it, with the App's JWT). */
const APP_TOKEN = "apps/create-installation-access-token";

/**
 * The operations served, by operationId as GitHub's OpenAPI description names them, with their
 * routes; a `+` marks a last parameter that may span `/` (a git ref, a contents path).
 */
const ROUTES = {
  "repos/get": "GET /repos/{owner}/{repo}",
  "repos/get-content": "GET /repos/{owner}/{repo}/contents/{path+}",
  "git/get-ref": "GET /repos/{owner}/{repo}/git/ref/{ref+}",
  "git/get-commit": "GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
  "git/create-blob": "POST /repos/{owner}/{repo}/git/blobs",
  "git/create-tree": "POST /repos/{owner}/{repo}/git/trees",
  "git/create-commit": "POST /repos/{owner}/{repo}/git/commits",
  "git/create-ref": "POST /repos/{owner}/{repo}/git/refs",
  "git/update-ref": "PATCH /repos/{owner}/{repo}/git/refs/{ref+}",
  "pulls/list": "GET /repos/{owner}/{repo}/pulls",
  "pulls/create": "POST /repos/{owner}/{repo}/pulls",
  "pulls/update": "PATCH /repos/{owner}/{repo}/pulls/{pull_number}",
  "pulls/request-reviewers": "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
  "issues/create-comment": "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "issues/add-labels": "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
  "issues/remove-label": "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
  [APP_TOKEN]: "POST /app/installations/{installation_id}/access_tokens",
} as const;

type OperationId = keyof typeof ROUTES;

interface Route {
  readonly operationId: OperationId;
  readonly method: string;
  readonly segments: readonly string[];
}

const ROUTE_LIST: readonly Route[] = Object.entries(ROUTES).map(([operationId, route]) => {
  const [method = "", template = ""] = route.split(" ");
  return { operationId: operationId as OperationId, method, segments: template.split("/").slice(1) };
});

/** The decoded path parameters when `parts` (a path split at `/`) fits a route's segments. */
function matchSegments(
  segments: readonly string[],
  parts: readonly string[],
): Record<string, string> | undefined {
  const spans = segments.at(-1)?.endsWith("+}") === true;
  if (spans ? parts.length < segments.length : parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    const part = parts[index] ?? "";
    if (part === "") return undefined;
    if (!segment.startsWith("{")) {
      if (segment !== part) return undefined;
      continue;
    }
    const taken = segment.endsWith("+}") ? parts.slice(index) : [part];
    try {
      params[segment.replace(/^\{|\+?\}$/g, "")] = taken.map(decodeURIComponent).join("/");
    } catch {
      return undefined; // malformed percent-encoding
    }
  }
  return params;
}

/** The operation and decoded path parameters of a request, if it names one the stand-in serves. */
function matchRoute(
  method: string,
  path: string,
): { operationId: OperationId; params: Record<string, string> } | undefined {
  const parts = path.split("/").slice(1);
  for (const route of ROUTE_LIST) {
    const params = route.method === method ? matchSegments(route.segments, parts) : undefined;
    if (params) return { operationId: route.operationId, params };
  }
  return undefined;
}

/* ---------- what each operation takes ---------- */

const branchName = z.string().min(1);
const sha = z.string().regex(/^[0-9a-f]{40}$/, "must be a 40-character hex SHA-1");

const BODIES = {
  "git/create-blob": z.looseObject({
    content: z.string(),
    encoding: z.enum(["utf-8", "base64"]).optional(),
  }),
  "git/create-tree": z.looseObject({
    tree: z.array(
      z.looseObject({
        path: z.string().min(1),
        mode: z.enum(["100644", "100755", "040000", "160000", "120000"]),
        type: z.enum(["blob", "tree", "commit"]),
        sha: sha.nullable().optional(),
        content: z.string().optional(),
      }),
    ),
    base_tree: z.string().optional(),
  }),
  "git/create-commit": z.looseObject({
    message: z.string(),
    tree: z.string(),
    parents: z.array(z.string()).optional(),
    author: z.looseObject({ name: z.string(), email: z.string(), date: z.string().optional() }).optional(),
  }),
  "git/create-ref": z.looseObject({ ref: z.string(), sha: z.string() }),
  "git/update-ref": z.looseObject({ sha: z.string(), force: z.boolean().optional() }),
  "pulls/create": z.looseObject({
    title: z.string().optional(),
    head: branchName,
    base: branchName,
    body: z.string().optional(),
  }),
  "pulls/update": z.looseObject({
    title: z.string().optional(),
    body: z.string().optional(),
    state: z.enum(["open", "closed"]).optional(),
    base: branchName.optional(),
  }),
  "pulls/request-reviewers": z.looseObject({
    reviewers: z.array(z.string()).optional(),
    team_reviewers: z.array(z.string()).optional(),
  }),
  "issues/create-comment": z.looseObject({ body: z.string() }),
  "issues/add-labels": z.union([
    z.array(z.string()),
    z.looseObject({ labels: z.array(z.union([z.string(), z.looseObject({ name: z.string() })])) }),
  ]),
  [APP_TOKEN]: z
    .looseObject({
      repositories: z.array(z.string()).optional(),
      repository_ids: z.array(z.number()).optional(),
      permissions: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
} satisfies Partial<Record<OperationId, z.ZodType>>;

type Bodies = { [K in keyof typeof BODIES]: z.infer<(typeof BODIES)[K]> };

const QUERIES: Partial<Record<OperationId, z.ZodType>> = {
  "pulls/list": z.strictObject({
    state: z.enum(["open", "closed", "all"]).optional(),
    head: z.string().optional(),
    base: z.string().optional(),
    sort: z.enum(["created", "updated", "popularity", "long-running"]).optional(),
    direction: z.enum(["asc", "desc"]).optional(),
    per_page: z.coerce.number().int().min(1).max(100).optional(),
    page: z.coerce.number().int().min(1).optional(),
  }),
  "repos/get-content": z.strictObject({ ref: z.string().optional() }),
};

const PARAMS: Partial<Record<string, z.ZodType>> = {
  pull_number: z.coerce.number().int().min(1),
  issue_number: z.coerce.number().int().min(1),
  installation_id: z.coerce.number().int().min(1),
};

/** What the request gets wrong for the operation, by the stand-in's own reading. */
function ownIssues(
  operationId: OperationId,
  params: Readonly<Record<string, string>>,
  query: URLSearchParams,
  body: unknown,
): string[] {
  const issues: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    const parsed = PARAMS[name]?.safeParse(value);
    if (parsed && !parsed.success) issues.push(...formatIssues(parsed.error, `path.${name}`));
  }
  const querySchema = QUERIES[operationId];
  const entries = Object.fromEntries(query);
  if (querySchema) {
    const parsed = querySchema.safeParse(entries);
    if (!parsed.success) issues.push(...formatIssues(parsed.error, "query"));
  } else if (Object.keys(entries).length > 0) {
    issues.push(`query: ${operationId} takes no query parameters`);
  }
  const bodySchema = (BODIES as Partial<Record<OperationId, z.ZodType>>)[operationId];
  if (!bodySchema) {
    if (body !== undefined) issues.push(`body: ${operationId} takes no body`);
  } else {
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) {
      issues.push(...(body === undefined ? ["body: required"] : formatIssues(parsed.error, "body")));
    }
  }
  return issues;
}

/* ---------- GitHub App JWTs ---------- */

/** Largest `exp - now` GitHub takes: a JWT may live at most ten minutes. */
const JWT_MAX_SECONDS = 600;

/**
 * Why the `Authorization: Bearer <jwt>` header is not a valid JWT of the App, or `undefined` when it
 * is: RS256, `iss` the App id, `iat` not in the future, `exp` in the future but at most ten minutes
 * ahead (the messages are GitHub's, which `@octokit/auth-app` matches to correct a skewed clock), and
 * a signature that verifies with the App's public key when one is configured. Times are the wall
 * clock's: the JWT is signed with it, not with the rehearsal clock.
 * @see https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
 */
function jwtProblem(
  authorization: string,
  app: GitHubAppOptions,
  publicKey: KeyObject | undefined,
): string | undefined {
  const jwt = /^bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (!jwt) return "A JSON web token could not be decoded (no Authorization: Bearer <jwt>)";
  const parts = jwt.split(".");
  const decode = (part: string | undefined): unknown => {
    try {
      return JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8"));
    } catch {
      return undefined;
    }
  };
  const header = decode(parts[0]) as { alg?: unknown } | undefined;
  const payload = decode(parts[1]) as { iss?: unknown; iat?: unknown; exp?: unknown } | undefined;
  if (parts.length !== 3 || typeof header !== "object" || typeof payload !== "object" || !payload) {
    return "A JSON web token could not be decoded";
  }
  if (header?.alg !== "RS256")
    return `A JSON web token could not be decoded (alg ${String(header?.alg)}, not RS256)`;
  if (String(payload.iss) !== app.id)
    return `'Issuer' claim ('iss') ${String(payload.iss)} is not the App id ${app.id}`;
  const now = Math.floor(Date.now() / 1000);
  if (!Number.isInteger(payload.iat) || (payload.iat as number) > now + 60) {
    return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.";
  }
  if (typeof payload.exp !== "number" || payload.exp <= now) {
    return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.";
  }
  if (payload.exp > now + JWT_MAX_SECONDS) return "'Expiration time' claim ('exp') is too far in the future.";
  if (publicKey) {
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    if (!verify("sha256", signed, publicKey, Buffer.from(parts[2] ?? "", "base64url"))) {
      return "A JSON web token could not be decoded (the signature does not verify with the App's public key)";
    }
  }
  return undefined;
}

/* ---------- options ---------- */

const optionsSchema = z.object({
  repos: z.array(
    z.looseObject({
      repo: z.string().regex(/^[^/\s]+\/[^/\s]+$/, "must be owner/name"),
      defaultBranch: branchName.optional(),
      files: z.record(z.string(), z.string()),
    }),
  ),
  token: z.string().min(1).optional(),
  login: z.string().min(1).optional(),
  app: z
    .object({
      id: z.string().regex(/^\d+$/, "must be the App's numeric id"),
      publicKey: z.string().optional(),
      installationId: z.number().int().min(1),
    })
    .optional(),
});

function checkOptions(options: GitHubStandInOptions): { publicKey?: KeyObject } {
  const parsed = optionsSchema.safeParse(options);
  const issues = parsed.success ? [] : formatIssues(parsed.error);
  const seen = new Set<string>();
  for (const init of options.repos) {
    const key = init.repo.toLowerCase();
    if (seen.has(key)) issues.push(`repos: ${init.repo} is listed twice`);
    seen.add(key);
  }
  let publicKey: KeyObject | undefined;
  if (options.app?.publicKey !== undefined) {
    try {
      publicKey = createPublicKey(options.app.publicKey);
      if (publicKey.asymmetricKeyType !== "rsa") issues.push("app.publicKey: must be an RSA key (RS256)");
    } catch (error) {
      issues.push(
        `app.publicKey: not a public key in PEM: ${error instanceof Error ? error.message : error}`,
      );
    }
  }
  if (issues.length > 0) throw new StandInConfigError("github", issues);
  return publicKey ? { publicKey } : {};
}

/* ---------- repository state ---------- */

interface Label {
  readonly id: number;
  readonly name: string;
  readonly color: string;
  readonly description: string | null;
}

interface RepoState {
  readonly owner: string;
  readonly name: string;
  readonly defaultBranch: string;
  readonly id: number;
  readonly createdAt: string;
  readonly refs: Map<string, string>;
  /** How many times each ref moved. */
  readonly moves: Map<string, number>;
  readonly pulls: GitHubPull[];
  readonly labels: Map<string, Label>;
  readonly collaborators?: ReadonlySet<string>;
  readonly teams: ReadonlySet<string>;
}

function fullRef(name: string): string {
  if (name.startsWith("refs/")) return name;
  if (name.startsWith("heads/") || name.startsWith("tags/")) return `refs/${name}`;
  return `refs/heads/${name}`;
}

/** GitHub compares logins, team slugs and label names case-insensitively. */
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** GitHub's timestamps: ISO 8601 to the second. */
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const encodePath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

/** An answer: JSON `body`, or `raw` text (the raw media type of the contents API). */
interface Reply extends GitHubReply {
  readonly raw?: string;
}

interface HandlerContext<B> {
  readonly state: RepoState;
  readonly params: Readonly<Record<string, string>>;
  readonly request: GitHubRequest;
  readonly headers: IncomingHttpHeaders;
  readonly body: B;
}

type Handlers = {
  [K in Exclude<OperationId, typeof APP_TOKEN>]: (
    context: HandlerContext<K extends keyof Bodies ? Bodies[K] : undefined>,
  ) => Reply;
};

/** `Accept: application/vnd.github.raw+json` (or `.v3.raw`, as Octokit's `mediaType: {format: "raw"}` sends). */
const RAW_MEDIA_TYPE = /application\/vnd\.github(?:\.v3)?\.raw(?:\+json)?\b/i;
/** Larger files come back with `encoding: "none"` and no content; the raw media type reads them. */
const MAX_INLINE_CONTENT_BYTES = 1024 * 1024;

/* ---------- the stand-in ---------- */

/**
 * Starts the GitHub stand-in on 127.0.0.1 at an ephemeral port; its `url` is Octokit's `baseUrl`.
 * @throws {StandInConfigError} listing every problem with the options (a repo not `owner/name` or
 * listed twice, an App id that is not numeric, a public key that is not an RSA PEM).
 */
export async function startGitHubStandIn(options: GitHubStandInOptions): Promise<GitHubStandIn> {
  const { publicKey } = checkOptions(options);
  const token = options.token ?? "test-token";
  const login = options.login ?? "phantom-bot";
  const clock = options.clock ?? { now: () => Date.now() };
  const validator = options.validator;
  const store: Store = { blobs: new Map(), trees: new Map(), commits: new Map() };
  const repos = new Map<string, RepoState>();
  const requests: GitHubRequest[] = [];
  const scripts = new Map<string, { reply: GitHubScript; remaining: number }[]>();
  /** Installation tokens minted for the App ► when they expire (wall clock, ms). */
  const installationTokens = new Map<string, number>();
  /** How many times the head branch had moved when each pull request was opened. */
  const movesAtOpen = new Map<GitHubPull, number>();
  let nextId = 1000;
  let url = "";

  const nowIso = () => isoSeconds(clock.now());
  const botAuthor = () => ({ name: login, email: `${login}@users.noreply.github.com`, date: nowIso() });

  const commitFilesOn = (
    parents: readonly string[],
    files: Readonly<Record<string, string>>,
    message: string,
  ) => {
    const parent = parents[0] ? store.commits.get(parents[0]) : undefined;
    const base = parent ? flatten(store, parent.tree) : new Map<string, TreeEntry>();
    for (const [path, text] of Object.entries(files)) {
      base.set(path, { mode: "100644", type: "blob", sha: writeBlob(store, Buffer.from(text)) });
    }
    return writeCommit(store, { tree: buildTree(store, base), parents, message, author: botAuthor() });
  };

  /** Points a ref at a commit, counting the move when it changes anything. */
  const moveRef = (state: RepoState, ref: string, sha: string) => {
    if (state.refs.get(ref) === sha) return;
    state.refs.set(ref, sha);
    state.moves.set(ref, (state.moves.get(ref) ?? 0) + 1);
  };

  for (const init of options.repos) {
    const [owner = "", name = ""] = init.repo.split("/");
    const defaultBranch = init.defaultBranch ?? "main";
    const state: RepoState = {
      owner,
      name,
      defaultBranch,
      id: nextId++,
      createdAt: nowIso(),
      refs: new Map(),
      moves: new Map(),
      pulls: [],
      labels: new Map(),
      ...(init.collaborators
        ? { collaborators: new Set([owner, ...init.collaborators].map((c) => c.toLowerCase())) }
        : {}),
      teams: new Set((init.teams ?? []).map((t) => t.toLowerCase())),
    };
    moveRef(state, `refs/heads/${defaultBranch}`, commitFilesOn([], init.files, "Initial commit"));
    repos.set(init.repo.toLowerCase(), state);
  }

  const commitOf = (state: RepoState, ref: string): string | undefined =>
    store.commits.has(ref) ? ref : state.refs.get(fullRef(ref));

  const filesAt = (sha: string): Map<string, TreeEntry> =>
    flatten(store, (store.commits.get(sha) as GitHubCommit).tree);

  const textOf = (entry: TreeEntry) => (store.blobs.get(entry.sha) ?? Buffer.alloc(0)).toString("utf8");

  /* ----- JSON shapes (GitHub's, as its OpenAPI description gives them) ----- */

  const api = (path: string) => `${url}${path}`;
  const web = (path: string) => `https://github.com${path}`;
  const numericId = (text: string) =>
    Number.parseInt(createHash("sha1").update(text).digest("hex").slice(0, 6), 16);
  const nodeId = (kind: string, id: number | string) => Buffer.from(kind + String(id)).toString("base64");

  const user = (name: string, type = name.endsWith("[bot]") ? "Bot" : "User"): Record<string, unknown> => {
    const id = numericId(name);
    const self = api(`/users/${encodeURIComponent(name)}`);
    return {
      login: name,
      id,
      node_id: nodeId("04:User", id),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      gravatar_id: "",
      url: self,
      html_url: web(`/${encodeURIComponent(name)}`),
      followers_url: `${self}/followers`,
      following_url: `${self}/following{/other_user}`,
      gists_url: `${self}/gists{/gist_id}`,
      starred_url: `${self}/starred{/owner}{/repo}`,
      subscriptions_url: `${self}/subscriptions`,
      organizations_url: `${self}/orgs`,
      repos_url: `${self}/repos`,
      events_url: `${self}/events{/privacy}`,
      received_events_url: `${self}/received_events`,
      type,
      site_admin: false,
    };
  };

  const owner = (state: RepoState) => user(state.owner, state.teams.size > 0 ? "Organization" : "User");

  const repository = (state: RepoState): Record<string, unknown> => {
    const full = `${state.owner}/${state.name}`;
    const self = api(`/repos/${full}`);
    const open = state.pulls.filter((p) => p.state === "open").length;
    const pushedAt = state.createdAt;
    return {
      id: state.id,
      node_id: nodeId("010:Repository", state.id),
      name: state.name,
      full_name: full,
      owner: owner(state),
      private: true,
      html_url: web(`/${full}`),
      description: null,
      fork: false,
      url: self,
      archive_url: `${self}/{archive_format}{/ref}`,
      assignees_url: `${self}/assignees{/user}`,
      blobs_url: `${self}/git/blobs{/sha}`,
      branches_url: `${self}/branches{/branch}`,
      collaborators_url: `${self}/collaborators{/collaborator}`,
      comments_url: `${self}/comments{/number}`,
      commits_url: `${self}/commits{/sha}`,
      compare_url: `${self}/compare/{base}...{head}`,
      contents_url: `${self}/contents/{+path}`,
      contributors_url: `${self}/contributors`,
      deployments_url: `${self}/deployments`,
      downloads_url: `${self}/downloads`,
      events_url: `${self}/events`,
      forks_url: `${self}/forks`,
      git_commits_url: `${self}/git/commits{/sha}`,
      git_refs_url: `${self}/git/refs{/sha}`,
      git_tags_url: `${self}/git/tags{/sha}`,
      git_url: `git://github.com/${full}.git`,
      issue_comment_url: `${self}/issues/comments{/number}`,
      issue_events_url: `${self}/issues/events{/number}`,
      issues_url: `${self}/issues{/number}`,
      keys_url: `${self}/keys{/key_id}`,
      labels_url: `${self}/labels{/name}`,
      languages_url: `${self}/languages`,
      merges_url: `${self}/merges`,
      milestones_url: `${self}/milestones{/number}`,
      notifications_url: `${self}/notifications{?since,all,participating}`,
      pulls_url: `${self}/pulls{/number}`,
      releases_url: `${self}/releases{/id}`,
      ssh_url: `git@github.com:${full}.git`,
      stargazers_url: `${self}/stargazers`,
      statuses_url: `${self}/statuses/{sha}`,
      subscribers_url: `${self}/subscribers`,
      subscription_url: `${self}/subscription`,
      tags_url: `${self}/tags`,
      teams_url: `${self}/teams`,
      trees_url: `${self}/git/trees{/sha}`,
      clone_url: web(`/${full}.git`),
      mirror_url: null,
      hooks_url: `${self}/hooks`,
      svn_url: web(`/${full}`),
      homepage: null,
      language: null,
      forks_count: 0,
      forks: 0,
      stargazers_count: 0,
      watchers_count: 0,
      watchers: 0,
      size: 0,
      default_branch: state.defaultBranch,
      open_issues_count: open,
      open_issues: open,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: true,
      has_wiki: false,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: "private",
      pushed_at: pushedAt,
      created_at: state.createdAt,
      updated_at: state.createdAt,
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      allow_rebase_merge: true,
      allow_squash_merge: true,
      allow_merge_commit: true,
      allow_auto_merge: false,
      delete_branch_on_merge: false,
      allow_forking: false,
      license: null,
      network_count: 0,
      subscribers_count: 0,
    };
  };

  /**
   * A label. The description gives it a nullable `description` in the labels endpoints and a string
   * one where a pull request embeds it, so `embedded` answers "" for a label without one.
   */
  const label = (state: RepoState, name: string, embedded = false): Record<string, unknown> => {
    const l = state.labels.get(name.toLowerCase());
    if (!l) throw new Error(`no label ${name}`);
    return {
      id: l.id,
      node_id: nodeId("010:Label", l.id),
      url: api(`/repos/${state.owner}/${state.name}/labels/${encodeURIComponent(l.name)}`),
      name: l.name,
      description: embedded ? (l.description ?? "") : l.description,
      color: l.color,
      default: false,
    };
  };

  const team = (state: RepoState, slug: string): Record<string, unknown> => {
    const id = numericId(`${state.owner}/${slug}`);
    const self = api(`/organizations/${numericId(state.owner)}/team/${id}`);
    return {
      id,
      node_id: nodeId("04:Team", id),
      url: self,
      html_url: web(`/orgs/${state.owner}/teams/${slug}`),
      name: slug,
      slug,
      description: null,
      privacy: "closed",
      notification_setting: "notifications_enabled",
      permission: "pull",
      members_url: `${self}/members{/member}`,
      repositories_url: `${self}/repos`,
      parent: null,
      type: "organization",
    };
  };

  const branchSide = (state: RepoState, ref: string): Record<string, unknown> => ({
    label: `${state.owner}:${ref}`,
    ref,
    sha: state.refs.get(`refs/heads/${ref}`) ?? "0000000000000000000000000000000000000000",
    user: owner(state),
    repo: repository(state),
  });

  const pullRequest = (
    state: RepoState,
    pull: GitHubPull,
    shape: "full" | "simple",
  ): Record<string, unknown> => {
    const repoUrl = api(`/repos/${state.owner}/${state.name}`);
    const self = `${repoUrl}/pulls/${pull.number}`;
    const html = web(`/${state.owner}/${state.name}/pull/${pull.number}`);
    const issue = `${repoUrl}/issues/${pull.number}`;
    const statuses = `${repoUrl}/statuses/${state.refs.get(`refs/heads/${pull.head}`) ?? ""}`;
    const id = state.id * 100_000 + pull.number;
    const simple = {
      url: self,
      id,
      node_id: nodeId("011:PullRequest", id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issue,
      commits_url: `${self}/commits`,
      review_comments_url: `${self}/comments`,
      review_comment_url: `${repoUrl}/pulls/comments{/number}`,
      comments_url: `${issue}/comments`,
      statuses_url: statuses,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: user(pull.user),
      body: pull.body,
      labels: pull.labels.map((l) => label(state, l, true)),
      milestone: null,
      active_lock_reason: null,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.closedAt,
      merged_at: null,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: pull.requestedReviewers.map((r) => user(r)),
      requested_teams: pull.requestedTeams.map((t) => team(state, t)),
      head: branchSide(state, pull.head),
      base: branchSide(state, pull.base),
      _links: {
        self: { href: self },
        html: { href: html },
        issue: { href: issue },
        comments: { href: `${issue}/comments` },
        review_comments: { href: `${self}/comments` },
        review_comment: { href: `${repoUrl}/pulls/comments{/number}` },
        commits: { href: `${self}/commits` },
        statuses: { href: statuses },
      },
      author_association: same(pull.user, state.owner) ? "OWNER" : "NONE",
      auto_merge: null,
      draft: false,
    };
    if (shape === "simple") return simple;
    const diff = pullDiff(state, pull);
    return {
      ...simple,
      merged: false,
      mergeable: null,
      rebaseable: null,
      mergeable_state: "unknown",
      merged_by: null,
      comments: pull.comments.length,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: diff.commits,
      additions: 0,
      deletions: 0,
      changed_files: Object.keys(diff.files).length + diff.deleted.length,
    };
  };

  const gitRef = (state: RepoState, ref: string): Record<string, unknown> => {
    const target = state.refs.get(ref) as string;
    const base = `/repos/${state.owner}/${state.name}`;
    return {
      ref,
      node_id: nodeId(`03:Ref${state.id}:`, ref),
      url: api(`${base}/git/${ref}`),
      object: { type: "commit", sha: target, url: api(`${base}/git/commits/${target}`) },
    };
  };

  const gitCommit = (state: RepoState, commit: GitHubCommit): Record<string, unknown> => {
    const base = `/repos/${state.owner}/${state.name}`;
    return {
      sha: commit.sha,
      node_id: nodeId(`06:Commit${state.id}:`, commit.sha),
      url: api(`${base}/git/commits/${commit.sha}`),
      html_url: web(`/${state.owner}/${state.name}/commit/${commit.sha}`),
      author: commit.author,
      committer: commit.author,
      message: commit.message,
      tree: { sha: commit.tree, url: api(`${base}/git/trees/${commit.tree}`) },
      parents: commit.parents.map((p) => ({
        sha: p,
        url: api(`${base}/git/commits/${p}`),
        html_url: web(`/${state.owner}/${state.name}/commit/${p}`),
      })),
      verification: {
        verified: false,
        reason: "unsigned",
        signature: null,
        payload: null,
        verified_at: null,
      },
    };
  };

  /** A contents entry (a file's, or a directory listing's item); `content` only for a file read alone. */
  const contentEntry = (
    state: RepoState,
    ref: string,
    path: string,
    entry: TreeEntry,
  ): Record<string, unknown> => {
    const base = `/repos/${state.owner}/${state.name}`;
    const kind = entry.type === "tree" ? "dir" : "file";
    const self = api(`${base}/contents/${encodePath(path)}?ref=${encodeURIComponent(ref)}`);
    const git = api(`${base}/git/${entry.type}s/${entry.sha}`);
    const html = web(`/${state.owner}/${state.name}/${entry.type}/${encodePath(ref)}/${encodePath(path)}`);
    return {
      type: kind,
      size: entry.type === "blob" ? (store.blobs.get(entry.sha)?.length ?? 0) : 0,
      name: path.split("/").pop() ?? path,
      path,
      sha: entry.sha,
      url: self,
      git_url: git,
      html_url: html,
      download_url:
        kind === "file"
          ? `https://raw.githubusercontent.com/${state.owner}/${state.name}/${encodePath(ref)}/${encodePath(path)}`
          : null,
      _links: { self, git, html },
    };
  };

  /* ----- pull request diffs ----- */

  /** What a pull request changes: commits on the head the base lacks, files against the merge base. */
  function pullDiff(
    state: RepoState,
    pull: GitHubPull,
  ): { commits: number; files: Record<string, string>; deleted: string[] } {
    const head = state.refs.get(`refs/heads/${pull.head}`);
    const base = state.refs.get(`refs/heads/${pull.base}`);
    if (!head || !base) return { commits: 0, files: {}, deleted: [] };
    const inBase = new Set(ancestry(store, base));
    const fromHead = ancestry(store, head);
    const mergeBase = fromHead.find((c) => inBase.has(c));
    const before = mergeBase ? filesAt(mergeBase) : new Map<string, TreeEntry>();
    const after = filesAt(head);
    const changed = [...after].filter(([path, entry]) => before.get(path)?.sha !== entry.sha);
    return {
      commits: fromHead.filter((c) => !inBase.has(c)).length,
      files: Object.fromEntries(
        changed.sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, entry]) => [path, textOf(entry)]),
      ),
      deleted: [...before.keys()].filter((path) => !after.has(path)).sort(),
    };
  }

  /* ----- operations ----- */

  const json = (status: number, body: unknown): Reply => ({ status, body });
  const notFound = () => basicError(404, "Not Found");
  const pullOf = (state: RepoState, number: string) => state.pulls.find((p) => String(p.number) === number);

  const handlers: Handlers = {
    "repos/get": ({ state }) => json(200, repository(state)),

    "repos/get-content": ({ state, params, request, headers }) => {
      const ref = request.query.get("ref") ?? state.defaultBranch;
      const commitSha = commitOf(state, ref);
      if (!commitSha) return basicError(404, `No commit found for the ref ${ref}`);
      const path = (params.path ?? "").replace(/^\/+|\/+$/g, "");
      const entry = entryAt(store, (store.commits.get(commitSha) as GitHubCommit).tree, path);
      if (!entry) return notFound();
      if (entry.type === "tree") {
        const listing = [...(store.trees.get(entry.sha) ?? new Map<string, TreeEntry>())].map(([name, e]) =>
          contentEntry(state, ref, path === "" ? name : `${path}/${name}`, e),
        );
        return json(200, listing);
      }
      const bytes = store.blobs.get(entry.sha) ?? Buffer.alloc(0);
      if (RAW_MEDIA_TYPE.test(headers.accept ?? "")) {
        return {
          status: 200,
          headers: {
            "content-type": "text/plain; charset=utf-8",
            "x-github-media-type": "github.v3; param=raw",
          },
          raw: bytes.toString("utf8"),
        };
      }
      const inline = bytes.length <= MAX_INLINE_CONTENT_BYTES;
      // GitHub wraps the base64 at 60 characters, with a final newline.
      const content = inline ? `${(bytes.toString("base64").match(/.{1,60}/g) ?? []).join("\n")}\n` : "";
      return json(200, {
        ...contentEntry(state, ref, path, entry),
        encoding: inline ? "base64" : "none",
        content,
      });
    },

    "git/get-ref": ({ state, params }) => {
      const ref = `refs/${params.ref}`;
      return state.refs.has(ref) ? json(200, gitRef(state, ref)) : notFound();
    },

    "git/get-commit": ({ state, params }) => {
      const commit = store.commits.get(params.commit_sha ?? "");
      return commit ? json(200, gitCommit(state, commit)) : notFound();
    },

    "git/create-blob": ({ state, body }) => {
      const bytes =
        body.encoding === "base64" ? Buffer.from(body.content, "base64") : Buffer.from(body.content, "utf8");
      const blob = writeBlob(store, bytes);
      return json(201, { sha: blob, url: api(`/repos/${state.owner}/${state.name}/git/blobs/${blob}`) });
    },

    "git/create-tree": ({ state, body }) => {
      if (body.base_tree !== undefined && !store.trees.has(body.base_tree)) {
        return validationFailed(
          [{ resource: "Tree", field: "base_tree", code: "invalid" }],
          "base_tree is not a valid tree oid",
        );
      }
      const files = body.base_tree ? flatten(store, body.base_tree) : new Map<string, TreeEntry>();
      for (const entry of body.tree) {
        if (entry.type !== "blob")
          return validationFailed([], "only blob entries are served by the stand-in");
        if (entry.sha !== undefined && entry.content !== undefined) {
          return validationFailed([], "Must supply either tree.sha or tree.content, not both");
        }
        if (entry.sha === null) {
          files.delete(entry.path);
          continue;
        }
        const blob = entry.content !== undefined ? writeBlob(store, Buffer.from(entry.content)) : entry.sha;
        if (!blob || !store.blobs.has(blob)) {
          return validationFailed([], `tree.sha ${String(blob)} is not a valid blob`);
        }
        files.set(entry.path, { mode: entry.mode, type: "blob", sha: blob });
      }
      const tree = buildTree(store, files);
      const base = `/repos/${state.owner}/${state.name}`;
      const entries = [...(store.trees.get(tree) ?? new Map<string, TreeEntry>())].map(([path, e]) => ({
        path,
        mode: e.mode,
        type: e.type,
        sha: e.sha,
        ...(e.type === "blob" ? { size: store.blobs.get(e.sha)?.length ?? 0 } : {}),
        url: api(`${base}/git/${e.type}s/${e.sha}`),
      }));
      return json(201, { sha: tree, url: api(`${base}/git/trees/${tree}`), tree: entries, truncated: false });
    },

    "git/create-commit": ({ state, body }) => {
      if (!store.trees.has(body.tree)) return validationFailed([], "Tree SHA does not exist");
      for (const p of body.parents ?? [])
        if (!store.commits.has(p))
          return validationFailed([], "Parent SHA does not exist or is not a commit object");
      const author = body.author
        ? { name: body.author.name, email: body.author.email, date: body.author.date ?? nowIso() }
        : botAuthor();
      const commit = writeCommit(store, {
        tree: body.tree,
        parents: body.parents ?? [],
        message: body.message,
        author,
      });
      return json(201, gitCommit(state, store.commits.get(commit) as GitHubCommit));
    },

    "git/create-ref": ({ state, body }) => {
      if (!body.ref.startsWith("refs/") || body.ref.split("/").length < 3) {
        return validationFailed([], "Reference name must start with 'refs/' and have at least two slashes.");
      }
      if (state.refs.has(body.ref)) return validationFailed([], "Reference already exists");
      if (!store.commits.has(body.sha)) return validationFailed([], "Object does not exist");
      moveRef(state, body.ref, body.sha);
      return json(201, gitRef(state, body.ref));
    },

    "git/update-ref": ({ state, params, body }) => {
      const ref = `refs/${params.ref}`;
      const current = state.refs.get(ref);
      if (!current) return validationFailed([], "Reference does not exist");
      if (!store.commits.has(body.sha)) return validationFailed([], "Object does not exist");
      if (!body.force && !ancestry(store, body.sha).includes(current))
        return validationFailed([], "Update is not a fast forward");
      moveRef(state, ref, body.sha);
      return json(200, gitRef(state, ref));
    },

    "pulls/list": ({ state, request }) => {
      const q = request.query;
      const wanted = q.get("state") ?? "open";
      const head = q.get("head");
      const base = q.get("base");
      let list = state.pulls.filter((p) => wanted === "all" || p.state === wanted);
      if (head) {
        const [headOwner, ref] = head.includes(":")
          ? (head.split(":", 2) as [string, string])
          : [head, undefined];
        list = !same(headOwner, state.owner) ? [] : list.filter((p) => ref === undefined || p.head === ref);
      }
      if (base) list = list.filter((p) => p.base === base);
      list = [...list].sort((a, b) => b.number - a.number);
      const perPage = Number(q.get("per_page") ?? 30);
      const page = Number(q.get("page") ?? 1);
      return json(
        200,
        list.slice((page - 1) * perPage, page * perPage).map((p) => pullRequest(state, p, "simple")),
      );
    },

    "pulls/create": ({ state, body }) => {
      const head = body.head.includes(":") ? (body.head.split(":")[1] ?? "") : body.head;
      if (!state.refs.has(`refs/heads/${head}`)) {
        return validationFailed([{ resource: "PullRequest", field: "head", code: "invalid" }]);
      }
      if (!state.refs.has(`refs/heads/${body.base}`)) {
        return validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
      }
      if (state.pulls.some((p) => p.state === "open" && p.head === head && p.base === body.base)) {
        return pullRequestAlreadyExists(state.owner, head);
      }
      if (state.refs.get(`refs/heads/${head}`) === state.refs.get(`refs/heads/${body.base}`)) {
        return validationFailed([
          { resource: "PullRequest", code: "custom", message: `No commits between ${body.base} and ${head}` },
        ]);
      }
      const pull = newPull(state, {
        head,
        base: body.base,
        title: body.title ?? head,
        body: body.body ?? null,
        user: login,
      });
      return json(201, pullRequest(state, pull, "full"));
    },

    "pulls/update": ({ state, params, body }) => {
      const pull = pullOf(state, params.pull_number ?? "");
      if (!pull) return notFound();
      if (body.title !== undefined) pull.title = body.title;
      if (body.body !== undefined) pull.body = body.body;
      if (body.base !== undefined) pull.base = body.base;
      if (body.state !== undefined && body.state !== pull.state) {
        pull.state = body.state;
        pull.closedAt = body.state === "closed" ? nowIso() : null;
      }
      pull.updatedAt = nowIso();
      return json(200, pullRequest(state, pull, "full"));
    },

    "issues/create-comment": ({ state, params, body }) => {
      const pull = pullOf(state, params.issue_number ?? "");
      if (!pull) return notFound();
      const comment = { id: nextId++, body: body.body, user: login };
      pull.comments.push(comment);
      const full = `${state.owner}/${state.name}`;
      return json(201, {
        id: comment.id,
        node_id: nodeId("012:IssueComment", comment.id),
        url: api(`/repos/${full}/issues/comments/${comment.id}`),
        html_url: web(`/${full}/pull/${pull.number}#issuecomment-${comment.id}`),
        issue_url: api(`/repos/${full}/issues/${pull.number}`),
        body: comment.body,
        user: user(login),
        created_at: nowIso(),
        updated_at: nowIso(),
        author_association: "NONE",
      });
    },

    "issues/add-labels": ({ state, params, body }) => {
      const pull = pullOf(state, params.issue_number ?? "");
      if (!pull) return notFound();
      const names = (Array.isArray(body) ? body : body.labels).map((l) =>
        typeof l === "string" ? l : l.name,
      );
      for (const name of names) {
        // GitHub creates a label that does not exist yet (color ededed, no description).
        if (!state.labels.has(name.toLowerCase())) {
          state.labels.set(name.toLowerCase(), { id: nextId++, name, color: "ededed", description: null });
        }
        const canonical = state.labels.get(name.toLowerCase())?.name ?? name;
        if (!pull.labels.some((l) => same(l, name))) pull.labels.push(canonical);
      }
      return json(
        200,
        pull.labels.map((l) => label(state, l)),
      );
    },

    "issues/remove-label": ({ state, params }) => {
      const pull = pullOf(state, params.issue_number ?? "");
      if (!pull) return notFound();
      const index = pull.labels.findIndex((l) => same(l, params.name ?? ""));
      if (index < 0) return basicError(404, "Label does not exist");
      pull.labels.splice(index, 1);
      return json(
        200,
        pull.labels.map((l) => label(state, l)),
      );
    },

    "pulls/request-reviewers": ({ state, params, body }) => {
      const pull = pullOf(state, params.pull_number ?? "");
      if (!pull) return notFound();
      const reviewers = body.reviewers ?? [];
      const teams = body.team_reviewers ?? [];
      if (reviewers.some((r) => same(r, pull.user))) {
        return validationFailed([], "Review cannot be requested from pull request author.");
      }
      const outsider =
        reviewers.some((r) => state.collaborators && !state.collaborators.has(r.toLowerCase())) ||
        teams.some((t) => !state.teams.has(t.toLowerCase()));
      if (outsider) {
        return validationFailed(
          [],
          `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${state.owner}/${state.name} repository.`,
        );
      }
      for (const r of reviewers) if (!pull.requestedReviewers.includes(r)) pull.requestedReviewers.push(r);
      for (const t of teams) if (!pull.requestedTeams.includes(t)) pull.requestedTeams.push(t);
      return json(201, pullRequest(state, pull, "simple"));
    },
  };

  const newPull = (
    state: RepoState,
    init: { head: string; base: string; title: string; body: string | null; user: string },
  ): GitHubPull => {
    const number = state.pulls.reduce((max, p) => Math.max(max, p.number), 0) + 1;
    const pull: GitHubPull = {
      number,
      state: "open",
      title: init.title,
      body: init.body,
      head: init.head,
      base: init.base,
      user: init.user,
      labels: [],
      comments: [],
      requestedReviewers: [],
      requestedTeams: [],
      createdAt: nowIso(),
      updatedAt: nowIso(),
      closedAt: null,
    };
    state.pulls.push(pull);
    movesAtOpen.set(pull, state.moves.get(`refs/heads/${init.head}`) ?? 0);
    return pull;
  };

  const facade = (state: RepoState): GitHubRepo => ({
    owner: state.owner,
    name: state.name,
    fullName: `${state.owner}/${state.name}`,
    defaultBranch: state.defaultBranch,
    ref: (name) => state.refs.get(fullRef(name)),
    refs: () => Object.fromEntries([...state.refs].sort(([a], [b]) => (a < b ? -1 : 1))),
    commit(commitSha) {
      const commit = store.commits.get(commitSha);
      if (!commit) throw new StandInUsageError(`the GitHub stand-in has no commit ${commitSha}`);
      return commit;
    },
    files(commitOrBranch) {
      const commitSha = commitOf(state, commitOrBranch);
      if (!commitSha)
        throw new StandInUsageError(`the GitHub stand-in has no commit or branch ${commitOrBranch}`);
      const out: Record<string, string> = {};
      for (const [path, entry] of filesAt(commitSha)) out[path] = textOf(entry);
      return out;
    },
    pulls: state.pulls,
    labels: () => [...state.labels.values()].map((l) => l.name),
    openPull(init) {
      if (!state.refs.has(`refs/heads/${init.head}`)) {
        throw new StandInUsageError(`the GitHub stand-in has no branch ${init.head}`);
      }
      return newPull(state, {
        head: init.head,
        base: init.base ?? state.defaultBranch,
        title: init.title,
        body: init.body,
        user: init.user ?? login,
      });
    },
    commitFiles(branch, files, message = "Update files") {
      const ref = fullRef(branch);
      const parent = state.refs.get(ref) ?? (state.refs.get(`refs/heads/${state.defaultBranch}`) as string);
      const commit = commitFilesOn([parent], files, message);
      moveRef(state, ref, commit);
      return commit;
    },
  });

  /* ----- HTTP ----- */

  const acceptsToken = (authorization: string) => {
    const presented = /^(?:token|bearer)\s+(\S+)$/i.exec(authorization)?.[1];
    if (presented === undefined) return false;
    if (presented === token) return true;
    const expires = installationTokens.get(presented);
    return expires !== undefined && expires > Date.now();
  };

  /** `POST /app/installations/{id}/access_tokens`: an installation token for a valid JWT of the App. */
  const exchangeToken = (
    params: Readonly<Record<string, string>>,
    authorization: string,
  ): { reply: Reply; issue?: string } => {
    const app = options.app;
    if (!app) return { reply: notFound(), issue: "no GitHub App is configured on the stand-in" };
    const problem = jwtProblem(authorization, app, publicKey);
    if (problem) return { reply: basicError(401, problem), issue: `the App JWT is refused: ${problem}` };
    if (params.installation_id !== String(app.installationId)) {
      return {
        reply: notFound(),
        issue: `installation ${params.installation_id} is not the App's (${app.installationId})`,
      };
    }
    const minted = `ghs_${randomBytes(18).toString("hex")}`;
    const expiresAt = Date.now() + 3_600_000;
    installationTokens.set(minted, expiresAt);
    return {
      reply: json(201, {
        token: minted,
        expires_at: isoSeconds(expiresAt),
        permissions: { contents: "write", issues: "write", metadata: "read", pull_requests: "write" },
        repository_selection: "all",
      }),
    };
  };

  const toHttp = (reply: Reply): StandInReply => ({
    status: reply.status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "x-github-media-type": "github.v3; format=json",
      "x-github-request-id": `REHEARSAL:${requests.length}`,
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 3600),
      "x-ratelimit-resource": "core",
      ...reply.headers,
    },
    body: reply.raw ?? (reply.body === undefined ? "" : JSON.stringify(reply.body)),
  });

  const serve = (incoming: StandInRequest): Served => {
    const target = new URL(incoming.path, "http://127.0.0.1");
    const method = incoming.method.toUpperCase();
    const route = matchRoute(method, target.pathname);
    let body: unknown;
    let unparsable = false;
    if (incoming.body.length > 0) {
      try {
        body = JSON.parse(incoming.body);
      } catch {
        unparsable = true;
      }
    }
    const request: GitHubRequest = {
      method,
      path: target.pathname,
      query: target.searchParams,
      body,
      ...(route ? { operationId: route.operationId } : {}),
      status: 0,
    };
    requests.push(request);
    const answer = (reply: Reply, issues: readonly string[] = []): Served => {
      request.status = reply.status;
      return {
        operation: route?.operationId ?? "",
        reply: toHttp(reply),
        ...(issues.length > 0
          ? { unexpected: `${method} ${target.pathname}${target.search}: ${issues.join("; ")}` }
          : {}),
      };
    };

    const authorization = incoming.headers.authorization ?? "";
    if (route?.operationId !== APP_TOKEN && !acceptsToken(authorization)) {
      return authorization === ""
        ? answer(basicError(401, "Requires authentication"), ["missing token"])
        : answer(basicError(401, "Bad credentials"), ["wrong token"]);
    }
    if (unparsable) return answer(basicError(400, "Problems parsing JSON"), ["body is not JSON"]);

    const validated = validator?.request({
      method,
      path: target.pathname,
      query: target.searchParams,
      body,
      ...(route ? { operationId: route.operationId } : {}),
    });
    if (!route) {
      return answer(basicError(404, "Not Found"), [
        ...(validated ?? []),
        `the GitHub stand-in serves no ${method} ${target.pathname}`,
      ]);
    }
    const issues = [
      ...(validated ?? []),
      ...ownIssues(route.operationId, route.params, target.searchParams, body),
    ];
    if (issues.length > 0) return answer(basicError(422, "Invalid request."), issues);

    if (route.operationId === APP_TOKEN) {
      const exchanged = exchangeToken(route.params, authorization);
      return answer(exchanged.reply, exchanged.issue ? [exchanged.issue] : []);
    }
    const operationId = route.operationId;
    const state = repos.get(`${route.params.owner}/${route.params.repo}`.toLowerCase());
    if (!state) return answer(notFound());

    let reply: Reply | undefined;
    const queue = scripts.get(operationId);
    const next = queue?.[0];
    if (queue && next) {
      next.remaining -= 1;
      if (next.remaining <= 0) queue.shift();
      reply =
        typeof next.reply === "function"
          ? next.reply({ request, params: route.params, repo: facade(state) })
          : next.reply;
    }
    const handle = handlers[operationId] as (context: HandlerContext<unknown>) => Reply;
    reply ??= handle({ state, params: route.params, request, headers: incoming.headers, body });
    const nonconforming =
      reply.raw === undefined ? (validator?.response(operationId, reply.status, reply.body) ?? []) : [];
    return answer(
      reply,
      nonconforming.length > 0
        ? [`answered ${reply.status} outside the API description: ${nonconforming.join("; ")}`]
        : [],
    );
  };

  const standIn = await startStandIn("github", serve, {
    ...(options.faults ? { faults: options.faults } : {}),
    operationOf: (request) =>
      matchRoute(request.method.toUpperCase(), new URL(request.path, "http://127.0.0.1").pathname)
        ?.operationId ?? "",
  });
  url = standIn.url;

  return {
    ...standIn,
    token,
    login,
    requests,
    repo(fullName) {
      const state = repos.get(fullName.toLowerCase());
      if (!state) throw new StandInUsageError(`the GitHub stand-in has no repository ${fullName}`);
      return facade(state);
    },
    script(operationId, reply, times = 1) {
      const queue = scripts.get(operationId) ?? [];
      queue.push({ reply, remaining: times });
      scripts.set(operationId, queue);
    },
    writes(since = 0) {
      return requests.slice(since).filter((r) => r.method !== "GET");
    },
    pullRequestsSummary() {
      return [...repos.values()].flatMap((state) =>
        [...state.pulls]
          .sort((a, b) => a.number - b.number)
          .map((pull): PullRequestSummary => {
            const diff = pullDiff(state, pull);
            return {
              repo: `${state.owner}/${state.name}`,
              number: pull.number,
              state: pull.state,
              branch: pull.head,
              base: pull.base,
              title: pull.title,
              body: pull.body ?? "",
              author: pull.user,
              labels: [...pull.labels],
              reviewers: [...pull.requestedReviewers],
              teamReviewers: [...pull.requestedTeams],
              comments: pull.comments.map((c) => c.body),
              commits: diff.commits,
              files: diff.files,
              deleted: diff.deleted,
              updates: (state.moves.get(`refs/heads/${pull.head}`) ?? 0) - (movesAtOpen.get(pull) ?? 0),
            };
          }),
      );
    },
    verify() {
      const unused = [...scripts]
        .filter(([, q]) => q.length > 0)
        .map(([id]) => `script for ${id} was not used`);
      const problems = [...standIn.unexpected, ...unused];
      if (problems.length > 0) throw new Error(`GitHub stand-in:\n- ${problems.join("\n- ")}`);
    },
  };
}
