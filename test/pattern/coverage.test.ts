import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../core/catalog/entries.ts";
import {
  catalogCoverage,
  resourceTypesOf,
  TemplateReadError,
  templateCoverage,
} from "../../core/pattern/coverage.ts";
import { WATCHED_EFFECTS } from "../../core/pattern/generate.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const coverage = catalogCoverage();
const apisOf = (type: string) => coverage.find((c) => c.type === type)?.apis.map((a) => a.api) ?? [];

describe("catalogCoverage", () => {
  it("lists every watched entry under each type it resolves, sorted by type then API", () => {
    // prepare
    const types = coverage.map((c) => c.type);

    // assess
    expect(types).toEqual([...types].sort());
    for (const { apis } of coverage) {
      const names = apis.map((a) => a.api);
      expect(names).toEqual([...names].sort());
      expect(new Set(names).size).toBe(names.length);
      for (const api of apis) expect(WATCHED_EFFECTS).toContain(api.effect);
    }
    for (const entry of CATALOG) {
      if (!WATCHED_EFFECTS.includes(entry.effect)) continue;
      for (const spec of entry.touches) {
        if (spec.type === "arn" || spec.type === "ec2-id") continue;
        expect(apisOf(spec.type), `${entry.service}:${entry.event}`).toContain(
          `${entry.service}:${entry.event}`,
        );
      }
    }
  });

  it("shows the APIs the issue asked for under the types they change", () => {
    expect(apisOf("AWS::SSM::Parameter")).toEqual(
      expect.arrayContaining(["ssm:DeleteParameter", "ssm:DeleteParameters", "ssm:PutParameter"]),
    );
    expect(apisOf("AWS::EC2::SubnetRouteTableAssociation")).toEqual(
      expect.arrayContaining([
        "ec2:AssociateRouteTable",
        "ec2:DisassociateRouteTable",
        "ec2:ReplaceRouteTableAssociation",
      ]),
    );
    expect(apisOf("AWS::EC2::EIP")).toEqual(
      expect.arrayContaining(["ec2:AssociateAddress", "ec2:DisassociateAddress", "ec2:ReleaseAddress"]),
    );
    expect(apisOf("AWS::EC2::Route")).toEqual(
      expect.arrayContaining(["ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ReplaceRoute"]),
    );
    expect(apisOf("AWS::EC2::VPCGatewayAttachment")).toEqual(
      expect.arrayContaining(["ec2:AttachInternetGateway", "ec2:DetachInternetGateway"]),
    );
    expect(apisOf("AWS::Route53Resolver::ResolverQueryLoggingConfig")).toContain(
      "route53resolver:DeleteResolverQueryLogConfig",
    );
    expect(apisOf("AWS::RolesAnywhere::Profile")).toContain("rolesanywhere:DeleteProfile");
    expect(apisOf("AWS::RolesAnywhere::TrustAnchor")).toContain("rolesanywhere:DeleteTrustAnchor");
  });

  it("marks how an API reaches a type, and a conditional effect", () => {
    const sg = coverage.find((c) => c.type === "AWS::EC2::SecurityGroupIngress");
    const parameter = coverage.find((c) => c.type === "AWS::SSM::Parameter");
    const vpc = coverage.find((c) => c.type === "AWS::EC2::VPC");

    expect(sg?.apis.find((a) => a.api === "ec2:AuthorizeSecurityGroupIngress")).toMatchObject({
      reach: "attachment",
    });
    expect(sg?.apis.find((a) => a.api === "ec2:RevokeSecurityGroupIngress")).toMatchObject({
      reach: "resolves",
    });
    expect(parameter?.apis.find((a) => a.api === "ssm:PutParameter")).toEqual({
      api: "ssm:PutParameter",
      effect: "modify",
      reach: "resolves",
      condition: "overwrite = true (otherwise create)",
    });
    expect(vpc?.apis.find((a) => a.api === "ec2:CreateTags")).toMatchObject({ reach: "by-arn" });
  });
});

