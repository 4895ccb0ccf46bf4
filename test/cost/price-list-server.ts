import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AwsServer, RecordedRequest, Reply } from "../support/aws-server.ts";

/**
 * A local AWS Price List Query API for adapter tests. Wire protocol (checked against a request the
 * @aws-sdk/client-pricing 3.113x client sent to a logging server): AWS JSON 1.1, `POST /`,
 * `content-type: application/x-amz-json-1.1`, `x-amz-target: AWSPriceListService.GetProducts`, body
 * `{"ServiceCode", "Filters": [{"Type": "TERM_MATCH", "Field", "Value"}], "FormatVersion": "aws_v1",
 * "MaxResults", "NextToken"?}`; the reply is `{"FormatVersion", "PriceList": [<product JSON as a
 * string>], "NextToken"?}`. Products below are written by hand in the shape the API returns (see
 * `fixtures/*.json` for full documents with reserved terms); SKUs are made up.
 */

export type ProductDocument = {
  readonly product: { readonly productFamily: string; readonly attributes: Record<string, string> };
  readonly serviceCode: string;
  readonly terms: unknown;
};

export function fixture(name: string): ProductDocument {
  const file = fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
  return JSON.parse(readFileSync(file, "utf8")) as ProductDocument;
}

let sequence = 0;

/** A product document in the Price List's shape with one on-demand price dimension. */
export function product(spec: {
  readonly service: string;
  readonly family: string;
  readonly attributes: Record<string, string>;
  readonly usd: number;
  readonly unit: string;
}): ProductDocument {
  sequence += 1;
  const sku = `TESTSKU${String(sequence).padStart(9, "0")}`;
  const term = `${sku}.JRTCKXETXF`;
  return {
    product: {
      productFamily: spec.family,
      attributes: { servicecode: spec.service, locationType: "AWS Region", ...spec.attributes },
    },
    serviceCode: spec.service,
    terms: {
      OnDemand: {
        [term]: {
          priceDimensions: {
            [`${term}.6YS6EN2CT7`]: {
              unit: spec.unit,
              endRange: "Inf",
              description: `$${spec.usd} per ${spec.unit}`,
              appliesTo: [],
              rateCode: `${term}.6YS6EN2CT7`,
              beginRange: "0",
              pricePerUnit: { USD: spec.usd.toFixed(10) },
            },
          },
          sku,
          effectiveDate: "2026-11-01T00:00:00Z",
          offerTermCode: "JRTCKXETXF",
          termAttributes: {},
        },
      },
    },
  };
}

/** An AWS JSON 1.1 reply. */
export function json11(body: unknown, status = 200): Reply {
  return {
    status,
    headers: { "content-type": "application/x-amz-json-1.1" },
    body: JSON.stringify(body),
  };
}

interface GetProductsInput {
  ServiceCode?: string;
  Filters?: { Type?: string; Field?: string; Value?: string }[];
  FormatVersion?: string;
  MaxResults?: number;
  NextToken?: string;
}

/** Whether a product matches a `GetProducts` request's service code and TERM_MATCH filters. */
function matches(doc: ProductDocument, input: GetProductsInput): boolean {
  if (doc.serviceCode !== input.ServiceCode) return false;
  return (input.Filters ?? []).every((f) => {
    if (f.Type !== "TERM_MATCH" || f.Field === undefined) return false;
    const actual = f.Field === "productFamily" ? doc.product.productFamily : doc.product.attributes[f.Field];
    return actual === f.Value;
  });
}

/** Answers every GetProducts from `catalog`, filtering and paginating as the API does. */
export function servePriceList(server: AwsServer, catalog: readonly ProductDocument[]): void {
  server.expect({
    action: "GetProducts",
    times: Number.POSITIVE_INFINITY,
    reply: (request: RecordedRequest) => {
      const input = request.json as GetProductsInput;
      if (input.FormatVersion !== "aws_v1") {
        return json11({ __type: "InvalidParameterException", Message: "FormatVersion must be aws_v1" }, 400);
      }
      const found = catalog.filter((doc) => matches(doc, input));
      const start = input.NextToken ? Number(input.NextToken.replace("page-", "")) : 0;
      const size = input.MaxResults ?? 100;
      const page = found.slice(start, start + size);
      const next = start + size < found.length ? `page-${start + size}` : undefined;
      return json11({
        FormatVersion: "aws_v1",
        PriceList: page.map((doc) => JSON.stringify(doc)),
        ...(next ? { NextToken: next } : {}),
      });
    },
  });
}

