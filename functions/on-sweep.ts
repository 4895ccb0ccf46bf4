import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { EventBridgeClient, ListRuleNamesByTargetCommand } from "@aws-sdk/client-eventbridge";
import type { Context } from "aws-lambda";
import pLimit from "p-limit";
import { z } from "zod";
import type { Clock } from "../core/clock.ts";
import type { DriftReport } from "../core/drift/types.ts";
import type { Metrics } from "../core/publish/ports.ts";
import { react } from "../core/reactor/react.ts";
import { type SweepSummary, type SweepTrigger, sweep } from "../core/reactor/sweep.ts";
import { unreachablePoint } from "../core/report/metrics.ts";
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
import { containerRuntime, createRuntime, portsAt, type Runtime } from "./runtime.ts";

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
  /** Accounts swept side by side (each with its own `PHANTOM_SWEEP_CONCURRENCY`). */
  PHANTOM_SWEEP_ACCOUNTS: z.coerce.number().int().min(1).max(20).default(4),
  /** Where forwarding rules deliver (the home bus): the sweep checks each other place has one. */
  PHANTOM_FORWARD_TO: z.string().startsWith("arn:", "must be the home bus ARN").optional(),
  /** Where the home place's rules deliver (the Changes queue). */
  PHANTOM_CHANGES_QUEUE_ARN: z.string().startsWith("arn:", "must be the Changes queue ARN").optional(),
});

/** The sweep's environment is invalid; lists every problem. */
export class SweepConfigError extends Error {
  override readonly name = "SweepConfigError";
}

export interface SweepConfig {
  /** Regions swept in every served account: `PHANTOM_REGIONS`, else the function's own. */
  readonly regions: readonly string[];
  readonly filter: ManagedStackFilter;
  /** Stacks swept side by side per account (its regions are swept one after another). */
  readonly concurrency: number;
  /** Accounts swept side by side. */
  readonly accountConcurrency: number;
  /**
   * What a place's rules must target for Phantom to see its events: the home bus from other places,
   * the Changes queue in the home place. Absent: forwarding is not checked (one-place deployments).
   */
  readonly forwardTo?: { readonly bus: string; readonly changesQueue?: string };
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
    accountConcurrency: e.PHANTOM_SWEEP_ACCOUNTS,
    ...(e.PHANTOM_FORWARD_TO
      ? {
          forwardTo: {
            bus: e.PHANTOM_FORWARD_TO,
            ...(e.PHANTOM_CHANGES_QUEUE_ARN ? { changesQueue: e.PHANTOM_CHANGES_QUEUE_ARN } : {}),
          },
        }
      : {}),
  };
}

/** One account and region the sweep covers, with its CloudFormation ports. */
export interface SweepTarget {
  /** Absent for the reactor's own account when the runtime does not know its id. */
  readonly account?: string;
  readonly region: string;
  listStacks(): Promise<ManagedStacks>;
  readonly drift: StackDriftDetector;
  /**
   * How many EventBridge rules of this place deliver to Phantom (at least; one page); absent: not
   * checked. Zero means its events never reach the reactor: the sweep reports the place.
   */
  forwarding?(): Promise<number>;
}

/** Whether an account can be read; `code` is what STS said (`AccessDenied`, …). */
export type Reachability =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Everything the sweep needs, as ports: tests pass plain objects. */
export interface SweepRuntime {
  readonly targets: readonly SweepTarget[];
  /** Logical ids an unfinished window of the stack covers. */
  openWindows(stack: StackRef): Promise<readonly string[]>;
  /** The reaction to a sweep window (on-settle's `react` with the drift already found). */
  react(window: Window, trigger: SweepTrigger, drift: DriftReport): Promise<unknown>;
  /** Whether a member account's read role can be assumed; absent: every account is reachable. */
  reachable?(account: string): Promise<Reachability>;
  /** Where `phantom.account.unreachable` goes; absent: logged only. */
  readonly metrics?: Metrics;
  readonly clock: Clock;
  readonly log: Logger;
  /** Stacks swept side by side per account. */
  readonly concurrency: number;
  /** Accounts swept side by side; default 4. */
  readonly accountConcurrency?: number;
}

/**
 * What one target's sweep did: `error` when its stacks could not be listed, `unreachable` (with the
 * error) when its account's read role could not be assumed, so nothing of it was swept.
 */
