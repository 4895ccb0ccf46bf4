import { randomUUID } from "node:crypto";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { client as datadog } from "@datadog/datadog-api-client";
import { Resource } from "sst";
import { z } from "zod";
import { defaultBedrockModel } from "../core/analysis/model.ts";
import { createRulesAnalyst } from "../core/analysis/rules.ts";
import type { Analyst } from "../core/analysis/types.ts";
import type { Clock, Ids } from "../core/clock.ts";
import { parseDuration } from "../core/config/duration.ts";
import type { PhantomConfig } from "../core/config/schema.ts";
import { DEFAULT_CONFIG } from "../core/config/schema.ts";
import type { StackDirectory } from "../core/drift/ports.ts";
import type { ChangeRequests, DomainEvents, MetricPoint, Metrics } from "../core/publish/ports.ts";
import type { ReactPorts } from "../core/reactor/react.ts";
import type { StepObserver } from "../core/reactor/steps.ts";
import { analysisEvent, publicationPoint, throttlePoints, unreachablePoint } from "../core/report/metrics.ts";
import { NO_SIGNALS, type Signals } from "../core/signals/types.ts";
import type { WindowStore } from "../core/window/store.ts";
import type { Timer } from "../core/window/timer.ts";
import { DEFAULT_WINDOW_POLICY, type WindowPolicy } from "../core/window/types.ts";
import {
  awsPorts,
  createPlaces,
  DEFAULT_READ_ROLE,
  type Place,
  type PlacePorts,
  type Places,
  type Reach,
  unreachableBehind,
} from "./accounts.ts";
import {
  awsRetry,
  awsRetryFromEnv,
  DEFAULT_AWS_RETRY,
  observeThrottling,
  type ThrottleTally,
  throttleTally,
} from "./adapters/aws-retry.ts";
import { createBedrockAnalyst } from "./adapters/bedrock-analyst.ts";
import { createDatadogEvents, createDatadogMetrics } from "./adapters/datadog-metrics.ts";
import { createDatadogSignals } from "./adapters/datadog-signals.ts";
import { createDynamoDirectoryCache } from "./adapters/dynamo-directory-cache.ts";
import { createDynamoWindowStore } from "./adapters/dynamo-window-store.ts";
import { createEventBridgeEvents } from "./adapters/eventbridge-events.ts";
import { createGitHubChangeRequests, createOctokit } from "./adapters/github-change-requests.ts";
import { createGitHubTemplateSource } from "./adapters/github-templates.ts";
import { createSqsRedelivery, type Redelivery } from "./adapters/sqs-redelivery.ts";
import { createSqsTimer } from "./adapters/sqs-timer.ts";
import { commaList } from "./config/comma-list.ts";
import { loadConfig } from "./config/load-config.ts";
import { jsonLogger, type Logger } from "./log.ts";
import { gitHubAuth, readSecrets, type Secrets } from "./secrets.ts";

/**
 * The one composition root of the Lambda handlers (on-change, on-settle, on-sweep): reads the
 * environment the SST app sets, the bundled `phantom.yaml` and the linked secrets, and builds the real
 * adapters behind every port `touch`, `settle` and `react` use. Handlers take the result as a
 * parameter, so tests and `phantom rehearse` build it with their own environment, clock and secrets.
 * A secret that is not set turns its port off (one log line and a `phantom.port.disabled` point at
 * cold start), never the function.
 */

const duration = z
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
  });

const accountId = z.string().regex(/^\d{12}$/, "must be 12-digit account ids");

