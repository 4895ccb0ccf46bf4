import {
  type DerivedEntry,
  type PriceListProduct,
  type PriceSection,
  type PriceTable,
  parsePriceTable,
  priceListProductSchema,
  type RegionPrices,
} from "./schema.ts";

/**
 * The pure half of `phantom prices refresh`: which AWS Price List queries to make per region, how a
 * product maps onto the price table, and how the collected figures rebuild a table in the shipped
 * shape. The adapter (`functions/adapters/price-list.ts`) only pages through `GetProducts`.
 * @see https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-price-list-query-api.html
 */

/** One `GetProducts` query: a service code and `TERM_MATCH` filters on product attributes. */
export interface PriceListQuery {
  readonly serviceCode: string;
  readonly filters: Readonly<Record<string, string>>;
}

/**
 * The queries that cover every section of the table for one region, filtered by `regionCode`.
 * EC2 instances: Linux, shared tenancy, no pre-installed software, used capacity (the on-demand SKU).
 * @see https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_Filter.html
 */
export function priceListQueries(region: string): PriceListQuery[] {
  const r = { regionCode: region };
  return [
    {
      serviceCode: "AmazonEC2",
      filters: {
        ...r,
        productFamily: "Compute Instance",
        operatingSystem: "Linux",
        tenancy: "Shared",
        preInstalledSw: "NA",
        capacitystatus: "Used",
      },
    },
    { serviceCode: "AmazonEC2", filters: { ...r, productFamily: "Storage" } },
    { serviceCode: "AmazonEC2", filters: { ...r, productFamily: "System Operation" } },
    { serviceCode: "AmazonEC2", filters: { ...r, productFamily: "Provisioned Throughput" } },
    { serviceCode: "AmazonEC2", filters: { ...r, productFamily: "NAT Gateway" } },
    { serviceCode: "AWSELB", filters: { ...r, productFamily: "Load Balancer-Application" } },
    { serviceCode: "AWSELB", filters: { ...r, productFamily: "Load Balancer-Network" } },
    {
      serviceCode: "AmazonRDS",
      filters: { ...r, productFamily: "Database Instance", databaseEngine: "PostgreSQL" },
    },
    {
      serviceCode: "AmazonRDS",
      filters: { ...r, productFamily: "Database Instance", databaseEngine: "MySQL" },
    },
    {
      serviceCode: "AmazonRDS",
      filters: { ...r, productFamily: "Database Storage", deploymentOption: "Single-AZ" },
    },
    {
      serviceCode: "AmazonRDS",
      filters: { ...r, productFamily: "Provisioned IOPS", deploymentOption: "Single-AZ" },
    },
    {
      serviceCode: "AmazonRDS",
      filters: { ...r, productFamily: "Provisioned Throughput", deploymentOption: "Single-AZ" },
    },
    {
      serviceCode: "AmazonElastiCache",
      filters: { ...r, productFamily: "Cache Instance", cacheEngine: "Redis" },
    },
    { serviceCode: "AmazonDynamoDB", filters: { ...r, productFamily: "Provisioned IOPS" } },
  ];
}

/** A `PriceList` entry (a JSON string) as a product, or `undefined` when it is not one. */
export function readPriceListItem(text: string): PriceListProduct | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = priceListProductSchema.safeParse(json);
  return result.success ? result.data : undefined;
}

/**
 * Usage-type region prefixes (`EU-NatGateway-Hours`, `APN1-RDS:GP3-Storage`); us-east-1 has none
 * (or `USE1-`).
 * @see https://docs.aws.amazon.com/cur/latest/userguide/product-columns.html
 */
const USAGE_PREFIXES: Readonly<Record<string, readonly string[]>> = {
  "us-east-1": ["", "USE1-"],
  "us-east-2": ["USE2-"],
  "us-west-1": ["USW1-"],
  "us-west-2": ["USW2-"],
  "ca-central-1": ["CAN1-"],
  "sa-east-1": ["SAE1-"],
  "eu-west-1": ["EU-"],
  "eu-west-2": ["EUW2-"],
  "eu-west-3": ["EUW3-"],
  "eu-central-1": ["EUC1-"],
  "eu-north-1": ["EUN1-"],
  "eu-south-1": ["EUS1-"],
  "ap-east-1": ["APE1-"],
  "ap-south-1": ["APS3-"],
  "ap-southeast-1": ["APS1-"],
  "ap-southeast-2": ["APS2-"],
  "ap-northeast-1": ["APN1-"],
  "ap-northeast-2": ["APN2-"],
  "ap-northeast-3": ["APN3-"],
  "me-south-1": ["MES1-"],
  "af-south-1": ["AFS1-"],
};

