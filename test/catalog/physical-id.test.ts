import { describe, expect, it } from "vitest";
import { isArn, parseArn, partitionOf } from "../../core/catalog/arn.ts";
import {
  ec2Ref,
  lambdaFunctionName,
  physicalId,
  refFromArn,
  unownableKind,
} from "../../core/catalog/physical-id.ts";
import type { ResourceRef, ResourceType } from "../../core/catalog/types.ts";
import type { CloudTrailRecord } from "../../core/change/schema.ts";
import { toRecord } from "./examples.ts";

const A = "111122223333";

/** A minimal record carrying only what physical-id normalisation reads. */
function recordWith(
  requestParameters: Record<string, unknown> = {},
  place: { awsRegion?: string; recipientAccountId?: string } = {
    awsRegion: "us-east-1",
    recipientAccountId: A,
  },
): CloudTrailRecord {
  return toRecord(
    {
      eventSource: "test.amazonaws.com",
      eventName: "Test",
      eventTime: "2025-03-14T10:00:00Z",
      requestParameters,
      ...place,
    },
    "test",
  );
}

const ref = (type: ResourceType, id: string): ResourceRef => ({ type, id });

describe("parseArn", () => {
  it("splits the fixed fields and keeps colons in the resource", () => {
    expect(parseArn(`arn:aws:lambda:us-east-1:${A}:function:orders-api:live`)).toEqual({
      partition: "aws",
      service: "lambda",
      region: "us-east-1",
      account: A,
      resource: "function:orders-api:live",
    });
  });

  it.each(["aws", "aws-cn", "aws-us-gov", "aws-iso-b"])("accepts the %s partition", (partition) => {
    expect(parseArn(`arn:${partition}:s3:::bucket`)?.partition).toBe(partition);
  });

  it.each([
    "",
    "sg-0abc",
    "arn:aws:s3",
    "arn:azure:s3:::bucket",
    "arn:aws:s3:::",
    "https://sqs.us-east-1.amazonaws.com/1/q",
  ])("rejects %j", (text) => {
    expect(parseArn(text)).toBeUndefined();
    expect(isArn(text)).toBe(false);
  });

  it.each([
    ["us-east-1", "aws"],
    ["cn-northwest-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
  ])("places %s in %s", (region, partition) => {
    expect(partitionOf(region)).toBe(partition);
  });
});

describe("refFromArn", () => {
  it.each<[string, ResourceRef]>([
    // IAM: names (paths dropped) for roles, users, groups, instance profiles; ARNs for customer policies
    [`arn:aws:iam::${A}:role/service-role/app/OrdersRole`, ref("AWS::IAM::Role", "OrdersRole")],
    [
      `arn:aws:iam::${A}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`,
      ref("AWS::IAM::Role", "AWSServiceRoleForECS"),
    ],
    [`arn:aws:iam::${A}:user/ci/ci-bot`, ref("AWS::IAM::User", "ci-bot")],
    [`arn:aws:iam::${A}:group/admins`, ref("AWS::IAM::Group", "admins")],
    [`arn:aws:iam::${A}:instance-profile/web`, ref("AWS::IAM::InstanceProfile", "web")],
    [
      `arn:aws:iam::${A}:policy/team/deploy`,
      ref("AWS::IAM::ManagedPolicy", `arn:aws:iam::${A}:policy/team/deploy`),
    ],
    [
      `arn:aws-us-gov:iam::${A}:policy/deploy`,
      ref("AWS::IAM::ManagedPolicy", `arn:aws-us-gov:iam::${A}:policy/deploy`),
    ],
    // S3, DynamoDB, Auto Scaling, Logs, CloudTrail: names
    ["arn:aws:s3:::orders-data", ref("AWS::S3::Bucket", "orders-data")],
    ["arn:aws-cn:s3:::orders-data-cn", ref("AWS::S3::Bucket", "orders-data-cn")],
    [`arn:aws:dynamodb:us-east-1:${A}:table/Orders`, ref("AWS::DynamoDB::Table", "Orders")],
    [
      `arn:aws:dynamodb:us-east-1:${A}:table/Orders/stream/2025-03-14T10:00:00.000`,
      ref("AWS::DynamoDB::Table", "Orders"),
    ],
    [`arn:aws:dynamodb:us-east-1:${A}:table/Orders/index/by-customer`, ref("AWS::DynamoDB::Table", "Orders")],
    [
      `arn:aws:autoscaling:us-east-1:${A}:autoScalingGroup:0b5a6e0b-1c2d-4e3f-8a9b-0c1d2e3f4a5b:autoScalingGroupName/web-asg`,
      ref("AWS::AutoScaling::AutoScalingGroup", "web-asg"),
    ],
    [
      `arn:aws:autoscaling:us-east-1:${A}:launchConfiguration:0b5a6e0b-1c2d-4e3f-8a9b-0c1d2e3f4a5b:launchConfigurationName/web-lc`,
      ref("AWS::AutoScaling::LaunchConfiguration", "web-lc"),
    ],
    [`arn:aws:logs:us-east-1:${A}:log-group:/ecs/orders`, ref("AWS::Logs::LogGroup", "/ecs/orders")],
    [`arn:aws:logs:us-east-1:${A}:log-group:/ecs/orders:*`, ref("AWS::Logs::LogGroup", "/ecs/orders")],
    [`arn:aws:cloudtrail:us-east-1:${A}:trail/org-trail`, ref("AWS::CloudTrail::Trail", "org-trail")],
    // Lambda: the function name, whatever the qualifier
    [`arn:aws:lambda:us-east-1:${A}:function:orders-api`, ref("AWS::Lambda::Function", "orders-api")],
    [`arn:aws:lambda:us-east-1:${A}:function:orders-api:7`, ref("AWS::Lambda::Function", "orders-api")],
    [
      `arn:aws-cn:lambda:cn-north-1:${A}:function:orders-api:live`,
      ref("AWS::Lambda::Function", "orders-api"),
    ],
    [
      `arn:aws:lambda:us-east-1:${A}:event-source-mapping:a1b2c3d4-5678-90ab-cdef-11111EXAMPLE`,
      ref("AWS::Lambda::EventSourceMapping", "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE"),
    ],
    // RDS and ElastiCache: lowercase names
    [`arn:aws:rds:us-east-1:${A}:db:Orders-DB`, ref("AWS::RDS::DBInstance", "orders-db")],
    [`arn:aws:rds:us-east-1:${A}:cluster:orders-aurora`, ref("AWS::RDS::DBCluster", "orders-aurora")],
    [`arn:aws:rds:us-east-1:${A}:pg:orders-mysql80`, ref("AWS::RDS::DBParameterGroup", "orders-mysql80")],
    [
      `arn:aws:rds:us-east-1:${A}:cluster-pg:orders-aurora`,
      ref("AWS::RDS::DBClusterParameterGroup", "orders-aurora"),
    ],
    [`arn:aws:rds:us-east-1:${A}:subgrp:orders-subnets`, ref("AWS::RDS::DBSubnetGroup", "orders-subnets")],
    [`arn:aws:rds:us-east-1:${A}:og:orders-options`, ref("AWS::RDS::OptionGroup", "orders-options")],
    [
      `arn:aws:elasticache:us-east-1:${A}:cluster:Orders-001`,
      ref("AWS::ElastiCache::CacheCluster", "orders-001"),
    ],
    [
      `arn:aws:elasticache:us-east-1:${A}:replicationgroup:orders`,
      ref("AWS::ElastiCache::ReplicationGroup", "orders"),
    ],
    [
      `arn:aws:elasticache:us-east-1:${A}:parametergroup:redis7`,
      ref("AWS::ElastiCache::ParameterGroup", "redis7"),
    ],
    [
      `arn:aws:elasticache:us-east-1:${A}:subnetgroup:cache-subnets`,
      ref("AWS::ElastiCache::SubnetGroup", "cache-subnets"),
    ],
    // ECS: cluster and capacity provider names; service and task definition ARNs (old and new formats)
    [`arn:aws:ecs:us-east-1:${A}:cluster/orders`, ref("AWS::ECS::Cluster", "orders")],
    [
      `arn:aws:ecs:us-east-1:${A}:service/orders/api`,
      ref("AWS::ECS::Service", `arn:aws:ecs:us-east-1:${A}:service/orders/api`),
    ],
    [
      `arn:aws:ecs:us-east-1:${A}:service/api`,
      ref("AWS::ECS::Service", `arn:aws:ecs:us-east-1:${A}:service/api`),
    ],
    [
      `arn:aws:ecs:us-east-1:${A}:task-definition/api:12`,
      ref("AWS::ECS::TaskDefinition", `arn:aws:ecs:us-east-1:${A}:task-definition/api:12`),
    ],
    [`arn:aws:ecs:us-east-1:${A}:capacity-provider/spot`, ref("AWS::ECS::CapacityProvider", "spot")],
    // KMS, Secrets Manager, SNS, SQS
    [
      `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
      ref("AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab"),
    ],
    [
      `arn:aws:kms:us-east-1:${A}:key/mrk-1234abcd12ab34cd56ef1234567890ab`,
      ref("AWS::KMS::Key", "mrk-1234abcd12ab34cd56ef1234567890ab"),
    ],
    [`arn:aws:kms:us-east-1:${A}:alias/orders`, ref("AWS::KMS::Alias", "alias/orders")],
    [
      `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/db-AbCdEf`,
      ref("AWS::SecretsManager::Secret", `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/db-AbCdEf`),
    ],
    [`arn:aws:sns:us-east-1:${A}:orders`, ref("AWS::SNS::Topic", `arn:aws:sns:us-east-1:${A}:orders`)],
    [
      `arn:aws:sns:us-east-1:${A}:orders:0f8d3e7c-1a2b-4c5d-8e9f-0a1b2c3d4e5f`,
      ref("AWS::SNS::Subscription", `arn:aws:sns:us-east-1:${A}:orders:0f8d3e7c-1a2b-4c5d-8e9f-0a1b2c3d4e5f`),
    ],
    [
      `arn:aws:sqs:eu-west-1:${A}:orders.fifo`,
      ref("AWS::SQS::Queue", `https://sqs.eu-west-1.amazonaws.com/${A}/orders.fifo`),
    ],
    [
      `arn:aws-cn:sqs:cn-north-1:${A}:orders`,
      ref("AWS::SQS::Queue", `https://sqs.cn-north-1.amazonaws.com.cn/${A}/orders`),
    ],
    [
      `arn:aws-us-gov:sqs:us-gov-west-1:${A}:orders`,
      ref("AWS::SQS::Queue", `https://sqs.us-gov-west-1.amazonaws.com/${A}/orders`),
    ],
    // Elastic Load Balancing: v2 ARNs kept, classic by name
    [
      `arn:aws:elasticloadbalancing:us-east-1:${A}:loadbalancer/app/web/50dc6c495c0c9188`,
      ref(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        `arn:aws:elasticloadbalancing:us-east-1:${A}:loadbalancer/app/web/50dc6c495c0c9188`,
      ),
    ],
    [
      `arn:aws:elasticloadbalancing:us-east-1:${A}:loadbalancer/net/nlb/50dc6c495c0c9188`,
      ref(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        `arn:aws:elasticloadbalancing:us-east-1:${A}:loadbalancer/net/nlb/50dc6c495c0c9188`,
      ),
    ],
    [
      `arn:aws:elasticloadbalancing:us-east-1:${A}:loadbalancer/legacy-web`,
      ref("AWS::ElasticLoadBalancing::LoadBalancer", "legacy-web"),
    ],
    [
      `arn:aws:elasticloadbalancing:us-east-1:${A}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`,
      ref(
        "AWS::ElasticLoadBalancingV2::Listener",
        `arn:aws:elasticloadbalancing:us-east-1:${A}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`,
      ),
    ],
    [
      `arn:aws:elasticloadbalancing:us-east-1:${A}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
      ref(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        `arn:aws:elasticloadbalancing:us-east-1:${A}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
      ),
    ],
    [
      `arn:aws:elasticloadbalancing:us-east-1:${A}:targetgroup/web/73e2d6bc24d8a067`,
      ref(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        `arn:aws:elasticloadbalancing:us-east-1:${A}:targetgroup/web/73e2d6bc24d8a067`,
      ),
    ],
    // CloudFront, API Gateway (REST and HTTP), EventBridge, ECR, EFS, EC2
    [
      `arn:aws:cloudfront::${A}:distribution/E2QWRUHAPOMQZL`,
      ref("AWS::CloudFront::Distribution", "E2QWRUHAPOMQZL"),
    ],
    ["arn:aws:apigateway:us-east-1::/restapis/abcdef74gh", ref("AWS::ApiGateway::RestApi", "abcdef74gh")],
    ["arn:aws:apigateway:us-east-1::/restapis/abcdef74gh/stages/prod", ref("AWS::ApiGateway::Stage", "prod")],
    ["arn:aws:apigateway:us-east-1::/apis/a1b2c3d4e5", ref("AWS::ApiGatewayV2::Api", "a1b2c3d4e5")],
    [
      "arn:aws:apigateway:us-east-1::/apis/a1b2c3d4e5/stages/$default",
      ref("AWS::ApiGatewayV2::Stage", "$default"),
    ],
    [`arn:aws:events:us-east-1:${A}:rule/nightly`, ref("AWS::Events::Rule", "nightly")],
    [`arn:aws:events:us-east-1:${A}:rule/orders-bus/sync`, ref("AWS::Events::Rule", "orders-bus|sync")],
    [`arn:aws:events:us-east-1:${A}:event-bus/orders-bus`, ref("AWS::Events::EventBus", "orders-bus")],
    [`arn:aws:ecr:us-east-1:${A}:repository/team/orders-api`, ref("AWS::ECR::Repository", "team/orders-api")],
    [
      `arn:aws:elasticfilesystem:us-east-1:${A}:file-system/fs-0123456789abcdef0`,
      ref("AWS::EFS::FileSystem", "fs-0123456789abcdef0"),
    ],
    [
      `arn:aws:ec2:us-east-1:${A}:security-group/sg-0a3f9c1d2e4b56789`,
      ref("AWS::EC2::SecurityGroup", "sg-0a3f9c1d2e4b56789"),
    ],
    [
      `arn:aws:ec2:us-east-1:${A}:instance/i-0f1e2d3c4b5a69788`,
      ref("AWS::EC2::Instance", "i-0f1e2d3c4b5a69788"),
    ],
    // Surrounding whitespace is not part of an ARN
    [`  arn:aws:iam::${A}:role/Trimmed  `, ref("AWS::IAM::Role", "Trimmed")],
  ])("%s", (arn, expected) => {
    expect(refFromArn(arn)).toEqual(expected);
  });

  it.each([
    ["an AWS-managed policy", "arn:aws:iam::aws:policy/AdministratorAccess"],
    ["an S3 object", "arn:aws:s3:::orders-data/reports/2025.csv"],
    ["an S3 access point", `arn:aws:s3:us-east-1:${A}:accesspoint/orders`],
    ["a log stream", `arn:aws:logs:us-east-1:${A}:log-group:/ecs/orders:log-stream:web/1`],
    ["an RDS snapshot", `arn:aws:rds:us-east-1:${A}:snapshot:nightly`],
    ["a DynamoDB backup", `arn:aws:dynamodb:us-east-1:${A}:table/Orders/backup/01710410400000-abcdef12`],
    ["a Lambda layer", `arn:aws:lambda:us-east-1:${A}:layer:shared:3`],
    ["an ECS task", `arn:aws:ecs:us-east-1:${A}:task/orders/0123456789abcdef`],
    ["an API Gateway deployment", "arn:aws:apigateway:us-east-1::/restapis/abcdef74gh/deployments/r2pi2v"],
    ["an AMI", "arn:aws:ec2:us-east-1::image/ami-0c55b159cbfafe1f0"],
    ["an uncatalogued service", `arn:aws:glue:us-east-1:${A}:catalog`],
    ["an STS session", `arn:aws:sts::${A}:assumed-role/Admin/alice`],
    ["a bare name", "orders-api"],
    ["a service named like an Object.prototype key", `arn:aws:constructor:us-east-1:${A}:thing/x`],
    ["a resource kind named like an Object.prototype key", `arn:aws:rds:us-east-1:${A}:constructor:x`],
  ])("gives undefined for %s", (_, arn) => {
    expect(refFromArn(arn)).toBeUndefined();
  });
});

