import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { windowTableCreateInput } from "../../functions/adapters/dynamo-window-store.ts";

/** dynalite's node API (it ships no types): a factory returning a plain `http.Server`. */
type DynaliteFactory = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  maxItemSizeKb?: number;
}) => Server;

const dynalite = createRequire(import.meta.url)("dynalite") as DynaliteFactory;

/** A running in-process dynalite (DynamoDB over real HTTP on 127.0.0.1) and a real SDK client for it. */
export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Creates a windows table (schema of the window store) and waits until it is ACTIVE. */
  createWindowTable(name: string): Promise<string>;
  /**
   * Creates `count` windows tables named `<prefix>-1…`, ten at a time (dynalite, like DynamoDB, limits
   * simultaneous creations), so tests can take an empty table each without paying for its creation.
   */
  createWindowTables(prefix: string, count: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts dynalite in memory on a free port of 127.0.0.1 (the OS picks it), with tables ACTIVE at once. */
export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local-test-secret" },
  });

  const createWindowTable = async (name: string): Promise<string> => {
    await client.send(new CreateTableCommand(windowTableCreateInput(name)));
    for (let i = 0; i < 100; i++) {
      const out = await client.send(new DescribeTableCommand({ TableName: name }));
      if (out.Table?.TableStatus === "ACTIVE") return name;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`table ${name} did not become ACTIVE`);
  };

  return {
    endpoint,
    client,
    createWindowTable,
    async createWindowTables(prefix, count) {
      const names: string[] = [];
      for (let start = 1; start <= count; start += 10) {
        const batch = Array.from(
          { length: Math.min(10, count - start + 1) },
          (_, i) => `${prefix}-${start + i}`,
        );
        names.push(...(await Promise.all(batch.map(createWindowTable))));
      }
      return names;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
