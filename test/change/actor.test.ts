import { describe, expect, it } from "vitest";
import { actorOf, fromConsole } from "../../core/change/actor.ts";
import { corpusRecord } from "./corpus.ts";
import {
  ACCOUNT,
  CLI_AGENT,
  modifyDbInstance,
  PERSON_ARN,
  parsed,
  type RawRecord,
  without,
} from "./records.ts";

/** The actor of a ModifyDBInstance call made by `identity` (absent when `undefined`). */
function actorFor(identity: unknown, overrides: RawRecord = {}) {
  const raw =
    identity === undefined
      ? without(modifyDbInstance(), "userIdentity")
      : modifyDbInstance({ userIdentity: identity });
  return actorOf(parsed({ ...raw, ...overrides }));
}

describe("readable names", () => {
  it("IAM user: the user name", () => {
    // prepare
    const identity = {
      type: "IAMUser",
      principalId: "AIDAEXAMPLEUSER00001",
      arn: `arn:aws:iam::${ACCOUNT}:user/ops/bob`,
      accountId: ACCOUNT,
      userName: "bob",
    };

    // act
    const actor = actorFor(identity);

    // assess
    expect(actor).toEqual({
      name: "bob",
      arn: `arn:aws:iam::${ACCOUNT}:user/ops/bob`,
      type: "IAMUser",
      sourceIp: "203.0.113.7",
      console: false,
    });
  });

  it("assumed role: the session name", () => {
    // prepare
    const identity = {
      type: "AssumedRole",
      principalId: "AROAEXAMPLEROLE00002:jenkins-build-42",
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/DeployRole/jenkins-build-42`,
    };

    // act
    const actor = actorFor(identity);

    // assess
    expect(actor).toMatchObject({ name: "jenkins-build-42", type: "AssumedRole" });
  });

  it("assumed role through IAM Identity Center: the person's email", () => {
    // prepare
    const identity = {
      type: "AssumedRole",
      arn: PERSON_ARN,
      principalId: "AROAEXAMPLEROLEID0001:alice@example.com",
    };

    // act
    const actor = actorFor(identity);

    // assess
    expect(actor).toMatchObject({ name: "alice@example.com", arn: PERSON_ARN });
  });

  it("assumed role without an ARN: the session from principalId", () => {
    // prepare
    const identity = { type: "AssumedRole", principalId: "AROAEXAMPLEROLE00002:nightly-job" };

    // act
    const actor = actorFor(identity);

    // assess
    expect(actor.name).toBe("nightly-job");
  });

  it.each<[string, RawRecord]>([
    ["with an ARN", { type: "Root", arn: `arn:aws:iam::${ACCOUNT}:root`, principalId: ACCOUNT }],
    ["without one", { type: "Root" }],
    ["lowercased", { type: "root", arn: `arn:aws:iam::${ACCOUNT}:root` }],
  ])("root %s: `root`", (_what, identity) => {
    // prepare: the identity

    // act
    const actor = actorFor(identity);

    // assess
    expect(actor.name).toBe("root");
  });

  it("federated user: the federated name", () => {
    // prepare
    const identity = {
      type: "FederatedUser",
      principalId: `${ACCOUNT}:carol`,
      arn: `arn:aws:sts::${ACCOUNT}:federated-user/carol`,
    };

    // act
    const actor = actorFor(identity);

    // assess
    expect(actor).toMatchObject({ name: "carol", type: "FederatedUser" });
  });

  it("AWS service: the service host", () => {
    // prepare
    const identity = { type: "AWSService", invokedBy: "autoscaling.amazonaws.com" };

    // act
    const actor = actorFor(identity);

    // assess
    expect(actor).toMatchObject({ name: "autoscaling.amazonaws.com", type: "AWSService", console: false });
  });

  it.each<[string, unknown]>([
    ["absent", undefined],
    ["null", null],
    ["empty", {}],
    ["JSON text of a string", '"alice"'],
  ])("identity %s: `unknown`", (_what, identity) => {
    // prepare: the identity

    // act
    const actor = actorFor(identity);

    // assess
    expect(actor.name).toBe("unknown");
    expect(actor.console).toBe(false);
  });

  it("reads a SIEM-lowercased identity", () => {
    // prepare
    const raw = without(modifyDbInstance(), "userIdentity");
    raw.useridentity = { type: "IAMUser", username: "bob", arn: `arn:aws:iam::${ACCOUNT}:user/bob` };

    // act
    const actor = actorOf(parsed(raw));

    // assess
    expect(actor).toMatchObject({ name: "bob", type: "IAMUser" });
  });
});

describe("console detection", () => {
  it.each<[string, RawRecord]>([
    ["sessionCredentialFromConsole true", { sessionCredentialFromConsole: true }],
    ['sessionCredentialFromConsole "true"', { sessionCredentialFromConsole: "true" }],
    ["user agent console.ec2.amazonaws.com", { userAgent: "console.ec2.amazonaws.com" }],
    ["user agent console.amazonaws.com", { userAgent: "console.amazonaws.com" }],
    ["user agent signin.amazonaws.com", { userAgent: "signin.amazonaws.com" }],
    ["the sign-in service", { eventSource: "signin.amazonaws.com", eventName: "ConsoleLogin" }],
  ])("%s is the console", (_what, overrides) => {
    // prepare
    const record = parsed(modifyDbInstance(overrides));

    // act
    const viaConsole = fromConsole(record);

    // assess
    expect(viaConsole).toBe(true);
  });

  it("invokedBy signin.amazonaws.com is the console", () => {
    // prepare
    const identity = { type: "IAMUser", userName: "bob", invokedBy: "signin.amazonaws.com" };

    // act
    const actor = actorFor(identity);

    // assess
    expect(actor.console).toBe(true);
  });

  it.each<[string, string]>([
    ["the AWS CLI", CLI_AGENT],
    [
      "the AWS CLI in CloudShell",
      "aws-cli/2.13.5 Python/3.11.4 Linux/4.14 exec-env/CloudShell exe/x86_64.amzn.2 prompt/off command/ec2.stop-instances",
    ],
    ["boto3", "Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/linux#6.1 lang/python#3.11.6"],
    ["Terraform", "aws-sdk-go/1.29.7 (go1.13.7; darwin; amd64) APN/1.0 HashiCorp/1.0 Terraform/0.12.24"],
  ])("%s is not the console", (_what, userAgent) => {
    // prepare
    const record = parsed(modifyDbInstance({ userAgent, sessionCredentialFromConsole: "false" }));

    // act
    const viaConsole = fromConsole(record);

    // assess
    expect(viaConsole).toBe(false);
  });

  it("a real console record (corpus, console.ec2.amazonaws.com, no console flag) is the console", () => {
    // prepare
    const record = parsed(corpusRecord("ec2.amazonaws.com_AuthorizeSecurityGroupIngress_1.json"));

    // act
    const actor = actorOf(record);

    // assess
    expect(actor).toMatchObject({ name: "alan", type: "AssumedRole", console: true });
  });
});
