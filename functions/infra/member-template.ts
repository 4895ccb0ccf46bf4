// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation `!Sub` strings carry literal ${Name} placeholders.
import { CATALOG } from "../../core/catalog/entries.ts";
import type { CatalogEntry } from "../../core/catalog/types.ts";
import { type EventPattern, eventPatterns } from "../../core/pattern/generate.ts";
import { stackStatusPattern } from "../../core/pattern/stack-status.ts";
import { isReadLevel, READ_HANDLER_PERMISSIONS, SENSITIVE_READS } from "./cloudcontrol-read.ts";
import {
  DEPLOYED_TEMPLATE_ACTIONS,
  DETECTION_STATUS_ACTIONS,
  DOMAIN_EVENT_ACTIONS,
  FORWARDING_CHECK_ACTIONS,
  LIVE_READ_ACTIONS,
  REACTOR_ROLE_PATH,
  RESOURCE_DRIFT_ACTIONS,
  STACK_DRIFT_ACTIONS,
  STACK_LIST_ACTIONS,
  STACK_LOOKUP_ACTIONS,
  STACK_RESOURCES_ACTIONS,
  STACK_TAGS_ACTIONS,
  TYPE_CONFIGURATION_ACTIONS,
} from "./iam.ts";
import { GLOBAL_EVENTS_REGION } from "./options.ts";

/**
 * The member-account template (`phantom org template`): what a CloudFormation StackSet deploys to
 * every member account and region so the central reactor sees and reads it (README "Organisation").
 * Per region: the forwarding rules (the catalog's generated patterns, `eventPatterns`) on the default
 * bus, targeting the central bus; the global services' rules (IAM, CloudFront, Route 53: AWS delivers
 * their events only in us-east-1) only in us-east-1. Once per account (in `IamRegion`, since IAM is
 * global and a second region's stack would collide on the names): the role EventBridge assumes to put
 * events on the central bus, and the read role the reactor assumes.
 *
 * The read role trusts the central account only for the reactor's function roles (their path,
 * `aws:PrincipalArn`) and only inside the organisation (`aws:PrincipalOrgID`). It is granted exactly
 * what the reactor sends in a member account (the CloudFormation reads and drift detection of
 * functions/infra/iam.ts) and what drift detection and Cloud Control's read handlers read with the
 * caller's permissions: the read-level actions each catalogued type's read handler lists
 * (functions/infra/cloudcontrol-read.ts), never a secret's value, never `*`. Those do not fit IAM's
 * 10,240 characters of inline policy per role, so they go in customer managed policies of at most
 * 6,144 characters each.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/what-is-cfnstacksets.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */

/** CloudTrail services whose events AWS delivers only to us-east-1 (as functions/infra/app.ts). */
const GLOBAL_SERVICES: readonly string[] = ["iam", "cloudfront", "route53"];

/** A CloudFormation template as JSON. */
export interface CfnTemplate {
  readonly AWSTemplateFormatVersion: "2010-09-09";
  readonly Description: string;
  readonly Parameters: Record<string, Record<string, unknown>>;
  readonly Conditions: Record<string, unknown>;
  readonly Resources: Record<
    string,
    { Type: string; Condition?: string; Properties: Record<string, unknown> }
  >;
  readonly Outputs: Record<string, { Condition?: string; Value: unknown; Description?: string }>;
}

/** IAM's size limit of one customer managed policy (characters, whitespace not counted). */
export const MANAGED_POLICY_LIMIT = 6_144;
/** IAM's limit on a role's inline policies together (characters, whitespace not counted). */
export const INLINE_POLICY_LIMIT = 10_240;

/** The read-level actions the read handlers of `types` need, sensitive reads left out, sorted. */
export function readHandlerActions(types: Iterable<string>): string[] {
  const actions = new Set<string>();
  for (const type of types) {
    for (const action of READ_HANDLER_PERMISSIONS[type] ?? []) {
      if (isReadLevel(action) && !Object.hasOwn(SENSITIVE_READS, action)) actions.add(action);
    }
  }
  return [...actions].sort();
}

/** The CloudFormation types the catalog can touch (the types whose drift Phantom checks). */
export function catalogTypes(entries: readonly CatalogEntry[] = CATALOG): string[] {
  const types = new Set<string>();
  for (const entry of entries) for (const touch of entry.touches) types.add(touch.type);
  return [...types].filter((t) => t.startsWith("AWS::")).sort();
}

