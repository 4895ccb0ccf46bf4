// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation `!Sub` strings carry literal ${Name} placeholders.
import { readFileSync } from "node:fs";
import { diffLines } from "diff";
import { describe, expect, it } from "vitest";
import { openTemplate, rectify } from "../../core/rectify/rectify.ts";
import { nodeAt, plainOf } from "../../core/rectify/tree.ts";
import type { RectifyChange, RectifyInput, RectifyResult } from "../../core/rectify/types.ts";
import { REALWORLD, realworldTemplates } from "./realworld-support.ts";
import { legitimize } from "./support.ts";

/**
 * The template shapes of issue 13: tags whose `Key` is an expression, quoted strings strict YAML
 * rejects, properties the template never declared (what Cloud Control finds where drift detection is
 * blind), and security group rules declared as separate resources.
 */

function ok(input: RectifyInput): RectifyResult {
  const outcome = rectify(input);
  if (!outcome.ok) throw new Error(`rectify failed: ${JSON.stringify(outcome.issues, null, 2)}`);
  return outcome.result;
}

function changedLines(before: string, after: string): string[] {
  return diffLines(before, after).flatMap((part) =>
    part.added || part.removed
      ? part.value
          .replace(/\n$/, "")
          .split("\n")
          .map((l) => `${part.added ? "+" : "-"}${l}`)
      : [],
  );
}

function read(text: string, path: (string | number)[]): unknown {
  const node = nodeAt(openTemplate(text).root, path);
  return node ? plainOf(node) : undefined;
}

const scenario = (path: string) =>
  readFileSync(new URL(`../../fixtures/scenarios/${path}`, import.meta.url), "utf8");
const realworld = (name: string) => readFileSync(new URL(name, REALWORLD), "utf8");

