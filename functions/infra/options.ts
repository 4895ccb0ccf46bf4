import { existsSync, readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { parseConfig } from "../../core/config/schema.ts";
import { commaList } from "../config/comma-list.ts";

/**
 * Deploy-time options of the SST app (README "In AWS"). They come from the deploying shell's
 * environment (`PHANTOM_DEPLOY_*`), because `phantom.yaml` is strict and describes the reactor's
 * behaviour, not its topology. The `phantom.yaml` shipped with the functions is validated here too,
 * so a bad file fails `sst deploy` instead of every cold start. Every problem is reported at once.
 */

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const regionSchema = z.string().regex(REGION, "must be a region such as eu-west-1");

/** The region where AWS delivers events of global services (IAM, CloudFront, Route 53, STS sign-in). */
export const GLOBAL_EVENTS_REGION = "us-east-1";

/** Deploy options; see {@link readAppOptions}. */
export interface AppOptions {
  /**
   * Region the reactor runs in (queues, table, functions, the rules delivering to the queue). Unset:
   * the provider's region, and no forwarding of global-service events from us-east-1.
   */
  readonly homeRegion?: string;
  /**
   * Further regions to watch. Each gets forwarding rules on its default bus to the home region's
   * default bus; patterns for global services (IAM, CloudFront) only in us-east-1. The functions read
   * stacks there (`PHANTOM_REGIONS`) and the sweep walks them.
   */
  readonly regions: readonly string[];
  /**
   * Member accounts whose events are forwarded to the home bus and whose stacks the functions read
   * through the read role (`PHANTOM_ACCOUNTS`). Their forwarding and read role come from the member
   * template (`phantom org template`, a StackSet), or from the app itself through
   * `memberDeployRoleName` when {@link deployMembers} is set.
   */
  readonly memberAccounts: readonly string[];
  /** The organisation (`o-…`): a member's read role trusts the reactor only inside it. Required with member accounts. */
  readonly organizationId?: string;
  /**
   * Deploy the members' forwarding and read role from this app (a provider per member assuming
   * `memberDeployRoleName`), instead of the StackSet of `phantom org template`.
   */
  readonly deployMembers: boolean;
  /** Name of the read-only role created in each member account. */
  readonly readRoleName: string;
  /** Role the deployer assumes in each member account to create its forwarding rules and read role. */
  readonly memberDeployRoleName: string;
  /**
   * Bedrock model or inference-profile id the analyzer calls (IAM is scoped to it). Unset: the
   * runtime's default (Claude Sonnet 4.5 through the profile of the function's geography).
   */
  readonly bedrockModelId?: string;
  /** Who decides in the functions: Claude on Bedrock (rules as the fallback), or the rules alone (no Bedrock grant). */
  readonly analyzer: "bedrock" | "rules";
  /** Datadog site of the keys (`datadoghq.eu`, `us5.datadoghq.com`, …); unset: `datadoghq.com`. */
  readonly datadogSite?: string;
  /** EventBridge Scheduler expression of the sweep. Default weekly, Monday 06:00 UTC. */
  readonly sweepSchedule: `cron(${string})` | `rate(${string})`;
  /** Only stacks whose name starts with this are swept. */
  readonly stackPrefix?: string;
  /** Only stacks with this tag (`key` or `key=value`) are swept. */
  readonly stackTag?: string;
  /** The Phantom configuration file shipped with the functions, when it exists (validated). */
  readonly configFile?: string;
}

/** Weekly, Mondays 06:00 UTC (EventBridge Scheduler cron: minutes hours day-of-month month day-of-week year). */
export const DEFAULT_SWEEP_SCHEDULE = "cron(0 6 ? * MON *)";

const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, "must be an IAM role name");

const envSchema = z
  .object({
    PHANTOM_DEPLOY_HOME_REGION: regionSchema.optional(),
    PHANTOM_DEPLOY_REGIONS: commaList(regionSchema),
    PHANTOM_DEPLOY_MEMBER_ACCOUNTS: commaList(z.string().regex(/^\d{12}$/, "must be 12-digit account ids")),
    PHANTOM_DEPLOY_READ_ROLE_NAME: roleName.default("PhantomReadOnly"),
    PHANTOM_DEPLOY_MEMBER_DEPLOY_ROLE_NAME: roleName.default("OrganizationAccountAccessRole"),
    PHANTOM_DEPLOY_ORG_ID: z
      .string()
      .regex(/^o-[a-z0-9]{10,32}$/, "must be an organization id such as o-a1b2c3d4e5")
      .optional(),
    PHANTOM_DEPLOY_MEMBERS_FROM_APP: z
      .enum(["true", "false"], { error: "must be true or false" })
      .default("false"),
    PHANTOM_DEPLOY_BEDROCK_MODEL_ID: z.string().min(1).optional(),
    PHANTOM_DEPLOY_ANALYZER: z
      .enum(["bedrock", "rules"], { error: "must be bedrock or rules" })
      .default("bedrock"),
    PHANTOM_DEPLOY_DD_SITE: z
      .string()
      .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "must be a Datadog site such as datadoghq.eu")
      .optional(),
    PHANTOM_DEPLOY_SWEEP_SCHEDULE: z
      .string()
      .regex(/^(cron|rate)\(.+\)$/, "must be cron(...) or rate(...)")
      .default(DEFAULT_SWEEP_SCHEDULE),
    PHANTOM_DEPLOY_STACK_PREFIX: z.string().min(1).optional(),
    PHANTOM_DEPLOY_STACK_TAG: z.string().min(1).optional(),
    PHANTOM_CONFIG: z.string().min(1).default("phantom.yaml"),
  })
  .superRefine((e, ctx) => {
    if (e.PHANTOM_DEPLOY_MEMBER_ACCOUNTS.length > 0 && e.PHANTOM_DEPLOY_ORG_ID === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["PHANTOM_DEPLOY_ORG_ID"],
        message:
          "is required with PHANTOM_DEPLOY_MEMBER_ACCOUNTS: a member's read role trusts the reactor only inside your organisation (aws organizations describe-organization)",
      });
    }
  });

