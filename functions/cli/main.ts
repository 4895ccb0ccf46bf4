import { Command, CommanderError, Option } from "commander";
import { parseDuration } from "../../core/config/duration.ts";
import { eventPatterns } from "../../core/pattern/generate.ts";
import { ConfigError, loadConfig, readConfigDocument } from "../config/load-config.ts";
import { UnreadablePathError } from "../io/read-captures.ts";
import { loadScenario } from "../replay/scenario.ts";
import { runInspect } from "./inspect.ts";
import { EXIT, type Output, processOutput, UsageError } from "./output.ts";
import { runReplayCommand } from "./replay.ts";

/** Builds the `phantom` command tree. Actions write through `io` so tests can run them in-process. */
export function buildProgram(io: Output): Command {
  const program = new Command("phantom")
    .description("Drift reactor for AWS CloudFormation: console changes become reviewed pull requests.")
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();

  program
    .command("inspect")
    .description("classify captured CloudTrail events without any AWS account")
    .argument(
      "<path...>",
      "files or directories (read recursively) of captured events: JSON, JSON lines, .gz",
    )
    .option("--json", "print one JSON line per record (DESIGN §4 contract)", false)
    .option("--config <file>", "configuration file (default: ./phantom.yaml when present)")
    .action(async (paths: string[], opts: { json: boolean; config?: string }) => {
      const { config } = await loadConfig(opts.config);
      await runInspect(paths, { json: opts.json, config }, io);
    });

  program
    .command("replay")
    .description("replay a captured incident through the whole pipeline with a virtual clock, offline")
    .argument(
      "<scenario>",
      "scenario directory (events/, account/, scenario.yaml) or an events path with --account",
    )
    .option("--account <dir>", "recorded account (stacks/, templates/, drift/) for a bare events path")
    .option("--out <dir>", "where settled windows are written", "phantom-out")
    .option("--json", "print one JSON line per settled window", false)
    .option("--config <file>", "configuration file (default: ./phantom.yaml when present)")
    .option("--quiet-period <duration>", "settle a window after this long without events (e.g. 120s)")
    .option("--max-wait <duration>", "settle a window at the latest this long after it opened (e.g. 15m)")
    .action(
      async (
        target: string,
        opts: {
          account?: string;
          out: string;
          json: boolean;
          config?: string;
          quietPeriod?: string;
          maxWait?: string;
        },
      ) => {
        const { doc } = await readConfigDocument(opts.config);
        const scenario = await loadScenario(target, {
          ...(opts.account ? { accountDir: opts.account } : {}),
          base: doc,
        });
        const windows = {
          ...scenario.config.windows,
          ...(opts.quietPeriod ? { quietPeriod: durationFlag("--quiet-period", opts.quietPeriod) } : {}),
          ...(opts.maxWait ? { maxWait: durationFlag("--max-wait", opts.maxWait) } : {}),
        };
        if (windows.maxWait < windows.quietPeriod) {
          throw new UsageError("--max-wait must not be shorter than the quiet period");
        }
        await runReplayCommand({ ...scenario, config: { ...scenario.config, windows } }, opts, io);
      },
    );

  program
    .command("pattern")
    .description("print the EventBridge rule patterns generated from the write-API catalog")
    .addOption(new Option("--json", "print the patterns as one JSON array").default(false))
    .action((opts: { json: boolean }) => {
      const patterns = eventPatterns();
      if (opts.json) {
        io.out(`${JSON.stringify(patterns)}\n`);
        return;
      }
      for (const [i, p] of patterns.entries()) {
        const text = JSON.stringify(p);
        io.out(
          `# rule ${i + 1} of ${patterns.length} (${text.length} characters)\n${JSON.stringify(p, null, 2)}\n`,
        );
      }
    });

  return program;
}

function durationFlag(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined)
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a duration (e.g. 120s, 15m, 1h)`);
  return ms;
}

/** Runs the CLI and returns the exit code; the one boundary that maps errors to codes. */
export async function main(argv: readonly string[], io: Output = processOutput): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      const quiet = ["commander.helpDisplayed", "commander.help", "commander.version"];
      return quiet.includes(error.code) ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof UnreadablePathError) {
      io.err(`phantom: ${error.message}\n`);
      return EXIT.usage;
    }
    io.err(`phantom: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.failure;
  }
}
