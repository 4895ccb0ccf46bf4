import { closeSync, openSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { terminalText } from "../../core/report/inert.ts";
import { runInspect } from "../../functions/cli/inspect.ts";
import { inertOutput, type Output } from "../../functions/cli/output.ts";
import { generateCaptureFile } from "./generate.ts";

/**
 * What the terminal's choke point (functions/cli/output.ts, issue 15) costs `phantom inspect --json`,
 * the command that writes the most: the same capture inspected to /dev/null with the raw writer and
 * with `inertOutput` around it, alternating, in one process (BENCHMARKS.md, "The terminal's choke
 * point").
 *
 *   node --import tsx test/bench/terminal-text.ts [records=200000] [runs=5]
 */

const records = Number(process.argv[2] ?? 200_000);
const runs = Number(process.argv[3] ?? 5);

const dir = await mkdtemp(path.join(tmpdir(), "phantom-bench-terminal-"));
const file = path.join(dir, "capture.jsonl");
const stats = await generateCaptureFile(file, records, 20260314);

async function cpuOf(wrap: (io: Output) => Output): Promise<{ cpuMs: number; bytes: number }> {
  const fd = openSync("/dev/null", "w");
  let bytes = 0;
  const raw: Output = {
    out: (text) => {
      bytes += text.length;
      writeSync(fd, text);
    },
    err: () => {},
  };
  const start = process.cpuUsage();
  try {
    await runInspect([file], { json: true, config: DEFAULT_CONFIG }, wrap(raw));
  } finally {
    closeSync(fd);
  }
  const used = process.cpuUsage(start);
  return { cpuMs: (used.user + used.system) / 1000, bytes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const plain: number[] = [];
const inert: number[] = [];
let bytes = 0;
await cpuOf((io) => io); // warm-up
for (let i = 0; i < runs; i++) {
  plain.push((await cpuOf((io) => io)).cpuMs);
  const measured = await cpuOf(inertOutput);
  inert.push(measured.cpuMs);
  bytes = measured.bytes;
}

// The escaping alone, over the very text inspect wrote (less noise than the difference of two runs).
const chunks: string[] = [];
await runInspect(
  [file],
  { json: true, config: DEFAULT_CONFIG },
  { out: (t) => chunks.push(t), err: () => {} },
);
const escaping: number[] = [];
for (let i = 0; i < runs; i++) {
  const start = process.cpuUsage();
  let n = 0;
  for (const chunk of chunks) n += terminalText(chunk).length;
  const used = process.cpuUsage(start);
  if (n === 0) throw new Error("no output");
  escaping.push((used.user + used.system) / 1000);
}
await rm(dir, { recursive: true, force: true });

const p = median(plain);
const q = median(inert);
console.log(
  JSON.stringify({
    records,
    captureBytes: stats.bytes,
    outputChars: bytes,
    runs,
    plainCpuMs: plain.map(Math.round),
    inertCpuMs: inert.map(Math.round),
    medianPlainMs: Math.round(p),
    medianInertMs: Math.round(q),
    overhead: `${(((q - p) / p) * 100).toFixed(1)} %`,
    escapingAloneMs: escaping.map(Math.round),
    escapingShare: `${((median(escaping) / p) * 100).toFixed(1)} %`,
  }),
);
