import { describe, expect, it } from "vitest";
import { type IgnoreReason, type IntakeContext, judge } from "../../core/change/classify.ts";
import { catalogContext } from "../../core/change/context.ts";
import { DEFAULT_CONFIG, parseConfig } from "../../core/config/schema.ts";
import {
  ACCOUNT,
  createTags,
  ingress,
  modifyDbInstance,
  modifyInstanceAttribute,
  PERSON_ROLE_ARN,
  type RawRecord,
  runInstances,
  SG_ID,
  SSO_ROLE,
  stopInstances,
  updateFunctionConfiguration,
  why,
  without,
} from "./records.ts";

const context = catalogContext(DEFAULT_CONFIG);
const SG = { type: "AWS::EC2::SecurityGroup", id: SG_ID };

/** An intake context for a config document, which must be valid. */
function contextFor(document: unknown): IntakeContext {
  const result = parseConfig(document);
  if (!result.ok) throw new Error(`invalid config:\n${result.issues.join("\n")}`);
  return catalogContext(result.config);
}

const autoScalingSession = {
  type: "AssumedRole",
  principalId: "AROAEXAMPLEASG:AutoScaling",
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling`,
  accountId: ACCOUNT,
  sessionContext: {
    sessionIssuer: {
      type: "Role",
      arn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
      userName: "AWSServiceRoleForAutoScaling",
    },
  },
};

describe("changes", () => {
  it.each<[string, RawRecord, { type: string; id: string }]>([
    ["ec2 AuthorizeSecurityGroupIngress", ingress(), SG],
    [
      "ec2 ModifyInstanceAttribute",
      modifyInstanceAttribute(),
      { type: "AWS::EC2::Instance", id: "i-0123456789abcdef0" },
    ],
    ["rds ModifyDBInstance", modifyDbInstance(), { type: "AWS::RDS::DBInstance", id: "orders-db" }],
    [
      "lambda UpdateFunctionConfiguration20150331v2",
      updateFunctionConfiguration(),
      { type: "AWS::Lambda::Function", id: "payments-api" },
    ],
  ])("%s by a person is a change touching its resource", (_name, record, resource) => {
    // prepare: the record

    // act
    const judgement = judge(record, context);

    // assess
    expect(judgement).toMatchObject({ verdict: "change", resources: [resource] });
  });
});

describe("ignored", () => {
  const cases: Record<Exclude<IgnoreReason, "ignore-rule">, [RawRecord, RegExp]> = {
    "not-an-api-call": [ingress({ eventType: "AwsConsoleSignIn" }), /AwsConsoleSignIn/],
    "failed-call": [
      ingress({ errorCode: "Client.UnauthorizedOperation", errorMessage: "no" }),
      /UnauthorizedOperation/,
    ],
    "read-only": [ingress({ readOnly: true }), /AuthorizeSecurityGroupIngress/],
    "by-cloudformation": [ingress({ sourceIPAddress: "cloudformation.amazonaws.com" }), /CloudFormation/],
    "service-automation": [
      ingress({ userIdentity: { type: "AWSService", invokedBy: "autoscaling.amazonaws.com" } }),
      /autoscaling\.amazonaws\.com/,
    ],
    "creates-new-resource": [runInstances(), /RunInstances/],
    operational: [stopInstances(), /StopInstances/],
    "not-in-catalog": [
      ingress({
        eventSource: "dynamodb.amazonaws.com",
        eventName: "PutItem",
        requestParameters: { tableName: "t" },
      }),
      /dynamodb:PutItem/,
    ],
    "not-stack-ownable": [
      createTags({
        requestParameters: {
          resourcesSet: { items: [{ resourceId: "ami-0aa1d83d0b0985c86" }] },
          tagSet: { items: [{ key: "env", value: "prod" }] },
        },
      }),
      /ami-0aa1d83d0b0985c86 \(an AMI\)/,
    ],
  };

  it.each(Object.entries(cases))(
    "%s: ignored with that reason and a sentence",
    (reason, [record, detail]) => {
      // prepare: the record

      // act
      const judgement = judge(record, context);

      // assess
      expect(judgement.verdict).toBe("ignored");
      expect(why(judgement).reason).toBe(reason);
      expect(why(judgement).detail).toMatch(detail);
    },
  );

  it("read-only: a Describe* call without a readOnly field", () => {
    // prepare
    const record = without(
      ingress({ eventName: "DescribeSecurityGroups", requestParameters: { filterSet: {} } }),
      "readOnly",
    );

    // act
    const judgement = judge(record, context);

    // assess
    expect(why(judgement)).toEqual({ reason: "read-only", detail: "DescribeSecurityGroups only reads" });
  });

  it("a write with readOnly absent is still judged a write", () => {
    // prepare
    const record = without(ingress(), "readOnly");

    // act
    const judgement = judge(record, context);

    // assess
    expect(judgement).toMatchObject({ verdict: "change", resources: [SG] });
  });

  it.each<[string, RawRecord]>([
    [
      "userIdentity.invokedBy",
      ingress({ userIdentity: { type: "AssumedRole", invokedBy: "cloudformation.amazonaws.com" } }),
    ],
    ["userAgent", ingress({ userAgent: "cloudformation.amazonaws.com" })],
    ["sourceIPAddress", ingress({ sourceIPAddress: "cloudformation.amazonaws.com" })],
  ])("by-cloudformation: %s = cloudformation.amazonaws.com", (_field, record) => {
    // prepare: the record

    // act
    const judgement = judge(record, context);

    // assess
    expect(judgement.verdict).toBe("ignored");
    expect(why(judgement).reason).toBe("by-cloudformation");
  });

  it.each<[string, RawRecord]>([
    [
      "an AWSService identity",
      ingress({ userIdentity: { type: "AWSService", invokedBy: "ec2.amazonaws.com" } }),
    ],
    [
      "invokedBy autoscaling.amazonaws.com",
      ingress({
        userIdentity: { type: "AssumedRole", arn: "arn:x", invokedBy: "autoscaling.amazonaws.com" },
      }),
    ],
    ["an AWSServiceRoleForAutoScaling session", ingress({ userIdentity: autoScalingSession })],
    ["sourceIPAddress dynamodb.amazonaws.com", ingress({ sourceIPAddress: "dynamodb.amazonaws.com" })],
  ])("service-automation: %s", (_what, record) => {
    // prepare: the record

    // act
    const judgement = judge(record, context);

    // assess
    expect(judgement.verdict).toBe("ignored");
    expect(why(judgement).reason).toBe("service-automation");
  });

  it("a console person (invokedBy signin.amazonaws.com) stays a change", () => {
    // prepare
    const record = ingress({
      userIdentity: {
        type: "IAMUser",
        arn: `arn:aws:iam::${ACCOUNT}:user/bob`,
        userName: "bob",
        invokedBy: "signin.amazonaws.com",
      },
      sourceIPAddress: "203.0.113.7",
    });

    // act
    const judgement = judge(record, context);

    // assess
    expect(judgement).toMatchObject({ verdict: "change", resources: [SG], actor: { name: "bob" } });
  });

  it.each<[string, RawRecord]>([
    [
      "an AWSService identity",
      ingress({ userIdentity: { type: "AWSService", invokedBy: "autoscaling.amazonaws.com" } }),
    ],
    ["an AWSServiceRoleForAutoScaling session", ingress({ userIdentity: autoScalingSession })],
    ["sourceIPAddress dynamodb.amazonaws.com", ingress({ sourceIPAddress: "dynamodb.amazonaws.com" })],
  ])("serviceAutomation: include turns %s into a change", (_what, record) => {
    // prepare
    const including = contextFor({ serviceAutomation: "include" });

    // act
    const judgement = judge(record, including);

    // assess
    expect(judgement).toMatchObject({ verdict: "change", resources: [SG] });
  });

  it("serviceAutomation: include still ignores CloudFormation's own calls", () => {
    // prepare
    const including = contextFor({ serviceAutomation: "include" });
    const record = ingress({
      userIdentity: { type: "AWSService", invokedBy: "cloudformation.amazonaws.com" },
      sourceIPAddress: "cloudformation.amazonaws.com",
    });

    // act
    const judgement = judge(record, including);

    // assess
    expect(why(judgement).reason).toBe("by-cloudformation");
  });
});

describe("rejected", () => {
  it("resource-id-not-found: AuthorizeSecurityGroupIngress without groupId names what it looked for", () => {
    // prepare
    const record = ingress({ requestParameters: { ipPermissions: { items: [] } } });

    // act
    const judgement = judge(record, context);

    // assess
    expect(judgement).toMatchObject({ verdict: "rejected", reason: "resource-id-not-found" });
    expect(why(judgement).detail).toContain("groupId");
    expect(judgement).toMatchObject({ partial: { eventName: "AuthorizeSecurityGroupIngress" } });
  });

  it("resource-id-not-found: requestParameters null", () => {
    // prepare
    const record = ingress({ requestParameters: null });

    // act
    const judgement = judge(record, context);

    // assess
    expect(why(judgement).reason).toBe("resource-id-not-found");
  });

  it("missing-field: a record without eventName", () => {
    // prepare
    const record = without(ingress(), "eventName");

    // act
    const judgement = judge(record, context);

    // assess
    expect(why(judgement)).toEqual({ reason: "missing-field", detail: expect.stringContaining("eventName") });
  });

  it.each<[string, unknown]>([
    ["a string", "AuthorizeSecurityGroupIngress"],
    ["null", null],
    ["a number", 3],
    ["an array", [ingress()]],
  ])("malformed: %s instead of a record", (_what, raw) => {
    // prepare: the raw value

    // act
    const judgement = judge(raw, context);

    // assess
    expect(why(judgement)).toEqual({
      reason: "malformed",
      detail: expect.stringContaining("expected a CloudTrail record"),
    });
  });
});

describe("ignore rules from the config", () => {
  it.each<[string, string]>([
    ["principal ARN glob, * spanning /", "arn:aws:sts::*:assumed-role/AWSReservedSSO_*"],
    ["principal ARN glob ending in *", "arn:aws:sts::*"],
    ["session name", "alice@example.com"],
    ["session name, any case", "ALICE@Example.com"],
    ["session name glob", "*@example.com"],
    ["issuer role ARN", PERSON_ROLE_ARN],
    ["issuer role ARN glob", "arn:aws:iam::*:role/*/AWSReservedSSO_Administrator*"],
  ])("principal: %s", (_what, principal) => {
    // prepare
    const ignoring = contextFor({ ignore: [{ principal, reason: "break-glass admins" }] });

    // act
    const judgement = judge(ingress(), ignoring);

    // assess
    expect(judgement).toMatchObject({ verdict: "ignored", reason: "ignore-rule", resources: [SG] });
    expect(why(judgement).detail).toBe(`ignore rule 1 (break-glass admins) matched principal ${principal}`);
  });

  it.each<[string, string]>([
    ["another role", "arn:aws:sts::*:assumed-role/ci-*"],
    ["another person", "bob@example.com"],
    ["a prefix of the session name", "alice"],
    ["the role name alone", SSO_ROLE],
  ])("principal: %s does not match", (_what, principal) => {
    // prepare
    const ignoring = contextFor({ ignore: [{ principal }] });

    // act
    const judgement = judge(ingress(), ignoring);

    // assess
    expect(judgement.verdict).toBe("change");
  });

  it("principal: a user name", () => {
    // prepare
    const ignoring = contextFor({ ignore: [{ principal: "terraform-ci" }] });
    const record = ingress({
      userIdentity: {
        type: "IAMUser",
        arn: `arn:aws:iam::${ACCOUNT}:user/automation/terraform-ci`,
        userName: "terraform-ci",
      },
    });

    // act
    const judgement = judge(record, ignoring);

    // assess
    expect(why(judgement).reason).toBe("ignore-rule");
  });

  it("event: ec2:CreateTags ignores tagging and nothing else", () => {
    // prepare
    const ignoring = contextFor({
      ignore: [{ event: "ec2:CreateTags", reason: "tags are managed by the tagging bot" }],
    });

    // act
    const tagging = judge(createTags(), ignoring);
    const opening = judge(ingress(), ignoring);

    // assess
    expect(tagging).toMatchObject({ verdict: "ignored", reason: "ignore-rule" });
    expect(why(tagging).detail).toBe(
      "ignore rule 1 (tags are managed by the tagging bot) matched event ec2:CreateTags",
    );
    expect(opening.verdict).toBe("change");
  });

  it.each<[string, string]>([
    ["a prefix glob", "lambda:UpdateFunctionConfiguration*"],
    ["the unversioned name", "lambda:UpdateFunctionConfiguration"],
    ["any case", "lambda:updatefunctionconfiguration"],
  ])("event: %s matches the versioned Lambda event name", (_what, event) => {
    // prepare
    const ignoring = contextFor({ ignore: [{ event }] });

    // act
    const judgement = judge(updateFunctionConfiguration(), ignoring);

    // assess
    expect(why(judgement)).toEqual({ reason: "ignore-rule", detail: `ignore rule 1 matched event ${event}` });
  });

  it.each<[string, string]>([
    ["another API", "lambda:UpdateFunctionCode*"],
    ["another service", "ec2:UpdateFunctionConfiguration*"],
  ])("event: %s does not match", (_what, event) => {
    // prepare
    const ignoring = contextFor({ ignore: [{ event }] });

    // act
    const judgement = judge(updateFunctionConfiguration(), ignoring);

    // assess
    expect(judgement.verdict).toBe("change");
  });

  it.each<[string, boolean]>([
    ["sg-0abc*", true],
    [SG_ID, true],
    ["sg-9*", false],
  ])("resource: %s (matches: %s)", (resource, matches) => {
    // prepare
    const ignoring = contextFor({ ignore: [{ resource }] });

    // act
    const judgement = judge(ingress(), ignoring);

    // assess
    expect(judgement.verdict).toBe(matches ? "ignored" : "change");
  });

  it.each<[string, string | undefined, boolean]>([
    ["eu-*", "eu-west-1", true],
    ["us-*", "eu-west-1", false],
    ["*", undefined, false],
  ])("region: %s against %s (matches: %s)", (region, awsRegion, matches) => {
    // prepare
    const ignoring = contextFor({ ignore: [{ region }] });
    const record = awsRegion === undefined ? without(ingress(), "awsRegion") : ingress({ awsRegion });

    // act
    const judgement = judge(record, ignoring);

    // assess
    expect(judgement.verdict).toBe(matches ? "ignored" : "change");
  });

  it("fields of one rule are ANDed: all must match", () => {
    // prepare
    const partly = contextFor({ ignore: [{ principal: "alice@example.com", region: "us-*" }] });
    const fully = contextFor({
      ignore: [{ principal: "alice@example.com", region: "eu-*", event: "ec2:Authorize*" }],
    });

    // act
    const notIgnored = judge(ingress(), partly);
    const ignored = judge(ingress(), fully);

    // assess
    expect(notIgnored.verdict).toBe("change");
    expect(why(ignored)).toEqual({
      reason: "ignore-rule",
      detail: "ignore rule 1 matched principal alice@example.com, event ec2:Authorize*, region eu-*",
    });
  });

  it("rules are ORed; the verdict names the first rule that matched and its reason", () => {
    // prepare
    const ignoring = contextFor({
      ignore: [
        { reason: "staging only", region: "us-*" },
        { reason: "SG changes reviewed elsewhere", resource: "sg-*" },
        { reason: "never reached", event: "ec2:*" },
      ],
    });

    // act
    const judgement = judge(ingress(), ignoring);

    // assess
    expect(why(judgement).detail).toBe("ignore rule 2 (SG changes reviewed elsewhere) matched resource sg-*");
  });

  it("ignore rules do not turn other verdicts into ignore-rule", () => {
    // prepare
    const ignoring = contextFor({ ignore: [{ principal: "*" }] });

    // act
    const failed = judge(ingress({ errorCode: "AccessDenied" }), ignoring);

    // assess
    expect(why(failed).reason).toBe("failed-call");
  });
});

describe("parseConfig", () => {
  it("accepts an empty document and fills the defaults", () => {
    // prepare: nothing

    // act
    const result = parseConfig(undefined);

    // assess
    expect(result).toMatchObject({ ok: true, config: { ignore: [], serviceAutomation: "ignore" } });
  });

  it("reports every problem at once, each with its path", () => {
    // prepare
    const document = {
      ignore: [{ principal: "alice@example.com" }, { event: "CreateTags" }, { reason: "nothing to match" }],
      servicesAutomation: "include",
    };

    // act
    const result = parseConfig(document);

    // assess
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues.length).toBeGreaterThanOrEqual(3);
    expect(issues).toContainEqual(expect.stringMatching(/^ignore\[1\]\.event: .*service:EventName/));
    expect(issues).toContainEqual(expect.stringMatching(/^ignore\[2\]: .*at least one of/));
    expect(issues).toContainEqual(expect.stringMatching(/^\(top level\): .*servicesAutomation/));
  });

  it("reports unknown rule keys, empty globs and bad enum values together", () => {
    // prepare
    const document = {
      ignore: [{ event: "ec2:CreateTags", principle: "typo" }, { region: "" }],
      serviceAutomation: "sometimes",
    };

    // act
    const result = parseConfig(document);

    // assess
    const issues = result.ok ? [] : result.issues;
    expect(issues).toContainEqual(expect.stringMatching(/^ignore\[0\]: .*principle/));
    expect(issues).toContainEqual(expect.stringMatching(/^ignore\[1\]\.region: must not be empty/));
    expect(issues).toContainEqual(expect.stringMatching(/^serviceAutomation: /));
  });

  it("rejects a document that is not an object", () => {
    // prepare: a YAML file holding a bare string

    // act
    const result = parseConfig("ignore everything");

    // assess
    expect(result).toEqual({ ok: false, issues: [expect.stringMatching(/^\(top level\): /)] });
  });
});
