import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { describe, it } from "vitest";
import {
  type CreateOctokitOptions,
  createGitHubChangeRequests,
  createOctokit,
  type PhantomOctokit,
} from "../../../functions/adapters/github-change-requests.ts";
import { createGitHubTemplateSource } from "../../../functions/adapters/github-templates.ts";
import { startGitHubStandIn } from "../../../functions/rehearse/stand-ins/github.ts";
import { StandInConfigError } from "../../../functions/rehearse/stand-ins/stand-in.ts";
import { TEMPLATE, TEMPLATE_PATH, windowRequest } from "../../publish/support.ts";
import { type GitHubServerOptions, type RepoInit, startGitHubServer } from "../../support/github-server.ts";

const REPO: RepoInit = {
  repo: "acme/infra",
  files: {
    [TEMPLATE_PATH]: TEMPLATE,
    "infra/payments.params.json": '[{"ParameterKey":"Env","ParameterValue":"prod"}]\n',
    ".github/CODEOWNERS": "* @acme/platform\ninfra/ @lee @acme/payments\n",
    "README.md": "# infra\n",
  },
  collaborators: ["sam-gh", "lee"],
  teams: ["platform", "payments"],
};

const T1 = "2026-03-02T03:10:00.000Z";
const T2 = "2026-03-02T04:40:00.000Z";

/** Octokit as Phantom builds it, without pacing (the stand-in needs none). */
function octokitFor(url: string, auth: CreateOctokitOptions["auth"]): PhantomOctokit {
  return createOctokit({
    auth,
    baseUrl: url,
    throttle: { pacing: false, retryAfterBaseValue: 1 },
    retry: { retries: 0 },
  });
}

/** Git's id of a blob: SHA-1 of `blob <size>\0<content>`. */
function blobSha(text: string): string {
  const bytes = Buffer.from(text);
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]))
    .digest("hex");
}

