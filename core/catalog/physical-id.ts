import type { CloudTrailRecord } from "../change/schema.ts";
import { type Arn, dnsSuffixOf, parseArn, partitionOf, REGION } from "./arn.ts";
import { stringsAt } from "./path.ts";
import type { ResourceRef, ResourceType } from "./types.ts";

/**
 * From what a CloudTrail record names a resource by (name, ARN, URL, EC2 id) to the physical id
 * CloudFormation stores for it: the value `Ref` returns, which `DescribeStackResources` matches byte
 * for byte as `PhysicalResourceId`.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html
 *   (each type's "Return values ► Ref" section)
 */

function ref(type: ResourceType, id: string | undefined): ResourceRef | undefined {
  return id === undefined || id === "" ? undefined : { type, id };
}

/** `table[key]` for own keys only, so `constructor` or `toString` in an ARN never reach `Object.prototype`. */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Text after the last `/`: IAM paths (`role/path/to/name`) and EC2 ARNs (`security-group/sg-1`). */
function lastSegment(text: string): string {
  return text.slice(text.lastIndexOf("/") + 1);
}

/** Splits `kind<sep>rest` at the first separator; `rest` is empty when there is none. */
function splitKind(resource: string, separator: ":" | "/"): [kind: string, rest: string] {
  const at = resource.indexOf(separator);
  return at < 0 ? [resource, ""] : [resource.slice(0, at), resource.slice(at + 1)];
}

// ── ARN readers, one per service ──────────────────────────────────────────────────────────────────

type ArnReader = (arn: Arn, text: string) => ResourceRef | undefined;

/** RDS: `db:`, `cluster:`, `pg:`, `cluster-pg:`, `subgrp:`, `og:`; RDS stores identifiers lowercase. */
const RDS_KINDS: Readonly<Record<string, ResourceType>> = {
  db: "AWS::RDS::DBInstance",
  cluster: "AWS::RDS::DBCluster",
  pg: "AWS::RDS::DBParameterGroup",
  "cluster-pg": "AWS::RDS::DBClusterParameterGroup",
  subgrp: "AWS::RDS::DBSubnetGroup",
  og: "AWS::RDS::OptionGroup",
};

/** ElastiCache: `cluster:`, `replicationgroup:`, `parametergroup:`, `subnetgroup:`; stored lowercase. */
const ELASTICACHE_KINDS: Readonly<Record<string, ResourceType>> = {
  cluster: "AWS::ElastiCache::CacheCluster",
  replicationgroup: "AWS::ElastiCache::ReplicationGroup",
  parametergroup: "AWS::ElastiCache::ParameterGroup",
  subnetgroup: "AWS::ElastiCache::SubnetGroup",
};

const IAM_NAMED_KINDS: Readonly<Record<string, ResourceType>> = {
  role: "AWS::IAM::Role",
  user: "AWS::IAM::User",
  group: "AWS::IAM::Group",
  "instance-profile": "AWS::IAM::InstanceProfile",
};

const ELBV2_KINDS: Readonly<Record<string, ResourceType>> = {
  listener: "AWS::ElasticLoadBalancingV2::Listener",
  "listener-rule": "AWS::ElasticLoadBalancingV2::ListenerRule",
  targetgroup: "AWS::ElasticLoadBalancingV2::TargetGroup",
};

const ROLES_ANYWHERE_KINDS: Readonly<Record<string, ResourceType>> = {
  crl: "AWS::RolesAnywhere::CRL",
  profile: "AWS::RolesAnywhere::Profile",
  "trust-anchor": "AWS::RolesAnywhere::TrustAnchor",
};

const RESOLVER_KINDS: Readonly<Record<string, ResourceType>> = {
  "resolver-query-log-config": "AWS::Route53Resolver::ResolverQueryLoggingConfig",
  "resolver-rule": "AWS::Route53Resolver::ResolverRule",
};

function lowercaseNamed(kinds: Readonly<Record<string, ResourceType>>): ArnReader {
  return (arn) => {
    const [kind, name] = splitKind(arn.resource, ":");
    const type = own(kinds, kind);
    return type === undefined ? undefined : ref(type, name.toLowerCase());
  };
}

/** Builds the queue URL CloudFormation stores: `https://sqs.<region>.<dns suffix>/<account>/<name>`. */
function sqsUrl(region: string, account: string, name: string): string {
  return `https://sqs.${region}.${dnsSuffixOf(partitionOf(region))}/${account}/${name}`;
}