describe("tags whose Key is an expression", () => {
  const TAGGED = `Parameters:
  TagKey:
    Type: String
    Default: createdby
  TagValue:
    Type: String
    Default: aws-cloudformation-templates
  Prefix:
    Type: String
    Default: acme
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: alerts
      Tags:
        - Key: environment
          Value: production
        - Key: !Ref TagKey
          Value: !Ref TagValue
        - Key: !Sub "\${Prefix}:owner"
          Value: team-a
        - Key: !Sub "\${AWS::StackName}-cost"
          Value: "1234"
`;
  /** Tags as drift detection resolves them, in another order than the template's. */
  const expectedTags = [
    { Key: "acme:owner", Value: "team-a" },
    { Key: "prod-stack-cost", Value: "1234" },
    { Key: "createdby", Value: "aws-cloudformation-templates" },
    { Key: "environment", Value: "production" },
  ];
  const tagChange = (index: number, expected: unknown, actual: unknown): RectifyChange =>
    legitimize("Topic", `/Tags/${index}/Value`, expected, actual, {
      expectedProperties: { TopicName: "alerts", Tags: expectedTags },
    });

  it("matches `!Ref TagKey` through the parameter's Default, and writes the value where it lives", () => {
    const result = ok({
      template: { text: TAGGED },
      changes: [tagChange(2, "aws-cloudformation-templates", "me")],
    });

    expect(changedLines(TAGGED, result.text)).toEqual([
      "-    Default: aws-cloudformation-templates",
      "+    Default: me",
    ]);
    expect(result.manual).toEqual([]);
  });

  it("matches `!Sub` of parameters, and of pseudo parameters when the stack is known or the pattern is unique", () => {
    const result = ok({
      template: { text: TAGGED },
      changes: [tagChange(0, "team-a", "team-b"), tagChange(1, "1234", "5678")],
    });

    expect(changedLines(TAGGED, result.text)).toEqual([
      "-          Value: team-a",
      "+          Value: team-b",
      '-          Value: "1234"',
      '+          Value: "5678"',
    ]);
    const named = ok({
      template: { text: TAGGED },
      changes: [tagChange(1, "1234", "5678")],
      stack: { name: "prod-stack" },
    });
    expect(read(named.text, ["Resources", "Topic", "Properties", "Tags", 3, "Value"])).toBe("5678");
  });

  it("takes the stack's parameter values over the parameter file, and the file over the Default", () => {
    const changes = [
      legitimize("Topic", "/Tags/0/Value", "aws-cloudformation-templates", "me", {
        expectedProperties: { Tags: [{ Key: "owner", Value: "aws-cloudformation-templates" }] },
      }),
    ];
    const byDefault = ok({ template: { text: TAGGED }, changes });
    expect(byDefault.applied).toEqual([]);
    expect(byDefault.manual[0]?.message).toContain('no item with Key "owner"');

    const fromFile = ok({
      template: { text: TAGGED },
      changes,
      parameters: { text: '[{"ParameterKey": "TagKey", "ParameterValue": "owner"}]' },
    });
    expect(fromFile.manual).toEqual([]);
    expect(JSON.parse(fromFile.parameters ?? "[]")).toEqual([
      { ParameterKey: "TagKey", ParameterValue: "owner" },
      { ParameterKey: "TagValue", ParameterValue: "me" },
    ]);

    const fromStack = ok({
      template: { text: TAGGED },
      changes,
      stack: { name: "prod-stack", parameters: { TagKey: "owner" } },
    });
    expect(fromStack.manual).toEqual([]);
    expect(read(fromStack.text, ["Parameters", "TagValue", "Default"])).toBe("me");
  });

  it("pairs a REMOVE and an ADD of the same resolved Key into an edit in place", () => {
    const result = ok({
      template: { text: TAGGED },
      changes: [
        {
          logicalId: "Topic",
          propertyPath: "/Tags/2",
          differenceType: "REMOVE",
          expected: { Key: "createdby", Value: "aws-cloudformation-templates" },
          actual: null,
          decision: "legitimize",
        },
        {
          logicalId: "Topic",
          propertyPath: "/Tags/2",
          differenceType: "ADD",
          expected: null,
          actual: { Key: "createdby", Value: "console" },
          decision: "legitimize",
        },
      ],
    });

    expect(changedLines(TAGGED, result.text)).toEqual([
      "-    Default: aws-cloudformation-templates",
      "+    Default: console",
    ]);
  });

  it("rewrites a whole tag list item by resolved Key, and never removes an item it cannot resolve", () => {
    const text = TAGGED.replace('- Key: !Sub "${AWS::StackName}-cost"', "- Key: !GetAtt Costs.Name");
    const live = [
      { Key: "environment", Value: "production" },
      { Key: "createdby", Value: "aws-cloudformation-templates" },
      { Key: "acme:owner", Value: "team-a" },
      { Key: "added", Value: "x" },
    ];
    const result = ok({
      template: { text },
      changes: [legitimize("Topic", "/Tags", expectedTags, live)],
    });

    expect(changedLines(text, result.text)).toEqual(["+        - Key: added", "+          Value: x"]);
    expect(result.manual.map((m) => m.message)).toEqual([
      expect.stringContaining(
        "has Key !GetAtt Costs.Name, which Phantom cannot resolve: remove the item by hand if it is not in",
      ),
    ]);
  });

  it("makes a change it cannot match a manual item with the reason, and writes the others", () => {
    const text = TAGGED.replace('- Key: !Sub "${AWS::StackName}-cost"', "- Key: !GetAtt Costs.Name");
    const result = ok({
      template: { text },
      changes: [
        legitimize("Topic", "/Tags/0/Value", "x", "y", {
          expectedProperties: { Tags: [{ Key: "cost", Value: "x" }] },
        }),
        legitimize("Topic", "/TopicName", "alerts", "alerts-2"),
      ],
    });

    expect(changedLines(text, result.text)).toEqual([
      "-      TopicName: alerts",
      "+      TopicName: alerts-2",
    ]);
    expect(result.manual).toEqual([
      expect.objectContaining({
        index: 0,
        message:
          'Topic /Tags/0/Value: /Tags: no item has Key "cost" for certain, and Phantom cannot resolve item 3\'s Key !GetAtt Costs.Name (!GetAtt Costs.Name is evaluated by CloudFormation at deploy time); edit the template by hand so it becomes "y" if this stack should keep the live state.',
      }),
    ]);
  });

  it("says so when two expressions could each be the Key", () => {
    const text = TAGGED.replace('- Key: !Sub "${Prefix}:owner"', '- Key: !Sub "${AWS::StackName}-cost"');
    const result = ok({
      template: { text },
      changes: [
        legitimize("Topic", "/Tags/0/Value", "1234", "1", {
          expectedProperties: { Tags: [{ Key: "x-cost", Value: "1234" }] },
        }),
      ],
    });

    expect(result.text).toBe(text);
    expect(result.manual[0]?.message).toContain('items 2, 3 could each have Key "x-cost" once deployed');
  });

  it("matches every one of the 80 expression-keyed tags of the real-world templates", () => {
    let matched = 0;
    for (const { name, text } of realworldTemplates().filter((t) => t.name.startsWith("templates/"))) {
      const resources = nodeAt(openTemplate(text).root, ["Resources"]);
      if (resources?.kind !== "map") continue;
      // One window per template: a changed value on each such tag, found through the drift result's
      // view of it (its Key resolved to the parameter's Default) at an index of its own.
      const changes: RectifyChange[] = [];
      for (const { key: logicalId, value } of resources.entries) {
        const tags = nodeAt(value, ["Properties", "Tags"]);
        if (tags?.kind !== "seq") continue;
        for (const [index, item] of tags.items.entries()) {
          const key = nodeAt(item, ["Key"]);
          if (key?.kind !== "intrinsic") continue;
          const resolved =
            key.fn === "Ref" ? read(text, ["Parameters", String(plainOf(key.arg)), "Default"]) : undefined;
          expect(resolved, `${name} ${logicalId} tag ${index}: ${key.source}`).toBeTypeOf("string");
          changes.push(
            legitimize(logicalId, "/Tags/0/Value", "old", "phantom-live", {
              expectedProperties: { Tags: [{ Key: resolved, Value: "old" }] },
            }),
          );
        }
      }
      if (changes.length === 0) continue;
      const result = ok({ template: { text }, changes });
      for (const [i, change] of changes.entries()) {
        const manual = result.manual.find((m) => m.index === i)?.message;
        const where = `${name} ${change.logicalId}`;
        expect(manual ?? "", where).not.toContain("no item with Key");
        // Written, or the shared TagValue parameter another tag of the window already set.
        expect(result.applied.some((a) => a.index === i) || manual?.includes("already sets"), where).toBe(
          true,
        );
        matched++;
      }
      expect(result.applied.length, name).toBeGreaterThan(0);
    }
    expect(matched).toBe(80);
  });
});