describe("resourceTypesOf", () => {
  it("reads YAML with short-form tags, JSON, and a byte-order mark", () => {
    const yaml = [
      "Parameters:",
      "  Key: {Type: 'AWS::EC2::KeyPair::KeyName'}",
      "Resources:",
      "  Queue:",
      "    Type: AWS::SQS::Queue",
      "  Policy:",
      "    Type: AWS::SQS::QueuePolicy",
      "    Properties:",
      "      Queues: [!Ref Queue]",
      "  Other:",
      "    Type: AWS::SQS::Queue",
    ].join("\n");
    const json = `\uFEFF${JSON.stringify({ Resources: { T: { Type: "AWS::SNS::Topic" } } })}`;

    expect(resourceTypesOf(yaml)).toEqual(["AWS::SQS::Queue", "AWS::SQS::QueuePolicy"]);
    expect(resourceTypesOf(json)).toEqual(["AWS::SNS::Topic"]);
  });

  it.each([
    ["not a template", "just: text", /no Resources section/],
    ["a resource without Type", "Resources:\n  Queue:\n    Properties: {}\n", /Resources\.Queue: no Type/],
    ["an empty file", "", /no Resources section/],
  ])("refuses %s with what is wrong", (_name, text, message) => {
    expect(() => resourceTypesOf(text)).toThrow(TemplateReadError);
    expect(() => resourceTypesOf(text)).toThrow(message);
  });

  it("reads every corpus template", () => {
    const dirs = ["fixtures/corpus/cfn-templates", "fixtures/corpus/cfn-templates-realworld"];
    const files = dirs.flatMap((dir) =>
      readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && /\.(ya?ml|json|template)$/.test(e.name))
        .map((e) => path.join(e.parentPath, e.name)),
    );
    expect(files.length).toBeGreaterThan(90);
    for (const file of files)
      expect(resourceTypesOf(readFileSync(file, "utf8")).length, file).toBeGreaterThan(0);
  });
});

describe("templateCoverage", () => {
  it("sorts a template's types into uncovered, covered-as, covered and CloudFormation's own", () => {
    // prepare
    const templates = [
      {
        file: "a.yaml",
        types: [
          "AWS::CloudFormation::WaitCondition",
          "AWS::EC2::SecurityGroup",
          "AWS::Greengrass::Group",
          "AWS::Serverless::Function",
          "Custom::Thing",
        ],
      },
      { file: "b.yaml", types: ["AWS::EC2::SecurityGroup", "AWS::Serverless::Application"] },
    ];

    // act
    const found = templateCoverage(templates, coverage);

    // assess
    expect(found.map((t) => [t.type, t.status])).toEqual([
      ["AWS::Greengrass::Group", "uncovered"],
      ["AWS::Serverless::Function", "covered-as"],
      ["AWS::EC2::SecurityGroup", "covered"],
      ["AWS::CloudFormation::WaitCondition", "cloudformation"],
      ["AWS::Serverless::Application", "cloudformation"],
      ["Custom::Thing", "cloudformation"],
    ]);
    expect(found.find((t) => t.type === "AWS::EC2::SecurityGroup")).toMatchObject({
      files: ["a.yaml", "b.yaml"],
      apis: apisOf("AWS::EC2::SecurityGroup").length,
    });
    expect(found.find((t) => t.type === "AWS::Serverless::Function")).toMatchObject({
      as: "AWS::Lambda::Function",
    });
  });

  it("covers the types in the corpus templates a stack most often declares", () => {
    const common = [
      "AWS::IAM::Role",
      "AWS::EC2::SecurityGroup",
      "AWS::CloudWatch::Alarm",
      "AWS::EC2::SecurityGroupIngress",
      "AWS::EC2::Route",
      "AWS::EC2::VPCGatewayAttachment",
      "AWS::EC2::EIP",
      "AWS::S3::BucketPolicy",
      "AWS::Route53::RecordSet",
      "AWS::EC2::SubnetRouteTableAssociation",
      "AWS::SSM::Parameter",
      "AWS::Lambda::Permission",
    ];
    const found = templateCoverage([{ file: "t", types: common }], coverage);
    expect(found.filter((t) => t.status !== "covered").map((t) => t.type)).toEqual([]);
  });
});
