import { describe, expect, it } from "vitest";
import { type LiveRead, seeBlindSpots } from "../../core/drift/live.ts";
import {
  corpusRecord,
  corpusText,
  driftOf,
  RecordedLiveState,
  stackResource,
  touched,
  windowEvent,
} from "./live-support.ts";

/**
 * The blind spots of drift detection, on real templates and real CloudTrail requests: a rule opened
 * on a group whose rules are separate resources, a Lambda throttled to zero, and the cases that must
 * stay quiet (an untouched group with AWS's defaults, an attribute only CloudFormation knows).
 */

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

// widdix/aws-cf-templates ecs/cluster.yaml: the ALB group's rules are AWS::EC2::SecurityGroupIngress
// resources under conditions; deployed with a certificate and no auth proxy, four of them exist.
const SG_ID = "sg-0d921df5d84f7270a"; // the group the real AuthorizeSecurityGroupIngress_2 record opened
const ALB_SG = stackResource("ecs-prod", "ALBSecurityGroup", "AWS::EC2::SecurityGroup", SG_ID);
const RULES = [
  "ALBSecurityGroupInHttpWorld",
  "ALBSecurityGroupInHttpWorldIPv6",
  "ALBSecurityGroupInHttpsWorld",
  "ALBSecurityGroupInHttpsWorldIPv6",
].map((id, i) => stackResource("ecs-prod", id, "AWS::EC2::SecurityGroupIngress", `sgr-0000000000000000${i}`));
const ECS_PARAMETERS = { LoadBalancerCertificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0b1c` };

/** The group as Cloud Control reads it: the declared rules, AWS's default egress, the stack's tags. */
function albGroup(extra: readonly Record<string, unknown>[] = []): Record<string, unknown> {
  return {
    GroupId: SG_ID,
    Id: SG_ID,
    GroupName: "ecs-prod-ALBSecurityGroup-1DQ9X8J2K3L4M",
    GroupDescription: "ecs-cluster-alb",
    VpcId: "vpc-0a1b2c3d4e5f60718",
    SecurityGroupIngress: [
      { CidrIp: "0.0.0.0/0", IpProtocol: "tcp", FromPort: 443, ToPort: 443 },
      { CidrIpv6: "::/0", IpProtocol: "tcp", FromPort: 80, ToPort: 80 },
      { CidrIp: "0.0.0.0/0", IpProtocol: "tcp", FromPort: 80, ToPort: 80 },
      { CidrIpv6: "::/0", IpProtocol: "tcp", FromPort: 443, ToPort: 443 },
      ...extra,
    ],
    SecurityGroupEgress: [{ CidrIp: "0.0.0.0/0", IpProtocol: "-1", FromPort: -1, ToPort: -1 }],
    Tags: [
      { Key: "aws:cloudformation:stack-name", Value: "ecs-prod" },
      { Key: "aws:cloudformation:logical-id", Value: "ALBSecurityGroup" },
    ],
  };
}

async function sshToTheWorld(answer: LiveRead | Record<string, unknown>) {
  const record = await corpusRecord("ec2.amazonaws.com_AuthorizeSecurityGroupIngress_2.json");
  const live = new RecordedLiveState({ ALBSecurityGroup: answer });
  const result = await seeBlindSpots({
    drift: { resources: [driftOf(ALB_SG, "IN_SYNC")], calls: 1 },
    events: [windowEvent(record, [touched(ALB_SG)])],
    template: { text: await corpusText("cfn-templates/widdix__ecs__cluster.yaml"), format: "yaml" },
    parameters: ECS_PARAMETERS,
    stackResources: [ALB_SG, ...RULES],
    live,
    region: REGION,
    account: ACCOUNT,
  });
  return { result, live };
}

describe("seeBlindSpots: security groups whose rules are separate resources", () => {
  it("finds SSH opened to the world on a group drift detection called IN_SYNC", async () => {
    const ssh = { CidrIp: "0.0.0.0/0", IpProtocol: "tcp", FromPort: 22, ToPort: 22 };
    const { result, live } = await sshToTheWorld(albGroup([ssh]));
    expect(live.reads).toEqual(["ALBSecurityGroup"]);
    expect(result.liveReads).toBe(1);
    expect(result.calls).toBe(1);
    const [group] = result.resources;
    expect(group?.status).toBe("MODIFIED");
    expect(group?.differences).toEqual([
      {
        path: "/SecurityGroupIngress/4",
        type: "ADD",
        expected: null,
        actual: ssh,
        source: "cloudcontrol",
        attachment: { type: "AWS::EC2::SecurityGroupIngress" },
      },
    ]);
    expect(group?.note).toMatch(/IN_SYNC.*Cloud Control GetResource/);
  });

  it("leaves an untouched group with AWS's defaults (egress, ports of -1, aws: tags, rule order) IN_SYNC", async () => {
    const { result } = await sshToTheWorld(albGroup());
    const [group] = result.resources;
    expect(group?.status).toBe("IN_SYNC");
    expect(group?.differences).toEqual([]);
    expect(group?.note).toMatch(/no difference on SecurityGroupIngress/);
  });

  it("reports a declared rule revoked in the console as REMOVE, naming the resource that declares it", async () => {
    const revoke = {
      eventName: "RevokeSecurityGroupIngress",
      eventSource: "ec2.amazonaws.com",
      eventTime: "2026-03-14T03:07:00Z",
      requestParameters: {
        groupId: SG_ID,
        ipPermissions: {
          items: [
            { ipProtocol: "tcp", fromPort: 80, toPort: 80, ipv6Ranges: { items: [{ cidrIpv6: "::/0" }] } },
          ],
        },
      },
    };
    const group = albGroup();
    group.SecurityGroupIngress = (group.SecurityGroupIngress as Record<string, unknown>[]).filter(
      (r) => !(r.CidrIpv6 === "::/0" && r.FromPort === 80),
    );
    const result = await seeBlindSpots({
      drift: { resources: [driftOf(ALB_SG, "IN_SYNC")], calls: 1 },
      events: [windowEvent(revoke, [touched(ALB_SG)])],
      template: { text: await corpusText("cfn-templates/widdix__ecs__cluster.yaml"), format: "yaml" },
      parameters: ECS_PARAMETERS,
      stackResources: [ALB_SG, ...RULES],
      live: new RecordedLiveState({ ALBSecurityGroup: group }),
      region: REGION,
      account: ACCOUNT,
    });
    expect(result.resources[0]?.differences).toEqual([
      {
        path: "/SecurityGroupIngress/1",
        type: "REMOVE",
        expected: { IpProtocol: "tcp", FromPort: 80, ToPort: 80, CidrIpv6: "::/0" },
        actual: null,
        source: "cloudcontrol",
        attachment: { type: "AWS::EC2::SecurityGroupIngress", logicalId: "ALBSecurityGroupInHttpWorldIPv6" },
      },
    ]);
  });
});

describe("seeBlindSpots: the Lambda kill switch", () => {
  const FN = stackResource("orders-prod", "LambdaFunction", "AWS::Lambda::Function", "lambda-function-prod");
  const ROLE = stackResource("orders-prod", "LambdaRole", "AWS::IAM::Role", "lambda-role");
  const throttle = {
    eventName: "PutFunctionConcurrency20171031",
    eventSource: "lambda.amazonaws.com",
    eventTime: "2026-03-14T03:07:31Z",
    requestParameters: { functionName: "lambda-function-prod", reservedConcurrentExecutions: 0 },
  };
  /** The function as Cloud Control reads it (Code is write-only: never returned). */
  const liveFunction = (extra: Record<string, unknown> = {}) => ({
    FunctionName: "lambda-function-prod",
    Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:lambda-function-prod`,
    Description: "LambdaFunction using python3.12.",
    Runtime: "python3.12",
    Handler: "index.lambda_handler",
    MemorySize: 128,
    Timeout: 10,
    Role: `arn:aws:iam::${ACCOUNT}:role/lambda-role`,
    Environment: { Variables: { ENV: "prod", TZ: "UTC" } },
    PackageType: "Zip",
    Architectures: ["x86_64"],
    EphemeralStorage: { Size: 512 },
    TracingConfig: { Mode: "PassThrough" },
    ...extra,
  });

  async function run(
    answer: LiveRead | Record<string, unknown>,
    status: "IN_SYNC" | "NOT_CHECKED" = "IN_SYNC",
  ) {
    return seeBlindSpots({
      drift: { resources: [driftOf(FN, status)], calls: 1 },
      events: [windowEvent(throttle, [touched(FN)])],
      template: { text: await corpusText("cfn-templates/acft__Lambda__LambdaSample.yaml"), format: "yaml" },
      parameters: { EnvName: "prod", LambdaHandlerPath: "index.lambda_handler" },
      stackResources: [FN, ROLE],
      live: new RecordedLiveState({ LambdaFunction: answer }),
      region: REGION,
      account: ACCOUNT,
    });
  }

  it("finds ReservedConcurrentExecutions set to 0 although the template does not declare it", async () => {
    const result = await run(liveFunction({ ReservedConcurrentExecutions: 0 }));
    expect(result.resources[0]).toMatchObject({
      status: "MODIFIED",
      differences: [
        {
          path: "/ReservedConcurrentExecutions",
          type: "ADD",
          expected: null,
          actual: 0,
          source: "cloudcontrol",
        },
      ],
    });
  });

  it("reports nothing else: undeclared defaults (architectures, tracing, storage) were not set by the window", async () => {
    const result = await run(liveFunction({ ReservedConcurrentExecutions: 0 }), "NOT_CHECKED");
    expect(result.resources[0]?.differences.map((d) => d.path)).toEqual(["/ReservedConcurrentExecutions"]);
  });

  it.each([
    ["throttled", "Cloud Control GetResource was throttled"],
    ["unsupported-type", "Cloud Control cannot read this resource type"],
    ["unsupported-action", "UnsupportedActionException"],
    ["not-found", "ResourceNotFoundException"],
    ["failed", "Cloud Control GetResource failed"],
  ] as const)("falls back to the request when Cloud Control answers %s", async (reason, text) => {
    const result = await run({ kind: "unavailable", reason, detail: "Rate exceeded" });
    const [fn] = result.resources;
    expect(fn).toMatchObject({
      status: "MODIFIED",
      differences: [
        { path: "/ReservedConcurrentExecutions", type: "ADD", expected: null, actual: 0, source: "request" },
      ],
    });
    expect(fn?.note).toContain(text);
    expect(fn?.note).toContain("differences taken from the requests");
    expect(result.liveReads).toBe(1);
  });

  it("turns a live read that throws into a failed read with its reason, never a crash", async () => {
    const result = await seeBlindSpots({
      drift: { resources: [driftOf(FN, "IN_SYNC")], calls: 1 },
      events: [windowEvent(throttle, [touched(FN)])],
      stackResources: [FN],
      live: {
        read: async () => {
          throw new Error("socket hang up");
        },
      },
    });
    expect(result.resources[0]?.note).toMatch(
      /GetResource failed \(Error: socket hang up\); differences taken/,
    );
    expect(result.resources[0]?.differences[0]).toMatchObject({ source: "request", actual: 0 });
  });

  it("keeps the status and says why when neither the live state nor the request shows a difference", async () => {
    // Removing a reservation the template never set: the request implies the template's own state.
    const unreserve = {
      ...throttle,
      eventName: "DeleteFunctionConcurrency20171031",
      requestParameters: { functionName: "lambda-function-prod" },
    };
    const result = await seeBlindSpots({
      drift: { resources: [driftOf(FN, "IN_SYNC")], calls: 1 },
      events: [windowEvent(unreserve, [touched(FN)])],
      template: { text: await corpusText("cfn-templates/acft__Lambda__LambdaSample.yaml"), format: "yaml" },
      parameters: { EnvName: "prod", LambdaHandlerPath: "index.lambda_handler" },
      stackResources: [FN],
      live: new RecordedLiveState({
        LambdaFunction: { kind: "unavailable", reason: "throttled", detail: "" },
      }),
    });
    expect(result.resources[0]?.status).toBe("IN_SYNC");
    expect(result.resources[0]?.differences).toEqual([]);
    expect(result.resources[0]?.note).toMatch(/throttled; the requests imply no difference/);
  });
});

