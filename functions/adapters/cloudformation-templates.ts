import {
  type CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
} from "@aws-sdk/client-cloudformation";
import type { Clock } from "../../core/clock.ts";
import { type StackTags, type TemplateSource, templateFormat } from "../../core/template/ports.ts";
import { describeError, isNotStackOwned } from "./cloudformation.ts";

/**
 * What CloudFormation knows of a stack's safe state: its tags (`DescribeStacks`, which say where the
 * template lives) and the template it was last deployed with (`GetTemplate`, stage `Original`: the
 * text as submitted, with its comments and short-form intrinsics, before transforms).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
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

/**
 * Stack tags through `DescribeStacks`, cached per stack for `ttlMs` (a burst of windows on one stack
 * costs one call). A stack CloudFormation does not know has no tags.
 */
export function createCloudFormationStackTags(options: {
  readonly client: CloudFormationClient;
  readonly clock: Clock;
  readonly ttlMs?: number;
}): StackTags {
  const ttl = options.ttlMs ?? 5 * 60_000;
  const cache = new Map<string, { tags: Readonly<Record<string, string>>; expiresAt: number }>();
  return {
    async tagsOf(stack) {
      const now = options.clock.now();
      const hit = cache.get(stack);
      if (hit && hit.expiresAt > now) return hit.tags;
      let tags: Record<string, string>;
      try {
        const out = await options.client.send(new DescribeStacksCommand({ StackName: stack }));
        tags = Object.fromEntries(
          (out.Stacks?.[0]?.Tags ?? []).flatMap((t) =>
            t.Key !== undefined && t.Value !== undefined ? [[t.Key, t.Value]] : [],
          ),
        );
      } catch (error) {
        if (!isNotStackOwned(error)) throw new StackReadError(stack, "tags", { cause: error });
        tags = {};
      }
      cache.set(stack, { tags, expiresAt: now + ttl });
      return tags;
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
