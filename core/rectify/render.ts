import type { AppliedEdit, RectifyIssue, RectifyResult, RevertPlan } from "./types.ts";

/**
 * Human text for a rectification: what was written where, what a person must do, and the revert
 * plan with its exact command. The CLI prints it on stderr; pull request bodies can reuse it.
 */

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

function editLine(edit: AppliedEdit): string {
  const t = edit.target;
  const where =
    t.kind === "template"
      ? t.path
      : t.kind === "parameter-default"
        ? `Parameters.${t.parameter}.Default`
        : `parameter file ${t.parameter}`;
  const what =
    edit.action === "remove"
      ? "removed"
      : `${edit.action === "add" ? "added" : "set to"} ${shown(edit.value)}`;
  return `${where} ${what} (line ${t.line})`;
}

/** The revert plan: resources, the command, the caveats. */
export function renderRevertPlan(plan: RevertPlan): string {
  const lines = [
    `revert plan: drift-aware change set ${plan.changeSetName} on stack ${plan.stack} (Phantom never executes it)`,
    ...plan.resources.map(
      (r) => `  ${r.logicalId} ${r.propertyPaths.map((p) => p || "(whole resource)").join(", ")}`,
    ),
    "",
    plan.command,
    "",
    ...plan.notes.map((n) => `  - ${n}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** Everything but the template: applied edits, manual items, reverted changes and the plan. */
export function renderRectifySummary(result: RectifyResult): string {
  const editCount = result.applied.reduce((n, a) => n + a.edits.length, 0);
  const lines = [
    `rectify: ${editCount} edit${editCount === 1 ? "" : "s"} for ${result.applied.length} change${result.applied.length === 1 ? "" : "s"}, ` +
      `${result.manual.length} to do by hand, ${result.reverted.length} to revert`,
  ];
  for (const a of result.applied) {
    const edits = a.edits.length === 0 ? ["no edit"] : a.edits.map(editLine);
    lines.push(`  ${a.decision} ${a.logicalId} ${a.propertyPath}: ${edits.join("; ")}`);
    for (const note of a.notes) lines.push(`    note: ${note}`);
  }
  if (result.manual.length > 0) {
    lines.push("manual:");
    for (const m of result.manual) lines.push(`  ${m.decision}: ${m.message}`);
  }
  for (const w of result.warnings) lines.push(`warning: ${w}`);
  return `${lines.join("\n")}\n${result.revert ? renderRevertPlan(result.revert) : ""}`;
}

/** Issues, one per line, naming the change. */
export function renderIssues(issues: readonly RectifyIssue[]): string {
  return issues
    .map((i) =>
      i.index === undefined
        ? i.message
        : `change ${i.index + 1} (${i.logicalId ?? "?"} ${i.propertyPath || "(whole resource)"}): ${i.message}`,
    )
    .join("\n");
}
