import { randomUUID } from "node:crypto";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { z } from "zod";
import type { Clock, Ids } from "../core/clock.ts";
import { parseDuration } from "../core/config/duration.ts";
import type { PhantomConfig } from "../core/config/schema.ts";
import { DEFAULT_CONFIG } from "../core/config/schema.ts";
import type { DriftDetector, StackDirectory } from "../core/drift/ports.ts";
import type { WindowStore } from "../core/window/store.ts";
import type { Timer } from "../core/window/timer.ts";
import { DEFAULT_WINDOW_POLICY, type WindowPolicy } from "../core/window/types.ts";
import { createCloudFormationDirectory } from "./adapters/cloudformation-directory.ts";
import { createCloudFormationDriftDetector } from "./adapters/cloudformation-drift.ts";
import { createDynamoWindowStore } from "./adapters/dynamo-window-store.ts";
import { createSqsTimer } from "./adapters/sqs-timer.ts";
import { jsonLogger, type Logger } from "./log.ts";

/**
 * The one composition root for the Lambda handlers: reads the environment the SST app sets and
 * builds the real adapters. Handlers take the result as a parameter, so tests pass their own.
 */

const duration = (name: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `${JSON.stringify(value)} is not a duration (e.g. 120s, 15m)`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .describe(name);

const envSchema = z.object({
  PHANTOM_WINDOWS_TABLE: z
    .string({ error: "is required (the DynamoDB windows table name)" })
    .min(1, "is required (the DynamoDB windows table name)"),
  PHANTOM_SETTLE_QUEUE_URL: z.url({ error: "must be the settle queue URL" }),
  PHANTOM_QUIET_PERIOD: duration("PHANTOM_QUIET_PERIOD"),
  PHANTOM_MAX_WAIT: duration("PHANTOM_MAX_WAIT"),
  AWS_REGION: z.string().optional(),
});

/** The Lambda environment is incomplete; lists every problem. */
export class RuntimeConfigError extends Error {
  override readonly name = "RuntimeConfigError";
}

export interface RuntimeConfig {
  readonly table: string;
  readonly settleQueueUrl: string;
  readonly policy: WindowPolicy;
  readonly region?: string;
}

/** Reads the handler configuration from the environment, reporting every problem at once. */
export function readRuntimeConfig(env: Record<string, string | undefined> = process.env): RuntimeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new RuntimeConfigError(
      `Phantom's Lambda environment is incomplete: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    );
  }
  const e = parsed.data;
  return {
    table: e.PHANTOM_WINDOWS_TABLE,
    settleQueueUrl: e.PHANTOM_SETTLE_QUEUE_URL,
    policy: {
      ...DEFAULT_WINDOW_POLICY,
      quietMs: e.PHANTOM_QUIET_PERIOD ?? DEFAULT_WINDOW_POLICY.quietMs,
      maxWaitMs: e.PHANTOM_MAX_WAIT ?? DEFAULT_WINDOW_POLICY.maxWaitMs,
    },
    ...(e.AWS_REGION ? { region: e.AWS_REGION } : {}),
  };
}

/** Everything a handler needs, as ports. */
export interface Runtime {
  readonly config: PhantomConfig;
  readonly policy: WindowPolicy;
  readonly directory: StackDirectory;
  readonly drift: DriftDetector;
  readonly windows: WindowStore;
  readonly timer: Timer;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly log: Logger;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Window ids sort by creation time and never collide: `<stack>-<base36 ms>-<random>`. */
export const randomIds: Ids = {
  next: (prefix) => `${prefix}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`,
};

/** Builds the production runtime once per Lambda container. */
export function createRuntime(config: RuntimeConfig = readRuntimeConfig()): Runtime {
  const region = config.region ? { region: config.region } : {};
  const cloudFormation = new CloudFormationClient({ ...region, retryMode: "adaptive", maxAttempts: 5 });
  // The drift detector retries throttling itself (counting calls), so its client does not.
  const driftClient = new CloudFormationClient({ ...region, maxAttempts: 1 });
  return {
    config: DEFAULT_CONFIG,
    policy: config.policy,
    directory: createCloudFormationDirectory({
      client: cloudFormation,
      ttlMs: 10 * 60_000,
      negativeTtlMs: 60_000,
      clock: systemClock,
    }),
    drift: createCloudFormationDriftDetector({ client: driftClient }),
    windows: createDynamoWindowStore({ client: new DynamoDBClient(region), table: config.table }),
    timer: createSqsTimer({
      client: new SQSClient(region),
      queueUrl: config.settleQueueUrl,
      clock: systemClock,
    }),
    clock: systemClock,
    ids: randomIds,
    log: jsonLogger(),
  };
}
