import { describe, expect, it } from "vitest";
import { stacksSchema, templateLocation } from "../../core/publish/location.ts";

const config = {
  stacks: {
    "payments-*": { repo: "acme/payments-infra", path: "cfn/payments.yaml", env: "prod" },
    "payments-staging": {
      repo: "acme/payments-infra",
      path: "cfn/payments.yaml",
      branch: "staging",
      env: "staging",
      parameters: "params/staging.json",
    },
    orders: { env: "dev" },
  },
};

const tags = [
  { Key: "phantom:repo", Value: "acme/from-tags" },
  { Key: "phantom:path", Value: "templates/stack.yaml" },
  { Key: "Environment", Value: "qa" },
];

describe("templateLocation", () => {
  it("takes an exact config entry over a glob, and config over tags", () => {
    expect(templateLocation("payments-staging", config, tags)).toEqual({
      kind: "found",
      location: {
        repo: "acme/payments-infra",
        path: "cfn/payments.yaml",
        branch: "staging",
        env: "staging",
        parameters: "params/staging.json",
        source: "config",
        pattern: "payments-staging",
      },
    });
  });

  it("matches a glob entry", () => {
    expect(templateLocation("payments-prod", config, tags)).toMatchObject({
      kind: "found",
      location: {
        repo: "acme/payments-infra",
        path: "cfn/payments.yaml",
        env: "prod",
        pattern: "payments-*",
      },
    });
  });

  it("fills what config leaves out from the tags, field by field", () => {
    expect(templateLocation("orders", config, tags)).toEqual({
      kind: "found",
      location: {
        repo: "acme/from-tags",
        path: "templates/stack.yaml",
        env: "dev",
        source: "tags",
        pattern: "orders",
      },
    });
  });

  it("uses the tags alone (as a list or a map), with env from env/environment in any case", () => {
    expect(templateLocation("inventory", {}, tags)).toEqual({
      kind: "found",
      location: { repo: "acme/from-tags", path: "templates/stack.yaml", env: "qa", source: "tags" },
    });
    expect(
      templateLocation("inventory", {}, { "phantom:repo": "acme/x", "phantom:path": "./a/b.json" }),
    ).toMatchObject({ kind: "found", location: { repo: "acme/x", path: "a/b.json" } });
  });

  it("is case-sensitive on stack names, as CloudFormation is", () => {
    expect(templateLocation("Payments-prod", config, [])).toMatchObject({ kind: "unknown" });
  });

  it("says what is missing when neither config nor tags say where the template is", () => {
    expect(templateLocation("inventory", config, [{ Key: "phantom:repo", Value: "acme/x" }])).toEqual({
      kind: "unknown",
      reason:
        "no template location for stack inventory: path not set (config stacks: or stack tags phantom:repo / phantom:path)",
    });
  });

  it.each([
    [
      "a repo tag that is not owner/name",
      { "phantom:repo": "https://evil.example/x", "phantom:path": "a.yaml" },
      /tag phantom:repo/,
    ],
    [
      "a path tag leaving the repository",
      { "phantom:repo": "acme/x", "phantom:path": "../../etc/passwd" },
      /tag phantom:path/,
    ],
    ["an absolute path tag", { "phantom:repo": "acme/x", "phantom:path": "/a//b.yaml" }, /not a path inside/],
    ["a rooted path tag", { "phantom:repo": "acme/x", "phantom:path": "/cfn/x.yaml" }, /is absolute/],
    [
      "a path tag under .git in another case",
      { "phantom:repo": "acme/x", "phantom:path": ".GIT/hooks/pre-commit" },
      /"\.GIT" segment/,
    ],
    [
      "a path tag that smuggles a second index entry",
      {
        "phantom:repo": "acme/x",
        "phantom:path":
          "cfn/x.yaml\n100755 0123456789abcdef0123456789abcdef01234567\t.github/workflows/x.yml",
      },
      /tag phantom:path .* control character U\+000A/,
    ],
    [
      "a ref tag git refuses",
      { "phantom:repo": "acme/x", "phantom:path": "a.yaml", "phantom:ref": "main.lock" },
      /tag phantom:ref "main\.lock" .*\.lock/,
    ],
    [
      "a ref tag that is @",
      { "phantom:repo": "acme/x", "phantom:path": "a.yaml", "phantom:ref": "@" },
      /tag phantom:ref/,
    ],
  ])("reports, never uses, %s", (_what, stackTags, reason) => {
    const result = templateLocation("inventory", {}, stackTags);
    expect(result.kind).toBe("unknown");
    expect(result.kind === "unknown" && result.reason).toMatch(reason);
  });
});

describe("stacksSchema", () => {
  it("accepts the documented shape and rejects unknown keys and bad repos", () => {
    expect(stacksSchema.safeParse(config.stacks).success).toBe(true);
    const result = stacksSchema.safeParse({ "a-*": { repo: "not-a-repo", pth: "x.yaml" } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual(
      expect.arrayContaining(["must be owner/name", expect.stringMatching(/pth/)]),
    );
  });
});
