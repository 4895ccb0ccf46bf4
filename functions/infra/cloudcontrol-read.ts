/**
 * What a live read asks of IAM. Cloud Control `GetResource` (authorized as
 * `cloudformation:GetResource`: Cloud Control API's IAM prefix is `cloudformation`) runs the resource
 * type's read handler with the caller's own credentials, exactly as drift detection does. So on-settle
 * needs `cloudformation:GetResource`, granted by name, and the read handlers' permissions, which come
 * from the AWS managed `ReadOnlyAccess` policy it already holds for drift detection (iam.ts
 * `MANAGED_POLICIES`). Listing them by name instead would not narrow anything while that policy is
 * attached, and cannot fit: about 300 named actions for the catalogued types, past the 10,240
 * characters IAM allows a role's inline policies.
 *
 * `READ_HANDLER_PERMISSIONS` records each type's `handlers.read.permissions` as its CloudFormation
 * resource schema lists them (`aws cloudformation describe-type --type RESOURCE --type-name <Type>`),
 * the service prefix lower-cased and the action capitalised (IAM reads both without regard to case);
 * `null` is a type whose schema has no read handler, which Cloud Control cannot read (Phantom compares
 * the request instead). test/infra holds it to the catalog (every type the catalog can touch has an
 * entry) and to the policy: a live read needs only read-level actions, which ReadOnlyAccess is, and
 * the rest a schema lists ({@link refusedReadPermissions}) Phantom is never granted.
 * @see https://docs.aws.amazon.com/cloudcontrolapi/latest/userguide/resource-operations-read.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudcontrolapi.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */

/** Cloud Control `GetResource`, which AWS authorizes as `cloudformation:GetResource` (no resource types). */
export const LIVE_READ_ACTIONS = ["cloudformation:GetResource"] as const;

