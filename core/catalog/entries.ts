import type { CatalogEntry, EffectCondition, FieldCondition, ResourceSpec, ResourceType } from "./types.ts";

/** One-line entry builders: `modify("ec2", "AuthorizeSecurityGroupIngress", on(SG, "groupId"))`. */
const on = (type: ResourceSpec["type"], from: string): ResourceSpec => ({ type, from });
const entry =
  (effect: CatalogEntry["effect"]) =>
  (service: string, event: string, ...touches: ResourceSpec[]): CatalogEntry => ({
    service,
    event,
    effect,
    touches,
  });
const modify = entry("modify");
const remove = entry("delete");
const create = entry("create");
const operational = entry("operational");
/**
 * Lambda's and CloudFront's CloudTrail names carry the API version (`UpdateFunctionConfiguration20150331v2`,
 * `UpdateDistribution2020_05_31`): match by prefix.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html
 */
const versioned = (e: CatalogEntry): CatalogEntry => ({ ...e, versioned: true });
/** The entry also changes attachments a template may declare as their own resources (see `alsoChanges`). */
const also = (e: CatalogEntry, ...types: ResourceType[]): CatalogEntry => ({ ...e, alsoChanges: types });
/** The entry's effect holds only for some request values (see `EffectCondition`). */
const only = (e: CatalogEntry, when: EffectCondition): CatalogEntry => ({ ...e, when });
/** A spec that applies only when a request field has one of the values (see `ResourceSpec.when`). */
const onWhen = (type: ResourceSpec["type"], from: string, when: FieldCondition): ResourceSpec => ({
  type,
  from,
  when,
});

// EC2
const SG: ResourceType = "AWS::EC2::SecurityGroup";
const INSTANCE: ResourceType = "AWS::EC2::Instance";
const VOLUME: ResourceType = "AWS::EC2::Volume";
const NACL: ResourceType = "AWS::EC2::NetworkAcl";
const ROUTE_TABLE: ResourceType = "AWS::EC2::RouteTable";
const SUBNET: ResourceType = "AWS::EC2::Subnet";
const VPC: ResourceType = "AWS::EC2::VPC";
const IGW: ResourceType = "AWS::EC2::InternetGateway";
const NAT: ResourceType = "AWS::EC2::NatGateway";
const ENI: ResourceType = "AWS::EC2::NetworkInterface";
const LAUNCH_TEMPLATE: ResourceType = "AWS::EC2::LaunchTemplate";
const FLOW_LOG: ResourceType = "AWS::EC2::FlowLog";
const ROUTE: ResourceType = "AWS::EC2::Route";
const SUBNET_ROUTE_TABLE_ASSOCIATION: ResourceType = "AWS::EC2::SubnetRouteTableAssociation";
const SUBNET_NACL_ASSOCIATION: ResourceType = "AWS::EC2::SubnetNetworkAclAssociation";
const GATEWAY_ATTACHMENT: ResourceType = "AWS::EC2::VPCGatewayAttachment";
const VPN_GATEWAY: ResourceType = "AWS::EC2::VPNGateway";
const EIP: ResourceType = "AWS::EC2::EIP";
const EIP_ASSOCIATION: ResourceType = "AWS::EC2::EIPAssociation";
const ENI_ATTACHMENT: ResourceType = "AWS::EC2::NetworkInterfaceAttachment";
const VPC_ENDPOINT: ResourceType = "AWS::EC2::VPCEndpoint";
const VPC_CIDR_BLOCK: ResourceType = "AWS::EC2::VPCCidrBlock";
const DHCP_OPTIONS: ResourceType = "AWS::EC2::DHCPOptions";
const EGRESS_ONLY_IGW: ResourceType = "AWS::EC2::EgressOnlyInternetGateway";
const TGW_ATTACHMENT: ResourceType = "AWS::EC2::TransitGatewayAttachment";
const KEY_PAIR: ResourceType = "AWS::EC2::KeyPair";
const SG_INGRESS: ResourceType = "AWS::EC2::SecurityGroupIngress";
const SG_EGRESS: ResourceType = "AWS::EC2::SecurityGroupEgress";
const NACL_ENTRY: ResourceType = "AWS::EC2::NetworkAclEntry";
const DHCP_ASSOCIATION: ResourceType = "AWS::EC2::VPCDHCPOptionsAssociation";
// RDS
const DB: ResourceType = "AWS::RDS::DBInstance";
const DB_CLUSTER: ResourceType = "AWS::RDS::DBCluster";
const DB_PARAMS: ResourceType = "AWS::RDS::DBParameterGroup";
const DB_CLUSTER_PARAMS: ResourceType = "AWS::RDS::DBClusterParameterGroup";
const DB_SUBNETS: ResourceType = "AWS::RDS::DBSubnetGroup";
const DB_OPTIONS: ResourceType = "AWS::RDS::OptionGroup";
// S3
const BUCKET: ResourceType = "AWS::S3::Bucket";
// Lambda
const FUNCTION: ResourceType = "AWS::Lambda::Function";
const ALIAS: ResourceType = "AWS::Lambda::Alias";
const EVENT_SOURCE_MAPPING: ResourceType = "AWS::Lambda::EventSourceMapping";
// IAM
const ROLE: ResourceType = "AWS::IAM::Role";
const USER: ResourceType = "AWS::IAM::User";
const GROUP: ResourceType = "AWS::IAM::Group";
const INLINE_POLICY: ResourceType = "AWS::IAM::Policy";
const MANAGED_POLICY: ResourceType = "AWS::IAM::ManagedPolicy";
const INSTANCE_PROFILE: ResourceType = "AWS::IAM::InstanceProfile";
const ACCESS_KEY: ResourceType = "AWS::IAM::AccessKey";
// Auto Scaling
const ASG: ResourceType = "AWS::AutoScaling::AutoScalingGroup";
const LAUNCH_CONFIGURATION: ResourceType = "AWS::AutoScaling::LaunchConfiguration";
const SCALING_POLICY: ResourceType = "AWS::AutoScaling::ScalingPolicy";
const LIFECYCLE_HOOK: ResourceType = "AWS::AutoScaling::LifecycleHook";
// ECS
const ECS_CLUSTER: ResourceType = "AWS::ECS::Cluster";
const ECS_SERVICE: ResourceType = "AWS::ECS::Service";
const TASK_DEFINITION: ResourceType = "AWS::ECS::TaskDefinition";
// DynamoDB, SQS, SNS, KMS
const TABLE: ResourceType = "AWS::DynamoDB::Table";
const QUEUE: ResourceType = "AWS::SQS::Queue";
const TOPIC: ResourceType = "AWS::SNS::Topic";
const SUBSCRIPTION: ResourceType = "AWS::SNS::Subscription";
const KEY: ResourceType = "AWS::KMS::Key";
const KEY_ALIAS: ResourceType = "AWS::KMS::Alias";
// Elastic Load Balancing (v2 and classic share one event source)
const LOAD_BALANCER: ResourceType = "AWS::ElasticLoadBalancingV2::LoadBalancer";
const LISTENER: ResourceType = "AWS::ElasticLoadBalancingV2::Listener";
const LISTENER_RULE: ResourceType = "AWS::ElasticLoadBalancingV2::ListenerRule";
const TARGET_GROUP: ResourceType = "AWS::ElasticLoadBalancingV2::TargetGroup";
const CLASSIC_LB: ResourceType = "AWS::ElasticLoadBalancing::LoadBalancer";
// CloudFront, API Gateway, Secrets Manager, CloudWatch Logs
const DISTRIBUTION: ResourceType = "AWS::CloudFront::Distribution";
const CACHE_POLICY: ResourceType = "AWS::CloudFront::CachePolicy";
const ORIGIN_ACCESS_IDENTITY: ResourceType = "AWS::CloudFront::CloudFrontOriginAccessIdentity";
const REST_API: ResourceType = "AWS::ApiGateway::RestApi";
const STAGE: ResourceType = "AWS::ApiGateway::Stage";
const HTTP_API: ResourceType = "AWS::ApiGatewayV2::Api";
const SECRET: ResourceType = "AWS::SecretsManager::Secret";
const LOG_GROUP: ResourceType = "AWS::Logs::LogGroup";
// ElastiCache, CloudTrail, EventBridge, ECR, EFS
const CACHE_CLUSTER: ResourceType = "AWS::ElastiCache::CacheCluster";
const REPLICATION_GROUP: ResourceType = "AWS::ElastiCache::ReplicationGroup";
const CACHE_PARAMS: ResourceType = "AWS::ElastiCache::ParameterGroup";
const CACHE_SUBNETS: ResourceType = "AWS::ElastiCache::SubnetGroup";
const TRAIL: ResourceType = "AWS::CloudTrail::Trail";
const EVENT_RULE: ResourceType = "AWS::Events::Rule";
const REPOSITORY: ResourceType = "AWS::ECR::Repository";
const FILE_SYSTEM: ResourceType = "AWS::EFS::FileSystem";
const MOUNT_TARGET: ResourceType = "AWS::EFS::MountTarget";
// Attachments a template declares as their own resources, changed through their target's APIs
const BUCKET_POLICY: ResourceType = "AWS::S3::BucketPolicy";
const LAMBDA_PERMISSION: ResourceType = "AWS::Lambda::Permission";
const ROLE_POLICY: ResourceType = "AWS::IAM::RolePolicy";
const USER_POLICY: ResourceType = "AWS::IAM::UserPolicy";
const GROUP_POLICY: ResourceType = "AWS::IAM::GroupPolicy";
const TOPIC_POLICY: ResourceType = "AWS::SNS::TopicPolicy";
const QUEUE_POLICY: ResourceType = "AWS::SQS::QueuePolicy";
const SECRET_POLICY: ResourceType = "AWS::SecretsManager::ResourcePolicy";
const ROTATION_SCHEDULE: ResourceType = "AWS::SecretsManager::RotationSchedule";
const SUBSCRIPTION_FILTER: ResourceType = "AWS::Logs::SubscriptionFilter";
const WARM_POOL: ResourceType = "AWS::AutoScaling::WarmPool";
const SERVICE_LINKED_ROLE: ResourceType = "AWS::IAM::ServiceLinkedRole";
const METRIC_FILTER: ResourceType = "AWS::Logs::MetricFilter";
const QUERY_DEFINITION: ResourceType = "AWS::Logs::QueryDefinition";
const API_RESOURCE: ResourceType = "AWS::ApiGateway::Resource";
const API_METHOD: ResourceType = "AWS::ApiGateway::Method";
const API_AUTHORIZER: ResourceType = "AWS::ApiGateway::Authorizer";
const API_DEPLOYMENT: ResourceType = "AWS::ApiGateway::Deployment";
const ORIGIN_ACCESS_CONTROL: ResourceType = "AWS::CloudFront::OriginAccessControl";
const DB_EVENT_SUBSCRIPTION: ResourceType = "AWS::RDS::EventSubscription";
// CloudWatch, SSM, Route 53, Application Auto Scaling
const ALARM: ResourceType = "AWS::CloudWatch::Alarm";
const COMPOSITE_ALARM: ResourceType = "AWS::CloudWatch::CompositeAlarm";
const DASHBOARD: ResourceType = "AWS::CloudWatch::Dashboard";
const SSM_PARAMETER: ResourceType = "AWS::SSM::Parameter";
const SSM_DOCUMENT: ResourceType = "AWS::SSM::Document";
const SSM_ASSOCIATION: ResourceType = "AWS::SSM::Association";
const MAINTENANCE_WINDOW: ResourceType = "AWS::SSM::MaintenanceWindow";
const MAINTENANCE_WINDOW_TARGET: ResourceType = "AWS::SSM::MaintenanceWindowTarget";
const MAINTENANCE_WINDOW_TASK: ResourceType = "AWS::SSM::MaintenanceWindowTask";
const PATCH_BASELINE: ResourceType = "AWS::SSM::PatchBaseline";
const RESOURCE_DATA_SYNC: ResourceType = "AWS::SSM::ResourceDataSync";
const RECORD_SET: ResourceType = "AWS::Route53::RecordSet";
const RECORD_SET_GROUP: ResourceType = "AWS::Route53::RecordSetGroup";
const HOSTED_ZONE: ResourceType = "AWS::Route53::HostedZone";
const QUERY_LOG_CONFIG: ResourceType = "AWS::Route53Resolver::ResolverQueryLoggingConfig";
const QUERY_LOG_ASSOCIATION: ResourceType = "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation";
const RESOLVER_RULE: ResourceType = "AWS::Route53Resolver::ResolverRule";
const RESOLVER_RULE_ASSOCIATION: ResourceType = "AWS::Route53Resolver::ResolverRuleAssociation";
const SCALABLE_TARGET: ResourceType = "AWS::ApplicationAutoScaling::ScalableTarget";
const TARGET_SCALING_POLICY: ResourceType = "AWS::ApplicationAutoScaling::ScalingPolicy";
// IAM Roles Anywhere, Backup, Config, GuardDuty, Access Analyzer
const RA_PROFILE: ResourceType = "AWS::RolesAnywhere::Profile";
const RA_TRUST_ANCHOR: ResourceType = "AWS::RolesAnywhere::TrustAnchor";
const RA_CRL: ResourceType = "AWS::RolesAnywhere::CRL";
const BACKUP_VAULT: ResourceType = "AWS::Backup::BackupVault";
const BACKUP_PLAN: ResourceType = "AWS::Backup::BackupPlan";
const BACKUP_SELECTION: ResourceType = "AWS::Backup::BackupSelection";
const CONFIG_RULE: ResourceType = "AWS::Config::ConfigRule";
const CONFIG_RECORDER: ResourceType = "AWS::Config::ConfigurationRecorder";
const DELIVERY_CHANNEL: ResourceType = "AWS::Config::DeliveryChannel";
const REMEDIATION: ResourceType = "AWS::Config::RemediationConfiguration";
const DETECTOR: ResourceType = "AWS::GuardDuty::Detector";
const PUBLISHING_DESTINATION: ResourceType = "AWS::GuardDuty::PublishingDestination";
const ANALYZER: ResourceType = "AWS::AccessAnalyzer::Analyzer";
// Developer tools, identity, streaming, brokers, migration, service discovery, WAF, certificates
const BUILD_PROJECT: ResourceType = "AWS::CodeBuild::Project";
const PIPELINE: ResourceType = "AWS::CodePipeline::Pipeline";
const CODECOMMIT_REPOSITORY: ResourceType = "AWS::CodeCommit::Repository";
const USER_POOL: ResourceType = "AWS::Cognito::UserPool";
const USER_POOL_CLIENT: ResourceType = "AWS::Cognito::UserPoolClient";
const USER_POOL_DOMAIN: ResourceType = "AWS::Cognito::UserPoolDomain";
const EKS_CLUSTER: ResourceType = "AWS::EKS::Cluster";
const NODEGROUP: ResourceType = "AWS::EKS::Nodegroup";
const MSK_CLUSTER: ResourceType = "AWS::MSK::Cluster";
const BROKER: ResourceType = "AWS::AmazonMQ::Broker";
const DELIVERY_STREAM: ResourceType = "AWS::KinesisFirehose::DeliveryStream";
const DMS_INSTANCE: ResourceType = "AWS::DMS::ReplicationInstance";
const DMS_ENDPOINT: ResourceType = "AWS::DMS::Endpoint";
const DMS_TASK: ResourceType = "AWS::DMS::ReplicationTask";
const DMS_SUBNET_GROUP: ResourceType = "AWS::DMS::ReplicationSubnetGroup";
const DISCOVERY_SERVICE: ResourceType = "AWS::ServiceDiscovery::Service";
const CLOUD9: ResourceType = "AWS::Cloud9::EnvironmentEC2";
const WEB_ACL: ResourceType = "AWS::WAFv2::WebACL";
const WEB_ACL_ASSOCIATION: ResourceType = "AWS::WAFv2::WebACLAssociation";
const WAF_LOGGING: ResourceType = "AWS::WAFv2::LoggingConfiguration";
const CERTIFICATE: ResourceType = "AWS::CertificateManager::Certificate";
const LOG_STREAM: ResourceType = "AWS::Logs::LogStream";
const SECRET_TARGET_ATTACHMENT: ResourceType = "AWS::SecretsManager::SecretTargetAttachment";
const DIRECTORY: ResourceType = "AWS::DirectoryService::MicrosoftAD";
const RESOURCE_GROUP: ResourceType = "AWS::ResourceGroups::Group";

