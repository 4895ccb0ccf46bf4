import { readdirSync, readFileSync } from "node:fs";
import { CORPUS } from "../support/corpus.ts";

/**
 * Real CloudTrail records from the corpus (`fixtures/corpus/cloudtrail/events/`, one record per file,
 * sources in its SOURCES.md).
 */

const EVENTS = new URL("cloudtrail/events/", CORPUS);

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
