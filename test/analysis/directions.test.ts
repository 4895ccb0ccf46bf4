import { describe, expect, it } from "vitest";
import { DIRECTIONS, directionOf } from "../../core/analysis/directions.ts";
import { applyGuardrails, violation } from "../../core/analysis/guardrails.ts";
import { contextJson } from "../../core/analysis/prompt.ts";
import { judgeChange } from "../../core/analysis/rules.ts";
import type { ContextChange } from "../../core/analysis/types.ts";
import { change, context, recommendation } from "./support.ts";

/**
 * The one direction table (issue 12): every hardening the issue lists is legitimized with high
 * confidence by the rules, passes the guardrails, and reads "stronger" in the prompt; its mirror
 * (the same setting weakened) is reverted by the rules, overridden by the guardrails whatever an
 * analyzer says, and reads "weaker" in the prompt. The three read the same table, so they agree.
 */

interface Case {
  readonly name: string;
  readonly hardening: ContextChange;
  readonly weakening: ContextChange;
  readonly what: string;
}

function on(
  resourceType: string,
  logicalId: string,
  propertyPath: string,
  differenceType: ContextChange["differenceType"],
  expected: unknown,
  actual: unknown,
): ContextChange {
  return change({ logicalId, resourceType, propertyPath, differenceType, expected, actual });
}

const BUCKET = "AWS::S3::Bucket";
const TABLE = "AWS::DynamoDB::Table";
const DB = "AWS::RDS::DBInstance";
const SG = "AWS::EC2::SecurityGroup";
const LISTENER = "AWS::ElasticLoadBalancingV2::Listener";
const ENCRYPTION = {
  ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }],
};
const BLOCK = {
  BlockPublicAcls: true,
  BlockPublicPolicy: true,
  IgnorePublicAcls: true,
  RestrictPublicBuckets: true,
};
const LOGGING = { DestinationBucketName: "access-logs", LogFilePrefix: "exports/" };
const PRIVATE_RULE = { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, CidrIp: "10.0.0.0/16" };
const WORLD_RULE = { ...PRIVATE_RULE, CidrIp: "0.0.0.0/0" };