/**
 * Newer EC2 APIs log a wrapped, PascalCase request (`{"<Action>Request": {...}}`). For launch templates the
 * response names the template by id even when the request used its name, so it comes first.
 */
const launchTemplateVersion = on(
  LAUNCH_TEMPLATE,
  "responseElements.CreateLaunchTemplateVersionResponse.launchTemplateVersion.launchTemplateId|CreateLaunchTemplateVersionRequest.LaunchTemplateId",
);
const launchTemplateModified = on(
  LAUNCH_TEMPLATE,
  "responseElements.ModifyLaunchTemplateResponse.launchTemplate.launchTemplateId|ModifyLaunchTemplateRequest.LaunchTemplateId",
);
const launchTemplateDeleted = on(
  LAUNCH_TEMPLATE,
  "responseElements.DeleteLaunchTemplateResponse.launchTemplate.launchTemplateId|DeleteLaunchTemplateRequest.LaunchTemplateId",
);
const launchTemplateVersionsDeleted = on(
  LAUNCH_TEMPLATE,
  "DeleteLaunchTemplateVersionsRequest.LaunchTemplateId|responseElements.DeleteLaunchTemplateVersionsResponse.successfullyDeletedLaunchTemplateVersionSet[].launchTemplateId",
);
/** `{"DeleteFlowLogsRequest": {"FlowLogId": {"content": "fl-...", "tag": 1}}}`, one object or a list of them. */
const flowLogs = on(FLOW_LOG, "DeleteFlowLogsRequest.FlowLogId[].content|DeleteFlowLogsRequest.FlowLogId[]");
const volumeModified = on(
  VOLUME,
  "ModifyVolumeRequest.VolumeId|responseElements.ModifyVolumeResponse.volumeModification.volumeId",
);
const instanceMetadata = on(INSTANCE, "ModifyInstanceMetadataOptionsRequest.InstanceId|instanceId");
const natGateway = on(NAT, "DeleteNatGatewayRequest.NatGatewayId|natGatewayId");
/** Logged with an abbreviated wrapper name: `{"DelTGwVpcAttachReq": {"TransitGatewayAttachmentId": ...}}`. */
const tgwAttachment = on("ec2-id", "DelTGwVpcAttachReq.TransitGatewayAttachmentId");
const eventSourceMapping = on(EVENT_SOURCE_MAPPING, "uUID|responseElements.uUID");
const taskDefinition = on(
  TASK_DEFINITION,
  "responseElements.taskDefinition.taskDefinitionArn|taskDefinition",
);

// Specs shared by many entries of one service.
const sg = on(SG, "groupId|groupName");
const ec2Tags = on("ec2-id", "resourcesSet.items[].resourceId");
const nacl = on(NACL, "networkAclId");
const routeTable = on(ROUTE_TABLE, "routeTableId");
const volume = on(VOLUME, "volumeId");
const igw = on(IGW, "internetGatewayId");
const db = on(DB, "dBInstanceIdentifier");
const dbCluster = on(DB_CLUSTER, "dBClusterIdentifier");
const rdsArn = on("arn", "resourceName");
/** S3 names the bucket in `bucketName` and, for bucket-level calls, in `resources[]` as well. */
const bucket = on(BUCKET, "bucketName|resources[].ARN");
const fn = on(FUNCTION, "functionName");
const role = on(ROLE, "roleName");
const user = on(USER, "userName");
const group = on(GROUP, "groupName");
/**
 * Inline policies: CloudFormation's `AWS::IAM::Policy`, identified here by its policy name. Stacks that
 * let CloudFormation generate the id will not match; the role, user or group is touched as well.
 */
