import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { InspectLine } from "../../core/change/report.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { inspectPaths } from "../../functions/cli/inspect.ts";
import { listCaptureFiles, readCaptureFile } from "../../functions/io/read-captures.ts";

/**
 * The real CloudTrail datasets (`fixtures/corpus/realworld/`, sources and licenses in its SOURCES.md)
 * through `phantom inspect`, against a reviewed golden per dataset (`goldens/<dataset>.json`): every
 * record judged a change (file#index, event, resources) and the count of every other verdict by reason.
 * The review is written down in README.md next to this file. A verdict that changes fails the test;
 * regenerate on purpose, then read the diff:
 *
 *     PHANTOM_UPDATE_GOLDEN=1 npx vitest run test/realworld
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
const REALWORLD = path.join(root, "fixtures/corpus/realworld");
const GOLDENS = fileURLToPath(new URL("goldens/", import.meta.url));
const UPDATE = process.env.PHANTOM_UPDATE_GOLDEN === "1";

const DATASETS = readdirSync(REALWORLD, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

interface Golden {
  readonly dataset: string;
  readonly records: number;
  readonly changes: readonly { source: string; eventName: string | null; resources: string[] }[];
  readonly ignored: Record<string, number>;
  readonly rejected: Record<string, number>;
}

/** Every line `phantom inspect` prints for one dataset, in input order. */
async function inspect(dataset: string): Promise<InspectLine[]> {
  const lines: InspectLine[] = [];
  for await (const line of inspectPaths([path.join(REALWORLD, dataset)], DEFAULT_CONFIG)) lines.push(line);
  return lines;
}

