import { defineConfig } from "vitest/config";

// CI asks for a machine-readable report next to the usual one (see .ci/run).
const jsonReport = process.env.PHANTOM_TEST_REPORT;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    pool: "threads",
    reporters: jsonReport ? ["default", "json"] : ["default"],
    ...(jsonReport ? { outputFile: { json: jsonReport } } : {}),
  },
});
