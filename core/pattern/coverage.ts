/**
 * What the write-API catalog lets Phantom see, per CloudFormation type: the APIs that change a type,
 * and, for a user's own templates, which of their types no catalogued API reaches.
 *
 * Pure: callers read the templates; {@link resourceTypesOf} only parses their text.
 */
import { isMap, isScalar } from "yaml";
import { CATALOG } from "../catalog/entries.ts";
import { EC2_ID_TYPES } from "../catalog/physical-id.ts";
import type { CatalogEntry, Effect, ResourceType } from "../catalog/types.ts";
import { indexTemplate } from "../template/fragments.ts";
import { WATCHED_EFFECTS } from "./generate.ts";

/**
 * How an API reaches a type:
 * - `resolves`: the record names the resource; the intake resolves its physical id;
 * - `by-arn`: the API takes any of the service's resources by ARN (`TagResource`), this type among them;
 * - `attachment`: the type is declared as its own resource but changed through its target
 *   (`PutBucketPolicy` on the bucket changes its `AWS::S3::BucketPolicy`), and read on the target.
 */
export type Reach = "resolves" | "by-arn" | "attachment";

export interface ApiCoverage {
  /** `<service>:<event>`, e.g. `ec2:AuthorizeSecurityGroupIngress`. */
  readonly api: string;
  readonly effect: Effect;
  readonly reach: Reach;
  /** When the effect depends on the request: `overwrite = true` (otherwise create). */
  readonly condition?: string;
}