/**
 * The read-level actions drift detection and Cloud Control's read handlers need for the catalogued
 * types, split into documents that each fit one customer managed policy.
 */
export function readHandlerPolicyActions(entries: readonly CatalogEntry[] = CATALOG): string[][] {
  return chunkActions(readHandlerActions(catalogTypes(entries)), MANAGED_POLICY_LIMIT);
}

/** Splits `actions` into policy documents of at most `limit` characters each. */
function chunkActions(actions: readonly string[], limit: number): string[][] {
  const overhead = JSON.stringify(policy([], "*")).length;
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = overhead;
  for (const action of actions) {
    const cost = action.length + 3;
    if (current.length > 0 && size + cost > limit) {
      chunks.push(current);
      current = [];
      size = overhead;
    }
    current.push(action);
    size += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function policy(actions: readonly string[], resource: unknown) {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: [...actions], Resource: resource }],
  };
}

const unique = (...lists: readonly (readonly string[])[]) => [...new Set(lists.flat())];

/** `Fn::Sub` with the partition, so GovCloud and China accounts work too. */
const sub = (text: string) => ({ "Fn::Sub": text });

/**
 * The member template. Pure: the same catalog gives the same template. Parameters: `CentralAccountId`,
 * `CentralBusArn`, `OrganizationId`, `ReactorRolePath`, `ReadRoleName`, `ForwarderRoleName`, `IamRegion`.
 */
