// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation `!Sub` strings carry literal ${Name} placeholders.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CATALOG } from "../../core/catalog/entries.ts";
import { eventPatterns } from "../../core/pattern/generate.ts";
import { patternMatcher, validatePattern } from "../../core/pattern/match.ts";
import { runOrgTemplate, TEMPLATE_BODY_LIMIT } from "../../functions/cli/org.ts";
import {
  isReadLevel,
  READ_HANDLER_PERMISSIONS,
  SENSITIVE_READS,
} from "../../functions/infra/cloudcontrol-read.ts";
import { REACTOR_ROLE_PATH, WILDCARD_RESOURCE_ACTIONS } from "../../functions/infra/iam.ts";
import {
  type CfnTemplate,
  catalogTypes,
  INLINE_POLICY_LIMIT,
  MANAGED_POLICY_LIMIT,
  memberTemplate,
} from "../../functions/infra/member-template.ts";

/** What `phantom org template` prints, parsed back as CloudFormation would read it. */
function printed(json: boolean): { text: string; template: CfnTemplate } {
  let text = "";
  runOrgTemplate({ json }, { out: (t) => (text += t), err: () => {} });
  return { text, template: (json ? JSON.parse(text) : parse(text)) as CfnTemplate };
}

const PSEUDO = new Set([
  "AWS::AccountId",
  "AWS::Region",
  "AWS::Partition",
  "AWS::StackName",
  "AWS::URLSuffix",
]);

/** Every `Ref`, `Fn::GetAtt`, `Fn::Sub` variable and `Condition` name in `value`, with where it sits. */
function references(value: unknown, at: string, out: { kind: string; name: string; at: string }[] = []) {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) references(v, `${at}/${i}`, out);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "Ref" && typeof v === "string") out.push({ kind: "Ref", name: v, at });
      else if (k === "Fn::GetAtt" && Array.isArray(v)) out.push({ kind: "GetAtt", name: String(v[0]), at });
      else if (k === "Fn::Sub" && typeof v === "string") {
        for (const m of v.matchAll(/\$\{([^}!]+)\}/g)) out.push({ kind: "Sub", name: m[1] as string, at });
      } else if (k === "Condition" && typeof v === "string" && !at.includes("AssumeRolePolicyDocument")) {
        out.push({ kind: "Condition", name: v, at });
      }
      if (k !== "Condition" || typeof v !== "string") references(v, `${at}/${k}`, out);
    }
  }
  return out;
}

type Statement = {
  Effect: string;
  Action: string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
};
const statementsOf = (doc: unknown) => (doc as { Statement: Statement[] }).Statement;
/** IAM counts a policy's characters without whitespace. */
const policySize = (doc: unknown) => JSON.stringify(doc).replace(/\s/g, "").length;

