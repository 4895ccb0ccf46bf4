import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { stringify } from "yaml";
import { candidates } from "../../core/change/decode.ts";
import { canonicalKeys } from "../../core/change/normalize.ts";
import { toIsoTime } from "../../core/change/schema.ts";
import { configDocument } from "../../core/config/schema.ts";
import { CLOUDTRAIL_DETAIL_TYPE, eventPatterns } from "../../core/pattern/generate.ts";
import { patternMatcher } from "../../core/pattern/match.ts";
import { templateLocation } from "../../core/publish/location.ts";
import { InvocationAborted } from "../../core/reactor/steps.ts";
import { type Place, samePlace } from "../../core/window/stack.ts";
import { DLQ_RETRY, SUBSCRIPTIONS, TIMEOUTS } from "../infra/app.ts";
import { listCaptureFiles, readCaptureFile } from "../io/read-captures.ts";
import { jsonLogger } from "../log.ts";
import { processChanges } from "../on-change.ts";
import { processSettles } from "../on-settle.ts";
import { createSweepRuntime, processSweep, readSweepConfig } from "../on-sweep.ts";
import { loadRecordedPlaces, type RecordedPlace } from "../replay/recorded-account.ts";
import { loadRecordedSignals, loadSignalsFile } from "../replay/recorded-signals.ts";
import { recordedTemplateSource } from "../replay/recorded-templates.ts";
import type { Scenario } from "../replay/scenario.ts";
import { createRuntime, type Runtime } from "../runtime.ts";
import { asDriver, type FaultSpec, faultPlan } from "./faults.ts";
import { startBedrockStandIn } from "./stand-ins/bedrock.ts";
import { startCloudControlStandIn } from "./stand-ins/cloudcontrol.ts";
import { startCloudFormationStandIn } from "./stand-ins/cloudformation.ts";
import { startDatadogStandIn } from "./stand-ins/datadog.ts";
import { startDynamoStandIn } from "./stand-ins/dynamodb.ts";
import { startEventBridgeStandIn } from "./stand-ins/eventbridge.ts";
import { startGitHubStandIn } from "./stand-ins/github.ts";
import { startPlaceRouter } from "./stand-ins/places.ts";
import { startSqsStandIn } from "./stand-ins/sqs.ts";
import type { RehearsalClock, StandIn } from "./stand-ins/stand-in.ts";
import { startStsStandIn } from "./stand-ins/sts.ts";

/**
 * `phantom rehearse`: the deployed Lambda handlers (on-change, on-settle) built by the production
 * composition root (`createRuntime`: real AWS SDK v3, Octokit and Datadog clients), run exactly as
 * the Lambda runtime calls them (SQS batch events in, `batchItemFailures` out), against local
 * stand-ins on 127.0.0.1 that this module starts and stops: DynamoDB (dynalite), SQS (Changes and
 * Settle with their DLQs), CloudFormation (the scenario's `account/`), Cloud Control (its
 * `account/resources/`: the live state where drift detection is blind), GitHub (one repository per
 * template location, seeded with the templates), Datadog (intake, and reads answered from
 * `signals.json`), Bedrock Converse (the rules analyzer's answer) and EventBridge PutEvents.
 *
 * Time is a rehearsal clock that jumps to the next due thing (an event's `eventTime`, a delayed or
 * in-flight message becoming visible), so a 3-hour capture rehearses in seconds. Events enter the
 * Changes queue as the EventBridge envelopes the rules deliver, and only those the generated
 * patterns match (EventBridge drops the rest before SQS). The poller plays Lambda's event source
 * mapping: batches of 10 from Changes, 1 from Settle, successes deleted, failures left to come back
 * after the visibility timeout and to move to the DLQ after `DLQ_RETRY` receives.
 */

