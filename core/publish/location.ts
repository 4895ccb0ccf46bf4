import picomatch from "picomatch";
import { z } from "zod";
import { type Checked, checkBranchName, checkRepositoryPath } from "./safe.ts";

/**
 * Where a stack's safe-state template lives: the `stacks:` map in `phantom.yaml`
 * (`{<stack name or glob>: {repo, path, branch?, env?, parameters?}}`) or the stack's tags
 * (`phantom:repo`, `phantom:path`, `phantom:ref`), field by field, with config winning.
 */

/** One `stacks:` entry of `phantom.yaml`. */
export interface StackLocationConfig {
  /** `owner/name` of the repository holding the template. */
  readonly repo?: string;
  /** The template's path in that repository. */
  readonly path?: string;
  /** The branch PRs target; the repository's default branch when absent. */
  readonly branch?: string;
  /** The stack's environment (`prod`, `staging`, ...). */
  readonly env?: string;
  /** Path of the environment's parameter file (`[{"ParameterKey","ParameterValue"}]`). */
  readonly parameters?: string;
}

const REPO_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/**
 * `stacks:` in `phantom.yaml` (for `core/config/schema.ts`): stack name or glob ► where its template
 * lives. Strict, like the rest of the config.
 */
export const stacksSchema = z.record(
  z.string().min(1, "a stack name or glob must not be empty"),
  z.strictObject({
    repo: z.string().regex(REPO_NAME, "must be owner/name").optional(),
    path: z.string().min(1).superRefine(refuse(repositoryPath, "a path inside the repository")).optional(),
    branch: z
      .string()
      .min(1)
      .superRefine(refuse((b) => checkBranchName(b.trim()), "a branch name"))
      .optional(),
    env: z.string().min(1).optional(),
    parameters: z
      .string()
      .min(1)
      .superRefine(refuse(repositoryPath, "a path inside the repository"))
      .optional(),
  }),
);

