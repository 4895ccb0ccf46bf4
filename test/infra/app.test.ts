import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BEDROCK_GEOGRAPHIES, BEDROCK_MODEL, defaultBedrockModel } from "../../core/analysis/model.ts";
import { CATALOG } from "../../core/catalog/entries.ts";
import { eventPatterns } from "../../core/pattern/generate.ts";
import { WINDOW_TABLE } from "../../functions/adapters/dynamo-window-store.ts";
import {
  DLQ_RETRY,
  defineApp,
  type FunctionArgs,
  GLOBAL_SERVICES,
  homePatterns,
  LAMBDA_RUNTIME,
  patternsForRegion,
  SWEEP_DELIVERY,
  TIMEOUTS,
} from "../../functions/infra/app.ts";
import {
  isReadLevel,
  LIVE_READ_ACTIONS,
  READ_HANDLER_PERMISSIONS,
  refusedReadPermissions,
  SENSITIVE_READS,
} from "../../functions/infra/cloudcontrol-read.ts";
import {
  IMPLIED_ACTIONS,
  MANAGED_POLICIES,
  READ_ONLY_ACCESS,
  WILDCARD_RESOURCE_ACTIONS,
} from "../../functions/infra/iam.ts";
import { readHandlerPolicyActions } from "../../functions/infra/member-template.ts";
import {
  type AppOptions,
  AppOptionsError,
  DEFAULT_APP_OPTIONS,
  DEFAULT_SWEEP_SCHEDULE,
  type DeployFiles,
  NO_FILES,
  NODE_FILES,
  readAppOptions,
} from "../../functions/infra/options.ts";
import { readSweepConfig } from "../../functions/on-sweep.ts";
import { readRuntimeConfig } from "../../functions/runtime.ts";
import { readSecrets, SECRET_NAMES, SECRET_PLACEHOLDER } from "../../functions/secrets.ts";
import {
  durationSeconds,
  type Recording,
  recordingPlatform,
  rendered,
  resourcesOf,
  statementsOf,
  type Token,
} from "./recorder.ts";

const HOME_BUS = "arn:aws:events:<region>:<account>:event-bus/default";
const STACKS = "arn:aws:cloudformation:*:<account>:stack/*/*";
const ON_CHANGE = "functions/on-change.handler";
const ON_SETTLE = "functions/on-settle.handler";
const ON_SWEEP = "functions/on-sweep.handler";

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

/** A function's grants: action ► the resources it is granted on (sorted). */
function grants(recording: Recording, handler: string): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const p of fn(recording, handler).permissions) {
    for (const a of p.actions) map[a] = [...(map[a] ?? []), ...p.resources.map(String)].sort();
  }
  return map;
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

/** Rules on the home bus (no `region`: the provider's, i.e. home) and forwarding rules (a `region`). */
const homeRules = (recording: Recording) =>
  resourcesOf(recording, "aws.cloudwatch.EventRule").filter((r) => r.args.region === undefined);
const forwardingRules = (recording: Recording) =>
  resourcesOf(recording, "aws.cloudwatch.EventRule").filter((r) => r.args.region !== undefined);

function sources(pattern: unknown): string[] {
  const text = JSON.stringify(pattern);
  return [...text.matchAll(/"source":\["(aws\.[a-z0-9-]+)"\]/g)].map((m) => m[1] as string);
}

/** The environment as the function sees it: tokens replaced by sample deploy-time values. */
function deployedEnv(f: FunctionArgs<Token>, region = "eu-west-1"): Record<string, string> {
  const sample: Record<string, string> = {
    "Windows.name": "phantom-windows",
    "Settle.url": `https://sqs.${region}.amazonaws.com/123456789012/phantom-settle`,
    "Changes.arn": `arn:aws:sqs:${region}:123456789012:phantom-changes`,
    "Changes.url": `https://sqs.${region}.amazonaws.com/123456789012/phantom-changes`,
  };
  // The deploy-time account and region, as Pulumi renders them.
  const rendered = (v: unknown) =>
    (sample[String(v)] ?? String(v)).replaceAll("<account>", "123456789012").replaceAll("<region>", region);
  return {
    ...Object.fromEntries(Object.entries(f.environment).map(([k, v]) => [k, rendered(v)])),
    AWS_REGION: region,
  };
}

/** The runtime's default model through each geography's profile, and the foundation model it routes to. */
const DEFAULT_MODEL_RESOURCES = [
  ...["us", "eu", "apac", "global"].map(
    (g) => `arn:aws:bedrock:*:<account>:inference-profile/${g}.${BEDROCK_MODEL}`,
  ),
  `arn:aws:bedrock:*::foundation-model/${BEDROCK_MODEL}`,
  `arn:aws:bedrock:::foundation-model/${BEDROCK_MODEL}`,
].sort();

/**
 * What each function is granted, action ► resources: exactly this, no more, no less. Every action
 * is one the function's code sends (functions/infra/iam.ts names the adapter call behind each; the
 * grep-level proof below checks the command is there), or one AWS authorizes a sent call as
 * (`IMPLIED_ACTIONS`).
 */
