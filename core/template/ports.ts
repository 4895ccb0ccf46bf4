import type { TemplateLocation } from "../publish/location.ts";

/**
 * Ports for the safe state: a stack's tags (which say where its template lives) and the template
 * itself, read from the IaC repository or, when no repository is known, from CloudFormation.
 */

/** A stack's tags as `Key` ► `Value`; empty when the stack has none or is unknown. */
export interface StackTags {
  tagsOf(stack: string): Promise<Readonly<Record<string, string>>>;
}

/** A safe-state template and, when the repository has one, the environment's parameter file. */
export interface SafeStateTemplate {
  readonly text: string;
  /** The template's path in its repository (the location's path; `<Stack>.<ext>` when unknown). */
  readonly path: string;
  readonly format: "yaml" | "json";
  readonly parameters?: { readonly text: string; readonly path: string };
  /** `repository`: the file on the branch PRs target; `deployed`: GetTemplate (stage Original). */
  readonly origin: "repository" | "deployed";
}

/**
 * Reads a stack's safe-state template. `location` is where the template lives when it is known
 * (config `stacks:` or the stack's `phantom:*` tags); `undefined` means the source has no such file
 * (a 404, a stack CloudFormation does not know), never a failure, which throws.
 */
export interface TemplateSource {
  read(stack: string, location: TemplateLocation | undefined): Promise<SafeStateTemplate | undefined>;
}

/** `yaml` unless the text is a JSON object (CloudFormation accepts both in any file name). */
export function templateFormat(text: string): "yaml" | "json" {
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}
