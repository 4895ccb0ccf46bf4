// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation `!Sub` strings carry literal ${Name} placeholders.
import { diffLines } from "diff";
import { describe, expect, it } from "vitest";
import { openTemplate, rectify } from "../../core/rectify/rectify.ts";
import { nodeAt, plainOf } from "../../core/rectify/tree.ts";
import type { RectifyChange, RectifyInput, RectifyResult } from "../../core/rectify/types.ts";
import { intrinsicCounts, legitimize } from "./support.ts";

function ok(input: RectifyInput): RectifyResult {
  const outcome = rectify(input);
  if (!outcome.ok) throw new Error(`rectify failed: ${JSON.stringify(outcome.issues, null, 2)}`);
  return outcome.result;
}

/** The value at a template path, read back from the text. */
function read(text: string, path: (string | number)[]): unknown {
  const node = nodeAt(openTemplate(text).root, path);
  return node ? plainOf(node) : undefined;
}

/** The changed lines as `-old` / `+new`, from a line diff. */
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

const STYLED = `AWSTemplateFormatVersion: "2010-09-09"
# A template with every style a reviewer cares about.
Parameters:
  InstanceType:
    Type: String
    Default: t3.small # sized for the load test
    AllowedValues: [t3.small, t3.large, t3.xlarge]
  Size:
    Type: Number
    Default: 20
  Unset:
    Type: String

Conditions:
  IsProd: !Equals [!Ref "AWS::Region", us-east-1]

Resources:

  # --- queue ---
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      DelaySeconds: 20          # aligned comment
      QueueName: 'orders-queue'
      KmsMasterKeyId: !If [IsProd, alias/prod, !Ref "AWS::NoValue"]
      RedrivePolicy: { deadLetterTargetArn: !GetAtt DLQ.Arn, maxReceiveCount: 10 }
      Tags:
        - Key: Name
          Value: !Sub "\${AWS::StackName}-orders"
        - Key: team
          Value: "payments"
        - Key: cost-center
          Value: '1234'

  DLQ:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
      VisibilityTimeout: !FindInMap [Timeouts, !Ref "AWS::Region", Dlq]

  Server:
    Type: AWS::EC2::Instance
    Properties:
      InstanceType: !Ref InstanceType
      ImageId: !Select [0, !GetAZs ""]
      UserData: !Base64 |
        #!/bin/bash
        echo hello
      BlockDeviceMappings:
        - DeviceName: /dev/xvda
          Ebs:
            VolumeSize: !Ref Size
            Encrypted: true
      SecurityGroupIds: [!GetAtt Group.GroupId]

  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: web
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 10.0.0.0/16
        - IpProtocol: tcp
          FromPort: 80
          ToPort: 80
          CidrIp: 10.0.0.0/16
      Script: |
        line one
        line two
`;