const ARN_READERS: Readonly<Record<string, ArnReader>> = {
  "access-analyzer": (arn, text) => {
    const [kind, name] = splitKind(arn.resource, "/");
    return kind === "analyzer" && name !== "" ? ref("AWS::AccessAnalyzer::Analyzer", text) : undefined;
  },
  acm: (arn, text) => {
    const [kind, id] = splitKind(arn.resource, "/");
    return kind === "certificate" && id !== ""
      ? ref("AWS::CertificateManager::Certificate", text)
      : undefined;
  },
  apigateway: (arn) => {
    // `arn:aws:apigateway:<region>::/restapis/<id>[/stages/<name>]`, `/apis/<id>[/stages/<name>]` (v2).
    const parts = arn.resource.split("/");
    const [empty, collection, id, sub, name] = parts;
    if (empty !== "" || id === undefined || id === "") return undefined;
    if (parts.length === 3) {
      if (collection === "restapis") return ref("AWS::ApiGateway::RestApi", id);
      if (collection === "apis") return ref("AWS::ApiGatewayV2::Api", id);
    }
    if (parts.length === 5 && sub === "stages") {
      if (collection === "restapis") return ref("AWS::ApiGateway::Stage", name);
      if (collection === "apis") return ref("AWS::ApiGatewayV2::Stage", name);
    }
    return undefined;
  },
  autoscaling: (arn, text) => {
    // `autoScalingGroup:<uuid>:autoScalingGroupName/<name>`, `scalingPolicy:<uuid>:autoScalingGroupName/<asg>:policyName/<name>`.
    const [kind] = splitKind(arn.resource, ":");
    if (kind === "autoScalingGroup") {
      return ref("AWS::AutoScaling::AutoScalingGroup", arn.resource.split("autoScalingGroupName/")[1]);
    }
    if (kind === "launchConfiguration") {
      return ref("AWS::AutoScaling::LaunchConfiguration", arn.resource.split("launchConfigurationName/")[1]);
    }
    if (kind === "scalingPolicy") return ref("AWS::AutoScaling::ScalingPolicy", text);
    return undefined;
  },
  backup: (arn) => {
    // `backup-vault:<name>`, `backup-plan:<id>`.
    const [kind, rest] = splitKind(arn.resource, ":");
    if (kind === "backup-vault") return ref("AWS::Backup::BackupVault", rest);
    if (kind === "backup-plan") return ref("AWS::Backup::BackupPlan", rest);
    return undefined;
  },
  cloudfront: (arn) => {
    const [kind, id] = splitKind(arn.resource, "/");
    return kind === "distribution" ? ref("AWS::CloudFront::Distribution", id) : undefined;
  },
  cloudtrail: (arn) => {
    const [kind, name] = splitKind(arn.resource, "/");
    return kind === "trail" ? ref("AWS::CloudTrail::Trail", name) : undefined;
  },
  cloudwatch: (arn) => {
    // `alarm:<name>` (metric and composite alarms alike), `dashboard/<name>`.
    const [kind, name] = splitKind(arn.resource, ":");
    if (kind === "alarm") return ref("AWS::CloudWatch::Alarm", name);
    const [dashboard, dashboardName] = splitKind(arn.resource, "/");
    return dashboard === "dashboard" ? ref("AWS::CloudWatch::Dashboard", dashboardName) : undefined;
  },
  codebuild: (arn) => {
    const [kind, name] = splitKind(arn.resource, "/");
    return kind === "project" ? ref("AWS::CodeBuild::Project", name) : undefined;
  },
  codepipeline: (arn) => {
    // A pipeline's ARN ends in its bare name; action types and webhooks carry a `kind:` or `kind/`.
    return /[:/]/.test(arn.resource) ? undefined : ref("AWS::CodePipeline::Pipeline", arn.resource);
  },
  "cognito-idp": (arn) => {
    const [kind, id] = splitKind(arn.resource, "/");
    return kind === "userpool" ? ref("AWS::Cognito::UserPool", id) : undefined;
  },
  dms: (arn, text) => {
    // Instances, endpoints and tasks are stored by ARN; a subnet group by its identifier.
    const [kind, id] = splitKind(arn.resource, ":");
    if (id === "") return undefined;
    if (kind === "rep") return ref("AWS::DMS::ReplicationInstance", text);
    if (kind === "endpoint") return ref("AWS::DMS::Endpoint", text);
    if (kind === "task") return ref("AWS::DMS::ReplicationTask", text);
    if (kind === "subgrp") return ref("AWS::DMS::ReplicationSubnetGroup", id);
    return undefined;
  },
  dynamodb: (arn) => {
    // `table/<name>`, plus `/stream/<label>` and `/index/<name>`, which belong to the table.
    const match = /^table\/([^/]+)(?:\/(?:stream|index)\/.+)?$/.exec(arn.resource);
    return ref("AWS::DynamoDB::Table", match?.[1]);
  },
  ec2: (arn) => ec2Ref(lastSegment(arn.resource)),
  ecr: (arn) => {
    const [kind, name] = splitKind(arn.resource, "/");
    return kind === "repository" ? ref("AWS::ECR::Repository", name) : undefined;
  },
  ecs: (arn, text) => {
    const [kind, rest] = splitKind(arn.resource, "/");
    if (kind === "cluster") return ref("AWS::ECS::Cluster", rest);
    if (kind === "service") return rest === "" ? undefined : ref("AWS::ECS::Service", text);
    if (kind === "task-definition") return rest === "" ? undefined : ref("AWS::ECS::TaskDefinition", text);
    if (kind === "capacity-provider") return ref("AWS::ECS::CapacityProvider", rest);
    return undefined;
  },
  eks: (arn) => {
    // `cluster/<name>`, `nodegroup/<cluster>/<name>/<uuid>` (a nodegroup's id is `<cluster>/<name>`).
    const [kind, rest] = splitKind(arn.resource, "/");
    if (kind === "cluster") return ref("AWS::EKS::Cluster", rest);
    const [cluster, name] = rest.split("/");
    if (kind === "nodegroup" && cluster && name) return ref("AWS::EKS::Nodegroup", `${cluster}/${name}`);
    return undefined;
  },
  elasticache: lowercaseNamed(ELASTICACHE_KINDS),
  elasticfilesystem: (arn) => {
    const [kind, id] = splitKind(arn.resource, "/");
    if (kind === "file-system") return ref("AWS::EFS::FileSystem", id);
    if (kind === "access-point") return ref("AWS::EFS::AccessPoint", id);
    return undefined;
  },
  elasticloadbalancing: (arn, text) => {
    const [kind, rest] = splitKind(arn.resource, "/");
    if (kind === "loadbalancer") {
      // v2: `loadbalancer/app|net|gwy/<name>/<id>` (Ref = ARN); classic: `loadbalancer/<name>` (Ref = name).
      const parts = rest.split("/");
      if (parts.length === 1) return ref("AWS::ElasticLoadBalancing::LoadBalancer", parts[0]);
      return ref("AWS::ElasticLoadBalancingV2::LoadBalancer", text);
    }
    const type = own(ELBV2_KINDS, kind);
    return type === undefined || rest === "" ? undefined : ref(type, text);
  },
  events: (arn) => {
    const [kind, rest] = splitKind(arn.resource, "/");
    if (kind === "event-bus") return ref("AWS::Events::EventBus", rest);
    if (kind !== "rule") return undefined;
    // A rule on a custom bus is `rule/<bus>/<name>`; CloudFormation's id for it is `<bus>|<name>`.
    const [bus, name] = splitKind(rest, "/");
    return ref("AWS::Events::Rule", name === "" ? bus : `${bus}|${name}`);
  },
  firehose: (arn) => {
    const [kind, name] = splitKind(arn.resource, "/");
    return kind === "deliverystream" ? ref("AWS::KinesisFirehose::DeliveryStream", name) : undefined;
  },
  guardduty: (arn) => {
    const [kind, rest] = splitKind(arn.resource, "/");
    return kind === "detector" && !rest.includes("/") ? ref("AWS::GuardDuty::Detector", rest) : undefined;
  },
  iam: (arn, text) => {
    const [kind, path] = splitKind(arn.resource, "/");
    if (path === "") return undefined;
    if (kind === "policy") {
      // AWS-managed policies (`arn:aws:iam::aws:policy/...`) never belong to a stack.
      return arn.account === "aws" ? undefined : ref("AWS::IAM::ManagedPolicy", text);
    }
    const type = own(IAM_NAMED_KINDS, kind);
    return type === undefined ? undefined : ref(type, lastSegment(path));
  },
  kafka: (arn, text) => {
    const [kind, rest] = splitKind(arn.resource, "/");
    return kind === "cluster" && rest !== "" ? ref("AWS::MSK::Cluster", text) : undefined;
  },
  kms: (arn) => {
    const [kind, id] = splitKind(arn.resource, "/");
    if (kind === "key") return ref("AWS::KMS::Key", id);
    if (kind === "alias") return ref("AWS::KMS::Alias", id === "" ? undefined : `alias/${id}`);
    return undefined;
  },
  lambda: (arn) => {
    // `function:<name>[:<version or alias>]`: the function is what a template declares.
    const [kind, rest] = splitKind(arn.resource, ":");
    if (kind === "function") return ref("AWS::Lambda::Function", splitKind(rest, ":")[0]);
    if (kind === "event-source-mapping") return ref("AWS::Lambda::EventSourceMapping", rest);
    return undefined;
  },
  logs: (arn) => {
    // `log-group:<name>` or `log-group:<name>:*`; a `:log-stream:` suffix names a stream, not the group.
    const [kind, rest] = splitKind(arn.resource, ":");
    if (kind !== "log-group") return undefined;
    const [name, tail] = splitKind(rest, ":");
    return tail === "" || tail === "*" ? ref("AWS::Logs::LogGroup", name) : undefined;
  },
  mq: (arn) => {
    // `broker:<name>:<id>`: a broker is stored by its id.
    const [kind, rest] = splitKind(arn.resource, ":");
    const id = rest.slice(rest.lastIndexOf(":") + 1);
    return kind === "broker" && rest.includes(":") ? ref("AWS::AmazonMQ::Broker", id) : undefined;
  },
  rds: lowercaseNamed(RDS_KINDS),
  "resource-groups": (arn) => {
    const [kind, name] = splitKind(arn.resource, "/");
    return kind === "group" ? ref("AWS::ResourceGroups::Group", name) : undefined;
  },
  rolesanywhere: (arn) => {
    const [kind, id] = splitKind(arn.resource, "/");
    const type = own(ROLES_ANYWHERE_KINDS, kind);
    return type === undefined ? undefined : ref(type, id);
  },
  route53resolver: (arn) => {
    const [kind, id] = splitKind(arn.resource, "/");
    const type = own(RESOLVER_KINDS, kind);
    return type === undefined ? undefined : ref(type, id);
  },
  s3: (arn) => {
    // Bucket ARNs carry neither region nor account; `bucket/key` is an object, not a stack resource.
    if (arn.region !== "" || arn.resource.includes("/")) return undefined;
    return ref("AWS::S3::Bucket", arn.resource);
  },
  secretsmanager: (arn, text) => {
    const [kind, name] = splitKind(arn.resource, ":");
    return kind === "secret" && name !== "" ? ref("AWS::SecretsManager::Secret", text) : undefined;
  },
  servicediscovery: (arn) => {
    const [kind, id] = splitKind(arn.resource, "/");
    return kind === "service" ? ref("AWS::ServiceDiscovery::Service", id) : undefined;
  },
  sns: (arn, text) => {
    const [, subscription] = splitKind(arn.resource, ":");
    return ref(subscription === "" ? "AWS::SNS::Topic" : "AWS::SNS::Subscription", text);
  },
  sqs: (arn) => {
    if (arn.region === "" || arn.account === "" || arn.resource.includes(":")) return undefined;
    return ref("AWS::SQS::Queue", sqsUrl(arn.region, arn.account, arn.resource));
  },
  ssm: (arn) => {
    // `parameter/<name>` (a hierarchical name keeps its leading `/`), `document/<name>`, `maintenancewindow/<id>`.
    const [kind, rest] = splitKind(arn.resource, "/");
    if (rest === "") return undefined;
    if (kind === "parameter") return ref("AWS::SSM::Parameter", rest.includes("/") ? `/${rest}` : rest);
    if (kind === "document") return ref("AWS::SSM::Document", rest);
    if (kind === "maintenancewindow") return ref("AWS::SSM::MaintenanceWindow", rest);
    return undefined;
  },
  wafv2: (arn) => {
    // `regional|global/webacl/<name>/<id>`; a web ACL is stored as `<name>|<id>|<scope>`.
    const [scope, kind, name, id] = arn.resource.split("/");
    if (kind !== "webacl" || !name || !id) return undefined;
    const stored = scope === "global" ? "CLOUDFRONT" : scope === "regional" ? "REGIONAL" : undefined;
    return stored === undefined ? undefined : ref("AWS::WAFv2::WebACL", `${name}|${id}|${stored}`);
  },
};

