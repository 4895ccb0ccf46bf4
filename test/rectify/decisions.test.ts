import { describe, expect, it } from "vitest";
import type { ResourceDrift } from "../../core/drift/types.ts";
import { joinDecisions } from "../../core/rectify/decisions.ts";
import { parseDecisions } from "../../core/rectify/schema.ts";

const drifts: ResourceDrift[] = [
  {
    logicalId: "AppServer",
    type: "AWS::EC2::Instance",
    status: "MODIFIED",
    differences: [{ path: "/InstanceType", type: "NOT_EQUAL", expected: "t3.medium", actual: "t3.xlarge" }],
    expectedProperties: { InstanceType: "t3.medium" },
    actualProperties: { InstanceType: "t3.xlarge" },
  },
  {
    logicalId: "Gone",
    type: "AWS::SQS::Queue",
    status: "DELETED",
    differences: [],
    expectedProperties: { DelaySeconds: 1 },
  },
];

describe("parseDecisions", () => {
  it("reads a decisions list", () => {
    const parsed = parseDecisions([
      { logicalId: "A", propertyPath: "/X", decision: "refactor", proposed: 3 },
    ]);

    expect(parsed).toEqual({
      ok: true,
      rows: [{ logicalId: "A", propertyPath: "/X", decision: "refactor", proposed: 3 }],
      undecided: 0,
    });
  });

  it("reads an analysis.json, leaving changes without a decision alone", () => {
    const parsed = parseDecisions({
      stack: "payments-prod",
      window: {},
      changes: [
        {
          logicalId: "A",
          propertyPath: "/X",
          differenceType: "NOT_EQUAL",
          expected: 1,
          actual: 2,
          decision: "legitimize",
        },
        { logicalId: "B", propertyPath: "/Y", differenceType: "NOT_EQUAL", expected: 1, actual: 2 },
      ],
    });

    expect(parsed).toMatchObject({
      ok: true,
      undecided: 1,
      stack: "payments-prod",
      rows: [{ logicalId: "A" }],
    });
  });

  it("reports every bad row at once", () => {
    const parsed = parseDecisions([
      { logicalId: "", propertyPath: "/X", decision: "keep" },
      { propertyPath: 3 },
    ]);

    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.issues).toEqual([
      "decisions.0.logicalId: must not be empty",
      "decisions.0.decision: must be one of legitimize, revert, refactor",
      "decisions.1.logicalId: Invalid input: expected string, received undefined",
      "decisions.1.propertyPath: Invalid input: expected string, received number",
      "decisions.1.decision: must be one of legitimize, revert, refactor",
    ]);
    expect(parseDecisions("nope").ok).toBe(false);
  });
});

describe("joinDecisions", () => {
  it("takes the difference and the resource's properties from the drift results", () => {
    const joined = joinDecisions(
      [{ logicalId: "AppServer", propertyPath: "/InstanceType", decision: "legitimize" }],
      drifts,
    );

    expect(joined).toEqual({
      ok: true,
      changes: [
        {
          logicalId: "AppServer",
          propertyPath: "/InstanceType",
          decision: "legitimize",
          resourceType: "AWS::EC2::Instance",
          differenceType: "NOT_EQUAL",
          expected: "t3.medium",
          actual: "t3.xlarge",
          expectedProperties: { InstanceType: "t3.medium" },
          actualProperties: { InstanceType: "t3.xlarge" },
        },
      ],
    });
  });

  it("turns a deleted resource into a whole-resource removal", () => {
    const joined = joinDecisions([{ logicalId: "Gone", propertyPath: "", decision: "revert" }], drifts);

    expect(joined.ok && joined.changes[0]).toMatchObject({
      differenceType: "REMOVE",
      expected: { DelaySeconds: 1 },
      actual: null,
    });
  });

  it("names decisions the drift results do not back", () => {
    const joined = joinDecisions(
      [
        { logicalId: "AppServer", propertyPath: "/ImageId", decision: "revert" },
        { logicalId: "Nope", propertyPath: "/X", decision: "revert" },
        {
          logicalId: "Nope",
          propertyPath: "/X",
          decision: "revert",
          differenceType: "NOT_EQUAL",
          expected: 1,
          actual: 2,
        },
      ],
      drifts,
    );

    expect(joined).toEqual({
      ok: false,
      issues: [
        {
          index: 0,
          logicalId: "AppServer",
          propertyPath: "/ImageId",
          message:
            "the drift results report no difference at this path for AppServer (they report /InstanceType)",
        },
        {
          index: 1,
          logicalId: "Nope",
          propertyPath: "/X",
          message: "the drift results have no resource Nope",
        },
      ],
    });
  });
});
