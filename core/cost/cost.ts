import type { CostFigures } from "../analysis/types.ts";
import { describeValue, isNotLiteral, type NotLiteral, readBoolean, readNumber, readText } from "./coerce.ts";
import type { PriceSection, PriceTable, RegionPrices } from "./schema.ts";
import { derivation, SHIPPED_PRICE_TABLE } from "./table.ts";

/**
 * Monthly cost of CloudFormation resource configurations from the price table: computed, never
 * guessed (DESIGN §3). Monthly = hourly × 730. A configuration the table cannot price (unknown type,
 * size, engine or region, an unresolved intrinsic function, usage-billed capacity) yields a reason,
 * never an estimate. Figures are on-demand list prices; usage-billed parts (data processed, LCUs,
 * DynamoDB storage, I/O requests) are left out and the basis says so.
 * @see https://aws.amazon.com/ec2/pricing/on-demand/
 */

/**
 * Hours in a month as AWS's pricing examples and the AWS Pricing Calculator count them (24 × 365 ÷ 12).
 * @see https://calculator.aws/
 */
export const HOURS_PER_MONTH = 730;

/** CloudFormation resource properties as a template or a drift result gives them. */
export type Properties = Readonly<Record<string, unknown>>;

/** Where and with which prices to price a configuration. */
export interface PriceOptions {
  /** The resource's region, e.g. `us-east-1`. */
  readonly region: string;
  /** Prices to use; default: the shipped table. */
  readonly table?: PriceTable;
  /**
   * The instance type behind an Auto Scaling group, which lives in its launch template or launch
   * configuration rather than in the group's properties.
   */
  readonly instanceType?: string;
}

/** A priced configuration. */
export interface Priced {
  readonly kind: "priced";
  /** USD per month, rounded to cents. */
  readonly monthlyUsd: number;
  /** What is priced, e.g. `db.r5.4xlarge postgres Multi-AZ, 200 GiB gp3`. */
  readonly label: string;
  /** What and how: the rates, the region, hourly × 730, and what is left out. */
  readonly basis: string;
  /** True when a rate used is derived (by ratio or carried over), not a list price. */
  readonly derived: boolean;
}

/** A configuration the table cannot price, and why. */
export interface Unpriced {
  readonly kind: "unpriced";
  readonly reason: string;
}

/** The outcome of pricing one configuration: a figure, or the reason there is none. */
export type Pricing = Priced | Unpriced;

/** The monthly cost of a resource configuration, or `undefined` when it cannot be priced. */
export interface MonthlyCost {
  readonly monthlyUsd: number;
  readonly basis: string;
}

/**
 * Monthly on-demand cost of one resource configuration, or `undefined` when the table cannot price
 * it. {@link priceResource} says why.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-template-resource-type-ref.html
 */
export function monthlyCost(
  resourceType: string,
  properties: Properties,
  options: PriceOptions,
): MonthlyCost | undefined {
  const pricing = priceResource(resourceType, properties, options);
  return pricing.kind === "priced" ? { monthlyUsd: pricing.monthlyUsd, basis: pricing.basis } : undefined;
}

/**
 * Prices one resource configuration: `priced` with the monthly figure and its basis, or `unpriced`
 * with the reason. Supported: EC2 instances and volumes, RDS DB instances (PostgreSQL, MySQL;
 * Single-AZ and Multi-AZ; storage and IOPS), ElastiCache clusters and replication groups, DynamoDB
 * provisioned tables (with GSIs), NAT gateways, ALB/NLB, Auto Scaling groups (with the
 * `instanceType` hint), and resources that carry no charge of their own (security groups, IAM, ...).
 * @see https://aws.amazon.com/pricing/
 */
export function priceResource(resourceType: string, properties: Properties, options: PriceOptions): Pricing {
  const raw = priceRaw(resourceType, properties, options);
  return raw.kind === "priced" ? { ...raw, monthlyUsd: cents(raw.monthlyUsd) } : raw;
}

/* ---------- change and window figures ---------- */

/** Cost figures for one change: {@link CostFigures} plus the rectified state's cost and the percent change. */
export interface ChangeCostFigures extends CostFigures {
  /** The rectified template's monthly cost (what the pull request would leave), when known. */
  readonly rectifiedMonthlyUsd: number | null;
  /** delta ÷ safe × 100, rounded to 2 decimals; `null` when the safe cost is unknown or zero. */
  readonly percent: number | null;
}

/** A resource's safe, live and (optionally) rectified configurations, for {@link costFigures}. */
export interface CostFiguresInput {
  readonly resourceType: string;
  readonly region: string;
  /** The safe state (template) properties; `null` when the resource is absent there (costs nothing). */
  readonly safeProperties: Properties | null;
  /** The live (drifted) properties; `null` when the resource no longer exists (costs nothing). */
  readonly liveProperties: Properties | null;
  /** The rectified template's properties (revert: safe; legitimize: live; refactor: proposed). */
  readonly rectifiedProperties?: Properties | null;
  /** A property whose same-family values to price for a refactor (e.g. `DBInstanceClass`). */
  readonly candidates?: string;
  readonly table?: PriceTable;
  /** See {@link PriceOptions.instanceType}. */
  readonly instanceType?: string;
}