/**
 * ARN ► the CloudFormation type and physical id of the resource it names, for the services the catalog
 * covers (all partitions: `aws`, `aws-cn`, `aws-us-gov`, ...). `undefined` for ARNs of other services,
 * sub-resources no template declares (S3 objects, log streams, RDS snapshots) and AWS-managed policies.
 */
export function refFromArn(arn: string): ResourceRef | undefined {
  const text = arn.trim();
  const parsed = parseArn(text);
  if (parsed === undefined) return undefined;
  return own(ARN_READERS, parsed.service)?.(parsed, text);
}

// ── EC2 ids ────────────────────────────────────────────────────────────────────────────────────────

/**
 * EC2 id prefix ► CloudFormation type, for types whose `Ref` is the EC2 id itself (associations and
 * attachments included: a `SubnetRouteTableAssociation` is stored as its `rtbassoc-` id).
 *
 * One exception: `eipalloc-` names an `AWS::EC2::EIP`, whose `Ref` is its public IP. A record that
 * names the address only by allocation id (VPC `ReleaseAddress`, `CreateTags`) gives the allocation id:
 * the one id it has, and the one Cloud Control reads the address by.
 * Left out on purpose: `ami-`/`snap-` and the rest of {@link EC2_UNOWNABLE} (no stack owns them),
 * `sgr-` (a rule's tags are not a template property).
 */
