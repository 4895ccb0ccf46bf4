import { execFile, execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

/**
 * Every input error exits 1 with a message naming the place, and never with a stack trace
 * (docs/architecture.md, CLI). Each case runs the real `phantom` bin on one bad input.
 */

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = path.join(root, "functions/cli/bin.js");
const SCENARIO = path.join(root, "fixtures/scenarios/payments-3am-incident");
const STACK = "payments-prod";

async function phantom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** Exit 1, the message matches, and no line of a JavaScript stack trace anywhere. */
function expectInputError(result: { code: number; stdout: string; stderr: string }, message: RegExp): void {
  expect(result.stderr).toMatch(message);
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/^\s+at .+[:(]/m);
  expect(result.code, result.stderr).toBe(1);
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "phantom-bad-"));
  dirs.push(dir);
  return dir;
}

/** A copy of the 3 AM scenario to break, and an output directory beside it. */
async function scenarioCopy(): Promise<{ dir: string; scenario: string; out: string }> {
  const dir = await tempDir();
  const scenario = path.join(dir, "scenario");
  await cp(SCENARIO, scenario, { recursive: true });
  await rm(path.join(scenario, "golden"), { recursive: true, force: true });
  return { dir, scenario, out: path.join(dir, "out") };
}

/** YAML whose aliases expand to 9^9 items (the "billion laughs"). */
const ALIAS_BOMB = [
  'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]',
  ..."bcdefghi".split("").map((name, i) => {
    const prev = "abcdefgh"[i];
    return `${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`;
  }),
  "",
].join("\n");

/** A template of at least `bytes` bytes. */
function bigTemplate(bytes: number): string {
  const parts = ["Resources:\n"];
  for (let size = 0, i = 0; size <= bytes; i++) {
    const r = `  Queue${i}:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: ${i % 900}\n`;
    parts.push(r);
    size += r.length;
  }
  return parts.join("");
}

