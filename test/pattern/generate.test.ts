import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCatalog, serviceOf } from "../../core/catalog/catalog.ts";
import { CATALOG } from "../../core/catalog/entries.ts";
import type { CatalogEntry, Effect } from "../../core/catalog/types.ts";
import {
  CLOUDTRAIL_DETAIL_TYPE,
  type EventPattern,
  eventPatterns,
  PATTERN_SIZE_LIMIT,
  patternSize,
} from "../../core/pattern/generate.ts";
import { patternMatcher, validatePattern } from "../../core/pattern/match.ts";
import { CORPUS } from "../support/corpus.ts";

const WATCHED: readonly Effect[] = ["modify", "delete"];

/** The minimal EventBridge envelope CloudTrail delivers for one API call. */
function envelope(service: string, eventName: string, detail: Record<string, unknown> = {}) {
  return {
    version: "0",
    id: "x",
    "detail-type": CLOUDTRAIL_DETAIL_TYPE,
    source: `aws.${service}`,
    account: "123456789012",
    time: "2024-05-01T12:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: { eventSource: `${service}.amazonaws.com`, eventName, ...detail },
  };
}

const compiled = new WeakMap<readonly EventPattern[], ((event: unknown) => boolean)[]>();
/** True when some pattern matches; compiles each list of patterns once. */
function matchedBy(patterns: readonly EventPattern[], event: unknown): boolean {
  const matchers = compiled.get(patterns) ?? patterns.map(patternMatcher);
  compiled.set(patterns, matchers);
  return matchers.some((m) => m(event));
}

/** What the catalog says: is this (eventSource, eventName) a watched write? */
function watched(entries: readonly CatalogEntry[]) {
  const catalog = createCatalog(entries);
  return (eventSource: string, eventName: string): boolean => {
    const entry = catalog.lookup(eventSource, eventName);
    return entry !== undefined && WATCHED.includes(entry.effect);
  };
}

/** Real names, versioned names and near misses for each catalogued event. */
function nameVariants(entries: readonly CatalogEntry[]): string[] {
  const names = new Set<string>();
  for (const { event } of entries) {
    for (const name of [
      event,
      `${event}20150331`,
      `${event}20150331v2`,
      `${event}2020_05_31`,
      `${event}Concurrency20171031`,
      `${event}s`,
      event.slice(0, -1),
      event.toLowerCase(),
    ]) {
      names.add(name);
    }
  }
  return [...names].sort();
}

/** Asserts the patterns match exactly the catalog's watched (service, eventName) pairs. */
function expectExactPairs(entries: readonly CatalogEntry[], patterns: readonly EventPattern[]): void {
  const isWatched = watched(entries);
  const services = [...new Set([...entries.map((e) => e.service), "s3", "sts"])].sort();
  const names = nameVariants(entries);
  const wrong: string[] = [];
  for (const service of services) {
    for (const name of names) {
      const expected = isWatched(`${service}.amazonaws.com`, name);
      if (matchedBy(patterns, envelope(service, name)) !== expected)
        wrong.push(`${service}:${name} ≠ ${expected}`);
    }
  }
  expect(wrong).toEqual([]);
}

function expectWellFormed(patterns: readonly EventPattern[]): void {
  for (const pattern of patterns) {
    expect(patternSize(pattern)).toBeLessThanOrEqual(PATTERN_SIZE_LIMIT);
    expect(validatePattern(pattern)).toEqual({ ok: true });
  }
}

/** Every branch of a pattern: itself, or its `$or` sub-patterns. */
function branchesOf(pattern: EventPattern): EventPattern[] {
  const or = pattern.$or as EventPattern[] | undefined;
  if (or === undefined) {
    const { "detail-type": _type, ...rest } = pattern;
    const { errorCode: _errorCode, ...detail } = rest.detail as EventPattern;
    return [{ ...rest, detail }];
  }
  return or;
}

function merged(a: EventPattern, b: EventPattern): EventPattern {
  return {
    "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
    detail: { errorCode: [{ exists: false }] },
    $or: [...branchesOf(a), ...branchesOf(b)],
  };
}

/** Packing is tight: merging any two generated patterns would exceed the size limit. */
function expectNoTwoMergeable(patterns: readonly EventPattern[]): void {
  for (const [i, a] of patterns.entries()) {
    for (const b of patterns.slice(i + 1)) {
      expect(patternSize(merged(a, b))).toBeGreaterThan(PATTERN_SIZE_LIMIT);
    }
  }
}

const lambda = (event: string, effect: Effect = "modify", versioned = true): CatalogEntry => ({
  service: "lambda",
  event,
  effect,
  versioned,
  touches: [],
});
const entry = (service: string, event: string, effect: Effect): CatalogEntry => ({
  service,
  event,
  effect,
  touches: [],
});

