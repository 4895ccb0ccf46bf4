import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import {
  GONE_RESOURCE_STATUSES,
  type RawStackResource,
  stackResourceDriftSchema,
  stackResourcesDocumentSchema,
} from "../../../core/drift/schema.ts";
import { stackNameOf } from "../../adapters/cloudformation.ts";
import { loadRecordedAccount } from "../../replay/recorded-account.ts";
import { recordedTemplateSource } from "../../replay/recorded-templates.ts";
import type { FaultPlan } from "../faults.ts";
import {
  type RehearsalClock,
  type Served,
  type StandIn,
  StandInConfigError,
  type StandInRequest,
  startStandIn,
} from "./stand-in.ts";

/**
 * The CloudFormation stand-in: a scenario's recorded account directory (DESIGN §4,
 * `account/stacks/<Stack>.json`, `account/templates/<Stack>.*`, `account/drift/<Stack>/<LogicalId>.json`)
 * served over the AWS query protocol of the installed `@aws-sdk/client-cloudformation` (3.1169:
 * `AwsQueryProtocol`): form-encoded `POST /` with `Action` and `Version=2010-05-15` (lists as
 * `Name.member.N`), XML replies `<OpResponse><OpResult>…</OpResult><ResponseMetadata/></OpResponse>`
 * (lists as `<member>`), errors `<ErrorResponse><Error><Type/><Code/><Message/></Error></ErrorResponse>`
 * with HTTP 400, which the SDK throws as an error named after `Code`.
 *
 * The directory is validated with replay's own loader (`loadRecordedAccount`), so a scenario the
 * replay refuses is refused here with the same {@link RecordedAccountError}; the stand-in then reads
 * the raw documents to answer with everything they record.
 *
 * Operations (the ones Phantom's adapters call; CreateChangeSet is not served: only
 * `phantom rectify --create-change-set` calls it, never a handler):
 * - `DescribeStackResources` by `StackName` (name or stack id) or `PhysicalResourceId`, the first 100
 *   resources as CloudFormation gives them (deleted and retained resources included: the adapters
 *   filter them). A physical id no stack holds is `ValidationError: Stack for <id> does not exist`,
 *   which `isNotStackOwned` reads as "unmanaged". `ListStackResources` pages the rest.
 * - `DescribeStacks` (one stack, or every stack when no name is given) and `ListStacks`: status
 *   `UPDATE_COMPLETE`, the recorded `Tags` and `Parameters`, the recorded stack id (or a made-up one
 *   in the stand-in's account and region), the stack's drift status from the last detection
 *   (`NOT_CHECKED` before).
 * - `GetTemplate`: the recorded template text for both stages (`Original`, `Processed`).
 * - `DetectStackResourceDrift`: the recorded `StackResourceDrift`. For a live resource with no
 *   recorded drift the answer is `StackResourceDriftStatus: UNKNOWN` (a status CloudFormation itself
 *   uses when it could not check a resource) with the resource's physical id and type and
 *   `DriftStatusReason: no drift recorded for <Stack>/<LogicalId> in the scenario`: the real adapter
 *   then reports what replay's recorded detector reports — UNKNOWN, unverified, never clean, with the
 *   same physical id, type and reason (prefixed "CloudFormation could not determine drift:"). A
 *   logical id the stack does not have is CloudFormation's `ValidationError` (UNKNOWN in both too).
 * - The sweep: `DetectStackDrift` completes at once (`DescribeStackDriftDetectionStatus` answers
 *   `DETECTION_COMPLETE`; the stack is `DRIFTED` when a checked resource is MODIFIED or DELETED,
 *   else `UNKNOWN` when one has no recorded drift, else `IN_SYNC`); `DescribeStackResourceDrifts`
 *   lists the resources checked so far, as CloudFormation does, filtered by
 *   `StackResourceDriftStatusFilters` and paged by `MaxResults`.
 *
 * `unexpected` lists unknown actions and malformed requests (a missing or invalid parameter, a bad
 * page token). "Does not exist" answers are not listed: the adapters handle them as outcomes.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Operations.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackResourceDrift.html
 */