/** The usage type without this region's prefix, or `undefined` when it belongs to another region. */
function usageName(region: string, usagetype: string | undefined): string | undefined {
  const prefixes = USAGE_PREFIXES[region];
  if (usagetype === undefined || prefixes === undefined) return undefined;
  for (const prefix of prefixes) {
    if (prefix !== "" && usagetype.startsWith(prefix)) return usagetype.slice(prefix.length);
  }
  const otherRegion = Object.values(USAGE_PREFIXES).some((ps) =>
    ps.some((p) => p !== "" && usagetype.startsWith(p)),
  );
  return prefixes.includes("") && !otherRegion ? usagetype : undefined;
}

/** RDS storage usage types (Single-AZ) ► table paths. */
const RDS_STORAGE_USAGE: Readonly<Record<string, string>> = {
  "RDS:GP2-Storage": "rdsStorage/gp2/gbMonth",
  "RDS:GP3-Storage": "rdsStorage/gp3/gbMonth",
  "RDS:GP3-PIOPS": "rdsStorage/gp3/iopsMonth",
  "RDS:GP3-Throughput": "rdsStorage/gp3/throughputMibpsMonth",
  "RDS:PIOPS-Storage": "rdsStorage/io1/gbMonth",
  "RDS:PIOPS": "rdsStorage/io1/iopsMonth",
  "RDS:PIOPS-Storage-IO2": "rdsStorage/io2/gbMonth",
  "RDS:PIOPS-IO2": "rdsStorage/io2/iopsMonth",
};

/** EBS provisioned-IOPS usage types ► table paths (io2 is priced in three tiers). */
const EBS_IOPS_USAGE: Readonly<Record<string, string>> = {
  "EBS:VolumeP-IOPS.piops": "ebs/io1/iopsMonth",
  "EBS:VolumeP-IOPS.gp3": "ebs/gp3/iopsMonth",
  "EBS:VolumeP-IOPS.io2": "ebs/io2/iopsTiers/0/iopsMonth",
  "EBS:VolumeP-IOPS.io2.tier2": "ebs/io2/iopsTiers/1/iopsMonth",
  "EBS:VolumeP-IOPS.io2.tier3": "ebs/io2/iopsTiers/2/iopsMonth",
};

const RDS_ENGINES: Readonly<Record<string, string>> = { PostgreSQL: "postgres", MySQL: "mysql" };
const RDS_DEPLOYMENTS: Readonly<Record<string, string>> = { "Single-AZ": "singleAz", "Multi-AZ": "multiAz" };

/**
 * The on-demand USD price of a product: the first non-zero dimension (skipping a free tier).
 * @see https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-an-offer.html
 */
export function onDemandPrice(product: PriceListProduct): { usd: number; unit: string } | undefined {
  const dimensions = Object.values(product.terms?.OnDemand ?? {}).flatMap((term) =>
    Object.values(term.priceDimensions),
  );
  const priced = dimensions
    .map((d) => ({ usd: Number(d.pricePerUnit?.USD), unit: d.unit ?? "", begin: Number(d.beginRange ?? 0) }))
    .filter((d) => Number.isFinite(d.usd) && d.usd > 0)
    .sort((a, b) => (Number.isFinite(a.begin) ? a.begin : 0) - (Number.isFinite(b.begin) ? b.begin : 0));
  const first = priced[0];
  return first ? { usd: first.usd, unit: first.unit } : undefined;
}

