import { describe, expect, it } from "vitest";
import { createCatalog } from "../../core/catalog/catalog.ts";
import { CATALOG } from "../../core/catalog/entries.ts";
import type { CatalogEntry, Effect } from "../../core/catalog/types.ts";

const catalog = createCatalog();
const servicesOf = (entries: readonly CatalogEntry[]) => new Set(entries.map((entry) => entry.service));

describe("catalog size", () => {
  it("covers at least 100 write APIs over at least 15 services", () => {
    expect(CATALOG.length).toBeGreaterThanOrEqual(100);
    expect(servicesOf(CATALOG).size).toBeGreaterThanOrEqual(15);
  });
});

describe("catalog shape", () => {
  it("has no duplicate (service, event) pairs", () => {
    expect(() => createCatalog(CATALOG)).not.toThrow();
  });

  it("keeps each service's entries sorted by event", () => {
    for (const service of servicesOf(CATALOG)) {
      const events = CATALOG.filter((entry) => entry.service === service).map((entry) => entry.event);
      expect(events, service).toEqual([...events].sort((a, b) => a.localeCompare(b, "en")));
    }
  });

  it("groups each service's entries together", () => {
    const order = CATALOG.map((entry) => entry.service).filter((service, i, all) => all[i - 1] !== service);
    expect(order).toEqual([...new Set(order)]);
  });

  it("lists touched resources exactly for modify and delete entries", () => {
    for (const entry of CATALOG) {
      const touches = entry.effect === "modify" || entry.effect === "delete";
      expect(entry.touches.length > 0, `${entry.service}:${entry.event}`).toBe(touches);
    }
  });

  it("marks every Lambda and CloudFront entry versioned, and no other", () => {
    for (const entry of CATALOG) {
      const expected = entry.service === "lambda" || entry.service === "cloudfront";
      expect(entry.versioned === true, `${entry.service}:${entry.event}`).toBe(expected);
    }
  });
});

describe("lookup", () => {
  it.each([
    ["lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", "UpdateFunctionConfiguration"],
    ["lambda.amazonaws.com", "UpdateFunctionConfiguration", "UpdateFunctionConfiguration"],
    ["lambda.amazonaws.com", "AddPermission20150331", "AddPermission"],
    ["lambda.amazonaws.com", "AddPermission20150331v2", "AddPermission"],
    ["lambda.amazonaws.com", "PutFunctionConcurrency20171031", "PutFunctionConcurrency"],
    ["lambda.amazonaws.com", "TagResource20170331v2", "TagResource"],
    ["cloudfront.amazonaws.com", "UpdateDistribution2020_05_31", "UpdateDistribution"],
    ["cloudfront.amazonaws.com", "UpdateDistribution", "UpdateDistribution"],
  ])("%s %s ► %s", (source, name, event) => {
    expect(catalog.lookup(source, name)?.event).toBe(event);
  });

  it.each([
    ["ec2.amazonaws.com", "ModifyInstanceAttribute20161115"],
    ["s3.amazonaws.com", "PutBucketPolicy20060301"],
    ["sqs.amazonaws.com", "SetQueueAttributes20121105v2"],
    ["kms.amazonaws.com", "TagResource20141101"],
  ])("does not match the suffixed name %s %s to a non-versioned entry", (source, name) => {
    expect(catalog.lookup(source, name)).toBeUndefined();
  });

  it("matches by service: a Lambda name under another event source is unknown", () => {
    expect(catalog.lookup("sns.amazonaws.com", "UpdateFunctionConfiguration20150331v2")).toBeUndefined();
    expect(catalog.lookup("ecs.amazonaws.com", "TagResource")?.service).toBe("ecs");
    expect(catalog.lookup("sns.amazonaws.com", "TagResource")?.service).toBe("sns");
  });

  it("leaves data-plane and read calls out", () => {
    for (const [source, name] of [
      ["dynamodb.amazonaws.com", "PutItem"],
      ["dynamodb.amazonaws.com", "UpdateItem"],
      ["s3.amazonaws.com", "PutObject"],
      ["sqs.amazonaws.com", "SendMessage"],
      ["logs.amazonaws.com", "PutLogEvents"],
      ["ec2.amazonaws.com", "DescribeInstances"],
    ] as const) {
      expect(catalog.lookup(source, name), `${source} ${name}`).toBeUndefined();
    }
  });
});