const envSchema = z.object({
  PHANTOM_WINDOWS_TABLE: z
    .string({ error: "is required (the DynamoDB windows table name)" })
    .min(1, "is required (the DynamoDB windows table name)"),
  PHANTOM_SETTLE_QUEUE_URL: z.url({ error: "must be the settle queue URL" }),
  /** on-change's own queue, where it brings a dead invocation's changes back early (sqs-redelivery.ts). */
  PHANTOM_CHANGES_QUEUE_URL: z.url({ error: "must be the changes queue URL" }).optional(),
  /** Override the config file's `windows.quietPeriod` / `windows.maxWait`. */
  PHANTOM_QUIET_PERIOD: duration,
  PHANTOM_MAX_WAIT: duration,
  /** The bundled configuration (`copyFiles`); defaults apply without one. */
  PHANTOM_CONFIG_FILE: z.string().min(1).optional(),
  PHANTOM_EVENT_BUS: z.string().min(1).default("default"),
  /** Model or inference-profile id; default: Claude Sonnet 4.5 through the home region's profile. */
  PHANTOM_BEDROCK_MODEL: z.string().min(1).optional(),
  PHANTOM_ANALYZER: z.enum(["bedrock", "rules"], { error: "must be bedrock or rules" }).default("bedrock"),
  /** Datadog site (`datadoghq.eu`, `us5.datadoghq.com`, ...); default `datadoghq.com`. */
  DD_SITE: z.string().min(1).optional(),
  /** A Datadog API base URL that replaces the site's (a proxy, `phantom rehearse`). */
  DATADOG_HOST: z.url({ error: "must be a URL" }).optional(),
  /** GitHub Enterprise Server's API (`https://ghe.example.com/api/v3`), or a stand-in. */
  GITHUB_API_URL: z.url({ error: "must be a URL" }).optional(),
  AWS_REGION: z.string().optional(),
  /** The reactor's own account (the SST app sets it); its stacks are read with the function's role. */
  PHANTOM_HOME_ACCOUNT: accountId.optional(),
  /** Every account served, home included (comma list); an event from another is `unknown-account`. */
  PHANTOM_ACCOUNTS: commaList(accountId),
  /** Every region served, home included (comma list); the sweep walks accounts × regions. */
  PHANTOM_REGIONS: commaList(
    z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be regions such as eu-west-1"),
  ),
  /** The read role's name in each member account. */
  PHANTOM_READ_ROLE: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, "must be an IAM role name")
    .default(DEFAULT_READ_ROLE),
});

/** The Lambda environment or configuration is invalid; lists every problem. */
export class RuntimeConfigError extends Error {
  override readonly name = "RuntimeConfigError";
}

export interface RuntimeConfig {
  readonly table: string;
  readonly settleQueueUrl: string;
  /** The changes queue (on-change); absent: a dead invocation's changes keep the queue's timeout. */
  readonly changesQueueUrl?: string;
  /** Overrides of the config file's window policy. */
  readonly quietMs?: number;
  readonly maxWaitMs?: number;
  readonly configFile?: string;
  readonly eventBus: string;
  readonly bedrockModel: string;
  readonly analyzer: "bedrock" | "rules";
  readonly datadogSite?: string;
  readonly datadogHost?: string;
  readonly githubApiUrl?: string;
  readonly region?: string;
  /** The accounts and regions served, and how member accounts are read. */
  readonly reach: Reach;
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
    ...(e.PHANTOM_CHANGES_QUEUE_URL ? { changesQueueUrl: e.PHANTOM_CHANGES_QUEUE_URL } : {}),
    ...(e.PHANTOM_QUIET_PERIOD !== undefined ? { quietMs: e.PHANTOM_QUIET_PERIOD } : {}),
    ...(e.PHANTOM_MAX_WAIT !== undefined ? { maxWaitMs: e.PHANTOM_MAX_WAIT } : {}),
    ...(e.PHANTOM_CONFIG_FILE ? { configFile: e.PHANTOM_CONFIG_FILE } : {}),
    eventBus: e.PHANTOM_EVENT_BUS,
    bedrockModel: e.PHANTOM_BEDROCK_MODEL ?? defaultBedrockModel(e.AWS_REGION),
    analyzer: e.PHANTOM_ANALYZER,
    ...(e.DD_SITE ? { datadogSite: e.DD_SITE } : {}),
    ...(e.DATADOG_HOST ? { datadogHost: e.DATADOG_HOST.replace(/\/+$/, "") } : {}),
    ...(e.GITHUB_API_URL ? { githubApiUrl: e.GITHUB_API_URL.replace(/\/+$/, "") } : {}),
    ...(e.AWS_REGION ? { region: e.AWS_REGION } : {}),
    reach: {
      ...(e.PHANTOM_HOME_ACCOUNT ? { homeAccount: e.PHANTOM_HOME_ACCOUNT } : {}),
      ...(e.AWS_REGION ? { homeRegion: e.AWS_REGION } : {}),
      accounts: [...new Set(e.PHANTOM_ACCOUNTS)],
      regions: [...new Set(e.PHANTOM_REGIONS)],
      readRoleName: e.PHANTOM_READ_ROLE,
    },
  };
}

