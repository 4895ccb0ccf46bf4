import {
  type CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  type Parameter,
} from "@aws-sdk/client-cloudformation";
import type { Clock } from "../../core/clock.ts";
import type { StackResource } from "../../core/drift/ports.ts";
import { GONE_RESOURCE_STATUSES } from "../../core/drift/schema.ts";
import { type StackTags, type TemplateSource, templateFormat } from "../../core/template/ports.ts";
import { describeError, isNotStackOwned } from "./cloudformation.ts";

/**
 * What CloudFormation knows of a stack's safe state: its tags (`DescribeStacks`, which say where the
 * template lives), the parameter values it was deployed with (the same `DescribeStacks`), its
 * resources (`ListStackResources`, which resolve `!Ref`/`!GetAtt` to physical ids) and the template
 * it was last deployed with (`GetTemplate`, stage `Original`: the text as submitted, with its
 * comments and short-form intrinsics, before transforms).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackResources.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html
 */

/** A CloudFormation read about a stack failed (throttled past the SDK's retries, access denied, …). */
export class StackReadError extends Error {
  override readonly name = "StackReadError";
  constructor(
    readonly stackName: string,
    what: string,
    options: { cause: unknown },
  ) {
    super(`cannot read the ${what} of stack ${stackName}: ${describeError(options.cause)}`, options);
  }
}

/** What DescribeStacks says of one stack that Phantom reads. */
interface StackDescription {
  readonly tags: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, string>>;
}

/** The value CloudFormation shows for a `NoEcho` parameter: the value itself is never returned. */
const MASKED = "****";

/**
 * The values a stack was deployed with, by parameter key: an SSM parameter's `ResolvedValue`, else
 * `ParameterValue`. A `NoEcho` parameter (shown as `****`) is left out: its value is unknown, never
 * the mask.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Parameter.html
 */
export function deployedParameters(
  parameters: readonly Pick<Parameter, "ParameterKey" | "ParameterValue" | "ResolvedValue">[],
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const p of parameters) {
    const value = p.ResolvedValue ?? p.ParameterValue;
    if (p.ParameterKey === undefined || p.ParameterKey === "" || value === undefined) continue;
    if (value === MASKED && p.ResolvedValue === undefined) continue;
    values[p.ParameterKey] = value;
  }
  return values;
}

/** A stack's tags, deployed parameter values and live resources, as CloudFormation knows them. */
export interface CloudFormationStacks extends StackTags {
  /** Deployed parameter values (see {@link deployedParameters}); empty for a stack CloudFormation does not know. */
  parametersOf(stack: string): Promise<Readonly<Record<string, string>>>;
  /** Every live resource of the stack (deleted and retained ones left out); empty for an unknown stack. */
  resourcesOf(stack: string): Promise<readonly StackResource[]>;
}

/**
 * Tags and parameters through one `DescribeStacks` per stack, cached for `ttlMs` (a burst of windows
 * on one stack costs one call, and the parameters a live comparison needs come with the tags the
 * reaction read first); resources through `ListStackResources`, every page, read when asked (only a
 * window with a blind spot asks). A stack CloudFormation does not know has no tags, parameters or
 * resources; any other failure throws {@link StackReadError}.
 */
export function createCloudFormationStacks(options: {
  readonly client: CloudFormationClient;
  readonly clock: Clock;
  readonly ttlMs?: number;
}): CloudFormationStacks {
  const ttl = options.ttlMs ?? 5 * 60_000;
  const cache = new Map<string, { description: StackDescription; expiresAt: number }>();
  async function describe(stack: string): Promise<StackDescription> {
    const now = options.clock.now();
    const hit = cache.get(stack);
    if (hit && hit.expiresAt > now) return hit.description;
    let description: StackDescription;
    try {
      const out = await options.client.send(new DescribeStacksCommand({ StackName: stack }));
      const found = out.Stacks?.[0];
      description = {
        tags: Object.fromEntries(
          (found?.Tags ?? []).flatMap((t) =>
            t.Key !== undefined && t.Value !== undefined ? [[t.Key, t.Value]] : [],
          ),
        ),
        parameters: deployedParameters(found?.Parameters ?? []),
      };
    } catch (error) {
      if (!isNotStackOwned(error)) throw new StackReadError(stack, "tags and parameters", { cause: error });
      description = { tags: {}, parameters: {} };
    }
    cache.set(stack, { description, expiresAt: now + ttl });
    return description;
  }
  return {
    tagsOf: async (stack) => (await describe(stack)).tags,
    parametersOf: async (stack) => (await describe(stack)).parameters,
    async resourcesOf(stack) {
      const found: StackResource[] = [];
      let nextToken: string | undefined;
      try {
        do {
          const page = await options.client.send(
            new ListStackResourcesCommand({
              StackName: stack,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          );
          for (const s of page.StackResourceSummaries ?? []) {
            if (!s.PhysicalResourceId || !s.LogicalResourceId || !s.ResourceType) continue;
            if (GONE_RESOURCE_STATUSES.includes(s.ResourceStatus ?? "")) continue;
            found.push({
              stack,
              logicalId: s.LogicalResourceId,
              physicalId: s.PhysicalResourceId,
              type: s.ResourceType,
            });
          }
          nextToken = page.NextToken;
        } while (nextToken);
      } catch (error) {
        if (isNotStackOwned(error)) return [];
        throw new StackReadError(stack, "resources", { cause: error });
      }
      return found;
    },
  };
}

/**
 * The deployed template (`GetTemplate`, `TemplateStage: Original`) as the safe state when no
 * repository holds it; its path is the location's when one is known, else `<Stack>.yaml|json`.
 */
export function createDeployedTemplateSource(options: {
  readonly client: CloudFormationClient;
}): TemplateSource {
  return {
    async read(stack, location) {
      let body: string | undefined;
      try {
        const out = await options.client.send(
          new GetTemplateCommand({ StackName: stack, TemplateStage: "Original" }),
        );
        body = out.TemplateBody;
      } catch (error) {
        if (isNotStackOwned(error)) return undefined;
        throw new StackReadError(stack, "template", { cause: error });
      }
      if (body === undefined || body.trim() === "") return undefined;
      const format = templateFormat(body);
      return {
        text: body,
        path: location?.path ?? `${stack}.${format}`,
        format,
        origin: "deployed",
      };
    },
  };
}