describe("rectify (YAML)", () => {
  it("changes one line for one legitimized scalar and keeps comments, blank lines, flow style and tags", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [legitimize("Queue", "/DelaySeconds", 20, "120")],
    });

    expect(changedLines(STYLED, result.text)).toEqual([
      "-      DelaySeconds: 20          # aligned comment",
      "+      DelaySeconds: 120          # aligned comment",
    ]);
    expect(intrinsicCounts(result.text)).toEqual(intrinsicCounts(STYLED));
    expect(result.applied[0]?.edits[0]).toMatchObject({
      action: "set",
      target: { kind: "template", path: "Resources.Queue.Properties.DelaySeconds", line: 23 },
      value: 120,
    });
  });

  it("keeps each value's quoting and type: a quoted string stays quoted, a number stays a number", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [
        legitimize("Queue", "/QueueName", "orders-queue", "orders-v2"),
        legitimize("Queue", "/Tags/1/Value", "payments", "ledger"),
        legitimize("Queue", "/Tags/2/Value", "1234", 5678),
        legitimize("DLQ", "/MessageRetentionPeriod", 1209600, "86400"),
      ],
    });

    expect(changedLines(STYLED, result.text)).toEqual([
      "-      QueueName: 'orders-queue'",
      "+      QueueName: 'orders-v2'",
      '-          Value: "payments"',
      '+          Value: "ledger"',
      "-          Value: '1234'",
      "+          Value: '5678'",
      "-      MessageRetentionPeriod: 1209600",
      "+      MessageRetentionPeriod: 86400",
    ]);
    expect(read(result.text, ["Resources", "Queue", "Properties", "Tags", 2, "Value"])).toBe("5678");
  });

  it("edits inside a flow mapping without touching the intrinsic next to it", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [legitimize("Queue", "/RedrivePolicy/maxReceiveCount", "10", "12")],
    });

    expect(changedLines(STYLED, result.text)).toEqual([
      "-      RedrivePolicy: { deadLetterTargetArn: !GetAtt DLQ.Arn, maxReceiveCount: 10 }",
      "+      RedrivePolicy: { deadLetterTargetArn: !GetAtt DLQ.Arn, maxReceiveCount: 12 }",
    ]);
  });

  it("reconciles a whole object with only the leaves that changed, leaving its intrinsic alone", () => {
    const expected = { deadLetterTargetArn: "arn:aws:sqs:us-east-1:1:dlq", maxReceiveCount: 10 };
    const actual = { deadLetterTargetArn: "arn:aws:sqs:us-east-1:1:dlq", maxReceiveCount: 3 };
    const result = ok({
      template: { text: STYLED },
      changes: [legitimize("Queue", "/RedrivePolicy", expected, actual)],
    });

    expect(result.text).toContain("{ deadLetterTargetArn: !GetAtt DLQ.Arn, maxReceiveCount: 3 }");
    expect(result.manual).toEqual([]);
  });

  it("rewrites a literal block scalar as a literal block", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [legitimize("Group", "/Script", "line one\nline two\n", "line one\nline 2\nline three")],
    });

    expect(result.text).toContain("      Script: |-\n        line one\n        line 2\n        line three\n");
    expect(read(result.text, ["Resources", "Group", "Properties", "Script"])).toBe(
      "line one\nline 2\nline three",
    );
  });

  it("matches tags by Key, not by the index drift reports", () => {
    // Drift lists the live tags in another order: index 0 is the `team` tag.
    const expectedProperties = {
      Tags: [
        { Key: "team", Value: "payments" },
        { Key: "Name", Value: "stack-orders" },
        { Key: "cost-center", Value: "1234" },
      ],
    };
    const result = ok({
      template: { text: STYLED },
      changes: [legitimize("Queue", "/Tags/0/Value", "payments", "ledger", { expectedProperties })],
    });

    expect(changedLines(STYLED, result.text)).toEqual([
      '-          Value: "payments"',
      '+          Value: "ledger"',
    ]);
  });

  it("removes the tag whose Key was removed and appends an added tag at the end", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [
        {
          logicalId: "Queue",
          propertyPath: "/Tags/1",
          differenceType: "REMOVE",
          expected: { Key: "cost-center", Value: "1234" },
          actual: null,
          decision: "legitimize",
        },
        {
          logicalId: "Queue",
          propertyPath: "/Tags/0",
          differenceType: "ADD",
          expected: null,
          actual: { Value: "INC-1", Key: "incident" },
          decision: "legitimize",
        },
      ],
    });

    expect(changedLines(STYLED, result.text)).toEqual([
      "-        - Key: cost-center",
      "-          Value: '1234'",
      "+        - Key: incident",
      "+          Value: INC-1",
    ]);
  });

  it("rewrites a tag in place when drift reports its new value as a REMOVE plus an ADD of the same Key", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [
        {
          logicalId: "Queue",
          propertyPath: "/Tags/1",
          differenceType: "REMOVE",
          expected: { Key: "team", Value: "payments" },
          actual: null,
          decision: "legitimize",
        },
        {
          logicalId: "Queue",
          propertyPath: "/Tags/2",
          differenceType: "ADD",
          expected: null,
          actual: { Key: "team", Value: "ledger" },
          decision: "legitimize",
        },
      ],
    });

    expect(changedLines(STYLED, result.text)).toEqual([
      '-          Value: "payments"',
      '+          Value: "ledger"',
    ]);
    expect(result.applied.map((a) => a.notes)).toEqual([
      ["an ADD of the same Key in this rectification rewrites that item in place"],
      [],
    ]);
  });

  it("appends an added ingress rule in the key order of its siblings and removes the one equal to the removed value", () => {
    const added = {
      CidrIp: "0.0.0.0/0",
      Description: "temp debug",
      FromPort: 22,
      IpProtocol: "tcp",
      ToPort: 22,
    };
    const removed = { CidrIp: "10.0.0.0/16", FromPort: 80, IpProtocol: "tcp", ToPort: 80 };
    const result = ok({
      template: { text: STYLED },
      changes: [
        {
          logicalId: "Group",
          propertyPath: "/SecurityGroupIngress/2",
          differenceType: "ADD",
          expected: null,
          actual: added,
          decision: "legitimize",
        },
        // Index 0 in drift's order, but the item equal to it is the template's second one.
        {
          logicalId: "Group",
          propertyPath: "/SecurityGroupIngress/0",
          differenceType: "REMOVE",
          expected: removed,
          actual: null,
          decision: "legitimize",
        },
      ],
    });

    const http =
      "        - IpProtocol: tcp\n          FromPort: 80\n          ToPort: 80\n          CidrIp: 10.0.0.0/16\n";
    const ssh =
      "        - IpProtocol: tcp\n          FromPort: 22\n          ToPort: 22\n          CidrIp: 0.0.0.0/0\n          Description: temp debug\n";
    expect(result.text).toBe(STYLED.replace(http, ssh));
  });

  it("appends to a flow sequence inside its brackets", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [
        {
          logicalId: "Server",
          propertyPath: "/SecurityGroupIds/1",
          differenceType: "ADD",
          expected: null,
          actual: "sg-0123",
          decision: "legitimize",
        },
      ],
    });

    expect(changedLines(STYLED, result.text)).toEqual([
      "-      SecurityGroupIds: [!GetAtt Group.GroupId]",
      "+      SecurityGroupIds: [!GetAtt Group.GroupId, sg-0123]",
    ]);
  });

  it("removes a property whose value was removed live, with its nested lines", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [
        {
          logicalId: "Server",
          propertyPath: "/BlockDeviceMappings/0/Ebs/Encrypted",
          differenceType: "REMOVE",
          expected: true,
          actual: null,
          decision: "legitimize",
        },
      ],
    });

    expect(changedLines(STYLED, result.text)).toEqual(["-            Encrypted: true"]);
  });

  it("writes an empty mapping when its last key goes, so the value keeps its type", () => {
    const text =
      "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy:\n        maxReceiveCount: 5\n      DelaySeconds: 1\n";
    const result = ok({
      template: { text },
      changes: [
        {
          logicalId: "Q",
          propertyPath: "/RedrivePolicy/maxReceiveCount",
          differenceType: "REMOVE",
          expected: 5,
          actual: null,
          decision: "legitimize",
        },
      ],
    });

    expect(result.text).toBe(
      "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: {}\n      DelaySeconds: 1\n",
    );
  });

  it("respects block scalars at the end of what it edits around", () => {
    const text =
      "Resources:\n  Q:\n    Type: X\n    Properties:\n      List:\n        - a\n        - |+\n          keep\n\n      Map:\n        k: |\n          v\n      Other: 1\n";
    const append = ok({
      template: { text },
      changes: [
        {
          logicalId: "Q",
          propertyPath: "/List/2",
          differenceType: "ADD",
          expected: null,
          actual: "new",
          decision: "legitimize",
        },
      ],
    });
    const emptied = ok({
      template: { text },
      changes: [
        {
          logicalId: "Q",
          propertyPath: "/Map/k",
          differenceType: "REMOVE",
          expected: "v\n",
          actual: null,
          decision: "legitimize",
        },
      ],
    });

    // The blank line belongs to the `|+` scalar's value, so the new item goes after it.
    expect(append.text).toBe(text.replace("keep\n\n", "keep\n\n        - new\n"));
    expect(emptied.text).toBe(text.replace("      Map:\n        k: |\n          v\n", "      Map: {}\n"));
  });

  it("adds a property the template does not set yet", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [legitimize("DLQ", "/ReceiveMessageWaitTimeSeconds", null, 20)],
    });

    expect(changedLines(STYLED, result.text)).toEqual(["+      ReceiveMessageWaitTimeSeconds: 20"]);
  });

  it("writes a refactor's proposed value, intrinsic functions in short form", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [
        {
          logicalId: "DLQ",
          propertyPath: "/MessageRetentionPeriod",
          differenceType: "NOT_EQUAL",
          expected: 1209600,
          actual: 60,
          decision: "refactor",
          proposed: 345600,
        },
        {
          logicalId: "Group",
          propertyPath: "/GroupDescription",
          differenceType: "NOT_EQUAL",
          expected: "web",
          actual: "web (edited)",
          decision: "refactor",
          proposed: { "Fn::Sub": "${AWS::StackName} web" },
        },
      ],
    });

    expect(result.text).toContain("      MessageRetentionPeriod: 345600\n");
    expect(result.text).toContain(`      GroupDescription: !Sub \${AWS::StackName} web\n`);
  });

  it("leaves the template as it is for revert and plans a drift-aware change set instead", () => {
    const result = ok({
      template: { text: STYLED, path: "stacks/orders.yaml" },
      stack: { name: "orders", region: "eu-west-1" },
      changes: [
        {
          ...legitimize("Queue", "/DelaySeconds", 20, 120),
          decision: "revert",
          resourceType: "AWS::SQS::Queue",
        },
      ],
    });

    expect(result.text).toBe(STYLED);
    expect(result.changed).toBe(false);
    expect(result.reverted).toEqual([
      { index: 0, logicalId: "Queue", propertyPath: "/DelaySeconds", resourceType: "AWS::SQS::Queue" },
    ]);
    expect(result.revert?.input).toMatchObject({
      StackName: "orders",
      ChangeSetType: "UPDATE",
      DeploymentMode: "REVERT_DRIFT",
      UsePreviousTemplate: true,
      Parameters: [
        { ParameterKey: "InstanceType", UsePreviousValue: true },
        { ParameterKey: "Size", UsePreviousValue: true },
        { ParameterKey: "Unset", UsePreviousValue: true },
      ],
    });
    expect(result.revert?.command).toContain("--use-previous-template");
    expect(result.revert?.command).toContain("--region eu-west-1");
  });

  it("reads a YAML template written as one flow mapping", () => {
    const text = "{Resources: {Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 1}}}}\n";
    const result = ok({ template: { text }, changes: [legitimize("Q", "/DelaySeconds", 1, 5)] });

    expect(result.text).toBe("{Resources: {Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 5}}}}\n");
  });

  it("keeps CRLF line endings in what it writes", () => {
    const text = STYLED.replaceAll("\n", "\r\n");
    const result = ok({
      template: { text },
      changes: [
        {
          logicalId: "Queue",
          propertyPath: "/Tags/3",
          differenceType: "ADD",
          expected: null,
          actual: { Key: "a", Value: "b" },
          decision: "legitimize",
        },
        legitimize("Queue", "/DelaySeconds", 20, 5),
      ],
    });

    expect(result.text.replaceAll("\r\n", "")).not.toContain("\n");
    expect(result.text).toContain("        - Key: a\r\n          Value: b\r\n");
  });
});