describe("required coverage", () => {
  const required: Readonly<Record<string, Readonly<Partial<Record<Effect, readonly string[]>>>>> = {
    ec2: {
      modify: [
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "ModifySecurityGroupRules",
        "UpdateSecurityGroupRuleDescriptionsIngress",
        "UpdateSecurityGroupRuleDescriptionsEgress",
        "ModifyInstanceAttribute",
        "ModifyInstanceMetadataOptions",
        "ModifyVolume",
        "AttachVolume",
        "DetachVolume",
        "CreateNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "DeleteNetworkAclEntry",
        "CreateRoute",
        "ReplaceRoute",
        "DeleteRoute",
        "ModifySubnetAttribute",
        "ModifyVpcAttribute",
        "CreateTags",
        "DeleteTags",
        "AttachInternetGateway",
        "DetachInternetGateway",
        "CreateLaunchTemplateVersion",
        "ModifyLaunchTemplate",
      ],
      delete: [
        "DeleteSecurityGroup",
        "TerminateInstances",
        "DeleteVolume",
        "DeleteNetworkAcl",
        "DeleteSubnet",
        "DeleteVpc",
        "DeleteInternetGateway",
        "DeleteLaunchTemplate",
      ],
      operational: ["StopInstances", "StartInstances", "RebootInstances"],
    },
    rds: {
      modify: [
        "ModifyDBInstance",
        "AddRoleToDBInstance",
        "RemoveRoleFromDBInstance",
        "ModifyDBCluster",
        "ModifyDBParameterGroup",
        "ModifyDBClusterParameterGroup",
        "ModifyDBSubnetGroup",
        "AddTagsToResource",
        "RemoveTagsFromResource",
      ],
      delete: ["DeleteDBInstance", "DeleteDBCluster", "DeleteDBParameterGroup", "DeleteDBSubnetGroup"],
      operational: ["StopDBInstance", "RebootDBInstance", "FailoverDBCluster"],
    },
    s3: {
      modify: [
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketAcl",
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
        "PutBucketVersioning",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
        "PutBucketLogging",
        "PutBucketLifecycle",
        "PutBucketLifecycleConfiguration",
        "DeleteBucketLifecycle",
        "PutBucketReplication",
        "DeleteBucketReplication",
        "PutBucketTagging",
        "DeleteBucketTagging",
        "PutBucketCors",
        "DeleteBucketCors",
        "PutBucketWebsite",
        "DeleteBucketWebsite",
        "PutBucketNotification",
        "PutBucketOwnershipControls",
        "DeleteBucketOwnershipControls",
        "PutObjectLockConfiguration",
        "PutBucketAccelerateConfiguration",
        "PutBucketRequestPayment",
        "PutBucketIntelligentTieringConfiguration",
        "PutBucketInventoryConfiguration",
        "PutBucketAnalyticsConfiguration",
        "PutBucketMetricsConfiguration",
      ],
      delete: ["DeleteBucket"],
      create: ["CreateBucket"],
    },
    lambda: {
      modify: [
        "UpdateFunctionConfiguration",
        "UpdateFunctionCode",
        "AddPermission",
        "RemovePermission",
        "PutFunctionConcurrency",
        "DeleteFunctionConcurrency",
        "UpdateAlias",
        "TagResource",
        "UntagResource",
        "PutProvisionedConcurrencyConfig",
        "UpdateFunctionUrlConfig",
        "UpdateEventSourceMapping",
      ],
      delete: ["DeleteFunction", "DeleteAlias"],
      create: ["CreateFunction"],
    },
    iam: {
      modify: [
        "UpdateRole",
        "PutRolePolicy",
        "DeleteRolePolicy",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "TagRole",
        "UntagRole",
        "UpdateAssumeRolePolicy",
        "PutRolePermissionsBoundary",
        "PutUserPolicy",
        "AttachUserPolicy",
        "UpdateLoginProfile",
        "DeleteLoginProfile",
        "PutGroupPolicy",
        "AttachGroupPolicy",
        "AddUserToGroup",
        "RemoveUserFromGroup",
        "CreatePolicyVersion",
        "SetDefaultPolicyVersion",
        "DeletePolicyVersion",
        "AddRoleToInstanceProfile",
      ],
      delete: ["DeleteRole", "DeleteUser", "DeleteGroup", "DeletePolicy", "DeleteInstanceProfile"],
      create: ["CreateRole", "CreateUser", "CreateAccessKey", "CreateServiceLinkedRole"],
    },
    autoscaling: {
      modify: [
        "UpdateAutoScalingGroup",
        "SetDesiredCapacity",
        "SuspendProcesses",
        "ResumeProcesses",
        "PutScalingPolicy",
        "CreateOrUpdateTags",
        "DeleteTags",
      ],
      delete: ["DeleteAutoScalingGroup", "DeleteLaunchConfiguration"],
    },
    ecs: {
      modify: [
        "UpdateService",
        "UpdateCluster",
        "UpdateClusterSettings",
        "PutClusterCapacityProviders",
        "TagResource",
        "UntagResource",
      ],
      delete: ["DeleteService"],
    },
    dynamodb: {
      modify: ["UpdateTable", "UpdateTimeToLive", "UpdateContinuousBackups", "TagResource", "UntagResource"],
      delete: ["DeleteTable"],
    },
    sqs: {
      modify: ["SetQueueAttributes", "AddPermission", "RemovePermission", "TagQueue", "UntagQueue"],
      delete: ["DeleteQueue"],
      operational: ["PurgeQueue"],
    },
    sns: {
      modify: ["SetTopicAttributes", "AddPermission", "RemovePermission", "TagResource", "UntagResource"],
      delete: ["DeleteTopic"],
      create: ["Subscribe", "CreateTopic"],
    },
    kms: {
      modify: [
        "DisableKey",
        "EnableKey",
        "CancelKeyDeletion",
        "EnableKeyRotation",
        "DisableKeyRotation",
        "PutKeyPolicy",
        "UpdateKeyDescription",
        "UpdateAlias",
        "TagResource",
        "UntagResource",
      ],
      delete: ["ScheduleKeyDeletion", "DeleteAlias"],
      create: ["CreateKey"],
    },
    elasticloadbalancing: {
      modify: [
        "ModifyLoadBalancerAttributes",
        "ModifyListener",
        "ModifyRule",
        "ModifyTargetGroup",
        "ModifyTargetGroupAttributes",
        "SetSecurityGroups",
        "SetSubnets",
        "AddTags",
        "RemoveTags",
      ],
      delete: ["DeleteLoadBalancer", "DeleteListener", "DeleteRule", "DeleteTargetGroup"],
    },
    cloudfront: {
      modify: ["UpdateDistribution", "TagResource", "UntagResource"],
      delete: ["DeleteDistribution"],
    },
    apigateway: {
      modify: ["UpdateRestApi", "UpdateStage", "TagResource"],
      delete: ["DeleteRestApi", "DeleteStage"],
    },
    secretsmanager: {
      modify: [
        "UpdateSecret",
        "PutSecretValue",
        "RotateSecret",
        "PutResourcePolicy",
        "DeleteResourcePolicy",
        "TagResource",
        "UntagResource",
      ],
      delete: ["DeleteSecret"],
    },
    logs: {
      modify: [
        "PutRetentionPolicy",
        "DeleteRetentionPolicy",
        "AssociateKmsKey",
        "DisassociateKmsKey",
        "TagLogGroup",
        "UntagLogGroup",
        "TagResource",
        "UntagResource",
      ],
      delete: ["DeleteLogGroup"],
    },
    elasticache: {
      modify: [
        "ModifyCacheCluster",
        "ModifyReplicationGroup",
        "ModifyCacheParameterGroup",
        "AddTagsToResource",
        "RemoveTagsFromResource",
      ],
      delete: ["DeleteCacheCluster", "DeleteReplicationGroup"],
    },
    cloudtrail: {
      modify: [
        "UpdateTrail",
        "StopLogging",
        "StartLogging",
        "PutEventSelectors",
        "PutInsightSelectors",
        "AddTags",
        "RemoveTags",
      ],
      delete: ["DeleteTrail"],
      create: ["CreateTrail"],
    },
    // Issue 13: the real trails' misses, and the link APIs and their link resources
    ssm: {
      modify: ["PutParameter", "AddTagsToResource", "RemoveTagsFromResource"],
      delete: ["DeleteParameter", "DeleteParameters"],
    },
    route53resolver: { delete: ["DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"] },
    rolesanywhere: {
      modify: ["DisableProfile", "DisableTrustAnchor", "UpdateProfile", "UpdateTrustAnchor"],
      delete: ["DeleteProfile", "DeleteTrustAnchor", "DeleteCrl"],
      create: ["CreateProfile", "CreateTrustAnchor"],
    },
    monitoring: {
      modify: ["PutMetricAlarm", "DisableAlarmActions", "PutDashboard"],
      delete: ["DeleteAlarms", "DeleteDashboards"],
      operational: ["SetAlarmState"],
    },
    route53: { modify: ["ChangeResourceRecordSets"] },
    config: {
      modify: ["PutConfigurationRecorder", "PutConfigRule"],
      delete: ["DeleteConfigurationRecorder", "DeleteConfigRule", "DeleteDeliveryChannel"],
      operational: ["StopConfigurationRecorder"],
    },
    guardduty: { modify: ["UpdateDetector"], delete: ["DeleteDetector"] },
  };

  const links: readonly (readonly [event: string, effect: Effect, types: readonly string[]])[] = [
    ["AssociateRouteTable", "modify", ["AWS::EC2::RouteTable", "AWS::EC2::SubnetRouteTableAssociation"]],
    ["DisassociateRouteTable", "delete", ["AWS::EC2::SubnetRouteTableAssociation"]],
    [
      "ReplaceRouteTableAssociation",
      "modify",
      ["AWS::EC2::RouteTable", "AWS::EC2::SubnetRouteTableAssociation"],
    ],
    ["CreateRoute", "modify", ["AWS::EC2::RouteTable", "AWS::EC2::Route"]],
    ["ReplaceRoute", "modify", ["AWS::EC2::RouteTable", "AWS::EC2::Route"]],
    ["DeleteRoute", "modify", ["AWS::EC2::RouteTable", "AWS::EC2::Route"]],
    ["AttachInternetGateway", "modify", ["AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment"]],
    ["DetachInternetGateway", "modify", ["AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment"]],
    ["AttachVpnGateway", "modify", ["AWS::EC2::VPNGateway", "AWS::EC2::VPCGatewayAttachment"]],
    ["ReleaseAddress", "delete", ["AWS::EC2::EIP"]],
    ["DisassociateAddress", "modify", ["AWS::EC2::EIPAssociation", "AWS::EC2::EIP"]],
  ];

  it.each(links)("ec2:%s is %s on %j", (event, effect, types) => {
    const entry = CATALOG.find((e) => e.service === "ec2" && e.event === event);
    expect(entry?.effect).toBe(effect);
    expect(entry?.touches.map((t) => t.type)).toEqual(types);
  });

  const cases = Object.entries(required).flatMap(([service, byEffect]) =>
    Object.entries(byEffect).flatMap(([effect, events]) =>
      (events ?? []).map((event) => [service, event, effect] as const),
    ),
  );

  it.each(cases)("%s:%s is catalogued as %s", (service, event, effect) => {
    const entry = CATALOG.find((e) => e.service === service && e.event === event);
    expect(entry?.effect).toBe(effect);
  });
});