export interface RehearsalOptions {
  /** Override the scenario config's quiet period / max wait (milliseconds). */
  readonly quietMs?: number;
  readonly maxWaitMs?: number;
  /**
   * At least once and out of order, as EventBridge and SQS deliver under load: every copy of a record
   * arrives a random time in `[0, lagMs)` after its `eventTime`, and a share `duplicates` (0–1) of the
   * records arrives once more, a random time in `[0, duplicateLagMs)` (default `lagMs`) after that (an
   * SQS redelivery comes minutes later). `random` in [0, 1) makes it repeatable. Default: each record
   * once, at its `eventTime`.
   */
  readonly disorder?: {
    readonly lagMs: number;
    readonly duplicates: number;
    readonly duplicateLagMs?: number;
    readonly random: () => number;
  };
  /** Every handler invocation once it returned or threw: which handler, its messages, its wall time. */
  readonly onInvocation?: (invocation: {
    readonly handler: string;
    readonly messages: number;
    readonly ms: number;
  }) => void;
  /** Each captured event delivered this many times (EventBridge and SQS are at least once). Default 1. */
  readonly deliveries?: number;
  /** Deliver the whole capture once more this long after everything settled (a replayed archive). */
  readonly redeliverAfterMs?: number;
  /** Run the weekly sweep (on-sweep) once after everything settled, as its schedule would. */
  readonly sweep?: boolean;
  /** Real endpoints (or hostile ones) to use instead of stand-ins; default: the process environment. */
  readonly env?: Record<string, string | undefined>;
  /** Every handler log line, as it is written. */
  readonly onLog?: (line: string) => void;
  /** Failures to inject (`--fault`, functions/rehearse/faults.ts); default none. */
  readonly faults?: readonly FaultSpec[];
}

/** The `--json` document (DESIGN §4 "Rehearsal"). */
export interface RehearsalReport {
  readonly pullRequests: readonly RehearsedPullRequest[];
  readonly metrics: readonly { metric: string; type: string; value: number; tags: readonly string[] }[];
  readonly events: readonly { source: string; detailType: string; detail: unknown }[];
  readonly windows: readonly RehearsedWindow[];
  readonly skipped: readonly { stack: string; window: string; reason: string }[];
  readonly dlq: { readonly changes: number; readonly settle: number };
  /** Windows the rehearsal left open or claimed: a lost window unless its settle message is in the DLQ. */
  readonly unfinished: readonly {
    stack: string;
    account: string;
    region: string;
    window: string;
    status: string;
  }[];
  /** Faults injected (`--fault`): `<service>.<Operation>:<kind>` and `crash:<handler>:<step>` ► how many. */
  readonly faults: Readonly<Record<string, number>>;
  /** Handler invocations that died (a crash fault): their messages came back after the visibility timeout. */
  readonly aborted: number;
  readonly calls: Readonly<Record<string, number>>;
  /** The same, made while each handler ran (`on-change`, `on-settle`, `on-sweep`): what its IAM role must allow. */
  readonly callsByHandler: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Rehearsal-clock milliseconds from the first event to the last message handled. */
  readonly rehearsalMs: number;
  /** Wall-clock milliseconds the rehearsal took (stand-ins included). */
  readonly wallMs: number;
  /** Captured records EventBridge would not have delivered (no rule pattern matches them). */
  readonly filtered: number;
  /** Requests a stand-in could not serve as its service would: a wiring bug, reported loudly. */
  readonly unexpected: readonly string[];
}

export interface RehearsedPullRequest {
  readonly repo: string;
  readonly number: number;
  readonly branch: string;
  readonly title: string;
  readonly body: string;
  readonly files: Readonly<Record<string, string>>;
  readonly labels: readonly string[];
  readonly reviewers: readonly string[];
  readonly commits: number;
  readonly updates: number;
}

