/**
 * The shared physical id ► stack answers (core/drift/directory-cache.ts) in the windows table, so
 * every on-change container reuses what one `DescribeStackResources` learned. Its own items, beside
 * the window store's (`stack#…` partitions), under the `directory#` prefix:
 *
 * | kind              | pk                                             | sk          | attributes |
 * |-------------------|------------------------------------------------|-------------|------------|
 * | `directory`       | `directory#<account>/<region>#<physicalId>`    | `directory` | `owners` (JSON text: the stack resources with this id; `[]` = not stack-owned), `until` (epoch ms), `expiresAt` |
 * | `directory-stack` | `directory#<account>/<region>`                 | `stack#<name>` | `ids` (SS: physical ids stored for the stack), `expiresAt` |
 *
 * One partition per physical id spreads a burst's reads over the table (no hot key per account). A
 * stack's index item names the ids stored for it, so invalidation deletes exactly those (BatchWriteItem,
 * 25 a request) and the index, without a scan. "Not stack-owned" answers are not indexed: their TTL is
 * short. `until` is what the cache obeys; `expiresAt` (epoch seconds, the table's TTL attribute, a little
 * later) lets DynamoDB delete the item, which it does within days, so a read checks `until` itself.
 * Items are written whole and unconditionally: two containers storing the same answer write the same
 * item.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { CachedOwners, DirectoryCacheStore } from "../../core/drift/directory-cache.ts";
import type { Place, StackRef } from "../../core/window/stack.ts";

export const directoryKeys = {
  entry: (place: Place, physicalId: string) => ({
    pk: `directory#${place.account}/${place.region}#${physicalId}`,
    sk: "directory",
  }),
  stack: (stack: StackRef) => ({
    pk: `directory#${stack.account}/${stack.region}`,
    sk: `stack#${stack.stack}`,
  }),
} as const;

/** BatchWriteItem takes at most 25 requests. */
const BATCH = 25;
/** Unprocessed items are sent again this many times, then left out (a cache may miss). */
const UNPROCESSED_RETRIES = 3;

const ownersSchema = z.array(
  z.object({
    stack: z.string(),
    stackId: z.string().optional(),
    logicalId: z.string(),
    physicalId: z.string(),
    type: z.string(),
  }),
);
const entryItemSchema = z.object({ owners: z.string(), until: z.number() });
const stackItemSchema = z.object({ ids: z.set(z.string()).optional() });

export interface DynamoDirectoryCacheOptions {
  readonly client: DynamoDBClient;
  /** The windows table. */
  readonly table: string;
  /** Waits between resends of unprocessed batch items; injected by tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A stored item the cache cannot read: a bug or a hand edit, reported as a store failure. */
export class DirectoryCacheError extends Error {
  override readonly name = "DirectoryCacheError";
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The DynamoDB store of the shared directory cache. */
export function createDynamoDirectoryCache(options: DynamoDirectoryCacheOptions): DirectoryCacheStore {
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const { table } = options;
  const sleep = options.sleep ?? defaultSleep;

  async function batchWrite(requests: NonNullable<BatchWriteCommandInput["RequestItems"]>[string]) {
    for (let start = 0; start < requests.length; start += BATCH) {
      let pending = requests.slice(start, start + BATCH);
      for (let attempt = 0; pending.length > 0 && attempt <= UNPROCESSED_RETRIES; attempt++) {
        if (attempt > 0) await sleep(50 * 2 ** attempt);
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = out.UnprocessedItems?.[table] ?? [];
      }
    }
  }

  return {
    async get(place, physicalId) {
      const out = await doc.send(
        new GetCommand({ TableName: table, Key: directoryKeys.entry(place, physicalId) }),
      );
      if (out.Item === undefined) return undefined;
      const item = entryItemSchema.safeParse(out.Item);
      const owners = item.success ? ownersSchema.safeParse(JSON.parse(item.data.owners)) : undefined;
      if (!item.success || !owners?.success) {
        throw new DirectoryCacheError(
          `directory cache item ${directoryKeys.entry(place, physicalId).pk} is not readable`,
        );
      }
      return { physicalId, owners: owners.data, expiresAt: item.data.until };
    },

    async put(place, entries: readonly CachedOwners[]) {
      const ttl = (until: number) => Math.ceil(until / 1000) + 60;
      await batchWrite(
        entries.map((e) => ({
          PutRequest: {
            Item: {
              ...directoryKeys.entry(place, e.physicalId),
              kind: "directory",
              owners: JSON.stringify(e.owners),
              until: e.expiresAt,
              expiresAt: ttl(e.expiresAt),
            },
          },
        })),
      );
      const byStack = new Map<string, { ids: Set<string>; until: number }>();
      for (const e of entries) {
        for (const owner of e.owners) {
          const entry = byStack.get(owner.stack) ?? { ids: new Set<string>(), until: 0 };
          entry.ids.add(e.physicalId);
          entry.until = Math.max(entry.until, e.expiresAt);
          byStack.set(owner.stack, entry);
        }
      }
      for (const [stack, { ids, until }] of byStack) {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: directoryKeys.stack({ ...place, stack }),
            UpdateExpression: "ADD ids :ids SET kind = :kind, expiresAt = :ttl",
            ExpressionAttributeValues: { ":ids": ids, ":kind": "directory-stack", ":ttl": ttl(until) },
          }),
        );
      }
    },

    async invalidate(stack) {
      const key = directoryKeys.stack(stack);
      const out = await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
      const parsed = stackItemSchema.safeParse(out.Item ?? {});
      const ids = parsed.success ? [...(parsed.data.ids ?? [])] : [];
      await batchWrite(ids.map((id) => ({ DeleteRequest: { Key: directoryKeys.entry(stack, id) } })));
      await doc.send(new DeleteCommand({ TableName: table, Key: key }));
      return ids.length;
    },
  };
}
