import type { WINDOW_TABLE } from "../../functions/adapters/dynamo-window-store.ts";
import type {
  FunctionArgs,
  Platform,
  PolicyDocument,
  QueueArgs,
  QueueSubscriberArgs,
  ResourceOptions,
  RuleTransform,
} from "../../functions/infra/app.ts";

/**
 * A recording stand-in for the SST/Pulumi globals (`sst`, `aws`, `$interpolate`): every component
 * and resource is recorded with its arguments, deploy-time values are readable tokens
 * (`Changes.arn`, `arn:aws:events:<region>:<account>:event-bus/default`), and SST behaviour the
 * wiring relies on is mirrored (one subscriber per queue; `transform.rule` mutates the rule args).
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

export interface BusSubscription {
  readonly name: string;
  readonly bus: string;
  readonly queueArn: string;
  /** The rule's arguments after SST's defaults and the transform. */
  readonly rule: { eventPattern?: unknown; state?: unknown };
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
  readonly busSubscriptions: BusSubscription[];
  readonly tables: Map<string, typeof WINDOW_TABLE.sst>;
  readonly crons: { name: string; schedule: string; fn: FunctionArgs<Token> }[];
  readonly secrets: string[];
  readonly providers: ProviderStub[];
  /** Raw Pulumi resources (rules, targets, roles, policies, bus permissions). */
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
    busSubscriptions: [],
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
          constructor(
            name: string,
            args: { schedule: `cron(${string})` | `rate(${string})`; function: FunctionArgs<Token> },
          ) {
            recording.crons.push({ name, schedule: args.schedule, fn: args.function });
          }
        },
        Bus: {
          subscribeQueue(name, busArn, queueArn, args: { transform: { rule: RuleTransform } }) {
            // SST's rule arguments before the transform: its match-all default pattern.
            const rule: { eventPattern?: unknown; state?: unknown } = {
              eventPattern: JSON.stringify({ source: [{ prefix: "" }] }),
              state: "ENABLED",
            };
            args.transform.rule(rule);
            recording.busSubscriptions.push({ name, bus: String(busArn), queueArn: String(queueArn), rule });
            return {};
          },
        },
      },
      Secret: class {
        constructor(name: string) {
          recording.secrets.push(name);
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
      iam: {
        Role: record("aws.iam.Role"),
        RolePolicy: record("aws.iam.RolePolicy"),
        RolePolicyAttachment: record("aws.iam.RolePolicyAttachment"),
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

/** `"6 minutes"` / `"60 seconds"` / `"1 hour"` ► seconds. */
export function durationSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?) (second|minute|hour)s?$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  const unit = { second: 1, minute: 60, hour: 3600 }[match[2] as "second" | "minute" | "hour"];
  return Number(match[1]) * unit;
}