describe("a value built by !Sub from one parameter", () => {
  const text = `Parameters:
  TagValue:
    Type: String
    Default: ops
Resources:
  Association:
    Type: AWS::SSM::Association
    Properties:
      Name: AWS-UpdateSSMAgent
      Targets:
        - Key: tag:owner
          Values:
            - !Sub value:\${TagValue}
      OutputLocation: !Sub "s3://\${AWS::AccountId}-logs/\${TagValue}"
`;

  it("writes the parameter when the new value keeps the expression's text around it", () => {
    const result = ok({
      template: { text },
      changes: [legitimize("Association", "/Targets/0/Values/0", "value:ops", "value:platform")],
    });

    expect(changedLines(text, result.text)).toEqual(["-    Default: ops", "+    Default: platform"]);
    expect(result.applied[0]?.notes).toContain(
      "written through !Sub value:${TagValue}: TagValue is the only part of it that differs",
    );
  });

  it("leaves it to a person when the text around the parameter changed too, or there is more than one placeholder", () => {
    const result = ok({
      template: { text },
      changes: [
        legitimize("Association", "/Targets/0/Values/0", "value:ops", "other:platform"),
        legitimize("Association", "/OutputLocation", "s3://1-logs/ops", "s3://1-logs/platform"),
      ],
    });

    expect(result.text).toBe(text);
    expect(result.manual.map((m) => m.message)).toEqual([
      expect.stringContaining("is built by !Sub value:${TagValue}"),
      expect.stringContaining('is built by !Sub "s3://${AWS::AccountId}-logs/${TagValue}"'),
    ]);
  });
});