export interface CloudFormationStandInOptions {
  /** Faults to inject (`phantom rehearse --fault`); default none. */
  readonly faults?: FaultPlan;
  /** The scenario's `account/` directory (or one `accounts/<AccountId>/<region>/` tree). */
  readonly accountDir: string;
  readonly clock: RehearsalClock;
  /** Region of made-up stack ids. Default `us-east-1`. */
  readonly region?: string;
  /** Account of made-up stack ids. Default `123456789012`. */
  readonly account?: string;
  /**
   * Answer as a rate-limited account does: `Throttling` / "Rate exceeded" (HTTP 400, the code
   * CloudFormation sends) `times` times to each request (the same action and parameters: what an
   * SDK retry resends) before serving it, so every call is throttled and only retries get through,
   * however many run at once (`Infinity`: never served). `operations` limits it to those actions.
   * Throttled calls are counted in `calls` like the others, and in `throttled`.
   */
  readonly throttle?: { readonly times: number; readonly operations?: readonly string[] };
}

/** The CloudFormation stand-in. */
export interface CloudFormationStandIn extends StandIn {
  /** The recorded stacks, sorted. */
  readonly stacks: readonly string[];
  /** `Throttling` answers given so far, by action. */
  readonly throttled: ReadonlyMap<string, number>;
}

const API_VERSION = "2010-05-15";
const XMLNS = `http://cloudformation.amazonaws.com/doc/${API_VERSION}/`;
/** DescribeStackResources returns "only the first 100 resources". */
const DESCRIBE_LIMIT = 100;
const PAGE_SIZE = 100;
const DRIFTED: readonly string[] = ["MODIFIED", "DELETED"];
const DRIFT_STATUS_FILTERS = ["IN_SYNC", "MODIFIED", "DELETED", "NOT_CHECKED", "UNKNOWN", "UNSUPPORTED"];
const TEMPLATE_STAGES = ["Original", "Processed"];

/* ---------- XML ---------- */

type XmlValue =
  | string
  | number
  | boolean
  | undefined
  | readonly XmlValue[]
  | { readonly [key: string]: XmlValue };

function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;")
    .replaceAll("\r", "&#13;");
}

/** Members as elements, lists as `<member>` items, scalars as text; `undefined` members are left out. */
function toXml(value: XmlValue): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join("");
  if (typeof value === "object") {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join("");
  }
  return escapeXml(String(value));
}

