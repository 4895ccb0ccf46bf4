import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { PhantomConfig } from "../../core/config/schema.ts";
import { isAccountId, isRegion, type Place } from "../../core/window/stack.ts";
import { UsageError } from "../cli/output.ts";
import { ConfigError, parseYamlInput, validateConfig } from "../config/load-config.ts";

/**
 * A scenario directory (DESIGN §4, contract): what a user captures from an incident to replay it.
 * `scenario.yaml` is optional; its `config` is a `phantom.yaml` document for this scenario.
 */
export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly eventsPaths: readonly string[];
  /** The recorded account of a one-place scenario (`account/`, or `--account DIR`). */
  readonly accountDir?: string;
  /**
   * The recorded places of a scenario that spans several (`accounts/<AccountId>/<region>/`), sorted
   * by account then region; each directory holds what `account/` holds.
   */
  readonly places?: readonly ScenarioPlace[];
  /** The scenario directory, when replaying one (its `signals.json` lives there). */
  readonly root?: string;
  /** A signals file given explicitly (`--signals`), for a bare events path. */
  readonly signalsFile?: string;
  readonly config: PhantomConfig;
}

/** One recorded place of a multi-place scenario: `accounts/<account>/<region>/`. */
export interface ScenarioPlace extends Place {
  readonly dir: string;
}

const scenarioFileSchema = z.strictObject({
  description: z.string().optional(),
  config: z.unknown().optional(),
});

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

async function isDirectory(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function readScenarioFile(
  file: string,
): Promise<{ description?: string; config: unknown } | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(file, [String(cause)]);
  }
  const parsed = scenarioFileSchema.safeParse(parseYamlInput(text, file) ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`),
    );
  }
  return {
    ...(parsed.data.description ? { description: parsed.data.description } : {}),
    config: parsed.data.config,
  };
}

/**
 * Resolves what to replay: a scenario directory (`events/`, `account/`, optional `scenario.yaml`), or
 * a bare events path with `accountDir` given. The base config (from `--config`) is overlaid by the
 * scenario's own `config`.
 */
export async function loadScenario(
  target: string,
  options: { accountDir?: string; signalsFile?: string; base: unknown },
): Promise<Scenario> {
  const isScenario = (await isDirectory(target)) && (await isDirectory(path.join(target, "events")));
  const file = isScenario ? await readScenarioFile(path.join(target, "scenario.yaml")) : undefined;
  const single = options.accountDir ?? (isScenario ? path.join(target, "account") : undefined);
  const placesDir =
    isScenario && options.accountDir === undefined ? path.join(target, "accounts") : undefined;
  const places =
    placesDir !== undefined && (await isDirectory(placesDir)) ? await readPlaces(placesDir) : undefined;
  if (places !== undefined && single !== undefined && (await isDirectory(single))) {
    throw new UsageError(
      `${target} holds both account/ and accounts/: a scenario records one place (account/) or several (accounts/<AccountId>/<region>/), not both`,
    );
  }
  if (places === undefined) {
    if (single === undefined) {
      throw new UsageError(
        `${target} is not a scenario directory (no events/ inside); pass --account DIR for a bare events path`,
      );
    }
    if (!(await isDirectory(single))) {
      throw new UsageError(`account directory ${single} does not exist (nor does accounts/)`);
    }
  }
  // The scenario's own config wins key by key over the base (`--config`) document.
  const merged = { ...asObject(options.base), ...asObject(file?.config) };
  const config = validateConfig(isScenario ? path.join(target, "scenario.yaml") : "configuration", merged);
  return {
    name: path.basename(path.resolve(target)),
    ...(file?.description ? { description: file.description } : {}),
    eventsPaths: [isScenario ? path.join(target, "events") : target],
    ...(places !== undefined ? { places } : { accountDir: single as string }),
    ...(isScenario ? { root: target } : {}),
    ...(options.signalsFile ? { signalsFile: options.signalsFile } : {}),
    config,
  };
}

/** A directory's entries; one Phantom cannot read is an input error naming it, not a stack trace. */
async function entriesOf(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    throw new UsageError(`${dir}: cannot read: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * `accounts/<AccountId>/<region>/`: every place, sorted. A directory name that is not a 12-digit
 * account id or a region code is refused naming it, as is an `accounts/` with no place.
 */
async function readPlaces(dir: string): Promise<ScenarioPlace[]> {
  const places: ScenarioPlace[] = [];
  const problems: string[] = [];
  for (const account of (await entriesOf(dir)).filter((e) => e.isDirectory())) {
    if (!isAccountId(account.name)) {
      problems.push(`${path.join(dir, account.name)}: not an AWS account id (12 digits)`);
      continue;
    }
    const accountDir = path.join(dir, account.name);
    for (const region of (await entriesOf(accountDir)).filter((e) => e.isDirectory())) {
      if (!isRegion(region.name)) {
        problems.push(`${path.join(accountDir, region.name)}: not a region code (such as eu-west-1)`);
        continue;
      }
      places.push({ account: account.name, region: region.name, dir: path.join(accountDir, region.name) });
    }
  }
  if (problems.length > 0)
    throw new UsageError(`${dir} is not a valid accounts/ directory:\n  - ${problems.join("\n  - ")}`);
  if (places.length === 0)
    throw new UsageError(`${dir} records no place: expected accounts/<AccountId>/<region>/`);
  return places.sort((a, b) => (a.account + a.region < b.account + b.region ? -1 : 1));
}
