import { describe, expect, it } from "vitest";
import { CATALOG } from "../../core/catalog/entries.ts";
import { eventPatterns } from "../../core/pattern/generate.ts";
import { DEFAULT_BEDROCK_MODEL_ID } from "../../functions/adapters/bedrock-analyst.ts";
import { WINDOW_TABLE } from "../../functions/adapters/dynamo-window-store.ts";
import {
  DLQ_RETRY,
  defineApp,
  type FunctionArgs,
  GLOBAL_SERVICES,
  LAMBDA_RUNTIME,
  patternsForRegion,
  SECRETS,
  TIMEOUTS,
} from "../../functions/infra/app.ts";
import { MANAGED_POLICIES, WILDCARD_RESOURCE_ACTIONS } from "../../functions/infra/iam.ts";
import {
  type AppOptions,
  AppOptionsError,
  DEFAULT_APP_OPTIONS,
  DEFAULT_SWEEP_SCHEDULE,
  readAppOptions,
} from "../../functions/infra/options.ts";
import { readSweepConfig } from "../../functions/on-sweep.ts";
import { readRuntimeConfig } from "../../functions/runtime.ts";
import {
  durationSeconds,
  type Recording,
  recordingPlatform,
  resourcesOf,
  statementsOf,
  type Token,
} from "./recorder.ts";

const HOME_BUS = "arn:aws:events:<region>:<account>:event-bus/default";

function build(options: Partial<AppOptions> = {}) {
  const { platform, recording } = recordingPlatform();
  const outputs = defineApp(platform, { ...DEFAULT_APP_OPTIONS, ...options });
  return { recording, outputs };
}

/** Every function the app declares: queue subscribers and the cron's. */
function functions(recording: Recording): Map<string, FunctionArgs<Token>> {
  return new Map([
    ...recording.subscriptions.map((s) => [s.fn.handler, s.fn] as const),
    ...recording.crons.map((c) => [c.fn.handler, c.fn] as const),
  ]);
}

function fn(recording: Recording, handler: string): FunctionArgs<Token> {
  const found = functions(recording).get(handler);
  if (!found) throw new Error(`no function ${handler}`);
  return found;
}

/** Every IAM statement the app writes: function permissions and raw role policies. */
function allStatements(recording: Recording): { where: string; actions: string[]; resources: string[] }[] {
  return [
    ...[...functions(recording)].flatMap(([handler, f]) =>
      f.permissions.map((p) => ({ where: handler, actions: p.actions, resources: p.resources.map(String) })),
    ),
    ...resourcesOf(recording, "aws.iam.RolePolicy").flatMap((r) =>
      statementsOf(r.args.policy).map((s) => ({ where: r.name, ...s })),
    ),
    ...resourcesOf(recording, "aws.iam.Role").flatMap((r) =>
      statementsOf(r.args.assumeRolePolicy).map((s) => ({ where: `${r.name} trust`, ...s })),
    ),
  ];
}

function sources(pattern: unknown): string[] {
  const text = JSON.stringify(pattern);
  return [...text.matchAll(/"source":\["(aws\.[a-z0-9-]+)"\]/g)].map((m) => m[1] as string);
}

