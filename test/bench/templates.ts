import { parseDocument } from "yaml";
import { openJson } from "../../core/rectify/json-document.ts";
import { openYaml } from "../../core/rectify/yaml-document.ts";
import { duplicateYamlKeys, templateSizeProblem } from "../../core/template/bounds.ts";
import { indexTemplate } from "../../core/template/fragments.ts";

/**
 * Template parse time against size, for BENCHMARKS.md ("Template bounds", issue 15). Standalone:
 *
 *   node --import tsx test/bench/templates.ts            5 timed runs per size
 *   node --import tsx test/bench/templates.ts --quick    1 run, sizes up to 1 MB
 *   BENCH_RUNS=9 node --import tsx test/bench/templates.ts
 *
 * A generated CloudFormation template (security groups with ingress rules and tags, functions with
 * environment variables, `!Ref`/`!GetAtt`/`!Sub`) is grown to each size in YAML and in JSON, and
 * parsed the three ways Phantom parses a safe-state template: `openYaml` / `openJson` (rectify's
 * editable document, the `yaml` package with source tokens, and `jsonc-parser`) and `indexTemplate`
 * (core/template/fragments.ts, the prompt's fragments). Median CPU time of N runs after one warm-up. Linear
 * time shows as a flat ms-per-MB column. The worst case for a per-key duplicate scan, one mapping of
 * ~75,000 short entries at 1 MB, is timed through `openYaml` too.
 *
 * Past CloudFormation's 1 MB limit Phantom refuses a template unread, so the growth of the parse
 * itself is shown on the `yaml` package alone (1, 2, 4 MB): with its own duplicate-key check
 * (`uniqueKeys`, what `openYaml` used before) and without it plus `duplicateYamlKeys` (what it uses
 * now). Last, the time to refuse a 20 MB template.
 */

const quick = process.argv.includes("--quick");
const runs = Number(process.env.BENCH_RUNS ?? (quick ? 1 : 5));
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`BENCH_RUNS must be a positive integer, got ${process.env.BENCH_RUNS}`);
const SIZES_MB = [0.25, 0.5, 1];
const BEYOND_MB = quick ? [1, 2] : [1, 2, 4];

/** One resource pair (a group and a function referring to it), `i` making every key unique. */
function resourceYaml(i: number): string {
  return [
    `  Group${i}:`,
    "    Type: AWS::EC2::SecurityGroup",
    "    Properties:",
    `      GroupDescription: group ${i} for the payments service`,
    "      VpcId: !Ref VpcId",
    "      SecurityGroupIngress:",
    "        - IpProtocol: tcp",
    "          FromPort: 443",
    "          ToPort: 443",
    "          CidrIp: 10.0.0.0/8",
    "        - IpProtocol: tcp",
    `          FromPort: ${1000 + (i % 5000)}`,
    `          ToPort: ${1000 + (i % 5000)}`,
    `          SourceSecurityGroupId: !GetAtt Group${Math.max(0, i - 1)}.GroupId`,
    "      Tags:",
    "        - Key: team",
    "          Value: payments",
    "        - Key: Name",
    `          Value: !Sub "\${AWS::StackName}-group-${i}"`,
    `  Function${i}:`,
    "    Type: AWS::Lambda::Function",
    "    Properties:",
    "      Runtime: nodejs24.x",
    "      Handler: index.handler",
    "      MemorySize: 512",
    "      Timeout: 30",
    "      Role: !GetAtt Role.Arn",
    "      Environment:",
    "        Variables:",
    `          GROUP: !Ref Group${i}`,
    "          STAGE: prod",
    "          LOG_LEVEL: info",
    "",
  ].join("\n");
}

function yamlTemplate(bytes: number): string {
  const head =
    "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  VpcId:\n    Type: String\nResources:\n";
  const parts = [head];
  let size = head.length;
  for (let i = 0; size < bytes; i++) {
    const r = resourceYaml(i);
    parts.push(r);
    size += r.length;
  }
  return parts.join("");
}

/** The worst shape for a per-key scan: one mapping of short entries (`k123: 123`), ~75,000 at 1 MB. */
function flatYaml(bytes: number): string {
  const parts = ["Mappings:\n  Big:\n"];
  let size = parts[0]?.length ?? 0;
  for (let i = 0; size < bytes; i++) {
    const line = `    k${i}: ${i}\n`;
    parts.push(line);
    size += line.length;
  }
  return parts.join("");
}

