import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  candidateValues,
  costFigures,
  HOURS_PER_MONTH,
  monthlyCost,
  priceResource,
  windowCost,
  withProperty,
} from "../../core/cost/cost.ts";
import { SHIPPED_PRICE_TABLE } from "../../core/cost/table.ts";

const us = { region: "us-east-1" };
const prices = SHIPPED_PRICE_TABLE.regions["us-east-1"];
if (prices === undefined) throw new Error("the shipped table has no us-east-1");

/** The 3 AM incident's database, as its drift result reports it (scalars as strings). */
const safeDb = {
  AllocatedStorage: "200",
  DBInstanceClass: "db.r5.large",
  Engine: "postgres",
  EngineVersion: "16.4",
  MultiAZ: true,
  StorageType: "gp3",
  BackupRetentionPeriod: 7,
};
const liveDb = { ...safeDb, DBInstanceClass: "db.r5.4xlarge", BackupRetentionPeriod: 1 };

function reasonFor(resourceType: string, properties: Record<string, unknown>, region = "us-east-1"): string {
  const pricing = priceResource(resourceType, properties, { region });
  if (pricing.kind !== "unpriced") throw new Error(`expected unpriced, got ${pricing.monthlyUsd}`);
  return pricing.reason;
}

describe("monthlyCost", () => {
  it("is hourly × 730 for an EC2 instance", () => {
    expect(HOURS_PER_MONTH).toBe(730);
    expect(monthlyCost("AWS::EC2::Instance", { InstanceType: "t3.medium" }, us)).toEqual({
      monthlyUsd: 30.37,
      basis: "t3.medium Linux on-demand in us-east-1: $0.0416/h × 730",
    });
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(prices.ec2)), (type) => {
        const cost = monthlyCost("AWS::EC2::Instance", { InstanceType: type }, us);
        expect(cost?.monthlyUsd).toBeCloseTo((prices.ec2[type] ?? Number.NaN) * 730, 2);
      }),
    );
  });

  it("looks prices up per region", () => {
    const dublin = monthlyCost("AWS::EC2::Instance", { InstanceType: "t3.medium" }, { region: "eu-west-1" });
    expect(dublin?.monthlyUsd).toBe(33.29);
    expect(dublin?.basis).toContain("eu-west-1");
  });

  it("prices an RDS instance with storage, doubling both for Multi-AZ", () => {
    const single = monthlyCost("AWS::RDS::DBInstance", { ...safeDb, MultiAZ: false }, us);
    const multi = monthlyCost("AWS::RDS::DBInstance", safeDb, us);

    // 0.25/h × 730 + 200 GiB × 0.115
    expect(single?.monthlyUsd).toBe(182.5 + 23);
    // 0.50/h × 730 + 200 GiB × 0.115 × 2
    expect(multi?.monthlyUsd).toBe(365 + 46);
    expect(multi?.basis).toBe(
      "db.r5.large postgres Multi-AZ on-demand in us-east-1: $0.50/h × 730 + 200 GiB gp3 × $0.115 per month × 2 (Multi-AZ)",
    );
  });

  it("prices RDS storage types and provisioned IOPS", () => {
    const base = { DBInstanceClass: "db.m5.large", Engine: "mysql", AllocatedStorage: 100 };
    const instance = 0.171 * 730;

    expect(monthlyCost("AWS::RDS::DBInstance", base, us)?.monthlyUsd).toBe(round(instance + 100 * 0.115));
    expect(
      monthlyCost("AWS::RDS::DBInstance", { ...base, StorageType: "io1", Iops: 3000 }, us)?.monthlyUsd,
    ).toBe(round(instance + 100 * 0.125 + 3000 * 0.1));
    // gp3 below 400 GiB includes 3,000 IOPS and 125 MiB/s; only the excess is billed.
    expect(
      monthlyCost(
        "AWS::RDS::DBInstance",
        { ...base, StorageType: "gp3", Iops: 5000, StorageThroughput: 250 },
        us,
      )?.monthlyUsd,
    ).toBe(round(instance + 100 * 0.115 + 2000 * 0.02 + 125 * 0.08));
    // From 400 GiB the baseline is 12,000 IOPS.
    expect(
      monthlyCost(
        "AWS::RDS::DBInstance",
        { ...base, AllocatedStorage: 400, StorageType: "gp3", Iops: 12000 },
        us,
      )?.monthlyUsd,
    ).toBe(round(instance + 400 * 0.115));
    // Iops without StorageType means io1 (CloudFormation's default).
    expect(monthlyCost("AWS::RDS::DBInstance", { ...base, Iops: "1000" }, us)?.monthlyUsd).toBe(
      round(instance + 100 * 0.125 + 1000 * 0.1),
    );
  });

  it("coerces the strings drift results carry", () => {
    const strings = monthlyCost(
      "AWS::RDS::DBInstance",
      {
        DBInstanceClass: " db.r5.large ",
        Engine: "PostgreSQL",
        MultiAZ: "TRUE",
        AllocatedStorage: "200",
        StorageType: "GP3",
      },
      us,
    );
    expect(strings?.monthlyUsd).toBe(monthlyCost("AWS::RDS::DBInstance", safeDb, us)?.monthlyUsd);
    expect(monthlyCost("AWS::RDS::DBInstance", { ...safeDb, MultiAZ: "false" }, us)?.monthlyUsd).toBe(205.5);
    expect(monthlyCost("AWS::EC2::Volume", { Size: "100", VolumeType: "gp3" }, us)?.monthlyUsd).toBe(8);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16384 }), fc.boolean(), (gib, multiAz) => {
        const asNumbers = monthlyCost(
          "AWS::RDS::DBInstance",
          { ...safeDb, AllocatedStorage: gib, MultiAZ: multiAz },
          us,
        );
        const asStrings = monthlyCost(
          "AWS::RDS::DBInstance",
          { ...safeDb, AllocatedStorage: String(gib), MultiAZ: String(multiAz) },
          us,
        );
        expect(asStrings).toEqual(asNumbers);
      }),
    );
  });

  it("prices EBS volumes by type, IOPS and throughput", () => {
    const cost = (p: Record<string, unknown>) => monthlyCost("AWS::EC2::Volume", p, us)?.monthlyUsd;
    expect(cost({ Size: 100 })).toBe(10); // gp2 is the default
    expect(cost({ Size: 100, VolumeType: "gp3", Iops: 6000, Throughput: 250 })).toBe(
      round(8 + 3000 * 0.005 + 125 * 0.04),
    );
    expect(cost({ Size: 100, VolumeType: "io1", Iops: 1000 })).toBe(round(12.5 + 65));
    // io2 IOPS are tiered: 32,000 at 0.065, the next 32,000 at 0.0455, the rest at 0.032.
    expect(cost({ Size: 100, VolumeType: "io2", Iops: 70000 })).toBe(
      round(12.5 + 32000 * 0.065 + 32000 * 0.0455 + 6000 * 0.032),
    );
    expect(cost({ Size: 500, VolumeType: "st1" })).toBe(22.5);
    expect(cost({ Size: 500, VolumeType: "sc1" })).toBe(7.5);
  });

  it("sums DynamoDB provisioned capacity over the table and its GSIs", () => {
    const table = {
      BillingMode: "PROVISIONED",
      ProvisionedThroughput: { ReadCapacityUnits: "100", WriteCapacityUnits: 50 },
      GlobalSecondaryIndexes: [
        {
          IndexName: "byCustomer",
          ProvisionedThroughput: { ReadCapacityUnits: 20, WriteCapacityUnits: "10" },
        },
        { IndexName: "byDate", ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } },
      ],
    };
    const cost = monthlyCost("AWS::DynamoDB::Table", table, us);

    expect(cost?.monthlyUsd).toBe(round((125 * 0.00013 + 65 * 0.00065) * 730));
    expect(cost?.basis).toContain("table + 2 GSIs");
    expect(cost?.basis).toContain("storage not included");
  });

  it("does not price on-demand DynamoDB, and says why", () => {
    expect(monthlyCost("AWS::DynamoDB::Table", { BillingMode: "PAY_PER_REQUEST" }, us)).toBeUndefined();
    expect(reasonFor("AWS::DynamoDB::Table", { BillingMode: "PAY_PER_REQUEST" })).toMatch(
      /billed per request/,
    );
    expect(
      reasonFor("AWS::DynamoDB::Table", {
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
        GlobalSecondaryIndexes: [{ IndexName: "byDate" }],
      }),
    ).toMatch(/GlobalSecondaryIndexes\[byDate\]\.ProvisionedThroughput is not set/);
  });

  it("prices ElastiCache clusters and replication groups per node", () => {
    const node = (prices.elasticache["cache.r6g.large"] ?? Number.NaN) * 730;
    const cost = (type: string, p: Record<string, unknown>) => monthlyCost(type, p, us)?.monthlyUsd;

    expect(
      cost("AWS::ElastiCache::CacheCluster", {
        CacheNodeType: "cache.r6g.large",
        Engine: "redis",
        NumCacheNodes: "2",
      }),
    ).toBe(round(2 * node));
    expect(
      cost("AWS::ElastiCache::ReplicationGroup", { CacheNodeType: "cache.r6g.large", NumCacheClusters: 3 }),
    ).toBe(round(3 * node));
    expect(
      cost("AWS::ElastiCache::ReplicationGroup", {
        CacheNodeType: "cache.r6g.large",
        NumNodeGroups: 3,
        ReplicasPerNodeGroup: 1,
      }),
    ).toBe(round(6 * node));
    expect(reasonFor("AWS::ElastiCache::ReplicationGroup", { CacheNodeType: "cache.r6g.large" })).toMatch(
      /node count is not set/,
    );
    expect(
      reasonFor("AWS::ElastiCache::CacheCluster", {
        CacheNodeType: "cache.r6g.large",
        Engine: "valkey",
        NumCacheNodes: 1,
      }),
    ).toMatch(/valkey is not in the price table/);
  });

  it("prices NAT gateways and load balancers by the hour, leaving usage out", () => {
    const nat = monthlyCost("AWS::EC2::NatGateway", {}, us);
    const alb = monthlyCost("AWS::ElasticLoadBalancingV2::LoadBalancer", {}, us);
    const nlb = monthlyCost("AWS::ElasticLoadBalancingV2::LoadBalancer", { Type: "network" }, us);

    expect(nat?.monthlyUsd).toBe(32.85);
    expect(nat?.basis).toContain("data processed ($0.045/GB) not included");
    expect(alb?.monthlyUsd).toBe(16.43);
    expect(alb?.basis).toContain("LCU usage");
    expect(nlb?.monthlyUsd).toBe(16.43);
    expect(reasonFor("AWS::ElasticLoadBalancingV2::LoadBalancer", { Type: "gateway" })).toMatch(/gateway/);
  });

  it("prices an Auto Scaling group from the instance type hint", () => {
    const group = { DesiredCapacity: "3", MinSize: "2", MaxSize: "6" };

    expect(
      monthlyCost("AWS::AutoScaling::AutoScalingGroup", group, { ...us, instanceType: "m5.large" })
        ?.monthlyUsd,
    ).toBe(round(3 * 0.096 * 730));
    expect(
      monthlyCost("AWS::AutoScaling::AutoScalingGroup", { MinSize: 2 }, { ...us, instanceType: "m5.large" })
        ?.basis,
    ).toContain("MinSize (no DesiredCapacity)");
    expect(reasonFor("AWS::AutoScaling::AutoScalingGroup", group)).toMatch(/instanceType hint/);
  });

  it("counts no-charge resources as free and leaves Aurora to its instances", () => {
    expect(monthlyCost("AWS::EC2::SecurityGroup", { GroupDescription: "x" }, us)?.monthlyUsd).toBe(0);
    expect(reasonFor("AWS::RDS::DBCluster", { Engine: "aurora-postgresql" })).toMatch(
      /billed per DB instance/,
    );
    expect(
      reasonFor("AWS::RDS::DBCluster", { Engine: "postgres", DBClusterInstanceClass: "db.r6gd.large" }),
    ).toMatch(/Multi-AZ DB cluster/);
  });

  it("never guesses: unknown types, sizes, engines, regions and unresolved values have a reason", () => {
    expect(monthlyCost("AWS::Lambda::Function", {}, us)).toBeUndefined();
    expect(reasonFor("AWS::Lambda::Function", {})).toBe("AWS::Lambda::Function is not in the price table");
    expect(reasonFor("AWS::EC2::Instance", { InstanceType: "x9.huge" })).toBe(
      "no price for EC2 instance type x9.huge in us-east-1",
    );
    expect(reasonFor("AWS::EC2::Instance", {})).toMatch(/InstanceType is not set/);
    expect(reasonFor("AWS::EC2::Instance", { InstanceType: "t3.medium", Tenancy: "dedicated" })).toMatch(
      /Tenancy dedicated/,
    );
    expect(reasonFor("AWS::EC2::Instance", { InstanceType: { Ref: "AppInstanceType" } })).toBe(
      'InstanceType is not a literal value: {"Ref":"AppInstanceType"}',
    );
    expect(reasonFor("AWS::RDS::DBInstance", { ...safeDb, Engine: "oracle-ee" })).toMatch(
      /oracle-ee is not in the price table/,
    );
    expect(
      reasonFor("AWS::RDS::DBInstance", { ...safeDb, MultiAZ: { "Fn::If": ["IsProduction", true, false] } }),
    ).toMatch(/MultiAZ is not a literal value/);
    expect(reasonFor("AWS::RDS::DBInstance", { ...safeDb, AllocatedStorage: "lots" })).toMatch(
      /AllocatedStorage/,
    );
    expect(reasonFor("AWS::RDS::DBInstance", { ...safeDb, StorageType: "standard" })).toMatch(
      /StorageType standard/,
    );
    expect(reasonFor("AWS::EC2::Instance", { InstanceType: "t3.medium" }, "sa-east-1")).toMatch(
      /no prices for region sa-east-1.*phantom prices refresh --region sa-east-1/,
    );
  });

  it("says when a regional rate is derived rather than a list price", () => {
    const derived = priceResource("AWS::RDS::DBInstance", safeDb, { region: "eu-central-1" });
    const listed = priceResource(
      "AWS::EC2::Instance",
      { InstanceType: "m6i.large" },
      { region: "eu-central-1" },
    );

    expect(derived).toMatchObject({ kind: "priced", derived: true });
    expect(derived.kind === "priced" && derived.basis).toMatch(/derived by ratio/);
    expect(listed).toMatchObject({ kind: "priced", derived: false });
  });
});

