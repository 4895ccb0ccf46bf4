import { readFile } from "node:fs/promises";
import { test as base, describe, expect, it } from "vitest";
import {
  createGitHubChangeRequests,
  createOctokit,
  GitHubChangeRequestsError,
  ownersOf,
  parseCodeOwners,
} from "../../functions/adapters/github-change-requests.ts";
import type { Logger, LogLevel } from "../../functions/log.ts";
import { GITHUB_OPERATIONS } from "../support/github-operations.ts";
import {
  primaryRateLimit,
  pullRequestAlreadyExists,
  type RepoInit,
  secondaryRateLimit,
  startGitHubServer,
} from "../support/github-server.ts";
import { changeRequestsContract } from "./change-requests-contract.ts";
import { TEMPLATE, TEMPLATE_PATH, windowRequest } from "./support.ts";

const T1 = "2026-03-02T03:10:00.000Z";
const T2 = "2026-03-02T04:40:00.000Z";

function memoryLogger(): Logger & {
  entries: { level: LogLevel; message: string; fields: Record<string, unknown> }[];
} {
  const entries: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];
  return { entries, log: (level, message, fields = {}) => entries.push({ level, message, fields }) };
}

const REPO: RepoInit = {
  repo: "acme/infra",
  files: {
    [TEMPLATE_PATH]: TEMPLATE,
    ".github/CODEOWNERS": "# owners\n* @acme/platform\ninfra/ @lee @acme/payments\n*.md docs@example.com\n",
    "README.md": "# infra\n",
  },
  collaborators: ["sam-gh", "lee", "alex-gh"],
  teams: ["platform", "payments"],
};

async function setup(init: RepoInit = REPO, throttle: { secondaryRetries?: number; retries?: number } = {}) {
  const server = await startGitHubServer({ repos: [init] });
  const logger = memoryLogger();
  const octokit = createOctokit({
    auth: server.token,
    baseUrl: server.url,
    throttle: { pacing: false, retryAfterBaseValue: 1, ...throttle },
    retry: { retryAfterBaseValue: 1 },
    logger,
  });
  const changeRequests = createGitHubChangeRequests({ octokit, logger });
  return { server, logger, octokit, changeRequests, repo: server.repo(init.repo) };
}

changeRequestsContract(
  "GitHub (Octokit over HTTP, fake server validating against the OpenAPI description)",
  async () => {
    const { server, changeRequests, repo } = await setup();
    const openPull = (branch: string) => repo.pulls.find((p) => p.head === branch && p.state === "open");
    return {
      changeRequests,
      repo: repo.fullName,
      files: async (branch) => (repo.ref(branch) ? repo.files(branch) : undefined),
      tip: async (branch) => {
        const sha = repo.ref(branch);
        return sha ? { sha, parents: repo.commit(sha).parents } : undefined;
      },
      baseTip: async () => repo.ref(repo.defaultBranch) as string,
      body: async (branch) => openPull(branch)?.body ?? undefined,
      lastComment: async (branch) => openPull(branch)?.comments.at(-1)?.body,
      snapshot: async () => JSON.stringify({ refs: repo.refs(), pulls: repo.pulls, labels: repo.labels() }),
      close: async () => {
        server.verify();
        await server.close();
      },
    };
  },
);

/** A fresh fake GitHub and adapter per test; the tests run concurrently. */
const withGitHub = base.extend<{ ctx: Awaited<ReturnType<typeof setup>> }>({
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from its destructured context
  ctx: async ({}, use) => {
    const ctx = await setup();
    try {
      await use(ctx);
    } finally {
      await ctx.server.close();
    }
  },
});