describe("defineApp (single region, single account)", () => {
  const { recording, outputs } = build();

  it("puts one rule per generated pattern on the default bus, each with the pattern verbatim", () => {
    const patterns = eventPatterns();
    expect(recording.busSubscriptions).toHaveLength(patterns.length);
    for (const [i, subscription] of recording.busSubscriptions.entries()) {
      expect(subscription.bus).toBe(HOME_BUS);
      expect(subscription.queueArn).toBe("Changes.arn");
      expect(subscription.rule.eventPattern).toBe(JSON.stringify(patterns[i]));
      expect(JSON.parse(String(subscription.rule.eventPattern))).toEqual(patterns[i]);
    }
    expect(new Set(recording.busSubscriptions.map((s) => s.name)).size).toBe(patterns.length);
  });

  it("declares the queues with their DLQs and redrive (maxReceiveCount)", () => {
    expect([...recording.queues.keys()].sort()).toEqual(["Changes", "ChangesDlq", "Settle", "SettleDlq"]);
    expect(recording.queues.get("Changes")?.dlq).toEqual({
      queue: expect.objectContaining({ text: "ChangesDlq.arn" }),
      retry: DLQ_RETRY,
    });
    expect(recording.queues.get("Settle")?.dlq).toEqual({
      queue: expect.objectContaining({ text: "SettleDlq.arn" }),
      retry: DLQ_RETRY,
    });
    expect(recording.queues.get("ChangesDlq")).toBeUndefined();
    expect(recording.queues.get("SettleDlq")).toBeUndefined();
    expect(DLQ_RETRY).toBeGreaterThanOrEqual(3);
  });

  it("subscribes on-change and on-settle with deliberate batching and partial batch responses", () => {
    const byQueue = Object.fromEntries(recording.subscriptions.map((s) => [s.queue, s]));
    expect(byQueue.Changes?.fn.handler).toBe("functions/on-change.handler");
    expect(byQueue.Changes?.args.batch).toEqual({ size: 10, window: "5 seconds", partialResponses: true });
    expect(byQueue.Settle?.fn.handler).toBe("functions/on-settle.handler");
    expect(byQueue.Settle?.args.batch).toEqual({ size: 1, partialResponses: true });
    expect(recording.subscriptions).toHaveLength(2);
  });

  it("runs every function on nodejs24.x, the Node major the tests run on", () => {
    const runtimes = [...functions(recording)].map(([handler, f]) => [handler, f.runtime]);
    expect(runtimes).toHaveLength(3);
    for (const [handler, runtime] of runtimes) expect(runtime, handler).toBe("nodejs24.x");
    expect(Number(LAMBDA_RUNTIME.replace(/\D/g, ""))).toBe(Number(process.versions.node.split(".")[0]));
  });

  it("keeps each queue's visibility timeout at least 6x its subscriber's timeout", () => {
    for (const s of recording.subscriptions) {
      const visibility = durationSeconds(recording.queues.get(s.queue)?.visibilityTimeout ?? "30 seconds");
      const timeout = durationSeconds(s.fn.timeout);
      expect(visibility, s.queue).toBeGreaterThanOrEqual(6 * timeout);
    }
    expect(durationSeconds(fn(recording, "functions/on-change.handler").timeout)).toBe(TIMEOUTS.onChange);
    expect(durationSeconds(fn(recording, "functions/on-settle.handler").timeout)).toBe(TIMEOUTS.onSettle);
  });

  it("runs the sweep weekly through CronV2, within Lambda's 15-minute limit", () => {
    expect(recording.crons).toHaveLength(1);
    const [cron] = recording.crons;
    expect(cron?.name).toBe("Sweep");
    expect(cron?.schedule).toBe(DEFAULT_SWEEP_SCHEDULE);
    // cron(minutes hours day-of-month month day-of-week year): one day of the week, every week.
    const fields = /^cron\((.+)\)$/.exec(cron?.schedule ?? "")?.[1]?.split(" ") ?? [];
    expect(fields).toHaveLength(6);
    expect(fields[2]).toBe("?");
    expect(fields[3]).toBe("*");
    expect(fields[4]).toMatch(/^(MON|TUE|WED|THU|FRI|SAT|SUN|[1-7])$/);
    expect(cron?.fn.handler).toBe("functions/on-sweep.handler");
    expect(durationSeconds(cron?.fn.timeout ?? "")).toBeLessThanOrEqual(900);
  });

  it("declares the windows table with TTL from the store's own definition", () => {
    expect([...recording.tables]).toEqual([["Windows", WINDOW_TABLE.sst]]);
    expect(recording.tables.get("Windows")?.ttl).toBe("expiresAt");
    expect(String(outputs.windowsTable)).toBe("Windows.name");
  });

  it("declares the secrets and links them only where they are used, and links nothing else", () => {
    expect(recording.secrets).toEqual([...SECRETS]);
    expect(fn(recording, "functions/on-change.handler").link ?? []).toHaveLength(0);
    expect(fn(recording, "functions/on-settle.handler").link).toHaveLength(SECRETS.length);
    expect(fn(recording, "functions/on-sweep.handler").link).toHaveLength(SECRETS.length);
  });

  it("gives every function the environment its handler parses", () => {
    const sample: Record<string, string> = {
      "Windows.name": "phantom-windows",
      "Settle.url": "https://sqs.eu-west-1.amazonaws.com/123456789012/phantom-settle",
    };
    for (const [handler, f] of functions(recording)) {
      const env = Object.fromEntries(
        Object.entries(f.environment).map(([k, v]) => [k, sample[String(v)] ?? String(v)]),
      );
      expect(f.environment.PHANTOM_WINDOWS_TABLE?.toString(), handler).toBe("Windows.name");
      expect(f.environment.PHANTOM_SETTLE_QUEUE_URL?.toString(), handler).toBe("Settle.url");
      expect(env.PHANTOM_BEDROCK_MODEL_ID).toBe(DEFAULT_BEDROCK_MODEL_ID);
      expect(env.PHANTOM_EVENT_BUS).toBe("default");
      expect(readRuntimeConfig({ ...env, AWS_REGION: "eu-west-1" }).table).toBe("phantom-windows");
    }
    const sweepEnv = fn(recording, "functions/on-sweep.handler").environment;
    const config = readSweepConfig({
      ...Object.fromEntries(Object.entries(sweepEnv).map(([k, v]) => [k, String(v)])),
      AWS_REGION: "eu-west-1",
    });
    expect(config.regions).toEqual(["eu-west-1"]);
  });

  it("names every IAM action explicitly (no `*` anywhere in an action)", () => {
    const statements = allStatements(recording);
    expect(statements.length).toBeGreaterThan(10);
    for (const s of statements) {
      expect(s.actions.length, s.where).toBeGreaterThan(0);
      for (const action of s.actions) expect(action, s.where).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
    }
  });

  it("uses a `*` resource only for actions without resource-level permissions, and only listed managed policies", () => {
    for (const s of allStatements(recording)) {
      if (!s.resources.includes("*")) continue;
      expect(s.resources, s.where).toEqual(["*"]);
      for (const action of s.actions)
        expect(Object.keys(WILDCARD_RESOURCE_ACTIONS), `${s.where} ${action}`).toContain(action);
    }
    for (const [handler, f] of functions(recording)) {
      for (const policy of f.policies ?? []) expect(Object.keys(MANAGED_POLICIES), handler).toContain(policy);
    }
    expect(fn(recording, "functions/on-change.handler").policies ?? []).toEqual([]);
  });

  it("scopes table, queue, bus, stack and Bedrock statements to their ARNs", () => {
    const grants = (handler: string) => {
      const map = new Map<string, string[]>();
      for (const p of fn(recording, handler).permissions) {
        for (const a of p.actions) map.set(a, [...(map.get(a) ?? []), ...p.resources.map(String)]);
      }
      return map;
    };
    const stacks = "arn:aws:cloudformation:*:<account>:stack/*/*";
    const change = grants("functions/on-change.handler");
    expect([...change.keys()].sort()).toEqual([
      "cloudformation:DescribeStackResources",
      "cloudformation:DescribeStacks",
      "cloudformation:GetTemplate",
      "cloudformation:ListStackResources",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "sqs:SendMessage",
    ]);
    expect(change.get("dynamodb:UpdateItem")).toEqual(["Windows.arn"]);
    expect(change.get("sqs:SendMessage")).toEqual(["Settle.arn"]);
    expect(change.get("cloudformation:DescribeStackResources")).toEqual([stacks]);

    const settle = grants("functions/on-settle.handler");
    expect(settle.get("cloudformation:DetectStackResourceDrift")).toEqual([stacks]);
    expect(settle.get("events:PutEvents")).toEqual([HOME_BUS]);
    expect(settle.get("bedrock:InvokeModel")).toEqual([
      `arn:aws:bedrock:*:<account>:inference-profile/${DEFAULT_BEDROCK_MODEL_ID}`,
      `arn:aws:bedrock:*::foundation-model/${DEFAULT_BEDROCK_MODEL_ID.replace(/^us\./, "")}`,
    ]);
    expect(settle.has("cloudformation:DetectStackDrift")).toBe(false);

    const sweep = grants("functions/on-sweep.handler");
    expect(sweep.get("cloudformation:DetectStackDrift")).toEqual([stacks]);
    expect(sweep.get("cloudformation:DescribeStackResourceDrifts")).toEqual([stacks]);
    expect(sweep.get("cloudformation:DescribeStackDriftDetectionStatus")).toEqual(["*"]);
    expect(sweep.get("dynamodb:GetItem")).toEqual(["Windows.arn"]);
    expect(sweep.has("dynamodb:PutItem")).toBe(false);
    expect(sweep.has("sqs:SendMessage")).toBe(false);
  });

  it("creates no forwarding, member or cross-account resources", () => {
    expect(recording.resources).toEqual([]);
    expect(recording.providers).toEqual([]);
  });
});

