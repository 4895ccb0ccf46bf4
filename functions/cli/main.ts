import { Command, CommanderError, Option } from "commander";
import { parseDuration } from "../../core/config/duration.ts";
import { ConfigError, loadConfig, readConfigDocument } from "../config/load-config.ts";
import { UnreadablePathError } from "../io/read-captures.ts";
import type { DatadogApplyOptions } from "./datadog.ts";
import { EXIT, inertOutput, type Output, processOutput, UsageError } from "./output.ts";
import type { RectifyOptions } from "./rectify.ts";

// Commands load their modules when they run: `phantom --help` and `phantom inspect` must not pay
// for the AWS, Datadog and GitHub clients the other commands use.

/** Builds the `phantom` command tree. Actions write through `io` so tests can run them in-process. */
export function buildProgram(io: Output): Command {
  const program = new Command("phantom")
    .description("Drift reactor for AWS CloudFormation: console changes become reviewed pull requests.")
    .addHelpText(
      "after",
      "\nHow the pieces fit, and every output contract: docs/architecture.md in the repository.\n",
    )
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
    .option("--json", "print one JSON line per record (docs/architecture.md, CLI contracts)", false)
    .option("--config <file>", "configuration file (default: ./phantom.yaml when present)")
    .action(async (paths: string[], opts: { json: boolean; config?: string }) => {
      const { config } = await loadConfig(opts.config);
      const { runInspect } = await import("./inspect.ts");
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
    .option("--signals <file>", "observability signals (signals.json shape) for a bare events path")
    .option("--out <dir>", "where settled windows are written", "phantom-out")
    .option("--json", "print one JSON line per settled window", false)
    .option("--config <file>", "configuration file (default: ./phantom.yaml when present)")
    .addOption(
      new Option(
        "--analyzer <kind>",
        "who decides: the built-in rules, or Claude on Bedrock (falls back to rules)",
      )
        .choices(["rules", "bedrock"])
        .default("rules"),
    )
    .option("--quiet-period <duration>", "settle a window after this long without events (e.g. 120s)")
    .option("--max-wait <duration>", "settle a window at the latest this long after it opened (e.g. 15m)")
    .option(
      "--repo <path>",
      "a local git repository: publish each window's pull request as branch phantom/<stack>",
    )
    .action(
      async (
        target: string,
        opts: {
          repo?: string;
          account?: string;
          signals?: string;
          out: string;
          json: boolean;
          config?: string;
          quietPeriod?: string;
          maxWait?: string;
          analyzer: "rules" | "bedrock";
        },
      ) => {
        const { doc } = await readConfigDocument(opts.config);
        const { loadScenario } = await import("../replay/scenario.ts");
        const scenario = await loadScenario(target, {
          ...(opts.account ? { accountDir: opts.account } : {}),
          ...(opts.signals ? { signalsFile: opts.signals } : {}),
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
        const analyst =
          opts.analyzer === "bedrock" ? (await import("./analysts.ts")).bedrockAnalystFromEnv() : undefined;
        const { runReplayCommand } = await import("./replay.ts");
        await runReplayCommand(
          { ...scenario, config: { ...scenario.config, windows } },
          {
            out: opts.out,
            json: opts.json,
            ...(analyst ? { analyst } : {}),
            ...(opts.repo ? { repo: opts.repo } : {}),
          },
          io,
        );
      },
    );

  program
    .command("rehearse")
    .description(
      "run the deployed Lambda handlers with the real AWS, GitHub and Datadog clients against local stand-ins",
    )
    .argument("<scenario>", "scenario directory (events/, account/, scenario.yaml, signals.json)")
    .option("--json", "print one JSON document (docs/architecture.md, Rehearsal)", false)
    .option(
      "--config <file>",
      "configuration file bundled with the handlers (default: ./phantom.yaml when present)",
    )
    .option("--quiet-period <duration>", "settle a window after this long without events (e.g. 120s)")
    .option("--max-wait <duration>", "settle a window at the latest this long after it opened (e.g. 15m)")
    .option("--sweep", "run the weekly sweep (on-sweep) once after every window settled", false)
    .option(
      "--fault <spec>",
      "inject a failure, repeatable: <service>.<Operation|*>:<throttle|5xx|timeout|reset>[:N] or crash:<handler>:<step>[:N]",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--verbose", "print every handler log line on stderr", false)
    .addHelpText(
      "after",
      "\nA stand-in is not started when its endpoint is set: AWS_ENDPOINT_URL_CLOUDFORMATION,\n" +
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_ENDPOINT_URL_EVENTBRIDGE, GITHUB_API_URL, DATADOG_HOST.\n",
    )
    .action(
      async (
        target: string,
        opts: {
          json: boolean;
          config?: string;
          quietPeriod?: string;
          maxWait?: string;
          verbose: boolean;
          sweep: boolean;
          fault: string[];
        },
      ) => {
        const { doc } = await readConfigDocument(opts.config);
        const { loadScenario } = await import("../replay/scenario.ts");
        const scenario = await loadScenario(target, { base: doc });
        const quietMs = opts.quietPeriod ? durationFlag("--quiet-period", opts.quietPeriod) : undefined;
        const maxWaitMs = opts.maxWait ? durationFlag("--max-wait", opts.maxWait) : undefined;
        if (
          (maxWaitMs ?? scenario.config.windows.maxWait) < (quietMs ?? scenario.config.windows.quietPeriod)
        ) {
          throw new UsageError("--max-wait must not be shorter than the quiet period");
        }
        const { runRehearseCommand } = await import("./rehearse.ts");
        await runRehearseCommand(
          scenario,
          {
            json: opts.json,
            verbose: opts.verbose,
            sweep: opts.sweep,
            faults: opts.fault,
            ...(quietMs !== undefined ? { quietMs } : {}),
            ...(maxWaitMs !== undefined ? { maxWaitMs } : {}),
          },
          io,
        );
      },
    );

  program
    .command("eval")
    .description(
      "score the analyzer against each scenario's expected.json (decisions, severity, guardrails, cost)",
    )
    .argument("<scenarios-dir>", "a directory of scenario directories (or one scenario) with expected.json")
    .option("--json", "print the scores as one JSON document", false)
    .option("--config <file>", "configuration file (default: ./phantom.yaml when present)")
    .addOption(
      new Option(
        "--analyzer <kind>",
        "who decides: the built-in rules, or Claude on Bedrock (falls back to rules)",
      )
        .choices(["rules", "bedrock"])
        .default("rules"),
    )
    .action(async (root: string, opts: { json: boolean; config?: string; analyzer: "rules" | "bedrock" }) => {
      const { doc } = await readConfigDocument(opts.config);
      const analyst =
        opts.analyzer === "bedrock" ? (await import("./analysts.ts")).bedrockAnalystFromEnv() : undefined;
      const { runEval } = await import("./eval.ts");
      const summary = await runEval(
        root,
        { json: opts.json, base: doc, ...(analyst ? { analyst } : {}) },
        io,
      );
      if (summary.guardrailViolations > 0)
        throw new EvalFailure(`${summary.guardrailViolations} guardrail violation(s)`);
    });

  program
    .command("pattern")
    .description(
      "print the EventBridge rule patterns generated from the write-API catalog, or what it covers per type",
    )
    .argument(
      "[templates...]",
      "with --coverage: templates or directories of them; lists their types no catalogued API reaches",
    )
    .addOption(
      new Option("--json", "print the patterns (or the coverage) as one JSON document").default(false),
    )
    .addOption(
      new Option("--coverage", "print, per CloudFormation type, the write APIs covered").default(false),
    )
    .action(async (templates: string[], opts: { json: boolean; coverage: boolean }) => {
      const { runPattern } = await import("./pattern.ts");
      await runPattern(templates, opts, io);
    });

  const org = program
    .command("org")
    .description("organisation scale: what member accounts need to be reached by Phantom");
  org
    .command("template")
    .description(
      "print the CloudFormation template a StackSet deploys to every member account and region (forwarding rules, read role)",
    )
    .addOption(new Option("--json", "print the template as JSON (default YAML)").default(false))
    .action(async (opts: { json: boolean }) => {
      const { runOrgTemplate } = await import("./org.ts");
      runOrgTemplate(opts, io);
    });

  const prices = program
    .command("prices")
    .description("the on-demand price table that cost figures come from (hourly x 730)");
  prices
    .command("refresh")
    .description(
      "rebuild the price table from the AWS Price List API (needs AWS credentials allowed pricing:GetProducts)",
    )
    .option("--out <file>", "write the table to this file (default: print it on stdout)")
    .option("--region <region...>", "regions to price (default: the shipped table's regions)")
    .action(async (opts: { out?: string; region?: string[] }) => {
      const { runPricesRefresh } = await import("./prices.ts");
      await runPricesRefresh(opts, io);
    });

  program
    .command("rectify")
    .description("apply legitimize / refactor / revert decisions to a template, keeping every other byte")
    .requiredOption("--template <file>", "the safe-state template (YAML or JSON)")
    .requiredOption(
      "--drift <files...>",
      "DetectStackResourceDrift or DescribeStackResourceDrifts output(s), or a directory of them",
    )
    .requiredOption(
      "--decisions <file>",
      'JSON list of {"logicalId", "propertyPath", "decision", "proposed"?}, or a Phantom analysis.json',
    )
    .option(
      "--params <file>",
      "the environment's parameter file ([{ParameterKey, ParameterValue}]): !Ref values go here",
    )
    .option("--params-out <file>", "where to write the rectified parameter file")
    .option("--diff", "print a unified diff instead of the rectified template", false)
    .option("--stack <name>", "stack name for the revert plan (default: from the drift results)")
    .option("--region <region>", "region for the revert plan (default: from the drift results)")
    .option("--create-change-set", "create the revert change set in AWS (never executes it)", false)
    .addHelpText(
      "after",
      "\nstdout gets only the rectified template (or the diff); the summary, manual items and the revert plan go to stderr.\n",
    )
    .action(async (opts: RectifyOptions) => {
      const { runRectify } = await import("./rectify.ts");
      await runRectify(opts, io);
    });

  const datadog = program
    .command("datadog")
    .description("Phantom's Datadog dashboard and monitors, kept as code in functions/observability/");
  datadog
    .command("apply")
    .description(
      "create or update the dashboard and monitors, matched by title and name (needs DD_API_KEY and DD_APP_KEY)",
    )
    .option(
      "--dry-run",
      "print the plan (create / update / unchanged, with differences) and write nothing",
      false,
    )
    .option("--site <site>", "Datadog site, e.g. datadoghq.eu (default: DD_SITE, else datadoghq.com)")
    .option(
      "--notify <handles...>",
      "notification handles appended to every monitor message, e.g. @slack-oncall",
    )
    .option("--dir <dir>", "definitions folder (default: the shipped functions/observability/)")
    .option("--json", "print the plan or result as one JSON document", false)
    .addHelpText(
      "after",
      "\nWithout keys, --dry-run plans against an empty account. DD_HOST overrides the API URL (proxies, tests).\n",
    )
    .action(async (opts: DatadogApplyOptions) => {
      const { runDatadogApply } = await import("./datadog.ts");
      await runDatadogApply(opts, io);
    });

  return program;
}

function durationFlag(flag: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined)
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a duration (e.g. 120s, 15m, 1h)`);
  return ms;
}

/** `phantom eval` found guardrail violations: the scores are printed, the exit code says it failed. */
class EvalFailure extends Error {
  override readonly name = "EvalFailure";
}

/** Errors that mean the user's input is wrong (exit 1), from modules main.ts loads lazily. */
const INPUT_ERRORS = new Set([
  "RecordedAccountError",
  "RecordedSignalsError",
  "PriceTableError",
  "StandInConfigError",
]);

/** Runs the CLI and returns the exit code; the one boundary that maps errors to codes. */
export async function main(argv: readonly string[], output: Output = processOutput): Promise<number> {
  // Every command writes through the terminal's choke point: console text never reaches it raw (issue 15).
  const io = inertOutput(output);
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
    if (error instanceof EvalFailure) {
      io.err(`phantom: eval failed: ${error.message}\n`);
      return EXIT.failure;
    }
    // Input problems raised by lazily loaded modules, recognised by name to keep them lazy.
    if (error instanceof Error && INPUT_ERRORS.has(error.name)) {
      io.err(`phantom: ${error.message}\n`);
      return EXIT.usage;
    }

    io.err(`phantom: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.failure;
  }
}
