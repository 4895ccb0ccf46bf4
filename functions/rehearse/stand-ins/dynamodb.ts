import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import {
  type AttributeValue,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { windowTableCreateInput } from "../../adapters/dynamo-window-store.ts";
import { asDriver, type FaultPlan } from "../faults.ts";
import { injectedFault, listenLocally, type StandIn } from "./stand-in.ts";

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
  /** Every window item of the table: its place, stack, id and status (what the rehearsal left behind). */
  windows(table: string): Promise<StoredWindow[]>;
}

export interface StoredWindow {
  readonly account?: string;
  readonly region?: string;
  readonly stack: string;
  readonly window: string;
  readonly status: string;
}

/**
 * Starts dynalite on a free port of 127.0.0.1. With `faults`, a handler's request may get a fault
 * instead of reaching dynalite (the stand-ins' fault layer, `injectedFault`).
 */
export async function startDynamoStandIn(
  options: { readonly faults?: FaultPlan } = {},
): Promise<DynamoStandIn> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const calls = new Map<string, number>();
  const unexpected: string[] = [];
  // dynalite's own request handlers run only for requests the fault layer lets through.
  const serve = server.listeners("request") as ((
    request: IncomingMessage,
    response: ServerResponse,
  ) => void)[];
  server.removeAllListeners("request");
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const target = request.headers["x-amz-target"];
    const operation = typeof target === "string" ? (target.split(".").pop() ?? "") : "";
    const key = `dynamodb.${operation || "(none)"}`;
    calls.set(key, (calls.get(key) ?? 0) + 1);
    if (operation === "")
      unexpected.push(`dynamodb: a request without X-Amz-Target (${request.method} ${request.url})`);
    const fault = injectedFault("dynamodb", operation, request.headers, options.faults);
    if (fault === undefined) {
      for (const listener of serve) listener.call(server, request, response);
    } else if (fault.kind === "reply") {
      request.resume();
      response.writeHead(fault.reply.status, fault.reply.headers).end(fault.reply.body);
    } else if (fault.kind === "reset") {
      request.socket.destroy();
    }
    // timeout: held until the client gives up (or the stand-in closes).
  });
  const url = await listenLocally(server);
  // The table is the deployment's, not a handler's call: never faulted.
  const client = asDriver(
    new DynamoDBClient({
      endpoint: url,
      region: "us-east-1",
      credentials: { accessKeyId: "rehearsal", secretAccessKey: "rehearsal" },
    }),
  );
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
    async windows(table) {
      const found: StoredWindow[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: table,
            FilterExpression: "#kind = :window",
            ExpressionAttributeNames: { "#kind": "kind" },
            ExpressionAttributeValues: { ":window": { S: "window" } },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          found.push({
            ...(item.account?.S ? { account: item.account.S } : {}),
            ...(item.region?.S ? { region: item.region.S } : {}),
            stack: item.stack?.S ?? "",
            window: item.windowId?.S ?? "",
            status: item.status?.S ?? "",
          });
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return found;
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