/** Each type's read-handler permissions, from its resource schema; `null`: no read handler. */
export const READ_HANDLER_PERMISSIONS: Readonly<Record<string, readonly string[] | null>> = {
  "AWS::AccessAnalyzer::Analyzer": [
    "access-analyzer:ListAnalyzers",
    "access-analyzer:GetAnalyzer",
    "access-analyzer:ListArchiveRules",
  ],
  "AWS::AmazonMQ::Broker": ["mq:DescribeBroker", "mq:DescribeSharedResources"],
  "AWS::ApiGateway::Authorizer": ["apigateway:GET"],
  "AWS::ApiGateway::Deployment": ["apigateway:GET"],
  "AWS::ApiGateway::Method": ["apigateway:GET"],
  "AWS::ApiGateway::Resource": ["apigateway:GET"],
  "AWS::ApiGateway::RestApi": ["apigateway:GET"],
  "AWS::ApiGateway::Stage": ["apigateway:GET"],
  "AWS::ApiGatewayV2::Api": ["apigateway:GET", "s3:GetObject"],
  "AWS::ApiGatewayV2::Stage": ["apigateway:GET"],
  "AWS::ApplicationAutoScaling::ScalableTarget": [
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DescribeScheduledActions",
  ],
  "AWS::ApplicationAutoScaling::ScalingPolicy": ["application-autoscaling:DescribeScalingPolicies"],
  "AWS::AutoScaling::AutoScalingGroup": ["autoscaling:Describe*", "managed-fleets:Get*"],
  "AWS::AutoScaling::LaunchConfiguration": ["autoscaling:DescribeLaunchConfigurations"],
  "AWS::AutoScaling::LifecycleHook": ["autoscaling:DescribeLifecycleHooks"],
  "AWS::AutoScaling::ScalingPolicy": ["autoscaling:DescribePolicies"],
  "AWS::AutoScaling::WarmPool": ["autoscaling:DescribeWarmPool"],
  "AWS::Backup::BackupPlan": ["backup:GetBackupPlan", "backup:ListTags"],
  "AWS::Backup::BackupSelection": ["backup:GetBackupSelection"],
  "AWS::Backup::BackupVault": [
    "backup:DescribeBackupVault",
    "backup:GetBackupVaultNotifications",
    "backup:GetBackupVaultAccessPolicy",
    "backup:ListTags",
  ],
  "AWS::CertificateManager::Certificate": ["acm:DescribeCertificate", "acm:ListTagsForCertificate"],
  "AWS::Cloud9::EnvironmentEC2": null,
  "AWS::CloudFront::CachePolicy": ["cloudfront:GetCachePolicy"],
  "AWS::CloudFront::CloudFrontOriginAccessIdentity": ["cloudfront:GetCloudFrontOriginAccessIdentity"],
  "AWS::CloudFront::Distribution": [
    "cloudfront:GetDistribution",
    "cloudfront:GetDistributionConfig",
    "cloudfront:ListTagsForResource",
  ],
  "AWS::CloudFront::OriginAccessControl": ["cloudfront:GetOriginAccessControl"],
  "AWS::CloudTrail::Trail": [
    "cloudtrail:GetTrail",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:ListTags",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:GetInsightSelectors",
    "cloudtrail:GetEventConfiguration",
    "cloudtrail:DescribeTrails",
  ],
  "AWS::CloudWatch::Alarm": ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
  "AWS::CloudWatch::CompositeAlarm": ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
  "AWS::CloudWatch::Dashboard": ["cloudwatch:GetDashboard", "cloudwatch:ListTagsForResource"],
  "AWS::CodeBuild::Project": null,
  "AWS::CodeCommit::Repository": null,
  "AWS::CodePipeline::Pipeline": [
    "codepipeline:GetPipeline",
    "codepipeline:ListTagsForResource",
    "codepipeline:GetPipelineState",
  ],
  "AWS::Cognito::UserPool": [
    "cognito-idp:DescribeUserPool",
    "cognito-idp:GetUserPoolMfaConfig",
    "kms:Decrypt",
    "kms:DescribeKey",
  ],
  "AWS::Cognito::UserPoolClient": ["cognito-idp:DescribeUserPoolClient"],
  "AWS::Cognito::UserPoolDomain": [
    "cognito-idp:DescribeUserPoolDomain",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ],
  "AWS::Config::ConfigRule": ["config:DescribeConfigRules", "config:DescribeComplianceByConfigRule"],
  "AWS::Config::ConfigurationRecorder": null,
  "AWS::Config::DeliveryChannel": null,
  "AWS::Config::RemediationConfiguration": ["config:DescribeRemediationConfigurations"],
  "AWS::DMS::Endpoint": ["dms:DescribeEndpoints", "dms:ListTagsForResource"],
  "AWS::DMS::ReplicationInstance": null,
  "AWS::DMS::ReplicationSubnetGroup": null,
  "AWS::DMS::ReplicationTask": null,
  "AWS::DirectoryService::MicrosoftAD": null,
  "AWS::DynamoDB::Table": [
    "dynamodb:DescribeTable",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeContributorInsights",
    "dynamodb:DescribeKinesisStreamingDestination",
    "dynamodb:ListTagsOfResource",
    "dynamodb:GetResourcePolicy",
    "dynamodb:DescribeTimeToLive",
  ],
  "AWS::EC2::CapacityReservation": ["ec2:DescribeCapacityReservations"],
  "AWS::EC2::ClientVpnEndpoint": null,
  "AWS::EC2::CustomerGateway": ["ec2:DescribeCustomerGateways"],
  "AWS::EC2::DHCPOptions": ["ec2:DescribeDhcpOptions", "ec2:DescribeTags"],
  "AWS::EC2::EIP": ["ec2:DescribeAddresses"],
  "AWS::EC2::EIPAssociation": ["ec2:DescribeAddresses"],
  "AWS::EC2::EgressOnlyInternetGateway": ["ec2:DescribeEgressOnlyInternetGateways", "ec2:DescribeTags"],
  "AWS::EC2::FlowLog": ["ec2:DescribeFlowLogs"],
  "AWS::EC2::Host": ["ec2:DescribeHosts"],
  "AWS::EC2::Instance": [
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVolumes",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceAttribute",
    "ec2:DescribeInstanceCreditSpecifications",
    "ec2:DescribeLaunchTemplates",
    "ssm:DescribeAssociation",
    "ssm:ListAssociations",
  ],
  "AWS::EC2::InternetGateway": ["ec2:DescribeInternetGateways"],
  "AWS::EC2::KeyPair": ["ec2:DescribeKeyPairs"],
  "AWS::EC2::LaunchTemplate": ["ec2:DescribeLaunchTemplates"],
  "AWS::EC2::NatGateway": ["ec2:DescribeNatGateways"],
  "AWS::EC2::NetworkAcl": ["ec2:DescribeNetworkAcls", "ec2:DescribeTags"],
  "AWS::EC2::NetworkAclEntry": null,
  "AWS::EC2::NetworkInterface": ["ec2:DescribeNetworkInterfaces"],
  "AWS::EC2::NetworkInterfaceAttachment": ["ec2:DescribeNetworkInterfaces"],
  "AWS::EC2::PrefixList": ["ec2:GetManagedPrefixListEntries", "ec2:DescribeManagedPrefixLists"],
  "AWS::EC2::Route": ["ec2:DescribeRouteTables"],
  "AWS::EC2::RouteTable": ["ec2:DescribeRouteTables"],
  "AWS::EC2::SecurityGroup": ["ec2:DescribeSecurityGroups"],
  "AWS::EC2::SecurityGroupEgress": ["ec2:DescribeSecurityGroupRules"],
  "AWS::EC2::SecurityGroupIngress": ["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"],
  "AWS::EC2::Subnet": ["ec2:DescribeSubnets", "ec2:DescribeNetworkAcls"],
  "AWS::EC2::SubnetNetworkAclAssociation": ["ec2:DescribeNetworkAcls"],
  "AWS::EC2::SubnetRouteTableAssociation": ["ec2:DescribeRouteTables"],
  "AWS::EC2::TransitGateway": ["ec2:DescribeTransitGateways", "ec2:DescribeTags"],
  "AWS::EC2::TransitGatewayAttachment": ["ec2:DescribeTransitGatewayVpcAttachments", "ec2:DescribeTags"],
  "AWS::EC2::TransitGatewayRouteTable": ["ec2:DescribeTransitGatewayRouteTables"],
  "AWS::EC2::VPC": [
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeVpcEncryptionControls",
    "ec2:DescribeVpcs",
  ],
  "AWS::EC2::VPCCidrBlock": ["ec2:DescribeVpcs"],
  "AWS::EC2::VPCDHCPOptionsAssociation": ["ec2:DescribeVpcs"],
  "AWS::EC2::VPCEndpoint": [
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "vpc-lattice:DescribeServiceNetworkVpcEndpointAssociation",
    "ec2:DescribeVpcs",
  ],
  "AWS::EC2::VPCEndpointService": [
    "ec2:DescribeVpcEndpointServiceConfigurations",
    "cloudwatch:ListManagedInsightRules",
  ],
  "AWS::EC2::VPCGatewayAttachment": ["ec2:DescribeInternetGateways", "ec2:DescribeVpnGateways"],
  "AWS::EC2::VPCPeeringConnection": ["ec2:DescribeVpcPeeringConnections"],
  "AWS::EC2::VPNConnection": ["ec2:DescribeVpnConnections"],
  "AWS::EC2::VPNGateway": ["ec2:DescribeVpnGateways"],
  "AWS::EC2::Volume": ["ec2:DescribeVolumes", "ec2:DescribeVolumeAttribute", "ec2:DescribeTags"],
  "AWS::ECR::Repository": [
    "ecr:DescribeRepositories",
    "ecr:GetLifecyclePolicy",
    "ecr:GetRepositoryPolicy",
    "ecr:ListTagsForResource",
  ],
  "AWS::ECS::CapacityProvider": ["ecs:DescribeCapacityProviders"],
  "AWS::ECS::Cluster": ["ecs:DescribeClusters", "kms:DescribeKey"],
  "AWS::ECS::Service": ["ecs:DescribeServices"],
  "AWS::ECS::TaskDefinition": ["ecs:DescribeTaskDefinition"],
  "AWS::EFS::AccessPoint": ["elasticfilesystem:DescribeAccessPoints"],
  "AWS::EFS::FileSystem": [
    "elasticfilesystem:DescribeBackupPolicy",
    "elasticfilesystem:DescribeFileSystemPolicy",
    "elasticfilesystem:DescribeFileSystems",
    "elasticfilesystem:DescribeLifecycleConfiguration",
    "elasticfilesystem:DescribeReplicationConfigurations",
  ],
  "AWS::EFS::MountTarget": [
    "elasticfilesystem:DescribeMountTargets",
    "elasticfilesystem:DescribeMountTargetSecurityGroups",
  ],
  "AWS::EKS::Cluster": ["eks:DescribeCluster"],
  "AWS::EKS::Nodegroup": ["eks:DescribeNodegroup"],
  "AWS::ElastiCache::CacheCluster": [
    "elasticache:ListTagsForResource",
    "elasticache:DescribeCacheClusters",
    "logs:GetLogDelivery",
    "logs:DescribeLogGroups",
  ],
  "AWS::ElastiCache::ParameterGroup": [
    "elasticache:DescribeCacheParameterGroups",
    "elasticache:DescribeCacheParameters",
    "elasticache:ListTagsForResource",
  ],
  "AWS::ElastiCache::ReplicationGroup": [
    "elasticache:DescribeReplicationGroups",
    "elasticache:ListTagsForResource",
  ],
  "AWS::ElastiCache::SubnetGroup": [
    "elasticache:DescribeCacheSubnetGroups",
    "elasticache:ListTagsForResource",
  ],
  "AWS::ElasticLoadBalancing::LoadBalancer": [
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerPolicies",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeTags",
  ],
  "AWS::ElasticLoadBalancingV2::Listener": [
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeTags",
  ],
  "AWS::ElasticLoadBalancingV2::ListenerRule": [
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
  ],
  "AWS::ElasticLoadBalancingV2::LoadBalancer": [
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
    "elasticloadbalancing:DescribeTags",
  ],
  "AWS::ElasticLoadBalancingV2::TargetGroup": [
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
  ],
  "AWS::Events::EventBus": ["events:DescribeEventBus", "events:ListTagsForResource"],
  "AWS::Events::Rule": [
    "iam:PassRole",
    "events:DescribeRule",
    "events:ListTargetsByRule",
    "events:ListTagsForResource",
  ],
  "AWS::GuardDuty::Detector": ["guardduty:GetDetector", "guardduty:ListTagsForResource"],
  "AWS::GuardDuty::PublishingDestination": [
    "guardduty:DescribePublishingDestination",
    "guardduty:ListTagsForResource",
  ],
  "AWS::IAM::AccessKey": null,
  "AWS::IAM::Group": [
    "iam:GetGroup",
    "iam:ListGroupPolicies",
    "iam:GetGroupPolicy",
    "iam:ListAttachedGroupPolicies",
  ],
  "AWS::IAM::GroupPolicy": ["iam:GetGroupPolicy"],
  "AWS::IAM::InstanceProfile": ["iam:GetInstanceProfile"],
  "AWS::IAM::ManagedPolicy": ["iam:GetPolicy", "iam:ListEntitiesForPolicy", "iam:GetPolicyVersion"],
  "AWS::IAM::Policy": null,
  "AWS::IAM::Role": [
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
  ],
  "AWS::IAM::RolePolicy": ["iam:GetRolePolicy"],
  "AWS::IAM::ServiceLinkedRole": ["iam:GetRole"],
  "AWS::IAM::User": [
    "iam:GetUserPolicy",
    "iam:ListGroupsForUser",
    "iam:ListAttachedUserPolicies",
    "iam:ListUserPolicies",
    "iam:GetUser",
    "iam:GetLoginProfile",
  ],
  "AWS::IAM::UserPolicy": ["iam:GetUserPolicy"],
  "AWS::IAM::UserToGroupAddition": null,
  "AWS::KMS::Alias": ["kms:ListAliases"],
  "AWS::KMS::Key": [
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
  ],
  "AWS::KinesisFirehose::DeliveryStream": [
    "firehose:DescribeDeliveryStream",
    "firehose:ListTagsForDeliveryStream",
  ],
  "AWS::Lambda::Alias": ["lambda:GetAlias", "lambda:GetProvisionedConcurrencyConfig"],
  "AWS::Lambda::EventInvokeConfig": ["lambda:GetFunctionEventInvokeConfig"],
  "AWS::Lambda::EventSourceMapping": ["lambda:GetEventSourceMapping", "lambda:ListTags", "kms:Decrypt"],
  "AWS::Lambda::Function": [
    "lambda:GetFunction",
    "kms:Decrypt",
    "lambda:GetFunctionCodeSigningConfig",
    "lambda:GetFunctionRecursionConfig",
    "lambda:GetRuntimeManagementConfig",
    "lambda:GetFunctionScalingConfig",
  ],
  "AWS::Lambda::Permission": ["lambda:GetPolicy"],
  "AWS::Logs::LogGroup": [
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
    "logs:GetDataProtectionPolicy",
    "logs:DescribeIndexPolicies",
    "logs:DescribeResourcePolicies",
  ],
  "AWS::Logs::LogStream": ["logs:DescribeLogStreams"],
  "AWS::Logs::MetricFilter": ["logs:DescribeMetricFilters"],
  "AWS::Logs::QueryDefinition": ["logs:DescribeQueryDefinitions"],
  "AWS::Logs::SubscriptionFilter": ["logs:DescribeSubscriptionFilters"],
  "AWS::MSK::Cluster": ["kafka:DescribeCluster"],
  "AWS::RDS::DBCluster": ["rds:DescribeDBClusters"],
  "AWS::RDS::DBClusterParameterGroup": [
    "rds:DescribeDBClusterParameterGroups",
    "rds:DescribeDBClusterParameters",
    "rds:ListTagsForResource",
  ],
  "AWS::RDS::DBInstance": [
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeVpcs",
    "rds:DescribeDBInstances",
  ],
  "AWS::RDS::DBParameterGroup": [
    "rds:DescribeDBParameterGroups",
    "rds:DescribeDBParameters",
    "rds:ListTagsForResource",
  ],
  "AWS::RDS::DBSubnetGroup": ["rds:DescribeDBSubnetGroups", "rds:ListTagsForResource"],
  "AWS::RDS::EventSubscription": ["rds:DescribeEventSubscriptions", "rds:ListTagsForResource"],
  "AWS::RDS::OptionGroup": ["rds:DescribeOptionGroups", "rds:ListTagsForResource"],
  "AWS::ResourceGroups::Group": [
    "resource-groups:GetGroup",
    "resource-groups:GetGroupQuery",
    "resource-groups:GetTags",
    "resource-groups:GetGroupConfiguration",
    "resource-groups:ListGroupResources",
  ],
  "AWS::RolesAnywhere::CRL": ["rolesanywhere:GetCrl", "rolesanywhere:ListTagsForResource"],
  "AWS::RolesAnywhere::Profile": ["rolesanywhere:GetProfile", "rolesanywhere:ListTagsForResource"],
  "AWS::RolesAnywhere::TrustAnchor": ["rolesanywhere:GetTrustAnchor", "rolesanywhere:ListTagsForResource"],
  "AWS::Route53::HostedZone": [
    "route53:GetHostedZone",
    "route53:ListTagsForResource",
    "route53:ListQueryLoggingConfigs",
  ],
  "AWS::Route53::RecordSet": null,
  "AWS::Route53::RecordSetGroup": null,
  "AWS::Route53Resolver::ResolverQueryLoggingConfig": [
    "resolverquerylogging:GetConfig",
    "route53resolver:GetResolverQueryLogConfig",
    "route53resolver:ListTagsForResource",
    "route53resolver:ListResolverQueryLogConfigs",
  ],
  "AWS::Route53Resolver::ResolverQueryLoggingConfigAssociation": [
    "resolverquerylogging:GetConfigAssociation",
    "route53resolver:GetResolverQueryLogConfigAssociation",
  ],
  "AWS::Route53Resolver::ResolverRule": [
    "route53resolver:GetResolverRule",
    "route53resolver:ListTagsForResource",
  ],
  "AWS::Route53Resolver::ResolverRuleAssociation": ["route53resolver:GetResolverRuleAssociation"],
  "AWS::S3::Bucket": [
    "s3:GetAccelerateConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetAnalyticsConfiguration",
    "s3:GetBucketCORS",
    "s3:GetEncryptionConfiguration",
    "s3:GetInventoryConfiguration",
    "s3:GetBucketLogging",
    "s3:GetMetricsConfiguration",
    "s3:GetBucketNotification",
    "s3:GetBucketVersioning",
    "s3:GetReplicationConfiguration",
    "s3:GetBucketWebsite",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketTagging",
    "s3:ListTagsForResource",
    "s3:GetBucketAbac",
    "s3:GetBucketOwnershipControls",
    "s3:GetIntelligentTieringConfiguration",
    "s3:GetBucketMetadataTableConfiguration",
    "s3:ListBucket",
  ],
  "AWS::S3::BucketPolicy": ["s3:GetBucketPolicy"],
  "AWS::SNS::Subscription": ["sns:GetSubscriptionAttributes"],
  "AWS::SNS::Topic": [
    "sns:GetTopicAttributes",
    "sns:ListTagsForResource",
    "sns:ListSubscriptionsByTopic",
    "sns:GetDataProtectionPolicy",
  ],
  "AWS::SNS::TopicPolicy": null,
  "AWS::SQS::Queue": ["sqs:GetQueueAttributes", "sqs:ListQueueTags"],
  "AWS::SQS::QueuePolicy": null,
  "AWS::SSM::Association": [
    "ssm:DescribeAssociation",
    "ssm:ListTagsForResource",
    "resource-groups:GetGroupQuery",
    "resource-groups:ListGroups",
    "resource-groups:ListGroupResources",
  ],
  "AWS::SSM::Document": ["ssm:DescribeDocument", "ssm:GetDocument", "ssm:ListTagsForResource"],
  "AWS::SSM::MaintenanceWindow": ["ssm:GetMaintenanceWindow", "ssm:ListTagsForResource"],
  "AWS::SSM::MaintenanceWindowTarget": ["ssm:DescribeMaintenanceWindowTargets"],
  "AWS::SSM::MaintenanceWindowTask": ["ssm:GetMaintenanceWindowTask"],
  "AWS::SSM::Parameter": ["ssm:GetParameters", "ssm:ListTagsForResource"],
  "AWS::SSM::PatchBaseline": [
    "ssm:GetDefaultPatchBaseline",
    "ssm:GetPatchBaseline",
    "ssm:ListTagsForResource",
  ],
  "AWS::SSM::ResourceDataSync": ["ssm:ListResourceDataSync"],
  "AWS::SecretsManager::ResourcePolicy": ["secretsmanager:GetResourcePolicy"],
  "AWS::SecretsManager::RotationSchedule": ["secretsmanager:DescribeSecret"],
  "AWS::SecretsManager::Secret": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
  "AWS::SecretsManager::SecretTargetAttachment": ["secretsmanager:GetSecretValue"],
  "AWS::ServiceDiscovery::Service": [
    "servicediscovery:GetService",
    "servicediscovery:ListTagsForResource",
    "servicediscovery:GetServiceAttributes",
  ],
  "AWS::WAFv2::LoggingConfiguration": ["wafv2:GetLoggingConfiguration"],
  "AWS::WAFv2::WebACL": ["wafv2:GetWebACL", "wafv2:ListTagsForResource"],
  "AWS::WAFv2::WebACLAssociation": [
    "wafv2:AssociateWebACL",
    "wafv2:GetWebACLForResource",
    "wafv2:GetWebACL",
    "wafv2:DisassociateWebACL",
    "elasticloadbalancing:SetWebACL",
    "apigateway:SetWebACL",
    "appsync:SetWebACL",
    "cognito-idp:AssociateWebACL",
    "cognito-idp:DisassociateWebACL",
    "cognito-idp:GetWebACLForResource",
    "apprunner:AssociateWebAcl",
    "apprunner:DisassociateWebAcl",
    "apprunner:DescribeWebAclForService",
    "ec2:AssociateVerifiedAccessInstanceWebAcl",
    "ec2:DisassociateVerifiedAccessInstanceWebAcl",
    "ec2:DescribeVerifiedAccessInstanceWebAclAssociations",
    "ec2:GetVerifiedAccessInstanceWebAcl",
    "amplify:GetWebACLForResource",
    "elasticloadbalancing:CreateWebACLAssociation",
    "elasticloadbalancing:DeleteWebACLAssociation",
    "elasticloadbalancing:GetLoadBalancerWebACL",
    "appsync:AssociateWebACL",
    "appsync:DisassociateWebACL",
    "appsync:GetWebACLForResource",
    "bedrock-agentcore:GatewayAssociateWebACL",
    "bedrock-agentcore:GatewayDisassociateWebACL",
    "bedrock-agentcore:GatewayGetWebACLForResource",
  ],
};