export interface RehearsedWindow {
  readonly stack: string;
  readonly account: string;
  readonly region: string;
  readonly id: string;
  readonly settledBy: string;
  readonly events: number;
  readonly touched: readonly string[];
  readonly calls: number;
  /** Live-state reads (Cloud Control GetResource) where drift detection was blind; 0 when none. */
  readonly liveReads: number;
  /** What the window's reaction published: the PR's URL, or why none. */
  readonly pullRequest?: string;
  readonly decisions?: Readonly<Record<string, string>>;
}

/**
 * The windows a run left unfinished that no dead-lettered message accounts for: lost. A claimed
 * window is accounted for by its settle message in the settle DLQ, an open one (its timer never
 * armed) by its changes in the changes DLQ; counted, since a DLQ message names no window.
 */
export function lostWindows(
  report: Pick<RehearsalReport, "unfinished" | "dlq">,
): RehearsalReport["unfinished"] {
  const claimed = report.unfinished.filter((w) => w.status === "claimed");
  const open = report.unfinished.filter((w) => w.status !== "claimed");
  return [
    ...(claimed.length > report.dlq.settle ? claimed : []),
    ...(open.length > 0 && report.dlq.changes === 0 ? open : []),
  ];
}

/** The rehearsal could not run as production would: a stand-in saw requests no service would take. */
export class RehearsalError extends Error {
  override readonly name = "RehearsalError";
}

const REGION = "us-east-1";
const DEFAULT_ACCOUNT = "123456789012";
const CREDENTIALS = { AWS_ACCESS_KEY_ID: "rehearsal", AWS_SECRET_ACCESS_KEY: "rehearsal" };
/** The token the GitHub stand-in accepts and the secret the handlers read. */
const GITHUB_TOKEN = "ghs_rehearsal";
const DATADOG_API_KEY = "0123456789abcdef0123456789abcdef";
const DATADOG_APP_KEY = "fedcba9876543210fedcba9876543210fedcba98";
/** Every client's request timeout when a `timeout` fault holds requests: a held call costs a second a try. */
const HELD_TIMEOUT_MS = 1_000;
const QUEUES = { changes: "Changes", changesDlq: "ChangesDlq", settle: "Settle", settleDlq: "SettleDlq" };
/** Lambda's context as on-change sees it when invoked: its whole timeout ahead (the clock is virtual). */
const onChangeInvocation = { getRemainingTimeInMillis: () => TIMEOUTS.onChange * 1000 };

/** A clock the driver moves forward, never back. */
class SteppingClock implements RehearsalClock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  advance(to: number): void {
    if (to > this.t) this.t = to;
  }
}

interface Delivery {
  readonly at: number;
  readonly order: number;
  readonly body: string;
}

/** The EventBridge envelope a rule delivers to SQS for one CloudTrail record. */
function envelope(record: Record<string, unknown>, account: string): Record<string, unknown> {
  const source = typeof record.eventSource === "string" ? record.eventSource.split(".")[0] : "unknown";
  const time = typeof record.eventTime === "string" ? toIsoTime(record.eventTime) : undefined;
  const detailType =
    record.eventType === "AwsConsoleSignIn" ? "AWS Console Sign In via CloudTrail" : CLOUDTRAIL_DETAIL_TYPE;
  return {
    version: "0",
    id: createHash("sha256").update(JSON.stringify(record)).digest("hex").slice(0, 32),
    "detail-type": detailType,
    source: `aws.${source}`,
    account: typeof record.recipientAccountId === "string" ? record.recipientAccountId : account,
    time: time ?? new Date(0).toISOString(),
    region: typeof record.awsRegion === "string" ? record.awsRegion : REGION,
    resources: [],
    detail: record,
  };
}

