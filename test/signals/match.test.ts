import { describe, expect, it } from "vitest";
import { metricQueriesFor } from "../../core/signals/catalog.ts";
import { findResource, matchResource, scopeTerms } from "../../core/signals/match.ts";

const DB = { logicalId: "OrdersDatabase", physicalId: "orders-prod-db", type: "AWS::RDS::DBInstance" };
const HOST = { logicalId: "AppServer", physicalId: "i-0c0f1a2b3c4d5e6f7", type: "AWS::EC2::Instance" };
const SERVICE = {
  logicalId: "CheckoutService",
  physicalId: "arn:aws:ecs:us-east-1:123456789012:service/prod-cluster/checkout",
  type: "AWS::ECS::Service",
};

describe("matchResource: a resource named as people and Datadog name it", () => {
  it.each([
    ["OrdersDatabase", DB, "logical-id"],
    ["ordersdatabase", DB, "logical-id"],
    ["orders-prod-db", DB, "physical-id"],
    ["ORDERS-PROD-DB", DB, "physical-id"],
    ["dbinstanceidentifier:orders-prod-db", DB, "tag"],
    ["DBInstanceIdentifier:Orders-Prod-DB", DB, "tag"],
    ["i-0c0f1a2b3c4d5e6f7", HOST, "physical-id"],
    ["instance_id:i-0c0f1a2b3c4d5e6f7", HOST, "tag"],
    ["servicename:checkout", SERVICE, "tag"],
    ["clustername:prod-cluster", SERVICE, "tag"],
  ] as const)("%s names %s by %s", (name, resource, how) => {
    expect(matchResource(name, resource)).toBe(how);
  });

  it.each([
    ["Orders", DB],
    ["orders-prod", DB],
    ["instance_id:orders-prod-db", DB],
    ["dbinstanceidentifier:", DB],
    ["", DB],
    ["dbinstanceidentifier:i-0c0f1a2b3c4d5e6f7", HOST],
  ] as const)("%j does not name %s", (name, resource) => {
    expect(matchResource(name, resource)).toBeUndefined();
  });

  it("uses the very scope terms the Datadog adapter queries with", () => {
    for (const resource of [DB, HOST, SERVICE]) {
      const queries = metricQueriesFor(resource);
      for (const term of scopeTerms(resource)) {
        expect(matchResource(term, resource)).toBe("tag");
        expect(queries.every((q) => q.query.includes(term))).toBe(true);
      }
    }
  });

  it("prefers a logical id over another resource's physical id", () => {
    const twin = { logicalId: "orders-prod-db", physicalId: "x", type: "AWS::RDS::DBInstance" };
    expect(findResource("orders-prod-db", [DB, twin])).toBe(twin);
    expect(findResource("dbinstanceidentifier:orders-prod-db", [twin, DB])).toBe(DB);
  });
});