/** Where a product's price goes in the table (`ec2/t3.medium`, `rds/postgres/db.r5.large/multiAz`), if anywhere. */
export function tablePath(region: string, product: PriceListProduct): string | undefined {
  const a = attributesOf(product);
  if (a.regionCode !== undefined && a.regionCode !== region) return undefined;
  const family = product.product.productFamily;
  const service = a.servicecode;
  const usage = usageName(region, a.usagetype);
  if (service === "AmazonEC2") {
    if (family === "Compute Instance") {
      const onDemandLinux =
        a.operatingSystem === "Linux" &&
        a.tenancy === "Shared" &&
        a.preInstalledSw === "NA" &&
        (a.capacitystatus ?? "Used") === "Used";
      return onDemandLinux && a.instanceType ? `ec2/${a.instanceType}` : undefined;
    }
    if (family === "Storage" && a.volumeApiName) return `ebs/${a.volumeApiName}/gbMonth`;
    if (family === "System Operation" && usage) return EBS_IOPS_USAGE[usage];
    if (family === "Provisioned Throughput" && a.volumeApiName === "gp3")
      return "ebs/gp3/throughputMibpsMonth";
    if (family === "NAT Gateway" && usage === "NatGateway-Hours") return "natGateway/hour";
    if (family === "NAT Gateway" && usage === "NatGateway-Bytes") return "natGateway/gbProcessed";
    return undefined;
  }
  if (service === "AWSELB") {
    const type =
      family === "Load Balancer-Application"
        ? "application"
        : family === "Load Balancer-Network"
          ? "network"
          : "";
    if (type && usage === "LoadBalancerUsage") return `loadBalancer/${type}/hour`;
    if (type && usage === "LCUUsage") return `loadBalancer/${type}/lcuHour`;
    return undefined;
  }
  if (service === "AmazonRDS") {
    if (family === "Database Instance") {
      const engine = RDS_ENGINES[a.databaseEngine ?? ""];
      const deployment = RDS_DEPLOYMENTS[a.deploymentOption ?? ""];
      return engine && deployment && a.instanceType
        ? `rds/${engine}/${a.instanceType}/${deployment}`
        : undefined;
    }
    if (a.deploymentOption !== "Single-AZ" || !usage) return undefined;
    return RDS_STORAGE_USAGE[usage];
  }
  if (service === "AmazonElastiCache") {
    return family === "Cache Instance" && a.cacheEngine === "Redis" && a.instanceType
      ? `elasticache/${a.instanceType}`
      : undefined;
  }
  if (service === "AmazonDynamoDB" && family === "Provisioned IOPS") {
    if (usage === "ReadCapacityUnit-Hrs") return "dynamodb/rcuHour";
    if (usage === "WriteCapacityUnit-Hrs") return "dynamodb/wcuHour";
  }
  return undefined;
}