const CASES: readonly Case[] = [
  {
    name: "versioning enabled",
    what: "versioning",
    hardening: on(BUCKET, "ExportsBucket", "/VersioningConfiguration", "ADD", null, { Status: "Enabled" }),
    weakening: on(
      BUCKET,
      "ExportsBucket",
      "/VersioningConfiguration/Status",
      "NOT_EQUAL",
      "Enabled",
      "Suspended",
    ),
  },
  {
    name: "default encryption added",
    what: "default encryption",
    hardening: on(BUCKET, "ExportsBucket", "/BucketEncryption", "ADD", null, ENCRYPTION),
    weakening: on(BUCKET, "ExportsBucket", "/BucketEncryption", "REMOVE", ENCRYPTION, null),
  },
  {
    name: "point-in-time recovery switched on",
    what: "point-in-time recovery",
    hardening: on(TABLE, "OrdersTable", "/PointInTimeRecoverySpecification", "ADD", null, {
      PointInTimeRecoveryEnabled: true,
    }),
    weakening: on(
      TABLE,
      "OrdersTable",
      "/PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled",
      "NOT_EQUAL",
      true,
      false,
    ),
  },
  {
    name: "access logging switched on",
    what: "access logging",
    hardening: on(BUCKET, "ExportsBucket", "/LoggingConfiguration", "ADD", null, LOGGING),
    weakening: on(BUCKET, "ExportsBucket", "/LoggingConfiguration", "REMOVE", LOGGING, null),
  },
  {
    name: "load balancer access logs switched on",
    what: "access logging",
    hardening: on(
      "AWS::ElasticLoadBalancingV2::LoadBalancer",
      "PublicAlb",
      "/LoadBalancerAttributes/0",
      "NOT_EQUAL",
      { Key: "access_logs.s3.enabled", Value: "false" },
      { Key: "access_logs.s3.enabled", Value: "true" },
    ),
    weakening: on(
      "AWS::ElasticLoadBalancingV2::LoadBalancer",
      "PublicAlb",
      "/LoadBalancerAttributes/0",
      "NOT_EQUAL",
      { Key: "access_logs.s3.enabled", Value: "true" },
      { Key: "access_logs.s3.enabled", Value: "false" },
    ),
  },
  {
    name: "deletion protection switched on",
    what: "deletion protection",
    hardening: on(DB, "OrdersDatabase", "/DeletionProtection", "NOT_EQUAL", false, true),
    weakening: on(DB, "OrdersDatabase", "/DeletionProtection", "NOT_EQUAL", true, false),
  },
  {
    name: "DynamoDB deletion protection switched on",
    what: "deletion protection",
    hardening: on(TABLE, "OrdersTable", "/DeletionProtectionEnabled", "NOT_EQUAL", "false", "true"),
    weakening: on(TABLE, "OrdersTable", "/DeletionProtectionEnabled", "NOT_EQUAL", "true", "false"),
  },
  {
    name: "a public access block added",
    what: "the public access block",
    hardening: on(BUCKET, "ExportsBucket", "/PublicAccessBlockConfiguration", "ADD", null, BLOCK),
    weakening: on(BUCKET, "ExportsBucket", "/PublicAccessBlockConfiguration", "REMOVE", BLOCK, null),
  },
  {
    name: "longer backup retention",
    what: "backup retention",
    hardening: on(DB, "OrdersDatabase", "/BackupRetentionPeriod", "NOT_EQUAL", 7, 30),
    weakening: on(DB, "OrdersDatabase", "/BackupRetentionPeriod", "NOT_EQUAL", 30, 7),
  },
  {
    name: "storage encryption switched on",
    what: "storage encryption",
    hardening: on(DB, "OrdersDatabase", "/StorageEncrypted", "NOT_EQUAL", false, true),
    weakening: on(DB, "OrdersDatabase", "/StorageEncrypted", "NOT_EQUAL", true, false),
  },
  {
    name: "default encryption moved from SSE-S3 to SSE-KMS",
    what: "the encryption algorithm",
    hardening: on(
      BUCKET,
      "LedgerBucket",
      "/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm",
      "NOT_EQUAL",
      "AES256",
      "aws:kms",
    ),
    weakening: on(
      BUCKET,
      "LedgerBucket",
      "/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/SSEAlgorithm",
      "NOT_EQUAL",
      "aws:kms",
      "AES256",
    ),
  },
  {
    name: "object ownership enforced (ACLs off)",
    what: "object ownership enforced",
    hardening: on(
      BUCKET,
      "DatasetsBucket",
      "/OwnershipControls/Rules/0/ObjectOwnership",
      "NOT_EQUAL",
      "ObjectWriter",
      "BucketOwnerEnforced",
    ),
    weakening: on(
      BUCKET,
      "DatasetsBucket",
      "/OwnershipControls/Rules/0/ObjectOwnership",
      "NOT_EQUAL",
      "BucketOwnerEnforced",
      "ObjectWriter",
    ),
  },
  {
    name: "CloudFront access logging switched on",
    what: "access logging",
    hardening: on("AWS::CloudFront::Distribution", "Site", "/DistributionConfig/Logging", "ADD", null, {
      Bucket: "logs.s3.amazonaws.com",
    }),
    weakening: on(
      "AWS::CloudFront::Distribution",
      "Site",
      "/DistributionConfig/Logging",
      "REMOVE",
      { Bucket: "logs.s3.amazonaws.com" },
      null,
    ),
  },
  {
    name: "KMS key rotation switched on",
    what: "key rotation",
    hardening: on("AWS::KMS::Key", "FilesKey", "/EnableKeyRotation", "NOT_EQUAL", false, true),
    weakening: on("AWS::KMS::Key", "FilesKey", "/EnableKeyRotation", "NOT_EQUAL", true, false),
  },
  {
    name: "SQS managed encryption switched on",
    what: "queue encryption",
    hardening: on("AWS::SQS::Queue", "Uploads", "/SqsManagedSseEnabled", "NOT_EQUAL", "false", "true"),
    weakening: on("AWS::SQS::Queue", "Uploads", "/SqsManagedSseEnabled", "NOT_EQUAL", "true", "false"),
  },
  {
    name: "a listener's TLS policy raised to TLS 1.2+",
    what: "the TLS policy",
    hardening: on(
      LISTENER,
      "HttpsListener",
      "/SslPolicy",
      "NOT_EQUAL",
      "ELBSecurityPolicy-2016-08",
      "ELBSecurityPolicy-TLS13-1-2-2021-06",
    ),
    weakening: on(
      LISTENER,
      "HttpsListener",
      "/SslPolicy",
      "NOT_EQUAL",
      "ELBSecurityPolicy-TLS13-1-2-2021-06",
      "ELBSecurityPolicy-2016-08",
    ),
  },
  {
    name: "ingress narrowed from 0.0.0.0/0 to a private range (the CIDR)",
    what: "ingress source",
    hardening: on(
      SG,
      "DbSecurityGroup",
      "/SecurityGroupIngress/0/CidrIp",
      "NOT_EQUAL",
      "0.0.0.0/0",
      "10.0.0.0/16",
    ),
    weakening: on(
      SG,
      "DbSecurityGroup",
      "/SecurityGroupIngress/0/CidrIp",
      "NOT_EQUAL",
      "10.0.0.0/16",
      "0.0.0.0/0",
    ),
  },
  {
    name: "ingress narrowed from 0.0.0.0/0 to a private range (the rule)",
    what: "ingress source",
    hardening: on(SG, "DbSecurityGroup", "/SecurityGroupIngress/0", "NOT_EQUAL", WORLD_RULE, PRIVATE_RULE),
    weakening: on(SG, "DbSecurityGroup", "/SecurityGroupIngress/0", "NOT_EQUAL", PRIVATE_RULE, WORLD_RULE),
  },
];

