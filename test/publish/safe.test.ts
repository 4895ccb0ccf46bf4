import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertSafeRequest,
  checkBranchName,
  checkPathSegment,
  checkRepositoryPath,
  checkStackName,
  UnsafeNameError,
} from "../../core/publish/safe.ts";

/**
 * git's own verdict on many names in one process: `git check-ref-format --branch` per name inside a
 * shell loop, outside any repository (so `@{-1}` is never expanded against one).
 */
function gitAccepts(names: readonly string[]): boolean[] {
  const dir = mkdtempSync(join(tmpdir(), "phantom-refs-"));
  try {
    const out = execFileSync(
      "sh",
      [
        "-c",
        'for n in "$@"; do if git check-ref-format --branch "$n" >/dev/null 2>&1; then echo 1; else echo 0; fi; done',
        "sh",
        ...names,
      ],
      {
        cwd: dir,
        encoding: "utf8",
        env: { PATH: process.env.PATH, GIT_CEILING_DIRECTORIES: dir, HOME: dir, GIT_CONFIG_NOSYSTEM: "1" },
      },
    );
    return out
      .trim()
      .split("\n")
      .map((l) => l === "1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Names git takes that Phantom refuses on purpose (see checkBranchName). */
const STRICTER = (name: string) => name === "@" || /[\u0080-\u009f\u2028\u2029]/.test(name);

describe("checkBranchName agrees with git check-ref-format --branch", () => {
  // The pieces git's rules are about, so generated names hit every rule often.
  const piece = fc.constantFrom(
    "a",
    "b",
    "phantom",
    "x1",
    "-",
    ".",
    "..",
    "/",
    "//",
    "@",
    "@{",
    "{",
    "}",
    ".lock",
    "lock",
    " ",
    "~",
    "^",
    ":",
    "?",
    "*",
    "[",
    "]",
    "\\",
    "\t",
    "\n",
    "\u007f",
    "\u0001",
    "HEAD",
    "é",
    "\u0085",
    "\u2028",
    "_",
    "+",
    "#",
    "!",
    "'",
    '"',
    "=",
    ",",
    ";",
    "%",
  );
  const name = fc.array(piece, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(""));

  it("on generated names, batched into one git run", () => {
    const names = [
      ...new Set([
        ...fc.sample(name, { numRuns: 600, seed: 15 }),
        ...fc.sample(fc.string({ minLength: 1, maxLength: 12 }), { numRuns: 200, seed: 15 }),
        "phantom/payments",
        "phantom/123456789012/eu-west-1/api-prod",
        "refs/heads/x",
        "@",
        "HEAD",
        "a/HEAD",
        "x.lock/y",
      ]),
    ].filter((n) => !n.includes("\0"));
    const verdicts = gitAccepts(names);
    expect(verdicts).toHaveLength(names.length);
    const disagreements = names.flatMap((n, i) => {
      const ours = checkBranchName(n).ok;
      const git = verdicts[i];
      if (ours === git) return [];
      if (git && !ours && STRICTER(n)) return [];
      return [{ name: n, ours, git }];
    });
    expect(disagreements).toEqual([]);
    // The sample really exercises both sides.
    expect(verdicts.filter(Boolean).length).toBeGreaterThan(50);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThan(50);
  });

  it("says why a name is refused", () => {
    expect(checkBranchName("phantom/a..b")).toEqual({ ok: false, reason: 'contains ".."' });
    expect(checkBranchName("x.lock")).toMatchObject({ ok: false, reason: /\.lock/ });
    expect(checkBranchName("a\nb")).toMatchObject({ ok: false, reason: /U\+000A at 1/ });
    expect(checkBranchName("@")).toMatchObject({ ok: false });
    expect(checkBranchName("phantom/api-prod")).toEqual({ ok: true, value: "phantom/api-prod" });
  });
});

describe("checkRepositoryPath", () => {
  it.each([
    ["cfn/payments.yaml", true],
    ["payments.yaml", true],
    ["a/b/c.json", true],
    ["cfn/.gitkeep", true],
    [".github/workflows/ci.yml", true],
    ["", false],
    ["/etc/passwd", false],
    ["../x.yaml", false],
    ["a/../b", false],
    ["a/./b", false],
    ["./a", false],
    ["a//b", false],
    ["a/", false],
    ["a\\b", false],
    [".git/config", false],
    [".GIT/config", false],
    ["a/.Git/hooks/x", false],
    [".git./x", false],
    [".git /x", false],
    ["GIT~1/config", false],
    ["a\nb", false],
    ["a\rb", false],
    ["a\u0085b", false],
    ["a\u2029b", false],
    ["a\u007fb", false],
    ["x".repeat(1025), false],
  ])("%j ► %s", (path, accepted) => {
    expect(checkRepositoryPath(path).ok).toBe(accepted);
  });

  it("never accepts a path with a control, a separator or a parent segment, whatever surrounds it", () => {
    const bad = fc.constantFrom(
      "\n",
      "\r",
      "\u0000",
      "\u2028",
      "\u009b",
      "\\",
      "/../",
      "//",
      "/.git/",
      "/.GIT/",
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), bad, fc.string({ maxLength: 20 }), (before, b, after) => {
        expect(checkRepositoryPath(`a${before}${b}${after}z`).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe("checkPathSegment and checkStackName", () => {
  it("refuse every name that could leave its directory", () => {
    for (const name of ["", ".", "..", "a/b", "a\\b", "..\\x", "a\nb"])
      expect(checkPathSegment(name).ok, name).toBe(false);
    expect(checkPathSegment("payments-api").ok).toBe(true);
  });

  it("takes CloudFormation's stack names and nothing else", () => {
    expect(checkStackName("payments-api").ok).toBe(true);
    expect(checkStackName(`A${"b".repeat(127)}`).ok).toBe(true);
    for (const name of ["", ".", "..", "1abc", "a_b", "a b", "a/b", "a.b", `A${"b".repeat(128)}`])
      expect(checkStackName(name).ok, name).toBe(false);
    fc.assert(
      fc.property(fc.string({ maxLength: 140 }), (name) => {
        if (checkStackName(name).ok) {
          expect(checkPathSegment(name).ok).toBe(true);
          expect(checkBranchName(`phantom/${name}`).ok).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("assertSafeRequest", () => {
  it("names the first refused value", () => {
    expect(() =>
      assertSafeRequest({ branch: "phantom/x", files: [{ path: "ok.yaml" }, { path: "a\n100755 b\tc" }] }),
    ).toThrow(new UnsafeNameError('file path "a\\n100755 b\\tc" contains the control character U+000A at 1'));
    expect(() => assertSafeRequest({ branch: "phantom/x", baseBranch: "-main", files: [] })).toThrow(
      /base branch "-main" starts with "-"/,
    );
  });
});
