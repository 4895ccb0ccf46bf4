import { createCatalog } from "../catalog/catalog.ts";
import { type PropertyWrite, requestWrites } from "../catalog/request-properties.ts";
import { cloudTrailRecordSchema } from "../change/schema.ts";
import { REDACTED, redactAt } from "../secrets.ts";
import { isTruncatedRequest } from "../window/memory-store.ts";
import type { WindowEvent } from "../window/types.ts";
import { attachmentRows, attachmentsOf, type DeclaredAttachment, targetsOf } from "./attachments.ts";
import { compareValues, type Difference, matches, type Requested, sameItem, segment } from "./compare.ts";
import { type DeclaredResource, isRecord, isUnknown, Resolver, readTemplate, Unknown } from "./declared.ts";
import type { StackResource } from "./ports.ts";
import type { DriftReport, DriftStatus, PropertyDifference, ResourceDrift } from "./types.ts";

/**
 * Where drift detection is blind, look at the live state (issue 13). Drift detection compares only
 * the properties a template sets on the resource itself: a rule opened on a group whose rules are
 * separate `AWS::EC2::SecurityGroupIngress` resources, or a Lambda throttled to zero when the
 * template sets no `ReservedConcurrentExecutions`, come back IN_SYNC; types it cannot check come back
 * NOT_CHECKED or UNSUPPORTED. For each such resource a window event modified, Phantom reads the live
 * state (Cloud Control GetResource in the cloud, a recorded file in replay) and compares it with what
 * the template declares, attachments included; where Cloud Control cannot read it, the window's
 * requests say what changed. Pure: the live state comes through the {@link LiveState} port.
 */

export type LiveRead =
  | { readonly kind: "found"; readonly properties: Readonly<Record<string, unknown>> }
  | {
      readonly kind: "unavailable";
      readonly reason: "unsupported-type" | "unsupported-action" | "not-found" | "throttled" | "failed";
      readonly detail: string;
    };

/** The live state of one stack resource (Cloud Control GetResource in the cloud, a recorded file in replay). */
export interface LiveState {
  read(resource: {
    readonly stack: string;
    readonly logicalId: string;
    readonly type: string;
    readonly physicalId: string;
  }): Promise<LiveRead>;
}

export interface BlindSpotInput {
  /** What drift detection said for the touched ids. */
  readonly drift: DriftReport;
  /** The window's events (`request` = requestParameters). */
  readonly events: readonly WindowEvent[];
  /** The safe state. */
  readonly template?: { readonly text: string; readonly format: "yaml" | "json" };
  /** The stack's deployed parameter values (DescribeStacks). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Logical id ► physical id, type. */
  readonly stackResources: readonly StackResource[];
  readonly live: LiveState;
  /** For AWS::Region / AWS::AccountId. */
  readonly region?: string;
  readonly account?: string;
  /** The stack's name (AWS::StackName, and the live reads'); else the stack of `stackResources`. */
  readonly stack?: string;
}

/** Statuses where drift detection may have missed a change; UNKNOWN is a failed check, left alone. */
const BLIND: ReadonlySet<DriftStatus> = new Set(["IN_SYNC", "NOT_CHECKED", "UNSUPPORTED"]);

const UNAVAILABLE: Readonly<Record<Extract<LiveRead, { kind: "unavailable" }>["reason"], string>> = {
  "unsupported-type": "Cloud Control cannot read this resource type",
  "unsupported-action": "Cloud Control does not support reading this resource (UnsupportedActionException)",
  "not-found": "Cloud Control GetResource found no such resource (ResourceNotFoundException)",
  throttled: "Cloud Control GetResource was throttled",
  failed: "Cloud Control GetResource failed",
};

/**
 * AWS's value for a property a template leaves out, where it is certain and matters for comparison:
 * an undeclared egress list is the allow-all rule, an undeclared rule or policy list is empty (so an
 * added item is one item, not a whole new list).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html
 */
const DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  "AWS::EC2::SecurityGroup": {
    SecurityGroupIngress: [],
    SecurityGroupEgress: [{ CidrIp: "0.0.0.0/0", IpProtocol: "-1" }],
  },
  "AWS::IAM::Role": { Policies: [], ManagedPolicyArns: [] },
  "AWS::IAM::User": { Policies: [], ManagedPolicyArns: [], Groups: [] },
  "AWS::IAM::Group": { Policies: [], ManagedPolicyArns: [] },
  "AWS::Lambda::Function": { MemorySize: 128, Timeout: 3 },
  "AWS::S3::Bucket": {
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
    },
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
    OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
  },
  "AWS::SQS::Queue": {
    VisibilityTimeout: 30,
    DelaySeconds: 0,
    ReceiveMessageWaitTimeSeconds: 0,
    MessageRetentionPeriod: 345600,
  },
  "AWS::KMS::Key": { Enabled: true, EnableKeyRotation: false },
};

/** Tags are a list everywhere but in these types, where they are a map. */
const MAP_TAGS = new Set(["AWS::SSM::Parameter", "AWS::ApiGatewayV2::Api", "AWS::Serverless::Function"]);

/**
 * Properties Cloud Control never returns (the schemas' `writeOnlyProperties`): comparing them with a
 * live read would report every one as removed, so for them the request is the only witness.
 */
const WRITE_ONLY: Readonly<Record<string, readonly string[]>> = {
  "AWS::Lambda::Function": ["Code"],
  "AWS::S3::Bucket": ["AccessControl"],
  "AWS::RDS::DBInstance": ["MasterUserPassword", "DBSnapshotIdentifier"],
  "AWS::RDS::DBCluster": ["MasterUserPassword", "SnapshotIdentifier"],
  "AWS::IAM::User": ["LoginProfile"],
  "AWS::SecretsManager::Secret": ["SecretString", "GenerateSecretString"],
  "AWS::ElastiCache::ReplicationGroup": ["AuthToken"],
  "AWS::SSM::Parameter": [],
};

function defaultOf(type: string, name: string): unknown {
  const value = DEFAULTS[type]?.[name];
  if (value !== undefined) return clone(value);
  if (name === "Tags") return MAP_TAGS.has(type) ? {} : [];
  return undefined;
}

function isWriteOnly(type: string, name: string): boolean {
  return WRITE_ONLY[type]?.includes(name) ?? false;
}

/** A deep copy that keeps {@link Unknown}s. */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T;
  return value;
}

// --- pointers ------------------------------------------------------------------------------------

