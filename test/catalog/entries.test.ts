import { describe, expect, it } from "vitest";
import { createCatalog } from "../../core/catalog/catalog.ts";
import { touchedResources } from "../../core/catalog/resolve.ts";
import type { CatalogEntry, ResourceRef, ResourceType } from "../../core/catalog/types.ts";
import { corpusRecord, type Example, fixtureExamples } from "./examples.ts";

/**
 * Every modify/delete entry of the catalog is proven against at least one CloudTrail record: a real one
 * from the corpus (`fixtures/corpus/`) where it has one, otherwise a fixture line with the API's real
 * `requestParameters` shape. Each record must resolve to exactly the listed resources.
 */

const ref = (type: ResourceType, id: string): ResourceRef => ({ type, id });
const EVENTS = "cloudtrail/events/";
const ENVELOPES = "cloudtrail/eventbridge/";

/** Corpus records (path under `fixtures/corpus/`) and what they must resolve to. */
const CORPUS: readonly (readonly [path: string, expected: readonly ResourceRef[]])[] = [
  // EC2
  [
    `${EVENTS}ec2.amazonaws.com_AttachInternetGateway_1.json`,
    [ref("AWS::EC2::InternetGateway", "igw-1"), ref("AWS::EC2::VPCGatewayAttachment", "IGW|vpc-1")],
  ],
  [
    `${EVENTS}ec2.amazonaws.com_AuthorizeSecurityGroupEgress_1.json`,
    [ref("AWS::EC2::SecurityGroup", "sg-03eee825d6bb78f54")],
  ],
  [
    `${EVENTS}ec2.amazonaws.com_AuthorizeSecurityGroupIngress_1.json`,
    [ref("AWS::EC2::SecurityGroup", "sg-04f0b44316f7d2471")],
  ],
  [
    `${EVENTS}ec2.amazonaws.com_AuthorizeSecurityGroupIngress_6.json`,
    [ref("AWS::EC2::SecurityGroup", "sg-003dc7f1f1c686164")],
  ],
  [`${EVENTS}ec2.amazonaws.com_CreateNetworkAclEntry_1.json`, [ref("AWS::EC2::NetworkAcl", "acl-1")]],
  [`${EVENTS}ec2.amazonaws.com_CreateNetworkAclEntry_4.json`, [ref("AWS::EC2::NetworkAcl", "acl-1111")]],
  [
    `${EVENTS}ec2.amazonaws.com_CreateRoute_1.json`,
    [ref("AWS::EC2::RouteTable", "rtb-1"), ref("AWS::EC2::Route", "rtb-1|0.0.0.0/0")],
  ],
  [`${EVENTS}ec2.amazonaws.com_DeleteFlowLogs_1.json`, [ref("AWS::EC2::FlowLog", "fl-0ef673ef70c4f07cc")]],
  [
    `${ENVELOPES}ec2.amazonaws.com_DeleteTransitGatewayVpcAttachment_1.json`,
    [ref("AWS::EC2::TransitGatewayAttachment", "tgw-attach-0814a77755bf02f0e")],
  ],
  [`${EVENTS}ec2.amazonaws.com_ModifyInstanceAttribute_1.json`, [ref("AWS::EC2::Instance", "i-012345abcde")]],
  [
    `${EVENTS}ec2.amazonaws.com_TerminateInstances_1.json`,
    [ref("AWS::EC2::Instance", "i-0d9853f67e40ab80b")],
  ],
  [`${EVENTS}ec2.amazonaws.com_TerminateInstances_3.json`, [ref("AWS::EC2::Instance", "i-1a2b3c4d")]],
  // RDS
  [
    `${EVENTS}rds.amazonaws.com_AddRoleToDBInstance_1.json`,
    [ref("AWS::RDS::DBInstance", "production-postgres")],
  ],
  [
    `${EVENTS}rds.amazonaws.com_DeleteDBInstance_1.json`,
    [ref("AWS::RDS::DBInstance", "production-mysql-db")],
  ],
  [`${EVENTS}rds.amazonaws.com_ModifyDBCluster_2.json`, [ref("AWS::RDS::DBCluster", "aurora-production")]],
  [`${EVENTS}rds.amazonaws.com_ModifyDBInstance_1.json`, [ref("AWS::RDS::DBInstance", "production-mysql")]],
  [`${EVENTS}rds.amazonaws.com_ModifyDBInstance_11.json`, [ref("AWS::RDS::DBInstance", "my-database")]],
  [
    `${EVENTS}rds.amazonaws.com_RemoveRoleFromDBInstance_1.json`,
    [ref("AWS::RDS::DBInstance", "production-db")],
  ],
  // S3
  [`${EVENTS}s3.amazonaws.com_DeleteBucket_1.json`, [ref("AWS::S3::Bucket", "secrets")]],
  [`${EVENTS}s3.amazonaws.com_DeleteBucket_2.json`, [ref("AWS::S3::Bucket", "my-test-bucket-cross-account")]],
  [
    `${EVENTS}s3.amazonaws.com_DeleteBucketEncryption_1.json`,
    [ref("AWS::S3::Bucket", "sensitive-data-bucket")],
  ],
  [
    `${EVENTS}s3.amazonaws.com_DeleteBucketPublicAccessBlock_1.json`,
    [ref("AWS::S3::Bucket", "corporate-documents")],
  ],
  [
    `${EVENTS}s3.amazonaws.com_DeleteBucketReplication_1.json`,
    [ref("AWS::S3::Bucket", "production-backup-bucket")],
  ],
  [`${EVENTS}s3.amazonaws.com_PutBucketAcl_1.json`, [ref("AWS::S3::Bucket", "bucket")]],
  [`${EVENTS}s3.amazonaws.com_PutBucketEncryption_1.json`, [ref("AWS::S3::Bucket", "sensitive-data-bucket")]],
  [
    `${EVENTS}s3.amazonaws.com_PutBucketLifecycle_1.json`,
    [ref("AWS::S3::Bucket", "sample-cloudtrail-bucket-name")],
  ],
  [`${EVENTS}s3.amazonaws.com_PutBucketLogging_3.json`, [ref("AWS::S3::Bucket", "critical-data-bucket")]],
  [`${EVENTS}s3.amazonaws.com_PutBucketPolicy_1.json`, [ref("AWS::S3::Bucket", "example-bucket")]],
  [
    `${EVENTS}s3.amazonaws.com_PutBucketPublicAccessBlock_1.json`,
    [ref("AWS::S3::Bucket", "corporate-documents")],
  ],
  [
    `${EVENTS}s3.amazonaws.com_PutBucketReplication_1.json`,
    [ref("AWS::S3::Bucket", "production-backup-bucket")],
  ],
  [`${EVENTS}s3.amazonaws.com_PutBucketVersioning_1.json`, [ref("AWS::S3::Bucket", "bucket")]],
  [`${EVENTS}s3.amazonaws.com_PutBucketVersioning_5.json`, [ref("AWS::S3::Bucket", "critical-data-bucket")]],
  // Lambda (versioned and unversioned names)
  [
    `${EVENTS}lambda.amazonaws.com_AddPermission20150331_1.json`,
    [ref("AWS::Lambda::Function", "my-lambda-function")],
  ],
  [
    `${EVENTS}lambda.amazonaws.com_AddPermission20150331v2_2.json`,
    [ref("AWS::Lambda::Function", "stratus-red-team-backdoor-f-func")],
  ],
  [
    `${EVENTS}lambda.amazonaws.com_DeleteFunction_4.json`,
    [ref("AWS::Lambda::Function", "my-lambda-function")],
  ],
  [
    `${EVENTS}lambda.amazonaws.com_RemovePermission_1.json`,
    [ref("AWS::Lambda::Function", "my-lambda-function")],
  ],
  [
    `${EVENTS}lambda.amazonaws.com_UpdateFunctionCode20150331_1.json`,
    [ref("AWS::Lambda::Function", "my-lambda-function")],
  ],
  [
    `${EVENTS}lambda.amazonaws.com_UpdateFunctionCode20150331v2_5.json`,
    [ref("AWS::Lambda::Function", "stratus-red-team-olc-func-vayhjqkdav")],
  ],
  [
    `${EVENTS}lambda.amazonaws.com_UpdateFunctionConfiguration20150331v2_1.json`,
    [ref("AWS::Lambda::Function", "production-api")],
  ],
  [
    `${EVENTS}lambda.amazonaws.com_UpdateFunctionConfiguration20150331v2_6.json`,
    [ref("AWS::Lambda::Function", "stratus-red-team-lambda-layer-simpleLambda")],
  ],
  // IAM (AWS-managed policy ARNs resolve to nothing)
  [`${EVENTS}iam.amazonaws.com_AttachRolePolicy_3.json`, [ref("AWS::IAM::Role", "new-role")]],
  [`${EVENTS}iam.amazonaws.com_AttachUserPolicy_1.json`, [ref("AWS::IAM::User", "new-user")]],
  [
    `${EVENTS}iam.amazonaws.com_CreateLoginProfile_1.json`,
    [ref("AWS::IAM::User", "stratus-red-team-login-profile-user")],
  ],
  [
    `${EVENTS}iam.amazonaws.com_DeleteGroupPolicy_1.json`,
    [ref("AWS::IAM::Group", "group"), ref("AWS::IAM::Policy", "policy")],
  ],
  [
    `${EVENTS}iam.amazonaws.com_DeleteLoginProfile_1.json`,
    [ref("AWS::IAM::User", "stratus-red-team-login-profile-user")],
  ],
  [
    `${EVENTS}iam.amazonaws.com_PutUserPolicy_1.json`,
    [ref("AWS::IAM::User", "test-user"), ref("AWS::IAM::Policy", "TestUserDenyAll")],
  ],
  [
    `${EVENTS}iam.amazonaws.com_UpdateLoginProfile_1.json`,
    [ref("AWS::IAM::User", "stratus-red-team-update-login-profile-user")],
  ],
  // Auto Scaling, DynamoDB (UpdateTable names the table only in the response), SQS (doc-sample host)
  [
    `${EVENTS}autoscaling.amazonaws.com_UpdateAutoScalingGroup_1.json`,
    [ref("AWS::AutoScaling::AutoScalingGroup", "asg1")],
  ],
  [`${EVENTS}dynamodb.amazonaws.com_DeleteTable_1.json`, [ref("AWS::DynamoDB::Table", "Music")]],
  [`${EVENTS}dynamodb.amazonaws.com_UpdateTable_1.json`, [ref("AWS::DynamoDB::Table", "Music")]],
  [
    `${EVENTS}sqs.amazonaws.com_AddPermission_1.json`,
    [ref("AWS::SQS::Queue", "https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue")],
  ],
  [
    `${EVENTS}sqs.amazonaws.com_RemovePermission_1.json`,
    [ref("AWS::SQS::Queue", "https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue")],
  ],
  [
    `${EVENTS}sqs.amazonaws.com_SetQueueAttributes_2.json`,
    [ref("AWS::SQS::Queue", "https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue")],
  ],
  // KMS (key ids from `resources[]` ARNs or `keyId`)
  [
    `${EVENTS}kms.amazonaws.com_CancelKeyDeletion_1.json`,
    [ref("AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab")],
  ],
  [`${EVENTS}kms.amazonaws.com_DisableKey_1.json`, [ref("AWS::KMS::Key", "1")]],
  [
    `${EVENTS}kms.amazonaws.com_DisableKey_3.json`,
    [ref("AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab")],
  ],
  [
    `${EVENTS}kms.amazonaws.com_DisableKeyRotation_1.json`,
    [ref("AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab")],
  ],
  [
    `${EVENTS}kms.amazonaws.com_EnableKey_1.json`,
    [ref("AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab")],
  ],
  [
    `${EVENTS}kms.amazonaws.com_EnableKeyRotation_1.json`,
    [ref("AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab")],
  ],
  [
    `${EVENTS}kms.amazonaws.com_PutKeyPolicy_2.json`,
    [ref("AWS::KMS::Key", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")],
  ],
  [
    `${EVENTS}kms.amazonaws.com_PutKeyPolicy_3.json`,
    [ref("AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab")],
  ],
  [`${EVENTS}kms.amazonaws.com_ScheduleKeyDeletion_1.json`, [ref("AWS::KMS::Key", "1")]],
  [
    `${EVENTS}kms.amazonaws.com_ScheduleKeyDeletion_4.json`,
    [ref("AWS::KMS::Key", "mrk-1234abcd12ab34cd56ef1234567890ab")],
  ],
  [
    `${EVENTS}kms.amazonaws.com_TagResource_1.json`,
    [ref("AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab")],
  ],
  [
    `${EVENTS}kms.amazonaws.com_UntagResource_1.json`,
    [ref("AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab")],
  ],
  [
    `${EVENTS}kms.amazonaws.com_UpdateKeyDescription_1.json`,
    [ref("AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab")],
  ],
  // Elastic Load Balancing, CloudFront, API Gateway (EventBridge envelopes)
  [
    `${ENVELOPES}elasticloadbalancing.amazonaws.com_AddTags_1.json`,
    [
      ref(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "arn:aws:elasticloadbalancing:us-east-1:123456789123:loadbalancer/app/test/433ae0ba96204181",
      ),
    ],
  ],
  [
    `${EVENTS}elasticloadbalancing.amazonaws.com_CreateLoadBalancerPolicy_1.json`,
    [ref("AWS::ElasticLoadBalancing::LoadBalancer", "capione-test")],
  ],
  [
    `${ENVELOPES}cloudfront.amazonaws.com_TagResource_1.json`,
    [ref("AWS::CloudFront::Distribution", "E53370FUHBNLK")],
  ],
  [
    `${ENVELOPES}cloudfront.amazonaws.com_UpdateDistribution_1.json`,
    [ref("AWS::CloudFront::Distribution", "E53370FUHBNLK")],
  ],
  [`${ENVELOPES}apigateway.amazonaws.com_TagResource_1.json`, [ref("AWS::ApiGateway::Stage", "test2")]],
  // Secrets Manager (ARN from the response), CloudTrail (names and ARNs), ECR, EFS
  [
    `${EVENTS}secretsmanager.amazonaws.com_PutResourcePolicy_2.json`,
    [
      ref(
        "AWS::SecretsManager::Secret",
        "arn:aws:secretsmanager:us-west-2:123456789012:secret:paloma/example-secret-xxxxxx",
      ),
    ],
  ],
  [
    `${EVENTS}cloudtrail.amazonaws.com_DeleteTrail_3.json`,
    [ref("AWS::CloudTrail::Trail", "stratus-red-team-cloudtraild-trail-kvrwohmiai")],
  ],
  [
    `${EVENTS}cloudtrail.amazonaws.com_PutEventSelectors_1.json`,
    [ref("AWS::CloudTrail::Trail", "sample-cloudtrail-name")],
  ],
  [
    `${EVENTS}cloudtrail.amazonaws.com_StartLogging_2.json`,
    [ref("AWS::CloudTrail::Trail", "My-First-Trail")],
  ],
  [`${EVENTS}cloudtrail.amazonaws.com_StopLogging_1.json`, [ref("AWS::CloudTrail::Trail", "example-trail")]],
  [
    `${EVENTS}cloudtrail.amazonaws.com_UpdateTrail_1.json`,
    [ref("AWS::CloudTrail::Trail", "management-events")],
  ],
  [`${EVENTS}ecr.amazonaws.com_SetRepositoryPolicy_1.json`, [ref("AWS::ECR::Repository", "community")]],
  [
    `${EVENTS}elasticfilesystem.amazonaws.com_ModifyMountTargetSecurityGroups_1.json`,
    [ref("AWS::EFS::MountTarget", "fsmt-07e238762319765b9")],
  ],
];

/** Corpus records of calls the catalog lists as `create` or `operational`. */
const CORPUS_IGNORED: readonly (readonly [path: string, effect: "create" | "operational"])[] = [
  [`${EVENTS}ec2.amazonaws.com_CreateSecurityGroup_1.json`, "create"],
  [`${EVENTS}ec2.amazonaws.com_CreateVolume_1.json`, "create"],
  [`${EVENTS}ec2.amazonaws.com_RunInstances_4.json`, "create"],
  [`${EVENTS}ec2.amazonaws.com_StartInstances_1.json`, "operational"],
  [`${EVENTS}ec2.amazonaws.com_StopInstances_1.json`, "operational"],
  [`${EVENTS}rds.amazonaws.com_CreateDBInstance_1.json`, "create"],
  [`${EVENTS}rds.amazonaws.com_FailoverDBCluster_1.json`, "operational"],
  [`${EVENTS}rds.amazonaws.com_RebootDBInstance_1.json`, "operational"],
  [`${EVENTS}iam.amazonaws.com_CreateAccessKey_5.json`, "create"],
  [`${EVENTS}iam.amazonaws.com_CreateRole_2.json`, "create"],
  [`${EVENTS}iam.amazonaws.com_CreateServiceLinkedRole_1.json`, "create"],
  [`${EVENTS}iam.amazonaws.com_CreateUser_4.json`, "create"],
  [`${EVENTS}kms.amazonaws.com_CreateKey_1.json`, "create"],
  [`${EVENTS}autoscaling.amazonaws.com_CreateLaunchConfiguration_1.json`, "create"],
  [`${EVENTS}ecs.amazonaws.com_CreateCluster_1.json`, "create"],
  [`${EVENTS}apigateway.amazonaws.com_CreateStage_1.json`, "create"],
  [`${EVENTS}cloudtrail.amazonaws.com_CreateTrail_1.json`, "create"],
  [`${EVENTS}elasticfilesystem.amazonaws.com_CreateMountTarget_1.json`, "create"],
  [`${ENVELOPES}s3.amazonaws.com_CreateBucket_1.json`, "create"],
  [`${ENVELOPES}cloudfront.amazonaws.com_CreateDistribution_1.json`, "create"],
];

/** Corpus records of writes the catalog deliberately leaves out (data plane, non-stack resources). */
const CORPUS_NOT_CATALOGUED: readonly string[] = [
  `${EVENTS}dynamodb.amazonaws.com_UpdateItem_1.json`,
  `${EVENTS}dynamodb.amazonaws.com_TransactWriteItems_1.json`,
  `${EVENTS}ec2.amazonaws.com_ModifyImageAttribute_1.json`,
  `${EVENTS}ec2.amazonaws.com_ModifySnapshotAttribute_1.json`,
  `${EVENTS}kms.amazonaws.com_CreateGrant_2.json`,
  `${EVENTS}sts.amazonaws.com_AssumeRole_1.json`,
];

const catalog = createCatalog();
const keyOf = (entry: Pick<CatalogEntry, "service" | "event">) => `${entry.service}:${entry.event}`;
const lookup = (example: Example) => catalog.lookup(example.record.eventSource, example.record.eventName);

const EXAMPLES: readonly Example[] = [
  ...CORPUS.map(([path, expected]) => ({ source: `corpus:${path}`, record: corpusRecord(path), expected })),
  ...fixtureExamples(),
];

describe("catalog entries against CloudTrail records", () => {
  it("has at least one example for every modify and delete entry", () => {
    const covered = new Set(EXAMPLES.map(lookup).flatMap((entry) => (entry ? [keyOf(entry)] : [])));
    const missing = catalog.entries
      .filter((entry) => entry.effect === "modify" || entry.effect === "delete")
      .map(keyOf)
      .filter((key) => !covered.has(key));
    expect(missing).toEqual([]);
  });

  it.each(EXAMPLES.map((example) => [example.source, example] as const))(
    "%s resolves as expected",
    (_, example) => {
      const entry = lookup(example);
      expect(
        entry,
        `${example.record.eventSource} ${example.record.eventName} is not catalogued`,
      ).toBeDefined();
      if (entry === undefined) return;
      expect(["modify", "delete"]).toContain(entry.effect);
      expect(touchedResources(entry, example.record)).toEqual({ ok: true, resources: example.expected });
    },
  );

  it.each(CORPUS_IGNORED)("corpus:%s is catalogued as %s", (path, effect) => {
    const record = corpusRecord(path);
    expect(catalog.lookup(record.eventSource, record.eventName)?.effect).toBe(effect);
  });

  it.each(CORPUS_NOT_CATALOGUED)("corpus:%s is not in the catalog", (path) => {
    const record = corpusRecord(path);
    expect(catalog.lookup(record.eventSource, record.eventName)).toBeUndefined();
  });
});

describe("create and operational entries", () => {
  const ignored = catalog.entries.filter(
    (entry) => entry.effect === "create" || entry.effect === "operational",
  );

  it.each(ignored)("$service:$event is found with effect $effect and touches nothing", (entry) => {
    const name = entry.versioned ? `${entry.event}20150331` : entry.event;
    const found = catalog.lookup(`${entry.service}.amazonaws.com`, name);
    expect(found?.effect).toBe(entry.effect);
    expect(found?.touches).toEqual([]);
  });
});
