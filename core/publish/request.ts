import type { AnalysisArtifacts, AnalyzedReport } from "../analysis/analyze.ts";
import {
  pullRequestBody,
  pullRequestFiles,
  pullRequestMarker,
  pullRequestTitle,
} from "../report/pull-request.ts";
import type { SignalsReport } from "../signals/types.ts";
import { mappedHandles, mention } from "./identities.ts";
import type { TemplateLocation } from "./location.ts";
import type { PullRequestRequest } from "./ports.ts";

/** The branch of a stack's one pull request. Stack names are `[A-Za-z][-A-Za-z0-9]*`, so it is a valid ref. */
export function pullRequestBranch(stack: string): string {
  return `phantom/${stack}`;
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
}): PullRequestRequest {
  const { report, artifacts, location } = input;
  const identities = input.identities ?? {};
  const decisions = [...new Set(report.changes.map((c) => c.decision))];
  const actors = report.actors.map((a) => mention(a, identities)).join(", ");
  return {
    repo: location.repo,
    ...(location.branch !== undefined ? { baseBranch: location.branch } : {}),
    branch: pullRequestBranch(report.stack),
    title: pullRequestTitle(report),
    body: pullRequestBody(report, { ...(input.signals ? { signals: input.signals } : {}), identities }),
    marker: pullRequestMarker(report),
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
