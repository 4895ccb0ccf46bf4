import { CATALOG } from "../../core/catalog/entries.ts";
import type { CatalogEntry } from "../../core/catalog/types.ts";
import { type EventPattern, eventPatterns } from "../../core/pattern/generate.ts";
import { validatePattern } from "../../core/pattern/match.ts";
import { stackStatusPattern } from "../../core/pattern/stack-status.ts";
import { WINDOW_TABLE } from "../adapters/dynamo-window-store.ts";
import { SECRET_NAMES, SECRET_PLACEHOLDER, type SecretName } from "../secrets.ts";
import {
  ANALYST_ACTIONS,
  ASSUME_READ_ROLE_ACTIONS,
  bedrockResources,
  DEPLOYED_TEMPLATE_ACTIONS,
  DETECTION_STATUS_ACTIONS,
  DIRECTORY_CACHE_ACTIONS,
  DOMAIN_EVENT_ACTIONS,
  FORWARDING_CHECK_ACTIONS,
  type Input,
  LIVE_READ_ACTIONS,
  REACTOR_ROLE_PATH,
  READ_ONLY_ACCESS,
  REDELIVERY_ACTIONS,
  RESOURCE_DRIFT_ACTIONS,
  SETTLE_TIMER_ACTIONS,
  STACK_DRIFT_ACTIONS,
  STACK_LIST_ACTIONS,
  STACK_LOOKUP_ACTIONS,
  STACK_RESOURCES_ACTIONS,
  STACK_TAGS_ACTIONS,
  type Statement,
  TYPE_CONFIGURATION_ACTIONS,
  WINDOW_READ_ACTIONS,
  WINDOW_SETTLE_ACTIONS,
  WINDOW_TOUCH_ACTIONS,
} from "./iam.ts";
import { readHandlerPolicyActions } from "./member-template.ts";
import { type AppOptions, DEFAULT_APP_OPTIONS, GLOBAL_EVENTS_REGION } from "./options.ts";

/**
 * Phantom's AWS app, built through the SST/Pulumi globals it is given: `sst.config.ts` passes the
 * real ones, test/infra passes recording stand-ins, so the wiring the tests assert is the wiring
 * that deploys. Only the members used here are declared; their argument types are subsets of SST
 * v4's, so `npm run typecheck:infra` checks them against the real platform.
 */

type DurationUnit = "second" | "seconds" | "minute" | "minutes";
/** SST's `DurationMinutes` (function timeouts, batch windows). */
export type Duration = `${number} ${DurationUnit}`;
/** SST's `DurationHours` (queue visibility). */
export type DurationHours = `${number} ${DurationUnit | "hour" | "hours"}`;

/** The Lambda runtime every function runs on: the Node major `npm test` runs on. */
export const LAMBDA_RUNTIME = "nodejs24.x";

/** The `sst.aws.Function` arguments Phantom uses. */
export interface FunctionArgs<O> {
  readonly handler: string;
  /** Pinned to the Node major the project runs its tests on (package.json's `node`). */
  readonly runtime?: "nodejs24.x";
  readonly timeout: Duration;
  readonly memory: `${number} MB`;
  readonly environment: Record<string, Input<string, O>>;
  readonly permissions: Statement<O>[];
  readonly policies?: string[];
  readonly link?: unknown[];
  readonly copyFiles?: { from: string; to?: string }[];
  /** The function role's IAM path (member read roles trust only roles under it). */
  readonly transform?: { readonly role?: { readonly path?: string } };
}

export interface QueueArgs<O> {
  readonly visibilityTimeout?: DurationHours;
  readonly dlq?: { queue: Input<string, O>; retry: number };
}

export interface QueueSubscriberArgs {
  readonly batch: { size: number; window?: Duration; partialResponses: boolean };
}

export interface QueueLike<O> {
  readonly arn: O;
  readonly url: O;
  subscribe(subscriber: FunctionArgs<O>, args: QueueSubscriberArgs): unknown;
}

/**
 * SST's `Transform<scheduler.ScheduleArgs>` in its function form: mutate the schedule's arguments.
 * CronV2 builds `target` as a plain object (`arn`, `roleArn`, `input`, `retryPolicy`, `deadLetterConfig`).
 */
export type ScheduleTransform = (args: { target: unknown }) => undefined;

