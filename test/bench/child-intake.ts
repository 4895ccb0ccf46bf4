import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import { inspectPaths } from "../../functions/cli/inspect.ts";
import { fileArgument, measure } from "./measure.ts";

/**
 * Intake child: consume `inspectPaths([file], DEFAULT_CONFIG)` to the end (read, parse, decode,
 * validate, classify and render every record's contract line), counting verdicts.
 */
const file = fileArgument();

await measure("intake", async () => {
  let records = 0;
  const verdicts: Record<string, number> = {};
  for await (const line of inspectPaths([file], DEFAULT_CONFIG)) {
    records++;
    const key = line.reasonCode ? `${line.verdict}:${line.reasonCode}` : line.verdict;
    verdicts[key] = (verdicts[key] ?? 0) + 1;
  }
  return { records, verdicts };
});