/** Everything a handler needs, as ports. */
export interface Runtime {
  readonly config: PhantomConfig;
  readonly policy: WindowPolicy;
  readonly directory: StackDirectory;
  readonly windows: WindowStore;
  readonly timer: Timer;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly log: Logger;
  /** Intake figures (on-change); best effort. */
  readonly metrics: Metrics;
  /** The ports of `react` (on-settle, on-sweep), for the home account and region. */
  readonly reaction: ReactPorts;
  /**
   * The accounts and regions served, with their clients (functions/accounts.ts). Absent in a runtime
   * built by hand for one place (tests): every place is then served by the ports above.
   */
  readonly places?: Places;
  /**
   * The ports of one place: its directory, and `react`'s ports reading there (drift, live state, tags,
   * deployed templates; the publishing ports are shared). Throws `UnknownAccountError` for an account
   * the deployment does not serve: check `places.serves(account)` first. Call it through
   * {@link portsAt}, which falls back to the home ports when the runtime has no places.
   */
  readonly at?: (place: Place) => PlaceReaction;
  /** Sees each handler step pass (core/reactor/steps.ts); absent in production. */
  readonly observe?: StepObserver;
  /** Brings a dead on-change invocation's changes back within the quiet period (on-change only). */
  readonly redelivery?: Redelivery;
}

/** What {@link Runtime.at} answers: the place's directory and the reaction ports reading there. */
export interface PlaceReaction {
  readonly directory: StackDirectory;
  readonly reaction: ReactPorts;
  /** The place's AWS ports and clients; absent for a runtime without places. */
  readonly ports?: PlacePorts;
}

/** The ports of `place`: `runtime.at(place)`, or the home ports of a runtime built for one place. */
export function portsAt(runtime: Runtime, place: Place): PlaceReaction {
  return runtime.at ? runtime.at(place) : { directory: runtime.directory, reaction: runtime.reaction };
}

