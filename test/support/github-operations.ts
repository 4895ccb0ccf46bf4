/**
 * The GitHub REST operations Phantom calls (`functions/adapters/github-change-requests.ts`), by
 * operationId, each with its route spelled the way GitHub's OpenAPI description and Octokit spell it
 * (`octokit.rest.git.getRef.endpoint.DEFAULTS` is `GET /repos/{owner}/{repo}/git/ref/{ref}`).
 *
 * The one list both sides read: `test/support/github-openapi-subset.ts` (`npm run openapi:subset`) cuts
 * GitHub's description down to these operations and what they reference, into
 * `fixtures/github/openapi-subset.json`, and the fake GitHub server validates against that file and
 * answers nothing else. Phantom calling a new operation therefore fails the tests until it is added
 * here, the subset is regenerated and the fake server implements it.
 */
export const GITHUB_OPERATIONS = {
  "repos/get": "GET /repos/{owner}/{repo}",
  "repos/get-content": "GET /repos/{owner}/{repo}/contents/{path}",
  "git/get-ref": "GET /repos/{owner}/{repo}/git/ref/{ref}",
  "git/get-commit": "GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
  "git/create-blob": "POST /repos/{owner}/{repo}/git/blobs",
  "git/create-tree": "POST /repos/{owner}/{repo}/git/trees",
  "git/create-commit": "POST /repos/{owner}/{repo}/git/commits",
  "git/create-ref": "POST /repos/{owner}/{repo}/git/refs",
  "git/update-ref": "PATCH /repos/{owner}/{repo}/git/refs/{ref}",
  "pulls/list": "GET /repos/{owner}/{repo}/pulls",
  "pulls/create": "POST /repos/{owner}/{repo}/pulls",
  "pulls/update": "PATCH /repos/{owner}/{repo}/pulls/{pull_number}",
  "pulls/request-reviewers": "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
  "issues/create-comment": "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "issues/add-labels": "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
  "issues/remove-label": "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
} as const;

export type GitHubOperationId = keyof typeof GITHUB_OPERATIONS;

/** Where the subset lives, relative to the repository root. */
export const GITHUB_OPENAPI_SUBSET = "fixtures/github/openapi-subset.json";