describe("a quoted string strict YAML rejects", () => {
  const name = "templates/stelligent__infrastructure__proxy-awsapi-devops-access.yml";

  it("reads the rest of the template, and edits the resource that holds it outside the string, byte for byte", () => {
    const text = realworld(name);
    const doc = openTemplate(text);
    expect(doc.problems).toEqual([
      expect.objectContaining({ line: 330, message: expect.stringContaining("multi-line quoted string") }),
    ]);
    // Everything after the string is there: the resource after it, Outputs, Metadata.
    expect(read(text, ["Resources", "CloudWatchLogsGroup", "Properties", "RetentionInDays"])).toBe("30");
    expect(nodeAt(doc.root, ["Outputs"])?.kind).toBe("map");

    const result = ok({
      template: { text },
      changes: [
        legitimize("LaunchConfiguration", "/AssociatePublicIpAddress", true, false),
        legitimize("CloudWatchLogsGroup", "/RetentionInDays", 30, 7),
      ],
    });

    expect(changedLines(text, result.text)).toEqual([
      "-      AssociatePublicIpAddress: true",
      "+      AssociatePublicIpAddress: false",
      "-      RetentionInDays: '30'",
      "+      RetentionInDays: '7'",
    ]);
    const region = doc.problems[0];
    const bytes = text.slice(region?.offset ?? 0, region?.end ?? 0);
    expect(bytes.length).toBeGreaterThan(1000);
    expect(result.text.split(bytes)).toHaveLength(2);
    expect(result.warnings[0]).toContain("1 YAML error that strict parsers reject (first at line 330");
  });

  const BROKEN = `Resources:
  Config:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Name: /app/config
      Value: !Sub
        - "{
          \\"region\\": \\"\${Region}\\"
        }"
        - { Region: !Ref "AWS::Region" }
      Tier: Standard
      Settings:
        Mode: fast
        Script: "line one
      line two"
      Tags:
        owner: ops
`;

  it("never edits inside such a string, nor what would rewrite it, and undoes that change whole", () => {
    expect(openTemplate(BROKEN).problems.map((p) => p.line)).toEqual([8, 15]);
    const result = ok({
      template: { text: BROKEN },
      changes: [
        legitimize("Config", "/Tier", "Standard", "Advanced"),
        legitimize("Config", "/Value", "{}", "other"),
        // Setting Mode would go through, removing Script would rewrite the string: neither is written.
        legitimize("Config", "/Settings", { Mode: "fast", Script: "line one line two" }, { Mode: "slow" }),
        legitimize("Config", "/Tags/owner", "ops", "platform"),
        {
          logicalId: "Config",
          propertyPath: "/Settings/Script",
          differenceType: "REMOVE",
          expected: "line one line two",
          actual: null,
          decision: "legitimize",
        },
      ],
    });

    expect(changedLines(BROKEN, result.text)).toEqual([
      "-      Tier: Standard",
      "+      Tier: Advanced",
      "-        owner: ops",
      "+        owner: platform",
    ]);
    expect(result.applied.map((a) => a.index)).toEqual([0, 3]);
    expect(result.manual.map((m) => [m.index, m.message])).toEqual([
      [1, expect.stringContaining("is built by !Sub")],
      [
        2,
        'Config /Settings: Phantom could not write it: the edit would rewrite line 15, which strict YAML parsers reject, and Phantom never rewrites what it cannot read; edit the template by hand so it becomes {"Mode":"slow"} if this stack should keep the live state.',
      ],
      [4, expect.stringContaining("the edit would rewrite line 15, which strict YAML parsers reject")],
    ]);
  });
});