describe("defineApp (multi-region)", () => {
  const { recording } = build({ homeRegion: "eu-west-1", regions: ["us-east-1", "eu-central-1"] });
  const rules = resourcesOf(recording, "aws.cloudwatch.EventRule");
  const inRegion = (region: string) => rules.filter((r) => r.args.region === region);

  it("keeps the home rules equal to the catalog's patterns (they also match forwarded events)", () => {
    expect(recording.busSubscriptions.map((s) => JSON.parse(String(s.rule.eventPattern)))).toEqual(
      eventPatterns(),
    );
    expect(recording.busSubscriptions[0]?.bus).toBe("arn:aws:events:eu-west-1:<account>:event-bus/default");
  });

  it("adds one forwarding rule set per extra region, with IAM and CloudFront sources only in us-east-1", () => {
    expect(inRegion("us-east-1").map((r) => JSON.parse(String(r.args.eventPattern)))).toEqual(
      patternsForRegion("us-east-1"),
    );
    expect(inRegion("eu-central-1").map((r) => JSON.parse(String(r.args.eventPattern)))).toEqual(
      patternsForRegion("eu-central-1"),
    );
    expect(rules).toHaveLength(inRegion("us-east-1").length + inRegion("eu-central-1").length);
    const east = inRegion("us-east-1").flatMap((r) => sources(JSON.parse(String(r.args.eventPattern))));
    const central = inRegion("eu-central-1").flatMap((r) => sources(JSON.parse(String(r.args.eventPattern))));
    expect(east).toContain("aws.iam");
    expect(east).toContain("aws.cloudfront");
    for (const service of GLOBAL_SERVICES) expect(central).not.toContain(`aws.${service}`);
    // Every regional service is still watched in eu-central-1.
    const regional = new Set(
      CATALOG.filter((e) => !GLOBAL_SERVICES.includes(e.service)).map((e) => `aws.${e.service}`),
    );
    const watched = new Set(central);
    for (const source of regional) {
      if (eventPatterns(CATALOG.filter((e) => `aws.${e.service}` === source)).length > 0)
        expect(watched).toContain(source);
    }
  });

  it("targets the home bus through a forwarder role allowed only events:PutEvents on it", () => {
    const targets = resourcesOf(recording, "aws.cloudwatch.EventTarget");
    expect(targets).toHaveLength(rules.length);
    for (const t of targets) {
      expect(String(t.args.arn)).toBe("arn:aws:events:eu-west-1:<account>:event-bus/default");
      expect(String(t.args.roleArn)).toBe("ForwardForwarder.arn");
    }
    const [role] = resourcesOf(recording, "aws.iam.Role");
    expect(role?.name).toBe("ForwardForwarder");
    expect(JSON.stringify(role?.args.assumeRolePolicy)).toContain("events.amazonaws.com");
    const [policy] = resourcesOf(recording, "aws.iam.RolePolicy");
    expect(statementsOf(policy?.args.policy)).toEqual([
      { actions: ["events:PutEvents"], resources: ["arn:aws:events:eu-west-1:<account>:event-bus/default"] },
    ]);
  });

  it("tells the sweep which regions to sweep", () => {
    expect(fn(recording, "functions/on-sweep.handler").environment.PHANTOM_REGIONS).toBe(
      "eu-west-1,us-east-1,eu-central-1",
    );
  });

  it("adds us-east-1 with the global services alone when it is not watched otherwise", () => {
    const { recording: r } = build({ homeRegion: "eu-west-1", regions: ["eu-central-1"] });
    const east = resourcesOf(r, "aws.cloudwatch.EventRule").filter((x) => x.args.region === "us-east-1");
    expect(east.length).toBeGreaterThan(0);
    const eastSources = new Set(east.flatMap((x) => sources(JSON.parse(String(x.args.eventPattern)))));
    expect([...eastSources].every((s) => GLOBAL_SERVICES.includes(s.slice(4)))).toBe(true);
    expect(eastSources).toContain("aws.iam");
  });

  it("needs no us-east-1 forwarding when the reactor lives there", () => {
    const { recording: r } = build({ homeRegion: "us-east-1", regions: [] });
    expect(r.resources).toEqual([]);
  });
});