/**
 * Safe, current (live), rectified and delta monthly cost of one change, in USD rounded to cents;
 * `null` where a side cannot be priced (the basis says why). delta = current − safe: positive
 * means the drift costs more. For a per-change figure pass the safe properties with only that
 * change applied as `liveProperties` ({@link withProperty}), so changes to the same resource add up.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackResourceDrift.html
 */
export function costFigures(input: CostFiguresInput): ChangeCostFigures {
  const options: PriceOptions = {
    region: input.region,
    ...(input.table ? { table: input.table } : {}),
    ...(input.instanceType ? { instanceType: input.instanceType } : {}),
  };
  const price = (properties: Properties | null): RawPricing =>
    properties === null ? ABSENT : priceRaw(input.resourceType, properties, options);
  const safe = price(input.safeProperties);
  const live = price(input.liveProperties);
  const rectified = input.rectifiedProperties === undefined ? undefined : price(input.rectifiedProperties);

  const safeUsd = safe.kind === "priced" ? safe.monthlyUsd : null;
  const liveUsd = live.kind === "priced" ? live.monthlyUsd : null;
  const delta = safeUsd !== null && liveUsd !== null ? liveUsd - safeUsd : null;
  const candidates =
    input.candidates !== undefined && input.liveProperties !== null
      ? candidateValues(
          input.resourceType,
          input.candidates,
          input.liveProperties[propertyName(input.candidates)],
          {
            ...options,
            properties: input.liveProperties,
          },
        )
      : undefined;

  return {
    safeMonthlyUsd: safeUsd === null ? null : cents(safeUsd),
    currentMonthlyUsd: liveUsd === null ? null : cents(liveUsd),
    deltaMonthlyUsd: delta === null ? null : cents(delta),
    rectifiedMonthlyUsd: rectified?.kind === "priced" ? cents(rectified.monthlyUsd) : null,
    percent: delta === null || safeUsd === null ? null : percentOf(delta, safeUsd),
    basis: figuresBasis(safe, live, input.region),
    ...(candidates ? { candidates } : {}),
  };
}

/** One change's figures as {@link windowCost} reads them, keyed by the resource it changed. */
export interface WindowCostItem {
  /** The changed resource (its logical id): changes to one resource share its safe cost. */
  readonly resource: string;
  readonly cost: Pick<
    ChangeCostFigures,
    "safeMonthlyUsd" | "currentMonthlyUsd" | "deltaMonthlyUsd" | "rectifiedMonthlyUsd"
  >;
}

/** A window's monthly cost: the sums over the resources its changes touched. */
export interface WindowCost {
  readonly safeMonthlyUsd: number;
  /** safe + every change's delta. */
  readonly currentMonthlyUsd: number;
  /** safe + every change's (rectified − safe); `null` when a priced change has no rectified figure. */
  readonly rectifiedMonthlyUsd: number | null;
  readonly deltaMonthlyUsd: number;
  /** delta ÷ safe × 100, rounded to 2 decimals; `null` when the safe total is zero. */
  readonly percent: number | null;
  /** Resources left out of the sums because a change on them could not be priced. */
  readonly unpriced: readonly string[];
}

/**
 * Sums a window's per-change figures per resource: each resource's safe cost counts once, and its
 * changes' deltas (and rectified shifts) add up, so per-change figures computed with
 * {@link withProperty} give the window's totals. A resource with any unpriced change is left out of
 * every sum and listed in `unpriced`. USD rounded to cents.
 */
export function windowCost(changes: readonly WindowCostItem[]): WindowCost {
  const byResource = new Map<string, WindowCostItem["cost"][]>();
  for (const change of changes) {
    const list = byResource.get(change.resource) ?? [];
    list.push(change.cost);
    byResource.set(change.resource, list);
  }
  let safe = 0;
  let delta = 0;
  let shift: number | null = 0;
  const unpriced: string[] = [];
  for (const [resource, costs] of byResource) {
    const base = costs[0]?.safeMonthlyUsd ?? null;
    if (base === null || costs.some((c) => c.deltaMonthlyUsd === null || c.currentMonthlyUsd === null)) {
      unpriced.push(resource);
      continue;
    }
    safe += base;
    for (const c of costs) {
      delta += c.deltaMonthlyUsd ?? 0;
      if (shift !== null)
        shift = c.rectifiedMonthlyUsd === null ? null : shift + c.rectifiedMonthlyUsd - base;
    }
  }
  return {
    safeMonthlyUsd: cents(safe),
    currentMonthlyUsd: cents(safe + delta),
    rectifiedMonthlyUsd: shift === null ? null : cents(safe + shift),
    deltaMonthlyUsd: cents(delta),
    percent: percentOf(delta, safe),
    unpriced,
  };
}

/**
 * `properties` with the value at a drift `propertyPath` (`/DBInstanceClass`, `/ProvisionedThroughput/ReadCapacityUnits`)
 * set, or removed when `value` is `undefined`. Intermediate objects and arrays are copied, never mutated.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_PropertyDifference.html
 */