const EC2_PREFIXES: Readonly<Record<string, ResourceType>> = {
  acl: "AWS::EC2::NetworkAcl",
  aclassoc: "AWS::EC2::SubnetNetworkAclAssociation",
  cgw: "AWS::EC2::CustomerGateway",
  cr: "AWS::EC2::CapacityReservation",
  "cvpn-endpoint": "AWS::EC2::ClientVpnEndpoint",
  dopt: "AWS::EC2::DHCPOptions",
  eigw: "AWS::EC2::EgressOnlyInternetGateway",
  eipalloc: "AWS::EC2::EIP",
  eipassoc: "AWS::EC2::EIPAssociation",
  eni: "AWS::EC2::NetworkInterface",
  "eni-attach": "AWS::EC2::NetworkInterfaceAttachment",
  fl: "AWS::EC2::FlowLog",
  h: "AWS::EC2::Host",
  i: "AWS::EC2::Instance",
  igw: "AWS::EC2::InternetGateway",
  lt: "AWS::EC2::LaunchTemplate",
  nat: "AWS::EC2::NatGateway",
  pcx: "AWS::EC2::VPCPeeringConnection",
  pl: "AWS::EC2::PrefixList",
  rtb: "AWS::EC2::RouteTable",
  rtbassoc: "AWS::EC2::SubnetRouteTableAssociation",
  sg: "AWS::EC2::SecurityGroup",
  subnet: "AWS::EC2::Subnet",
  tgw: "AWS::EC2::TransitGateway",
  "tgw-attach": "AWS::EC2::TransitGatewayAttachment",
  "tgw-rtb": "AWS::EC2::TransitGatewayRouteTable",
  vgw: "AWS::EC2::VPNGateway",
  vol: "AWS::EC2::Volume",
  vpc: "AWS::EC2::VPC",
  "vpc-cidr-assoc": "AWS::EC2::VPCCidrBlock",
  vpce: "AWS::EC2::VPCEndpoint",
  "vpce-svc": "AWS::EC2::VPCEndpointService",
  vpn: "AWS::EC2::VPNConnection",
};