describe("defineApp (multi-account)", () => {
  const member = "111111111111";
  const { recording } = build({ homeRegion: "eu-west-1", memberAccounts: [member] });

  it("lets the member account put events on the central default bus", () => {
    const [permission] = resourcesOf(recording, "aws.cloudwatch.EventPermission");
    expect(permission?.args).toEqual({
      principal: member,
      statementId: `phantom-${member}`,
      action: "events:PutEvents",
      eventBusName: "default",
    });
  });

  it("creates the member's forwarding rules, role and read role through a provider assuming its deploy role", () => {
    expect(recording.providers).toHaveLength(1);
    const [provider] = recording.providers;
    expect(provider?.args.assumeRoles).toEqual([
      { roleArn: `arn:aws:iam::${member}:role/OrganizationAccountAccessRole`, sessionName: "phantom-deploy" },
    ]);
    const memberResources = recording.resources.filter((r) => r.name.startsWith(`Member${member}`));
    for (const r of memberResources.filter((x) => x.type !== "aws.cloudwatch.EventPermission")) {
      expect(r.opts?.provider, r.name).toBe(provider);
    }
    const rules = resourcesOf(recording, "aws.cloudwatch.EventRule").filter(
      (r) => r.opts?.provider === provider,
    );
    // Home region (all regional services) plus us-east-1 for the global services.
    expect(
      rules.filter((r) => r.args.region === "eu-west-1").map((r) => JSON.parse(String(r.args.eventPattern))),
    ).toEqual(patternsForRegion("eu-west-1"));
    expect(rules.some((r) => r.args.region === "us-east-1")).toBe(true);
    for (const t of resourcesOf(recording, "aws.cloudwatch.EventTarget").filter(
      (x) => x.opts?.provider === provider,
    )) {
      expect(String(t.args.arn)).toBe("arn:aws:events:eu-west-1:<account>:event-bus/default");
      expect(String(t.args.roleArn)).toBe(`Member${member}Forwarder.arn`);
    }
    const read = resourcesOf(recording, "aws.iam.Role").find((r) => r.name === `Member${member}Read`);
    expect(read?.args.name).toBe("PhantomReadOnly");
    expect(JSON.stringify(read?.args.assumeRolePolicy)).toContain("arn:aws:iam::<account>:root");
    expect(
      resourcesOf(recording, "aws.iam.RolePolicyAttachment").map((r) => [
        r.name,
        String(r.args.role),
        r.args.policyArn,
      ]),
    ).toEqual([
      [`Member${member}ReadOnly`, `Member${member}Read.name`, "arn:aws:iam::aws:policy/ReadOnlyAccess"],
    ]);
  });

  it("lets every function assume exactly the members' read roles", () => {
    for (const [handler, f] of functions(recording)) {
      const assume = f.permissions.filter((p) => p.actions.includes("sts:AssumeRole"));
      expect(assume, handler).toEqual([
        { actions: ["sts:AssumeRole"], resources: [`arn:aws:iam::${member}:role/PhantomReadOnly`] },
      ]);
      expect(f.environment.PHANTOM_MEMBER_ACCOUNTS, handler).toBe(member);
      expect(f.environment.PHANTOM_READ_ROLE_NAME, handler).toBe("PhantomReadOnly");
    }
  });

  it("still names every action and keeps `*` resources to the listed exceptions", () => {
    for (const s of allStatements(recording)) {
      for (const action of s.actions) expect(action, s.where).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
      if (s.resources.includes("*")) {
        for (const action of s.actions) expect(Object.keys(WILDCARD_RESOURCE_ACTIONS)).toContain(action);
      }
    }
  });
});

