import { PricingClient } from "@aws-sdk/client-pricing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { costFigures } from "../../core/cost/cost.ts";
import {
  collectProduct,
  emptyCollection,
  onDemandPrice,
  priceListQueries,
  readPriceListItem,
  rebuildPriceTable,
  tablePath,
} from "../../core/cost/price-list.ts";
import type { PriceTable } from "../../core/cost/schema.ts";
import { SHIPPED_PRICE_TABLE } from "../../core/cost/table.ts";
import {
  MissingCredentialsError,
  PriceListError,
  refreshPriceTable,
} from "../../functions/adapters/price-list.ts";
import { type AwsServer, clientConfig, startAwsServer } from "../support/aws-server.ts";
import { fixture, json11, servePriceList, usEast1Catalog } from "./price-list-server.ts";

/** A small base table: the shipped us-east-1 figures for a few sizes, so a test catalog can cover it. */
function smallBase(): PriceTable {
  const us = structuredClone(SHIPPED_PRICE_TABLE.regions["us-east-1"]);
  if (us === undefined) throw new Error("no us-east-1");
  const pick = <T>(record: Record<string, T>, keys: string[]) =>
    Object.fromEntries(keys.map((k) => [k, record[k] as T]));
  return {
    ...SHIPPED_PRICE_TABLE,
    derived: [],
    regions: {
      "us-east-1": {
        ...us,
        ec2: pick(us.ec2, ["t3.medium", "t3.xlarge", "m5.large"]),
        rds: {
          postgres: pick(us.rds.postgres, ["db.r5.large", "db.r5.4xlarge"]),
          mysql: pick(us.rds.mysql, ["db.r5.large", "db.r5.4xlarge"]),
        },
        elasticache: pick(us.elasticache, ["cache.r6g.large"]),
      },
    },
  };
}

const today = () => new Date("2026-11-22T09:30:00Z");

