import type { Octokit } from "@octokit/rest";
import type { TemplateLocation } from "../../core/publish/location.ts";
import { type TemplateSource, templateFormat } from "../../core/template/ports.ts";

/**
 * The safe state where teams keep it: the template file in the stack's IaC repository on GitHub,
 * read through the contents API at the location's branch (the repository's default branch when the
 * location names none), with the environment's parameter file when the location names one.
 * @see https://docs.github.com/rest/repos/contents#get-repository-content
 */

/** A GitHub read failed past Octokit's retries (not a 404, which means "no such file"). */
export class GitHubTemplateError extends Error {
  override readonly name = "GitHubTemplateError";
  constructor(
    readonly location: string,
    readonly status: number | undefined,
    options: { cause: unknown },
  ) {
    const detail = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`cannot read ${location} from GitHub${status ? ` (HTTP ${status})` : ""}: ${detail}`, options);
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | undefined)?.status;
  return typeof status === "number" ? status : undefined;
}

/**
 * One file's text. The JSON answer carries files up to 1 MB base64-encoded; a larger file comes back
 * with `encoding: "none"` and is read again with the raw media type (up to 100 MB).
 */
async function readFile(
  octokit: Octokit,
  repo: string,
  filePath: string,
  ref: string | undefined,
): Promise<string | undefined> {
  const [owner = "", name = ""] = repo.split("/");
  const where = `${repo}/${filePath}${ref ? `@${ref}` : ""}`;
  const request = { owner, repo: name, path: filePath, ...(ref ? { ref } : {}) };
  try {
    const { data } = await octokit.rest.repos.getContent(request);
    if (Array.isArray(data) || data.type !== "file") return undefined;
    if (data.encoding === "base64") return Buffer.from(data.content, "base64").toString("utf8");
    const raw = await octokit.rest.repos.getContent({ ...request, mediaType: { format: "raw" } });
    const body: unknown = raw.data;
    return typeof body === "string" ? body : Buffer.from(body as ArrayBuffer).toString("utf8");
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw new GitHubTemplateError(where, statusOf(error), { cause: error });
  }
}

/** The `TemplateSource` on GitHub's contents API; `undefined` without a location or when the file is absent. */
export function createGitHubTemplateSource(options: { readonly octokit: Octokit }): TemplateSource {
  return {
    async read(_stack, location: TemplateLocation | undefined) {
      if (location === undefined) return undefined;
      const text = await readFile(options.octokit, location.repo, location.path, location.branch);
      if (text === undefined) return undefined;
      const parameters = location.parameters
        ? await readFile(options.octokit, location.repo, location.parameters, location.branch)
        : undefined;
      return {
        text,
        path: location.path,
        format: templateFormat(text),
        ...(parameters !== undefined && location.parameters
          ? { parameters: { text: parameters, path: location.parameters } }
          : {}),
        origin: "repository",
      };
    },
  };
}
