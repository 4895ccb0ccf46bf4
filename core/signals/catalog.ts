import type { SignalResource } from "./types.ts";

/**
 * The metrics that judge a resource's sizing, per CloudFormation type, as Datadog metric queries
 * scoped to the one resource by the tag Datadog's AWS integration puts on its CloudWatch metrics.
 *
 * Metric and tag names are the AWS integration's (CloudWatch metric names lowercased and
 * snake-cased under `aws.<service>.`; CloudWatch dimensions become lowercase tags):
 * @see https://docs.datadoghq.com/integrations/amazon_ec2/#data-collected
 * @see https://docs.datadoghq.com/integrations/amazon_rds/#data-collected
 * @see https://docs.datadoghq.com/integrations/amazon_lambda/#data-collected
 * @see https://docs.datadoghq.com/integrations/amazon_dynamodb/#data-collected
 * @see https://docs.datadoghq.com/integrations/amazon_ecs/#data-collected
 * @see https://docs.datadoghq.com/integrations/amazon_elasticache/#data-collected
 * @see https://docs.datadoghq.com/integrations/amazon_auto_scaling/ (the `autoscaling_group` tag)
 * @see https://docs.datadoghq.com/getting_started/tagging/#define-tags (tags are lowercased)
 * @see https://docs.datadoghq.com/metrics/#time-and-space-aggregation (`avg:`/`sum:`, `.rollup()`, `.as_count()`)
 */

/** How one metric is aggregated: the space aggregator and the rollup over each interval. */
export type MetricAggregation = "avg" | "sum";

/** One catalogued metric of a resource type. */
export interface CatalogMetric {
  /** The Datadog metric name, e.g. `aws.rds.cpuutilization`. */
  readonly metric: string;
  /** `avg` for gauges (utilisation, bytes, connections); `sum` of `.as_count()` for counts (errors). */
  readonly aggregation: MetricAggregation;
  /** Unit of the summarised values, e.g. `percent`, `byte`, `error/5min` for summed counts. */
  readonly unit: string;
}

/** The metrics of one resource type and how the physical id becomes the scoping tags. */
export interface CatalogEntry {
  readonly metrics: readonly CatalogMetric[];
  /** `tag:value` scope terms for a physical id, or `undefined` when the id cannot be read. */
  scope(physicalId: string): readonly string[] | undefined;
}

/** A metric query for one resource, ready for Datadog's `GET /api/v1/query`. */
export interface MetricQuery {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
  readonly metric: string;
  readonly unit: string;
  readonly aggregation: MetricAggregation;
  /** e.g. `avg:aws.rds.cpuutilization{dbinstanceidentifier:payments-db}.rollup(avg, 300)`. */
  readonly query: string;
}

/**
 * A tag value as Datadog stores it: lowercased, and characters other than letters, digits, `_`,
 * `-`, `:`, `.` and `/` turned into `_`.
 * @see https://docs.datadoghq.com/getting_started/tagging/#define-tags
 */
export function tagValue(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_\-:./]/g, "_");
}

function single(key: string): (physicalId: string) => readonly string[] | undefined {
  return (physicalId) => (physicalId === "" ? undefined : [`${key}:${tagValue(physicalId)}`]);
}

/**
 * An ECS service's physical id is its ARN: `arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`
 * (or the older `service/<name>` without the cluster).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-service.html#aws-resource-ecs-service-return-values
 */
