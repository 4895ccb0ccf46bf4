import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { type PhantomConfig, parseConfig } from "../../core/config/schema.ts";

/** The configuration file is unreadable, not YAML, or invalid; the message lists every problem. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
  ) {
    super(`${file} is not a valid Phantom configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
  }
}

export const DEFAULT_CONFIG_FILE = "phantom.yaml";

/**
 * Reads the raw configuration document: the `--config` file when given (it must exist), else
 * `./phantom.yaml` when present, else an empty document. YAML errors carry line and column.
 */
export async function readConfigDocument(explicit?: string): Promise<{ doc: unknown; file?: string }> {
  const file = explicit ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
    if (missing && explicit === undefined) return { doc: {} };
    throw new ConfigError(file, [cause instanceof Error ? cause.message : String(cause)]);
  }
  return { doc: parseYamlInput(text, file) ?? {}, file };
}

/**
 * Parses a YAML input file people write (`phantom.yaml`, `scenario.yaml`) into plain data. Every
 * problem is a {@link ConfigError} naming the file: a syntax error with its line and column, and an
 * alias that expands too far (the "billion laughs": the `yaml` package stops past `maxAliasCount`
 * alias resolutions, 100 by default) rather than a `ReferenceError` and a stack trace.
 * @see https://eemeli.org/yaml/#tojs-options
 */
export function parseYamlInput(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => e.message.split("\n")[0] ?? e.message),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (cause) {
    throw new ConfigError(file, [
      `its YAML aliases expand too far (${cause instanceof Error ? cause.message : String(cause)}): write the values out, or use fewer nested aliases`,
    ]);
  }
}

/** Validates a raw configuration document, throwing one ConfigError that lists every problem. */
export function validateConfig(file: string, doc: unknown): PhantomConfig {
  const result = parseConfig(doc);
  if (!result.ok) throw new ConfigError(file, result.issues);
  return result.config;
}

/** Reads and validates the configuration (see `readConfigDocument` for where it comes from). */
export async function loadConfig(explicit?: string): Promise<{ config: PhantomConfig; file?: string }> {
  const { doc, file } = await readConfigDocument(explicit);
  return { config: validateConfig(file ?? "configuration", doc), ...(file ? { file } : {}) };
}
