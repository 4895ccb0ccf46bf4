import { describe, expect, it } from "vitest";
import { InvalidPatternError, matches, patternMatcher } from "../../core/pattern/match.ts";
import type { EventPattern } from "../../core/pattern/types.ts";

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
    expect(matches({ constructor: [{ exists: true }] }, {})).toBe(false);
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
    ["null", [null]],
    ["prefix", [{ prefix: "" }]],
    ["suffix", [{ suffix: "" }]],
    ["equals-ignore-case", [{ "equals-ignore-case": "x" }]],
    ["wildcard", [{ wildcard: "*" }]],
    ["anything-but", [{ "anything-but": "x" }]],
    ["anything-but list", [{ "anything-but": ["x", "y"] }]],
    ["anything-but prefix", [{ "anything-but": { prefix: "x" } }]],
    ["numeric", [{ numeric: [">", 0] }]],
    ["cidr", [{ cidr: "0.0.0.0/0" }]],
    ["exists true", [{ exists: true }]],
  ])("a missing field fails %s", (_name, matchers) => {
    expect(leaf(matchers, undefined)).toBe(false);
  });

  it("a missing field satisfies exists:false, also through a missing parent", () => {
    expect(leaf([{ exists: false }], undefined)).toBe(true);
    expect(matches({ detail: { errorCode: [{ exists: false }] } }, {})).toBe(true);
    expect(matches({ detail: { errorCode: [{ exists: false }] } }, { detail: "scalar" })).toBe(true);
    expect(matches({ detail: { errorCode: [{ exists: true }] } }, {})).toBe(false);
  });

  it('matches null only with [null], and the empty string with [""]', () => {
    expect(leaf([null], null)).toBe(true);
    expect(leaf(["null"], null)).toBe(false);
    expect(leaf([null], "")).toBe(false);
    expect(leaf([""], "")).toBe(true);
    expect(leaf([{ exists: true }], null)).toBe(true);
  });

  it("treats an empty array as absent", () => {
    expect(leaf([{ exists: false }], [])).toBe(true);
    expect(leaf([{ exists: true }], [])).toBe(false);
    expect(leaf([{ "anything-but": "x" }], [])).toBe(false);
  });
});

describe("matches: exact values", () => {
  it("is exact, case-sensitive and type-sensitive", () => {
    expect(leaf(["CreateTags"], "CreateTags")).toBe(true);
    expect(leaf(["CreateTags"], "createtags")).toBe(false);
    expect(leaf(["Create"], "CreateTags")).toBe(false);
    expect(leaf(["5"], 5)).toBe(false);
    expect(leaf([5], "5")).toBe(false);
    expect(leaf([true], true)).toBe(true);
    expect(leaf(["true"], true)).toBe(false);
    expect(leaf([false], false)).toBe(true);
  });

  it("compares plain numbers exactly (JSON parsing already equates 300 and 300.0)", () => {
    expect(leaf([300], 300)).toBe(true);
    expect(leaf([300], JSON.parse("300.0"))).toBe(true);
    expect(leaf([300], 300.5)).toBe(false);
  });

  it("does not match an object where a leaf is expected", () => {
    expect(leaf(["x"], { x: "x" })).toBe(false);
  });
});

describe("matches: prefix, suffix, equals-ignore-case", () => {
  it("prefix matches strings only, case-sensitive unless equals-ignore-case", () => {
    expect(leaf([{ prefix: "Update" }], "UpdateFunctionCode20150331v2")).toBe(true);
    expect(leaf([{ prefix: "update" }], "UpdateFunctionCode")).toBe(false);
    expect(leaf([{ prefix: { "equals-ignore-case": "uPdAtE" } }], "UpdateFunctionCode")).toBe(true);
    expect(leaf([{ prefix: "1" }], 12)).toBe(false);
  });

  it("suffix matches strings only, case-sensitive unless equals-ignore-case", () => {
    expect(leaf([{ suffix: ".png" }], "a.png")).toBe(true);
    expect(leaf([{ suffix: ".png" }], "a.PNG")).toBe(false);
    expect(leaf([{ suffix: { "equals-ignore-case": ".png" } }], "a.PNG")).toBe(true);
    expect(leaf([{ suffix: "2" }], 12)).toBe(false);
  });

  it("equals-ignore-case matches whole strings in any case", () => {
    expect(leaf([{ "equals-ignore-case": "alice" }], "ALICE")).toBe(true);
    expect(leaf([{ "equals-ignore-case": "alice" }], "alicen")).toBe(false);
    expect(leaf([{ "equals-ignore-case": "true" }], true)).toBe(false);
  });
});