describe("a property the template never declared", () => {
  const killSwitch: RectifyChange = {
    logicalId: "EmailSender",
    propertyPath: "/ReservedConcurrentExecutions",
    differenceType: "ADD",
    expected: null,
    actual: 0,
    decision: "legitimize",
    resourceType: "AWS::Lambda::Function",
    source: "cloudcontrol",
  };

  it("is written in after the resource's last property, in its indentation (the Lambda kill switch)", () => {
    const text = scenario("lambda-kill-switch/account/templates/notifications-prod.yaml");
    const result = ok({ template: { text }, changes: [killSwitch] });

    expect(changedLines(text, result.text)).toEqual(["+      ReservedConcurrentExecutions: 0"]);
    expect(text.split("\n").indexOf("        S3Key: !Ref ArtifactKey")).toBe(
      result.text.split("\n").indexOf("      ReservedConcurrentExecutions: 0") - 1,
    );
    expect(result.applied[0]?.edits[0]).toMatchObject({ action: "add", value: 0 });
  });

  it("goes in key order when the mapping's keys are sorted, and keeps CRLF line endings", () => {
    const text =
      "Resources:\r\n  Fn:\r\n    Type: AWS::Lambda::Function\r\n    Properties:\r\n      Handler: index.handler\r\n      MemorySize: 256\r\n      Role: arn:aws:iam::123456789012:role/x\r\n      Runtime: nodejs22.x\r\n";
    const result = ok({ template: { text }, changes: [killSwitch].map((c) => ({ ...c, logicalId: "Fn" })) });

    expect(result.text).toBe(
      text.replace("      Role:", "      ReservedConcurrentExecutions: 0\r\n      Role:"),
    );
  });

  it("goes first, above the first key's comment, when it sorts first", () => {
    const text =
      "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      # the entry point\n      Handler: index.handler\n      MemorySize: 256\n      Role: arn:aws:iam::123456789012:role/x\n";
    const result = ok({
      template: { text },
      changes: [{ ...killSwitch, logicalId: "Fn", propertyPath: "/Architectures", actual: ["arm64"] }],
    });

    expect(result.text).toBe(
      text.replace(
        "      # the entry point",
        "      Architectures:\n        - arm64\n      # the entry point",
      ),
    );
  });

  it("writes the levels above it that the template lacks, and a Properties section when there is none", () => {
    const text = "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n  Other:\n    Type: AWS::SQS::Queue\n";
    const result = ok({
      template: { text },
      changes: [
        { ...killSwitch, logicalId: "Fn", propertyPath: "/LoggingConfig/LogFormat", actual: "JSON" },
        { ...killSwitch, logicalId: "Other", propertyPath: "/Tags/0", actual: { Key: "a", Value: "b" } },
      ],
    });

    expect(result.text).toBe(
      "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      LoggingConfig:\n        LogFormat: JSON\n  Other:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags:\n        - Key: a\n          Value: b\n",
    );
  });

  it.each([
    ["2 spaces", 2],
    ["4 spaces", 4],
    ["tabs", "\t"],
  ] as const)("is written into a JSON template (%s) in its own formatting", (_, indent) => {
    const template = {
      Resources: {
        Fn: {
          Type: "AWS::Lambda::Function",
          Properties: { Handler: "index.handler", Runtime: "nodejs22.x", Timeout: 30 },
        },
      },
    };
    const text = `${JSON.stringify(template, null, indent)}\n`;
    const result = ok({
      template: { text },
      changes: [{ ...killSwitch, logicalId: "Fn" }],
    });

    const expected = structuredClone(template) as {
      Resources: { Fn: { Properties: Record<string, unknown> } };
    };
    expected.Resources.Fn.Properties = {
      Handler: "index.handler",
      ReservedConcurrentExecutions: 0,
      Runtime: "nodejs22.x",
      Timeout: 30,
    };
    expect(result.text).toBe(`${JSON.stringify(expected, null, indent)}\n`);
  });

  it("keeps a JSON template's byte order mark, and reads it as JSON", () => {
    const text = realworld("derived/acft__RDS__RDS_with_DBParameterGroup.bom.json");
    expect(openTemplate(text).format).toBe("json");
    const result = ok({
      template: { text },
      changes: [
        {
          logicalId: "MyDB",
          propertyPath: "/DeletionProtection",
          differenceType: "ADD",
          expected: null,
          actual: true,
          decision: "legitimize",
        },
      ],
    });

    expect(result.text.startsWith("\uFEFF")).toBe(true);
    expect(read(result.text, ["Resources", "MyDB", "Properties", "DeletionProtection"])).toBe(true);
    expect(changedLines(text, result.text)).toHaveLength(3);
  });
});