async function withServer(
  options: Partial<GitHubServerOptions>,
  run: (server: Awaited<ReturnType<typeof startGitHubServer>>) => Promise<void>,
): Promise<void> {
  const server = await startGitHubServer({ repos: [REPO], ...options });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

describe.concurrent("GitHub stand-in: the contents API", () => {
  it("answers a file base64-encoded as GitHub does: 60-character lines, the blob's sha, its size", async ({
    expect,
  }) => {
    await withServer({}, async (server) => {
      const octokit = octokitFor(server.url, server.token);

      const { data } = await octokit.rest.repos.getContent({
        owner: "acme",
        repo: "infra",
        path: TEMPLATE_PATH,
      });

      expect(data).toMatchObject({
        type: "file",
        encoding: "base64",
        name: "payments.yaml",
        path: TEMPLATE_PATH,
        sha: blobSha(TEMPLATE),
        size: Buffer.byteLength(TEMPLATE),
      });
      const content = (data as { content: string }).content;
      const lines = content.split("\n");
      expect(lines.at(-1)).toBe("");
      expect(lines.slice(0, -2).every((l) => l.length === 60)).toBe(true);
      expect(Buffer.from(content, "base64").toString("utf8")).toBe(TEMPLATE);
      server.verify();
    });
  });

  it("reads at a branch, a commit, or the default branch", async ({ expect }) => {
    await withServer({}, async (server) => {
      const octokit = octokitFor(server.url, server.token);
      const repo = server.repo("acme/infra");
      const initial = repo.ref("main") as string;
      repo.commitFiles("feature/x", { "README.md": "# infra, on a branch\n" });
      repo.commitFiles("main", { "README.md": "# infra, moved on\n" });
      const read = async (ref?: string) => {
        const { data } = await octokit.rest.repos.getContent({
          owner: "acme",
          repo: "infra",
          path: "README.md",
          ...(ref ? { ref } : {}),
        });
        return Buffer.from((data as { content: string }).content, "base64").toString("utf8");
      };

      expect(await read()).toBe("# infra, moved on\n");
      expect(await read("feature/x")).toBe("# infra, on a branch\n");
      expect(await read(initial)).toBe("# infra\n");
      server.verify();
    });
  });

  it("answers 404 for a missing file or ref, which is no fault of the client", async ({ expect }) => {
    await withServer({}, async (server) => {
      const octokit = octokitFor(server.url, server.token);

      await expect(
        octokit.rest.repos.getContent({ owner: "acme", repo: "infra", path: "infra/absent.yaml" }),
      ).rejects.toMatchObject({ status: 404 });
      await expect(
        octokit.rest.repos.getContent({
          owner: "acme",
          repo: "infra",
          path: "README.md",
          ref: "no-such-branch",
        }),
      ).rejects.toMatchObject({ status: 404, message: expect.stringMatching(/No commit found for the ref/) });
      server.verify();
    });
  });

  it("lists a directory", async ({ expect }) => {
    await withServer({}, async (server) => {
      const octokit = octokitFor(server.url, server.token);

      const { data } = await octokit.rest.repos.getContent({ owner: "acme", repo: "infra", path: "infra" });

      expect(Array.isArray(data) && data.map((e) => [e.type, e.path])).toEqual([
        ["file", "infra/payments.params.json"],
        ["file", "infra/payments.yaml"],
      ]);
      server.verify();
    });
  });

  it("answers the raw text for the raw media type", async ({ expect }) => {
    await withServer({}, async (server) => {
      const octokit = octokitFor(server.url, server.token);

      const { data, headers } = await octokit.rest.repos.getContent({
        owner: "acme",
        repo: "infra",
        path: TEMPLATE_PATH,
        mediaType: { format: "raw" },
      });

      expect(data).toBe(TEMPLATE);
      expect(headers["content-type"]).toMatch(/^text\/plain/);
      server.verify();
    });
  });

  it("serves the template source: the template and its parameters at the location's branch", async ({
    expect,
  }) => {
    await withServer({}, async (server) => {
      const octokit = octokitFor(server.url, server.token);
      server.repo("acme/infra").commitFiles("release", { [TEMPLATE_PATH]: `${TEMPLATE}# release\n` });
      const source = createGitHubTemplateSource({ octokit });

      const template = await source.read("payments", {
        repo: "acme/infra",
        path: TEMPLATE_PATH,
        branch: "release",
        parameters: "infra/payments.params.json",
        source: "config",
      });

      expect(template).toEqual({
        text: `${TEMPLATE}# release\n`,
        path: TEMPLATE_PATH,
        format: "yaml",
        parameters: { text: REPO.files["infra/payments.params.json"], path: "infra/payments.params.json" },
        origin: "repository",
      });
      server.verify();
    });
  });

  it("answers a file over 1 MB with encoding none, so the template source reads it raw", async ({
    expect,
  }) => {
    const large = `${TEMPLATE}${"# padding to pass the contents API's 1 MB inline limit\n".repeat(20_000)}`;
    await withServer(
      { repos: [{ ...REPO, files: { ...REPO.files, [TEMPLATE_PATH]: large } }] },
      async (server) => {
        const octokit = octokitFor(server.url, server.token);

        const { data } = await octokit.rest.repos.getContent({
          owner: "acme",
          repo: "infra",
          path: TEMPLATE_PATH,
        });
        const template = await createGitHubTemplateSource({ octokit }).read("payments", {
          repo: "acme/infra",
          path: TEMPLATE_PATH,
          source: "config",
        });

        expect(data).toMatchObject({ encoding: "none", content: "", size: Buffer.byteLength(large) });
        expect(template?.text).toBe(large);
        expect(server.calls.get("github.repos/get-content")).toBe(3);
        server.verify();
      },
    );
  });
});

// Not concurrent: @octokit/auth-app shares an in-flight token request between clients by
// installation id (a module-wide map), so two servers at once would get each other's token.
describe("GitHub stand-in: GitHub App installation auth", () => {
  const APP_ID = "424242";
  const INSTALLATION_ID = 4711;
  const keys = () =>
    generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
  const appKeys = keys();
  const app = { id: APP_ID, publicKey: appKeys.publicKey, installationId: INSTALLATION_ID };

  it("mints an installation token for the App's JWT, and the adapter publishes with it", async ({
    expect,
  }) => {
    await withServer({ app }, async (server) => {
      const octokit = octokitFor(server.url, {
        appId: APP_ID,
        privateKey: appKeys.privateKey,
        installationId: INSTALLATION_ID,
      });

      const outcome = await createGitHubChangeRequests({ octokit }).ensure(
        windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
      );

      expect(outcome).toMatchObject({ kind: "created", number: 1 });
      // One token for the whole flow: @octokit/auth-app caches it until it expires.
      expect(server.calls.get("github.apps/create-installation-access-token")).toBe(1);
      expect(server.calls.get("github.pulls/create")).toBe(1);
      expect(server.requests[0]).toMatchObject({
        method: "POST",
        path: `/app/installations/${INSTALLATION_ID}/access_tokens`,
        status: 201,
      });
      server.verify();
    });
  });

  it("refuses a JWT signed with another key, for another App, or for another installation", async ({
    expect,
  }) => {
    const cases = [
      { auth: { privateKey: keys().privateKey }, issue: /signature does not verify/ },
      { auth: { appId: "99" }, issue: /'Issuer' claim \('iss'\) 99 is not the App id 424242/ },
      { auth: { installationId: 1 }, issue: /installation 1 is not the App's \(4711\)/ },
    ];
    for (const { auth, issue } of cases) {
      await withServer({ app }, async (server) => {
        const octokit = octokitFor(server.url, {
          appId: APP_ID,
          privateKey: appKeys.privateKey,
          installationId: INSTALLATION_ID,
          ...auth,
        });

        await expect(octokit.rest.repos.get({ owner: "acme", repo: "infra" })).rejects.toMatchObject({
          status: expect.any(Number),
        });
        expect(server.unexpected.join("\n")).toMatch(issue);
        expect(server.calls.get("github.repos/get")).toBeUndefined();
      });
    }
  });

  it("refuses a JWT that lives longer than GitHub's ten minutes, with GitHub's message", async ({
    expect,
  }) => {
    await withServer({ app }, async (server) => {
      const now = Math.floor(Date.now() / 1000);
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const unsigned = `${part({ alg: "RS256", typ: "JWT" })}.${part({ iss: APP_ID, iat: now, exp: now + 3600 })}`;
      const signature = sign("sha256", Buffer.from(unsigned), appKeys.privateKey).toString("base64url");

      const response = await fetch(`${server.url}/app/installations/${INSTALLATION_ID}/access_tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${unsigned}.${signature}`, accept: "application/vnd.github+json" },
      });

      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({
        message: "'Expiration time' claim ('exp') is too far in the future.",
      });
      expect(server.unexpected).toHaveLength(1);
    });
  });
});