/** Counts by reason code, sorted by code so the golden's diff stays readable. */
function countBy(lines: readonly InspectLine[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line.reasonCode ?? "?", (counts.get(line.reasonCode ?? "?") ?? 0) + 1);
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

function goldenOf(dataset: string, lines: readonly InspectLine[]): Golden {
  const base = path.join(REALWORLD, dataset);
  return {
    dataset,
    records: lines.length,
    changes: lines
      .filter((l) => l.verdict === "change")
      .map((l) => ({
        source: path.relative(base, path.resolve(root, l.source)).split(path.sep).join("/"),
        eventName: l.eventName,
        resources: l.resources.map((r) => `${r.type} ${r.id}`),
      })),
    ignored: countBy(lines.filter((l) => l.verdict === "ignored")),
    rejected: countBy(lines.filter((l) => l.verdict === "rejected")),
  };
}

const judged = new Map<string, InspectLine[]>();
for (const dataset of DATASETS) judged.set(dataset, await inspect(dataset));
const all = [...judged.values()].flat();
const changes = all.filter((l) => l.verdict === "change");

describe("the real CloudTrail datasets through inspect", () => {
  it.each(DATASETS)("%s matches its reviewed golden", (dataset) => {
    const actual = goldenOf(dataset, judged.get(dataset) ?? []);
    const file = path.join(GOLDENS, `${dataset}.json`);
    if (UPDATE || !existsSync(file)) {
      if (!UPDATE) throw new Error(`${file} is missing: run with PHANTOM_UPDATE_GOLDEN=1 and review it`);
      writeFileSync(file, `${JSON.stringify(actual, null, 1)}\n`);
    }
    expect(actual).toEqual(JSON.parse(readFileSync(file, "utf8")));
  });

  it("reads every record: none is rejected", () => {
    expect(all.filter((l) => l.verdict === "rejected").map((l) => `${l.source} ${l.reason}`)).toEqual([]);
  });

  it.each([
    ["ssm:DeleteParameter", "AWS::SSM::Parameter"],
    ["ec2:DisassociateRouteTable", "AWS::EC2::SubnetRouteTableAssociation"],
    ["ec2:ReleaseAddress", "AWS::EC2::EIP"],
    ["route53resolver:DeleteResolverQueryLogConfig", "AWS::Route53Resolver::ResolverQueryLoggingConfig"],
    ["rolesanywhere:DeleteProfile", "AWS::RolesAnywhere::Profile"],
    ["rolesanywhere:DeleteTrustAnchor", "AWS::RolesAnywhere::TrustAnchor"],
  ])("finds every %s as a change to its %s", (api, type) => {
    const [service, eventName] = api.split(":");
    const calls = all.filter(
      (l) => l.eventSource === `${service}.amazonaws.com` && l.eventName === eventName && !l.reasonCode,
    );
    expect(calls.length, api).toBeGreaterThan(0);
    for (const call of calls)
      expect(
        call.resources.map((r) => r.type),
        call.source,
      ).toContain(type);
  });

  it("judges the link APIs by their route table or gateway and by the link resource itself", () => {
    const links: [string, string, string][] = [
      ["AssociateRouteTable", "AWS::EC2::RouteTable", "AWS::EC2::SubnetRouteTableAssociation"],
      ["CreateRoute", "AWS::EC2::RouteTable", "AWS::EC2::Route"],
      ["AttachInternetGateway", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment"],
    ];
    for (const [eventName, owner, link] of links) {
      const found = changes.filter((l) => l.eventName === eventName);
      expect(found.length, eventName).toBeGreaterThan(0);
      for (const l of found)
        expect(
          l.resources.map((r) => r.type),
          l.source,
        ).toEqual([owner, link]);
    }
  });

  it("never makes a change of a PutParameter that creates a parameter (overwrite false)", () => {
    const puts = all.filter((l) => l.eventName === "PutParameter" && l.reasonCode !== "failed-call");
    expect(puts.length).toBeGreaterThan(0);
    expect(new Set(puts.map((l) => l.reasonCode))).toEqual(new Set(["creates-new-resource"]));
  });

  it("ignores CreateTags on an AMI as nothing a stack can own, never as a broken record", () => {
    const ami = all.filter(
      (l) => l.eventName === "CreateTags" && l.reason?.includes("ami-") && l.verdict !== "change",
    );
    expect(ami.length).toBeGreaterThan(0);
    for (const l of ami) expect(l).toMatchObject({ verdict: "ignored", reasonCode: "not-stack-ownable" });
  });

  it("never makes a change of a read, a failed call, CloudFormation's own call or a sign-in", () => {
    for (const l of changes) {
      expect(l.resources.length, l.source).toBeGreaterThan(0);
      expect(l.eventName ?? "", l.source).not.toMatch(/^(Describe|Get|List|Head|Lookup)/);
    }
  });

  it("gives the same verdicts, reasons and resources for an Athena-style export of every dataset", async () => {
    // prepare: every record with lowercase keys and its payloads as JSON strings, one JSON line each
    const dir = await mkdtemp(path.join(tmpdir(), "phantom-athena-"));
    try {
      const lines: string[] = [];
      for (const file of await listCaptureFiles(DATASETS.map((d) => path.join(REALWORLD, d)))) {
        for await (const item of readCaptureFile(file)) {
          if (item.kind === "error") throw new Error(`${file}: ${item.error}`);
          const value = item.value as { Records?: unknown };
          const records = Array.isArray(value.Records) ? value.Records : [item.value];
          for (const record of records) lines.push(JSON.stringify(athenaRow(record)));
        }
      }
      await writeFile(path.join(dir, "export.jsonl"), `${lines.join("\n")}\n`);

      // act
      const exported: InspectLine[] = [];
      for await (const line of inspectPaths([dir], DEFAULT_CONFIG)) exported.push(line);

      // assess
      const verdicts = (ls: readonly InspectLine[]) =>
        ls.map(
          (l) =>
            `${l.verdict} ${l.reasonCode ?? ""} ${l.resources.map((r) => `${r.type} ${r.id}`).join(",")}`,
        );
      expect(verdicts(exported)).toEqual(verdicts(all));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const PAYLOADS = new Set(["requestparameters", "responseelements", "additionaleventdata"]);

/** A record as Athena, CloudTrail Lake and several SIEMs export it: lowercase keys, payloads as JSON text. */
function athenaRow(record: unknown): unknown {
  const lower = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(lower);
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), lower(v)]));
  };
  const row = lower(record) as Record<string, unknown>;
  for (const key of PAYLOADS) {
    if (row[key] !== undefined && row[key] !== null) row[key] = JSON.stringify(row[key]);
  }
  return row;
}
