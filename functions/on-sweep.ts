import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { Context } from "aws-lambda";
import { z } from "zod";
import type { Clock } from "../core/clock.ts";
import type { DriftReport } from "../core/drift/types.ts";
import { react } from "../core/reactor/react.ts";
import { type SweepSummary, type SweepTrigger, sweep } from "../core/reactor/sweep.ts";
import type { StackRef } from "../core/window/stack.ts";
import type { Window } from "../core/window/types.ts";
import {
  createStackDriftDetector,
  listManagedStacks,
  type ManagedStackFilter,
  type ManagedStacks,
  type StackDriftDetector,
} from "./adapters/cloudformation-stack-drift.ts";
import type { Logger } from "./log.ts";
import { reactionFields } from "./on-settle.ts";
import { containerRuntime, createRuntime, type Runtime } from "./runtime.ts";

/**
 * on-sweep: the weekly safety net (CronV2 ► EventBridge Scheduler ► this function). For each swept
 * account and region: the managed stacks ► `sweep` (stack-wide drift detection ► what no open window
 * covers ► the same `react` as on-settle, reason `sweep`) ► one summary log line.
 */

/** A comma list (`a, b`), blanks dropped. */
const regionList = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  )
  .pipe(z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be regions such as eu-west-1")));

const sweepEnvSchema = z.object({
  AWS_REGION: z.string().min(1, "is required (Lambda sets it)"),
  /** Every region served, home included (the SST app sets it; functions/accounts.ts reads it too). */
  PHANTOM_REGIONS: regionList,
  PHANTOM_STACK_PREFIX: z.string().min(1).optional(),
  /** `key` or `key=value`. */
  PHANTOM_STACK_TAG: z.string().min(1).optional(),
  PHANTOM_SWEEP_CONCURRENCY: z.coerce.number().int().min(1).max(10).default(2),
});

/** The sweep's environment is invalid; lists every problem. */
export class SweepConfigError extends Error {
  override readonly name = "SweepConfigError";
}

export interface SweepConfig {
  /** Regions swept in every served account: `PHANTOM_REGIONS`, else the function's own. */
  readonly regions: readonly string[];
  readonly filter: ManagedStackFilter;
  /** Stacks swept side by side per account and region. */
  readonly concurrency: number;
}

/** Reads the sweep's settings (set by the SST app, see README "Deploy"), reporting every problem at once. */
export function readSweepConfig(env: Record<string, string | undefined> = process.env): SweepConfig {
  const parsed = sweepEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new SweepConfigError(
      `Phantom's sweep environment is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    );
  }
  const e = parsed.data;
  const [key = "", ...value] = (e.PHANTOM_STACK_TAG ?? "").split("=");
  return {
    regions: e.PHANTOM_REGIONS.length > 0 ? [...new Set(e.PHANTOM_REGIONS)] : [e.AWS_REGION],
    filter: {
      ...(e.PHANTOM_STACK_PREFIX ? { prefix: e.PHANTOM_STACK_PREFIX } : {}),
      ...(key !== "" ? { tag: value.length > 0 ? { key, value: value.join("=") } : { key } } : {}),
    },
    concurrency: e.PHANTOM_SWEEP_CONCURRENCY,
  };
}

/** One account and region the sweep covers, with its CloudFormation ports. */
export interface SweepTarget {
  /** Absent for the reactor's own account. */
  readonly account?: string;
  readonly region: string;
  listStacks(): Promise<ManagedStacks>;
  readonly drift: StackDriftDetector;
}

/** Everything the sweep needs, as ports: tests pass plain objects. */
export interface SweepRuntime {
  readonly targets: readonly SweepTarget[];
  /** Logical ids an unfinished window of the stack covers. */
  openWindows(stack: StackRef): Promise<readonly string[]>;
  /** The reaction to a sweep window (on-settle's `react` with the drift already found). */
  react(window: Window, trigger: SweepTrigger, drift: DriftReport): Promise<unknown>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly concurrency: number;
}

/** What one target's sweep did; `error` when its stacks could not be listed. */
export interface TargetSweep {
  readonly account?: string;
  readonly region: string;
  readonly summary?: SweepSummary<unknown>;
  readonly skipped: ManagedStacks["skipped"];
  readonly error?: string;
}

/**
 * Runs the sweep over every target, one after another, and logs one summary per target plus one line
 * per stack that reacted or failed. `deadline` (epoch ms) stops new stacks before the Lambda timeout.
 * Never throws for a target: a listing failure is logged and reported.
 */
export async function processSweep(runtime: SweepRuntime, deadline?: number): Promise<TargetSweep[]> {
  const results: TargetSweep[] = [];
  for (const target of runtime.targets) {
    const where = { ...(target.account ? { account: target.account } : {}), region: target.region };
    let managed: ManagedStacks;
    try {
      managed = await target.listStacks();
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      runtime.log.log("error", "sweep could not list stacks", { ...where, error: message });
      results.push({ ...where, skipped: [], error: message });
      continue;
    }
    // A target without an account is the home one, whose id the runtime may not know (no PHANTOM_HOME_ACCOUNT).
    const place = { account: target.account ?? "unknown", region: target.region };
    const summary = await sweep({
      place,
      stacks: managed.stacks,
      driftOfStack: (stack) => target.drift.detect(stack),
      openWindows: (stack) => runtime.openWindows({ ...place, stack }),
      react: (window, trigger, drift) => runtime.react(window, trigger, drift),
      clock: runtime.clock,
      concurrency: runtime.concurrency,
      ...(deadline !== undefined ? { deadline } : {}),
    });
    for (const outcome of summary.outcomes) {
      if (outcome.kind === "reacted") {
        runtime.log.log("info", "sweep found drift", {
          ...where,
          stack: outcome.stack,
          window: outcome.windowId,
          touched: outcome.logicalIds,
          covered: outcome.covered,
          detection: outcome.detection,
        });
      } else if (outcome.kind === "failed") {
        runtime.log.log("warn", "sweep failed for a stack", {
          ...where,
          stack: outcome.stack,
          error: outcome.error,
        });
      }
    }
    runtime.log.log("info", "sweep finished", {
      ...where,
      ...summary.counts,
      skipped: managed.skipped.length,
      deferredStacks: summary.outcomes.filter((o) => o.kind === "deferred").map((o) => o.stack),
      seconds: Math.round((summary.finishedAt - summary.startedAt) / 1000),
    });
    results.push({ ...where, summary, skipped: managed.skipped });
  }
  return results;
}

/** Lambda's leeway before its timeout: no stack starts later than this (detection + react must fit). */
export const SWEEP_DEADLINE_MARGIN_MS = 6 * 60_000;

/**
 * Builds the production sweep runtime: one target per region of the home account, the reaction ports
 * of the shared composition root, and open-window coverage through the `WindowStore` port.
 */
export function createSweepRuntime(
  config: SweepConfig,
  base: Runtime,
  /** How the sweep waits between detection polls: real time; `phantom rehearse` moves its clock instead. */
  wait?: (ms: number) => Promise<void>,
): SweepRuntime {
  const timing = { ...(wait ? { sleep: wait } : {}), now: () => base.clock.now() };
  const targets: SweepTarget[] = config.regions.map((region) => {
    const client = new CloudFormationClient({ region, maxAttempts: 1 });
    return {
      region,
      listStacks: () => listManagedStacks(client, config.filter, wait ? { sleep: wait } : {}),
      drift: createStackDriftDetector({ client, timeoutMs: 5 * 60_000, ...timing }),
    };
  });
  return {
    targets,
    openWindows: async (stack) => (await base.windows.unfinished(stack))?.touched ?? [],
    react: async (window, trigger, drift) => {
      const reaction = await react(window, trigger, base.reaction, drift);
      base.log.log("info", "window analysed", reactionFields(reaction));
      return reaction;
    },
    clock: base.clock,
    log: base.log,
    concurrency: config.concurrency,
  };
}

const sweepRuntime = containerRuntime(async () =>
  createSweepRuntime(readSweepConfig(), await createRuntime()),
);

/** The Lambda entry point (a CronV2 schedule invokes it); the runtime is built once per container. */
export const handler = async (_event: unknown, context?: Pick<Context, "getRemainingTimeInMillis">) => {
  const runtime = await sweepRuntime();
  const deadline =
    context === undefined
      ? undefined
      : runtime.clock.now() + context.getRemainingTimeInMillis() - SWEEP_DEADLINE_MARGIN_MS;
  const results = await processSweep(runtime, deadline);
  return {
    targets: results.length,
    reacted: results.reduce((n, r) => n + (r.summary?.counts.reacted ?? 0), 0),
    failed: results.reduce((n, r) => n + (r.summary?.counts.failed ?? 0) + (r.error ? 1 : 0), 0),
  };
};