describe.concurrent("GitHub stand-in: the pull requests a rehearsal reports", () => {
  it("summarises a PR created by one window and updated by the next", async ({ expect }) => {
    await withServer(
      { repos: [REPO, { repo: "acme/untouched", files: { "README.md": "x\n" } }] },
      async (server) => {
        const changeRequests = createGitHubChangeRequests({ octokit: octokitFor(server.url, server.token) });
        const w2 = windowRequest({ repo: "acme/infra", window: "w2", validAt: T2, visibilityTimeout: 90 });

        expect(
          (await changeRequests.ensure(windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 })))
            .kind,
        ).toBe("created");
        expect(server.pullRequestsSummary()).toMatchObject([{ number: 1, commits: 1, updates: 0 }]);
        expect((await changeRequests.ensure(w2)).kind).toBe("updated");
        // Someone moves main on afterwards: the PR still shows its own change only.
        server.repo("acme/infra").commitFiles("main", { "README.md": "# infra, moved on\n" });

        expect(server.pullRequestsSummary()).toEqual([
          {
            repo: "acme/infra",
            number: 1,
            state: "open",
            branch: "phantom/payments",
            base: "main",
            title: w2.title,
            body: w2.body,
            author: server.login,
            labels: ["phantom", "severity:medium", "decision:legitimize"],
            reviewers: ["sam-gh", "lee"],
            teamReviewers: ["payments"],
            comments: [w2.updateComment],
            commits: 1,
            files: { [TEMPLATE_PATH]: TEMPLATE.replace("30 # seconds", "90 # seconds") },
            deleted: [],
            updates: 1,
          },
        ]);
        server.verify();
      },
    );
  });

  it("counts each push to the head after the PR opened, and the commits the base lacks", async ({
    expect,
  }) => {
    await withServer({}, async (server) => {
      const repo = server.repo("acme/infra");
      repo.commitFiles("topic", { "a.txt": "a\n" });
      repo.openPull({ head: "topic", title: "Topic", body: "" });
      repo.commitFiles("topic", { "b.txt": "b\n" });
      repo.commitFiles("topic", { "a.txt": "a, again\n" });

      expect(server.pullRequestsSummary()).toMatchObject([
        {
          branch: "topic",
          body: "",
          commits: 3,
          updates: 2,
          files: { "a.txt": "a, again\n", "b.txt": "b\n" },
        },
      ]);
    });
  });
});

