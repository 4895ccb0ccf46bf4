import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type GitHubOpenApi, gitHubOpenApi, type MatchedOperation } from "./github-openapi.ts";

/**
 * A local GitHub for adapter tests: Octokit talks real HTTP to it on 127.0.0.1 (`baseUrl`), and it
 * keeps repository state in memory the way GitHub does: git objects with real SHA-1 ids (blobs,
 * nested trees, commits), refs, pull requests (numbered per repository), labels (created on first
 * use, as `POST /issues/{n}/labels` does), comments and requested reviewers.
 *
 * Strict: every request is validated against GitHub's published OpenAPI description, cut down to the
 * operations Phantom calls (`fixtures/github/openapi-subset.json`, see `github-openapi.ts` and
 * `github-operations.ts`); a request the description would reject, a route outside the subset or
 * not implemented here, a missing token, or a response that does not match the description's
 * response schema is recorded, and `verify()` fails the test for it.
 * Responses start from the description's own examples, patched with the server's state.
 *
 * `script()` answers an operation differently a number of times: secondary rate limits (403/429
 * with `retry-after`), primary rate limits, a 422 on `pulls/create`, or a side effect before the
 * normal answer (another writer racing the adapter).
 */

/* ---------- public types ---------- */

export interface RepoInit {
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

export interface GitHubServerOptions {
  readonly repos: readonly RepoInit[];
  /** The token Octokit must send. Default `test-token`. */
  readonly token?: string;
  /** The user the token belongs to (author of pull requests, comments and commits). Default `phantom-bot`. */
  readonly login?: string;
}

/** A request as the server saw it. */
export interface GitHubRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** `pulls/create`, ... when the route is known. */
  readonly operationId?: string;
  status: number;
}

export interface ScriptedReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface ScriptContext {
  readonly request: GitHubRequest;
  readonly params: Readonly<Record<string, string>>;
  readonly repo: FakeRepo;
}

/** A reply, or `undefined` to answer normally (after a side effect). */
export type Script = ScriptedReply | ((context: ScriptContext) => ScriptedReply | undefined);

export interface FakeComment {
  readonly id: number;
  readonly body: string;
  readonly user: string;
}

