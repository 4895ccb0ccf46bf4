import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  ENVELOPE_SHARE,
  type GenerateStats,
  generateCaptureFile,
  MIX,
  SHAPES,
  type Shape,
  writeShape,
} from "./generate.ts";
import { type ChildResult, SAMPLE_INTERVAL_MS } from "./measure.ts";

/**
 * `npm run bench`: intake throughput and memory (BENCHMARKS.md, "Intake").
 *
 *   npm run bench                 1,000,000 records, 3 timed runs, scaling sizes 100k / 300k / 1M
 *   npm run bench -- --quick      50,000 records, 1 run (sizes 5k / 15k / 50k): a sanity run
 *   BENCH_RECORDS=200000 BENCH_RUNS=5 BENCH_SEED=7 npm run bench
 *   BENCH_SHAPE_RECORDS=100000    records per input shape for the memory table (default 100,000)
 *   npm run bench -- --only=intake      some parts only: intake, windows, rectify, rehearsal, throttling, sweep, templates, load, contention
 *
 * Each measurement runs in its own child process (`node --expose-gc --import tsx <child>`), so
 * memory figures never mix. Progress goes to stderr, the tables to stdout, and the full results to a
 * JSON file in os.tmpdir().
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const CHILD = {
  baseline: path.join(here, "child-baseline.ts"),
  intake: path.join(here, "child-intake.ts"),
} as const;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw.replaceAll("_", ""));
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

const args = process.argv.slice(2);
const PARTS = [
  "intake",
  "windows",
  "rectify",
  "rehearsal",
  "throttling",
  "sweep",
  "templates",
  "load",
  "contention",
] as const;
for (const arg of args) {
  if (arg !== "--quick" && !/^--only=/.test(arg))
    throw new Error(`unknown argument ${arg} (--quick, --only=part,...)`);
}
const quick = args.includes("--quick");
const only = args
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
for (const part of only ?? []) {
  if (!(PARTS as readonly string[]).includes(part))
    throw new Error(`unknown part ${part} (${PARTS.join(", ")})`);
}
const runs_ = (part: (typeof PARTS)[number]) => only === undefined || only.includes(part);
const records = positiveInt("BENCH_RECORDS", quick ? 50_000 : 1_000_000);
const runs = positiveInt("BENCH_RUNS", quick ? 1 : 3);
const seed = positiveInt("BENCH_SEED", 20_260_314);
const sizes = [...new Set([Math.round(records / 10), Math.round((records * 3) / 10), records])].filter(
  (n) => n > 0,
);
const shapeRecords = positiveInt("BENCH_SHAPE_RECORDS", quick ? 10_000 : 100_000);
/** The worst case for the intake's identity memory: no two records share session credentials. */
const freshRecords = Math.max(1, Math.round(records / 5));

const log = (text: string) => process.stderr.write(`${text}\n`);
const int = (n: number) => Math.round(n).toLocaleString("en-US");
const mib = (bytes: number, digits = 0) => `${(bytes / 2 ** 20).toFixed(digits)} MiB`;
const fixed = (n: number, digits: number) => n.toFixed(digits);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return sorted.length % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

/** A child's result, plus the machine's 1-minute load average just before it started. */
type RunResult = ChildResult & { readonly loadBefore: number };

function runChild(kind: keyof typeof CHILD, file: string): Promise<RunResult> {
  const loadBefore = os.loadavg()[0] ?? 0;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", CHILD[kind], file], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`${kind} child exited with ${code}`));
        return;
      }
      const last = out.trim().split("\n").pop() ?? "";
      try {
        resolve({ ...(JSON.parse(last) as ChildResult), loadBefore });
      } catch {
        reject(new Error(`${kind} child printed no result: ${out.slice(0, 500)}`));
      }
    });
  });
}

