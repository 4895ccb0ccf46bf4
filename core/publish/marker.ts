import { createHash } from "node:crypto";
import type { ChangeFile, PullRequestMarker } from "./ports.ts";

/**
 * The hidden marker a pull request body carries (STYLE "Every write converges"): which stack and
 * window the PR reflects, a fingerprint of the window's changes and the time its state was valid at.
 * Adapters read it back from the open PR to decide, without writing anything, whether a window is a
 * re-run (same fingerprint), older than what the PR shows (stale), or newer (update).
 *
 * Form: `<!-- phantom:stack=<stack> [account=<id> region=<code>] window=<id> fingerprint=<hex>
 * valid-at=<ISO> -->` (the place only for a stack away from the home place). Values are
 * percent-encoded where they hold anything but `A–Z a–z 0–9 . _ ~ : + / @ -`, so a space, `=` or `-->`
 * in a window id can never break the comment. (Prior art: Renovate's `pr-fingerprint`, infracost's
 * comment tag.)
 */

/** Phantom's marker as a whole line: one comment, nothing before or after it on the line. */
const MARKER_LINE = /^<!--[ \t]*phantom:((?:(?!-->)[^\n])*)-->$/;
const SAFE = /[^A-Za-z0-9._~:+/@-]/gu;

/** Lone UTF-16 surrogates (not valid Unicode, so not encodable): replaced by U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function encode(value: string): string {
  return value
    .replace(LONE_SURROGATE, "\uFFFD")
    .replace(SAFE, (c) =>
      encodeURIComponent(c).replace(/[!'()*]/g, (x) => `%${x.charCodeAt(0).toString(16).toUpperCase()}`),
    );
}

function decode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Renders the marker as an HTML comment (invisible in the rendered PR body). */
export function renderMarker(marker: PullRequestMarker): string {
  const place =
    marker.account !== undefined && marker.region !== undefined
      ? ` account=${encode(marker.account)} region=${encode(marker.region)}`
      : "";
  return `<!-- phantom:stack=${encode(marker.stack)}${place} window=${encode(marker.window)} fingerprint=${encode(
    marker.fingerprint,
  )} valid-at=${encode(marker.validAt)}${marker.reviewed ? " reviewed=1" : ""}${marker.sweep ? " sweep=1" : ""} -->`;
}

/**
 * The marker on the last line of `text` (a PR body; trailing whitespace, a CRLF included, is allowed),
 * or `undefined` when that line is not a marker, lacks a field or has an unparseable `valid-at`: such
 * a PR is treated as carrying no marker (it gets updated).
 *
 * Only Phantom's own line counts (issue 15): a body quotes console text (a tag value holding
 * `<!-- phantom:… valid-at=2099… -->`), and a marker taken from anywhere in it would let that text
 * decide the verdict — a far-future `valid-at` froze the PR. Phantom always writes the marker last;
 * an edited body whose last line is something else carries no marker. Linear in the text.
 */
export function parseMarker(text: string): PullRequestMarker | undefined {
  const body = text.trimEnd();
  const lastLine = body.slice(body.lastIndexOf("\n") + 1);
  const inner = MARKER_LINE.exec(lastLine)?.[1];
  if (inner === undefined) return undefined;
  const fields = new Map<string, string>();
  for (const token of inner.trim().split(/\s+/)) {
    const eq = token.indexOf("=");
    if (eq <= 0) continue;
    const value = decode(token.slice(eq + 1));
    if (value !== undefined) fields.set(token.slice(0, eq), value);
  }
  const stack = fields.get("stack");
  const window = fields.get("window");
  const fingerprint = fields.get("fingerprint");
  const validAt = fields.get("valid-at");
  if (!stack || !window || !fingerprint || !validAt || Number.isNaN(Date.parse(validAt))) return undefined;
  const account = fields.get("account");
  const region = fields.get("region");
  return {
    stack,
    ...(account && region ? { account, region } : {}),
    window,
    fingerprint,
    validAt,
    ...(fields.get("reviewed") === "1" ? { reviewed: true } : {}),
    ...(fields.get("sweep") === "1" ? { sweep: true } : {}),
  };
}

/** What a change contributes to the fingerprint: the drift and the decision, not the prose around it. */
export interface FingerprintChange {
  readonly logicalId: string;
  readonly propertyPath: string;
  readonly differenceType?: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
  readonly decision?: string;
  readonly proposed?: unknown;
}

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, stable(v)]));
  }
  return value;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A deterministic fingerprint of a window's changes for one stack: SHA-256 (first 16 hex digits) of
 * the changes' drift facts and decisions, and of the files the PR writes when given. Invariant: the
 * order of changes, files and object keys does not matter, and neither do reasoning, confidence or
 * actors, so re-running a window (even with a model that words things differently) yields the same
 * fingerprint unless what the PR would change differs.
 */
export function changesFingerprint(input: {
  readonly stack: string;
  readonly changes: readonly FingerprintChange[];
  readonly files?: readonly ChangeFile[];
}): string {
  const changes = input.changes
    .map((c) =>
      stable({
        logicalId: c.logicalId,
        propertyPath: c.propertyPath,
        differenceType: c.differenceType,
        expected: c.expected,
        actual: c.actual,
        decision: c.decision,
        proposed: c.proposed,
      }),
    )
    .map((c) => JSON.stringify(c))
    .sort(compare);
  const files = (input.files ?? [])
    .map((f) => [f.path, createHash("sha256").update(f.content).digest("hex")] as const)
    .sort(([a], [b]) => compare(a, b));
  const text = JSON.stringify({ stack: input.stack, changes, files });
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/**
 * What to do with an open PR, given its marker and the incoming window's:
 * - `unchanged`: same fingerprint — a re-run or a redelivery; write nothing;
 * - `stale`: the open PR describes a later state (`valid-at` strictly after the incoming one), or
 *   the same window's review when the incoming is its settle-time analysis, or a PR a window of
 *   events wrote when the incoming is the weekly sweep's; write nothing: an older window never
 *   overwrites a newer PR, a review is never undone, and a sweep (drift without its incident) never
 *   replaces the analysis of the events behind it;
 * - `update`: otherwise (newer or equally recent with other changes, or no readable marker).
 */
export function markerVerdict(
  open: PullRequestMarker | undefined,
  incoming: PullRequestMarker,
): "unchanged" | "stale" | "update" {
  if (open === undefined) return "update";
  if (open.fingerprint === incoming.fingerprint) return "unchanged";
  if (Date.parse(open.validAt) > Date.parse(incoming.validAt)) return "stale";
  if (open.reviewed && !incoming.reviewed && open.window === incoming.window) return "stale";
  if (incoming.sweep && !open.sweep) return "stale";
  return "update";
}
