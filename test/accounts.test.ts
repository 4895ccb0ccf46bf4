import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccountUnreachableError,
  createPlaces,
  placesOf,
  type Reach,
  serves,
  UnknownAccountError,
} from "../functions/accounts.ts";
import { type StandIn, startStandIn } from "../functions/rehearse/stand-ins/stand-in.ts";
import {
  accessKeyOf,
  accountOfAccessKey,
  type StsStandIn,
  startStsStandIn,
} from "../functions/rehearse/stand-ins/sts.ts";
import { createRuntime, portsAt } from "../functions/runtime.ts";

/**
 * The reactor reaches member accounts through their read role, over real HTTP: the SDK's STS client
 * (fromTemporaryCredentials) against the STS stand-in on 127.0.0.1, and the place's CloudFormation
 * and Cloud Control clients against a recorder that notes which access key signed each request.
 */

const HOME = "111111111111";
const MEMBER = "222222222222";
const LOCKED = "333333333333";
const reach: Reach = {
  homeAccount: HOME,
  homeRegion: "eu-west-1",
  accounts: [HOME, MEMBER, LOCKED],
  regions: ["eu-west-1", "us-east-1"],
  readRoleName: "PhantomReadOnly",
};

/** A clock the test moves; it starts 56 minutes behind real time (see the refresh test). */
class TestClock {
  constructor(public at: number) {}
  now(): number {
    return this.at;
  }
}

let sts: StsStandIn;
let service: StandIn;
const signedBy: string[] = [];
const saved: Record<string, string | undefined> = {};
const ENV = {
  AWS_ACCESS_KEY_ID: "home-function-role",
  AWS_SECRET_ACCESS_KEY: "home",
  AWS_EC2_METADATA_DISABLED: "true",
};
const clock = new TestClock(Date.now() - 56 * 60_000);

beforeAll(async () => {
  sts = await startStsStandIn({ clock, roles: (arn) => !arn.includes(LOCKED) });
  // One recorder serves CloudFormation (Query/XML) and Cloud Control (JSON 1.0) for every place.
  service = await startStandIn("aws", (request) => {
    const key = accessKeyOf(String(request.headers.authorization ?? "")) ?? "(unsigned)";
    signedBy.push(key);
    if (String(request.headers["x-amz-target"] ?? "").startsWith("CloudApiService.")) {
      return {
        operation: "GetResource",
        reply: {
          status: 400,
          headers: { "content-type": "application/x-amz-json-1.0" },
          body: JSON.stringify({ __type: "ResourceNotFoundException", Message: "not recorded" }),
        },
      };
    }
    return {
      operation: "DescribeStacks",
      reply: {
        status: 200,
        headers: { "content-type": "text/xml" },
        body:
          '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks/></DescribeStacksResult>' +
          "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>",
      },
    };
  });
  const env = {
    ...ENV,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_CLOUDFORMATION: service.url,
    AWS_ENDPOINT_URL_CLOUDCONTROL: service.url,
  };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await Promise.all([sts?.close(), service?.close()]);
});

const assumed = () => sts.calls.get("sts.AssumeRole") ?? 0;

