import { describe, expect, it } from "vitest";
import { validatePattern } from "../../core/pattern/match.ts";
import { PATTERN_SIZE_LIMIT } from "../../core/pattern/types.ts";

function issuesOf(pattern: unknown): string[] {
  const result = validatePattern(pattern);
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
}

function pathsOf(pattern: unknown): string[] {
  const result = validatePattern(pattern);
  return result.ok ? [] : result.issues.map((i) => i.path);
}

describe("validatePattern", () => {
  it("accepts every construct Phantom emits", () => {
    const pattern = {
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: { errorCode: [{ exists: false }] },
      $or: [
        {
          source: ["aws.lambda"],
          detail: {
            eventSource: ["lambda.amazonaws.com"],
            eventName: ["DeleteFunction", { prefix: "Delete" }],
          },
        },
        { source: ["aws.ec2"], detail: { eventSource: ["ec2.amazonaws.com"], eventName: ["CreateTags"] } },
      ],
    };
    expect(validatePattern(pattern)).toEqual({ ok: true });
  });

  const NOT_USED = "is not used by Phantom's generated patterns";

  it.each<[string, unknown]>([
    ["suffix", ".png"],
    ["equals-ignore-case", "alice"],
    ["anything-but", "stopped"],
    ["wildcard", "*/lib/*"],
    ["numeric", [">", 0]],
    ["cidr", "10.0.0.0/24"],
  ])("refuses operator %s, which Phantom never emits, by name", (operator, operand) => {
    expect(issuesOf({ a: [{ [operator]: operand }] })).toEqual([`a[0]: operator "${operator}" ${NOT_USED}`]);
  });

  it("refuses the other forms Phantom never emits, by name", () => {
    expect(
      issuesOf({ a: [{ exists: true }, { prefix: { "equals-ignore-case": "Delete" } }, 5, true, null] }),
    ).toEqual([
      `a[0].exists: {"exists": true} ${NOT_USED}; only {"exists": false}`,
      `a[1].prefix: prefix with "equals-ignore-case" ${NOT_USED}`,
      `a[2]: a number value ${NOT_USED}; match strings`,
      `a[3]: a boolean value ${NOT_USED}; match strings`,
      `a[4]: a null value ${NOT_USED}; match strings`,
    ]);
  });

  it("refuses $or below the top level, which Phantom never emits", () => {
    const or = [{ a: ["x"] }, { b: ["y"] }];
    const notUsed = `"$or" below the top level ${NOT_USED}`;
    expect(issuesOf({ detail: { $or: or } })).toEqual([`detail.$or: ${notUsed}`]);
    expect(issuesOf({ $or: [{ $or: or }, { c: ["z"] }] })).toEqual([`$or[0].$or: ${notUsed}`]);
  });

  it("reports every problem at once, each at its path", () => {
    const pattern = {
      source: "aws.ec2",
      detail: {
        eventName: [{ regex: "x" }, ["nested"]],
        empty: [],
        nothing: {},
        both: [{ prefix: "a", suffix: "b" }],
      },
    };
    expect(pathsOf(pattern)).toEqual([
      "source",
      "detail.eventName[0]",
      "detail.eventName[1]",
      "detail.empty",
      "detail.nothing",
      "detail.both[0]",
    ]);
  });

  it("rejects non-object patterns and empty ones", () => {
    expect(pathsOf("x")).toEqual([""]);
    expect(pathsOf([])).toEqual([""]);
    expect(pathsOf({})).toEqual([""]);
  });

  it("rejects patterns over the size limit", () => {
    const pattern = { source: ["x".repeat(PATTERN_SIZE_LIMIT)] };
    expect(issuesOf(pattern)).toEqual([
      `: pattern is ${PATTERN_SIZE_LIMIT + 15} characters; EventBridge allows 2048`,
    ]);
  });

  it("rejects malformed operands of prefix and exists", () => {
    expect(pathsOf({ a: [{ exists: "false" }, { prefix: 1 }, { prefix: { wildcard: "x" } }] })).toEqual([
      "a[0].exists",
      "a[1].prefix",
      "a[2].prefix",
    ]);
  });

  it("rejects $or with fewer than two branches, non-object branches, and reserved field names", () => {
    expect(pathsOf({ $or: [{ a: ["x"] }] })).toEqual(["$or"]);
    expect(pathsOf({ $or: {} })).toEqual(["$or"]);
    expect(pathsOf({ $or: [{ a: ["x"] }, "b"] })).toEqual(["$or[1]"]);
    expect(pathsOf({ $or: [{ a: ["x"] }, { detail: { prefix: ["x"] } }] })).toEqual(["$or[1].detail.prefix"]);
    expect(pathsOf({ prefix: ["x"] })).toEqual([]);
  });

  it("leaves EventBridge's 1000-combination cap on $or to the size limit, which is stricter", () => {
    const branches = Array.from({ length: 204 }, () => ({ "": [""] }));
    expect(issuesOf({ $or: branches.slice(0, 203) })).toEqual([]);
    expect(issuesOf({ $or: branches })).toEqual([": pattern is 2049 characters; EventBridge allows 2048"]);
  });
});
