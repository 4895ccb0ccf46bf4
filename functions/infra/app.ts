import { CATALOG } from "../../core/catalog/entries.ts";
import type { CatalogEntry } from "../../core/catalog/types.ts";
import { type EventPattern, eventPatterns } from "../../core/pattern/generate.ts";
import { WINDOW_TABLE } from "../adapters/dynamo-window-store.ts";
import {
  bedrockResources,
  DRIFT_WILDCARD_ACTIONS,
  type Input,
  READ_ONLY_ACCESS,
  RESOURCE_DRIFT_ACTIONS,
  STACK_DRIFT_ACTIONS,
  STACK_READ_ACTIONS,
  type Statement,
} from "./iam.ts";
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

/** SST's `Transform<EventRuleArgs>` in its function form: mutate the rule's arguments. */
export type RuleTransform = (args: { eventPattern?: unknown; state?: unknown }) => undefined;

/** Policy documents as Pulumi takes them (values may be deploy-time outputs). */
export interface PolicyDocument<O> {
  readonly Version: "2012-10-17";
  readonly Statement: {
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
      readonly CronV2: new (
        name: string,
        args: { schedule: `cron(${string})` | `rate(${string})`; function: FunctionArgs<O> },
      ) => unknown;
      readonly Bus: {
        subscribeQueue(
          name: string,
          busArn: Input<string, O>,
          queueArn: Input<string, O>,
          args: { transform: { rule: RuleTransform } },
        ): unknown;
      };
    };
    readonly Secret: new (name: string) => unknown;
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
      ) => { readonly name: O };
      readonly EventTarget: new (
        name: string,
        args: { region?: string; rule: O; arn: Input<string, O>; roleArn: O },
        opts?: ResourceOptions<P>,
      ) => unknown;
      readonly EventPermission: new (
        name: string,
        args: { principal: string; statementId: string; action: "events:PutEvents"; eventBusName: "default" },
      ) => unknown;
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
        args: { role: O; policyArn: string },
        opts?: ResourceOptions<P>,
      ) => unknown;
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

/** SQS ► Lambda settings, chosen deliberately (README "Deploy"). */
export const SUBSCRIPTIONS = {
  /** Up to 10 events per invocation, waiting at most 5 s: a console burst is batched, latency stays low. */
  changes: { size: 10, window: "5 seconds", partialResponses: true },
  /** One settle per invocation: each runs a whole reaction (drift, analysis, pull request). */
  settle: { size: 1, partialResponses: true },
} as const satisfies Record<string, QueueSubscriberArgs["batch"]>;

/** Receives before a message moves to its DLQ (`maxReceiveCount`). */
export const DLQ_RETRY = 5;

/** The secrets `sst secret set <Name> <value>` must set before the first deploy. */
export const SECRETS = ["GithubToken", "DatadogApiKey", "DatadogAppKey"] as const;