export function withProperty(properties: Properties, propertyPath: string, value: unknown): Properties {
  const keys = propertyPath
    .split("/")
    .filter((k) => k !== "")
    .map((k) => k.replaceAll("~1", "/").replaceAll("~0", "~"));
  const set = (node: unknown, index: number): unknown => {
    const key = keys[index];
    if (key === undefined) return value;
    if (Array.isArray(node)) {
      const copy = [...node];
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0) return copy;
      if (value === undefined && index === keys.length - 1) copy.splice(i, 1);
      else copy[i] = set(copy[i], index + 1);
      return copy;
    }
    const record = typeof node === "object" && node !== null ? { ...(node as Record<string, unknown>) } : {};
    if (value === undefined && index === keys.length - 1) delete record[key];
    else record[key] = set(record[key], index + 1);
    return record;
  };
  return set(properties, 0) as Properties;
}

/* ---------- candidates ---------- */

/** A value a refactor could choose, with the configuration's monthly cost at that value. */
export interface Candidate {
  readonly value: string;
  readonly monthlyUsd: number;
}

/** Options for {@link candidateValues}. */
export interface CandidateOptions extends PriceOptions {
  /**
   * The resource's other properties, so a candidate is priced as the whole configuration (an RDS
   * class needs `Engine`, and Multi-AZ and storage count). Default: only the candidate property.
   */
  readonly properties?: Properties;
}

/** The property a refactor resizes, per resource type, and the table section holding its sizes. */
const SIZED_PROPERTIES: Readonly<
  Record<string, { property: string; section: "ec2" | "rds" | "elasticache" }>
> = {
  "AWS::EC2::Instance": { property: "InstanceType", section: "ec2" },
  "AWS::RDS::DBInstance": { property: "DBInstanceClass", section: "rds" },
  "AWS::ElastiCache::CacheCluster": { property: "CacheNodeType", section: "elasticache" },
  "AWS::ElastiCache::ReplicationGroup": { property: "CacheNodeType", section: "elasticache" },
};

/**
 * The priced sizes of `current`'s family (e.g. `db.r5.large` … `db.r5.12xlarge` for `db.r5.4xlarge`),
 * current included, sorted by monthly cost (cheapest first). Each is priced as the whole configuration
 * with `property` set to it. Empty when the property is not a size or `current` is not in the table.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.html
 */
export function candidateValues(
  resourceType: string,
  property: string,
  current: unknown,
  options: CandidateOptions,
): Candidate[] {
  const sized = SIZED_PROPERTIES[resourceType];
  const name = propertyName(property);
  const value = readText(current);
  if (sized === undefined || sized.property !== name || typeof value !== "string") return [];
  const prices = (options.table ?? SHIPPED_PRICE_TABLE).regions[options.region];
  if (prices === undefined) return [];
  const family = familyOf(value);
  const keys =
    sized.section === "rds"
      ? new Set([...Object.keys(prices.rds.postgres), ...Object.keys(prices.rds.mysql)])
      : new Set(Object.keys(prices[sized.section]));
  const candidates: Candidate[] = [];
  for (const key of keys) {
    if (familyOf(key) !== family) continue;
    const pricing = priceRaw(resourceType, { ...options.properties, [name]: key }, options);
    if (pricing.kind === "priced") candidates.push({ value: key, monthlyUsd: cents(pricing.monthlyUsd) });
  }
  return candidates.sort(
    (a, b) => a.monthlyUsd - b.monthlyUsd || a.value.localeCompare(b.value, "en", { numeric: true }),
  );
}

/* ---------- pricing per resource type ---------- */

/** Like {@link Pricing}, before rounding. */
type RawPricing = Priced | Unpriced;

const ABSENT: Priced = {
  kind: "priced",
  monthlyUsd: 0,
  label: "absent",
  basis: "absent (costs nothing)",
  derived: false,
};

interface Context {
  readonly region: string;
  readonly table: PriceTable;
  readonly prices: RegionPrices;
  readonly instanceType?: string;
  /** Set when a rate used is derived rather than a list price. */
  derived: boolean;
}

type Pricer = (properties: Properties, context: Context) => RawPricing;

/**
 * Resource types with no charge of their own: what they enable is billed on other resources.
 * @see https://aws.amazon.com/vpc/pricing/
 */
const NO_CHARGE_TYPES: ReadonlySet<string> = new Set([
  "AWS::EC2::SecurityGroup",
  "AWS::EC2::SecurityGroupIngress",
  "AWS::EC2::SecurityGroupEgress",
  "AWS::EC2::VPC",
  "AWS::EC2::Subnet",
  "AWS::EC2::RouteTable",
  "AWS::EC2::Route",
  "AWS::EC2::SubnetRouteTableAssociation",
  "AWS::EC2::InternetGateway",
  "AWS::EC2::VPCGatewayAttachment",
  "AWS::EC2::LaunchTemplate",
  "AWS::IAM::Role",
  "AWS::IAM::Policy",
  "AWS::IAM::ManagedPolicy",
  "AWS::IAM::InstanceProfile",
  "AWS::RDS::DBSubnetGroup",
  "AWS::RDS::DBParameterGroup",
  "AWS::RDS::DBClusterParameterGroup",
  "AWS::ElastiCache::SubnetGroup",
  "AWS::ElastiCache::ParameterGroup",
  "AWS::ElasticLoadBalancingV2::TargetGroup",
  "AWS::ElasticLoadBalancingV2::Listener",
  "AWS::ElasticLoadBalancingV2::ListenerRule",
  "AWS::AutoScaling::LaunchConfiguration",
]);