export function memberTemplate(entries: readonly CatalogEntry[] = CATALOG): CfnTemplate {
  // Every region also forwards its stacks' status changes (they drop a stack's cached directory answers).
  const regional = [
    ...eventPatterns(entries.filter((e) => !GLOBAL_SERVICES.includes(e.service))),
    stackStatusPattern(),
  ];
  const global = eventPatterns(entries.filter((e) => GLOBAL_SERVICES.includes(e.service)));
  const resources: CfnTemplate["Resources"] = {};
  const forwarderArn = sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${ForwarderRoleName}");
  const rule = (name: string, pattern: EventPattern, n: number, of: number, condition?: string) => {
    resources[name] = {
      Type: "AWS::Events::Rule",
      ...(condition ? { Condition: condition } : {}),
      Properties: {
        Description: `Phantom: forward CloudTrail writes (${n}/${of}) to the central bus`,
        EventBusName: "default",
        State: "ENABLED",
        EventPattern: pattern,
        Targets: [{ Id: "PhantomCentralBus", Arn: { Ref: "CentralBusArn" }, RoleArn: forwarderArn }],
      },
    };
  };
  for (const [i, p] of regional.entries()) rule(`ForwardRule${i + 1}`, p, i + 1, regional.length);
  for (const [i, p] of global.entries()) {
    rule(`ForwardGlobalRule${i + 1}`, p, i + 1, global.length, "IsGlobalEventsRegion");
  }

  resources.ForwarderRole = {
    Type: "AWS::IAM::Role",
    Condition: "IsIamRegion",
    Properties: {
      RoleName: { Ref: "ForwarderRoleName" },
      Description: "Phantom: lets EventBridge put matching events on the central bus",
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: ["sts:AssumeRole"],
            // Only this account's rules may use it (confused deputy).
            Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
          },
        ],
      },
      Policies: [
        {
          PolicyName: "PutOnCentralBus",
          PolicyDocument: policy(DOMAIN_EVENT_ACTIONS, [{ Ref: "CentralBusArn" }]),
        },
      ],
    },
  };

  const stackActions = unique(
    STACK_LOOKUP_ACTIONS,
    STACK_LIST_ACTIONS,
    STACK_TAGS_ACTIONS,
    STACK_RESOURCES_ACTIONS,
    DEPLOYED_TEMPLATE_ACTIONS,
    RESOURCE_DRIFT_ACTIONS,
    STACK_DRIFT_ACTIONS,
  );
  const readChunks = readHandlerPolicyActions(entries);
  readChunks.forEach((actions, i) => {
    resources[`ReadHandlersPolicy${i + 1}`] = {
      Type: "AWS::IAM::ManagedPolicy",
      Condition: "IsIamRegion",
      Properties: {
        Description: `Phantom: what drift detection and Cloud Control read handlers read (${i + 1}/${readChunks.length})`,
        PolicyDocument: policy(actions, "*"),
      },
    };
  });
  resources.ReadRole = {
    Type: "AWS::IAM::Role",
    Condition: "IsIamRegion",
    Properties: {
      RoleName: { Ref: "ReadRoleName" },
      Description: "Phantom: drift detection and read-only reads for the central reactor",
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: sub("arn:${AWS::Partition}:iam::${CentralAccountId}:root") },
            Action: ["sts:AssumeRole"],
            Condition: {
              ArnLike: {
                "aws:PrincipalArn": sub(
                  "arn:${AWS::Partition}:iam::${CentralAccountId}:role${ReactorRolePath}*",
                ),
              },
              StringEquals: { "aws:PrincipalOrgID": { Ref: "OrganizationId" } },
            },
          },
        ],
      },
      ManagedPolicyArns: readChunks.map((_, i) => ({ Ref: `ReadHandlersPolicy${i + 1}` })),
      Policies: [
        {
          PolicyName: "PhantomStacks",
          PolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: stackActions,
                Resource: [sub("arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/*/*")],
              },
              {
                // No resource-level permissions (functions/infra/iam.ts WILDCARD_RESOURCE_ACTIONS).
                Effect: "Allow",
                Action: unique(DETECTION_STATUS_ACTIONS, TYPE_CONFIGURATION_ACTIONS, LIVE_READ_ACTIONS),
                Resource: ["*"],
              },
              {
                // The sweep asks which rules deliver to the central bus (a region without one is reported).
                Effect: "Allow",
                Action: [...FORWARDING_CHECK_ACTIONS],
                Resource: [sub("arn:${AWS::Partition}:events:*:${AWS::AccountId}:rule/*")],
              },
            ],
          },
        },
      ],
    },
  };

  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Description:
      "Phantom member account: forwards CloudTrail writes to the central bus and lets the reactor read stacks and detect drift (deploy with a StackSet; generated by `phantom org template`)",
    Parameters: {
      CentralAccountId: {
        Type: "String",
        AllowedPattern: "^\\d{12}$",
        Description: "The account Phantom runs in",
      },
      CentralBusArn: {
        Type: "String",
        AllowedPattern: "^arn:aws[a-z-]*:events:[a-z0-9-]+:\\d{12}:event-bus/[\\w.\\-/]+$",
        Description:
          "The central default bus: arn:aws:events:<home region>:<central account>:event-bus/default",
      },
      OrganizationId: {
        Type: "String",
        AllowedPattern: "^o-[a-z0-9]{10,32}$",
        Description:
          "Your organisation's id (aws organizations describe-organization): the read role trusts nobody outside it",
      },
      ReactorRolePath: {
        Type: "String",
        Default: REACTOR_ROLE_PATH,
        AllowedPattern: "^/([\\w+=,.@-]+/)*$",
        Description:
          "The IAM path of the reactor's function roles in the central account (the SST app sets /phantom/)",
      },
      ReadRoleName: {
        Type: "String",
        Default: "PhantomReadOnly",
        AllowedPattern: "^[\\w+=,.@-]{1,64}$",
        Description: "The read role's name (PHANTOM_DEPLOY_READ_ROLE_NAME of the central deploy)",
      },
      ForwarderRoleName: {
        Type: "String",
        Default: "PhantomForwarder",
        AllowedPattern: "^[\\w+=,.@-]{1,64}$",
        Description: "The role EventBridge assumes to put events on the central bus",
      },
      IamRegion: {
        Type: "String",
        Default: GLOBAL_EVENTS_REGION,
        AllowedPattern: "^[a-z]{2}(-[a-z]+)+-\\d$",
        Description:
          "The one region whose stack instance creates the account's IAM roles (deploy it first: RegionOrder)",
      },
    },
    Conditions: {
      IsGlobalEventsRegion: { "Fn::Equals": [{ Ref: "AWS::Region" }, GLOBAL_EVENTS_REGION] },
      IsIamRegion: { "Fn::Equals": [{ Ref: "AWS::Region" }, { Ref: "IamRegion" }] },
    },
    Resources: resources,
    Outputs: {
      ReadRoleArn: { Condition: "IsIamRegion", Value: { "Fn::GetAtt": ["ReadRole", "Arn"] } },
      ForwardingRules: {
        Value: String(regional.length),
        Description: "Forwarding rules in this region (plus the global services' in us-east-1)",
      },
    },
  };
}