describe.concurrent("GitHub ChangeRequests", () => {
  const it = withGitHub;

  it("creates the PR with the Git Data API: blobs ► tree ► commit ► ref, then the PR, labels, reviewers", async ({
    ctx,
    expect,
  }) => {
    const outcome = await ctx.changeRequests.ensure(
      windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
    );

    expect(outcome).toEqual({ kind: "created", number: 1, url: "https://github.com/acme/infra/pull/1" });
    expect(ctx.server.writes().map((r) => r.operationId)).toEqual([
      "git/create-blob",
      "git/create-tree",
      "git/create-commit",
      "git/create-ref",
      "pulls/create",
      "issues/add-labels",
      "pulls/request-reviewers",
    ]);
    const pull = ctx.repo.pulls[0];
    expect(pull?.labels).toEqual(["phantom", "severity:medium", "decision:legitimize"]);
    expect(ctx.repo.labels()).toEqual(["phantom", "severity:medium", "decision:legitimize"]);
    // The mapped actor, and the CODEOWNERS of infra/ (the last matching rule): a user and a team.
    expect(pull?.requestedReviewers).toEqual(["sam-gh", "lee"]);
    expect(pull?.requestedTeams).toEqual(["payments"]);
    expect(ctx.repo.commit(ctx.repo.ref("phantom/payments") as string).message).toBe(
      "phantom: legitimize payments drift (window w1)",
    );
    ctx.server.verify();
  });

  it("reads nothing but the open PR list when a window is re-run", async ({ ctx, expect }) => {
    const request = windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 });
    await ctx.changeRequests.ensure(request);
    const mark = ctx.server.requests.length;

    const outcome = await ctx.changeRequests.ensure(request);

    expect(outcome.kind).toBe("unchanged");
    expect(ctx.server.requests.slice(mark).map((r) => `${r.method} ${r.operationId}`)).toEqual([
      "GET pulls/list",
    ]);
    ctx.server.verify();
  });

  it("on update force-moves the branch, rewrites the body, comments, swaps managed labels and keeps human ones", async ({
    ctx,
    expect,
  }) => {
    await ctx.changeRequests.ensure(windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }));
    const pull = ctx.repo.pulls[0];
    // A reviewer labels the PR by hand.
    await ctx.octokit.rest.issues.addLabels({
      owner: "acme",
      repo: "infra",
      issue_number: 1,
      labels: ["needs-discussion"],
    });
    const firstTip = ctx.repo.ref("phantom/payments");

    const outcome = await ctx.changeRequests.ensure(
      windowRequest({
        repo: "acme/infra",
        window: "w2",
        validAt: T2,
        visibilityTimeout: 90,
        labels: ["phantom", "severity:high", "decision:legitimize"],
        reviewers: ["sam-gh", "alex-gh"],
      }),
    );

    expect(outcome.kind).toBe("updated");
    const tip = ctx.repo.ref("phantom/payments") as string;
    expect(tip).not.toBe(firstTip);
    expect(ctx.repo.commit(tip).parents).toEqual([ctx.repo.ref("main")]);
    expect(pull?.labels.sort()).toEqual([
      "decision:legitimize",
      "needs-discussion",
      "phantom",
      "severity:high",
    ]);
    expect(pull?.comments.map((c) => c.body)).toEqual([`New drift at ${T2} by @sam-gh (window w2).`]);
    expect(pull?.requestedReviewers).toEqual(["sam-gh", "lee", "alex-gh"]);
    expect(pull?.title).toContain("VisibilityTimeout 90");
    ctx.server.verify();
  });

  it("retries a secondary rate limit (403 and 429 with retry-after) and completes", async ({
    ctx,
    expect,
  }) => {
    ctx.server.script("git/create-tree", secondaryRateLimit(403));
    ctx.server.script("pulls/create", secondaryRateLimit(429));

    const outcome = await ctx.changeRequests.ensure(
      windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
    );

    expect(outcome.kind).toBe("created");
    const statuses = (id: string) =>
      ctx.server.requests.filter((r) => r.operationId === id).map((r) => r.status);
    expect(statuses("git/create-tree")).toEqual([403, 201]);
    expect(statuses("pulls/create")).toEqual([429, 201]);
    expect(ctx.repo.pulls).toHaveLength(1);
    expect(
      ctx.logger.entries.filter((e) => e.message === "github.rate-limited").map((e) => e.fields.limit),
    ).toEqual(["secondary", "secondary"]);
    ctx.server.verify();
  });

  it("retries a primary rate limit after the reset time", async ({ ctx, expect }) => {
    ctx.server.script("pulls/list", primaryRateLimit(0));

    const outcome = await ctx.changeRequests.ensure(
      windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
    );

    expect(outcome.kind).toBe("created");
    expect(ctx.logger.entries.find((e) => e.message === "github.rate-limited")?.fields).toMatchObject({
      limit: "primary",
      retrying: true,
    });
    ctx.server.verify();
  });

  it("fails with the step named when the secondary limit outlasts the retries", async ({ expect }) => {
    const ctx = await setup(REPO, { secondaryRetries: 1 });
    try {
      ctx.server.script("git/create-commit", secondaryRateLimit(403), 2);

      const failure = ctx.changeRequests.ensure(
        windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
      );

      await expect(failure).rejects.toBeInstanceOf(GitHubChangeRequestsError);
      await expect(failure).rejects.toMatchObject({ step: "create commit", status: 403 });
      expect(ctx.repo.pulls).toHaveLength(0);
      ctx.server.verify();
    } finally {
      await ctx.server.close();
    }
  });

  it("resolves a 422 'A pull request already exists' race by updating the PR the other writer opened", async ({
    ctx,
    expect,
  }) => {
    ctx.server.script("pulls/create", ({ repo }) => {
      // Another run of an older window opened the PR a moment earlier.
      const older = windowRequest({
        repo: "acme/infra",
        window: "w0",
        validAt: "2026-03-02T02:00:00.000Z",
        visibilityTimeout: 45,
      });
      repo.openPull({ head: "phantom/payments", title: older.title, body: older.body });
      return pullRequestAlreadyExists("acme", "phantom/payments");
    });

    const outcome = await ctx.changeRequests.ensure(
      windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
    );

    expect(outcome).toMatchObject({ kind: "updated", number: 1 });
    expect(ctx.repo.pulls).toHaveLength(1);
    expect(ctx.repo.pulls[0]?.body).toContain("window=w1");
    expect(ctx.repo.pulls[0]?.comments).toHaveLength(1);
    expect(ctx.server.requests.filter((r) => r.operationId === "pulls/create").map((r) => r.status)).toEqual([
      422,
    ]);
    ctx.server.verify();
  });

  it("leaves a PR a racing writer opened for a newer window alone (stale)", async ({ ctx, expect }) => {
    ctx.server.script("pulls/create", ({ repo }) => {
      const newer = windowRequest({ repo: "acme/infra", window: "w2", validAt: T2, visibilityTimeout: 90 });
      repo.openPull({ head: "phantom/payments", title: newer.title, body: newer.body });
      return pullRequestAlreadyExists("acme", "phantom/payments");
    });

    const outcome = await ctx.changeRequests.ensure(
      windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
    );

    expect(outcome).toMatchObject({ kind: "stale", number: 1 });
    expect(ctx.repo.pulls[0]?.body).toContain("window=w2");
    expect(ctx.repo.pulls[0]?.comments).toHaveLength(0);
    ctx.server.verify();
  });

  it("reuses a branch left over from a closed PR (422 Reference already exists ► force update)", async ({
    ctx,
    expect,
  }) => {
    ctx.repo.commitFiles("phantom/payments", { "stale.txt": "left over\n" });

    const outcome = await ctx.changeRequests.ensure(
      windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
    );

    expect(outcome.kind).toBe("created");
    expect(ctx.repo.files("phantom/payments")["stale.txt"]).toBeUndefined();
    expect(
      ctx.server.requests.filter((r) => r.operationId === "git/create-ref").map((r) => r.status),
    ).toEqual([422]);
    ctx.server.verify();
  });

  it("skips reviewers who are not collaborators (422) and the PR author, requesting the others", async ({
    ctx,
    expect,
  }) => {
    const outcome = await ctx.changeRequests.ensure(
      windowRequest({
        repo: "acme/infra",
        window: "w1",
        validAt: T1,
        reviewers: ["sam-gh", "stranger", ctx.server.login],
      }),
    );

    expect(outcome.kind).toBe("created");
    expect(ctx.repo.pulls[0]?.requestedReviewers).toEqual(["sam-gh", "lee"]);
    expect(ctx.repo.pulls[0]?.requestedTeams).toEqual(["payments"]);
    expect(ctx.logger.entries.find((e) => e.message === "github.reviewers.skipped")?.fields.skipped).toEqual([
      "stranger",
    ]);
    // The batch request that GitHub refused is recorded, and nothing else failed.
    ctx.server.verify();
  });

  it("still opens the PR when CODEOWNERS cannot be read (403), requesting the mapped actors", async ({
    ctx,
    expect,
  }) => {
    ctx.server.script("repos/get-content", {
      status: 403,
      body: { message: "Resource not accessible by integration" },
    });

    const outcome = await ctx.changeRequests.ensure(
      windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
    );

    expect(outcome.kind).toBe("created");
    expect(ctx.repo.pulls[0]?.requestedReviewers).toEqual(["sam-gh"]);
    expect(ctx.logger.entries.some((e) => e.message === "github.codeowners.unreadable")).toBe(true);
    ctx.server.verify();
  });

  it("uses the request's base branch without reading the repository", async ({ ctx, expect }) => {
    ctx.repo.commitFiles("release", { [TEMPLATE_PATH]: TEMPLATE.replace("30", "35") });

    await ctx.changeRequests.ensure(
      windowRequest({ repo: "acme/infra", window: "w1", validAt: T1, baseBranch: "release" }),
    );

    expect(ctx.server.requests.some((r) => r.operationId === "repos/get")).toBe(false);
    expect(ctx.repo.pulls[0]?.base).toBe("release");
    expect(ctx.repo.commit(ctx.repo.ref("phantom/payments") as string).parents).toEqual([
      ctx.repo.ref("release"),
    ]);
    ctx.server.verify();
  });

  it("refuses a request with a path outside the repository or a bad branch before any call", async ({
    ctx,
    expect,
  }) => {
    const smuggled = windowRequest({
      repo: "acme/infra",
      window: "w1",
      validAt: T1,
      files: [{ path: `${TEMPLATE_PATH}\n.github/workflows/x.yml`, content: "x" }],
    });
    await expect(ctx.changeRequests.ensure(smuggled)).rejects.toThrow(
      /file path .* control character U\+000A/,
    );
    const dotGit = windowRequest({
      repo: "acme/infra",
      window: "w1",
      validAt: T1,
      files: [{ path: ".Git/config", content: "x" }],
    });
    await expect(ctx.changeRequests.ensure(dotGit)).rejects.toThrow(/"\.Git" segment/);
    const branch = {
      ...windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
      branch: "phantom/a..b",
    };
    await expect(ctx.changeRequests.ensure(branch)).rejects.toThrow(
      /branch "phantom\/a\.\.b" contains "\.\."/,
    );
    expect(ctx.server.requests).toEqual([]);
  });
});