const PRICERS: Readonly<Record<string, Pricer>> = {
  "AWS::EC2::Instance": ec2Instance,
  "AWS::EC2::Volume": ebsVolume,
  "AWS::RDS::DBInstance": rdsInstance,
  "AWS::RDS::DBCluster": rdsCluster,
  "AWS::ElastiCache::CacheCluster": cacheCluster,
  "AWS::ElastiCache::ReplicationGroup": replicationGroup,
  "AWS::DynamoDB::Table": dynamoTable,
  "AWS::EC2::NatGateway": natGateway,
  "AWS::ElasticLoadBalancingV2::LoadBalancer": loadBalancer,
  "AWS::AutoScaling::AutoScalingGroup": autoScalingGroup,
};

function priceRaw(resourceType: string, properties: Properties, options: PriceOptions): RawPricing {
  if (NO_CHARGE_TYPES.has(resourceType)) {
    return {
      kind: "priced",
      monthlyUsd: 0,
      label: resourceType,
      basis: `${resourceType}: no charge of its own`,
      derived: false,
    };
  }
  const pricer = PRICERS[resourceType];
  if (pricer === undefined) return unpriced(`${resourceType} is not in the price table`);
  const table = options.table ?? SHIPPED_PRICE_TABLE;
  const prices = table.regions[options.region];
  if (prices === undefined) {
    return unpriced(
      `no prices for region ${options.region} (the table covers ${Object.keys(table.regions).join(", ")}; ` +
        `phantom prices refresh --region ${options.region} adds it)`,
    );
  }
  const context: Context = {
    region: options.region,
    table,
    prices,
    ...(options.instanceType ? { instanceType: options.instanceType } : {}),
    derived: false,
  };
  const result = pricer(properties, context);
  if (result.kind === "unpriced") return result;
  const derivedNote = context.derived
    ? "; includes rates derived by ratio, not list prices (see the table's `derived`)"
    : "";
  return { ...result, basis: `${result.basis}${derivedNote}`, derived: context.derived };
}

/**
 * EC2 instance: Linux, shared tenancy, on-demand.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-instance.html
 */
function ec2Instance(p: Properties, c: Context): RawPricing {
  const type = requiredText(p, "InstanceType", "(CloudFormation's default m1.small is not in the table)");
  if (typeof type !== "string") return type;
  const tenancy = readText(p.Tenancy);
  if (isNotLiteral(tenancy)) return notLiteralReason("Tenancy", tenancy);
  if (tenancy !== undefined && tenancy !== "default") {
    return unpriced(`Tenancy ${tenancy} is not priced (the table has shared-tenancy prices)`);
  }
  const hourly = rate(c, "ec2", type, c.prices.ec2[type], `EC2 instance type ${type}`);
  if (typeof hourly !== "number") return hourly;
  return priced(
    hourly * HOURS_PER_MONTH,
    `${type} Linux`,
    `${type} Linux on-demand in ${c.region}: ${usd(hourly)}/h × ${HOURS_PER_MONTH}`,
  );
}

/**
 * Auto Scaling group: desired capacity (default: MinSize) × the instance type's price; the type comes
 * from the launch template, passed as the `instanceType` hint.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-autoscalinggroup.html
 */
function autoScalingGroup(p: Properties, c: Context): RawPricing {
  if (c.instanceType === undefined) {
    return unpriced(
      "the group's instance type lives in its launch template or configuration: pass it as the instanceType hint",
    );
  }
  const desired = readNumber(p.DesiredCapacity);
  if (isNotLiteral(desired)) return notLiteralReason("DesiredCapacity", desired);
  const min = readNumber(p.MinSize);
  if (isNotLiteral(min)) return notLiteralReason("MinSize", min);
  const count = desired ?? min;
  if (count === undefined || count < 0 || !Number.isInteger(count)) {
    return unpriced("neither DesiredCapacity nor MinSize is a whole number");
  }
  const type = c.instanceType;
  const hourly = rate(c, "ec2", type, c.prices.ec2[type], `EC2 instance type ${type}`);
  if (typeof hourly !== "number") return hourly;
  const source = desired === undefined ? "MinSize (no DesiredCapacity)" : "DesiredCapacity";
  return priced(
    count * hourly * HOURS_PER_MONTH,
    `${count} × ${type} Linux`,
    `${count} × ${type} Linux on-demand in ${c.region} (${source}): ${usd(hourly)}/h × ${HOURS_PER_MONTH}`,
  );
}

/** RDS gp3 includes 3,000 IOPS and 125 MiB/s below 400 GiB, 12,000 and 500 MiB/s from 400 GiB (MySQL, PostgreSQL). */
function rdsGp3Baseline(gib: number): { iops: number; throughput: number } {
  return gib < 400 ? { iops: 3000, throughput: 125 } : { iops: 12000, throughput: 500 };
}

/**
 * RDS DB instance (PostgreSQL, MySQL): instance hours (Multi-AZ has its own rate), storage per
 * GB-month and provisioned IOPS/throughput, doubled for Multi-AZ.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_OnDemandDBInstances.html
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html#gp3-storage
 */