describe("costFigures", () => {
  it("gives the 3 AM database: db.r5.large ► db.r5.4xlarge, postgres Multi-AZ, us-east-1", () => {
    const figures = costFigures({
      resourceType: "AWS::RDS::DBInstance",
      region: "us-east-1",
      safeProperties: safeDb,
      liveProperties: withProperty(safeDb, "/DBInstanceClass", "db.r5.4xlarge"),
      rectifiedProperties: safeDb,
      candidates: "/DBInstanceClass",
    });

    expect(figures).toMatchObject({
      safeMonthlyUsd: 411,
      currentMonthlyUsd: 2966,
      deltaMonthlyUsd: 2555,
      rectifiedMonthlyUsd: 411,
      percent: 621.65,
      basis:
        "db.r5.large postgres Multi-AZ, 200 GiB gp3 ► db.r5.4xlarge postgres Multi-AZ, 200 GiB gp3, us-east-1, " +
        "on-demand list prices, hourly × 730",
    });
    expect(figures.candidates?.map((c) => c.value)).toEqual([
      "db.r5.large",
      "db.r5.xlarge",
      "db.r5.2xlarge",
      "db.r5.4xlarge",
      "db.r5.8xlarge",
      "db.r5.12xlarge",
    ]);
    expect(figures.candidates?.find((c) => c.value === "db.r5.2xlarge")?.monthlyUsd).toBe(1506);
  });

  it("gives the 3 AM app server: t3.medium ► t3.xlarge", () => {
    const figures = costFigures({
      resourceType: "AWS::EC2::Instance",
      region: "us-east-1",
      safeProperties: { InstanceType: "t3.medium" },
      liveProperties: { InstanceType: "t3.xlarge" },
      rectifiedProperties: { InstanceType: "t3.xlarge" },
    });

    expect(figures).toMatchObject({
      safeMonthlyUsd: 30.37,
      currentMonthlyUsd: 121.47,
      deltaMonthlyUsd: 91.1,
      rectifiedMonthlyUsd: 121.47,
      percent: 300,
    });
    expect(figures.candidates).toBeUndefined();
  });

  it("is zero for a change that does not touch the price", () => {
    const figures = costFigures({
      resourceType: "AWS::RDS::DBInstance",
      region: "us-east-1",
      safeProperties: safeDb,
      liveProperties: withProperty(safeDb, "/BackupRetentionPeriod", "1"),
    });

    expect(figures).toMatchObject({
      safeMonthlyUsd: 411,
      currentMonthlyUsd: 411,
      deltaMonthlyUsd: 0,
      percent: 0,
    });
    expect(figures.rectifiedMonthlyUsd).toBeNull();
  });

  it("keeps nulls and the reason when a side cannot be priced", () => {
    const figures = costFigures({
      resourceType: "AWS::RDS::DBInstance",
      region: "us-east-1",
      safeProperties: { ...safeDb, DBInstanceClass: { Ref: "DatabaseClass" } },
      liveProperties: liveDb,
    });

    expect(figures).toMatchObject({
      safeMonthlyUsd: null,
      currentMonthlyUsd: 2966,
      deltaMonthlyUsd: null,
      percent: null,
    });
    expect(figures.basis).toMatch(/^safe state not priced: DBInstanceClass is not a literal value/);
  });

  it("counts an absent resource as costing nothing", () => {
    const figures = costFigures({
      resourceType: "AWS::EC2::NatGateway",
      region: "us-east-1",
      safeProperties: null,
      liveProperties: {},
    });

    expect(figures).toMatchObject({
      safeMonthlyUsd: 0,
      currentMonthlyUsd: 32.85,
      deltaMonthlyUsd: 32.85,
      percent: null,
    });
  });
});

