import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalyzedChange, AnalyzedReport } from "../../core/analysis/analyze.ts";
import { parseMarker } from "../../core/publish/marker.ts";
import { pullRequestBody, pullRequestMarker } from "../../core/report/pull-request.ts";
import type { SignalsReport } from "../../core/signals/types.ts";
import { runReplay } from "../../functions/replay/run-replay.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import { forgedMarker, HOSTILE, hostileLambdaScenario } from "./hostile.ts";

/**
 * Console text in the PR body is inert data (issue 15): replayed through the real path, a tag key that
 * is a team, a description that closes `<details>` and runs HTML, a monitor name with a lone CR and a
 * U+2028, and a tag value holding a forged marker change nothing but what the body shows.
 */

let scratch = "";
let body = "";
let report: AnalyzedReport;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "phantom-hostile-text-"));
  const root = await hostileLambdaScenario(scratch);
  const out = path.join(scratch, "out");
  await runReplay(await loadScenario(root, { base: {} }), out);
  const [windowId] = await readdir(path.join(out, "orders-sync-prod"));
  const dir = path.join(out, "orders-sync-prod", windowId ?? "");
  body = await readFile(path.join(dir, "pull-request.md"), "utf8");
  report = JSON.parse(await readFile(path.join(dir, "analysis.json"), "utf8")) as AnalyzedReport;
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The body without its fenced blocks and code spans (CommonMark's rules), where Markdown is live. */
function live(markdown: string): string {
  const withoutBlocks = markdown.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1\s*$/gm, "");
  let out = "";
  let i = 0;
  while (i < withoutBlocks.length) {
    const c = withoutBlocks[i] as string;
    if (c === "\\" && i + 1 < withoutBlocks.length) {
      out += withoutBlocks.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === "`") {
      let n = 0;
      while (withoutBlocks[i + n] === "`") n++;
      const close = new RegExp(`(?<!\`)\`{${n}}(?!\`)`, "g");
      close.lastIndex = i + n;
      const m = close.exec(withoutBlocks);
      if (m) {
        i = m.index + n;
        continue;
      }
      out += "`".repeat(n);
      i += n;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** Any control or separator but the newline Phantom writes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters the body must not hold raw
const NOT_NEWLINE_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Phantom's own markup in the body: the folds, the marker and a blockquote's `>`. */
const OWN_HTML = /<\/?details>|<\/?summary>|<!-- phantom:[^\n]*-->$|^> /gm;

function expectInert(markdown: string): void {
  const text = live(markdown).replace(OWN_HTML, "");
  expect(text).not.toMatch(/[<>]/);
  expect(text).not.toMatch(/(?<![A-Za-z0-9_])@(?!&#8203;)[A-Za-z0-9]/);
  // Not even the raw text mentions the teams (a plain-text e-mail of the body would).
  expect(markdown).not.toMatch(/(?<![A-Za-z0-9_])@acme/);
  // The folds Phantom opens are the folds that close: console text closes none.
  const outside = live(markdown);
  expect(outside.match(/<details>/g)?.length).toBe(outside.match(/<\/details>/g)?.length);
}

/** Every table row is one line with as many cells as its header. */
function expectRowsWhole(markdown: string): void {
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^\|---/.test(lines[i + 1] ?? "")) continue;
    const cells = (lines[i] ?? "").match(/(?<!\\)\|/g)?.length ?? 0;
    for (let j = i + 2; j < lines.length && (lines[j] ?? "").startsWith("|"); j++) {
      expect(lines[j]).toMatch(/\|$/);
      expect(lines[j]?.match(/(?<!\\)\|/g)?.length, lines[j]).toBe(cells);
    }
  }
}

/** Every line of the Mermaid block is a statement Phantom wrote, a task a name and its data. */
function expectTimelineWhole(markdown: string): void {
  const mermaid = /```mermaid\n([\s\S]*?)\n```/.exec(markdown)?.[1] ?? "";
  const lines = mermaid.split("\n");
  expect(lines[0]).toBe("gantt");
  for (const line of lines.slice(1)) {
    expect(line).toMatch(
      /^ {2}(?:title [^:#;\n]+|dateFormat .+|axisFormat .+|todayMarker off|section (?:Alerts|Console|Phantom)|(?!.*%%)[^:#;\s][^:#;]* :(?:(?:crit|milestone|active), )?[a-z]+\d*, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, (?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\d+s))$/,
    );
  }
}

describe("hostile console text in the PR body, replayed", () => {
  it("shows the tag key and the Lambda description as data: no live mention, no raw HTML", () => {
    // Both are shown, as code: the mention broken by a zero-width space, the HTML as text.
    expect(body).toContain(HOSTILE.tagKey.replace("@", "@\u200B"));
    expect(body).toContain(`\`${HOSTILE.description.replace("@", "@\u200B")}\``);
    expectInert(body);
  });

  it("keeps a lone CR and a U+2028 from splitting a table row or the Mermaid timeline", () => {
    expect(body).not.toMatch(/[\r\u2028\u2029]/);
    expect(body).toContain("orders\\rsync\\u2028errors");
    expectRowsWhole(body);
    expectTimelineWhole(body);
  });

  it("reads back Phantom's own marker, not the one forged in the tag value", () => {
    expect(JSON.stringify(report)).toContain(forgedMarker("orders-sync-prod"));
    expect(parseMarker(body)).toEqual(pullRequestMarker(report));
  });
});

describe("pullRequestBody, for any console text", () => {
  const console = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc
      .array(
        fc.constantFrom(
          "`",
          "``",
          "|",
          "\\",
          "<img src=x>",
          "</details>",
          "@acme/everyone",
          "\r",
          "\n",
          "\u2028",
          "\u001b[2J",
          "\u202e",
          ":",
          "#",
          ";",
          "%%",
          "section ",
          forgedMarker("orders-sync-prod"),
          "x",
        ),
        { maxLength: 8 },
      )
      .map((parts) => parts.join("")),
  );

  it("one line per row, nothing live outside code, a whole timeline, and Phantom's marker read back", () => {
    fc.assert(
      fc.property(console, console, console, console, (value, name, monitor, reasoning) => {
        const [first, ...rest] = report.changes as AnalyzedChange[];
        if (!first) throw new Error("the hostile scenario has no change");
        const hostile: AnalyzedReport = {
          ...report,
          changes: [
            { ...first, actual: value, reasoning, actors: first.actors.map((a) => ({ ...a, name })) },
            ...rest,
          ],
        };
        const signals: SignalsReport = {
          monitors: [{ name: monitor, status: "Alert", triggeredAt: "2026-11-19T22:31:40Z", group: value }],
          metrics: [{ resource: name, metric: monitor, before: 1, during: 2, after: 1 }],
          notes: [reasoning],
        };
        const md = pullRequestBody(hostile, { signals });
        expect(md).not.toMatch(NOT_NEWLINE_CONTROL);
        expectInert(md);
        expectRowsWhole(md);
        expectTimelineWhole(md);
        expect(parseMarker(md)).toEqual(pullRequestMarker(hostile));
      }),
      { numRuns: 60 },
    );
  });
});
