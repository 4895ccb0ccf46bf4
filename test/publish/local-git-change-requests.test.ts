import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test as base, describe, expect, it } from "vitest";
import { parseMarker } from "../../core/publish/marker.ts";
import {
  commitMessageWithTrailers,
  createLocalGitChangeRequests,
  LocalGitChangeRequestsError,
  parseTrailers,
} from "../../functions/adapters/local-git-change-requests.ts";
import { changeRequestsContract } from "./change-requests-contract.ts";
import { GIT_ENV, git, TEMPLATE, TEMPLATE_PATH, windowRequest } from "./support.ts";

const T1 = "2026-03-02T03:10:00.000Z";
const T2 = "2026-03-02T04:40:00.000Z";

/** A repository with the template committed on `main`, like a team's IaC repo. */
function makeRepo(branch = "main"): string {
  const dir = mkdtempSync(join(tmpdir(), "phantom-repo-"));
  git(dir, "init", "--quiet", "-b", branch);
  git(dir, "config", "commit.gpgsign", "false");
  execFileSync("mkdir", ["-p", join(dir, dirname(TEMPLATE_PATH))]);
  writeFileSync(join(dir, TEMPLATE_PATH), TEMPLATE);
  writeFileSync(join(dir, "README.md"), "# infra\n");
  git(dir, "add", ".");
  git(dir, "commit", "--quiet", "-m", "Initial commit");
  return dir;
}

function filesAt(dir: string, ref: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const path of git(dir, "ls-tree", "-r", "--name-only", ref)
    .split("\n")
    .filter((p) => p !== "")) {
    out[path] = git(dir, "show", `${ref}:${path}`);
  }
  return out;
}

function refExists(dir: string, ref: string): boolean {
  try {
    git(dir, "rev-parse", "--verify", "--quiet", ref);
    return true;
  } catch {
    return false;
  }
}

changeRequestsContract("local git (plumbing against a real repository)", async () => {
  const dir = makeRepo();
  const out = mkdtempSync(join(tmpdir(), "phantom-out-"));
  const bodyPath = (branch: string) => join(out, branch.replace("/", "-"), "pull-request.md");
  const changeRequests = createLocalGitChangeRequests({
    repoPath: dir,
    pullRequestFile: (request) => bodyPath(request.branch),
    env: GIT_ENV,
    now: () => Date.parse("2026-03-02T05:00:00Z"),
  });
  const readBody = (branch: string) => {
    try {
      return readFileSync(bodyPath(branch), "utf8");
    } catch {
      return undefined;
    }
  };
  return {
    changeRequests,
    repo: "acme/infra",
    files: async (branch) =>
      refExists(dir, `refs/heads/${branch}`) ? filesAt(dir, `refs/heads/${branch}`) : undefined,
    tip: async (branch) => {
      if (!refExists(dir, `refs/heads/${branch}`)) return undefined;
      const [sha, ...parents] = git(dir, "rev-list", "--parents", "-n", "1", `refs/heads/${branch}`)
        .trim()
        .split(" ");
      return { sha: sha as string, parents };
    },
    baseTip: async () => git(dir, "rev-parse", "refs/heads/main").trim(),
    // The open PR's body: the branch must exist (closing deletes it); the file is the last one written,
    // the body up to the update comment the adapter appends after a `---` (a PR's comment is no part of it).
    body: async (branch) =>
      refExists(dir, `refs/heads/${branch}`) ? readBody(branch)?.split("\n\n---\n\n")[0] : undefined,
    lastComment: async (branch) => readBody(branch)?.split("\n---\n").at(-1),
    snapshot: async () =>
      JSON.stringify({
        refs: git(dir, "for-each-ref", "--format=%(refname) %(objectname)"),
        status: git(dir, "status", "--porcelain"),
      }),
    close: async () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    },
  };
});

interface LocalRepo {
  readonly dir: string;
  readonly out: string;
  adapter(pullRequestFile?: string): ReturnType<typeof createLocalGitChangeRequests>;
}

function localRepo(branch = "main"): LocalRepo & { remove(): void } {
  const dir = makeRepo(branch);
  const out = mkdtempSync(join(tmpdir(), "phantom-out-"));
  return {
    dir,
    out,
    adapter: (pullRequestFile) =>
      createLocalGitChangeRequests({
        repoPath: dir,
        env: GIT_ENV,
        now: () => Date.parse("2026-03-02T05:00:00Z"),
        ...(pullRequestFile ? { pullRequestFile } : {}),
      }),
    remove() {
      rmSync(dir, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    },
  };
}

/** A fresh repository per test; the tests run concurrently. */
const withRepo = base.extend<{ repo: LocalRepo }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from its destructured context
  repo: async ({}, use) => {
    const repo = localRepo();
    try {
      await use(repo);
    } finally {
      repo.remove();
    }
  },
});