describe("candidateValues", () => {
  it("lists the family's sizes sorted by price", () => {
    const list = candidateValues("AWS::EC2::Instance", "InstanceType", "t3.medium", us);

    expect(list.map((c) => c.value)).toEqual([
      "t3.nano",
      "t3.micro",
      "t3.small",
      "t3.medium",
      "t3.large",
      "t3.xlarge",
      "t3.2xlarge",
    ]);
    expect(list.map((c) => c.monthlyUsd)).toEqual([...list.map((c) => c.monthlyUsd)].sort((a, b) => a - b));
    expect(list.find((c) => c.value === "t3.xlarge")?.monthlyUsd).toBe(121.47);
  });

  it("prices candidates as the whole configuration", () => {
    const single = candidateValues("AWS::RDS::DBInstance", "DBInstanceClass", "db.r5.large", {
      ...us,
      properties: { ...safeDb, MultiAZ: false },
    });
    const multi = candidateValues("AWS::RDS::DBInstance", "DBInstanceClass", "db.r5.large", {
      ...us,
      properties: safeDb,
    });

    expect(single[0]).toEqual({ value: "db.r5.large", monthlyUsd: 205.5 });
    expect(multi[0]).toEqual({ value: "db.r5.large", monthlyUsd: 411 });
    // Without the engine an RDS class cannot be priced, so there is nothing to offer.
    expect(candidateValues("AWS::RDS::DBInstance", "DBInstanceClass", "db.r5.large", us)).toEqual([]);
  });

  it("is empty for properties that are not sizes and for unknown values", () => {
    expect(candidateValues("AWS::EC2::Instance", "ImageId", "ami-123", us)).toEqual([]);
    expect(candidateValues("AWS::EC2::Instance", "InstanceType", "x9.huge", us)).toEqual([]);
    expect(candidateValues("AWS::SQS::Queue", "VisibilityTimeout", "30", us)).toEqual([]);
    expect(
      candidateValues("AWS::ElastiCache::CacheCluster", "CacheNodeType", "cache.r6g.large", {
        ...us,
        properties: { Engine: "redis", NumCacheNodes: 1 },
      }).map((c) => c.value),
    ).toEqual([
      "cache.r6g.large",
      "cache.r6g.xlarge",
      "cache.r6g.2xlarge",
      "cache.r6g.4xlarge",
      "cache.r6g.8xlarge",
    ]);
  });
});