const inlinePolicy = on(INLINE_POLICY, "policyName");
/** Customer-managed policies only: AWS-managed ARNs resolve to nothing. */
const attachedPolicy = on("arn", "policyArn");
const managedPolicy = on(MANAGED_POLICY, "policyArn");
const instanceProfile = on(INSTANCE_PROFILE, "instanceProfileName");
const asg = on(ASG, "autoScalingGroupName");
const asgTags = on(ASG, "tags[].resourceId");
const ecsCluster = on(ECS_CLUSTER, "cluster");
/** The response's ARN is exactly what CloudFormation stored (old and new ARN formats alike). */
const ecsService = on(ECS_SERVICE, "responseElements.service.serviceArn|service");
const table = on(TABLE, "tableName|responseElements.tableDescription.tableName");
const queue = on(QUEUE, "queueUrl");
const topic = on(TOPIC, "topicArn");
const subscription = on(SUBSCRIPTION, "subscriptionArn");
/** KMS fills `resources[]` with the key ARN even when `keyId` is an alias or a bare id. */
const key = on(KEY, "resources[].ARN|keyId");
const keyAlias = on(KEY_ALIAS, "aliasName");
const loadBalancer = on(LOAD_BALANCER, "loadBalancerArn");
const classicLb = on(CLASSIC_LB, "loadBalancerName");
const classicLbs = on(CLASSIC_LB, "loadBalancerNames[]");
const listener = on(LISTENER, "listenerArn");
const targetGroup = on(TARGET_GROUP, "targetGroupArn");
const distribution = on(DISTRIBUTION, "id");
const restApi = on(REST_API, "restApiId");
const stage = on(STAGE, "stageName");
const secret = on(SECRET, "responseElements.arn|secretId");
const logGroup = on(LOG_GROUP, "logGroupName|logGroupIdentifier");
const cacheCluster = on(CACHE_CLUSTER, "cacheClusterId");
const replicationGroup = on(REPLICATION_GROUP, "replicationGroupId");
const cacheParams = on(CACHE_PARAMS, "cacheParameterGroupName");
const cacheSubnets = on(CACHE_SUBNETS, "cacheSubnetGroupName");
const trail = on(TRAIL, "name");
const trailSelectors = on(TRAIL, "trailName|responseElements.trailARN");
const eventRule = on(EVENT_RULE, "name");
const eventRuleTargets = on(EVENT_RULE, "rule");
const repository = on(REPOSITORY, "repositoryName");
const fileSystem = on(FILE_SYSTEM, "fileSystemId");
const mountTarget = on(MOUNT_TARGET, "mountTargetId");
/** The value is an ARN: type and id derive from it. */
const byArn = (from: string) => on("arn", from);
/** A route: `<route table>|<destination>`, built from the request (see physical-id.ts). */
const route = on(ROUTE, "routeTableId");
/** A VPC's gateway attachment: `IGW|<vpc>` or `VPN|<vpc>`, by the gateway the request names. */
const gatewayAttachment = on(GATEWAY_ATTACHMENT, "vpcId");
/** An Elastic IP: the public IP CloudFormation stores when the record has it, else its allocation id. */
const eip = on(EIP, "publicIp|allocationId");
const vpnGateway = on(VPN_GATEWAY, "vpnGatewayId");
/**
 * The rules a revoke removed, as the response lists them (any request form), else the ids requested:
 * each may be a rule the template declares as its own `SecurityGroupIngress`/`Egress`.
 */
const revokedRules = (type: ResourceType) =>
  on(
    type,
    "responseElements.revokedSecurityGroupRuleSet.items[].securityGroupRuleId|securityGroupRuleIds.items[].securityGroupRuleId",
  );
/** The instance an IAM instance profile association belongs to, from the wrapped response. */
const profileAssociationInstance = (response: string) =>
  on(
    INSTANCE,
    `responseElements.${response}.iamInstanceProfileAssociation.instanceId|responseElements.iamInstanceProfileAssociation.instanceId`,
  );
const alarms = on(ALARM, "alarmNames[]");
const ssmParameter = on(SSM_PARAMETER, "name");
const ssmDocument = on(SSM_DOCUMENT, "name");
const maintenanceWindow = on(MAINTENANCE_WINDOW, "windowId");
/** SSM's tagging APIs name the resource by `resourceId` and its kind by `resourceType`. */
const ssmTagged = [
  onWhen(SSM_PARAMETER, "resourceId", { field: "resourceType", is: ["Parameter"] }),
  onWhen(SSM_DOCUMENT, "resourceId", { field: "resourceType", is: ["Document"] }),
  onWhen(MAINTENANCE_WINDOW, "resourceId", { field: "resourceType", is: ["MaintenanceWindow"] }),
  onWhen(PATCH_BASELINE, "resourceId", { field: "resourceType", is: ["PatchBaseline"] }),
];
/** Tags on managed instances, OpsItems and the like change nothing a template declares. */
const ssmTaggable: EffectCondition = {
  field: "resourceType",
  is: ["Parameter", "Document", "MaintenanceWindow", "PatchBaseline"],
  otherwise: "operational",
};
const scalableTarget = on(SCALABLE_TARGET, "resourceId");
const raProfile = on(RA_PROFILE, "profileId");
const raTrustAnchor = on(RA_TRUST_ANCHOR, "trustAnchorId");
const raCrl = on(RA_CRL, "crlId");
const backupVault = on(BACKUP_VAULT, "backupVaultName");
const backupPlan = on(BACKUP_PLAN, "backupPlanId");
const userPool = on(USER_POOL, "userPoolId");
const eksCluster = on(EKS_CLUSTER, "name");
const nodegroup = on(NODEGROUP, "nodegroupName");
const mskCluster = on(MSK_CLUSTER, "clusterArn");
const deliveryStream = on(DELIVERY_STREAM, "deliveryStreamName");
const detector = on(DETECTOR, "detectorId");
const analyzer = on(ANALYZER, "analyzerName|analyzerArn");
const webAcl = on(WEB_ACL, "name");
const certificate = on(CERTIFICATE, "certificateArn");
const resourceGroup = on(RESOURCE_GROUP, "group|groupName");
const elbTagged = byArn("resourceArns[]");

