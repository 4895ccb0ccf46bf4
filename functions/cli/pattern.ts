import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import {
  catalogCoverage,
  resourceTypesOf,
  type TemplateType,
  type TemplateTypes,
  type TypeCoverage,
  templateCoverage,
} from "../../core/pattern/coverage.ts";
import { eventPatterns } from "../../core/pattern/generate.ts";
import { UnreadablePathError } from "../io/read-captures.ts";
import { type Output, UsageError } from "./output.ts";

export interface PatternOptions {
  readonly json: boolean;
  readonly coverage: boolean;
}

const TEMPLATE_FILE = /\.(ya?ml|json|template)$/i;

/** Expands template paths: directories recursively (template files only, sorted), files as given. */
async function templateFiles(targets: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const target of targets) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(target)).isDirectory();
    } catch (cause) {
      throw new UnreadablePathError(target, { cause });
    }
    if (!isDirectory) {
      files.push(target);
      continue;
    }
    const entries = await readdir(target, { recursive: true, withFileTypes: true });
    files.push(
      ...entries
        .filter((e) => e.isFile() && TEMPLATE_FILE.test(e.name))
        .map((e) => path.join(e.parentPath, e.name))
        .sort(),
    );
  }
  return files;
}

interface TemplateProblem {
  readonly file: string;
  readonly error: string;
}

/** Reads each template's resource types; a template that cannot be read is a problem, the rest go on. */
async function readTemplates(files: readonly string[]): Promise<{
  templates: TemplateTypes[];
  problems: TemplateProblem[];
}> {
  const templates: TemplateTypes[] = [];
  const problems: TemplateProblem[] = [];
  for (const file of files) {
    try {
      templates.push({ file, types: resourceTypesOf(await readFile(file, "utf8")) });
    } catch (error) {
      problems.push({ file, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { templates, problems };
}

function coverageText(coverage: readonly TypeCoverage[]): string {
  const apis = new Set(coverage.flatMap((c) => c.apis.map((a) => a.api)));
  const lines = [
    `# ${apis.size} watched write APIs reach ${coverage.length} CloudFormation types`,
    "# (by-arn: the API takes any of its service's resources by ARN; attachment: declared on its own,",
    "#  changed and read through the resource it attaches to)",
  ];
  for (const { type, apis: reached } of coverage) {
    lines.push(`${type} (${reached.length})`);
    for (const api of reached) {
      const notes: string[] = [api.effect, ...(api.reach === "resolves" ? [] : [api.reach])];
      if (api.condition) notes.push(`when ${api.condition}`);
      lines.push(`  ${api.api} [${notes.join(", ")}]`);
    }
  }
  return `${lines.join("\n")}\n`;
}

const STATUS_TITLE: Record<TemplateType["status"], string> = {
  uncovered: "not covered: Phantom cannot see changes to these",
  "covered-as": "covered as the type they stand for",
  covered: "covered",
  cloudformation: "CloudFormation's own: only stack operations change these",
};

/** The first templates that declare a type, and how many more. */
function where(files: readonly string[]): string {
  const shown = files.slice(0, 3).join(", ");
  return files.length > 3 ? `${shown} and ${files.length - 3} more` : shown;
}

function templatesText(found: readonly TemplateType[], files: number, problems: number): string {
  const counts = (status: TemplateType["status"]) => found.filter((t) => t.status === status).length;
  const lines = [
    `# ${files} template(s)${problems > 0 ? ` (${problems} unreadable)` : ""}: ${found.length} resource types, ` +
      `${counts("covered") + counts("covered-as")} covered, ${counts("uncovered")} not covered, ` +
      `${counts("cloudformation")} CloudFormation's own`,
  ];
  for (const status of ["uncovered", "covered-as", "covered", "cloudformation"] as const) {
    const group = found.filter((t) => t.status === status);
    if (group.length === 0) continue;
    lines.push(`${STATUS_TITLE[status]}:`);
    for (const t of group) {
      const reach =
        t.status === "covered"
          ? ` (${t.apis} APIs)`
          : t.status === "covered-as"
            ? ` (as ${t.as}, ${t.apis} APIs)`
            : t.as
              ? ` (would be ${t.as}, itself not covered)`
              : "";
      lines.push(`  ${t.type}${reach}  in ${where(t.files)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * `phantom pattern`: the EventBridge patterns, or with `--coverage` the APIs covered per type; given
 * templates, the types they declare and which of those no catalogued API reaches. A template that
 * cannot be read is reported on stderr and the rest are still reported; then the command fails (1).
 */
export async function runPattern(
  targets: readonly string[],
  opts: PatternOptions,
  io: Output,
): Promise<void> {
  if (!opts.coverage) {
    if (targets.length > 0) throw new UsageError("templates are read only with --coverage");
    const patterns = eventPatterns();
    if (opts.json) {
      io.out(`${JSON.stringify(patterns)}\n`);
      return;
    }
    for (const [i, p] of patterns.entries()) {
      const text = JSON.stringify(p);
      io.out(
        `# rule ${i + 1} of ${patterns.length} (${text.length} characters)\n${JSON.stringify(p, null, 2)}\n`,
      );
    }
    return;
  }
  const coverage = catalogCoverage();
  if (targets.length === 0) {
    io.out(opts.json ? `${JSON.stringify({ types: coverage })}\n` : coverageText(coverage));
    return;
  }
  const files = await templateFiles(targets);
  if (files.length === 0)
    throw new UsageError(`no template files (.yaml, .yml, .json, .template) in ${targets.join(", ")}`);
  const { templates, problems } = await readTemplates(files);
  const found = templateCoverage(templates, coverage);
  if (opts.json) {
    const covered = new Set(found.map((t) => t.as ?? t.type));
    io.out(
      `${JSON.stringify({
        types: coverage.filter((c) => covered.has(c.type)),
        templates: { files: templates.map((t) => t.file), found, problems },
      })}\n`,
    );
  } else {
    io.out(templatesText(found, files.length, problems.length));
  }
  for (const problem of problems) io.err(`phantom: ${problem.file}: ${problem.error}\n`);
  if (problems.length > 0) throw new TemplatesUnreadable(`${problems.length} template(s) could not be read`);
}

/** Some templates could not be read: everything readable was reported; exits 1. */
export class TemplatesUnreadable extends UsageError {}
