import { z } from "zod";
import { identitiesSchema } from "../publish/identities.ts";
import { stacksSchema } from "../publish/location.ts";
import { formatDuration, parseDuration } from "./duration.ts";

/**
 * `phantom.yaml`: Phantom's own configuration. Strict (unknown keys are errors, so a typo never
 * silently disables a rule), and validated all at once so a bad file fails with the full list.
 */

const glob = z.string().min(1, "must not be empty");

/** An ignore rule: every field it sets must match (AND); rules are ORed. */
export const ignoreRuleSchema = z
  .strictObject({
    /** Why the rule exists; shown in every ignored verdict it causes. */
    reason: z.string().optional(),
    /** Principal ARN, session/user name or session-issuer role ARN glob: `arn:aws:sts::*:assumed-role/ci-*\/*`. */
    principal: glob.optional(),
    /** `service:EventName` glob: `ec2:CreateTags`, `lambda:UpdateFunctionCode*`, `s3:PutBucket*`. */
    event: glob
      .regex(/^[a-z0-9*?-]+:[A-Za-z0-9*?_]+$/, "must look like service:EventName (e.g. ec2:CreateTags)")
      .optional(),
    /** Physical id glob of a touched resource: `sg-0abc*`, `payments-*`. */
    resource: glob.optional(),
    /** Region glob: `eu-*`. */
    region: glob.optional(),
  })
  .refine((r) => r.principal ?? r.event ?? r.resource ?? r.region, {
    message: "an ignore rule needs at least one of principal, event, resource, region",
  });

export type IgnoreRule = z.output<typeof ignoreRuleSchema>;

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(v)} is not a duration (e.g. 120s, 15m, 1h)` });
    return z.NEVER;
  }
  return ms;
});

/** When windows settle (DESIGN §1): quiet period and max wait, as durations (`120s`, `15m`). */
export const windowsSchema = z
  .strictObject({
    quietPeriod: duration.default(120_000),
    maxWait: duration.default(15 * 60_000),
  })
  .refine((w) => w.maxWait >= w.quietPeriod, { message: "maxWait must not be shorter than quietPeriod" });

export const configSchema = z.strictObject({
  windows: windowsSchema.default({ quietPeriod: 120_000, maxWait: 15 * 60_000 }),
  ignore: z.array(ignoreRuleSchema).default([]),
  /**
   * AWS services acting on your behalf (Auto Scaling replacing instances, DynamoDB auto scaling) are
   * ignored by default; `include` treats their writes as changes.
   */
  serviceAutomation: z.enum(["ignore", "include"]).default("ignore"),
  /** The environment of the stacks this config covers (prod, staging, dev); else the stack tag `env`. */
  environment: z.string().min(1).optional(),
  /** Principal pattern ► GitHub handle: mapped actors are @-mentioned in PRs, others shown in code. */
  identities: identitiesSchema.optional(),
  /** Where each stack's template lives: `{<name or glob>: {repo, path, branch?, env?, parameters?}}`. */
  stacks: stacksSchema.optional(),
});

export type PhantomConfig = z.output<typeof configSchema>;

export const DEFAULT_CONFIG: PhantomConfig = configSchema.parse({});

export type ConfigResult =
  | { readonly ok: true; readonly config: PhantomConfig }
  | { readonly ok: false; readonly issues: readonly string[] };

/** Validates a parsed config document, reporting every problem with its path (`ignore[2].event: ...`). */
export function parseConfig(input: unknown): ConfigResult {
  const result = configSchema.safeParse(input ?? {});
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
    .join("");
}

/**
 * A parsed configuration as a `phantom.yaml` document again (durations as `120s`, `15m`), such that
 * `parseConfig(configDocument(c))` gives `c` back: what `phantom rehearse` bundles for the handlers.
 */
export function configDocument(config: PhantomConfig): Record<string, unknown> {
  return {
    ...config,
    windows: {
      quietPeriod: formatDuration(config.windows.quietPeriod),
      maxWait: formatDuration(config.windows.maxWait),
    },
  };
}
