import { z } from "zod";
import { formatIssues } from "../drift/schema.ts";
import { DIFFERENCE_TYPES } from "../drift/types.ts";
import { DECISIONS } from "./types.ts";

/**
 * The decisions a rectification applies, as users and the analyzer write them: a JSON list of
 * `{"logicalId", "propertyPath", "decision", "proposed"?}`, or a Phantom `analysis.json` whose
 * `changes[]` carry `decision` / `proposed` (rows without a decision are left alone). Permissive on
 * extra fields, strict on the ones Phantom reads.
 */

const decision = z.enum(DECISIONS, { error: `must be one of ${DECISIONS.join(", ")}` });
const differenceType = z.enum(DIFFERENCE_TYPES, { error: `must be one of ${DIFFERENCE_TYPES.join(", ")}` });

const row = {
  logicalId: z.string().min(1, "must not be empty"),
  propertyPath: z.string(),
  proposed: z.unknown().optional(),
  differenceType: differenceType.optional(),
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
  resourceType: z.string().optional(),
};

/** One row of a decisions list. */
export const decisionRowSchema = z.looseObject({ ...row, decision });

/** `analysis.json` (DESIGN §4): only `stack` and the rows of `changes[]` are read. */
export const analysisDecisionsSchema = z.looseObject({
  stack: z.string().optional(),
  changes: z.array(z.looseObject({ ...row, decision: decision.optional() })),
});

/** A decided row, as read. */
export type DecisionRow = z.output<typeof decisionRowSchema>;

/** A decisions file read: the decided rows, how many were undecided, and the stack when it names one. */
export type DecisionsResult =
  | { readonly ok: true; readonly rows: DecisionRow[]; readonly undecided: number; readonly stack?: string }
  | { readonly ok: false; readonly issues: string[] };

/** Reads a decisions list or an `analysis.json`, reporting every problem at once. */
export function parseDecisions(json: unknown): DecisionsResult {
  if (Array.isArray(json)) {
    const parsed = z.array(decisionRowSchema).safeParse(json);
    return parsed.success
      ? { ok: true, rows: parsed.data, undecided: 0 }
      : { ok: false, issues: formatIssues(parsed.error, "decisions") };
  }
  if (typeof json === "object" && json !== null && "changes" in json) {
    const parsed = analysisDecisionsSchema.safeParse(json);
    if (!parsed.success) return { ok: false, issues: formatIssues(parsed.error) };
    const rows = parsed.data.changes.flatMap((c) =>
      c.decision === undefined ? [] : [{ ...c, decision: c.decision }],
    );
    return {
      ok: true,
      rows,
      undecided: parsed.data.changes.length - rows.length,
      ...(parsed.data.stack ? { stack: parsed.data.stack } : {}),
    };
  }
  return {
    ok: false,
    issues: [
      '(top level): expected a JSON list of {"logicalId", "propertyPath", "decision", "proposed"?} or a Phantom analysis.json',
    ],
  };
}