/** Which patterns a region's rules carry: only us-east-1 watches global services. */
export function patternsForRegion(
  region: string,
  entries: readonly CatalogEntry[] = CATALOG,
): EventPattern[] {
  return region === GLOBAL_EVENTS_REGION
    ? eventPatterns(entries)
    : eventPatterns(entries.filter((e) => !GLOBAL_SERVICES.includes(e.service)));
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
 * neither home nor listed, so IAM/CloudFront changes are never missed.
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

/**
 * Declares Phantom's AWS resources (README "Deploy" lists them, per option):
 * - the windows table (DynamoDB, TTL `expiresAt`);
 * - `Changes` queue + `ChangesDlq` ► on-change; `Settle` queue + `SettleDlq` ► on-settle;
 * - rules on the home region's default bus with the catalog's patterns ► `Changes`;
 * - the weekly `Sweep` (CronV2 ► on-sweep); the secrets; Bedrock access;
 * - per extra region, forwarding rules to the home bus; per member account, forwarding rules, a
 *   read-only role and a bus permission.
 * Invariants: every IAM statement names its actions; visibility timeouts are ≥ 6× the function
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
  const secrets = SECRETS.map((name) => new sst.Secret(name));

  const allRegions = options.homeRegion ? [options.homeRegion, ...options.regions] : [];
  const members = options.memberAccounts;
  const environment: Record<string, Input<string, O>> = {
    PHANTOM_WINDOWS_TABLE: windows.name,
    PHANTOM_SETTLE_QUEUE_URL: settle.url,
    PHANTOM_EVENT_BUS: "default",
    PHANTOM_BEDROCK_MODEL_ID: options.bedrockModelId,
    ...(allRegions.length > 0 ? { PHANTOM_REGIONS: allRegions.join(",") } : {}),
    ...(members.length > 0
      ? { PHANTOM_MEMBER_ACCOUNTS: members.join(","), PHANTOM_READ_ROLE_NAME: options.readRoleName }
      : {}),
    ...(options.configFile ? { PHANTOM_CONFIG_FILE: "phantom.yaml" } : {}),
  };
  const copyFiles = options.configFile ? [{ from: options.configFile, to: "phantom.yaml" }] : undefined;

  const stackRead: Statement<O> = { actions: [...STACK_READ_ACTIONS], resources: [stacks] };
  const table = (actions: string[]): Statement<O> => ({
    actions: actions.map((a) => `dynamodb:${a}`),
    resources: [windows.arn],
  });
  const armSettle: Statement<O> = { actions: ["sqs:SendMessage"], resources: [settle.arn] };
  const bedrock: Statement<O> = {
    actions: ["bedrock:InvokeModel"],
    resources: bedrockResources(options.bedrockModelId, account, $interpolate),
  };
  const publish: Statement<O> = { actions: ["events:PutEvents"], resources: [homeBus] };
  const driftWildcard: Statement<O> = { actions: [...DRIFT_WILDCARD_ACTIONS], resources: ["*"] };
  const assumeRead: Statement<O>[] =
    members.length > 0
      ? [
          {
            actions: ["sts:AssumeRole"],
            resources: members.map((m) => `arn:aws:iam::${m}:role/${options.readRoleName}`),
          },
        ]
      : [];
  const shipped = (args: FunctionArgs<O>): FunctionArgs<O> => ({
    ...args,
    runtime: LAMBDA_RUNTIME,
    ...(copyFiles ? { copyFiles } : {}),
  });

  changes.subscribe(
    shipped({
      handler: "functions/on-change.handler",
      timeout: seconds(TIMEOUTS.onChange),
      memory: "512 MB",
      environment,
      permissions: [stackRead, table(["GetItem", "PutItem", "UpdateItem"]), armSettle, ...assumeRead],
    }),
    { batch: { ...SUBSCRIPTIONS.changes } },
  );
  settle.subscribe(
    shipped({
      handler: "functions/on-settle.handler",
      timeout: seconds(TIMEOUTS.onSettle),
      memory: "1024 MB",
      environment,
      link: secrets,
      permissions: [
        stackRead,
        { actions: [...RESOURCE_DRIFT_ACTIONS], resources: [stacks] },
        driftWildcard,
        table(["GetItem", "PutItem", "UpdateItem"]),
        armSettle,
        bedrock,
        publish,
        ...assumeRead,
      ],
      policies: [READ_ONLY_ACCESS],
    }),
    { batch: { ...SUBSCRIPTIONS.settle } },
  );
  new sst.aws.CronV2("Sweep", {
    schedule: options.sweepSchedule,
    function: shipped({
      handler: "functions/on-sweep.handler",
      timeout: seconds(TIMEOUTS.onSweep),
      memory: "1024 MB",
      environment: {
        ...environment,
        ...(options.stackPrefix ? { PHANTOM_STACK_PREFIX: options.stackPrefix } : {}),
        ...(options.stackTag ? { PHANTOM_STACK_TAG: options.stackTag } : {}),
      },
      link: secrets,
      permissions: [
        stackRead,
        { actions: [...RESOURCE_DRIFT_ACTIONS, ...STACK_DRIFT_ACTIONS], resources: [stacks] },
        driftWildcard,
        table(["GetItem"]),
        bedrock,
        publish,
        ...assumeRead,
      ],
      policies: [READ_ONLY_ACCESS],
    }),
  });

  // The home rules carry every pattern: they also match what other regions and accounts forward.
  for (const [i, pattern] of eventPatterns().entries()) {
    // SST keeps only source/detailType/detail of a pattern; ours may use a top-level `$or` (one
    // branch per service), so the rule gets the generated pattern verbatim.
    const rule: RuleTransform = (args) => {
      args.eventPattern = JSON.stringify(pattern);
      return undefined;
    };
    sst.aws.Bus.subscribeQueue(`CloudTrailWrites${i + 1}`, homeBus, changes.arn, { transform: { rule } });
  }

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
          Statement: [{ Effect: "Allow", Action: ["events:PutEvents"], Resource: [homeBus] }],
        },
      },
      opts,
    );
    return role;
  };

  if (forwarded.length > 0) forward("Forward", forwarderRole("Forward"));

  for (const member of members) {
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
    new aws.cloudwatch.EventPermission(`${prefix}BusPermission`, {
      principal: member,
      statementId: `phantom-${member}`,
      action: "events:PutEvents",
      eventBusName: "default",
    });
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
              Effect: "Allow",
              Action: ["sts:AssumeRole"],
              Principal: { AWS: $interpolate`arn:aws:iam::${account}:root` },
            },
          ],
        },
      },
      opts,
    );
    new aws.iam.RolePolicyAttachment(
      `${prefix}ReadOnly`,
      { role: read.name, policyArn: READ_ONLY_ACCESS },
      opts,
    );
    new aws.iam.RolePolicy(
      `${prefix}ReadDrift`,
      {
        role: read.name,
        policy: {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: [...STACK_READ_ACTIONS, ...RESOURCE_DRIFT_ACTIONS, ...STACK_DRIFT_ACTIONS],
              Resource: [`arn:aws:cloudformation:*:${member}:stack/*/*`],
            },
            { Effect: "Allow", Action: [...DRIFT_WILDCARD_ACTIONS], Resource: ["*"] },
          ],
        },
      },
      opts,
    );
  }

  return { changesQueue: changes.url, settleQueue: settle.url, windowsTable: windows.name };
}