describe("rectify through intrinsic functions", () => {
  it("moves a value behind !Ref Parameter to the parameter's Default, keeping its comment", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [legitimize("Server", "/InstanceType", "t3.small", "t3.large")],
    });

    expect(changedLines(STYLED, result.text)).toEqual([
      "-    Default: t3.small # sized for the load test",
      "+    Default: t3.large # sized for the load test",
    ]);
    expect(result.applied[0]?.edits).toEqual([
      {
        action: "set",
        target: { kind: "parameter-default", parameter: "InstanceType", line: 6 },
        value: "t3.large",
      },
    ]);
  });

  it("keeps a Number parameter's Default a number, also for a nested !Ref", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [legitimize("Server", "/BlockDeviceMappings/0/Ebs/VolumeSize", "20", "50")],
    });

    expect(changedLines(STYLED, result.text)).toEqual(["-    Default: 20", "+    Default: 50"]);
  });

  it("writes the environment's parameter file instead when one is given", () => {
    const parameters = `[\n  { "ParameterKey": "InstanceType", "ParameterValue": "t3.small" },\n  { "ParameterKey": "Size", "ParameterValue": "20" }\n]\n`;
    const result = ok({
      template: { text: STYLED },
      parameters: { text: parameters, path: "params/prod.json" },
      changes: [
        legitimize("Server", "/InstanceType", "t3.small", "t3.xlarge"),
        legitimize("Server", "/BlockDeviceMappings/0/Ebs/VolumeSize", "20", "30"),
      ],
    });

    expect(result.text).toBe(STYLED);
    expect(result.parameters).toBe(
      `[\n  { "ParameterKey": "InstanceType", "ParameterValue": "t3.xlarge" },\n  { "ParameterKey": "Size", "ParameterValue": "30" }\n]\n`,
    );
    expect(result.applied.map((a) => a.edits[0]?.target)).toEqual([
      { kind: "parameter-file", parameter: "InstanceType", line: 2 },
      { kind: "parameter-file", parameter: "Size", line: 3 },
    ]);
  });

  it("adds a parameter the file does not list yet", () => {
    const text =
      "Parameters:\n  Mode:\n    Type: String\n    Default: a\nResources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      BillingMode: !Ref Mode\n";
    const parameters = `[\n    {\n        "ParameterKey": "Other",\n        "ParameterValue": "x"\n    }\n]\n`;
    const result = ok({
      template: { text },
      parameters: { text: parameters },
      changes: [legitimize("T", "/BillingMode", "PROVISIONED", "PAY_PER_REQUEST")],
    });

    expect(JSON.parse(result.parameters ?? "")).toEqual([
      { ParameterKey: "Other", ParameterValue: "x" },
      { ParameterKey: "Mode", ParameterValue: "PAY_PER_REQUEST" },
    ]);
    expect(result.parameters).toContain('    {\n        "ParameterKey": "Mode",');
  });

  it("adds a Default to a parameter that has none, and says why that may not be enough", () => {
    const text = STYLED.replace("InstanceType: !Ref InstanceType", "InstanceType: !Ref Unset");
    const result = ok({
      template: { text },
      changes: [legitimize("Server", "/InstanceType", "t3.small", "t3.large")],
    });

    expect(changedLines(text, result.text)).toEqual(["+    Default: t3.large"]);
    expect(result.applied[0]?.notes).toEqual([
      "parameter Unset had no Default: if the deployment passes Unset, change the value there",
    ]);
  });

  it("leaves a parameter whose AllowedValues reject the live value to a person", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [legitimize("Server", "/InstanceType", "t3.small", "m5.large")],
    });

    expect(result.text).toBe(STYLED);
    expect(result.manual[0]?.message).toContain(
      "parameter InstanceType allows only t3.small, t3.large, t3.xlarge",
    );
  });

  it("says when a parameter is shared, and refuses two different values for it", () => {
    const text = STYLED.replace(
      "VolumeSize: !Ref Size",
      "VolumeSize: !Ref Size\n            Iops: !Ref Size",
    );
    const result = ok({
      template: { text },
      changes: [
        legitimize("Server", "/BlockDeviceMappings/0/Ebs/VolumeSize", 20, 40),
        legitimize("Server", "/BlockDeviceMappings/0/Ebs/Iops", 20, 41),
      ],
    });

    expect(result.applied[0]?.notes).toEqual(['parameter Size is also used by Server: they get "40" too']);
    expect(result.manual).toHaveLength(1);
    expect(result.manual[0]?.message).toContain('already sets to "40"');
  });

  it.each([
    ["/KmsMasterKeyId", "Queue", "alias/prod", "alias/other", "edit the branch this stack takes"],
    ["/Tags/0/Value", "Queue", "s-orders", "renamed", "is built by !Sub"],
    ["/VisibilityTimeout", "DLQ", 30, 60, "is read from a mapping by !FindInMap"],
    ["/ImageId", "Server", "ami-1", "ami-2", 'edit it by hand so it yields "ami-2"'],
  ])(
    "never overwrites %s (%s): the change is manual, with what to edit",
    (path, id, expected, actual, says) => {
      const result = ok({ template: { text: STYLED }, changes: [legitimize(id, path, expected, actual)] });

      expect(result.text).toBe(STYLED);
      expect(result.applied).toEqual([]);
      expect(result.manual).toHaveLength(1);
      expect(result.manual[0]?.message).toContain(says);
      expect(result.manual[0]?.message).toContain(`${id} ${path} (Resources.${id}.Properties.`);
    },
  );

  it("decodes what a !Base64 should encode", () => {
    const live = Buffer.from("#!/bin/bash\necho bye\n").toString("base64");
    const result = ok({
      template: { text: STYLED },
      changes: [legitimize("Server", "/UserData", "x", live)],
    });

    expect(result.manual[0]?.message).toContain('edit the text it encodes to "#!/bin/bash\\necho bye\\n"');
  });

  it("does not edit a list that an intrinsic function produces", () => {
    const text = STYLED.replace(
      "SecurityGroupIds: [!GetAtt Group.GroupId]",
      "SecurityGroupIds: !If [IsProd, [sg-1], [sg-2]]",
    );
    const result = ok({
      template: { text },
      changes: [legitimize("Server", "/SecurityGroupIds/0", "sg-1", "sg-9")],
    });

    expect(result.text).toBe(text);
    expect(result.manual[0]?.message).toContain("goes through !If [IsProd, [sg-1], [sg-2]]");
  });

  it("does not delete a property set by an intrinsic function on its own", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [
        {
          logicalId: "Queue",
          propertyPath: "/KmsMasterKeyId",
          differenceType: "REMOVE",
          expected: "alias/prod",
          actual: null,
          decision: "legitimize",
        },
      ],
    });

    expect(result.text).toBe(STYLED);
    expect(result.manual[0]?.message).toContain("remove the property by hand");
  });

  it("notes the intrinsic functions a removed item takes with it", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [
        {
          logicalId: "Queue",
          propertyPath: "/Tags/0",
          differenceType: "REMOVE",
          expected: { Key: "Name", Value: "x-orders" },
          actual: null,
          decision: "legitimize",
        },
      ],
    });

    expect(changedLines(STYLED, result.text)).toEqual([
      "-        - Key: Name",
      '-          Value: !Sub "${AWS::StackName}-orders"',
    ]);
    expect(result.applied[0]?.notes).toEqual(['removes !Sub "${AWS::StackName}-orders" with it']);
  });

  it("leaves a deleted resource to a person", () => {
    const result = ok({
      template: { text: STYLED },
      changes: [
        {
          logicalId: "DLQ",
          propertyPath: "",
          differenceType: "REMOVE",
          expected: {},
          actual: null,
          decision: "legitimize",
        },
      ],
    });

    expect(result.text).toBe(STYLED);
    expect(result.manual[0]?.message).toContain("DLQ was deleted outside CloudFormation");
  });
});