function ecsServiceScope(physicalId: string): readonly string[] | undefined {
  const resource = physicalId.startsWith("arn:") ? physicalId.split(":").slice(5).join(":") : physicalId;
  const parts = resource.replace(/^service\//, "").split("/");
  const name = parts.at(-1);
  if (name === undefined || name === "") return undefined;
  const cluster = parts.length >= 2 ? parts.at(-2) : undefined;
  return [
    ...(cluster !== undefined && cluster !== "" ? [`clustername:${tagValue(cluster)}`] : []),
    `servicename:${tagValue(name)}`,
  ];
}

const gauge = (metric: string, unit: string): CatalogMetric => ({ metric, aggregation: "avg", unit });
const count = (metric: string, unit: string): CatalogMetric => ({ metric, aggregation: "sum", unit });

/**
 * CloudFormation type ► the Datadog metrics that judge its sizing. Types without sizing metrics
 * (security groups, IAM, buckets, …) are absent.
 */
export const METRIC_CATALOG: Readonly<Record<string, CatalogEntry>> = {
  /** `Ref` is the instance id; the integration tags EC2 metrics with `instance_id`. */
  "AWS::EC2::Instance": {
    metrics: [
      gauge("aws.ec2.cpuutilization", "percent"),
      gauge("aws.ec2.network_in", "byte"),
      gauge("aws.ec2.network_out", "byte"),
    ],
    scope: single("instance_id"),
  },
  /** `Ref` is the DB instance identifier (`dbinstanceidentifier`). */
  "AWS::RDS::DBInstance": {
    metrics: [
      gauge("aws.rds.cpuutilization", "percent"),
      gauge("aws.rds.database_connections", "connection"),
      gauge("aws.rds.freeable_memory", "byte"),
      gauge("aws.rds.read_iops", "operation/second"),
      gauge("aws.rds.write_iops", "operation/second"),
    ],
    scope: single("dbinstanceidentifier"),
  },
  /** `Ref` is the function name (`functionname`). */
  "AWS::Lambda::Function": {
    metrics: [
      gauge("aws.lambda.duration", "millisecond"),
      count("aws.lambda.errors", "error/5min"),
      count("aws.lambda.throttles", "throttle/5min"),
    ],
    scope: single("functionname"),
  },
  /** `Ref` is the table name (`tablename`). Consumed and provisioned are both units per second. */
  "AWS::DynamoDB::Table": {
    metrics: [
      gauge("aws.dynamodb.consumed_read_capacity_units", "unit/second"),
      gauge("aws.dynamodb.provisioned_read_capacity_units", "unit/second"),
      gauge("aws.dynamodb.consumed_write_capacity_units", "unit/second"),
      gauge("aws.dynamodb.provisioned_write_capacity_units", "unit/second"),
    ],
    scope: single("tablename"),
  },
  /** `Ref` is the service ARN (`clustername` + `servicename`). */
  "AWS::ECS::Service": {
    metrics: [
      gauge("aws.ecs.service.cpuutilization", "percent"),
      gauge("aws.ecs.service.memory_utilization", "percent"),
    ],
    scope: ecsServiceScope,
  },
  /**
   * `Ref` is the replication group id. CloudWatch reports ElastiCache per node (dimensions
   * `CacheClusterId`, `CacheNodeId`); the integration describes each cluster
   * (`elasticache:DescribeCacheClusters`) and tags its nodes' metrics with the group it belongs
   * to, `replication_group`, so one query covers every node of the group. Replication groups run
   * Valkey or Redis OSS, which execute commands on one thread: `EngineCPUUtilization` is the CPU
   * that sizes them, and memory (used %, evictions, bytes) is usually what runs out first.
   * @see https://docs.datadoghq.com/integrations/amazon_elasticache/#data-collected
   * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.Redis.html
   * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.WhichShouldIMonitor.html
   */
  "AWS::ElastiCache::ReplicationGroup": {
    metrics: [
      gauge("aws.elasticache.engine_cpuutilization", "percent"),
      gauge("aws.elasticache.database_memory_usage_percentage", "percent"),
      count("aws.elasticache.evictions", "eviction/5min"),
      gauge("aws.elasticache.bytes_used_for_cache", "byte"),
    ],
    scope: single("replication_group"),
  },
  /**
   * `Ref` is the cache cluster id, the `CacheClusterId` dimension (`cacheclusterid` tag). A
   * cluster runs Redis OSS or Memcached: engine CPU first (Redis), then host CPU (all Memcached
   * has); the engine without a figure gets none.
   * @see https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheMetrics.HostLevel.html
   */
  "AWS::ElastiCache::CacheCluster": {
    metrics: [
      gauge("aws.elasticache.engine_cpuutilization", "percent"),
      gauge("aws.elasticache.cpuutilization", "percent"),
      gauge("aws.elasticache.database_memory_usage_percentage", "percent"),
      count("aws.elasticache.evictions", "eviction/5min"),
      gauge("aws.elasticache.bytes_used_for_cache", "byte"),
    ],
    scope: single("cacheclusterid"),
  },
  /**
   * `Ref` is the group name. The integration tags the EC2 metrics of the group's hosts and the
   * group's own metrics (`GroupInServiceInstances`, published once group metrics are enabled) with
   * `autoscaling_group`, so the CPU query averages across the group's instances.
   * @see https://docs.datadoghq.com/integrations/amazon_auto_scaling/
   * @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-metrics.html
   */
  "AWS::AutoScaling::AutoScalingGroup": {
    metrics: [
      gauge("aws.ec2.cpuutilization", "percent"),
      gauge("aws.autoscaling.group_in_service_instances", "instance"),
    ],
    scope: single("autoscaling_group"),
  },
};

/** Default rollup: CloudWatch's basic-monitoring period, so before/during/after compare like for like. */
export const DEFAULT_ROLLUP_SECONDS = 300;

/**
 * The metric queries that judge one resource's sizing, in catalogue order; empty for a type the
 * catalogue does not know or a physical id it cannot scope. Gauges are `avg:` with
 * `.rollup(avg, N)`; counts are `sum:` with `.as_count().rollup(sum, N)`, so each point is the
 * count over N seconds.
 * @see https://docs.datadoghq.com/dashboards/functions/rollup/
 * @see https://docs.datadoghq.com/metrics/custom_metrics/type_modifiers/ (`.as_count()`)
 */
export function metricQueriesFor(
  resource: SignalResource,
  options: { readonly rollupSeconds?: number } = {},
): readonly MetricQuery[] {
  const entry = Object.hasOwn(METRIC_CATALOG, resource.type) ? METRIC_CATALOG[resource.type] : undefined;
  const scope = entry?.scope(resource.physicalId);
  if (entry === undefined || scope === undefined) return [];
  const rollup = Math.max(1, Math.round(options.rollupSeconds ?? DEFAULT_ROLLUP_SECONDS));
  const where = `{${scope.join(",")}}`;
  return entry.metrics.map((m) => ({
    logicalId: resource.logicalId,
    physicalId: resource.physicalId,
    type: resource.type,
    metric: m.metric,
    unit: m.aggregation === "sum" ? m.unit.replace(/\/5min$/, `/${formatSeconds(rollup)}`) : m.unit,
    aggregation: m.aggregation,
    query:
      m.aggregation === "sum"
        ? `sum:${m.metric}${where}.as_count().rollup(sum, ${rollup})`
        : `avg:${m.metric}${where}.rollup(avg, ${rollup})`,
  }));
}

function formatSeconds(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}min`;
  return `${seconds}s`;
}
