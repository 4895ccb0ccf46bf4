import { type ResolveContext, resolvedMatches, resolveTemplateValue } from "./resolve.ts";
import {
  type IntrinsicNode,
  isRecord,
  type MapEntry,
  type MapNode,
  nodeAt,
  plainOf,
  sameValue,
  type TemplateNode,
} from "./tree.ts";

/**
 * Security group rules declared as their own resources (`AWS::EC2::SecurityGroupIngress` /
 * `SecurityGroupEgress` targeting the group: the shape CDK's `connections.allowFrom` emits and many
 * hand-written templates use). Drift detection and Cloud Control report them on the group, as
 * `/SecurityGroupIngress/N`; the template holds them elsewhere. Writing such a rule inline on the group
 * would make CloudFormation manage the same rules two ways (the inline list replaces the group's rules
 * on every update, fighting the separate resources), so a legitimized rule becomes one more separate
 * resource, written the way the template's other rules are.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroupingress.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html
 */

export type RuleList = "SecurityGroupIngress" | "SecurityGroupEgress";

/** The properties a separate rule resource takes besides the group it targets. */
const RULE_PROPERTIES: Readonly<Record<RuleList, readonly string[]>> = {
  SecurityGroupIngress: [
    "IpProtocol",
    "FromPort",
    "ToPort",
    "CidrIp",
    "CidrIpv6",
    "SourcePrefixListId",
    "SourceSecurityGroupId",
    "SourceSecurityGroupName",
    "SourceSecurityGroupOwnerId",
    "Description",
  ],
  SecurityGroupEgress: [
    "IpProtocol",
    "FromPort",
    "ToPort",
    "CidrIp",
    "CidrIpv6",
    "DestinationPrefixListId",
    "DestinationSecurityGroupId",
    "Description",
  ],
};

/** What tells one rule from another: a rule item carrying one of these must be declared with it. */
const IDENTITY = new Set([
  "IpProtocol",
  "FromPort",
  "ToPort",
  "CidrIp",
  "CidrIpv6",
  "SourcePrefixListId",
  "SourceSecurityGroupId",
  "SourceSecurityGroupName",
  "DestinationPrefixListId",
  "DestinationSecurityGroupId",
]);

const TARGET_KEYS = ["GroupId", "GroupName"] as const;

/** One separate rule resource of a group. */
export interface SeparateRule {
  readonly logicalId: string;
  readonly entry: MapEntry;
  readonly properties: MapNode;
  /** `GroupId` or `GroupName`, and its value as written (`!GetAtt Group.GroupId`, `!Ref Group`). */
  readonly target: { readonly key: string; readonly node: IntrinsicNode };
}

export function ruleListOf(segment: string | undefined): RuleList | undefined {
  return segment === "SecurityGroupIngress" || segment === "SecurityGroupEgress" ? segment : undefined;
}

function typeOf(resource: TemplateNode): string | undefined {
  const type = nodeAt(resource, ["Type"]);
  return type?.kind === "scalar" && typeof type.value === "string" ? type.value : undefined;
}

/** Whether an intrinsic points at the group: `!Ref Group`, `!GetAtt Group.GroupId`, `[Group, GroupId]`. */
function targets(node: IntrinsicNode, group: string): boolean {
  const arg = plainOf(node.arg);
  if (node.fn === "Ref") return arg === group;
  if (node.fn !== "Fn::GetAtt") return false;
  const [resource, attribute] = typeof arg === "string" ? arg.split(".") : Array.isArray(arg) ? arg : [];
  return resource === group && attribute === "GroupId";
}

/** The separate rule resources of `list` kind that target `group`, in template order. */
export function separateRules(root: TemplateNode | undefined, group: string, list: RuleList): SeparateRule[] {
  const resources = nodeAt(root, ["Resources"]);
  if (resources?.kind !== "map") return [];
  const type = `AWS::EC2::${list}`;
  return resources.entries.flatMap((entry) => {
    if (typeOf(entry.value) !== type) return [];
    const properties = nodeAt(entry.value, ["Properties"]);
    if (properties?.kind !== "map") return [];
    for (const key of TARGET_KEYS) {
      const node = nodeAt(properties, [key]);
      if (node?.kind === "intrinsic" && targets(node, group)) {
        return [{ logicalId: entry.key, entry, properties, target: { key, node } }];
      }
    }
    return [];
  });
}

/**
 * Whether a rule resource declares the rule `item` (a drift or Cloud Control list item): every
 * property it sets holds the item's value (expressions resolved where Phantom can; an expression it
 * cannot resolve, such as another group's `!GetAtt`, matches anything), and it sets every property
 * that identifies the item.
 */
export function declaresRule(rule: SeparateRule, item: unknown, ctx: ResolveContext): boolean {
  if (!isRecord(item)) return false;
  for (const { key, value } of rule.properties.entries) {
    if ((TARGET_KEYS as readonly string[]).includes(key)) continue;
    if (!(key in item)) return false;
    if (value.kind === "scalar") {
      if (!sameValue(value.value, item[key])) return false;
      continue;
    }
    const resolved = resolveTemplateValue(value, ctx);
    if (resolved.kind !== "unknown" && !resolvedMatches(resolved, item[key])) return false;
  }
  const declared = new Set(rule.properties.entries.map((e) => e.key));
  return Object.keys(item).every((k) => !IDENTITY.has(k) || declared.has(k));
}