export interface TargetSweep {
  readonly account?: string;
  readonly region: string;
  readonly summary?: SweepSummary<unknown>;
  readonly skipped: ManagedStacks["skipped"];
  readonly error?: string;
  readonly unreachable?: true;
  /** The forwarding check: rules found, or why it could not be made; absent when not checked. */
  readonly forwarding?: { readonly rules: number } | { readonly error: string };
}

/** The targets grouped by account, in first-seen order (the reactor's own account first when listed first). */
function byAccount(
  targets: readonly SweepTarget[],
): { account?: string; targets: { target: SweepTarget; index: number }[] }[] {
  const groups = new Map<string, { account?: string; targets: { target: SweepTarget; index: number }[] }>();
  for (const [index, target] of targets.entries()) {
    const key = target.account ?? "";
    let group = groups.get(key);
    if (group === undefined) {
      group = { ...(target.account ? { account: target.account } : {}), targets: [] };
      groups.set(key, group);
    }
    group.targets.push({ target, index });
  }
  return [...groups.values()];
}

/**
 * Whether the place has a rule delivering to Phantom. No rule is reported (`region has no forwarding
 * rule`): its stacks are still swept, but none of its changes reach the reactor in between.
 */
async function checkForwarding(
  runtime: SweepRuntime,
  target: SweepTarget,
  where: { account?: string; region: string },
): Promise<TargetSweep["forwarding"]> {
  if (!target.forwarding) return undefined;
  try {
    const rules = await target.forwarding();
    if (rules === 0) runtime.log.log("warn", "region has no forwarding rule", where);
    return { rules };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    runtime.log.log("warn", "forwarding not checked", { ...where, error: message });
    return { error: message };
  }
}

