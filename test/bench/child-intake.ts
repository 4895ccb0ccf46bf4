import { closeSync, openSync, writeSync } from "node:fs";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { inspectBatches, runInspect } from "../../functions/cli/inspect.ts";
import { inertOutput } from "../../functions/cli/output.ts";
import { fileArgument, measure } from "./measure.ts";

/**
 * Intake child: what `phantom inspect --json <file> > /dev/null` does once its modules are loaded.
 * Timed: `runInspect` reads, judges, renders and writes every record's contract line to /dev/null,
 * through the same choke point as the CLI's stdout (inertOutput), as text or as ASCII bytes.
 * Untimed, once the figures are taken: a second pass counts the verdicts, so the check costs the
 * timed run nothing.
 */
const file = fileArgument();

await measure(
  "intake",
  async () => {
    const fd = openSync("/dev/null", "w");
    let records = 0;
    try {
      // As the CLI's main wraps stdout: the terminal's choke point (output.ts inertOutput).
      await runInspect(
        [file],
        { json: true, config: DEFAULT_CONFIG },
        inertOutput({
          out: (text) => {
            writeSync(fd, text);
            // One line per record: counting line feeds is a native search per line.
            for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) records++;
          },
          ascii: (bytes) => {
            writeSync(fd, bytes);
            const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
            for (let at = b.indexOf(10); at >= 0; at = b.indexOf(10, at + 1)) records++;
          },
          err: () => {},
        }),
      );
    } finally {
      closeSync(fd);
    }
    return { records };
  },
  async () => {
    const verdicts: Record<string, number> = {};
    for await (const batch of inspectBatches([file], DEFAULT_CONFIG)) {
      for (const line of batch) {
        const key = line.reasonCode ? `${line.verdict}:${line.reasonCode}` : line.verdict;
        verdicts[key] = (verdicts[key] ?? 0) + 1;
      }
    }
    return verdicts;
  },
);
