import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { AnalysisArtifacts, AnalyzedChange, AnalyzedReport } from "../../core/analysis/analyze.ts";
import { parseMarker } from "../../core/publish/marker.ts";
import { mermaidText } from "../../core/report/inert.ts";
import {
  formatMonthly,
  pullRequestBody,
  pullRequestFiles,
  pullRequestTitle,
} from "../../core/report/pull-request.ts";
import type { SignalsReport } from "../../core/signals/types.ts";
import { runReplay } from "../../functions/replay/run-replay.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import { git } from "../publish/support.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const SCENARIO = path.join(root, "fixtures/scenarios/payments-3am-incident");
const WINDOW = path.join(SCENARIO, "golden/payments-prod/payments-prod-w1");

/** The 3 AM incident's analysed report and signals, from the scenario's golden output. */
const report = JSON.parse(readFileSync(path.join(WINDOW, "analysis.json"), "utf8")) as AnalyzedReport;
const signals = JSON.parse(readFileSync(path.join(SCENARIO, "signals.json"), "utf8")) as SignalsReport;
const SAM = "sam.rivera@example.com";

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe("pullRequestTitle", () => {
  it("counts the decisions and names severity and the monthly drift cost", () => {
    expect(pullRequestTitle(report)).toBe(
      "phantom: payments-prod drift — 6 revert, 2 refactor (critical, +$2,646/mo)",
    );
  });

  it("formats costs in whole dollars with a sign", () => {
    expect(formatMonthly(2646.1)).toBe("+$2,646/mo");
    expect(formatMonthly(-61.4)).toBe("-$61/mo");
    expect(formatMonthly(null)).toBe("unpriced");
  });
});

