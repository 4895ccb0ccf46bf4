import { z } from "zod";

/**
 * The price table's format: on-demand list prices in USD per region, as shipped in
 * `price-table.json` and as `phantom prices refresh` rebuilds it from the AWS Price List API. It is
 * Phantom's own format, so the schema is strict: an unknown key is a mistake, not a payload to pass on.
 *
 * Hourly figures are per instance/node/unit-hour; storage figures per GB-month (or IOPS-month,
 * MiB/s-month). Monthly cost is always hourly × `hoursPerMonth` (730).
 * @see https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/price-changes.html
 */

const usd = z.number().positive().finite();

/** Instance/node type ► USD per hour. */
const hourlyByType = z.record(z.string().min(1), usd);

const perGb = z.strictObject({ gbMonth: usd });

/** gp3: a per-GB-month rate plus IOPS and throughput above the included baseline. */
const gp3 = z.strictObject({ gbMonth: usd, iopsMonth: usd, throughputMibpsMonth: usd });

const provisionedIops = z.strictObject({ gbMonth: usd, iopsMonth: usd });

/** A tier of io2 IOPS pricing: IOPS up to `upTo` (null = no upper bound) cost `iopsMonth` each. */
const iopsTier = z.strictObject({ upTo: z.number().int().positive().nullable(), iopsMonth: usd });

/**
 * One RDS engine's instance classes: class ► Single-AZ and Multi-AZ hourly price.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_OnDemandDBInstances.html
 */
const rdsClasses = z.record(z.string().min(1), z.strictObject({ singleAz: usd, multiAz: usd }));

/** Everything the table prices in one region. */
export const regionPricesSchema = z.strictObject({
  /** EC2 Linux, shared tenancy, on-demand: instance type ► USD/hour. */
  ec2: hourlyByType,
  /** RDS on-demand instance hours for the open-source engines Phantom prices. */
  rds: z.strictObject({ postgres: rdsClasses, mysql: rdsClasses }),
  /** RDS storage, Single-AZ rates (Multi-AZ bills storage and IOPS twice). */
  rdsStorage: z.strictObject({ gp2: perGb, gp3, io1: provisionedIops, io2: provisionedIops }),
  /** ElastiCache (Redis OSS / Memcached) on-demand node-hours: node type ► USD/hour. */
  elasticache: hourlyByType,
  /** EBS volumes. */
  ebs: z.strictObject({
    gp2: perGb,
    gp3,
    io1: provisionedIops,
    io2: z.strictObject({ gbMonth: usd, iopsTiers: z.array(iopsTier).min(1) }),
    st1: perGb,
    sc1: perGb,
    standard: perGb,
  }),
  /** DynamoDB provisioned capacity (standard table class): USD per RCU-hour and WCU-hour. */
  dynamodb: z.strictObject({ rcuHour: usd, wcuHour: usd }),
  /** NAT gateway: USD per hour, and per GB processed (usage; not in monthly figures). */
  natGateway: z.strictObject({ hour: usd, gbProcessed: usd }),
  /** Elastic Load Balancing v2: USD per hour, and per (N)LCU-hour (usage; not in monthly figures). */
  loadBalancer: z.strictObject({
    application: z.strictObject({ hour: usd, lcuHour: usd }),
    network: z.strictObject({ hour: usd, lcuHour: usd }),
  }),
});
/** Everything the table prices in one region. */
export type RegionPrices = z.infer<typeof regionPricesSchema>;

/** The table's sections, as `derived` entries name them. */
export const PRICE_SECTIONS = [
  "ec2",
  "rds",
  "rdsStorage",
  "elasticache",
  "ebs",
  "dynamodb",
  "natGateway",
  "loadBalancer",
] as const;
/** A section of a region's prices. */
export type PriceSection = (typeof PRICE_SECTIONS)[number];

/**
 * A declaration that some figures are not list prices but derived (by ratio, or carried over
 * from an older table), so a cost basis can say so. `keys` name the entries it covers within the
 * section: an instance type or class (`db.r5.large`), a family prefix ending in a dot (`m7i.`), or a
 * rate (`gp3`, `gp3.iops`, `gp3.throughput`, `io2.iops`, `rcuHour`, `hour`, `application.lcu`);
 * without `keys` it covers the whole section.
 */
export const derivedEntrySchema = z.strictObject({
  regions: z.array(z.string().min(1)).min(1),
  section: z.enum(PRICE_SECTIONS),
  keys: z.array(z.string().min(1)).min(1).optional(),
  method: z.string().min(1),
});
/** See {@link derivedEntrySchema}. */
export type DerivedEntry = z.infer<typeof derivedEntrySchema>;

/** The whole table. `source`, `retrieved` and `note` say where the figures come from and when. */
export const priceTableSchema = z.strictObject({
  formatVersion: z.literal(1),
  currency: z.literal("USD"),
  hoursPerMonth: z.literal(730),
  /** Where the prices come from (pricing pages, or the Price List API). */
  source: z.string().min(1),
  /** The date the figures were retrieved or compiled (YYYY-MM-DD). */
  retrieved: z.iso.date(),
  /** How to read the figures, what they leave out, and how to refresh them. */
  note: z.string().min(1),
  /** Figures that are not list prices, and how they were obtained. */
  derived: z.array(derivedEntrySchema),
  regions: z.record(z.string().min(1), regionPricesSchema),
});
/** A validated price table (see {@link priceTableSchema}). */
export type PriceTable = z.infer<typeof priceTableSchema>;

/** A price table that failed validation; `issues` lists every problem at once. */
export class PriceTableError extends Error {
  override readonly name = "PriceTableError";
  constructor(
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`invalid price table:\n${issues.map((i) => `  - ${i}`).join("\n")}`, options);
  }
}

/** Validates a price table (shipped, refreshed or user-supplied), reporting every issue at once. */
export function parsePriceTable(value: unknown): PriceTable {
  const result = priceTableSchema.safeParse(value);
  if (result.success) return result.data;
  throw new PriceTableError(
    result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`),
    { cause: result.error },
  );
}

/* ---------- AWS Price List (foreign data: permissive, only the fields Phantom reads) ---------- */

const priceDimensionSchema = z.looseObject({
  unit: z.string().optional(),
  beginRange: z.string().optional(),
  pricePerUnit: z.looseObject({ USD: z.string().optional() }).optional(),
});

/**
 * One `PriceList` entry of `GetProducts`, after `JSON.parse`: the product's family and attributes
 * (`regionCode`, `instanceType`, `usagetype`, ...) and its on-demand price dimensions.
 * @see https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html
 * @see https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-an-offer.html
 */
export const priceListProductSchema = z.looseObject({
  product: z.looseObject({
    productFamily: z.string().optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  }),
  terms: z
    .looseObject({
      OnDemand: z
        .record(z.string(), z.looseObject({ priceDimensions: z.record(z.string(), priceDimensionSchema) }))
        .optional(),
    })
    .optional(),
});
/** See {@link priceListProductSchema}. */
export type PriceListProduct = z.infer<typeof priceListProductSchema>;
