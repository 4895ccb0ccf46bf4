import { readdirSync, readFileSync } from "node:fs";
import { z } from "zod";
import type { ResourceRef, ResourceType } from "../../core/catalog/types.ts";
import { parseRecord } from "../../core/change/classify.ts";
import { candidates } from "../../core/change/decode.ts";
import type { CloudTrailRecord } from "../../core/change/schema.ts";
import { CORPUS } from "../support/corpus.ts";

/**
 * Loads catalog examples: real records from the corpus (`fixtures/corpus/`, see its SOURCES.md for
 * sources) and the JSON-lines fixtures in `fixtures/events/catalog/<service>.jsonl`, each line
 * `{"note"?, "record": <CloudTrail record>, "expected": [{"type", "id"}]}`.
 */

const FIXTURES = new URL("../../fixtures/events/catalog/", import.meta.url);

/** A record and the resources it must resolve to, in order. */
export interface Example {
  /** Where the record came from: `corpus:<path>` or `<fixture file>#<line>`. */
  readonly source: string;
  readonly record: CloudTrailRecord;
  readonly expected: readonly ResourceRef[];
}

const resourceType = z
  .string()
  .regex(/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/)
  .transform((type) => type as ResourceType);
const refSchema = z.object({ type: resourceType, id: z.string().min(1) });
const fixtureLineSchema = z.object({
  note: z.string().optional(),
  record: z.record(z.string(), z.unknown()),
  expected: z.array(refSchema),
});

/** Parses one raw record (bare or in an EventBridge envelope) through the production parser. */
export function toRecord(raw: unknown, source: string): CloudTrailRecord {
  const found = candidates(raw);
  if (found.length !== 1) throw new Error(`${source}: expected one record, found ${found.length}`);
  const parsed = parseRecord(found[0]?.raw);
  if (!parsed.ok) throw new Error(`${source}: ${parsed.reason}: ${parsed.detail}`);
  return parsed.record;
}

/** A record from the corpus, by its path under `fixtures/corpus/` (e.g. `cloudtrail/events/…json`). */
export function corpusRecord(path: string): CloudTrailRecord {
  const text = readFileSync(new URL(path, CORPUS), "utf8");
  return toRecord(JSON.parse(text), `corpus:${path}`);
}

/** Every line of every fixture file, in file then line order. */
export function fixtureExamples(): Example[] {
  const files = readdirSync(FIXTURES)
    .filter((name) => name.endsWith(".jsonl"))
    .sort();
  return files.flatMap((file) =>
    readFileSync(new URL(file, FIXTURES), "utf8")
      .split("\n")
      .map((line, index) => ({ line, source: `fixtures/events/catalog/${file}#${index + 1}` }))
      .filter(({ line }) => line.trim() !== "")
      .map(({ line, source }) => {
        const parsed = fixtureLineSchema.parse(JSON.parse(line));
        return { source, record: toRecord(parsed.record, source), expected: parsed.expected };
      }),
  );
}