const EXPECTED_GRANTS: Record<string, Record<string, string[]>> = {
  [ON_CHANGE]: {
    "cloudformation:DescribeStackResources": [STACKS],
    "cloudformation:ListStackResources": [STACKS],
    "dynamodb:GetItem": ["Windows.arn"],
    "dynamodb:PutItem": ["Windows.arn"],
    "dynamodb:UpdateItem": ["Windows.arn"],
    "dynamodb:BatchWriteItem": ["Windows.arn"],
    "dynamodb:DeleteItem": ["Windows.arn"],
    "sqs:SendMessage": ["Settle.arn"],
    "sqs:ChangeMessageVisibility": ["Changes.arn"],
  },
  [ON_SETTLE]: {
    "cloudformation:DetectStackResourceDrift": [STACKS],
    "cloudformation:DescribeStacks": [STACKS],
    "cloudformation:GetTemplate": [STACKS],
    "cloudformation:ListStackResources": [STACKS],
    "cloudformation:BatchDescribeTypeConfigurations": ["*"],
    "cloudformation:GetResource": ["*"],
    "dynamodb:GetItem": ["Windows.arn"],
    "dynamodb:UpdateItem": ["Windows.arn"],
    "sqs:SendMessage": ["Settle.arn"],
    "bedrock:InvokeModel": DEFAULT_MODEL_RESOURCES,
    "events:PutEvents": [HOME_BUS],
  },
  [ON_SWEEP]: {
    "cloudformation:DescribeStacks": [STACKS],
    "cloudformation:ListStacks": [STACKS],
    "cloudformation:DetectStackDrift": [STACKS],
    "cloudformation:DescribeStackResourceDrifts": [STACKS],
    "cloudformation:GetTemplate": [STACKS],
    "cloudformation:DescribeStackDriftDetectionStatus": ["*"],
    "cloudformation:BatchDescribeTypeConfigurations": ["*"],
    "dynamodb:GetItem": ["Windows.arn"],
    "bedrock:InvokeModel": DEFAULT_MODEL_RESOURCES,
    "events:PutEvents": [HOME_BUS],
  },
};

/**
 * The adapters each function's code reaches (through functions/runtime.ts or the handler itself):
 * where the grep-level proof looks for the commands behind its grants.
 */
const ADAPTERS: Record<string, string[]> = {
  [ON_CHANGE]: [
    "cloudformation-directory.ts",
    "dynamo-directory-cache.ts",
    "dynamo-window-store.ts",
    "sqs-timer.ts",
    "sqs-redelivery.ts",
  ],
  [ON_SETTLE]: [
    "dynamo-window-store.ts",
    "sqs-timer.ts",
    "cloudformation-drift.ts",
    "cloudformation-templates.ts",
    "cloudcontrol-live-state.ts",
    "bedrock-analyst.ts",
    "eventbridge-events.ts",
  ],
  [ON_SWEEP]: [
    "cloudformation-stack-drift.ts",
    "dynamo-window-store.ts",
    "cloudformation-templates.ts",
    "bedrock-analyst.ts",
    "eventbridge-events.ts",
  ],
};

/** SDK command classes that send `action` (`service:Name` ► `NameCommand`, with the SDK's aliases). */
function commandsFor(action: string): readonly string[] {
  const implied = IMPLIED_ACTIONS[action];
  if (implied) return implied.by;
  const [service, name = ""] = action.split(":");
  // The DynamoDB document client's GetCommand/PutCommand/UpdateCommand send GetItem/PutItem/UpdateItem.
  if (service === "dynamodb") return [`${name}Command`, `${name.replace(/Item$/, "")}Command`];
  // Bedrock authorizes Converse as InvokeModel.
  if (action === "bedrock:InvokeModel") return ["InvokeModelCommand", "ConverseCommand"];
  // SQS authorizes ChangeMessageVisibilityBatch as ChangeMessageVisibility.
  if (action === "sqs:ChangeMessageVisibility")
    return ["ChangeMessageVisibilityCommand", "ChangeMessageVisibilityBatchCommand"];
  return [`${name}Command`];
}

