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
import { fabricateWindow, realworldTemplates } from "../rectify/realworld-support.ts";
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
 * 3. The 60 real-world templates and their 4 BOM / CRLF variants (issue 13): one fabricated window of
 *    drift each (`fabricateWindow(text, 0)` in test/rectify/realworld-support.ts, the window the
 *    tests check), rectified in one call: changes written, left manual (and why), changed lines,
 *    against the lines a re-dump of the parsed template changes even before any edit.
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

/* ---------- 3. real-world templates, one fabricated window each ---------- */

interface Window {
  readonly name: string;
  readonly kinds: { kind: string; outcome: "written" | "manual" | "reverted" | "unchanged" }[];
  readonly changes: number;
  readonly applied: number;
  readonly manual: { kind: string; message: string }[];
  readonly ours: number;
  readonly redump: number;
}

/** What re-serialising the parsed template rewrites, before any edit: `yaml` stringify or JSON.stringify. */
function redumpLines(text: string): number {
  const doc = openTemplate(text);
  const data = doc.root ? plainOf(doc.root) : {};
  if (doc.format === "json") {
    const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? "  ";
    return changedLines(text, `${JSON.stringify(data, null, indent)}\n`);
  }
  return changedLines(text, stringify(data));
}

/** Fabricated changes no template can take as they are: they must be manual items. */
const expectedManual = new Set(["missing-resource", "lenient", "behind-expression", "refused-by-parameter"]);

const manualReasons = new Map<string, number>();

const windows: Window[] = realworldTemplates().map(({ name, text }) => {
  const window = fabricateWindow(text, 0);
  const result = rectify({ template: { text }, changes: window.map((f) => f.change) });
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.issues)}`);
  const written = new Set(result.result.applied.filter((a) => a.edits.length > 0).map((a) => a.index));
  const manual = new Set(result.result.manual.map((m) => m.index));
  const reverted = new Set(result.result.reverted.map((r) => r.index));
  for (const m of result.result.manual) {
    const kind = window[m.index]?.kind ?? "?";
    const why = m.message
      .replace(/^\S+ \S*( \([^)]*\))?:? /, "")
      .replace(/(!\w+|Fn::\w+|Ref)[\s\S]*$/, "$1")
      .replace(/"[^"]*"/g, "…")
      .replace(/\b(parameter|resource) \w+/g, "$1 X")
      .slice(0, 90);
    const key = `${kind}: ${why}`;
    manualReasons.set(key, (manualReasons.get(key) ?? 0) + 1);
  }
  return {
    name,
    kinds: window.map((f, i) => ({
      kind: f.kind,
      outcome: written.has(i)
        ? "written"
        : manual.has(i)
          ? "manual"
          : reverted.has(i)
            ? "reverted"
            : "unchanged",
    })),
    changes: window.length,
    applied: result.result.applied.filter((a) => a.edits.length > 0).length,
    manual: result.result.manual
      .filter((m) => !expectedManual.has(window[m.index]?.kind ?? ""))
      .map((m) => ({ kind: window[m.index]?.kind ?? "?", message: m.message })),
    ours: changedLines(text, result.result.text),
    redump: redumpLines(text),
  };
});
/** Seeds 1–9 too: which fabricated changes other windows leave manual, and why. */
const otherSeeds = realworldTemplates().flatMap(({ name, text }) =>
  [1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((seed) => {
    const window = fabricateWindow(text, seed);
    const result = rectify({ template: { text }, changes: window.map((f) => f.change) });
    if (!result.ok) throw new Error(`${name} seed ${seed}: ${JSON.stringify(result.issues)}`);
    return window.map((f, i) => ({
      name,
      kind: f.kind,
      manual: result.result.manual.find((m) => m.index === i)?.message,
    }));
  }),
);
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

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
console.log(
  `\nReal-world templates (${windows.length}: 60 + 4 BOM/CRLF variants), one fabricated window each (seed 0):\n`,
);
const totalChanges = windows.reduce((n, w) => n + w.changes, 0);
const totalApplied = windows.reduce((n, w) => n + w.applied, 0);
const perEdit = windows.map((w) => w.ours / Math.max(1, w.applied));
console.log("| | Phantom rectify | re-dump (no edit yet) |");
console.log("|---|---|---|");
console.log(
  `| changed lines per window, mean (median) | ${mean(windows.map((w) => w.ours)).toFixed(1)} (${median(windows.map((w) => w.ours))}) | ${mean(windows.map((w) => w.redump)).toFixed(0)} (${median(windows.map((w) => w.redump))}) |`,
);
console.log(`| changed lines per written change, mean | ${mean(perEdit).toFixed(1)} | |`);
const byKind = new Map<string, Record<string, number>>();
for (const w of windows) {
  for (const { kind, outcome } of w.kinds) {
    const row = byKind.get(kind) ?? {};
    row[outcome] = (row[outcome] ?? 0) + 1;
    byKind.set(kind, row);
  }
}
console.log("\n| fabricated change | in windows | written | manual | reverted | no edit needed |");
console.log("|---|---|---|---|---|---|");
for (const [kind, row] of byKind) {
  const total = Object.values(row).reduce((a, b) => a + b, 0);
  console.log(
    `| ${kind} | ${total} | ${row.written ?? 0} | ${row.manual ?? 0} | ${row.reverted ?? 0} | ${row.unchanged ?? 0} |`,
  );
}
console.log(
  `\n${totalChanges} changes, ${totalApplied} written; the changes no template could take (a resource it lacks, a value an expression computes, a value a parameter's AllowedValues refuse, a region strict parsers reject) aside, ${windows.filter((w) => w.manual.length > 0).length} templates had a change left manual:`,
);
for (const w of windows) for (const m of w.manual) console.log(`- ${w.name} (${m.kind}): ${m.message}`);
console.log("\nWhy the manual items of seed 0 are manual:");
for (const [why, n] of [...manualReasons].sort((a, b) => b[1] - a[1])) console.log(`- ${n} x ${why}`);
const others = otherSeeds.filter((c) => !expectedManual.has(c.kind));
const leftManual = others.filter((c) => c.manual !== undefined);
console.log(
  `\nSeeds 1-9 (${otherSeeds.length} more changes, ${others.length} a template could take): ${leftManual.length} left manual, in ${new Set(leftManual.map((c) => c.name)).size} templates:`,
);
const reasons = new Map<string, number>();
for (const c of leftManual) {
  const reason = `${c.kind}: ${(c.manual ?? "").replace(/^\S+ \S+( \([^)]*\))?:? /, "").slice(0, 110)}`;
  reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
}
for (const [reason, n] of [...reasons].sort((a, b) => b[1] - a[1])) console.log(`- ${n} x ${reason}`);