/** Every captured record as the envelope EventBridge would deliver, when a rule's pattern matches it. */
async function deliveries(
  scenario: Scenario,
  copies: number,
  disorder?: RehearsalOptions["disorder"],
): Promise<{ deliveries: Delivery[]; filtered: number; account: string }> {
  const matchers = eventPatterns().map((p) => patternMatcher(p));
  const records: Record<string, unknown>[] = [];
  for (const file of await listCaptureFiles(scenario.eventsPaths)) {
    for await (const item of readCaptureFile(file)) {
      if (item.kind === "error") continue;
      for (const { raw } of candidates(item.value)) {
        const record = canonicalKeys(raw);
        if (record !== null && typeof record === "object" && !Array.isArray(record)) {
          records.push(record as Record<string, unknown>);
        }
      }
    }
  }
  const accounts = records.map((r) => r.recipientAccountId).filter((a): a is string => typeof a === "string");
  const account = accounts[0] ?? DEFAULT_ACCOUNT;
  const out: Delivery[] = [];
  let filtered = 0;
  for (const record of records) {
    const event = envelope(record, account);
    if (!matchers.some((match) => match(event))) {
      filtered += 1;
      continue;
    }
    const parsed = Date.parse(event.time as string);
    const at = Number.isFinite(parsed) ? parsed : 0;
    const body = JSON.stringify(event);
    for (let copy = 0; copy < copies; copy++) {
      if (disorder === undefined) {
        out.push({ at, order: out.length, body });
        continue;
      }
      const arrives = at + Math.floor(disorder.random() * disorder.lagMs);
      out.push({ at: arrives, order: out.length, body });
      if (disorder.random() < disorder.duplicates) {
        const later = Math.floor(disorder.random() * (disorder.duplicateLagMs ?? disorder.lagMs));
        out.push({ at: arrives + later, order: out.length, body });
      }
    }
  }
  out.sort((a, b) => a.at - b.at || a.order - b.order);
  return { deliveries: out, filtered, account };
}

async function listFiles(dir: string, prefix = ""): Promise<Record<string, string>> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  const files: Record<string, string> = {};
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(files, await listFiles(path.join(dir, entry.name), rel));
    else if (entry.isFile()) files[rel] = await readFile(path.join(dir, entry.name), "utf8");
  }
  return files;
}

/**
 * The central account of a rehearsal of several places (`accounts/`): the reactor runs there and
 * reaches every recorded place through its read role (the STS stand-in), as a deployment serving
 * member accounts does.
 */
export const CENTRAL_ACCOUNT = "100000000001";

/** One repository per template location, holding the stacks' templates and the scenario's `repo/` files. */
async function repositories(scenario: Scenario, places: readonly RecordedPlace[]) {
  const extra = scenario.root ? await listFiles(path.join(scenario.root, "repo")) : {};
  const repos = new Map<string, Record<string, string>>();
  // Several places may deploy one template from one repository path: it is one file there.
  for (const { dir, account } of places) {
    const templates = recordedTemplateSource(dir);
    for (const stack of account.stacks) {
      const located = templateLocation(stack, scenario.config, account.stackTags(stack));
      if (located.kind !== "found") continue;
      const template = await templates.read(stack, located.location);
      const files = repos.get(located.location.repo) ?? { ...extra };
      if (template) files[template.path] = template.text;
      repos.set(located.location.repo, files);
    }
  }
  return [...repos].map(([repo, files]) => ({ repo, files }));
}

/** Lambda's SQS event for received messages. */
function sqsEvent(
  messages: readonly {
    MessageId?: string;
    ReceiptHandle?: string;
    Body?: string;
    MD5OfBody?: string;
    Attributes?: Record<string, string>;
  }[],
  queueArn: string,
): SQSEvent {
  return {
    Records: messages.map(
      (m): SQSRecord => ({
        messageId: m.MessageId ?? "",
        receiptHandle: m.ReceiptHandle ?? "",
        body: m.Body ?? "",
        attributes: {
          ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
          SentTimestamp: m.Attributes?.SentTimestamp ?? "0",
          SenderId: "AIDAREHEARSAL",
          ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? "0",
        },
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? "",
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: REGION,
      }),
    ),
  };
}

