import path from "node:path";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCachedDirectory, memoryDirectoryStore } from "../../core/drift/directory-cache.ts";
import { createCloudFormationDirectory } from "../../functions/adapters/cloudformation-directory.ts";
import { createDynamoDirectoryCache } from "../../functions/adapters/dynamo-directory-cache.ts";
import {
  type CloudFormationStandIn,
  startCloudFormationStandIn,
} from "../../functions/rehearse/stand-ins/cloudformation.ts";
import { type LocalDynamo, startDynalite } from "../support/dynalite.ts";

/**
 * The shared physical id ► stack cache over real HTTP: the CloudFormation stand-in (the 3 AM
 * incident's account) behind the real directory adapter, dynalite behind the DynamoDB store. Each
 * "container" is a fresh CloudFormation directory (its own in-memory cache), as a new Lambda
 * container would be; they share only the table.
 */

const ACCOUNT_DIR = path.resolve(
  import.meta.dirname,
  "../../fixtures/scenarios/payments-3am-incident/account",
);
const HOME = { account: "111122223333", region: "us-east-1" };
const GROUP = { type: "AWS::EC2::SecurityGroup", id: "sg-0a1b2c3d4e5f60718" } as const;
const DATABASE = { type: "AWS::RDS::DBInstance", id: "payments-prod-db" } as const;
const QUEUE = {
  type: "AWS::SQS::Queue",
  id: "https://sqs.us-east-1.amazonaws.com/111122223333/payments-prod-SettlementQueue-3D2S1A0Q9W8E",
} as const;
const UNMANAGED = { type: "AWS::EC2::SecurityGroup", id: "sg-0ffffffffffffffff" } as const;
const TTL = 60 * 60_000;
const NEGATIVE_TTL = 60_000;

let dynamo: LocalDynamo;
let cfn: CloudFormationStandIn;
let t = Date.parse("2026-03-14T03:20:00Z");
const clock = { now: () => t };
let tables: string[];

beforeAll(async () => {
  dynamo = await startDynalite();
  cfn = await startCloudFormationStandIn({ accountDir: ACCOUNT_DIR, clock, account: HOME.account });
  tables = await dynamo.createWindowTables("directory", 6);
});

afterAll(async () => {
  await cfn.close();
  await dynamo.stop();
});

const describes = () => cfn.calls.get("cloudformation.DescribeStackResources") ?? 0;

