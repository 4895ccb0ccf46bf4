import type { AnalysisArtifacts, AnalyzedChange, AnalyzedReport } from "../analysis/analyze.ts";
import type { Decision } from "../analysis/types.ts";
import { mention } from "../publish/identities.ts";
import { changesFingerprint, renderMarker } from "../publish/marker.ts";
import type { ChangeFile, PullRequestMarker } from "../publish/ports.ts";
import type { SignalsReport } from "../signals/types.ts";
import type { Place } from "../window/stack.ts";
import { cell, cellCode, codeSpan, markdownJson, mermaidText, prose, visible } from "./inert.ts";

/**
 * The pull request Phantom opens per stack (DESIGN §4): a title, a markdown body rendered from the
 * analysed report by small section renderers (STYLE "Build a serializable report first"), and the
 * files of its single commit. Pure: no clock, no I/O.
 *
 * Every string that came from outside (console text, the analyst's prose, Datadog's names and notes)
 * goes through `./inert.ts`: code spans for values, `prose` for text, `mermaidText` in the timeline,
 * so the body can hold no live mention, no HTML, no second marker and no line a value split.
 */

/** GitHub's pull request body limit, in characters. */
export const GITHUB_BODY_LIMIT = 65_536;

export interface PullRequestBodyOptions {
  /** Observability around the window (incident context, alerts in the timeline). */
  readonly signals?: SignalsReport;
  /** `identities:` from `phantom.yaml`: principal pattern ► GitHub handle. */
  readonly identities?: Readonly<Record<string, string>>;
  /** Default {@link GITHUB_BODY_LIMIT}. */
  readonly maxChars?: number;
  /** The stack's place, when its marker names it (a stack away from home). */
  readonly place?: Place;
}

const DECISION_ORDER: readonly Decision[] = ["revert", "refactor", "legitimize"];

// --- formatting helpers -------------------------------------------------------------------------

/** `2646.1` ► `+$2,646/mo`; `null` ► `unpriced`. */
export function formatMonthly(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return "unpriced";
  const rounded = Math.round(usd);
  const sign = rounded < 0 ? "-" : "+";
  return `${sign}$${Math.abs(rounded).toLocaleString("en-US")}/mo`;
}

const dollars = (usd: number) => `$${Math.round(usd).toLocaleString("en-US")}`;

const code = codeSpan;

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function valueText(value: unknown): string {
  if (value === undefined || value === null) return "(none)";
  return typeof value === "string" ? value : (JSON.stringify(value) ?? "(none)");
}

const shown = (value: unknown, max = 60) => codeSpan(shorten(valueText(value), max));

/** `2026-03-14T03:07:31.000Z` ► `03:07:31`. */
const clock = (iso: string | null | undefined) => (iso ? iso.slice(11, 19) : "?");

const where = (c: Pick<AnalyzedChange, "logicalId" | "propertyPath">) =>
  c.propertyPath === "" ? "(whole resource)" : c.propertyPath;

/** Where drift detection was blind, how the change was found: `(live read)`, `(from the request)`. */
const SOURCE_LABEL: Readonly<Record<NonNullable<AnalyzedChange["source"]>, string>> = {
  cloudcontrol: "live read",
  request: "from the request",
};
const sourceNote = (c: Pick<AnalyzedChange, "source">) => (c.source ? ` (${SOURCE_LABEL[c.source]})` : "");

/** What the change's property becomes once this PR and its revert plan are applied. */
function target(c: AnalyzedChange): unknown {
  if (c.decision === "revert") return c.expected;
  if (c.decision === "refactor") return c.proposed;
  return c.actual;
}

function decisionCounts(report: AnalyzedReport): string {
  const counts = new Map<Decision, number>();
  for (const c of report.changes) counts.set(c.decision, (counts.get(c.decision) ?? 0) + 1);
  return DECISION_ORDER.filter((d) => counts.has(d))
    .map((d) => `${counts.get(d)} ${d}`)
    .join(", ");
}

