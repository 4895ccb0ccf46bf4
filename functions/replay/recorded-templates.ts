import { readFile } from "node:fs/promises";
import path from "node:path";

/** A stack's safe-state template and where it lives in its repository. */
export interface StoredTemplate {
  readonly text: string;
  /** The template's path in the IaC repository (stack tag `phantom:path`, else `<Stack>.<ext>`). */
  readonly path: string;
  readonly format: "yaml" | "json";
}

const EXTENSIONS = [
  [".yaml", "yaml"],
  [".yml", "yaml"],
  [".json", "json"],
  [".template", "yaml"],
] as const;

/**
 * Reads `account/templates/<Stack>.yaml|yml|json` of a scenario (DESIGN §4). `undefined` when the
 * scenario has no template for the stack: the analysis then runs without template fragments and
 * without a rectified template.
 */
export async function loadRecordedTemplate(
  accountDir: string,
  stack: string,
  tags: Readonly<Record<string, string>>,
): Promise<StoredTemplate | undefined> {
  for (const [extension, format] of EXTENSIONS) {
    const file = path.join(accountDir, "templates", `${stack}${extension}`);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    const detected = text.trimStart().startsWith("{") ? "json" : format;
    return { text, path: tags["phantom:path"] ?? `${stack}${extension}`, format: detected };
  }
  return undefined;
}
