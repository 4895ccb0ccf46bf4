import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { fileArgument, measure } from "./measure.ts";

/**
 * Baseline child: stream the file with node:readline (the same reader settings as
 * functions/io/read-captures.ts) and JSON.parse every line. Nothing else.
 */
const file = fileArgument();

await measure("baseline", async () => {
  let records = 0;
  let objects = 0;
  const input = createReadStream(file);
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line === "") continue;
    const value: unknown = JSON.parse(line);
    records++;
    // Touch the result so the parse cannot be optimised away.
    if (typeof value === "object" && value !== null) objects++;
  }
  if (objects !== records) throw new Error(`${records - objects} lines were not JSON objects`);
  return { records };
});