function segments(path: string): string[] {
  return path
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function topName(path: string): string | undefined {
  return segments(path)[0];
}

function getAt(root: unknown, path: string): unknown {
  let node = root;
  for (const s of segments(path)) {
    if (Array.isArray(node)) node = node[Number(s)];
    else if (isRecord(node)) node = node[s];
    else return undefined;
  }
  return node;
}

function setAt(root: Record<string, unknown>, path: string, value: unknown): void {
  const parts = segments(path);
  let node: Record<string, unknown> | unknown[] = root;
  parts.forEach((s, i) => {
    const last = i === parts.length - 1;
    if (Array.isArray(node)) {
      const index = Number(s);
      if (last) node[index] = value;
      else {
        if (!isRecord(node[index]) && !Array.isArray(node[index])) node[index] = {};
        node = node[index] as Record<string, unknown>;
      }
    } else if (last) node[s] = value;
    else {
      const next: unknown = node[s];
      if (!isRecord(next) && !Array.isArray(next)) node[s] = {};
      node = node[s] as Record<string, unknown>;
    }
  });
}

function deleteAt(root: Record<string, unknown>, path: string): void {
  const parts = segments(path);
  const last = parts.pop();
  const parent = parts.length === 0 ? root : getAt(root, `/${parts.map(segment).join("/")}`);
  if (last === undefined) return;
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (isRecord(parent)) delete parent[last];
}

// --- the requests --------------------------------------------------------------------------------

/** What the window's requests set on one resource, and whether any call could not be read. */
interface Writes {
  readonly writes: readonly PropertyWrite[];
  /** The same writes, per event. */
  readonly perEvent: readonly { readonly event: WindowEvent; readonly writes: readonly PropertyWrite[] }[];
  /** Modify events the request table does not know: what they changed cannot be named. */
  readonly unmapped: readonly WindowEvent[];
}

function writesOf(events: readonly WindowEvent[]): Writes {
  const writes: PropertyWrite[] = [];
  const perEvent: { event: WindowEvent; writes: PropertyWrite[] }[] = [];
  const unmapped: WindowEvent[] = [];
  for (const event of events) {
    // A request too large to keep in the window cannot say what it set.
    const found = isTruncatedRequest(event.request)
      ? undefined
      : requestWrites(event.eventSource, event.eventName, event.request);
    if (found === undefined) unmapped.push(event);
    else {
      writes.push(...found);
      perEvent.push({ event, writes: found });
    }
  }
  return { writes, perEvent, unmapped };
}

/** The items of a new-instance write (`add-items` at the attachment's root). */
function instanceItems(write: PropertyWrite): readonly unknown[] {
  return write.path === "" && write.op.kind === "add-items" ? write.op.items : [];
}

/** Whether a declared attachment is the instance a request added (its target-naming properties aside). */
function sameInstance(attachment: DeclaredAttachment, item: unknown): boolean {
  if (!isRecord(item)) return false;
  const own = Object.fromEntries(
    Object.entries(attachment.properties).filter(([k]) => !attachment.row.via.includes(k)),
  );
  return matches(own, item);
}

/**
 * `requested(path)`: a write is at the path, above it (it set the whole list or map) or below it.
 * With `everything`, any path under a declared property counts too (an unreadable call may have
 * changed anything the template declares).
 */
function requestedBy(
  writes: readonly PropertyWrite[],
  declaredNames: ReadonlySet<string>,
  everything: boolean,
): Requested {
  const covers = (path: string) =>
    (everything && declaredNames.has(topName(path) ?? "")) ||
    writes.some(
      (w) =>
        w.path !== "" && (w.path === path || path.startsWith(`${w.path}/`) || w.path.startsWith(`${path}/`)),
    );
  const keys = (listPath: string): ReadonlySet<string> | undefined => {
    const relevant = writes.filter((w) => w.path === listPath);
    if (
      relevant.length === 0 ||
      relevant.some((w) => w.op.kind !== "put-keyed" && w.op.kind !== "remove-keyed")
    ) {
      return undefined;
    }
    const found = new Set<string>();
    for (const w of relevant) {
      if (w.op.kind === "put-keyed") {
        const field = w.op.key;
        for (const item of w.op.items) if (typeof item[field] === "string") found.add(item[field] as string);
      } else if (w.op.kind === "remove-keyed") for (const k of w.op.keys) found.add(k);
    }
    return found;
  };
  return Object.assign(covers, { keys });
}

/** The live state the requests imply: the declared properties with every write applied in order. */
function simulate(base: Record<string, unknown>, writes: readonly PropertyWrite[]): Record<string, unknown> {
  const state = clone(base);
  for (const write of writes) {
    const { op, path } = write;
    const name = segments(path).at(-1) ?? "";
    const current = getAt(state, path);
    const items = Array.isArray(current) ? [...current] : [];
    switch (op.kind) {
      case "set":
        if (path === "") Object.assign(state, op.value);
        else setAt(state, path, clone(op.value));
        break;
      case "remove":
        if (path !== "") deleteAt(state, path);
        break;
      case "add-items":
        for (const item of op.items) if (!items.some((x) => sameItem(name, x, item))) items.push(item);
        setAt(state, path, items);
        break;
      case "remove-items":
        setAt(
          state,
          path,
          items.filter((x) => !op.items.some((item) => sameItem(name, x, item))),
        );
        break;
      case "update-items":
        setAt(
          state,
          path,
          items.map((x) => {
            const update = op.items.find((item) => sameItem(name, x, item));
            return update !== undefined && isRecord(x) && isRecord(update) ? { ...x, ...update } : x;
          }),
        );
        break;
      case "put-keyed":
        if (isRecord(current) && !Array.isArray(current)) {
          // Map-form tags (`{"env": "prod"}`).
          for (const item of op.items) setAt(state, `${path}/${segment(String(item.Key))}`, item.Value);
          break;
        }
        for (const item of op.items) {
          const at = items.findIndex((x) => isRecord(x) && x[op.key] === item[op.key]);
          if (at === -1) items.push(item);
          else items[at] = { ...(items[at] as Record<string, unknown>), ...item };
        }
        setAt(state, path, items);
        break;
      case "remove-keyed":
        if (isRecord(current)) {
          for (const key of op.keys) deleteAt(state, `${path}/${segment(key)}`);
          break;
        }
        setAt(
          state,
          path,
          items.filter(
            (x) => !(isRecord(x) && typeof x[op.key] === "string" && op.keys.includes(x[op.key] as string)),
          ),
        );
        break;
      case "touch":
        break;
    }
  }
  return state;
}

// --- declared state ------------------------------------------------------------------------------

/** A resource's declared properties with its `live: "target"` attachments merged in. */
interface Declared {
  readonly properties: Record<string, unknown>;
  /** Per merged list property, the attachment that declares each item (`undefined`: the resource itself). */
  readonly origins: ReadonlyMap<string, readonly (DeclaredAttachment | undefined)[]>;
  /** Per merged list property, the attachment type a new item would be declared as. */
  readonly newItemsAs: ReadonlyMap<string, string>;
}

function declaredState(
  subject: Subject,
  model: ReturnType<typeof readTemplate>,
  resolver: Resolver,
  members: readonly DeclaredAttachment[],
): Declared {
  const resource = model.resources.get(subject.logicalId);
  const properties = resource ? resolver.properties(resource) : {};
  const origins = new Map<string, (DeclaredAttachment | undefined)[]>();
  const newItemsAs = new Map<string, string>();
  for (const member of members) {
    const name = member.row.property;
    if (name === undefined || member.row.item === undefined) continue;
    if (!origins.has(name)) {
      const inline = properties[name];
      const base = Array.isArray(inline)
        ? inline
        : inline === undefined
          ? defaultOf(subject.type, name)
          : [inline];
      const list = Array.isArray(base) ? [...base] : [];
      properties[name] = list;
      origins.set(
        name,
        list.map(() => undefined),
      );
      if (inline === undefined) newItemsAs.set(name, member.row.type);
    }
    const item = member.row.item(member.properties, member.physicalId);
    (properties[name] as unknown[]).push(
      item === undefined ? new Unknown(`${member.resource.logicalId} has no physical id`) : item,
    );
    origins.get(name)?.push(member);
  }
  return { properties, origins, newItemsAs };
}

// --- subjects ------------------------------------------------------------------------------------

/** A resource whose live state is looked at, with the events that changed it. */
interface Subject {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
  readonly drift?: ResourceDrift;
  readonly events: WindowEvent[];
  /** Touched resources whose events brought it here (a touched attachment, for its target). */
  readonly through: Set<string>;
}

const LIVE_NOTE: Readonly<Record<string, string>> = {
  IN_SYNC:
    "drift detection checks only properties the template sets, so it said IN_SYNC; Phantom read the live state through Cloud Control GetResource and compared it with the template",
  NOT_CHECKED:
    "drift detection cannot check this resource type (NOT_CHECKED); Phantom read the live state through Cloud Control GetResource and compared it with the template",
  UNSUPPORTED:
    "drift detection does not support this resource type (UNSUPPORTED); Phantom read the live state through Cloud Control GetResource and compared it with the template",
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function names(list: Iterable<string>): string {
  const all = [...new Set(list)];
  return all.length === 0 ? "nothing" : all.join(", ");
}

/** One difference in drift's shape, its live (or requested) value redacted where it is a secret. */
function toDifference(
  d: Difference,
  source: "cloudcontrol" | "request",
  declared?: Declared,
  attachmentType?: string,
): PropertyDifference {
  const name = topName(d.path) ?? "";
  const origin = d.declaredIndex !== undefined ? declared?.origins.get(name)?.[d.declaredIndex] : undefined;
  const newAs = d.type === "ADD" ? declared?.newItemsAs.get(name) : undefined;
  const attachment = origin
    ? { type: origin.row.type, logicalId: origin.resource.logicalId }
    : attachmentType
      ? { type: attachmentType }
      : newAs
        ? { type: newAs }
        : undefined;
  return {
    path: d.path,
    type: d.type,
    expected: plainValue(d.expected),
    actual: redactAt(d.path, plainValue(d.actual)),
    source,
    ...(attachment ? { attachment } : {}),
  };
}

/**
 * The differences the window's requests can show. A window keeps its requests with their secrets
 * redacted (core/reactor/touch.ts): a redacted value says the request set the property, never to
 * what, so it is never compared with the template's as if it were real. Its `NOT_EQUAL` is dropped
 * with a note; an `ADD` (the request set what the template lacks) stands.
 */
function known(found: readonly Difference[], notes: string[]): Difference[] {
  const withheld = found.filter(
    (d) => d.type === "NOT_EQUAL" && JSON.stringify(d.actual ?? null).includes(REDACTED),
  );
  if (withheld.length > 0) {
    notes.push(
      `the requests set ${names(withheld.map((d) => d.path))} to a secret Phantom does not keep, so it is not compared with the template`,
    );
  }
  return found.filter((d) => !withheld.includes(d));
}

/** Unknown parts of a declared value shown as CloudFormation would not resolve them: null. */
function plainValue(value: unknown): unknown {
  if (isUnknown(value)) return null;
  if (Array.isArray(value)) return value.map(plainValue);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  return value;
}

async function readLive(
  live: LiveState,
  resource: { stack: string; logicalId: string; type: string; physicalId: string },
): Promise<LiveRead> {
  try {
    const read = await live.read(resource);
    if (read.kind === "found" && !isRecord(read.properties)) {
      return {
        kind: "unavailable",
        reason: "failed",
        detail: "Cloud Control returned properties that are not an object",
      };
    }
    return read;
  } catch (error) {
    return {
      kind: "unavailable",
      reason: "failed",
      detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}

function unavailableText(read: Extract<LiveRead, { kind: "unavailable" }>): string {
  const base = UNAVAILABLE[read.reason] ?? UNAVAILABLE.failed;
  return read.detail ? `${base} (${read.detail.replace(/\s+/g, " ").slice(0, 300)})` : base;
}

/** The differences between the declared properties and a live (or implied) state, on the named properties. */
function compareNamed(
  declared: Declared,
  type: string,
  state: Readonly<Record<string, unknown>>,
  compared: ReadonlySet<string>,
  requested: Requested,
): Difference[] {
  const out: Difference[] = [];
  for (const name of compared) {
    const base = declared.properties[name] ?? defaultOf(type, name);
    out.push(...compareValues(`/${segment(name)}`, base, state[name], requested));
  }
  return out;
}

/**
 * Drift detection's report, with every blind spot looked at: the returned report replaces the input.
 * A blind spot is a touched resource drift detection said IN_SYNC, NOT_CHECKED or UNSUPPORTED about
 * that a window event with a catalogued modify effect changed (itself or through an attachment);
 * only blind spots cost a live read. Differences carry `source: "cloudcontrol"` (the live read) or
 * `source: "request"` (Cloud Control could not read; the window's requests say what changed), and
 * every resource looked at gets a note saying how. Never throws for what the live state or the
 * requests hold.
 */
export async function seeBlindSpots(
  input: BlindSpotInput,
): Promise<DriftReport & { readonly liveReads: number }> {
  const model = input.template
    ? readTemplate(input.template.text, input.template.format)
    : readTemplate("{}", "json");
  const stack = input.stack ?? input.stackResources[0]?.stack ?? "";
  const resolver = new Resolver({
    model,
    stackResources: input.stackResources,
    ...(input.parameters ? { parameters: input.parameters } : {}),
    ...(stack ? { stack } : {}),
    ...(input.region ? { region: input.region } : {}),
    ...(input.account ? { account: input.account } : {}),
  });
  const catalog = createCatalog();
  // An entry's effect may depend on the request (`PutParameter` modifies only with `overwrite`).
  const modifies = (event: WindowEvent) => {
    const record = cloudTrailRecordSchema.safeParse({
      eventName: event.eventName,
      eventSource: event.eventSource,
      eventTime: event.eventTime,
      requestParameters: event.request ?? null,
    });
    const entry = catalog.lookup(
      event.eventSource,
      event.eventName,
      record.success ? record.data : undefined,
    );
    return entry?.effect === "modify";
  };
  const eventsOf = (logicalId: string) =>
    input.events.filter((e) => modifies(e) && e.resources.some((r) => r.logicalId === logicalId));
  const identity = (logicalId: string) => {
    const known = input.stackResources.find((r) => r.logicalId === logicalId);
    const touched = input.events.flatMap((e) => e.resources).find((r) => r.logicalId === logicalId);
    return {
      physicalId: known?.physicalId ?? touched?.physicalId ?? "",
      type: known?.type ?? touched?.type ?? model.resources.get(logicalId)?.type ?? "",
    };
  };

  // Which resources to look at, and with which events.
  const results = new Map<string, ResourceDrift>(input.drift.resources.map((r) => [r.logicalId, r]));
  const subjects = new Map<string, Subject>();
  const subjectOf = (logicalId: string, drift?: ResourceDrift): Subject => {
    const existing = subjects.get(logicalId);
    if (existing) return existing;
    const known = identity(logicalId);
    const subject: Subject = {
      logicalId,
      type: drift?.type ?? known.type,
      physicalId: drift?.physicalId ?? known.physicalId,
      ...(drift ? { drift } : {}),
      events: [],
      through: new Set(),
    };
    subjects.set(logicalId, subject);
    return subject;
  };
  const memberNotes = new Map<string, string>();
  for (const drift of input.drift.resources) {
    if (!BLIND.has(drift.status)) continue;
    const events = eventsOf(drift.logicalId);
    if (events.length === 0) continue;
    const type = drift.type ?? identity(drift.logicalId).type;
    const rows = attachmentRows(type).filter((row) => row.live === "target");
    const declared = model.resources.get(drift.logicalId);
    const targets = declared ? rows.flatMap((row) => targetsOf(declared, row)) : [];
    if (targets.length > 0) {
      // A separate rule or inline policy: Cloud Control reads it with the resource it belongs to.
      for (const target of targets) {
        const targetDrift = results.get(target);
        if (targetDrift !== undefined && !BLIND.has(targetDrift.status)) continue;
        const subject = subjectOf(target, targetDrift);
        for (const e of events) if (!subject.events.includes(e)) subject.events.push(e);
        subject.through.add(drift.logicalId);
      }
      memberNotes.set(drift.logicalId, `compared as part of ${names(targets)}, whose live state holds it`);
      continue;
    }
    const subject = subjectOf(drift.logicalId, drift);
    for (const e of events) if (!subject.events.includes(e)) subject.events.push(e);
  }

  let liveReads = 0;
  const added: ResourceDrift[] = [];
  for (const subject of subjects.values()) {
    const original: ResourceDrift = subject.drift ??
      results.get(subject.logicalId) ?? {
        logicalId: subject.logicalId,
        ...(subject.physicalId ? { physicalId: subject.physicalId } : {}),
        ...(subject.type ? { type: subject.type } : {}),
        status: "IN_SYNC",
        differences: [],
      };
    const { writes, perEvent, unmapped } = writesOf(subject.events);
    const own = writes.filter((w) => w.type === undefined || w.type === subject.type);
    const byAttachment = new Map<string, { event: WindowEvent; writes: PropertyWrite[] }[]>();
    for (const { event, writes: eventWrites } of perEvent) {
      for (const w of eventWrites) {
        if (w.type === undefined || w.type === subject.type) continue;
        const list = byAttachment.get(w.type) ?? [];
        const entry = list.find((e) => e.event === event);
        if (entry) entry.writes.push(w);
        else list.push({ event, writes: [w] });
        byAttachment.set(w.type, list);
      }
    }
    const allAttachments = attachmentsOf(subject, model.resources.values(), resolver);
    const members = allAttachments.filter((a) => a.row.live === "target");
    const declared = declaredState(subject, model, resolver, members);
    // A call that cannot be read, or one on the resource as a whole (a link resource re-created), may
    // have changed anything it declares: every declared property is compared, nothing undeclared.
    const everything =
      (original.status !== "IN_SYNC" && unmapped.length > 0) || own.some((w) => w.path === "");
    const compared = new Set<string>();
    for (const w of own) {
      const name = topName(w.path);
      if (name !== undefined && name !== "") compared.add(name);
      else if (w.path === "") for (const n of Object.keys(declared.properties)) compared.add(n);
    }
    if (everything) for (const n of Object.keys(declared.properties)) compared.add(n);
    const requested = requestedBy(own, new Set(Object.keys(declared.properties)), everything);

    const differences: PropertyDifference[] = [];
    const notes: string[] = [];
    let source: "cloudcontrol" | "request" | undefined;
    if (compared.size > 0) {
      liveReads++;
      const read = await readLive(input.live, {
        stack,
        logicalId: subject.logicalId,
        type: subject.type,
        physicalId: subject.physicalId,
      });
      const writeOnly = [...compared].filter((n) => isWriteOnly(subject.type, n));
      const readable = new Set([...compared].filter((n) => !isWriteOnly(subject.type, n)));
      if (read.kind === "found") {
        source = "cloudcontrol";
        const found = compareNamed(declared, subject.type, read.properties, readable, requested);
        differences.push(...found.map((d) => toDifference(d, "cloudcontrol", declared)));
        if (writeOnly.length > 0) {
          const implied = simulate(declared.properties, own);
          const fromRequests = known(
            compareNamed(declared, subject.type, implied, new Set(writeOnly), requested),
            notes,
          );
          differences.push(...fromRequests.map((d) => toDifference(d, "request", declared)));
        }
        notes.push(
          `${LIVE_NOTE[original.status] ?? LIVE_NOTE.IN_SYNC}: ${
            found.length > 0 ? plural(found.length, "difference") : "no difference"
          } on ${names(readable)}${writeOnly.length > 0 ? ` (${names(writeOnly)} Cloud Control never returns: taken from the requests)` : ""}`,
        );
      } else {
        source = "request";
        const implied = simulate(declared.properties, own);
        const fromRequests = known(compareNamed(declared, subject.type, implied, compared, requested), notes);
        differences.push(...fromRequests.map((d) => toDifference(d, "request", declared)));
        notes.push(
          `${unavailableText(read)}; ${
            fromRequests.length > 0
              ? "differences taken from the requests"
              : "the requests imply no difference from the template"
          }${unmapped.length > 0 ? ` (${names(unmapped.map((e) => e.eventName))} cannot be read from the request)` : ""}`,
        );
      }
    } else if (unmapped.length > 0 && byAttachment.size === 0) {
      notes.push(
        `${names(unmapped.map((e) => e.eventName))} changed it, but Phantom cannot name the property from the request; drift detection's ${original.status} stands`,
      );
    }

    // Attachments the target's schema does not hold: each declared one is read on its own.
    for (const [type, perEvent] of byAttachment) {
      const declaredOfType = allAttachments.filter((a) => a.row.type === type && a.row.live === "attachment");
      const short = type.split("::").at(-1) ?? type;
      const reported: { actual: unknown; what: string }[] = [];
      // A new instance (a permission added, a route created) is never one the template declares,
      // unless it re-adds one: the request is its witness.
      for (const item of perEvent.flatMap((e) => e.writes.flatMap(instanceItems))) {
        if (declaredOfType.some((a) => sameInstance(a, item))) continue;
        reported.push({ actual: item, what: "added" });
      }
      const others = perEvent.map((e) => ({
        ...e,
        writes: e.writes.filter((w) => instanceItems(w).length === 0),
      }));
      const otherWrites = others.flatMap((e) => e.writes);
      if (declaredOfType.length === 0) {
        for (const { writes: eventWrites } of others) {
          const implied = simulate({}, eventWrites);
          if (Object.keys(implied).length > 0) reported.push({ actual: implied, what: "set" });
        }
        if (reported.length === 0 && otherWrites.length > 0) {
          notes.push(
            `the window changed its ${type}, which the template does not declare, and the request does not say how`,
          );
        }
      } else if (otherWrites.length > 0) {
        for (const attachment of declaredOfType) {
          const result = await lookAtAttachment(attachment, otherWrites, subject, stack, input.live);
          liveReads++;
          if (result.drift === undefined) {
            notes.push(`its ${type} ${attachment.resource.logicalId}: ${result.note}`);
            continue;
          }
          const previous = results.get(attachment.resource.logicalId);
          const entry: ResourceDrift = {
            ...(previous ?? {
              logicalId: attachment.resource.logicalId,
              ...(attachment.physicalId ? { physicalId: attachment.physicalId } : {}),
              type,
            }),
            ...result.drift,
            differences: [...(previous?.differences ?? []), ...result.drift.differences],
            note: result.note,
            changedThrough: [subject.logicalId],
          };
          if (previous) results.set(attachment.resource.logicalId, entry);
          else added.push(entry);
          notes.push(`its ${type} ${attachment.resource.logicalId} changed (see that resource)`);
        }
      }
      reported.forEach(({ actual }, i) => {
        const path = `/${short}${reported.length > 1 ? `/${i}` : ""}`;
        differences.push({
          path,
          type: "ADD",
          expected: null,
          actual: redactAt(path, plainValue(actual)),
          source: "request",
          attachment: { type },
        });
      });
      if (reported.length > 0) {
        source ??= "request";
        notes.push(
          `the window ${names(reported.map((r) => r.what))} ${plural(reported.length, type)} the template does not declare: taken from the requests`,
        );
      }
    }

    const changed = differences.length > 0;
    const note = [
      ...(subject.through.size > 0 ? [`changed through ${names(subject.through)}`] : []),
      ...notes,
    ]
      .filter((n) => n !== "")
      .join("; ");
    const updated: ResourceDrift = {
      ...original,
      status: changed ? "MODIFIED" : original.status,
      differences: [...original.differences, ...differences],
      ...(note ? { note: original.note && !changed && !source ? `${original.note}; ${note}` : note } : {}),
      ...(subject.through.size > 0 ? { changedThrough: [...subject.through] } : {}),
    };
    if (results.has(subject.logicalId)) results.set(subject.logicalId, updated);
    else if (changed || note) added.push(updated);
  }

  const resources = [
    ...input.drift.resources.map((r) => {
      const result = results.get(r.logicalId) ?? r;
      const member = memberNotes.get(r.logicalId);
      return member && result === r ? { ...r, note: r.note ? `${r.note}; ${member}` : member } : result;
    }),
    ...added,
  ];
  return { resources, calls: input.drift.calls, liveReads };
}

/**
 * Reads one `live: "attachment"` resource and compares it with its declaration. `drift` is what
 * changed (absent: nothing did). Cloud Control finding no such resource after a window that removed
 * one is a deletion.
 */
async function lookAtAttachment(
  attachment: DeclaredAttachment,
  writes: readonly PropertyWrite[],
  subject: Subject,
  stack: string,
  live: LiveState,
): Promise<{ drift?: Pick<ResourceDrift, "status" | "differences" | "expectedProperties">; note: string }> {
  const type = attachment.row.type;
  // The properties that name the target identify the attachment; AWS may spell them another way.
  const identifying = new Set(attachment.row.via);
  const properties = Object.fromEntries(
    Object.entries(attachment.properties).filter(([k]) => !identifying.has(k)),
  );
  const declared: Declared = { properties, origins: new Map(), newItemsAs: new Map() };
  const whole = writes.some((w) => w.path === "");
  const compared = new Set<string>(
    whole ? Object.keys(properties) : writes.map((w) => topName(w.path)).filter((n): n is string => !!n),
  );
  const requested = requestedBy(
    writes.filter((w) => w.path !== ""),
    new Set(Object.keys(properties)),
    false,
  );
  const read = await readLive(live, {
    stack,
    logicalId: attachment.resource.logicalId,
    type,
    physicalId: attachment.physicalId ?? "",
  });
  const through = `changed through ${subject.logicalId}`;
  if (read.kind === "found") {
    const found = compareNamed(declared, type, read.properties, compared, requested);
    const note = `${through}; Phantom read it through Cloud Control GetResource: ${
      found.length > 0 ? plural(found.length, "difference") : "no difference"
    } on ${names(compared)}`;
    return found.length > 0
      ? {
          drift: {
            status: "MODIFIED",
            differences: found.map((d) => toDifference(d, "cloudcontrol", declared)),
          },
          note,
        }
      : { note };
  }
  const removal = writes.some((w) => w.op.kind === "remove" || (w.path === "" && w.op.kind === "touch"));
  if (read.reason === "not-found" && removal) {
    return {
      drift: { status: "DELETED", differences: [], expectedProperties: plainValue(attachment.properties) },
      note: `${through}; Cloud Control GetResource finds it no more: deleted`,
    };
  }
  const implied = simulate(properties, writes);
  const withheld: string[] = [];
  const fromRequests = known(compareNamed(declared, type, implied, compared, requested), withheld);
  const note = `${through}; ${unavailableText(read)}; ${
    fromRequests.length > 0
      ? "differences taken from the requests"
      : "the requests imply no difference from the template"
  }${withheld.map((w) => `; ${w}`).join("")}`;
  return fromRequests.length > 0
    ? {
        drift: {
          status: "MODIFIED",
          differences: fromRequests.map((d) => toDifference(d, "request", declared)),
        },
        note,
      }
    : { note };
}

export type { DeclaredResource };
