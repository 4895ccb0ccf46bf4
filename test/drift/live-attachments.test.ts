import { describe, expect, it } from "vitest";
import { ATTACHMENTS, attachmentsOf } from "../../core/drift/attachments.ts";
import { Resolver, readTemplate } from "../../core/drift/declared.ts";
import { seeBlindSpots } from "../../core/drift/live.ts";
import type { StackResource } from "../../core/drift/ports.ts";
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
 * Rules and policies declared as separate resources count as part of the resource they target: one
 * test per row of the attachment table (the link is found whether the template names the target with
 * `Ref`, `Fn::GetAtt` or its literal physical name), then the rows at work on real templates.
 */

const ACCOUNT = "123456789012";
const REGION = "us-east-1";

/** A plausible physical id per target type, in the form CloudFormation stores it. */
function physicalIdOf(type: string): string {
  switch (type) {
    case "AWS::SQS::Queue":
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/orders-queue`;
    case "AWS::SNS::Topic":
      return `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`;
    case "AWS::SecretsManager::Secret":
      return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-AbCdEf`;
    case "AWS::ElasticLoadBalancingV2::Listener":
      return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`;
    default:
      return `${type.split("::").at(-1)?.toLowerCase()}-0a1b2c3d`;
  }
}

const LIST_VIA = new Set(["Roles", "Users", "Groups", "Queues", "Topics"]);

describe("the attachment table: one row at a time", () => {
  it.each(ATTACHMENTS.map((row) => [`${row.type} ► ${row.target} (${row.via[0]})`, row] as const))(
    "%s",
    (_name, row) => {
      const via = row.via[0] as string;
      const target: StackResource = stackResource("s", "Target", row.target, physicalIdOf(row.target));
      const forms: readonly unknown[] = [{ Ref: "Target" }, target.physicalId];
      for (const form of forms) {
        const template = JSON.stringify({
          Resources: {
            Target: { Type: row.target, Properties: {} },
            Other: { Type: row.target, Properties: {} },
            Attached: { Type: row.type, Properties: { [via]: LIST_VIA.has(via) ? [form] : form } },
            Elsewhere: {
              Type: row.type,
              Properties: { [via]: LIST_VIA.has(via) ? [{ Ref: "Other" }] : { Ref: "Other" } },
            },
          },
        });
        const model = readTemplate(template, "json");
        const resolver = new Resolver({
          model,
          stackResources: [
            target,
            stackResource("s", "Other", row.target, `${target.physicalId}-other`),
            stackResource("s", "Attached", row.type, "attached-1"),
          ],
          region: REGION,
          account: ACCOUNT,
        });
        const found = attachmentsOf(target, model.resources.values(), resolver).filter((a) => a.row === row);
        expect(found.map((a) => a.resource.logicalId)).toEqual(["Attached"]);
        expect(found[0]?.physicalId).toBe("attached-1");
      }
    },
  );

  it("finds a permission that names its function by ARN (Fn::GetAtt Function.Arn)", () => {
    const fn = stackResource("s", "Fn", "AWS::Lambda::Function", "orders-api");
    const model = readTemplate(
      "Resources:\n  Fn: {Type: AWS::Lambda::Function}\n  Allow:\n    Type: AWS::Lambda::Permission\n    Properties:\n      FunctionName: !GetAtt Fn.Arn\n      Action: lambda:InvokeFunction\n      Principal: events.amazonaws.com\n",
    );
    const resolver = new Resolver({ model, stackResources: [fn], region: REGION, account: ACCOUNT });
    expect(attachmentsOf(fn, model.resources.values(), resolver).map((a) => a.resource.logicalId)).toEqual([
      "Allow",
    ]);
  });

  it("skips an attachment whose condition is false in the deployed stack", async () => {
    // widdix ecs/cluster.yaml: with an SSH bastion stack, SecurityGroupInSSHWorld does not exist.
    const model = readTemplate(await corpusText("cfn-templates/widdix__ecs__cluster.yaml"));
    const group = stackResource("ecs", "SecurityGroup", "AWS::EC2::SecurityGroup", "sg-0123456789abcdef0");
    const resolver = new Resolver({
      model,
      stackResources: [group],
      parameters: { ParentSSHBastionStack: "bastion" },
    });
    expect(attachmentsOf(group, model.resources.values(), resolver).map((a) => a.resource.logicalId)).toEqual(
      ["SecurityGroupInSSHBastion"],
    );
  });
});

describe("attachments at work on real templates", () => {
  // widdix ecs/cluster.yaml: SchedulableContainersLambdaRole declares an inline policy `ecs` and
  // gets a second one, `lambda`, from the separate AWS::IAM::Policy SchedulableContainersLambdaPolicy.
  const ROLE = stackResource(
    "ecs-prod",
    "SchedulableContainersLambdaRole",
    "AWS::IAM::Role",
    "ecs-prod-SchedulableContainersLambdaRo-1A2B3C",
  );
  const POLICY = stackResource(
    "ecs-prod",
    "SchedulableContainersLambdaPolicy",
    "AWS::IAM::Policy",
    "ecs-p-Sche-7Q8R9S",
  );
  const FN = stackResource(
    "ecs-prod",
    "SchedulableContainersLambdaV2",
    "AWS::Lambda::Function",
    "ecs-prod-SchedulableContainersLambdaV2-4D5E6F",
  );
  const LOGS = stackResource(
    "ecs-prod",
    "SchedulableContainersLogGroup",
    "AWS::Logs::LogGroup",
    `/aws/lambda/${FN.physicalId}`,
  );
  const CLUSTER = stackResource("ecs-prod", "Cluster", "AWS::ECS::Cluster", "ecs-prod-Cluster-7G8H9I");
  const PERMISSION = stackResource(
    "ecs-prod",
    "SchedulableContainersLambdaPermission2",
    "AWS::Lambda::Permission",
    `${FN.physicalId}|ecs-prod-SchedulableContainersLambdaPermission2-J1K2`,
  );
  const RESOURCES = [ROLE, POLICY, FN, LOGS, CLUSTER, PERMISSION];

  /** The role as Cloud Control reads it: both inline policies, IAM's JSON as objects. */
  function liveRole(extra: readonly Record<string, unknown>[] = []) {
    return {
      RoleName: ROLE.physicalId,
      Arn: `arn:aws:iam::${ACCOUNT}:role/${ROLE.physicalId}`,
      Path: "/",
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      },
      Policies: [
        {
          PolicyName: "lambda",
          PolicyDocument: {
            Statement: [
              {
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOGS.physicalId}:*`,
              },
            ],
          },
        },
        {
          PolicyName: "ecs",
          PolicyDocument: {
            Statement: [
              {
                Effect: "Allow",
                Action: "ecs:ListContainerInstances",
                Resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER.physicalId}`,
              },
              {
                Effect: "Allow",
                Action: "ecs:DescribeContainerInstances",
                Resource: "*",
                Condition: {
                  ArnEquals: {
                    "ecs:cluster": `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER.physicalId}`,
                  },
                },
              },
            ],
          },
        },
        {
          PolicyName: "cloudwatch",
          PolicyDocument: {
            Statement: [{ Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*" }],
          },
        },
        ...extra,
      ],
    };
  }

  async function rolePolicyChange(live: Record<string, unknown>) {
    const record = await corpusRecord("iam.amazonaws.com_PutUserPolicy_1.json");
    const putRolePolicy = {
      ...record,
      eventName: "PutRolePolicy",
      requestParameters: {
        roleName: ROLE.physicalId,
        policyName: "TestUserDenyAll",
        policyDocument: (record.requestParameters as Record<string, unknown>).policyDocument,
      },
    };
    return seeBlindSpots({
      drift: { resources: [driftOf(ROLE, "IN_SYNC")], calls: 1 },
      events: [windowEvent(putRolePolicy, [touched(ROLE)])],
      template: { text: await corpusText("cfn-templates/widdix__ecs__cluster.yaml"), format: "yaml" },
      stackResources: RESOURCES,
      live: new RecordedLiveState({ [ROLE.logicalId]: live }),
      region: REGION,
      account: ACCOUNT,
    });
  }

  it("counts a separate AWS::IAM::Policy as one of its role's policies: an untouched role matches", async () => {
    const result = await rolePolicyChange(liveRole());
    expect(result.resources[0]?.status).toBe("IN_SYNC");
    expect(result.resources[0]?.differences).toEqual([]);
  });

  it("reports an inline policy put on the role in the console", async () => {
    const added = {
      PolicyName: "TestUserDenyAll",
      PolicyDocument: {
        Version: "2012-10-17",
        Statement: [{ Sid: "TestUserDenyAll", Effect: "Deny", Action: ["*"], Resource: ["*"] }],
      },
    };
    const result = await rolePolicyChange(liveRole([added]));
    expect(result.resources[0]).toMatchObject({
      status: "MODIFIED",
      differences: [
        { path: "/Policies/3", type: "ADD", expected: null, actual: added, source: "cloudcontrol" },
      ],
    });
  });

  it("reports a statement changed inside the separate policy at its path, naming the AWS::IAM::Policy", async () => {
    const live = liveRole();
    const lambda = (live.Policies[0] as { PolicyDocument: { Statement: Record<string, unknown>[] } })
      .PolicyDocument;
    lambda.Statement[0] = { Effect: "Allow", Action: "logs:*", Resource: "*" };
    const result = await rolePolicyChange(live);
    const differences = result.resources[0]?.differences ?? [];
    expect(differences.map((d) => [d.path, d.type, d.attachment])).toEqual([
      [
        "/Policies/2/PolicyDocument/Statement/0",
        "REMOVE",
        { type: "AWS::IAM::Policy", logicalId: POLICY.logicalId },
      ],
      [
        "/Policies/2/PolicyDocument/Statement/0",
        "ADD",
        { type: "AWS::IAM::Policy", logicalId: POLICY.logicalId },
      ],
    ]);
  });

  it("reads a touched AWS::IAM::Policy with its role, once, and says so on the policy", async () => {
    const putLambdaPolicy = {
      eventName: "PutRolePolicy",
      eventSource: "iam.amazonaws.com",
      requestParameters: {
        roleName: ROLE.physicalId,
        policyName: "lambda",
        policyDocument: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "logs:*", Resource: "*" }] }),
      },
    };
    const live = liveRole();
    (live.Policies[0] as { PolicyDocument: unknown }).PolicyDocument = {
      Statement: [{ Effect: "Allow", Action: "logs:*", Resource: "*" }],
    };
    const state = new RecordedLiveState({ [ROLE.logicalId]: live });
    const result = await seeBlindSpots({
      drift: { resources: [driftOf(POLICY, "NOT_CHECKED"), driftOf(ROLE, "IN_SYNC")], calls: 2 },
      events: [windowEvent(putLambdaPolicy, [touched(ROLE), touched(POLICY)])],
      template: { text: await corpusText("cfn-templates/widdix__ecs__cluster.yaml"), format: "yaml" },
      stackResources: RESOURCES,
      live: state,
      region: REGION,
      account: ACCOUNT,
    });
    expect(state.reads).toEqual([ROLE.logicalId]);
    const [policy, role] = result.resources;
    expect(policy).toMatchObject({ logicalId: POLICY.logicalId, status: "NOT_CHECKED" });
    expect(policy?.note).toMatch(/compared as part of SchedulableContainersLambdaRole/);
    expect(role?.status).toBe("MODIFIED");
    expect(role?.note).toMatch(/^changed through SchedulableContainersLambdaPolicy; /);
    expect(role?.differences.map((d) => [d.path, d.type, d.attachment?.logicalId])).toEqual([
      ["/Policies/2/PolicyDocument/Statement/0", "REMOVE", POLICY.logicalId],
      ["/Policies/2/PolicyDocument/Statement/0", "ADD", POLICY.logicalId],
    ]);
  });

  it("reports a public permission added to a function as a new AWS::Lambda::Permission (from the request)", async () => {
    // Stratus Red Team's lambda-backdoor-function detonation: AddPermission with principal "*".
    const record = await corpusRecord("lambda.amazonaws.com_AddPermission20150331v2_1.json");
    const backdoor = {
      ...record,
      requestParameters: {
        action: "lambda:InvokeFunction",
        functionName: FN.physicalId,
        principal: "*",
        statementId: "backdoor",
      },
    };
    const live = new RecordedLiveState({});
    const result = await seeBlindSpots({
      drift: { resources: [driftOf(FN, "IN_SYNC")], calls: 1 },
      events: [windowEvent(backdoor, [touched(FN)])],
      template: { text: await corpusText("cfn-templates/widdix__ecs__cluster.yaml"), format: "yaml" },
      stackResources: RESOURCES,
      live,
      region: REGION,
      account: ACCOUNT,
    });
    expect(live.reads).toEqual([]);
    expect(result.resources[0]).toMatchObject({
      status: "MODIFIED",
      differences: [
        {
          path: "/Permission",
          type: "ADD",
          expected: null,
          actual: { Action: "lambda:InvokeFunction", Principal: "*" },
          source: "request",
          attachment: { type: "AWS::Lambda::Permission" },
        },
      ],
    });
  });

  it("reads the declared permissions after a RemovePermission: the one Cloud Control no longer finds was deleted", async () => {
    const remove = {
      eventName: "RemovePermission20150331v2",
      eventSource: "lambda.amazonaws.com",
      requestParameters: {
        functionName: FN.physicalId,
        statementId: "ecs-prod-SchedulableContainersLambdaPermission2-J1K2",
      },
    };
    const result = await seeBlindSpots({
      drift: { resources: [driftOf(FN, "IN_SYNC")], calls: 1 },
      events: [windowEvent(remove, [touched(FN)])],
      template: { text: await corpusText("cfn-templates/widdix__ecs__cluster.yaml"), format: "yaml" },
      stackResources: RESOURCES,
      live: new RecordedLiveState({}),
      region: REGION,
      account: ACCOUNT,
    });
    expect(result.liveReads).toBe(1);
    const deleted = result.resources.find((r) => r.logicalId === PERMISSION.logicalId);
    expect(deleted).toMatchObject({
      status: "DELETED",
      type: "AWS::Lambda::Permission",
      changedThrough: [FN.logicalId],
      expectedProperties: { Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com" },
    });
    expect(result.resources[0]?.note).toMatch(/SchedulableContainersLambdaPermission2 changed/);
  });

  describe("a bucket policy (widdix state/s3.yaml, Access: Private)", () => {
    const BUCKET = stackResource(
      "data-prod",
      "Bucket",
      "AWS::S3::Bucket",
      "stratus-red-team-bdbp-lhfzvgcamn",
    );
    const BUCKET_POLICY = stackResource(
      "data-prod",
      "BucketPolicy",
      "AWS::S3::BucketPolicy",
      "stratus-red-team-bdbp-lhfzvgcamn",
    );
    const declaredStatement = {
      Sid: "AllowSSLRequestsOnly",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [`arn:aws:s3:::${BUCKET.physicalId}`, `arn:aws:s3:::${BUCKET.physicalId}/*`],
      Condition: { Bool: { "aws:SecureTransport": false } },
    };

    async function putBucketPolicy(
      answer: Record<string, unknown> | { kind: "unavailable"; reason: "throttled"; detail: string },
    ) {
      // Invictus dataset: the backdoor bucket policy of Stratus Red Team's s3-backdoor-bucket-policy.
      const trail = JSON.parse(
        await corpusText(
          "realworld/invictus-aws-dataset/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1230Z_ZtUNbBkwAu98FPZb.json",
        ),
      ) as { Records: Record<string, unknown>[] };
      const put = trail.Records.find((r) => r.eventID === "d58cf935-0194-41d0-baa0-9efc030ce2e6");
      if (!put) throw new Error("the PutBucketPolicy record is missing");
      const live = new RecordedLiveState({ BucketPolicy: answer });
      const result = await seeBlindSpots({
        drift: { resources: [driftOf(BUCKET, "IN_SYNC")], calls: 1 },
        events: [windowEvent(put, [touched(BUCKET)])],
        template: { text: await corpusText("cfn-templates/widdix__state__s3.yaml"), format: "yaml" },
        stackResources: [BUCKET, BUCKET_POLICY],
        live,
        region: REGION,
        account: ACCOUNT,
      });
      return { result, live, put };
    }

    it("reads the declared AWS::S3::BucketPolicy and reports the replaced statements on it", async () => {
      const trail = JSON.parse(
        await corpusText(
          "realworld/invictus-aws-dataset/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1230Z_ZtUNbBkwAu98FPZb.json",
        ),
      ) as { Records: { eventID: string; requestParameters: { bucketPolicy: Record<string, unknown> } }[] };
      const policy = trail.Records.find((r) => r.eventID === "d58cf935-0194-41d0-baa0-9efc030ce2e6")
        ?.requestParameters.bucketPolicy;
      const { result, live } = await putBucketPolicy({ Bucket: BUCKET.physicalId, PolicyDocument: policy });
      expect(live.reads).toEqual(["BucketPolicy"]);
      const changed = result.resources.find((r) => r.logicalId === "BucketPolicy");
      expect(changed?.status).toBe("MODIFIED");
      expect(changed?.changedThrough).toEqual(["Bucket"]);
      expect(changed?.differences.map((d) => [d.path, d.type, d.source])).toEqual([
        ["/PolicyDocument/Statement/0", "REMOVE", "cloudcontrol"],
        ["/PolicyDocument/Statement/0", "ADD", "cloudcontrol"],
      ]);
      expect(changed?.differences[0]?.expected).toEqual(declaredStatement);
      expect(result.resources[0]).toMatchObject({ logicalId: "Bucket", status: "IN_SYNC" });
      expect(result.resources[0]?.note).toMatch(/BucketPolicy changed \(see that resource\)/);
    });

    it("leaves a bucket policy Cloud Control reads as declared alone", async () => {
      const { result } = await putBucketPolicy({
        Bucket: BUCKET.physicalId,
        // As S3 returns it: lists where the template wrote one value, "false" as text.
        PolicyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              ...declaredStatement,
              Action: ["s3:*"],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        },
      });
      expect(result.resources.map((r) => r.logicalId)).toEqual(["Bucket"]);
      expect(result.resources[0]?.note).toMatch(
        /BucketPolicy: changed through Bucket; .*no difference on PolicyDocument/,
      );
    });

    it("takes the policy from the request when Cloud Control is throttled", async () => {
      const { result } = await putBucketPolicy({
        kind: "unavailable",
        reason: "throttled",
        detail: "Rate exceeded",
      });
      const changed = result.resources.find((r) => r.logicalId === "BucketPolicy");
      expect(changed?.differences.map((d) => [d.path, d.type, d.source])).toEqual([
        ["/PolicyDocument/Statement/0", "REMOVE", "request"],
        ["/PolicyDocument/Statement/0", "ADD", "request"],
      ]);
      expect(changed?.note).toMatch(/throttled.*differences taken from the requests/);
    });
  });
});