/** A zod check that reports a refused path or branch with the reason (core/publish/safe.ts). */
function refuse(check: (value: string) => Checked, what: string) {
  return (value: string, ctx: z.RefinementCtx) => {
    const checked = check(value);
    if (!checked.ok)
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(value)} is not ${what}: it ${checked.reason}`,
      });
  };
}

/** Where a stack's template lives, resolved. */
export interface TemplateLocation {
  readonly repo: string;
  readonly path: string;
  readonly branch?: string;
  readonly env?: string;
  readonly parameters?: string;
  /** Where `repo` and `path` came from: `config` when either did, else `tags`. */
  readonly source: "config" | "tags";
  /** The `stacks:` key that matched, when one did. */
  readonly pattern?: string;
}

export type TemplateLocationResult =
  | { readonly kind: "found"; readonly location: TemplateLocation }
  | { readonly kind: "unknown"; readonly reason: string };

/** Stack tags as DescribeStacks gives them, or already as a map. */
export type StackTags =
  | readonly { readonly Key?: string; readonly Value?: string }[]
  | Readonly<Record<string, string>>;

const GLOB = /[*?[\]{}!]/;

function tagMap(tags: StackTags): Map<string, string> {
  const entries: [string, string][] = Array.isArray(tags)
    ? (tags as readonly { Key?: string; Value?: string }[]).flatMap((t) =>
        t.Key !== undefined && t.Value !== undefined ? [[t.Key, t.Value] as [string, string]] : [],
      )
    : Object.entries(tags as Readonly<Record<string, string>>);
  return new Map(entries.map(([k, v]) => [k.toLowerCase(), v.trim()]));
}

/**
 * A repository-relative path as people write it (surrounding spaces and one leading `./` are
 * forgiven), checked by {@link checkRepositoryPath}: the path, or why it is refused.
 */
function repositoryPath(raw: string): Checked {
  return checkRepositoryPath(raw.trim().replace(/^\.\/(?=.)/, ""));
}

/**
 * The config entry for a stack: an exact key first, then the first glob (in map order) that matches
 * the stack name. Stack names are case-sensitive in CloudFormation, and so is this match.
 */
export function stackConfigFor<T>(
  stack: string,
  stacks: Readonly<Record<string, T>> | undefined,
): { readonly pattern: string; readonly entry: T } | undefined {
  if (!stacks) return undefined;
  const exact = stacks[stack];
  if (exact !== undefined && Object.hasOwn(stacks, stack)) return { pattern: stack, entry: exact };
  for (const [pattern, entry] of Object.entries(stacks)) {
    if (GLOB.test(pattern) && picomatch(pattern, { bash: true, dot: true })(stack)) return { pattern, entry };
  }
  return undefined;
}

/**
 * Resolves where a stack's template lives. Config wins field by field over the tags (a config entry
 * may set only `env` and leave `repo`/`path` to the tags). Tag values are data set from the console:
 * a `phantom:repo` that is not `owner/name`, a `phantom:path` leaving the repository (core/publish/safe.ts:
 * `..`, absolute, `.git` in any case, a control character such as a newline) or a `phantom:ref` git
 * would refuse is reported with the reason, never used.
 */
export function templateLocation(
  stack: string,
  config: { readonly stacks?: Readonly<Record<string, StackLocationConfig>> },
  tags: StackTags = [],
): TemplateLocationResult {
  const matched = stackConfigFor(stack, config.stacks);
  const entry = matched?.entry ?? {};
  const fromTags = tagMap(tags);
  const repo = entry.repo ?? fromTags.get("phantom:repo");
  const rawPath = entry.path ?? fromTags.get("phantom:path");
  const where = (field: "repo" | "path") =>
    entry[field] !== undefined ? `stacks["${matched?.pattern}"].${field}` : `tag phantom:${field}`;

  if (repo === undefined || rawPath === undefined) {
    const missing = [repo === undefined ? "repo" : undefined, rawPath === undefined ? "path" : undefined]
      .filter((f) => f !== undefined)
      .join(" and ");
    return {
      kind: "unknown",
      reason: `no template location for stack ${stack}: ${missing} not set (config stacks: or stack tags phantom:repo / phantom:path)`,
    };
  }
  if (!REPO_NAME.test(repo.trim())) {
    return { kind: "unknown", reason: `${where("repo")} ${JSON.stringify(repo)} is not owner/name` };
  }
  const checkedPath = repositoryPath(rawPath);
  if (!checkedPath.ok) {
    return {
      kind: "unknown",
      reason: `${where("path")} ${JSON.stringify(rawPath)} is not a path inside the repository: it ${checkedPath.reason}`,
    };
  }
  const path = checkedPath.value;
  const rawBranch = (entry.branch ?? fromTags.get("phantom:ref"))?.trim();
  const checkedBranch = rawBranch !== undefined && rawBranch !== "" ? checkBranchName(rawBranch) : undefined;
  if (rawBranch !== undefined && checkedBranch !== undefined && !checkedBranch.ok) {
    const field = entry.branch !== undefined ? `stacks["${matched?.pattern}"].branch` : "tag phantom:ref";
    return {
      kind: "unknown",
      reason: `${field} ${JSON.stringify(rawBranch)} is not a branch name: it ${checkedBranch.reason}`,
    };
  }
  const branch = checkedBranch?.ok ? checkedBranch.value : undefined;
  const checkedParameters = entry.parameters !== undefined ? repositoryPath(entry.parameters) : undefined;
  if (checkedParameters !== undefined && !checkedParameters.ok) {
    return {
      kind: "unknown",
      reason: `stacks["${matched?.pattern}"].parameters ${JSON.stringify(entry.parameters)} is not a path inside the repository: it ${checkedParameters.reason}`,
    };
  }
  const parameters = checkedParameters?.ok ? checkedParameters.value : undefined;
  const env = entry.env ?? fromTags.get("env") ?? fromTags.get("environment");
  return {
    kind: "found",
    location: {
      repo: repo.trim(),
      path,
      ...(branch !== undefined ? { branch } : {}),
      ...(env !== undefined && env !== "" ? { env } : {}),
      ...(parameters !== undefined ? { parameters } : {}),
      source: entry.repo !== undefined || entry.path !== undefined ? "config" : "tags",
      ...(matched ? { pattern: matched.pattern } : {}),
    },
  };
}
