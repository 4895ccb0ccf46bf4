import {
  type CloudFormationClient,
  DescribeStackResourcesCommand,
  ListStackResourcesCommand,
} from "@aws-sdk/client-cloudformation";
import type { ResourceRef } from "../../core/catalog/types.ts";
import type { Clock } from "../../core/clock.ts";
import type { DirectoryAnswer, DirectorySource } from "../../core/drift/directory-cache.ts";
import type { StackDirectory, StackResource } from "../../core/drift/ports.ts";
import { GONE_RESOURCE_STATUSES } from "../../core/drift/schema.ts";
import type { StackRef } from "../../core/window/stack.ts";
import { describeError, errorName, isNotStackOwned } from "./cloudformation.ts";

/** The owning stack could not be looked up (throttled after the SDK's retries, access denied, …). */
export class StackLookupError extends Error {
  override readonly name = "StackLookupError";
  constructor(
    readonly physicalId: string,
    /** The AWS error code, e.g. `Throttling`, `AccessDenied`. */
    readonly code: string,
    options: { cause: unknown },
  ) {
    super(`cannot find the stack that owns ${physicalId}: ${describeError(options.cause)}`, options);
  }
}

export interface CloudFormationDirectoryOptions {
  /**
   * The CloudFormation client of the account and region the directory serves. This adapter does not
   * retry itself: give it the SDK's retries (`retryMode: "adaptive"`, `maxAttempts` 3–5).
   */
  readonly client: CloudFormationClient;
  /** How long a stack's resources stay cached. */
  readonly ttlMs: number;
  /** How long "not stack-owned" stays cached; keep it short, a stack may adopt the resource. */
  readonly negativeTtlMs: number;
  readonly clock: Clock;
  /** Cached physical ids at most (least recently used go first). Default 10,000. */
  readonly maxEntries?: number;
}

interface Entry {
  /** Every stack resource with this physical id; empty = not stack-owned. */
  readonly owners: readonly StackResource[];
  readonly expiresAt: number;
}

/** DescribeStackResources returns "only the first 100 resources" of the stack. */
const DESCRIBE_LIMIT = 100;

/**
 * Physical id ► owning stack through `DescribeStackResources({PhysicalResourceId})`, which lists the
 * owning stack's resources: all of them are cached at once (TTL), so the rest of a burst costs no
 * call. A resource past the first 100 is found by paging `ListStackResources`. "Stack for … does not
 * exist" means unmanaged: `undefined`, cached for `negativeTtlMs`. Resources of a deleted stack (kept
 * 90 days) and retained ones (`DELETE_SKIPPED`) are unmanaged too. Other failures throw
 * {@link StackLookupError}. Concurrent lookups of one id share a call. `where` is not used: one
 * directory serves one account and region (its client's).
 *
 * It is also the {@link DirectorySource} of the shared cache (core/drift/directory-cache.ts):
 * `resolve` answers the owners and the rest of the owning stack it just listed, so the shared store
 * learns the whole stack from one call; `forget` drops a changed stack from this in-memory cache.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResources.html
 */
export function createCloudFormationDirectory(
  options: CloudFormationDirectoryOptions,
): StackDirectory & DirectorySource {
  const { client, clock } = options;
  const maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<DirectoryAnswer>>();

  function remember(physicalId: string, owners: readonly StackResource[], ttlMs: number): void {
    cache.delete(physicalId);
    cache.set(physicalId, { owners, expiresAt: clock.now() + ttlMs });
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next();
      if (oldest.done) break;
      cache.delete(oldest.value);
    }
  }

  function cached(physicalId: string): readonly StackResource[] | undefined {
    const entry = cache.get(physicalId);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= clock.now()) {
      cache.delete(physicalId);
      return undefined;
    }
    cache.delete(physicalId);
    cache.set(physicalId, entry);
    return entry.owners;
  }

  /** Caches a stack's live resources by physical id. */
  function rememberStack(resources: readonly StackResource[]): void {
    const byId = new Map<string, StackResource[]>();
    for (const r of resources) byId.set(r.physicalId, [...(byId.get(r.physicalId) ?? []), r]);
    for (const [id, owners] of byId) remember(id, owners, options.ttlMs);
  }

  async function listRest(stack: string, stackId: string | undefined): Promise<StackResource[]> {
    const found: StackResource[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListStackResourcesCommand({
          StackName: stackId ?? stack,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const s of page.StackResourceSummaries ?? []) {
        if (!s.PhysicalResourceId || !s.LogicalResourceId || !s.ResourceType) continue;
        if (GONE_RESOURCE_STATUSES.includes(s.ResourceStatus ?? "")) continue;
        found.push({
          stack,
          ...(stackId ? { stackId } : {}),
          logicalId: s.LogicalResourceId,
          physicalId: s.PhysicalResourceId,
          type: s.ResourceType,
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return found;
  }

  async function fetchOwners(physicalId: string): Promise<DirectoryAnswer> {
    try {
      const output = await client.send(new DescribeStackResourcesCommand({ PhysicalResourceId: physicalId }));
      const listed = output.StackResources ?? [];
      const live: StackResource[] = [];
      for (const r of listed) {
        if (!r.StackName || !r.LogicalResourceId || !r.PhysicalResourceId || !r.ResourceType) continue;
        if (GONE_RESOURCE_STATUSES.includes(r.ResourceStatus ?? "")) continue;
        live.push({
          stack: r.StackName,
          ...(r.StackId ? { stackId: r.StackId } : {}),
          logicalId: r.LogicalResourceId,
          physicalId: r.PhysicalResourceId,
          type: r.ResourceType,
        });
      }
      let stackResources = live;
      const first = listed[0];
      if (
        !live.some((r) => r.physicalId === physicalId) &&
        listed.length >= DESCRIBE_LIMIT &&
        first?.StackName
      ) {
        stackResources = await listRest(first.StackName, first.StackId);
      }
      rememberStack(stackResources);
      const owners = stackResources.filter((r) => r.physicalId === physicalId);
      // Last in, so a stack larger than the cache cannot evict the id just asked for.
      remember(physicalId, owners, owners.length > 0 ? options.ttlMs : options.negativeTtlMs);
      return { owners, stack: stackResources };
    } catch (error) {
      if (isNotStackOwned(error)) {
        remember(physicalId, [], options.negativeTtlMs);
        return { owners: [], stack: [] };
      }
      throw new StackLookupError(physicalId, errorName(error), { cause: error });
    }
  }

  async function answer(physicalId: string): Promise<DirectoryAnswer> {
    const hit = cached(physicalId);
    if (hit !== undefined) return { owners: hit, stack: [] };
    const pending = inFlight.get(physicalId);
    if (pending) return pending;
    const request = fetchOwners(physicalId).finally(() => inFlight.delete(physicalId));
    inFlight.set(physicalId, request);
    return request;
  }

  return {
    resolve: (physicalId) => answer(physicalId),
    forget(stack: StackRef) {
      for (const [id, entry] of cache) {
        if (entry.owners.length === 0 || entry.owners.some((o) => o.stack === stack.stack)) cache.delete(id);
      }
    },
    async lookup(resource: ResourceRef) {
      const found = (await answer(resource.id)).owners;
      // Two resources can share a physical id (an RDS instance and its cluster): prefer the type asked for.
      return found.find((r) => r.type === resource.type) ?? found[0];
    },
  };
}
