import { z } from "zod";
import { DEFAULT_BEDROCK_MODEL_ID } from "../adapters/bedrock-analyst.ts";

/**
 * Deploy-time options of the SST app (README "Deploy"). They come from the deploying shell's
 * environment (`PHANTOM_DEPLOY_*`), because `phantom.yaml` is strict and describes the reactor's
 * behaviour, not its topology. Every problem is reported at once.
 */

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const regionSchema = z.string().regex(REGION, "must be a region such as eu-west-1");

/** The region where AWS delivers events of global services (IAM, CloudFront, Route 53, STS sign-in). */
export const GLOBAL_EVENTS_REGION = "us-east-1";

/** Deploy options; see {@link readAppOptions}. */
export interface AppOptions {
  /**
   * Region the reactor runs in (queues, table, functions, the rules delivering to the queue). Unset:
   * the provider's region, single-region mode. Required with `regions` or `memberAccounts`.
   */
  readonly homeRegion?: string;
  /**
   * Further regions to watch. Each gets forwarding rules on its default bus to the home region's
   * default bus; patterns for global services (IAM, CloudFront) only in us-east-1.
   */
  readonly regions: readonly string[];
  /** Member accounts whose events are forwarded to the home bus and whose stacks are read via a role. */
  readonly memberAccounts: readonly string[];
  /** Name of the read-only role created in each member account and assumed by the reactor. */
  readonly readRoleName: string;
  /** Role the deployer assumes in each member account to create its forwarding rules and read role. */
  readonly memberDeployRoleName: string;
  /** Bedrock model or inference-profile id the analyzer calls (IAM is scoped to it). */
  readonly bedrockModelId: string;
  /** EventBridge Scheduler expression of the sweep. Default weekly, Monday 06:00 UTC. */
  readonly sweepSchedule: `cron(${string})` | `rate(${string})`;
  /** Only stacks whose name starts with this are swept. */
  readonly stackPrefix?: string;
  /** Only stacks with this tag (`key` or `key=value`) are swept. */
  readonly stackTag?: string;
  /** The Phantom configuration file shipped with the functions, when it exists. */
  readonly configFile?: string;
}

/** Weekly, Mondays 06:00 UTC (EventBridge Scheduler cron: minutes hours day-of-month month day-of-week year). */
export const DEFAULT_SWEEP_SCHEDULE = "cron(0 6 ? * MON *)";

const list = (item: z.ZodString) =>
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

const envSchema = z
  .object({
    PHANTOM_DEPLOY_HOME_REGION: regionSchema.optional(),
    PHANTOM_DEPLOY_REGIONS: list(regionSchema),
    PHANTOM_DEPLOY_MEMBER_ACCOUNTS: list(z.string().regex(/^\d{12}$/, "must be 12-digit account ids")),
    PHANTOM_DEPLOY_READ_ROLE_NAME: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, "must be an IAM role name")
      .default("PhantomReadOnly"),
    PHANTOM_DEPLOY_MEMBER_DEPLOY_ROLE_NAME: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, "must be an IAM role name")
      .default("OrganizationAccountAccessRole"),
    PHANTOM_DEPLOY_BEDROCK_MODEL_ID: z.string().min(1).default(DEFAULT_BEDROCK_MODEL_ID),
    PHANTOM_DEPLOY_SWEEP_SCHEDULE: z
      .string()
      .regex(/^(cron|rate)\(.+\)$/, "must be cron(...) or rate(...)")
      .default(DEFAULT_SWEEP_SCHEDULE),
    PHANTOM_DEPLOY_STACK_PREFIX: z.string().min(1).optional(),
    PHANTOM_DEPLOY_STACK_TAG: z.string().min(1).optional(),
    PHANTOM_CONFIG: z.string().min(1).default("phantom.yaml"),
  })
  .superRefine((e, ctx) => {
    if (
      (e.PHANTOM_DEPLOY_REGIONS.length > 0 || e.PHANTOM_DEPLOY_MEMBER_ACCOUNTS.length > 0) &&
      !e.PHANTOM_DEPLOY_HOME_REGION
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["PHANTOM_DEPLOY_HOME_REGION"],
        message: "is required with PHANTOM_DEPLOY_REGIONS or PHANTOM_DEPLOY_MEMBER_ACCOUNTS",
      });
    }
  });

/** The deploy options are invalid; the message lists every problem. */
export class AppOptionsError extends Error {
  override readonly name = "AppOptionsError";
}

/**
 * Reads the deploy options from `env`. `exists` decides whether the configuration file is shipped
 * (`copyFiles` fails the build on a missing file). Invariant: `regions` never holds the home region.
 */
export function readAppOptions(
  env: Record<string, string | undefined>,
  exists: (path: string) => boolean,
): AppOptions {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new AppOptionsError(
      `Phantom's deploy options are invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    );
  }
  const e = parsed.data;
  const home = e.PHANTOM_DEPLOY_HOME_REGION;
  return {
    ...(home ? { homeRegion: home } : {}),
    regions: [...new Set(e.PHANTOM_DEPLOY_REGIONS)].filter((r) => r !== home),
    memberAccounts: [...new Set(e.PHANTOM_DEPLOY_MEMBER_ACCOUNTS)],
    readRoleName: e.PHANTOM_DEPLOY_READ_ROLE_NAME,
    memberDeployRoleName: e.PHANTOM_DEPLOY_MEMBER_DEPLOY_ROLE_NAME,
    bedrockModelId: e.PHANTOM_DEPLOY_BEDROCK_MODEL_ID,
    sweepSchedule: e.PHANTOM_DEPLOY_SWEEP_SCHEDULE as AppOptions["sweepSchedule"],
    ...(e.PHANTOM_DEPLOY_STACK_PREFIX ? { stackPrefix: e.PHANTOM_DEPLOY_STACK_PREFIX } : {}),
    ...(e.PHANTOM_DEPLOY_STACK_TAG ? { stackTag: e.PHANTOM_DEPLOY_STACK_TAG } : {}),
    ...(exists(e.PHANTOM_CONFIG) ? { configFile: e.PHANTOM_CONFIG } : {}),
  };
}

/** Options with every default: single region, single account (what a plain `sst deploy` gets). */
export const DEFAULT_APP_OPTIONS: AppOptions = readAppOptions({}, () => false);