/** Distinct console events per actor, across the changes, in time order. */
function actorActivity(report: AnalyzedReport) {
  const byActor = new Map<
    string,
    {
      name: string;
      arn?: string;
      console: boolean;
      events: Map<string, { name: string; at: string; on: Set<string> }>;
    }
  >();
  for (const change of report.changes) {
    for (const actor of change.actors) {
      const entry = byActor.get(actor.name) ?? {
        name: actor.name,
        ...(actor.arn ? { arn: actor.arn } : {}),
        console: actor.console,
        events: new Map(),
      };
      for (const e of actor.events) {
        const key = e.eventID ?? `${e.eventName}@${e.eventTime}`;
        const event = entry.events.get(key) ?? { name: e.eventName, at: e.eventTime, on: new Set<string>() };
        event.on.add(change.logicalId);
        entry.events.set(key, event);
      }
      byActor.set(actor.name, entry);
    }
  }
  for (const actor of report.actors) {
    if (!byActor.has(actor.name)) {
      byActor.set(actor.name, {
        name: actor.name,
        ...(actor.arn ? { arn: actor.arn } : {}),
        console: actor.console,
        events: new Map(),
      });
    }
  }
  return [...byActor.values()].map((a) => ({
    ...a,
    events: [...a.events.values()].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0)),
  }));
}

// --- title --------------------------------------------------------------------------------------

/**
 * `phantom: payments-prod drift — 6 revert, 2 refactor (critical, +$2,646/mo)`: the decisions
 * counted in a fixed order (revert, refactor, legitimize), then severity and the drift's monthly cost.
 */
export function pullRequestTitle(report: AnalyzedReport): string {
  const tail = [report.severity, formatMonthly(report.costDelta.deltaMonthlyUsd)].filter(
    (part): part is string => part !== null,
  );
  const counts = decisionCounts(report) || "no changes";
  return `phantom: ${visible(report.stack)} drift — ${counts}${tail.length ? ` (${tail.join(", ")})` : ""}`;
}

// --- section renderers --------------------------------------------------------------------------

interface RenderContext {
  readonly report: AnalyzedReport;
  readonly signals: SignalsReport | undefined;
  readonly identities: Readonly<Record<string, string>>;
  readonly revertCommand: string | undefined;
}

/** Stack, environment, severity, cost, time range and who changed what (mapped actors @-mentioned). */
export function summarySection({ report, identities }: RenderContext): string {
  const w = report.window;
  const cost = report.costDelta;
  const costLine =
    cost.deltaMonthlyUsd === null
      ? "unpriced"
      : `**${formatMonthly(cost.deltaMonthlyUsd)}** over the template` +
        (cost.safeMonthlyUsd !== null && cost.currentMonthlyUsd !== null
          ? ` (${dollars(cost.safeMonthlyUsd)} ► ${dollars(cost.currentMonthlyUsd)} a month)`
          : "") +
        (cost.rectifiedMonthlyUsd !== null && cost.safeMonthlyUsd !== null
          ? `; after this PR ${formatMonthly(cost.rectifiedMonthlyUsd - cost.safeMonthlyUsd)}`
          : "") +
        (cost.unpriced?.length ? `; unpriced: ${cost.unpriced.map(code).join(", ")}` : "");
  const day = w.firstEventAt?.slice(0, 10) ?? w.settledAt.slice(0, 10);
  const lines = [
    "## Summary",
    "",
    `Console changes drifted stack ${code(report.stack)} away from its template. ` +
      `Phantom proposes: **${decisionCounts(report) || "nothing"}**.`,
    "",
    "| | |",
    "|---|---|",
    `| Stack | ${cellCode(report.stack)} |`,
    `| Environment | ${cellCode(report.environment)} |`,
    `| Severity | **${report.severity ?? "none"}**${report.severityScore !== null ? ` (${report.severityScore}/10)` : ""} |`,
    `| Monthly cost | ${cell(costLine)} |`,
    `| Time range | ${day} ${clock(w.firstEventAt)} – ${clock(w.lastEventAt)} UTC (${w.events} event${w.events === 1 ? "" : "s"}; window ${cellCode(w.id)} settled at ${clock(w.settledAt)}, ${w.settledBy === "max-wait" ? "max wait reached" : w.settledBy}) |`,
    `| Analyzer | ${report.analyzer.kind}${report.analyzer.model ? ` (${cell(prose(report.analyzer.model))})` : ""}${report.analyzer.fallbackReason ? ` — ${cell(prose(report.analyzer.fallbackReason))}` : ""} |`,
  ];
  const activity = actorActivity(report);
  if (activity.length > 0) {
    lines.push("", "**Who changed what**", "");
    for (const actor of activity) {
      const did = actor.events.map(
        (e) => `${prose(e.name)} on ${[...e.on].map(prose).join(", ")} at ${prose(clock(e.at))}`,
      );
      lines.push(
        `- ${mention(actor, identities)}${actor.console ? " (console)" : ""}${did.length ? `: ${did.join("; ")}` : ""}`,
      );
    }
  }
  if (report.detection.unverified.length > 0) {
    lines.push(
      "",
      `> [!WARNING]\n> Drift detection could not verify ${report.detection.unverified.map(code).join(", ")}: check them by hand.`,
    );
  }
  return lines.join("\n");
}