describe.concurrent("the fake GitHub server", () => {
  it("fails the test on a request GitHub's OpenAPI description rejects, and on an unknown route", async ({
    expect,
  }) => {
    const { server, octokit } = await setup();
    try {
      await expect(
        octokit.request("POST /repos/{owner}/{repo}/git/trees", {
          owner: "acme",
          repo: "infra",
          // Octokit's types forbid this mode too; the point is what reaches the server.
          tree: [{ path: "a.txt", mode: "100600" as "100644", type: "blob", content: "x" }],
        }),
      ).rejects.toMatchObject({ status: 422 });
      await expect(
        octokit.request("GET /repos/{owner}/{repo}/pulls", {
          owner: "acme",
          repo: "infra",
          headRef: "phantom/x",
        }),
      ).rejects.toMatchObject({ status: 422 });
      await expect(
        octokit.request("GET /repos/{owner}/{repo}/drift", { owner: "acme", repo: "infra" }),
      ).rejects.toMatchObject({
        status: 404,
      });

      expect(() => server.verify()).toThrow(/mode: must be equal to one of the allowed values/);
      expect(server.failures.join("\n")).toMatch(/parameter headRef is not declared by pulls\/list/);
      expect(server.failures.join("\n")).toMatch(/no such operation/);
    } finally {
      await server.close();
    }
  });

  it("fails the test on an operation GitHub has but the checked-in description subset lacks", async ({
    expect,
  }) => {
    const { server, octokit } = await setup();
    try {
      // issues/list-labels-for-repo is in GitHub's API and in Octokit, but Phantom does not call it.
      await expect(
        octokit.rest.issues.listLabelsForRepo({ owner: "acme", repo: "infra" }),
      ).rejects.toMatchObject({
        status: 404,
      });

      expect(() => server.verify()).toThrow(
        /GET \/repos\/acme\/infra\/labels: no such operation in the GitHub description \(fixtures\/github\/openapi-subset\.json/,
      );
    } finally {
      await server.close();
    }
  });

  it("answers with the description's response shapes", async ({ expect }) => {
    const { server, octokit } = await setup();
    try {
      const { data } = await octokit.rest.repos.get({ owner: "acme", repo: "infra" });
      expect(data).toMatchObject({ full_name: "acme/infra", default_branch: "main" });
      expect(server.openapi.validateResponse("repos/get", 200, data)).toEqual([]);
      server.verify();
    } finally {
      await server.close();
    }
  });
});

describe("the GitHub operations Phantom calls", () => {
  it("are the operations of the checked-in description subset, no more and no fewer", async () => {
    const source = await readFile(
      new URL("../../functions/adapters/github-change-requests.ts", import.meta.url),
      "utf8",
    );
    // Every call goes through an endpoint method, whose route Octokit knows; a raw request would not.
    expect(source).not.toMatch(/octokit\.(request|paginate|graphql)\b/);
    const rest = createOctokit().rest as unknown as Record<
      string,
      Record<string, { endpoint: { DEFAULTS: { method: string; url: string } } }>
    >;
    const called = new Set(
      [...source.matchAll(/octokit\.rest\.(\w+)\.(\w+)/g)].map(([call, scope = "", method = ""]) => {
        const endpoint = rest[scope]?.[method]?.endpoint;
        if (!endpoint) throw new Error(`${call} is not an Octokit endpoint method`);
        return `${endpoint.DEFAULTS.method} ${endpoint.DEFAULTS.url}`;
      }),
    );

    expect([...called].sort()).toEqual(Object.values(GITHUB_OPERATIONS).sort());
  });
});

describe("CODEOWNERS", () => {
  const rules = parseCodeOwners(
    [
      "# comment",
      "*       @acme/platform",
      "*.yaml  @yaml-owner   # trailing comment",
      "/infra/ @lee",
      "docs/*  docs@example.com",
      "apps/   @apps-team-lead",
      "/build/logs @logs",
      "infra/unowned.yaml",
    ].join("\n"),
  );

  it.each([
    ["infra/payments.yaml", ["@lee"]],
    ["other/queue.yaml", ["@yaml-owner"]],
    ["README.md", ["@acme/platform"]],
    ["docs/guide.md", ["docs@example.com"]],
    ["docs/deep/guide.md", ["@acme/platform"]],
    ["x/apps/main.ts", ["@apps-team-lead"]],
    ["build/logs/today.txt", ["@logs"]],
    ["src/build/logs/today.txt", ["@acme/platform"]],
    ["infra/unowned.yaml", []],
  ])("%s ► %j (the last matching rule wins)", (path, owners) => {
    expect(ownersOf(rules, path)).toEqual(owners);
  });
});
