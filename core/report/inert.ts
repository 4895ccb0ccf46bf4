/**
 * Untrusted text, rendered inert (issue 15). Anyone with console access writes tag keys and values,
 * descriptions, names, rule descriptions, Datadog monitor names and notes; the analyst may echo them.
 * Such text reaches a pull request, a log line or a terminal only through these functions, so it can
 * never mention a team, inject HTML, forge the PR marker, split a table row or a Mermaid line, or
 * move a terminal's cursor. Pure: no I/O.
 *
 * The rules (docs/architecture.md, "Pull request"):
 * - **Controls are escaped visibly** everywhere, code spans included: C0 (`\n`, `\r`, `\t` by name,
 *   the rest as `\u00XX`), DEL, C1, U+2028/U+2029 and the bidi embeddings, overrides and isolates
 *   (U+202A–202E, U+2066–2069), which reorder what a reviewer reads. The escapes are JSON's, so the
 *   same text is valid inside a JSON string.
 * - **Markdown**: console text goes in a code span whose backtick fence is longer than any backtick
 *   run inside (padded with a space when the text starts or ends with a backtick); in a table cell
 *   every `|` is escaped too (GitHub splits cells on `|` even inside code spans, and its scanner takes
 *   `\|` whole, so an escaped pipe never splits). Outside code, `<`, `>` and `&` become `&lt;`,
 *   `&gt;`, `&amp;` and `@` becomes `&#64;`.
 * - **Mentions**: GitHub finds mentions in the rendered text, after entities are decoded, so `&#64;team`
 *   still pings and `\@team` too (github/markup#1168). What does not ping is a zero-width space
 *   (U+200B) between `@` and the name (Renovate and Dependabot do the same): outside code an `@` that
 *   could start a mention is written `&#64;&#8203;`; inside a code span (where GitHub links no mention,
 *   but the plain-text e-mail of the body would) it is followed by a raw U+200B. An `@` inside a word
 *   (`sam@example.com`) cannot start a mention and is left as it is.
 * - **Mermaid** (the gantt timeline): the characters its lexer acts on in a task line (`:` ends the
 *   name, `#` and `%%` start comments, `#…;` is an entity code, `"`, `<br>` and other HTML, `&`,
 *   braces, backticks) are replaced by their full-width forms (`%` only before another `%`), a
 *   mention's `@` is followed by U+200B, and a name that begins with a gantt keyword (`section`,
 *   `click`, `title`, …, case-insensitive) or a date gets its first character in full width, so it
 *   stays a task name.
 * - **Terminal**: no control character but the newline (and tab, and the CR of a CRLF) reaches
 *   stdout or stderr, so no ESC/CSI/OSC sequence either.
 */

/** Every character escaped in console text: C0, DEL, C1, line/paragraph separators, bidi controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** What a terminal may receive raw: newline, tab, and CR only in CRLF; everything else in UNSAFE is escaped. */
const TERMINAL_UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** What JSON.stringify leaves raw and a reader may still act on: DEL, C1, U+2028/2029, bidi controls. */
const JSON_RAW = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

const hex4 = (c: string) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;
const escapeChar = (c: string) => NAMED[c] ?? hex4(c);

/** Every control and line-separator character escaped visibly (`\n`, `\r`, `\t`, `\u001b`, `\u2028`...). */
export function visible(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * Text as a terminal may show it: control characters escaped visibly except the newline, the tab and
 * the CR of a CRLF. Idempotent. The output of JSON.stringify stays valid JSON with the same value: the
 * only characters it leaves raw that are escaped here (DEL, C1, U+2028/2029, bidi controls) sit inside
 * strings, and the escapes are JSON's.
 */
export function terminalText(text: string): string {
  return text.replace(TERMINAL_UNSAFE, escapeChar);
}

/**
 * JSON text (from JSON.stringify) with what it leaves raw escaped as `\uXXXX`: DEL, C1, U+2028/2029 and
 * the bidi controls. The same value, still valid JSON, safe for a log line or a terminal.
 */
export function inertJson(json: string): string {
  return json.replace(JSON_RAW, hex4);
}

/** An `@` that could start a GitHub mention: not after a word character, before a login character. */
const MENTION_AT = /(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])/g;

/**
 * JSON for a fenced block of the PR body: {@link inertJson}, and `<`, `>` and a mention's `@` as
 * `\u003c`, `\u003e`, `\u0040` (the same value), so not even the plain text of the body holds a tag,
 * a comment that looks like the marker, or a mention.
 */
export function markdownJson(json: string): string {
  return inertJson(json).replace(/[<>]/g, hex4).replace(MENTION_AT, "\\u0040");
}

const longestRun = (text: string) => Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));