describe("eventPatterns: the current catalog", () => {
  const patterns = eventPatterns();

  it("yields valid patterns within the size limit, as few as fit", () => {
    expectWellFormed(patterns);
    expect(patterns.length > 0).toBe(CATALOG.some((e) => WATCHED.includes(e.effect)));
    expectNoTwoMergeable(patterns);
  });

  it("filters successful CloudTrail API calls only, without readOnly or userAgent matchers", () => {
    for (const pattern of patterns) {
      expect(pattern["detail-type"]).toEqual([CLOUDTRAIL_DETAIL_TYPE]);
      expect((pattern.detail as EventPattern).errorCode).toEqual([{ exists: false }]);
      expect(JSON.stringify(pattern)).not.toMatch(/readOnly|userAgent/);
    }
  });

  it("matches exactly the catalog's modify/delete (service, eventName) pairs", () => {
    expectExactPairs(CATALOG, patterns);
  });

  it("matches each catalog entry's envelope iff the entry is modify or delete", () => {
    for (const { service, event, effect, versioned } of CATALOG) {
      const name = versioned ? `${event}20150331v2` : event;
      expect(matchedBy(patterns, envelope(service, name)), `${service}:${name}`).toBe(
        WATCHED.includes(effect),
      );
    }
  });

  it("never matches a name under another service's source or eventSource", () => {
    const services = [...new Set(CATALOG.map((e) => e.service)), "s3"];
    const isWatched = watched(CATALOG);
    for (const { service, event } of CATALOG) {
      for (const other of services.filter((s) => s !== service)) {
        const underOtherSource = { ...envelope(service, event), source: `aws.${other}` };
        const underOtherEventSource = envelope(other, event);
        const expected = isWatched(`${other}.amazonaws.com`, event);
        expect(matchedBy(patterns, underOtherSource), `aws.${other} + ${service}:${event}`).toBe(false);
        expect(matchedBy(patterns, underOtherEventSource), `${other}:${event}`).toBe(expected);
      }
    }
  });

  it("never matches failed calls or other detail types", () => {
    for (const { service, event } of CATALOG) {
      expect(matchedBy(patterns, envelope(service, event, { errorCode: "AccessDenied" }))).toBe(false);
      expect(
        matchedBy(patterns, {
          ...envelope(service, event),
          "detail-type": "AWS Console Sign In via CloudTrail",
        }),
      ).toBe(false);
    }
  });

  it("is deterministic and independent of entry order", () => {
    expect(eventPatterns([...CATALOG].reverse())).toEqual(patterns);
    expect(JSON.stringify(eventPatterns())).toBe(JSON.stringify(patterns));
  });
});

describe("eventPatterns: real EventBridge envelopes", () => {
  const dir = new URL("cloudtrail/eventbridge/", CORPUS);
  const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
  const events = files.map((f) => ({ file: f, event: JSON.parse(readFileSync(new URL(f, dir), "utf8")) }));

  /** Watched iff the call succeeded, its source is its eventSource's, and the catalog watches it. */
  function expected(
    entries: readonly CatalogEntry[],
    event: { source: string; detail: Record<string, unknown> },
  ) {
    const { eventSource, eventName, errorCode } = event.detail as Record<string, string>;
    if (eventSource === undefined || eventName === undefined || errorCode !== undefined) return false;
    return event.source === `aws.${serviceOf(eventSource)}` && watched(entries)(eventSource, eventName);
  }

  it("has corpus files", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it("match iff their eventName is a catalogued modify/delete", () => {
    const patterns = eventPatterns();
    for (const { file, event } of events) {
      expect(matchedBy(patterns, event), file).toBe(expected(CATALOG, event));
    }
  });

  it("match under a catalog that watches them all, unless source and eventSource disagree", () => {
    const entries = [
      ...new Map(
        events.map(({ event }) => {
          const service = serviceOf(event.detail.eventSource);
          return [`${service}:${event.detail.eventName}`, entry(service, event.detail.eventName, "modify")];
        }),
      ).values(),
    ];
    const patterns = eventPatterns(entries);
    expectWellFormed(patterns);
    for (const { file, event } of events) {
      expect(matchedBy(patterns, event), file).toBe(expected(entries, event));
      expect(matchedBy(patterns, { ...event, detail: { ...event.detail, errorCode: "AccessDenied" } })).toBe(
        false,
      );
    }
    // cloudsearch.amazonaws.com_CreateDomain_1.json carries source aws.rds: a name never crosses services.
    expect(events.filter(({ event }) => expected(entries, event)).length).toBe(events.length - 1);
  });
});

describe("eventPatterns: CloudTrail records wrapped as EventBridge envelopes", () => {
  const dir = new URL("cloudtrail/events/", CORPUS);
  const records = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({
      file: f,
      record: JSON.parse(readFileSync(new URL(f, dir), "utf8")) as Record<string, string>,
    }));

  it("match iff the call succeeded and is a catalogued modify/delete", () => {
    const patterns = eventPatterns();
    const isWatched = watched(CATALOG);
    for (const { file, record } of records) {
      const service = serviceOf(record.eventSource ?? "");
      const event = { ...envelope(service, ""), detail: record };
      const expected =
        record.errorCode === undefined && isWatched(record.eventSource ?? "", record.eventName ?? "");
      expect(matchedBy(patterns, event), file).toBe(expected);
    }
  });
});