/** Whether the runtime serves events of `account` (always for a runtime without places). */
export function servesAccount(runtime: Runtime, account: string | undefined): boolean {
  return runtime.places ? runtime.places.serves(account) : true;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Window ids sort by creation time and never collide: `<stack>-<base36 ms>-<random>`. */
export function randomIds(clock: Clock = systemClock): Ids {
  return { next: (prefix) => `${prefix}-${clock.now().toString(36)}-${randomUUID().slice(0, 8)}` };
}

/** What `createRuntime` takes besides the environment: production defaults, replaced by tests and rehearse. */
export interface RuntimeInputs {
  readonly env?: Record<string, string | undefined>;
  /** SST's `Resource`, or any object of `{value}` entries. */
  readonly resource?: object;
  readonly clock?: Clock;
  readonly log?: Logger;
  /**
   * GitHub asks integrations to pace writes (1 a second, 1 every 3 s for requests that notify):
   * on by default; `phantom rehearse` turns it off against its stand-in, which has no such limit.
   */
  readonly gitHubPacing?: boolean;
  /** `intake` (on-change) builds only what intake uses, so no port it never needs reports itself off. */
  readonly role?: "intake" | "reaction";
  /** Sees each handler step pass: `phantom rehearse --fault crash:…` aborts there; none in production. */
  readonly observe?: StepObserver;
  /** The first step of GitHub's retry waits (ms; Octokit's default 1000); the rehearsal shortens it. */
  readonly gitHubRetryBaseMs?: number;
  /** The first backoff step of Datadog's 5xx retries (ms; default 500); the rehearsal shortens it. */
  readonly datadogRetryBaseMs?: number;
}

/** How long a Bedrock Converse call may take (a whole assessment); `PHANTOM_REQUEST_TIMEOUT` replaces it. */
const BEDROCK_TIMEOUT_MS = 120_000;

/** Metrics that go nowhere: the Datadog port is off. */
const NO_METRICS: Metrics = { emit: async () => {} };

/**
 * Every metrics flush also carries the `phantom.aws.throttled` counts gathered since the last one, so
 * a handler's throttles go out with its own figures (or the next invocation's), with no extra call.
 */
function withThrottles(metrics: Metrics, throttles: ThrottleTally, clock: Clock, region?: string): Metrics {
  return {
    emit: (points) =>
      metrics.emit([...points, ...throttlePoints(clock.now(), throttles.drain(), region ? { region } : {})]),
  };
}

/** Observability never blocks the reactor: a failing sink is logged with what it lost. */
function bestEffortEvents(events: DomainEvents, log: Logger, target: string): DomainEvents {
  return {
    async driftAnalyzed(event) {
      try {
        await events.driftAnalyzed(event);
      } catch (error) {
        log.log("warn", "domain event not delivered", {
          target,
          stack: event.report.stack,
          window: event.report.window.id,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
    },
  };
}

function bestEffortMetrics(metrics: Metrics, log: Logger): Metrics {
  return {
    async emit(points) {
      try {
        await metrics.emit(points);
      } catch (error) {
        log.log("warn", "metrics not delivered", {
          points: points.length,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
    },
  };
}

/** The Datadog events sink of the domain event (the incident timeline next to the monitors). */
function datadogDomainEvents(events: ReturnType<typeof createDatadogEvents>): DomainEvents {
  return {
    driftAnalyzed: (event) =>
      events.analysed(
        analysisEvent(event.report, {
          ...(event.prUrl ? { prUrl: event.prUrl } : {}),
          ...(event.env ? { env: event.env } : {}),
        }),
      ),
  };
}

function fanOut(sinks: readonly DomainEvents[]): DomainEvents {
  return {
    async driftAnalyzed(event) {
      for (const sink of sinks) await sink.driftAnalyzed(event);
    },
  };
}

interface Publishing {
  readonly changeRequests?: ChangeRequests;
  readonly repository?: ReactPorts["templates"]["repository"];
  readonly metrics: Metrics;
  readonly signals: Signals;
  readonly datadogEvents?: DomainEvents;
  readonly disabled: readonly { readonly port: string; readonly reason: string }[];
}

/** The ports behind secrets: GitHub (pull requests, templates) and Datadog (metrics, events, signals). */
function publishing(
  config: RuntimeConfig,
  secrets: Secrets,
  inputs: {
    clock: Clock;
    log: Logger;
    pacing: boolean;
    role: "intake" | "reaction";
    /** Every GitHub and Datadog request's timeout (`PHANTOM_REQUEST_TIMEOUT`). */
    timeoutMs: number;
    gitHubRetryBaseMs?: number;
    datadogRetryBaseMs?: number;
  },
): Publishing {
  const { clock, log } = inputs;
  const disabled: { port: string; reason: string }[] = [];
  const auth = gitHubAuth(secrets);
  let github: Pick<Publishing, "changeRequests" | "repository"> = {};
  if (inputs.role === "intake") {
    // on-change publishes nothing on GitHub: it has no GitHub secret linked.
  } else if (auth.kind === "none") {
    disabled.push({ port: "github", reason: auth.reason });
  } else {
    const octokit = createOctokit({
      auth:
        auth.kind === "token"
          ? auth.token
          : { appId: auth.appId, privateKey: auth.privateKey, installationId: auth.installationId },
      ...(config.githubApiUrl ? { baseUrl: config.githubApiUrl } : {}),
      ...(inputs.pacing ? {} : { throttle: { pacing: false } }),
      ...(inputs.gitHubRetryBaseMs !== undefined
        ? {
            throttle: { pacing: inputs.pacing, retryAfterBaseValue: inputs.gitHubRetryBaseMs },
            retry: { retryAfterBaseValue: inputs.gitHubRetryBaseMs },
          }
        : {}),
      requestTimeoutMs: inputs.timeoutMs,
      logger: log,
    });
    github = {
      changeRequests: createGitHubChangeRequests({ octokit, logger: log }),
      repository: createGitHubTemplateSource({ octokit }),
    };
  }
  const datadogConfig = (authMethods: Record<string, string>) =>
    withRequestTimeout(
      datadog.createConfiguration({
        authMethods,
        ...(config.datadogHost
          ? { baseServer: new datadog.BaseServerConfiguration(config.datadogHost, {}) }
          : {}),
      }),
      inputs.timeoutMs,
    );
  const datadogOptions = {
    ...(config.datadogSite && !config.datadogHost ? { site: config.datadogSite } : {}),
    ...(inputs.datadogRetryBaseMs !== undefined ? { baseDelayMs: inputs.datadogRetryBaseMs } : {}),
  };
  let metrics = NO_METRICS;
  let datadogEvents: DomainEvents | undefined;
  let signals: Signals = { around: async () => NO_SIGNALS };
  if (secrets.DatadogApiKey === undefined) {
    disabled.push({ port: "datadog", reason: "DatadogApiKey is not set: no metrics, events or signals" });
  } else {
    const intake = datadogConfig({ apiKeyAuth: secrets.DatadogApiKey });
    metrics = bestEffortMetrics(createDatadogMetrics({ configuration: intake, ...datadogOptions }), log);
    datadogEvents = bestEffortEvents(
      datadogDomainEvents(createDatadogEvents({ configuration: intake, ...datadogOptions })),
      log,
      "datadog",
    );
    if (inputs.role === "intake") {
      // on-change reads no signals.
    } else if (secrets.DatadogAppKey === undefined) {
      disabled.push({
        port: "datadog-signals",
        reason: "DatadogAppKey is not set: no monitors or metrics read",
      });
    } else {
      signals = createDatadogSignals({
        configuration: datadogConfig({
          apiKeyAuth: secrets.DatadogApiKey,
          appKeyAuth: secrets.DatadogAppKey,
        }),
        ...datadogOptions,
        now: () => clock.now(),
      });
    }
  }
  return {
    ...github,
    metrics,
    signals,
    ...(datadogEvents ? { datadogEvents } : {}),
    disabled,
  };
}

/**
 * Datadog's client waits for an answer as long as the socket lives: every attempt gets its own
 * timeout (the retrying wrappers of the adapters send through this one).
 */
export function withRequestTimeout(configuration: datadog.Configuration, ms: number): datadog.Configuration {
  const inner = configuration.httpApi;
  const httpApi: datadog.HttpLibrary = {
    send(request) {
      request.setHttpConfig({ ...request.getHttpConfig(), signal: AbortSignal.timeout(ms) });
      return inner.send(request);
    },
  };
  return Object.create(configuration, {
    httpApi: { value: httpApi, enumerable: true },
  }) as datadog.Configuration;
}

/** Reads `phantom.yaml` when the app bundled one; a missing or invalid file fails the cold start. */
async function configFrom(config: RuntimeConfig): Promise<PhantomConfig> {
  if (config.configFile === undefined) return DEFAULT_CONFIG;
  return (await loadConfig(config.configFile)).config;
}

/**
 * Builds the production runtime once per Lambda container. The bundled configuration was validated
 * at deploy (`sst.config.ts` loads it too), so a bad file never reaches here unnoticed.
 */
export async function createRuntime(inputs: RuntimeInputs = {}): Promise<Runtime> {
  const env = inputs.env ?? process.env;
  const settings = readRuntimeConfig(env);
  const clock = inputs.clock ?? systemClock;
  const log = inputs.log ?? jsonLogger(undefined, () => clock.now());
  const config = await configFrom(settings);
  const secrets = readSecrets(inputs.resource ?? Resource);
  const region = settings.region ? { region: settings.region } : {};
  // The home account and region, with the function's own role; other places through `places`.
  // One retry policy for every AWS client (full-jitter backoff), its throttles counted per operation,
  // and the directory's answers shared by every container through the windows table.
  const retry = awsRetryFromEnv(env);
  const throttles = throttleTally();
  const dynamo = new DynamoDBClient({ ...region, ...awsRetry(retry) });
  observeThrottling(dynamo, "dynamodb", throttles.record);
  const aws = {
    retry,
    onThrottle: throttles.record,
    directoryCache: createDynamoDirectoryCache({ client: dynamo, table: settings.table }),
  };
  const home = awsPorts({ ...region, clock, aws });
  const places = createPlaces({ reach: settings.reach, clock, aws });
  // The home place: its stacks keep short PR branches, and its windows stored before places are read.
  const homePlace =
    settings.reach.homeAccount && settings.region
      ? { account: settings.reach.homeAccount, region: settings.region }
      : undefined;
  const published = publishing(settings, secrets, {
    clock,
    log,
    pacing: inputs.gitHubPacing ?? true,
    role: inputs.role ?? "reaction",
    timeoutMs: retry.requestTimeoutMs ?? DEFAULT_AWS_RETRY.requestTimeoutMs,
    ...(inputs.gitHubRetryBaseMs !== undefined ? { gitHubRetryBaseMs: inputs.gitHubRetryBaseMs } : {}),
    ...(inputs.datadogRetryBaseMs !== undefined ? { datadogRetryBaseMs: inputs.datadogRetryBaseMs } : {}),
  });
  for (const { port, reason } of published.disabled) log.log("warn", "port disabled", { port, reason });
  const disabledPoints: MetricPoint[] = published.disabled.map(({ port }) =>
    publicationPoint("portDisabled", clock.now(), { port }, region),
  );
  if (disabledPoints.length > 0) await published.metrics.emit(disabledPoints);
  const metrics = withThrottles(published.metrics, throttles, clock, settings.region);

  const observed = <C extends Parameters<typeof observeThrottling>[0]>(client: C, service: string): C => {
    observeThrottling(client, service, throttles.record);
    return client;
  };
  const fallback = createRulesAnalyst(clock);
  const analyst: Analyst =
    settings.analyzer === "rules"
      ? fallback
      : createBedrockAnalyst({
          // A Converse call may take a minute: its timeout is the longer of the policy's and 2 minutes.
          client: new BedrockRuntimeClient({
            ...region,
            maxAttempts: 1,
            requestHandler: {
              requestTimeout:
                retry.requestTimeoutMs !== undefined ? retry.requestTimeoutMs : BEDROCK_TIMEOUT_MS,
            },
          }),
          modelId: settings.bedrockModel,
          fallback,
          now: () => clock.now(),
          logger: log,
        });
  const eventBridge = createEventBridgeEvents({
    client: observed(new EventBridgeClient({ ...region, ...awsRetry(retry) }), "eventbridge"),
    busName: settings.eventBus,
  });
  const policy: WindowPolicy = {
    ...DEFAULT_WINDOW_POLICY,
    quietMs: settings.quietMs ?? config.windows.quietPeriod,
    maxWaitMs: settings.maxWaitMs ?? config.windows.maxWait,
  };
  const reaction: ReactPorts = {
    drift: home.drift,
    live: home.live,
    tags: home.stacks,
    templates: {
      ...(published.repository ? { repository: published.repository } : {}),
      deployed: home.deployed,
    },
    signals: published.signals,
    analyst,
    fallback,
    ...(published.changeRequests ? { changeRequests: published.changeRequests } : {}),
    metrics,
    events: fanOut([eventBridge, ...(published.datadogEvents ? [published.datadogEvents] : [])]),
    config,
    clock,
    // Home stacks keep the branch phantom/<stack>; others name their place (core/publish/request.ts).
    ...(homePlace ? { home: homePlace } : {}),
  };
  const sqs = observed(new SQSClient({ ...region, ...awsRetry(retry) }), "sqs");
  const reactions = new Map<PlacePorts, ReactPorts>();
  const directories = new Map<PlacePorts, StackDirectory>();
  /**
   * A call in a member account whose read role cannot be assumed: logged naming the account and
   * counted (`phantom.account.unreachable`), then thrown as before (on-change retries the event, then
   * its DLQ keeps it; on-settle's reaction is retried), so nothing is lost while the role is fixed.
   */
  const noticed = async <R>(place: Place, call: () => Promise<R>): Promise<R> => {
    try {
      return await call();
    } catch (error) {
      const unreachable = unreachableBehind(error);
      if (unreachable) {
        log.log("warn", "account unreachable", {
          account: unreachable.account,
          region: place.region,
          role: unreachable.roleArn,
          code: unreachable.code,
        });
        await published.metrics.emit([unreachablePoint(clock.now(), unreachable.account, unreachable.code)]);
      }
      throw error;
    }
  };
  return {
    config,
    policy,
    directory: home.directory,
    windows: createDynamoWindowStore({
      client: dynamo,
      table: settings.table,
      ...(homePlace ? { legacyPlace: homePlace } : {}),
    }),
    timer: createSqsTimer({ client: sqs, queueUrl: settings.settleQueueUrl, clock }),
    ...(settings.changesQueueUrl
      ? { redelivery: createSqsRedelivery({ client: sqs, queueUrl: settings.changesQueueUrl, log }) }
      : {}),
    clock,
    ids: randomIds(clock),
    log,
    metrics,
    reaction,
    places,
    ...(inputs.observe ? { observe: inputs.observe } : {}),
    at(place) {
      const ports = places.at(place);
      let at = reactions.get(ports);
      if (at === undefined) {
        const drift = ports.drift;
        at = {
          ...reaction,
          drift: { detect: (stack, ids) => noticed(place, () => drift.detect(stack, ids)) },
          live: ports.live,
          tags: ports.stacks,
          templates: { ...reaction.templates, deployed: ports.deployed },
        };
        reactions.set(ports, at);
        directories.set(ports, {
          ...ports.directory,
          lookup: (resource, where) => noticed(place, () => ports.directory.lookup(resource, where)),
        });
      }
      return { directory: directories.get(ports) ?? ports.directory, reaction: at, ports };
    },
  };
}

/**
 * The runtime of a Lambda container, built on first use: a failed build (a throttled cold-start
 * call) is not cached, so the next invocation tries again instead of failing forever.
 */
export function containerRuntime<R>(build: () => Promise<R>): () => Promise<R> {
  let pending: Promise<R> | undefined;
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