describe.concurrent("GitHub stand-in without a validator (as the rehearsal runs it)", () => {
  it("serves the ChangeRequests adapter and the template source, counting calls by operation", async ({
    expect,
  }) => {
    const standIn = await startGitHubStandIn({ repos: [REPO], token: "ghs_rehearsal" });
    try {
      const octokit = octokitFor(standIn.url, "ghs_rehearsal");

      const outcome = await createGitHubChangeRequests({ octokit }).ensure(
        windowRequest({ repo: "acme/infra", window: "w1", validAt: T1 }),
      );
      const template = await createGitHubTemplateSource({ octokit }).read("payments", {
        repo: "acme/infra",
        path: TEMPLATE_PATH,
        branch: "phantom/payments",
        source: "config",
      });

      expect(outcome).toEqual({ kind: "created", number: 1, url: "https://github.com/acme/infra/pull/1" });
      expect(template?.text).toContain("60 # seconds");
      expect(Object.fromEntries(standIn.calls)).toEqual({
        "github.pulls/list": 1,
        "github.repos/get": 1,
        "github.git/get-ref": 1,
        "github.git/get-commit": 1,
        "github.git/create-blob": 1,
        "github.git/create-tree": 1,
        "github.git/create-commit": 1,
        "github.git/create-ref": 1,
        "github.pulls/create": 1,
        "github.issues/add-labels": 1,
        "github.repos/get-content": 2,
        "github.pulls/request-reviewers": 1,
      });
      expect(standIn.unexpected).toEqual([]);
      standIn.verify();
    } finally {
      await standIn.close();
    }
  });

  it("still refuses an unknown route, a wrong token and a body the operation does not take", async ({
    expect,
  }) => {
    const standIn = await startGitHubStandIn({ repos: [REPO] });
    try {
      const octokit = octokitFor(standIn.url, standIn.token);

      await expect(
        octokit.request("GET /repos/{owner}/{repo}/drift", { owner: "acme", repo: "infra" }),
      ).rejects.toMatchObject({ status: 404 });
      await expect(
        octokitFor(standIn.url, "not-the-token").rest.repos.get({ owner: "acme", repo: "infra" }),
      ).rejects.toMatchObject({ status: 401 });
      await expect(
        // Octokit's types forbid leaving out `sha` too; the point is what reaches the stand-in.
        octokit.request("POST /repos/{owner}/{repo}/git/refs", {
          owner: "acme",
          repo: "infra",
          ref: "refs/heads/x",
        } as { owner: string; repo: string; ref: string; sha: string }),
      ).rejects.toMatchObject({ status: 422 });

      expect(standIn.unexpected).toEqual([
        "github.(none): GET /repos/acme/infra/drift: the GitHub stand-in serves no GET /repos/acme/infra/drift",
        "github.repos/get: GET /repos/acme/infra: wrong token",
        expect.stringMatching(/^github\.git\/create-ref: POST \/repos\/acme\/infra\/git\/refs: body\.sha: /),
      ]);
      expect(() => standIn.verify()).toThrow(/GitHub stand-in:/);
    } finally {
      await standIn.close();
    }
  });

  it("starts with no repository, answering 404 for any, as GitHub does for one the token cannot see", async ({
    expect,
  }) => {
    const standIn = await startGitHubStandIn({ repos: [] });
    try {
      await expect(
        octokitFor(standIn.url, standIn.token).rest.repos.get({ owner: "acme", repo: "infra" }),
      ).rejects.toMatchObject({ status: 404 });
      expect(standIn.pullRequestsSummary()).toEqual([]);
      standIn.verify();
    } finally {
      await standIn.close();
    }
  });

  it("refuses options it cannot serve, listing every problem at once", async ({ expect }) => {
    const start = startGitHubStandIn({
      repos: [REPO, { repo: "acme/infra", files: {} }, { repo: "not-a-repo", files: {} }],
      app: { id: "my-app", publicKey: "not a key", installationId: 0 },
    });

    await expect(start).rejects.toBeInstanceOf(StandInConfigError);
    await expect(start).rejects.toThrow(
      /repos\.2\.repo: must be owner\/name[\s\S]*app\.id: must be the App's numeric id[\s\S]*app\.installationId[\s\S]*acme\/infra is listed twice[\s\S]*app\.publicKey: not a public key/,
    );
  });
});