/** One row per change: resource, property, live ► proposed, decision, confidence, severity, cost. */
export function changesSection(changes: readonly AnalyzedChange[], omitted: number): string {
  const lines = [
    "## Changes",
    "",
    "| Resource | Property | Live ► proposed | Decision | Confidence | Severity | Monthly cost |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const c of changes) {
    const cost =
      c.cost.deltaMonthlyUsd === null
        ? "unpriced"
        : Math.round(c.cost.deltaMonthlyUsd) === 0
          ? "–"
          : c.decision !== "revert" &&
              c.cost.rectifiedMonthlyUsd !== undefined &&
              c.cost.rectifiedMonthlyUsd !== null &&
              c.cost.safeMonthlyUsd !== null
            ? `${formatMonthly(c.cost.deltaMonthlyUsd)} ► ${formatMonthly(c.cost.rectifiedMonthlyUsd - c.cost.safeMonthlyUsd)}`
            : formatMonthly(c.cost.deltaMonthlyUsd);
    lines.push(
      `| ${cell(`${code(c.logicalId)} (${prose(c.resourceType)})`)} | ${cell(`${code(where(c))}${sourceNote(c)}`)} | ${cell(
        `${shown(c.actual)} ► ${shown(target(c))}`,
      )} | **${c.decision}**${c.guardrail ? " 🛡️" : ""} | ${c.confidence.toFixed(2)} | ${c.severity} | ${cell(cost)} |`,
    );
  }
  if (omitted > 0) lines.push("", `… ${omitted} more change${omitted === 1 ? "" : "s"} in analysis.json`);
  return lines.join("\n");
}

/** Why each decision; long reasoning is folded and cut at `limit` when given. */
export function reasoningSection(changes: readonly AnalyzedChange[], limit?: number): string {
  const lines = ["## Reasoning", ""];
  for (const c of changes) {
    const head = `**${prose(c.logicalId)}** ${code(where(c))} — ${c.decision}${
      c.decision === "refactor" ? ` to ${shown(c.proposed)}` : ""
    }`;
    const basis = c.severityReason
      ? ` Severity ${c.severity} (${c.severityReason.basis}): ${c.severityReason.detail}.`
      : "";
    const text = `${c.reasoning.replace(/\r?\n+/g, " ").trim()}${basis}`;
    if (limit !== undefined && text.length > limit) {
      lines.push(
        `- ${head}`,
        "  <details><summary>reasoning</summary>",
        "",
        `  ${prose(shorten(text, limit))} (full text in analysis.json)`,
        "",
        "  </details>",
      );
    } else {
      lines.push(`- ${head}: ${prose(text)}`);
    }
  }
  return lines.join("\n");
}

