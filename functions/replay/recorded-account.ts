import type { Dirent } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { LiveRead, LiveState } from "../../core/drift/live.ts";
import { parseDriftDocument, unknownDrift } from "../../core/drift/normalize.ts";
import type { DriftDetector, StackDirectory, StackResource } from "../../core/drift/ports.ts";
import {
  formatIssues,
  GONE_RESOURCE_STATUSES,
  stackResourcesDocumentSchema,
} from "../../core/drift/schema.ts";
import type { ResourceDrift } from "../../core/drift/types.ts";
import { checkStackName } from "../../core/publish/safe.ts";
import { templateBytesProblem } from "../../core/template/bounds.ts";
import type { Place } from "../../core/window/stack.ts";
import { CLOUD_CONTROL_ERRORS, liveReadFailure, liveReadOf } from "../adapters/cloudcontrol-live-state.ts";
import { deployedParameters } from "../adapters/cloudformation-templates.ts";
import { TEMPLATE_EXTENSIONS } from "./recorded-templates.ts";
import type { Scenario } from "./scenario.ts";

/**
 * The replay adapters over a scenario's recorded account directory (DESIGN §4, contract):
 * `stacks/<Stack>.json` (DescribeStackResources output + optional `Tags` and `Parameters`),
 * `drift/<Stack>/<LogicalId>.json` (DetectStackResourceDrift output) and
 * `resources/<Stack>/<LogicalId>.json` (Cloud Control GetResource output, or the error it gave).
 */

