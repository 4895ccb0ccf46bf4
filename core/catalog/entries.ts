import type { CatalogEntry, ResourceSpec, ResourceType } from "./types.ts";

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
  modify("ec2", "AssociateRouteTable", routeTable),
  modify("ec2", "AttachInternetGateway", igw),
  modify("ec2", "AttachVolume", volume, on(INSTANCE, "instanceId")),
  modify("ec2", "AuthorizeSecurityGroupEgress", sg),
  modify("ec2", "AuthorizeSecurityGroupIngress", sg),
  create("ec2", "CreateInternetGateway"),
  create("ec2", "CreateLaunchTemplate"),
  modify("ec2", "CreateLaunchTemplateVersion", launchTemplateVersion),
  create("ec2", "CreateNatGateway"),
  create("ec2", "CreateNetworkAcl"),
  modify("ec2", "CreateNetworkAclEntry", nacl),
  modify("ec2", "CreateRoute", routeTable),
  create("ec2", "CreateRouteTable"),
  create("ec2", "CreateSecurityGroup"),
  create("ec2", "CreateSubnet"),
  modify("ec2", "CreateTags", ec2Tags),
  create("ec2", "CreateVolume"),
  create("ec2", "CreateVpc"),
  remove("ec2", "DeleteFlowLogs", flowLogs),
  remove("ec2", "DeleteInternetGateway", igw),
  remove("ec2", "DeleteLaunchTemplate", launchTemplateDeleted),
  modify("ec2", "DeleteLaunchTemplateVersions", launchTemplateVersionsDeleted),
  remove("ec2", "DeleteNatGateway", natGateway),
  remove("ec2", "DeleteNetworkAcl", nacl),
  modify("ec2", "DeleteNetworkAclEntry", nacl),
  remove("ec2", "DeleteNetworkInterface", on(ENI, "networkInterfaceId")),
  modify("ec2", "DeleteRoute", routeTable),
  remove("ec2", "DeleteRouteTable", routeTable),
  remove("ec2", "DeleteSecurityGroup", sg),
  remove("ec2", "DeleteSubnet", on(SUBNET, "subnetId")),
  modify("ec2", "DeleteTags", ec2Tags),
  remove("ec2", "DeleteTransitGatewayVpcAttachment", tgwAttachment),
  remove("ec2", "DeleteVolume", volume),
  remove("ec2", "DeleteVpc", on(VPC, "vpcId")),
  modify("ec2", "DetachInternetGateway", igw),
  modify("ec2", "DetachVolume", volume, on(INSTANCE, "instanceId")),
  modify("ec2", "ModifyInstanceAttribute", on(INSTANCE, "instanceId")),
  modify("ec2", "ModifyInstanceMetadataOptions", instanceMetadata),
  modify("ec2", "ModifyLaunchTemplate", launchTemplateModified),
  modify("ec2", "ModifyNetworkInterfaceAttribute", on(ENI, "networkInterfaceId")),
  modify("ec2", "ModifySecurityGroupRules", on(SG, "ModifySecurityGroupRulesRequest.GroupId")),
  modify("ec2", "ModifySubnetAttribute", on(SUBNET, "subnetId")),
  modify("ec2", "ModifyVolume", volumeModified),
  modify("ec2", "ModifyVolumeAttribute", volume),
  modify("ec2", "ModifyVpcAttribute", on(VPC, "vpcId")),
  operational("ec2", "RebootInstances"),
  modify("ec2", "ReplaceNetworkAclAssociation", nacl),
  modify("ec2", "ReplaceNetworkAclEntry", nacl),
  modify("ec2", "ReplaceRoute", routeTable),
  modify("ec2", "ReplaceRouteTableAssociation", routeTable),
  modify("ec2", "RevokeSecurityGroupEgress", sg),
  modify("ec2", "RevokeSecurityGroupIngress", sg),
  create("ec2", "RunInstances"),
  operational("ec2", "StartInstances"),
  operational("ec2", "StopInstances"),
  remove("ec2", "TerminateInstances", on(INSTANCE, "instancesSet.items[].instanceId")),
  modify("ec2", "UpdateSecurityGroupRuleDescriptionsEgress", sg),
  modify("ec2", "UpdateSecurityGroupRuleDescriptionsIngress", sg),
  // RDS (note the `dB` casing CloudTrail uses)
  modify("rds", "AddRoleToDBCluster", dbCluster),
  modify("rds", "AddRoleToDBInstance", db),
  modify("rds", "AddTagsToResource", rdsArn),
  create("rds", "CreateDBCluster"),
  create("rds", "CreateDBClusterParameterGroup"),
  create("rds", "CreateDBInstance"),
  create("rds", "CreateDBParameterGroup"),
  create("rds", "CreateDBSubnetGroup"),
  remove("rds", "DeleteDBCluster", dbCluster),
  remove("rds", "DeleteDBClusterParameterGroup", on(DB_CLUSTER_PARAMS, "dBClusterParameterGroupName")),
  remove("rds", "DeleteDBInstance", db),
  remove("rds", "DeleteDBParameterGroup", on(DB_PARAMS, "dBParameterGroupName")),
  remove("rds", "DeleteDBSubnetGroup", on(DB_SUBNETS, "dBSubnetGroupName")),
  operational("rds", "FailoverDBCluster"),
  modify("rds", "ModifyDBCluster", dbCluster),
  modify("rds", "ModifyDBClusterParameterGroup", on(DB_CLUSTER_PARAMS, "dBClusterParameterGroupName")),
  modify("rds", "ModifyDBInstance", db),
  modify("rds", "ModifyDBParameterGroup", on(DB_PARAMS, "dBParameterGroupName")),
  modify("rds", "ModifyDBSubnetGroup", on(DB_SUBNETS, "dBSubnetGroupName")),
  modify("rds", "ModifyOptionGroup", on(DB_OPTIONS, "optionGroupName")),
  operational("rds", "RebootDBCluster"),
  operational("rds", "RebootDBInstance"),
  modify("rds", "RemoveRoleFromDBCluster", dbCluster),
  modify("rds", "RemoveRoleFromDBInstance", db),
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
  modify("s3", "DeleteBucketPolicy", bucket),
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
  modify("s3", "PutBucketPolicy", bucket),
  modify("s3", "PutBucketPublicAccessBlock", bucket),
  modify("s3", "PutBucketReplication", bucket),
  modify("s3", "PutBucketRequestPayment", bucket),
  modify("s3", "PutBucketTagging", bucket),
  modify("s3", "PutBucketVersioning", bucket),
  modify("s3", "PutBucketWebsite", bucket),
  modify("s3", "PutObjectLockConfiguration", bucket),
  // Lambda (every CloudTrail name may carry a version suffix)
  versioned(modify("lambda", "AddPermission", fn)),
  versioned(create("lambda", "CreateAlias")),
  versioned(create("lambda", "CreateEventSourceMapping")),
  versioned(create("lambda", "CreateFunction")),
  versioned(create("lambda", "CreateFunctionUrlConfig")),
  versioned(remove("lambda", "DeleteAlias", on(ALIAS, "name"))),
  versioned(remove("lambda", "DeleteEventSourceMapping", eventSourceMapping)),
  versioned(remove("lambda", "DeleteFunction", fn)),
  versioned(modify("lambda", "DeleteFunctionConcurrency", fn)),
  versioned(modify("lambda", "DeleteFunctionEventInvokeConfig", fn)),
  versioned(modify("lambda", "DeleteFunctionUrlConfig", fn)),
  // `qualifier` names the alias (or version) whose `ProvisionedConcurrencyConfig` changed.
  versioned(modify("lambda", "DeleteProvisionedConcurrencyConfig", fn, on(ALIAS, "qualifier"))),
  versioned(create("lambda", "PublishVersion")),
  versioned(modify("lambda", "PutFunctionConcurrency", fn)),
  versioned(modify("lambda", "PutFunctionEventInvokeConfig", fn)),
  versioned(modify("lambda", "PutProvisionedConcurrencyConfig", fn, on(ALIAS, "qualifier"))),
  versioned(modify("lambda", "RemovePermission", fn)),
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
  modify("iam", "DeleteGroupPolicy", group, inlinePolicy),
  remove("iam", "DeleteInstanceProfile", instanceProfile),
  modify("iam", "DeleteLoginProfile", user),
  remove("iam", "DeletePolicy", managedPolicy),
  modify("iam", "DeletePolicyVersion", managedPolicy),
  remove("iam", "DeleteRole", role),
  modify("iam", "DeleteRolePermissionsBoundary", role),
  modify("iam", "DeleteRolePolicy", role, inlinePolicy),
  remove("iam", "DeleteUser", user),
  modify("iam", "DeleteUserPermissionsBoundary", user),
  modify("iam", "DeleteUserPolicy", user, inlinePolicy),
  modify("iam", "DetachGroupPolicy", group, attachedPolicy),
  modify("iam", "DetachRolePolicy", role, attachedPolicy),
  modify("iam", "DetachUserPolicy", user, attachedPolicy),
  modify("iam", "PutGroupPolicy", group, inlinePolicy),
  modify("iam", "PutRolePermissionsBoundary", role),
  modify("iam", "PutRolePolicy", role, inlinePolicy),
  modify("iam", "PutUserPermissionsBoundary", user),
  modify("iam", "PutUserPolicy", user, inlinePolicy),
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
  modify("autoscaling", "AttachLoadBalancerTargetGroups", asg),
  create("autoscaling", "CreateAutoScalingGroup"),
  create("autoscaling", "CreateLaunchConfiguration"),
  modify("autoscaling", "CreateOrUpdateTags", asgTags),
  remove("autoscaling", "DeleteAutoScalingGroup", asg),
  remove("autoscaling", "DeleteLaunchConfiguration", on(LAUNCH_CONFIGURATION, "launchConfigurationName")),
  modify("autoscaling", "DeleteLifecycleHook", asg, on(LIFECYCLE_HOOK, "lifecycleHookName")),
  modify("autoscaling", "DeletePolicy", asg, byArn("policyName")),
  modify("autoscaling", "DeleteScheduledAction", asg),
  modify("autoscaling", "DeleteTags", asgTags),
  modify("autoscaling", "DetachLoadBalancerTargetGroups", asg),
  modify("autoscaling", "DisableMetricsCollection", asg),
  modify("autoscaling", "EnableMetricsCollection", asg),
  modify("autoscaling", "PutLifecycleHook", asg, on(LIFECYCLE_HOOK, "lifecycleHookName")),
  modify("autoscaling", "PutScalingPolicy", asg, on(SCALING_POLICY, "responseElements.policyARN")),
  modify("autoscaling", "PutScheduledUpdateGroupAction", asg),
  modify("autoscaling", "ResumeProcesses", asg),
  modify("autoscaling", "SetDesiredCapacity", asg),
  operational("autoscaling", "SetInstanceHealth"),
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
  modify("sqs", "AddPermission", queue),
  create("sqs", "CreateQueue"),
  remove("sqs", "DeleteQueue", queue),
  operational("sqs", "PurgeQueue"),
  modify("sqs", "RemovePermission", queue),
  modify("sqs", "SetQueueAttributes", queue),
  modify("sqs", "TagQueue", queue),
  modify("sqs", "UntagQueue", queue),
  // SNS
  modify("sns", "AddPermission", topic),
  create("sns", "CreateTopic"),
  remove("sns", "DeleteTopic", topic),
  modify("sns", "PutDataProtectionPolicy", byArn("resourceArn")),
  modify("sns", "RemovePermission", topic),
  modify("sns", "SetSubscriptionAttributes", subscription),
  modify("sns", "SetTopicAttributes", topic),
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
  modify("elasticloadbalancing", "ConfigureHealthCheck", classicLb),
  create("elasticloadbalancing", "CreateListener"),
  create("elasticloadbalancing", "CreateLoadBalancer"),
  modify("elasticloadbalancing", "CreateLoadBalancerPolicy", classicLb),
  create("elasticloadbalancing", "CreateRule"),
  create("elasticloadbalancing", "CreateTargetGroup"),
  remove("elasticloadbalancing", "DeleteListener", listener),
  remove("elasticloadbalancing", "DeleteLoadBalancer", loadBalancer, classicLb),
  remove("elasticloadbalancing", "DeleteRule", on(LISTENER_RULE, "ruleArn")),
  remove("elasticloadbalancing", "DeleteTargetGroup", targetGroup),
  modify("elasticloadbalancing", "DeregisterTargets", targetGroup),
  modify("elasticloadbalancing", "ModifyListener", listener),
  modify("elasticloadbalancing", "ModifyLoadBalancerAttributes", loadBalancer, classicLb),
  modify("elasticloadbalancing", "ModifyRule", on(LISTENER_RULE, "ruleArn")),
  modify("elasticloadbalancing", "ModifyTargetGroup", targetGroup),
  modify("elasticloadbalancing", "ModifyTargetGroupAttributes", targetGroup),
  modify("elasticloadbalancing", "RegisterTargets", targetGroup),
  modify("elasticloadbalancing", "RemoveListenerCertificates", listener),
  modify("elasticloadbalancing", "RemoveTags", elbTagged, classicLbs),
  modify("elasticloadbalancing", "SetIpAddressType", loadBalancer),
  modify("elasticloadbalancing", "SetRulePriorities", on(LISTENER_RULE, "rulePriorities[].ruleArn")),
  modify("elasticloadbalancing", "SetSecurityGroups", loadBalancer),
  modify("elasticloadbalancing", "SetSubnets", loadBalancer),
  // CloudFront (names may carry the API version: `UpdateDistribution2020_05_31`)
  versioned(create("cloudfront", "CreateDistribution")),
  versioned(remove("cloudfront", "DeleteDistribution", distribution)),
  versioned(modify("cloudfront", "TagResource", byArn("resource"))),
  versioned(modify("cloudfront", "UntagResource", byArn("resource"))),
  versioned(modify("cloudfront", "UpdateCachePolicy", on(CACHE_POLICY, "id"))),
  versioned(modify("cloudfront", "UpdateCloudFrontOriginAccessIdentity", on(ORIGIN_ACCESS_IDENTITY, "id"))),
  versioned(modify("cloudfront", "UpdateDistribution", distribution)),
  // API Gateway (REST APIs; HTTP/WebSocket APIs share the event source)
  create("apigateway", "CreateDeployment"),
  create("apigateway", "CreateRestApi"),
  create("apigateway", "CreateStage"),
  remove("apigateway", "DeleteApi", on(HTTP_API, "apiId")),
  modify("apigateway", "DeleteMethod", restApi),
  remove("apigateway", "DeleteRestApi", restApi),
  remove("apigateway", "DeleteStage", stage),
  modify("apigateway", "PutMethod", restApi),
  modify("apigateway", "TagResource", byArn("resourceArn")),
  modify("apigateway", "UntagResource", byArn("resourceArn")),
  modify("apigateway", "UpdateApi", on(HTTP_API, "apiId")),
  modify("apigateway", "UpdateIntegration", restApi),
  modify("apigateway", "UpdateMethod", restApi),
  modify("apigateway", "UpdateRestApi", restApi),
  modify("apigateway", "UpdateStage", stage),
  // Secrets Manager (the response's ARN is the full one CloudFormation stores)
  modify("secretsmanager", "CancelRotateSecret", secret),
  create("secretsmanager", "CreateSecret"),
  modify("secretsmanager", "DeleteResourcePolicy", secret),
  remove("secretsmanager", "DeleteSecret", secret),
  modify("secretsmanager", "PutResourcePolicy", secret),
  modify("secretsmanager", "PutSecretValue", secret),
  modify("secretsmanager", "RemoveRegionsFromReplication", secret),
  modify("secretsmanager", "ReplicateSecretToRegions", secret),
  modify("secretsmanager", "RestoreSecret", secret),
  modify("secretsmanager", "RotateSecret", secret),
  modify("secretsmanager", "TagResource", secret),
  modify("secretsmanager", "UntagResource", secret),
  modify("secretsmanager", "UpdateSecret", secret),
  modify("secretsmanager", "UpdateSecretVersionStage", secret),
  // CloudWatch Logs
  modify("logs", "AssociateKmsKey", logGroup),
  create("logs", "CreateLogGroup"),
  remove("logs", "DeleteLogGroup", logGroup),
  modify("logs", "DeleteMetricFilter", logGroup),
  modify("logs", "DeleteRetentionPolicy", logGroup),
  modify("logs", "DeleteSubscriptionFilter", logGroup),
  modify("logs", "DisassociateKmsKey", logGroup),
  modify("logs", "PutDataProtectionPolicy", logGroup),
  modify("logs", "PutMetricFilter", logGroup),
  modify("logs", "PutRetentionPolicy", logGroup),
  modify("logs", "PutSubscriptionFilter", logGroup),
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
];