describe("rectify (JSON)", () => {
  const template = {
    AWSTemplateFormatVersion: "2010-09-09",
    Parameters: { Memory: { Type: "Number", Default: 128 } },
    Resources: {
      Fn: {
        Type: "AWS::Lambda::Function",
        Properties: {
          MemorySize: { Ref: "Memory" },
          Timeout: 900,
          Description: { "Fn::Sub": "${AWS::StackName} writer" },
          Tags: [{ Key: "team", Value: "data" }],
        },
      },
    },
  };

  it.each([
    ["2 spaces", JSON.stringify(template, null, 2)],
    ["4 spaces", JSON.stringify(template, null, 4)],
    ["tabs", JSON.stringify(template, null, "\t")],
  ])("keeps indentation (%s) and key order", (_, text) => {
    const result = ok({
      template: { text },
      changes: [
        legitimize("Fn", "/Timeout", "900", "22"),
        legitimize("Fn", "/MemorySize", "128", "256"),
        {
          logicalId: "Fn",
          propertyPath: "/Tags/1",
          differenceType: "ADD",
          expected: null,
          actual: { Key: "env", Value: "prod" },
          decision: "legitimize",
        },
        legitimize("Fn", "/Description", "s writer", "other"),
      ],
    });

    const expected = structuredClone(template);
    expected.Resources.Fn.Properties.Timeout = 22;
    expected.Parameters.Memory.Default = 256;
    expected.Resources.Fn.Properties.Tags.push({ Key: "env", Value: "prod" });
    const indent = _ === "tabs" ? "\t" : _ === "4 spaces" ? 4 : 2;
    expect(result.text).toBe(JSON.stringify(expected, null, indent));
    expect(result.manual.map((m) => m.propertyPath)).toEqual(["/Description"]);
  });
});

