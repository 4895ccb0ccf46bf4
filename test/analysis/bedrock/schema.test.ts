import { describe, expect, it } from "vitest";
import {
  ASSESSMENT_TOOL_NAME,
  assessmentJsonSchema,
  MAX_REASONING_CHARS,
  parseAssessment,
  toolSpec,
} from "../../../core/analysis/schema.ts";
import { DECISIONS, SEVERITIES } from "../../../core/analysis/types.ts";
import { analysisContext, DB_CLASS, SSH_RULE, TEAM_TAG } from "./context.ts";

/** Every key used anywhere in a JSON value. */
function keysDeep(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysDeep(v, out);
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keysDeep(v, out);
    }
  }
  return out;
}

const context = analysisContext();

/** The parts of a JSON Schema object node the tests read. */
interface ObjectSchema {
  readonly type: string;
  readonly required: string[];
  readonly additionalProperties: boolean;
  readonly properties: Record<string, Record<string, unknown>>;
}

function rec(changeId: string, extra: Record<string, unknown> = {}) {
  return {
    changeId,
    decision: "revert",
    confidence: 0.8,
    severity: "medium",
    reasoning: "Because.",
    ...extra,
  };
}

describe("toolSpec", () => {
  const spec = toolSpec();
  const json = spec.inputSchema.json as unknown as ObjectSchema & {
    properties: { recommendations: Record<string, unknown> & { items: ObjectSchema } };
  };

  it("names the forced tool and describes it", () => {
    expect(spec.name).toBe(ASSESSMENT_TOOL_NAME);
    expect(spec.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/); // Converse ToolSpecification.name pattern
    expect(spec.description.length).toBeGreaterThan(0); // an empty description is a 400
  });

  it("is a JSON Schema Bedrock accepts: object root, no $schema dialect, no $ref/$defs, plain JSON", () => {
    expect(json.type).toBe("object");
    const keys = keysDeep(json);
    expect(keys.has("$schema")).toBe(false);
    expect(keys.has("$ref")).toBe(false);
    expect(keys.has("$defs")).toBe(false);
    expect(keys.has("definitions")).toBe(false);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it("encodes the zod schema's constraints", () => {
    expect(json.required).toEqual(["recommendations"]);
    expect(json.additionalProperties).toBe(false);
    const list = json.properties.recommendations;
    expect(list).toMatchObject({ type: "array", minItems: 1 });
    const item = list.items;
    expect(item.additionalProperties).toBe(false);
    expect(item.required).toEqual(["changeId", "decision", "confidence", "severity", "reasoning"]);
    expect(item.properties.decision?.enum).toEqual([...DECISIONS]);
    expect(item.properties.severity?.enum).toEqual([...SEVERITIES]);
    expect(item.properties.confidence).toMatchObject({ type: "number", minimum: 0, maximum: 1 });
    expect(item.properties.reasoning).toMatchObject({
      type: "string",
      minLength: 1,
      maxLength: MAX_REASONING_CHARS,
    });
    expect(item.properties.changeId).toMatchObject({ type: "string", minLength: 1 });
    // `proposed` is any JSON value: no type constraint, only a description.
    expect(Object.keys(item.properties.proposed ?? {})).toEqual(["description"]);
    for (const property of Object.values(item.properties)) {
      expect(typeof property.description).toBe("string");
    }
  });

  it("is the same on every call (the cached prefix must not vary)", () => {
    expect(JSON.stringify(toolSpec())).toBe(JSON.stringify(spec));
    expect(assessmentJsonSchema()).toEqual(json);
  });
});

describe("parseAssessment", () => {
  it("accepts one recommendation per change and returns them in the context's order", () => {
    const result = parseAssessment(
      {
        recommendations: [
          rec(TEAM_TAG, { decision: "legitimize", severity: "low" }),
          rec(DB_CLASS, { decision: "refactor", proposed: "db.r5.xlarge" }),
          rec(SSH_RULE, { decision: "revert", severity: "critical" }),
        ],
      },
      context,
    );

    expect(result).toEqual({
      ok: true,
      recommendations: [
        rec(DB_CLASS, { decision: "refactor", proposed: "db.r5.xlarge" }),
        rec(SSH_RULE, { decision: "revert", severity: "critical" }),
        rec(TEAM_TAG, { decision: "legitimize", severity: "low" }),
      ],
    });
  });

  it("keeps proposed only on refactors and drops unknown keys", () => {
    const result = parseAssessment(
      {
        recommendations: [
          rec(DB_CLASS, { decision: "refactor", proposed: { nested: ["value", 1] } }),
          rec(SSH_RULE, { proposed: "ignored for a revert", extra: "dropped" }),
          rec(TEAM_TAG, { decision: "legitimize", proposed: "ignored" }),
        ],
        note: "dropped",
      },
      context,
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.recommendations[0]?.proposed).toEqual({ nested: ["value", 1] });
    expect(result.recommendations[1]).toEqual(rec(SSH_RULE));
    expect(result.recommendations[2]).not.toHaveProperty("proposed");
  });

  it("lists every problem at once: shape, unknown, duplicate and missing ids, refactor without proposed", () => {
    const result = parseAssessment(
      {
        recommendations: [
          rec(DB_CLASS, { decision: "refactor", confidence: 1.2 }),
          rec("Nope/Property"),
          rec(DB_CLASS, { severity: "urgent", reasoning: "x".repeat(MAX_REASONING_CHARS + 1) }),
        ],
      },
      context,
    );

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      "recommendations[0].confidence: Too big: expected number to be <=1",
      'recommendations[2].severity: Invalid option: expected one of "low"|"medium"|"high"|"critical"',
      "recommendations[2].reasoning: Too big: expected string to have <=600 characters",
      "recommendations[0].proposed: a refactor needs the proposed value",
      'recommendations[1].changeId: unknown change id "Nope/Property"',
      `recommendations[2].changeId: duplicate recommendation for "${DB_CLASS}" (also recommendations[0])`,
      `recommendations: missing change id(s) "${SSH_RULE}", "${TEAM_TAG}"`,
    ]);
  });

  it("treats a null proposed on a refactor as missing", () => {
    const result = parseAssessment(
      {
        recommendations: [
          rec(DB_CLASS, { decision: "refactor", proposed: null }),
          rec(SSH_RULE),
          rec(TEAM_TAG),
        ],
      },
      context,
    );

    expect(result).toEqual({
      ok: false,
      issues: ["recommendations[0].proposed: a refactor needs the proposed value"],
    });
  });

  it("rejects input that is not an assessment, with the missing ids", () => {
    for (const input of [undefined, "text", [], { recommendations: "all good" }]) {
      const result = parseAssessment(input, context);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.issues.at(-1)).toBe(
        `recommendations: missing change id(s) "${DB_CLASS}", "${SSH_RULE}", "${TEAM_TAG}"`,
      );
      expect(result.issues.length).toBeGreaterThan(1);
    }
  });

  it("rejects an empty list", () => {
    const result = parseAssessment({ recommendations: [] }, context);

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]).toMatch(/^recommendations: Too small/);
  });
});