/**
 * EC2 id prefixes of things no CloudFormation type declares: a stack can never own them, so a call that
 * names only these is not drift (AMIs are registered or copied, snapshots taken, never declared).
 */
const EC2_UNOWNABLE: Readonly<Record<string, string>> = {
  afi: "an FPGA image",
  aki: "a kernel image",
  ami: "an AMI",
  ari: "a ramdisk image",
  "export-ami": "an image export task",
  "export-i": "an instance export task",
  "import-ami": "an image import task",
  "import-snap": "a snapshot import task",
  r: "a reservation",
  sir: "a Spot Instance request",
  snap: "an EBS snapshot",
};

/** Splits an EC2 id into its prefix and hex suffix (`tgw-attach-0abc` ► `tgw-attach`). */
function ec2Prefix(id: string): string | undefined {
  const value = id.trim();
  const dash = value.lastIndexOf("-");
  if (dash <= 0 || dash === value.length - 1) return undefined;
  if (!/^[0-9a-zA-Z]+$/.test(value.slice(dash + 1))) return undefined;
  return value.slice(0, dash).toLowerCase();
}

/** ARN kinds (`service:kind`) of sub-resources and artefacts no template declares. */
const ARN_UNOWNABLE: Readonly<Record<string, string>> = {
  "rds:snapshot": "an RDS snapshot",
  "rds:cluster-snapshot": "an RDS cluster snapshot",
  "elasticache:snapshot": "an ElastiCache snapshot",
  "ec2:snapshot": "an EBS snapshot",
  "ec2:image": "an AMI",
};