describe("eventPatterns: synthetic catalogs", () => {
  it("returns nothing when nothing is watched", () => {
    expect(eventPatterns([])).toEqual([]);
    expect(
      eventPatterns([entry("ec2", "RunInstances", "create"), entry("ec2", "StopInstances", "operational")]),
    ).toEqual([]);
  });

  it("uses the plain shape for a single service", () => {
    expect(
      eventPatterns([lambda("UpdateFunctionCode"), entry("lambda", "DeleteFunction", "delete")]),
    ).toEqual([
      {
        source: ["aws.lambda"],
        "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
        detail: {
          eventSource: ["lambda.amazonaws.com"],
          eventName: ["DeleteFunction", "UpdateFunctionCode", { prefix: "UpdateFunctionCode20" }],
          errorCode: [{ exists: false }],
        },
      },
    ]);
  });

  it("keeps a versioned name from catching a longer API that shares its prefix", () => {
    const entries = [lambda("DeleteFunction", "delete"), lambda("PutFunctionConcurrency")];
    const patterns = eventPatterns(entries);
    expect(matchedBy(patterns, envelope("lambda", "DeleteFunction20150331"))).toBe(true);
    expect(matchedBy(patterns, envelope("lambda", "DeleteFunctionConcurrency20171031"))).toBe(false);
    expect(matchedBy(patterns, envelope("lambda", "PutFunctionConcurrency20171031"))).toBe(true);
    expectExactPairs(entries, patterns);
  });

  it("splits a service too big for one pattern, and packs small services together", () => {
    const long = (i: number) =>
      `Modify${"VeryLongResourceConfigurationName".repeat(2)}Number${String(i).padStart(3, "0")}`;
    const entries = [
      ...Array.from({ length: 120 }, (_, i) => entry("ec2", long(i), i % 7 === 0 ? "create" : "modify")),
      ...Array.from({ length: 15 }, (_, i) =>
        lambda(`UpdateFunctionSetting${"ABCDEFGHIJKLMNO".charAt(i)}`, i % 2 ? "modify" : "delete"),
      ),
      entry("rds", "ModifyDBInstance", "modify"),
      entry("sqs", "SetQueueAttributes", "modify"),
      entry("sns", "SetTopicAttributes", "modify"),
    ];
    const patterns = eventPatterns(entries);
    expectWellFormed(patterns);
    const ec2Patterns = patterns.filter((p) => JSON.stringify(p).includes("ec2.amazonaws.com"));
    expect(ec2Patterns.length).toBeGreaterThan(3);
    expect(patterns.length).toBeLessThan(ec2Patterns.length + 4);
    expectExactPairs(entries, patterns);
  });

  it("packs into as few patterns as fit: no two generated patterns could be merged", () => {
    const entries = Array.from({ length: 40 }, (_, s) =>
      Array.from({ length: 1 + (s % 9) }, (_, i) =>
        entry(`service${s}`, `UpdateSomething${i}Configuration`, "modify"),
      ),
    ).flat();
    const patterns = eventPatterns(entries);
    expectWellFormed(patterns);
    expectNoTwoMergeable(patterns);
    expectExactPairs(entries, patterns);
  });

  it("throws when one name alone cannot fit a pattern", () => {
    expect(() => eventPatterns([entry("ec2", "X".repeat(PATTERN_SIZE_LIMIT), "modify")])).toThrow(
      /alone exceeds/,
    );
  });

  it("holds its invariants for arbitrary catalogs", () => {
    const letters = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split(""));
    const name = fc.string({ unit: letters, minLength: 1, maxLength: 70 });
    const services = ["ec2", "rds", "lambda", "s3", "iam", "elasticloadbalancing"];
    const arbitraryEntry = fc.record({
      service: fc.constantFrom(...services),
      event: name,
      effect: fc.constantFrom<Effect>("modify", "delete", "create", "operational"),
      versioned: fc.boolean(),
      touches: fc.constant([]),
    });
    const catalog = fc.uniqueArray(arbitraryEntry, {
      maxLength: 150,
      selector: (e) => `${e.service}:${e.event}`,
    });
    fc.assert(
      fc.property(catalog, (entries) => {
        const patterns = eventPatterns(entries);
        expectWellFormed(patterns);
        expect(eventPatterns([...entries].reverse())).toEqual(patterns);
        const isWatched = watched(entries);
        for (const e of entries) {
          for (const n of [e.event, `${e.event}20150331v2`]) {
            for (const service of services) {
              const expected = isWatched(`${service}.amazonaws.com`, n);
              expect(matchedBy(patterns, envelope(service, n)), `${service}:${n}`).toBe(expected);
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});