describe("security group rules declared as separate resources (the CDK shape)", () => {
  const text = scenario("sg-ssh-world-cdk-rules/account/templates/orders-api-prod.yaml");
  const sshToTheWorld = {
    CidrIp: "0.0.0.0/0",
    Description: "tmp ssh INC-4471 (ssm agent down)",
    FromPort: 22,
    IpProtocol: "tcp",
    ToPort: 22,
  };
  const declared = [
    {
      Description: "Load balancer to target",
      FromPort: 8080,
      IpProtocol: "tcp",
      SourceSecurityGroupId: "sg-0a3c5e7f9b1d2e4f6",
      SourceSecurityGroupOwnerId: "418273645091",
      ToPort: 8080,
    },
    {
      CidrIp: "10.20.0.0/24",
      Description: "SSH from the bastion subnet",
      FromPort: 22,
      IpProtocol: "tcp",
      ToPort: 22,
    },
  ];
  const ingress = (
    path: string,
    differenceType: RectifyChange["differenceType"],
    expected: unknown,
    actual: unknown,
    extra: Partial<RectifyChange> = {},
  ): RectifyChange => ({
    logicalId: "AppSecurityGroup",
    propertyPath: path,
    differenceType,
    expected,
    actual,
    decision: "legitimize",
    resourceType: "AWS::EC2::SecurityGroup",
    source: "cloudcontrol",
    expectedProperties: { GroupDescription: "orders-api instances", SecurityGroupIngress: declared },
    actualProperties: { SecurityGroupIngress: [...declared, sshToTheWorld] },
    ...extra,
  });

  it("legitimizes an added rule as a new rule resource next to the group's others, never inline", () => {
    const result = ok({
      template: { text },
      changes: [ingress("/SecurityGroupIngress/2", "ADD", null, sshToTheWorld)],
    });

    // The new resource is set apart by a blank line, as the others are (the diff shows it after).
    expect(changedLines(text, result.text)).toEqual([
      "+  AppSecurityGroupIngress22:",
      "+    Type: AWS::EC2::SecurityGroupIngress",
      "+    Properties:",
      "+      GroupId: !GetAtt AppSecurityGroup.GroupId",
      "+      IpProtocol: tcp",
      "+      FromPort: 22",
      "+      ToPort: 22",
      "+      CidrIp: 0.0.0.0/0",
      "+      Description: tmp ssh INC-4471 (ssm agent down)",
      "+",
    ]);
    const lines = result.text.split("\n");
    expect(lines[lines.indexOf("  AppSecurityGroupIngress22:") - 2]).toBe(
      "      Description: SSH from the bastion subnet",
    );
    expect(
      read(result.text, ["Resources", "AppSecurityGroup", "Properties", "SecurityGroupIngress"]),
    ).toBeUndefined();
    expect(result.applied[0]?.notes[0]).toContain("written as a new one next to them rather than inline");
  });

  it("changes nothing to revert one, and notes a rule a resource already declares", () => {
    const reverted = ok({
      template: { text },
      changes: [{ ...ingress("/SecurityGroupIngress/2", "ADD", null, sshToTheWorld), decision: "revert" }],
    });
    expect(reverted.text).toBe(text);
    expect(reverted.revert?.resources).toEqual([
      {
        logicalId: "AppSecurityGroup",
        resourceType: "AWS::EC2::SecurityGroup",
        propertyPaths: ["/SecurityGroupIngress/2"],
      },
    ]);

    const again = ok({
      template: { text },
      changes: [ingress("/SecurityGroupIngress/1", "ADD", null, declared[1])],
    });
    expect(again.text).toBe(text);
    expect(again.applied[0]?.notes).toEqual([
      "Resources.AppSecurityGroupFromBastionSsh already declares this rule",
    ]);
  });

  it("edits a changed rule in its own resource, through the parameter behind it", () => {
    const result = ok({
      template: { text },
      changes: [ingress("/SecurityGroupIngress/1/CidrIp", "NOT_EQUAL", "10.20.0.0/24", "10.30.0.0/24")],
    });

    expect(changedLines(text, result.text)).toEqual([
      "-    Default: 10.20.0.0/24",
      "+    Default: 10.30.0.0/24",
    ]);
    expect(result.applied[0]?.notes).toContain(
      "the rule is Resources.AppSecurityGroupFromBastionSsh, a separate SecurityGroupIngress resource of AppSecurityGroup",
    );
  });

  it("removes the rule resource of a rule gone live when nothing refers to it, and leaves it to a person when something does", () => {
    const gone = ingress("/SecurityGroupIngress/1", "REMOVE", declared[1], null);
    const result = ok({ template: { text }, changes: [gone] });
    expect(changedLines(text, result.text)).toEqual([
      "-  AppSecurityGroupFromBastionSsh:",
      "-    Type: AWS::EC2::SecurityGroupIngress",
      "-    Properties:",
      "-      GroupId: !GetAtt AppSecurityGroup.GroupId",
      "-      IpProtocol: tcp",
      "-      FromPort: 22",
      "-      ToPort: 22",
      "-      CidrIp: !Ref BastionCidr",
      "-      Description: SSH from the bastion subnet",
      "-",
    ]);

    const referred = text.replace(
      "    Type: AWS::EC2::Instance",
      "    Type: AWS::EC2::Instance\n    DependsOn: [AppSecurityGroupFromBastionSsh]",
    );
    const kept = ok({ template: { text: referred }, changes: [gone] });
    expect(kept.text).toBe(referred);
    expect(kept.manual[0]?.message).toContain("but Resources.AppInstance refers to it");
  });

  it("writes the new rule the way a JSON template writes its others", () => {
    const root = openTemplate(text).root;
    const json = JSON.stringify(root ? plainOf(root) : {}, null, 2);
    const result = ok({
      template: { text: json },
      changes: [ingress("/SecurityGroupIngress/2", "ADD", null, sshToTheWorld)],
    });

    expect(read(result.text, ["Resources", "AppSecurityGroupIngress22"])).toEqual({
      Type: "AWS::EC2::SecurityGroupIngress",
      Properties: {
        GroupId: { "Fn::GetAtt": "AppSecurityGroup.GroupId" },
        IpProtocol: "tcp",
        FromPort: 22,
        ToPort: 22,
        CidrIp: "0.0.0.0/0",
        Description: "tmp ssh INC-4471 (ssm agent down)",
      },
    });
    const keys = Object.keys(JSON.parse(result.text).Resources);
    expect(keys.indexOf("AppSecurityGroupIngress22")).toBe(
      keys.indexOf("AppSecurityGroupFromBastionSsh") + 1,
    );
  });

  it("leaves a live rule with a property the rule resource does not take to a person", () => {
    const result = ok({
      template: { text },
      changes: [ingress("/SecurityGroupIngress/2", "ADD", null, { ...sshToTheWorld, Ipv6Ranges: [] })],
    });

    expect(result.text).toBe(text);
    expect(result.manual[0]?.message).toContain(
      "the live rule has Ipv6Ranges, which AWS::EC2::SecurityGroupIngress does not take",
    );
  });

  it("still edits an inline rule list inline", () => {
    const result = ok({
      template: { text },
      changes: [
        {
          ...ingress("/SecurityGroupIngress/1", "ADD", null, sshToTheWorld),
          logicalId: "AlbSecurityGroup",
          expectedProperties: undefined,
          actualProperties: undefined,
        } as RectifyChange,
      ],
    });

    expect(
      read(result.text, ["Resources", "AlbSecurityGroup", "Properties", "SecurityGroupIngress", 1]),
    ).toEqual(sshToTheWorld);
    expect(read(result.text, ["Resources", "AppSecurityGroupIngress22"])).toBeUndefined();
  });
});