/**
 * What a value names when it is an id or ARN of something no stack can own (an AMI, a snapshot, an S3
 * object): a short description such as `"an AMI"`; `undefined` when it may be stack-owned or is unknown.
 * Lets the intake say "ignored: nothing a stack owns" instead of "no resource id found".
 */
export function unownableKind(value: string): string | undefined {
  const arn = parseArn(value);
  if (arn === undefined) {
    const prefix = ec2Prefix(value);
    return prefix === undefined ? undefined : own(EC2_UNOWNABLE, prefix);
  }
  if (arn.service === "s3" && arn.region === "" && arn.resource.includes("/")) return "an S3 object";
  if (arn.service === "ec2") {
    const byId = unownableKind(lastSegment(arn.resource));
    if (byId !== undefined) return byId;
  }
  const separator = /^[a-z-]+:/.test(arn.resource) ? ":" : "/";
  const [kind] = splitKind(arn.resource, separator);
  return own(ARN_UNOWNABLE, `${arn.service}:${kind}`);
}

/** Every type an EC2 id can name: what EC2's tagging APIs (`CreateTags`, `DeleteTags`) can touch. */
export const EC2_ID_TYPES: readonly ResourceType[] = [...new Set(Object.values(EC2_PREFIXES))].sort();

/**
 * EC2 id ► `{type, id}` by its prefix (`sg-0abc` ► `AWS::EC2::SecurityGroup`). The prefix is everything
 * before the last `-`, so `tgw-attach-0abc` and `vpc-0abc` never collide; unknown prefixes give
 * `undefined`. The id is kept as written.
 */
export function ec2Ref(id: string): ResourceRef | undefined {
  const prefix = ec2Prefix(id);
  const type = prefix === undefined ? undefined : own(EC2_PREFIXES, prefix);
  return type === undefined ? undefined : { type, id: id.trim() };
}

// ── Per-type normalisers for values that are not (only) ARNs ──────────────────────────────────────

type Normaliser = (value: string, record: CloudTrailRecord) => string;

function requestValue(record: CloudTrailRecord, field: string): string | undefined {
  return stringsAt(record, `requestParameters.${field}`)[0]?.trim();
}

/** The id `refFromArn` gives when `value` is an ARN of `type`; otherwise `undefined`. */
function idFromArn(type: ResourceType, value: string): string | undefined {
  const found = refFromArn(value);
  return found?.type === type ? found.id : undefined;
}

/**
 * Lambda function name from any `FunctionName` form the API accepts: name, `name:qualifier`,
 * partial ARN `123456789012:function:name[:qualifier]` or full ARN.
 * @see https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html#lambda-UpdateFunctionConfiguration-request-FunctionName
 */
export function lambdaFunctionName(value: string): string {
  const arn = parseArn(value);
  if (arn !== undefined) return idFromArn("AWS::Lambda::Function", value) ?? value;
  const partial = /^\d{12}:function:([^:]+)/.exec(value);
  if (partial?.[1] !== undefined) return partial[1];
  return splitKind(value, ":")[0];
}

/** Region, account and partition to build an ARN with: those of `arn` when given, else the record's. */
function placeOf(
  record: CloudTrailRecord,
  arn?: Arn,
): { region?: string; account?: string; partition?: string } {
  const region = arn?.region || record.awsRegion;
  const account = arn?.account || record.recipientAccountId;
  return { region, account, partition: arn?.partition ?? (region ? partitionOf(region) : undefined) };
}

/** `AWS::Lambda::Alias`: the alias ARN; built from `functionName` + the alias name when not an ARN. */
const lambdaAlias: Normaliser = (value, record) => {
  if (parseArn(value) !== undefined) return value;
  const fn = requestValue(record, "functionName");
  if (fn === undefined) return value;
  const fnArn = parseArn(fn);
  const partialAccount = /^(\d{12}):function:/.exec(fn)?.[1];
  const { region, account, partition } = placeOf(record, fnArn);
  const owner = fnArn?.account || partialAccount || account;
  if (region === undefined || owner === undefined || partition === undefined) return value;
  return `arn:${partition}:lambda:${region}:${owner}:function:${lambdaFunctionName(fn)}:${value}`;
};

/**
 * `AWS::SQS::Queue`: the queue URL in the form CloudFormation stores. CloudTrail shows whatever URL the
 * caller used (`sqs.<region>.amazonaws.com`, legacy `queue.amazonaws.com`, `<region>.queue.amazonaws.com`,
 * VPC endpoint hosts) or an ARN; all become `https://sqs.<region>.<suffix>/<account>/<name>`.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
 */
