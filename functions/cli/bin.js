#!/usr/bin/env node
// The `phantom` command. TypeScript runs through tsx's loader, so a fresh clone works right after
// `npm ci` with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");

// A closed pipe (`phantom inspect ... | head`) is a normal end, not a failure.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
process.exitCode = await main(process.argv.slice(2));