describe("readAppOptions", () => {
  it("defaults to one region and one account, shipping no config file that is absent", () => {
    expect(readAppOptions({}, () => false)).toEqual({
      regions: [],
      memberAccounts: [],
      readRoleName: "PhantomReadOnly",
      memberDeployRoleName: "OrganizationAccountAccessRole",
      bedrockModelId: DEFAULT_BEDROCK_MODEL_ID,
      sweepSchedule: DEFAULT_SWEEP_SCHEDULE,
    });
  });

  it("reads every option and drops the home region from the extra regions", () => {
    const options = readAppOptions(
      {
        PHANTOM_DEPLOY_HOME_REGION: "eu-west-1",
        PHANTOM_DEPLOY_REGIONS: "eu-west-1, us-east-1,us-east-1",
        PHANTOM_DEPLOY_MEMBER_ACCOUNTS: "111111111111,222222222222",
        PHANTOM_DEPLOY_READ_ROLE_NAME: "DriftReader",
        PHANTOM_DEPLOY_SWEEP_SCHEDULE: "rate(7 days)",
        PHANTOM_DEPLOY_STACK_PREFIX: "payments-",
        PHANTOM_DEPLOY_STACK_TAG: "team=payments",
      },
      (path) => path === "phantom.yaml",
    );
    expect(options).toMatchObject({
      homeRegion: "eu-west-1",
      regions: ["us-east-1"],
      memberAccounts: ["111111111111", "222222222222"],
      readRoleName: "DriftReader",
      sweepSchedule: "rate(7 days)",
      stackPrefix: "payments-",
      stackTag: "team=payments",
      configFile: "phantom.yaml",
    });
  });

  it("reports every problem at once", () => {
    const read = () =>
      readAppOptions({ PHANTOM_DEPLOY_REGIONS: "mars-1", PHANTOM_DEPLOY_MEMBER_ACCOUNTS: "12" }, () => false);
    expect(read).toThrow(AppOptionsError);
    expect(read).toThrow(
      /PHANTOM_DEPLOY_REGIONS.*PHANTOM_DEPLOY_MEMBER_ACCOUNTS.*PHANTOM_DEPLOY_HOME_REGION/s,
    );
  });

  it("ships the config file to every function when it exists", () => {
    const { recording } = build({ configFile: "config/phantom.yaml" });
    for (const [handler, f] of functions(recording)) {
      expect(f.copyFiles, handler).toEqual([{ from: "config/phantom.yaml", to: "phantom.yaml" }]);
      expect(f.environment.PHANTOM_CONFIG_FILE, handler).toBe("phantom.yaml");
    }
  });
});