describe("seeBlindSpots: what costs a read", () => {
  it("reads nothing when drift detection saw the resource (MODIFIED) or failed (UNKNOWN)", async () => {
    const FN = stackResource("s", "Fn", "AWS::Lambda::Function", "fn");
    const live = new RecordedLiveState({});
    const event = windowEvent(
      {
        eventName: "PutFunctionConcurrency20171031",
        eventSource: "lambda.amazonaws.com",
        requestParameters: { reservedConcurrentExecutions: 1 },
      },
      [touched(FN)],
    );
    for (const status of ["MODIFIED", "UNKNOWN", "DELETED"] as const) {
      const result = await seeBlindSpots({
        drift: { resources: [driftOf(FN, status)], calls: 1 },
        events: [event],
        stackResources: [FN],
        live,
      });
      expect(result.resources[0]).toEqual(driftOf(FN, status));
      expect(result.liveReads).toBe(0);
    }
    expect(live.reads).toEqual([]);
  });

  it("reads nothing for a touched resource whose events only created or operated on things", async () => {
    const DB = stackResource("s", "Db", "AWS::RDS::DBInstance", "db-1");
    const live = new RecordedLiveState({});
    const result = await seeBlindSpots({
      drift: { resources: [driftOf(DB, "IN_SYNC")], calls: 1 },
      events: [
        windowEvent(
          {
            eventName: "RebootDBInstance",
            eventSource: "rds.amazonaws.com",
            requestParameters: { dBInstanceIdentifier: "db-1" },
          },
          [touched(DB)],
        ),
      ],
      stackResources: [DB],
      live,
    });
    expect(result.liveReads).toBe(0);
    expect(result.resources[0]).toEqual(driftOf(DB, "IN_SYNC"));
  });
});

