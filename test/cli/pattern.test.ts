import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../functions/cli/main.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `phantom` in-process, collecting what it prints. */
async function phantom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe("phantom pattern --coverage", () => {
  it("prints, per type, the APIs covered", async () => {
    const result = await phantom("pattern", "--coverage");

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^# \d+ watched write APIs reach \d+ CloudFormation types/);
    expect(result.stdout).toContain("AWS::SSM::Parameter (");
    expect(result.stdout).toContain("  ssm:PutParameter [modify, when overwrite = true (otherwise create)]");
    expect(result.stdout).toContain("  ec2:DisassociateRouteTable [delete]");
  });

  it("prints the same as one JSON document with --json", async () => {
    const result = await phantom("pattern", "--coverage", "--json");

    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { types: { type: string; apis: { api: string }[] }[] };
    const eip = doc.types.find((t) => t.type === "AWS::EC2::EIP");
    expect(eip?.apis.map((a) => a.api)).toContain("ec2:ReleaseAddress");
  });

  it("lists the types of the given templates no API reaches, uncovered first", async () => {
    // prepare
    const dir = await mkdtemp(path.join(tmpdir(), "phantom-coverage-"));
    await writeFile(
      path.join(dir, "stack.yaml"),
      "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n  G:\n    Type: AWS::Greengrass::Group\n  W:\n    Type: AWS::CloudFormation::WaitConditionHandle\n",
    );

    // act
    const result = await phantom("pattern", "--coverage", dir);

    // assess
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toBe(
      "# 1 template(s): 3 resource types, 1 covered, 1 not covered, 1 CloudFormation's own",
    );
    expect(lines[1]).toBe("not covered: Phantom cannot see changes to these:");
    expect(lines[2]).toMatch(/^ {2}AWS::Greengrass::Group {2}in .*stack\.yaml$/);
    expect(result.stdout).toMatch(/AWS::SQS::Queue \(\d+ APIs\)/);
  });

  it("reports each template's coverage as JSON, the corpus templates included", async () => {
    const result = await phantom(
      "pattern",
      "--coverage",
      "--json",
      path.join(root, "fixtures/corpus/cfn-templates"),
    );

    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      templates: { files: string[]; found: { type: string; status: string }[]; problems: unknown[] };
    };
    expect(doc.templates.files.length).toBeGreaterThan(30);
    expect(doc.templates.problems).toEqual([]);
    expect(doc.templates.found.find((t) => t.type === "AWS::EC2::SecurityGroupIngress")?.status).toBe(
      "covered",
    );
  });

  it("reports an unreadable template with its reason, the rest still, and exits 1", async () => {
    // prepare
    const dir = await mkdtemp(path.join(tmpdir(), "phantom-coverage-"));
    const bad = path.join(dir, "notes.yaml");
    await writeFile(bad, "meeting: notes\n");
    await writeFile(
      path.join(dir, "ok.json"),
      JSON.stringify({ Resources: { T: { Type: "AWS::SNS::Topic" } } }),
    );

    // act
    const result = await phantom("pattern", "--coverage", dir);

    // assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("AWS::SNS::Topic");
    expect(result.stderr).toContain(`phantom: ${bad}: no Resources section: not a CloudFormation template`);
  });

  it("exits 1 for a path that does not exist and for templates without --coverage", async () => {
    const missing = await phantom("pattern", "--coverage", "/no/such/templates");
    const misuse = await phantom("pattern", path.join(root, "fixtures/corpus/cfn-templates"));

    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("cannot read /no/such/templates");
    expect(misuse.code).toBe(1);
    expect(misuse.stderr).toContain("templates are read only with --coverage");
  });

  it("still prints the patterns without --coverage", async () => {
    const result = await phantom("pattern", "--json");

    expect(result.code).toBe(0);
    expect(Array.isArray(JSON.parse(result.stdout))).toBe(true);
  });
});