describe("an attachment that is not a security-group rule", () => {
  const bucketTemplate = [
    "Resources:",
    "  Assets:",
    "    Type: AWS::S3::Bucket",
    "    Properties:",
    "      BucketName: assets-prod",
    "  AssetsPolicy:",
    "    Type: AWS::S3::BucketPolicy",
    "    Properties:",
    "      Bucket: !Ref Assets",
    "      PolicyDocument: { Version: '2012-10-17', Statement: [] }",
    "",
  ].join("\n");
  const policyChange = (decision: RectifyChange["decision"], logicalId?: string): RectifyChange => ({
    logicalId: "Assets",
    propertyPath: "/PolicyDocument/Statement/0",
    differenceType: "ADD",
    expected: null,
    actual: {
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::assets-prod/*",
    },
    decision,
    resourceType: "AWS::S3::Bucket",
    source: "cloudcontrol",
    attachment: { type: "AWS::S3::BucketPolicy", ...(logicalId ? { logicalId } : {}) },
  });

  it("is never written as a property of its target: legitimizing it is a manual item naming the resource", () => {
    const result = ok({
      template: { text: bucketTemplate },
      changes: [policyChange("legitimize", "AssetsPolicy")],
    });

    expect(result.text).toBe(bucketTemplate);
    expect(result.manual).toEqual([
      expect.objectContaining({
        index: 0,
        message: expect.stringContaining(
          "declared by the separate AWS::S3::BucketPolicy resource AssetsPolicy",
        ),
      }),
    ]);
  });

  it("names the resource type to add when no resource declares it yet, and reverts need no edit", () => {
    const result = ok({
      template: { text: bucketTemplate },
      changes: [policyChange("legitimize"), policyChange("revert", "AssetsPolicy")],
    });

    expect(result.text).toBe(bucketTemplate);
    expect(result.manual.map((m) => m.index)).toEqual([0]);
    expect(result.manual[0]?.message).toContain("declare a new AWS::S3::BucketPolicy resource by hand");
  });
});