describe.concurrent("phantom on bad input: exit 1, a message naming the place, no stack trace", () => {
  it("a phantom.yaml alias bomb", async () => {
    const dir = await tempDir();
    const config = path.join(dir, "phantom.yaml");
    await writeFile(config, ALIAS_BOMB);
    const result = await phantom("inspect", path.join(SCENARIO, "events"), "--config", config);
    expectInputError(result, new RegExp(`${config.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.*\\n.*alias`, "i"));
  });

  it("a scenario.yaml alias bomb", async () => {
    const { scenario, out } = await scenarioCopy();
    await writeFile(
      path.join(scenario, "scenario.yaml"),
      `config:\n  bomb:\n${ALIAS_BOMB.replace(/^/gm, "    ")}`,
    );
    const result = await phantom("replay", scenario, "--out", out);
    expectInputError(result, /scenario\.yaml[\s\S]*alias/i);
  });

  it("a phantom.yaml whose stacks: path leaves the repository", async () => {
    const dir = await tempDir();
    const config = path.join(dir, "phantom.yaml");
    await writeFile(config, "stacks:\n  payments-prod:\n    repo: acme/infra\n    path: ../../etc/passwd\n");
    const result = await phantom("inspect", path.join(SCENARIO, "events"), "--config", config);
    expectInputError(
      result,
      /stacks\.payments-prod\.path: "\.\.\/\.\.\/etc\/passwd" is not a path inside the repository/,
    );
  });

  it("a config path that is a directory", async () => {
    const dir = await tempDir();
    const result = await phantom("inspect", path.join(SCENARIO, "events"), "--config", dir);
    expectInputError(result, /EISDIR|directory/i);
  });

  it("a scenario's account/stacks that is a file, not a directory", async () => {
    const { scenario, out } = await scenarioCopy();
    await rm(path.join(scenario, "account/stacks"), { recursive: true });
    await writeFile(path.join(scenario, "account/stacks"), "not a directory\n");
    const result = await phantom("replay", scenario, "--out", out);
    expectInputError(result, /account\/stacks: .*not a directory/i);
  });

  it("a scenario's template that is a directory, not a file", async () => {
    const { scenario, out } = await scenarioCopy();
    const template = path.join(scenario, "account/templates", `${STACK}.yaml`);
    await rm(template);
    await mkdir(template);
    const result = await phantom("replay", scenario, "--out", out);
    expectInputError(result, new RegExp(`templates/${STACK}\\.yaml \\(stack ${STACK}\\): is a directory`));
  });

  it("a scenario's signals.json that is a directory", async () => {
    const { scenario, out } = await scenarioCopy();
    await rm(path.join(scenario, "signals.json"));
    await mkdir(path.join(scenario, "signals.json"));
    const result = await phantom("replay", scenario, "--out", out);
    expectInputError(result, /signals\.json[\s\S]*directory/i);
  });

  it("a scenario's parameter file that is a directory", async () => {
    const { scenario, out } = await scenarioCopy();
    const scenarioYaml = await readFile(path.join(scenario, "scenario.yaml"), "utf8");
    await writeFile(
      path.join(scenario, "scenario.yaml"),
      `${scenarioYaml.trimEnd()}\n  stacks:\n    ${STACK}:\n      parameters: params/prod.json\n`,
    );
    await mkdir(path.join(scenario, "repo/params/prod.json"), { recursive: true });
    const result = await phantom("replay", scenario, "--out", out);
    expectInputError(result, /repo\/params\/prod\.json.*directory/i);
  });

  it("a scenario directory Phantom may not read (mode 000): account/drift, or a subdirectory of events/", async () => {
    // Root reads a mode-000 directory anyway, so there the case cannot be built: the cases above
    // (a directory where a file is expected, and the reverse) take the same path through the code.
    if (process.getuid?.() === 0) return;
    for (const locked of ["account/drift", "events/more"]) {
      const { scenario, out } = await scenarioCopy();
      const dir = path.join(scenario, locked);
      await mkdir(dir, { recursive: true });
      execFileSync("chmod", ["000", dir]);
      try {
        const result = await phantom("replay", scenario, "--out", out);
        expectInputError(
          result,
          // The locked directory and the reason, in either order.
          new RegExp(`^(?=[\\s\\S]*${locked.replace("/", "\\/")})[\\s\\S]*(EACCES|permission denied)`, "i"),
        );
      } finally {
        execFileSync("chmod", ["755", dir]);
      }
    }
  });

  it("a stack named '..' (a file stacks/...json): refused, and nothing is written outside --out", async () => {
    const { dir, scenario, out } = await scenarioCopy();
    const stacks = path.join(scenario, "account/stacks");
    const doc = JSON.parse(await readFile(path.join(stacks, `${STACK}.json`), "utf8"));
    for (const r of doc.StackResources) delete r.StackName;
    await writeFile(path.join(stacks, "...json"), JSON.stringify(doc));
    await rm(path.join(stacks, `${STACK}.json`));
    await rename(
      path.join(scenario, "account/templates", `${STACK}.yaml`),
      path.join(scenario, "account/templates", "...yaml"),
    );
    await rm(path.join(scenario, "account/drift"), { recursive: true });
    const result = await phantom("replay", scenario, "--out", out);
    expectInputError(result, /stacks\/\.\.\.json: the stack name "\.\." is not a CloudFormation stack name/);
    expect((await readdir(dir)).sort()).toEqual(["scenario"]);
  });

  it("a scenario's template over CloudFormation's 1 MB", async () => {
    const { scenario, out } = await scenarioCopy();
    await writeFile(path.join(scenario, "account/templates", `${STACK}.yaml`), bigTemplate(1_048_576));
    const result = await phantom("replay", scenario, "--out", out);
    expectInputError(
      result,
      new RegExp(
        `templates/${STACK}\\.yaml \\(stack ${STACK}\\) is 1\\.00 MB .*over CloudFormation's 1 MB template limit`,
      ),
    );
  });

  it("phantom rectify on a template over 1 MB, and on a JSON template with a duplicate key", async () => {
    const dir = await tempDir();
    const big = path.join(dir, "big.yaml");
    await writeFile(big, bigTemplate(1_048_576));
    const drift = path.join(dir, "drift.json");
    await writeFile(
      drift,
      JSON.stringify({
        StackResourceDrift: {
          StackId: "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1",
          LogicalResourceId: "Queue1",
          PhysicalResourceId: "https://sqs.us-east-1.amazonaws.com/111122223333/q1",
          ResourceType: "AWS::SQS::Queue",
          StackResourceDriftStatus: "MODIFIED",
          ExpectedProperties: '{"VisibilityTimeout":1}',
          ActualProperties: '{"VisibilityTimeout":90}',
          PropertyDifferences: [
            {
              PropertyPath: "/VisibilityTimeout",
              ExpectedValue: "1",
              ActualValue: "90",
              DifferenceType: "NOT_EQUAL",
            },
          ],
          Timestamp: "2026-03-02T03:10:00Z",
        },
      }),
    );
    const decisions = path.join(dir, "decisions.json");
    await writeFile(
      decisions,
      JSON.stringify([{ logicalId: "Queue1", propertyPath: "/VisibilityTimeout", decision: "legitimize" }]),
    );
    const tooLarge = await phantom("rectify", "--template", big, "--drift", drift, "--decisions", decisions);
    expectInputError(tooLarge, /big\.yaml[\s\S]*1\.00 MB.*over CloudFormation's 1 MB template limit/);

    const dup = path.join(dir, "dup.json");
    await writeFile(
      dup,
      '{\n  "Resources": {\n    "Queue1": {\n      "Type": "AWS::SQS::Queue",\n      "Properties": {\n        "VisibilityTimeout": 1,\n        "VisibilityTimeout": 2\n      }\n    }\n  }\n}\n',
    );
    const duplicate = await phantom("rectify", "--template", dup, "--drift", drift, "--decisions", decisions);
    expectInputError(duplicate, /dup\.json.*line 7.*duplicate key "VisibilityTimeout"/s);
  });
});
