import { beforeAll, describe, expect, it } from "vitest";
import type { DriftDetector, StackDirectory } from "../../core/drift/ports.ts";
import { CHALLENGE, DATABASE, loadWorld, QUEUE_URL, TABLE_NAME, WORKSHOP, type World } from "./world.ts";

/**
 * Port contracts (STYLE: one suite per port, run against the replay adapter and the real one). Each
 * adapter is built over the same {@link World}: `make` returns the adapter and a `done` check (the
 * strict HTTP server's verify, for the real one).
 */
export interface Harness<T> {
  readonly adapter: T;
  readonly done: () => void | Promise<void>;
}

export function stackDirectoryContract(
  name: string,
  make: (world: World) => Promise<Harness<StackDirectory>>,
): void {
  describe(`StackDirectory contract: ${name}`, () => {
    let world: World;
    beforeAll(async () => {
      world = await loadWorld();
    });

    async function withDirectory(use: (directory: StackDirectory) => Promise<void>) {
      const { adapter, done } = await make(world);
      await use(adapter);
      await done();
    }

    it("finds the owning stack, logical id and type of a physical id", async () => {
      await withDirectory(async (directory) => {
        const queue = await directory.lookup({ type: "AWS::SQS::Queue", id: QUEUE_URL });
        const table = await directory.lookup({ type: "AWS::DynamoDB::Table", id: TABLE_NAME });
        const instance = await directory.lookup({ type: "AWS::EC2::Instance", id: "i-1234567890abcdef0" });

        expect(queue).toMatchObject({
          stack: WORKSHOP,
          logicalId: "Queue1",
          physicalId: QUEUE_URL,
          type: "AWS::SQS::Queue",
        });
        expect(queue?.stackId).toMatch(
          /^arn:aws:cloudformation:us-east-1:123456789012:stack\/cfn-workshop-drift-detection\//,
        );
        expect(table).toMatchObject({ stack: WORKSHOP, logicalId: "Table1" });
        expect(instance).toMatchObject({
          stack: CHALLENGE,
          logicalId: "Instance1",
          type: "AWS::EC2::Instance",
        });
      });
    });

    it("answers undefined for a resource no stack owns", async () => {
      await withDirectory(async (directory) => {
        expect(
          await directory.lookup({ type: "AWS::EC2::SecurityGroup", id: "sg-0unmanaged" }),
        ).toBeUndefined();
      });
    });

    it("prefers the asked type when two resources share a physical id", async () => {
      await withDirectory(async (directory) => {
        const cluster = await directory.lookup({ type: "AWS::RDS::DBCluster", id: "orders" });
        const instance = await directory.lookup({ type: "AWS::RDS::DBInstance", id: "orders" });

        expect(cluster).toMatchObject({ stack: DATABASE, logicalId: "Cluster" });
        expect(instance).toMatchObject({ stack: DATABASE, logicalId: "Instance" });
      });
    });

    it("treats a deleted stack's resource as unmanaged", async () => {
      await withDirectory(async (directory) => {
        expect(await directory.lookup({ type: "AWS::S3::Bucket", id: "retired-bucket" })).toBeUndefined();
      });
    });
  });
}

export function driftDetectorContract(
  name: string,
  make: (world: World) => Promise<Harness<DriftDetector>>,
): void {
  describe(`DriftDetector contract: ${name}`, () => {
    let world: World;
    beforeAll(async () => {
      world = await loadWorld();
    });

    it("checks exactly the logical ids asked for, once each, in order", async () => {
      const { adapter, done } = await make(world);

      const report = await adapter.detect(WORKSHOP, ["Table1", "Queue1", "Table1"]);

      expect(report.calls).toBe(2);
      expect(report.resources.map((r) => [r.logicalId, r.status])).toEqual([
        ["Table1", "MODIFIED"],
        ["Queue1", "IN_SYNC"],
      ]);
      expect(report.resources[0]).toMatchObject({
        physicalId: TABLE_NAME,
        type: "AWS::DynamoDB::Table",
        checkedAt: "2023-05-23T09:31:32.470Z",
        differences: [
          {
            path: "/ProvisionedThroughput",
            type: "REMOVE",
            expected: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
            actual: null,
          },
          { path: "/BillingMode", type: "NOT_EQUAL", expected: "PROVISIONED", actual: "PAY_PER_REQUEST" },
        ],
      });
      expect(report.resources[1]?.note).toMatch(/only properties the template sets/);
      await done();
    });

    it("reports a resource it cannot answer for as UNKNOWN with a note, never as clean", async () => {
      const { adapter, done } = await make(world);

      const report = await adapter.detect(WORKSHOP, ["Missing"]);

      expect(report.calls).toBe(1);
      expect(report.resources).toHaveLength(1);
      expect(report.resources[0]).toMatchObject({ logicalId: "Missing", status: "UNKNOWN", differences: [] });
      expect(report.resources[0]?.note).toEqual(expect.any(String));
      await done();
    });

    it("makes no call for no logical ids", async () => {
      const { adapter, done } = await make(world);

      expect(await adapter.detect(WORKSHOP, [])).toEqual({ resources: [], calls: 0 });
      await done();
    });
  });
}
