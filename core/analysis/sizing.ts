/**
 * Instance-class arithmetic for sizing decisions: `db.r5.4xlarge` is family `db.r5`, size `4xlarge`,
 * 32 capacity units against `large`'s 4. Within a family, each size step doubles vCPUs (and memory),
 * so CPU utilisation scales inversely with units — an approximation the reasoning states.
 */

const UNITS: Readonly<Record<string, number>> = {
  nano: 0.25,
  micro: 0.5,
  small: 1,
  medium: 2,
  large: 4,
  xlarge: 8,
  "2xlarge": 16,
  "3xlarge": 24,
  "4xlarge": 32,
  "6xlarge": 48,
  "8xlarge": 64,
  "9xlarge": 72,
  "10xlarge": 80,
  "12xlarge": 96,
  "16xlarge": 128,
  "18xlarge": 144,
  "24xlarge": 192,
  "32xlarge": 256,
  "48xlarge": 384,
};

export interface InstanceClass {
  readonly family: string;
  readonly size: string;
  readonly units: number;
}

/** `db.r5.4xlarge` ► {family: `db.r5`, size: `4xlarge`, units: 32}; `undefined` when not a class. */
export function parseClass(value: unknown): InstanceClass | undefined {
  if (typeof value !== "string") return undefined;
  const dot = value.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const size = value.slice(dot + 1);
  const units = UNITS[size];
  return units === undefined ? undefined : { family: value.slice(0, dot), size, units };
}

/** Sizes every current EC2/RDS/ElastiCache family offers; odd sizes (3xlarge, 6xlarge, ...) vary by family. */
const COMMON_SIZES = new Set([
  "nano",
  "micro",
  "small",
  "medium",
  "large",
  "xlarge",
  "2xlarge",
  "4xlarge",
  "8xlarge",
  "12xlarge",
  "16xlarge",
  "24xlarge",
]);

/**
 * Sizes of a family from `from` to `to` units inclusive, smallest first: the sizes `offered` when
 * known (e.g. the priced candidates), else the sizes every family has.
 */
export function ladder(
  family: string,
  fromUnits: number,
  toUnits: number,
  offered?: ReadonlySet<string>,
): string[] {
  return Object.entries(UNITS)
    .filter(([size]) =>
      offered && offered.size > 0 ? offered.has(`${family}.${size}`) : COMMON_SIZES.has(size),
    )
    .filter(([, u]) => u >= fromUnits && u <= toUnits)
    .sort((a, b) => a[1] - b[1])
    .map(([size]) => `${family}.${size}`);
}

/** Utilisation measured on `measuredUnits`, projected onto `targetUnits`. */
export function projectUtilisation(utilisation: number, measuredUnits: number, targetUnits: number): number {
  return (utilisation * measuredUnits) / targetUnits;
}

/**
 * Memory per capacity unit (GiB) by instance family letter, from the published sizes of the
 * current generations at `large` (4 units): r 16 GiB, m 8, c 4, t 8, x 32, z 16. Within a family
 * memory doubles with each size step like vCPUs. `undefined` for a family it does not know.
 * @see https://aws.amazon.com/rds/instance-types/
 * @see https://aws.amazon.com/ec2/instance-types/
 */
const GIB_PER_UNIT: Readonly<Record<string, number>> = { r: 4, m: 2, c: 1, t: 2, x: 8, z: 4 };

/** Memory of a class, GiB (`db.r5.2xlarge` ► 64), or `undefined` when its family is not known. */
export function memoryGiB(cls: InstanceClass): number | undefined {
  const family = cls.family.replace(/^(db|cache)\./, "");
  const perUnit = GIB_PER_UNIT[family.charAt(0)];
  return perUnit === undefined ? undefined : perUnit * cls.units;
}

/**
 * RDS's default `max_connections` for a class memory: `DBInstanceClassMemory / 12582880` (the
 * MySQL default, the lower of the engines' formulas; PostgreSQL's is `/ 9531392`, capped at 5,000).
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections
 */
export function maxConnections(gib: number): number {
  return Math.floor((gib * 1024 ** 3) / 12_582_880);
}