const source = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("defineApp (single region, single account)", () => {
  const { recording, outputs } = build();

  it("puts one rule per generated pattern on the home default bus, each with the pattern verbatim, targeting Changes", () => {
    const patterns = homePatterns();
    const rules = homeRules(recording);
    expect(rules.map((r) => JSON.parse(String(r.args.eventPattern)))).toEqual(patterns);
    for (const rule of rules) {
      expect(rule.args.eventPattern).toBe(JSON.stringify(patterns[rules.indexOf(rule)]));
      expect(rule.args.state).toBe("ENABLED");
      expect(rule.args).not.toHaveProperty("eventBusName");
    }
    const targets = resourcesOf(recording, "aws.cloudwatch.EventTarget");
    expect(targets.map((t) => [String(t.args.rule), String(t.args.arn), t.args.roleArn])).toEqual(
      rules.map((r) => [`${r.name}.name`, "Changes.arn", undefined]),
    );
  });

  it("admits EventBridge to the Changes queue only for its own rules (aws:SourceArn)", () => {
    const policies = resourcesOf(recording, "aws.sqs.QueuePolicy");
    expect(policies).toHaveLength(1);
    const [policy] = policies;
    expect(String(policy?.args.queueUrl)).toBe("Changes.url");
    expect(rendered(policy?.args.policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CloudTrailWritesRules",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: ["sqs:SendMessage"],
          Resource: ["Changes.arn"],
          Condition: { ArnEquals: { "aws:SourceArn": homeRules(recording).map((r) => `${r.name}.arn`) } },
        },
      ],
    });
    expect(homeRules(recording)).toHaveLength(homePatterns().length);
  });

  it("declares the queues with their DLQs and redrive (maxReceiveCount)", () => {
    expect([...recording.queues.keys()].sort()).toEqual([
      "Changes",
      "ChangesDlq",
      "Settle",
      "SettleDlq",
      "SweepDlq",
    ]);
    expect(recording.queues.get("Changes")?.dlq).toEqual({
      queue: expect.objectContaining({ text: "ChangesDlq.arn" }),
      retry: DLQ_RETRY,
    });
    expect(recording.queues.get("Settle")?.dlq).toEqual({
      queue: expect.objectContaining({ text: "SettleDlq.arn" }),
      retry: DLQ_RETRY,
    });
    for (const dlq of ["ChangesDlq", "SettleDlq", "SweepDlq"])
      expect(recording.queues.get(dlq)).toBeUndefined();
    expect(DLQ_RETRY).toBeGreaterThanOrEqual(3);
  });

  it("subscribes on-change and on-settle with deliberate batching and partial batch responses", () => {
    const byQueue = Object.fromEntries(recording.subscriptions.map((s) => [s.queue, s]));
    expect(byQueue.Changes?.fn.handler).toBe(ON_CHANGE);
    expect(byQueue.Changes?.args.batch).toEqual({ size: 10, window: "5 seconds", partialResponses: true });
    expect(byQueue.Settle?.fn.handler).toBe(ON_SETTLE);
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
    expect(durationSeconds(fn(recording, ON_CHANGE).timeout)).toBe(TIMEOUTS.onChange);
    expect(durationSeconds(fn(recording, ON_SETTLE).timeout)).toBe(TIMEOUTS.onSettle);
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
    expect(cron?.fn.handler).toBe(ON_SWEEP);
    expect(durationSeconds(cron?.fn.timeout ?? "")).toBeLessThanOrEqual(900);
  });

  it("retries the sweep's delivery and dead-letters it to SweepDlq (Scheduler's retry policy and DLQ)", () => {
    const [cron] = recording.crons;
    // `dlq` as CronV2's argument: SST then lets the schedule's role send to it.
    expect(String(cron?.args.dlq)).toBe("SweepDlq.arn");
    expect(rendered(cron?.target)).toEqual({
      arn: "SweepHandler.arn",
      roleArn: "SweepRole.arn",
      retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      deadLetterConfig: { arn: "SweepDlq.arn" },
    });
    expect(SWEEP_DELIVERY).toEqual({ retries: 2, maximumEventAgeInSeconds: 3600 });
  });

  it("declares the windows table with TTL from the store's own definition", () => {
    expect([...recording.tables]).toEqual([["Windows", WINDOW_TABLE.sst]]);
    expect(recording.tables.get("Windows")?.ttl).toBe("expiresAt");
    expect(String(outputs.windowsTable)).toBe("Windows.name");
  });

  it("declares every secret with the placeholder, which the runtime reads as unset", () => {
    expect(recording.secrets.map((s) => [s.name, s.placeholder])).toEqual(
      SECRET_NAMES.map((name) => [name, SECRET_PLACEHOLDER]),
    );
    const placeholders = Object.fromEntries(
      SECRET_NAMES.map((name) => [name, { value: SECRET_PLACEHOLDER }]),
    );
    expect(readSecrets(placeholders)).toEqual({});
  });

  it("links the Datadog keys to on-change and every secret to on-settle and on-sweep, and nothing else", () => {
    const names = (handler: string) =>
      (fn(recording, handler).link ?? []).map((ref) => recording.secrets.find((s) => s.ref === ref)?.name);
    expect(names(ON_CHANGE)).toEqual(["DatadogApiKey", "DatadogAppKey"]);
    expect(names(ON_SETTLE)).toEqual([...SECRET_NAMES]);
    expect(names(ON_SWEEP)).toEqual([...SECRET_NAMES]);
  });

  it("gives every function the environment the composition root parses, and nothing else", () => {
    for (const [handler, f] of functions(recording)) {
      expect(Object.keys(f.environment).sort(), handler).toEqual([
        "PHANTOM_ACCOUNTS",
        "PHANTOM_CHANGES_QUEUE_URL",
        "PHANTOM_EVENT_BUS",
        "PHANTOM_HOME_ACCOUNT",
        "PHANTOM_REGIONS",
        "PHANTOM_SETTLE_QUEUE_URL",
        "PHANTOM_WINDOWS_TABLE",
      ]);
      const config = readRuntimeConfig(deployedEnv(f, "eu-west-1"));
      expect(config.table, handler).toBe("phantom-windows");
      expect(config.settleQueueUrl, handler).toContain("phantom-settle");
      expect(config.changesQueueUrl, handler).toContain("phantom-changes");
      expect(config.eventBus, handler).toBe("default");
      // No model deployed: the runtime picks the profile of the function's geography.
      expect(config.bedrockModel, handler).toBe(defaultBedrockModel("eu-west-1"));
      expect(config.analyzer, handler).toBe("bedrock");
      // One account and region served: the reactor's own (an event of another is `unknown-account`).
      expect(config.reach, handler).toEqual({
        homeAccount: "123456789012",
        homeRegion: "eu-west-1",
        accounts: ["123456789012"],
        regions: ["eu-west-1"],
        readRoleName: "PhantomReadOnly",
      });
      // Its role sits under the path member read roles trust.
      expect(f.transform?.role?.path, handler).toBe("/phantom/");
    }
    // The sweep sweeps its own region, in its own account.
    expect(readSweepConfig(deployedEnv(fn(recording, ON_SWEEP), "eu-west-1")).regions).toEqual(["eu-west-1"]);
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
    expect(fn(recording, ON_CHANGE).policies ?? []).toEqual([]);
  });

  it("grants each function exactly the actions its code sends, on their ARNs (no extra grant, none missing)", () => {
    for (const handler of [ON_CHANGE, ON_SETTLE, ON_SWEEP]) {
      expect(grants(recording, handler), handler).toEqual(EXPECTED_GRANTS[handler]);
    }
  });

  // A grep-level proof: each granted action is backed by an SDK command the function's adapters
  // construct (`new XCommand(`), or by one AWS authorizes as that action too (IMPLIED_ACTIONS). It
  // shows the command exists in that code, not that a given invocation sends it.
  it("backs every expected action with a command constructed in the adapters the function reaches", () => {
    // The composition root builds each place's AWS ports in functions/accounts.ts.
    const composition = `${source("functions/runtime.ts")}\n${source("functions/accounts.ts")}`;
    for (const [handler, files] of Object.entries(ADAPTERS)) {
      const handlerFile = source(`${handler.replace(/\.handler$/, "")}.ts`);
      for (const file of files) {
        // The function's code does reach the adapter: its handler or the composition root imports it.
        expect(`${handlerFile}\n${composition}`, `${handler} ► ${file}`).toContain(`./adapters/${file}`);
      }
      const code = files.map((file) => source(`functions/adapters/${file}`)).join("\n");
      for (const action of Object.keys(EXPECTED_GRANTS[handler] ?? {})) {
        const sent = commandsFor(action).filter((command) => code.includes(`new ${command}(`));
        expect(sent, `${handler} ${action}: one of ${commandsFor(action).join(", ")}`).not.toEqual([]);
      }
    }
  });

  it("documents every implied action and names commands that exist", () => {
    const adapters = [
      "cloudformation-drift.ts",
      "cloudformation-stack-drift.ts",
      "cloudformation-templates.ts",
      "cloudcontrol-live-state.ts",
    ].map((file) => source(`functions/adapters/${file}`));
    for (const [action, { by, reason }] of Object.entries(IMPLIED_ACTIONS)) {
      expect(reason.length, action).toBeGreaterThan(20);
      for (const command of by)
        expect(adapters.join("\n"), `${action} by ${command}`).toContain(`new ${command}(`);
    }
    // ListStacks is implied by the sweep's DescribeStacks without a stack name.
    expect(source("functions/adapters/cloudformation-stack-drift.ts")).toContain(
      "new DescribeStacksCommand(token ? { NextToken: token } : {})",
    );
  });

  it("creates no forwarding, member or cross-account resources", () => {
    expect(forwardingRules(recording)).toEqual([]);
    expect(resourcesOf(recording, "aws.iam.Role")).toEqual([]);
    expect(resourcesOf(recording, "aws.iam.RolePolicy")).toEqual([]);
    expect(resourcesOf(recording, "aws.cloudwatch.EventPermission")).toEqual([]);
    expect(recording.providers).toEqual([]);
    for (const [handler, f] of functions(recording)) {
      expect(Object.keys(grants(recording, handler)), handler).not.toContain("sts:AssumeRole");
      expect(Object.keys(f.environment), handler).not.toContain("PHANTOM_READ_ROLE");
    }
  });
});