describe("matches: wildcard", () => {
  it.each([
    ["Simple*Service", "SimpleQueueService", true],
    ["Simple*Service", "SimpleService", true],
    ["Simple*Service", "SimpleQueueServices", false],
    ["*/lib/*", "usr/lib/x", true],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "acb", false],
    ["a\\*b", "a*b", true],
    ["a\\*b", "aXb", false],
    ["a\\\\b", "a\\b", true],
    ["a.b", "aXb", false],
    ["*", "", true],
  ])("%s on %s is %s", (wildcard, value, expected) => {
    expect(leaf([{ wildcard }], value)).toBe(expected);
  });

  it("matches strings only", () => {
    expect(leaf([{ wildcard: "*" }], 5)).toBe(false);
  });
});

describe("matches: anything-but", () => {
  it("single string or number", () => {
    expect(leaf([{ "anything-but": "stopped" }], "running")).toBe(true);
    expect(leaf([{ "anything-but": "stopped" }], "stopped")).toBe(false);
    expect(leaf([{ "anything-but": 100 }], 101)).toBe(true);
    expect(leaf([{ "anything-but": 100 }], 100)).toBe(false);
  });

  it("lists of strings or numbers", () => {
    expect(leaf([{ "anything-but": ["stopped", "overloaded"] }], "running")).toBe(true);
    expect(leaf([{ "anything-but": ["stopped", "overloaded"] }], "overloaded")).toBe(false);
    expect(leaf([{ "anything-but": [100, 200] }], 200)).toBe(false);
  });

  it("accepts present values of another type than the excluded ones", () => {
    expect(leaf([{ "anything-but": "5" }], 5)).toBe(true);
    expect(leaf([{ "anything-but": [5] }], "5")).toBe(true);
    expect(leaf([{ "anything-but": "x" }], null)).toBe(true);
  });

  it("prefix and suffix, single and list", () => {
    expect(leaf([{ "anything-but": { prefix: "init" } }], "initializing")).toBe(false);
    expect(leaf([{ "anything-but": { prefix: "init" } }], "running")).toBe(true);
    expect(leaf([{ "anything-but": { prefix: ["init", "err"] } }], "error")).toBe(false);
    expect(leaf([{ "anything-but": { suffix: ".png" } }], "a.png")).toBe(false);
    expect(leaf([{ "anything-but": { suffix: [".png", ".jpg"] } }], "a.gif")).toBe(true);
  });

  it("equals-ignore-case, single and list", () => {
    expect(leaf([{ "anything-but": { "equals-ignore-case": "Stopped" } }], "STOPPED")).toBe(false);
    expect(
      leaf([{ "anything-but": { "equals-ignore-case": ["Stopped", "OverLoaded"] } }], "overloaded"),
    ).toBe(false);
    expect(leaf([{ "anything-but": { "equals-ignore-case": "Stopped" } }], "running")).toBe(true);
  });

  it("wildcard, single and list", () => {
    expect(leaf([{ "anything-but": { wildcard: "*/bin/*.jar" } }], "usr/bin/app.jar")).toBe(false);
    expect(leaf([{ "anything-but": { wildcard: ["*.jar", "*.class"] } }], "A.class")).toBe(false);
    expect(leaf([{ "anything-but": { wildcard: "*/bin/*.jar" } }], "usr/lib/app.jar")).toBe(true);
  });

  it("on an event array, matches when any value is not excluded", () => {
    expect(leaf([{ "anything-but": "a" }], ["a", "b"])).toBe(true);
    expect(leaf([{ "anything-but": "a" }], ["a"])).toBe(false);
  });
});

