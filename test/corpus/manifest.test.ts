import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CORPUS } from "../support/corpus.ts";

/**
 * `fixtures/corpus/` is third-party data, and may only be here as long as each file can be traced to
 * the repository, path and commit it was copied from and is covered by the license texts this
 * directory ships. `MANIFEST.json` is that record, `SOURCES.md` says it in words. These tests hold the
 * directory to both, so that a file added without an entry, an entry whose file is gone, a fixture
 * edited in place or a repository missing from the license table fails here instead of in review.
 */

const corpus = fileURLToPath(CORPUS);

/** The attribution files themselves: the only files here that are not copied data. */
const ATTRIBUTION = /^(LICENSES\/.+|NOTICE|MANIFEST\.json|(.+\/)?SOURCES\.md)$/;

const Entry = z.looseObject({
  file: z.string().min(1),
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "owner/name"),
  path: z.string().min(1),
  commit: z.string().regex(/^[0-9a-f]{40}$/, "a full 40-hex commit"),
  license: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "a sha256 in hex"),
  derived_from: z.string().optional(),
  shape: z.enum(["trail-file", "trail-file.gz", "json-array", "json-lines"]).optional(),
  records: z.number().int().nonnegative().optional(),
});
type Entry = z.infer<typeof Entry>;

const manifest = z
  .record(z.string(), z.array(Entry))
  .parse(JSON.parse(readFileSync(path.join(corpus, "MANIFEST.json"), "utf8")));
const entries: Entry[] = Object.values(manifest).flat();

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(corpus, path.join(d.parentPath, d.name)).split(path.sep).join("/"));
}

/** What a realworld dataset file holds: its shape and how many CloudTrail records. */
function shapeOf(file: string): { shape: string; records: number } {
  const raw = readFileSync(path.join(corpus, file));
  const gz = file.endsWith(".gz");
  const text = (gz ? gunzipSync(raw) : raw).toString("utf8").replace(/^\uFEFF/, "");
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value)) return { shape: "json-array", records: value.length };
    const records = z.object({ Records: z.array(z.unknown()) }).parse(value).Records;
    return { shape: gz ? "trail-file.gz" : "trail-file", records: records.length };
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    for (const line of lines) JSON.parse(line);
    return { shape: "json-lines", records: lines.length };
  }
}

describe("fixtures/corpus/MANIFEST.json", () => {
  it("has exactly one entry for every copied file, and no entry without its file", () => {
    const onDisk = filesUnder(corpus)
      .filter((f) => !ATTRIBUTION.test(f))
      .sort();
    const listed = entries.map((e) => e.file).sort();
    expect(listed.filter((f, i) => f === listed[i - 1])).toEqual([]);
    expect(listed).toEqual(onDisk);
  });

  it("records the bytes of every file: each still has its sha256", () => {
    const changed = entries
      .filter(
        (e) =>
          createHash("sha256")
            .update(readFileSync(path.join(corpus, e.file)))
            .digest("hex") !== e.sha256,
      )
      .map((e) => e.file);
    expect(changed).toEqual([]);
  });

  it("traces a derived file to the entry it was made from, with the same repository, path and commit", () => {
    const byFile = new Map(entries.map((e) => [e.file, e]));
    const derived = entries.filter((e) => e.derived_from !== undefined);
    expect(derived.length).toBeGreaterThan(0);
    for (const e of derived) {
      const source = byFile.get(e.derived_from ?? "");
      expect(source, `${e.file}: derived_from ${e.derived_from}`).toBeDefined();
      expect({ repo: source?.repo, path: source?.path, commit: source?.commit }).toEqual({
        repo: e.repo,
        path: e.path,
        commit: e.commit,
      });
      expect(source?.derived_from, `${e.file}: derived from a derived file`).toBeUndefined();
    }
  });

  it("gives each real-trail dataset file the shape and record count it has", () => {
    const datasets = manifest.realworld ?? [];
    expect(datasets.length).toBeGreaterThan(0);
    const wrong = datasets
      .map((e) => ({ file: e.file, said: { shape: e.shape, records: e.records }, is: shapeOf(e.file) }))
      .filter(({ said, is }) => said.shape !== is.shape || said.records !== is.records);
    expect(wrong).toEqual([]);
  });
});

describe("fixtures/corpus/ license texts", () => {
  const repos = [...new Set(entries.map((e) => e.repo))].sort();

  it("ships the copyright and permission notice of every MIT repository as LICENSES/MIT-<owner>-<name>.txt", () => {
    const mit = [...new Set(entries.filter((e) => /^MIT\b(?!-0)/.test(e.license)).map((e) => e.repo))];
    expect(mit.length).toBeGreaterThan(0);
    for (const repo of mit) {
      const file = path.join(corpus, "LICENSES", `MIT-${repo.replace("/", "-")}.txt`);
      expect(existsSync(file), `${repo}: ${path.relative(corpus, file)}`).toBe(true);
      const text = readFileSync(file, "utf8");
      expect(text, repo).toMatch(/^Copyright .+\S/m);
      expect(text, repo).toContain("Permission is hereby granted, free of charge");
    }
  });

  it("ships the Apache License 2.0 text when any file is under it", () => {
    expect(entries.some((e) => e.license.includes("Apache-2.0"))).toBe(true);
    expect(readFileSync(path.join(corpus, "LICENSES", "Apache-2.0.txt"), "utf8")).toMatch(
      /Apache License\s+Version 2\.0, January 2004/,
    );
  });

  it("lists every repository in SOURCES.md's license table, with the number of files it has here", () => {
    const sources = readFileSync(path.join(corpus, "SOURCES.md"), "utf8");
    const table = new Map(
      [...sources.matchAll(/^\| \[([^\]]+)\]\(https:\/\/github\.com\/\1\) \| [^|]+ \| (\d+) \|/gm)].map(
        (m) => [m[1], Number(m[2])],
      ),
    );
    const counts = new Map(repos.map((r) => [r, entries.filter((e) => e.repo === r).length]));
    expect(Object.fromEntries(table)).toEqual(Object.fromEntries(counts));
  });
});