describe("phantom org template", () => {
  const { text: yamlText, template } = printed(false);
  const { text: jsonText, template: fromJson } = printed(true);
  const resources = Object.entries(template.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);

  it("prints one template as YAML or JSON, each small enough for --template-body", () => {
    expect(fromJson).toEqual(template);
    expect(template).toEqual(JSON.parse(JSON.stringify(memberTemplate())));
    expect(Buffer.byteLength(yamlText)).toBeLessThan(TEMPLATE_BODY_LIMIT);
    expect(Buffer.byteLength(jsonText)).toBeLessThan(TEMPLATE_BODY_LIMIT);
  });

  it("resolves every Ref, GetAtt, Sub variable and condition", () => {
    const parameters = new Set(Object.keys(template.Parameters));
    const names = new Set(Object.keys(template.Resources));
    const conditions = new Set(Object.keys(template.Conditions));
    const refs = references(
      { Resources: template.Resources, Outputs: template.Outputs, Conditions: template.Conditions },
      "",
    );
    expect(refs.length).toBeGreaterThan(20);
    const unresolved = refs.filter((r) => {
      if (r.kind === "Condition") return !conditions.has(r.name);
      if (r.kind === "GetAtt") return !names.has(r.name);
      return !(parameters.has(r.name) || names.has(r.name) || PSEUDO.has(r.name));
    });
    expect(unresolved).toEqual([]);
    // Every parameter is used.
    expect([...parameters].filter((p) => !refs.some((r) => r.name === p))).toEqual([]);
  });

  it("forwards every catalogued write with valid patterns; the global services' only in us-east-1", () => {
    const rules = ofType("AWS::Events::Rule");
    for (const [name, rule] of rules) {
      const checked = validatePattern(rule.Properties.EventPattern);
      expect(checked.ok, `${name}: ${JSON.stringify(checked)}`).toBe(true);
      expect(rule.Properties.EventBusName).toBe("default");
      expect(rule.Properties.Targets).toEqual([
        {
          Id: "PhantomCentralBus",
          Arn: { Ref: "CentralBusArn" },
          RoleArn: { "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${ForwarderRoleName}" },
        },
      ]);
    }
    const global = rules.filter(([, r]) => r.Condition === "IsGlobalEventsRegion");
    const everywhere = rules.filter(([, r]) => r.Condition === undefined);
    expect(global.length + everywhere.length).toBe(rules.length);
    expect(template.Conditions.IsGlobalEventsRegion).toEqual({
      "Fn::Equals": [{ Ref: "AWS::Region" }, "us-east-1"],
    });
    // In us-east-1 the rules match what the home rules match; elsewhere, all but the global services.
    const event = (service: string, name: string) => ({
      "detail-type": "AWS API Call via CloudTrail",
      source: `aws.${service}`,
      detail: { eventSource: `${service}.amazonaws.com`, eventName: name },
    });
    const sample = CATALOG.filter((_, i) => i % 7 === 0);
    for (const entry of sample) {
      const e = event(entry.service, entry.event.replace(/\*$/, ""));
      const home = eventPatterns().some((p) => patternMatcher(p)(e));
      const here = (list: typeof rules) =>
        list.some(([, r]) => patternMatcher(r.Properties.EventPattern as never)(e));
      expect(here(rules), `${entry.service}:${entry.event} in us-east-1`).toBe(home);
      const isGlobal = ["iam", "cloudfront", "route53"].includes(entry.service);
      expect(here(everywhere), `${entry.service}:${entry.event} elsewhere`).toBe(home && !isGlobal);
    }
  });

  it("creates the account's roles once, in IamRegion", () => {
    const iam = resources.filter(([, r]) => r.Type.startsWith("AWS::IAM::"));
    expect(iam.map(([, r]) => r.Condition)).toEqual(iam.map(() => "IsIamRegion"));
    expect(iam.map(([name]) => name)).toEqual(expect.arrayContaining(["ReadRole", "ForwarderRole"]));
  });

  it("pins the read role's trust to the reactor's roles in the central account, inside the organisation", () => {
    const trust = statementsOf(template.Resources.ReadRole?.Properties.AssumeRolePolicyDocument);
    expect(trust).toEqual([
      {
        Effect: "Allow",
        Principal: { AWS: { "Fn::Sub": "arn:${AWS::Partition}:iam::${CentralAccountId}:root" } },
        Action: ["sts:AssumeRole"],
        Condition: {
          ArnLike: {
            "aws:PrincipalArn": {
              "Fn::Sub": "arn:${AWS::Partition}:iam::${CentralAccountId}:role${ReactorRolePath}*",
            },
          },
          StringEquals: { "aws:PrincipalOrgID": { Ref: "OrganizationId" } },
        },
      },
    ]);
    expect(template.Parameters.ReactorRolePath?.Default).toBe(REACTOR_ROLE_PATH);
    const forwarder = statementsOf(template.Resources.ForwarderRole?.Properties.AssumeRolePolicyDocument);
    expect(forwarder[0]?.Principal).toEqual({ Service: "events.amazonaws.com" });
    expect(forwarder[0]?.Condition).toEqual({
      StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } },
    });
  });

  it("grants least privilege: named actions only, read-level reads, no secret values, within IAM's sizes", () => {
    const documents: { where: string; doc: unknown; managed: boolean }[] = [];
    for (const [name, r] of resources) {
      if (r.Type === "AWS::IAM::ManagedPolicy")
        documents.push({ where: name, doc: r.Properties.PolicyDocument, managed: true });
      for (const p of (r.Properties.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]) {
        documents.push({ where: `${name}.${p.PolicyName}`, doc: p.PolicyDocument, managed: false });
      }
    }
    const actions = documents.flatMap((d) => statementsOf(d.doc).flatMap((s) => s.Action));
    expect(actions.filter((a) => a === "*" || a.endsWith(":*"))).toEqual([]);
    expect(actions.filter((a) => Object.hasOwn(SENSITIVE_READS, a))).toEqual([]);
    for (const d of documents) {
      for (const s of statementsOf(d.doc)) {
        expect(s.Effect).toBe("Allow");
        if (JSON.stringify(s.Resource) !== '["*"]' && s.Resource !== "*") continue;
        // `*` resources: read-level reads of the handlers, or actions with no resource-level permissions.
        for (const a of s.Action) {
          expect(
            d.managed ? isReadLevel(a) : Object.hasOwn(WILDCARD_RESOURCE_ACTIONS, a),
            `${d.where}: ${a}`,
          ).toBe(true);
        }
      }
      if (d.managed) expect(policySize(d.doc)).toBeLessThanOrEqual(MANAGED_POLICY_LIMIT);
    }
    const inline = documents.filter((d) => d.where.startsWith("ReadRole."));
    expect(inline.reduce((n, d) => n + policySize(d.doc), 0)).toBeLessThanOrEqual(INLINE_POLICY_LIMIT);
    // Every read-level action a catalogued type's read handler lists is granted (drift detection and
    // Cloud Control read with the caller's permissions).
    const granted = new Set(actions);
    const missing = catalogTypes()
      .flatMap((t) => READ_HANDLER_PERMISSIONS[t] ?? [])
      .filter((a) => isReadLevel(a) && !Object.hasOwn(SENSITIVE_READS, a) && !granted.has(a));
    expect(missing).toEqual([]);
    // The managed policies are attached to the read role.
    const managed = ofType("AWS::IAM::ManagedPolicy").map(([name]) => ({ Ref: name }));
    expect(managed.length).toBeGreaterThan(0);
    expect(template.Resources.ReadRole?.Properties.ManagedPolicyArns).toEqual(managed);
    // CloudFormation actions stay on the account's stacks.
    const readPolicies = (template.Resources.ReadRole?.Properties.Policies ?? []) as {
      PolicyDocument: unknown;
    }[];
    const stacks = statementsOf(readPolicies[0]?.PolicyDocument)[0];
    expect(stacks?.Resource).toEqual([
      { "Fn::Sub": "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/*/*" },
    ]);
    expect(stacks?.Action).toEqual(
      expect.arrayContaining(["cloudformation:DetectStackResourceDrift", "cloudformation:DetectStackDrift"]),
    );
  });
});
