import { type DeclaredResource, isRecord, isUnknown, type Resolver } from "./declared.ts";

/**
 * Rules and attachments a template declares as separate resources, counted as part of the resource
 * they target. One row per attachment type:
 * - `live: "target"`: the target's own Cloud Control schema holds the items, so the attachment's
 *   item is merged into the target's declared `property` (a group's ingress rules, a role's inline
 *   policies) and compared with the target's live read;
 * - `live: "attachment"`: the target's schema has no such property (a bucket has no policy), so
 *   the attachment resource itself is read and compared, and its differences are reported on it.
 *
 * Property names follow the CloudFormation resource reference (Cloud Control uses the same schemas).
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html
 */
export interface AttachmentRow {
  /** The attachment's type. */
  readonly type: string;
  /** The type of the resource it targets. */
  readonly target: string;
  /** The attachment's properties that name the target (a scalar or a list), first found wins. */
  readonly via: readonly string[];
  readonly live: "target" | "attachment";
  /** `live: "target"`: the target property the attachment adds an item to. */
  readonly property?: string;
  /** `live: "target"`: the item, from the attachment's resolved properties and its physical id. */
  readonly item?: (properties: Record<string, unknown>, physicalId: string | undefined) => unknown;
}

const without =
  (...names: string[]) =>
  (properties: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(properties).filter(([k]) => !names.includes(k)));
const inlinePolicy = (properties: Record<string, unknown>) => ({
  PolicyName: properties.PolicyName,
  PolicyDocument: properties.PolicyDocument,
});
const managedPolicyArn = (_: Record<string, unknown>, physicalId: string | undefined) => physicalId;

const SG = "AWS::EC2::SecurityGroup";
const ROLE = "AWS::IAM::Role";
const USER = "AWS::IAM::User";
const GROUP = "AWS::IAM::Group";

