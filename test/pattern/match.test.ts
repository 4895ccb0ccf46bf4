import { describe, expect, it } from "vitest";
import { InvalidPatternError, patternMatcher } from "../../core/pattern/match.ts";
import type { EventPattern } from "../../core/pattern/types.ts";

const matches = (pattern: EventPattern, event: unknown): boolean => patternMatcher(pattern)(event);

/** `matches` for one field: `{field: matchers}` against `{field: value}` (or no field when undefined). */
function leaf(matchers: EventPattern[string], value?: unknown): boolean {
  const event = value === undefined ? {} : { field: value };
  return matches({ field: matchers }, event);
}

describe("matches: structure", () => {
  const event = {
    source: "aws.ec2",
    "detail-type": "AWS API Call via CloudTrail",
    resources: ["arn:a", "arn:b"],
    detail: { eventName: "CreateTags", state: { name: "running" } },
  };

  it("ANDs fields and ORs the values listed for one field", () => {
    expect(matches({ source: ["aws.rds", "aws.ec2"], detail: { eventName: ["CreateTags"] } }, event)).toBe(
      true,
    );
    expect(matches({ source: ["aws.ec2"], detail: { eventName: ["DeleteTags"] } }, event)).toBe(false);
  });

  it("ignores event fields the pattern does not name", () => {
    expect(matches({ source: ["aws.ec2"] }, event)).toBe(true);
  });

  it("follows nested objects", () => {
    expect(matches({ detail: { state: { name: ["running"] } } }, event)).toBe(true);
    expect(matches({ detail: { state: { name: ["stopped"] } } }, event)).toBe(false);
  });

  it("matches an event array when it intersects the pattern array", () => {
    expect(matches({ resources: ["arn:x", "arn:b"] }, event)).toBe(true);
    expect(matches({ resources: ["arn:x"] }, event)).toBe(false);
  });

  it("crushes arrays of objects, but fields of one nested pattern must share an element", () => {
    const employees = {
      employees: [
        { firstName: "John", lastName: "Doe" },
        [{ firstName: "Anna", lastName: "Smith" }],
        { firstName: "Peter", lastName: "Jones" },
      ],
    };
    expect(matches({ employees: { firstName: ["Anna"] } }, employees)).toBe(true);
    expect(matches({ employees: { firstName: ["Anna"], lastName: ["Smith"] } }, employees)).toBe(true);
    expect(matches({ employees: { firstName: ["Anna"], lastName: ["Jones"] } }, employees)).toBe(false);
  });

  it("never matches a non-object event", () => {
    expect(matches({ a: [{ exists: false }] }, "text")).toBe(false);
    expect(matches({ a: [{ exists: false }] }, [])).toBe(false);
  });

  it("does not read inherited properties as fields", () => {
    expect(matches({ constructor: [{ exists: false }] }, {})).toBe(true);
  });

  it("compiles once and filters many events", () => {
    const isEc2 = patternMatcher({ source: ["aws.ec2"] });
    expect([{ source: "aws.ec2" }, { source: "aws.s3" }].filter(isEc2)).toEqual([{ source: "aws.ec2" }]);
  });

  it("throws InvalidPatternError with every issue for a malformed pattern", () => {
    const bad = { a: [{ regex: "x" }], b: "not-an-array" } as unknown as EventPattern;
    expect(() => matches(bad, { a: "x" })).toThrow(InvalidPatternError);
    try {
      matches(bad, {});
    } catch (error) {
      expect((error as InvalidPatternError).issues.map((i) => i.path)).toEqual(["a[0]", "b"]);
    }
  });
});

describe("matches: missing fields, null and empty values", () => {
  it.each<[string, EventPattern[string]]>([
    ["exact", ["x"]],
    ["empty string", [""]],
    ["prefix", [{ prefix: "" }]],
  ])("a missing field fails %s", (_name, matchers) => {
    expect(leaf(matchers, undefined)).toBe(false);
  });

  it("a missing field satisfies exists:false, also through a missing parent", () => {
    expect(leaf([{ exists: false }], undefined)).toBe(true);
    expect(matches({ detail: { errorCode: [{ exists: false }] } }, {})).toBe(true);
    expect(matches({ detail: { errorCode: [{ exists: false }] } }, { detail: "scalar" })).toBe(true);
  });

  it('matches the empty string with [""]; null is present but no string', () => {
    expect(leaf([""], "")).toBe(true);
    expect(leaf([""], null)).toBe(false);
    expect(leaf(["null"], null)).toBe(false);
    expect(leaf([{ exists: false }], null)).toBe(false);
  });

  it("treats an empty array as absent", () => {
    expect(leaf([{ exists: false }], [])).toBe(true);
    expect(leaf([""], [])).toBe(false);
    expect(leaf([{ prefix: "" }], [])).toBe(false);
  });
});

