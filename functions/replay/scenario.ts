import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import type { PhantomConfig } from "../../core/config/schema.ts";
import { UsageError } from "../cli/output.ts";
import { ConfigError, validateConfig } from "../config/load-config.ts";

/**
 * A scenario directory (DESIGN §4, contract): what a user captures from an incident to replay it.
 * `scenario.yaml` is optional; its `config` is a `phantom.yaml` document for this scenario.
 */
export interface Scenario {
  readonly name: string;
  readonly description?: string;
  readonly eventsPaths: readonly string[];
  readonly accountDir: string;
  /** The scenario directory, when replaying one (its `signals.json` lives there). */
  readonly root?: string;
  /** A signals file given explicitly (`--signals`), for a bare events path. */
  readonly signalsFile?: string;
  readonly config: PhantomConfig;
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
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      file,
      doc.errors.map((e) => e.message.split("\n")[0] ?? ""),
    );
  const parsed = scenarioFileSchema.safeParse(doc.toJS() ?? {});
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
  const accountDir = options.accountDir ?? (isScenario ? path.join(target, "account") : undefined);
  if (accountDir === undefined) {
    throw new UsageError(
      `${target} is not a scenario directory (no events/ inside); pass --account DIR for a bare events path`,
    );
  }
  if (!(await isDirectory(accountDir))) {
    throw new UsageError(`account directory ${accountDir} does not exist`);
  }
  // The scenario's own config wins key by key over the base (`--config`) document.
  const merged = { ...asObject(options.base), ...asObject(file?.config) };
  const config = validateConfig(isScenario ? path.join(target, "scenario.yaml") : "configuration", merged);
  return {
    name: path.basename(path.resolve(target)),
    ...(file?.description ? { description: file.description } : {}),
    eventsPaths: [isScenario ? path.join(target, "events") : target],
    accountDir,
    ...(isScenario ? { root: target } : {}),
    ...(options.signalsFile ? { signalsFile: options.signalsFile } : {}),
    config,
  };
}