function number(value: number | undefined, unit: string | undefined): string {
  if (value === undefined) return "–";
  const abs = Math.abs(value);
  if (unit === "bytes" && abs >= 1e6) {
    const [div, suffix] = abs >= 1e9 ? [1e9, "GB"] : [1e6, "MB"];
    return `${(value / div).toFixed(1)} ${suffix}`;
  }
  const text = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return unit === "percent" ? `${text} %` : text;
}

/** Monitors that fired and key metrics before / during / after the window. */
export function incidentSection(signals: SignalsReport | undefined): string | undefined {
  if (
    !signals ||
    (signals.monitors.length === 0 && signals.metrics.length === 0 && signals.notes.length === 0)
  )
    return undefined;
  const lines = ["## Incident context"];
  if (signals.monitors.length > 0) {
    lines.push("", "| Monitor | Status | Triggered | Resolved |", "|---|---|---|---|");
    for (const m of signals.monitors) {
      lines.push(
        `| ${cellCode(m.name)}${m.group ? ` (${cellCode(m.group)})` : ""} | ${cell(prose(m.status))}${m.priority !== undefined ? ` P${m.priority}` : ""} | ${cell(prose(clock(m.triggeredAt)))} | ${m.resolvedAt ? cell(prose(clock(m.resolvedAt))) : "open"} |`,
      );
    }
  }
  if (signals.metrics.length > 0) {
    lines.push("", "| Resource | Metric | Before | During | After |", "|---|---|---|---|---|");
    for (const m of signals.metrics) {
      lines.push(
        `| ${cellCode(m.resource)} | ${cell(prose(m.metric))} | ${number(m.before, m.unit)} | ${number(m.during ?? m.peak, m.unit)} | ${number(m.after, m.unit)} |`,
      );
    }
  }
  if (signals.notes.length > 0)
    lines.push("", ...signals.notes.map((n) => `> ${prose(n.replace(/\r?\n/g, " "))}`));
  return lines.join("\n");
}

/** `2026-03-14T03:07:31.000Z` ► `2026-03-14 03:07:31` (the gantt's `dateFormat`). */
const ganttTime = (iso: string) => iso.replace("T", " ").slice(0, 19);

/** The window, the alerts and the console events on one time axis (GitHub renders Mermaid). */
export function timelineSection(
  report: AnalyzedReport,
  signals: SignalsReport | undefined,
): string | undefined {
  const events = actorActivity(report).flatMap((a) => a.events.map((e) => ({ ...e, who: a.name })));
  events.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
  const valid = (iso: string | undefined): iso is string =>
    iso !== undefined && !Number.isNaN(Date.parse(iso));
  const monitors = (signals?.monitors ?? []).filter((m) => valid(m.triggeredAt));
  if (events.length === 0 && monitors.length === 0) return undefined;
  const iso = (t: string) => new Date(Date.parse(t)).toISOString();
  const lines = [
    "## Timeline",
    "",
    "```mermaid",
    "gantt",
    `  title ${mermaidText(`${report.stack} window ${report.window.id} (UTC)`)}`,
    "  dateFormat YYYY-MM-DD HH:mm:ss",
    "  axisFormat %H:%M",
    "  todayMarker off",
  ];
  if (monitors.length > 0) {
    lines.push("  section Alerts");
    monitors.forEach((m, i) => {
      const start = iso(m.triggeredAt);
      const resolved = valid(m.resolvedAt) ? iso(m.resolvedAt) : report.window.settledAt;
      // ISO-8601 strings in one zone sort as text; an alert never ends before it starts.
      const end = [start, resolved].sort()[1] ?? start;
      const crit = m.status.toLowerCase() === "alert" ? "crit, " : "";
      lines.push(
        `  ${mermaidText(shorten(m.name, 60))} :${crit}alert${i + 1}, ${ganttTime(start)}, ${ganttTime(end)}`,
      );
    });
  }
  if (events.length > 0) {
    lines.push("  section Console");
    events.forEach((e, i) => {
      lines.push(
        `  ${mermaidText(shorten(`${e.name} on ${[...e.on].join(", ")}`, 80))} :milestone, event${i + 1}, ${ganttTime(iso(e.at))}, 1s`,
      );
    });
  }
  lines.push(
    "  section Phantom",
    `  window ${mermaidText(report.window.id)} :active, window, ${ganttTime(report.window.openedAt)}, ${ganttTime(report.window.settledAt)}`,
    "```",
  );
  return lines.join("\n");
}