describe("the live read's grants (Cloud Control and its read handlers)", () => {
  const { recording } = build();
  const settle = grants(recording, ON_SETTLE);
  const catalogued = new Set<string>();
  // Every `AWS::Service::Type` the catalog's sources name (its entries and the ARN / EC2-id readers).
  for (const file of ["entries.ts", "physical-id.ts", "resolve.ts"]) {
    for (const match of source(`core/catalog/${file}`).matchAll(/"(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)"/g)) {
      catalogued.add(match[1] as string);
    }
  }
  for (const entry of CATALOG) {
    for (const touch of entry.touches) if (touch.type.startsWith("AWS::")) catalogued.add(touch.type);
  }

  it("grants only on-settle cloudformation:GetResource (Cloud Control's IAM prefix), and the read handlers' reads through ReadOnlyAccess", () => {
    expect(LIVE_READ_ACTIONS).toEqual(["cloudformation:GetResource"]);
    expect(settle["cloudformation:GetResource"]).toEqual(["*"]);
    expect(fn(recording, ON_SETTLE).policies).toContain(READ_ONLY_ACCESS);
    // The sweep's windows have no events, so nothing is blind there; on-change reacts to nothing.
    for (const handler of [ON_CHANGE, ON_SWEEP]) {
      expect(grants(recording, handler)["cloudformation:GetResource"], handler).toBeUndefined();
    }
  });

  it("knows the read handler of every resource type the catalog can name (a new type fails here, by name)", () => {
    expect(catalogued.size).toBeGreaterThan(60);
    expect([...catalogued].filter((type) => !Object.hasOwn(READ_HANDLER_PERMISSIONS, type)).sort()).toEqual(
      [],
    );
  });

  it("needs only read-level actions from the handlers; what else a schema lists is refused, never granted", () => {
    const refused = refusedReadPermissions(catalogued);
    const all = Object.values(grants(recording, ON_SETTLE)).length;
    expect(all).toBeGreaterThan(0);
    for (const type of catalogued) {
      for (const action of READ_HANDLER_PERMISSIONS[type] ?? []) {
        expect(isReadLevel(action) || refused.has(action), `${type} ${action}`).toBe(true);
      }
    }
    for (const [action, why] of refused) {
      expect(why.length, action).toBeGreaterThan(20);
      for (const handler of [ON_CHANGE, ON_SETTLE, ON_SWEEP]) {
        expect(grants(recording, handler)[action], `${handler} ${action}`).toBeUndefined();
      }
    }
    // The sensitive reads and the writes some schemas list (WAF associations, PassRole) are refused.
    for (const action of [...Object.keys(SENSITIVE_READS), "iam:PassRole"]) {
      if ([...catalogued].some((type) => READ_HANDLER_PERMISSIONS[type]?.includes(action))) {
        expect(refused.has(action), action).toBe(true);
      }
    }
    expect(isReadLevel("wafv2:AssociateWebACL")).toBe(false);
    expect(isReadLevel("apigateway:GET")).toBe(true);
  });
});

