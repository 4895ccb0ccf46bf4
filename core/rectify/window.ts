import type { ResourceDrift } from "../drift/types.ts";
import { joinDecisions } from "./decisions.ts";
import { rectify } from "./rectify.ts";
import { parseDecisions } from "./schema.ts";
import type { RectifyInput, RectifyOutcome } from "./types.ts";

/**
 * Rectifies a settled window: the decisions its `analysis.json` carries (`changes[].decision` and
 * `proposed`; rows without a decision are left alone), joined with the window's drift results, applied
 * to the stack's safe-state template. Replay and the reactor write `result.text` to
 * `rectified/<template path>` and keep `result.revert` beside it.
 */
export function rectifyWindow(input: {
  /** The window report (`analysis.json`), as data. */
  readonly report: unknown;
  readonly drifts: readonly ResourceDrift[];
  readonly template: RectifyInput["template"];
  readonly parameters?: RectifyInput["parameters"];
  readonly region?: string;
}): RectifyOutcome {
  const decisions = parseDecisions(input.report);
  if (!decisions.ok) return { ok: false, issues: decisions.issues.map((message) => ({ message })) };
  const joined = joinDecisions(decisions.rows, input.drifts);
  if (!joined.ok) return joined;
  return rectify({
    template: input.template,
    changes: joined.changes,
    ...(input.parameters ? { parameters: input.parameters } : {}),
    ...(decisions.stack
      ? { stack: { name: decisions.stack, ...(input.region ? { region: input.region } : {}) } }
      : {}),
  });
}
