import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { markerVerdict } from "../../core/publish/marker.ts";
import type {
  ChangeRequests,
  PullRequestMarker,
  PullRequestOutcome,
  PullRequestRequest,
} from "../../core/publish/ports.ts";
import { assertSafeRequest } from "../../core/publish/safe.ts";
import type { Logger } from "../log.ts";

/**
 * The `ChangeRequests` port on a local git repository (`phantom replay --repo PATH`): the same
 * branch `phantom/<stack>` and the same single commit the GitHub adapter makes, and the PR body in
 * a `pull-request.md` of the window's output.
 *
 * Only git plumbing, through the `git` CLI: `hash-object -w` per file, `read-tree` + `update-index -z`
 * on a temporary index (`GIT_INDEX_FILE`), `write-tree`, `commit-tree`, `update-ref` — so the user's
 * working tree, index and current branch are never touched, and no hook runs. A branch checked out
 * in any worktree is refused rather than moved under the user's feet. The branch, the base branch
 * and every file path are checked first (`assertSafeRequest`, core/publish/safe.ts): nothing is
 * written for a request that names a path outside the repository, under `.git`, or with a newline.
 *
 * The "open pull request" of a stack is its branch. Its tip commit carries the marker as trailers
 * (`Phantom-Pull-Request`, `Phantom-Stack`, `Phantom-Window`, `Phantom-Fingerprint`,
 * `Phantom-Valid-At`), so a re-run reads it back: the `unchanged` / `stale` / `updated` semantics are
 * the GitHub adapter's (`markerVerdict`), and `unchanged` or `stale` write nothing to the repository.
 * Ref moves are compare-and-swap (`update-ref <ref> <new> <old>`): a concurrent
 * writer makes `ensure` start over once, then fail.
 *
 * @see https://git-scm.com/docs/git-commit-tree
 * @see https://git-scm.com/docs/git-update-index#_using_index_info
 * @see https://git-scm.com/docs/git-update-ref
 * @see https://git-scm.com/docs/git-interpret-trailers
 */

/** Options of {@link createLocalGitChangeRequests}. */
export interface LocalGitChangeRequestsOptions {
  /** The repository (work tree or bare). */
  readonly repoPath: string;
  /**
   * Where the PR body of a request is written (`<out>/<stack>/<window>/pull-request.md`): a path, or
   * a function of the request. Nothing is written when absent.
   */
  readonly pullRequestFile?: string | ((request: PullRequestRequest) => string);
  /** The base branch when the request names none. Default: `origin/HEAD`'s branch, else `main`, else `master`, else HEAD's branch. */
  readonly baseBranch?: string;
  readonly author?: { readonly name: string; readonly email: string };
  /** Epoch ms for commit dates. */
  readonly now?: () => number;
  /** The environment `git` runs with (`GIT_DIR`-style variables are dropped). */
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
}

/** A git command failed, or the repository is in a state Phantom will not write to. */
export class LocalGitChangeRequestsError extends Error {
  override readonly name = "LocalGitChangeRequestsError";
}

const ZERO = "0000000000000000000000000000000000000000";
const TRAILER = {
  number: "Phantom-Pull-Request",
  stack: "Phantom-Stack",
  window: "Phantom-Window",
  fingerprint: "Phantom-Fingerprint",
  validAt: "Phantom-Valid-At",
  reviewed: "Phantom-Reviewed",
  sweep: "Phantom-Sweep",
} as const;

const run = promisify(execFile);

/** Keeps trailer values on one line. */
const oneLine = (value: string) => value.replace(/[\r\n]+/g, " ").trim();

/**
 * The commit message: the request's message, then the marker and the PR number as git trailers.
 * @see https://git-scm.com/docs/git-interpret-trailers
 */
export function commitMessageWithTrailers(
  message: string,
  marker: PullRequestMarker,
  number: number,
): string {
  return `${message.trimEnd()}\n\n${[
    `${TRAILER.number}: ${number}`,
    `${TRAILER.stack}: ${oneLine(marker.stack)}`,
    `${TRAILER.window}: ${oneLine(marker.window)}`,
    `${TRAILER.fingerprint}: ${oneLine(marker.fingerprint)}`,
    `${TRAILER.validAt}: ${oneLine(marker.validAt)}`,
    ...(marker.reviewed ? [`${TRAILER.reviewed}: true`] : []),
    ...(marker.sweep ? [`${TRAILER.sweep}: true`] : []),
  ].join("\n")}\n`;
}