describe("Bedrock access", () => {
  const arnMatches = (pattern: string, arn: string) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^:]*")}$`).test(arn);

  it("without a deployed model, covers the model the runtime picks in every region", () => {
    const { recording } = build();
    const granted = grants(recording, ON_SETTLE)["bedrock:InvokeModel"] ?? [];
    expect(grants(recording, ON_SWEEP)["bedrock:InvokeModel"]).toEqual(granted);
    expect(grants(recording, ON_CHANGE)["bedrock:InvokeModel"]).toBeUndefined();
    const regions = [
      "us-east-1",
      "us-west-2",
      "eu-west-1",
      "eu-central-1",
      "ap-southeast-2",
      "ca-central-1",
      "sa-east-1",
    ];
    const geographies = new Set<string>();
    for (const region of regions) {
      const model = defaultBedrockModel(region);
      geographies.add(model.split(".")[0] ?? "");
      const profile = `arn:aws:bedrock:${region}:<account>:inference-profile/${model}`;
      expect(
        granted.some((p) => arnMatches(p, profile)),
        profile,
      ).toBe(true);
      // The profile routes to the foundation model in other regions, or region-less for `global.`.
      for (const where of ["us-west-2", "eu-north-1", ""]) {
        const foundation = `arn:aws:bedrock:${where}::foundation-model/${BEDROCK_MODEL}`;
        expect(
          granted.some((p) => arnMatches(p, foundation)),
          foundation,
        ).toBe(true);
      }
    }
    expect([...geographies].sort()).toEqual([...BEDROCK_GEOGRAPHIES].sort());
    // Only this model: no other model or profile.
    expect(
      granted.some((p) => arnMatches(p, "arn:aws:bedrock:us-east-1::foundation-model/other-model")),
    ).toBe(false);
  });

  it("with a deployed model, sets PHANTOM_BEDROCK_MODEL and scopes InvokeModel to it", () => {
    const modelId = "eu.anthropic.claude-haiku-4-5-20251001-v1:0";
    const { recording } = build({ bedrockModelId: modelId });
    for (const [handler, f] of functions(recording)) {
      expect(readRuntimeConfig(deployedEnv(f, "eu-west-1")).bedrockModel, handler).toBe(modelId);
    }
    expect(grants(recording, ON_SETTLE)["bedrock:InvokeModel"]).toEqual(
      [
        `arn:aws:bedrock:*:<account>:inference-profile/${modelId}`,
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0",
      ].sort(),
    );
  });
});

describe("defineApp (options)", () => {
  it("tells the functions the Datadog site when one is deployed", () => {
    const { recording } = build({ datadogSite: "datadoghq.eu" });
    for (const [handler, f] of functions(recording)) {
      expect(f.environment.DD_SITE, handler).toBe("datadoghq.eu");
      expect(readRuntimeConfig(deployedEnv(f)).datadogSite, handler).toBe("datadoghq.eu");
    }
  });

  it("ships the config file to every function when it exists", () => {
    const { recording } = build({ configFile: "config/phantom.yaml" });
    for (const [handler, f] of functions(recording)) {
      expect(f.copyFiles, handler).toEqual([{ from: "config/phantom.yaml", to: "phantom.yaml" }]);
      expect(f.environment.PHANTOM_CONFIG_FILE, handler).toBe("phantom.yaml");
      expect(readRuntimeConfig(deployedEnv(f)).configFile, handler).toBe("phantom.yaml");
    }
  });

  it("tells only the sweep which stacks to sweep", () => {
    const { recording } = build({ stackPrefix: "payments-", stackTag: "team=payments" });
    const sweep = readSweepConfig(deployedEnv(fn(recording, ON_SWEEP)));
    expect(sweep.filter).toEqual({ prefix: "payments-", tag: { key: "team", value: "payments" } });
    expect(fn(recording, ON_SETTLE).environment.PHANTOM_STACK_PREFIX).toBeUndefined();
  });

  it("forwards us-east-1's global-service events to a home region elsewhere", () => {
    const { recording } = build({ homeRegion: "eu-west-1" });
    const east = forwardingRules(recording);
    expect(east.map((r) => r.args.region)).toEqual(east.map(() => "us-east-1"));
    const eastSources = new Set(east.flatMap((x) => sources(JSON.parse(String(x.args.eventPattern)))));
    expect([...eastSources].every((s) => GLOBAL_SERVICES.includes(s.slice(4)))).toBe(true);
    expect(eastSources).toContain("aws.iam");
    expect(homeRules(recording).map((r) => JSON.parse(String(r.args.eventPattern)))).toEqual(homePatterns());
  });

  it("needs no us-east-1 forwarding when the reactor lives there", () => {
    const { recording } = build({ homeRegion: "us-east-1" });
    expect(forwardingRules(recording)).toEqual([]);
  });
});

