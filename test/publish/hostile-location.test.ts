import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { GIT_ENV, git } from "./support.ts";

/**
 * A stack's `phantom:path` tag is console text. Replayed with `--repo` against a real repository, a
 * hostile one is refused with its reason, the window is still analysed, and nothing but the base
 * branch exists afterwards.
 */

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = path.join(root, "functions/cli/bin.js");
const SCENARIO = path.join(root, "fixtures/scenarios/payments-3am-incident");
const STACK = "payments-prod";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** The 3 AM scenario with its stack's `phantom:path` tag set to `pathTag`, and a repository holding its template. */
async function setup(pathTag: string) {
  const dir = await mkdtemp(path.join(tmpdir(), "phantom-hostile-"));
  dirs.push(dir);
  const scenario = path.join(dir, "scenario");
  await cp(SCENARIO, scenario, { recursive: true });
  await rm(path.join(scenario, "golden"), { recursive: true, force: true });
  const stackFile = path.join(scenario, "account/stacks", `${STACK}.json`);
  const doc = JSON.parse(await readFile(stackFile, "utf8"));
  doc.Tags = doc.Tags.map((t: { Key: string; Value: string }) =>
    t.Key === "phantom:path" ? { ...t, Value: pathTag } : t,
  );
  await writeFile(stackFile, JSON.stringify(doc, null, 2));
  const repo = path.join(dir, "repo");
  await mkdir(path.join(repo, "stacks"), { recursive: true });
  await cp(
    path.join(scenario, "account/templates", `${STACK}.yaml`),
    path.join(repo, "stacks", `${STACK}.yaml`),
  );
  git(repo, "init", "--quiet", "-b", "main");
  git(repo, "add", ".");
  git(repo, "commit", "--quiet", "-m", "Initial commit");
  return { scenario, repo, out: path.join(dir, "out") };
}

async function replay(scenario: string, out: string, repo: string) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [bin, "replay", scenario, "--out", out, "--repo", repo],
      {
        cwd: root,
        env: { ...process.env, ...GIT_ENV },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** Every path in every ref's tree. */
function allPaths(repo: string): string[] {
  return git(repo, "for-each-ref", "--format=%(refname)")
    .split("\n")
    .filter(Boolean)
    .flatMap((ref) => git(repo, "ls-tree", "-r", "--name-only", ref).split("\n").filter(Boolean));
}

describe.concurrent("a hostile phantom:path tag, replayed against a real repository", () => {
  it("a newline that would add an executable .github/workflows file: refused with its reason, nothing committed", async () => {
    const blob = "0123456789abcdef0123456789abcdef01234567";
    const { scenario, repo, out } = await setup(
      `stacks/${STACK}.yaml\n100755 ${blob}\t.github/workflows/x.yml`,
    );

    const result = await replay(scenario, out, repo);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      `pull request: not published (no-repository): tag phantom:path "stacks/${STACK}.yaml\\n100755 ${blob}\\t.github/workflows/x.yml" is not a path inside the repository: it contains the control character U+000A at 25`,
    );
    // The rest of the window went on: analysed and written.
    expect((await stat(path.join(out, STACK, `${STACK}-w1`, "analysis.json"))).isFile()).toBe(true);
    expect(git(repo, "for-each-ref", "--format=%(refname)").trim()).toBe("refs/heads/main");
    expect(allPaths(repo).some((p) => p.includes(".github"))).toBe(false);
  });

  it("a path under .GIT (git's own directory on a case-insensitive disk): refused, never committed", async () => {
    const { scenario, repo, out } = await setup(".GIT/hooks/post-checkout");

    const result = await replay(scenario, out, repo);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /not published \(no-repository\): tag phantom:path "\.GIT\/hooks\/post-checkout" .*"\.GIT" segment/,
    );
    expect(allPaths(repo).some((p) => p.toLowerCase().startsWith(".git/"))).toBe(false);
  });

  it("a sound tag still gets its pull request (the control case)", async () => {
    const { scenario, repo, out } = await setup(`stacks/${STACK}.yaml`);

    const result = await replay(scenario, out, repo);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/pull request: created #1 on branch phantom\/payments-prod/);
    expect(allPaths(repo)).toContain(`stacks/${STACK}.yaml`);
  });
});
