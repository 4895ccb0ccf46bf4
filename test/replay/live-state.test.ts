import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReplay } from "../../functions/replay/run-replay.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";

/**
 * Replay of the live state where drift detection is blind: the SSH-to-the-world scenario with its
 * recorded Cloud Control read, without one, and with each failure Cloud Control can give. Whatever
 * the read did, the reaction finishes, the resource says why in analysis.json, and the world-open
 * rule is found (from the requests when the live state cannot be read) and reverted as critical.
 */

const SCENARIO = fileURLToPath(new URL("../../fixtures/scenarios/sg-ssh-world-cdk-rules", import.meta.url));
const RESOURCE = "account/resources/orders-api-prod/AppSecurityGroup.json";

let scratch = "";
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "phantom-live-state-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Replays a copy of the scenario whose recorded live read is `recorded` (`undefined`: none). */
async function replayWith(label: string, recorded: unknown | "as recorded") {
  const dir = path.join(scratch, label);
  await cp(SCENARIO, dir, { recursive: true });
  if (recorded === undefined) await rm(path.join(dir, RESOURCE));
  else if (recorded !== "as recorded") await writeFile(path.join(dir, RESOURCE), JSON.stringify(recorded));
  const summary = await runReplay(await loadScenario(dir, { base: {} }), path.join(dir, "out"));
  const [window] = summary.windows;
  const report = window?.reaction.report;
  const resource = report?.resources.find((r) => r.logicalId === "AppSecurityGroup");
  const change = report?.changes.find((c) => c.propertyPath === "/SecurityGroupIngress/2");
  return { summary, report, resource, change };
}

/** A change's decision and severity (an analysed change has both). */
const decided = (change: unknown) => {
  const { decision, severity } = (change ?? {}) as { decision?: string; severity?: string };
  return [decision, severity];
};

const failure = (Code: string, Message: string) => ({
  TypeName: "AWS::EC2::SecurityGroup",
  Error: { Code, Message },
});

describe("replay: the live state where drift detection is blind", () => {
  it("reads the recorded live state: the world-open rule, from Cloud Control, reverted critical", async () => {
    const { report, resource, change } = await replayWith("recorded", "as recorded");

    expect(report?.detection.liveReads).toBe(1);
    expect(resource?.status).toBe("MODIFIED");
    expect(resource?.note).toContain("Cloud Control GetResource");
    expect(change).toMatchObject({ actual: { CidrIp: "0.0.0.0/0", FromPort: 22, ToPort: 22 } });
    expect(decided(change)).toEqual(["revert", "critical"]);
  });

  it.each([
    ["not recorded", undefined, "no live state recorded for orders-api-prod/AppSecurityGroup"],
    ["throttled", failure("ThrottlingException", "Rate exceeded"), "throttled"],
    [
      "unsupported",
      failure(
        "UnsupportedActionException",
        "Resource type AWS::EC2::SecurityGroup does not support READ action",
      ),
      "UnsupportedActionException",
    ],
    [
      "handler failure",
      failure("HandlerFailureException", "Access denied for ec2:DescribeSecurityGroups"),
      "HandlerFailureException",
    ],
  ])(
    "%s: says so in analysis.json, compares the request instead, and still reverts the SSH rule",
    async (label, recorded, says) => {
      const { summary, report, resource, change } = await replayWith(label.replace(/ /g, "-"), recorded);

      expect(summary.windows.map((w) => w.reaction.report.window.settledBy)).toEqual(["quiet", "review"]);
      expect(report?.detection.liveReads).toBe(1);
      expect(resource?.note).toContain(says);
      expect(resource?.note).toContain("requests");
      expect(change).toMatchObject({ actual: { CidrIp: "0.0.0.0/0" } });
      expect(decided(change)).toEqual(["revert", "critical"]);
    },
  );
});
