import { describe, expect, it } from "vitest";
import {
  compareStacks,
  isGlobalEvent,
  parseStackKey,
  sameStack,
  stackKey,
  stackRefSchema,
} from "../../core/window/stack.ts";

const a = { account: "111111111111", region: "eu-west-1", stack: "api-prod" };
const b = { account: "222222222222", region: "eu-west-1", stack: "api-prod" };
const c = { account: "111111111111", region: "us-east-1", stack: "api-prod" };

describe("StackRef", () => {
  it("keys a stack by account, region and name, and the key reverses", () => {
    expect(stackKey(a)).toBe("111111111111/eu-west-1/api-prod");
    expect(new Set([a, b, c].map(stackKey)).size).toBe(3);
    for (const ref of [a, b, c]) expect(parseStackKey(stackKey(ref))).toEqual(ref);
  });

  it("refuses keys that are not three valid parts", () => {
    expect(parseStackKey("api-prod")).toBeUndefined();
    expect(parseStackKey("1111/eu-west-1/api-prod")).toBeUndefined();
    expect(parseStackKey("111111111111/eu-west-1/api/prod")).toBeUndefined();
    expect(stackRefSchema.safeParse({ ...a, region: "Europe" }).success).toBe(false);
  });

  it("tells the same name in two places apart", () => {
    expect(sameStack(a, { ...a })).toBe(true);
    expect(sameStack(a, b)).toBe(false);
    expect(sameStack(a, c)).toBe(false);
    expect([c, b, a].sort(compareStacks)).toEqual([a, c, b]);
  });

  it("knows global services log in us-east-1", () => {
    expect(isGlobalEvent("iam.amazonaws.com", "us-east-1")).toBe(true);
    expect(isGlobalEvent("cloudfront.amazonaws.com", "us-east-1")).toBe(true);
    expect(isGlobalEvent("wafv2.amazonaws.com", "us-east-1")).toBe(true);
    expect(isGlobalEvent("wafv2.amazonaws.com", "eu-west-1")).toBe(false);
    expect(isGlobalEvent("ec2.amazonaws.com", "us-east-1")).toBe(false);
  });
});