describe("the direction table: hardening is kept, its mirror never", () => {
  it.each(CASES)("reads $name as stronger, and its mirror as weaker", ({ hardening, weakening, what }) => {
    expect(directionOf(hardening)).toMatchObject({ direction: "stronger", entry: { what } });
    expect(directionOf(weakening)).toMatchObject({ direction: "weaker", entry: { what } });
  });

  it.each(CASES)("legitimizes $name with high confidence and low severity", ({ hardening, what }) => {
    const rec = judgeChange(hardening, context([hardening]));

    expect(rec).toMatchObject({ decision: "legitimize", severity: "low" });
    expect(rec.confidence).toBeGreaterThanOrEqual(0.9);
    expect(rec.reasoning).toContain(`${what} strengthened`);
  });

  it.each(CASES)("lets the legitimize of $name through the guardrails", ({ hardening }) => {
    const rec = judgeChange(hardening, context([hardening]));

    const [guarded] = applyGuardrails([hardening], [rec]);

    expect(guarded).toBe(rec);
    expect(violation(hardening, hardening.actual)).toBeUndefined();
  });

  it.each(CASES)("reverts the mirror of $name, and overrides an analyzer that keeps it", ({ weakening }) => {
    const rec = judgeChange(weakening, context([weakening]));
    expect(rec.decision).toBe("revert");
    expect(["high", "critical"]).toContain(rec.severity);

    const legitimize = recommendation(weakening, { decision: "legitimize", severity: "low" });
    const [guarded] = applyGuardrails([weakening], [legitimize]);
    expect(guarded).toMatchObject({ decision: "revert", guardrail: { overridden: "legitimize" } });
  });

  it.each(CASES)(
    "tells the model the direction of $name and of its mirror",
    ({ hardening, weakening, what }) => {
      const shown = JSON.parse(contextJson(context([hardening, weakening]))) as {
        changes: { id: string; direction?: string }[];
      };

      expect(shown.changes.map((c) => c.direction?.split(" (")[0])).toEqual([
        `stronger: ${what}`,
        `weaker: ${what}`,
      ]);
    },
  );

  it("names a guarded weakening's guardrail in the prompt, the one the guardrails apply", () => {
    const weakening = CASES.find((c) => c.what === "backup retention")?.weakening as ContextChange;
    const shown = JSON.parse(contextJson(context([weakening]))) as { changes: { direction?: string }[] };

    expect(shown.changes[0]?.direction).toBe(
      "weaker: backup retention (data safety; guardrail backup-retention-shortened)",
    );
    expect(violation(weakening, weakening.actual)?.rule).toBe("backup-retention-shortened");
  });

  it("leaves a change no row covers, or one whose value does not say, without a direction", () => {
    const size = on(DB, "OrdersDatabase", "/DBInstanceClass", "NOT_EQUAL", "db.r5.large", "db.r5.xlarge");
    const intrinsic = on(DB, "OrdersDatabase", "/BackupRetentionPeriod", "NOT_EQUAL", { Ref: "Days" }, 7);

    expect(directionOf(size)).toBeUndefined();
    expect(directionOf(intrinsic)).toBeUndefined();
    expect(JSON.parse(contextJson(context([size]))).changes[0]).not.toHaveProperty("direction");
  });

  it("legitimizes a customer managed key named for encryption; its removal has no guardrail of its own", () => {
    const path =
      "/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/KMSMasterKeyID";
    const key = on(BUCKET, "LedgerBucket", path, "ADD", null, "arn:aws:kms:us-east-2:210987654321:key/mrk-1");

    expect(judgeChange(key, context([key]))).toMatchObject({ decision: "legitimize", severity: "low" });
    expect(directionOf({ ...key, expected: key.actual, actual: null })?.direction).toBe("weaker");
  });

  it("covers every row of the table", () => {
    const kmsKey = on(
      BUCKET,
      "B",
      "/BucketEncryption/ServerSideEncryptionConfiguration/0/ServerSideEncryptionByDefault/KMSMasterKeyID",
      "ADD",
      null,
      "k",
    );
    const covered = new Set([...CASES.map((c) => c.hardening), kmsKey].map((c) => directionOf(c)?.entry));
    const untested = DIRECTIONS.filter((d) => !covered.has(d)).map((d) => `${d.what} ${d.path}`);
    // Multi-AZ, public accessibility, DynamoDB SSE and trail logging are covered in rules.test.ts
    // and guardrails.test.ts.
    expect(untested.length).toBeLessThanOrEqual(4);
  });
});

