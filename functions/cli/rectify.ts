import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { createTwoFilesPatch } from "diff";
import { parseDriftDocument } from "../../core/drift/normalize.ts";
import type { ResourceDrift } from "../../core/drift/types.ts";
import { joinDecisions } from "../../core/rectify/decisions.ts";
import type { ChangeSets } from "../../core/rectify/ports.ts";
import { rectify } from "../../core/rectify/rectify.ts";
import { renderIssues, renderRectifySummary } from "../../core/rectify/render.ts";
import { parseDecisions } from "../../core/rectify/schema.ts";
import { createChangeSets } from "../adapters/change-sets.ts";
import { type Output, UsageError } from "./output.ts";

/** `phantom rectify` options, as commander parses them. */
export interface RectifyOptions {
  readonly template: string;
  readonly drift: readonly string[];
  readonly decisions: string;
  readonly params?: string;
  readonly paramsOut?: string;
  readonly diff: boolean;
  readonly stack?: string;
  readonly region?: string;
  readonly createChangeSet: boolean;
}

/** What `--create-change-set` talks to; tests pass a client pointed at a local server. */
export interface RectifyDeps {
  readonly changeSets: (region: string | undefined) => ChangeSets;
}

const defaultDeps: RectifyDeps = {
  changeSets: (region) => createChangeSets({ client: new CloudFormationClient(region ? { region } : {}) }),
};

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    throw new UsageError(`cannot read ${what} ${file}: ${reason}`);
  }
}