/** A new Lambda container: its own CloudFormation directory, the shared table. */
function container(table: string, errors: string[] = []) {
  const client = new CloudFormationClient({
    endpoint: cfn.url,
    region: HOME.region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  return createCachedDirectory({
    source: createCloudFormationDirectory({ client, clock, ttlMs: TTL, negativeTtlMs: NEGATIVE_TTL }),
    store: createDynamoDirectoryCache({ client: dynamo.client, table }),
    clock,
    home: HOME,
    ttlMs: TTL,
    negativeTtlMs: NEGATIVE_TTL,
    onStoreError: (operation, error) => errors.push(`${operation}: ${(error as Error).name}`),
  });
}

describe("the shared directory cache on DynamoDB", () => {
  it("learns a whole stack from one DescribeStackResources, so other containers find every resource without calling CloudFormation", async () => {
    const table = tables[0] as string;
    const before = describes();

    const first = await container(table).lookup(GROUP, HOME);
    expect(first).toMatchObject({ stack: "payments-prod", logicalId: "AppSecurityGroup" });
    expect(describes() - before).toBe(1);

    for (let i = 0; i < 5; i++) {
      const other = container(table);
      expect(await other.lookup(DATABASE, HOME)).toMatchObject({ logicalId: "PaymentsDatabase" });
      expect(await other.lookup(QUEUE, HOME)).toMatchObject({ logicalId: "SettlementQueue" });
      expect(await other.lookup(GROUP, HOME)).toMatchObject({ logicalId: "AppSecurityGroup" });
    }
    expect(describes() - before).toBe(1);
  });

  it("keeps places apart: the same physical id in another account is asked again", async () => {
    const table = tables[1] as string;
    await container(table).lookup(GROUP, HOME);
    const before = describes();

    await container(table).lookup(GROUP, { account: "444455556666", region: HOME.region });
    await container(table).lookup(GROUP, { account: HOME.account, region: "eu-west-1" });

    expect(describes() - before).toBe(2);
  });

  it("stores 'not stack-owned' for the short TTL only", async () => {
    const table = tables[2] as string;
    const before = describes();

    expect(await container(table).lookup(UNMANAGED, HOME)).toBeUndefined();
    expect(await container(table).lookup(UNMANAGED, HOME)).toBeUndefined();
    expect(describes() - before).toBe(1);

    t += NEGATIVE_TTL + 1;
    expect(await container(table).lookup(UNMANAGED, HOME)).toBeUndefined();
    expect(describes() - before).toBe(2);
    // The stack's entries outlive a negative TTL.
    await container(table).lookup(GROUP, HOME);
    t += NEGATIVE_TTL + 1;
    await container(table).lookup(DATABASE, HOME);
    expect(describes() - before).toBe(3);
  });

  it("forgets a stack when its CloudFormation events say it changed, and after the TTL", async () => {
    const table = tables[3] as string;
    const shared = container(table);
    await shared.lookup(GROUP, HOME);
    const before = describes();

    expect(await shared.invalidate({ ...HOME, stack: "payments-prod" })).toBe(11);
    // Neither the table nor the invalidating container's own memory remember it: one call, which
    // every container then shares again.
    expect(await shared.lookup(QUEUE, HOME)).toMatchObject({ logicalId: "SettlementQueue" });
    expect(await container(table).lookup(DATABASE, HOME)).toMatchObject({ logicalId: "PaymentsDatabase" });
    expect(describes() - before).toBe(1);

    // Another stack's invalidation, or one in another place, leaves it alone.
    expect(await shared.invalidate({ ...HOME, stack: "other-stack" })).toBe(0);
    expect(
      await shared.invalidate({ account: "444455556666", region: HOME.region, stack: "payments-prod" }),
    ).toBe(0);
    await container(table).lookup(QUEUE, HOME);
    expect(describes() - before).toBe(1);

    t += TTL + 1;
    await container(table).lookup(QUEUE, HOME);
    expect(describes() - before).toBe(2);
  });

  it("answers from CloudFormation when the table fails, reporting the failure instead of throwing", async () => {
    const errors: string[] = [];
    const directory = container("no-such-table", errors);

    expect(await directory.lookup(GROUP, HOME)).toMatchObject({ logicalId: "AppSecurityGroup" });
    expect(await directory.invalidate({ ...HOME, stack: "payments-prod" })).toBe(0);

    expect(errors).toEqual([
      "get: ResourceNotFoundException",
      "put: ResourceNotFoundException",
      "invalidate: ResourceNotFoundException",
    ]);
  });

  it("asks once for concurrent lookups of one id in one container", async () => {
    const table = tables[4] as string;
    const directory = container(table);
    const before = describes();

    const found = await Promise.all(Array.from({ length: 20 }, () => directory.lookup(DATABASE, HOME)));

    expect(new Set(found.map((r) => r?.logicalId))).toEqual(new Set(["PaymentsDatabase"]));
    expect(describes() - before).toBe(1);
  });
});

describe("memoryDirectoryStore", () => {
  it("behaves as the DynamoDB store: entries by place, invalidation by stack, expiry by TTL", async () => {
    const now = { t: 0 };
    const store = memoryDirectoryStore({ now: () => now.t });
    const owner = { stack: "api", logicalId: "Fn", physicalId: "fn-1", type: "AWS::Lambda::Function" };
    await store.put(HOME, [
      { physicalId: "fn-1", owners: [owner], expiresAt: 100 },
      { physicalId: "gone", owners: [], expiresAt: 10 },
    ]);

    expect(await store.get(HOME, "fn-1")).toMatchObject({ owners: [owner] });
    expect(await store.get({ ...HOME, account: "444455556666" }, "fn-1")).toBeUndefined();
    now.t = 10;
    expect(await store.get(HOME, "gone")).toBeUndefined();
    expect(await store.invalidate({ ...HOME, stack: "api" })).toBe(1);
    expect(await store.get(HOME, "fn-1")).toBeUndefined();
  });
});