describe("createPlaces over real HTTP", () => {
  it("reads the home account with the function's role, and a member through one cached session for all its regions and clients", async () => {
    const places = createPlaces({ reach, clock });
    signedBy.length = 0;
    for (const region of reach.regions) {
      const home = places.at({ account: HOME, region });
      expect(home.home).toBe(true);
      await home.clients.cloudFormation.send(new DescribeStacksCommand({}));
    }
    expect(assumed()).toBe(0);
    expect(signedBy).toEqual(["home-function-role", "home-function-role"]);

    signedBy.length = 0;
    for (let round = 0; round < 3; round++) {
      for (const region of reach.regions) {
        const member = places.at({ account: MEMBER, region });
        expect(member.home).toBe(false);
        // The same ports come back for the same place: clients and caches are kept.
        expect(places.at({ account: MEMBER, region })).toBe(member);
        await member.clients.cloudFormation.send(new DescribeStacksCommand({}));
        await member.clients.unretried.send(new DescribeStacksCommand({}));
        const read = await member.live.state.read({
          stack: "api-prod",
          logicalId: "Queue",
          type: "AWS::SQS::Queue",
          physicalId: "https://sqs.example/q",
        });
        expect(read).toMatchObject({ kind: "unavailable", reason: "not-found" });
      }
    }
    // 18 requests in two regions through three clients: one AssumeRole.
    expect(signedBy).toHaveLength(18);
    expect(assumed()).toBe(1);
    expect(new Set(signedBy.map(accountOfAccessKey))).toEqual(new Set([MEMBER]));
    const [session] = sts.sessions();
    expect(session?.roleArn).toBe(`arn:aws:iam::${MEMBER}:role/PhantomReadOnly`);
    expect(session?.sessionName).toBe(`phantom-${MEMBER}`);
  });

  it("renews the member's session shortly before it expires, and not before", async () => {
    const places = createPlaces({ reach, clock });
    const before = assumed();
    const member = places.at({ account: MEMBER, region: "eu-west-1" });
    await member.clients.cloudFormation.send(new DescribeStacksCommand({}));
    expect(assumed()).toBe(before + 1);
    // 54 minutes into the hour: still fresh (the SDK asks again, since by real time the session ends
    // in minutes, and the cache answers).
    clock.at += 54 * 60_000;
    await member.clients.cloudFormation.send(new DescribeStacksCommand({}));
    expect(assumed()).toBe(before + 1);
    // 56 minutes: inside the 5-minute margin, so a new session.
    clock.at += 2 * 60_000;
    await member.clients.cloudFormation.send(new DescribeStacksCommand({}));
    expect(assumed()).toBe(before + 2);
    const last = sts.sessions().at(-1);
    expect(signedBy.at(-1)).toBe(last?.accessKeyId);
    clock.at -= 56 * 60_000;
  });

  it("reports an account whose role cannot be assumed, naming it, and tries again next time", async () => {
    const places = createPlaces({ reach, clock });
    const before = assumed();
    const first = await places.reachable(LOCKED);
    expect(first.ok).toBe(false);
    if (first.ok) return;
    expect(first.error).toBeInstanceOf(AccountUnreachableError);
    expect(first.error.account).toBe(LOCKED);
    expect(first.error.code).toBe("AccessDenied");
    expect(first.error.message).toContain(`arn:aws:iam::${LOCKED}:role/PhantomReadOnly`);
    expect(first.error.message).toContain("not authorized to perform: sts:AssumeRole");
    // A call in that account fails with the same error, not a signing or network error.
    await expect(
      places
        .at({ account: LOCKED, region: "us-east-1" })
        .clients.cloudFormation.send(new DescribeStacksCommand({})),
    ).rejects.toMatchObject({ name: "AccountUnreachableError", account: LOCKED });
    // A failure is not cached: each attempt asks STS again (the role may have been fixed meanwhile).
    expect(assumed()).toBe(before + 2);
    expect(await places.reachable(HOME)).toEqual({ ok: true });
    expect(await places.reachable(MEMBER)).toEqual({ ok: true });
  });

  it("refuses an account the deployment does not serve", async () => {
    const places = createPlaces({ reach, clock });
    expect(places.serves("444444444444")).toBe(false);
    expect(() => places.at({ account: "444444444444", region: "eu-west-1" })).toThrow(UnknownAccountError);
    expect(() => places.at({ account: "444444444444", region: "eu-west-1" })).toThrow(
      /444444444444 is not one Phantom serves/,
    );
    const reached = await places.reachable("444444444444");
    expect(reached.ok).toBe(false);
  });
});