interface SizeResult {
  readonly records: number;
  readonly file: GenerateStats;
  readonly generateMs: number;
  readonly baseline: RunResult[];
  readonly intake: RunResult[];
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [pad(header, widths), rule, ...rows.map((r) => pad(r, widths))].join("\n");
}

interface ShapeResult {
  readonly shape: Shape;
  readonly bytes: number;
  readonly intake: RunResult;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "phantom-bench-"));
  const started = new Date();
  log(
    `phantom bench: ${int(records)} records, ${runs} run(s) at full size, sizes ${sizes.map(int).join(" / ")}; ${int(freshRecords)} with fresh sessions; ${int(shapeRecords)} per input shape`,
  );
  log(`node ${process.version}, ${os.cpus().length} cpu(s) ${os.cpus()[0]?.model ?? "?"}, work dir ${dir}`);
  const results: SizeResult[] = [];
  let fresh: { file: GenerateStats; baseline: RunResult; intake: RunResult } | undefined;
  const shapes: ShapeResult[] = [];
  let shapeBaseline: RunResult | undefined;
  const runBoth = async (file: string, size: number, reps: number, label: string) => {
    const baseline: RunResult[] = [];
    const intake: RunResult[] = [];
    // Alternate the two so a slow spell on the machine hits both alike.
    for (let r = 1; r <= reps; r++) {
      for (const kind of ["baseline", "intake"] as const) {
        const result = await runChild(kind, file);
        if (result.records !== size)
          throw new Error(`${kind} saw ${result.records} records, expected ${size}`);
        (kind === "baseline" ? baseline : intake).push(result);
        log(
          `  ${label} ${kind.padEnd(8)} run ${r}/${reps}: ${fixed(result.ms / 1000, 2)} s, cpu ${fixed(result.cpuMs / 1000, 2)} s, ${int(result.recordsPerSec)} records/s, peak RSS ${mib(result.peakRss)}, cpu/wall ${fixed(result.cpuMs / result.ms, 2)}, load before ${fixed(result.loadBefore, 2)}`,
        );
      }
    }
    return { baseline, intake };
  };
  try {
    for (const size of sizes) {
      const file = path.join(dir, `capture-${size}.jsonl`);
      const g0 = performance.now();
      const stats = await generateCaptureFile(file, size, seed);
      const generateMs = performance.now() - g0;
      log(`generated ${int(size)} records (${mib(stats.bytes)}) in ${fixed(generateMs / 1000, 1)} s`);
      const { baseline, intake } = await runBoth(file, size, size === records ? runs : 1, int(size));
      results.push({ records: size, file: stats, generateMs, baseline, intake });
      await rm(file, { force: true });
    }
    {
      const file = path.join(dir, "fresh-sessions.jsonl");
      const stats = await generateCaptureFile(file, freshRecords, seed, { freshSessions: true });
      log(`generated ${int(freshRecords)} records with fresh sessions (${mib(stats.bytes)})`);
      const { baseline, intake } = await runBoth(file, freshRecords, 1, "fresh");
      fresh = { file: stats, baseline: baseline[0] as RunResult, intake: intake[0] as RunResult };
      await rm(file, { force: true });
    }
    const jsonl = path.join(dir, "shapes.jsonl");
    await generateCaptureFile(jsonl, shapeRecords, seed);
    for (const shape of SHAPES) {
      const file = path.join(dir, `shape.${shape.replace(/^(trail|array)/, "$1.json")}`);
      const bytes = await writeShape(jsonl, shape, file);
      const intake = await runChild("intake", file);
      if (intake.records !== shapeRecords)
        throw new Error(`${shape}: ${intake.records} records, expected ${shapeRecords}`);
      log(
        `  shape ${shape.padEnd(8)} ${mib(bytes)}: cpu ${fixed(intake.cpuMs / 1000, 2)} s, peak RSS ${mib(intake.peakRss)}, kernel maxRSS ${mib(intake.maxRss)}`,
      );
      shapes.push({ shape, bytes, intake });
      if (shape === "jsonl") shapeBaseline = await runChild("baseline", file);
      await rm(file, { force: true });
    }
    await rm(jsonl, { force: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const full = results[results.length - 1];
  if (full === undefined || fresh === undefined) throw new Error("no results");
  const baseMs = median(full.baseline.map((r) => r.ms));
  const intakeMs = median(full.intake.map((r) => r.ms));
  const baseCpu = median(full.baseline.map((r) => r.cpuMs));
  const intakeCpu = median(full.intake.map((r) => r.cpuMs));
  const cpuRatio = intakeCpu / baseCpu;
  const ratio = intakeMs / baseMs;
  const freshRatio = fresh.intake.cpuMs / fresh.baseline.cpuMs;
  const maxOf = (rs: readonly ChildResult[], pick: (r: ChildResult) => number) => Math.max(...rs.map(pick));
  const mbps = (ms: number) => full.file.bytes / 2 ** 20 / (ms / 1000);

  const throughput = table(
    ["", "CPU (s)", "time (s)", "records/s", "MiB/s", "peak RSS", "peak heapUsed"],
    (["baseline", "intake"] as const).map((kind) => {
      const rs = full[kind];
      const ms = median(rs.map((r) => r.ms));
      return [
        kind === "baseline" ? "JSON.parse (readline)" : "phantom inspect --json",
        fixed(median(rs.map((r) => r.cpuMs)) / 1000, 2),
        fixed(ms / 1000, 2),
        int(median(rs.map((r) => r.recordsPerSec))),
        fixed(mbps(ms), 1),
        mib(maxOf(rs, (r) => r.peakRss)),
        mib(maxOf(rs, (r) => r.peakHeapUsed)),
      ];
    }),
  );
  const scaling = table(
    [
      "records",
      "file",
      "intake rec/s",
      "intake peak RSS",
      "peak heapUsed",
      "kernel maxRSS",
      "heap after GC",
      "JSON.parse peak RSS",
    ],
    results.map((s) => [
      int(s.records),
      mib(s.file.bytes),
      int(median(s.intake.map((r) => r.recordsPerSec))),
      mib(maxOf(s.intake, (r) => r.peakRss)),
      mib(maxOf(s.intake, (r) => r.peakHeapUsed)),
      mib(maxOf(s.intake, (r) => r.maxRss)),
      mib(
        maxOf(s.intake, (r) => r.endHeapAfterGc),
        1,
      ),
      mib(maxOf(s.baseline, (r) => r.peakRss)),
    ]),
  );
  const shapeTable = table(
    ["shape", "file", "intake CPU (s)", "peak RSS", "kernel maxRSS", "peak heapUsed", "heap after GC"],
    [
      ...shapes.map((s) => [
        s.shape,
        mib(s.bytes),
        fixed(s.intake.cpuMs / 1000, 2),
        mib(s.intake.peakRss),
        mib(s.intake.maxRss),
        mib(s.intake.peakHeapUsed),
        mib(s.intake.endHeapAfterGc, 1),
      ]),
      ...(shapeBaseline
        ? [
            [
              "jsonl: JSON.parse (readline)",
              "",
              fixed(shapeBaseline.cpuMs / 1000, 2),
              mib(shapeBaseline.peakRss),
              mib(shapeBaseline.maxRss),
              mib(shapeBaseline.peakHeapUsed),
              mib(shapeBaseline.endHeapAfterGc, 1),
            ],
          ]
        : []),
    ],
  );
  const verdicts = full.intake[0]?.verdicts ?? {};
  const c = full.file.categories;
  const all = [
    ...results.flatMap((s) => [...s.baseline, ...s.intake]),
    fresh.baseline,
    fresh.intake,
    ...shapes.map((s) => s.intake),
  ];
  const loads = all.map((r) => r.loadBefore);

  process.stdout.write(
    [
      "",
      `Intake throughput: ${int(full.records)} records, ${mib(full.file.bytes)} (${int(full.file.bytes / full.records)} B/record, ${full.file.minLineBytes}-${full.file.maxLineBytes} B), median of ${full.intake.length} run(s)`,
      `Generated mix (seed ${seed}): ${int(c.catalogued)} catalogued writes, ${int(c.read)} reads, ${int(c.failed)} failed calls, ${int(c.unrelated)} unrelated writes; ${int(full.file.envelopes)} EventBridge envelopes`,
      "",
      throughput,
      "",
      `Ratio phantom inspect --json / JSON.parse, CPU: ${fixed(cpuRatio, 2)}x (time: ${fixed(ratio, 2)}x)`,
      `With fresh session credentials on every record (${int(freshRecords)} records, one run each): CPU ${fixed(freshRatio, 2)}x`,
      "",
      `Memory as the file grows (intake peaks: max over runs; sampled every ${SAMPLE_INTERVAL_MS} ms + at the end):`,
      "",
      scaling,
      "",
      `Memory per input shape (${int(shapeRecords)} records, the same ones in each shape; one run each):`,
      "",
      shapeTable,
      "",
      `Intake verdicts at ${int(full.records)}: ${Object.entries(verdicts)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${int(n)}`)
        .join(", ")}`,
      `Change verdicts ${int(verdicts.change ?? 0)} vs ${int(c.catalogued)} generated catalogued writes (all by people or CI, none failed)`,
      `1-minute load average before each run: ${fixed(Math.min(...loads), 2)} to ${fixed(Math.max(...loads), 2)} on ${os.cpus().length} cpu(s)`,
      "",
    ].join("\n"),
  );

  const report = {
    benchmark: "intake",
    started: started.toISOString(),
    finished: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      totalMemory: os.totalmem(),
    },
    settings: {
      records,
      runs,
      seed,
      sizes,
      freshRecords,
      shapeRecords,
      quick,
      sampleIntervalMs: SAMPLE_INTERVAL_MS,
      mix: MIX,
      envelopeShare: ENVELOPE_SHARE,
    },
    summary: {
      records: full.records,
      baselineMedianMs: baseMs,
      intakeMedianMs: intakeMs,
      baselineMedianCpuMs: baseCpu,
      intakeMedianCpuMs: intakeCpu,
      baselineMedianRecordsPerSec: median(full.baseline.map((r) => r.recordsPerSec)),
      intakeMedianRecordsPerSec: median(full.intake.map((r) => r.recordsPerSec)),
      cpuRatioIntakeToJsonParse: cpuRatio,
      ratioIntakeToJsonParse: ratio,
      freshSessionsCpuRatio: freshRatio,
      peakRssBySize: Object.fromEntries(results.map((s) => [s.records, maxOf(s.intake, (r) => r.peakRss)])),
      peakRssByShape: Object.fromEntries(shapes.map((s) => [s.shape, s.intake.peakRss])),
    },
    sizes: results,
    fresh,
    shapes,
    shapeBaseline,
  };
  const out = path.join(
    os.tmpdir(),
    `phantom-bench-intake-${started.toISOString().replaceAll(":", "-")}.json`,
  );
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`Results written to ${out}\n`);
}

/** The other parts run as their own scripts, each in a child process, printing their own tables. */
async function runPart(script: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", path.join(here, script), ...(quick ? ["--quick"] : [])],
    {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
}

if (runs_("intake")) await main();
if (runs_("windows")) await runPart("windows.ts");
if (runs_("rectify")) await runPart("rectify.ts");
if (runs_("rehearsal")) await runPart("rehearsal.ts");
if (runs_("throttling")) await runPart("throttling.ts");
if (runs_("sweep")) await runPart("sweep.ts");
if (runs_("templates")) await runPart("templates.ts");
if (runs_("load")) await runPart("load.ts");
if (runs_("contention")) await runPart("contention.ts");
