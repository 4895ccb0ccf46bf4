import { describe, expect, it } from "vitest";
import {
  identitiesSchema,
  isGitHubHandle,
  mappedHandles,
  mention,
  resolveHandle,
} from "../../core/publish/identities.ts";

const identities = {
  "sam@example.com": "sam-gh",
  "arn:aws:sts::*:assumed-role/AWSReservedSSO_*/ALEX@example.com": "alex-gh",
  "arn:aws:iam::111122223333:user/deploy-bot": "@ops-bot",
  "ci-*": "ci-team",
  robin: "not a handle!",
};

describe("resolveHandle", () => {
  it("matches a session name or IAM user name exactly, ignoring case", () => {
    expect(resolveHandle({ name: "Sam@Example.com" }, identities)).toBe("sam-gh");
  });

  it("matches a principal ARN glob whose * spans / and :, ignoring case", () => {
    const arn = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b2c/alex@example.com";
    expect(resolveHandle({ name: "alex@example.com", arn }, identities)).toBe("alex-gh");
  });

  it("matches an exact ARN and drops the @ of a handle written with one", () => {
    expect(
      resolveHandle({ name: "deploy-bot", arn: "arn:aws:iam::111122223333:user/deploy-bot" }, identities),
    ).toBe("ops-bot");
  });

  it("matches a name glob", () => {
    expect(resolveHandle({ name: "ci-release" }, identities)).toBe("ci-team");
  });

  it("prefers an exact name over an earlier glob", () => {
    expect(resolveHandle({ name: "ci-special" }, { "ci-*": "ci-team", "ci-special": "special-gh" })).toBe(
      "special-gh",
    );
  });

  it("never returns something that is not a GitHub login", () => {
    expect(resolveHandle({ name: "robin" }, identities)).toBeUndefined();
  });

  it("is undefined for an unmapped actor", () => {
    expect(
      resolveHandle({ name: "kim@example.com", arn: "arn:aws:iam::1:user/kim" }, identities),
    ).toBeUndefined();
  });
});

describe("mention", () => {
  it("@-mentions a mapped actor", () => {
    expect(mention({ name: "sam@example.com" }, identities)).toBe("@sam-gh");
  });

  it("puts an unmapped actor in code format, never a guessed @", () => {
    expect(mention({ name: "kim@example.com" }, identities)).toBe("`kim@example.com`");
    // A zero-width space after an @ that could start a mention (issue 15: not even the e-mail pings).
    expect(mention({ name: "@kim" }, {})).toBe("`@\u200Bkim`");
  });

  it("keeps a name with backticks inside one code span", () => {
    expect(mention({ name: "a`b" }, {})).toBe("``a`b``");
    expect(mention({ name: "`x" }, {})).toBe("`` `x ``");
  });
});

describe("mappedHandles and isGitHubHandle", () => {
  it("lists each mapped handle once, in first-seen order", () => {
    expect(
      mappedHandles(
        [
          { name: "ci-a" },
          { name: "sam@example.com" },
          { name: "kim" },
          { name: "SAM@example.com" },
          { name: "ci-b" },
        ],
        identities,
      ),
    ).toEqual(["ci-team", "sam-gh"]);
  });

  it.each([
    ["sam-gh", true],
    ["@sam-gh", true],
    ["a".repeat(39), true],
    ["a".repeat(40), false],
    ["-sam", false],
    ["sam-", false],
    ["sa--m", false],
    ["sam gh", false],
  ])("%s ► %s", (handle, valid) => {
    expect(isGitHubHandle(handle)).toBe(valid);
  });
});

describe("identitiesSchema", () => {
  it("accepts handles with or without @ and reports every bad one at once", () => {
    expect(identitiesSchema.safeParse({ "sam@example.com": "sam-gh", "ci-*": "@ci-team" }).success).toBe(
      true,
    );
    const result = identitiesSchema.safeParse({ a: "not a handle", b: "-x", c: "ok" });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual(["a", "b"]);
  });
});