/** The `sst.aws.CronV2` arguments Phantom uses. */
export interface CronArgs<O> {
  readonly schedule: `cron(${string})` | `rate(${string})`;
  readonly function: FunctionArgs<O>;
  /** The schedule target's `retryPolicy.maximumRetryAttempts`. */
  readonly retries?: number;
  /** ARN of the schedule target's dead-letter queue; SST lets the schedule's role send to it. */
  readonly dlq?: Input<string, O>;
  readonly transform?: { readonly schedule?: ScheduleTransform };
}

/** Policy documents as Pulumi takes them (values may be deploy-time outputs). */
export interface PolicyDocument<O> {
  readonly Version: "2012-10-17";
  readonly Statement: {
    readonly Sid?: string;
    readonly Effect: "Allow";
    readonly Action: string[];
    readonly Resource?: Input<string, O>[];
    readonly Principal?: { Service: string } | { AWS: Input<string, O> };
    readonly Condition?: Record<string, Record<string, unknown>>;
  }[];
}

/** Pulumi resource options Phantom uses: a provider (member accounts). */
export interface ResourceOptions<P> {
  readonly provider?: P;
}

/**
 * The SST/Pulumi globals `defineApp` builds with (`sst`, `aws`, `$interpolate`). `O` is the
 * platform's deploy-time value (Pulumi `Output`), `P` its provider resource.
 */
export interface Platform<O, P = unknown> {
  readonly sst: {
    readonly aws: {
      readonly Queue: new (name: string, args?: QueueArgs<O>) => QueueLike<O>;
      readonly Dynamo: new (
        name: string,
        args: typeof WINDOW_TABLE.sst,
      ) => { readonly arn: O; readonly name: O };
      readonly CronV2: new (name: string, args: CronArgs<O>) => unknown;
    };
    /** `new sst.Secret(name, placeholder)`: with a placeholder, a secret that is not set does not fail the deploy. */
    readonly Secret: new (
      name: string,
      placeholder?: string,
    ) => unknown;
  };
  readonly aws: {
    getCallerIdentityOutput(): { readonly accountId: O };
    getRegionOutput(): { readonly region: O };
    readonly Provider: new (
      name: string,
      args: { region?: Input<string, O>; assumeRoles?: { roleArn: string; sessionName?: string }[] },
    ) => P;
    readonly cloudwatch: {
      readonly EventRule: new (
        name: string,
        args: { region?: string; description?: string; eventPattern: string; state: "ENABLED" },
        opts?: ResourceOptions<P>,
      ) => { readonly name: O; readonly arn: O };
      readonly EventTarget: new (
        name: string,
        args: { region?: string; rule: O; arn: Input<string, O>; roleArn?: O },
        opts?: ResourceOptions<P>,
      ) => unknown;
      readonly EventPermission: new (
        name: string,
        args: { principal: string; statementId: string; action: "events:PutEvents"; eventBusName: "default" },
      ) => unknown;
    };
    readonly sqs: {
      readonly QueuePolicy: new (name: string, args: { queueUrl: O; policy: PolicyDocument<O> }) => unknown;
    };
    readonly iam: {
      readonly Role: new (
        name: string,
        args: { name?: string; description?: string; assumeRolePolicy: PolicyDocument<O> },
        opts?: ResourceOptions<P>,
      ) => { readonly arn: O; readonly name: O };
      readonly RolePolicy: new (
        name: string,
        args: { role: O; policy: PolicyDocument<O> },
        opts?: ResourceOptions<P>,
      ) => unknown;
      readonly RolePolicyAttachment: new (
        name: string,
        args: { role: O; policyArn: Input<string, O> },
        opts?: ResourceOptions<P>,
      ) => unknown;
      /** A customer managed policy (a member's read-handler reads do not fit inline). */
      readonly Policy: new (
        name: string,
        args: { description?: string; policy: PolicyDocument<O> },
        opts?: ResourceOptions<P>,
      ) => { readonly arn: O };
    };
  };
  $interpolate(strings: TemplateStringsArray, ...values: unknown[]): O;
}

/**
 * CloudTrail services whose events AWS delivers only to us-east-1 (global services). Only rules in
 * us-east-1 watch them.
 * @see https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region
 */
export const GLOBAL_SERVICES: readonly string[] = ["iam", "cloudfront", "route53"];

