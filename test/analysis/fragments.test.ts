// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation `!Sub` strings carry literal ${Name} placeholders.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { referencesIn, templateFragments } from "../../core/template/fragments.ts";
import { CORPUS } from "../support/corpus.ts";

/**
 * Only the template fragments that matter reach the analysis: the drifted resources, the parameters
 * and conditions they use, the resources they reference and the resources referencing them, in the
 * template's own text. Templates: the payments scenario and the corpus (`fixtures/corpus/`, sources in its SOURCES.md).
 */

const TEMPLATES = new URL("cfn-templates/", CORPUS);
const PAYMENTS = new URL(
  "../../fixtures/scenarios/payments-3am-incident/account/templates/payments-prod.yaml",
  import.meta.url,
);

const corpus = (name: string) => readFileSync(new URL(name, TEMPLATES), "utf8");
const payments = () => readFileSync(PAYMENTS, "utf8");

const HEADER = /^# (\w+)\/(\S+)$/;

/** The `# Section/Name` blocks of a fragments text, in order, with their bodies. */
function blocks(fragments: string): { header: string; body: string }[] {
  const out: { header: string; lines: string[] }[] = [];
  for (const line of fragments.split("\n")) {
    const m = HEADER.exec(line);
    if (m) out.push({ header: `${m[1]}/${m[2]}`, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out.map((b) => ({ header: b.header, body: b.lines.join("\n").replace(/\s+$/, "") }));
}

const headers = (fragments: string) => blocks(fragments).map((b) => b.header);

/** The scenario's window: SSH opened, the app server resized and retagged, the database modified. */
const WINDOW = ["AppSecurityGroup", "AppServer", "PaymentsDatabase"];

describe("templateFragments on the payments template", () => {
  it("keeps the drifted resources, what they use and what uses them", () => {
    // Act
    const found = new Set(headers(templateFragments(payments(), WINDOW)));

    // Assess
    expect(found).toEqual(
      new Set([
        // Parameters: !Ref (AppServer, PaymentsDatabase, AppSecurityGroup) and !Sub ${Environment}.
        "Parameters/Environment",
        "Parameters/AppInstanceType",
        "Parameters/DatabaseClass",
        "Parameters/VpcId",
        "Parameters/AppSubnetId",
        "Parameters/LatestAmiId",
        // Conditions: !If [IsProduction, ...] on MultiAZ.
        "Conditions/IsProduction",
        "Resources/AppSecurityGroup",
        "Resources/AppServer",
        "Resources/PaymentsDatabase",
        // Referenced: !Ref AppInstanceProfile, !Ref DatabaseSubnetGroup, !GetAtt DatabaseSecurityGroup.GroupId.
        "Resources/AppInstanceProfile",
        "Resources/DatabaseSubnetGroup",
        // Referenced by PaymentsDatabase and referencing AppSecurityGroup.
        "Resources/DatabaseSecurityGroup",
      ]),
    );
  });

  it("leaves out unrelated resources, parameters and sections", () => {
    const fragments = templateFragments(payments(), WINDOW);

    for (const unrelated of [
      "AppRole", // two hops away (AppServer ► AppInstanceProfile ► AppRole)
      "SettlementQueue",
      "SettlementDeadLetters",
      "AuditBucket",
      "AppLogGroup",
      "DatabaseSubnetIds", // used only by DatabaseSubnetGroup
      "Outputs",
      "DatabaseEndpoint",
    ]) {
      expect(
        headers(fragments).some((h) => h.endsWith(`/${unrelated}`)),
        unrelated,
      ).toBe(false);
    }
    expect(fragments).not.toContain("AWS::SQS::Queue");
    expect(fragments).not.toContain("payments-audit");
  });

  it("uses the template's own text, comments included", () => {
    const template = payments();

    const fragments = templateFragments(template, WINDOW);

    for (const { header, body } of blocks(fragments)) expect(template, header).toContain(body);
    expect(fragments).toContain("BackupRetentionPeriod: 7 # PCI DSS: keep a week of point-in-time recovery");
    expect(fragments).toContain("CidrIp: 10.0.0.0/16 # internal load balancer only");
    expect(fragments).toContain("Default: t3.medium # sized from the Q3 load test: p99 CPU 41 %");
    expect(fragments).toContain("MultiAZ: !If [IsProduction, true, false]");
    expect(fragments).toContain('Value: !Sub "payments-api-${Environment}"');
  });

  it("is much shorter than the template", () => {
    const template = payments();

    const fragments = templateFragments(template, WINDOW);

    // The three drifted resources pull in most of the compute and data half of this small template
    // (one hop each way); the queues, the bucket, the log group, the role and the outputs stay out.
    expect(fragments.length).toBeLessThan(template.length * 0.8);
    expect(templateFragments(template, ["PaymentsDatabase"]).length).toBeLessThan(template.length * 0.5);
  });

  it("emits each block once", () => {
    // BUG (core/template/fragments.ts templateFragments): a resource both referenced by a drifted
    // resource and referencing one is emitted twice: on the payments window DatabaseSecurityGroup is
    // !GetAtt-ed by PaymentsDatabase and itself !GetAtt-s AppSecurityGroup, so its block appears as a
    // referenced resource and again as a dependant (`# Resources/DatabaseSecurityGroup` twice).
    const found = headers(templateFragments(payments(), WINDOW));
    expect(found).toEqual([...new Set(found)]);
  });

  it("takes one resource's neighbours only", () => {
    const template = payments();

    expect(headers(templateFragments(template, ["AuditBucket"]))).toEqual(["Resources/AuditBucket"]);
    expect(headers(templateFragments(template, ["SettlementQueue"]))).toEqual([
      "Resources/SettlementQueue",
      "Resources/SettlementDeadLetters",
    ]);
    expect(headers(templateFragments(template, ["SettlementDeadLetters"]))).toEqual([
      "Resources/SettlementDeadLetters",
      "Resources/SettlementQueue",
    ]);
  });

  it("is empty for logical ids the template does not have", () => {
    expect(templateFragments(payments(), ["NoSuchResource"])).toBe("");
    expect(templateFragments(payments(), [])).toBe("");
  });
});

describe("templateFragments on corpus templates", () => {
  it("follows DependsOn, !Sub ${X} inside a dynamic reference and !GetAtt inside !If (RDS with read replica)", () => {
    const template = corpus("acft__RDS__RDS_MySQL_With_Read_Replica.yaml");

    const fragments = templateFragments(template, ["MainDB"]);

    expect(new Set(headers(fragments))).toEqual(
      new Set([
        "Parameters/DBName",
        "Parameters/DBUser",
        "Parameters/DBAllocatedStorage",
        "Parameters/DBInstanceClass",
        "Parameters/MultiAZ",
        "Conditions/IsEC2VPC",
        "Resources/MainDB",
        "Resources/DBCredential", // DependsOn and !Sub '{{resolve:secretsmanager:${DBCredential}}}'
        "Resources/DBEC2SecurityGroup", // !If [IsEC2VPC, [!GetAtt DBEC2SecurityGroup.GroupId], ...]
        "Resources/ReplicaDB", // SourceDBInstanceIdentifier: !Ref MainDB
      ]),
    );
    // The replica's condition and the security group's parameter are a hop further.
    expect(headers(fragments)).not.toContain("Conditions/EnableReadReplica");
    expect(headers(fragments)).not.toContain("Parameters/EnableReadReplica");
    expect(headers(fragments)).not.toContain("Parameters/EC2SecurityGroup");
    for (const { header, body } of blocks(fragments)) expect(template, header).toContain(body);
  });

  it("finds the resources referencing a security group (EC2 with security group)", () => {
    const template = corpus("acft__EC2__EC2InstanceWithSecurityGroupSample.yaml");

    const fragments = templateFragments(template, ["InstanceSecurityGroup"]);

    expect(headers(fragments)).toEqual([
      "Parameters/SSHLocation",
      "Resources/InstanceSecurityGroup",
      "Resources/EC2Instance",
    ]);
    expect(fragments).toContain("- INCOMING_SSH_DISABLED"); // the resource's Metadata comes along
  });

  it("follows unquoted !Sub variables and keeps a literal block scalar intact (Lambda sample)", () => {
    const template = corpus("acft__Lambda__LambdaSample.yaml");

    const fragments = templateFragments(template, ["LambdaFunction"]);

    expect(headers(fragments)).toEqual([
      "Parameters/EnvName",
      "Parameters/LambdaHandlerPath",
      "Resources/LambdaFunction",
      "Resources/LambdaRole",
    ]);
    expect(fragments).toContain("              return {\n                  'statusCode': 200,");
  });

  it("follows the long forms Ref:, Fn::If, DependsOn lists and resource Condition (NIST quickstart)", () => {
    const template = corpus("cfn-lint__test__fixtures__templates__quickstart__nist_application.yaml");

    const database = headers(templateFragments(template, ["rRDSInstanceMySQL"]));
    const policy = headers(templateFragments(template, ["rWebContentS3Policy"]));
    const loadBalancer = headers(templateFragments(template, ["rELBApp"]));

    expect(database).toEqual([
      "Parameters/pDBAllocatedStorage",
      "Parameters/pDBClass",
      "Parameters/pDBName",
      "Parameters/pDBPassword",
      "Parameters/pDBUser",
      "Resources/rRDSInstanceMySQL",
      "Resources/rDBSubnetGroup", // DependsOn list and Ref:
      "Resources/rSecurityGroupRDS",
      "Resources/rAutoScalingConfigApp", // DependsOn: rRDSInstanceMySQL
    ]);
    expect(policy).toEqual([
      "Conditions/IsGovCloud", // Fn::If: [IsGovCloud, ...]
      "Resources/rWebContentS3Policy",
      "Resources/rWebContentBucket",
    ]);
    expect(loadBalancer).toEqual(
      expect.arrayContaining([
        "Resources/rS3ELBAccessLogs",
        "Resources/rSecurityGroupApp",
        "Resources/rS3AccessLogsPolicy",
        "Resources/rAutoScalingGroupApp", // LoadBalancerNames: [Ref: rELBApp]
      ]),
    );
    expect(loadBalancer).not.toContain("Resources/rELBWeb");
    expect(loadBalancer).not.toContain("Resources/rSecurityGroupWeb");
  });

  it("includes the mappings a resource reads with Fn::FindInMap", () => {
    // BUG (core/template/fragments.ts referencesIn): `!FindInMap`/`Fn::FindInMap` map names are never
    // collected, so templateFragments' Mappings pass can never emit anything: rS3AccessLogsPolicy's
    // `Principal: {AWS: {Fn::FindInMap: [elbMap, {Ref: AWS::Region}, ELB]}}` leaves out Mappings/elbMap.
    const template = corpus("cfn-lint__test__fixtures__templates__quickstart__nist_application.yaml");
    expect(headers(templateFragments(template, ["rS3AccessLogsPolicy"]))).toContain("Mappings/elbMap");
  });
});

describe("templateFragments on a JSON template", () => {
  const template = JSON.stringify(
    {
      AWSTemplateFormatVersion: "2010-09-09",
      Parameters: { DbClass: { Type: "String", Default: "db.r5.large" }, Unused: { Type: "String" } },
      Conditions: { IsProd: { "Fn::Equals": [{ Ref: "Env" }, "prod"] }, Other: { "Fn::Equals": ["a", "b"] } },
      Resources: {
        Db: {
          Type: "AWS::RDS::DBInstance",
          DependsOn: "Sg",
          Properties: {
            DBInstanceClass: { Ref: "DbClass" },
            MultiAZ: { "Fn::If": ["IsProd", true, false] },
            VPCSecurityGroups: [{ "Fn::GetAtt": ["Sg", "GroupId"] }],
            DBName: { "Fn::Sub": "${Prefix}-db-${AWS::Region}" },
          },
        },
        Sg: { Type: "AWS::EC2::SecurityGroup", Properties: { GroupDescription: "db" } },
        Prefix: { Type: "AWS::SSM::Parameter", Properties: { Type: "String", Value: "payments" } },
        Alarm: {
          Type: "AWS::CloudWatch::Alarm",
          Properties: { Dimensions: [{ Name: "DBInstanceIdentifier", Value: { Ref: "Db" } }] },
        },
        Queue: { Type: "AWS::SQS::Queue", Condition: "Other" },
      },
    },
    null,
    2,
  );

  it("follows Ref, Fn::GetAtt, Fn::Sub, Fn::If and DependsOn, in the template's own text", () => {
    const fragments = templateFragments(template, ["Db"]);

    expect(headers(fragments)).toEqual([
      "Parameters/DbClass",
      "Conditions/IsProd",
      "Resources/Db",
      "Resources/Sg",
      "Resources/Prefix",
      "Resources/Alarm",
    ]);
    for (const { header, body } of blocks(fragments)) expect(template, header).toContain(body);
    expect(fragments).not.toContain("AWS::SQS::Queue");
  });
});

describe("referencesIn", () => {
  const refs = (yaml: string) => [...referencesIn(parseDocument(yaml).contents)].sort();

  it("finds short forms", () => {
    const yaml = [
      "A: !Ref Param",
      "B: !GetAtt Res.Arn",
      "C: !GetAtt [Other, Endpoint.Address]",
      'D: !Sub "arn:${AWS::Partition}:s3:::${Bucket}/${Role.Arn}/${!Literal}"',
      'E: !Sub ["${Name}-x", {Name: !Ref NameParam}]',
      "F: !If [IsProd, !Ref ProdValue, !Ref AWS::NoValue]",
      "G: !Condition OtherCondition",
    ].join("\n");

    expect(refs(yaml)).toEqual(
      [
        "Bucket",
        "IsProd",
        "Name",
        "NameParam",
        "Other",
        "OtherCondition",
        "Param",
        "ProdValue",
        "Res",
        "Role",
      ].sort(),
    );
  });

  it("finds long forms", () => {
    const yaml = [
      "A: {Ref: Param}",
      "B: {Fn::GetAtt: [Res, Arn]}",
      "C: {Fn::GetAtt: Other.Endpoint.Address}",
      "D: {Fn::Sub: 'arn:${AWS::Partition}:s3:::${Bucket}'}",
      "E: {Fn::Sub: ['${Name}', {Name: {Ref: NameParam}}]}",
      "F: {Fn::If: [IsProd, yes, no]}",
      "Condition: ResourceCondition",
      "DependsOn: [First, Second]",
      "G: {Ref: AWS::Region}",
    ].join("\n");

    expect(refs(yaml)).toEqual(
      [
        "Bucket",
        "First",
        "IsProd",
        "Name",
        "NameParam",
        "Other",
        "Param",
        "Res",
        "ResourceCondition",
        "Second",
      ].sort(),
    );
  });

  it("ignores pseudo parameters and plain strings that look like names", () => {
    expect(refs("A: !Ref AWS::StackName\nB: Param\nC: 'Ref'\nD: !Sub 'plain text'")).toEqual([]);
  });
});