/** The marker and PR number from a commit message's trailers (the last value of each key wins). */
export function parseTrailers(message: string): { marker?: PullRequestMarker; number?: number } {
  const values = new Map<string, string>();
  for (const line of message.split(/\r?\n/)) {
    const m = /^(Phantom-[A-Za-z-]+):\s*(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) values.set(m[1].toLowerCase(), m[2].trim());
  }
  const get = (key: string) => values.get(key.toLowerCase());
  const number = Number.parseInt(get(TRAILER.number) ?? "", 10);
  const stack = get(TRAILER.stack);
  const window = get(TRAILER.window);
  const fingerprint = get(TRAILER.fingerprint);
  const validAt = get(TRAILER.validAt);
  const marker =
    stack && window && fingerprint && validAt && !Number.isNaN(Date.parse(validAt))
      ? {
          stack,
          window,
          fingerprint,
          validAt,
          ...(get(TRAILER.reviewed) === "true" ? { reviewed: true } : {}),
          ...(get(TRAILER.sweep) === "true" ? { sweep: true } : {}),
        }
      : undefined;
  return { ...(marker ? { marker } : {}), ...(Number.isFinite(number) && number > 0 ? { number } : {}) };
}

/**
 * Creates the local git `ChangeRequests` adapter (see the module comment). The same requests as the
 * GitHub adapter give the same outcomes, so `phantom replay --repo PATH` rehearses publishing.
 * @see https://git-scm.com/docs/git-hash-object
 * @see https://git-scm.com/docs/git-write-tree
 */
