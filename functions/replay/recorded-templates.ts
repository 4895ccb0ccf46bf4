import { readFile } from "node:fs/promises";
import path from "node:path";
import { type SafeStateTemplate, type TemplateSource, templateFormat } from "../../core/template/ports.ts";

const EXTENSIONS = [".yaml", ".yml", ".json", ".template"] as const;

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The replay `TemplateSource`: a scenario's `account/templates/<Stack>.yaml|yml|json|template`
 * (DESIGN §4) stands for the file in the stack's repository, at the location's path (else the file's
 * own name); the location's parameter file is read from the scenario's `repo/` when it is there.
 * `undefined` when the scenario recorded no template for the stack.
 */
export function recordedTemplateSource(accountDir: string, repoDir?: string): TemplateSource {
  return {
    async read(stack, location): Promise<SafeStateTemplate | undefined> {
      for (const extension of EXTENSIONS) {
        const text = await readIfPresent(path.join(accountDir, "templates", `${stack}${extension}`));
        if (text === undefined) continue;
        const parameters =
          location?.parameters && repoDir
            ? await readIfPresent(path.join(repoDir, ...location.parameters.split("/")))
            : undefined;
        return {
          text,
          path: location?.path ?? `${stack}${extension}`,
          format: templateFormat(text),
          ...(parameters !== undefined && location?.parameters
            ? { parameters: { text: parameters, path: location.parameters } }
            : {}),
          origin: "repository",
        };
      }
      return undefined;
    },
  };
}