export const ATTACHMENTS: readonly AttachmentRow[] = [
  // EC2 security groups: CDK's `connections.allowFrom` and many hand-written templates.
  {
    type: "AWS::EC2::SecurityGroupIngress",
    target: SG,
    via: ["GroupId", "GroupName"],
    live: "target",
    property: "SecurityGroupIngress",
    item: without("GroupId", "GroupName"),
  },
  {
    type: "AWS::EC2::SecurityGroupEgress",
    target: SG,
    via: ["GroupId"],
    live: "target",
    property: "SecurityGroupEgress",
    item: without("GroupId"),
  },
  // IAM inline policies (AWS::IAM::Policy on several principals; the newer one-principal types).
  {
    type: "AWS::IAM::Policy",
    target: ROLE,
    via: ["Roles"],
    live: "target",
    property: "Policies",
    item: inlinePolicy,
  },
  {
    type: "AWS::IAM::Policy",
    target: USER,
    via: ["Users"],
    live: "target",
    property: "Policies",
    item: inlinePolicy,
  },
  {
    type: "AWS::IAM::Policy",
    target: GROUP,
    via: ["Groups"],
    live: "target",
    property: "Policies",
    item: inlinePolicy,
  },
  {
    type: "AWS::IAM::RolePolicy",
    target: ROLE,
    via: ["RoleName"],
    live: "target",
    property: "Policies",
    item: inlinePolicy,
  },
  {
    type: "AWS::IAM::UserPolicy",
    target: USER,
    via: ["UserName"],
    live: "target",
    property: "Policies",
    item: inlinePolicy,
  },
  {
    type: "AWS::IAM::GroupPolicy",
    target: GROUP,
    via: ["GroupName"],
    live: "target",
    property: "Policies",
    item: inlinePolicy,
  },
  // Customer managed policies attached from the policy's side.
  {
    type: "AWS::IAM::ManagedPolicy",
    target: ROLE,
    via: ["Roles"],
    live: "target",
    property: "ManagedPolicyArns",
    item: managedPolicyArn,
  },
  {
    type: "AWS::IAM::ManagedPolicy",
    target: USER,
    via: ["Users"],
    live: "target",
    property: "ManagedPolicyArns",
    item: managedPolicyArn,
  },
  {
    type: "AWS::IAM::ManagedPolicy",
    target: GROUP,
    via: ["Groups"],
    live: "target",
    property: "ManagedPolicyArns",
    item: managedPolicyArn,
  },
  { type: "AWS::IAM::UserToGroupAddition", target: GROUP, via: ["GroupName"], live: "attachment" },
  // Resource policies: the target's schema has no policy, the attachment is read itself.
  { type: "AWS::S3::BucketPolicy", target: "AWS::S3::Bucket", via: ["Bucket"], live: "attachment" },
  { type: "AWS::SQS::QueuePolicy", target: "AWS::SQS::Queue", via: ["Queues"], live: "attachment" },
  { type: "AWS::SQS::QueueInlinePolicy", target: "AWS::SQS::Queue", via: ["Queue"], live: "attachment" },
  { type: "AWS::SNS::TopicPolicy", target: "AWS::SNS::Topic", via: ["Topics"], live: "attachment" },
  { type: "AWS::SNS::TopicInlinePolicy", target: "AWS::SNS::Topic", via: ["TopicArn"], live: "attachment" },
  {
    type: "AWS::Lambda::Permission",
    target: "AWS::Lambda::Function",
    via: ["FunctionName"],
    live: "attachment",
  },
  {
    type: "AWS::Lambda::EventInvokeConfig",
    target: "AWS::Lambda::Function",
    via: ["FunctionName"],
    live: "attachment",
  },
  {
    type: "AWS::SecretsManager::ResourcePolicy",
    target: "AWS::SecretsManager::Secret",
    via: ["SecretId"],
    live: "attachment",
  },
  {
    type: "AWS::SecretsManager::RotationSchedule",
    target: "AWS::SecretsManager::Secret",
    via: ["SecretId"],
    live: "attachment",
  },
  // Network links a stack declares as their own resources.
  { type: "AWS::EC2::Route", target: "AWS::EC2::RouteTable", via: ["RouteTableId"], live: "attachment" },
  {
    type: "AWS::EC2::SubnetRouteTableAssociation",
    target: "AWS::EC2::RouteTable",
    via: ["RouteTableId"],
    live: "attachment",
  },
  {
    type: "AWS::EC2::VPCGatewayAttachment",
    target: "AWS::EC2::InternetGateway",
    via: ["InternetGatewayId"],
    live: "attachment",
  },
  { type: "AWS::EC2::VPCGatewayAttachment", target: "AWS::EC2::VPC", via: ["VpcId"], live: "attachment" },
  {
    type: "AWS::EC2::NetworkAclEntry",
    target: "AWS::EC2::NetworkAcl",
    via: ["NetworkAclId"],
    live: "attachment",
  },
  {
    type: "AWS::EC2::SubnetNetworkAclAssociation",
    target: "AWS::EC2::NetworkAcl",
    via: ["NetworkAclId"],
    live: "attachment",
  },
  { type: "AWS::EC2::VolumeAttachment", target: "AWS::EC2::Volume", via: ["VolumeId"], live: "attachment" },
  {
    type: "AWS::EC2::VolumeAttachment",
    target: "AWS::EC2::Instance",
    via: ["InstanceId"],
    live: "attachment",
  },
  // Children that configure their parent.
  {
    type: "AWS::Logs::SubscriptionFilter",
    target: "AWS::Logs::LogGroup",
    via: ["LogGroupName"],
    live: "attachment",
  },
  {
    type: "AWS::Logs::MetricFilter",
    target: "AWS::Logs::LogGroup",
    via: ["LogGroupName"],
    live: "attachment",
  },
  {
    type: "AWS::ElasticLoadBalancingV2::ListenerCertificate",
    target: "AWS::ElasticLoadBalancingV2::Listener",
    via: ["ListenerArn"],
    live: "attachment",
  },
  {
    type: "AWS::AutoScaling::LifecycleHook",
    target: "AWS::AutoScaling::AutoScalingGroup",
    via: ["AutoScalingGroupName"],
    live: "attachment",
  },
  {
    type: "AWS::AutoScaling::ScalingPolicy",
    target: "AWS::AutoScaling::AutoScalingGroup",
    via: ["AutoScalingGroupName"],
    live: "attachment",
  },
];

