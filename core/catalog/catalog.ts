import type { CloudTrailRecord } from "../change/schema.ts";
import { CATALOG } from "./entries.ts";
import { fieldMatches } from "./path.ts";
import type { CatalogEntry, Effect } from "./types.ts";

/** Lambda and CloudFront suffix API versions to event names: `UpdateFunctionConfiguration20150331v2`. */
const VERSION_SUFFIX = /(\d{4}_?\d{2}_?\d{2})(v\d+)?$/;

export interface Catalog {
  readonly entries: readonly CatalogEntry[];
  /**
   * The entry for a CloudTrail `eventSource` + `eventName`, matching versioned names by prefix. Given
   * the record, the entry comes back with its `effect` decided for that record (see `when`).
   */
  lookup(eventSource: string, eventName: string, record?: CloudTrailRecord): CatalogEntry | undefined;
}

/**
 * What the call does for this record: the entry's `effect`, or its `when.otherwise` when the request
 * value the effect depends on is absent or different.
 */
export function effectOf(entry: CatalogEntry, record: CloudTrailRecord): Effect {
  const condition = entry.when;
  if (condition === undefined) return entry.effect;
  return fieldMatches(record, condition) ? entry.effect : condition.otherwise;
}

/** The entry as it applies to one record: `when` decided into `effect`. */
function decided(entry: CatalogEntry, record: CloudTrailRecord | undefined): CatalogEntry {
  if (record === undefined || entry.when === undefined) return entry;
  const effect = effectOf(entry, record);
  return effect === entry.effect ? entry : { ...entry, effect };
}

/** `ec2.amazonaws.com` ► `ec2`. */
export function serviceOf(eventSource: string): string {
  return eventSource.replace(/\.amazonaws\.com$/, "");
}

/** Indexes catalog entries; duplicate (service, event) pairs are a programming error. */
export function createCatalog(entries: readonly CatalogEntry[] = CATALOG): Catalog {
  const index = new Map<string, CatalogEntry>();
  for (const entry of entries) {
    const key = `${entry.service}:${entry.event}`;
    if (index.has(key)) throw new Error(`catalog: duplicate entry ${key}`);
    index.set(key, entry);
  }
  return {
    entries,
    lookup(eventSource, eventName, record) {
      const service = serviceOf(eventSource);
      const exact = index.get(`${service}:${eventName}`);
      if (exact !== undefined) return decided(exact, record);
      const base = eventName.replace(VERSION_SUFFIX, "");
      if (base === eventName) return undefined;
      const versioned = index.get(`${service}:${base}`);
      return versioned?.versioned ? decided(versioned, record) : undefined;
    },
  };
}