/**
 * The write-API catalog. Keep entries grouped by service and sorted by event within a group.
 *
 * Paths use the names CloudTrail logs (the API's parameter names in lowerCamelCase, EC2's Query-API
 * names). Every modify/delete entry is proven against a corpus record or a fixture in
 * `test/catalog/entries.test.ts`.
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */
export const CATALOG: readonly CatalogEntry[] = [
  // EC2 (Query API: lowerCamelCase, `{items: [...]}` lists; newer APIs wrap a PascalCase `<Action>Request`)
  create("ec2", "AllocateAddress"),
  modify("ec2", "AssociateAddress", eip, on(INSTANCE, "instanceId"), on(ENI, "networkInterfaceId")),
  also(
    modify("ec2", "AssociateDhcpOptions", on(VPC, "vpcId"), on("ec2-id", "dhcpOptionsId")),
    DHCP_ASSOCIATION,
  ),
  modify(
    "ec2",
    "AssociateIamInstanceProfile",
    on(INSTANCE, "AssociateIamInstanceProfileRequest.InstanceId|instanceId"),
  ),
  modify(
    "ec2",
    "AssociateRouteTable",
    routeTable,
    on(SUBNET_ROUTE_TABLE_ASSOCIATION, "responseElements.associationId"),
  ),
  modify("ec2", "AssociateVpcCidrBlock", on(VPC, "vpcId")),
  modify("ec2", "AttachInternetGateway", igw, gatewayAttachment),
  modify("ec2", "AttachNetworkInterface", on(ENI, "networkInterfaceId"), on(INSTANCE, "instanceId")),
  modify("ec2", "AttachVolume", volume, on(INSTANCE, "instanceId")),
  modify("ec2", "AttachVpnGateway", vpnGateway, gatewayAttachment),
  also(modify("ec2", "AuthorizeSecurityGroupEgress", sg), SG_EGRESS),
  also(modify("ec2", "AuthorizeSecurityGroupIngress", sg), SG_INGRESS),
  create("ec2", "CreateDhcpOptions"),
  create("ec2", "CreateEgressOnlyInternetGateway"),
  create("ec2", "CreateFlowLogs"),
  create("ec2", "CreateInternetGateway"),
  create("ec2", "CreateKeyPair"),
  create("ec2", "CreateLaunchTemplate"),
  modify("ec2", "CreateLaunchTemplateVersion", launchTemplateVersion),
  create("ec2", "CreateNatGateway"),
  create("ec2", "CreateNetworkAcl"),
  also(modify("ec2", "CreateNetworkAclEntry", nacl), NACL_ENTRY),
  create("ec2", "CreateNetworkInterface"),
  modify("ec2", "CreateRoute", routeTable, route),
  create("ec2", "CreateRouteTable"),
  create("ec2", "CreateSecurityGroup"),
  create("ec2", "CreateSubnet"),
  modify("ec2", "CreateTags", ec2Tags),
  create("ec2", "CreateVolume"),
  create("ec2", "CreateVpc"),
  create("ec2", "CreateVpcEndpoint"),
  remove("ec2", "DeleteDhcpOptions", on(DHCP_OPTIONS, "dhcpOptionsId")),
  remove(
    "ec2",
    "DeleteEgressOnlyInternetGateway",
    on(
      EGRESS_ONLY_IGW,
      "DeleteEgressOnlyInternetGatewayRequest.EgressOnlyInternetGatewayId|egressOnlyInternetGatewayId",
    ),
  ),
  remove("ec2", "DeleteFlowLogs", flowLogs),
  remove("ec2", "DeleteInternetGateway", igw),
  remove("ec2", "DeleteKeyPair", on(KEY_PAIR, "keyName")),
  remove("ec2", "DeleteLaunchTemplate", launchTemplateDeleted),
  modify("ec2", "DeleteLaunchTemplateVersions", launchTemplateVersionsDeleted),
  remove("ec2", "DeleteNatGateway", natGateway),
  remove("ec2", "DeleteNetworkAcl", nacl),
  also(modify("ec2", "DeleteNetworkAclEntry", nacl), NACL_ENTRY),
  remove("ec2", "DeleteNetworkInterface", on(ENI, "networkInterfaceId")),
  modify("ec2", "DeleteRoute", routeTable, route),
  remove("ec2", "DeleteRouteTable", routeTable),
  remove("ec2", "DeleteSecurityGroup", sg),
  remove("ec2", "DeleteSubnet", on(SUBNET, "subnetId")),
  modify("ec2", "DeleteTags", ec2Tags),
  remove("ec2", "DeleteTransitGatewayVpcAttachment", tgwAttachment),
  remove("ec2", "DeleteVolume", volume),
  remove("ec2", "DeleteVpc", on(VPC, "vpcId")),
  remove(
    "ec2",
    "DeleteVpcEndpoints",
    on(
      VPC_ENDPOINT,
      "DeleteVpcEndpointsRequest.VpcEndpointId[].content|DeleteVpcEndpointsRequest.VpcEndpointId[]",
    ),
  ),
  modify("ec2", "DetachInternetGateway", igw, gatewayAttachment),
  remove("ec2", "DetachNetworkInterface", on(ENI_ATTACHMENT, "attachmentId")),
  modify("ec2", "DetachVolume", volume, on(INSTANCE, "instanceId")),
  modify("ec2", "DetachVpnGateway", vpnGateway, gatewayAttachment),
  modify("ec2", "DisassociateAddress", on(EIP_ASSOCIATION, "associationId"), on(EIP, "publicIp")),
  modify(
    "ec2",
    "DisassociateIamInstanceProfile",
    profileAssociationInstance("DisassociateIamInstanceProfileResponse"),
  ),
  remove("ec2", "DisassociateRouteTable", on(SUBNET_ROUTE_TABLE_ASSOCIATION, "associationId")),
  remove(
    "ec2",
    "DisassociateVpcCidrBlock",
    on(VPC_CIDR_BLOCK, "associationId"),
    on(VPC, "responseElements.vpcId"),
  ),
  create("ec2", "ImportKeyPair"),
  modify("ec2", "ModifyInstanceAttribute", on(INSTANCE, "instanceId")),
  modify(
    "ec2",
    "ModifyInstanceCreditSpecification",
    on(INSTANCE, "ModifyInstanceCreditSpecificationRequest.InstanceCreditSpecification[].InstanceId"),
  ),
  modify("ec2", "ModifyInstanceMetadataOptions", instanceMetadata),
  modify("ec2", "ModifyLaunchTemplate", launchTemplateModified),
  modify("ec2", "ModifyNetworkInterfaceAttribute", on(ENI, "networkInterfaceId")),
  also(
    modify("ec2", "ModifySecurityGroupRules", on(SG, "ModifySecurityGroupRulesRequest.GroupId")),
    SG_INGRESS,
    SG_EGRESS,
  ),
  modify("ec2", "ModifySubnetAttribute", on(SUBNET, "subnetId")),
  modify(
    "ec2",
    "ModifyTransitGatewayVpcAttachment",
    on(TGW_ATTACHMENT, "ModifyTransitGatewayVpcAttachmentRequest.TransitGatewayAttachmentId"),
  ),
  modify("ec2", "ModifyVolume", volumeModified),
  modify("ec2", "ModifyVolumeAttribute", volume),
  modify("ec2", "ModifyVpcAttribute", on(VPC, "vpcId")),
  modify("ec2", "ModifyVpcEndpoint", on(VPC_ENDPOINT, "ModifyVpcEndpointRequest.VpcEndpointId")),
  modify("ec2", "MonitorInstances", on(INSTANCE, "instancesSet.items[].instanceId")),
  operational("ec2", "RebootInstances"),
  remove("ec2", "ReleaseAddress", eip),
  modify(
    "ec2",
    "ReplaceIamInstanceProfileAssociation",
    profileAssociationInstance("ReplaceIamInstanceProfileAssociationResponse"),
  ),
  modify("ec2", "ReplaceNetworkAclAssociation", nacl, on(SUBNET_NACL_ASSOCIATION, "associationId")),
  also(modify("ec2", "ReplaceNetworkAclEntry", nacl), NACL_ENTRY),
  modify("ec2", "ReplaceRoute", routeTable, route),
  modify(
    "ec2",
    "ReplaceRouteTableAssociation",
    routeTable,
    on(SUBNET_ROUTE_TABLE_ASSOCIATION, "associationId"),
  ),
  modify("ec2", "RevokeSecurityGroupEgress", sg, revokedRules(SG_EGRESS)),
  modify("ec2", "RevokeSecurityGroupIngress", sg, revokedRules(SG_INGRESS)),
  create("ec2", "RunInstances"),
  operational("ec2", "StartInstances"),
  operational("ec2", "StopInstances"),
  remove("ec2", "TerminateInstances", on(INSTANCE, "instancesSet.items[].instanceId")),
  modify("ec2", "UnmonitorInstances", on(INSTANCE, "instancesSet.items[].instanceId")),
  also(modify("ec2", "UpdateSecurityGroupRuleDescriptionsEgress", sg), SG_EGRESS),
  also(modify("ec2", "UpdateSecurityGroupRuleDescriptionsIngress", sg), SG_INGRESS),
  // RDS (note the `dB` casing CloudTrail uses)
  modify("rds", "AddRoleToDBCluster", dbCluster),
  modify("rds", "AddRoleToDBInstance", db),
  modify("rds", "AddSourceIdentifierToSubscription", on(DB_EVENT_SUBSCRIPTION, "subscriptionName")),
  modify("rds", "AddTagsToResource", rdsArn),
  create("rds", "CreateDBCluster"),
  create("rds", "CreateDBClusterParameterGroup"),
  create("rds", "CreateDBInstance"),
  create("rds", "CreateDBParameterGroup"),
  create("rds", "CreateDBSubnetGroup"),
  create("rds", "CreateEventSubscription"),
  remove("rds", "DeleteDBCluster", dbCluster),
  remove("rds", "DeleteDBClusterParameterGroup", on(DB_CLUSTER_PARAMS, "dBClusterParameterGroupName")),
  remove("rds", "DeleteDBInstance", db),
  remove("rds", "DeleteDBParameterGroup", on(DB_PARAMS, "dBParameterGroupName")),
  remove("rds", "DeleteDBSubnetGroup", on(DB_SUBNETS, "dBSubnetGroupName")),
  remove("rds", "DeleteEventSubscription", on(DB_EVENT_SUBSCRIPTION, "subscriptionName")),
  operational("rds", "FailoverDBCluster"),
  modify("rds", "ModifyDBCluster", dbCluster),
  modify("rds", "ModifyDBClusterParameterGroup", on(DB_CLUSTER_PARAMS, "dBClusterParameterGroupName")),
  modify("rds", "ModifyDBInstance", db),
  modify("rds", "ModifyDBParameterGroup", on(DB_PARAMS, "dBParameterGroupName")),
  modify("rds", "ModifyDBSubnetGroup", on(DB_SUBNETS, "dBSubnetGroupName")),
  modify("rds", "ModifyEventSubscription", on(DB_EVENT_SUBSCRIPTION, "subscriptionName")),
  modify("rds", "ModifyOptionGroup", on(DB_OPTIONS, "optionGroupName")),
  operational("rds", "RebootDBCluster"),
  operational("rds", "RebootDBInstance"),
  modify("rds", "RemoveRoleFromDBCluster", dbCluster),
  modify("rds", "RemoveRoleFromDBInstance", db),
  modify("rds", "RemoveSourceIdentifierFromSubscription", on(DB_EVENT_SUBSCRIPTION, "subscriptionName")),
  modify("rds", "RemoveTagsFromResource", rdsArn),
  modify("rds", "ResetDBClusterParameterGroup", on(DB_CLUSTER_PARAMS, "dBClusterParameterGroupName")),
  modify("rds", "ResetDBParameterGroup", on(DB_PARAMS, "dBParameterGroupName")),
  operational("rds", "StartDBCluster"),
  operational("rds", "StartDBInstance"),
  operational("rds", "StopDBCluster"),
  operational("rds", "StopDBInstance"),
  // S3 (bucket-level management events; object-level data events are not configuration)
  create("s3", "CreateBucket"),
  remove("s3", "DeleteBucket", bucket),
  modify("s3", "DeleteBucketAnalyticsConfiguration", bucket),
  modify("s3", "DeleteBucketCors", bucket),
  modify("s3", "DeleteBucketEncryption", bucket),
  modify("s3", "DeleteBucketIntelligentTieringConfiguration", bucket),
  modify("s3", "DeleteBucketInventoryConfiguration", bucket),
  modify("s3", "DeleteBucketLifecycle", bucket),
  modify("s3", "DeleteBucketMetricsConfiguration", bucket),
  modify("s3", "DeleteBucketOwnershipControls", bucket),
  also(modify("s3", "DeleteBucketPolicy", bucket), BUCKET_POLICY),
  modify("s3", "DeleteBucketPublicAccessBlock", bucket),
  modify("s3", "DeleteBucketReplication", bucket),
  modify("s3", "DeleteBucketTagging", bucket),
  modify("s3", "DeleteBucketWebsite", bucket),
  modify("s3", "PutBucketAccelerateConfiguration", bucket),
  modify("s3", "PutBucketAcl", bucket),
  modify("s3", "PutBucketAnalyticsConfiguration", bucket),
  modify("s3", "PutBucketCors", bucket),
  modify("s3", "PutBucketEncryption", bucket),
  modify("s3", "PutBucketIntelligentTieringConfiguration", bucket),
  modify("s3", "PutBucketInventoryConfiguration", bucket),
  modify("s3", "PutBucketLifecycle", bucket),
  modify("s3", "PutBucketLifecycleConfiguration", bucket),
  modify("s3", "PutBucketLogging", bucket),
  modify("s3", "PutBucketMetricsConfiguration", bucket),
  modify("s3", "PutBucketNotification", bucket),
  modify("s3", "PutBucketOwnershipControls", bucket),
  also(modify("s3", "PutBucketPolicy", bucket), BUCKET_POLICY),
  modify("s3", "PutBucketPublicAccessBlock", bucket),
  modify("s3", "PutBucketReplication", bucket),
  modify("s3", "PutBucketRequestPayment", bucket),
  modify("s3", "PutBucketTagging", bucket),
  modify("s3", "PutBucketVersioning", bucket),
  modify("s3", "PutBucketWebsite", bucket),
  modify("s3", "PutObjectLockConfiguration", bucket),
  // Lambda (every CloudTrail name may carry a version suffix)
  also(versioned(modify("lambda", "AddPermission", fn)), LAMBDA_PERMISSION),
  versioned(create("lambda", "CreateAlias")),
  versioned(create("lambda", "CreateEventSourceMapping")),
  versioned(create("lambda", "CreateFunction")),
  versioned(create("lambda", "CreateFunctionUrlConfig")),
  versioned(remove("lambda", "DeleteAlias", on(ALIAS, "name"))),
  versioned(remove("lambda", "DeleteEventSourceMapping", eventSourceMapping)),
  versioned(remove("lambda", "DeleteFunction", fn)),
  versioned(modify("lambda", "DeleteFunctionCodeSigningConfig", fn)),
  versioned(modify("lambda", "DeleteFunctionConcurrency", fn)),
  versioned(modify("lambda", "DeleteFunctionEventInvokeConfig", fn)),
  versioned(modify("lambda", "DeleteFunctionUrlConfig", fn)),
  // `qualifier` names the alias (or version) whose `ProvisionedConcurrencyConfig` changed.
  versioned(modify("lambda", "DeleteProvisionedConcurrencyConfig", fn, on(ALIAS, "qualifier"))),
  versioned(create("lambda", "PublishVersion")),
  versioned(modify("lambda", "PutFunctionCodeSigningConfig", fn)),
  versioned(modify("lambda", "PutFunctionConcurrency", fn)),
  versioned(modify("lambda", "PutFunctionEventInvokeConfig", fn)),
  versioned(modify("lambda", "PutProvisionedConcurrencyConfig", fn, on(ALIAS, "qualifier"))),
  versioned(modify("lambda", "PutRuntimeManagementConfig", fn)),
  also(versioned(modify("lambda", "RemovePermission", fn)), LAMBDA_PERMISSION),
  versioned(modify("lambda", "TagResource", byArn("resource"))),
  versioned(modify("lambda", "UntagResource", byArn("resource"))),
  versioned(modify("lambda", "UpdateAlias", on(ALIAS, "responseElements.aliasArn|name"))),
  versioned(modify("lambda", "UpdateEventSourceMapping", eventSourceMapping)),
  versioned(modify("lambda", "UpdateFunctionCode", fn)),
  versioned(modify("lambda", "UpdateFunctionConfiguration", fn)),
  versioned(modify("lambda", "UpdateFunctionEventInvokeConfig", fn)),
  versioned(modify("lambda", "UpdateFunctionUrlConfig", fn)),
  // IAM (global: events arrive in us-east-1)
  modify("iam", "AddRoleToInstanceProfile", instanceProfile),
  modify("iam", "AddUserToGroup", user, group),
  modify("iam", "AttachGroupPolicy", group, attachedPolicy),
  modify("iam", "AttachRolePolicy", role, attachedPolicy),
  modify("iam", "AttachUserPolicy", user, attachedPolicy),
  create("iam", "CreateAccessKey"),
  create("iam", "CreateGroup"),
  create("iam", "CreateInstanceProfile"),
  modify("iam", "CreateLoginProfile", user),
  create("iam", "CreatePolicy"),
  modify("iam", "CreatePolicyVersion", managedPolicy),
  create("iam", "CreateRole"),
  create("iam", "CreateServiceLinkedRole"),
  create("iam", "CreateUser"),
  remove("iam", "DeleteAccessKey", on(ACCESS_KEY, "accessKeyId")),
  remove("iam", "DeleteGroup", group),
  also(modify("iam", "DeleteGroupPolicy", group, inlinePolicy), GROUP_POLICY),
  remove("iam", "DeleteInstanceProfile", instanceProfile),
  modify("iam", "DeleteLoginProfile", user),
  remove("iam", "DeletePolicy", managedPolicy),
  modify("iam", "DeletePolicyVersion", managedPolicy),
  remove("iam", "DeleteRole", role),
  modify("iam", "DeleteRolePermissionsBoundary", role),
  also(modify("iam", "DeleteRolePolicy", role, inlinePolicy), ROLE_POLICY),
  remove("iam", "DeleteServiceLinkedRole", on(SERVICE_LINKED_ROLE, "roleName")),
  remove("iam", "DeleteUser", user),
  modify("iam", "DeleteUserPermissionsBoundary", user),
  also(modify("iam", "DeleteUserPolicy", user, inlinePolicy), USER_POLICY),
  modify("iam", "DetachGroupPolicy", group, attachedPolicy),
  modify("iam", "DetachRolePolicy", role, attachedPolicy),
  modify("iam", "DetachUserPolicy", user, attachedPolicy),
  also(modify("iam", "PutGroupPolicy", group, inlinePolicy), GROUP_POLICY),
  modify("iam", "PutRolePermissionsBoundary", role),
  also(modify("iam", "PutRolePolicy", role, inlinePolicy), ROLE_POLICY),
  modify("iam", "PutUserPermissionsBoundary", user),
  also(modify("iam", "PutUserPolicy", user, inlinePolicy), USER_POLICY),
  modify("iam", "RemoveRoleFromInstanceProfile", instanceProfile),
  modify("iam", "RemoveUserFromGroup", user, group),
  modify("iam", "SetDefaultPolicyVersion", managedPolicy),
  modify("iam", "TagPolicy", managedPolicy),
  modify("iam", "TagRole", role),
  modify("iam", "TagUser", user),
  modify("iam", "UntagPolicy", managedPolicy),
  modify("iam", "UntagRole", role),
  modify("iam", "UntagUser", user),
  modify("iam", "UpdateAccessKey", on(ACCESS_KEY, "accessKeyId")),
  modify("iam", "UpdateAssumeRolePolicy", role),
  modify("iam", "UpdateGroup", group),
  modify("iam", "UpdateLoginProfile", user),
  modify("iam", "UpdateRole", role),
  modify("iam", "UpdateRoleDescription", role),
  modify("iam", "UpdateUser", user),
  // Auto Scaling
  modify("autoscaling", "AttachInstances", asg),
  modify("autoscaling", "AttachLoadBalancers", asg),
  modify("autoscaling", "AttachLoadBalancerTargetGroups", asg),
  create("autoscaling", "CreateAutoScalingGroup"),
  create("autoscaling", "CreateLaunchConfiguration"),
  modify("autoscaling", "CreateOrUpdateTags", asgTags),
  remove("autoscaling", "DeleteAutoScalingGroup", asg),
  remove("autoscaling", "DeleteLaunchConfiguration", on(LAUNCH_CONFIGURATION, "launchConfigurationName")),
  modify("autoscaling", "DeleteLifecycleHook", asg, on(LIFECYCLE_HOOK, "lifecycleHookName")),
  modify("autoscaling", "DeleteNotificationConfiguration", asg),
  modify("autoscaling", "DeletePolicy", asg, byArn("policyName")),
  modify("autoscaling", "DeleteScheduledAction", asg),
  modify("autoscaling", "DeleteTags", asgTags),
  also(remove("autoscaling", "DeleteWarmPool", asg), WARM_POOL),
  modify("autoscaling", "DetachInstances", asg),
  modify("autoscaling", "DetachLoadBalancers", asg),
  modify("autoscaling", "DetachLoadBalancerTargetGroups", asg),
  modify("autoscaling", "DisableMetricsCollection", asg),
  modify("autoscaling", "EnableMetricsCollection", asg),
  operational("autoscaling", "EnterStandby"),
  operational("autoscaling", "ExitStandby"),
  modify("autoscaling", "PutLifecycleHook", asg, on(LIFECYCLE_HOOK, "lifecycleHookName")),
  modify("autoscaling", "PutNotificationConfiguration", asg),
  modify("autoscaling", "PutScalingPolicy", asg, on(SCALING_POLICY, "responseElements.policyARN")),
  modify("autoscaling", "PutScheduledUpdateGroupAction", asg),
  also(modify("autoscaling", "PutWarmPool", asg), WARM_POOL),
  modify("autoscaling", "ResumeProcesses", asg),
  modify("autoscaling", "SetDesiredCapacity", asg),
  operational("autoscaling", "SetInstanceHealth"),
  operational("autoscaling", "SetInstanceProtection"),
  operational("autoscaling", "StartInstanceRefresh"),
  modify("autoscaling", "SuspendProcesses", asg),
  operational("autoscaling", "TerminateInstanceInAutoScalingGroup"),
  modify("autoscaling", "UpdateAutoScalingGroup", asg),
  // ECS
  create("ecs", "CreateCluster"),
  create("ecs", "CreateService"),
  remove("ecs", "DeleteCluster", ecsCluster),
  remove("ecs", "DeleteService", ecsService),
  remove("ecs", "DeregisterTaskDefinition", taskDefinition),
  modify("ecs", "PutClusterCapacityProviders", ecsCluster),
  create("ecs", "RegisterTaskDefinition"),
  modify("ecs", "TagResource", byArn("resourceArn")),
  modify("ecs", "UntagResource", byArn("resourceArn")),
  modify("ecs", "UpdateCluster", ecsCluster),
  modify("ecs", "UpdateClusterSettings", ecsCluster),
  modify("ecs", "UpdateService", ecsService),
  // DynamoDB (control plane only: PutItem, UpdateItem and friends change data, not configuration)
  create("dynamodb", "CreateTable"),
  remove("dynamodb", "DeleteTable", table),
  modify("dynamodb", "DisableKinesisStreamingDestination", table),
  modify("dynamodb", "EnableKinesisStreamingDestination", table),
  modify("dynamodb", "TagResource", byArn("resourceArn")),
  modify("dynamodb", "UntagResource", byArn("resourceArn")),
  modify("dynamodb", "UpdateContinuousBackups", table),
  modify("dynamodb", "UpdateContributorInsights", table),
  modify("dynamodb", "UpdateTable", table),
  modify("dynamodb", "UpdateTimeToLive", table),
  // SQS
  also(modify("sqs", "AddPermission", queue), QUEUE_POLICY),
  create("sqs", "CreateQueue"),
  remove("sqs", "DeleteQueue", queue),
  operational("sqs", "PurgeQueue"),
  also(modify("sqs", "RemovePermission", queue), QUEUE_POLICY),
  also(modify("sqs", "SetQueueAttributes", queue), QUEUE_POLICY),
  modify("sqs", "TagQueue", queue),
  modify("sqs", "UntagQueue", queue),
  // SNS
  also(modify("sns", "AddPermission", topic), TOPIC_POLICY),
  create("sns", "CreateTopic"),
  remove("sns", "DeleteTopic", topic),
  modify("sns", "PutDataProtectionPolicy", byArn("resourceArn")),
  also(modify("sns", "RemovePermission", topic), TOPIC_POLICY),
  modify("sns", "SetSubscriptionAttributes", subscription),
  also(modify("sns", "SetTopicAttributes", topic), TOPIC_POLICY),
  create("sns", "Subscribe"),
  modify("sns", "TagResource", byArn("resourceArn")),
  remove("sns", "Unsubscribe", subscription),
  modify("sns", "UntagResource", byArn("resourceArn")),
  // KMS
  modify("kms", "CancelKeyDeletion", key),
  create("kms", "CreateAlias"),
  create("kms", "CreateKey"),
  remove("kms", "DeleteAlias", keyAlias),
  modify("kms", "DisableKey", key),
  modify("kms", "DisableKeyRotation", key),
  modify("kms", "EnableKey", key),
  modify("kms", "EnableKeyRotation", key),
  modify("kms", "PutKeyPolicy", key),
  remove("kms", "ScheduleKeyDeletion", key),
  modify("kms", "TagResource", key),
  modify("kms", "UntagResource", key),
  modify("kms", "UpdateAlias", keyAlias),
  modify("kms", "UpdateKeyDescription", key),
  // Elastic Load Balancing: v2 names resources by ARN, classic by name
  modify("elasticloadbalancing", "AddListenerCertificates", listener),
  modify("elasticloadbalancing", "AddTags", elbTagged, classicLbs),
  modify("elasticloadbalancing", "ApplySecurityGroupsToLoadBalancer", classicLb),
  modify("elasticloadbalancing", "AttachLoadBalancerToSubnets", classicLb),
  modify("elasticloadbalancing", "ConfigureHealthCheck", classicLb),
  create("elasticloadbalancing", "CreateListener"),
  create("elasticloadbalancing", "CreateLoadBalancer"),
  create("elasticloadbalancing", "CreateLoadBalancerListeners"),
  modify("elasticloadbalancing", "CreateLoadBalancerPolicy", classicLb),
  create("elasticloadbalancing", "CreateRule"),
  create("elasticloadbalancing", "CreateTargetGroup"),
  remove("elasticloadbalancing", "DeleteListener", listener),
  remove("elasticloadbalancing", "DeleteLoadBalancer", loadBalancer, classicLb),
  modify("elasticloadbalancing", "DeleteLoadBalancerListeners", classicLb),
  modify("elasticloadbalancing", "DeleteLoadBalancerPolicy", classicLb),
  remove("elasticloadbalancing", "DeleteRule", on(LISTENER_RULE, "ruleArn")),
  remove("elasticloadbalancing", "DeleteTargetGroup", targetGroup),
  modify("elasticloadbalancing", "DeregisterInstancesFromLoadBalancer", classicLb),
  modify("elasticloadbalancing", "DeregisterTargets", targetGroup),
  modify("elasticloadbalancing", "DetachLoadBalancerFromSubnets", classicLb),
  modify("elasticloadbalancing", "DisableAvailabilityZonesForLoadBalancer", classicLb),
  modify("elasticloadbalancing", "EnableAvailabilityZonesForLoadBalancer", classicLb),
  modify("elasticloadbalancing", "ModifyListener", listener),
  modify("elasticloadbalancing", "ModifyLoadBalancerAttributes", loadBalancer, classicLb),
  modify("elasticloadbalancing", "ModifyRule", on(LISTENER_RULE, "ruleArn")),
  modify("elasticloadbalancing", "ModifyTargetGroup", targetGroup),
  modify("elasticloadbalancing", "ModifyTargetGroupAttributes", targetGroup),
  modify("elasticloadbalancing", "RegisterInstancesWithLoadBalancer", classicLb),
  modify("elasticloadbalancing", "RegisterTargets", targetGroup),
  modify("elasticloadbalancing", "RemoveListenerCertificates", listener),
  modify("elasticloadbalancing", "RemoveTags", elbTagged, classicLbs),
  modify("elasticloadbalancing", "SetIpAddressType", loadBalancer),
  modify("elasticloadbalancing", "SetLoadBalancerListenerSSLCertificate", classicLb),
  modify("elasticloadbalancing", "SetLoadBalancerPoliciesForBackendServer", classicLb),
  modify("elasticloadbalancing", "SetLoadBalancerPoliciesOfListener", classicLb),
  modify("elasticloadbalancing", "SetRulePriorities", on(LISTENER_RULE, "rulePriorities[].ruleArn")),
  modify("elasticloadbalancing", "SetSecurityGroups", loadBalancer),
  modify("elasticloadbalancing", "SetSubnets", loadBalancer),
  // CloudFront (names may carry the API version: `UpdateDistribution2020_05_31`)
  versioned(create("cloudfront", "CreateDistribution")),
  versioned(remove("cloudfront", "DeleteCachePolicy", on(CACHE_POLICY, "id"))),
  versioned(remove("cloudfront", "DeleteCloudFrontOriginAccessIdentity", on(ORIGIN_ACCESS_IDENTITY, "id"))),
  versioned(remove("cloudfront", "DeleteDistribution", distribution)),
  versioned(remove("cloudfront", "DeleteOriginAccessControl", on(ORIGIN_ACCESS_CONTROL, "id"))),
  versioned(modify("cloudfront", "TagResource", byArn("resource"))),
  versioned(modify("cloudfront", "UntagResource", byArn("resource"))),
  versioned(modify("cloudfront", "UpdateCachePolicy", on(CACHE_POLICY, "id"))),
  versioned(modify("cloudfront", "UpdateCloudFrontOriginAccessIdentity", on(ORIGIN_ACCESS_IDENTITY, "id"))),
  versioned(modify("cloudfront", "UpdateDistribution", distribution)),
  versioned(modify("cloudfront", "UpdateOriginAccessControl", on(ORIGIN_ACCESS_CONTROL, "id"))),
  // API Gateway (REST APIs; HTTP/WebSocket APIs share the event source)
  create("apigateway", "CreateDeployment"),
  create("apigateway", "CreateRestApi"),
  create("apigateway", "CreateStage"),
  remove("apigateway", "DeleteApi", on(HTTP_API, "apiId")),
  remove("apigateway", "DeleteAuthorizer", on(API_AUTHORIZER, "authorizerId")),
  remove("apigateway", "DeleteDeployment", on(API_DEPLOYMENT, "deploymentId")),
  also(modify("apigateway", "DeleteIntegration", restApi), API_METHOD),
  also(modify("apigateway", "DeleteMethod", restApi), API_METHOD),
  remove("apigateway", "DeleteResource", restApi, on(API_RESOURCE, "resourceId")),
  remove("apigateway", "DeleteRestApi", restApi),
  remove("apigateway", "DeleteStage", stage),
  also(modify("apigateway", "PutMethod", restApi), API_METHOD),
  modify("apigateway", "TagResource", byArn("resourceArn")),
  modify("apigateway", "UntagResource", byArn("resourceArn")),
  modify("apigateway", "UpdateApi", on(HTTP_API, "apiId")),
  modify("apigateway", "UpdateAuthorizer", on(API_AUTHORIZER, "authorizerId")),
  modify("apigateway", "UpdateDeployment", on(API_DEPLOYMENT, "deploymentId")),
  also(modify("apigateway", "UpdateIntegration", restApi), API_METHOD),
  also(modify("apigateway", "UpdateMethod", restApi), API_METHOD),
  modify("apigateway", "UpdateResource", restApi, on(API_RESOURCE, "resourceId")),
  modify("apigateway", "UpdateRestApi", restApi),
  modify("apigateway", "UpdateStage", stage),
  // Secrets Manager (the response's ARN is the full one CloudFormation stores)
  also(modify("secretsmanager", "CancelRotateSecret", secret), ROTATION_SCHEDULE),
  create("secretsmanager", "CreateSecret"),
  also(modify("secretsmanager", "DeleteResourcePolicy", secret), SECRET_POLICY),
  remove("secretsmanager", "DeleteSecret", secret),
  also(modify("secretsmanager", "PutResourcePolicy", secret), SECRET_POLICY),
  also(modify("secretsmanager", "PutSecretValue", secret), SECRET_TARGET_ATTACHMENT),
  modify("secretsmanager", "RemoveRegionsFromReplication", secret),
  modify("secretsmanager", "ReplicateSecretToRegions", secret),
  modify("secretsmanager", "RestoreSecret", secret),
  also(modify("secretsmanager", "RotateSecret", secret), ROTATION_SCHEDULE),
  modify("secretsmanager", "TagResource", secret),
  modify("secretsmanager", "UntagResource", secret),
  also(modify("secretsmanager", "UpdateSecret", secret), SECRET_TARGET_ATTACHMENT),
  modify("secretsmanager", "UpdateSecretVersionStage", secret),
  // CloudWatch Logs
  modify("logs", "AssociateKmsKey", logGroup),
  create("logs", "CreateLogGroup"),
  remove("logs", "DeleteLogGroup", logGroup),
  remove("logs", "DeleteLogStream", logGroup, on(LOG_STREAM, "logStreamName")),
  modify("logs", "DeleteMetricFilter", logGroup, on(METRIC_FILTER, "filterName")),
  remove("logs", "DeleteQueryDefinition", on(QUERY_DEFINITION, "queryDefinitionId")),
  modify("logs", "DeleteRetentionPolicy", logGroup),
  also(modify("logs", "DeleteSubscriptionFilter", logGroup), SUBSCRIPTION_FILTER),
  modify("logs", "DisassociateKmsKey", logGroup),
  modify("logs", "PutDataProtectionPolicy", logGroup),
  modify("logs", "PutMetricFilter", logGroup, on(METRIC_FILTER, "filterName")),
  modify("logs", "PutQueryDefinition", on(QUERY_DEFINITION, "queryDefinitionId")),
  modify("logs", "PutRetentionPolicy", logGroup),
  also(modify("logs", "PutSubscriptionFilter", logGroup), SUBSCRIPTION_FILTER),
  modify("logs", "TagLogGroup", logGroup),
  modify("logs", "TagResource", byArn("resourceArn")),
  modify("logs", "UntagLogGroup", logGroup),
  modify("logs", "UntagResource", byArn("resourceArn")),
  // ElastiCache
  modify("elasticache", "AddTagsToResource", byArn("resourceName")),
  create("elasticache", "CreateCacheCluster"),
  create("elasticache", "CreateCacheParameterGroup"),
  create("elasticache", "CreateCacheSubnetGroup"),
  create("elasticache", "CreateReplicationGroup"),
  modify("elasticache", "DecreaseReplicaCount", replicationGroup),
  remove("elasticache", "DeleteCacheCluster", cacheCluster),
  remove("elasticache", "DeleteCacheParameterGroup", cacheParams),
  remove("elasticache", "DeleteCacheSubnetGroup", cacheSubnets),
  remove("elasticache", "DeleteReplicationGroup", replicationGroup),
  modify("elasticache", "IncreaseReplicaCount", replicationGroup),
  modify("elasticache", "ModifyCacheCluster", cacheCluster),
  modify("elasticache", "ModifyCacheParameterGroup", cacheParams),
  modify("elasticache", "ModifyCacheSubnetGroup", cacheSubnets),
  modify("elasticache", "ModifyReplicationGroup", replicationGroup),
  modify("elasticache", "ModifyReplicationGroupShardConfiguration", replicationGroup),
  operational("elasticache", "RebootCacheCluster"),
  modify("elasticache", "RemoveTagsFromResource", byArn("resourceName")),
  modify("elasticache", "ResetCacheParameterGroup", cacheParams),
  operational("elasticache", "TestFailover"),
  // CloudTrail (a trail's `IsLogging` is template-declared, so Start/StopLogging are modifications)
  modify("cloudtrail", "AddTags", byArn("resourceId")),
  create("cloudtrail", "CreateTrail"),
  remove("cloudtrail", "DeleteTrail", trail),
  modify("cloudtrail", "PutEventSelectors", trailSelectors),
  modify("cloudtrail", "PutInsightSelectors", trailSelectors),
  modify("cloudtrail", "RemoveTags", byArn("resourceId")),
  modify("cloudtrail", "StartLogging", trail),
  modify("cloudtrail", "StopLogging", trail),
  modify("cloudtrail", "UpdateTrail", trail),
  // EventBridge
  remove("events", "DeleteRule", eventRule),
  modify("events", "DisableRule", eventRule),
  modify("events", "EnableRule", eventRule),
  modify("events", "PutRule", eventRule),
  modify("events", "PutTargets", eventRuleTargets),
  modify("events", "RemoveTargets", eventRuleTargets),
  modify("events", "TagResource", byArn("resourceARN")),
  modify("events", "UntagResource", byArn("resourceARN")),
  // ECR
  create("ecr", "CreateRepository"),
  modify("ecr", "DeleteLifecyclePolicy", repository),
  remove("ecr", "DeleteRepository", repository),
  modify("ecr", "DeleteRepositoryPolicy", repository),
  modify("ecr", "PutImageScanningConfiguration", repository),
  modify("ecr", "PutImageTagMutability", repository),
  modify("ecr", "PutLifecyclePolicy", repository),
  modify("ecr", "SetRepositoryPolicy", repository),
  modify("ecr", "TagResource", byArn("resourceArn")),
  modify("ecr", "UntagResource", byArn("resourceArn")),
  // EFS
  create("elasticfilesystem", "CreateFileSystem"),
  create("elasticfilesystem", "CreateMountTarget"),
  remove("elasticfilesystem", "DeleteFileSystem", fileSystem),
  remove("elasticfilesystem", "DeleteMountTarget", mountTarget),
  modify("elasticfilesystem", "ModifyMountTargetSecurityGroups", mountTarget),
  modify("elasticfilesystem", "PutBackupPolicy", fileSystem),
  modify("elasticfilesystem", "PutFileSystemPolicy", fileSystem),
  modify("elasticfilesystem", "PutLifecycleConfiguration", fileSystem),
  modify("elasticfilesystem", "UpdateFileSystem", fileSystem),
  // CloudWatch (`monitoring`; PutMetricAlarm and PutDashboard create or overwrite: a stack's alarm is modified)
  remove("monitoring", "DeleteAlarms", alarms),
  remove("monitoring", "DeleteDashboards", on(DASHBOARD, "dashboardNames[]")),
  modify("monitoring", "DisableAlarmActions", alarms),
  modify("monitoring", "EnableAlarmActions", alarms),
  modify("monitoring", "PutCompositeAlarm", on(COMPOSITE_ALARM, "alarmName")),
  modify("monitoring", "PutDashboard", on(DASHBOARD, "dashboardName")),
  modify("monitoring", "PutMetricAlarm", on(ALARM, "alarmName")),
  operational("monitoring", "SetAlarmState"),
  modify("monitoring", "TagResource", byArn("resourceARN")),
  modify("monitoring", "UntagResource", byArn("resourceARN")),
  // SSM (PutParameter overwrites a parameter only with `overwrite: true`; without, it creates a new one)
  only(modify("ssm", "AddTagsToResource", ...ssmTagged), ssmTaggable),
  create("ssm", "CreateAssociation"),
  create("ssm", "CreateDocument"),
  create("ssm", "CreateMaintenanceWindow"),
  create("ssm", "CreatePatchBaseline"),
  create("ssm", "CreateResourceDataSync"),
  remove("ssm", "DeleteAssociation", on(SSM_ASSOCIATION, "associationId")),
  remove("ssm", "DeleteDocument", ssmDocument),
  remove("ssm", "DeleteMaintenanceWindow", maintenanceWindow),
  remove("ssm", "DeleteParameter", ssmParameter),
  remove("ssm", "DeleteParameters", on(SSM_PARAMETER, "names[]")),
  remove("ssm", "DeletePatchBaseline", on(PATCH_BASELINE, "baselineId")),
  remove("ssm", "DeleteResourceDataSync", on(RESOURCE_DATA_SYNC, "syncName")),
  also(remove("ssm", "DeregisterTargetFromMaintenanceWindow", maintenanceWindow), MAINTENANCE_WINDOW_TARGET),
  also(remove("ssm", "DeregisterTaskFromMaintenanceWindow", maintenanceWindow), MAINTENANCE_WINDOW_TASK),
  only(modify("ssm", "PutParameter", ssmParameter), { field: "overwrite", is: [true], otherwise: "create" }),
  create("ssm", "RegisterTargetWithMaintenanceWindow"),
  create("ssm", "RegisterTaskWithMaintenanceWindow"),
  only(modify("ssm", "RemoveTagsFromResource", ...ssmTagged), ssmTaggable),
  modify("ssm", "UpdateAssociation", on(SSM_ASSOCIATION, "associationId")),
  modify("ssm", "UpdateDocument", ssmDocument),
  modify("ssm", "UpdateDocumentDefaultVersion", ssmDocument),
  modify("ssm", "UpdateMaintenanceWindow", maintenanceWindow),
  also(modify("ssm", "UpdateMaintenanceWindowTarget", maintenanceWindow), MAINTENANCE_WINDOW_TARGET),
  also(modify("ssm", "UpdateMaintenanceWindowTask", maintenanceWindow), MAINTENANCE_WINDOW_TASK),
  modify("ssm", "UpdatePatchBaseline", on(PATCH_BASELINE, "baselineId")),
  modify("ssm", "UpdateResourceDataSync", on(RESOURCE_DATA_SYNC, "syncName")),
  // Route 53 (global: events arrive in us-east-1; one change batch may touch several record sets)
  also(
    modify(
      "route53",
      "ChangeResourceRecordSets",
      on(RECORD_SET, "changeBatch.changes[].resourceRecordSet.name"),
    ),
    RECORD_SET_GROUP,
  ),
  create("route53", "CreateHostedZone"),
  remove("route53", "DeleteHostedZone", on(HOSTED_ZONE, "id")),
  modify("route53", "UpdateHostedZoneComment", on(HOSTED_ZONE, "id")),
  // Route 53 Resolver (query logging and forwarding rules, and the links that attach them to VPCs)
  create("route53resolver", "AssociateResolverQueryLogConfig"),
  create("route53resolver", "AssociateResolverRule"),
  create("route53resolver", "CreateResolverQueryLogConfig"),
  create("route53resolver", "CreateResolverRule"),
  remove("route53resolver", "DeleteResolverQueryLogConfig", on(QUERY_LOG_CONFIG, "resolverQueryLogConfigId")),
  remove("route53resolver", "DeleteResolverRule", on(RESOLVER_RULE, "resolverRuleId")),
  remove(
    "route53resolver",
    "DisassociateResolverQueryLogConfig",
    on(QUERY_LOG_ASSOCIATION, "responseElements.resolverQueryLogConfigAssociation.id"),
    on(QUERY_LOG_CONFIG, "resolverQueryLogConfigId"),
  ),
  remove(
    "route53resolver",
    "DisassociateResolverRule",
    on(RESOLVER_RULE_ASSOCIATION, "responseElements.resolverRuleAssociation.id"),
    on(RESOLVER_RULE, "resolverRuleId"),
  ),
  modify("route53resolver", "TagResource", byArn("resourceArn")),
  modify("route53resolver", "UntagResource", byArn("resourceArn")),
  modify("route53resolver", "UpdateResolverRule", on(RESOLVER_RULE, "resolverRuleId")),
  // Application Auto Scaling (a scalable target is `<resource id>|<dimension>|<namespace>`)
  also(remove("application-autoscaling", "DeleteScalingPolicy", scalableTarget), TARGET_SCALING_POLICY),
  modify("application-autoscaling", "DeleteScheduledAction", scalableTarget),
  remove("application-autoscaling", "DeregisterScalableTarget", scalableTarget),
  modify(
    "application-autoscaling",
    "PutScalingPolicy",
    scalableTarget,
    on(TARGET_SCALING_POLICY, "responseElements.policyARN"),
  ),
  modify("application-autoscaling", "PutScheduledAction", scalableTarget),
  modify("application-autoscaling", "RegisterScalableTarget", scalableTarget),
  // IAM Roles Anywhere
  create("rolesanywhere", "CreateProfile"),
  create("rolesanywhere", "CreateTrustAnchor"),
  modify("rolesanywhere", "DeleteAttributeMapping", raProfile),
  remove("rolesanywhere", "DeleteCrl", raCrl),
  remove("rolesanywhere", "DeleteProfile", raProfile),
  remove("rolesanywhere", "DeleteTrustAnchor", raTrustAnchor),
  modify("rolesanywhere", "DisableCrl", raCrl),
  modify("rolesanywhere", "DisableProfile", raProfile),
  modify("rolesanywhere", "DisableTrustAnchor", raTrustAnchor),
  modify("rolesanywhere", "EnableCrl", raCrl),
  modify("rolesanywhere", "EnableProfile", raProfile),
  modify("rolesanywhere", "EnableTrustAnchor", raTrustAnchor),
  create("rolesanywhere", "ImportCrl"),
  modify("rolesanywhere", "PutAttributeMapping", raProfile),
  modify("rolesanywhere", "PutNotificationSettings", raTrustAnchor),
  modify("rolesanywhere", "ResetNotificationSettings", raTrustAnchor),
  modify("rolesanywhere", "TagResource", byArn("resourceArn")),
  modify("rolesanywhere", "UntagResource", byArn("resourceArn")),
  modify("rolesanywhere", "UpdateCrl", raCrl),
  modify("rolesanywhere", "UpdateProfile", raProfile),
  modify("rolesanywhere", "UpdateTrustAnchor", raTrustAnchor),
  // AWS Backup
  create("backup", "CreateBackupPlan"),
  create("backup", "CreateBackupSelection"),
  create("backup", "CreateBackupVault"),
  remove("backup", "DeleteBackupPlan", backupPlan),
  also(remove("backup", "DeleteBackupSelection", backupPlan), BACKUP_SELECTION),
  remove("backup", "DeleteBackupVault", backupVault),
  modify("backup", "DeleteBackupVaultAccessPolicy", backupVault),
  modify("backup", "DeleteBackupVaultLockConfiguration", backupVault),
  modify("backup", "DeleteBackupVaultNotifications", backupVault),
  modify("backup", "PutBackupVaultAccessPolicy", backupVault),
  modify("backup", "PutBackupVaultLockConfiguration", backupVault),
  modify("backup", "PutBackupVaultNotifications", backupVault),
  modify("backup", "TagResource", byArn("resourceArn")),
  modify("backup", "UntagResource", byArn("resourceArn")),
  modify("backup", "UpdateBackupPlan", backupPlan),
  // AWS Config (recording on or off is not a template property: Start/StopConfigurationRecorder are operational)
  remove("config", "DeleteConfigRule", on(CONFIG_RULE, "configRuleName")),
  remove("config", "DeleteConfigurationRecorder", on(CONFIG_RECORDER, "configurationRecorderName")),
  remove("config", "DeleteDeliveryChannel", on(DELIVERY_CHANNEL, "deliveryChannelName")),
  also(remove("config", "DeleteRemediationConfiguration", on(CONFIG_RULE, "configRuleName")), REMEDIATION),
  modify("config", "PutConfigRule", on(CONFIG_RULE, "configRule.configRuleName")),
  modify("config", "PutConfigurationRecorder", on(CONFIG_RECORDER, "configurationRecorder.name")),
  modify("config", "PutDeliveryChannel", on(DELIVERY_CHANNEL, "deliveryChannel.name")),
  also(
    modify(
      "config",
      "PutRemediationConfigurations",
      on(CONFIG_RULE, "remediationConfigurations[].configRuleName"),
    ),
    REMEDIATION,
  ),
  operational("config", "StartConfigurationRecorder"),
  operational("config", "StopConfigurationRecorder"),
  // GuardDuty and IAM Access Analyzer
  create("guardduty", "CreateDetector"),
  create("guardduty", "CreatePublishingDestination"),
  remove("guardduty", "DeleteDetector", detector),
  also(remove("guardduty", "DeletePublishingDestination", detector), PUBLISHING_DESTINATION),
  modify("guardduty", "TagResource", byArn("resourceArn")),
  modify("guardduty", "UntagResource", byArn("resourceArn")),
  modify("guardduty", "UpdateDetector", detector),
  also(modify("guardduty", "UpdatePublishingDestination", detector), PUBLISHING_DESTINATION),
  create("access-analyzer", "CreateAnalyzer"),
  modify("access-analyzer", "CreateArchiveRule", analyzer),
  remove("access-analyzer", "DeleteAnalyzer", analyzer),
  modify("access-analyzer", "DeleteArchiveRule", analyzer),
  modify("access-analyzer", "TagResource", byArn("resourceArn")),
  modify("access-analyzer", "UntagResource", byArn("resourceArn")),
  modify("access-analyzer", "UpdateArchiveRule", analyzer),
  // CodeBuild, CodePipeline, CodeCommit (a CodeCommit repository is stored by its id, which only the deletion's response names)
  create("codebuild", "CreateProject"),
  modify("codebuild", "CreateWebhook", on(BUILD_PROJECT, "projectName")),
  remove("codebuild", "DeleteProject", on(BUILD_PROJECT, "name")),
  modify("codebuild", "DeleteWebhook", on(BUILD_PROJECT, "projectName")),
  modify("codebuild", "UpdateProject", on(BUILD_PROJECT, "name")),
  modify("codebuild", "UpdateProjectVisibility", byArn("projectArn")),
  modify("codebuild", "UpdateWebhook", on(BUILD_PROJECT, "projectName")),
  create("codepipeline", "CreatePipeline"),
  remove("codepipeline", "DeletePipeline", on(PIPELINE, "name")),
  modify("codepipeline", "DisableStageTransition", on(PIPELINE, "pipelineName")),
  modify("codepipeline", "EnableStageTransition", on(PIPELINE, "pipelineName")),
  modify("codepipeline", "TagResource", byArn("resourceArn")),
  modify("codepipeline", "UntagResource", byArn("resourceArn")),
  modify("codepipeline", "UpdatePipeline", on(PIPELINE, "pipeline.name")),
  create("codecommit", "CreateRepository"),
  remove("codecommit", "DeleteRepository", on(CODECOMMIT_REPOSITORY, "responseElements.repositoryId")),
  // Cognito user pools
  create("cognito-idp", "CreateUserPool"),
  create("cognito-idp", "CreateUserPoolClient"),
  create("cognito-idp", "CreateUserPoolDomain"),
  remove("cognito-idp", "DeleteUserPool", userPool),
  remove("cognito-idp", "DeleteUserPoolClient", on(USER_POOL_CLIENT, "clientId")),
  remove("cognito-idp", "DeleteUserPoolDomain", on(USER_POOL_DOMAIN, "domain")),
  modify("cognito-idp", "SetUserPoolMfaConfig", userPool),
  modify("cognito-idp", "TagResource", byArn("resourceArn")),
  modify("cognito-idp", "UntagResource", byArn("resourceArn")),
  modify("cognito-idp", "UpdateUserPool", userPool),
  modify("cognito-idp", "UpdateUserPoolClient", on(USER_POOL_CLIENT, "clientId")),
  modify("cognito-idp", "UpdateUserPoolDomain", on(USER_POOL_DOMAIN, "domain")),
  // EKS (a node group is stored as `<cluster>/<name>`)
  create("eks", "CreateCluster"),
  create("eks", "CreateNodegroup"),
  remove("eks", "DeleteCluster", eksCluster),
  remove("eks", "DeleteNodegroup", nodegroup),
  modify("eks", "TagResource", byArn("resourceArn")),
  modify("eks", "UntagResource", byArn("resourceArn")),
  modify("eks", "UpdateClusterConfig", eksCluster),
  modify("eks", "UpdateClusterVersion", eksCluster),
  modify("eks", "UpdateNodegroupConfig", nodegroup),
  modify("eks", "UpdateNodegroupVersion", nodegroup),
  // Amazon MSK (`kafka`), Amazon MQ, Data Firehose
  create("kafka", "CreateCluster"),
  create("kafka", "CreateClusterV2"),
  remove("kafka", "DeleteCluster", mskCluster),
  operational("kafka", "RebootBroker"),
  modify("kafka", "TagResource", byArn("resourceArn")),
  modify("kafka", "UntagResource", byArn("resourceArn")),
  modify("kafka", "UpdateBrokerCount", mskCluster),
  modify("kafka", "UpdateBrokerStorage", mskCluster),
  modify("kafka", "UpdateBrokerType", mskCluster),
  modify("kafka", "UpdateClusterConfiguration", mskCluster),
  modify("kafka", "UpdateConnectivity", mskCluster),
  modify("kafka", "UpdateMonitoring", mskCluster),
  modify("kafka", "UpdateSecurity", mskCluster),
  create("mq", "CreateBroker"),
  modify("mq", "CreateTags", byArn("resourceArn")),
  remove("mq", "DeleteBroker", on(BROKER, "brokerId")),
  modify("mq", "DeleteTags", byArn("resourceArn")),
  operational("mq", "RebootBroker"),
  modify("mq", "UpdateBroker", on(BROKER, "brokerId")),
  create("firehose", "CreateDeliveryStream"),
  remove("firehose", "DeleteDeliveryStream", deliveryStream),
  modify("firehose", "StartDeliveryStreamEncryption", deliveryStream),
  modify("firehose", "StopDeliveryStreamEncryption", deliveryStream),
  modify("firehose", "TagDeliveryStream", deliveryStream),
  modify("firehose", "UntagDeliveryStream", deliveryStream),
  modify("firehose", "UpdateDestination", deliveryStream),
  // Database Migration Service (instances, endpoints and tasks are stored by ARN)
  modify("dms", "AddTagsToResource", byArn("resourceArn")),
  create("dms", "CreateEndpoint"),
  create("dms", "CreateReplicationInstance"),
  create("dms", "CreateReplicationSubnetGroup"),
  create("dms", "CreateReplicationTask"),
  remove("dms", "DeleteEndpoint", on(DMS_ENDPOINT, "endpointArn")),
  remove("dms", "DeleteReplicationInstance", on(DMS_INSTANCE, "replicationInstanceArn")),
  remove("dms", "DeleteReplicationSubnetGroup", on(DMS_SUBNET_GROUP, "replicationSubnetGroupIdentifier")),
  remove("dms", "DeleteReplicationTask", on(DMS_TASK, "replicationTaskArn")),
  modify("dms", "ModifyEndpoint", on(DMS_ENDPOINT, "endpointArn")),
  modify("dms", "ModifyReplicationInstance", on(DMS_INSTANCE, "replicationInstanceArn")),
  modify("dms", "ModifyReplicationSubnetGroup", on(DMS_SUBNET_GROUP, "replicationSubnetGroupIdentifier")),
  modify("dms", "ModifyReplicationTask", on(DMS_TASK, "replicationTaskArn")),
  operational("dms", "RebootReplicationInstance"),
  modify("dms", "RemoveTagsFromResource", byArn("resourceArn")),
  operational("dms", "StartReplicationTask"),
  operational("dms", "StopReplicationTask"),
  // Cloud Map, Cloud9, WAF, Certificate Manager
  create("servicediscovery", "CreateService"),
  remove("servicediscovery", "DeleteService", on(DISCOVERY_SERVICE, "id")),
  modify("servicediscovery", "UpdateService", on(DISCOVERY_SERVICE, "id")),
  create("cloud9", "CreateEnvironmentEC2"),
  remove("cloud9", "DeleteEnvironment", on(CLOUD9, "environmentId")),
  modify("cloud9", "UpdateEnvironment", on(CLOUD9, "environmentId")),
  also(modify("wafv2", "AssociateWebACL", byArn("webACLArn")), WEB_ACL_ASSOCIATION),
  create("wafv2", "CreateWebACL"),
  also(remove("wafv2", "DeleteLoggingConfiguration", byArn("resourceArn")), WAF_LOGGING),
  remove("wafv2", "DeleteWebACL", webAcl),
  also(modify("wafv2", "PutLoggingConfiguration", byArn("loggingConfiguration.resourceArn")), WAF_LOGGING),
  modify("wafv2", "TagResource", byArn("resourceARN")),
  modify("wafv2", "UntagResource", byArn("resourceARN")),
  modify("wafv2", "UpdateWebACL", webAcl),
  modify("acm", "AddTagsToCertificate", certificate),
  remove("acm", "DeleteCertificate", certificate),
  modify("acm", "RemoveTagsFromCertificate", certificate),
  create("acm", "RequestCertificate"),
  modify("acm", "UpdateCertificateOptions", certificate),
  // Directory Service (a directory is stored by its id)
  remove("ds", "DeleteDirectory", on(DIRECTORY, "directoryId")),
  modify("ds", "DisableSso", on(DIRECTORY, "directoryId")),
  modify("ds", "EnableSso", on(DIRECTORY, "directoryId")),
  // Resource Groups (a group is stored by its name; the request names it by name or ARN)
  create("resource-groups", "CreateGroup"),
  remove("resource-groups", "DeleteGroup", resourceGroup),
  modify("resource-groups", "UpdateGroup", resourceGroup),
  modify("resource-groups", "UpdateGroupQuery", resourceGroup),
];