describe.concurrent("local git ChangeRequests", () => {
  const it = withRepo;

  it("never touches the working tree, the index or the current branch", async ({
    repo: { dir, adapter },
    expect,
  }) => {
    writeFileSync(join(dir, "README.md"), "# infra (edited, not staged)\n");
    writeFileSync(join(dir, "notes.txt"), "staged\n");
    git(dir, "add", "notes.txt");
    const status = git(dir, "status", "--porcelain");
    const head = git(dir, "symbolic-ref", "HEAD");

    await adapter().ensure(windowRequest({ window: "w1", validAt: T1 }));

    expect(git(dir, "status", "--porcelain")).toBe(status);
    expect(git(dir, "symbolic-ref", "HEAD")).toBe(head);
    expect(readFileSync(join(dir, TEMPLATE_PATH), "utf8")).toBe(TEMPLATE);
    expect(filesAt(dir, "phantom/payments")["notes.txt"]).toBeUndefined();
  });

  it("writes the body to pull-request.md and the marker as commit trailers", async ({
    repo: { dir, out, adapter },
    expect,
  }) => {
    const file = join(out, "payments", "w1", "pull-request.md");
    const request = windowRequest({ window: "w1", validAt: T1 });

    const outcome = await adapter(file).ensure(request);

    expect(outcome).toMatchObject({ kind: "created", number: 1 });
    expect(outcome.url).toMatch(/^file:\/\/.*#refs\/heads\/phantom\/payments$/);
    expect(readFileSync(file, "utf8")).toBe(request.body);
    const message = git(dir, "log", "-1", "--format=%B", "phantom/payments");
    expect(message).toContain("phantom: legitimize payments drift (window w1)");
    // git itself reads them as trailers.
    expect(
      git(dir, "log", "-1", "--format=%(trailers:key=Phantom-Window,valueonly)", "phantom/payments").trim(),
    ).toBe("w1");
    expect(parseTrailers(message)).toEqual({ marker: request.marker, number: 1 });
    expect(git(dir, "log", "-1", "--format=%an <%ae> %at", "phantom/payments").trim()).toBe(
      `Phantom <phantom@localhost> ${Date.parse("2026-03-02T05:00:00Z") / 1000}`,
    );
  });

  it("appends the update comment to pull-request.md and notes a stale window there", async ({
    repo: { out, adapter },
    expect,
  }) => {
    const file = join(out, "pull-request.md");
    await adapter(file).ensure(windowRequest({ window: "w1", validAt: T1 }));
    const newer = windowRequest({ window: "w2", validAt: T2, visibilityTimeout: 90 });

    await adapter(file).ensure(newer);
    expect(readFileSync(file, "utf8")).toBe(`${newer.body.trimEnd()}\n\n---\n\n${newer.updateComment}\n`);

    await adapter(file).ensure(
      windowRequest({ window: "w0", validAt: "2026-03-02T01:00:00.000Z", visibilityTimeout: 40 }),
    );
    expect(readFileSync(file, "utf8")).toMatch(
      /Not published: `phantom\/payments` \(#1\) already describes a newer window \(w2/,
    );
  });

  it("refuses to move a branch the user has checked out", async ({ repo: { dir, adapter }, expect }) => {
    await adapter().ensure(windowRequest({ window: "w1", validAt: T1 }));
    git(dir, "checkout", "--quiet", "phantom/payments");

    const update = adapter().ensure(windowRequest({ window: "w2", validAt: T2, visibilityTimeout: 90 }));

    await expect(update).rejects.toBeInstanceOf(LocalGitChangeRequestsError);
    await expect(update).rejects.toThrow(/checked out/);
  });

  it("refuses a file path that leaves the repository", async ({ repo: { dir, adapter }, expect }) => {
    const request = windowRequest({
      window: "w1",
      validAt: T1,
      files: [{ path: "../escape.yaml", content: "x" }],
    });

    await expect(adapter().ensure(request)).rejects.toThrow(
      /file path "\.\.\/escape\.yaml" has a "\.\." segment/,
    );
    expect(refExists(dir, "refs/heads/phantom/payments")).toBe(false);
  });

  it("never lets a newline in a path add a second index entry (an executable workflow)", async ({
    repo: { dir, adapter },
    expect,
  }) => {
    // The attacker names a blob the repository already holds and asks for it as an executable workflow.
    const blob = git(dir, "rev-parse", "HEAD:README.md").trim();
    const smuggled = `${TEMPLATE_PATH}\n100755 ${blob}\t.github/workflows/x.yml`;
    const request = windowRequest({
      window: "w1",
      validAt: T1,
      files: [{ path: smuggled, content: TEMPLATE.replace("30", "60") }],
    });

    await expect(adapter().ensure(request)).rejects.toThrow(/control character U\+000A/);
    expect(refExists(dir, "refs/heads/phantom/payments")).toBe(false);
    for (const ref of git(dir, "for-each-ref", "--format=%(refname)").split("\n").filter(Boolean)) {
      expect(git(dir, "ls-tree", "-r", "--name-only", ref)).not.toContain(".github");
    }
  });

  it.for([
    [".GIT/config", /\.GIT" segment/],
    ["infra/.git./hooks/pre-commit", /git's own directory/],
    ["/etc/passwd", /is absolute/],
    ["infra\\payments.yaml", /backslash/],
    ["infra//payments.yaml", /empty segment/],
    ["infra/\u2028payments.yaml", /U\+2028/],
  ] as const)("refuses the file path %j", async ([path, reason], { repo: { dir, adapter }, expect }) => {
    const request = windowRequest({ window: "w1", validAt: T1, files: [{ path, content: "x" }] });
    await expect(adapter().ensure(request)).rejects.toThrow(reason);
    expect(refExists(dir, "refs/heads/phantom/payments")).toBe(false);
  });

  it("refuses a branch git would not take, before writing anything", async ({
    repo: { dir, adapter },
    expect,
  }) => {
    const request = { ...windowRequest({ window: "w1", validAt: T1 }), branch: "phantom/x\nrefs/heads/main" };
    await expect(adapter().ensure(request)).rejects.toThrow(/branch .* control character/);
    expect(git(dir, "for-each-ref", "--format=%(refname)").trim()).toBe("refs/heads/main");
  });

  it("works in a bare repository, on the base branch it is told", async ({ repo: { dir }, expect }) => {
    const bare = mkdtempSync(join(tmpdir(), "phantom-bare-"));
    try {
      git(bare, "clone", "--quiet", "--bare", dir, ".");
      git(bare, "branch", "release", "main");
      const changeRequests = createLocalGitChangeRequests({
        repoPath: bare,
        env: GIT_ENV,
        baseBranch: "release",
      });

      const outcome = await changeRequests.ensure(windowRequest({ window: "w1", validAt: T1 }));

      expect(outcome.kind).toBe("created");
      expect(git(bare, "rev-parse", "phantom/payments^").trim()).toBe(
        git(bare, "rev-parse", "release").trim(),
      );
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it("finds the base branch when the repository's is not main", async ({ expect }) => {
    const { dir, adapter, remove } = localRepo("trunk");
    try {
      await adapter().ensure(windowRequest({ window: "w1", validAt: T1 }));

      expect(git(dir, "rev-parse", "phantom/payments^").trim()).toBe(git(dir, "rev-parse", "trunk").trim());
    } finally {
      remove();
    }
  });

  it("keeps the file mode of an executable it rewrites", async ({ repo: { dir, adapter }, expect }) => {
    await mkdir(join(dir, "scripts"), { recursive: true });
    writeFileSync(join(dir, "scripts/deploy.sh"), "#!/bin/sh\n");
    git(dir, "add", "--chmod=+x", "scripts/deploy.sh");
    git(dir, "commit", "--quiet", "-m", "deploy script");

    await adapter().ensure(
      windowRequest({
        window: "w1",
        validAt: T1,
        files: [{ path: "scripts/deploy.sh", content: "#!/bin/sh\necho 1\n" }],
      }),
    );

    expect(git(dir, "ls-tree", "phantom/payments", "scripts/deploy.sh")).toMatch(/^100755 /);
  });
});

describe("commit trailers", () => {
  it("round-trip the marker and the PR number, even with odd window ids", () => {
    const marker = { stack: "payments", window: "w 1\nx", fingerprint: "abc123", validAt: T1 };
    const parsed = parseTrailers(commitMessageWithTrailers("subject\n\nbody", marker, 7));
    expect(parsed).toEqual({ marker: { ...marker, window: "w 1 x" }, number: 7 });
  });

  it("read no marker from a commit Phantom did not make", () => {
    expect(parseTrailers("fix: typo\n\nSigned-off-by: Sam <sam@example.com>\n")).toEqual({});
    expect(parseMarker("fix: typo")).toBeUndefined();
  });
});