describe("seeBlindSpots: what requests say, and what they must not copy", () => {
  const FN = stackResource("orders-prod", "LambdaFunction", "AWS::Lambda::Function", "lambda-function-prod");
  const update = (request: unknown) =>
    windowEvent(
      {
        eventName: "UpdateFunctionConfiguration20150331v2",
        eventSource: "lambda.amazonaws.com",
        eventTime: "2026-03-14T03:07:31Z",
        requestParameters: request,
      },
      [touched(FN)],
    );
  async function run(event: ReturnType<typeof update>, answer: LiveRead | Record<string, unknown>) {
    return seeBlindSpots({
      drift: { resources: [driftOf(FN, "IN_SYNC")], calls: 1 },
      events: [event],
      template: { text: await corpusText("cfn-templates/acft__Lambda__LambdaSample.yaml"), format: "yaml" },
      parameters: { EnvName: "prod", LambdaHandlerPath: "index.lambda_handler" },
      stackResources: [FN],
      live: new RecordedLiveState({ LambdaFunction: answer }),
      region: REGION,
      account: ACCOUNT,
    });
  }
  const withSecret = {
    functionName: FN.physicalId,
    environment: { variables: { ENV: "prod", TZ: "UTC", DB_PASSWORD: "hunter2-in-the-console" } },
  };

  it("never copies an environment value from a request into a difference", async () => {
    const result = await run(update(withSecret), { kind: "unavailable", reason: "throttled", detail: "" });
    expect(result.resources[0]?.differences).toEqual([
      {
        path: "/Environment/Variables/DB_PASSWORD",
        type: "ADD",
        expected: null,
        actual: "[redacted]",
        source: "request",
      },
    ]);
    expect(JSON.stringify(result)).not.toContain("hunter2");
  });

  it("nor from the live state", async () => {
    const result = await run(update(withSecret), {
      Environment: { Variables: { ENV: "prod", TZ: "UTC", DB_PASSWORD: "hunter2-in-the-console" } },
    });
    expect(result.resources[0]?.differences).toMatchObject([
      {
        path: "/Environment/Variables/DB_PASSWORD",
        type: "ADD",
        actual: "[redacted]",
        source: "cloudcontrol",
      },
    ]);
    expect(JSON.stringify(result)).not.toContain("hunter2");
  });

  it("reads an export's request (lowercase keys, JSON text) as the same request", async () => {
    const lowered = JSON.stringify({ functionname: FN.physicalId, memorysize: 3008, timeout: 900 });
    const result = await run(update(lowered), {
      kind: "unavailable",
      reason: "unsupported-action",
      detail: "",
    });
    expect(result.resources[0]?.differences.map((d) => [d.path, d.type, d.expected, d.actual])).toEqual([
      ["/MemorySize", "NOT_EQUAL", 128, 3008],
      ["/Timeout", "NOT_EQUAL", 10, 900],
    ]);
  });

  it("says so when a request was too large to keep, and reads nothing it cannot compare", async () => {
    const live = new RecordedLiveState({});
    const result = await seeBlindSpots({
      drift: { resources: [driftOf(FN, "IN_SYNC")], calls: 1 },
      events: [update({ "phantom:truncated": true, bytes: 400_000, preview: '{"functionName":"lambda-fu' })],
      stackResources: [FN],
      live,
    });
    expect(live.reads).toEqual([]);
    expect(result.resources[0]?.status).toBe("IN_SYNC");
    expect(result.resources[0]?.note).toMatch(
      /UpdateFunctionConfiguration20150331v2 changed it, but Phantom cannot name the property from the request; drift detection's IN_SYNC stands/,
    );
  });
});

