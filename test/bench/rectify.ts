import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { diffLines } from "diff";
import { parseDocument, stringify } from "yaml";
import { parseDriftDocument } from "../../core/drift/normalize.ts";
import { joinDecisions } from "../../core/rectify/decisions.ts";
import { openTemplate, rectify } from "../../core/rectify/rectify.ts";
import { parseDecisions } from "../../core/rectify/schema.ts";
import { type NodePath, plainOf, type TemplateNode } from "../../core/rectify/tree.ts";
import type { RectifyChange } from "../../core/rectify/types.ts";
import { CORPUS } from "../support/corpus.ts";

/**
 * Rectify figures for BENCHMARKS.md ("Rectify"). Standalone:
 *
 *   node --import tsx test/bench/rectify.ts          7 timed runs per case
 *   BENCH_RUNS=15 node --import tsx test/bench/rectify.ts
 *
 * 1. Time to rectify the largest corpus template (one legitimize on its deepest literal property) and a
 *    generated 1,000-resource template (one legitimize three levels deep in its middle resource); the
 *    no-op and a bare parse too.
 *    Median and spread of N runs after 2 warm-up runs.
 * 2. Changed lines in the diff for the 3 AM scenario, against re-serialising the parsed template with
 *    the `yaml` package's defaults (and, for reference, a `yaml` Document round trip).
 */

const corpus = new URL("cfn-templates/", CORPUS);
const scenario = new URL("../../fixtures/scenarios/payments-3am-incident/account/", import.meta.url);
const decisionsFile = new URL("../../fixtures/rectify/payments-prod.decisions.json", import.meta.url);

const runs = Number(process.env.BENCH_RUNS ?? 7);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`BENCH_RUNS must be a positive integer, got ${process.env.BENCH_RUNS}`);

function time(fn: () => void): { median: number; min: number; max: number } {
  for (let i = 0; i < 2; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return {
    median: samples[Math.floor(samples.length / 2)] ?? 0,
    min: samples[0] ?? 0,
    max: samples.at(-1) ?? 0,
  };
}

/** The deepest scalar under some resource's Properties that no intrinsic function holds. */
function deepestScalar(root: TemplateNode | undefined): {
  logicalId: string;
  pointer: string;
  value: unknown;
} {
  let best: { logicalId: string; pointer: string; value: unknown; depth: number } | undefined;
  const resources = root?.kind === "map" ? root.entries.find((e) => e.key === "Resources")?.value : undefined;
  if (resources?.kind !== "map") throw new Error("no Resources");
  for (const { key, value } of resources.entries) {
    const properties =
      value.kind === "map" ? value.entries.find((e) => e.key === "Properties")?.value : undefined;
    const walk = (node: TemplateNode, path: NodePath) => {
      if (node.kind === "scalar" && typeof node.value === "string" && (!best || path.length > best.depth)) {
        best = {
          logicalId: key,
          pointer: path.map((s) => `/${s}`).join(""),
          value: node.value,
          depth: path.length,
        };
      }
      if (node.kind === "map") for (const e of node.entries) walk(e.value, [...path, e.key]);
      if (node.kind === "seq") {
        node.items.forEach((item, i) => {
          walk(item, [...path, i]);
        });
      }
    };
    if (properties) walk(properties, []);
  }
  if (!best) throw new Error("no literal property");
  return best;
}

/** A 1,000-resource template in the corpus's style: comments, short-form tags, flow and block lists. */
function generated(resources: number): string {
  const lines = [
    'AWSTemplateFormatVersion: "2010-09-09"',
    "Description: Generated for the rectify benchmark.",
    "Parameters:",
    "  Environment:",
    "    Type: String",
    "    Default: production",
    "Resources:",
  ];
  for (let i = 0; i < resources; i++) {
    switch (i % 4) {
      case 0:
        lines.push(
          `  # --- queue ${i} ---`,
          `  Queue${i}:`,
          "    Type: AWS::SQS::Queue",
          "    Properties:",
          `      QueueName: !Sub "\${Environment}-queue-${i}"`,
          "      VisibilityTimeout: 120 # seconds",
          "      RedrivePolicy:",
          `        deadLetterTargetArn: !GetAtt Queue${i + 3}.Arn`,
          "        maxReceiveCount: 5",
          "",
        );
        break;
      case 1:
        lines.push(
          `  Group${i}:`,
          "    Type: AWS::EC2::SecurityGroup",
          "    Properties:",
          `      GroupDescription: 'group ${i}'`,
          "      SecurityGroupIngress:",
          "        - IpProtocol: tcp",
          "          FromPort: 443",
          "          ToPort: 443",
          "          CidrIp: 10.0.0.0/16",
          "      Tags:",
          "        - Key: Name",
          `          Value: group-${i}`,
          "",
        );
        break;
      case 2:
        lines.push(
          `  Function${i}:`,
          "    Type: AWS::Lambda::Function",
          "    Properties:",
          "      Runtime: python3.12",
          "      Handler: index.handler",
          "      MemorySize: 256",
          `      Role: !GetAtt Role${i}.Arn`,
          "      Environment:",
          "        Variables:",
          `          TABLE: table-${i}`,
          "          MODE: fast",
          "      Code:",
          "        ZipFile: |",
          "          def handler(event, context):",
          "              return event",
          "",
        );
        break;
      default:
        lines.push(
          `  Queue${i}:`,
          "    Type: AWS::SQS::Queue",
          "    Properties:",
          "      MessageRetentionPeriod: 1209600",
          `      Tags: [{Key: team, Value: payments}, {Key: index, Value: "${i}"}]`,
          "",
        );
    }
  }
  return `${lines.join("\n")}\n`;
}

function changedLines(before: string, after: string): number {
  return diffLines(before, after)
    .filter((p) => p.added || p.removed)
    .reduce((n, p) => n + (p.count ?? 0), 0);
}

function rectifyOne(text: string, change: RectifyChange): string {
  const outcome = rectify({ template: { text }, changes: [change] });
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.issues));
  return outcome.result.text;
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const kb = (text: string) =>
  `${(text.length / 1024).toFixed(0)} KiB, ${text.split("\n").length.toLocaleString("en-US")} lines`;