function rdsInstance(p: Properties, c: Context): RawPricing {
  const cls = requiredText(p, "DBInstanceClass");
  if (typeof cls !== "string") return cls;
  const engineText = requiredText(p, "Engine");
  if (typeof engineText !== "string") return engineText;
  const engine = rdsEngine(engineText);
  if (engine === undefined) {
    return unpriced(`RDS engine ${engineText} is not in the price table (it has postgres and mysql)`);
  }
  const multiAz = readBoolean(p.MultiAZ);
  if (isNotLiteral(multiAz)) return notLiteralReason("MultiAZ", multiAz);
  const entry = c.prices.rds[engine][cls];
  const deployment = multiAz === true ? "Multi-AZ" : "Single-AZ";
  const hourly = rate(
    c,
    "rds",
    cls,
    multiAz === true ? entry?.multiAz : entry?.singleAz,
    `RDS ${engine} class ${cls}`,
  );
  if (typeof hourly !== "number") return hourly;

  const storage = rdsStorage(p, c, multiAz === true ? 2 : 1);
  if (storage.kind === "unpriced") return storage;
  const label = `${cls} ${engine} ${deployment}${storage.label ? `, ${storage.label}` : ""}`;
  return priced(
    hourly * HOURS_PER_MONTH + storage.monthlyUsd,
    label,
    `${cls} ${engine} ${deployment} on-demand in ${c.region}: ${usd(hourly)}/h × ${HOURS_PER_MONTH}` +
      (storage.basis ? ` + ${storage.basis}` : "; no AllocatedStorage, storage not included"),
  );
}

function rdsEngine(engine: string): "postgres" | "mysql" | undefined {
  const e = engine.toLowerCase();
  if (e === "postgres" || e === "postgresql") return "postgres";
  if (e === "mysql") return "mysql";
  return undefined;
}

interface StoragePart {
  readonly kind: "storage";
  readonly monthlyUsd: number;
  readonly label: string;
  readonly basis: string;
}

function rdsStorage(p: Properties, c: Context, copies: 1 | 2): StoragePart | Unpriced {
  const gib = readNumber(p.AllocatedStorage);
  if (isNotLiteral(gib)) return notLiteralReason("AllocatedStorage", gib);
  if (gib === undefined) return { kind: "storage", monthlyUsd: 0, label: "", basis: "" };
  const iops = readNumber(p.Iops);
  if (isNotLiteral(iops)) return notLiteralReason("Iops", iops);
  const throughput = readNumber(p.StorageThroughput);
  if (isNotLiteral(throughput)) return notLiteralReason("StorageThroughput", throughput);
  const typeText = readText(p.StorageType);
  if (isNotLiteral(typeText)) return notLiteralReason("StorageType", typeText);
  // CloudFormation's default: io1 when Iops is set, otherwise gp2.
  const type = typeText?.toLowerCase() ?? (iops === undefined ? "gp2" : "io1");
  const s = c.prices.rdsStorage;
  const times = copies === 2 ? " × 2 (Multi-AZ)" : "";
  const parts: string[] = [];
  let monthly = 0;
  const add = (key: string, amount: number, unitRate: number | undefined, unit: string, what: string) => {
    const r = rate(c, "rdsStorage", key, unitRate, `RDS ${what}`);
    if (typeof r !== "number") return r;
    monthly += amount * r * copies;
    parts.push(`${amount} ${unit} × ${usd(r)}`);
    return undefined;
  };
  let problem: Unpriced | undefined;
  if (type === "gp2") problem = add("gp2", gib, s.gp2.gbMonth, "GiB gp2", "gp2 storage");
  else if (type === "gp3") {
    const base = rdsGp3Baseline(gib);
    problem = add("gp3", gib, s.gp3.gbMonth, "GiB gp3", "gp3 storage");
    const extraIops = Math.max(0, (iops ?? 0) - base.iops);
    const extraThroughput = Math.max(0, (throughput ?? 0) - base.throughput);
    if (!problem && extraIops > 0) {
      problem = add("gp3.iops", extraIops, s.gp3.iopsMonth, "IOPS above baseline", "gp3 IOPS");
    }
    if (!problem && extraThroughput > 0) {
      problem = add(
        "gp3.throughput",
        extraThroughput,
        s.gp3.throughputMibpsMonth,
        "MiB/s above baseline",
        "gp3 throughput",
      );
    }
  } else if (type === "io1" || type === "io2") {
    if (iops === undefined) return unpriced(`StorageType ${type} needs Iops, which is not set`);
    const prices = s[type];
    problem = add(type, gib, prices.gbMonth, `GiB ${type}`, `${type} storage`);
    if (!problem) problem = add(`${type}.iops`, iops, prices.iopsMonth, `${type} IOPS`, `${type} IOPS`);
  } else {
    return unpriced(`RDS StorageType ${type} is not in the price table (it has gp2, gp3, io1, io2)`);
  }
  if (problem) return problem;
  return {
    kind: "storage",
    monthlyUsd: monthly,
    label: `${gib} GiB ${type}`,
    basis: `${parts.join(" + ")} per month${times}`,
  };
}

/**
 * RDS DB cluster: Aurora bills per DB instance (price the cluster's `AWS::RDS::DBInstance`s) plus
 * storage and I/O by usage; Multi-AZ DB clusters (readable standbys) are not in the table.
 * @see https://aws.amazon.com/rds/aurora/pricing/
 */
