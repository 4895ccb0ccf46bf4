import { describe, expect, it } from "vitest";
import type { ResourceRef } from "../../core/catalog/types.ts";
import { judge } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import type { StackDirectory, StackResource } from "../../core/drift/ports.ts";
import { changesFingerprint, parseMarker, renderMarker } from "../../core/publish/marker.ts";
import { pullRequestBranch } from "../../core/publish/request.ts";
import { type TouchPorts, touch } from "../../core/reactor/touch.ts";
import { createMemoryWindowStore } from "../../core/window/memory-store.ts";
import { type Place, placeKey } from "../../core/window/stack.ts";
import type { SettleMessage } from "../../core/window/timer.ts";
import { DEFAULT_WINDOW_POLICY } from "../../core/window/types.ts";
import { SequentialIds, VirtualClock } from "../../functions/replay/virtual-time.ts";

/**
 * `touch` keys every window by `(account, region, stack)`: the place comes from the record, an
 * account that is not served is ignored as `unknown-account`, and a global service's resource (IAM
 * logs in us-east-1) is looked up in every region of the account.
 */

const T0 = Date.parse("2026-11-27T10:14:00Z");
const context = catalogContext(DEFAULT_CONFIG);
const A = "305482197364";
const B = "762913458021";

function record(fields: Record<string, unknown>) {
  const judgement = judge(
    {
      eventVersion: "1.09",
      eventTime: new Date(T0).toISOString(),
      userIdentity: { type: "IAMUser", userName: "maria", arn: `arn:aws:iam::${A}:user/maria` },
      sessionCredentialFromConsole: "true",
      ...fields,
    },
    context,
  );
  if (judgement.verdict !== "change")
    throw new Error(`fixture is not a change: ${JSON.stringify(judgement)}`);
  return judgement;
}

const sg = (account: string, region: string, eventID: string) =>
  record({
    eventID,
    eventSource: "ec2.amazonaws.com",
    eventName: "AuthorizeSecurityGroupIngress",
    awsRegion: region,
    recipientAccountId: account,
    requestParameters: { groupId: "sg-0a1b2c3d4e5f60718" },
  });

/** A directory per place: the same group id is `api-prod`'s in every place that records it. */
function directoryOf(owned: Record<string, Record<string, StackResource>>, asked: string[]): StackDirectory {
  return {
    lookup: async (ref: ResourceRef, where) => {
      const key = `${where?.account}/${where?.region}`;
      asked.push(`${key} ${ref.id}`);
      return owned[key]?.[ref.id];
    },
  };
}

const group: StackResource = {
  stack: "api-prod",
  logicalId: "ApiSecurityGroup",
  physicalId: "sg-0a1b2c3d4e5f60718",
  type: "AWS::EC2::SecurityGroup",
};

function harness(extra: Partial<TouchPorts> = {}, owned: Record<string, Record<string, StackResource>> = {}) {
  const clock = new VirtualClock(T0);
  const armed: { message: SettleMessage; at: number }[] = [];
  const asked: string[] = [];
  const windows = createMemoryWindowStore();
  const ports: TouchPorts = {
    directory: directoryOf(owned, asked),
    windows,
    timer: { arm: async (message, at) => void armed.push({ message, at }) },
    clock,
    ids: new SequentialIds(),
    policy: DEFAULT_WINDOW_POLICY,
    ...extra,
  };
  return { ports, armed, asked, windows };
}