/** A us-east-1 catalog: every figure of the small test table but the RDS io2 rates, plus distractors. */
export function usEast1Catalog(): ProductDocument[] {
  const r = { regionCode: "us-east-1", location: "US East (N. Virginia)" };
  const ec2 = (instanceType: string, usd: number, operatingSystem = "Linux") =>
    product({
      service: "AmazonEC2",
      family: "Compute Instance",
      attributes: {
        ...r,
        instanceType,
        operatingSystem,
        tenancy: "Shared",
        preInstalledSw: "NA",
        capacitystatus: "Used",
        licenseModel: "No License required",
        usagetype: `BoxUsage:${instanceType}`,
        operation: operatingSystem === "Linux" ? "RunInstances" : "RunInstances:0002",
      },
      usd,
      unit: "Hrs",
    });
  const ebs = (volumeApiName: string, usd: number) =>
    product({
      service: "AmazonEC2",
      family: "Storage",
      attributes: { ...r, volumeApiName, usagetype: `EBS:VolumeUsage.${volumeApiName}` },
      usd,
      unit: "GB-Mo",
    });
  const ebsOp = (usagetype: string, usd: number, unit = "IOPS-Mo") =>
    product({
      service: "AmazonEC2",
      family: "System Operation",
      attributes: { ...r, usagetype, group: "EBS IOPS" },
      usd,
      unit,
    });
  const rds = (engine: string, instanceType: string, deploymentOption: string, usd: number) =>
    product({
      service: "AmazonRDS",
      family: "Database Instance",
      attributes: {
        ...r,
        databaseEngine: engine,
        instanceType,
        deploymentOption,
        usagetype: `${deploymentOption === "Single-AZ" ? "InstanceUsage" : "Multi-AZUsage"}:${instanceType}`,
      },
      usd,
      unit: "Hrs",
    });
  const rdsStorage = (family: string, usagetype: string, usd: number, unit: string) =>
    product({
      service: "AmazonRDS",
      family,
      attributes: { ...r, usagetype, deploymentOption: "Single-AZ", databaseEngine: "Any" },
      usd,
      unit,
    });
  const usage = (service: string, family: string, usagetype: string, usd: number, unit: string) =>
    product({ service, family, attributes: { ...r, usagetype }, usd, unit });

  return [
    fixture("ec2-t3-medium-us-east-1.json"),
    ec2("t3.xlarge", 0.17),
    ec2("t3.xlarge", 0.1952, "Windows"),
    ec2("m5.large", 0.096),
    ebs("gp2", 0.1),
    ebs("gp3", 0.08),
    ebs("io1", 0.125),
    ebs("io2", 0.125),
    ebs("st1", 0.045),
    ebs("sc1", 0.015),
    ebs("standard", 0.05),
    ebsOp("EBS:VolumeP-IOPS.piops", 0.065),
    ebsOp("EBS:VolumeP-IOPS.gp3", 0.005),
    ebsOp("EBS:VolumeP-IOPS.io2", 0.065),
    ebsOp("EBS:VolumeP-IOPS.io2.tier2", 0.0455),
    ebsOp("EBS:VolumeP-IOPS.io2.tier3", 0.032),
    ebsOp("EBS:VolumeIOUsage", 0.05, "IOs"),
    product({
      service: "AmazonEC2",
      family: "Provisioned Throughput",
      attributes: { ...r, volumeApiName: "gp3", usagetype: "EBS:VolumeP-Throughput.gp3" },
      usd: 40.96,
      unit: "GiBps-mo",
    }),
    usage("AmazonEC2", "NAT Gateway", "NatGateway-Hours", 0.045, "Hrs"),
    usage("AmazonEC2", "NAT Gateway", "NatGateway-Bytes", 0.045, "GB"),
    usage("AWSELB", "Load Balancer-Application", "LoadBalancerUsage", 0.0225, "Hrs"),
    usage("AWSELB", "Load Balancer-Application", "LCUUsage", 0.008, "LCU-Hrs"),
    usage("AWSELB", "Load Balancer-Network", "LoadBalancerUsage", 0.0225, "Hrs"),
    usage("AWSELB", "Load Balancer-Network", "LCUUsage", 0.006, "LCU-Hrs"),
    rds("PostgreSQL", "db.r5.large", "Single-AZ", 0.25),
    fixture("rds-db-r5-large-postgres-multi-az-us-east-1.json"),
    rds("PostgreSQL", "db.r5.large", "Multi-AZ (readable standbys)", 0.75),
    rds("PostgreSQL", "db.r5.4xlarge", "Single-AZ", 2),
    rds("PostgreSQL", "db.r5.4xlarge", "Multi-AZ", 4),
    rds("MySQL", "db.r5.large", "Single-AZ", 0.24),
    rds("MySQL", "db.r5.large", "Multi-AZ", 0.48),
    rds("MySQL", "db.r5.4xlarge", "Single-AZ", 1.92),
    rds("MySQL", "db.r5.4xlarge", "Multi-AZ", 3.84),
    rdsStorage("Database Storage", "RDS:GP2-Storage", 0.115, "GB-Mo"),
    rdsStorage("Database Storage", "RDS:GP3-Storage", 0.115, "GB-Mo"),
    rdsStorage("Database Storage", "RDS:PIOPS-Storage", 0.125, "GB-Mo"),
    rdsStorage("Provisioned IOPS", "RDS:GP3-PIOPS", 0.02, "IOPS-Mo"),
    rdsStorage("Provisioned IOPS", "RDS:PIOPS", 0.1, "IOPS-Mo"),
    rdsStorage("Provisioned Throughput", "RDS:GP3-Throughput", 0.08, "MiBps-Mo"),
    rdsStorage("Database Storage", "Aurora:StorageUsage", 0.1, "GB-Mo"),
    product({
      service: "AmazonElastiCache",
      family: "Cache Instance",
      attributes: {
        ...r,
        instanceType: "cache.r6g.large",
        cacheEngine: "Redis",
        usagetype: "NodeUsage:cache.r6g.large",
      },
      usd: 0.206,
      unit: "Hrs",
    }),
    product({
      service: "AmazonElastiCache",
      family: "Cache Instance",
      attributes: {
        ...r,
        instanceType: "cache.r6g.large",
        cacheEngine: "Valkey",
        usagetype: "NodeUsage:cache.r6g.large",
      },
      usd: 0.1648,
      unit: "Hrs",
    }),
    usage("AmazonDynamoDB", "Provisioned IOPS", "ReadCapacityUnit-Hrs", 0.00013, "ReadCapacityUnit-Hrs"),
    usage("AmazonDynamoDB", "Provisioned IOPS", "WriteCapacityUnit-Hrs", 0.00065, "WriteCapacityUnit-Hrs"),
    usage("AmazonDynamoDB", "Provisioned IOPS", "IA-ReadCapacityUnit-Hrs", 0.00016, "ReadCapacityUnit-Hrs"),
  ];
}