export function createLocalGitChangeRequests(options: LocalGitChangeRequestsOptions): ChangeRequests {
  const repoPath = resolve(options.repoPath);
  const now = options.now ?? Date.now;
  const author = options.author ?? { name: "Phantom", email: "phantom@localhost" };
  const logger = options.logger;
  const baseEnv = Object.fromEntries(
    Object.entries(options.env ?? process.env).filter(
      ([key]) =>
        !/^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|NAMESPACE|COMMON_DIR|PREFIX)$/.test(
          key,
        ),
    ),
  );

  async function git(args: readonly string[], input?: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
    const call = run("git", ["-C", repoPath, ...args], {
      env: { ...baseEnv, ...env, GIT_TERMINAL_PROMPT: "0" },
      maxBuffer: 64 * 1024 * 1024,
      encoding: "utf8",
    });
    call.child.stdin?.on("error", () => {});
    call.child.stdin?.end(input ?? "");
    try {
      const { stdout } = await call;
      return stdout;
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
      throw new LocalGitChangeRequestsError(
        `git ${args.find((a) => !a.startsWith("-"))} failed in ${repoPath}: ${stderr || String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /** The commit a ref points at, or `undefined`. */
  async function resolveRef(ref: string): Promise<string | undefined> {
    try {
      return (await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async function defaultBase(): Promise<string> {
    if (options.baseBranch) return options.baseBranch;
    try {
      const remoteHead = (await git(["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"])).trim();
      const branch = remoteHead.replace(/^refs\/remotes\/origin\//, "");
      if (branch && (await resolveRef(`refs/heads/${branch}`))) return branch;
    } catch {
      // no origin/HEAD
    }
    for (const candidate of ["main", "master"])
      if (await resolveRef(`refs/heads/${candidate}`)) return candidate;
    try {
      return (await git(["symbolic-ref", "--quiet", "--short", "HEAD"])).trim();
    } catch {
      throw new LocalGitChangeRequestsError(`no base branch found in ${repoPath}: pass baseBranch`);
    }
  }

  /** Refuses to move a branch checked out in any worktree. */
  async function assertNotCheckedOut(branch: string): Promise<void> {
    const list = await git(["worktree", "list", "--porcelain"]);
    if (list.split("\n").some((line) => line === `branch refs/heads/${branch}`)) {
      throw new LocalGitChangeRequestsError(
        `branch ${branch} is checked out in ${repoPath}; switch to another branch so Phantom can update it`,
      );
    }
  }

  async function messageOf(commit: string): Promise<string> {
    const raw = await git(["cat-file", "commit", commit]);
    const split = raw.indexOf("\n\n");
    return split < 0 ? "" : raw.slice(split + 2);
  }

  async function nextNumber(): Promise<number> {
    let max = 0;
    const open = await git(["for-each-ref", "--format=%(objectname)", "refs/heads/phantom/"]);
    for (const sha of open.split("\n").filter((s) => s !== "")) {
      max = Math.max(max, parseTrailers(await messageOf(sha)).number ?? 0);
    }
    return max + 1;
  }

  /** ONE commit with every file on top of `base`, built on a temporary index. */
  async function commitFiles(base: string, request: PullRequestRequest, message: string): Promise<string> {
    if (request.files.length === 0) throw new LocalGitChangeRequestsError("the request has no files");
    const dir = await mkdtemp(join(tmpdir(), "phantom-index-"));
    const env = { GIT_INDEX_FILE: join(dir, "index") };
    try {
      await git(["read-tree", base], undefined, env);
      const modes = new Map<string, string>();
      const staged = await git(
        ["--literal-pathspecs", "ls-files", "--stage", "-z", "--", ...request.files.map((f) => f.path)],
        undefined,
        env,
      );
      for (const entry of staged.split("\0").filter((e) => e !== "")) {
        const [meta, path] = entry.split("\t");
        if (meta && path) modes.set(path, meta.split(" ")[0] ?? "100644");
      }
      const lines: string[] = [];
      for (const file of request.files) {
        const sha = (await git(["hash-object", "-w", "--stdin"], file.content)).trim();
        const mode = modes.get(file.path) === "100755" ? "100755" : "100644";
        lines.push(`${mode} ${sha}\t${file.path}`);
      }
      // NUL-terminated (`-z`): even a path that slipped past the checks cannot start a second entry.
      await git(["update-index", "-z", "--index-info"], `${lines.join("\0")}\0`, env);
      const tree = (await git(["write-tree"], undefined, env)).trim();
      const date = `${Math.floor(now() / 1000)} +0000`;
      return (
        await git(["commit-tree", tree, "-p", base, "--no-gpg-sign", "-F", "-"], message, {
          GIT_AUTHOR_NAME: author.name,
          GIT_AUTHOR_EMAIL: author.email,
          GIT_AUTHOR_DATE: date,
          GIT_COMMITTER_NAME: author.name,
          GIT_COMMITTER_EMAIL: author.email,
          GIT_COMMITTER_DATE: date,
        })
      ).trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Compare-and-swap: `false` when the ref moved since it was read. */
  async function moveRef(
    ref: string,
    to: string,
    from: string | undefined,
    reason: string,
  ): Promise<boolean> {
    try {
      await git(["update-ref", "-m", reason, ref, to, from ?? ZERO]);
      return true;
    } catch (error) {
      if ((await resolveRef(ref)) !== from) return false;
      throw error;
    }
  }

  async function writeBody(request: PullRequestRequest, text: string): Promise<string | undefined> {
    const target = options.pullRequestFile;
    if (target === undefined) return undefined;
    const path = resolve(typeof target === "function" ? target(request) : target);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text.endsWith("\n") ? text : `${text}\n`, "utf8");
    return path;
  }

  const urlOf = (branch: string) => `${pathToFileURL(repoPath).href}#refs/heads/${branch}`;

  async function attempt(request: PullRequestRequest): Promise<PullRequestOutcome | "retry"> {
    const ref = `refs/heads/${request.branch}`;
    const tip = await resolveRef(ref);
    const open = tip ? parseTrailers(await messageOf(tip)) : undefined;
    const url = urlOf(request.branch);
    const log = { repo: repoPath, stack: request.marker.stack, window: request.marker.window };

    if (tip && open) {
      // A branch without trailers was not made by Phantom's marker: treated like a PR without one (update).
      const verdict = markerVerdict(open.marker, request.marker);
      const number = open.number ?? (await nextNumber());
      if (verdict === "unchanged") {
        await writeBody(request, request.body);
        logger?.log("info", "local-git.pull-request.unchanged", { ...log, number });
        return { kind: "unchanged", number, url };
      }
      if (verdict === "stale") {
        await writeBody(
          request,
          `${request.body.trimEnd()}\n\n---\n\n> Not published: \`${request.branch}\` (#${number}) already describes a newer window (${open.marker?.window}, valid at ${open.marker?.validAt}).\n`,
        );
        logger?.log("info", "local-git.pull-request.stale", { ...log, number });
        return { kind: "stale", number, url };
      }
    }

    await assertNotCheckedOut(request.branch);
    const number = open?.number ?? (await nextNumber());
    const baseBranch = request.baseBranch ?? (await defaultBase());
    const base = await resolveRef(`refs/heads/${baseBranch}`);
    if (!base)
      throw new LocalGitChangeRequestsError(`base branch ${baseBranch} does not exist in ${repoPath}`);
    const commit = await commitFiles(
      base,
      request,
      commitMessageWithTrailers(request.commitMessage, request.marker, number),
    );
    const kind = tip ? "updated" : "created";
    if (!(await moveRef(ref, commit, tip, `phantom: ${kind} for window ${request.marker.window}`)))
      return "retry";
    await writeBody(
      request,
      kind === "updated"
        ? `${request.body.trimEnd()}\n\n---\n\n${request.updateComment.trim()}\n`
        : request.body,
    );
    logger?.log("info", `local-git.pull-request.${kind}`, { ...log, number, commit });
    return { kind, number, url };
  }

  return {
    async ensure(request) {
      try {
        assertSafeRequest(request);
      } catch (error) {
        throw new LocalGitChangeRequestsError(
          `refusing to write to ${repoPath}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      for (let tries = 0; tries < 2; tries += 1) {
        const outcome = await attempt(request);
        if (outcome !== "retry") return outcome;
      }
      throw new LocalGitChangeRequestsError(
        `refs/heads/${request.branch} kept moving while Phantom wrote it`,
      );
    },
  };
}