describe("refreshPriceTable over HTTP (AWS JSON 1.1, AWSPriceListService)", () => {
  let server: AwsServer;
  let client: PricingClient;

  beforeEach(async () => {
    server = await startAwsServer();
    client = new PricingClient(clientConfig(server));
  });

  afterEach(async () => {
    client.destroy();
    await server.close();
    server.verify();
  });

  it("sends GetProducts with TERM_MATCH filters per region and service", async () => {
    servePriceList(server, usEast1Catalog());

    await refreshPriceTable({ client, regions: ["us-east-1"], base: smallBase(), now: today });

    const [first] = server.requests;
    expect(first?.method).toBe("POST");
    expect(first?.headers["x-amz-target"]).toBe("AWSPriceListService.GetProducts");
    expect(first?.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(first?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/pricing\//,
    );
    expect(first?.json).toEqual({
      ServiceCode: "AmazonEC2",
      FormatVersion: "aws_v1",
      MaxResults: 100,
      Filters: [
        { Type: "TERM_MATCH", Field: "regionCode", Value: "us-east-1" },
        { Type: "TERM_MATCH", Field: "productFamily", Value: "Compute Instance" },
        { Type: "TERM_MATCH", Field: "operatingSystem", Value: "Linux" },
        { Type: "TERM_MATCH", Field: "tenancy", Value: "Shared" },
        { Type: "TERM_MATCH", Field: "preInstalledSw", Value: "NA" },
        { Type: "TERM_MATCH", Field: "capacitystatus", Value: "Used" },
      ],
    });
    const services = new Set(server.requests.map((r) => (r.json as { ServiceCode: string }).ServiceCode));
    expect([...services].sort()).toEqual([
      "AWSELB",
      "AmazonDynamoDB",
      "AmazonEC2",
      "AmazonElastiCache",
      "AmazonRDS",
    ]);
    expect(server.requests).toHaveLength(priceListQueries("us-east-1").length);
  });

  it("rebuilds the table in the same shape from the products, dated today", async () => {
    servePriceList(server, usEast1Catalog());
    const base = smallBase();

    const result = await refreshPriceTable({ client, regions: ["us-east-1"], base, now: today });

    const us = result.table.regions["us-east-1"];
    expect(result.table.retrieved).toBe("2026-11-22");
    expect(result.table.source).toMatch(/^AWS Price List Query API/);
    expect(result.table.note).toMatch(/^List prices as published by the AWS Price List API/);
    expect(Object.keys(us?.ec2 ?? {})).toEqual(["t3.medium", "t3.xlarge", "m5.large"]);
    // t3.xlarge's list price changed in the catalog; the Windows SKU is not taken.
    expect(us?.ec2).toEqual({ "t3.medium": 0.0416, "t3.xlarge": 0.17, "m5.large": 0.096 });
    expect(us?.rds.postgres["db.r5.large"]).toEqual({ singleAz: 0.25, multiAz: 0.5 });
    expect(us?.rds.mysql["db.r5.4xlarge"]).toEqual({ singleAz: 1.92, multiAz: 3.84 });
    expect(us?.elasticache).toEqual({ "cache.r6g.large": 0.206 });
    expect(us?.dynamodb).toEqual({ rcuHour: 0.00013, wcuHour: 0.00065 });
    expect(us?.natGateway).toEqual({ hour: 0.045, gbProcessed: 0.045 });
    expect(us?.loadBalancer).toEqual({
      application: { hour: 0.0225, lcuHour: 0.008 },
      network: { hour: 0.0225, lcuHour: 0.006 },
    });
    // gp3 throughput is listed per GiBps-month and stored per MiB/s-month.
    expect(us?.ebs.gp3).toEqual({ gbMonth: 0.08, iopsMonth: 0.005, throughputMibpsMonth: 0.04 });
    expect(us?.ebs.io2.iopsTiers).toEqual([
      { upTo: 32000, iopsMonth: 0.065 },
      { upTo: 64000, iopsMonth: 0.0455 },
      { upTo: null, iopsMonth: 0.032 },
    ]);
    expect(us?.rdsStorage.gp3).toEqual({ gbMonth: 0.115, iopsMonth: 0.02, throughputMibpsMonth: 0.08 });
    expect(result.warnings).toEqual([]);
  });

  it("carries over what the API did not return, and declares it derived", async () => {
    servePriceList(server, usEast1Catalog());
    const base = smallBase();

    const result = await refreshPriceTable({ client, regions: ["us-east-1"], base, now: today });

    expect(result.carriedOver).toEqual([
      "us-east-1 rdsStorage/io2/gbMonth",
      "us-east-1 rdsStorage/io2/iopsMonth",
    ]);
    expect(result.table.regions["us-east-1"]?.rdsStorage.io2).toEqual(
      base.regions["us-east-1"]?.rdsStorage.io2,
    );
    expect(result.table.derived).toEqual([
      {
        regions: ["us-east-1"],
        section: "rdsStorage",
        keys: ["io2", "io2.iops"],
        method: `not returned by the Price List API on 2026-11-22; carried over from the previous table (${base.retrieved})`,
      },
    ]);
    // A refreshed table prices the 3 AM database like the shipped one.
    const figures = costFigures({
      resourceType: "AWS::RDS::DBInstance",
      region: "us-east-1",
      safeProperties: {
        DBInstanceClass: "db.r5.large",
        Engine: "postgres",
        MultiAZ: "true",
        AllocatedStorage: "200",
        StorageType: "gp3",
      },
      liveProperties: {
        DBInstanceClass: "db.r5.4xlarge",
        Engine: "postgres",
        MultiAZ: "true",
        AllocatedStorage: "200",
        StorageType: "gp3",
      },
      table: result.table,
    });
    expect(figures).toMatchObject({ safeMonthlyUsd: 411, currentMonthlyUsd: 2966, deltaMonthlyUsd: 2555 });
  });

  it("follows NextToken through every page", async () => {
    servePriceList(server, usEast1Catalog());

    const paged = await refreshPriceTable({
      client,
      regions: ["us-east-1"],
      base: smallBase(),
      now: today,
      pageSize: 2,
    });

    const tokens = server.requests.map((r) => (r.json as { NextToken?: string }).NextToken).filter(Boolean);
    expect(tokens.length).toBeGreaterThan(5);
    expect(paged.requests).toBe(server.requests.length);
    expect(paged.table.regions["us-east-1"]?.ec2["t3.xlarge"]).toBe(0.17);
    expect(paged.carriedOver).toHaveLength(2);
  });

  it("fails with the base table's gaps named when a region has no figures to fall back on", async () => {
    servePriceList(server, usEast1Catalog());

    const error = await refreshPriceTable({
      client,
      regions: ["eu-west-1"],
      base: smallBase(),
      now: today,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PriceListError);
    expect((error as Error).message).toMatch(/no price for eu-west-1 ec2\/t3\.medium, .* and \d+ more/);
  });

  it("turns an access error into a PriceListError naming the permission", async () => {
    server.expect({
      action: "GetProducts",
      reply: json11(
        {
          __type: "AccessDeniedException",
          Message: "User is not authorized to perform: pricing:GetProducts",
        },
        400,
      ),
    });

    const error = await refreshPriceTable({ client, regions: ["us-east-1"], base: smallBase() }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(PriceListError);
    expect((error as Error).message).toMatch(/refused the credentials .*pricing:GetProducts/);
    expect((error as Error).cause).toMatchObject({ name: "AccessDeniedException" });
  });

  it("says clearly when there are no credentials, without sending anything", async () => {
    const noCredentials = new PricingClient({
      ...clientConfig(server),
      credentials: async () => {
        const error = new Error("Could not load credentials from any providers");
        error.name = "CredentialsProviderError";
        throw error;
      },
    });

    const error = await refreshPriceTable({ client: noCredentials, regions: ["us-east-1"] }).catch(
      (e: unknown) => e,
    );
    noCredentials.destroy();

    expect(error).toBeInstanceOf(MissingCredentialsError);
    expect((error as Error).message).toMatch(/^no AWS credentials: .*pricing:GetProducts.*AWS_PROFILE/);
    expect((error as Error).stack).toBe(`MissingCredentialsError: ${(error as Error).message}`);
    expect(server.requests).toEqual([]);
  });
});

describe("Price List products", () => {
  it("reads a recorded product and its on-demand price, ignoring reserved terms", () => {
    const product = readPriceListItem(JSON.stringify(fixture("ec2-t3-medium-us-east-1.json")));

    expect(product).toBeDefined();
    expect(product && onDemandPrice(product)).toEqual({ usd: 0.0416, unit: "Hrs" });
    expect(product && tablePath("us-east-1", product)).toBe("ec2/t3.medium");
    expect(product && tablePath("eu-west-1", product)).toBeUndefined();
  });

  it("skips a free tier and strips the usage type's region prefix", () => {
    const product = readPriceListItem(JSON.stringify(fixture("dynamodb-write-capacity-eu-west-1.json")));
    const collection = emptyCollection();

    if (product) collectProduct("eu-west-1", collection, product);

    expect(product && onDemandPrice(product)).toEqual({ usd: 0.000735, unit: "WriteCapacityUnit-Hrs" });
    expect(collection.values).toEqual(new Map([["dynamodb/wcuHour", 0.000735]]));
  });

  it("maps Multi-AZ RDS and leaves readable-standby clusters, Valkey and IA capacity alone", () => {
    const paths = usEast1Catalog().map((doc) => {
      const product = readPriceListItem(JSON.stringify(doc));
      return product ? tablePath("us-east-1", product) : "unreadable";
    });

    expect(paths).toContain("rds/postgres/db.r5.large/multiAz");
    expect(paths.filter((p) => p === "rds/postgres/db.r5.large/multiAz")).toHaveLength(1);
    expect(paths.filter((p) => p === "elasticache/cache.r6g.large")).toHaveLength(1);
    expect(paths.filter((p) => p === "dynamodb/rcuHour")).toHaveLength(1);
    expect(paths).not.toContain("unreadable");
  });

  it("ignores text that is not a product", () => {
    expect(readPriceListItem("not json")).toBeUndefined();
    expect(readPriceListItem('{"terms": {}}')).toBeUndefined();
  });

  it("reports conflicting prices and figures far from the previous table", () => {
    const collection = emptyCollection();
    const doc = fixture("ec2-t3-medium-us-east-1.json");
    const tenTimes = structuredClone(doc) as {
      terms: {
        OnDemand: Record<string, { priceDimensions: Record<string, { pricePerUnit: { USD: string } }> }>;
      };
    };
    for (const term of Object.values(tenTimes.terms.OnDemand)) {
      for (const d of Object.values(term.priceDimensions)) d.pricePerUnit.USD = "0.4160000000";
    }
    for (const d of [tenTimes, doc]) {
      const product = readPriceListItem(JSON.stringify(d));
      if (product) collectProduct("us-east-1", collection, product);
    }

    const rebuilt = rebuildPriceTable({
      base: smallBase(),
      regions: ["us-east-1"],
      collected: new Map([["us-east-1", collection]]),
      retrieved: "2026-11-22",
    });

    expect(rebuilt.warnings).toEqual([
      "us-east-1 ec2/t3.medium: the Price List has both 0.416 and 0.0416; kept 0.416",
      "us-east-1 ec2/t3.medium: 0.416 from the Price List vs 0.0416 before (a unit or filter problem?)",
    ]);
  });
});