async function readJson(file: string, what: string): Promise<unknown> {
  const text = await readText(file, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(
      `${what} ${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** `--drift` paths: files, or directories of `*.json` (a scenario's `account/drift/<Stack>/`). */
async function driftFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    let isDirectory = false;
    try {
      isDirectory = (await stat(p)).isDirectory();
    } catch {
      throw new UsageError(`cannot read drift file ${p}: no such file`);
    }
    if (!isDirectory) files.push(p);
    else {
      const names = (await readdir(p)).filter((n) => n.endsWith(".json")).sort();
      files.push(...names.map((n) => path.join(p, n)));
    }
  }
  return files;
}

/** `arn:aws:cloudformation:us-east-1:111122223333:stack/payments-prod/…` ► name, region and account. */
function stackOf(stackId: unknown): { name: string; region: string; accountId?: string } | undefined {
  if (typeof stackId !== "string") return undefined;
  const match = /^arn:[^:]+:cloudformation:([^:]+):([^:]*):stack\/([^/]+)\//.exec(stackId);
  if (!match?.[1] || !match[3]) return undefined;
  return { region: match[1], name: match[3], ...(match[2] ? { accountId: match[2] } : {}) };
}

function stackIdIn(json: unknown): unknown {
  if (typeof json !== "object" || json === null) return undefined;
  const doc = json as {
    StackId?: unknown;
    StackResourceDrift?: { StackId?: unknown };
    StackResourceDrifts?: { StackId?: unknown }[];
  };
  return doc.StackResourceDrift?.StackId ?? doc.StackResourceDrifts?.[0]?.StackId ?? doc.StackId;
}

async function readDrifts(paths: readonly string[]): Promise<{ drifts: ResourceDrift[]; stackId: unknown }> {
  const drifts: ResourceDrift[] = [];
  let stackId: unknown;
  for (const file of await driftFiles(paths)) {
    const json = await readJson(file, "drift file");
    const parsed = parseDriftDocument(json);
    if (!parsed.ok)
      throw new UsageError(`drift file ${file} is not a drift result:\n  ${parsed.issues.join("\n  ")}`);
    drifts.push(...parsed.drifts);
    stackId ??= stackIdIn(json);
  }
  return { drifts, stackId };
}

/**
 * A template that is valid JSON is read as JSON, even with a duplicate key (which rectify then
 * refuses, naming it); anything else is left to rectify to tell YAML from JSON.
 */
function jsonFormat(text: string): { format?: "json" } {
  if (!text.trimStart().startsWith("{")) return {};
  try {
    JSON.parse(text.replace(/^\uFEFF/, ""));
    return { format: "json" };
  } catch {
    return {};
  }
}

/**
 * `phantom rectify`: applies decisions to a template. stdout gets only the rectified template (or,
 * with `--diff`, a unified diff); the summary, the manual items and the revert plan go to stderr.
 * With `--create-change-set` the revert plan's change set is created (never executed).
 */
export async function runRectify(
  opts: RectifyOptions,
  io: Output,
  deps: RectifyDeps = defaultDeps,
): Promise<void> {
  const templateText = await readText(opts.template, "template");
  const { drifts, stackId } = await readDrifts(opts.drift);
  const decisions = parseDecisions(await readJson(opts.decisions, "decisions file"));
  if (!decisions.ok) {
    throw new UsageError(
      `decisions file ${opts.decisions} is not valid:\n  ${decisions.issues.join("\n  ")}`,
    );
  }
  const joined = joinDecisions(decisions.rows, drifts);
  if (!joined.ok)
    throw new UsageError(`decisions do not match the drift results:\n${renderIssues(joined.issues)}`);
  const paramsText = opts.params === undefined ? undefined : await readText(opts.params, "parameter file");

  const fromDrift = stackOf(stackId);
  const stackName = opts.stack ?? decisions.stack ?? fromDrift?.name;
  const region = opts.region ?? fromDrift?.region;
  const outcome = rectify({
    template: { text: templateText, path: opts.template, ...jsonFormat(templateText) },
    changes: joined.changes,
    ...(paramsText !== undefined && opts.params
      ? { parameters: { text: paramsText, path: opts.params } }
      : {}),
    ...(stackName
      ? {
          stack: {
            name: stackName,
            ...(region ? { region } : {}),
            // The account resolves `${AWS::AccountId}` in tag keys; only when the drift names this stack.
            ...(fromDrift?.accountId && fromDrift.name === stackName
              ? { accountId: fromDrift.accountId }
              : {}),
          },
        }
      : {}),
  });
  if (!outcome.ok) throw new UsageError(`cannot rectify ${opts.template}:\n${renderIssues(outcome.issues)}`);
  const { result } = outcome;

  // The template (or its diff) is a file's bytes: kept whole when redirected, escaped on a terminal.
  const file = (text: string) => (io.file ? io.file(text) : io.out(text));
  if (opts.diff) {
    if (result.changed)
      file(createTwoFilesPatch(`a/${opts.template}`, `b/${opts.template}`, templateText, result.text));
    if (result.parameters !== undefined && paramsText !== undefined && opts.params) {
      file(createTwoFilesPatch(`a/${opts.params}`, `b/${opts.params}`, paramsText, result.parameters));
    }
  } else file(result.text);
  if (result.parameters !== undefined && opts.paramsOut) await writeFile(opts.paramsOut, result.parameters);

  io.err(renderRectifySummary(result));
  if (decisions.undecided > 0) {
    io.err(
      `${decisions.undecided} change${decisions.undecided === 1 ? "" : "s"} in ${opts.decisions} had no decision and were left alone\n`,
    );
  }
  if (result.parameters !== undefined && !opts.paramsOut && !opts.diff) {
    io.err(`the parameter file ${opts.params} changed: use --params-out FILE or --diff to get it\n`);
  }

  if (opts.createChangeSet) {
    if (!result.revert) {
      io.err("no change is reverted: no change set to create\n");
      return;
    }
    if (!stackName) throw new UsageError("--create-change-set needs the stack: pass --stack NAME");
    const created = await deps.changeSets(region).createRevertChangeSet(result.revert);
    io.err(
      created.kind === "created"
        ? `created change set ${created.changeSetName} (${created.id}); review it, then execute it yourself\n`
        : `change set ${created.changeSetName} already exists (created from this same plan)\n`,
    );
  }
}
