import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startDynamoStandIn } from "../../functions/rehearse/stand-ins/dynamodb.ts";

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

/**
 * Starts dynalite in memory on a free port of 127.0.0.1 (the OS picks it), with tables ACTIVE at once:
 * the rehearsal's DynamoDB stand-in, with a real SDK client for it.
 */
export async function startDynalite(): Promise<LocalDynamo> {
  const dynamo = await startDynamoStandIn();
  const client = new DynamoDBClient({
    endpoint: dynamo.url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local-test-secret" },
  });
  return {
    endpoint: dynamo.url,
    client,
    createWindowTable: (name) => dynamo.createWindowTable(name),
    async createWindowTables(prefix, count) {
      const names: string[] = [];
      for (let start = 1; start <= count; start += 10) {
        const batch = Array.from(
          { length: Math.min(10, count - start + 1) },
          (_, i) => `${prefix}-${start + i}`,
        );
        names.push(...(await Promise.all(batch.map((name) => dynamo.createWindowTable(name)))));
      }
      return names;
    },
    async stop() {
      client.destroy();
      await dynamo.close();
    },
  };
}