describe("defineApp (extra regions)", () => {
  const { recording } = build({ homeRegion: "eu-west-1", regions: ["us-east-1", "eu-central-1"] });
  const inRegion = (region: string) => forwardingRules(recording).filter((r) => r.args.region === region);

  it("keeps the home rules equal to the catalog's patterns (they also match forwarded events)", () => {
    expect(homeRules(recording).map((r) => JSON.parse(String(r.args.eventPattern)))).toEqual(homePatterns());
    expect(grants(recording, ON_SETTLE)["events:PutEvents"]).toEqual([
      "arn:aws:events:eu-west-1:<account>:event-bus/default",
    ]);
  });

  it("adds one forwarding rule set per extra region, with IAM and CloudFront sources only in us-east-1", () => {
    expect(inRegion("us-east-1").map((r) => JSON.parse(String(r.args.eventPattern)))).toEqual(
      patternsForRegion("us-east-1"),
    );
    expect(inRegion("eu-central-1").map((r) => JSON.parse(String(r.args.eventPattern)))).toEqual(
      patternsForRegion("eu-central-1"),
    );
    expect(forwardingRules(recording)).toHaveLength(
      inRegion("us-east-1").length + inRegion("eu-central-1").length,
    );
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
    for (const s of regional) {
      if (eventPatterns(CATALOG.filter((e) => `aws.${e.service}` === s)).length > 0)
        expect(watched).toContain(s);
    }
  });

  it("targets the home bus through a forwarder role allowed only events:PutEvents on it", () => {
    const targets = resourcesOf(recording, "aws.cloudwatch.EventTarget").filter((t) => t.args.region);
    expect(targets).toHaveLength(forwardingRules(recording).length);
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

  it("keeps the Changes queue policy to the home rules (forwarded events arrive through them)", () => {
    const [policy] = resourcesOf(recording, "aws.sqs.QueuePolicy");
    const condition = JSON.stringify(rendered(policy?.args.policy));
    for (const rule of forwardingRules(recording)) expect(condition).not.toContain(`${rule.name}.arn`);
  });

  it("tells every function the regions it serves, so the sweep walks them", () => {
    for (const [handler, f] of functions(recording)) {
      expect(String(f.environment.PHANTOM_REGIONS), handler).toBe("eu-west-1,us-east-1,eu-central-1");
    }
    const sweep = readSweepConfig(deployedEnv(fn(recording, ON_SWEEP)));
    expect(sweep.regions).toEqual(["eu-west-1", "us-east-1", "eu-central-1"]);
    // Several places: the sweep checks each has a rule delivering to Phantom, and may ask.
    expect(sweep.forwardTo).toEqual({
      bus: "arn:aws:events:eu-west-1:123456789012:event-bus/default",
      changesQueue: "arn:aws:sqs:eu-west-1:123456789012:phantom-changes",
    });
    expect(grants(recording, ON_SWEEP)["events:ListRuleNamesByTarget"]).toEqual([
      "arn:aws:events:*:<account>:rule/*",
    ]);
    expect(grants(recording, ON_SETTLE)["events:ListRuleNamesByTarget"]).toBeUndefined();
  });
});

describe("defineApp (member accounts deployed from the app)", () => {
  const member = "111111111111";
  const { recording } = build({
    homeRegion: "eu-west-1",
    memberAccounts: [member],
    organizationId: "o-a1b2c3d4e5",
    deployMembers: true,
  });

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
    // Trusted: the reactor's roles (their path) in the central account, inside the organisation.
    expect(rendered(read?.args.assumeRolePolicy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: ["sts:AssumeRole"],
          Principal: { AWS: "arn:aws:iam::<account>:root" },
          Condition: {
            ArnLike: { "aws:PrincipalArn": "arn:aws:iam::<account>:role/phantom/*" },
            StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" },
          },
        },
      ],
    });
    // Least privilege, as the member template: the read handlers' read-level actions in managed
    // policies attached to the read role, no ReadOnlyAccess.
    const policies = resourcesOf(recording, "aws.iam.Policy");
    const chunks = readHandlerPolicyActions();
    expect(policies.map((p) => statementsOf(p.args.policy))).toEqual(
      chunks.map((actions) => [{ actions, resources: ["*"] }]),
    );
    for (const p of policies) expect(p.opts?.provider).toBe(provider);
    expect(
      resourcesOf(recording, "aws.iam.RolePolicyAttachment").map((r) => [
        String(r.args.role),
        String(r.args.policyArn),
      ]),
    ).toEqual(policies.map((p) => [`Member${member}Read.name`, `${p.name}.arn`]));
    const granted = chunks.flat();
    expect(granted.every((a) => isReadLevel(a) && !Object.hasOwn(SENSITIVE_READS, a))).toBe(true);
    expect(granted).toContain("ec2:DescribeSecurityGroups");
  });

  it("lets every function assume the members' read role, and nothing else, and tells them the accounts", () => {
    for (const [handler, f] of functions(recording)) {
      const expected = Object.fromEntries(
        Object.entries(EXPECTED_GRANTS[handler] ?? {}).map(([action, resources]) => [
          action,
          resources.map((r) => r.replace("<region>", "eu-west-1")),
        ]),
      );
      expect(grants(recording, handler), handler).toEqual({
        ...expected,
        "sts:AssumeRole": [`arn:aws:iam::${member}:role/PhantomReadOnly`],
        // The sweep checks each place forwards to the home bus (functions/on-sweep.ts).
        ...(handler === ON_SWEEP
          ? { "events:ListRuleNamesByTarget": ["arn:aws:events:*:<account>:rule/*"] }
          : {}),
      });
      const config = readRuntimeConfig(deployedEnv(f));
      expect(config.reach.accounts, handler).toEqual(["123456789012", member]);
      expect(config.reach.readRoleName, handler).toBe("PhantomReadOnly");
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

/** In-memory files for readAppOptions. */
function files(entries: Record<string, string>): DeployFiles & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    exists: (path) => path in entries,
    read: (path) => {
      reads.push(path);
      const text = entries[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
  };
}

function optionsError(read: () => unknown): AppOptionsError {
  try {
    read();
  } catch (error) {
    if (error instanceof AppOptionsError) return error;
    throw error;
  }
  throw new Error("readAppOptions did not throw");
}

describe("readAppOptions", () => {
  it("defaults to one region and one account, the runtime's model and site, and no config file when absent", () => {
    const absent = files({});
    expect(readAppOptions({}, absent)).toEqual({
      regions: [],
      memberAccounts: [],
      deployMembers: false,
      readRoleName: "PhantomReadOnly",
      memberDeployRoleName: "OrganizationAccountAccessRole",
      analyzer: "bedrock",
      sweepSchedule: DEFAULT_SWEEP_SCHEDULE,
    });
    expect(absent.reads).toEqual([]);
    expect(readAppOptions({}, NO_FILES)).toEqual(DEFAULT_APP_OPTIONS);
  });

  it("reads every option", () => {
    const options = readAppOptions(
      {
        PHANTOM_DEPLOY_HOME_REGION: "eu-west-1",
        PHANTOM_DEPLOY_REGIONS: "eu-west-1",
        PHANTOM_DEPLOY_BEDROCK_MODEL_ID: "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        PHANTOM_DEPLOY_ANALYZER: "rules",
        PHANTOM_DEPLOY_DD_SITE: "datadoghq.eu",
        PHANTOM_DEPLOY_SWEEP_SCHEDULE: "rate(7 days)",
        PHANTOM_DEPLOY_STACK_PREFIX: "payments-",
        PHANTOM_DEPLOY_STACK_TAG: "team=payments",
        PHANTOM_CONFIG: "config/phantom.yaml",
      },
      files({ "config/phantom.yaml": "windows:\n  quietPeriod: 90s\n" }),
    );
    expect(options).toEqual({
      homeRegion: "eu-west-1",
      // The home region listed again is no extra region.
      regions: [],
      memberAccounts: [],
      deployMembers: false,
      readRoleName: "PhantomReadOnly",
      memberDeployRoleName: "OrganizationAccountAccessRole",
      bedrockModelId: "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
      analyzer: "rules",
      datadogSite: "datadoghq.eu",
      sweepSchedule: "rate(7 days)",
      stackPrefix: "payments-",
      stackTag: "team=payments",
      configFile: "config/phantom.yaml",
    });
  });

  it("with the rules analyzer, tells the functions so and grants no Bedrock action", () => {
    const rules = build({ analyzer: "rules" }).recording;
    for (const [handler, f] of functions(rules)) {
      expect(f.environment.PHANTOM_ANALYZER, handler).toBe("rules");
      expect(
        f.permissions.flatMap((p) => p.actions).filter((a) => a.startsWith("bedrock:")),
        handler,
      ).toEqual([]);
    }
  });

  it("takes extra regions and member accounts; members need the organisation their read role trusts", () => {
    const options = readAppOptions(
      {
        PHANTOM_DEPLOY_HOME_REGION: "eu-west-1",
        PHANTOM_DEPLOY_REGIONS: "eu-west-1,us-east-1",
        PHANTOM_DEPLOY_MEMBER_ACCOUNTS: "111111111111,222222222222",
        PHANTOM_DEPLOY_ORG_ID: "o-a1b2c3d4e5",
      },
      NO_FILES,
    );
    expect(options).toMatchObject({
      regions: ["us-east-1"],
      memberAccounts: ["111111111111", "222222222222"],
      organizationId: "o-a1b2c3d4e5",
      deployMembers: false,
    });
    const error = optionsError(() =>
      readAppOptions(
        { PHANTOM_DEPLOY_MEMBER_ACCOUNTS: "111111111111", PHANTOM_DEPLOY_ORG_ID: "org-1" },
        NO_FILES,
      ),
    );
    expect(error.issues).toEqual(["PHANTOM_DEPLOY_ORG_ID must be an organization id such as o-a1b2c3d4e5"]);
    const missing = optionsError(() =>
      readAppOptions({ PHANTOM_DEPLOY_MEMBER_ACCOUNTS: "111111111111" }, NO_FILES),
    );
    expect(missing.issues).toEqual([
      expect.stringMatching(
        /^PHANTOM_DEPLOY_ORG_ID is required with PHANTOM_DEPLOY_MEMBER_ACCOUNTS: .*organisation/,
      ),
    ]);
  });

  it("reports every problem at once, the config file's too", () => {
    const error = optionsError(() =>
      readAppOptions(
        {
          PHANTOM_DEPLOY_REGIONS: "mars-1",
          PHANTOM_DEPLOY_DD_SITE: "https://datadoghq.eu",
          PHANTOM_DEPLOY_SWEEP_SCHEDULE: "weekly",
        },
        files({ "phantom.yaml": "windows:\n  quietPeriod: soon\nignore:\n  - {}\ncolour: blue\n" }),
      ),
    );
    expect(error.message).toMatch(/^Phantom cannot be deployed as configured:\n {2}- /);
    expect(error.issues).toEqual([
      "PHANTOM_DEPLOY_REGIONS.0 must be a region such as eu-west-1",
      "PHANTOM_DEPLOY_DD_SITE must be a Datadog site such as datadoghq.eu",
      "PHANTOM_DEPLOY_SWEEP_SCHEDULE must be cron(...) or rate(...)",
      expect.stringMatching(/^phantom\.yaml: windows\.quietPeriod: "soon" is not a duration/),
      expect.stringMatching(/^phantom\.yaml: ignore\[0\]: an ignore rule needs at least one of/),
      expect.stringMatching(/^phantom\.yaml: \(top level\): .*colour/),
    ]);
  });

  it("refuses a config file that is not YAML, with its line", () => {
    const error = optionsError(() => readAppOptions({}, files({ "phantom.yaml": "windows: [\n" })));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatch(/^phantom\.yaml: .*line \d+/);
  });

  describe("on the deploying machine's files", () => {
    const dir = mkdtempSync(join(tmpdir(), "phantom-options-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("validates the file it ships", () => {
      const good = join(dir, "good.yaml");
      writeFileSync(good, "serviceAutomation: include\n");
      expect(readAppOptions({ PHANTOM_CONFIG: good }, NODE_FILES).configFile).toBe(good);
      const bad = join(dir, "bad.yaml");
      writeFileSync(bad, "serviceAutomation: sometimes\n");
      expect(optionsError(() => readAppOptions({ PHANTOM_CONFIG: bad }, NODE_FILES)).issues).toEqual([
        expect.stringMatching(new RegExp(`^${bad.replace(/[.\\]/g, "\\$&")}: serviceAutomation: `)),
      ]);
      expect(
        readAppOptions({ PHANTOM_CONFIG: join(dir, "absent.yaml") }, NODE_FILES).configFile,
      ).toBeUndefined();
    });
  });
});

describe("sst.config.ts", () => {
  type Config = {
    app(input: { stage: string }): { name: string; removal: string; home: string };
    run(): Promise<Record<string, unknown>>;
  };

  /** Evaluates sst.config.ts against fresh stand-in globals and `env` (no PHANTOM_* from the shell). */
  async function withConfig<T>(
    env: Record<string, string>,
    use: (config: Config, recording: Recording) => Promise<T>,
  ): Promise<T> {
    const { platform, recording } = recordingPlatform();
    const g = globalThis as Record<string, unknown>;
    const savedGlobals = Object.fromEntries(
      ["$config", "sst", "aws", "$interpolate"].filter((k) => k in g).map((k) => [k, g[k]]),
    );
    const savedEnv = { ...process.env };
    for (const key of Object.keys(process.env)) if (key.startsWith("PHANTOM_")) delete process.env[key];
    Object.assign(process.env, env);
    g.$config = (config: unknown) => config;
    g.sst = platform.sst;
    g.aws = platform.aws;
    g.$interpolate = platform.$interpolate;
    try {
      // A computed specifier keeps tsc (which has no SST globals) from compiling sst.config.ts.
      const specifier = new URL("../../sst.config.ts", import.meta.url).href;
      const { default: config } = (await import(specifier)) as { default: Config };
      return await use(config, recording);
    } finally {
      for (const key of ["$config", "sst", "aws", "$interpolate"]) {
        if (key in savedGlobals) g[key] = savedGlobals[key];
        else delete g[key];
      }
      for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
      Object.assign(process.env, savedEnv);
    }
  }

  it("evaluates run() against the stand-in globals and builds the same app", async () => {
    await withConfig({ PHANTOM_CONFIG: "no-such-phantom.yaml" }, async (config, recording) => {
      expect(config.app({ stage: "production" })).toMatchObject({
        name: "phantom",
        removal: "retain",
        home: "aws",
      });
      expect(config.app({ stage: "dev" }).removal).toBe("remove");
      const outputs = await config.run();
      expect(Object.keys(outputs).sort()).toEqual(["changesQueue", "settleQueue", "windowsTable"]);
      expect(homeRules(recording)).toHaveLength(homePatterns().length);
      expect(recording.subscriptions.map((s) => s.queue).sort()).toEqual(["Changes", "Settle"]);
      expect(recording.crons.map((c) => c.name)).toEqual(["Sweep"]);
    });
  });

  it("fails the deploy, before declaring anything, on an invalid phantom.yaml, listing every problem", async () => {
    const dir = mkdtempSync(join(tmpdir(), "phantom-deploy-"));
    try {
      const file = join(dir, "phantom.yaml");
      writeFileSync(file, "windows:\n  maxWait: 1m\n  quietPeriod: 5m\nenvironment: ''\n");
      await withConfig({ PHANTOM_CONFIG: file }, async (config, recording) => {
        const error = await config.run().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(AppOptionsError);
        expect((error as AppOptionsError).issues).toEqual([
          expect.stringMatching(/phantom\.yaml: windows: maxWait must not be shorter than quietPeriod$/),
          expect.stringMatching(/phantom\.yaml: environment: /),
        ]);
        expect(recording.queues.size).toBe(0);
        expect(recording.resources).toEqual([]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails the deploy on a refused option", async () => {
    await withConfig({ PHANTOM_DEPLOY_MEMBER_ACCOUNTS: "111111111111" }, async (config) => {
      await expect(config.run()).rejects.toThrow(/PHANTOM_DEPLOY_ORG_ID is required/);
    });
  });
});

describe("defineApp (member accounts through the StackSet)", () => {
  const member = "111111111111";
  const { recording } = build({
    homeRegion: "eu-west-1",
    memberAccounts: [member],
    organizationId: "o-a1b2c3d4e5",
  });

  it("deploys nothing in the member (the member template does) but lets it put events and lets the functions read it", () => {
    expect(recording.providers).toEqual([]);
    expect(resourcesOf(recording, "aws.iam.Role").filter((r) => r.name.startsWith("Member"))).toEqual([]);
    expect(resourcesOf(recording, "aws.cloudwatch.EventPermission").map((r) => r.args.principal)).toEqual([
      member,
    ]);
    expect(grants(recording, ON_SETTLE)["sts:AssumeRole"]).toEqual([
      `arn:aws:iam::${member}:role/PhantomReadOnly`,
    ]);
  });
});