describe("windowCost", () => {
  const change = (
    resourceType: string,
    safe: Record<string, unknown>,
    path: string,
    value: unknown,
    revert = true,
  ) => {
    const live = withProperty(safe, path, value);
    return costFigures({
      resourceType,
      region: "us-east-1",
      safeProperties: safe,
      liveProperties: live,
      rectifiedProperties: revert ? safe : live,
    });
  };

  it("sums the 3 AM window per resource: current, safe, rectified, delta and percent", () => {
    const db = "AWS::RDS::DBInstance";
    const window = windowCost([
      { resource: "PaymentsDatabase", cost: change(db, safeDb, "/BackupRetentionPeriod", "1") },
      { resource: "PaymentsDatabase", cost: change(db, safeDb, "/DBInstanceClass", "db.r5.4xlarge") },
      { resource: "PaymentsDatabase", cost: change(db, safeDb, "/DeletionProtection", "false") },
      {
        resource: "AppServer",
        cost: change(
          "AWS::EC2::Instance",
          { InstanceType: "t3.medium" },
          "/InstanceType",
          "t3.xlarge",
          false,
        ),
      },
      {
        resource: "AppSecurityGroup",
        cost: change(
          "AWS::EC2::SecurityGroup",
          { GroupDescription: "Payments API" },
          "/SecurityGroupIngress/1",
          {
            CidrIp: "0.0.0.0/0",
          },
        ),
      },
    ]);

    expect(window).toEqual({
      safeMonthlyUsd: 441.37,
      currentMonthlyUsd: 3087.47,
      rectifiedMonthlyUsd: 532.47,
      deltaMonthlyUsd: 2646.1,
      percent: 599.52,
      unpriced: [],
    });
  });

  it("leaves unpriced resources out and names them", () => {
    const window = windowCost([
      {
        resource: "AppServer",
        cost: change("AWS::EC2::Instance", { InstanceType: "t3.medium" }, "/InstanceType", "t3.large"),
      },
      {
        resource: "Handler",
        cost: change("AWS::Lambda::Function", { MemorySize: 128 }, "/MemorySize", 1024),
      },
    ]);

    expect(window).toMatchObject({
      safeMonthlyUsd: 30.37,
      currentMonthlyUsd: 60.74,
      deltaMonthlyUsd: 30.37,
      percent: 100,
    });
    expect(window.unpriced).toEqual(["Handler"]);
  });

  it("has no rectified total until every priced change has one, and no percent from nothing", () => {
    const figures = costFigures({
      resourceType: "AWS::EC2::NatGateway",
      region: "us-east-1",
      safeProperties: null,
      liveProperties: {},
    });

    const window = windowCost([{ resource: "Nat", cost: figures }]);

    expect(window).toMatchObject({
      safeMonthlyUsd: 0,
      currentMonthlyUsd: 32.85,
      rectifiedMonthlyUsd: null,
      percent: null,
    });
    expect(windowCost([])).toEqual({
      safeMonthlyUsd: 0,
      currentMonthlyUsd: 0,
      rectifiedMonthlyUsd: 0,
      deltaMonthlyUsd: 0,
      percent: null,
      unpriced: [],
    });
  });
});

describe("withProperty", () => {
  it("sets, replaces and removes by JSON pointer without touching the input", () => {
    const input = { A: { B: [1, 2] }, C: "x" };

    expect(withProperty(input, "/A/B/1", 5)).toEqual({ A: { B: [1, 5] }, C: "x" });
    expect(withProperty(input, "/D", "new")).toEqual({ ...input, D: "new" });
    expect(withProperty(input, "/C", undefined)).toEqual({ A: { B: [1, 2] } });
    expect(withProperty(input, "/A/B/0", undefined)).toEqual({ A: { B: [2] }, C: "x" });
    expect(input).toEqual({ A: { B: [1, 2] }, C: "x" });
  });
});

function round(value: number): number {
  return Math.round((value + Number.EPSILON) * 100) / 100;
}
