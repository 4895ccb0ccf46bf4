import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { AnalyzedReport } from "../../core/analysis/analyze.ts";
import { mention } from "../../core/publish/identities.ts";
import { pullRequestRequest } from "../../core/publish/request.ts";

/**
 * The comment an update leaves and the PR body name actors from the capture (issue 15): a name that
 * holds blank lines, a mention and HTML stays one code span of data.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
const report = JSON.parse(
  readFileSync(
    path.join(
      root,
      "fixtures/scenarios/payments-3am-incident/golden/payments-prod/payments-prod-w1/analysis.json",
    ),
    "utf8",
  ),
) as AnalyzedReport;

const HOSTILE_NAME = "sam\n\n@acme/everyone <img src=x onerror=alert(1)>\r`";

describe("an actor's name from the capture", () => {
  it("is one inert code span in the update comment: no blank line, no mention, no raw control", () => {
    const request = pullRequestRequest({
      report: { ...report, actors: report.actors.map((a) => ({ ...a, name: HOSTILE_NAME })) },
      artifacts: {},
      location: { repo: "acme/payments-infra" },
    });

    expect(request.updateComment).not.toMatch(/[\r\n]/);
    expect(request.updateComment).not.toMatch(/(?<![A-Za-z0-9_])@acme/);
    // After the visible `\n` the `@` follows a letter, so it cannot start a mention: left as it is.
    expect(request.updateComment).toContain("`` sam\\n\\n@acme/everyone <img src=x onerror=alert(1)>\\r` ``");
  });

  it("is still a mention when identities map it to a GitHub login", () => {
    expect(mention({ name: HOSTILE_NAME }, { [HOSTILE_NAME]: "sam-rivera" })).toBe("@sam-rivera");
  });
});
