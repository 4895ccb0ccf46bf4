import { describe, expect, it } from "vitest";
import { METRIC_CATALOG, metricQueriesFor, tagValue } from "../../core/signals/catalog.ts";

describe("metric catalogue", () => {
  it("scopes RDS metrics to the DB instance identifier, averaged per 5 minutes", () => {
    const queries = metricQueriesFor({
      logicalId: "PaymentsDb",
      physicalId: "payments-db",
      type: "AWS::RDS::DBInstance",
    });
    expect(queries.map((q) => [q.metric, q.unit, q.query])).toEqual([
      [
        "aws.rds.cpuutilization",
        "percent",
        "avg:aws.rds.cpuutilization{dbinstanceidentifier:payments-db}.rollup(avg, 300)",
      ],
      [
        "aws.rds.database_connections",
        "connection",
        "avg:aws.rds.database_connections{dbinstanceidentifier:payments-db}.rollup(avg, 300)",
      ],
      [
        "aws.rds.freeable_memory",
        "byte",
        "avg:aws.rds.freeable_memory{dbinstanceidentifier:payments-db}.rollup(avg, 300)",
      ],
      [
        "aws.rds.read_iops",
        "operation/second",
        "avg:aws.rds.read_iops{dbinstanceidentifier:payments-db}.rollup(avg, 300)",
      ],
      [
        "aws.rds.write_iops",
        "operation/second",
        "avg:aws.rds.write_iops{dbinstanceidentifier:payments-db}.rollup(avg, 300)",
      ],
    ]);
    expect(queries.every((q) => q.logicalId === "PaymentsDb" && q.physicalId === "payments-db")).toBe(true);
  });

  it("scopes EC2 metrics to the instance id", () => {
    const queries = metricQueriesFor({
      logicalId: "Api",
      physicalId: "i-0a1b2c3d4e5f60718",
      type: "AWS::EC2::Instance",
    });
    expect(queries.map((q) => q.query)).toEqual([
      "avg:aws.ec2.cpuutilization{instance_id:i-0a1b2c3d4e5f60718}.rollup(avg, 300)",
      "avg:aws.ec2.network_in{instance_id:i-0a1b2c3d4e5f60718}.rollup(avg, 300)",
      "avg:aws.ec2.network_out{instance_id:i-0a1b2c3d4e5f60718}.rollup(avg, 300)",
    ]);
  });

  it("sums Lambda errors and throttles as counts per rollup, with a matching unit", () => {
    const queries = metricQueriesFor(
      { logicalId: "Charge", physicalId: "Payments-Charge_v2", type: "AWS::Lambda::Function" },
      { rollupSeconds: 60 },
    );
    expect(queries.map((q) => [q.query, q.unit])).toEqual([
      ["avg:aws.lambda.duration{functionname:payments-charge_v2}.rollup(avg, 60)", "millisecond"],
      ["sum:aws.lambda.errors{functionname:payments-charge_v2}.as_count().rollup(sum, 60)", "error/1min"],
      [
        "sum:aws.lambda.throttles{functionname:payments-charge_v2}.as_count().rollup(sum, 60)",
        "throttle/1min",
      ],
    ]);
  });

  it("compares DynamoDB consumed with provisioned capacity", () => {
    const queries = metricQueriesFor({
      logicalId: "Orders",
      physicalId: "Orders.Table",
      type: "AWS::DynamoDB::Table",
    });
    expect(queries.map((q) => q.query)).toEqual([
      "avg:aws.dynamodb.consumed_read_capacity_units{tablename:orders.table}.rollup(avg, 300)",
      "avg:aws.dynamodb.provisioned_read_capacity_units{tablename:orders.table}.rollup(avg, 300)",
      "avg:aws.dynamodb.consumed_write_capacity_units{tablename:orders.table}.rollup(avg, 300)",
      "avg:aws.dynamodb.provisioned_write_capacity_units{tablename:orders.table}.rollup(avg, 300)",
    ]);
  });

  it("reads the cluster and service names from an ECS service ARN", () => {
    const arn = "arn:aws:ecs:us-east-1:123456789012:service/Payments-Cluster/payments-api";
    expect(
      metricQueriesFor({ logicalId: "Svc", physicalId: arn, type: "AWS::ECS::Service" }).map((q) => q.query),
    ).toEqual([
      "avg:aws.ecs.service.cpuutilization{clustername:payments-cluster,servicename:payments-api}.rollup(avg, 300)",
      "avg:aws.ecs.service.memory_utilization{clustername:payments-cluster,servicename:payments-api}.rollup(avg, 300)",
    ]);
    const old = "arn:aws:ecs:us-east-1:123456789012:service/payments-api";
    expect(metricQueriesFor({ logicalId: "Svc", physicalId: old, type: "AWS::ECS::Service" })[0]?.query).toBe(
      "avg:aws.ecs.service.cpuutilization{servicename:payments-api}.rollup(avg, 300)",
    );
  });

  it("has nothing for types without sizing metrics, inherited keys, or empty ids", () => {
    expect(
      metricQueriesFor({ logicalId: "Sg", physicalId: "sg-1", type: "AWS::EC2::SecurityGroup" }),
    ).toEqual([]);
    expect(metricQueriesFor({ logicalId: "X", physicalId: "x", type: "constructor" })).toEqual([]);
    expect(metricQueriesFor({ logicalId: "Db", physicalId: "", type: "AWS::RDS::DBInstance" })).toEqual([]);
  });

  it("scopes ElastiCache replication group metrics to the group's nodes, engine CPU first", () => {
    const queries = metricQueriesFor({
      logicalId: "SessionCache",
      physicalId: "sessions-prod-cache",
      type: "AWS::ElastiCache::ReplicationGroup",
    });
    expect(queries.map((q) => [q.query, q.unit])).toEqual([
      [
        "avg:aws.elasticache.engine_cpuutilization{replication_group:sessions-prod-cache}.rollup(avg, 300)",
        "percent",
      ],
      [
        "avg:aws.elasticache.database_memory_usage_percentage{replication_group:sessions-prod-cache}.rollup(avg, 300)",
        "percent",
      ],
      [
        "sum:aws.elasticache.evictions{replication_group:sessions-prod-cache}.as_count().rollup(sum, 300)",
        "eviction/5min",
      ],
      [
        "avg:aws.elasticache.bytes_used_for_cache{replication_group:sessions-prod-cache}.rollup(avg, 300)",
        "byte",
      ],
    ]);
  });

  it("scopes a cache cluster to its id, with host CPU for Memcached after engine CPU", () => {
    const queries = metricQueriesFor({
      logicalId: "Cache",
      physicalId: "Sessions-001",
      type: "AWS::ElastiCache::CacheCluster",
    });
    expect(queries.map((q) => q.metric)).toEqual([
      "aws.elasticache.engine_cpuutilization",
      "aws.elasticache.cpuutilization",
      "aws.elasticache.database_memory_usage_percentage",
      "aws.elasticache.evictions",
      "aws.elasticache.bytes_used_for_cache",
    ]);
    expect(queries.every((q) => q.query.includes("{cacheclusterid:sessions-001}"))).toBe(true);
  });

  it("averages EC2 CPU across an Auto Scaling group and counts its in-service instances", () => {
    const queries = metricQueriesFor({
      logicalId: "Workers",
      physicalId: "analytics-dev-BatchWorkerGroup-7TGB5RFV3EDC",
      type: "AWS::AutoScaling::AutoScalingGroup",
    });
    expect(queries.map((q) => [q.query, q.unit])).toEqual([
      [
        "avg:aws.ec2.cpuutilization{autoscaling_group:analytics-dev-batchworkergroup-7tgb5rfv3edc}.rollup(avg, 300)",
        "percent",
      ],
      [
        "avg:aws.autoscaling.group_in_service_instances{autoscaling_group:analytics-dev-batchworkergroup-7tgb5rfv3edc}.rollup(avg, 300)",
        "instance",
      ],
    ]);
  });

  it("covers the types the issue names", () => {
    expect(Object.keys(METRIC_CATALOG).sort()).toEqual([
      "AWS::AutoScaling::AutoScalingGroup",
      "AWS::DynamoDB::Table",
      "AWS::EC2::Instance",
      "AWS::ECS::Service",
      "AWS::ElastiCache::CacheCluster",
      "AWS::ElastiCache::ReplicationGroup",
      "AWS::Lambda::Function",
      "AWS::RDS::DBInstance",
    ]);
  });

  it("normalises tag values as Datadog stores them", () => {
    expect(tagValue("My Table#1")).toBe("my_table_1");
    expect(tagValue("payments-db")).toBe("payments-db");
  });
});
