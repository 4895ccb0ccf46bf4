import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadRecordedAccount, RecordedAccountError } from "../../functions/replay/recorded-account.ts";
import { driftDetectorContract, stackDirectoryContract } from "./port-contracts.ts";
import { loadWorld, QUEUE_URL, WORKSHOP, type World } from "./world.ts";

const made: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "phantom-account-"));
  made.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function write(dir: string, file: string, content: unknown): Promise<void> {
  const target = path.join(dir, file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, typeof content === "string" ? content : JSON.stringify(content, null, 2));
}

/** Writes the world as a scenario's `account/` directory (DESIGN §4). */
async function recordWorld(world: World): Promise<string> {
  const dir = await tempDir();
  for (const [stack, doc] of Object.entries(world.stacks)) await write(dir, `stacks/${stack}.json`, doc);
  for (const [key, doc] of Object.entries(world.drift)) await write(dir, `drift/${key}.json`, doc);
  return dir;
}

stackDirectoryContract("recorded account", async (world) => {
  const account = await loadRecordedAccount(await recordWorld(world));
  return { adapter: account.directory, done: () => {} };
});

driftDetectorContract("recorded account", async (world) => {
  const account = await loadRecordedAccount(await recordWorld(world));
  return { adapter: account.drift, done: () => {} };
});

describe("loadRecordedAccount", () => {
  it("lists the stacks and their tags", async () => {
    const account = await loadRecordedAccount(await recordWorld(await loadWorld()));

    expect(account.stacks).toEqual([
      "cfn-workshop-drift-detection",
      "cfn-workshop-drift-detection-challenge",
      "orders-db",
      "retired-stack",
    ]);
    expect(account.stackTags(WORKSHOP)).toEqual({ Environment: "prod" });
    expect(account.stackTags("orders-db")).toEqual({});
    expect(account.stackTags("nope")).toEqual({});
  });

  it("answers UNKNOWN with the scenario note for a touched resource without a drift file", async () => {
    const account = await loadRecordedAccount(await recordWorld(await loadWorld()));

    const report = await account.drift.detect("cfn-workshop-drift-detection-challenge", ["Bucket1"]);

    expect(report).toEqual({
      calls: 1,
      resources: [
        {
          logicalId: "Bucket1",
          physicalId: "cfn-workshop-drift-detection-challenge-bucket1-1svpxjottevmx",
          type: "AWS::S3::Bucket",
          status: "UNKNOWN",
          differences: [],
          note: "no drift recorded for cfn-workshop-drift-detection-challenge/Bucket1 in the scenario",
        },
      ],
    });
  });

  it("reads an account without stacks/ or drift/ as empty", async () => {
    const account = await loadRecordedAccount(await tempDir());

    expect(account.stacks).toEqual([]);
    expect(await account.directory.lookup({ type: "AWS::SQS::Queue", id: QUEUE_URL })).toBeUndefined();
  });

  it("reports every problem at once, each naming its file", async () => {
    const dir = await tempDir();
    const queue = {
      StackName: "payments",
      LogicalResourceId: "Queue",
      PhysicalResourceId: QUEUE_URL,
      ResourceType: "AWS::SQS::Queue",
    };
    await write(dir, "stacks/payments.json", {
      StackResources: [queue],
      Tags: [{ Key: "env", Value: "prod" }],
    });
    await write(dir, "stacks/copy.json", { StackResources: [{ ...queue, StackName: "payments" }] });
    await write(dir, "stacks/broken.json", "{ not json");
    await write(dir, "stacks/shapeless.json", { StackResources: [{ LogicalResourceId: "X" }] });
    await write(dir, "stacks/notes.txt", "ignored: not JSON by name");
    await write(dir, "drift/payments/Queue.json", {
      StackResourceDrift: { LogicalResourceId: "Other", StackResourceDriftStatus: "IN_SYNC" },
    });
    await write(dir, "drift/payments/Topic.json", {
      StackResourceDrift: { LogicalResourceId: "Topic", StackResourceDriftStatus: "IN_SYNC" },
    });
    await write(dir, "drift/ghost/Queue.json", { StackDriftDetectionId: "x" });

    const error = await loadRecordedAccount(dir).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RecordedAccountError);
    const issues = (error as RecordedAccountError).issues;
    const file = (name: string) => path.join(dir, name);
    expect(issues).toEqual([
      expect.stringMatching(new RegExp(`^${escapeRegExp(file("stacks/broken.json"))}: not JSON`)),
      `${file("stacks/copy.json")}: StackResources.0.StackName is "payments" but the file is for stack "copy"`,
      expect.stringMatching(
        new RegExp(`^${escapeRegExp(file("stacks/shapeless.json"))}: StackResources\\.0\\.ResourceType: `),
      ),
      `${file("stacks/payments.json")}: AWS::SQS::Queue ${QUEUE_URL} is also copy/Queue`,
      `${file("drift/ghost/Queue.json")}: no stacks/ghost.json records the stack "ghost"`,
      expect.stringMatching(
        new RegExp(
          `^${escapeRegExp(file("drift/ghost/Queue.json"))}: \\(top level\\): not a resource drift document`,
        ),
      ),
      `${file("drift/payments/Queue.json")}: records drift for "Other", not "Queue"`,
      `${file("drift/payments/Topic.json")}: stacks/payments.json has no resource "Topic"`,
    ]);
    expect((error as Error).message).toContain(`${dir} is not a valid recorded account`);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
