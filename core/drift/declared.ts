import { isAlias, isMap, isScalar, isSeq, type Node, parseDocument } from "yaml";
import type { StackResource } from "./ports.ts";

/**
 * What a template declares for its resources, resolved the way CloudFormation would for the deployed
 * stack: parameters (the deployed values, else their `Default`), pseudo parameters, `Ref`/`Fn::GetAtt`
 * to stack resources (through DescribeStackResources' physical ids), `Fn::Sub`, `Fn::Join`, `Fn::If`,
 * `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, `Fn::Base64` and conditions. A value Phantom cannot know
 * (an attribute only CloudFormation knows, `Fn::ImportValue`, a NoEcho parameter) is an {@link Unknown}:
 * the comparison skips it instead of reporting noise.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
 */

/** A value Phantom cannot resolve; `why` says which intrinsic stopped it. */
export class Unknown {
  constructor(readonly why: string) {}
  toJSON(): string {
    return `(unknown: ${this.why})`;
  }
}

export function isUnknown(value: unknown): value is Unknown {
  return value instanceof Unknown;
}

/** Whether a resolved value holds an {@link Unknown} anywhere. */
export function hasUnknown(value: unknown, depth = 0): boolean {
  if (value instanceof Unknown) return true;
  if (depth > 64) return false;
  if (Array.isArray(value)) return value.some((v) => hasUnknown(v, depth + 1));
  if (isRecord(value)) return Object.values(value).some((v) => hasUnknown(v, depth + 1));
  return false;
}

/** `AWS::NoValue`: the property (or list item) is removed. */
const NO_VALUE: unique symbol = Symbol("AWS::NoValue");

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Unknown);
}

/** A template resource as declared: its type, condition and raw (unresolved) properties. */
export interface DeclaredResource {
  readonly logicalId: string;
  readonly type: string;
  readonly condition?: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

/** A template read into plain data, intrinsic functions in their long form (`{"Fn::Sub": ...}`). */
export interface TemplateModel {
  readonly resources: ReadonlyMap<string, DeclaredResource>;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly conditions: Readonly<Record<string, unknown>>;
  readonly mappings: Readonly<Record<string, unknown>>;
}

/** Long-form name of a short-form tag: `!Ref` ► `Ref`, `!GetAtt` ► `Fn::GetAtt`. */
function longForm(tag: string): string | undefined {
  const name = tag.replace(/^!/, "");
  if (name === "" || tag === name || /[^A-Za-z0-9]/.test(name)) return undefined;
  return name === "Ref" || name === "Condition" ? name : `Fn::${name}`;
}

/** A YAML node as plain data; CloudFormation's short-form tags become long-form intrinsics. */
function plain(node: unknown, doc: ReturnType<typeof parseDocument>, depth = 0): unknown {
  if (depth > 200 || node === null || node === undefined) return null;
  if (isAlias(node)) return plain(node.resolve(doc), doc, depth + 1);
  const tag = (node as Node).tag;
  const fn = typeof tag === "string" ? longForm(tag) : undefined;
  let value: unknown;
  if (isScalar(node)) value = node.value;
  else if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key !== undefined) out[key] = plain(pair.value, doc, depth + 1);
    }
    value = out;
  } else if (isSeq(node)) value = node.items.map((item) => plain(item, doc, depth + 1));
  else value = null;
  if (fn === undefined) return value;
  // `!GetAtt Resource.Attribute` is the scalar form of `Fn::GetAtt: [Resource, Attribute]`.
  if (fn === "Fn::GetAtt" && typeof value === "string") {
    const dot = value.indexOf(".");
    return { [fn]: dot === -1 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [fn]: value };
}

function section(root: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = root[name];
  return isRecord(value) ? value : {};
}

/**
 * Reads a template (YAML with short-form tags, or JSON) into a {@link TemplateModel}. YAML errors a
 * lenient reading survives (a multi-line double-quoted string CloudFormation accepts) do not stop it;
 * a document that is not a mapping yields an empty model.
 */
export function readTemplate(text: string, format?: "yaml" | "json"): TemplateModel {
  let root: unknown;
  const json = format === "json" || (format === undefined && text.trimStart().startsWith("{"));
  if (json) {
    try {
      root = JSON.parse(text) as unknown;
    } catch {
      root = undefined;
    }
  }
  if (root === undefined) {
    const doc = parseDocument(text, { uniqueKeys: false, logLevel: "silent" });
    root = plain(doc.contents, doc);
  }
  if (!isRecord(root)) return { resources: new Map(), parameters: {}, conditions: {}, mappings: {} };
  const resources = new Map<string, DeclaredResource>();
  for (const [logicalId, value] of Object.entries(section(root, "Resources"))) {
    if (!isRecord(value) || typeof value.Type !== "string") continue;
    resources.set(logicalId, {
      logicalId,
      type: value.Type,
      ...(typeof value.Condition === "string" ? { condition: value.Condition } : {}),
      properties: isRecord(value.Properties) ? value.Properties : {},
    });
  }
  return {
    resources,
    parameters: section(root, "Parameters"),
    conditions: section(root, "Conditions"),
    mappings: section(root, "Mappings"),
  };
}