describe("sst.config.ts", () => {
  it("evaluates run() against the stand-in globals and builds the same app", async () => {
    const { platform, recording } = recordingPlatform();
    const saved = { ...globalThis } as Record<string, unknown>;
    const g = globalThis as Record<string, unknown>;
    g.$config = (config: unknown) => config;
    g.sst = platform.sst;
    g.aws = platform.aws;
    g.$interpolate = platform.$interpolate;
    try {
      // A computed specifier keeps tsc (which has no SST globals) from compiling sst.config.ts.
      const specifier = new URL("../../sst.config.ts", import.meta.url).href;
      const { default: config } = (await import(specifier)) as {
        default: {
          app(input: { stage: string }): { name: string; removal: string; home: string };
          run(): Promise<Record<string, unknown>>;
        };
      };
      expect(config.app({ stage: "production" })).toMatchObject({
        name: "phantom",
        removal: "retain",
        home: "aws",
      });
      expect(config.app({ stage: "dev" }).removal).toBe("remove");
      const outputs = await config.run();
      expect(Object.keys(outputs).sort()).toEqual(["changesQueue", "settleQueue", "windowsTable"]);
      expect(recording.busSubscriptions).toHaveLength(eventPatterns().length);
      expect(recording.subscriptions.map((s) => s.queue).sort()).toEqual(["Changes", "Settle"]);
      expect(recording.crons.map((c) => c.name)).toEqual(["Sweep"]);
    } finally {
      for (const key of ["$config", "sst", "aws", "$interpolate"]) {
        if (key in saved) g[key] = saved[key];
        else delete g[key];
      }
    }
  });
});