describe("an ELBv2 listener's TLS policy: weaker is an older minimum protocol", () => {
  const policy = (from: unknown, to: unknown) =>
    directionOf(on(LISTENER, "HttpsListener", "/SslPolicy", "NOT_EQUAL", from, to));

  it.each([
    ["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-0-2021-06"],
    ["ELBSecurityPolicy-TLS-1-2-2017-01", "ELBSecurityPolicy-TLS-1-1-2017-01"],
    ["ELBSecurityPolicy-FS-1-2-Res-2020-10", "ELBSecurityPolicy-FS-2018-06"],
    ["ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-2-2021-06"],
    ["ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-TLS13-1-2-2021-06"],
    ["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06"],
    ["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS-1-0-2015-04"],
    ["ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04"],
  ])("reads %s ► %s as weaker", (from, to) => {
    expect(policy(from, to)?.direction).toBe("weaker");
  });

  it("reads policies with the same minimum and cipher class as the same, and no policy as CloudFormation's default", () => {
    expect(
      policy("ELBSecurityPolicy-TLS-1-2-2017-01", "ELBSecurityPolicy-TLS13-1-2-2021-06")?.direction,
    ).toBe("same");
    expect(policy("ELBSecurityPolicy-2016-08", null)?.direction).toBe("same");
    expect(policy("ELBSecurityPolicy-TLS13-1-2-2021-06", null)?.direction).toBe("weaker");
  });

  it("concludes nothing from an intrinsic or a name it does not know", () => {
    expect(policy({ Ref: "SslPolicy" }, "ELBSecurityPolicy-2016-08")).toBeUndefined();
    expect(policy("ELBSecurityPolicy-TLS13-1-2-2021-06", "MyCustomPolicy")).toBeUndefined();
  });

  it("reverts a prod listener lowered to TLS 1.0 as high, on security, whatever an analyzer says", () => {
    const lowered = on(
      LISTENER,
      "HttpsListener",
      "/SslPolicy",
      "NOT_EQUAL",
      "ELBSecurityPolicy-TLS13-1-2-2021-06",
      "ELBSecurityPolicy-2016-08",
    );
    const rec = judgeChange(lowered, context([lowered]));
    expect(rec).toMatchObject({ decision: "revert", severity: "high" });
    expect(rec.reasoning).toContain("the TLS policy weakened");
    expect(violation(lowered, lowered.actual)?.rule).toBe("protection-weakened");
  });

  it("leaves a classic load balancer or another listener property to the other rules", () => {
    const classic = on(
      "AWS::ElasticLoadBalancing::LoadBalancer",
      "Lb",
      "/SslPolicy",
      "NOT_EQUAL",
      "ELBSecurityPolicy-TLS-1-2-2017-01",
      "ELBSecurityPolicy-2016-08",
    );
    const port = on(LISTENER, "HttpsListener", "/Port", "NOT_EQUAL", 443, 8443);
    expect(directionOf(classic)).toBeUndefined();
    expect(directionOf(port)).toBeUndefined();
  });
});
