import { z } from "zod";
import { type AnalysisContext, DECISIONS, type Recommendation, SEVERITIES } from "./types.ts";

/**
 * What the model must answer, as a zod schema: the input of the one tool the Bedrock analyzer forces
 * (`record_drift_assessment`). The same schema yields the tool's JSON Schema (`toolSpec()`) and
 * validates the answer (`parseAssessment()`), so the two cannot disagree.
 *
 * The model is a semi-trusted source: the JSON Schema is strict (no extra properties) to steer it,
 * while parsing strips unknown keys rather than failing on them; everything that matters (ids,
 * ranges, lengths, `proposed` on a refactor) is checked, and every problem is reported at once so
 * one repair turn can fix them all.
 */

/** The forced tool's name. */
export const ASSESSMENT_TOOL_NAME = "record_drift_assessment";

/** Longest `reasoning` accepted: one or two sentences with the evidence. */
export const MAX_REASONING_CHARS = 600;

/** One recommendation, as the model writes it. */
export const recommendationSchema = z.object({
  changeId: z
    .string()
    .min(1)
    .describe("The `id` of one entry of `changes` in the data block, copied exactly."),
  decision: z
    .enum(DECISIONS)
    .describe(
      "legitimize: update the template to the live value. revert: restore the template value. " +
        "refactor: keep the direction of the change but write a better value in `proposed`.",
    ),
  proposed: z
    .unknown()
    .optional()
    .describe(
      "Only for refactor, and then required: the value to write into the template, valid for the " +
        "property (same type and shape as `expected`/`actual`). Omit for legitimize and revert.",
    ),
  confidence: z.number().min(0).max(1).describe("How sure you are, 0 to 1."),
  severity: z
    .enum(SEVERITIES)
    .describe("Risk of the drift as it stands: security, data safety, cost, weighed by environment."),
  reasoning: z
    .string()
    .min(1)
    .max(MAX_REASONING_CHARS)
    .describe(
      `One or two sentences (at most ${MAX_REASONING_CHARS} characters) with the evidence: the given ` +
        "cost figures, monitors, metrics and policy. Never invent figures.",
    ),
});

/** The tool input: one recommendation per change of the window. */
export const assessmentSchema = z
  .object({
    recommendations: z
      .array(recommendationSchema)
      .min(1)
      .describe("Exactly one recommendation per entry of `changes`, no more, no fewer."),
  })
  .describe("Your assessment of every drifted property in the window.");

/** The tool input after parsing (unknown keys stripped). */
export type AssessmentInput = z.output<typeof assessmentSchema>;

/** A JSON Schema object, as Converse carries it in `inputSchema.json` (a Smithy document). */
export type JsonSchemaObject = { readonly [key: string]: unknown };

/** The Converse `Tool.toolSpec` member for the forced tool. */
export interface AssessmentToolSpec {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: { readonly json: JsonSchemaObject };
}

/**
 * The tool's JSON Schema, generated from `assessmentSchema` by zod 4's `z.toJSONSchema`.
 *
 * Invariants (tested): the root is `type: "object"` (Converse rejects any other root with
 * "inputSchema.json.type must be one of the following: object"); no `$schema` key (Claude validates
 * tool schemas as JSON Schema 2020-12 and rejects schemas declaring another dialect such as
 * draft-07, and none is needed); no `$ref`/`$defs` (nothing is reused); objects closed with
 * `additionalProperties: false`. `strict` tool use is not requested: constrained decoding rejects
 * ordinary keywords such as `maxLength`/`minimum` on Claude, and zod validation covers them.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolInputSchema.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html
 */
export function assessmentJsonSchema(): JsonSchemaObject {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(assessmentSchema, {
    target: "draft-2020-12",
    io: "output",
  });
  return schema;
}

/**
 * The Converse `toolSpec` of the one tool the model must call (forced with
 * `toolChoice: {tool: {name}}`), its `inputSchema.json` generated from the zod schema.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolSpecification.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolChoice.html
 */
export function toolSpec(): AssessmentToolSpec {
  return {
    name: ASSESSMENT_TOOL_NAME,
    description:
      "Record the decision for every drifted property of the window: legitimize, revert or refactor, " +
      "with confidence, severity and the evidence. Call it exactly once, covering every change id.",
    inputSchema: { json: assessmentJsonSchema() },
  };
}

/** `parseAssessment`'s outcome: the recommendations, or every problem with its path. */
export type AssessmentResult =
  | { readonly ok: true; readonly recommendations: readonly Recommendation[] }
  | { readonly ok: false; readonly issues: readonly string[] };

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path.reduce<string>(
    (out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    "",
  );
}

/** The answer's items, read leniently so cross-field problems (ids, `proposed`) are reported even
 * when other fields are malformed. */
function answeredItems(input: unknown): { index: number; item: Record<string, unknown> }[] {
  if (typeof input !== "object" || input === null) return [];
  const list = (input as { recommendations?: unknown }).recommendations;
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown, index) =>
    typeof item === "object" && item !== null ? [{ index, item: item as Record<string, unknown> }] : [],
  );
}

/**
 * Validates the model's tool input against the context: the shape (zod), then that every
 * `changes[].id` of the context gets exactly one recommendation (unknown, missing and duplicate ids
 * are issues) and that every refactor carries a `proposed` value. Every problem is listed at once,
 * each with its path (`recommendations[1].confidence: …`), so a single repair turn can fix them all.
 *
 * On success the recommendations come back in the context's change order; `proposed` is kept only
 * on refactors (legitimize writes the live value, revert the template's).
 */
export function parseAssessment(input: unknown, context: Pick<AnalysisContext, "changes">): AssessmentResult {
  const issues: string[] = [];
  const parsed = assessmentSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) issues.push(`${formatPath(issue.path)}: ${issue.message}`);
  }

  const expected = new Set(context.changes.map((c) => c.id));
  const seen = new Map<string, number>();
  for (const { index, item } of answeredItems(input)) {
    if (item.decision === "refactor" && (item.proposed === undefined || item.proposed === null)) {
      issues.push(`recommendations[${index}].proposed: a refactor needs the proposed value`);
    }
    const id = item.changeId;
    if (typeof id !== "string") continue;
    const first = seen.get(id);
    if (!expected.has(id)) {
      issues.push(`recommendations[${index}].changeId: unknown change id ${JSON.stringify(id)}`);
    } else if (first !== undefined) {
      issues.push(
        `recommendations[${index}].changeId: duplicate recommendation for ${JSON.stringify(id)} ` +
          `(also recommendations[${first}])`,
      );
    } else {
      seen.set(id, index);
    }
  }
  const missing = [...expected].filter((id) => !seen.has(id));
  if (missing.length > 0) {
    issues.push(
      `recommendations: missing change id(s) ${missing.map((id) => JSON.stringify(id)).join(", ")}`,
    );
  }

  if (!parsed.success || issues.length > 0) return { ok: false, issues };

  const byId = new Map(parsed.data.recommendations.map((r) => [r.changeId, r]));
  const recommendations = context.changes.flatMap((change): Recommendation[] => {
    const r = byId.get(change.id);
    if (r === undefined) return [];
    const { proposed, ...rest } = r;
    return [r.decision === "refactor" ? { ...rest, proposed } : rest];
  });
  return { ok: true, recommendations };
}
