/**
 * Shared by the benchmark's child processes: memory sampling and the one-line JSON result each child
 * prints on stdout for the runner (test/bench/run.ts).
 */

/** Samples `process.memoryUsage()` on a timer and keeps the peaks. */
export class MemorySampler {
  peakRss = 0;
  peakHeapUsed = 0;
  samples = 0;
  #timer: NodeJS.Timeout | undefined;

  start(intervalMs: number): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.samples++;
    if (rss > this.peakRss) this.peakRss = rss;
    if (heapUsed > this.peakHeapUsed) this.peakHeapUsed = heapUsed;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.sample();
  }
}

export const SAMPLE_INTERVAL_MS = 50;

export interface ChildResult {
  readonly kind: "baseline" | "intake";
  readonly records: number;
  readonly ms: number;
  readonly recordsPerSec: number;
  /** Memory once modules are loaded and a full GC ran, just before the timed loop. */
  readonly startRss: number;
  readonly startHeapUsed: number;
  /** Peaks of the timer samples (every SAMPLE_INTERVAL_MS, plus one at the start and one at the end). */
  readonly peakRss: number;
  readonly peakHeapUsed: number;
  /** Kernel high-water mark of the process RSS (getrusage ru_maxrss), from start-up to the end. */
  readonly maxRss: number;
  readonly samples: number;
  /** heapUsed after a full GC once the loop is done: what the run left retained (flat = nothing accumulates). */
  readonly endHeapAfterGc: number;
  /** CPU time (user + system, all threads) spent in the timed part; well below `ms` means the child was starved. */
  readonly cpuMs: number;
  /** intake only: count per `verdict` or `verdict:reasonCode`. */
  readonly verdicts?: Record<string, number>;
}

/**
 * Runs `body` timed and sampled, and prints the result line. `body` returns the record count.
 * `afterwards` runs once every figure is taken (untimed, unsampled): a check that must not weigh on them.
 */
export async function measure(
  kind: ChildResult["kind"],
  body: () => Promise<{ records: number; verdicts?: Record<string, number> }>,
  afterwards?: () => Promise<Record<string, number>>,
): Promise<void> {
  if (globalThis.gc === undefined) throw new Error("run with node --expose-gc");
  globalThis.gc();
  const before = process.memoryUsage();
  const sampler = new MemorySampler();
  sampler.start(SAMPLE_INTERVAL_MS);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const { records, verdicts } = await body();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  sampler.stop();
  globalThis.gc();
  const endHeapAfterGc = process.memoryUsage().heapUsed;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const counted = afterwards === undefined ? verdicts : await afterwards();
  const result: ChildResult = {
    kind,
    records,
    ms,
    recordsPerSec: records / (ms / 1000),
    startRss: before.rss,
    startHeapUsed: before.heapUsed,
    peakRss: sampler.peakRss,
    peakHeapUsed: sampler.peakHeapUsed,
    maxRss,
    samples: sampler.samples,
    endHeapAfterGc,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...(counted ? { verdicts: counted } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The capture file named on the command line. */
export function fileArgument(): string {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: <child script> <file.jsonl>");
  return file;
}
