import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = path.join(root, "functions/cli/bin.js");
const capture = path.join(root, "fixtures/scenarios/payments-3am-incident/events");

/** Runs the real `phantom` bin as a user would, returning its exit code and output. */
async function phantom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("phantom CLI", () => {
  it("prints help for the program and for each command", async () => {
    const top = await phantom("--help");
    const inspect = await phantom("inspect", "--help");
    const pattern = await phantom("pattern", "--help");

    expect(top.code).toBe(0);
    expect(top.stdout).toContain("inspect");
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain("--json");
    expect(pattern.code).toBe(0);
  });

  it("inspects the bundled capture as JSON lines in input order", async () => {
    const result = await phantom("inspect", capture, "--json");

    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.source)).toEqual(
      lines.map((_, i) => `fixtures/scenarios/payments-3am-incident/events/console-session.jsonl#${i}`),
    );
    const changes = lines.filter((l) => l.verdict === "change");
    expect(changes.map((l) => l.eventName)).toEqual([
      "ModifyDBInstance",
      "AuthorizeSecurityGroupIngress",
      "ModifyInstanceAttribute",
      "AuthorizeSecurityGroupIngress",
      "DeleteTags",
      "CreateTags",
    ]);
    expect(changes[0].actor).toMatchObject({ name: "sam.rivera@example.com", console: true });
    expect(changes[0].resources).toEqual([{ type: "AWS::RDS::DBInstance", id: "payments-prod-db" }]);
  });

  it("prints one human line per record and a summary", async () => {
    const result = await phantom("inspect", capture);

    expect(result.code).toBe(0);
    const out = result.stdout.trim().split("\n");
    expect(out).toHaveLength(14);
    expect(out.at(-1)).toMatch(/^13 records: 6 change; 7 ignored \(.*failed-call 1.*\); 0 rejected$/);
  });

  it("exits 0 with rejected lines when records are bad, 1 when a path is unreadable", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "phantom-cli-"));
    const bad = path.join(dir, "bad.json");
    await writeFile(bad, "this is not json");

    const rejected = await phantom("inspect", bad, "--json");
    const missing = await phantom("inspect", path.join(dir, "nope.json"));

    expect(rejected.code).toBe(0);
    expect(JSON.parse(rejected.stdout)).toMatchObject({ verdict: "rejected", reasonCode: "malformed" });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json/);
  });

  it("exits 1 on a bad flag and on an invalid config, listing every problem", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "phantom-cli-"));
    const config = path.join(dir, "phantom.yaml");
    await writeFile(config, "ignore:\n  - event: not-an-event\n  - {}\nsurprise: true\n");

    const flag = await phantom("inspect", capture, "--nope");
    const invalid = await phantom("inspect", capture, "--config", config);

    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("--nope");
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("ignore[0].event");
    expect(invalid.stderr).toContain("ignore[1]");
    expect(invalid.stderr).toContain("surprise");
  });
});
