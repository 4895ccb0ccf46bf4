import {
  type GitHubApiValidator,
  type GitHubRepoInit,
  type GitHubStandIn,
  type GitHubStandInOptions,
  startGitHubStandIn,
} from "../../functions/rehearse/stand-ins/github.ts";
import { type GitHubOpenApi, gitHubOpenApi } from "./github-openapi.ts";

export {
  primaryRateLimit,
  pullRequestAlreadyExists,
  secondaryRateLimit,
} from "../../functions/rehearse/stand-ins/github.ts";

/**
 * The GitHub of the adapter tests: the rehearsal's GitHub stand-in
 * (`functions/rehearse/stand-ins/github.ts`: Octokit over real HTTP, git objects with real SHA-1s,
 * refs, pull requests, labels, comments, reviewers, scripted failures), started with a validator
 * built on GitHub's published OpenAPI description, cut down to the operations Phantom calls
 * (`fixtures/github/openapi-subset.json`, see `github-openapi.ts` and `github-operations.ts`).
 *
 * Strict: a request the description would reject, a route outside the subset or not served by the
 * stand-in, a missing token, or an answer that does not match the description's response schema is
 * recorded in `failures` (the stand-in's `unexpected`), and `verify()` fails the test for it.
 */

export type RepoInit = GitHubRepoInit;

export type GitHubServerOptions = Omit<GitHubStandInOptions, "validator">;

export interface GitHubServer extends GitHubStandIn {
  readonly openapi: GitHubOpenApi;
  /** Everything that fails the test: invalid requests, unknown routes, nonconforming answers. */
  readonly failures: readonly string[];
}

/**
 * The installation token exchange is `@octokit/auth-app`'s call, not Phantom's: the subset holds
 * what Phantom's adapters call (the test in `github-change-requests.test.ts` keeps it to exactly
 * that), so the description has no word on it; the stand-in checks that request itself (the App's
 * JWT, the installation id, the body).
 */
const OUTSIDE_THE_SUBSET = new Set(["apps/create-installation-access-token"]);

/** A {@link GitHubApiValidator} on GitHub's OpenAPI description. */
export function openApiValidator(openapi: GitHubOpenApi = gitHubOpenApi()): GitHubApiValidator {
  return {
    request(request) {
      if (request.operationId && OUTSIDE_THE_SUBSET.has(request.operationId)) return [];
      const validation = openapi.validateRequest(request);
      const issues = validation.ok ? [] : [...validation.issues];
      const described = validation.operation?.operationId;
      if (described && request.operationId && described !== request.operationId) {
        issues.push(`the stand-in took it for ${request.operationId}, the description for ${described}`);
      } else if (described && !request.operationId) {
        issues.push(`${described} is not served by the GitHub stand-in`);
      }
      return issues;
    },
    response(operationId, status, body) {
      return OUTSIDE_THE_SUBSET.has(operationId) ? [] : openapi.validateResponse(operationId, status, body);
    },
  };
}

export async function startGitHubServer(options: GitHubServerOptions): Promise<GitHubServer> {
  const openapi = gitHubOpenApi();
  const standIn = await startGitHubStandIn({ ...options, validator: openApiValidator(openapi) });
  return { ...standIn, openapi, failures: standIn.unexpected };
}