describe("pullRequestBody", () => {
  it("renders every section and ends with the marker", () => {
    const body = pullRequestBody(report, { signals });
    for (const heading of [
      "## Summary",
      "## Changes",
      "## Reasoning",
      "## Incident context",
      "## Timeline",
      "## Revert plan",
    ]) {
      expect(body).toContain(heading);
    }
    expect(body).toContain(
      "| `AppServer` (AWS::EC2::Instance) | `/InstanceType` | `t3.xlarge` ► `t3.large` | **refactor** |",
    );
    expect(body).toContain("[P1] payments-prod database CPU above 95%");
    expect(body).toContain("aws cloudformation create-change-set");
    expect(body).toContain("<details><summary>Full analysis (analysis.json)</summary>");
    const last = body.trimEnd().split("\n").at(-1) ?? "";
    expect(parseMarker(last)).toMatchObject({
      stack: "payments-prod",
      window: "payments-prod-w1",
      validAt: "2026-03-14T03:10:15.000Z",
    });
  });

  it("@-mentions mapped actors with what they changed and when", () => {
    const body = pullRequestBody(report, { identities: { [SAM]: "sam-rivera" } });
    expect(body).toMatch(/- @sam-rivera \(console\): ModifyDBInstance on PaymentsDatabase at 03:07:31;/);
    expect(body).not.toContain(`\`${SAM}\``);
  });

  it("names unmapped actors in code format, never as a guessed @", () => {
    const body = pullRequestBody(report, { identities: { "someone@example.com": "someone" } });
    expect(body).toContain(`- \`${SAM}\` (console): ModifyDBInstance`);
    expect(body).not.toMatch(/@sam/);
  });

  it("draws a Mermaid gantt of alerts, console events and the window", () => {
    const body = pullRequestBody(report, { signals });
    const mermaid = /```mermaid\n([\s\S]*?)\n```/.exec(body)?.[1];
    expect(mermaid).toBeDefined();
    const lines = (mermaid ?? "").split("\n");
    expect(lines[0]).toBe("gantt");
    expect(lines).toContain("  dateFormat YYYY-MM-DD HH:mm:ss");
    const tasks = lines.filter((l) => / :/.test(l));
    expect(tasks).toHaveLength(2 + 5 + 1);
    for (const task of tasks) {
      // name :tags, id, start, end-or-duration — exactly one colon, no comment or statement breakers.
      expect(task).toMatch(
        /^ {2}[^:#;]+ :(?:(?:crit|milestone|active), )?[a-z]+\d*, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, (?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|\d+s)$/,
      );
    }
    expect(mermaidText("a: b #1; c")).toBe("a： b ＃1； c");
  });

  it("stays under the limit with 500 changes and huge reasoning, keeping the summary and the marker", () => {
    const template = report.changes[1] as AnalyzedChange;
    const changes = Array.from({ length: 500 }, (_, i) => ({
      ...template,
      logicalId: `Server${i}`,
      reasoning: `reason ${i} `.repeat(400),
    }));
    const big: AnalyzedReport = { ...report, changes };
    const body = pullRequestBody(big, { signals });
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body).toContain("## Summary");
    expect(body).toContain(`**500 ${template.decision}**`);
    expect(body).toMatch(/… \d+ more changes in analysis\.json/);
    expect(body).toContain("Omitted to stay under GitHub's body limit");
    expect(parseMarker(body.trimEnd().split("\n").at(-1) ?? "")?.window).toBe("payments-prod-w1");
  });

  it("drops the folded JSON before cutting any table row", () => {
    const full = pullRequestBody(report, { signals });
    const body = pullRequestBody(report, { signals, maxChars: full.length - 1 });
    expect(body.length).toBeLessThan(full.length);
    expect(body).toContain("| `PaymentsDatabase` (AWS::RDS::DBInstance) | `/EnablePerformanceInsights` |");
    expect(body).not.toContain("more changes in analysis.json");
  });

  it("cut anywhere, closes the code block and the fold it cut, so the marker is never shown as code", () => {
    const fences = (text: string) => {
      let open: string | undefined;
      for (const line of text.split("\n")) {
        const run = /^ {0,3}(`{3,})/.exec(line)?.[1];
        if (run === undefined) continue;
        if (open === undefined) open = run;
        else if (run.length >= open.length && line.trim() === run) open = undefined;
      }
      return open;
    };
    for (let maxChars = 600; maxChars <= 6_000; maxChars += 37) {
      const body = pullRequestBody(report, { signals, maxChars });
      expect(body.length).toBeLessThanOrEqual(maxChars);
      const beforeMarker = body.trimEnd().split("\n").slice(0, -1).join("\n");
      expect(fences(beforeMarker), `cut at ${maxChars}`).toBeUndefined();
      expect(beforeMarker.match(/^\s*<details>/gm)?.length ?? 0).toBe(
        beforeMarker.match(/^\s*<\/details>/gm)?.length ?? 0,
      );
      expect(parseMarker(body)?.window).toBe("payments-prod-w1");
    }
  });

  it("keeps the marker even under an absurdly small limit", () => {
    const body = pullRequestBody(report, { maxChars: 600 });
    expect(body.length).toBeLessThanOrEqual(600);
    expect(parseMarker(body)?.stack).toBe("payments-prod");
  });
});

describe("pullRequestFiles", () => {
  const revert = JSON.parse(readFileSync(path.join(WINDOW, "revert-plan.json"), "utf8"));

  it("commits only the .phantom/ drift record for a revert-only window", () => {
    const revertOnly: AnalyzedReport = {
      ...report,
      changes: report.changes.filter((c) => c.decision === "revert"),
    };
    const files = pullRequestFiles(revertOnly, { revert });
    expect(files.map((f) => f.path)).toEqual([".phantom/drift/payments-prod/payments-prod-w1.json"]);
    const record = JSON.parse(files[0]?.content ?? "{}");
    expect(record.revert.input).toEqual(revert.input);
    expect(record.changes).toHaveLength(6);
  });

  it("adds the rectified template at its repository path when it changed", () => {
    const artifacts: AnalysisArtifacts = {
      template: { path: "stacks/payments-prod.yaml", text: "rectified", changed: true },
      revert,
    };
    expect(pullRequestFiles(report, artifacts).map((f) => f.path)).toEqual([
      "stacks/payments-prod.yaml",
      ".phantom/drift/payments-prod/payments-prod-w1.json",
    ]);
  });
});

describe("replay --repo", () => {
  it("publishes one branch with one commit, and a second replay changes nothing", async () => {
    const repo = mkdtempSync(path.join(tmpdir(), "phantom-pr-repo-"));
    const out = mkdtempSync(path.join(tmpdir(), "phantom-pr-out-"));
    scratch.push(repo, out);
    git(repo, "init", "--quiet", "-b", "main");
    mkdirSync(path.join(repo, "stacks"));
    writeFileSync(
      path.join(repo, "stacks/payments-prod.yaml"),
      readFileSync(path.join(SCENARIO, "account/templates/payments-prod.yaml")),
    );
    git(repo, "add", ".");
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", "Initial commit");
    const scenario = await loadScenario(SCENARIO, { base: { identities: { [SAM]: "sam-rivera" } } });

    const first = await runReplay(scenario, out, {}, { repo });

    // Opened at settle, updated by the review an hour later.
    expect(first.windows.map((w) => w.pullRequest?.kind)).toEqual(["created", "updated"]);
    expect(git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/").trim().split("\n")).toEqual([
      "refs/heads/main",
      "refs/heads/phantom/payments-prod",
    ]);
    expect(git(repo, "rev-list", "--count", "main..phantom/payments-prod").trim()).toBe("1");
    expect(git(repo, "diff", "--name-only", "main", "phantom/payments-prod").trim().split("\n")).toEqual([
      ".phantom/drift/payments-prod/payments-prod-w1.json",
      "stacks/payments-prod.yaml",
    ]);
    const templateDiff = git(repo, "diff", "--numstat", "main", "phantom/payments-prod", "--", "stacks/");
    expect(templateDiff.trim()).toBe("2\t2\tstacks/payments-prod.yaml");
    const message = git(repo, "log", "-1", "--format=%B", "phantom/payments-prod");
    expect(message).toMatch(/^phantom: rectify payments-prod drift \(payments-prod-w1\)/);
    const md = readFileSync(path.join(out, "payments-prod/payments-prod-w1/pull-request.md"), "utf8");
    expect(
      md.startsWith("# phantom: payments-prod drift — 6 revert, 2 refactor (critical, +$2,646/mo)\n"),
    ).toBe(true);
    expect(md).toContain("- @sam-rivera (console):");

    const tip = git(repo, "rev-parse", "phantom/payments-prod");
    const second = await runReplay(scenario, out, {}, { repo });

    // The settle-time analysis never undoes the review; the review finds the PR as it left it.
    expect(second.windows.map((w) => w.pullRequest?.kind)).toEqual(["stale", "unchanged"]);
    expect(git(repo, "rev-parse", "phantom/payments-prod")).toBe(tip);
    expect(git(repo, "for-each-ref", "--format=%(refname)", "refs/heads/").trim().split("\n")).toHaveLength(
      2,
    );
  });
});