/** Function timeouts in seconds, and the visibility timeouts derived from them (≥ 6×, AWS's advice). */
export const TIMEOUTS = {
  onChange: 60,
  onSettle: 300,
  onSweep: 900,
  /** Lambda: "set the source queue's visibility timeout to at least six times the function timeout". */
  visibilityFactor: 6,
} as const;

/** SQS ► Lambda settings, chosen deliberately (README "In AWS"). */
export const SUBSCRIPTIONS = {
  /** Up to 10 events per invocation, waiting at most 5 s: a console burst is batched, latency stays low. */
  changes: { size: 10, window: "5 seconds", partialResponses: true },
  /** One settle per invocation: each runs a whole reaction (drift, analysis, pull request). */
  settle: { size: 1, partialResponses: true },
} as const satisfies Record<string, QueueSubscriberArgs["batch"]>;

/** Receives before a message moves to its DLQ (`maxReceiveCount`). */
export const DLQ_RETRY = 5;

/**
 * How EventBridge Scheduler delivers the sweep: retried twice within an hour of the scheduled time,
 * then sent to `SweepDlq`. Scheduler invokes Lambda asynchronously, so these cover delivery (throttling,
 * an unavailable function), not a sweep that fails once started.
 * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
 */
export const SWEEP_DELIVERY = { retries: 2, maximumEventAgeInSeconds: 3600 } as const;

/**
 * The secrets each function links (`sst.Secret`, each optional: {@link SECRET_PLACEHOLDER} until
 * `sst secret set`): on-change emits intake metrics to Datadog; a reaction (on-settle, on-sweep) also
 * opens pull requests on GitHub (a token or an App) and reads Datadog monitors.
 */
export const SECRET_LINKS = {
  onChange: ["DatadogApiKey", "DatadogAppKey"],
  reaction: SECRET_NAMES,
} as const satisfies Record<string, readonly SecretName[]>;

/** Where the configuration file lands in each function's bundle (`PHANTOM_CONFIG_FILE`). */
export const BUNDLED_CONFIG = "phantom.yaml";

/**
 * The home rules' patterns: the catalog's CloudTrail writes, and the stacks' own CloudFormation Stack
 * Status Change, which drops a changed stack's cached directory answers (core/pattern/stack-status.ts).
 */
export function homePatterns(entries: readonly CatalogEntry[] = CATALOG): EventPattern[] {
  return [...eventPatterns(entries), stackStatusPattern()];
}

/**
 * Which patterns a region's rules carry: only us-east-1 watches global services; every region
 * forwards its stacks' status changes.
 */
export function patternsForRegion(
  region: string,
  entries: readonly CatalogEntry[] = CATALOG,
): EventPattern[] {
  return region === GLOBAL_EVENTS_REGION
    ? homePatterns(entries)
    : [...eventPatterns(entries.filter((e) => !GLOBAL_SERVICES.includes(e.service))), stackStatusPattern()];
}

/** Patterns of the global services alone (the us-east-1 rules when us-east-1 is not otherwise watched). */
export function globalPatterns(entries: readonly CatalogEntry[] = CATALOG): EventPattern[] {
  return eventPatterns(entries.filter((e) => GLOBAL_SERVICES.includes(e.service)));
}

/** `eu-west-1` ► `EuWest1`, for resource names. */
export function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== "")
    .map((p) => (p[0] ?? "").toUpperCase() + p.slice(1))
    .join("");
}

const seconds = (s: number): Duration => `${s} seconds`;
const minutes = (s: number): DurationHours => `${Math.ceil(s / 60)} minutes`;

/**
 * The regions whose default bus forwards to the home bus, each with its patterns: every extra region
 * (global services only in us-east-1), plus us-east-1 with the global services alone when it is
 * neither home nor listed, so IAM/CloudFront changes are never missed. Deployed today: only that
 * us-east-1 forwarding (extra regions are refused by `readAppOptions`).
 */
export function forwardingRegions(options: AppOptions): { region: string; patterns: EventPattern[] }[] {
  const home = options.homeRegion;
  if (home === undefined) return [];
  const regions = options.regions.map((region) => ({ region, patterns: patternsForRegion(region) }));
  if (home !== GLOBAL_EVENTS_REGION && !options.regions.includes(GLOBAL_EVENTS_REGION)) {
    regions.push({ region: GLOBAL_EVENTS_REGION, patterns: globalPatterns() });
  }
  return regions;
}

/** What `run()` returns (SST prints it as outputs). */
export interface AppOutputs<O> {
  readonly changesQueue: O;
  readonly settleQueue: O;
  readonly windowsTable: O;
}