describe("ec2Ref", () => {
  it.each<[string, ResourceType]>([
    ["sg-0a3f9c1d2e4b56789", "AWS::EC2::SecurityGroup"],
    ["i-0f1e2d3c4b5a69788", "AWS::EC2::Instance"],
    ["i-1a2b3c4d", "AWS::EC2::Instance"],
    ["vpc-0e7d6c5b4a3928171", "AWS::EC2::VPC"],
    ["vpce-0a1b2c3d4e5f67890", "AWS::EC2::VPCEndpoint"],
    ["subnet-0b5e6f7a8c9d01234", "AWS::EC2::Subnet"],
    ["rtb-0c1d2e3f4a5b6c7d8", "AWS::EC2::RouteTable"],
    ["acl-0d8c4f1e2a3b49576", "AWS::EC2::NetworkAcl"],
    ["vol-049df61146c4d7901", "AWS::EC2::Volume"],
    ["igw-0a1b2c3d4e5f67890", "AWS::EC2::InternetGateway"],
    ["eigw-0a1b2c3d4e5f67890", "AWS::EC2::EgressOnlyInternetGateway"],
    ["nat-05dba92075d71c408", "AWS::EC2::NatGateway"],
    ["eni-0e8f9a0b1c2d3e4f5", "AWS::EC2::NetworkInterface"],
    ["lt-0abcd290751193123", "AWS::EC2::LaunchTemplate"],
    ["fl-0ef673ef70c4f07cc", "AWS::EC2::FlowLog"],
    ["tgw-0a1b2c3d4e5f67890", "AWS::EC2::TransitGateway"],
    ["tgw-attach-0814a77755bf02f0e", "AWS::EC2::TransitGatewayAttachment"],
    ["tgw-rtb-0a1b2c3d4e5f67890", "AWS::EC2::TransitGatewayRouteTable"],
    ["rtbassoc-06c42ea03f0967f18", "AWS::EC2::SubnetRouteTableAssociation"],
    ["aclassoc-0a9b8c7d6e5f43210", "AWS::EC2::SubnetNetworkAclAssociation"],
    ["eipassoc-0f1e2d3c4b5a69788", "AWS::EC2::EIPAssociation"],
    ["eipalloc-0a1b2c3d4e5f67890", "AWS::EC2::EIP"],
    ["eni-attach-0a1b2c3d4e5f60718", "AWS::EC2::NetworkInterfaceAttachment"],
    ["vpc-cidr-assoc-0a1b2c3d", "AWS::EC2::VPCCidrBlock"],
    ["vpce-svc-0a1b2c3d4e5f60718", "AWS::EC2::VPCEndpointService"],
  ])("%s is %s", (id, type) => {
    expect(ec2Ref(id)).toEqual({ type, id });
  });

  it("keeps the id as written, trimmed", () => {
    expect(ec2Ref(" sg-0ABC ")).toEqual({ type: "AWS::EC2::SecurityGroup", id: "sg-0ABC" });
  });

  it.each([
    "ami-0c55b159cbfafe1f0",
    "snap-041993b54a9b3af6f",
    "sgr-0e2c4a6f8b0d2e4a7",
    "r-02fba3196e40f1f1e",
    "sg-",
    "-0abc",
    "sg",
    "",
    "constructor-0abc",
    "toString-0abc",
  ])("gives undefined for %j", (id) => {
    expect(ec2Ref(id)).toBeUndefined();
  });
});

