import type { AnalysisArtifacts, AnalyzedReport } from "../analysis/analyze.ts";
import {
  pullRequestBody,
  pullRequestFiles,
  pullRequestMarker,
  pullRequestTitle,
} from "../report/pull-request.ts";
import { redact } from "../secrets.ts";
import type { SignalsReport } from "../signals/types.ts";
import type { Place } from "../window/stack.ts";
import { mappedHandles, mention } from "./identities.ts";
import type { TemplateLocation } from "./location.ts";
import type { PullRequestRequest } from "./ports.ts";

/**
 * The branch of a stack's one pull request: `phantom/<stack>`, or with `place` (a stack away from the
 * home place, whose name may repeat in other accounts and regions sharing the repository)
 * `phantom/<account>/<region>/<stack>`. Stack names are `[A-Za-z][-A-Za-z0-9]*`, accounts 12 digits
 * and regions `[a-z0-9-]`, so both are valid refs and never nest in each other (`phantom/<digits>`
 * is never a stack's branch).
 */
export function pullRequestBranch(stack: string, place?: Place): string {
  return place === undefined ? `phantom/${stack}` : `phantom/${place.account}/${place.region}/${stack}`;
}

/**
 * The pull request for an analysed window, as the `ChangeRequests` port takes it: the stack's branch
 * on the repository its template lives in (against the location's branch, else the default branch),
 * title and body, the marker, the files of the single commit, labels (`phantom`, `severity:<level>`,
 * `decision:<kind>`), review requests for the mapped actors, and the comment an update leaves.
 */
export function pullRequestRequest(input: {
  readonly report: AnalyzedReport;
  readonly artifacts: AnalysisArtifacts;
  readonly location: Pick<TemplateLocation, "repo" | "branch">;
  readonly signals?: SignalsReport;
  readonly identities?: Readonly<Record<string, string>>;
  /** The stack's place, when the branch and the marker must name it (see {@link pullRequestBranch}). */
  readonly place?: Place;
}): PullRequestRequest {
  const { report, artifacts, location } = input;
  const identities = input.identities ?? {};
  const decisions = [...new Set(report.changes.map((c) => c.decision))];
  const actors = report.actors.map((a) => mention(a, identities)).join(", ");
  return {
    repo: location.repo,
    ...(location.branch !== undefined ? { baseBranch: location.branch } : {}),
    branch: pullRequestBranch(report.stack, input.place),
    title: pullRequestTitle(report),
    body: pullRequestBody(report, {
      // Monitor names, notes and queries are people's text: their secrets never reach the PR.
      ...(input.signals ? { signals: redact(input.signals) as SignalsReport } : {}),
      identities,
      ...(input.place ? { place: input.place } : {}),
    }),
    marker: pullRequestMarker(report, input.place),
    files: pullRequestFiles(report, artifacts),
    commitMessage: `phantom: rectify ${report.stack} drift (${report.window.id})`,
    labels: [
      "phantom",
      ...(report.severity ? [`severity:${report.severity}`] : []),
      ...decisions.map((d) => `decision:${d}`),
    ],
    reviewers: mappedHandles(report.actors, identities),
    updateComment: `new drift at ${report.window.lastEventAt ?? report.window.settledAt} by ${actors || "unknown actors"}`,
  };
}