/**
 * Reads a read handler may ask for that Phantom must not have: a live read compares configuration,
 * never secret values. Without them the handler returns the configuration without the secret, or
 * fails, and the request is compared instead.
 */
export const SENSITIVE_READS: Readonly<Record<string, string>> = {
  "secretsmanager:GetSecretValue":
    "the secret's value: Phantom compares a secret's configuration, never its value",
  "kms:Decrypt":
    "plaintext of encrypted configuration (Lambda environment variables): a diff needs no secrets",
};

/**
 * A read-level action by its name (`Describe*`, `Get*`, `List*`, `BatchGet*`, API Gateway's `GET`):
 * the kind of action ReadOnlyAccess grants. A schema's read handler sometimes lists more (an
 * association's `Associate…`, `iam:PassRole`, `kms:CreateGrant`); those are never Phantom's.
 */
export function isReadLevel(action: string): boolean {
  return /^[a-z0-9-]+:(Describe|Get|List|BatchGet|GET$)/.test(action);
}

/** What the read handlers of `types` list that Phantom is not given, each with why. */
export function refusedReadPermissions(types: Iterable<string>): Map<string, string> {
  const refused = new Map<string, string>();
  for (const type of types) {
    for (const action of READ_HANDLER_PERMISSIONS[type] ?? []) {
      const why = Object.hasOwn(SENSITIVE_READS, action)
        ? SENSITIVE_READS[action]
        : isReadLevel(action)
          ? undefined
          : `${type}'s read handler lists it, but it is not a read: a live read never writes or passes a role`;
      if (why !== undefined) refused.set(action, why);
    }
  }
  return refused;
}