/** Sweeps one target whose account is reachable; never throws. */
async function sweepTarget(
  runtime: SweepRuntime,
  target: SweepTarget,
  deadline?: number,
): Promise<TargetSweep> {
  const where = { ...(target.account ? { account: target.account } : {}), region: target.region };
  const forwarding = await checkForwarding(runtime, target, where);
  const checked = forwarding ? { forwarding } : {};
  let managed: ManagedStacks;
  try {
    managed = await target.listStacks();
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    runtime.log.log("error", "sweep could not list stacks", { ...where, error: message });
    return { ...where, skipped: [], error: message, ...checked };
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
  return { ...where, summary, skipped: managed.skipped, ...checked };
}

/**
 * Counts the rules of a place that target `targetArn` (`ListRuleNamesByTarget`, its first page: one
 * is enough to know events are forwarded).
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListRuleNamesByTarget.html
 */
export async function forwardingRules(client: EventBridgeClient, targetArn: string): Promise<number> {
  const page = await client.send(new ListRuleNamesByTargetCommand({ TargetArn: targetArn, Limit: 100 }));
  return page.RuleNames?.length ?? 0;
}

/**
 * Runs the sweep over every target and logs one summary per target plus one line per stack that
 * reacted or failed. Accounts are swept side by side (at most `accountConcurrency`); within one
 * account its regions go one after another, each with at most `concurrency` stacks at once, so no
 * account ever has more than `concurrency` drift operations running (CloudFormation's rate limits
 * are per account), and each stack has one. An account whose read role cannot be assumed is checked
 * once, logged (`account unreachable`), counted (`phantom.account.unreachable`) and reported for each
 * of its regions; the others go on. `deadline` (epoch ms) stops new stacks before the Lambda timeout.
 * Ends with one (empty) metrics flush, which sends the `phantom.aws.throttled` counts still held.
 * Never throws for a target. Results come back in the order of the targets.
 */
export async function processSweep(runtime: SweepRuntime, deadline?: number): Promise<TargetSweep[]> {
  const results: TargetSweep[] = new Array(runtime.targets.length);
  const limit = pLimit(Math.max(1, runtime.accountConcurrency ?? 4));
  await Promise.all(
    byAccount(runtime.targets).map((group) =>
      limit(async () => {
        const reached: Reachability =
          group.account !== undefined && runtime.reachable
            ? await runtime.reachable(group.account).catch((error: unknown) => ({
                ok: false as const,
                code: error instanceof Error ? error.name : "Error",
                message: error instanceof Error ? error.message : String(error),
              }))
            : { ok: true };
        if (!reached.ok) {
          const account = group.account as string;
          runtime.log.log("error", "account unreachable", {
            account,
            code: reached.code,
            error: reached.message,
            regions: group.targets.map((t) => t.target.region),
          });
          try {
            await runtime.metrics?.emit([unreachablePoint(runtime.clock.now(), account, reached.code)]);
          } catch {
            // Metrics are best effort (the runtime's sink logs its own failures).
          }
          for (const { target, index } of group.targets) {
            results[index] = {
              account,
              region: target.region,
              skipped: [],
              error: `${reached.code}: ${reached.message}`,
              unreachable: true,
            };
          }
          return;
        }
        for (const { target, index } of group.targets) {
          results[index] = await sweepTarget(runtime, target, deadline);
        }
      }),
    ),
  );
  // The runtime's metrics carry the AWS throttles counted since their last flush; a sweep whose last
  // stacks were clean emits nothing else, so flush now rather than with next week's invocation.
  try {
    await runtime.metrics?.emit([]);
  } catch {
    // Metrics are best effort (the runtime's sink logs its own failures).
  }
  return results;
}

/** Lambda's leeway before its timeout: no stack starts later than this (detection + react must fit). */
export const SWEEP_DEADLINE_MARGIN_MS = 6 * 60_000;

/**
 * Builds the production sweep runtime: one target per served account and region (every account ×
 * `config.regions`; the home region of the function's own account when the runtime serves no named
 * account), each with the place's clients (a member's through its read role), the reaction ports of
 * that place, and open-window coverage through the `WindowStore` port.
 */
export function createSweepRuntime(
  config: SweepConfig,
  base: Runtime,
  /** How the sweep waits between detection polls: real time; `phantom rehearse` moves its clock instead. */
  wait?: (ms: number) => Promise<void>,
): SweepRuntime {
  const timing = { ...(wait ? { sleep: wait } : {}), now: () => base.clock.now() };
  const reach = base.places?.reach;
  const accounts: (string | undefined)[] = reach
    ? [...new Set([...(reach.homeAccount ? [reach.homeAccount] : []), ...reach.accounts])]
    : [];
  if (accounts.length === 0) accounts.push(undefined);
  const targets: SweepTarget[] = accounts.flatMap((account) =>
    config.regions.map((region) => {
      // The place's unretried client (the stack drift adapter retries and counts itself); the
      // function's own for an account the runtime cannot name.
      const client =
        account !== undefined && base.places
          ? base.places.at({ account, region }).clients.unretried
          : new CloudFormationClient({ region, maxAttempts: 1 });
      const forwardTo = config.forwardTo;
      const home = account === reach?.homeAccount && region === reach?.homeRegion;
      const targetArn = home ? forwardTo?.changesQueue : forwardTo?.bus;
      const credentials =
        account !== undefined && base.places ? base.places.at({ account, region }).credentials : undefined;
      return {
        ...(account !== undefined ? { account } : {}),
        region,
        listStacks: () => listManagedStacks(client, config.filter, wait ? { sleep: wait } : {}),
        // Detections in one place start 200–400 ms apart, so hundreds of stacks never burst the account's limit.
        drift: createStackDriftDetector({
          client,
          timeoutMs: 5 * 60_000,
          spacing: { minIntervalMs: 200, jitterMs: 200 },
          ...timing,
        }),
        ...(targetArn
          ? {
              forwarding: () =>
                forwardingRules(
                  new EventBridgeClient({ region, maxAttempts: 3, ...(credentials ? { credentials } : {}) }),
                  targetArn,
                ),
            }
          : {}),
      };
    }),
  );
  return {
    targets,
    openWindows: async (stack) => (await base.windows.unfinished(stack))?.touched ?? [],
    react: async (window, trigger, drift) => {
      // The window's place reads its own account and region; an unnamed home account, the home ports.
      const ports =
        window.account !== "unknown"
          ? portsAt(base, { account: window.account, region: window.region }).reaction
          : base.reaction;
      const reaction = await react(window, trigger, ports, drift);
      base.log.log("info", "window analysed", reactionFields(reaction));
      return reaction;
    },
    ...(base.places
      ? {
          reachable: async (account: string): Promise<Reachability> => {
            const reached = await (base.places as NonNullable<Runtime["places"]>).reachable(account);
            return reached.ok
              ? reached
              : { ok: false, code: reached.error.code, message: reached.error.message };
          },
        }
      : {}),
    metrics: base.metrics,
    clock: base.clock,
    log: base.log,
    concurrency: config.concurrency,
    accountConcurrency: config.accountConcurrency,
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
    unreachable: [...new Set(results.filter((r) => r.unreachable).map((r) => r.account))],
    withoutForwarding: results
      .filter((r) => r.forwarding && "rules" in r.forwarding && r.forwarding.rules === 0)
      .map((r) => ({ account: r.account, region: r.region })),
  };
};