/** What resolution knows about the deployed stack. */
export interface ResolveContext {
  readonly model: TemplateModel;
  /** The stack's deployed parameter values (DescribeStacks); `****` (NoEcho) is unknown. */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly stackResources: readonly StackResource[];
  readonly stack?: string;
  readonly region?: string;
  readonly account?: string;
}

function partitionOf(region: string | undefined): string | undefined {
  if (region === undefined) return undefined;
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/**
 * `Fn::GetAtt` attributes whose value follows from the physical id (and region/account), by type.
 * Anything not listed is unknown: only CloudFormation knows it, so the property is not compared.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-template-resource-type-ref.html
 */
type AttributeRule = (
  physicalId: string,
  where: {
    region?: string;
    account?: string;
    partition?: string;
    /** One of the resource's own properties, resolved (the IAM `Path` in an ARN). */
    property: (name: string) => unknown;
  },
) => string | undefined;

const same: AttributeRule = (id) => id;
const arn =
  (service: string, resource: (id: string) => string, global = false): AttributeRule =>
  (id, w) => {
    if (id.startsWith("arn:")) return id;
    if (w.partition === undefined || w.account === undefined || (!global && w.region === undefined)) {
      return undefined;
    }
    return `arn:${w.partition}:${service}:${global ? "" : w.region}:${w.account}:${resource(id)}`;
  };
const lastOf = (id: string) => id.split(/[/:]/).at(-1) ?? id;
/** `arn:aws:iam::<account>:<kind><path><name>`; the path defaults to `/`. */
const iamArn =
  (kind: string): AttributeRule =>
  (id, w) => {
    if (id.startsWith("arn:")) return id;
    if (w.partition === undefined || w.account === undefined) return undefined;
    const path = w.property("Path") ?? "/";
    return typeof path === "string" ? `arn:${w.partition}:iam::${w.account}:${kind}${path}${id}` : undefined;
  };
/** An SQS queue's physical id is its URL: `https://sqs.<region>.amazonaws.com/<account>/<name>`. */
const queueArn: AttributeRule = (id, w) => {
  const m = /^https?:\/\/[^/]+\/(\d{12})\/([^/]+)$/.exec(id);
  return m && w.partition && w.region ? `arn:${w.partition}:sqs:${w.region}:${m[1]}:${m[2]}` : undefined;
};

const ATTRIBUTES: Readonly<Record<string, Readonly<Record<string, AttributeRule>>>> = {
  "AWS::EC2::SecurityGroup": { GroupId: same },
  "AWS::EC2::VPC": { VpcId: same },
  "AWS::EC2::Subnet": { SubnetId: same },
  "AWS::EC2::RouteTable": { RouteTableId: same },
  "AWS::EC2::InternetGateway": { InternetGatewayId: same },
  "AWS::EC2::NetworkAcl": { Id: same },
  "AWS::EC2::Instance": { InstanceId: same },
  "AWS::EC2::LaunchTemplate": { LaunchTemplateId: same },
  "AWS::EC2::NatGateway": { NatGatewayId: same },
  "AWS::S3::Bucket": {
    Arn: (id, w) => (w.partition ? `arn:${w.partition}:s3:::${id}` : undefined),
    DomainName: (id, w) => (w.partition === "aws" ? `${id}.s3.amazonaws.com` : undefined),
  },
  "AWS::Lambda::Function": { Arn: arn("lambda", (id) => `function:${id}`) },
  "AWS::IAM::Role": { Arn: iamArn("role") },
  "AWS::IAM::User": { Arn: iamArn("user") },
  "AWS::IAM::Group": { Arn: iamArn("group") },
  "AWS::IAM::InstanceProfile": { Arn: iamArn("instance-profile") },
  "AWS::IAM::ManagedPolicy": { PolicyArn: same },
  "AWS::SQS::Queue": { Arn: queueArn, QueueUrl: same, QueueName: lastOf },
  "AWS::SNS::Topic": { TopicArn: same, TopicName: lastOf },
  "AWS::DynamoDB::Table": { Arn: arn("dynamodb", (id) => `table/${id}`) },
  "AWS::KMS::Key": { Arn: arn("kms", (id) => `key/${id}`), KeyId: same },
  "AWS::Logs::LogGroup": { Arn: arn("logs", (id) => `log-group:${id}:*`) },
  "AWS::ECR::Repository": { Arn: arn("ecr", (id) => `repository/${id}`) },
  "AWS::SecretsManager::Secret": { Id: same },
  "AWS::ElasticLoadBalancingV2::LoadBalancer": { LoadBalancerArn: same },
  "AWS::ElasticLoadBalancingV2::TargetGroup": { TargetGroupArn: same },
  "AWS::ElasticLoadBalancingV2::Listener": { ListenerArn: same },
  "AWS::ECS::Cluster": { Arn: arn("ecs", (id) => `cluster/${id}`) },
  "AWS::StepFunctions::StateMachine": { Arn: same },
  "AWS::SSM::Parameter": { Name: same },
};

const SUB_VARIABLE = /\$\{([^}]*)\}/g;

