import type { ResourceRef } from "../catalog/types.ts";
import type { Clock } from "../clock.ts";
import type { Place, StackRef } from "../window/stack.ts";
import type { StackDirectory, StackResource } from "./ports.ts";

/**
 * Physical id ► owning stack, shared by every Lambda container: CloudFormation's describe APIs are
 * rate-limited per account and region, and a burst spread over many containers must not ask
 * `DescribeStackResources` once per container (or per event). The answers live in a shared store
 * (DynamoDB, the windows table) for a TTL, keyed by `(account, region, physical id)`: the same id in
 * two accounts is two entries.
 *
 * - A lookup asks the store first; a miss asks the source, which answers with the owners and the
 *   other resources of the owning stack it learned on the way (`DescribeStackResources` lists the
 *   whole stack), and all of them are stored at once, so the rest of a burst costs no CloudFormation
 *   call in any container.
 * - "Not stack-owned" is stored too, for `negativeTtlMs` (short: a stack may adopt the resource).
 * - The stack's own CloudFormation events invalidate: {@link CachedDirectory.invalidate} drops every
 *   entry naming the stack, so an update or delete is seen at once rather than after the TTL. "Not
 *   stack-owned" answers are left to their short TTL (a stack that adopts a resource by import is
 *   seen within `negativeTtlMs`). An answer fetched before the update and stored after the invalidation
 *   can survive until its TTL; the TTL bounds that race.
 * - The store is an optimisation: when it fails, the lookup goes to the source and the failure is
 *   reported through `onStoreError`, never thrown.
 */

/** What the source answers for one physical id. */
export interface DirectoryAnswer {
  /** Every live stack resource with this physical id; empty: not stack-owned. */
  readonly owners: readonly StackResource[];
  /** Other resources of the owning stack, learned with the same call (may be empty). */
  readonly stack: readonly StackResource[];
}

/** The uncached source of answers (CloudFormation, through the clients of `place`). */
export interface DirectorySource {
  resolve(physicalId: string, place: Place): Promise<DirectoryAnswer>;
  /** Drops what the source itself remembers of a stack (an in-memory cache). */
  forget?(stack: StackRef): void;
}

/** One stored answer. */
export interface CachedOwners {
  readonly physicalId: string;
  readonly owners: readonly StackResource[];
  /** Epoch ms after which the answer is not used. */
  readonly expiresAt: number;
}

/** The shared store of answers (DynamoDB in the Lambdas). */
export interface DirectoryCacheStore {
  get(place: Place, physicalId: string): Promise<CachedOwners | undefined>;
  put(place: Place, entries: readonly CachedOwners[]): Promise<void>;
  /** Drops the entries naming `stack` in its place; answers how many. */
  invalidate(stack: StackRef): Promise<number>;
}

export interface CachedDirectoryOptions {
  readonly source: DirectorySource;
  readonly store: DirectoryCacheStore;
  readonly clock: Clock;
  /** The place of a lookup that names no account or region (the home account and region). */
  readonly home: Place;
  /** How long a stack's resources stay stored. */
  readonly ttlMs: number;
  /** How long "not stack-owned" stays stored. */
  readonly negativeTtlMs: number;
  /** A store failure (the lookup went on without it). */
  readonly onStoreError?: (operation: "get" | "put" | "invalidate", error: unknown) => void;
}

/** A directory that is told when a stack changed. */
export interface CachedDirectory extends StackDirectory {
  /** Forgets everything about `stack` (its CloudFormation events say it changed); answers entries dropped. */
  invalidate(stack: StackRef): Promise<number>;
}

/** Two resources can share a physical id (an RDS instance and its cluster): prefer the type asked for. */
function pick(owners: readonly StackResource[], type: string): StackResource | undefined {
  return owners.find((r) => r.type === type) ?? owners[0];
}

/** The stored entries of one answer: the id asked for, and every other id of the stack. */
function entriesOf(
  physicalId: string,
  answer: DirectoryAnswer,
  now: number,
  ttls: { readonly ttlMs: number; readonly negativeTtlMs: number },
): CachedOwners[] {
  const byId = new Map<string, StackResource[]>();
  for (const r of [...answer.stack, ...answer.owners]) {
    const list = byId.get(r.physicalId) ?? [];
    if (!list.some((o) => o.stack === r.stack && o.logicalId === r.logicalId)) list.push(r);
    byId.set(r.physicalId, list);
  }
  const entries = [...byId].map(([id, owners]) => ({ physicalId: id, owners, expiresAt: now + ttls.ttlMs }));
  if (!byId.has(physicalId)) entries.push({ physicalId, owners: [], expiresAt: now + ttls.negativeTtlMs });
  return entries;
}

/** The caching directory of {@link CachedDirectoryOptions}. */
export function createCachedDirectory(options: CachedDirectoryOptions): CachedDirectory {
  const { source, store, clock } = options;
  const report = options.onStoreError ?? (() => {});
  const inFlight = new Map<string, Promise<readonly StackResource[]>>();

  async function owners(physicalId: string, place: Place): Promise<readonly StackResource[]> {
    try {
      const hit = await store.get(place, physicalId);
      if (hit !== undefined && hit.expiresAt > clock.now()) return hit.owners;
    } catch (error) {
      report("get", error);
    }
    const answer = await source.resolve(physicalId, place);
    try {
      await store.put(place, entriesOf(physicalId, answer, clock.now(), options));
    } catch (error) {
      report("put", error);
    }
    return answer.owners;
  }

  return {
    async lookup(resource: ResourceRef, where?: { readonly region?: string; readonly account?: string }) {
      const place: Place = {
        account: where?.account ?? options.home.account,
        region: where?.region ?? options.home.region,
      };
      const key = `${place.account}/${place.region}/${resource.id}`;
      let pending = inFlight.get(key);
      if (pending === undefined) {
        pending = owners(resource.id, place).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pick(await pending, resource.type);
    },
    async invalidate(stack) {
      source.forget?.(stack);
      try {
        return await store.invalidate(stack);
      } catch (error) {
        report("invalidate", error);
        return 0;
      }
    },
  };
}

/** A store in memory: replay, tests, and a directory without a table. */
export function memoryDirectoryStore(clock: Clock): DirectoryCacheStore {
  const entries = new Map<string, CachedOwners & { readonly place: string }>();
  const placeKey = (p: Place) => `${p.account}/${p.region}`;
  return {
    async get(place, physicalId) {
      const entry = entries.get(`${placeKey(place)}/${physicalId}`);
      return entry !== undefined && entry.expiresAt > clock.now() ? entry : undefined;
    },
    async put(place, list) {
      for (const e of list)
        entries.set(`${placeKey(place)}/${e.physicalId}`, { ...e, place: placeKey(place) });
    },
    async invalidate(stack) {
      let dropped = 0;
      for (const [key, e] of entries) {
        if (e.place !== placeKey(stack)) continue;
        if (e.owners.some((o) => o.stack === stack.stack)) {
          entries.delete(key);
          dropped += 1;
        }
      }
      return dropped;
    },
  };
}

/** Whether a directory can be told a stack changed (it caches answers). */
export function isCachedDirectory(directory: StackDirectory): directory is CachedDirectory {
  return typeof (directory as Partial<CachedDirectory>).invalidate === "function";
}