describe("matches: numeric", () => {
  it.each<[unknown[], number, boolean]>([
    [[">", 0, "<=", 5], 5, true],
    [[">", 0, "<=", 5], 0, false],
    [[">=", 0, "<", 5], 0, true],
    [[">=", 0, "<", 5], 5, false],
    [["<", 10], 9.5, true],
    [["<=", 10], 10, true],
    [[">", 10], 10, false],
    [["=", 3.018e2], 301.8, true],
    [["=", 300], JSON.parse("3.0e2"), true],
  ])("%j on %d is %s", (range, value, expected) => {
    expect(leaf([{ numeric: range }], value)).toBe(expected);
  });

  it("applies to JSON numbers only", () => {
    expect(leaf([{ numeric: [">", 0] }], "5")).toBe(false);
  });
});

describe("matches: cidr", () => {
  it("IPv4", () => {
    expect(leaf([{ cidr: "10.0.0.0/24" }], "10.0.0.255")).toBe(true);
    expect(leaf([{ cidr: "10.0.0.0/24" }], "10.0.1.0")).toBe(false);
    expect(leaf([{ cidr: "10.0.0.7/24" }], "10.0.0.1")).toBe(true);
    expect(leaf([{ cidr: "0.0.0.0/0" }], "203.0.113.9")).toBe(true);
    expect(leaf([{ cidr: "10.0.0.0/8" }], "AWS Internal")).toBe(false);
    expect(leaf([{ cidr: "10.0.0.0/8" }], "10.0.0")).toBe(false);
    expect(leaf([{ cidr: "10.0.0.0/8" }], "10.0.0.256")).toBe(false);
  });

  it("IPv6, including compressed forms and an IPv4 tail", () => {
    expect(leaf([{ cidr: "2001:db8::/32" }], "2001:db8:0:1::5")).toBe(true);
    expect(leaf([{ cidr: "2001:db8::/32" }], "2001:db9::1")).toBe(false);
    expect(leaf([{ cidr: "::/0" }], "::1")).toBe(true);
    expect(leaf([{ cidr: "64:ff9b::/96" }], "64:ff9b::192.0.2.33")).toBe(true);
    expect(leaf([{ cidr: "fe80::/10" }], "FE80:0000:0000:0000:0202:B3FF:FE1E:8329")).toBe(true);
    expect(leaf([{ cidr: "2001:db8::/32" }], "2001:db8::1::2")).toBe(false);
    expect(leaf([{ cidr: "2001:db8::/32" }], "2001:db8:0:0:0:0:0:0:1")).toBe(false);
  });

  it("never matches across families", () => {
    expect(leaf([{ cidr: "0.0.0.0/0" }], "::ffff:10.0.0.1")).toBe(false);
    expect(leaf([{ cidr: "::/0" }], "10.0.0.1")).toBe(false);
  });
});

describe("matches: exists", () => {
  it("on leaves", () => {
    expect(leaf([{ exists: true }], "x")).toBe(true);
    expect(leaf([{ exists: false }], "x")).toBe(false);
    expect(leaf([{ exists: true }], 0)).toBe(true);
  });

  it("only sees leaves: an object is absent for exists", () => {
    expect(leaf([{ exists: false }], { c1: 100 })).toBe(true);
    expect(leaf([{ exists: true }], { c1: 100 })).toBe(false);
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

  it("inside a nested object", () => {
    const pattern: EventPattern = {
      detail: { $or: [{ eventName: ["X"] }, { errorCode: [{ prefix: "Access" }] }] },
    };
    expect(matches(pattern, event)).toBe(true);
  });
});
