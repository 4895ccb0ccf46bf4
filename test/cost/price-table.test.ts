import { describe, expect, it } from "vitest";
import shipped from "../../core/cost/price-table.json" with { type: "json" };
import { PRICE_SECTIONS, PriceTableError, parsePriceTable } from "../../core/cost/schema.ts";
import { derivation, SHIPPED_PRICE_TABLE } from "../../core/cost/table.ts";

const table = SHIPPED_PRICE_TABLE;
const regions = Object.entries(table.regions);

/** Every numeric leaf with its path. */
function leaves(value: unknown, path: string[] = []): [string, number][] {
  if (typeof value === "number") return [[path.join("."), value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, String(i)]));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [];
}

const T_SIZES = ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"];
const M_SIZES = ["large", "xlarge", "2xlarge", "4xlarge"];

describe("the shipped price table", () => {
  it("says where its figures come from, when, and how to refresh them", () => {
    expect(table.source).toMatch(/aws\.amazon\.com\/ec2\/pricing/);
    expect(table.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(table.note).toMatch(
      /^List prices as published on the AWS pricing pages; refresh with `phantom prices refresh`/,
    );
    expect(table.hoursPerMonth).toBe(730);
    expect(table.currency).toBe("USD");
  });

  it("covers the main regions", () => {
    expect(Object.keys(table.regions)).toEqual(
      expect.arrayContaining([
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "eu-west-1",
        "eu-central-1",
        "ap-southeast-1",
        "ap-northeast-1",
      ]),
    );
  });

  it("has only positive, finite prices", () => {
    for (const [region, prices] of regions) {
      for (const [path, value] of leaves(prices)) {
        expect(Number.isFinite(value) && value > 0, `${region} ${path} = ${value}`).toBe(true);
      }
    }
  });

  it("lists every EC2 type in every region", () => {
    const all = new Set(regions.flatMap(([, p]) => Object.keys(p.ec2)));
    for (const [region, prices] of regions) {
      expect(
        [...all].filter((t) => !(t in prices.ec2)),
        region,
      ).toEqual([]);
    }
  });

  it("has the common families and sizes", () => {
    const ec2 = table.regions["us-east-1"]?.ec2 ?? {};
    for (const family of ["t3", "t3a", "t4g"])
      for (const s of T_SIZES) expect(ec2).toHaveProperty([`${family}.${s}`]);
    for (const family of ["m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "r6i"]) {
      for (const s of M_SIZES) expect(ec2).toHaveProperty([`${family}.${s}`]);
    }
    for (const [, prices] of regions) {
      for (const engine of ["postgres", "mysql"] as const) {
        const classes = Object.keys(prices.rds[engine]);
        for (const family of ["db.m5", "db.m6i", "db.r5", "db.r6i"]) {
          for (const s of [...M_SIZES, "8xlarge"]) expect(classes).toContain(`${family}.${s}`);
        }
        for (const family of ["db.t3", "db.t4g"]) expect(classes).toContain(`${family}.medium`);
      }
      for (const family of ["cache.t3", "cache.t4g"])
        expect(prices.elasticache).toHaveProperty([`${family}.micro`]);
      for (const family of ["cache.m5", "cache.m6g", "cache.r5", "cache.r6g"]) {
        expect(prices.elasticache).toHaveProperty([`${family}.large`]);
      }
    }
  });

  it("keeps the same RDS classes for both engines and Multi-AZ at twice Single-AZ", () => {
    for (const [region, prices] of regions) {
      expect(Object.keys(prices.rds.mysql).sort(), region).toEqual(Object.keys(prices.rds.postgres).sort());
      for (const engine of ["postgres", "mysql"] as const) {
        for (const [cls, p] of Object.entries(prices.rds[engine])) {
          expect(p.multiAz, `${region} ${engine} ${cls}`).toBeCloseTo(2 * p.singleAz, 6);
        }
      }
    }
  });

  it("prices sizes within a family in order, and like regions alike", () => {
    const us = table.regions["us-east-1"];
    expect(us?.ec2["t3.nano"]).toBeLessThan(us?.ec2["t3.2xlarge"] ?? 0);
    expect(us?.rds.postgres["db.r5.large"]?.singleAz).toBeLessThan(
      us?.rds.postgres["db.r5.4xlarge"]?.singleAz ?? 0,
    );
    expect(table.regions["us-east-2"]).toEqual(us);
    expect(table.regions["us-west-2"]).toEqual(us);
  });

  it("declares its derived figures against regions and sections it has", () => {
    for (const d of table.derived) {
      expect(PRICE_SECTIONS).toContain(d.section);
      for (const r of d.regions) expect(Object.keys(table.regions)).toContain(r);
      expect(d.method.length).toBeGreaterThan(20);
    }
    expect(derivation(table, "eu-west-1", "rds", "db.r5.large")).toBeDefined();
    expect(derivation(table, "eu-west-1", "ec2", "m7i.large")).toBeDefined();
    expect(derivation(table, "eu-west-1", "ec2", "m6i.large")).toBeUndefined();
    expect(derivation(table, "us-east-1", "rds", "db.r5.large")).toBeUndefined();
    expect(derivation(table, "eu-west-1", "ebs", "gp3")).toBeUndefined();
    expect(derivation(table, "eu-west-1", "ebs", "gp3.iops")).toBeDefined();
  });

  it("rejects a broken table with every problem at once", () => {
    const broken = structuredClone(shipped) as {
      retrieved: string;
      regions: Record<string, { ec2: Record<string, unknown> }>;
    };
    broken.retrieved = "yesterday";
    const us = broken.regions["us-east-1"];
    if (us) us.ec2["t3.medium"] = -1;

    const error = (() => {
      try {
        parsePriceTable(broken);
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(PriceTableError);
    expect((error as PriceTableError).issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^retrieved:/),
        expect.stringMatching(/^regions\.us-east-1\.ec2\.t3\.medium:/),
      ]),
    );
  });
});