/** The recorded account is invalid; the message lists every problem, each naming its file. */
export class RecordedAccountError extends Error {
  override readonly name = "RecordedAccountError";
  constructor(
    readonly dir: string,
    readonly issues: readonly string[],
  ) {
    super(`${dir} is not a valid recorded account:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
  }
}

export interface RecordedAccount {
  /** Stack names, sorted. */
  readonly stacks: readonly string[];
  /** Physical id ► owning stack, from `stacks/*.json`. */
  readonly directory: StackDirectory;
  /**
   * Recorded drift results. A logical id with no `drift/<Stack>/<LogicalId>.json` is UNKNOWN (never
   * clean); `calls` counts one per distinct logical id asked for, as the real detector would call.
   */
  readonly drift: DriftDetector;
  /** The stack's tags (`Key` ► `Value`); empty when none were recorded or the stack is unknown. */
  stackTags(stack: string): Readonly<Record<string, string>>;
  /** The stack's live resources (deleted and never-created ones left out). */
  resources(stack: string): readonly StackResource[];
  /**
   * The stack's deployed parameter values (`Parameters` as DescribeStacks gives them, read as the
   * deployed adapter reads them: `deployedParameters`); empty when none were recorded.
   */
  parameters(stack: string): Readonly<Record<string, string>>;
  /**
   * The live state as Cloud Control would read it, from `resources/<Stack>/<LogicalId>.json`. A
   * resource without a file is `unavailable` `not-found`, its detail saying it was not recorded (the
   * rehearsal's Cloud Control stand-in answers it with a ResourceNotFoundException of the same words).
   */
  readonly live: LiveState;
  /** The recorded Cloud Control reads, for the rehearsal's stand-in. */
  readonly liveReads: readonly RecordedLiveRead[];
}

/** One `resources/<Stack>/<LogicalId>.json`: what Cloud Control's GetResource answered. */
export interface RecordedLiveRead {
  readonly stack: string;
  readonly logicalId: string;
  readonly typeName: string;
  /** The Cloud Control identifier: the resource's physical id. */
  readonly identifier: string;
  readonly answer:
    | { readonly kind: "found"; readonly properties: string }
    | { readonly kind: "error"; readonly code: string; readonly message: string };
}

/** The words a resource without a recorded live state is answered with, in replay and rehearsal alike. */
export function notRecordedMessage(stack: string, logicalId: string): string {
  return `no live state recorded for ${stack}/${logicalId} in the scenario (resources/${stack}/${logicalId}.json)`;
}

const TYPE_NAME = /^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$/;

/**
 * A recorded GetResource answer: the output (`Properties` a JSON string as on the wire, or the
 * object itself, as people write it), or the error Cloud Control gave.
 */
const liveReadDocumentSchema = z
  .looseObject({
    TypeName: z.string().regex(TYPE_NAME, "must be a resource type such as AWS::EC2::SecurityGroup"),
    ResourceDescription: z
      .looseObject({
        Identifier: z.string().min(1),
        Properties: z.union([z.string(), z.record(z.string(), z.unknown())]),
      })
      .optional(),
    Error: z
      .looseObject({
        Code: z.string().refine((code) => Object.hasOwn(CLOUD_CONTROL_ERRORS, code), {
          message: `must be a Cloud Control error code (${Object.keys(CLOUD_CONTROL_ERRORS).join(", ")})`,
        }),
        Message: z.string().optional(),
      })
      .optional(),
  })
  .refine((d) => (d.ResourceDescription === undefined) !== (d.Error === undefined), {
    message: "needs exactly one of ResourceDescription (what GetResource returned) or Error (how it failed)",
  });

/** Recorded `Parameters` of a stack, as DescribeStacks gives them. */
const parametersSchema = z
  .array(
    z.looseObject({
      ParameterKey: z.string().min(1),
      ParameterValue: z.string().optional(),
      ResolvedValue: z.string().optional(),
    }),
  )
  .nullish();

interface RecordedStack {
  readonly resources: readonly StackResource[];
  readonly tags: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * A directory's entries: `undefined` when it does not exist; one that cannot be read (not a
 * directory, no permission) is an issue naming it, and reads as empty so every other problem is
 * still found.
 */
async function entriesOf(dir: string, issues: string[]): Promise<Dirent[] | undefined> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    issues.push(`${dir}: cannot read: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}

async function listJson(dir: string, issues: string[]): Promise<string[] | undefined> {
  return (await entriesOf(dir, issues))
    ?.filter((e) => e.isFile() && e.name.toLowerCase().endsWith(".json"))
    .map((e) => e.name)
    .sort();
}

async function listDirs(dir: string, issues: string[]): Promise<string[]> {
  return ((await entriesOf(dir, issues)) ?? [])
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/**
 * The safe-state templates of the recorded stacks (`templates/<Stack>.<ext>`), checked before the
 * replay starts: one that is not a file, or is over CloudFormation's 1 MB template limit, is an
 * issue naming the file and the stack.
 */
async function checkTemplates(dir: string, stacks: ReadonlySet<string>, issues: string[]): Promise<void> {
  const templatesDir = path.join(dir, "templates");
  for (const entry of (await entriesOf(templatesDir, issues)) ?? []) {
    const extension = TEMPLATE_EXTENSIONS.find((e) => entry.name.toLowerCase().endsWith(e));
    const stack = extension ? entry.name.slice(0, -extension.length) : undefined;
    if (stack === undefined || !stacks.has(stack)) continue;
    const file = path.join(templatesDir, entry.name);
    if (!entry.isFile()) {
      issues.push(
        `${file} (stack ${stack}): is ${entry.isDirectory() ? "a directory" : "not a regular file"}, not a template file`,
      );
      continue;
    }
    const size = (await stat(file)).size;
    const problem = templateBytesProblem(size);
    if (problem !== undefined) issues.push(`${file} (stack ${stack}) ${problem}`);
  }
}

async function readJson(file: string, issues: string[]): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    issues.push(`${file}: cannot read: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    issues.push(`${file}: not JSON: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

function stem(file: string): string {
  return file.replace(/\.json$/i, "");
}

async function loadStack(
  file: string,
  stack: string,
  issues: string[],
): Promise<{ stack: RecordedStack; allLogicalIds: Set<string> } | undefined> {
  const json = await readJson(file, issues);
  if (json === undefined) return undefined;
  const parsed = stackResourcesDocumentSchema.safeParse(json);
  if (!parsed.success) {
    issues.push(...formatIssues(parsed.error).map((i) => `${file}: ${i}`));
    return undefined;
  }
  const resources: StackResource[] = [];
  const allLogicalIds = new Set<string>();
  parsed.data.StackResources.forEach((r, index) => {
    if (r.StackName !== undefined && r.StackName !== stack) {
      issues.push(
        `${file}: StackResources.${index}.StackName is "${r.StackName}" but the file is for stack "${stack}"`,
      );
    }
    allLogicalIds.add(r.LogicalResourceId);
    if (r.PhysicalResourceId === undefined || GONE_RESOURCE_STATUSES.includes(r.ResourceStatus ?? "")) return;
    resources.push({
      stack,
      ...(r.StackId !== undefined ? { stackId: r.StackId } : {}),
      logicalId: r.LogicalResourceId,
      physicalId: r.PhysicalResourceId,
      type: r.ResourceType,
    });
  });
  const tags = Object.fromEntries((parsed.data.Tags ?? []).map((t) => [t.Key, t.Value]));
  const recordedParameters = parametersSchema.safeParse((json as { Parameters?: unknown }).Parameters);
  if (!recordedParameters.success) {
    issues.push(...formatIssues(recordedParameters.error, "Parameters").map((i) => `${file}: ${i}`));
  }
  const parameters = deployedParameters(
    (recordedParameters.success ? recordedParameters.data : undefined) ?? [],
  );
  return { stack: { resources, tags, parameters }, allLogicalIds };
}

/**
 * Reads and validates a recorded account directory (the scenario's `account/`) up front, and
 * reports every problem at once: unreadable or invalid JSON, a `StackName` that disagrees with its
 * file, one physical id claimed twice for the same type, drift recorded for an unknown stack or
 * logical id, or a drift file for another logical id than its name. A missing `stacks/` or `drift/`
 * folder is an empty account, not an error.
 * @throws {RecordedAccountError} listing every problem, each with its file.
 */
export async function loadRecordedAccount(dir: string): Promise<RecordedAccount> {
  const issues: string[] = [];
  const stacks = new Map<string, RecordedStack>();
  const logicalIds = new Map<string, Set<string>>();

  const stacksDir = path.join(dir, "stacks");
  for (const file of (await listJson(stacksDir, issues)) ?? []) {
    const name = stem(file);
    // The name becomes a directory under --out and a branch: `..` or `a/b` must never get that far.
    const checked = checkStackName(name);
    if (!checked.ok) {
      issues.push(
        `${path.join(stacksDir, file)}: the stack name ${JSON.stringify(name)} is not a CloudFormation stack name: it ${checked.reason}`,
      );
      continue;
    }
    const loaded = await loadStack(path.join(stacksDir, file), name, issues);
    if (loaded === undefined) continue;
    stacks.set(name, loaded.stack);
    logicalIds.set(name, loaded.allLogicalIds);
  }

  const byPhysicalId = new Map<string, StackResource[]>();
  for (const { resources } of stacks.values()) {
    for (const r of resources) {
      const owners = byPhysicalId.get(r.physicalId) ?? [];
      const clash = owners.find((o) => o.type === r.type);
      if (clash) {
        issues.push(
          `${path.join(stacksDir, `${r.stack}.json`)}: ${r.type} ${r.physicalId} is also ${clash.stack}/${clash.logicalId}`,
        );
        continue;
      }
      byPhysicalId.set(r.physicalId, [...owners, r]);
    }
  }

  const drifts = new Map<string, ResourceDrift>();
  const driftDir = path.join(dir, "drift");
  for (const stack of await listDirs(driftDir, issues)) {
    const known = logicalIds.get(stack);
    for (const file of (await listJson(path.join(driftDir, stack), issues)) ?? []) {
      const where = path.join(driftDir, stack, file);
      const logicalId = stem(file);
      if (known === undefined) {
        issues.push(`${where}: no stacks/${stack}.json records the stack "${stack}"`);
      } else if (!known.has(logicalId)) {
        issues.push(`${where}: stacks/${stack}.json has no resource "${logicalId}"`);
      }
      const json = await readJson(where, issues);
      if (json === undefined) continue;
      const parsed = parseDriftDocument(json);
      if (!parsed.ok) {
        issues.push(...parsed.issues.map((i) => `${where}: ${i}`));
        continue;
      }
      const [drift, ...more] = parsed.drifts;
      if (drift === undefined || more.length > 0) {
        issues.push(
          `${where}: expected one resource's drift (DetectStackResourceDrift output), found ${parsed.drifts.length}`,
        );
        continue;
      }
      if (drift.logicalId !== logicalId) {
        issues.push(`${where}: records drift for "${drift.logicalId}", not "${logicalId}"`);
        continue;
      }
      drifts.set(`${stack}/${logicalId}`, drift);
    }
  }

  const liveReads: RecordedLiveRead[] = [];
  const resourcesDir = path.join(dir, "resources");
  for (const stack of await listDirs(resourcesDir, issues)) {
    const recordedStack = stacks.get(stack);
    for (const file of (await listJson(path.join(resourcesDir, stack), issues)) ?? []) {
      const where = path.join(resourcesDir, stack, file);
      const logicalId = stem(file);
      const resource = recordedStack?.resources.find((r) => r.logicalId === logicalId);
      if (recordedStack === undefined) {
        issues.push(`${where}: no stacks/${stack}.json records the stack "${stack}"`);
      } else if (resource === undefined) {
        issues.push(`${where}: stacks/${stack}.json has no live resource "${logicalId}"`);
      }
      const json = await readJson(where, issues);
      if (json === undefined) continue;
      const parsed = liveReadDocumentSchema.safeParse(json);
      if (!parsed.success) {
        issues.push(...formatIssues(parsed.error).map((i) => `${where}: ${i}`));
        continue;
      }
      const { TypeName, ResourceDescription, Error: failure } = parsed.data;
      if (resource !== undefined && TypeName !== resource.type) {
        issues.push(`${where}: TypeName is ${TypeName} but ${stack}/${logicalId} is ${resource.type}`);
        continue;
      }
      if (
        resource !== undefined &&
        ResourceDescription &&
        ResourceDescription.Identifier !== resource.physicalId
      ) {
        issues.push(
          `${where}: ResourceDescription.Identifier is "${ResourceDescription.Identifier}" but Cloud Control is asked by the physical id "${resource.physicalId}" of ${stack}/${logicalId}`,
        );
        continue;
      }
      let properties: string | undefined;
      if (ResourceDescription) {
        properties =
          typeof ResourceDescription.Properties === "string"
            ? ResourceDescription.Properties
            : JSON.stringify(ResourceDescription.Properties);
        const read = liveReadOf({ type: TypeName, physicalId: ResourceDescription.Identifier }, properties);
        if (read.kind === "unavailable") {
          issues.push(`${where}: ResourceDescription.Properties must be a JSON object (or its JSON text)`);
          continue;
        }
      }
      if (resource === undefined) continue;
      liveReads.push({
        stack,
        logicalId,
        typeName: TypeName,
        identifier: resource.physicalId,
        answer:
          properties !== undefined
            ? { kind: "found", properties }
            : { kind: "error", code: failure?.Code ?? "", message: failure?.Message ?? "" },
      });
    }
  }

  await checkTemplates(dir, new Set(stacks.keys()), issues);
  if (issues.length > 0) throw new RecordedAccountError(dir, issues);

  const directory: StackDirectory = {
    async lookup(resource) {
      const owners = byPhysicalId.get(resource.id) ?? [];
      return owners.find((o) => o.type === resource.type) ?? owners[0];
    },
  };

  const drift: DriftDetector = {
    async detect(stack, requested) {
      const ids = [...new Set(requested)];
      const resources = stacks.get(stack)?.resources ?? [];
      return {
        resources: ids.map((logicalId) => {
          const recorded = drifts.get(`${stack}/${logicalId}`);
          if (recorded) return recorded;
          const known = resources.find((r) => r.logicalId === logicalId);
          return unknownDrift(
            logicalId,
            `no drift recorded for ${stack}/${logicalId} in the scenario`,
            known ? { physicalId: known.physicalId, type: known.type } : {},
          );
        }),
        calls: ids.length,
      };
    },
  };

  const readsByKey = new Map(liveReads.map((r) => [`${r.typeName}\n${r.identifier}`, r]));
  const live: LiveState = {
    async read(resource): Promise<LiveRead> {
      // Found as the stand-in finds it: by type and identifier (the physical id).
      const recorded = readsByKey.get(`${resource.type}\n${resource.physicalId}`);
      if (recorded === undefined) {
        return liveReadFailure(
          resource,
          "ResourceNotFoundException",
          notRecordedMessage(resource.stack, resource.logicalId),
        );
      }
      return recorded.answer.kind === "found"
        ? liveReadOf(resource, recorded.answer.properties)
        : liveReadFailure(resource, recorded.answer.code, recorded.answer.message);
    },
  };

  return {
    stacks: [...stacks.keys()].sort(),
    directory,
    drift,
    stackTags: (stack) => stacks.get(stack)?.tags ?? {},
    resources: (stack) => stacks.get(stack)?.resources ?? [],
    parameters: (stack) => stacks.get(stack)?.parameters ?? {},
    live,
    liveReads,
  };
}

/** A recorded account and where it is: no place for a one-place scenario (`account/`). */
export interface RecordedPlace {
  readonly place?: Place;
  readonly dir: string;
  readonly account: RecordedAccount;
}

/** Every recorded account of a scenario: one per `accounts/<AccountId>/<region>/`, or its `account/`. */
export async function loadRecordedPlaces(scenario: Scenario): Promise<RecordedPlace[]> {
  if (scenario.places !== undefined) {
    return Promise.all(
      scenario.places.map(async ({ dir, ...place }) => ({
        place,
        dir,
        account: await loadRecordedAccount(dir),
      })),
    );
  }
  if (scenario.accountDir === undefined) throw new Error(`scenario ${scenario.name} records no account`);
  return [{ dir: scenario.accountDir, account: await loadRecordedAccount(scenario.accountDir) }];
}