function jsonTemplate(bytes: number): string {
  const resources: Record<string, unknown> = {};
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const group = {
      Type: "AWS::EC2::SecurityGroup",
      Properties: {
        GroupDescription: `group ${i} for the payments service`,
        VpcId: { Ref: "VpcId" },
        SecurityGroupIngress: [
          { IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "10.0.0.0/8" },
          { IpProtocol: "tcp", FromPort: 1000 + (i % 5000), ToPort: 1000 + (i % 5000) },
        ],
        Tags: [{ Key: "team", Value: "payments" }],
      },
    };
    const fn = {
      Type: "AWS::Lambda::Function",
      Properties: {
        Runtime: "nodejs24.x",
        Handler: "index.handler",
        Role: { "Fn::GetAtt": ["Role", "Arn"] },
        Environment: { Variables: { GROUP: { Ref: `Group${i}` }, STAGE: "prod" } },
      },
    };
    resources[`Group${i}`] = group;
    resources[`Function${i}`] = fn;
    size += JSON.stringify(group, null, 2).length + JSON.stringify(fn, null, 2).length + 40;
  }
  return JSON.stringify({ AWSTemplateFormatVersion: "2010-09-09", Resources: resources }, null, 2);
}

/**
 * Median CPU time (user + system) of `runs` calls after one warm-up. CPU time, not wall time: the
 * machine is shared, and another process's load stretches wall time but not the CPU this one spends.
 */
function median(fn: () => void): number {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.cpuUsage();
    fn();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? 0;
}

const sizeOf = (t: string) => Buffer.byteLength(t) / 2 ** 20;
const rows: string[] = [];
for (const mb of SIZES_MB) {
  // Just under the cap at 1 MB: a template of exactly 1 MB is the largest CloudFormation takes.
  const bytes = Math.round(mb * 2 ** 20) - 4096;
  const yaml = yamlTemplate(bytes);
  const json = jsonTemplate(Math.round(bytes * 0.8));
  const flat = flatYaml(bytes);
  const cases: [string, string, () => void][] = [
    ["openYaml", yaml, () => openYaml(yaml)],
    ["openYaml, one flat mapping", flat, () => openYaml(flat)],
    ["indexTemplate (YAML)", yaml, () => indexTemplate(yaml)],
    ["openJson", json, () => openJson(json)],
  ];
  for (const [name, text, fn] of cases) {
    const ms = median(fn);
    rows.push(
      `| ${name} | ${sizeOf(text).toFixed(2)} MB | ${ms.toFixed(0)} ms | ${(ms / sizeOf(text)).toFixed(0)} ms/MB |`,
    );
    process.stderr.write(`${name} ${sizeOf(text).toFixed(2)} MB: ${ms.toFixed(0)} ms\n`);
  }
}
const beyond: string[] = [];
for (const mb of BEYOND_MB) {
  const yaml = yamlTemplate(Math.round(mb * 2 ** 20));
  const options = { keepSourceTokens: true, logLevel: "silent" } as const;
  const cases: [string, () => void][] = [
    ["yaml, uniqueKeys (before)", () => parseDocument(yaml, options)],
    [
      "yaml, uniqueKeys: false + duplicateYamlKeys (now)",
      () => duplicateYamlKeys(parseDocument(yaml, { ...options, uniqueKeys: false })),
    ],
  ];
  for (const [name, fn] of cases) {
    const ms = median(fn);
    beyond.push(
      `| ${name} | ${sizeOf(yaml).toFixed(2)} MB | ${ms.toFixed(0)} ms | ${(ms / sizeOf(yaml)).toFixed(0)} ms/MB |`,
    );
    process.stderr.write(`${name} ${sizeOf(yaml).toFixed(2)} MB: ${ms.toFixed(0)} ms\n`);
  }
}
const huge = yamlTemplate(20 * 2 ** 20);
const refuse = median(() => {
  if (templateSizeProblem(huge) === undefined) throw new Error("a 20 MB template was not refused");
});
process.stdout.write(
  `\nTemplate parse CPU time (median of ${runs} run(s))\n\n| parse | size | time | per MB |\n|---|---|---|---|\n${rows.join("\n")}\n` +
    `\nThe yaml parse alone, past the cap\n\n| parse | size | time | per MB |\n|---|---|---|---|\n${beyond.join("\n")}\n` +
    `\nRefusing a ${sizeOf(huge).toFixed(1)} MB template: ${refuse.toFixed(2)} ms\n`,
);