function xmlReply(action: string, result: { readonly [key: string]: XmlValue }, requestId: string) {
  return {
    status: 200,
    headers: { "content-type": "text/xml" },
    body:
      `<${action}Response xmlns="${XMLNS}"><${action}Result>${toXml(result)}</${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

/** A failure CloudFormation answers with `<ErrorResponse>`; `malformed` ones go to `unexpected`. */
class CloudFormationFailure extends Error {
  override readonly name = "CloudFormationFailure";
  constructor(
    readonly code: string,
    message: string,
    readonly malformed = false,
  ) {
    super(message);
  }
}

function errorReply(failure: CloudFormationFailure, requestId: string) {
  return {
    status: 400,
    headers: { "content-type": "text/xml" },
    body:
      `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${escapeXml(failure.code)}</Code>` +
      `<Message>${escapeXml(failure.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/* ---------- recorded values ► wire values ---------- */

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** A recorded time (ISO string, epoch ms) as the ISO text CloudFormation sends. */
function isoTime(value: unknown): string | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** A member the API types as a JSON string (`ExpectedProperties`, `ExpectedValue`): objects are serialised. */
function jsonText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function moduleInfo(value: unknown): XmlValue {
  const info = record(value);
  const typeHierarchy = text(info.TypeHierarchy);
  const logicalIdHierarchy = text(info.LogicalIdHierarchy);
  return typeHierarchy === undefined && logicalIdHierarchy === undefined
    ? undefined
    : { TypeHierarchy: typeHierarchy, LogicalIdHierarchy: logicalIdHierarchy };
}

function resourceDriftInformation(value: unknown): XmlValue {
  const info = record(value);
  const status = text(info.StackResourceDriftStatus);
  return status === undefined
    ? undefined
    : { StackResourceDriftStatus: status, LastCheckTimestamp: isoTime(info.LastCheckTimestamp) };
}

/* ---------- the recorded account ---------- */

interface Resource {
  readonly raw: RawStackResource & Record<string, unknown>;
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly type: string;
  readonly live: boolean;
}

interface Stack {
  readonly name: string;
  readonly id: string;
  readonly resources: readonly Resource[];
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
  /** The recorded `Parameters` (DescribeStacks' shape), served as recorded. */
  readonly parameters: readonly Record<string, unknown>[];
  readonly createdAt: string;
  readonly updatedAt?: string;
  readonly template?: string;
  /** Recorded `StackResourceDrift` documents by logical id. */
  readonly drifts: ReadonlyMap<string, Record<string, unknown>>;
  /** Logical ids checked for drift so far (DescribeStackResourceDrifts lists these). */
  readonly checked: Set<string>;
  /** The stack's drift status after the last stack drift detection. */
  driftStatus?: { readonly status: string; readonly at: string };
}

async function jsonFiles(dir: string): Promise<{ stem: string; file: string }[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && e.name.toLowerCase().endsWith(".json"))
      .map((e) => ({ stem: e.name.replace(/\.json$/i, ""), file: path.join(dir, e.name) }))
      .sort((a, b) => a.stem.localeCompare(b.stem));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, "utf8")) as unknown;
}

/** The one `StackResourceDrift` of a drift file, in any shape `parseDriftDocument` accepts. */
function rawDrift(json: unknown): Record<string, unknown> {
  const doc = record(json);
  if ("StackResourceDrift" in doc) return record(doc.StackResourceDrift);
  if (Array.isArray(doc.StackResourceDrifts)) return record(doc.StackResourceDrifts[0]);
  return doc;
}

/** A deterministic UUID-shaped id from a seed. */
function uuidFrom(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/* ---------- requests ---------- */

/** Form fields as an object: `A.member.N` become arrays (in N order), the rest strings. */
function formFields(params: URLSearchParams): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const lists = new Map<string, [number, string][]>();
  for (const [key, value] of params) {
    const member = /^(.+)\.member\.(\d+)$/.exec(key);
    if (member?.[1] !== undefined) {
      const items = lists.get(member[1]) ?? [];
      items.push([Number(member[2]), value]);
      lists.set(member[1], items);
    } else {
      fields[key] = value;
    }
  }
  for (const [key, items] of lists) fields[key] = items.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  return fields;
}

const optional = z.string().optional();
const required = z.string({ error: "Member must not be null" });
const requestSchemas = {
  DescribeStackResources: z.looseObject({
    StackName: optional,
    LogicalResourceId: optional,
    PhysicalResourceId: optional,
  }),
  ListStackResources: z.looseObject({ StackName: required, NextToken: optional }),
  DescribeStacks: z.looseObject({ StackName: optional, NextToken: optional }),
  ListStacks: z.looseObject({ StackStatusFilter: z.array(z.string()).optional(), NextToken: optional }),
  GetTemplate: z.looseObject({ StackName: optional, TemplateStage: optional, ChangeSetName: optional }),
  DetectStackResourceDrift: z.looseObject({ StackName: required, LogicalResourceId: required }),
  DetectStackDrift: z.looseObject({
    StackName: required,
    LogicalResourceIds: z.array(z.string()).optional(),
  }),
  DescribeStackDriftDetectionStatus: z.looseObject({ StackDriftDetectionId: required }),
  DescribeStackResourceDrifts: z.looseObject({
    StackName: required,
    StackResourceDriftStatusFilters: z.array(z.string()).optional(),
    NextToken: optional,
    MaxResults: optional,
  }),
} as const;
type Operation = keyof typeof requestSchemas;
type Input<O extends Operation> = z.infer<(typeof requestSchemas)[O]>;

function isOperation(name: string): name is Operation {
  return Object.hasOwn(requestSchemas, name);
}

/** Parses an action's fields; a missing or mistyped one is CloudFormation's `ValidationError`. */
function parseInput<O extends Operation>(operation: O, fields: Record<string, unknown>): Input<O> {
  const parsed = requestSchemas[operation].safeParse(fields);
  if (parsed.success) return parsed.data as Input<O>;
  const problems = parsed.error.issues.map((i) => {
    const member = i.path.map(String).join(".");
    const name = member.charAt(0).toLowerCase() + member.slice(1);
    return `Value ${JSON.stringify(fields[member] ?? null)} at '${name}' failed to satisfy constraint: ${i.message}`;
  });
  throw new CloudFormationFailure(
    "ValidationError",
    `${problems.length} validation error${problems.length === 1 ? "" : "s"} detected: ${problems.join("; ")}`,
    true,
  );
}

/** A page token: the offset into the full list. */
function pageOf<T>(items: readonly T[], token: string | undefined, size: number) {
  const start = token === undefined ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw new CloudFormationFailure("ValidationError", `Invalid NextToken: ${token}`, true);
  const end = start + size;
  return { page: items.slice(start, end), next: end < items.length ? String(end) : undefined };
}

/* ---------- the stand-in ---------- */

/**
 * Starts the CloudFormation stand-in over a recorded account directory, validated as replay
 * validates it.
 * @throws {RecordedAccountError} when the directory is not a valid recorded account.
 * @throws {StandInConfigError} when `region` or `account` is malformed.
 */
export async function startCloudFormationStandIn(
  options: CloudFormationStandInOptions,
): Promise<CloudFormationStandIn> {
  const region = options.region ?? "us-east-1";
  const account = options.account ?? "123456789012";
  const issues = [
    ...(/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)
      ? []
      : [`region "${region}" is not a region such as us-east-1`]),
    ...(/^\d{12}$/.test(account) ? [] : [`account "${account}" is not a 12-digit account id`]),
    ...(options.throttle === undefined ||
    (options.throttle.times >= 0 &&
      (Number.isInteger(options.throttle.times) || options.throttle.times === Infinity))
      ? []
      : [`throttle.times ${options.throttle.times} is not a whole number of answers (or Infinity)`]),
  ];
  if (issues.length > 0) throw new StandInConfigError("cloudformation", issues);
  const { clock, accountDir } = options;
  const startedAt = new Date(clock.now()).toISOString();

  const recorded = await loadRecordedAccount(accountDir);
  const stackFiles = new Map(
    (await jsonFiles(path.join(accountDir, "stacks"))).map(({ stem, file }) => [stem, file]),
  );
  const stacks = new Map<string, Stack>();
  for (const name of recorded.stacks) {
    const document = stackResourcesDocumentSchema.parse(await readJson(stackFiles.get(name) ?? ""));
    const resources: Resource[] = document.StackResources.map((raw) => ({
      raw,
      logicalId: raw.LogicalResourceId,
      ...(raw.PhysicalResourceId !== undefined ? { physicalId: raw.PhysicalResourceId } : {}),
      type: raw.ResourceType,
      live:
        raw.PhysicalResourceId !== undefined && !GONE_RESOURCE_STATUSES.includes(raw.ResourceStatus ?? ""),
    }));
    const times = document.StackResources.map((r) => isoTime(r.Timestamp))
      .filter((t): t is string => t !== undefined)
      .sort();
    const drifts = new Map<string, Record<string, unknown>>();
    for (const { stem, file } of await jsonFiles(path.join(accountDir, "drift", name))) {
      drifts.set(stem, stackResourceDriftSchema.parse(rawDrift(await readJson(file))));
    }
    const tags = document.Tags ?? [];
    const template = await recordedTemplateSource(accountDir).read(name, undefined);
    const updatedAt = times.at(-1);
    stacks.set(name, {
      name,
      id:
        document.StackResources.find((r) => r.StackId !== undefined)?.StackId ??
        `arn:aws:cloudformation:${region}:${account}:stack/${name}/${uuidFrom(`${account}/${region}/${name}`)}`,
      resources,
      tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })),
      parameters: (Array.isArray(document.Parameters) ? document.Parameters : []).map(record),
      createdAt: times[0] ?? startedAt,
      ...(updatedAt !== undefined && updatedAt !== times[0] ? { updatedAt } : {}),
      ...(template !== undefined ? { template: template.text } : {}),
      drifts,
      checked: new Set(),
    });
  }

  const detections = new Map<
    string,
    { readonly stack: Stack; readonly at: string; readonly status: string; readonly drifted: number }
  >();
  let requestSeq = 0;

  function stackNamed(nameOrId: string): Stack {
    const stack = stacks.get(stackNameOf(nameOrId)) ?? [...stacks.values()].find((s) => s.id === nameOrId);
    if (stack === undefined)
      throw new CloudFormationFailure("ValidationError", `Stack with id ${nameOrId} does not exist`);
    return stack;
  }

  function stackResource(stack: Stack, resource: Resource): XmlValue {
    const { raw } = resource;
    return {
      StackName: stack.name,
      StackId: raw.StackId ?? stack.id,
      LogicalResourceId: resource.logicalId,
      PhysicalResourceId: resource.physicalId,
      ResourceType: resource.type,
      Timestamp: isoTime(raw.Timestamp) ?? stack.createdAt,
      ResourceStatus: raw.ResourceStatus ?? "CREATE_COMPLETE",
      ResourceStatusReason: text(raw.ResourceStatusReason),
      Description: text(raw.Description),
      DriftInformation: resourceDriftInformation(raw.DriftInformation),
      ModuleInfo: moduleInfo(raw.ModuleInfo),
    };
  }

  /**
   * The drift CloudFormation reports for a live resource: recorded, or UNKNOWN when none was recorded
   * (no check time: nothing was checked).
   */
  function driftOf(stack: Stack, resource: Resource): Record<string, unknown> {
    return (
      stack.drifts.get(resource.logicalId) ?? {
        StackId: stack.id,
        LogicalResourceId: resource.logicalId,
        PhysicalResourceId: resource.physicalId,
        ResourceType: resource.type,
        StackResourceDriftStatus: "UNKNOWN",
        DriftStatusReason: `no drift recorded for ${stack.name}/${resource.logicalId} in the scenario`,
      }
    );
  }

  function resourceDrift(stack: Stack, drift: Record<string, unknown>): XmlValue {
    const differences = Array.isArray(drift.PropertyDifferences) ? drift.PropertyDifferences : [];
    const context = Array.isArray(drift.PhysicalResourceIdContext) ? drift.PhysicalResourceIdContext : [];
    return {
      StackId: text(drift.StackId) ?? stack.id,
      LogicalResourceId: text(drift.LogicalResourceId),
      PhysicalResourceId: text(drift.PhysicalResourceId),
      PhysicalResourceIdContext:
        context.length > 0
          ? context.map((c) => ({ Key: text(record(c).Key), Value: text(record(c).Value) }))
          : undefined,
      ResourceType: text(drift.ResourceType),
      ExpectedProperties: jsonText(drift.ExpectedProperties),
      ActualProperties: jsonText(drift.ActualProperties),
      PropertyDifferences: differences.map((d) => {
        const difference = record(d);
        return {
          PropertyPath: text(difference.PropertyPath),
          ExpectedValue: jsonText(difference.ExpectedValue),
          ActualValue: jsonText(difference.ActualValue),
          DifferenceType: text(difference.DifferenceType),
        };
      }),
      StackResourceDriftStatus: text(drift.StackResourceDriftStatus),
      // As recorded: a hand-made recording without a check time (or an unrecorded resource) has none.
      Timestamp: isoTime(drift.Timestamp),
      ModuleInfo: moduleInfo(drift.ModuleInfo),
      DriftStatusReason: text(drift.DriftStatusReason),
    };
  }

  function stackDriftStatus(stack: Stack, resources: readonly Resource[]): string {
    const statuses = resources.map((r) => text(driftOf(stack, r).StackResourceDriftStatus) ?? "UNKNOWN");
    if (statuses.some((s) => DRIFTED.includes(s))) return "DRIFTED";
    return resources.some((r) => !stack.drifts.has(r.logicalId)) ? "UNKNOWN" : "IN_SYNC";
  }

  function stackSummary(stack: Stack) {
    return {
      StackId: stack.id,
      StackName: stack.name,
      CreationTime: stack.createdAt,
      LastUpdatedTime: stack.updatedAt,
      StackStatus: "UPDATE_COMPLETE",
      DriftInformation: {
        StackDriftStatus: stack.driftStatus?.status ?? "NOT_CHECKED",
        LastCheckTimestamp: stack.driftStatus?.at,
      },
    };
  }

  function run(operation: Operation, fields: Record<string, unknown>): { readonly [key: string]: XmlValue } {
    switch (operation) {
      case "DescribeStackResources": {
        const input = parseInput(operation, fields);
        let stack: Stack;
        if (input.StackName !== undefined) stack = stackNamed(input.StackName);
        else if (input.PhysicalResourceId !== undefined) {
          const id = input.PhysicalResourceId;
          const all = [...stacks.values()];
          const owner =
            all.find((s) => s.resources.some((r) => r.live && r.physicalId === id)) ??
            all.find((s) => s.resources.some((r) => r.physicalId === id));
          if (owner === undefined)
            throw new CloudFormationFailure("ValidationError", `Stack for ${id} does not exist`);
          stack = owner;
        } else {
          throw new CloudFormationFailure(
            "ValidationError",
            "Either StackName or PhysicalResourceId must be specified.",
            true,
          );
        }
        const listed = stack.resources.filter(
          (r) => input.LogicalResourceId === undefined || r.logicalId === input.LogicalResourceId,
        );
        return { StackResources: listed.slice(0, DESCRIBE_LIMIT).map((r) => stackResource(stack, r)) };
      }
      case "ListStackResources": {
        const input = parseInput(operation, fields);
        const stack = stackNamed(input.StackName);
        const { page, next } = pageOf(stack.resources, input.NextToken, PAGE_SIZE);
        return {
          StackResourceSummaries: page.map((r) => ({
            LogicalResourceId: r.logicalId,
            PhysicalResourceId: r.physicalId,
            ResourceType: r.type,
            LastUpdatedTimestamp: isoTime(r.raw.Timestamp) ?? stack.createdAt,
            ResourceStatus: r.raw.ResourceStatus ?? "CREATE_COMPLETE",
            DriftInformation: resourceDriftInformation(r.raw.DriftInformation),
            ModuleInfo: moduleInfo(r.raw.ModuleInfo),
          })),
          NextToken: next,
        };
      }
      case "DescribeStacks": {
        const input = parseInput(operation, fields);
        const chosen = input.StackName !== undefined ? [stackNamed(input.StackName)] : [...stacks.values()];
        const { page, next } = pageOf(chosen, input.NextToken, PAGE_SIZE);
        return {
          Stacks: page.map((s) => ({
            ...stackSummary(s),
            Tags: s.tags.length > 0 ? s.tags : undefined,
            Parameters:
              s.parameters.length > 0
                ? s.parameters.map((p) => ({
                    ParameterKey: text(p.ParameterKey),
                    ParameterValue: text(p.ParameterValue),
                    ResolvedValue: text(p.ResolvedValue),
                  }))
                : undefined,
          })),
          NextToken: next,
        };
      }
      case "ListStacks": {
        const input = parseInput(operation, fields);
        const filter = input.StackStatusFilter ?? [];
        // Every recorded stack is UPDATE_COMPLETE.
        const chosen = filter.length === 0 || filter.includes("UPDATE_COMPLETE") ? [...stacks.values()] : [];
        const { page, next } = pageOf(chosen, input.NextToken, PAGE_SIZE);
        return { StackSummaries: page.map(stackSummary), NextToken: next };
      }
      case "GetTemplate": {
        const input = parseInput(operation, fields);
        if (input.TemplateStage !== undefined && !TEMPLATE_STAGES.includes(input.TemplateStage))
          throw new CloudFormationFailure(
            "ValidationError",
            `1 validation error detected: Value '${input.TemplateStage}' at 'templateStage' failed to satisfy constraint: Member must satisfy enum value set: [${TEMPLATE_STAGES.join(", ")}]`,
            true,
          );
        if (input.StackName === undefined)
          throw new CloudFormationFailure(
            "ValidationError",
            "StackName or ChangeSetName must be specified.",
            true,
          );
        const stack = stackNamed(input.StackName);
        if (stack.template === undefined)
          throw new CloudFormationFailure(
            "ValidationError",
            `Template for stack ${stack.name} does not exist: the scenario records none`,
          );
        return { TemplateBody: stack.template, StagesAvailable: TEMPLATE_STAGES };
      }
      case "DetectStackResourceDrift": {
        const input = parseInput(operation, fields);
        const stack = stackNamed(input.StackName);
        const resource = stack.resources.find((r) => r.live && r.logicalId === input.LogicalResourceId);
        if (resource === undefined)
          throw new CloudFormationFailure(
            "ValidationError",
            `Resource ${input.LogicalResourceId} does not exist for stack ${stack.name}`,
          );
        stack.checked.add(resource.logicalId);
        return { StackResourceDrift: resourceDrift(stack, driftOf(stack, resource)) };
      }
      case "DetectStackDrift": {
        const input = parseInput(operation, fields);
        const stack = stackNamed(input.StackName);
        const wanted = input.LogicalResourceIds ?? [];
        for (const id of wanted) {
          if (!stack.resources.some((r) => r.live && r.logicalId === id))
            throw new CloudFormationFailure(
              "ValidationError",
              `Resource ${id} does not exist for stack ${stack.name}`,
            );
        }
        const resources = stack.resources.filter(
          (r) => r.live && (wanted.length === 0 || wanted.includes(r.logicalId)),
        );
        for (const r of resources) stack.checked.add(r.logicalId);
        const at = new Date(clock.now()).toISOString();
        const status = stackDriftStatus(stack, resources);
        stack.driftStatus = { status, at };
        const id = uuidFrom(`detection/${detections.size + 1}/${stack.name}`);
        detections.set(id, {
          stack,
          at,
          status,
          drifted: resources.filter((r) =>
            DRIFTED.includes(text(driftOf(stack, r).StackResourceDriftStatus) ?? ""),
          ).length,
        });
        return { StackDriftDetectionId: id };
      }
      case "DescribeStackDriftDetectionStatus": {
        const input = parseInput(operation, fields);
        const detection = detections.get(input.StackDriftDetectionId);
        if (detection === undefined)
          throw new CloudFormationFailure(
            "ValidationError",
            `Stack drift detection with id ${input.StackDriftDetectionId} does not exist`,
          );
        return {
          StackId: detection.stack.id,
          StackDriftDetectionId: input.StackDriftDetectionId,
          StackDriftStatus: detection.status,
          DetectionStatus: "DETECTION_COMPLETE",
          DriftedStackResourceCount: detection.drifted,
          Timestamp: detection.at,
        };
      }
      case "DescribeStackResourceDrifts": {
        const input = parseInput(operation, fields);
        const stack = stackNamed(input.StackName);
        const filters = input.StackResourceDriftStatusFilters ?? [];
        const bad = filters.filter((f) => !DRIFT_STATUS_FILTERS.includes(f));
        if (bad.length > 0)
          throw new CloudFormationFailure(
            "ValidationError",
            `1 validation error detected: Value '[${bad.join(", ")}]' at 'stackResourceDriftStatusFilters' failed to satisfy constraint: Member must satisfy enum value set: [${DRIFT_STATUS_FILTERS.join(", ")}]`,
            true,
          );
        const max = input.MaxResults === undefined ? PAGE_SIZE : Number(input.MaxResults);
        if (!Number.isInteger(max) || max < 1 || max > 100)
          throw new CloudFormationFailure(
            "ValidationError",
            `1 validation error detected: Value '${input.MaxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`,
            true,
          );
        const drifts = stack.resources
          .filter((r) => r.live && stack.checked.has(r.logicalId))
          .map((r) => driftOf(stack, r))
          .filter((d) => filters.length === 0 || filters.includes(text(d.StackResourceDriftStatus) ?? ""));
        const { page, next } = pageOf(drifts, input.NextToken, max);
        return { StackResourceDrifts: page.map((d) => resourceDrift(stack, d)), NextToken: next };
      }
    }
  }

  const throttled = new Map<string, number>();
  /** Throttling answers given in a row to one request (its body), until it is served. */
  const streak = new Map<string, number>();
  function throttles(action: Operation, body: string): boolean {
    const { throttle } = options;
    if (throttle === undefined || throttle.times === 0) return false;
    if (throttle.operations !== undefined && !throttle.operations.includes(action)) return false;
    const key = `${action}\u0000${body}`;
    const inRow = streak.get(key) ?? 0;
    if (inRow >= throttle.times) {
      streak.delete(key);
      return false;
    }
    streak.set(key, inRow + 1);
    throttled.set(action, (throttled.get(action) ?? 0) + 1);
    return true;
  }

  function serve(request: StandInRequest): Served {
    requestSeq += 1;
    const requestId = uuidFrom(`request/${requestSeq}`);
    const contentType = String(request.headers["content-type"] ?? "");
    const params = contentType.includes("x-www-form-urlencoded")
      ? new URLSearchParams(request.body)
      : new URLSearchParams(new URL(request.path, "http://stand-in").search);
    const action = params.get("Action") ?? "";
    if (request.method !== "POST" || !isOperation(action)) {
      const failure = new CloudFormationFailure(
        "InvalidAction",
        action === ""
          ? "The request names no Action."
          : `Could not find operation ${action} for version ${params.get("Version") ?? API_VERSION}: the CloudFormation stand-in does not serve it`,
        true,
      );
      return {
        operation: action,
        reply: errorReply(failure, requestId),
        unexpected: `${failure.code}: ${failure.message}`,
      };
    }
    if (throttles(action, request.body)) {
      return {
        operation: action,
        reply: errorReply(new CloudFormationFailure("Throttling", "Rate exceeded"), requestId),
      };
    }
    try {
      return { operation: action, reply: xmlReply(action, run(action, formFields(params)), requestId) };
    } catch (error) {
      if (!(error instanceof CloudFormationFailure)) throw error;
      return {
        operation: action,
        reply: errorReply(error, requestId),
        ...(error.malformed ? { unexpected: `${error.code}: ${error.message}` } : {}),
      };
    }
  }

  const standIn = await startStandIn("cloudformation", serve, {
    ...(options.faults ? { faults: options.faults } : {}),
  });
  return { ...standIn, stacks: recorded.stacks, throttled };
}
