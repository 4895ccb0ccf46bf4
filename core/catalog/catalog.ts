import { CATALOG } from "./entries.ts";
import type { CatalogEntry } from "./types.ts";

/** Lambda and CloudFront suffix API versions to event names: `UpdateFunctionConfiguration20150331v2`. */
const VERSION_SUFFIX = /(\d{4}_?\d{2}_?\d{2})(v\d+)?$/;

export interface Catalog {
  readonly entries: readonly CatalogEntry[];
  /** The entry for a CloudTrail `eventSource` + `eventName`, matching versioned names by prefix. */
  lookup(eventSource: string, eventName: string): CatalogEntry | undefined;
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
    lookup(eventSource, eventName) {
      const service = serviceOf(eventSource);
      const exact = index.get(`${service}:${eventName}`);
      if (exact !== undefined) return exact;
      const base = eventName.replace(VERSION_SUFFIX, "");
      if (base === eventName) return undefined;
      const versioned = index.get(`${service}:${base}`);
      return versioned?.versioned ? versioned : undefined;
    },
  };
}
