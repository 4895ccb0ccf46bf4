import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cellCode,
  codeSpan,
  inertJson,
  markdownJson,
  mermaidText,
  prose,
  terminalText,
  visible,
} from "../../core/report/inert.ts";

/**
 * The inert renderers (issue 15): console text reaches Markdown, Mermaid, a log or a terminal only as
 * data. The properties run over arbitrary strings (full Unicode, controls, backticks, pipes, markers).
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters that must never appear raw
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const MARKER = "<!-- phantom:stack=payments-prod window=w fingerprint=f valid-at=2099-01-01T00:00:00Z -->";

/** Strings an attacker would try, mixed into arbitrary Unicode. */
const hostile = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          "`",
          "``",
          "```",
          "|",
          "\\",
          "<",
          ">",
          "&",
          "@",
          "@acme/everyone",
          "</details>",
          "<img src=x onerror=alert(1)>",
          "&#64;",
          "\r",
          "\n",
          "\u2028",
          "\u2029",
          "\u001b[31m",
          "\u009b2J",
          "\u202e",
          "\u2066",
          "\u007f",
          ":",
          "#",
          ";",
          "%%",
          "section ",
          "click ",
          " ",
          MARKER,
        ),
        fc.string({ unit: "grapheme", maxLength: 8 }),
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join("")),
);

/** The code spans of Markdown `text` (CommonMark's rule: a run of n backticks closes at the next run of exactly n). */
function splitCode(text: string): { outside: string; spans: string[] } {
  let outside = "";
  const spans: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === "\\" && i + 1 < text.length && /[!-/:-@[-`{-~]/.test(text[i + 1] as string)) {
      outside += text.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === "`") {
      let n = 0;
      while (text[i + n] === "`") n++;
      let j = text.indexOf("`", i + n);
      let close = -1;
      while (j !== -1) {
        let m = 0;
        while (text[j + m] === "`") m++;
        if (m === n) {
          close = j;
          break;
        }
        j = text.indexOf("`", j + m);
      }
      if (close === -1) {
        outside += "`".repeat(n);
        i += n;
      } else {
        spans.push(text.slice(i, close + n));
        i = close + n;
      }
      continue;
    }
    outside += c;
    i++;
  }
  return { outside, spans };
}

/** Outside code: no tag, no comment, no bare `&`, and no `@` that could start a mention. */
function expectInertOutsideCode(outside: string): void {
  expect(outside).not.toMatch(/[<>]/);
  expect(outside.replace(/&(?:lt|gt|amp|#64|#8203);/g, "")).not.toContain("&");
  expect(outside).not.toMatch(/(?<![A-Za-z0-9_])@[A-Za-z0-9]/);
}

describe("visible", () => {
  it("escapes every control and line separator, and nothing else", () => {
    expect(visible("a\r\nb\tc\u2028d\u2029e\u001b[2Jf\u007fg\u0085h\u202ei\u2069j")).toBe(
      "a\\r\\nb\\tc\\u2028d\\u2029e\\u001b[2Jf\\u007fg\\u0085h\\u202ei\\u2069j",
    );
    expect(visible("é ü 🙂 \u200e")).toBe("é ü 🙂 \u200e");
  });

  it("leaves no raw control for any string, and a JSON string literal of it reads back the same", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        // A backslash already in the text reads as an escape: the round trip holds for text without one.
        fc.pre(!s.includes("\\"));
        const shown = visible(s);
        expect(shown).not.toMatch(RAW_CONTROL);
        // The escapes are JSON's: the text, as a JSON string, decodes to the original.
        expect(JSON.parse(`"${shown.replace(/"/g, '\\"')}"`)).toBe(s);
      }),
    );
  });
});

describe("codeSpan", () => {
  it("fences longer than any backtick run, padding when the text touches a backtick", () => {
    expect(codeSpan("plain")).toBe("`plain`");
    expect(codeSpan("a``b")).toBe("```a``b```");
    expect(codeSpan("`x")).toBe("`` `x ``");
    expect(codeSpan(" a ")).toBe("`  a  `");
    expect(codeSpan("")).toBe("` `");
    expect(codeSpan("@acme/security-team")).toBe("`@\u200Bacme/security-team`");
    expect(codeSpan("sam@example.com")).toBe("`sam@example.com`");
    expect(codeSpan("a\rb\u2028c")).toBe("`a\\rb\\u2028c`");
  });

  it("holds any string: one line, no raw control, fence longer than every inner run, content as shown", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const span = codeSpan(s);
        expect(span).not.toMatch(RAW_CONTROL);
        const fence = /^`+/.exec(span)?.[0] ?? "";
        expect(span.endsWith(fence)).toBe(true);
        let inner = span.slice(fence.length, span.length - fence.length);
        for (const run of inner.match(/`+/g) ?? []) expect(run.length).toBeLessThan(fence.length);
        // CommonMark strips one space from each side when both are there and the content is not all spaces.
        if (inner.startsWith(" ") && inner.endsWith(" ") && inner.trim() !== "") inner = inner.slice(1, -1);
        expect(inner).toBe(visible(s).replace(/(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])/g, "@\u200B") || " ");
        // As Markdown it is exactly one code span and nothing outside it.
        expect(splitCode(span)).toEqual({ outside: "", spans: [span] });
      }),
    );
  });
});