const sqsQueue: Normaliser = (value, record) => {
  let region: string | undefined;
  let account: string | undefined;
  let name: string | undefined;
  const arn = parseArn(value);
  const url = /^https?:\/\/([^/]+)\/([^/]+)\/([^/?#]+)\/?$/i.exec(value);
  if (arn !== undefined) {
    if (arn.service !== "sqs") return value;
    ({ region, account } = arn);
    name = arn.resource;
  } else if (url !== null) {
    const [, host = "", owner, queue] = url;
    region = host
      .toLowerCase()
      .split(".")
      .find((label) => REGION.test(label));
    account = owner;
    name = queue;
  } else if (!/[/:]/.test(value)) {
    name = value;
  }
  region ||= record.awsRegion;
  account ||= record.recipientAccountId;
  if (!region || !account || !name) return value;
  return sqsUrl(region, account, name);
};

/**
 * `AWS::ECS::Service`: the service ARN. A bare name becomes `arn:<p>:ecs:<region>:<account>:service/<cluster>/<name>`,
 * the cluster taken from the request's `cluster` (name or ARN; ECS's default is `default`).
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html#ECS-UpdateService-request-cluster
 */
const ecsService: Normaliser = (value, record) => {
  if (parseArn(value) !== undefined) return value;
  const cluster = requestValue(record, "cluster") ?? "default";
  const clusterArn = parseArn(cluster);
  const clusterName = clusterArn === undefined ? cluster : idFromArn("AWS::ECS::Cluster", cluster);
  const { region, account, partition } = placeOf(record, clusterArn);
  if (clusterName === undefined || region === undefined || account === undefined || partition === undefined) {
    return value;
  }
  return `arn:${partition}:ecs:${region}:${account}:service/${clusterName}/${value}`;
};

/** `AWS::ECS::TaskDefinition`: the ARN; `family:revision` is completed with the record's region and account. */
const ecsTaskDefinition: Normaliser = (value, record) => {
  if (parseArn(value) !== undefined || !/^[^:/]+:\d+$/.test(value)) return value;
  const { region, account, partition } = placeOf(record);
  if (region === undefined || account === undefined || partition === undefined) return value;
  return `arn:${partition}:ecs:${region}:${account}:task-definition/${value}`;
};

/** `AWS::Events::Rule`: the rule name, or `<bus>|<name>` for a rule on a custom event bus. */
const eventsRule: Normaliser = (value, record) => {
  const fromArn = idFromArn("AWS::Events::Rule", value);
  if (fromArn !== undefined) return fromArn;
  const bus = requestValue(record, "eventBusName");
  const busName = bus === undefined ? undefined : (idFromArn("AWS::Events::EventBus", bus) ?? bus);
  return busName === undefined || busName === "default" ? value : `${busName}|${value}`;
};

/**
 * Joins a composite physical id (`<a>|<b>`), the form CloudFormation stores for types whose primary
 * identifier has several parts. Empty when a part is missing: a half id would name another resource
 * (`rtb-1` alone is the route table, not its route).
 */
function joined(...parts: (string | undefined)[]): string {
  return parts.every((part) => part !== undefined && part !== "") ? parts.join("|") : "";
}

/**
 * `AWS::EC2::Route`: `<route table id>|<destination>`, e.g. `rtb-0a50…|0.0.0.0/0`, from the request's
 * route table and its IPv4, IPv6 or prefix-list destination.
 */
const ec2Route: Normaliser = (value, record) => {
  if (value.includes("|")) return value;
  const destination =
    requestValue(record, "destinationCidrBlock") ??
    requestValue(record, "destinationIpv6CidrBlock") ??
    requestValue(record, "destinationPrefixListId");
  return joined(value, destination);
};

/** `AWS::EC2::VPCGatewayAttachment`: `IGW|<vpc id>` or `VPN|<vpc id>`, by the gateway the request names. */
const gatewayAttachment: Normaliser = (value, record) => {
  if (value.includes("|")) return value;
  if (requestValue(record, "internetGatewayId") !== undefined) return joined("IGW", value);
  if (requestValue(record, "vpnGatewayId") !== undefined) return joined("VPN", value);
  return "";
};

/** `AWS::ApplicationAutoScaling::ScalableTarget`: `<resource id>|<scalable dimension>|<service namespace>`. */
const scalableTarget: Normaliser = (value, record) =>
  value.includes("|")
    ? value
    : joined(value, requestValue(record, "scalableDimension"), requestValue(record, "serviceNamespace"));

/** `AWS::Route53::RecordSet`: the record's name as a template writes it, without the root's final dot. */
const recordSet: Normaliser = (value) => value.replace(/\.$/, "");

/** `AWS::EKS::Nodegroup`: `<cluster>/<nodegroup>`. */
const eksNodegroup: Normaliser = (value, record) => {
  const fromArn = idFromArn("AWS::EKS::Nodegroup", value);
  if (fromArn !== undefined || value.includes("/")) return fromArn ?? value;
  const cluster = requestValue(record, "clusterName");
  return cluster === undefined ? "" : `${cluster}/${value}`;
};

/** `AWS::WAFv2::WebACL`: `<name>|<id>|<scope>`, from its ARN or the request's name, id and scope. */
const webAcl: Normaliser = (value, record) =>
  idFromArn("AWS::WAFv2::WebACL", value) ??
  joined(value, requestValue(record, "id"), requestValue(record, "scope")?.toUpperCase());

/** `AWS::AccessAnalyzer::Analyzer`: its ARN, built from the name with the record's region and account. */
const accessAnalyzer: Normaliser = (value, record) => {
  if (parseArn(value) !== undefined) return value;
  const { region, account, partition } = placeOf(record);
  if (region === undefined || account === undefined || partition === undefined) return value;
  return `arn:${partition}:access-analyzer:${region}:${account}:analyzer/${value}`;
};

const lowercase =
  (type: ResourceType): Normaliser =>
  (value) =>
    (idFromArn(type, value) ?? value).toLowerCase();

const NORMALISERS: Readonly<Partial<Record<ResourceType, Normaliser>>> = {
  "AWS::AccessAnalyzer::Analyzer": accessAnalyzer,
  "AWS::ApplicationAutoScaling::ScalableTarget": scalableTarget,
  "AWS::EC2::Route": ec2Route,
  "AWS::EC2::VPCGatewayAttachment": gatewayAttachment,
  "AWS::EKS::Nodegroup": eksNodegroup,
  "AWS::ECS::Service": ecsService,
  "AWS::ECS::TaskDefinition": ecsTaskDefinition,
  "AWS::ElastiCache::CacheCluster": lowercase("AWS::ElastiCache::CacheCluster"),
  "AWS::ElastiCache::ParameterGroup": lowercase("AWS::ElastiCache::ParameterGroup"),
  "AWS::ElastiCache::ReplicationGroup": lowercase("AWS::ElastiCache::ReplicationGroup"),
  "AWS::ElastiCache::SubnetGroup": lowercase("AWS::ElastiCache::SubnetGroup"),
  "AWS::Events::Rule": eventsRule,
  "AWS::Lambda::Alias": lambdaAlias,
  "AWS::Lambda::Function": lambdaFunctionName,
  "AWS::RDS::DBCluster": lowercase("AWS::RDS::DBCluster"),
  "AWS::RDS::DBClusterParameterGroup": lowercase("AWS::RDS::DBClusterParameterGroup"),
  "AWS::RDS::DBInstance": lowercase("AWS::RDS::DBInstance"),
  "AWS::RDS::DBParameterGroup": lowercase("AWS::RDS::DBParameterGroup"),
  "AWS::RDS::DBSubnetGroup": lowercase("AWS::RDS::DBSubnetGroup"),
  "AWS::RDS::OptionGroup": lowercase("AWS::RDS::OptionGroup"),
  "AWS::Route53::RecordSet": recordSet,
  "AWS::SQS::Queue": sqsQueue,
  "AWS::WAFv2::WebACL": webAcl,
};

/**
 * Turns whatever a CloudTrail record names a resource by into the physical id CloudFormation stores
 * for `type` (its `Ref` value):
 * - names for Lambda functions (from ARNs, partial ARNs and `name:qualifier`), IAM roles, users,
 *   groups and instance profiles, S3 buckets, DynamoDB tables, Auto Scaling groups, log groups, trails;
 * - lowercase identifiers for RDS and ElastiCache (both store identifiers lowercase);
 * - the key id for KMS keys, the normalised queue URL for SQS;
 * - ARNs for SNS topics, ELBv2 resources, ECS services, managed policies, Secrets Manager secrets
 *   (a bare secret name stays a name) and Lambda aliases (built when given a name).
 *
 * Values it cannot improve on come back trimmed but otherwise unchanged. Pure: reads only `record`.
 */
export function physicalId(type: ResourceType, raw: string, record: CloudTrailRecord): string {
  const value = raw.trim();
  const normalise = own(NORMALISERS, type);
  if (normalise !== undefined) return normalise(value, record);
  return idFromArn(type, value) ?? value;
}
