import { describe, expect, it } from "vitest";
import { parseConfig } from "../../core/config/schema.ts";

/** `stacks:` in phantom.yaml: a path or branch that could leave the repository is refused at load, naming it. */
describe("phantom.yaml stacks: paths and branches", () => {
  it("accepts the documented shape (a leading ./ and surrounding spaces forgiven)", () => {
    const result = parseConfig({
      stacks: {
        "payments-*": {
          repo: "acme/infra",
          path: "./cfn/payments.yaml",
          branch: "release/2026",
          parameters: " params/prod.json ",
        },
      },
    });
    expect(result.ok).toBe(true);
  });

  it.each([
    [
      { path: "../secrets.yaml" },
      'stacks.payments.path: "../secrets.yaml" is not a path inside the repository: it has a ".." segment',
    ],
    [
      { path: "/etc/passwd" },
      'stacks.payments.path: "/etc/passwd" is not a path inside the repository: it is absolute',
    ],
    [
      { path: ".Git/config" },
      `stacks.payments.path: ".Git/config" is not a path inside the repository: it has a ".Git" segment (git's own directory)`,
    ],
    [
      { path: "cfn/a.yaml\n100755 x\t.github/workflows/x.yml" },
      /stacks\.payments\.path: .* control character U\+000A at 10/,
    ],
    [{ parameters: "params\\prod.json" }, /stacks\.payments\.parameters: .* backslash/],
    [
      { branch: "main.lock" },
      'stacks.payments.branch: "main.lock" is not a branch name: it has a component ending in ".lock" (main.lock)',
    ],
    [{ branch: "-main" }, /stacks\.payments\.branch: "-main" is not a branch name: it starts with "-"/],
  ])("refuses %j with where and why", (entry, message) => {
    const result = parseConfig({ stacks: { payments: { repo: "acme/infra", ...entry } } });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues).toEqual([
      typeof message === "string" ? message : expect.stringMatching(message),
    ]);
  });
});