export interface TypeCoverage {
  readonly type: ResourceType;
  readonly apis: readonly ApiCoverage[];
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function conditionOf(entry: CatalogEntry): string | undefined {
  const when = entry.when;
  if (when === undefined) return undefined;
  return `${when.field} = ${when.is.map(String).join(" or ")} (otherwise ${when.otherwise})`;
}

/** Fixed types the catalog resolves for each service: what a `by-arn` spec of that service can name. */
function fixedTypesByService(entries: readonly CatalogEntry[]): Map<string, Set<ResourceType>> {
  const byService = new Map<string, Set<ResourceType>>();
  for (const entry of entries) {
    for (const spec of entry.touches) {
      if (spec.type === "arn" || spec.type === "ec2-id") continue;
      const types = byService.get(entry.service) ?? new Set<ResourceType>();
      types.add(spec.type);
      byService.set(entry.service, types);
    }
  }
  return byService;
}

/**
 * Per CloudFormation type, the watched APIs (modify and delete) that change it, sorted by type then
 * API. `ec2-id` specs (EC2 tagging) count for every type an EC2 id can name; `arn` specs for every type
 * the same service's entries resolve.
 */
export function catalogCoverage(entries: readonly CatalogEntry[] = CATALOG): TypeCoverage[] {
  const byService = fixedTypesByService(entries);
  const byType = new Map<ResourceType, Map<string, ApiCoverage>>();
  const add = (type: ResourceType, entry: CatalogEntry, reach: Reach) => {
    const api = `${entry.service}:${entry.event}`;
    const apis = byType.get(type) ?? new Map<string, ApiCoverage>();
    const known = apis.get(api);
    if (known !== undefined && known.reach === "resolves") return;
    const condition = conditionOf(entry);
    apis.set(api, { api, effect: entry.effect, reach, ...(condition ? { condition } : {}) });
    byType.set(type, apis);
  };
  for (const entry of entries) {
    if (!WATCHED_EFFECTS.includes(entry.effect)) continue;
    for (const spec of entry.touches) {
      if (spec.type === "ec2-id") for (const type of EC2_ID_TYPES) add(type, entry, "by-arn");
      else if (spec.type === "arn")
        for (const type of byService.get(entry.service) ?? []) add(type, entry, "by-arn");
      else add(spec.type, entry, "resolves");
    }
    for (const type of entry.alsoChanges ?? []) add(type, entry, "attachment");
  }
  return [...byType.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([type, apis]) => ({ type, apis: [...apis.values()].sort((a, b) => compareText(a.api, b.api)) }));
}

/**
 * Types no API call can drift on their own, or that stand for others:
 * - CloudFormation's own (`AWS::CloudFormation::*`, `Custom::*`): changed only by stack operations or
 *   by the custom resource's own code; a nested stack's resources are judged in that stack;
 * - SAM (`AWS::Serverless::*`): the transform expands them before CloudFormation sees them;
 * - Neptune and DocumentDB: managed through the RDS API (`rds.amazonaws.com`), with the same identifiers.
 */
const STANDS_FOR: Readonly<Record<string, ResourceType>> = {
  "AWS::Serverless::Api": "AWS::ApiGateway::RestApi",
  "AWS::Serverless::Function": "AWS::Lambda::Function",
  "AWS::Serverless::HttpApi": "AWS::ApiGatewayV2::Api",
  "AWS::Serverless::LayerVersion": "AWS::Lambda::LayerVersion",
  "AWS::Serverless::SimpleTable": "AWS::DynamoDB::Table",
  "AWS::Serverless::StateMachine": "AWS::StepFunctions::StateMachine",
  "AWS::Neptune::DBCluster": "AWS::RDS::DBCluster",
  "AWS::Neptune::DBClusterParameterGroup": "AWS::RDS::DBClusterParameterGroup",
  "AWS::Neptune::DBInstance": "AWS::RDS::DBInstance",
  "AWS::Neptune::DBParameterGroup": "AWS::RDS::DBParameterGroup",
  "AWS::Neptune::DBSubnetGroup": "AWS::RDS::DBSubnetGroup",
  "AWS::DocDB::DBCluster": "AWS::RDS::DBCluster",
  "AWS::DocDB::DBClusterParameterGroup": "AWS::RDS::DBClusterParameterGroup",
  "AWS::DocDB::DBInstance": "AWS::RDS::DBInstance",
  "AWS::DocDB::DBSubnetGroup": "AWS::RDS::DBSubnetGroup",
};

/**
 * `AWS::CloudFormation::*`, `Custom::*` and SAM's nested applications (`AWS::Serverless::Application`
 * becomes an `AWS::CloudFormation::Stack`): no API outside a stack operation changes them.
 */
function isCloudFormationOwn(type: string): boolean {
  return (
    type.startsWith("AWS::CloudFormation::") ||
    type.startsWith("Custom::") ||
    type === "AWS::Serverless::Application"
  );
}

export type TemplateTypeStatus =
  /** Some watched API changes it (directly, by ARN, or as an attachment). */
  | "covered"
  /** It stands for a covered type (SAM, Neptune, DocumentDB). */
  | "covered-as"
  /** CloudFormation's own: only stack operations change it. */
  | "cloudformation"
  /** No catalogued API reaches it: Phantom cannot see changes to it. */
  | "uncovered";

export interface TemplateType {
  readonly type: string;
  readonly status: TemplateTypeStatus;
  /** Templates (as given) that declare it, sorted. */
  readonly files: readonly string[];
  /** Watched APIs that reach it (for `covered-as`: those of `as`). */
  readonly apis: number;
  /** The type it stands for (`covered-as`), or the one it would, uncovered. */
  readonly as?: string;
}

/** A template's resource types, sorted and distinct. */
export interface TemplateTypes {
  readonly file: string;
  readonly types: readonly string[];
}

/**
 * Each type found in the templates with its coverage, sorted by status (uncovered first: what a user
 * must know), then type. `coverage` is {@link catalogCoverage}'s answer.
 */
export function templateCoverage(
  templates: readonly TemplateTypes[],
  coverage: readonly TypeCoverage[] = catalogCoverage(),
): TemplateType[] {
  const apisOf = new Map(coverage.map((c) => [c.type as string, c.apis.length]));
  const files = new Map<string, Set<string>>();
  for (const template of templates) {
    for (const type of template.types) files.set(type, (files.get(type) ?? new Set()).add(template.file));
  }
  const order: Record<TemplateTypeStatus, number> = {
    uncovered: 0,
    "covered-as": 1,
    covered: 2,
    cloudformation: 3,
  };
  return [...files.entries()]
    .map(([type, where]): TemplateType => {
      const sorted = [...where].sort(compareText);
      const direct = apisOf.get(type) ?? 0;
      if (direct > 0) return { type, status: "covered", files: sorted, apis: direct };
      if (isCloudFormationOwn(type)) return { type, status: "cloudformation", files: sorted, apis: 0 };
      const as = Object.hasOwn(STANDS_FOR, type) ? STANDS_FOR[type] : undefined;
      const viaApis = as === undefined ? 0 : (apisOf.get(as) ?? 0);
      if (as !== undefined && viaApis > 0)
        return { type, status: "covered-as", files: sorted, apis: viaApis, as };
      return { type, status: "uncovered", files: sorted, apis: 0, ...(as ? { as } : {}) };
    })
    .sort((a, b) => order[a.status] - order[b.status] || compareText(a.type, b.type));
}

/** A template that is not a CloudFormation template Phantom can read, with why. */
export class TemplateReadError extends Error {
  override readonly name = "TemplateReadError";
}

/**
 * The resource types a template declares (`Resources.<id>.Type`), sorted and distinct. Short-form YAML
 * tags (`!Ref`) and JSON both parse; a UTF-8 byte-order mark is skipped. Throws
 * {@link TemplateReadError} when the text has no `Resources` map or a resource has no `Type` string.
 */
export function resourceTypesOf(text: string): string[] {
  const index = indexTemplate(text.replace(/^\uFEFF/, ""));
  const resources = index.sections.get("Resources");
  if (resources === undefined || resources.size === 0) {
    throw new TemplateReadError("no Resources section: not a CloudFormation template");
  }
  const types = new Set<string>();
  for (const [logicalId, pair] of resources) {
    const type = isMap(pair.value) ? pair.value.get("Type", true) : undefined;
    if (!isScalar(type) || typeof type.value !== "string" || type.value.trim() === "") {
      throw new TemplateReadError(`Resources.${logicalId}: no Type`);
    }
    types.add(type.value.trim());
  }
  return [...types].sort(compareText);
}