function rdsCluster(p: Properties): RawPricing {
  const engine = readText(p.Engine);
  if (typeof engine === "string" && engine.toLowerCase().startsWith("aurora")) {
    return unpriced(
      "an Aurora cluster is billed per DB instance (price its AWS::RDS::DBInstance resources) plus storage and I/O by usage",
    );
  }
  if (p.DBClusterInstanceClass !== undefined) {
    return unpriced("Multi-AZ DB cluster (readable standbys) prices are not in the table");
  }
  return unpriced("AWS::RDS::DBCluster has no fixed price of its own in the table");
}

/**
 * ElastiCache node-based cluster: nodes × node-hour (Redis OSS and Memcached share prices).
 * @see https://aws.amazon.com/elasticache/pricing/
 */
function cacheCluster(p: Properties, c: Context): RawPricing {
  const nodeType = requiredText(p, "CacheNodeType");
  if (typeof nodeType !== "string") return nodeType;
  const engine = requiredText(p, "Engine");
  if (typeof engine !== "string") return engine;
  const engineProblem = cacheEngineProblem(engine);
  if (engineProblem) return engineProblem;
  const nodes = readNumber(p.NumCacheNodes);
  if (isNotLiteral(nodes)) return notLiteralReason("NumCacheNodes", nodes);
  if (nodes === undefined) return unpriced("NumCacheNodes is not set");
  return cacheNodes(c, nodeType, nodes, engine, "NumCacheNodes");
}

/**
 * ElastiCache replication group: node count from NumCacheClusters, or shards × (replicas + 1).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticache-replicationgroup.html
 */
function replicationGroup(p: Properties, c: Context): RawPricing {
  const nodeType = requiredText(p, "CacheNodeType");
  if (typeof nodeType !== "string") return nodeType;
  const engine = readText(p.Engine);
  if (isNotLiteral(engine)) return notLiteralReason("Engine", engine);
  const engineProblem = cacheEngineProblem(engine ?? "redis");
  if (engineProblem) return engineProblem;
  const clusters = readNumber(p.NumCacheClusters);
  if (isNotLiteral(clusters)) return notLiteralReason("NumCacheClusters", clusters);
  if (clusters !== undefined) return cacheNodes(c, nodeType, clusters, engine ?? "redis", "NumCacheClusters");
  const replicas = readNumber(p.ReplicasPerNodeGroup);
  if (isNotLiteral(replicas)) return notLiteralReason("ReplicasPerNodeGroup", replicas);
  const groups = readNumber(p.NumNodeGroups);
  if (isNotLiteral(groups)) return notLiteralReason("NumNodeGroups", groups);
  if (replicas !== undefined) {
    // NumNodeGroups defaults to 1.
    const shards = groups ?? 1;
    return cacheNodes(
      c,
      nodeType,
      shards * (replicas + 1),
      engine ?? "redis",
      `${shards} shard(s) × (${replicas} replicas + 1)`,
    );
  }
  const config = p.NodeGroupConfiguration;
  if (Array.isArray(config) && config.length > 0) {
    let nodes = 0;
    for (const group of config) {
      const count = readNumber((group as { ReplicaCount?: unknown } | null)?.ReplicaCount);
      if (typeof count !== "number")
        return unpriced("a NodeGroupConfiguration entry has no literal ReplicaCount");
      nodes += count + 1;
    }
    return cacheNodes(c, nodeType, nodes, engine ?? "redis", "NodeGroupConfiguration");
  }
  return unpriced(
    "the node count is not set (NumCacheClusters, ReplicasPerNodeGroup or NodeGroupConfiguration)",
  );
}

function cacheEngineProblem(engine: string): Unpriced | undefined {
  const e = engine.toLowerCase();
  if (e === "redis" || e === "memcached") return undefined;
  return unpriced(
    `ElastiCache engine ${engine} is not in the price table (it has Redis OSS / Memcached node prices)`,
  );
}

function cacheNodes(c: Context, nodeType: string, nodes: number, engine: string, source: string): RawPricing {
  if (!Number.isInteger(nodes) || nodes < 0) return unpriced(`node count ${nodes} is not a whole number`);
  const hourly = rate(
    c,
    "elasticache",
    nodeType,
    c.prices.elasticache[nodeType],
    `ElastiCache node type ${nodeType}`,
  );
  if (typeof hourly !== "number") return hourly;
  return priced(
    nodes * hourly * HOURS_PER_MONTH,
    `${nodes} × ${nodeType} ${engine.toLowerCase()}`,
    `${nodes} × ${nodeType} (${source}) on-demand in ${c.region}: ${usd(hourly)}/node-h × ${HOURS_PER_MONTH}`,
  );
}

/**
 * EBS volume: GB-month by type, plus provisioned IOPS (io1, io2 in tiers, gp3 above 3,000) and gp3
 * throughput above 125 MiB/s.
 * @see https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html
 * @see https://aws.amazon.com/ebs/pricing/
 */