describe("seeBlindSpots: an attachment the template does not declare", () => {
  it("reports a bucket policy put on a bucket whose template declares none, from the request", async () => {
    // widdix state/s3.yaml declares its BucketPolicy; the Lambda sample's stack has a bucket without one.
    const bucket = stackResource("site", "Bucket", "AWS::S3::Bucket", "example-bucket");
    const record = await corpusRecord("s3.amazonaws.com_PutBucketPolicy_1.json");
    const live = new RecordedLiveState({});
    const result = await seeBlindSpots({
      drift: { resources: [driftOf(bucket, "IN_SYNC")], calls: 1 },
      events: [windowEvent(record, [touched(bucket)])],
      template: { text: "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n", format: "yaml" },
      stackResources: [bucket],
      live,
    });
    expect(live.reads).toEqual([]);
    expect(result.resources[0]).toMatchObject({
      status: "MODIFIED",
      differences: [
        {
          path: "/BucketPolicy",
          type: "ADD",
          expected: null,
          actual: {
            PolicyDocument: {
              Statement: [
                {
                  Action: "s3:GetBucketAcl",
                  Effect: "Allow",
                  Principal: { AWS: "*" },
                  Resource: "arn:aws:s3:::example-bucket",
                  Sid: "Public Access",
                },
              ],
              Version: "2012-10-17",
            },
          },
          source: "request",
          attachment: { type: "AWS::S3::BucketPolicy" },
        },
      ],
    });
  });
});