describe("physicalId", () => {
  const plain = recordWith();

  describe("Lambda functions", () => {
    it.each([
      ["orders-api", "orders-api"],
      ["orders-api:live", "orders-api"],
      ["myfunction:prod", "myfunction"],
      [`${A}:function:orders-api`, "orders-api"],
      [`${A}:function:orders-api:7`, "orders-api"],
      [`arn:aws:lambda:us-east-1:${A}:function:orders-api`, "orders-api"],
      [`arn:aws:lambda:us-east-1:${A}:function:orders-api:$LATEST`, "orders-api"],
      [`arn:aws-us-gov:lambda:us-gov-west-1:${A}:function:orders-api:live`, "orders-api"],
    ])("%s ► %s", (raw, name) => {
      expect(physicalId("AWS::Lambda::Function", raw, plain)).toBe(name);
      expect(lambdaFunctionName(raw)).toBe(name);
    });
  });

  describe("Lambda aliases", () => {
    it("builds the alias ARN from functionName and the record's region and account", () => {
      const record = recordWith({ functionName: "orders-api", name: "live" });
      expect(physicalId("AWS::Lambda::Alias", "live", record)).toBe(
        `arn:aws:lambda:us-east-1:${A}:function:orders-api:live`,
      );
    });

    it("takes region, account and partition from a functionName ARN", () => {
      const record = recordWith({
        functionName: "arn:aws-cn:lambda:cn-north-1:444455556666:function:orders-api",
      });
      expect(physicalId("AWS::Lambda::Alias", "live", record)).toBe(
        "arn:aws-cn:lambda:cn-north-1:444455556666:function:orders-api:live",
      );
    });

    it("takes the account from a partial ARN", () => {
      const record = recordWith({ functionName: "444455556666:function:orders-api" });
      expect(physicalId("AWS::Lambda::Alias", "live", record)).toBe(
        "arn:aws:lambda:us-east-1:444455556666:function:orders-api:live",
      );
    });

    it("keeps an alias ARN, and a name it cannot place", () => {
      const arn = `arn:aws:lambda:us-east-1:${A}:function:orders-api:live`;
      expect(physicalId("AWS::Lambda::Alias", arn, plain)).toBe(arn);
      expect(physicalId("AWS::Lambda::Alias", "live", plain)).toBe("live");
      const nowhere = recordWith({ functionName: "orders-api" }, {});
      expect(physicalId("AWS::Lambda::Alias", "live", nowhere)).toBe("live");
    });
  });

  describe("SQS queue URLs", () => {
    const canonical = `https://sqs.us-east-2.amazonaws.com/${A}/orders`;
    const inOhio = recordWith({}, { awsRegion: "us-east-2", recipientAccountId: A });

    it.each([
      ["the canonical form", canonical],
      ["the legacy global host", `https://queue.amazonaws.com/${A}/orders`],
      ["the legacy regional host", `https://us-east-2.queue.amazonaws.com/${A}/orders`],
      ["the doc-sample host", `https://sqs.us-east-2.amazon.com/${A}/orders`],
      [
        "a VPC endpoint host",
        `https://vpce-0a1b2c3d4e5f67890-abcdefgh.sqs.us-east-2.vpce.amazonaws.com/${A}/orders`,
      ],
      ["plain http and a trailing slash", `http://sqs.us-east-2.amazonaws.com/${A}/orders/`],
      ["an ARN", `arn:aws:sqs:us-east-2:${A}:orders`],
      ["a bare name", "orders"],
    ])("normalises %s", (_, raw) => {
      expect(physicalId("AWS::SQS::Queue", raw, inOhio)).toBe(canonical);
    });

    it("prefers the URL's region over the record's", () => {
      const raw = `https://eu-west-1.queue.amazonaws.com/${A}/orders`;
      expect(physicalId("AWS::SQS::Queue", raw, inOhio)).toBe(
        `https://sqs.eu-west-1.amazonaws.com/${A}/orders`,
      );
    });

    it("uses the China DNS suffix in aws-cn", () => {
      const inChina = recordWith({}, { awsRegion: "cn-north-1", recipientAccountId: A });
      expect(physicalId("AWS::SQS::Queue", "orders", inChina)).toBe(
        `https://sqs.cn-north-1.amazonaws.com.cn/${A}/orders`,
      );
    });

    it("keeps a bare name it cannot place", () => {
      expect(physicalId("AWS::SQS::Queue", "orders", recordWith({}, {}))).toBe("orders");
    });
  });

  describe("ECS services", () => {
    it("keeps ARNs in both formats", () => {
      for (const arn of [
        `arn:aws:ecs:us-east-1:${A}:service/orders/api`,
        `arn:aws:ecs:us-east-1:${A}:service/api`,
      ]) {
        expect(physicalId("AWS::ECS::Service", arn, plain)).toBe(arn);
      }
    });

    it("builds the ARN from a bare name and the cluster name", () => {
      const record = recordWith({ cluster: "orders", service: "api" });
      expect(physicalId("AWS::ECS::Service", "api", record)).toBe(
        `arn:aws:ecs:us-east-1:${A}:service/orders/api`,
      );
    });

    it("takes the place from a cluster ARN", () => {
      const record = recordWith({ cluster: "arn:aws-us-gov:ecs:us-gov-west-1:444455556666:cluster/orders" });
      expect(physicalId("AWS::ECS::Service", "api", record)).toBe(
        "arn:aws-us-gov:ecs:us-gov-west-1:444455556666:service/orders/api",
      );
    });

    it("uses the default cluster when none is named", () => {
      expect(physicalId("AWS::ECS::Service", "api", plain)).toBe(
        `arn:aws:ecs:us-east-1:${A}:service/default/api`,
      );
    });
  });

  describe("ECS task definitions", () => {
    it("completes family:revision, keeps ARNs and bare families", () => {
      expect(physicalId("AWS::ECS::TaskDefinition", "api:12", plain)).toBe(
        `arn:aws:ecs:us-east-1:${A}:task-definition/api:12`,
      );
      const arn = `arn:aws:ecs:us-east-1:${A}:task-definition/api:12`;
      expect(physicalId("AWS::ECS::TaskDefinition", arn, plain)).toBe(arn);
      expect(physicalId("AWS::ECS::TaskDefinition", "api", plain)).toBe("api");
    });
  });

  describe("lowercase identifiers", () => {
    it.each<[ResourceType, string, string]>([
      ["AWS::RDS::DBInstance", "Orders-DB", "orders-db"],
      ["AWS::RDS::DBInstance", `arn:aws:rds:us-east-1:${A}:db:Orders-DB`, "orders-db"],
      ["AWS::RDS::DBCluster", "Orders-Aurora", "orders-aurora"],
      ["AWS::RDS::DBParameterGroup", "Orders-MySQL80", "orders-mysql80"],
      ["AWS::RDS::DBClusterParameterGroup", "Orders-Aurora-PG", "orders-aurora-pg"],
      ["AWS::RDS::DBSubnetGroup", "Orders-Subnets", "orders-subnets"],
      ["AWS::ElastiCache::CacheCluster", "Orders-Memcached", "orders-memcached"],
      [
        "AWS::ElastiCache::ReplicationGroup",
        `arn:aws:elasticache:us-east-1:${A}:replicationgroup:Orders`,
        "orders",
      ],
      ["AWS::ElastiCache::ParameterGroup", "Redis7-Orders", "redis7-orders"],
      ["AWS::ElastiCache::SubnetGroup", "Cache-Subnets", "cache-subnets"],
    ])("%s %s ► %s", (type, raw, id) => {
      expect(physicalId(type, raw, plain)).toBe(id);
    });
  });

  describe("names and ARNs by type", () => {
    it.each<[ResourceType, string, string]>([
      [
        "AWS::KMS::Key",
        `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        "1234abcd-12ab-34cd-56ef-1234567890ab",
      ],
      ["AWS::KMS::Key", "1234abcd-12ab-34cd-56ef-1234567890ab", "1234abcd-12ab-34cd-56ef-1234567890ab"],
      ["AWS::KMS::Alias", `arn:aws:kms:us-east-1:${A}:alias/orders`, "alias/orders"],
      ["AWS::S3::Bucket", "arn:aws:s3:::orders-data", "orders-data"],
      ["AWS::IAM::Role", `arn:aws:iam::${A}:role/path/OrdersRole`, "OrdersRole"],
      ["AWS::IAM::User", `arn:aws:iam::${A}:user/ci-bot`, "ci-bot"],
      ["AWS::IAM::InstanceProfile", `arn:aws:iam::${A}:instance-profile/web`, "web"],
      ["AWS::IAM::ManagedPolicy", `arn:aws:iam::${A}:policy/deploy`, `arn:aws:iam::${A}:policy/deploy`],
      ["AWS::DynamoDB::Table", `arn:aws:dynamodb:us-east-1:${A}:table/Orders`, "Orders"],
      ["AWS::Logs::LogGroup", `arn:aws:logs:us-east-1:${A}:log-group:/ecs/orders:*`, "/ecs/orders"],
      ["AWS::CloudTrail::Trail", `arn:aws:cloudtrail:us-east-1:${A}:trail/org-trail`, "org-trail"],
      [
        "AWS::CloudFront::Distribution",
        `arn:aws:cloudfront::${A}:distribution/E2QWRUHAPOMQZL`,
        "E2QWRUHAPOMQZL",
      ],
      ["AWS::SNS::Topic", `arn:aws:sns:us-east-1:${A}:orders`, `arn:aws:sns:us-east-1:${A}:orders`],
      [
        "AWS::SecretsManager::Secret",
        `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/db-AbCdEf`,
        `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/db-AbCdEf`,
      ],
      ["AWS::SecretsManager::Secret", "prod/db", "prod/db"],
      ["AWS::IAM::Policy", "orders-table-access", "orders-table-access"],
      ["AWS::EC2::SecurityGroup", " sg-0a3f9c1d2e4b56789 ", "sg-0a3f9c1d2e4b56789"],
    ])("%s %s ► %s", (type, raw, id) => {
      expect(physicalId(type, raw, plain)).toBe(id);
    });

    it("keeps an ARN of another type as it is", () => {
      const user = `arn:aws:iam::${A}:user/ci-bot`;
      expect(physicalId("AWS::IAM::Role", user, plain)).toBe(user);
    });
  });

  describe("EventBridge rules", () => {
    it("is the name on the default bus and <bus>|<name> on a custom one", () => {
      expect(physicalId("AWS::Events::Rule", "nightly", recordWith({ eventBusName: "default" }))).toBe(
        "nightly",
      );
      expect(physicalId("AWS::Events::Rule", "sync", recordWith({ eventBusName: "orders-bus" }))).toBe(
        "orders-bus|sync",
      );
      const busArn = `arn:aws:events:us-east-1:${A}:event-bus/orders-bus`;
      expect(physicalId("AWS::Events::Rule", "sync", recordWith({ eventBusName: busArn }))).toBe(
        "orders-bus|sync",
      );
    });
  });
});

describe("unownableKind", () => {
  it.each([
    ["ami-0aa1d83d0b0985c86", "an AMI"],
    ["snap-041993b54a9b3af6f", "an EBS snapshot"],
    ["import-ami-0a1b2c3d4e5f60718", "an image import task"],
    ["r-02fba3196e40f1f1e", "a reservation"],
    ["sir-08b93456", "a Spot Instance request"],
    ["arn:aws:ec2:us-east-1::image/ami-0aa1d83d0b0985c86", "an AMI"],
    ["arn:aws:ec2:us-east-1::snapshot/snap-041993b54a9b3af6f", "an EBS snapshot"],
    ["arn:aws:rds:us-east-1:111122223333:snapshot:orders-2025-03-14", "an RDS snapshot"],
    ["arn:aws:rds:us-east-1:111122223333:cluster-snapshot:orders-final", "an RDS cluster snapshot"],
    ["arn:aws:s3:::exports/2025/03/orders.csv", "an S3 object"],
  ])("%s is %s", (value, kind) => {
    expect(unownableKind(value)).toBe(kind);
  });

  it.each([
    "sg-0a1b2c3d4e5f60718",
    "eipalloc-0a1b2c3d4e5f60718",
    "arn:aws:s3:::exports",
    "arn:aws:rds:us-east-1:111122223333:db:orders",
    "orders-db",
    "",
  ])("%j may be stack-owned (or is unknown): undefined", (value) => {
    expect(unownableKind(value)).toBeUndefined();
  });
});