function ebsVolume(p: Properties, c: Context): RawPricing {
  const size = readNumber(p.Size);
  if (isNotLiteral(size)) return notLiteralReason("Size", size);
  if (size === undefined)
    return unpriced("Size is not set (a volume made from SnapshotId takes the snapshot's size)");
  const typeText = readText(p.VolumeType);
  if (isNotLiteral(typeText)) return notLiteralReason("VolumeType", typeText);
  const type = typeText?.toLowerCase() ?? "gp2";
  const iops = readNumber(p.Iops);
  if (isNotLiteral(iops)) return notLiteralReason("Iops", iops);
  const throughput = readNumber(p.Throughput);
  if (isNotLiteral(throughput)) return notLiteralReason("Throughput", throughput);
  const e = c.prices.ebs;
  const parts: string[] = [];
  let monthly = 0;
  let problem: Unpriced | undefined;
  const add = (key: string, amount: number, unitRate: number | undefined, unit: string) => {
    if (problem) return;
    const r = rate(c, "ebs", key, unitRate, `EBS ${key}`);
    if (typeof r !== "number") {
      problem = r;
      return;
    }
    monthly += amount * r;
    parts.push(`${amount} ${unit} × ${usd(r)}`);
  };
  if (type === "gp2" || type === "st1" || type === "sc1" || type === "standard") {
    add(type, size, e[type].gbMonth, `GiB ${type}`);
  } else if (type === "gp3") {
    add("gp3", size, e.gp3.gbMonth, "GiB gp3");
    const extraIops = Math.max(0, (iops ?? 0) - 3000);
    const extraThroughput = Math.max(0, (throughput ?? 0) - 125);
    if (extraIops > 0) add("gp3.iops", extraIops, e.gp3.iopsMonth, "IOPS above 3,000");
    if (extraThroughput > 0)
      add("gp3.throughput", extraThroughput, e.gp3.throughputMibpsMonth, "MiB/s above 125");
  } else if (type === "io1") {
    if (iops === undefined) return unpriced("VolumeType io1 needs Iops, which is not set");
    add("io1", size, e.io1.gbMonth, "GiB io1");
    add("io1.iops", iops, e.io1.iopsMonth, "io1 IOPS");
  } else if (type === "io2") {
    if (iops === undefined) return unpriced("VolumeType io2 needs Iops, which is not set");
    add("io2", size, e.io2.gbMonth, "GiB io2");
    let below = 0;
    for (const tier of e.io2.iopsTiers) {
      const top = tier.upTo ?? Number.POSITIVE_INFINITY;
      const inTier = Math.max(0, Math.min(iops, top) - below);
      if (inTier > 0) add("io2.iops", inTier, tier.iopsMonth, "io2 IOPS");
      below = top;
    }
  } else {
    return unpriced(`EBS VolumeType ${type} is not in the price table`);
  }
  if (problem) return problem;
  const usage = type === "standard" ? "; I/O requests (usage) not included" : "";
  return priced(monthly, `${size} GiB ${type}`, `${parts.join(" + ")} per month in ${c.region}${usage}`);
}

/**
 * DynamoDB provisioned capacity: (RCU × RCU-hour + WCU × WCU-hour) × 730 over the table and its
 * global secondary indexes. On-demand (PAY_PER_REQUEST) is billed per request and cannot be priced
 * from the template; storage is usage and not included.
 * @see https://aws.amazon.com/dynamodb/pricing/provisioned/
 */
function dynamoTable(p: Properties, c: Context): RawPricing {
  const mode = readText(p.BillingMode);
  if (isNotLiteral(mode)) return notLiteralReason("BillingMode", mode);
  if (mode?.toUpperCase() === "PAY_PER_REQUEST") {
    return unpriced("on-demand capacity (BillingMode PAY_PER_REQUEST) is billed per request, not per hour");
  }
  const tableClass = readText(p.TableClass);
  if (isNotLiteral(tableClass)) return notLiteralReason("TableClass", tableClass);
  if (tableClass !== undefined && tableClass.toUpperCase() !== "STANDARD") {
    return unpriced(`TableClass ${tableClass} is not in the price table (it has the standard class)`);
  }
  const table = throughputOf(p.ProvisionedThroughput, "ProvisionedThroughput");
  if ("reason" in table) return unpriced(table.reason);
  let rcu = table.rcu;
  let wcu = table.wcu;
  const gsis = p.GlobalSecondaryIndexes;
  const indexes = Array.isArray(gsis) ? gsis : [];
  for (const [i, index] of indexes.entries()) {
    const name = readText((index as { IndexName?: unknown } | null)?.IndexName);
    const gsi = throughputOf(
      (index as { ProvisionedThroughput?: unknown } | null)?.ProvisionedThroughput,
      `GlobalSecondaryIndexes[${typeof name === "string" ? name : i}].ProvisionedThroughput`,
    );
    if ("reason" in gsi) return unpriced(gsi.reason);
    rcu += gsi.rcu;
    wcu += gsi.wcu;
  }
  const d = c.prices.dynamodb;
  const rcuRate = rate(c, "dynamodb", "rcuHour", d.rcuHour, "DynamoDB RCU");
  if (typeof rcuRate !== "number") return rcuRate;
  const wcuRate = rate(c, "dynamodb", "wcuHour", d.wcuHour, "DynamoDB WCU");
  if (typeof wcuRate !== "number") return wcuRate;
  const scope = indexes.length > 0 ? ` (table + ${indexes.length} GSI${indexes.length > 1 ? "s" : ""})` : "";
  return priced(
    (rcu * rcuRate + wcu * wcuRate) * HOURS_PER_MONTH,
    `${rcu} RCU + ${wcu} WCU provisioned`,
    `${rcu} RCU × ${usd(rcuRate)} + ${wcu} WCU × ${usd(wcuRate)} per hour${scope} in ${c.region} × ${HOURS_PER_MONTH}; storage not included`,
  );
}