/** What merging does, and the drift-aware change set for what is reverted. */
export function revertSection(report: AnalyzedReport, command: string | undefined): string | undefined {
  const reverted = report.changes.filter((c) => c.decision === "revert").length;
  const written = report.changes.length - reverted;
  const lines = ["## Revert plan", ""];
  if (report.rectified?.changed) {
    lines.push(
      `Merging this PR writes ${written} decision${written === 1 ? "" : "s"} into ${code(report.rectified.path ?? "the template")} (${report.rectified.applied} applied).`,
    );
  } else if (written === 0) {
    lines.push("Every change is reverted: the template stays as it is and this PR only records the drift.");
  }
  if (command === undefined) {
    if (reverted === 0) return lines.length > 2 ? lines.join("\n") : undefined;
    lines.push(
      "",
      `${reverted} change${reverted === 1 ? " is" : "s are"} reverted, but no revert plan could be built.`,
    );
    return lines.join("\n");
  }
  // The command's lines are Phantom's; within each, controls are escaped (the fence is longer than any run).
  const shownCommand = command.split("\n").map(visible).join("\n");
  const fence = "`".repeat(Math.max(3, ...(shownCommand.match(/`+/g) ?? []).map((r) => r.length + 1)));
  lines.push(
    "",
    `To restore the ${reverted} reverted propert${reverted === 1 ? "y" : "ies"} on the live stack, create the drift-aware change set` +
      `${report.revertPlan ? ` ${code(report.revertPlan.changeSetName)}` : ""}, review it, then execute it (Phantom never executes it):`,
    "",
    `${fence}sh`,
    shownCommand,
    fence,
  );
  for (const note of report.revertPlan?.notes ?? [])
    lines.push("", `> ${prose(note.replace(/\r?\n/g, " "))}`);
  return lines.join("\n");
}

/** Decisions the guardrails changed, and templates the rectifier could not edit. */
export function guardrailSection(
  report: AnalyzedReport,
  changes: readonly AnalyzedChange[],
): string | undefined {
  const guarded = changes.filter((c) => c.guardrail);
  const issues = report.rectified?.issues ?? [];
  if (guarded.length === 0 && issues.length === 0) return undefined;
  const lines = ["## Guardrails", ""];
  for (const c of guarded) {
    const g = c.guardrail;
    if (!g) continue;
    lines.push(
      `- **${prose(c.logicalId)}** ${code(where(c))}: the analyzer chose ${g.overridden}; guardrail ${code(g.rule)} made it **${c.decision}** — ${prose(g.reason)}`,
    );
  }
  for (const issue of issues)
    lines.push(`- The template could not be rectified: ${prose(issue.replace(/\r?\n/g, " "))}`);
  return lines.join("\n");
}

/** What a person must edit by hand (Phantom never overwrites an intrinsic function). */
export function manualSection(
  report: AnalyzedReport,
  changes: readonly AnalyzedChange[],
): string | undefined {
  const notes = [
    ...new Set([
      ...changes.flatMap((c) => (c.manual ? [c.manual] : [])),
      ...(report.rectified?.manual ?? []),
    ]),
  ];
  if (notes.length === 0) return undefined;
  return ["## Manual edits", "", ...notes.map((n) => `- [ ] ${prose(n.replace(/\r?\n/g, " "))}`)].join("\n");
}

/** The whole `analysis.json`, folded. */
export function analysisSection(report: AnalyzedReport, form: "pretty" | "compact" | "none"): string {
  if (form === "none") {
    return "<details><summary>Full analysis</summary>\n\nOmitted to stay under GitHub's body limit: see `analysis.json` in the window's output.\n\n</details>";
  }
  const json = markdownJson(form === "pretty" ? JSON.stringify(report, null, 2) : JSON.stringify(report));
  const fence = "`".repeat(Math.max(3, ...(json.match(/`+/g) ?? []).map((r) => r.length + 1)));
  return `<details><summary>Full analysis (analysis.json)</summary>\n\n${fence}json\n${json}\n${fence}\n\n</details>`;
}

// --- body ---------------------------------------------------------------------------------------

/**
 * The marker the body ends with, and that the `ChangeRequests` request carries; with `place` (a stack
 * away from home, see `pullRequestBranch`) it names the account and region too.
 */
export function pullRequestMarker(report: AnalyzedReport, place?: Place): PullRequestMarker {
  return {
    stack: report.stack,
    ...(place ? { account: place.account, region: place.region } : {}),
    window: report.window.id,
    fingerprint: changesFingerprint({ stack: report.stack, changes: report.changes }),
    validAt: report.window.lastEventAt ?? report.window.settledAt,
    ...(report.window.settledBy === "review" ? { reviewed: true } : {}),
    ...(report.window.settledBy === "sweep" ? { sweep: true } : {}),
  };
}

interface Shape {
  readonly json: "pretty" | "compact" | "none";
  readonly reasoningLimit?: number;
  readonly rows: number;
}

function render(ctx: RenderContext, shape: Shape, marker: string): string {
  const changes = ctx.report.changes.slice(0, shape.rows);
  const omitted = ctx.report.changes.length - changes.length;
  const sections = [
    summarySection(ctx),
    changesSection(changes, omitted),
    reasoningSection(changes, shape.reasoningLimit),
    incidentSection(ctx.signals),
    timelineSection(ctx.report, ctx.signals),
    revertSection(ctx.report, ctx.revertCommand),
    guardrailSection(ctx.report, changes),
    manualSection(ctx.report, changes),
    analysisSection(ctx.report, shape.json),
  ].filter((s): s is string => s !== undefined);
  return `${sections.join("\n\n")}\n\n${marker}\n`;
}

const REASONING_LIMIT = 280;

/**
 * The PR body: summary, changes table, reasoning, incident context, Mermaid timeline, revert plan,
 * guardrails, manual edits, the folded full analysis and, as the last line, the marker.
 *
 * Invariant: at most `maxChars` characters, and the marker always survives. Over the limit, in this
 * order: the folded JSON is compacted, then dropped with a note; long reasoning is folded and cut;
 * table rows are cut with a "… N more changes in analysis.json" line; as a last resort the text
 * before the marker is cut.
 * @see https://docs.github.com/rest/pulls/pulls#create-a-pull-request (body limit 65,536 characters)
 */
export function pullRequestBody(report: AnalyzedReport, options: PullRequestBodyOptions = {}): string {
  const maxChars = options.maxChars ?? GITHUB_BODY_LIMIT;
  const ctx: RenderContext = {
    report,
    signals: options.signals,
    identities: options.identities ?? {},
    revertCommand: report.revertPlan?.command,
  };
  const marker = renderMarker(pullRequestMarker(report, options.place));
  const all = report.changes.length;
  const fits = (shape: Shape) => {
    const body = render(ctx, shape, marker);
    return body.length <= maxChars ? body : undefined;
  };
  for (const shape of [
    { json: "pretty", rows: all },
    { json: "compact", rows: all },
    { json: "none", rows: all },
    { json: "none", rows: all, reasoningLimit: REASONING_LIMIT },
  ] as const) {
    const body = fits(shape);
    if (body !== undefined) return body;
  }
  // Cut table rows: the most rows that fit (binary search; fewer rows never render longer).
  let lo = 0;
  let hi = all;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits({ json: "none", rows: mid, reasoningLimit: REASONING_LIMIT }) !== undefined) lo = mid;
    else hi = mid - 1;
  }
  const body = fits({ json: "none", rows: lo, reasoningLimit: REASONING_LIMIT });
  if (body !== undefined) return body;
  const note = "\n\n… cut to stay under GitHub's body limit: see analysis.json.\n\n";
  const text = render(ctx, { json: "none", rows: 0, reasoningLimit: REASONING_LIMIT }, "");
  const room = Math.max(0, maxChars - marker.length - note.length - 1);
  let cut = text.slice(0, room);
  let tail = closing(cut);
  while (cut.length > 0 && cut.length + tail.length > room) {
    cut = cut.slice(0, Math.max(0, room - tail.length));
    tail = closing(cut);
  }
  return `${cut}${tail}${note}${marker}\n`.slice(-maxChars);
}

/**
 * What closes the fenced code block and the `<details>` folds a cut left open, so the note and the
 * marker after it are read as written, not as code or inside a fold. Phantom's own fences and folds
 * start their lines; console text never does (it is in code spans, prose or escaped labels).
 */
function closing(text: string): string {
  let fence: string | undefined;
  for (const line of text.split("\n")) {
    const run = /^ {0,3}(`{3,})/.exec(line)?.[1];
    if (run === undefined) continue;
    if (fence === undefined) fence = run;
    else if (run.length >= fence.length && line.trim() === run) fence = undefined;
  }
  const open = (text.match(/^\s*<details>/gm)?.length ?? 0) - (text.match(/^\s*<\/details>/gm)?.length ?? 0);
  return `${fence ? `\n${fence}` : ""}${"\n\n</details>".repeat(Math.max(0, open))}`;
}

// --- files --------------------------------------------------------------------------------------

/** `.phantom/drift/<stack>/<window-id>.json`. */
export function driftRecordPath(report: Pick<AnalyzedReport, "stack" | "window">): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");
  return `.phantom/drift/${safe(report.stack)}/${safe(report.window.id)}.json`;
}

/**
 * The drift record the PR always commits: what drifted, what was decided, and the revert plan with
 * its CreateChangeSet API input (`revert.input`). For a revert-only window it is the PR's only file.
 * Deterministic: the same window yields the same bytes.
 */
export function driftRecord(report: AnalyzedReport, artifacts: AnalysisArtifacts): ChangeFile {
  const record = {
    stack: report.stack,
    window: {
      id: report.window.id,
      firstEventAt: report.window.firstEventAt,
      lastEventAt: report.window.lastEventAt,
      settledAt: report.window.settledAt,
    },
    environment: report.environment,
    severity: report.severity,
    costDelta: report.costDelta,
    actors: report.actors,
    changes: report.changes.map((c) => ({
      logicalId: c.logicalId,
      resourceType: c.resourceType,
      physicalId: c.physicalId,
      propertyPath: c.propertyPath,
      differenceType: c.differenceType,
      expected: c.expected,
      actual: c.actual,
      ...(c.source ? { source: c.source } : {}),
      ...(c.attachment ? { attachment: c.attachment } : {}),
      decision: c.decision,
      ...(c.proposed !== undefined ? { proposed: c.proposed } : {}),
      confidence: c.confidence,
      severity: c.severity,
      ...(c.guardrail ? { guardrail: c.guardrail.rule } : {}),
    })),
    ...(artifacts.revert
      ? {
          revert: {
            changeSetName: artifacts.revert.changeSetName,
            command: artifacts.revert.command,
            input: artifacts.revert.input,
          },
        }
      : {}),
  };
  return { path: driftRecordPath(report), content: `${JSON.stringify(record, null, 2)}\n` };
}

/**
 * The files of the PR's single commit: the rectified template at its repository path when the
 * rectification changed it, the rectified parameter file when there is one, and the drift record.
 */
export function pullRequestFiles(report: AnalyzedReport, artifacts: AnalysisArtifacts): ChangeFile[] {
  return [
    ...(artifacts.template?.changed
      ? [{ path: artifacts.template.path, content: artifacts.template.text }]
      : []),
    ...(artifacts.parameters
      ? [{ path: artifacts.parameters.path, content: artifacts.parameters.text }]
      : []),
    driftRecord(report, artifacts),
  ];
}
