// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation `!Sub` strings carry literal ${Name} placeholders.
import { describe, expect, it } from "vitest";
import { compareValues, type Requested } from "../../core/drift/compare.ts";
import { isUnknown, Resolver, readTemplate } from "../../core/drift/declared.ts";
import { seeBlindSpots } from "../../core/drift/live.ts";
import {
  corpusText,
  driftOf,
  RecordedLiveState,
  stackResource,
  touched,
  windowEvent,
} from "./live-support.ts";

/**
 * What a template declares, resolved for the deployed stack (parameters, pseudo parameters, Ref and
 * GetAtt through DescribeStackResources, Sub/Join/If/Select/Split/FindInMap, conditions), and the
 * comparison's canonical forms: AWS's own spelling of the same value is never a difference.
 */

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

function resolverFor(text: string, parameters: Record<string, string> = {}) {
  const model = readTemplate(text);
  const resolver = new Resolver({
    model,
    parameters,
    stackResources: [
      stackResource("web", "Bucket", "AWS::S3::Bucket", "web-assets-1a2b"),
      stackResource("web", "Fn", "AWS::Lambda::Function", "web-Fn-3C4D"),
      stackResource("web", "Group", "AWS::EC2::SecurityGroup", "sg-0feedfacecafe0001"),
      stackResource(
        "web",
        "Lb",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1",
      ),
    ],
    stack: "web",
    region: REGION,
    account: ACCOUNT,
  });
  return { model, resolver };
}

const TEMPLATE = `
Parameters:
  Env: {Type: String, Default: dev}
  Subnets: {Type: CommaDelimitedList, Default: "subnet-1, subnet-2"}
  Secret: {Type: String, NoEcho: true}
Mappings:
  Sizes: {prod: {Memory: 1024}, dev: {Memory: 128}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  ProdInEu: !And [!Condition IsProd, !Equals [!Ref "AWS::Region", eu-west-1]]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      MemorySize: !FindInMap [Sizes, !Ref Env, Memory]
      Description: !Sub "\${Env} in \${AWS::Region}, bucket \${Bucket} (\${Bucket.Arn}) \${!Literal}"
      Handler: !Join [".", [index, !Select [1, [a, handler, c]]]]
      Layers: !Split [",", "arn:1,arn:2"]
      Timeout: !If [IsProd, 30, !Ref "AWS::NoValue"]
      ReservedConcurrentExecutions: !If [ProdInEu, 100, 5]
      Role: !GetAtt Role.Arn
      KmsKeyArn: !ImportValue shared-key
      Environment:
        Variables:
          PASSWORD: !Ref Secret
          SUBNET: !Select [0, !Ref Subnets]
          PARTITION: !Ref "AWS::Partition"
          LB: !Ref Lb
          DNS: !GetAtt Lb.DNSName
          GROUP: !GetAtt Group.GroupId
`;

