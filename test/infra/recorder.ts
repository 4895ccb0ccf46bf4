import type { WINDOW_TABLE } from "../../functions/adapters/dynamo-window-store.ts";
import type {
  CronArgs,
  FunctionArgs,
  Platform,
  PolicyDocument,
  QueueArgs,
  QueueSubscriberArgs,
  ResourceOptions,
} from "../../functions/infra/app.ts";

/**
 * A recording stand-in for the SST/Pulumi globals (`sst`, `aws`, `$interpolate`): every component
 * and resource is recorded with its arguments, deploy-time values are readable tokens
 * (`Changes.arn`, `arn:aws:events:<region>:<account>:event-bus/default`), and SST behaviour the
 * wiring relies on is mirrored (one subscriber per queue; CronV2 builds its schedule's target from
 * `retries` and `dlq`, then applies `transform.schedule`).
 */

/** A deploy-time value (a Pulumi Output in SST); its text says where it came from. */
export class Token {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A provider resource (member accounts). */
export class ProviderStub {
  constructor(
    readonly name: string,
    readonly args: { region?: unknown; assumeRoles?: { roleArn: string; sessionName?: string }[] },
  ) {}
}

export interface Subscription {
  readonly queue: string;
  readonly fn: FunctionArgs<Token>;
  readonly args: QueueSubscriberArgs;
}

/** A CronV2 as declared, with the EventBridge Scheduler schedule SST would create from it. */
export interface RecordedCron {
  readonly name: string;
  readonly schedule: string;
  readonly fn: FunctionArgs<Token>;
  readonly args: CronArgs<Token>;
  /** The schedule's `target` after SST's defaults and `transform.schedule`. */
  readonly target: ScheduleTarget;
}

/** The part of an EventBridge Scheduler target that CronV2 fills in. */
export interface ScheduleTarget {
  readonly arn: string;
  readonly roleArn: string;
  readonly retryPolicy?: { maximumRetryAttempts?: number; maximumEventAgeInSeconds?: number };
  readonly deadLetterConfig?: { arn: unknown };
}

/** A secret as declared: its name and placeholder. */
export interface RecordedSecret {
  readonly name: string;
  readonly placeholder?: string;
  /** The object the app links (a stand-in for the `sst.Secret`). */
  readonly ref: object;
}

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly opts?: ResourceOptions<ProviderStub>;
}

/** Everything the app declared. */
export interface Recording {
  readonly queues: Map<string, QueueArgs<Token> | undefined>;
  readonly subscriptions: Subscription[];
  readonly tables: Map<string, typeof WINDOW_TABLE.sst>;
  readonly crons: RecordedCron[];
  readonly secrets: RecordedSecret[];
  readonly providers: ProviderStub[];
  /** Raw Pulumi resources (rules, targets, queue and role policies, roles, bus permissions). */
  readonly resources: RecordedResource[];
}

/** Renders a template literal with tokens as text, like `$interpolate` renders Outputs. */
function render(strings: TemplateStringsArray, values: unknown[]): string {
  return strings.reduce((text, s, i) => text + s + (i < values.length ? String(values[i]) : ""), "");
}

