import { describe, expect, it } from "vitest";
import { OR_COMBINATION_LIMIT, validatePattern } from "../../core/pattern/match.ts";
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
  it("accepts every documented operator", () => {
    const pattern = {
      source: ["aws.ec2", 5, true, null],
      time: [{ prefix: "2017-10-02" }, { prefix: { "equals-ignore-case": "eventb" } }],
      detail: {
        file: [{ suffix: ".png" }, { suffix: { "equals-ignore-case": ".PNG" } }],
        user: [{ "equals-ignore-case": "alice" }],
        path: [{ wildcard: "*/lib/*" }, { wildcard: "a\\*b\\\\c" }],
        state: [
          { "anything-but": "initializing" },
          { "anything-but": 123 },
          { "anything-but": ["stopped", "overloaded"] },
          { "anything-but": [100, 200] },
          { "anything-but": { prefix: "init" } },
          { "anything-but": { suffix: ["1234", "6789"] } },
          { "anything-but": { "equals-ignore-case": ["Stopped"] } },
          { "anything-but": { wildcard: "*/bin/*.jar" } },
        ],
        count: [{ numeric: [">", 0, "<=", 5] }, { numeric: ["<", 10] }, { numeric: ["=", 3.018e2] }],
        ip: [{ cidr: "10.0.0.0/24" }, { cidr: "2001:db8::/32" }],
        errorCode: [{ exists: false }],
        $or: [{ a: ["x"] }, { b: { c: [{ exists: true }] } }],
      },
    };
    expect(validatePattern(pattern)).toEqual({ ok: true });
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

  it.each([
    [["<", 1, ">", 0]],
    [[">", 5, "<", 1]],
    [[">", 5, "<", 5]],
    [["=", 1, "<", 5]],
    [["~", 1]],
    [[">", "1"]],
    [[">", 6e9]],
    [[">"]],
    [">"],
  ])("rejects numeric %j", (operand) => {
    expect(pathsOf({ n: [{ numeric: operand }] })).toEqual(["n[0].numeric"]);
  });

  it.each([
    "10.0.0.0",
    "10.0.0.0/32",
    "10.0.0.0/-1",
    "300.0.0.0/8",
    "2001:db8::/128",
    "host/8",
    "1.2.3.4/8/8",
  ])("rejects cidr %s", (cidr) => {
    expect(pathsOf({ ip: [{ cidr }] })).toEqual(["ip[0].cidr"]);
  });

  it.each(["a**b", "a\\b", "a\\"])("rejects wildcard %s", (wildcard) => {
    expect(pathsOf({ w: [{ wildcard }] })).toEqual(["w[0].wildcard"]);
  });

  it.each<[unknown, string]>([
    [[], "a[0].anything-but"],
    [["a", 1], "a[0].anything-but"],
    [true, "a[0].anything-but"],
    [null, "a[0].anything-but"],
    [{ prefix: "" }, "a[0].anything-but.prefix"],
    [{ suffix: [] }, "a[0].anything-but.suffix"],
    [{ wildcard: "a**" }, "a[0].anything-but.wildcard"],
    [{ regex: "x" }, "a[0].anything-but.regex"],
    [{ prefix: "a", suffix: "b" }, "a[0].anything-but"],
  ])("rejects anything-but %j", (operand, path) => {
    expect(pathsOf({ a: [{ "anything-but": operand }] })).toEqual([path]);
  });

  it("rejects malformed operands of the simple operators", () => {
    expect(
      pathsOf({
        a: [
          { exists: "false" },
          { prefix: 1 },
          { prefix: { wildcard: "x" } },
          { suffix: { "equals-ignore-case": 2 } },
          { "equals-ignore-case": ["x"] },
          { wildcard: 1 },
          { cidr: 10 },
          Number.POSITIVE_INFINITY,
        ],
      }),
    ).toEqual([
      "a[0].exists",
      "a[1].prefix",
      "a[2].prefix",
      "a[3].suffix",
      "a[4].equals-ignore-case",
      "a[5].wildcard",
      "a[6].cidr",
      "a[7]",
    ]);
  });

  it("rejects $or with fewer than two branches, non-object branches, and reserved field names", () => {
    expect(pathsOf({ $or: [{ a: ["x"] }] })).toEqual(["$or"]);
    expect(pathsOf({ $or: {} })).toEqual(["$or"]);
    expect(pathsOf({ $or: [{ a: ["x"] }, "b"] })).toEqual(["$or[1]"]);
    expect(pathsOf({ $or: [{ a: ["x"] }, { detail: { prefix: ["x"] } }] })).toEqual(["$or[1].detail.prefix"]);
    expect(pathsOf({ prefix: ["x"] })).toEqual([]);
  });

  it(`rejects $or expanding to more than ${OR_COMBINATION_LIMIT} combinations`, () => {
    const branches = (n: number, field: string) =>
      Array.from({ length: n }, (_, i) => ({ [field]: [String(i)] }));
    const ok = { $or: branches(10, "a"), detail: { $or: branches(10, "b") }, x: { $or: branches(10, "c") } };
    const tooMany = { ...ok, x: { $or: branches(11, "c") } };
    expect(validatePattern(ok)).toEqual({ ok: true });
    expect(issuesOf(tooMany)).toEqual(["$or: $or expands to 1100 combinations; EventBridge allows 1000"]);
  });
});
