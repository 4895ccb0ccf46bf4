/**
 * EventBridge rule patterns generated from the write-API catalog (the one source of truth for which
 * CloudTrail calls Phantom wants to see).
 */
import { CATALOG } from "../catalog/entries.ts";
import type { CatalogEntry, Effect } from "../catalog/types.ts";
import { type EventPattern, PATTERN_SIZE_LIMIT, patternSize } from "./types.ts";

export type { EventPattern } from "./types.ts";
export { PATTERN_SIZE_LIMIT, patternSize } from "./types.ts";

/**
 * `detail-type` of CloudTrail management events on the default bus.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */
export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

/** Effects worth a rule: only these can make a stack drift (`create`/`operational` are ignored). */
export const WATCHED_EFFECTS: readonly Effect[] = ["modify", "delete"];

/**
 * What follows a versioned event's name in CloudTrail: an API date such as `20150331` (Lambda:
 * `UpdateFunctionConfiguration20150331v2`) or `2020_05_31` (CloudFront). Matching `<Event>20` rather
 * than `<Event>` keeps `DeleteFunction` from also catching `DeleteFunctionConcurrency20171031`.
 */
export const VERSION_PREFIX = "20";

type NameMatcher = string | { readonly prefix: string };

/** A service's event-name matchers, or a slice of them when they do not fit one pattern. */
interface Chunk {
  readonly service: string;
  readonly index: number;
  readonly names: readonly NameMatcher[];
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const compareChunks = (a: Chunk, b: Chunk): number => compareText(a.service, b.service) || a.index - b.index;
/** Failed calls carry `errorCode`; successful ones have none. */
const successOnly = () => ({ errorCode: [{ exists: false }] });

/** Per service, sorted: exact names first, then `{prefix}` matchers for versioned events. */
function namesByService(entries: readonly CatalogEntry[]): Map<string, NameMatcher[]> {
  const exact = new Map<string, Set<string>>();
  const prefixes = new Map<string, Set<string>>();
  const add = (index: Map<string, Set<string>>, service: string, name: string) => {
    const names = index.get(service) ?? new Set<string>();
    names.add(name);
    index.set(service, names);
  };
  for (const entry of entries) {
    if (!WATCHED_EFFECTS.includes(entry.effect)) continue;
    add(exact, entry.service, entry.event);
    if (entry.versioned) add(prefixes, entry.service, `${entry.event}${VERSION_PREFIX}`);
  }
  const byService = new Map<string, NameMatcher[]>();
  for (const service of [...exact.keys()].sort(compareText)) {
    const names: NameMatcher[] = [...(exact.get(service) ?? [])].sort(compareText);
    for (const prefix of [...(prefixes.get(service) ?? [])].sort(compareText)) names.push({ prefix });
    byService.set(service, names);
  }
  return byService;
}

/** The `$or` branch (or whole-pattern body) for one chunk: its source, eventSource and names together. */
function branch(chunk: Chunk): EventPattern {
  return {
    source: [`aws.${chunk.service}`],
    detail: { eventSource: [`${chunk.service}.amazonaws.com`], eventName: [...chunk.names] },
  };
}

/**
 * One chunk: the plain shape `{source, detail-type, detail: {eventSource, eventName, errorCode}}`.
 * Several: `{detail-type, detail: {errorCode}, $or: [branch...]}`, so each branch ties a service's
 * names to that service's source and eventSource and no name can match under another service.
 */
function assemble(chunks: readonly Chunk[]): EventPattern {
  const [only] = chunks;
  if (only !== undefined && chunks.length === 1) {
    return {
      source: [`aws.${only.service}`],
      "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
      detail: {
        eventSource: [`${only.service}.amazonaws.com`],
        eventName: [...only.names],
        ...successOnly(),
      },
    };
  }
  return {
    "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
    detail: successOnly(),
    $or: [...chunks].sort(compareChunks).map(branch),
  };
}

const fits = (chunks: readonly Chunk[]): boolean => patternSize(assemble(chunks)) <= PATTERN_SIZE_LIMIT;

/** Splits a service's names greedily, in order, into chunks that each fit one pattern alone. */
function chunksOf(service: string, names: readonly NameMatcher[]): Chunk[] {
  const chunks: Chunk[] = [];
  let current: NameMatcher[] = [];
  for (const name of names) {
    const next = { service, index: chunks.length, names: [...current, name] };
    if (fits([next])) {
      current = next.names;
      continue;
    }
    if (current.length === 0) {
      throw new Error(
        `pattern: ${service} event name ${JSON.stringify(name)} alone exceeds ${PATTERN_SIZE_LIMIT} chars`,
      );
    }
    chunks.push({ service, index: chunks.length, names: current });
    current = [name];
  }
  if (current.length > 0) chunks.push({ service, index: chunks.length, names: current });
  return chunks;
}

/**
 * EventBridge patterns for the default bus that together match exactly the successful CloudTrail calls
 * the catalog marks `modify` or `delete`.
 *
 * Invariants:
 * - An event matches some pattern iff its `detail-type` is {@link CLOUDTRAIL_DETAIL_TYPE}, it has no
 *   `detail.errorCode`, and for one catalogued service `s` its `source` is `aws.s`, its
 *   `detail.eventSource` is `s.amazonaws.com`, and its `detail.eventName` is a watched event of `s`
 *   (a versioned one also followed by an API date, see {@link VERSION_PREFIX}). No pair (service, name)
 *   outside the catalog's modify/delete set matches, even when several services share a pattern.
 * - `readOnly` and `userAgent` are not filtered here: either field may be absent from a record, and an
 *   absent field fails every matcher but `exists: false`; the intake filters them in code.
 * - Each pattern is at most {@link PATTERN_SIZE_LIMIT} characters of compact JSON. Services are packed
 *   first-fit-decreasing into as few patterns as fit; a service too big for one pattern alone is split
 *   across several by event name.
 * - Output is deterministic: names, services and patterns sorted, independent of entry order.
 *
 * Throws if a single event name cannot fit one pattern. An empty result means nothing to watch.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export function eventPatterns(entries: readonly CatalogEntry[] = CATALOG): EventPattern[] {
  const chunks = [...namesByService(entries)].flatMap(([service, names]) => chunksOf(service, names));
  const bySizeDescending = chunks
    .map((chunk) => ({ chunk, size: patternSize(assemble([chunk])) }))
    .sort((a, b) => b.size - a.size || compareChunks(a.chunk, b.chunk));
  const bins: Chunk[][] = [];
  for (const { chunk } of bySizeDescending) {
    const bin = bins.find((candidate) => fits([...candidate, chunk]));
    if (bin === undefined) bins.push([chunk]);
    else bin.push(chunk);
  }
  return bins
    .map((bin) => bin.sort(compareChunks))
    .sort((a, b) => compareChunks(a[0] as Chunk, b[0] as Chunk))
    .map(assemble);
}
