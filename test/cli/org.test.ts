import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../../functions/cli/main.ts";
import { memberTemplate } from "../../functions/infra/member-template.ts";

/** Runs `phantom` in-process, collecting what it prints. */
async function phantom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe("phantom org template", () => {
  it("prints the member template as YAML, or as one line of JSON with --json", async () => {
    const yaml = await phantom("org", "template");
    const json = await phantom("org", "template", "--json");
    expect([yaml.code, json.code]).toEqual([0, 0]);
    const expected = JSON.parse(JSON.stringify(memberTemplate()));
    expect(parse(yaml.stdout)).toEqual(expected);
    expect(JSON.parse(json.stdout)).toEqual(expected);
    expect(json.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(yaml.stderr + json.stderr).toBe("");
  });

  it("refuses an unknown option as a usage error", async () => {
    const result = await phantom("org", "template", "--yaml");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown option '--yaml'/);
  });
});