/** The deploy options (or the shipped `phantom.yaml`) are invalid; lists every problem. */
export class AppOptionsError extends Error {
  override readonly name = "AppOptionsError";
  constructor(readonly issues: readonly string[]) {
    super(`Phantom cannot be deployed as configured:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
  }
}

/** How the deploy reads the configuration file; tests pass plain objects. */
export interface DeployFiles {
  exists(path: string): boolean;
  /** The file's text; throws when it cannot be read. */
  read(path: string): string;
}

/** The deploying machine's files. */
export const NODE_FILES: DeployFiles = { exists: existsSync, read: (path) => readFileSync(path, "utf8") };

/** No files at all (the defaults). */
export const NO_FILES: DeployFiles = {
  exists: () => false,
  read: (path) => {
    throw new Error(`${path} does not exist`);
  },
};

/**
 * The problems of the configuration file at `path`, each prefixed with it: unreadable, not YAML, or
 * invalid for `parseConfig` (the validator the runtime's `loadConfig` uses). Mirrors
 * functions/config/load-config.ts `readConfigDocument`, synchronously.
 */
export function configFileIssues(path: string, files: DeployFiles): string[] {
  let text: string;
  try {
    text = files.read(path);
  } catch (error) {
    return [`${path}: ${error instanceof Error ? error.message : String(error)}`];
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    return doc.errors.map((e) => `${path}: ${e.message.split("\n")[0] ?? e.message}`);
  const result = parseConfig(doc.toJS() ?? {});
  return result.ok ? [] : result.issues.map((issue) => `${path}: ${issue}`);
}

/**
 * Reads the deploy options from `env`, and validates the configuration file when it exists (it is
 * then shipped with the functions: `copyFiles` fails the build on a missing file). Member accounts
 * need the organisation id. Throws one {@link AppOptionsError} listing every problem. Invariant:
 * `regions` never holds the home region.
 */
export function readAppOptions(
  env: Record<string, string | undefined>,
  files: DeployFiles = NODE_FILES,
): AppOptions {
  const parsed = envSchema.safeParse(env);
  const configPath = parsed.success ? parsed.data.PHANTOM_CONFIG : (env.PHANTOM_CONFIG ?? "phantom.yaml");
  const shipped = configPath !== "" && files.exists(configPath);
  const issues = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`)),
    ...(shipped ? configFileIssues(configPath, files) : []),
  ];
  if (!parsed.success || issues.length > 0) throw new AppOptionsError(issues);
  const e = parsed.data;
  const home = e.PHANTOM_DEPLOY_HOME_REGION;
  return {
    ...(home ? { homeRegion: home } : {}),
    regions: [...new Set(e.PHANTOM_DEPLOY_REGIONS)].filter((r) => r !== home),
    memberAccounts: [...new Set(e.PHANTOM_DEPLOY_MEMBER_ACCOUNTS)],
    readRoleName: e.PHANTOM_DEPLOY_READ_ROLE_NAME,
    memberDeployRoleName: e.PHANTOM_DEPLOY_MEMBER_DEPLOY_ROLE_NAME,
    ...(e.PHANTOM_DEPLOY_ORG_ID ? { organizationId: e.PHANTOM_DEPLOY_ORG_ID } : {}),
    deployMembers: e.PHANTOM_DEPLOY_MEMBERS_FROM_APP === "true",
    ...(e.PHANTOM_DEPLOY_BEDROCK_MODEL_ID ? { bedrockModelId: e.PHANTOM_DEPLOY_BEDROCK_MODEL_ID } : {}),
    analyzer: e.PHANTOM_DEPLOY_ANALYZER,
    ...(e.PHANTOM_DEPLOY_DD_SITE ? { datadogSite: e.PHANTOM_DEPLOY_DD_SITE } : {}),
    sweepSchedule: e.PHANTOM_DEPLOY_SWEEP_SCHEDULE as AppOptions["sweepSchedule"],
    ...(e.PHANTOM_DEPLOY_STACK_PREFIX ? { stackPrefix: e.PHANTOM_DEPLOY_STACK_PREFIX } : {}),
    ...(e.PHANTOM_DEPLOY_STACK_TAG ? { stackTag: e.PHANTOM_DEPLOY_STACK_TAG } : {}),
    ...(shipped ? { configFile: configPath } : {}),
  };
}

/** Options with every default: one region, one account (what a plain `sst deploy` gets). */
export const DEFAULT_APP_OPTIONS: AppOptions = readAppOptions({}, NO_FILES);
