import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  loadRecordedAccount,
  notRecordedMessage,
  RecordedAccountError,
} from "../../functions/replay/recorded-account.ts";
import { type TempDir, tempDir } from "../io/temp-files.ts";

/**
 * Replay's live state: `account/resources/<Stack>/<LogicalId>.json` (Cloud Control GetResource output,
 * or the error it gave) and the stack's deployed `Parameters`, validated up front with every problem
 * named by file, and read as Cloud Control would answer them.
 */

const STACK = "orders-prod";
const SG = {
  stack: STACK,
  logicalId: "AppSg",
  type: "AWS::EC2::SecurityGroup",
  physicalId: "sg-0123456789abcdef0",
};
const FN = {
  stack: STACK,
  logicalId: "Sender",
  type: "AWS::Lambda::Function",
  physicalId: "orders-prod-Sender-1X",
};

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir("recorded-live");
  await dir.write(
    `stacks/${STACK}.json`,
    JSON.stringify({
      StackResources: [SG, FN].map((r) => ({
        StackName: STACK,
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        ResourceStatus: "UPDATE_COMPLETE",
      })),
      Parameters: [
        { ParameterKey: "BastionCidr", ParameterValue: "10.20.0.0/24" },
        { ParameterKey: "Secret", ParameterValue: "****" },
        { ParameterKey: "Ami", ParameterValue: "/aws/service/ami", ResolvedValue: "ami-0abc" },
      ],
    }),
  );
});
afterEach(async () => dir.remove());

const description = (r: typeof SG, properties: unknown) => ({
  TypeName: r.type,
  ResourceDescription: { Identifier: r.physicalId, Properties: properties },
});

describe("recorded live state", () => {
  it("reads a recording (Properties as JSON text or as an object) as Cloud Control's found state", async () => {
    await dir.write(
      `resources/${STACK}/AppSg.json`,
      JSON.stringify(description(SG, '{"GroupId":"sg-0123456789abcdef0"}')),
    );
    await dir.write(
      `resources/${STACK}/Sender.json`,
      JSON.stringify(description(FN, { ReservedConcurrentExecutions: 0 })),
    );
    const account = await loadRecordedAccount(dir.dir);

    expect(await account.live.read(SG)).toEqual({ kind: "found", properties: { GroupId: SG.physicalId } });
    expect(await account.live.read(FN)).toEqual({
      kind: "found",
      properties: { ReservedConcurrentExecutions: 0 },
    });
    expect(account.liveReads.map((r) => [r.logicalId, r.identifier])).toEqual([
      ["AppSg", SG.physicalId],
      ["Sender", FN.physicalId],
    ]);
  });

  it("answers a resource with nothing recorded as not-found, saying it was not recorded — never found, never clean", async () => {
    const account = await loadRecordedAccount(dir.dir);

    const read = await account.live.read(SG);

    expect(read).toMatchObject({ kind: "unavailable", reason: "not-found" });
    expect(read.kind === "unavailable" ? read.detail : "").toContain(notRecordedMessage(STACK, "AppSg"));
  });

  it.each([
    ["UnsupportedActionException", "unsupported-action"],
    ["TypeNotFoundException", "unsupported-type"],
    ["ThrottlingException", "throttled"],
    ["ResourceNotFoundException", "not-found"],
    ["HandlerInternalFailureException", "failed"],
  ] as const)("reads a recorded %s as %s", async (code, reason) => {
    await dir.write(
      `resources/${STACK}/AppSg.json`,
      JSON.stringify({ TypeName: SG.type, Error: { Code: code, Message: "as Cloud Control said it" } }),
    );
    const account = await loadRecordedAccount(dir.dir);

    expect(await account.live.read(SG)).toEqual({
      kind: "unavailable",
      reason,
      detail: `Cloud Control could not read ${SG.type} ${SG.physicalId}: ${code}: as Cloud Control said it`,
    });
  });

  it("refuses bad recordings up front, every problem named with its file", async () => {
    const files = {
      [`resources/${STACK}/AppSg.json`]: description({ ...SG, type: "AWS::EC2::Instance" }, "{}"),
      [`resources/${STACK}/Sender.json`]: description({ ...FN, physicalId: "another-function" }, "{}"),
      [`resources/${STACK}/Nobody.json`]: description(SG, "{}"),
      "resources/other-stack/AppSg.json": description(SG, "{}"),
      [`resources/${STACK}/Both.json`]: {
        ...description(SG, "{}"),
        Error: { Code: "ThrottlingException" },
      },
    };
    for (const [name, body] of Object.entries(files)) await dir.write(name, JSON.stringify(body));
    await dir.write(`resources/${STACK}/Broken.json`, "{ not json");

    const failure = await loadRecordedAccount(dir.dir).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RecordedAccountError);
    const issues = (failure as RecordedAccountError).issues;
    const about = (file: string) => issues.filter((i) => i.includes(file));
    expect(about("AppSg.json").join("\n")).toContain(
      "TypeName is AWS::EC2::Instance but orders-prod/AppSg is AWS::EC2::SecurityGroup",
    );
    expect(about("Sender.json").join("\n")).toContain(
      'Identifier is "another-function" but Cloud Control is asked by the physical id',
    );
    expect(about("Nobody.json").join("\n")).toContain('has no live resource "Nobody"');
    expect(about("other-stack").join("\n")).toContain(
      'no stacks/other-stack.json records the stack "other-stack"',
    );
    expect(about("Both.json").join("\n")).toContain("exactly one of ResourceDescription");
    expect(about("Broken.json").join("\n")).toContain("not JSON");
  });

  it.each([
    ['{"GroupId": ', "must be a JSON object"],
    ["[1, 2]", "must be a JSON object"],
  ])("refuses Properties %j", async (properties, says) => {
    await dir.write(`resources/${STACK}/AppSg.json`, JSON.stringify(description(SG, properties)));

    const failure = await loadRecordedAccount(dir.dir).catch((error: unknown) => error);

    expect(String(failure)).toContain(says);
  });

  it("refuses an error code Cloud Control does not have", async () => {
    await dir.write(
      `resources/${STACK}/AppSg.json`,
      JSON.stringify({ TypeName: SG.type, Error: { Code: "Oops" } }),
    );

    const failure = await loadRecordedAccount(dir.dir).catch((error: unknown) => error);

    expect(String(failure)).toContain("Error.Code: must be a Cloud Control error code");
  });
});

describe("recorded parameters", () => {
  it("reads deployed values as the deployed adapter does: resolved SSM values, NoEcho left out", async () => {
    const account = await loadRecordedAccount(dir.dir);

    expect(account.parameters(STACK)).toEqual({ BastionCidr: "10.20.0.0/24", Ami: "ami-0abc" });
    expect(account.parameters("unknown-stack")).toEqual({});
  });

  it("refuses Parameters that are not DescribeStacks' shape", async () => {
    await dir.write(
      `stacks/${STACK}.json`,
      JSON.stringify({ StackResources: [], Parameters: [{ ParameterValue: "x" }] }),
    );

    const failure = await loadRecordedAccount(dir.dir).catch((error: unknown) => error);

    expect(String(failure)).toContain("Parameters.0.ParameterKey");
  });
});