export interface FakePull {
  readonly number: number;
  state: "open" | "closed";
  title: string;
  body: string | null;
  readonly head: string;
  base: string;
  readonly user: string;
  readonly labels: string[];
  readonly comments: FakeComment[];
  readonly requestedReviewers: string[];
  readonly requestedTeams: string[];
  readonly createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface FakeCommit {
  readonly sha: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly message: string;
  readonly author: { readonly name: string; readonly email: string; readonly date: string };
}

export interface FakeRepo {
  readonly owner: string;
  readonly name: string;
  readonly fullName: string;
  readonly defaultBranch: string;
  /** The commit a ref points at: `main`, `heads/main` or `refs/heads/main`. */
  ref(name: string): string | undefined;
  /** Every ref: `refs/heads/main` ► sha. */
  refs(): Record<string, string>;
  commit(sha: string): FakeCommit;
  /** Every file of a commit (or of the commit a branch points at): path ► text. */
  files(commitOrBranch: string): Record<string, string>;
  readonly pulls: FakePull[];
  /** Label names defined in the repository. */
  labels(): string[];
  /** Another writer opens a pull request (the head branch must exist). */
  openPull(init: { head: string; title: string; body: string; base?: string; user?: string }): FakePull;
  /** Another writer commits files on a branch (moves it forward; creates it from the default branch). */
  commitFiles(branch: string, files: Readonly<Record<string, string>>, message?: string): string;
}

export interface GitHubServer {
  /** `http://127.0.0.1:<port>`: Octokit's `baseUrl`. */
  readonly url: string;
  readonly token: string;
  readonly login: string;
  readonly openapi: GitHubOpenApi;
  /** Every request in arrival order. */
  readonly requests: readonly GitHubRequest[];
  /** Everything that fails the test: invalid requests, unknown routes, nonconforming responses. */
  readonly failures: readonly string[];
  repo(fullName: string): FakeRepo;
  /** Answers the next `times` requests to `operationId` with `reply` instead. */
  script(operationId: string, reply: Script, times?: number): void;
  /** Requests that change state (not GET), from index `since` on. */
  writes(since?: number): GitHubRequest[];
  /** Throws when a request failed validation or a script is still unused. */
  verify(): void;
  close(): Promise<void>;
}

/* ---------- replies for scripts ---------- */

/**
 * GitHub's secondary rate limit answer: 403 or 429, `retry-after`, and the message the throttling
 * plugin recognises ("secondary rate").
 * @see https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits
 */
export function secondaryRateLimit(status: 403 | 429 = 403, retryAfterSeconds = 1): ScriptedReply {
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
export function primaryRateLimit(resetInSeconds = 1): ScriptedReply {
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
export function pullRequestAlreadyExists(owner: string, branch: string): ScriptedReply {
  return validationFailed([
    {
      resource: "PullRequest",
      code: "custom",
      message: `A pull request already exists for ${owner}:${branch}.`,
    },
  ]);
}

function validationFailed(
  errors: readonly Record<string, unknown>[],
  message = "Validation Failed",
): ScriptedReply {
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

function basicError(
  status: number,
  message: string,
  documentation = "https://docs.github.com/rest",
): ScriptedReply {
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
  readonly commits: Map<string, FakeCommit>;
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

function writeCommit(
  store: Store,
  input: { tree: string; parents: readonly string[]; message: string; author: FakeCommit["author"] },
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

function isAncestor(store: Store, ancestor: string, of: string): boolean {
  const seen = new Set<string>();
  const queue = [of];
  while (queue.length > 0) {
    const sha = queue.pop() as string;
    if (sha === ancestor) return true;
    if (seen.has(sha)) continue;
    seen.add(sha);
    queue.push(...(store.commits.get(sha)?.parents ?? []));
  }
  return false;
}

/* ---------- repository state ---------- */

interface RepoState {
  readonly owner: string;
  readonly name: string;
  readonly defaultBranch: string;
  readonly id: number;
  readonly refs: Map<string, string>;
  readonly pulls: FakePull[];
  readonly labels: Map<string, { id: number; name: string; color: string; description: string | null }>;
  readonly collaborators?: ReadonlySet<string>;
  readonly teams: ReadonlySet<string>;
}

function fullRef(name: string): string {
  if (name.startsWith("refs/")) return name;
  if (name.startsWith("heads/") || name.startsWith("tags/")) return `refs/${name}`;
  return `refs/heads/${name}`;
}

const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/* ---------- the server ---------- */

export async function startGitHubServer(options: GitHubServerOptions): Promise<GitHubServer> {
  const openapi = gitHubOpenApi();
  const token = options.token ?? "test-token";
  const login = options.login ?? "phantom-bot";
  const store: Store = { blobs: new Map(), trees: new Map(), commits: new Map() };
  const repos = new Map<string, RepoState>();
  const requests: GitHubRequest[] = [];
  const failures: string[] = [];
  const scripts = new Map<string, { reply: Script; remaining: number }[]>();
  let nextId = 1000;
  let url = "";

  const botAuthor = () => ({ name: login, email: `${login}@users.noreply.github.com`, date: nowIso() });

  const commitFilesOn = (
    parents: readonly string[],
    files: Readonly<Record<string, string>>,
    message: string,
  ) => {
    const base = parents[0] ? flatten(store, (store.commits.get(parents[0]) as FakeCommit).tree) : new Map();
    for (const [path, text] of Object.entries(files)) {
      base.set(path, { mode: "100644", type: "blob", sha: writeBlob(store, Buffer.from(text)) });
    }
    return writeCommit(store, { tree: buildTree(store, base), parents, message, author: botAuthor() });
  };

  for (const init of options.repos) {
    const [owner, name] = init.repo.split("/");
    if (!owner || !name) throw new Error(`repo must be owner/name: ${init.repo}`);
    const defaultBranch = init.defaultBranch ?? "main";
    const state: RepoState = {
      owner,
      name,
      defaultBranch,
      id: nextId++,
      refs: new Map(),
      pulls: [],
      labels: new Map(),
      ...(init.collaborators
        ? { collaborators: new Set([owner, ...init.collaborators].map((c) => c.toLowerCase())) }
        : {}),
      teams: new Set((init.teams ?? []).map((t) => t.toLowerCase())),
    };
    state.refs.set(`refs/heads/${defaultBranch}`, commitFilesOn([], init.files, "Initial commit"));
    repos.set(init.repo.toLowerCase(), state);
  }

  /* ----- response shapes, from the description's examples ----- */

  const api = (path: string) => `${url}${path}`;
  const web = (path: string) => `https://github.com${path}`;

  // The description's examples, read once: every response is one of these, patched.
  const examples = {
    pull: openapi.example("pulls/create", 201) as Record<string, unknown> & {
      user: Record<string, unknown>;
      requested_teams: Record<string, unknown>[];
    },
    repository: JSON.stringify(openapi.example("repos/get", 200)),
    comment: openapi.example("issues/create-comment", 201) as Record<string, unknown>,
  };

  const user = (name: string): Record<string, unknown> => {
    const example = examples.pull;
    const id = Number.parseInt(createHash("sha1").update(name).digest("hex").slice(0, 6), 16);
    return {
      ...example.user,
      login: name,
      id,
      node_id: Buffer.from(`04:User${id}`).toString("base64"),
      url: api(`/users/${name}`),
      html_url: web(`/${name}`),
    };
  };

  const repository = (state: RepoState): Record<string, unknown> => {
    const full = `${state.owner}/${state.name}`;
    const text = examples.repository
      .replaceAll("https://api.github.com/repos/octocat/Hello-World", api(`/repos/${full}`))
      .replaceAll("octocat/Hello-World", full);
    const patched = JSON.parse(text) as Record<string, unknown>;
    for (const key of ["template_repository", "parent", "source", "organization"]) delete patched[key];
    return {
      ...patched,
      id: state.id,
      name: state.name,
      full_name: full,
      owner: user(state.owner),
      default_branch: state.defaultBranch,
      language: null,
      license: null,
      private: true,
      fork: false,
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
      node_id: Buffer.from(`010:Label${l.id}`).toString("base64"),
      url: api(`/repos/${state.owner}/${state.name}/labels/${encodeURIComponent(l.name)}`),
      name: l.name,
      description: embedded ? (l.description ?? "") : l.description,
      color: l.color,
      default: false,
    };
  };

  const team = (state: RepoState, slug: string): Record<string, unknown> => {
    return {
      ...examples.pull.requested_teams[0],
      name: slug,
      slug,
      html_url: web(`/orgs/${state.owner}/teams/${slug}`),
      parent: null,
      type: "organization",
    };
  };

  const branchSide = (state: RepoState, ref: string): Record<string, unknown> => ({
    label: `${state.owner}:${ref}`,
    ref,
    sha: state.refs.get(`refs/heads/${ref}`) ?? "0000000000000000000000000000000000000000",
    user: user(state.owner),
    repo: repository(state),
  });

  const pullRequest = (
    state: RepoState,
    pull: FakePull,
    shape: "full" | "simple",
  ): Record<string, unknown> => {
    const full = `${state.owner}/${state.name}`;
    const text = JSON.stringify(examples.pull)
      .replaceAll("https://api.github.com/repos/octocat/Hello-World", api(`/repos/${full}`))
      .replaceAll("octocat/Hello-World", full)
      .replaceAll("/1347", `/${pull.number}`);
    const patched = JSON.parse(text) as Record<string, unknown>;
    const common = {
      ...patched,
      id: state.id * 100_000 + pull.number,
      number: pull.number,
      state: pull.state,
      locked: false,
      active_lock_reason: null,
      title: pull.title,
      body: pull.body,
      user: user(pull.user),
      labels: pull.labels.map((l) => label(state, l, true)),
      milestone: null,
      assignee: null,
      assignees: [],
      requested_reviewers: pull.requestedReviewers.map(user),
      requested_teams: pull.requestedTeams.map((t) => team(state, t)),
      head: branchSide(state, pull.head),
      base: branchSide(state, pull.base),
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.closedAt,
      merged_at: null,
      merge_commit_sha: null,
      draft: false,
      auto_merge: null,
    };
    if (shape === "simple") {
      const keep = [
        "url",
        "id",
        "node_id",
        "html_url",
        "diff_url",
        "patch_url",
        "issue_url",
        "commits_url",
        "review_comments_url",
        "review_comment_url",
        "comments_url",
        "statuses_url",
        "number",
        "state",
        "locked",
        "title",
        "user",
        "body",
        "labels",
        "milestone",
        "active_lock_reason",
        "created_at",
        "updated_at",
        "closed_at",
        "merged_at",
        "merge_commit_sha",
        "assignee",
        "assignees",
        "requested_reviewers",
        "requested_teams",
        "head",
        "base",
        "_links",
        "author_association",
        "auto_merge",
        "draft",
      ];
      return Object.fromEntries(keep.map((k) => [k, (common as Record<string, unknown>)[k]]));
    }
    return {
      ...common,
      merged: false,
      mergeable: null,
      rebaseable: null,
      mergeable_state: "unknown",
      merged_by: null,
      comments: pull.comments.length,
      review_comments: 0,
      commits: 1,
      additions: 0,
      deletions: 0,
      changed_files: 0,
    };
  };

  const gitRef = (state: RepoState, ref: string): Record<string, unknown> => {
    const sha = state.refs.get(ref) as string;
    const base = `/repos/${state.owner}/${state.name}`;
    return {
      ref,
      node_id: Buffer.from(`03:Ref${state.id}:${ref}`).toString("base64"),
      url: api(`${base}/git/${ref}`),
      object: { type: "commit", sha, url: api(`${base}/git/commits/${sha}`) },
    };
  };

  const gitCommit = (state: RepoState, commit: FakeCommit): Record<string, unknown> => {
    const base = `/repos/${state.owner}/${state.name}`;
    return {
      sha: commit.sha,
      node_id: Buffer.from(`06:Commit${state.id}:${commit.sha}`).toString("base64"),
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

  /* ----- operations ----- */

  type Handler = (
    state: RepoState,
    params: Readonly<Record<string, string>>,
    request: GitHubRequest,
  ) => ScriptedReply;
  const json = (status: number, body: unknown): ScriptedReply => ({ status, body });
  const notFound = () => basicError(404, "Not Found");
  const pullOf = (state: RepoState, number: string) => state.pulls.find((p) => String(p.number) === number);
  const body = (request: GitHubRequest) => (request.body ?? {}) as Record<string, unknown>;

  const handlers: Record<string, Handler> = {
    "repos/get": (state) => json(200, repository(state)),

    "git/get-ref": (state, params) => {
      const ref = `refs/${params.ref}`;
      return state.refs.has(ref) ? json(200, gitRef(state, ref)) : notFound();
    },

    "git/get-commit": (state, params) => {
      const commit = store.commits.get(params.commit_sha ?? "");
      return commit ? json(200, gitCommit(state, commit)) : notFound();
    },

    "git/create-blob": (state, _params, request) => {
      const { content, encoding } = body(request) as { content: string; encoding?: string };
      const bytes = encoding === "base64" ? Buffer.from(content, "base64") : Buffer.from(content, "utf8");
      const sha = writeBlob(store, bytes);
      return json(201, { sha, url: api(`/repos/${state.owner}/${state.name}/git/blobs/${sha}`) });
    },

    "git/create-tree": (state, _params, request) => {
      const { tree, base_tree } = body(request) as {
        tree: { path: string; mode: string; type: string; sha?: string | null; content?: string }[];
        base_tree?: string;
      };
      if (base_tree !== undefined && !store.trees.has(base_tree)) {
        return validationFailed(
          [{ resource: "Tree", field: "base_tree", code: "invalid" }],
          "base_tree is not a valid tree oid",
        );
      }
      const files = base_tree ? flatten(store, base_tree) : new Map<string, TreeEntry>();
      for (const entry of tree) {
        if (entry.type !== "blob")
          return validationFailed([], "only blob entries are implemented by the fake");
        if (entry.sha !== undefined && entry.content !== undefined) {
          return validationFailed([], "Must supply either tree.sha or tree.content, not both");
        }
        if (entry.sha === null) {
          files.delete(entry.path);
          continue;
        }
        const sha = entry.content !== undefined ? writeBlob(store, Buffer.from(entry.content)) : entry.sha;
        if (!sha || !store.blobs.has(sha)) {
          return validationFailed([], `tree.sha ${String(sha)} is not a valid blob`);
        }
        files.set(entry.path, { mode: entry.mode, type: "blob", sha });
      }
      const sha = buildTree(store, files);
      const base = `/repos/${state.owner}/${state.name}`;
      const entries = [...(store.trees.get(sha) ?? new Map<string, TreeEntry>())].map(([path, e]) => ({
        path,
        mode: e.mode,
        type: e.type,
        sha: e.sha,
        ...(e.type === "blob" ? { size: store.blobs.get(e.sha)?.length ?? 0 } : {}),
        url: api(`${base}/git/${e.type}s/${e.sha}`),
      }));
      return json(201, { sha, url: api(`${base}/git/trees/${sha}`), tree: entries, truncated: false });
    },

    "git/create-commit": (state, _params, request) => {
      const b = body(request) as {
        message: string;
        tree: string;
        parents?: string[];
        author?: { name: string; email: string; date?: string };
      };
      if (!store.trees.has(b.tree)) return validationFailed([], "Tree SHA does not exist");
      for (const p of b.parents ?? [])
        if (!store.commits.has(p))
          return validationFailed([], "Parent SHA does not exist or is not a commit object");
      const author = b.author ? { ...b.author, date: b.author.date ?? nowIso() } : botAuthor();
      const sha = writeCommit(store, { tree: b.tree, parents: b.parents ?? [], message: b.message, author });
      return json(201, gitCommit(state, store.commits.get(sha) as FakeCommit));
    },

    "git/create-ref": (state, _params, request) => {
      const { ref, sha } = body(request) as { ref: string; sha: string };
      if (!ref.startsWith("refs/") || ref.split("/").length < 3) {
        return validationFailed([], "Reference name must start with 'refs/' and have at least two slashes.");
      }
      if (state.refs.has(ref)) return validationFailed([], "Reference already exists");
      if (!store.commits.has(sha)) return validationFailed([], "Object does not exist");
      state.refs.set(ref, sha);
      return json(201, gitRef(state, ref));
    },

    "git/update-ref": (state, params, request) => {
      const { sha, force } = body(request) as { sha: string; force?: boolean };
      const ref = `refs/${params.ref}`;
      const current = state.refs.get(ref);
      if (!current) return validationFailed([], "Reference does not exist");
      if (!store.commits.has(sha)) return validationFailed([], "Object does not exist");
      if (!force && !isAncestor(store, current, sha))
        return validationFailed([], "Update is not a fast forward");
      state.refs.set(ref, sha);
      return json(200, gitRef(state, ref));
    },

    "repos/get-content": (state, params, request) => {
      const ref = request.query.get("ref") ?? state.defaultBranch;
      const commitSha = store.commits.has(ref) ? ref : state.refs.get(fullRef(ref));
      if (!commitSha) return basicError(404, `No commit found for the ref ${ref}`);
      const files = flatten(store, (store.commits.get(commitSha) as FakeCommit).tree);
      const path = params.path ?? "";
      const entry = files.get(path);
      const base = `/repos/${state.owner}/${state.name}`;
      if (!entry) return notFound();
      const bytes = store.blobs.get(entry.sha) ?? Buffer.alloc(0);
      const name = path.split("/").pop() ?? path;
      const content = (bytes.toString("base64").match(/.{1,60}/g) ?? []).join("\n");
      const htmlUrl = web(`/${state.owner}/${state.name}/blob/${ref}/${path}`);
      return json(200, {
        type: "file",
        encoding: "base64",
        size: bytes.length,
        name,
        path,
        content: `${content}\n`,
        sha: entry.sha,
        url: api(`${base}/contents/${path}?ref=${ref}`),
        git_url: api(`${base}/git/blobs/${entry.sha}`),
        html_url: htmlUrl,
        download_url: `https://raw.githubusercontent.com/${state.owner}/${state.name}/${ref}/${path}`,
        _links: {
          self: api(`${base}/contents/${path}?ref=${ref}`),
          git: api(`${base}/git/blobs/${entry.sha}`),
          html: htmlUrl,
        },
      });
    },

    "pulls/list": (state, _params, request) => {
      const q = request.query;
      const wanted = q.get("state") ?? "open";
      const head = q.get("head");
      const base = q.get("base");
      let list = state.pulls.filter((p) => wanted === "all" || p.state === wanted);
      if (head) {
        const [owner, ref] = head.includes(":")
          ? (head.split(":", 2) as [string, string])
          : [head, undefined];
        list =
          owner.toLowerCase() !== state.owner.toLowerCase()
            ? []
            : list.filter((p) => ref === undefined || p.head === ref);
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

    "pulls/create": (state, _params, request) => {
      const b = body(request) as { title?: string; head: string; base: string; body?: string };
      const head = b.head.includes(":") ? (b.head.split(":")[1] ?? "") : b.head;
      if (!state.refs.has(`refs/heads/${head}`)) {
        return validationFailed([{ resource: "PullRequest", field: "head", code: "invalid" }]);
      }
      if (!state.refs.has(`refs/heads/${b.base}`)) {
        return validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
      }
      if (state.pulls.some((p) => p.state === "open" && p.head === head && p.base === b.base)) {
        return pullRequestAlreadyExists(state.owner, head);
      }
      if (state.refs.get(`refs/heads/${head}`) === state.refs.get(`refs/heads/${b.base}`)) {
        return validationFailed([
          { resource: "PullRequest", code: "custom", message: `No commits between ${b.base} and ${head}` },
        ]);
      }
      const pull = newPull(state, {
        head,
        base: b.base,
        title: b.title ?? head,
        body: b.body ?? null,
        user: login,
      });
      return json(201, pullRequest(state, pull, "full"));
    },

    "pulls/update": (state, params, request) => {
      const pull = pullOf(state, params.pull_number ?? "");
      if (!pull) return notFound();
      const b = body(request) as { title?: string; body?: string; state?: "open" | "closed"; base?: string };
      if (b.title !== undefined) pull.title = b.title;
      if (b.body !== undefined) pull.body = b.body;
      if (b.base !== undefined) pull.base = b.base;
      if (b.state !== undefined && b.state !== pull.state) {
        pull.state = b.state;
        pull.closedAt = b.state === "closed" ? nowIso() : null;
      }
      pull.updatedAt = nowIso();
      return json(200, pullRequest(state, pull, "full"));
    },

    "issues/create-comment": (state, params, request) => {
      const pull = pullOf(state, params.issue_number ?? "");
      if (!pull) return notFound();
      const comment = { id: nextId++, body: String(body(request).body), user: login };
      pull.comments.push(comment);
      const full = `${state.owner}/${state.name}`;
      return json(201, {
        ...examples.comment,
        id: comment.id,
        node_id: Buffer.from(`012:IssueComment${comment.id}`).toString("base64"),
        url: api(`/repos/${full}/issues/comments/${comment.id}`),
        html_url: web(`/${full}/pull/${pull.number}#issuecomment-${comment.id}`),
        issue_url: api(`/repos/${full}/issues/${pull.number}`),
        body: comment.body,
        user: user(login),
        created_at: nowIso(),
        updated_at: nowIso(),
        pin: null,
        minimized: null,
      });
    },

    "issues/add-labels": (state, params, request) => {
      const pull = pullOf(state, params.issue_number ?? "");
      if (!pull) return notFound();
      const raw = Array.isArray(request.body) ? request.body : ((body(request).labels as unknown[]) ?? []);
      for (const item of raw) {
        const name = typeof item === "string" ? item : String((item as { name: string }).name);
        // GitHub creates a label that does not exist yet (color ededed, no description).
        if (!state.labels.has(name.toLowerCase())) {
          state.labels.set(name.toLowerCase(), { id: nextId++, name, color: "ededed", description: null });
        }
        const canonical = state.labels.get(name.toLowerCase())?.name ?? name;
        if (!pull.labels.some((l) => l.toLowerCase() === name.toLowerCase())) pull.labels.push(canonical);
      }
      return json(
        200,
        pull.labels.map((l) => label(state, l)),
      );
    },

    "issues/remove-label": (state, params) => {
      const pull = pullOf(state, params.issue_number ?? "");
      if (!pull) return notFound();
      const index = pull.labels.findIndex((l) => l.toLowerCase() === (params.name ?? "").toLowerCase());
      if (index < 0) return basicError(404, "Label does not exist");
      pull.labels.splice(index, 1);
      return json(
        200,
        pull.labels.map((l) => label(state, l)),
      );
    },

    "pulls/request-reviewers": (state, params, request) => {
      const pull = pullOf(state, params.pull_number ?? "");
      if (!pull) return notFound();
      const b = body(request) as { reviewers?: string[]; team_reviewers?: string[] };
      const reviewers = b.reviewers ?? [];
      const teams = b.team_reviewers ?? [];
      if (reviewers.some((r) => r.toLowerCase() === pull.user.toLowerCase())) {
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
  ): FakePull => {
    const number = state.pulls.reduce((max, p) => Math.max(max, p.number), 0) + 1;
    const pull: FakePull = {
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
    return pull;
  };

  const facade = (state: RepoState): FakeRepo => ({
    owner: state.owner,
    name: state.name,
    fullName: `${state.owner}/${state.name}`,
    defaultBranch: state.defaultBranch,
    ref: (name) => state.refs.get(fullRef(name)),
    refs: () => Object.fromEntries([...state.refs].sort(([a], [b]) => (a < b ? -1 : 1))),
    commit(sha) {
      const commit = store.commits.get(sha);
      if (!commit) throw new Error(`no commit ${sha}`);
      return commit;
    },
    files(commitOrBranch) {
      const sha = store.commits.has(commitOrBranch)
        ? commitOrBranch
        : state.refs.get(fullRef(commitOrBranch));
      if (!sha) throw new Error(`no commit or branch ${commitOrBranch}`);
      const out: Record<string, string> = {};
      for (const [path, entry] of flatten(store, (store.commits.get(sha) as FakeCommit).tree)) {
        out[path] = (store.blobs.get(entry.sha) ?? Buffer.alloc(0)).toString("utf8");
      }
      return out;
    },
    pulls: state.pulls,
    labels: () => [...state.labels.values()].map((l) => l.name),
    openPull(init) {
      if (!state.refs.has(`refs/heads/${init.head}`)) throw new Error(`no branch ${init.head}`);
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
      const sha = commitFilesOn([parent], files, message);
      state.refs.set(ref, sha);
      return sha;
    },
  });

  /* ----- HTTP ----- */

  const readBody = (request: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      request.on("error", reject);
    });

  const send = (response: ServerResponse, reply: ScriptedReply) => {
    const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
    response.writeHead(reply.status, {
      "content-type": "application/json; charset=utf-8",
      "x-github-media-type": "github.v3; format=json",
      "x-github-request-id": `FAKE:${requests.length}`,
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 3600),
      "x-ratelimit-resource": "core",
      ...reply.headers,
    });
    response.end(text);
  };

  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    const target = new URL(incoming.url ?? "/", "http://127.0.0.1");
    const text = await readBody(incoming);
    let parsed: unknown;
    let parseError: string | undefined;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parseError = "body is not JSON";
      }
    }
    const request: GitHubRequest = {
      method: incoming.method ?? "GET",
      path: target.pathname,
      query: target.searchParams,
      body: parsed,
      status: 0,
    };
    requests.push(request);
    const fail = (reply: ScriptedReply, issue: string) => {
      failures.push(`${request.method} ${request.path}${target.search}: ${issue}`);
      request.status = reply.status;
      send(response, reply);
    };

    const auth = incoming.headers.authorization ?? "";
    if (auth !== `token ${token}` && auth !== `Bearer ${token}`) {
      fail(basicError(401, "Requires authentication"), "missing or wrong token");
      return;
    }
    if (parseError) {
      fail(basicError(400, "Problems parsing JSON"), parseError);
      return;
    }
    const validation = openapi.validateRequest({
      method: request.method,
      path: request.path,
      query: request.query,
      body: parsed,
    });
    const matched: MatchedOperation | undefined = validation.operation;
    if (matched) (request as { operationId?: string }).operationId = matched.operationId;
    if (!validation.ok) {
      fail(
        basicError(matched ? 422 : 404, matched ? "Invalid request." : "Not Found"),
        validation.issues.join("; "),
      );
      return;
    }
    const operation = validation.operation;
    const handler = handlers[operation.operationId];
    if (!handler) {
      fail(
        basicError(501, "Not implemented by the fake"),
        `${operation.operationId} is not implemented by the fake server`,
      );
      return;
    }
    const state = repos.get(`${operation.params.owner}/${operation.params.repo}`.toLowerCase());
    if (!state) {
      request.status = 404;
      send(response, notFound());
      return;
    }

    let reply: ScriptedReply | undefined;
    const queue = scripts.get(operation.operationId);
    const next = queue?.[0];
    if (next) {
      next.remaining -= 1;
      if (next.remaining <= 0) queue.shift();
      reply =
        typeof next.reply === "function"
          ? next.reply({ request, params: operation.params, repo: facade(state) })
          : next.reply;
    }
    reply ??= handler(state, operation.params, request);
    const issues = openapi.validateResponse(operation.operationId, reply.status, reply.body);
    if (issues.length > 0)
      failures.push(`${operation.operationId} answered outside the description: ${issues.join("; ")}`);
    request.status = reply.status;
    send(response, reply);
  };

  const server: Server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      failures.push(`${incoming.method} ${incoming.url}: the fake server threw ${String(error)}`);
      if (!response.headersSent) send(response, basicError(500, "Server Error"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    login,
    openapi,
    requests,
    failures,
    repo(fullName) {
      const state = repos.get(fullName.toLowerCase());
      if (!state) throw new Error(`no repo ${fullName}`);
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
    verify() {
      const unused = [...scripts]
        .filter(([, q]) => q.length > 0)
        .map(([id]) => `script for ${id} was not used`);
      const problems = [...failures, ...unused];
      if (problems.length > 0) throw new Error(`fake GitHub:\n- ${problems.join("\n- ")}`);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
