import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../functions/cli/main.ts";
import { inertOutput, type Output } from "../../functions/cli/output.ts";
import { jsonLogger } from "../../functions/log.ts";
import { HOSTILE, hostileLambdaScenario, TERMINAL_CONTROL } from "../report/hostile.ts";

/**
 * Console text never reaches a terminal raw (issue 15): no ESC/CSI/OSC sequence, no lone CR, no C1,
 * no bidi override, on stdout and stderr of every command, in `--json` output (still valid JSON with
 * the same values) and in the handlers' JSON log lines.
 */

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = path.join(root, "functions/cli/bin.js");

/** Arbitrary text with what terminals act on mixed in (ESC, CSI, OSC, C1, DEL, separators, bidi). */
const consoleText = fc
  .array(
    fc.oneof(
      fc.string({ unit: "binary", maxLength: 8 }),
      fc.constantFrom(
        "\u001b[2J",
        "\u001b]8;;x\u0007",
        "\u009b31m",
        "\u007f",
        "\r",
        "\n",
        "\u2028",
        "\u2029",
        "\u202e",
        "\u2066",
      ),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(""));

function collector(): Output & { stdout: string; stderr: string } {
  const c = {
    stdout: "",
    stderr: "",
    out: (text: string) => {
      c.stdout += text;
    },
    err: (text: string) => {
      c.stderr += text;
    },
  };
  return c;
}

let scratch = "";
let scenario = "";
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "phantom-terminal-"));
  // The function's live description carries terminal escapes; a tag value a bidi override and a C1 CSI.
  scenario = await hostileLambdaScenario(scratch, {
    description: `${HOSTILE.ansi} \u202eevil\u202c \u009b2J`,
    tagValue: "a\u2028b\u007fc\u0085d",
  });
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("phantom replay on a terminal", () => {
  it("prints the description's ANSI escapes visibly, never raw (the real bin, its real stdout)", async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [bin, "replay", scenario, "--out", path.join(scratch, "out-bin")],
      { cwd: root },
    );

    expect(stdout).toContain("/Description");
    expect(stdout).toContain("\\u001b[2J\\u001b]8;;https://evil.example/\\u0007click me");
    expect(stdout).not.toMatch(TERMINAL_CONTROL);
    expect(stderr).not.toMatch(TERMINAL_CONTROL);
  });

  it("keeps --json lines valid JSON with the same values and nothing a terminal acts on", async () => {
    const io = collector();

    const code = await main(["replay", scenario, "--out", path.join(scratch, "out-json"), "--json"], io);

    expect(code).toBe(0);
    const lines = io.stdout.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toMatch(TERMINAL_CONTROL);
      expect(JSON.parse(line)).toMatchObject({ stack: "orders-sync-prod" });
    }
  });
});

describe("phantom rectify's template on stdout", () => {
  const scenarioDir = path.join(root, "fixtures/scenarios/payments-3am-incident");
  const args = (template: string) => [
    "rectify",
    "--template",
    template,
    "--drift",
    path.join(scenarioDir, "account/drift/payments-prod"),
    "--decisions",
    path.join(root, "fixtures/rectify/payments-prod.decisions.json"),
  ];
  /** The bundled template with a comment holding a bidi override and a line separator, as people write. */
  const template = async () => {
    const file = path.join(scratch, "payments-prod.yaml");
    const text = await readFile(path.join(scenarioDir, "account/templates/payments-prod.yaml"), "utf8");
    await writeFile(file, `# owner: \u202eqa-team\u202c, on call\u2028weekdays\n${text}`);
    return file;
  };

  it("is the file's bytes when redirected (stdout not a terminal): nothing in the template is lost", async () => {
    const { stdout } = await run(process.execPath, [bin, ...args(await template())], { cwd: root });

    expect(stdout.startsWith("# owner: \u202eqa-team\u202c, on call\u2028weekdays\n")).toBe(true);
  });

  it("is escaped where the output is not a file's destination (an Output without file)", async () => {
    const io = collector();

    expect(await main(args(await template()), io)).toBe(0);

    expect(io.stdout.startsWith("# owner: \\u202eqa-team\\u202c, on call\\u2028weekdays\n")).toBe(true);
    expect(io.stderr).not.toMatch(TERMINAL_CONTROL);
  });
});

describe("the Output choke point", () => {
  it("escapes what a terminal acts on, passes newlines, tabs and CRLF, and wraps only once", () => {
    const io = collector();
    const inert = inertOutput(io);

    inert.out(`a\tb\r\nc ${HOSTILE.ansi}\n`);
    inert.err("lone\rcr \u2028 \u202e\n");

    expect(io.stdout).toBe(
      "a\tb\r\nc \\u001b[2J\\u001b]8;;https://evil.example/\\u0007click me\\u001b]8;;\\u0007\\u001b[31m red\n",
    );
    expect(io.stderr).toBe("lone\\rcr \\u2028 \\u202e\n");
    expect(inertOutput(inert)).toBe(inert);
  });

  it("keeps any JSON valid, with the same value", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 2 }), consoleText, (value, text) => {
        const io = collector();
        inertOutput(io).out(`${JSON.stringify({ value, text })}\n`);
        expect(io.stdout.slice(0, -1)).not.toMatch(TERMINAL_CONTROL);
        expect(JSON.parse(io.stdout)).toEqual(JSON.parse(JSON.stringify({ value, text })));
      }),
    );
  });
});

describe("jsonLogger", () => {
  it("writes one line per entry, nothing a terminal acts on, the same values", () => {
    fc.assert(
      fc.property(consoleText, consoleText, (message, value) => {
        const lines: string[] = [];
        jsonLogger(
          (line) => lines.push(line),
          () => 0,
        ).log("info", message, { value, nested: { value } });
        expect(lines).toHaveLength(1);
        const [line = ""] = lines;
        expect(line.endsWith("\n")).toBe(true);
        expect(line.slice(0, -1)).not.toMatch(/[\n\u2028\u2029]/);
        expect(line.slice(0, -1)).not.toMatch(TERMINAL_CONTROL);
        expect(JSON.parse(line)).toEqual({
          level: "info",
          message,
          time: "1970-01-01T00:00:00.000Z",
          value,
          nested: { value },
        });
      }),
    );
  });
});
