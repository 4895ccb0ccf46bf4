import { readdirSync, readFileSync } from "node:fs";

/**
 * Real CloudTrail records from the shared corpus (`../shared/corpus/cloudtrail/events/`, one record per
 * file, sources in its MANIFEST). Read in place: the corpus is the fixture.
 */

const EVENTS = new URL("../../../shared/corpus/cloudtrail/events/", import.meta.url);

export interface CorpusRecord {
  /** File name, `eventSource_eventName_N.json`. */
  readonly name: string;
  readonly record: unknown;
}

let cache: CorpusRecord[] | undefined;

/** Every corpus record, sorted by file name. */
export function corpusRecords(): CorpusRecord[] {
  cache ??= readdirSync(EVENTS)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => ({ name, record: JSON.parse(readFileSync(new URL(name, EVENTS), "utf8")) as unknown }));
  return cache;
}

/** One corpus record by file name. */
export function corpusRecord(name: string): unknown {
  const found = corpusRecords().find((r) => r.name === name);
  if (found === undefined) throw new Error(`corpus has no ${name}`);
  return found.record;
}