describe("matches: exact values", () => {
  it("is exact, case-sensitive and type-sensitive", () => {
    expect(leaf(["CreateTags"], "CreateTags")).toBe(true);
    expect(leaf(["CreateTags"], "createtags")).toBe(false);
    expect(leaf(["Create"], "CreateTags")).toBe(false);
    expect(leaf(["5"], 5)).toBe(false);
    expect(leaf(["true"], true)).toBe(false);
  });

  it("does not match an object where a leaf is expected", () => {
    expect(leaf(["x"], { x: "x" })).toBe(false);
  });
});

describe("matches: prefix", () => {
  it("matches strings only, case-sensitive", () => {
    expect(leaf([{ prefix: "Update" }], "UpdateFunctionCode20150331v2")).toBe(true);
    expect(leaf([{ prefix: "update" }], "UpdateFunctionCode")).toBe(false);
    expect(leaf([{ prefix: "1" }], 12)).toBe(false);
  });

  it("is ORed with exact values in the same array", () => {
    const names: EventPattern[string] = ["DeleteFunction", { prefix: "DeleteFunction20" }];
    expect(leaf(names, "DeleteFunction")).toBe(true);
    expect(leaf(names, "DeleteFunction20150331")).toBe(true);
    expect(leaf(names, "DeleteFunctionConcurrency20171031")).toBe(false);
  });
});

describe("matches: exists", () => {
  it("on leaves", () => {
    expect(leaf([{ exists: false }], "x")).toBe(false);
    expect(leaf([{ exists: false }], 0)).toBe(false);
    expect(leaf([{ exists: false }], ["x"])).toBe(false);
  });

  it("only sees leaves: an object is absent for exists", () => {
    expect(leaf([{ exists: false }], { c1: 100 })).toBe(true);
  });

  it("exists:false below an array of objects holds only when no element has the field", () => {
    const event = { items: [{ id: "a" }, { id: "b", error: "x" }] };
    expect(matches({ items: { error: [{ exists: false }] } }, event)).toBe(false);
    expect(matches({ items: { missing: [{ exists: false }] } }, event)).toBe(true);
  });

  it("exists:false next to a positive matcher is judged within the matched element", () => {
    const event = { items: [{ id: "a" }, { id: "b", error: "x" }] };
    expect(matches({ items: { id: ["a"], error: [{ exists: false }] } }, event)).toBe(true);
    expect(matches({ items: { id: ["b"], error: [{ exists: false }] } }, event)).toBe(false);
  });
});

describe("matches: $or", () => {
  const event = { source: "aws.ec2", detail: { eventName: "CreateTags", errorCode: "AccessDenied" } };

  it("at the top level, with nested sub-patterns", () => {
    const pattern: EventPattern = {
      $or: [{ source: ["aws.rds"] }, { detail: { eventName: ["CreateTags"] } }],
    };
    expect(matches(pattern, event)).toBe(true);
    expect(matches(pattern, { source: "aws.s3", detail: { eventName: "PutObject" } })).toBe(false);
  });

  it("is ANDed with the fields beside it, even those under the same parent", () => {
    const pattern: EventPattern = {
      detail: { errorCode: [{ exists: false }] },
      $or: [{ source: ["aws.ec2"], detail: { eventName: ["CreateTags"] } }, { source: ["aws.rds"] }],
    };
    expect(matches(pattern, event)).toBe(false);
    expect(matches(pattern, { ...event, detail: { eventName: "CreateTags" } })).toBe(true);
  });

  it("is refused below the top level, which Phantom never emits", () => {
    const pattern: EventPattern = {
      detail: { $or: [{ eventName: ["X"] }, { errorCode: [{ prefix: "Access" }] }] },
    };
    expect(() => matches(pattern, event)).toThrow(InvalidPatternError);
  });
});