function throughputOf(value: unknown, where: string): { rcu: number; wcu: number } | { reason: string } {
  if (typeof value !== "object" || value === null) {
    return { reason: `${where} is not set (a provisioned table needs it)` };
  }
  const v = value as { ReadCapacityUnits?: unknown; WriteCapacityUnits?: unknown };
  const rcu = readNumber(v.ReadCapacityUnits);
  const wcu = readNumber(v.WriteCapacityUnits);
  if (typeof rcu !== "number" || typeof wcu !== "number" || rcu < 0 || wcu < 0) {
    return { reason: `${where} needs literal ReadCapacityUnits and WriteCapacityUnits` };
  }
  return { rcu, wcu };
}

/**
 * NAT gateway: the hourly charge; data processed is usage and not included.
 * @see https://aws.amazon.com/vpc/pricing/
 */
function natGateway(_p: Properties, c: Context): RawPricing {
  const n = c.prices.natGateway;
  const hourly = rate(c, "natGateway", "hour", n.hour, "NAT gateway");
  if (typeof hourly !== "number") return hourly;
  return priced(
    hourly * HOURS_PER_MONTH,
    "NAT gateway",
    `NAT gateway in ${c.region}: ${usd(hourly)}/h × ${HOURS_PER_MONTH}; data processed (${usd(n.gbProcessed)}/GB) not included`,
  );
}

/**
 * Application or Network Load Balancer: the hourly charge; capacity units are usage and not included.
 * @see https://aws.amazon.com/elasticloadbalancing/pricing/
 */
function loadBalancer(p: Properties, c: Context): RawPricing {
  const typeText = readText(p.Type);
  if (isNotLiteral(typeText)) return notLiteralReason("Type", typeText);
  const type = typeText?.toLowerCase() ?? "application";
  if (type !== "application" && type !== "network") {
    return unpriced(`load balancer Type ${type} is not in the price table (it has application and network)`);
  }
  const prices = c.prices.loadBalancer[type];
  const hourly = rate(c, "loadBalancer", type, prices.hour, `${type} load balancer`);
  if (typeof hourly !== "number") return hourly;
  const unit = type === "application" ? "LCU" : "NLCU";
  return priced(
    hourly * HOURS_PER_MONTH,
    `${type} load balancer`,
    `${type} load balancer in ${c.region}: ${usd(hourly)}/h × ${HOURS_PER_MONTH}; ${unit} usage (${usd(prices.lcuHour)}/${unit}-h) not included`,
  );
}

/* ---------- helpers ---------- */

function unpriced(reason: string): Unpriced {
  return { kind: "unpriced", reason };
}

function priced(monthlyUsd: number, label: string, basis: string): Priced {
  return { kind: "priced", monthlyUsd, label, basis, derived: false };
}

function notLiteralReason(property: string, value: NotLiteral): Unpriced {
  return unpriced(`${property} is not a literal value: ${describeValue(value.value)}`);
}

function requiredText(p: Properties, property: string, hint = ""): string | Unpriced {
  const value = readText(p[property]);
  if (isNotLiteral(value)) return notLiteralReason(property, value);
  if (value === undefined) return unpriced(`${property} is not set${hint ? ` ${hint}` : ""}`);
  return value;
}

/** A rate from the table, marking the context when the table declares it derived. */
function rate(
  c: Context,
  section: PriceSection,
  key: string,
  value: number | undefined,
  what: string,
): number | Unpriced {
  if (value === undefined) return unpriced(`no price for ${what} in ${c.region}`);
  if (derivation(c.table, c.region, section, key)) c.derived = true;
  return value;
}

function propertyName(property: string): string {
  return property.replace(/^\/+/, "").split("/")[0] ?? property;
}

/** `db.r5.4xlarge` ► `db.r5`, `t3.medium` ► `t3`. */
function familyOf(type: string): string {
  const dot = type.lastIndexOf(".");
  return dot < 0 ? type : type.slice(0, dot);
}

function cents(value: number): number {
  return Math.round((value + Number.EPSILON) * 100) / 100;
}

function percentOf(delta: number, safe: number): number | null {
  return safe > 0 ? Math.round((delta / safe) * 10000) / 100 : null;
}

/** `$0.0416`, `$4.00`, `$0.115`: at least two decimals, never fewer than the table has. */
function usd(value: number): string {
  const text = String(value);
  const decimals = text.includes(".") ? (text.split(".")[1]?.length ?? 0) : 0;
  return `$${value.toFixed(Math.max(2, Math.min(decimals, 8)))}`;
}

function figuresBasis(safe: RawPricing, live: RawPricing, region: string): string {
  if (safe.kind === "unpriced" && live.kind === "unpriced") {
    return safe.reason === live.reason ? safe.reason : `safe: ${safe.reason}; live: ${live.reason}`;
  }
  if (safe.kind === "unpriced") return `safe state not priced: ${safe.reason}`;
  if (live.kind === "unpriced") return `live state not priced: ${live.reason}`;
  const what = safe.label === live.label ? live.label : `${safe.label} ► ${live.label}`;
  const derived = safe.derived || live.derived ? "; regional rates partly derived by ratio" : "";
  return `${what}, ${region}, on-demand list prices, hourly × ${HOURS_PER_MONTH}${derived}`;
}