/** Builds the stand-in platform and what it records. */
export function recordingPlatform(): { platform: Platform<Token, ProviderStub>; recording: Recording } {
  const recording: Recording = {
    queues: new Map(),
    subscriptions: [],
    tables: new Map(),
    crons: [],
    secrets: [],
    providers: [],
    resources: [],
  };
  const record = (type: string) =>
    class {
      readonly name: Token;
      readonly arn: Token;
      constructor(name: string, args: object, opts?: ResourceOptions<ProviderStub>) {
        this.name = new Token(`${name}.name`);
        this.arn = new Token(`${name}.arn`);
        recording.resources.push({
          type,
          name,
          args: args as Record<string, unknown>,
          ...(opts ? { opts } : {}),
        });
      }
    };

  class Queue {
    readonly arn: Token;
    readonly url: Token;
    private subscribed = false;
    constructor(
      readonly name: string,
      args?: QueueArgs<Token>,
    ) {
      if (recording.queues.has(name)) throw new Error(`duplicate queue ${name}`);
      recording.queues.set(name, args);
      this.arn = new Token(`${name}.arn`);
      this.url = new Token(`${name}.url`);
    }
    subscribe(fn: FunctionArgs<Token>, args: QueueSubscriberArgs) {
      // SST: "An SQS Queue can only have one subscriber".
      if (this.subscribed) throw new Error(`Cannot subscribe to the "${this.name}" queue multiple times.`);
      this.subscribed = true;
      recording.subscriptions.push({ queue: this.name, fn, args });
      return {};
    }
  }

  const platform: Platform<Token, ProviderStub> = {
    sst: {
      aws: {
        Queue,
        Dynamo: class {
          readonly arn: Token;
          readonly name: Token;
          constructor(name: string, args: typeof WINDOW_TABLE.sst) {
            recording.tables.set(name, args);
            this.arn = new Token(`${name}.arn`);
            this.name = new Token(`${name}.name`);
          }
        },
        CronV2: class {
          constructor(name: string, args: CronArgs<Token>) {
            // SST's schedule target before the transform (cron-v2.ts `createSchedule`).
            const schedule = {
              target: {
                arn: `${name}Handler.arn`,
                roleArn: `${name}Role.arn`,
                retryPolicy: { maximumRetryAttempts: args.retries ?? 0 },
                ...(args.dlq ? { deadLetterConfig: { arn: args.dlq } } : {}),
              } as unknown,
            };
            args.transform?.schedule?.(schedule);
            recording.crons.push({
              name,
              schedule: args.schedule,
              fn: args.function,
              args,
              target: schedule.target as ScheduleTarget,
            });
          }
        },
      },
      Secret: class {
        constructor(name: string, placeholder?: string) {
          recording.secrets.push({ name, ...(placeholder !== undefined ? { placeholder } : {}), ref: this });
        }
      },
    },
    aws: {
      getCallerIdentityOutput: () => ({ accountId: new Token("<account>") }),
      getRegionOutput: () => ({ region: new Token("<region>") }),
      Provider: class extends ProviderStub {
        constructor(name: string, args: ProviderStub["args"]) {
          super(name, args);
          recording.providers.push(this);
        }
      },
      cloudwatch: {
        EventRule: record("aws.cloudwatch.EventRule"),
        EventTarget: record("aws.cloudwatch.EventTarget"),
        EventPermission: record("aws.cloudwatch.EventPermission"),
      },
      sqs: {
        QueuePolicy: record("aws.sqs.QueuePolicy"),
      },
      iam: {
        Role: record("aws.iam.Role"),
        RolePolicy: record("aws.iam.RolePolicy"),
        RolePolicyAttachment: record("aws.iam.RolePolicyAttachment"),
        Policy: record("aws.iam.Policy"),
      },
    },
    $interpolate: (strings, ...values) => new Token(render(strings, values)),
  };
  return { platform, recording };
}

/** Raw resources of one type. */
export function resourcesOf(recording: Recording, type: string): RecordedResource[] {
  return recording.resources.filter((r) => r.type === type);
}

/** A policy document's statements, with tokens rendered. */
export function statementsOf(document: unknown): { actions: string[]; resources: string[] }[] {
  const doc = document as PolicyDocument<Token>;
  return doc.Statement.map((s) => ({
    actions: s.Action,
    resources: (s.Resource ?? []).map(String),
  }));
}

/** Renders tokens in any value (policy conditions, targets) as their text. */
export function rendered(value: unknown): unknown {
  if (value instanceof Token) return value.text;
  if (Array.isArray(value)) return value.map(rendered);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rendered(v)]));
  }
  return value;
}

/** `"6 minutes"` / `"60 seconds"` / `"1 hour"` ► seconds. */
export function durationSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?) (second|minute|hour)s?$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { second: 1, minute: 60, hour: 3600 }[match[2] as "second" | "minute" | "hour"];
  return Number(match[1]) * unit;
}
