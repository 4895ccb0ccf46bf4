import { readFile } from "node:fs/promises";
import path from "node:path";
import { templateSizeProblem } from "../../core/template/bounds.ts";
import { type SafeStateTemplate, type TemplateSource, templateFormat } from "../../core/template/ports.ts";
import { UsageError } from "../cli/output.ts";

/** The names a recorded template may have: `<Stack>` and one of these. */
export const TEMPLATE_EXTENSIONS = [".yaml", ".yml", ".json", ".template"] as const;

/** A recorded template or parameter file cannot be read, or is over CloudFormation's limit: an input error (exit 1). */
export class RecordedTemplateError extends UsageError {}

async function readIfPresent(file: string, what: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new RecordedTemplateError(
      `${file} (${what}): cannot read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const tooLarge = templateSizeProblem(text);
  if (tooLarge !== undefined) throw new RecordedTemplateError(`${file} (${what}) ${tooLarge}`);
  return text;
}

/**
 * The replay `TemplateSource`: a scenario's `account/templates/<Stack>.yaml|yml|json|template`
 * (DESIGN §4) stands for the file in the stack's repository, at the location's path (else the file's
 * own name); the location's parameter file is read from the scenario's `repo/` when it is there.
 * `undefined` when the scenario recorded no template for the stack; a file that cannot be read or is
 * over CloudFormation's 1 MB template limit is a {@link RecordedTemplateError} naming it and the stack.
 */
export function recordedTemplateSource(accountDir: string, repoDir?: string): TemplateSource {
  return {
    async read(stack, location): Promise<SafeStateTemplate | undefined> {
      for (const extension of TEMPLATE_EXTENSIONS) {
        const text = await readIfPresent(
          path.join(accountDir, "templates", `${stack}${extension}`),
          `stack ${stack}`,
        );
        if (text === undefined) continue;
        const parameters =
          location?.parameters && repoDir
            ? await readIfPresent(
                path.join(repoDir, ...location.parameters.split("/")),
                `parameters of stack ${stack}`,
              )
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