describe("reach", () => {
  it("serves every account when the deployment names none (one-account setups), else the named ones", () => {
    expect(serves({ ...reach, accounts: [] }, "999999999999")).toBe(true);
    expect(serves(reach, MEMBER)).toBe(true);
    expect(serves(reach, "999999999999")).toBe(false);
  });

  it("sweeps every account in every region, home first", () => {
    expect(placesOf(reach)).toEqual([
      { account: HOME, region: "eu-west-1" },
      { account: HOME, region: "us-east-1" },
      { account: MEMBER, region: "eu-west-1" },
      { account: MEMBER, region: "us-east-1" },
      { account: LOCKED, region: "eu-west-1" },
      { account: LOCKED, region: "us-east-1" },
    ]);
    expect(placesOf({ homeRegion: "eu-west-1", accounts: [], regions: [], readRoleName: "R" })).toEqual([]);
  });
});

describe("the STS stand-in", () => {
  it("answers a malformed request as STS does and lists it as unexpected", async () => {
    const response = await fetch(sts.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A222222222222%3Arole%2FR&RoleSessionName=x&DurationSeconds=60",
    });
    expect(response.status).toBe(400);
    const body = await response.text();
    expect(body).toContain("<Code>ValidationError</Code>");
    expect(body).toContain("roleSessionName");
    expect(body).toContain("durationSeconds");
    expect(sts.unexpected.at(-1)).toMatch(/^sts.AssumeRole: ValidationError/);
  });
});

describe("runtime.at", () => {
  it("gives each place its ports, and names an account whose role cannot be assumed in a log line, then throws as before", async () => {
    const lines: Record<string, unknown>[] = [];
    const runtime = await createRuntime({
      env: {
        ...process.env,
        PHANTOM_WINDOWS_TABLE: "phantom-windows",
        PHANTOM_SETTLE_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/111111111111/phantom-settle",
        PHANTOM_ANALYZER: "rules",
        AWS_REGION: "eu-west-1",
        PHANTOM_HOME_ACCOUNT: HOME,
        PHANTOM_ACCOUNTS: [HOME, MEMBER, LOCKED].join(","),
        PHANTOM_REGIONS: "eu-west-1,us-east-1",
      },
      resource: {},
      clock,
      log: { log: (level, message, fields) => lines.push({ level, message, ...fields }) },
    });
    expect(runtime.places?.serves(MEMBER)).toBe(true);
    expect(runtime.places?.serves("444444444444")).toBe(false);
    const member = portsAt(runtime, { account: MEMBER, region: "us-east-1" });
    expect(member.ports?.place).toEqual({ account: MEMBER, region: "us-east-1" });
    // The same reaction ports for the same place; another place, others.
    expect(portsAt(runtime, { account: MEMBER, region: "us-east-1" }).reaction).toBe(member.reaction);
    expect(portsAt(runtime, { account: MEMBER, region: "eu-west-1" }).reaction).not.toBe(member.reaction);

    const locked = portsAt(runtime, { account: LOCKED, region: "us-east-1" });
    await expect(
      locked.directory.lookup({
        type: "AWS::SQS::Queue",
        id: "https://sqs.us-east-1.amazonaws.com/333333333333/q",
      }),
    ).rejects.toThrow();
    // Drift detection reports the resource UNKNOWN with the reason, never clean.
    const drift = await locked.reaction.drift.detect("api-prod", ["Queue"]);
    expect(drift.resources).toEqual([
      expect.objectContaining({
        logicalId: "Queue",
        status: "UNKNOWN",
        note: expect.stringContaining(`cannot assume arn:aws:iam::${LOCKED}:role/PhantomReadOnly`),
      }),
    ]);
    const unreachable = lines.filter((l) => l.message === "account unreachable");
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]).toMatchObject({
      level: "warn",
      account: LOCKED,
      region: "us-east-1",
      role: `arn:aws:iam::${LOCKED}:role/PhantomReadOnly`,
      code: "AccessDenied",
    });
  });
});