/**
 * Resolves template values for one deployed stack. Results are plain data with {@link Unknown}
 * where Phantom cannot know the value; `AWS::NoValue` removes map keys and list items.
 */
export class Resolver {
  private readonly byLogicalId: Map<string, StackResource>;
  private readonly conditionCache = new Map<string, boolean | Unknown>();
  private readonly partition: string | undefined;

  constructor(private readonly ctx: ResolveContext) {
    this.byLogicalId = new Map(ctx.stackResources.map((r) => [r.logicalId, r]));
    this.partition = partitionOf(ctx.region);
  }

  /** The stack resource of a logical id (DescribeStackResources). */
  stackResource(logicalId: string): StackResource | undefined {
    return this.byLogicalId.get(logicalId);
  }

  /** Whether a declared resource exists in the deployed stack (its condition held). */
  exists(resource: DeclaredResource): boolean | Unknown {
    if (this.byLogicalId.has(resource.logicalId)) return true;
    if (resource.condition === undefined) return true;
    return this.condition(resource.condition);
  }

  /** A resource's properties, resolved. */
  properties(resource: DeclaredResource): Record<string, unknown> {
    const out = this.resolve(resource.properties);
    return isRecord(out) ? out : {};
  }

  /** Resolves any template value. */
  resolve(value: unknown, depth = 0): unknown {
    const out = this.value(value, depth);
    return out === NO_VALUE ? undefined : out;
  }