/** Sets `values` on `process.env` (the SDK clients read their endpoints there) and returns the undo. */
function setEnvironment(values: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

interface AnalysedLine {
  readonly message: string;
  readonly account?: string;
  readonly region?: string;
  readonly stack?: string;
  readonly window?: string;
  readonly settledBy?: string;
  readonly events?: number;
  readonly touched?: string[];
  readonly calls?: number;
  readonly liveReads?: number;
  readonly pullRequest?: { url: string };
  readonly skipped?: string;
  /** `[path, decision]` pairs (functions/on-settle.ts `reactionFields`). */
  readonly decisions?: readonly (readonly [string, string])[];
}

/** Runs the rehearsal of one scenario and reports what the deployed path did. */
export async function runRehearsal(
  scenario: Scenario,
  options: RehearsalOptions = {},
): Promise<RehearsalReport> {
  const started = performance.now();
  const env = options.env ?? process.env;
  const recorded = await loadRecordedPlaces(scenario);
  const spans = scenario.places !== undefined;
  const signals = scenario.signalsFile
    ? await loadSignalsFile(scenario.signalsFile)
    : scenario.root
      ? await loadRecordedSignals(scenario.root)
      : undefined;
  const captured = await deliveries(scenario, Math.max(1, options.deliveries ?? 1), options.disorder);
  const start = captured.deliveries[0]?.at ?? Date.parse("2026-01-01T00:00:00Z");
  const clock = new SteppingClock(start);
  const standIns: StandIn[] = [];
  const own = <T extends StandIn>(standIn: T): T => {
    standIns.push(standIn);
    return standIn;
  };
  const scratch = await mkdtemp(path.join(tmpdir(), "phantom-rehearse-"));
  const plan = faultPlan(options.faults ?? []);
  const faults = { faults: plan };
  let restore = () => {};
  try {
    const dynamo = own(await startDynamoStandIn(faults));
    const table = await dynamo.createWindowTable("phantom-rehearsal-windows");
    const sqs = own(
      await startSqsStandIn({
        ...faults,
        clock,
        account: captured.account,
        region: REGION,
        queues: [
          { name: QUEUES.changesDlq },
          { name: QUEUES.settleDlq },
          {
            name: QUEUES.changes,
            visibilityTimeoutSeconds: TIMEOUTS.onChange * TIMEOUTS.visibilityFactor,
            redrive: { deadLetterQueue: QUEUES.changesDlq, maxReceiveCount: DLQ_RETRY },
          },
          {
            name: QUEUES.settle,
            visibilityTimeoutSeconds: TIMEOUTS.onSettle * TIMEOUTS.visibilityFactor,
            redrive: { deadLetterQueue: QUEUES.settleDlq, maxReceiveCount: DLQ_RETRY },
          },
        ],
      }),
    );
    const endpoint = (variable: string, standIn: () => Promise<StandIn>) =>
      env[variable] ? Promise.resolve(env[variable] as string) : standIn().then((s) => own(s).url);
    // Several places: one endpoint per service routes each request to its place's stand-in (the
    // region the SDK signed for, the account of the key); a place with no recording is an empty account.
    const emptyAccount = path.join(scratch, "empty-account");
    await mkdir(emptyAccount, { recursive: true });
    const dirAt = (place: Place) =>
      recorded.find((r) => r.place && samePlace(r.place, place))?.dir ?? emptyAccount;
    const single = recorded[0]?.dir ?? emptyAccount;
    const cloudFormation = await endpoint("AWS_ENDPOINT_URL_CLOUDFORMATION", () =>
      spans
        ? startPlaceRouter({
            homeAccount: CENTRAL_ACCOUNT,
            standInAt: async (place) =>
              own(await startCloudFormationStandIn({ ...faults, accountDir: dirAt(place), clock, ...place })),
          })
        : startCloudFormationStandIn({
            ...faults,
            accountDir: single,
            clock,
            region: REGION,
            account: captured.account,
          }),
    );
    const cloudControl = await endpoint("AWS_ENDPOINT_URL_CLOUDCONTROL", () =>
      spans
        ? startPlaceRouter({
            homeAccount: CENTRAL_ACCOUNT,
            standInAt: async (place) =>
              own(await startCloudControlStandIn({ ...faults, accountDir: dirAt(place) })),
          })
        : startCloudControlStandIn({ ...faults, accountDir: single }),
    );
    const resources = recorded.flatMap(({ account }) =>
      account.stacks.flatMap((stack) =>
        account
          .resources(stack)
          .map((r) => ({ logicalId: r.logicalId, physicalId: r.physicalId, type: r.type })),
      ),
    );
    const datadog = await endpoint("DATADOG_HOST", () =>
      startDatadogStandIn({
        ...faults,
        clock,
        ...(signals ? { signals: signals.recorded } : {}),
        resources,
        apiKey: DATADOG_API_KEY,
        applicationKey: DATADOG_APP_KEY,
      }),
    );
    const bedrock = await endpoint("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", () =>
      startBedrockStandIn({ ...faults, clock }),
    );
    const eventBridge = await endpoint("AWS_ENDPOINT_URL_EVENTBRIDGE", () =>
      startEventBridgeStandIn({ ...faults, clock }),
    );
    const repos = await repositories(scenario, recorded);
    const gitHub = env.GITHUB_API_URL
      ? undefined
      : own(await startGitHubStandIn({ ...faults, repos, token: GITHUB_TOKEN }));
    const configFile = path.join(scratch, "phantom.yaml");
    await writeFile(configFile, stringify(configDocument(scenario.config)));

    restore = setEnvironment({
      ...CREDENTIALS,
      AWS_REGION: REGION,
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_SQS: sqs.url,
      AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation,
      AWS_ENDPOINT_URL_CLOUDCONTROL: cloudControl,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: bedrock,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge,
      AWS_ENDPOINT_URL_STS: await endpoint("AWS_ENDPOINT_URL_STS", () =>
        startStsStandIn({ ...faults, clock }),
      ),
      // A held request (`timeout`) fails after a second a try instead of the production timeouts.
      ...(plan.holds ? { PHANTOM_REQUEST_TIMEOUT: `${HELD_TIMEOUT_MS}ms` } : {}),
      DATADOG_HOST: datadog,
      GITHUB_API_URL: env.GITHUB_API_URL ?? gitHub?.url ?? "",
      PHANTOM_WINDOWS_TABLE: table,
      PHANTOM_SETTLE_QUEUE_URL: sqs.queueUrl(QUEUES.settle),
      PHANTOM_CHANGES_QUEUE_URL: sqs.queueUrl(QUEUES.changes),
      PHANTOM_CONFIG_FILE: configFile,
      // Several places: the reactor runs in a central account and serves every recorded place.
      ...(spans
        ? {
            PHANTOM_HOME_ACCOUNT: CENTRAL_ACCOUNT,
            PHANTOM_ACCOUNTS: [
              CENTRAL_ACCOUNT,
              ...new Set(recorded.flatMap((r) => (r.place ? [r.place.account] : []))),
            ].join(","),
            PHANTOM_REGIONS: [
              ...new Set([REGION, ...recorded.flatMap((r) => (r.place ? [r.place.region] : []))]),
            ].join(","),
          }
        : {}),
      ...(options.quietMs !== undefined ? { PHANTOM_QUIET_PERIOD: `${options.quietMs}ms` } : {}),
      ...(options.maxWaitMs !== undefined ? { PHANTOM_MAX_WAIT: `${options.maxWaitMs}ms` } : {}),
    });
    const lines: AnalysedLine[] = [];
    const inputs = {
      env: process.env,
      clock,
      // `crash:<handler>:<step>` faults abort an invocation right after the step.
      observe: (handler: Parameters<typeof plan.afterStep>[0], step: string) => plan.afterStep(handler, step),
      gitHubPacing: false,
      // GitHub's and Datadog's retry waits are real time: a rehearsal's are a hundredth of theirs.
      gitHubRetryBaseMs: 10,
      datadogRetryBaseMs: 5,
      resource: {
        GithubToken: { value: env.GITHUB_TOKEN ?? GITHUB_TOKEN },
        DatadogApiKey: { value: env.DD_API_KEY ?? DATADOG_API_KEY },
        DatadogAppKey: { value: env.DD_APP_KEY ?? DATADOG_APP_KEY },
      },
      log: jsonLogger(
        (line) => {
          options.onLog?.(line);
          const parsed = JSON.parse(line) as AnalysedLine;
          if (parsed.message === "window analysed") lines.push(parsed);
        },
        () => clock.now(),
      ),
    };
    // One runtime per handler, as each Lambda function has its own container and environment.
    const intake: Runtime = await createRuntime({ ...inputs, role: "intake" });
    const runtime: Runtime = await createRuntime({ ...inputs, role: "reaction" });

    const total = () => {
      const calls = new Map<string, number>();
      for (const standIn of standIns) {
        for (const [key, n] of standIn.calls) calls.set(key, (calls.get(key) ?? 0) + n);
      }
      return calls;
    };
    const byHandler = new Map<string, Map<string, number>>();
    /** Runs one handler invocation and reports its wall time (`onInvocation`). */
    const timed = async <T>(handler: string, event: SQSEvent, run: () => Promise<T>): Promise<T> => {
      const began = performance.now();
      try {
        return await run();
      } finally {
        options.onInvocation?.({ handler, messages: event.Records.length, ms: performance.now() - began });
      }
    };
    /** Runs one handler invocation and books the calls made meanwhile to it (invocations never overlap). */
    const attributed = async <T>(handler: string, run: () => Promise<T>): Promise<T> => {
      const before = total();
      try {
        return await run();
      } finally {
        const booked = byHandler.get(handler) ?? new Map<string, number>();
        for (const [key, n] of total()) {
          const made = n - (before.get(key) ?? 0);
          if (made > 0) booked.set(key, (booked.get(key) ?? 0) + made);
        }
        byHandler.set(handler, booked);
      }
    };

    // Lambda's event source mapping, not a handler: its calls are never faulted.
    const client = asDriver(new SQSClient({ region: REGION, endpoint: sqs.url }));
    let aborted = 0;
    const poll = async (
      queue: string,
      size: number,
      handler: (event: SQSEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>,
    ) => {
      const url = sqs.queueUrl(queue);
      const received = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: size,
          MessageSystemAttributeNames: ["All"],
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length === 0) return false;
      let response: { batchItemFailures: { itemIdentifier: string }[] };
      try {
        response = await handler(sqsEvent(messages, sqs.queueArn(queue)));
      } catch (error) {
        if (!(error instanceof InvocationAborted)) throw error;
        // The function died: nothing is deleted, every message comes back after its visibility timeout.
        aborted += 1;
        return true;
      }
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
      if (done.length > 0) {
        await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: done.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle ?? "" })),
          }),
        );
      }
      return true;
    };

    const pending = [...captured.deliveries];
    let last = start;
    let redelivered = options.redeliverAfterMs === undefined;
    for (let step = 0; step < 1_000_000; step++) {
      while (pending.length > 0 && (pending[0]?.at ?? 0) <= clock.now()) {
        const delivery = pending.shift() as Delivery;
        await client.send(
          new SendMessageCommand({ QueueUrl: sqs.queueUrl(QUEUES.changes), MessageBody: delivery.body }),
        );
      }
      let busy = true;
      while (busy) {
        const changes = await poll(QUEUES.changes, SUBSCRIPTIONS.changes.size, (event) =>
          timed("on-change", event, () =>
            attributed("on-change", () => processChanges(event, intake, onChangeInvocation)),
          ),
        );
        const settles = await poll(QUEUES.settle, SUBSCRIPTIONS.settle.size, (event) =>
          timed("on-settle", event, () => attributed("on-settle", () => processSettles(event, runtime))),
        );
        busy = changes || settles;
        if (busy) last = clock.now();
      }
      const next = [pending[0]?.at, sqs.nextVisibleAt()].filter((t): t is number => t !== undefined);
      if (next.length === 0 && !redelivered) {
        redelivered = true;
        const at = clock.now() + (options.redeliverAfterMs ?? 0);
        pending.push(...captured.deliveries.map((d) => ({ ...d, at })));
        continue;
      }
      if (next.length === 0) break;
      clock.advance(Math.min(...next));
    }
    if (options.sweep) {
      clock.advance(clock.now() + 60_000);
      const sweeper = createSweepRuntime(readSweepConfig(process.env), runtime, async (ms) =>
        clock.advance(clock.now() + ms),
      );
      await attributed("on-sweep", () => processSweep(sweeper));
      last = clock.now();
    }
    client.destroy();

    const unexpected = standIns.flatMap((s) => s.unexpected);
    const calls = Object.fromEntries(total());
    const datadogStandIn = standIns.find((s) => "metrics" in s && "events" in s && "unservable" in s) as
      | Awaited<ReturnType<typeof startDatadogStandIn>>
      | undefined;
    const eventBridgeStandIn = standIns.find((s) => "events" in s && !("metrics" in s)) as
      | Awaited<ReturnType<typeof startEventBridgeStandIn>>
      | undefined;
    return {
      pullRequests: gitHub ? gitHub.pullRequestsSummary() : [],
      metrics: (datadogStandIn?.metrics() ?? []).map((p) => ({
        metric: p.metric,
        type: p.type,
        value: p.value,
        tags: p.tags,
      })),
      events: (eventBridgeStandIn?.events() ?? []).map((e) => ({
        source: e.source,
        detailType: e.detailType,
        detail: e.detail,
      })),
      windows: lines.map((l) => ({
        stack: l.stack ?? "",
        account: l.account ?? captured.account,
        region: l.region ?? REGION,
        id: l.window ?? "",
        settledBy: l.settledBy ?? "",
        events: l.events ?? 0,
        touched: l.touched ?? [],
        calls: l.calls ?? 0,
        liveReads: l.liveReads ?? 0,
        ...(l.pullRequest ? { pullRequest: l.pullRequest.url } : {}),
        ...(l.decisions ? { decisions: Object.fromEntries(l.decisions) } : {}),
      })),
      skipped: lines.flatMap((l) =>
        l.skipped ? [{ stack: l.stack ?? "", window: l.window ?? "", reason: l.skipped }] : [],
      ),
      dlq: { changes: sqs.depth(QUEUES.changesDlq).visible, settle: sqs.depth(QUEUES.settleDlq).visible },
      unfinished: (await dynamo.windows(table))
        .filter((w) => w.status !== "done")
        .map((w) => ({
          stack: w.stack,
          account: w.account ?? captured.account,
          region: w.region ?? REGION,
          window: w.window,
          status: w.status,
        })),
      faults: plan.injected(),
      aborted,
      calls: Object.fromEntries(Object.entries(calls).sort(([a], [b]) => a.localeCompare(b))),
      callsByHandler: Object.fromEntries(
        [...byHandler].map(([handler, booked]) => [
          handler,
          Object.fromEntries([...booked].sort(([a], [b]) => a.localeCompare(b))),
        ]),
      ),
      rehearsalMs: last - start,
      wallMs: Math.round(performance.now() - started),
      filtered: captured.filtered,
      unexpected,
    };
  } finally {
    restore();
    await Promise.allSettled(standIns.map((s) => s.close()));
    await rm(scratch, { recursive: true, force: true });
  }
}