/* ---------- 1. time ---------- */

const largestName = readdirSync(corpus)
  .filter((n) => n.endsWith(".yaml"))
  .map((n) => ({ n, size: readFileSync(new URL(n, corpus)).length }))
  .sort((a, b) => b.size - a.size)[0]?.n;
if (!largestName) throw new Error("no corpus templates");
const largest = readFileSync(new URL(largestName, corpus), "utf8");
const big = generated(1000);

const timing: string[] = [];
const middle = { logicalId: "Function502", pointer: "/Environment/Variables/MODE", value: "fast" };
for (const [label, text, pick] of [
  [`largest corpus template (${largestName})`, largest, undefined],
  ["generated 1,000-resource template", big, middle],
] as const) {
  const target = pick ?? deepestScalar(openTemplate(text).root);
  const change: RectifyChange = {
    logicalId: target.logicalId,
    propertyPath: target.pointer,
    differenceType: "NOT_EQUAL",
    expected: target.value,
    actual: `${String(target.value)}-live`,
    decision: "legitimize",
  };
  const out = rectifyOne(text, change);
  const lines = changedLines(text, out);
  const parse = time(() => openTemplate(text));
  const noop = time(() => rectify({ template: { text }, changes: [] }));
  const one = time(() => rectifyOne(text, change));
  timing.push(
    `| ${label} | ${kb(text)} | \`${target.logicalId} ${target.pointer}\` | ${ms(parse.median)} | ${ms(noop.median)} | ${ms(one.median)} (${ms(one.min)}–${ms(one.max)}) | ${lines} |`,
  );
}

/* ---------- 2. diff size, 3 AM scenario ---------- */

const template = readFileSync(new URL("templates/payments-prod.yaml", scenario), "utf8");
const driftDir = new URL("drift/payments-prod/", scenario);
const drifts = readdirSync(driftDir)
  .filter((n) => n.endsWith(".json"))
  .sort()
  .flatMap((n) => {
    const parsed = parseDriftDocument(readFileSync(new URL(n, driftDir), "utf8"));
    return parsed.ok ? parsed.drifts : [];
  });
const decisions = parseDecisions(JSON.parse(readFileSync(decisionsFile, "utf8")));
if (!decisions.ok) throw new Error(decisions.issues.join("; "));
const joined = joinDecisions(decisions.rows, drifts);
if (!joined.ok) throw new Error(JSON.stringify(joined.issues));
const outcome = rectify({
  template: { text: template },
  changes: joined.changes,
  stack: { name: "payments-prod" },
});
if (!outcome.ok) throw new Error(JSON.stringify(outcome.issues));
const ours = changedLines(template, outcome.result.text);

// What a re-dump does: parse to data, apply the same two edits, stringify with the defaults.
const root = openTemplate(template).root;
const data = (root ? plainOf(root) : {}) as { Parameters: Record<string, { Default?: unknown }> };
const dumped = structuredClone(data);
if (dumped.Parameters.AppInstanceType) dumped.Parameters.AppInstanceType.Default = "t3.xlarge";
if (dumped.Parameters.DatabaseClass) dumped.Parameters.DatabaseClass.Default = "db.r5.xlarge";
const redump = changedLines(template, stringify(dumped));
// The `yaml` Document API keeps comments and tags, but still re-prints: its round trip alone.
const document = parseDocument(template);
document.setIn(["Parameters", "AppInstanceType", "Default"], "t3.xlarge");
document.setIn(["Parameters", "DatabaseClass", "Default"], "db.r5.xlarge");
const roundTrip = changedLines(template, document.toString());

/* ---------- report ---------- */

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
const load = os.loadavg()[0]?.toFixed(2) ?? "?";
console.log(
  `Rectify benchmark: ${os.cpus().length} x ${cpu}, Node ${process.version}, 1-minute load ${load}, ${runs} timed runs per case (median, min–max).\n`,
);
console.log(
  "| template | size | legitimized property | open (parse) | no-op rectify | one legitimize | changed lines |",
);
console.log("|---|---|---|---|---|---|---|");
for (const row of timing) console.log(row);
console.log("\n3 AM scenario (payments-prod.yaml, 2 edits: two parameter Defaults):\n");
console.log("| how the template is rewritten | changed lines in the diff | vs Phantom |");
console.log("|---|---|---|");
console.log(`| Phantom rectify (source splice) | ${ours} | 1x |`);
console.log(`| parse + \`yaml\` stringify (a re-dump) | ${redump} | ${(redump / ours).toFixed(0)}x |`);
console.log(`| \`yaml\` Document edit + toString() | ${roundTrip} | ${(roundTrip / ours).toFixed(1)}x |`);
console.log(`\n(template: ${kb(template)})`);
