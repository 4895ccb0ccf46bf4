import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReplay } from "../../functions/replay/run-replay.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";

/**
 * Records Phantom cannot read never go silent (issue 13, bad input): an Athena row whose
 * `requestparameters` is not JSON, and a trail log file cut mid-array, are rejected with their reason,
 * the rest of the capture is replayed, and every settled window's analysis.json says how many records
 * were unread and which.
 */

const SCENARIO = fileURLToPath(new URL("../../fixtures/scenarios/sg-ssh-world-cdk-rules", import.meta.url));

let scratch = "";
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "phantom-unread-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("replay: records it cannot read", () => {
  it("replays the rest and notes the unread records in every window's analysis.json", async () => {
    const dir = path.join(scratch, "scenario");
    await cp(SCENARIO, dir, { recursive: true });
    // An Athena export row (lowercase keys, JSON text fields) whose requestparameters was cut.
    const athenaRow = {
      eventversion: "1.09",
      eventtime: "2026-12-01T03:07:10Z",
      eventsource: "ec2.amazonaws.com",
      eventname: "AuthorizeSecurityGroupIngress",
      awsregion: "eu-west-1",
      recipientaccountid: "418273645091",
      eventid: "7d1e4b9a-7f3e-4c1d-9b8a-2e6f0c4d5a71",
      readonly: false,
      eventtype: "AwsApiCall",
      requestparameters: '{"groupId":"sg-0f1e2d3c4b5a69788","ipPermissions":{"items":[{"ipProtocol":"tcp"',
    };
    await writeFile(path.join(dir, "events", "athena-export.jsonl"), `${JSON.stringify(athenaRow)}\n`);
    // A trail log file cut in the middle of its Records array.
    const record = JSON.parse(
      (await readFile(path.join(dir, "events", "console-session.jsonl"), "utf8")).split("\n")[3] ?? "{}",
    ).detail;
    const trail = JSON.stringify({ Records: [record, record] });
    await writeFile(path.join(dir, "events", "cut-trail.json"), trail.slice(0, trail.length - 200));

    const summary = await runReplay(await loadScenario(dir, { base: {} }), path.join(dir, "out"));

    // One window, settled and then reviewed with the hour after the incident.
    expect(new Set(summary.windows.map((w) => w.out)).size).toBe(1);
    expect(summary.windows[0]?.reaction.report.changes.map((c) => c.propertyPath)).toEqual([
      "/SecurityGroupIngress/2",
    ]);
    expect(summary.rejected.get("malformed")).toBe(2);
    const [out] = summary.windows.map((w) => w.out);
    const analysis = JSON.parse(await readFile(path.join(out ?? "", "analysis.json"), "utf8"));
    expect(analysis.intake.unread).toBe(2);
    expect(analysis.intake.notes).toEqual([
      expect.stringMatching(
        /athena-export\.jsonl: malformed: requestParameters is JSON text that does not parse/i,
      ),
      expect.stringMatching(/cut-trail\.json.*cut/),
    ]);
  });
});