describe("touch in several places", () => {
  it("opens one window per place for the same stack name, each armed with its place", async () => {
    const places: Place[] = [
      { account: A, region: "us-east-1" },
      { account: A, region: "eu-west-1" },
      { account: B, region: "us-east-1" },
    ];
    const h = harness(
      {},
      Object.fromEntries(places.map((p) => [placeKey(p), { [group.physicalId]: group }])),
    );

    const outcomes = [];
    for (const [i, p] of places.entries())
      outcomes.push(await touch(sg(p.account, p.region, `e${i}`), h.ports));

    expect(outcomes.map((o) => o.stacks.map((s) => [s.account, s.region, s.stack, s.opened]))).toEqual([
      [[A, "us-east-1", "api-prod", true]],
      [[A, "eu-west-1", "api-prod", true]],
      [[B, "us-east-1", "api-prod", true]],
    ]);
    expect(h.armed.map((a) => placeKey(a.message))).toEqual([
      `${A}/us-east-1`,
      `${A}/eu-west-1`,
      `${B}/us-east-1`,
    ]);
    // Each place was asked only about its own event.
    expect(h.asked).toEqual([
      `${A}/us-east-1 sg-0a1b2c3d4e5f60718`,
      `${A}/eu-west-1 sg-0a1b2c3d4e5f60718`,
      `${B}/us-east-1 sg-0a1b2c3d4e5f60718`,
    ]);
    const window = await h.windows.get({ account: B, region: "us-east-1", stack: "api-prod" }, "api-prod-w3");
    expect(window?.events.map((e) => [e.account, e.region])).toEqual([[B, "us-east-1"]]);
  });

  it("ignores an event from an account that is not served as unknown-account, asking no directory", async () => {
    const h = harness(
      { serves: (account) => account === A },
      { [`${B}/us-east-1`]: { [group.physicalId]: group } },
    );

    const outcome = await touch(sg(B, "us-east-1", "e1"), h.ports);

    expect(outcome.ignored).toEqual({
      reason: "unknown-account",
      detail: `account ${B} is not configured (PHANTOM_ACCOUNTS)`,
    });
    expect(outcome.stacks).toEqual([]);
    expect(h.asked).toEqual([]);
    expect(h.armed).toEqual([]);
  });

  it("ignores a record that names no account when no home is configured, and takes the home's otherwise", async () => {
    const bare = record({
      eventID: "e1",
      eventSource: "ec2.amazonaws.com",
      eventName: "AuthorizeSecurityGroupIngress",
      requestParameters: { groupId: "sg-0a1b2c3d4e5f60718" },
    });
    const owned = { [`${A}/eu-west-1`]: { [group.physicalId]: group } };

    expect((await touch(bare, harness({}, owned).ports)).ignored?.reason).toBe("unknown-account");
    const homed = await touch(bare, harness({ home: { account: A, region: "eu-west-1" } }, owned).ports);
    expect(homed.stacks.map((s) => [s.account, s.region, s.stack])).toEqual([[A, "eu-west-1", "api-prod"]]);
  });

  it("looks a global service's resource up in every region of the account: IAM logs in us-east-1", async () => {
    const role: StackResource = {
      stack: "api-prod",
      logicalId: "ApiRole",
      physicalId: "api-prod-ApiRole-1ABCDEF",
      type: "AWS::IAM::Role",
    };
    const h = harness(
      { regionsOf: (account) => (account === A ? ["us-east-1", "eu-west-1", "ap-southeast-2"] : []) },
      { [`${A}/eu-west-1`]: { [role.physicalId]: role } },
    );
    const change = record({
      eventID: "iam-1",
      eventSource: "iam.amazonaws.com",
      eventName: "PutRolePolicy",
      awsRegion: "us-east-1",
      recipientAccountId: A,
      requestParameters: { roleName: role.physicalId, policyName: "extra", policyDocument: "{}" },
    });

    const outcome = await touch(change, h.ports);

    expect(outcome.stacks.map((s) => [s.account, s.region, s.stack])).toEqual([[A, "eu-west-1", "api-prod"]]);
    // us-east-1 first (where it logged), then the account's other regions until the owner answers;
    // the inline policy the call also names is nobody's in any region.
    expect(h.asked).toEqual([
      `${A}/us-east-1 ${role.physicalId}`,
      `${A}/eu-west-1 ${role.physicalId}`,
      ...["us-east-1", "eu-west-1", "ap-southeast-2"].map((r) => `${A}/${r} extra`),
    ]);
    expect(outcome.unmanaged.map((r) => r.id)).toEqual(["extra"]);
  });

  it("looks a regional service's resource up in its own region only", async () => {
    const h = harness({ regionsOf: () => ["us-east-1", "eu-west-1"] }, {});

    const outcome = await touch(sg(A, "eu-west-1", "e1"), h.ports);

    expect(outcome.unmanaged).toHaveLength(1);
    expect(h.asked).toEqual([`${A}/eu-west-1 sg-0a1b2c3d4e5f60718`]);
  });
});

describe("pull request branch and marker of a stack away from home", () => {
  it("name the place, and the marker reads back with it", () => {
    expect(pullRequestBranch("api-prod")).toBe("phantom/api-prod");
    expect(pullRequestBranch("api-prod", { account: B, region: "eu-west-1" })).toBe(
      `phantom/${B}/eu-west-1/api-prod`,
    );
    const marker = {
      stack: "api-prod",
      account: B,
      region: "eu-west-1",
      window: "api-prod-w1",
      fingerprint: changesFingerprint({ stack: "api-prod", changes: [] }),
      validAt: "2026-11-27T10:14:52.000Z",
    };
    const text = renderMarker(marker);
    expect(text).toContain(`phantom:stack=api-prod account=${B} region=eu-west-1 window=api-prod-w1`);
    expect(parseMarker(text)).toEqual(marker);
    const { account: _a, region: _r, ...home } = marker;
    expect(parseMarker(renderMarker(home))).toEqual(home);
  });
});