  private value(value: unknown, depth: number): unknown {
    if (depth > 100) return new Unknown("nested too deep");
    if (Array.isArray(value)) {
      return value.map((v) => this.value(v, depth + 1)).filter((v) => v !== NO_VALUE);
    }
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0] : undefined;
    if (only !== undefined && (only === "Ref" || only.startsWith("Fn::") || only === "Condition")) {
      return this.intrinsic(only, value[only], depth);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const v = this.value(value[key], depth + 1);
      if (v !== NO_VALUE) out[key] = v;
    }
    return out;
  }

  private intrinsic(fn: string, arg: unknown, depth: number): unknown {
    switch (fn) {
      case "Ref":
        return typeof arg === "string" ? this.ref(arg) : new Unknown("Ref to a non-name");
      case "Fn::GetAtt":
        return this.getAtt(arg, depth);
      case "Fn::Sub":
        return this.sub(arg, depth);
      case "Fn::Join": {
        if (!Array.isArray(arg) || arg.length !== 2) return new Unknown("malformed Fn::Join");
        const delimiter = this.value(arg[0], depth + 1);
        const list = this.value(arg[1], depth + 1);
        if (typeof delimiter !== "string" || !Array.isArray(list))
          return new Unknown("Fn::Join of unknown parts");
        if (list.some((v) => !isScalarText(v))) return new Unknown("Fn::Join of unknown parts");
        return list.map(String).join(delimiter);
      }
      case "Fn::Select": {
        if (!Array.isArray(arg) || arg.length !== 2) return new Unknown("malformed Fn::Select");
        const index = Number(this.value(arg[0], depth + 1));
        const list = this.value(arg[1], depth + 1);
        if (!Array.isArray(list) || !Number.isInteger(index))
          return new Unknown("Fn::Select of an unknown list");
        return index >= 0 && index < list.length ? list[index] : new Unknown("Fn::Select out of range");
      }
      case "Fn::Split": {
        if (!Array.isArray(arg) || arg.length !== 2) return new Unknown("malformed Fn::Split");
        const delimiter = this.value(arg[0], depth + 1);
        const text = this.value(arg[1], depth + 1);
        return typeof delimiter === "string" && typeof text === "string"
          ? text.split(delimiter)
          : new Unknown("Fn::Split of an unknown string");
      }
      case "Fn::If": {
        if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== "string") {
          return new Unknown("malformed Fn::If");
        }
        const holds = this.condition(arg[0]);
        if (holds instanceof Unknown) return holds;
        return this.value(holds ? arg[1] : arg[2], depth + 1);
      }
      case "Fn::FindInMap": {
        if (!Array.isArray(arg) || arg.length < 3) return new Unknown("malformed Fn::FindInMap");
        const [map, top, second] = arg.slice(0, 3).map((a) => this.value(a, depth + 1));
        const fallback = arg[3];
        if (typeof map !== "string" || !isScalarText(top) || !isScalarText(second)) {
          return new Unknown("Fn::FindInMap with unknown keys");
        }
        const entry = this.ctx.model.mappings[map];
        const level = isRecord(entry) ? entry[String(top)] : undefined;
        const found = isRecord(level) ? level[String(second)] : undefined;
        if (found !== undefined) return this.value(found, depth + 1);
        if (isRecord(fallback) && "DefaultValue" in fallback)
          return this.value(fallback.DefaultValue, depth + 1);
        return new Unknown(`Fn::FindInMap ${map}.${String(top)}.${String(second)} not found`);
      }
      case "Fn::Base64": {
        const text = this.value(arg, depth + 1);
        return typeof text === "string"
          ? Buffer.from(text, "utf8").toString("base64")
          : new Unknown("Fn::Base64 of an unknown string");
      }
      case "Fn::Length": {
        const list = this.value(arg, depth + 1);
        return Array.isArray(list) ? list.length : new Unknown("Fn::Length of an unknown list");
      }
      case "Fn::ToJsonString": {
        const v = this.value(arg, depth + 1);
        return hasUnknown(v) ? new Unknown("Fn::ToJsonString of unknown values") : JSON.stringify(v);
      }
      case "Fn::Equals":
      case "Fn::And":
      case "Fn::Or":
      case "Fn::Not":
      case "Condition":
        return this.conditionValue({ [fn]: arg }, depth);
      default:
        // Fn::GetAZs, Fn::ImportValue, Fn::Cidr, Fn::Transform, Fn::GetStackOutput...: only AWS knows.
        return new Unknown(fn);
    }
  }

  private ref(name: string): unknown {
    switch (name) {
      case "AWS::NoValue":
        return NO_VALUE;
      case "AWS::Region":
        return this.ctx.region ?? new Unknown("AWS::Region");
      case "AWS::AccountId":
        return this.ctx.account ?? new Unknown("AWS::AccountId");
      case "AWS::StackName":
        return this.ctx.stack ?? new Unknown("AWS::StackName");
      case "AWS::Partition":
        return this.partition ?? new Unknown("AWS::Partition");
      case "AWS::URLSuffix":
        return this.partition === "aws-cn"
          ? "amazonaws.com.cn"
          : this.partition
            ? "amazonaws.com"
            : new Unknown("AWS::URLSuffix");
    }
    if (name.startsWith("AWS::")) return new Unknown(name);
    if (name in this.ctx.model.parameters) return this.parameter(name);
    const resource = this.byLogicalId.get(name);
    if (resource !== undefined) return resource.physicalId;
    return new Unknown(`Ref ${name}`);
  }

  private parameter(name: string): unknown {
    const declared = this.ctx.model.parameters[name];
    const type = isRecord(declared) && typeof declared.Type === "string" ? declared.Type : "String";
    if (type.startsWith("AWS::SSM::Parameter::Value")) return new Unknown(`parameter ${name} (an SSM value)`);
    const deployed = this.ctx.parameters?.[name];
    let text: unknown = deployed;
    if (deployed === undefined) {
      const fallback = isRecord(declared) ? declared.Default : undefined;
      if (fallback === undefined || fallback === null) return new Unknown(`parameter ${name}`);
      text = fallback;
    } else if (/^\*+$/.test(deployed)) {
      return new Unknown(`parameter ${name} (NoEcho)`);
    }
    if (type === "CommaDelimitedList" || type.startsWith("List<")) {
      if (Array.isArray(text)) return text.map(String);
      return String(text)
        .split(",")
        .map((s) => s.trim());
    }
    return typeof text === "number" || typeof text === "boolean" ? String(text) : text;
  }

  private getAtt(arg: unknown, depth: number): unknown {
    let parts: unknown[];
    if (typeof arg === "string") {
      const dot = arg.indexOf(".");
      parts = dot === -1 ? [arg] : [arg.slice(0, dot), arg.slice(dot + 1)];
    } else if (Array.isArray(arg)) parts = arg.map((a) => this.value(a, depth + 1));
    else return new Unknown("malformed Fn::GetAtt");
    const [logicalId, attribute] = parts;
    if (typeof logicalId !== "string" || typeof attribute !== "string") {
      return new Unknown("Fn::GetAtt with unknown names");
    }
    const resource = this.byLogicalId.get(logicalId);
    const declared = this.ctx.model.resources.get(logicalId);
    const type = resource?.type ?? declared?.type;
    const rule = type ? ATTRIBUTES[type]?.[attribute] : undefined;
    if (resource === undefined || rule === undefined)
      return new Unknown(`Fn::GetAtt ${logicalId}.${attribute}`);
    // Only the property a rule needs is resolved, one level deeper: a template that refers to itself
    // in a circle ends at the depth limit as unknown.
    const property = (name: string) => {
      const raw = declared?.properties[name];
      return raw === undefined ? undefined : this.resolve(raw, depth + 1);
    };
    const value = rule(resource.physicalId, {
      ...(this.ctx.region !== undefined ? { region: this.ctx.region } : {}),
      ...(this.ctx.account !== undefined ? { account: this.ctx.account } : {}),
      ...(this.partition !== undefined ? { partition: this.partition } : {}),
      property,
    });
    return value ?? new Unknown(`Fn::GetAtt ${logicalId}.${attribute}`);
  }

  private sub(arg: unknown, depth: number): unknown {
    let template: unknown = arg;
    let variables: Record<string, unknown> = {};
    if (Array.isArray(arg)) {
      template = arg[0];
      const vars = this.value(arg[1], depth + 1);
      if (isRecord(vars)) variables = vars;
    }
    if (typeof template !== "string") return new Unknown("malformed Fn::Sub");
    let unknown: Unknown | undefined;
    const text = template.replace(SUB_VARIABLE, (whole, inner: string) => {
      if (inner.startsWith("!")) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      let value: unknown;
      if (name in variables) value = variables[name];
      else if (name.includes(".") && !name.startsWith("AWS::")) {
        const dot = name.indexOf(".");
        value = this.getAtt([name.slice(0, dot), name.slice(dot + 1)], depth + 1);
      } else value = this.ref(name);
      if (!isScalarText(value)) {
        unknown = value instanceof Unknown ? value : new Unknown(`Fn::Sub variable ${name}`);
        return whole;
      }
      return String(value);
    });
    return unknown ?? text;
  }

  /** A named condition: true, false, or unknown. */
  condition(name: string): boolean | Unknown {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    this.conditionCache.set(name, new Unknown(`condition ${name} refers to itself`));
    const declared = this.ctx.model.conditions[name];
    const result =
      declared === undefined
        ? new Unknown(`condition ${name} is not declared`)
        : this.conditionValue(declared, 0);
    this.conditionCache.set(name, result);
    return result;
  }

  private conditionValue(value: unknown, depth: number): boolean | Unknown {
    if (depth > 50) return new Unknown("condition nested too deep");
    if (typeof value === "boolean") return value;
    if (!isRecord(value)) return new Unknown("malformed condition");
    const [fn] = Object.keys(value);
    const arg = fn === undefined ? undefined : value[fn];
    const list = Array.isArray(arg) ? arg : [];
    switch (fn) {
      case "Condition":
        return typeof arg === "string" ? this.condition(arg) : new Unknown("malformed Condition");
      case "Fn::Equals": {
        if (list.length !== 2) return new Unknown("malformed Fn::Equals");
        const [a, b] = list.map((v) => this.resolve(v, depth + 1));
        if (hasUnknown(a) || hasUnknown(b)) return new Unknown("Fn::Equals of unknown values");
        return JSON.stringify(asText(a)) === JSON.stringify(asText(b));
      }
      case "Fn::Not": {
        const inner = this.conditionValue(list[0], depth + 1);
        return inner instanceof Unknown ? inner : !inner;
      }
      case "Fn::And":
      case "Fn::Or": {
        const results = list.map((v) => this.conditionValue(v, depth + 1));
        const decided = fn !== "Fn::And";
        if (results.some((r) => r === decided)) return decided;
        const unknown = results.find((r) => r instanceof Unknown);
        return unknown ?? !decided;
      }
      default:
        return new Unknown(`condition function ${fn ?? "(none)"}`);
    }
  }
}

function isScalarText(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/** Condition equality compares text: `Fn::Equals [!Ref Count, 1]` holds for the string "1". */
function asText(value: unknown): unknown {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(asText);
  return value;
}
