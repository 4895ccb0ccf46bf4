import { z } from "zod";

/**
 * An environment variable holding a comma list (`a, b`): absent or blank is the empty list, blanks
 * between commas are dropped, and each item must pass `item`. Used by the Lambda environment
 * (functions/runtime.ts) and the deploy options (functions/infra/options.ts).
 */
export const commaList = (item: z.ZodString) =>
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    )
    .pipe(z.array(item));
