import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { changesFingerprint, renderMarker } from "../../core/publish/marker.ts";
import type { ChangeFile, PullRequestRequest } from "../../core/publish/ports.ts";

/** The safe-state template every test repository starts with. */
export const TEMPLATE_PATH = "infra/payments.yaml";
export const TEMPLATE = [
  "AWSTemplateFormatVersion: '2010-09-09'",
  "Resources:",
  "  Queue:",
  "    Type: AWS::SQS::Queue",
  "    Properties:",
  "      VisibilityTimeout: 30 # seconds",
  "",
].join("\n");

export interface WindowSpec {
  readonly stack?: string;
  readonly window: string;
  /** ISO time of the window's last event. */
  readonly validAt: string;
  /** The live value the window legitimizes; it drives the fingerprint and the file content. */
  readonly visibilityTimeout?: number;
  readonly files?: readonly ChangeFile[];
  readonly reviewers?: readonly string[];
  readonly labels?: readonly string[];
  readonly repo?: string;
  readonly baseBranch?: string;
}

/** A request as the publish use case would build it for one window. */
export function windowRequest(spec: WindowSpec): PullRequestRequest {
  const stack = spec.stack ?? "payments";
  const timeout = spec.visibilityTimeout ?? 60;
  const files = spec.files ?? [
    { path: TEMPLATE_PATH, content: TEMPLATE.replace("30 # seconds", `${timeout} # seconds`) },
  ];
  const fingerprint = changesFingerprint({
    stack,
    changes: [
      {
        logicalId: "Queue",
        propertyPath: "/VisibilityTimeout",
        differenceType: "NOT_EQUAL",
        expected: "30",
        actual: String(timeout),
        decision: "legitimize",
      },
    ],
    files,
  });
  const marker = { stack, window: spec.window, fingerprint, validAt: spec.validAt };
  return {
    repo: spec.repo ?? "acme/infra",
    ...(spec.baseBranch ? { baseBranch: spec.baseBranch } : {}),
    branch: `phantom/${stack}`,
    title: `Phantom: drift on ${stack} (Queue VisibilityTimeout ${timeout})`,
    body: `## Drift on ${stack}\n\n@sam-gh set \`Queue.VisibilityTimeout\` to ${timeout} at ${spec.validAt}.\n\n${renderMarker(marker)}\n`,
    marker,
    files,
    commitMessage: `phantom: legitimize ${stack} drift (window ${spec.window})`,
    labels: spec.labels ?? ["phantom", "severity:medium", "decision:legitimize"],
    reviewers: spec.reviewers ?? ["sam-gh"],
    updateComment: `New drift at ${spec.validAt} by @sam-gh (window ${spec.window}).`,
  };
}

/** Git isolated from the machine's configuration, with a fixed identity for the test's own commits. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Sam",
  GIT_AUTHOR_EMAIL: "sam@example.com",
  GIT_COMMITTER_NAME: "Sam",
  GIT_COMMITTER_EMAIL: "sam@example.com",
};

/** Runs git in `cwd` with {@link GIT_ENV}; its stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: GIT_ENV, encoding: "utf8" });
}