/** Unique actions, in first-seen order. */
const actions = (...lists: readonly (readonly string[])[]): string[] => [...new Set(lists.flat())];

/**
 * Declares Phantom's AWS resources (README "In AWS" lists them, per option):
 * - the windows table (DynamoDB, TTL `expiresAt`);
 * - `Changes` queue + `ChangesDlq` ► on-change; `Settle` queue + `SettleDlq` ► on-settle;
 * - rules on the home region's default bus with the catalog's patterns ► `Changes`, whose queue
 *   policy admits EventBridge only for those rules (`aws:SourceArn`);
 * - the weekly `Sweep` (CronV2 ► on-sweep, retried, `SweepDlq`); the secrets; Bedrock access;
 * - forwarding rules to the home bus: us-east-1's global services when home is elsewhere; per extra
 *   region and per member account (a read role and a bus permission too) only from options built in
 *   code, since `readAppOptions` refuses them.
 * Invariants: every IAM statement names its actions, and each function is granted what its code
 * sends (iam.ts names the adapter call behind each); visibility timeouts are ≥ 6× the function
 * timeouts; patterns are the catalog's (`eventPatterns`), never copies.
 */
export function defineApp<O, P>(
  platform: Platform<O, P>,
  options: AppOptions = DEFAULT_APP_OPTIONS,
): AppOutputs<O> {
  const { sst, aws, $interpolate } = platform;
  const account = aws.getCallerIdentityOutput().accountId;
  const homeRegion: Input<string, O> = options.homeRegion ?? aws.getRegionOutput().region;
  const homeBus = $interpolate`arn:aws:events:${homeRegion}:${account}:event-bus/default`;
  const stacks = $interpolate`arn:aws:cloudformation:*:${account}:stack/*/*`;

  const windows = new sst.aws.Dynamo("Windows", WINDOW_TABLE.sst);
  const changesDlq = new sst.aws.Queue("ChangesDlq");
  const changes = new sst.aws.Queue("Changes", {
    visibilityTimeout: minutes(TIMEOUTS.onChange * TIMEOUTS.visibilityFactor),
    dlq: { queue: changesDlq.arn, retry: DLQ_RETRY },
  });
  const settleDlq = new sst.aws.Queue("SettleDlq");
  const settle = new sst.aws.Queue("Settle", {
    visibilityTimeout: minutes(TIMEOUTS.onSettle * TIMEOUTS.visibilityFactor),
    dlq: { queue: settleDlq.arn, retry: DLQ_RETRY },
  });
  const sweepDlq = new sst.aws.Queue("SweepDlq");
  const secrets = new Map(SECRET_NAMES.map((name) => [name, new sst.Secret(name, SECRET_PLACEHOLDER)]));
  const linked = (names: readonly SecretName[]) => names.map((name) => secrets.get(name));

  // What functions/runtime.ts `readRuntimeConfig` reads; PHANTOM_ANALYZER only when it is not the default.
  const environment: Record<string, Input<string, O>> = {
    PHANTOM_WINDOWS_TABLE: windows.name,
    PHANTOM_SETTLE_QUEUE_URL: settle.url,
    // on-change's own queue: a dead invocation's changes come back within the quiet period.
    PHANTOM_CHANGES_QUEUE_URL: changes.url,
    PHANTOM_EVENT_BUS: "default",
    ...(options.bedrockModelId ? { PHANTOM_BEDROCK_MODEL: options.bedrockModelId } : {}),
    ...(options.analyzer === "rules" ? { PHANTOM_ANALYZER: "rules" } : {}),
    ...(options.datadogSite ? { DD_SITE: options.datadogSite } : {}),
    ...(options.configFile ? { PHANTOM_CONFIG_FILE: BUNDLED_CONFIG } : {}),
    // What functions/accounts.ts serves: events of other accounts are ignored (`unknown-account`),
    // member accounts are read through their read role, the sweep walks accounts × regions.
    PHANTOM_HOME_ACCOUNT: account,
    PHANTOM_ACCOUNTS: $interpolate`${account}${options.memberAccounts.map((a) => `,${a}`).join("")}`,
    PHANTOM_REGIONS: $interpolate`${homeRegion}${options.regions.map((r) => `,${r}`).join("")}`,
    ...(options.memberAccounts.length > 0 ? { PHANTOM_READ_ROLE: options.readRoleName } : {}),
  };
  const copyFiles = options.configFile ? [{ from: options.configFile, to: BUNDLED_CONFIG }] : undefined;

  const onStacks = (...lists: readonly (readonly string[])[]): Statement<O> => ({
    actions: actions(...lists),
    resources: [stacks],
  });
  const onAnything = (...lists: readonly (readonly string[])[]): Statement<O> => ({
    actions: actions(...lists),
    resources: ["*"],
  });
  const onTable = (list: readonly string[]): Statement<O> => ({
    actions: [...list],
    resources: [windows.arn],
  });
  const armSettle: Statement<O> = { actions: [...SETTLE_TIMER_ACTIONS], resources: [settle.arn] };
  // The rules analyzer calls nothing: no Bedrock grant then.
  const analyse: Statement<O>[] =
    options.analyzer === "rules"
      ? []
      : [
          {
            actions: [...ANALYST_ACTIONS],
            resources: bedrockResources(options.bedrockModelId, account, $interpolate),
          },
        ];
  const publish: Statement<O> = { actions: [...DOMAIN_EVENT_ACTIONS], resources: [homeBus] };
  // Member accounts: every function may assume their read role (functions/accounts.ts), nothing else.
  const assumeRead: Statement<O>[] =
    options.memberAccounts.length > 0
      ? [
          {
            actions: [...ASSUME_READ_ROLE_ACTIONS],
            resources: options.memberAccounts.map((m) => `arn:aws:iam::${m}:role/${options.readRoleName}`),
          },
        ]
      : [];
  const shipped = (args: FunctionArgs<O>): FunctionArgs<O> => ({
    ...args,
    permissions: [...args.permissions, ...assumeRead],
    // Member read roles trust the central account's roles under this path only.
    transform: { role: { path: REACTOR_ROLE_PATH } },
    runtime: LAMBDA_RUNTIME,
    ...(copyFiles ? { copyFiles } : {}),
  });

  changes.subscribe(
    shipped({
      handler: "functions/on-change.handler",
      timeout: seconds(TIMEOUTS.onChange),
      memory: "512 MB",
      environment,
      link: linked(SECRET_LINKS.onChange),
      permissions: [
        onStacks(STACK_LOOKUP_ACTIONS),
        onTable([...new Set([...WINDOW_TOUCH_ACTIONS, ...DIRECTORY_CACHE_ACTIONS])]),
        armSettle,
        { actions: [...REDELIVERY_ACTIONS], resources: [changes.arn] },
      ],
    }),
    { batch: { ...SUBSCRIPTIONS.changes } },
  );
  settle.subscribe(
    shipped({
      handler: "functions/on-settle.handler",
      timeout: seconds(TIMEOUTS.onSettle),
      memory: "1024 MB",
      environment,
      link: linked(SECRET_LINKS.reaction),
      permissions: [
        onStacks(
          RESOURCE_DRIFT_ACTIONS,
          STACK_TAGS_ACTIONS,
          DEPLOYED_TEMPLATE_ACTIONS,
          STACK_RESOURCES_ACTIONS,
        ),
        onAnything(TYPE_CONFIGURATION_ACTIONS, LIVE_READ_ACTIONS),
        onTable(WINDOW_SETTLE_ACTIONS),
        armSettle,
        ...analyse,
        publish,
      ],
      policies: [READ_ONLY_ACCESS],
    }),
    { batch: { ...SUBSCRIPTIONS.settle } },
  );
  // Accounts × regions served: more than one, and the sweep checks each forwards to the home bus.
  const places = (1 + options.memberAccounts.length) * (1 + options.regions.length);
  const sweepTarget: ScheduleTransform = (args) => {
    // CronV2 sets maximumRetryAttempts from `retries`; the event age has no argument of its own.
    const target = args.target as { retryPolicy?: object };
    args.target = {
      ...target,
      retryPolicy: {
        ...target.retryPolicy,
        maximumEventAgeInSeconds: SWEEP_DELIVERY.maximumEventAgeInSeconds,
      },
    };
    return undefined;
  };
  new sst.aws.CronV2("Sweep", {
    schedule: options.sweepSchedule,
    retries: SWEEP_DELIVERY.retries,
    // Scheduler sends dead letters with the schedule's role (SST grants it sqs:SendMessage on this
    // queue), so the queue needs no resource policy.
    dlq: sweepDlq.arn,
    transform: { schedule: sweepTarget },
    function: shipped({
      handler: "functions/on-sweep.handler",
      timeout: seconds(TIMEOUTS.onSweep),
      memory: "1024 MB",
      environment: {
        ...environment,
        ...(options.stackPrefix ? { PHANTOM_STACK_PREFIX: options.stackPrefix } : {}),
        ...(options.stackTag ? { PHANTOM_STACK_TAG: options.stackTag } : {}),
        // Several places: the sweep checks each has a rule delivering here (functions/on-sweep.ts).
        ...(places > 1 ? { PHANTOM_FORWARD_TO: homeBus, PHANTOM_CHANGES_QUEUE_ARN: changes.arn } : {}),
      },
      link: linked(SECRET_LINKS.reaction),
      permissions: [
        onStacks(STACK_LIST_ACTIONS, STACK_DRIFT_ACTIONS, STACK_TAGS_ACTIONS, DEPLOYED_TEMPLATE_ACTIONS),
        onAnything(DETECTION_STATUS_ACTIONS, TYPE_CONFIGURATION_ACTIONS),
        onTable(WINDOW_READ_ACTIONS),
        ...(places > 1
          ? [
              {
                actions: [...FORWARDING_CHECK_ACTIONS],
                resources: [$interpolate`arn:aws:events:*:${account}:rule/*`],
              },
            ]
          : []),
        ...analyse,
        publish,
      ],
      policies: [READ_ONLY_ACCESS],
    }),
  });

  // The home rules carry every pattern: they also match what other regions and accounts forward.
  // Plain rules and targets rather than `Bus.subscribeQueue`, whose queue policy (one per
  // subscription) lets EventBridge, SNS and S3 send from any source: here one policy admits
  // EventBridge for these rules only.
  const patterns = homePatterns();
  // A pattern EventBridge would refuse (over 2,048 characters, say) fails the deploy here, with the
  // issues, instead of at the API after half the stack was created.
  for (const [i, pattern] of patterns.entries()) {
    const checked = validatePattern(pattern);
    if (!checked.ok) {
      throw new Error(
        `generated rule pattern ${i + 1} is invalid: ${checked.issues.map((x) => `${x.path || "(pattern)"}: ${x.message}`).join("; ")}`,
      );
    }
  }
  const homeRules = patterns.map((pattern, i) => {
    const name = `CloudTrailWrites${i + 1}`;
    const rule = new aws.cloudwatch.EventRule(name, {
      description: `Phantom: CloudTrail writes (${i + 1}/${patterns.length}) to the Changes queue`,
      // Verbatim: our patterns may use a top-level `$or` (one branch per service).
      eventPattern: JSON.stringify(pattern),
      state: "ENABLED",
    });
    new aws.cloudwatch.EventTarget(`${name}Target`, { rule: rule.name, arn: changes.arn });
    return rule;
  });
  new aws.sqs.QueuePolicy("ChangesPolicy", {
    queueUrl: changes.url,
    policy: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CloudTrailWritesRules",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: ["sqs:SendMessage"],
          Resource: [changes.arn],
          Condition: { ArnEquals: { "aws:SourceArn": homeRules.map((rule) => rule.arn) } },
        },
      ],
    },
  });

  const forwarded = forwardingRegions(options);
  /** Forwarding rules in `regions` (and the home region too in a member account) ► the home bus. */
  const forward = (prefix: string, role: { readonly arn: O }, opts?: ResourceOptions<P>) => {
    const home = opts !== undefined && options.homeRegion !== undefined ? options.homeRegion : undefined;
    const regions = [...(home ? [{ region: home, patterns: patternsForRegion(home) }] : []), ...forwarded];
    for (const { region, patterns } of regions) {
      for (const [i, pattern] of patterns.entries()) {
        const name = `${prefix}${pascal(region)}Rule${i + 1}`;
        const rule = new aws.cloudwatch.EventRule(
          name,
          {
            region,
            description: `Phantom: forward CloudTrail writes (${i + 1}/${patterns.length}) to the home bus`,
            eventPattern: JSON.stringify(pattern),
            state: "ENABLED",
          },
          opts,
        );
        new aws.cloudwatch.EventTarget(
          `${name}Target`,
          { region, rule: rule.name, arn: homeBus, roleArn: role.arn },
          opts,
        );
      }
    }
  };
  const forwarderRole = (prefix: string, opts?: ResourceOptions<P>) => {
    const role = new aws.iam.Role(
      `${prefix}Forwarder`,
      {
        description: "Phantom: lets EventBridge put matching events on the home bus",
        assumeRolePolicy: {
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["sts:AssumeRole"], Principal: { Service: "events.amazonaws.com" } },
          ],
        },
      },
      opts,
    );
    new aws.iam.RolePolicy(
      `${prefix}ForwarderPolicy`,
      {
        role: role.name,
        policy: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: [...DOMAIN_EVENT_ACTIONS], Resource: [homeBus] }],
        },
      },
      opts,
    );
    return role;
  };

  if (forwarded.length > 0) forward("Forward", forwarderRole("Forward"));

  // Every member account may put events on the home bus (its forwarding rules target it).
  for (const member of options.memberAccounts) {
    new aws.cloudwatch.EventPermission(`Member${member}BusPermission`, {
      principal: member,
      statementId: `phantom-${member}`,
      action: "events:PutEvents",
      eventBusName: "default",
    });
  }
  // Member accounts deployed from this app (PHANTOM_DEPLOY_MEMBERS_FROM_APP); otherwise the StackSet
  // of `phantom org template` creates the same forwarding and read role.
  for (const member of options.deployMembers ? options.memberAccounts : []) {
    const prefix = `Member${member}`;
    const opts: ResourceOptions<P> = {
      provider: new aws.Provider(prefix, {
        region: homeRegion,
        assumeRoles: [
          {
            roleArn: `arn:aws:iam::${member}:role/${options.memberDeployRoleName}`,
            sessionName: "phantom-deploy",
          },
        ],
      }),
    };
    forward(prefix, forwarderRole(prefix, opts), opts);
    const read = new aws.iam.Role(
      `${prefix}Read`,
      {
        name: options.readRoleName,
        description: "Phantom: read-only access and drift detection for the central reactor",
        assumeRolePolicy: {
          Version: "2012-10-17",
          Statement: [
            {
              // The reactor's function roles (their path) inside the organisation, never the whole
              // central account.
              Effect: "Allow",
              Action: ["sts:AssumeRole"],
              Principal: { AWS: $interpolate`arn:aws:iam::${account}:root` },
              Condition: {
                ArnLike: {
                  "aws:PrincipalArn": $interpolate`arn:aws:iam::${account}:role${REACTOR_ROLE_PATH}*`,
                },
                StringEquals: { "aws:PrincipalOrgID": options.organizationId ?? "" },
              },
            },
          ],
        },
      },
      opts,
    );
    // What drift detection and Cloud Control's read handlers read, as the member template grants it:
    // read-level actions only, never a secret's value, in managed policies (they exceed inline limits).
    const chunks = readHandlerPolicyActions();
    for (const [i, chunk] of chunks.entries()) {
      const policy = new aws.iam.Policy(
        `${prefix}ReadHandlers${i + 1}`,
        {
          description: `Phantom: what drift detection and Cloud Control read handlers read (${i + 1}/${chunks.length})`,
          policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: chunk, Resource: ["*"] }] },
        },
        opts,
      );
      new aws.iam.RolePolicyAttachment(
        `${prefix}ReadHandlers${i + 1}Attachment`,
        { role: read.name, policyArn: policy.arn },
        opts,
      );
    }
    new aws.iam.RolePolicy(
      `${prefix}ReadDrift`,
      {
        role: read.name,
        policy: {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: actions(
                STACK_LOOKUP_ACTIONS,
                STACK_LIST_ACTIONS,
                STACK_TAGS_ACTIONS,
                DEPLOYED_TEMPLATE_ACTIONS,
                RESOURCE_DRIFT_ACTIONS,
                STACK_DRIFT_ACTIONS,
              ),
              Resource: [`arn:aws:cloudformation:*:${member}:stack/*/*`],
            },
            {
              Effect: "Allow",
              Action: actions(DETECTION_STATUS_ACTIONS, TYPE_CONFIGURATION_ACTIONS),
              Resource: ["*"],
            },
            {
              Effect: "Allow",
              Action: [...FORWARDING_CHECK_ACTIONS],
              Resource: [`arn:aws:events:*:${member}:rule/*`],
            },
          ],
        },
      },
      opts,
    );
  }

  return { changesQueue: changes.url, settleQueue: settle.url, windowsTable: windows.name };
}