describe("rectify errors", () => {
  it("returns every malformed change at once, naming each, and writes nothing", () => {
    const changes: RectifyChange[] = [
      legitimize("Queue", "/DelaySeconds", 20, 21),
      legitimize("Queue", "DelaySeconds", 1, 2),
      { ...legitimize("Queue", "/DelaySeconds", 1, 2), decision: "refactor" },
      { ...legitimize("Queue", "/DelaySeconds", 1, 2), decision: "ignore" as never },
      legitimize("Queue", "/DelaySeconds", 1, undefined),
    ];
    const outcome = rectify({ template: { text: STYLED }, changes });

    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.issues).toEqual([
      {
        index: 1,
        logicalId: "Queue",
        propertyPath: "DelaySeconds",
        message: 'propertyPath "DelaySeconds" is not a JSON pointer like /InstanceType or /Tags/1/Value',
      },
      {
        index: 2,
        logicalId: "Queue",
        propertyPath: "/DelaySeconds",
        message: "a refactor needs a proposed value",
      },
      {
        index: 3,
        logicalId: "Queue",
        propertyPath: "/DelaySeconds",
        message: 'decision "ignore" is not one of legitimize, revert, refactor',
      },
      {
        index: 4,
        logicalId: "Queue",
        propertyPath: "/DelaySeconds",
        message: "the live (actual) value is missing or not a JSON value",
      },
    ]);
  });

  it("applies what it can: a change the template cannot take is a manual item with its reason", () => {
    const changes: RectifyChange[] = [
      legitimize("Nope", "/DelaySeconds", 1, 2),
      legitimize("Queue", "/Missing/Deeper", 1, 2),
      legitimize("Group", "/SecurityGroupIngress/7/FromPort", 1, 2),
      legitimize("Queue", "/DelaySeconds", 20, 21),
      legitimize("Group", "/GroupDescription/x", 1, 2),
      { ...legitimize("Nope", "/DelaySeconds", 1, 2), decision: "revert" },
    ];
    const result = ok({ template: { text: STYLED }, changes });

    expect(changedLines(STYLED, result.text)).toEqual([
      "-      DelaySeconds: 20          # aligned comment",
      "+      DelaySeconds: 21          # aligned comment",
    ]);
    expect(result.applied.map((a) => a.index)).toEqual([3]);
    expect(result.reverted).toEqual([]);
    expect(result.manual.map((m) => [m.index, m.message])).toEqual([
      [
        0,
        "Nope /DelaySeconds: the template has no resource Nope: add it, or the property, by hand if this stack should keep the live state.",
      ],
      [
        1,
        "Queue /Missing/Deeper: the template has no /Missing under Resources.Queue.Properties; edit the template by hand so it becomes 2 if this stack should keep the live state.",
      ],
      [
        2,
        "Group /SecurityGroupIngress/7/FromPort: the template's /SecurityGroupIngress has 2 items, so there is no item 7; edit the template by hand so it becomes 2 if this stack should keep the live state.",
      ],
      [
        4,
        "Group /GroupDescription/x: the template has a single value at /GroupDescription, so /GroupDescription/x does not exist in it; edit the template by hand so it becomes 2 if this stack should keep the live state.",
      ],
      [
        5,
        "Nope /DelaySeconds: the template has no resource Nope, so the revert plan cannot restore it from this template: check which template the stack was deployed from.",
      ],
    ]);
  });

  it("refuses what is not a template or a parameter file", () => {
    expect(rectify({ template: { text: "- a\n- b\n" }, changes: [] })).toMatchObject({
      ok: false,
      issues: [{ message: expect.stringContaining("not a mapping") }],
    });
    expect(rectify({ template: { text: '{"Resources": [' }, changes: [] })).toMatchObject({ ok: false });
    expect(
      rectify({ template: { text: STYLED }, parameters: { text: '{"a": 1}' }, changes: [] }),
    ).toMatchObject({ ok: false, issues: [{ message: expect.stringContaining("ParameterKey") }] });
  });

  it("edits around a YAML error that lenient parsers accept, but never inside it", () => {
    const text = `Resources:\n  Good:\n    Type: AWS::SQS::Queue\n    Properties:\n      DelaySeconds: 1\n  Bad:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags: {\n      'a': b,\n      }\n`;
    const result = ok({
      template: { text },
      changes: [legitimize("Good", "/DelaySeconds", 1, 2), legitimize("Bad", "/Tags/a", "b", "c")],
    });

    expect(result.text).toBe(text.replace("DelaySeconds: 1", "DelaySeconds: 2"));
    expect(result.applied.map((a) => a.index)).toEqual([0]);
    expect(result.manual.map((m) => m.index)).toEqual([1]);
    expect(result.manual[0]?.message).toContain(
      "Resources.Bad has a YAML error (line 10: Flow map in block collection must be sufficiently indented and end with a } at line 10, column 7) and Phantom does not edit inside it",
    );
    expect(result.warnings[0]).toContain("YAML error");
  });
});