/** The rule resources that declare `item`. */
export function rulesDeclaring(
  rules: readonly SeparateRule[],
  item: unknown,
  ctx: ResolveContext,
): SeparateRule[] {
  return rules.filter((r) => declaresRule(r, item, ctx));
}

/** A logical id for a new rule: `AppSecurityGroupIngress22`, `...Egress443To444`, made unique. */
function ruleId(
  group: string,
  list: RuleList,
  item: Record<string, unknown>,
  taken: ReadonlySet<string>,
): string {
  const from = item.FromPort;
  const to = item.ToPort;
  const ports =
    item.IpProtocol === "-1" || item.IpProtocol === -1
      ? "All"
      : from === undefined
        ? ""
        : sameValue(from, to) || to === undefined
          ? String(from)
          : `${String(from)}To${String(to)}`;
  const base =
    `${group}${list === "SecurityGroupIngress" ? "Ingress" : "Egress"}${ports.replace(/[^A-Za-z0-9]/g, "")}`.slice(
      0,
      240,
    );
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}${n}`;
  return id;
}

/** A new rule resource for `item`, or why Phantom will not write one. */
export function newRuleResource(options: {
  readonly group: string;
  readonly groupResource: TemplateNode;
  readonly list: RuleList;
  readonly item: unknown;
  readonly siblings: readonly SeparateRule[];
  readonly taken: ReadonlySet<string>;
}): { logicalId: string; value: Record<string, unknown>; notes: string[] } | { reason: string } {
  const { group, list, item, siblings } = options;
  if (!isRecord(item)) return { reason: `the live rule ${JSON.stringify(item)} is not an object` };
  // The sibling written most like this rule (most keys in common; the last one on a tie) is the model.
  const common = (rule: SeparateRule) => rule.properties.entries.filter((e) => e.key in item).length;
  const model = siblings.reduce<SeparateRule | undefined>(
    (best, rule) => (best === undefined || common(rule) >= common(best) ? rule : best),
    undefined,
  );
  if (!model) return { reason: `no other ${list} resource of ${group} shows how to write one` };
  const allowed = RULE_PROPERTIES[list];
  const unknown = Object.keys(item).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    return {
      reason: `the live rule has ${unknown.join(", ")}, which AWS::EC2::${list} does not take`,
    };
  }
  if (item.IpProtocol === undefined) return { reason: "the live rule has no IpProtocol" };
  const order = model.properties.entries.map((e) => e.key);
  const keys = Object.keys(item).sort((a, b) => {
    const [x, y] = [order.indexOf(a), order.indexOf(b)];
    return (
      (x === -1 ? order.length + allowed.indexOf(a) : x) - (y === -1 ? order.length + allowed.indexOf(b) : y)
    );
  });
  const properties: Record<string, unknown> = { [model.target.key]: plainOf(model.target.node) };
  for (const k of keys) properties[k] = item[k];
  const condition = nodeAt(options.groupResource, ["Condition"]);
  const value: Record<string, unknown> = {
    Type: `AWS::EC2::${list}`,
    ...(condition?.kind === "scalar" && condition.value !== null ? { Condition: condition.value } : {}),
    Properties: properties,
  };
  const notes = [
    `${group}'s rules are separate ${list} resources, so the rule is written as a new one next to them rather than inline on the group`,
  ];
  for (const k of ["SourceSecurityGroupId", "DestinationSecurityGroupId"]) {
    if (typeof item[k] === "string") {
      notes.push(
        `${k} ${item[k]} is written as it is live: if it is a group of this stack, replace it with !GetAtt <Group>.GroupId`,
      );
    }
  }
  return { logicalId: ruleId(group, list, item, options.taken), value, notes };
}

/**
 * Where a template refers to a resource: `Ref`, `Fn::GetAtt`, `${Id}` / `${Id.Attr}` in a `Fn::Sub`,
 * and `DependsOn`; as `Resources.X` / `Outputs.Y` / section names, for messages.
 */
export function referencesTo(root: TemplateNode, logicalId: string): string[] {
  const found = new Set<string>();
  const where = (node: TemplateNode) => {
    const [section, id] = node.path;
    return section === "Resources" || section === "Outputs" ? `${section}.${String(id)}` : String(section);
  };
  const subRefers = (text: unknown) =>
    typeof text === "string" &&
    [...text.matchAll(/\$\{([^}!][^}]*)\}/g)].some((m) => (m[1] ?? "").trim().split(".")[0] === logicalId);
  const visit = (node: TemplateNode) => {
    if (node.path[0] === "Resources" && node.path[1] === logicalId) return;
    if (node.kind === "intrinsic") {
      const arg = plainOf(node.arg);
      const refers =
        (node.fn === "Ref" && arg === logicalId) ||
        (node.fn === "Fn::GetAtt" &&
          (typeof arg === "string"
            ? arg.split(".")[0] === logicalId
            : Array.isArray(arg) && arg[0] === logicalId)) ||
        (node.fn === "Fn::Sub" && subRefers(Array.isArray(arg) ? arg[0] : arg));
      if (refers) found.add(where(node));
      visit(node.arg);
      return;
    }
    if (node.kind === "map") {
      for (const e of node.entries) {
        if (e.key === "DependsOn" && node.path.length === 2 && node.path[0] === "Resources") {
          const deps = plainOf(e.value);
          if (deps === logicalId || (Array.isArray(deps) && deps.includes(logicalId))) found.add(where(node));
        }
        visit(e.value);
      }
    } else if (node.kind === "seq") for (const i of node.items) visit(i);
  };
  visit(root);
  return [...found];
}
