import type { Server } from "node:http";
import { createRequire } from "node:module";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { windowTableCreateInput } from "../../adapters/dynamo-window-store.ts";
import { listenLocally, type StandIn } from "./stand-in.ts";

/**
 * DynamoDB for the rehearsal: dynalite, a maintained implementation of the DynamoDB API on LevelDB
 * (in memory here), so the window store's conditional writes run against real DynamoDB semantics
 * rather than a stand-in of ours. Calls are counted from each request's `X-Amz-Target`
 * (`DynamoDB_20120810.UpdateItem` ► `dynamodb.UpdateItem`).
 * @see https://github.com/architect/dynalite
 */

/** dynalite's node API (it ships no types): a factory returning a plain `http.Server`. */
type DynaliteFactory = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

const dynalite = createRequire(import.meta.url)("dynalite") as DynaliteFactory;

export interface DynamoStandIn extends StandIn {
  /** Creates the windows table (the window store's schema), ACTIVE at once. */
  createWindowTable(name: string): Promise<string>;
}

/** Starts dynalite on a free port of 127.0.0.1. */
export async function startDynamoStandIn(): Promise<DynamoStandIn> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const calls = new Map<string, number>();
  const unexpected: string[] = [];
  server.prependListener("request", (request) => {
    const target = request.headers["x-amz-target"];
    const operation = typeof target === "string" ? (target.split(".").pop() ?? "") : "";
    const key = `dynamodb.${operation || "(none)"}`;
    calls.set(key, (calls.get(key) ?? 0) + 1);
    if (operation === "")
      unexpected.push(`dynamodb: a request without X-Amz-Target (${request.method} ${request.url})`);
  });
  const url = await listenLocally(server);
  const client = new DynamoDBClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "rehearsal", secretAccessKey: "rehearsal" },
  });
  return {
    url,
    calls,
    unexpected,
    async createWindowTable(name) {
      await client.send(new CreateTableCommand(windowTableCreateInput(name)));
      for (let i = 0; i < 100; i++) {
        const out = await client.send(new DescribeTableCommand({ TableName: name }));
        if (out.Table?.TableStatus === "ACTIVE") return name;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`table ${name} did not become ACTIVE`);
    },
    async close() {
      client.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
