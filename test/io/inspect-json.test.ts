import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { inspectPaths, runInspect } from "../../functions/cli/inspect.ts";
import { inertOutput } from "../../functions/cli/output.ts";
import { RecordFactory } from "../bench/generate.ts";
import { collect, type TempDir, tempDir } from "./temp-files.ts";

/**
 * `phantom inspect --json` writes each record's line without building it where it can (JsonLines in
 * quick.ts): on every shape a capture comes in, its output is exactly the contract lines inspectPaths
 * gives, JSON.stringify'd one per line, through the terminal's choke point as the CLI's main puts it.
 */

let temp: TempDir;
beforeAll(async () => {
  temp = await tempDir("inspect-json");
});
afterAll(async () => {
  await temp.remove();
});

const factory = new RecordFactory(5);
const lines = Array.from({ length: 3000 }, () => factory.next().line);
const records = lines.map((l) => {
  const value = JSON.parse(l) as { detail?: unknown };
  return value.detail ?? value;
});

const shapes: Record<string, string> = {
  "lines.jsonl": `${lines.join("\n")}\n`,
  "trail.json": JSON.stringify({ Records: records }),
  "array.json": JSON.stringify(records, null, 2),
  "two-trails.jsonl": `${JSON.stringify({ Records: records.slice(0, 5) })}\n${JSON.stringify({ Records: records.slice(5, 9) })}\n`,
};

describe("phantom inspect --json", () => {
  for (const [name, content] of Object.entries(shapes)) {
    for (const gz of [false, true]) {
      it(`writes inspectPaths' lines for ${name}${gz ? ".gz" : ""}, byte for byte`, async () => {
        const file = await temp.write(`${name}${gz ? ".gz" : ""}`, gz ? gzipSync(content) : content);
        const expected = (await collect(inspectPaths([file], DEFAULT_CONFIG)))
          .map((line) => `${JSON.stringify(line)}\n`)
          .join("");
        let escaped = "";
        inertOutput({ out: (t) => (escaped += t), err: () => {} }).out(expected);
        let out = "";
        let asBytes = 0;
        await runInspect(
          [file],
          { json: true, config: DEFAULT_CONFIG },
          inertOutput({
            out: (t) => {
              out += t;
            },
            ascii: (b) => {
              out += Buffer.from(b).toString("latin1");
              asBytes++;
            },
            err: () => {},
          }),
        );
        expect(out).toBe(escaped);
        if (name !== "two-trails.jsonl") expect(asBytes).toBeGreaterThan(0);
      });
    }
  }
});
