import { describe, expect, it } from "vitest";
import { patternMatcher, validatePattern } from "../../core/pattern/match.ts";
import {
  readStackStatusChange,
  STACK_STATUS_DETAIL_TYPE,
  stackStatusPattern,
} from "../../core/pattern/stack-status.ts";

/** The envelope EventBridge delivers for a stack's status change (the documented detail shape). */
function statusChange(status: string, overrides: Record<string, unknown> = {}) {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": STACK_STATUS_DETAIL_TYPE,
    source: "aws.cloudformation",
    account: "444455556666",
    time: "2026-03-14T04:00:00Z",
    region: "eu-west-1",
    resources: [
      "arn:aws:cloudformation:eu-west-1:444455556666:stack/api-prod/6f1c3a30-0a1b-11f1-8a1b-0a1b2c3d4e5f",
    ],
    detail: {
      "stack-id":
        "arn:aws:cloudformation:eu-west-1:444455556666:stack/api-prod/6f1c3a30-0a1b-11f1-8a1b-0a1b2c3d4e5f",
      "status-details": { status, "status-reason": "" },
      "client-request-token": "Console-UpdateStack-1",
    },
    ...overrides,
  };
}

describe("stackStatusPattern", () => {
  it("is a valid pattern that matches the end of a stack operation and nothing in progress", () => {
    const pattern = stackStatusPattern();
    expect(validatePattern(pattern)).toEqual({ ok: true });
    const match = patternMatcher(pattern);
    for (const status of [
      "UPDATE_COMPLETE",
      "DELETE_COMPLETE",
      "UPDATE_ROLLBACK_COMPLETE",
      "IMPORT_COMPLETE",
    ])
      expect(match(statusChange(status)), status).toBe(true);
    for (const status of ["UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"])
      expect(match(statusChange(status)), status).toBe(false);
    expect(match(statusChange("UPDATE_COMPLETE", { source: "aws.ec2" }))).toBe(false);
  });
});

describe("readStackStatusChange", () => {
  it("reads the stack, its account and region from the stack id", () => {
    expect(readStackStatusChange(statusChange("UPDATE_COMPLETE", { account: "111122223333" }))).toEqual({
      kind: "stack-status",
      change: {
        account: "444455556666",
        region: "eu-west-1",
        stack: "api-prod",
        stackId:
          "arn:aws:cloudformation:eu-west-1:444455556666:stack/api-prod/6f1c3a30-0a1b-11f1-8a1b-0a1b2c3d4e5f",
        status: "UPDATE_COMPLETE",
      },
    });
  });

  it("leaves other events alone and says what is wrong with a broken one", () => {
    expect(readStackStatusChange({ "detail-type": "AWS API Call via CloudTrail", detail: {} })).toEqual({
      kind: "other",
    });
    expect(readStackStatusChange("text")).toEqual({ kind: "other" });
    const broken = statusChange("UPDATE_COMPLETE");
    expect(readStackStatusChange({ ...broken, detail: { "status-details": { status: "X" } } })).toEqual({
      kind: "invalid",
      reason: expect.stringContaining("detail.stack-id"),
    });
    const noPlace = {
      ...broken,
      account: undefined,
      region: undefined,
      detail: { ...broken.detail, "stack-id": "api-prod" },
    };
    expect(readStackStatusChange(noPlace)).toEqual({
      kind: "invalid",
      reason: expect.stringContaining('"api-prod" is not a stack ARN'),
    });
  });
});

describe("the stack status rule is deployed", () => {
  it("on the home bus, in every forwarding region, and in every member account and region", async () => {
    const { homePatterns, patternsForRegion, globalPatterns } = await import("../../functions/infra/app.ts");
    const { memberTemplate } = await import("../../functions/infra/member-template.ts");
    const rule = stackStatusPattern();
    expect(homePatterns()).toContainEqual(rule);
    expect(patternsForRegion("eu-west-1")).toContainEqual(rule);
    expect(patternsForRegion("us-east-1")).toContainEqual(rule);
    // The us-east-1 forwarding of global services alone serves no stacks there.
    expect(globalPatterns()).not.toContainEqual(rule);
    const rules = Object.values(memberTemplate().Resources).filter((r) => r.Type === "AWS::Events::Rule");
    expect(
      rules.filter((r) => r.Condition === undefined).map((r) => r.Properties.EventPattern),
    ).toContainEqual(rule);
  });
});