/** The rows of an attachment type. */
export function attachmentRows(type: string): AttachmentRow[] {
  return ATTACHMENTS.filter((row) => row.type === type);
}

/** A name, id, ARN or URL: the last two may end with the other side's name. */
const structured = (text: string) => text.startsWith("arn:") || /^https?:\/\//.test(text);
const lastSegment = (text: string) => text.split(/[:/]/).at(-1) ?? text;

/** Whether a resolved reference (a name, an id, an ARN or a URL) names the resource with this physical id. */
export function namesResource(value: unknown, physicalId: string): boolean {
  if (typeof value !== "string" || value === "" || physicalId === "") return false;
  if (value === physicalId) return true;
  if (structured(value) && !structured(physicalId)) return lastSegment(value) === physicalId;
  if (structured(physicalId) && !structured(value)) return lastSegment(physicalId) === value;
  return false;
}

/** A declared attachment of a target, with the row that links them. */
export interface DeclaredAttachment {
  readonly row: AttachmentRow;
  readonly resource: DeclaredResource;
  /** The attachment's resolved properties. */
  readonly properties: Record<string, unknown>;
  readonly physicalId?: string;
}

/**
 * The attachments the template declares for a target (in template order), by resolving each
 * candidate's target properties to the target's physical id (`Ref`/`Fn::GetAtt` through
 * DescribeStackResources) or, failing that, by a literal `Ref` to the target's logical id.
 */
export function attachmentsOf(
  target: { readonly logicalId: string; readonly type: string; readonly physicalId: string },
  resources: Iterable<DeclaredResource>,
  resolver: Resolver,
): DeclaredAttachment[] {
  const found: DeclaredAttachment[] = [];
  for (const resource of resources) {
    for (const row of attachmentRows(resource.type)) {
      if (row.target !== target.type) continue;
      if (resolver.exists(resource) === false) continue;
      const properties = resolver.properties(resource);
      const linked = row.via.some((name) => {
        const raw = resource.properties[name];
        if (refersTo(raw, target.logicalId)) return true;
        const value = properties[name];
        const values = Array.isArray(value) ? value : [value];
        return values.some((v) => !isUnknown(v) && namesResource(v, target.physicalId));
      });
      if (linked) {
        const physicalId = resolver.stackResource(resource.logicalId)?.physicalId;
        found.push({ row, resource, properties, ...(physicalId !== undefined ? { physicalId } : {}) });
      }
    }
  }
  return found;
}

/** The attachment's targets of a row: the logical ids it refers to (`Ref`/`Fn::GetAtt`), literally. */
export function targetsOf(resource: DeclaredResource, row: AttachmentRow): string[] {
  const ids = new Set<string>();
  for (const name of row.via) {
    const raw = resource.properties[name];
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      const id = referencedId(value);
      if (id !== undefined) ids.add(id);
    }
  }
  return [...ids];
}

/** The logical id a `Ref` or `Fn::GetAtt` names. */
function referencedId(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === "string") return value.Ref;
  const getAtt = value["Fn::GetAtt"];
  if (Array.isArray(getAtt) && typeof getAtt[0] === "string") return getAtt[0];
  if (typeof getAtt === "string") return getAtt.split(".")[0];
  return undefined;
}

function refersTo(raw: unknown, logicalId: string): boolean {
  const values = Array.isArray(raw) ? raw : [raw];
  return values.some((v) => referencedId(v) === logicalId);
}