describe("cellCode", () => {
  it("never splits a table row: one line, every pipe escaped", () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 4 }), (cells) => {
        const row = `| ${cells.map(cellCode).join(" | ")} |`;
        expect(row.split(/\r\n|\r|\n/)).toHaveLength(1);
        // GitHub splits on a pipe not preceded by a backslash (its scanner takes `\|` whole).
        const delimiters = row.match(/(?<!\\)\|/g) ?? [];
        expect(delimiters).toHaveLength(cells.length + 1);
      }),
    );
  });
});

describe("prose", () => {
  it("neutralises HTML, comments and mentions, keeping code spans and emphasis", () => {
    expect(prose("</details> @acme/everyone <img onerror=alert(1)>")).toBe(
      "&lt;/details&gt; &#64;&#8203;acme/everyone &lt;img onerror=alert(1)&gt;",
    );
    expect(prose("mail sam@example.com & `x<y` **now**")).toBe(
      "mail sam&#64;example.com &amp; `x<y` **now**",
    );
    expect(prose("\\`<b>`")).toBe("\\`&lt;b&gt;\\`");
    expect(prose(MARKER)).not.toContain("<!--");
    expect(prose("a\rb")).toBe("a\\rb");
    expect(prose("ends with \\")).toBe("ends with \\\\");
  });

  it("holds any string: one line, nothing live outside the code spans it wrote", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const text = prose(s);
        expect(text).not.toMatch(RAW_CONTROL);
        // A space apart, as every caller writes it: text ending in a span's closing backtick and a
        // backtick right after would make one longer run (CommonMark), whatever the escaping.
        const { outside, spans } = splitCode(`${text} \`x\``);
        // The span appended after it is still a span of its own: nothing escaped its backticks.
        expect(spans.at(-1)).toBe("`x`");
        expectInertOutsideCode(outside);
      }),
    );
  });
});

describe("mermaidText", () => {
  it("replaces what the gantt lexer acts on and never begins with a keyword", () => {
    expect(mermaidText("a: b #1; c")).toBe("a： b ＃1； c");
    expect(mermaidText("100%% done<br>x, 95%")).toBe("100％% done＜br＞x, 95%");
    expect(mermaidText("section Owned")).toBe("ｓection Owned");
    expect(mermaidText("CLICK me")).toBe("ＣLICK me");
    expect(mermaidText("2026-01-01 outage")).toBe("２026-01-01 outage");
    expect(mermaidText(" \u2028 ")).toBe("\\u2028");
    expect(mermaidText("   ")).toBe("(unnamed)");
  });

  it("is one task name for any string", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const label = mermaidText(s);
        const line = `  ${label} :milestone, event1, 2026-03-14 03:07:31, 1s`;
        expect(line.split(/\r\n|\r|\n|\u2028|\u2029/)).toHaveLength(1);
        expect(label).not.toMatch(/[:#;"`<>&{}]|%%/);
        expect(label).not.toMatch(RAW_CONTROL);
        expect(label).not.toMatch(/^\s|\s$/);
        expect(label).not.toMatch(/^(?:section|click|title|gantt|dateformat|excludes|includes)/i);
      }),
    );
  });
});

describe("terminal and JSON text", () => {
  it("lets only the newline, the tab and a CRLF reach a terminal", () => {
    expect(terminalText("ok\n\tnext\r\n\u001b]8;;http://x\u0007link\u001b[0m \u009b2J lone\rcr")).toBe(
      "ok\n\tnext\r\n\\u001b]8;;http://x\\u0007link\\u001b[0m \\u009b2J lone\\rcr",
    );
    fc.assert(
      fc.property(hostile, (s) => {
        const t = terminalText(s);
        expect(t.replace(/\r\n/g, "").replace(/[\n\t]/g, "")).not.toMatch(RAW_CONTROL);
        expect(terminalText(t)).toBe(t);
      }),
    );
  });

  it("keeps JSON valid with the same value, escaping what JSON.stringify leaves raw", () => {
    fc.assert(
      fc.property(fc.dictionary(hostile, hostile, { maxKeys: 4 }), (value) => {
        for (const json of [
          inertJson(JSON.stringify(value)),
          terminalText(JSON.stringify(value)),
          markdownJson(JSON.stringify(value, null, 2)),
        ]) {
          expect(json.replace(/\n/g, "")).not.toMatch(RAW_CONTROL);
          expect(JSON.parse(json)).toEqual(value);
        }
        const block = markdownJson(JSON.stringify(value));
        expect(block).not.toMatch(/[<>]/);
        expect(block).not.toMatch(/(?<![A-Za-z0-9_])@[A-Za-z0-9]/);
      }),
    );
  });
});