function attributesOf(product: PriceListProduct): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(product.product.attributes ?? {})) {
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** Figures collected for one region: table path ► USD, and anything odd seen on the way. */
export interface RegionCollection {
  readonly values: Map<string, number>;
  readonly warnings: string[];
}

/** A collection with nothing in it yet. */
export function emptyCollection(): RegionCollection {
  return { values: new Map(), warnings: [] };
}

/**
 * Adds a product's on-demand price to `collection` when it maps onto the table. Throughput priced
 * per GiBps-month is converted to MiB/s-month. A second, different price for the same entry is
 * kept out and reported.
 */
export function collectProduct(
  region: string,
  collection: RegionCollection,
  product: PriceListProduct,
): void {
  const path = tablePath(region, product);
  if (path === undefined) return;
  const price = onDemandPrice(product);
  if (price === undefined) return;
  const usd =
    path.endsWith("/throughputMibpsMonth") && /gibps/i.test(price.unit) ? price.usd / 1024 : price.usd;
  const seen = collection.values.get(path);
  if (seen === undefined) collection.values.set(path, usd);
  else if (seen !== usd) {
    collection.warnings.push(`${region} ${path}: the Price List has both ${seen} and ${usd}; kept ${seen}`);
  }
}

/** What a rebuild produced. `table` is absent when some entry had neither a new nor an old figure. */
export interface RebuiltTable {
  readonly table?: PriceTable;
  /** `<region> <path>` entries the API did not return, carried over from the base table. */
  readonly carriedOver: readonly string[];
  /** `<region> <path>` entries with no figure at all (a region the base table lacks). */
  readonly missing: readonly string[];
  /** Figures more than 3× away from the base table's, and conflicting prices. */
  readonly warnings: readonly string[];
}

/** What {@link rebuildPriceTable} rebuilds from. */
export interface RebuildInput {
  /** The table whose shape (and tracked sizes) to rebuild, and whose figures fill any gap. */
  readonly base: PriceTable;
  readonly regions: readonly string[];
  readonly collected: ReadonlyMap<string, RegionCollection>;
  /** YYYY-MM-DD. */
  readonly retrieved: string;
}

/** The `source` a refreshed table declares. */
export const PRICE_LIST_SOURCE =
  "AWS Price List Query API (GetProducts, on-demand terms, filtered by regionCode): EC2 Linux shared tenancy, " +
  "RDS PostgreSQL/MySQL, ElastiCache Redis OSS nodes, EBS, DynamoDB provisioned capacity, NAT gateway, ALB/NLB";

/**
 * Rebuilds the table for `regions` in the base table's shape from collected Price List figures,
 * carrying over (and declaring as `derived`) any entry the API did not return.
 */
export function rebuildPriceTable(input: RebuildInput): RebuiltTable {
  const { base, retrieved } = input;
  const carriedOver: string[] = [];
  const missing: string[] = [];
  const warnings: string[] = [];
  const derived: DerivedEntry[] = [];
  const regions: Record<string, RegionPrices> = {};
  const template = Object.values(base.regions)[0];
  if (template === undefined) return { carriedOver, missing: ["(base table has no region)"], warnings };

  for (const region of input.regions) {
    const collection = input.collected.get(region) ?? emptyCollection();
    warnings.push(...collection.warnings);
    const old = base.regions[region];
    const carried = new Map<PriceSection, Set<string>>();
    const rebuild = (shape: unknown, path: string[]): unknown => {
      if (Array.isArray(shape)) return shape.map((item, i) => rebuild(item, [...path, String(i)]));
      if (typeof shape === "object" && shape !== null) {
        return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, rebuild(v, [...path, k])]));
      }
      if (path.at(-1) === "upTo") return shape;
      const key = path.join("/");
      const fresh = collection.values.get(key);
      const before = old === undefined ? undefined : valueAt(old, path);
      if (fresh !== undefined) {
        if (before !== undefined && (fresh > before * 3 || fresh < before / 3)) {
          warnings.push(
            `${region} ${key}: ${fresh} from the Price List vs ${before} before (a unit or filter problem?)`,
          );
        }
        return fresh;
      }
      if (before !== undefined) {
        carriedOver.push(`${region} ${key}`);
        const section = path[0] as PriceSection;
        const set = carried.get(section) ?? new Set<string>();
        set.add(derivationKey(path));
        carried.set(section, set);
        return before;
      }
      missing.push(`${region} ${key}`);
      return shape;
    };
    regions[region] = rebuild(old ?? template, []) as RegionPrices;
    for (const [section, keys] of carried) {
      derived.push({
        regions: [region],
        section,
        keys: [...keys],
        method: `not returned by the Price List API on ${retrieved}; carried over from the previous table (${base.retrieved})`,
      });
    }
  }
  if (missing.length > 0) return { carriedOver, missing, warnings };
  const table = parsePriceTable({
    formatVersion: 1,
    currency: "USD",
    hoursPerMonth: 730,
    source: PRICE_LIST_SOURCE,
    retrieved,
    note:
      "List prices as published by the AWS Price List API on the retrieved date; refresh with `phantom prices refresh`. " +
      "Entries the API did not return are carried over from the previous table and listed in `derived`. Hourly charges " +
      "only: usage-billed parts (NAT data processed, load balancer capacity units, DynamoDB storage, EBS magnetic I/O) " +
      "are listed per unit but not added to monthly figures. Monthly = hourly x 730.",
    derived,
    regions,
  });
  return { table, carriedOver, missing, warnings };
}

function valueAt(root: unknown, path: readonly string[]): number | undefined {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === "number" ? node : undefined;
}

/** The key a cost basis looks up (see `derivation`) for a table path. */
function derivationKey(path: readonly string[]): string {
  const [section, a, b] = path;
  const rate = path.at(-1);
  if (section === "ec2" || section === "elasticache") return a ?? "";
  if (section === "rds") return b ?? "";
  if (section === "rdsStorage" || section === "ebs") {
    if (rate === "iopsMonth") return `${a}.iops`;
    if (rate === "throughputMibpsMonth") return `${a}.throughput`;
    return a ?? "";
  }
  if (section === "loadBalancer") return rate === "lcuHour" ? `${a}.lcu` : (a ?? "");
  return a ?? "";
}
