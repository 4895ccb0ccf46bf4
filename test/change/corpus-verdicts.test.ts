import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { InspectLine } from "../../core/change/report.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { inspectPaths } from "../../functions/cli/inspect.ts";
import { CORPUS } from "../support/corpus.ts";

/**
 * Every CloudTrail record in the corpus (`fixtures/corpus/cloudtrail/`) goes through `phantom inspect` (issue 2), checked two
 * ways: against the corpus MANIFEST's own labels (failed calls, read-only calls, CloudFormation's
 * calls — labels Phantom did not write), and against a reviewed golden of every verdict, reason and
 * resource (`fixtures/corpus-verdicts.json`, regenerated only with PHANTOM_UPDATE_GOLDEN=1).
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
const corpus = fileURLToPath(CORPUS);
const goldenFile = path.join(root, "fixtures/corpus-verdicts.json");
const update = process.env.PHANTOM_UPDATE_GOLDEN === "1";

interface ManifestEntry {
  readonly file: string;
  readonly tags: string;
}

const manifest = JSON.parse(readFileSync(path.join(corpus, "MANIFEST.json"), "utf8")) as {
  cloudtrail: ManifestEntry[];
};
const tagOf = new Map(manifest.cloudtrail.map((m) => [m.file, m.tags]));

async function judgeCorpus(): Promise<Map<string, InspectLine[]>> {
  const byFile = new Map<string, InspectLine[]>();
  for await (const line of inspectPaths([path.join(corpus, "cloudtrail")], DEFAULT_CONFIG)) {
    const file = path.relative(corpus, path.resolve(line.source.replace(/#\d+$/, "")));
    byFile.set(file, [...(byFile.get(file) ?? []), line]);
  }
  return byFile;
}

const judged = await judgeCorpus();

describe("the CloudTrail corpus through inspect", () => {
  it("judges every file in the MANIFEST, each record with a verdict and, unless a change, a reason", () => {
    expect([...judged.keys()].sort()).toEqual([...tagOf.keys()].sort());
    for (const lines of judged.values()) {
      for (const line of lines) {
        expect(["change", "ignored", "rejected"]).toContain(line.verdict);
        if (line.verdict !== "change") expect(line.reason).toMatch(/^[a-z-]+: ./);
      }
    }
  });

  it("agrees with the MANIFEST's labels: failed, read-only and CloudFormation's calls are never changes", () => {
    const disagreements: string[] = [];
    // What each MANIFEST label allows. A record CloudTrail logged as a VPC endpoint event
    // (`AwsVpceEvent`) is not an API call whatever else it is; a record lacking eventTime is
    // rejected as such before anything else is judged.
    const allowed: [RegExp, readonly string[]][] = [
      [/(^|,)error:/, ["ignored:failed-call", "ignored:not-an-api-call", "rejected:missing-field"]],
      [/(^|,)by-cloudformation($|,)/, ["ignored:by-cloudformation"]],
      [/(^|,)read-only($|,)/, ["ignored:read-only", "ignored:not-an-api-call", "rejected:missing-field"]],
    ];
    for (const [file, tags] of tagOf) {
      const first = judged.get(file)?.[0];
      const got = `${first?.verdict}:${first?.reasonCode ?? ""}`;
      // A record with several labels (a failed read) may be ignored for any of them.
      const matching = allowed.filter(([label]) => label.test(tags));
      if (matching.length > 0 && !matching.some(([, verdicts]) => verdicts.includes(got))) {
        disagreements.push(`${file} ${tags} ► ${got}`);
      }
    }
    expect(disagreements).toEqual([]);
  });

  it("matches the reviewed verdicts, reasons and resources of every record", () => {
    const actual = Object.fromEntries(
      [...judged.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([file, lines]) => [
          file,
          lines.map((l) => ({
            verdict: l.verdict,
            ...(l.reasonCode ? { reason: l.reasonCode } : {}),
            ...(l.resources.length > 0 ? { resources: l.resources.map((r) => `${r.type} ${r.id}`) } : {}),
          })),
        ]),
    );
    if (update || !existsSync(goldenFile)) {
      writeFileSync(goldenFile, `${JSON.stringify(actual, null, 1)}\n`);
      console.warn(`wrote ${goldenFile} (PHANTOM_UPDATE_GOLDEN=1)`);
    }
    expect(actual).toEqual(JSON.parse(readFileSync(goldenFile, "utf8")));
  });

  it("finds changes on the write targets: security groups, buckets, functions, databases, keys, trails", () => {
    const changed = [...judged.entries()].filter(([, lines]) => lines.some((l) => l.verdict === "change"));
    const types = new Set(
      changed.flatMap(([, lines]) => lines.flatMap((l) => l.resources.map((r) => r.type))),
    );

    expect(changed.length).toBeGreaterThan(100);
    for (const type of [
      "AWS::EC2::SecurityGroup",
      "AWS::S3::Bucket",
      "AWS::Lambda::Function",
      "AWS::RDS::DBInstance",
      "AWS::KMS::Key",
      "AWS::CloudTrail::Trail",
      "AWS::IAM::Role",
      "AWS::SQS::Queue",
    ]) {
      expect(types).toContain(type);
    }
  });
});