/**
 * A Markdown code span holding `text` as data: controls escaped, a mention's `@` followed by U+200B,
 * a fence one backtick longer than the longest run inside, padded when the text starts or ends with a
 * backtick (or starts and ends with a space, which CommonMark would strip). Empty text is one space.
 */
export function codeSpan(text: string): string {
  const t = visible(text).replace(MENTION_AT, "@\u200B") || " ";
  const fence = "`".repeat(longestRun(t) + 1);
  const pad =
    t.startsWith("`") || t.endsWith("`") || (t.startsWith(" ") && t.endsWith(" ") && t.trim() !== "")
      ? " "
      : "";
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** Markdown (already inert) for a GFM table cell: every `|` escaped, code spans included. */
export function cell(markdown: string): string {
  return markdown.replace(/\|/g, "\\|");
}

/** {@link codeSpan} for a table cell. */
export function cellCode(text: string): string {
  return cell(codeSpan(text));
}

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;

/** Outside code: `<`, `>`, `&` as entities; `@` as `&#64;`, plus a zero-width space before a name. */
function neutral(c: string, before: string | undefined, after: string | undefined): string {
  if (c === "<") return "&lt;";
  if (c === ">") return "&gt;";
  if (c === "&") return "&amp;";
  const mention =
    (before === undefined || !/[A-Za-z0-9_]/.test(before)) &&
    after !== undefined &&
    /[A-Za-z0-9]/.test(after);
  return mention ? "&#64;&#8203;" : "&#64;";
}

/** The run of `c` starting at `i`. */
function runAt(text: string, i: number, c: string): number {
  let j = i;
  while (text[j] === c) j++;
  return j - i;
}

/** Where the next backtick run of exactly `n` starts at or after `from`, or -1. */
function closingRun(text: string, from: number, n: number): number {
  let i = text.indexOf("`", from);
  while (i !== -1) {
    const run = runAt(text, i, "`");
    if (run === n) return i;
    i = text.indexOf("`", i + run);
  }
  return -1;
}

/**
 * Prose that may carry Markdown (the analyst's reasoning, a note, a guardrail's reason): one line, its
 * code spans re-emitted by {@link codeSpan}, and outside them `<`, `>`, `&`, `@` neutralised and stray
 * backticks escaped. Emphasis and links still render; HTML, comments and mentions never do. Every
 * backtick in the result belongs to a code span this function wrote, so GitHub parses it as read here.
 */
export function prose(text: string): string {
  const t = visible(text);
  if (!/[\\`<>&@]/.test(t)) return t;
  let out = "";
  let i = 0;
  while (i < t.length) {
    const c = t[i] as string;
    const next = t[i + 1];
    if (c === "\\" && next !== undefined && ASCII_PUNCTUATION.test(next)) {
      // A backslash escape: kept, except that `\<` and friends become the entity of the character.
      out += "<>&@".includes(next) ? neutral(next, t[i - 1], t[i + 2]) : `\\${next}`;
      i += 2;
      continue;
    }
    if (c === "`") {
      const n = runAt(t, i, "`");
      const close = closingRun(t, i + n, n);
      if (close === -1) {
        out += "\\`".repeat(n);
        i += n;
        continue;
      }
      let content = t.slice(i + n, close);
      if (content.startsWith(" ") && content.endsWith(" ") && content.trim() !== "")
        content = content.slice(1, -1);
      out += codeSpan(content);
      i = close + n;
      continue;
    }
    // A lone trailing backslash would escape whatever the caller appends: doubled.
    out += "<>&@".includes(c) ? neutral(c, t[i - 1], next) : c === "\\" && next === undefined ? "\\\\" : c;
    i++;
  }
  return out;
}

/** `:` ► `：` and so on: the full-width form of a printable ASCII character. */
const fullWidth = (c: string) => String.fromCharCode(c.charCodeAt(0) + 0xfee0);

/** The gantt lexer's keywords: a task name that begins with one would become that statement. */
const GANTT_KEYWORD =
  /^(?:gantt|title|section|dateformat|axisformat|tickinterval|includes|excludes|todaymarker|inclusiveenddates|topaxis|weekday|weekend|click|href|call|acctitle|accdescr|accdescription|displaymode)|^\d{4}-\d\d-\d\d/i;

/**
 * A label for a Mermaid gantt task or title: one line (controls escaped), with every character the
 * gantt lexer acts on replaced by its full-width form, a mention's `@` followed by U+200B, and never
 * beginning with a keyword or a date.
 */
export function mermaidText(text: string): string {
  const t = visible(text)
    .replace(/[:#;"`<>&{}]|%(?=%)/g, fullWidth)
    .replace(MENTION_AT, "@\u200B")
    .trim();
  if (t === "") return "(unnamed)";
  return GANTT_KEYWORD.test(t) ? `${fullWidth(t[0] as string)}${t.slice(1)}` : t;
}