describe("declared values, resolved", () => {
  it("resolves parameters (deployed, else Default), mappings, Sub, Join, Select, Split, If and conditions", () => {
    const { model, resolver } = resolverFor(TEMPLATE, { Env: "prod" });
    const fn = model.resources.get("Fn");
    if (!fn) throw new Error("no Fn");
    const p = resolver.properties(fn);
    expect(p.MemorySize).toBe(1024);
    expect(p.Description).toBe(
      "prod in eu-west-1, bucket web-assets-1a2b (arn:aws:s3:::web-assets-1a2b) ${Literal}",
    );
    expect(p.Handler).toBe("index.handler");
    expect(p.Layers).toEqual(["arn:1", "arn:2"]);
    expect(p.Timeout).toBe(30);
    expect(p.ReservedConcurrentExecutions).toBe(100);
    const variables = (p.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.SUBNET).toBe("subnet-1");
    expect(variables.PARTITION).toBe("aws");
    expect(variables.LB).toBe("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1");
    expect(variables.GROUP).toBe("sg-0feedfacecafe0001");
  });

  it("removes AWS::NoValue and evaluates the other branch of a condition", () => {
    const { model, resolver } = resolverFor(TEMPLATE);
    const p = resolver.properties(model.resources.get("Fn") ?? { logicalId: "", type: "", properties: {} });
    expect("Timeout" in p).toBe(false);
    expect(p.ReservedConcurrentExecutions).toBe(5);
    expect(p.MemorySize).toBe(128);
    expect(resolver.condition("NotProd")).toBe(true);
  });

  it("leaves unknown what only AWS knows: a resource's other attributes, imports, NoEcho, an undeployed resource", () => {
    const { model, resolver } = resolverFor(TEMPLATE, { Secret: "****" });
    const p = resolver.properties(model.resources.get("Fn") ?? { logicalId: "", type: "", properties: {} });
    const variables = (p.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(isUnknown(variables.DNS)).toBe(true);
    expect(isUnknown(variables.PASSWORD)).toBe(true);
    expect(isUnknown(p.KmsKeyArn)).toBe(true);
    expect(isUnknown(p.Role)).toBe(true);
  });

  it("reads JSON templates and YAML with long-form intrinsics alike", () => {
    const json = resolverFor(
      JSON.stringify({
        Resources: {
          Fn: {
            Type: "AWS::Lambda::Function",
            Properties: { Description: { "Fn::Sub": "${AWS::AccountId}" } },
          },
        },
      }),
    );
    const yaml = resolverFor(
      'Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Description: {"Fn::Sub": "${AWS::AccountId}"}\n',
    );
    for (const { model, resolver } of [json, yaml]) {
      const fn = model.resources.get("Fn");
      expect(fn && resolver.properties(fn).Description).toBe(ACCOUNT);
    }
  });

  it("reads every corpus template without throwing", async () => {
    for (const name of [
      "widdix__ecs__cluster.yaml",
      "widdix__state__s3.yaml",
      "acft__Lambda__LambdaSample.yaml",
      "qs-vpc__templates__aws-vpc.template.yaml",
    ]) {
      const { model, resolver } = resolverFor(await corpusText(`cfn-templates/${name}`));
      expect(model.resources.size).toBeGreaterThan(0);
      for (const resource of model.resources.values())
        expect(() => resolver.properties(resource)).not.toThrow();
    }
  });
});

describe("an attribute only CloudFormation knows is never noise", () => {
  it("does not compare a declared value that resolves to unknown, even when drift detection could not check", async () => {
    const FN = stackResource("web", "Fn", "AWS::Lambda::Function", "web-Fn-3C4D");
    const result = await seeBlindSpots({
      drift: { resources: [driftOf(FN, "NOT_CHECKED")], calls: 1 },
      // An API the request table cannot read: every declared property is compared.
      events: [
        windowEvent(
          {
            eventName: "UpdateFunctionUrlConfig20211031",
            eventSource: "lambda.amazonaws.com",
            requestParameters: { functionName: FN.physicalId },
          },
          [touched(FN)],
        ),
      ],
      template: { text: TEMPLATE, format: "yaml" },
      parameters: { Env: "prod", Secret: "****" },
      stackResources: [
        FN,
        stackResource("web", "Bucket", "AWS::S3::Bucket", "web-assets-1a2b"),
        stackResource("web", "Group", "AWS::EC2::SecurityGroup", "sg-0feedfacecafe0001"),
      ],
      live: new RecordedLiveState({
        Fn: {
          MemorySize: 1024,
          Description: "prod in eu-west-1, bucket web-assets-1a2b (arn:aws:s3:::web-assets-1a2b) ${Literal}",
          Handler: "index.handler",
          Layers: ["arn:1", "arn:2"],
          Timeout: 30,
          ReservedConcurrentExecutions: 100,
          Role: "arn:aws:iam::123456789012:role/web-Role-XYZ",
          KmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/abc",
          Environment: {
            Variables: {
              PASSWORD: "hunter2",
              SUBNET: "subnet-1",
              PARTITION: "aws",
              LB: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1",
              DNS: "web-1.eu-west-1.elb.amazonaws.com",
              GROUP: "sg-0feedfacecafe0001",
            },
          },
        },
      }),
      region: REGION,
      account: ACCOUNT,
    });
    expect(result.resources[0]?.differences).toEqual([]);
    expect(result.resources[0]?.status).toBe("NOT_CHECKED");
    expect(result.resources[0]?.note).toMatch(/no difference/);
  });
});

const ALL: Requested = () => true;

describe("canonical forms", () => {
  it.each([
    [
      "protocol -1 and all, ports of -1",
      { IpProtocol: "-1" },
      { IpProtocol: "all", FromPort: -1, ToPort: -1 },
    ],
    [
      "protocol numbers and names",
      { IpProtocol: 6, FromPort: "22", ToPort: "22", CidrIp: "10.0.0.0/8" },
      { IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "10.0.0.0/8" },
    ],
    [
      "a CIDR with host bits",
      { IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "10.1.2.3/16" },
      { IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "10.1.0.0/16" },
    ],
    [
      "IPv6 case",
      { IpProtocol: "tcp", FromPort: 80, ToPort: 80, CidrIpv6: "2001:DB8::/32" },
      { IpProtocol: "tcp", FromPort: 80, ToPort: 80, CidrIpv6: "2001:db8::/32" },
    ],
    [
      "ICMP without ports is every type",
      { IpProtocol: "icmp", CidrIp: "10.0.0.0/8" },
      { IpProtocol: "1", FromPort: -1, ToPort: -1, CidrIp: "10.0.0.0/8" },
    ],
    [
      "a peer group's owner",
      { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: "sg-1" },
      {
        IpProtocol: "tcp",
        FromPort: 5432,
        ToPort: 5432,
        SourceSecurityGroupId: "sg-1",
        SourceSecurityGroupOwnerId: ACCOUNT,
      },
    ],
  ])("a security group rule: %s", (_what, declared, live) => {
    expect(compareValues("/SecurityGroupIngress", [declared], [live], ALL)).toEqual([]);
  });

  it("compares a rule's description once the rule matched", () => {
    const rule = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "10.0.0.0/8" };
    expect(
      compareValues(
        "/SecurityGroupIngress",
        [{ ...rule, Description: "ops" }],
        [{ ...rule, Description: "anyone" }],
        ALL,
      ),
    ).toEqual([
      {
        path: "/SecurityGroupIngress/0/Description",
        type: "NOT_EQUAL",
        expected: "ops",
        actual: "anyone",
        declaredIndex: 0,
      },
    ]);
  });

  it("reads policy documents in IAM's normal form: lists, principals, account ids, condition values, JSON text", () => {
    const declared = {
      Version: "2012-10-17",
      Statement: {
        Effect: "Allow",
        Principal: { AWS: ACCOUNT },
        Action: "s3:GetObject",
        Resource: "*",
        Condition: { NumericLessThan: { "s3:max-keys": 10 } },
      },
    };
    const live = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "",
          Effect: "Allow",
          Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:root`] },
          Action: ["s3:GetObject"],
          Resource: ["*"],
          Condition: { NumericLessThan: { "s3:max-keys": "10" } },
        },
      ],
    });
    expect(compareValues("/PolicyDocument", declared, live, ALL)).toEqual([]);
  });

  it("compares tags by key, without the aws: tags AWS adds, and only the keys the window set", () => {
    const declared = [{ Key: "team", Value: "payments" }];
    const live = [
      { Key: "aws:cloudformation:stack-name", Value: "web" },
      { Key: "owner", Value: "someone-else" },
      { Key: "team", Value: "growth" },
      { Key: "incident", Value: "INC-42" },
    ];
    const requested: Requested = Object.assign((path: string) => path.startsWith("/Tags"), {
      keys: () => new Set(["team", "incident"]),
    });
    expect(compareValues("/Tags", declared, live, requested)).toEqual([
      { path: "/Tags/0/Value", type: "NOT_EQUAL", expected: "payments", actual: "growth", declaredIndex: 0 },
      { path: "/Tags/3", type: "ADD", expected: null, actual: { Key: "incident", Value: "INC-42" } },
    ]);
  });

  it("ignores keys AWS fills in with empty defaults inside a declared object", () => {
    expect(
      compareValues(
        "/VpcConfig",
        { SubnetIds: ["subnet-1"], SecurityGroupIds: ["sg-1"] },
        { SubnetIds: ["subnet-1"], SecurityGroupIds: ["sg-1"], Ipv6AllowedForDualStack: false },
        ALL,
      ),
    ).toEqual([]);
  });
});

describe("never a crash", () => {
  it("survives a template that refers to itself in a circle", async () => {
    const model = readTemplate(
      "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      Path: !Sub '/${Role.Arn}/'\n      Description: !GetAtt Role.Arn\n",
    );
    const resolver = new Resolver({
      model,
      stackResources: [stackResource("web", "Role", "AWS::IAM::Role", "web-Role-1")],
      region: REGION,
      account: ACCOUNT,
    });
    const role = model.resources.get("Role");
    if (!role) throw new Error("no Role");
    expect(isUnknown(resolver.properties(role).Description)).toBe(true);
  });

  it("answers for any live state and any request on a real template (property test)", async () => {
    const fc = (await import("fast-check")).default;
    const { REQUEST_PROPERTIES } = await import("../../core/catalog/request-properties.ts");
    const apis = Object.keys(REQUEST_PROPERTIES);
    const template = await corpusText("cfn-templates/widdix__ecs__cluster.yaml");
    const group = stackResource("ecs", "ALBSecurityGroup", "AWS::EC2::SecurityGroup", "sg-0d921df5d84f7270a");
    const json = fc.jsonValue({ maxDepth: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...apis),
        fc.oneof(
          json,
          fc.dictionary(fc.constantFrom("ipPermissions", "groupId", "tags", "policyDocument", "value"), json),
        ),
        fc.dictionary(
          fc.constantFrom("SecurityGroupIngress", "SecurityGroupEgress", "Tags", "GroupName", "VpcId"),
          json,
        ),
        fc.constantFrom<"IN_SYNC" | "NOT_CHECKED" | "UNSUPPORTED">("IN_SYNC", "NOT_CHECKED", "UNSUPPORTED"),
        async (api, request, properties, status) => {
          const [service, eventName] = api.split(":") as [string, string];
          const result = await seeBlindSpots({
            drift: { resources: [driftOf(group, status)], calls: 1 },
            events: [
              windowEvent(
                { eventName, eventSource: `${service}.amazonaws.com`, requestParameters: request },
                [touched(group)],
              ),
            ],
            template: { text: template, format: "yaml" },
            stackResources: [group],
            live: new RecordedLiveState({ ALBSecurityGroup: properties }),
          });
          for (const resource of result.resources) {
            for (const d of resource.differences) {
              expect(d.path === "" || d.path.startsWith("/")).toBe(true);
              expect(["ADD", "REMOVE", "NOT_EQUAL"]).toContain(d.type);
              expect(["cloudcontrol", "request"]).toContain(d.source);
            }
          }
          expect(JSON.parse(JSON.stringify(result))).toBeTruthy();
        },
      ),
      { numRuns: 120 },
    );
  });
});
