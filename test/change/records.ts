/**
 * Hand-written CloudTrail records for the intake tests: the smallest record each case needs, shaped
 * like the record contents reference (eventVersion 1.08), with overrides per case.
 *
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */

import type { Judgement } from "../../core/change/classify.ts";
import { parseRecord } from "../../core/change/classify.ts";
import type { CloudTrailRecord } from "../../core/change/schema.ts";

export type RawRecord = Record<string, unknown>;

export const ACCOUNT = "111122223333";
export const TIME = "2021-01-24T04:55:45Z";
export const TIME_ISO = "2021-01-24T04:55:45.000Z";
export const SSO_ROLE = "AWSReservedSSO_AdministratorAccess_0123456789abcdef";
/** An IAM Identity Center session: the session name is the person's email. */
export const PERSON_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/${SSO_ROLE}/alice@example.com`;
export const PERSON_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/${SSO_ROLE}`;
export const CLI_AGENT = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.61 exe/x86_64.amzn.2023 prompt/off";

export function person(): RawRecord {
  return {
    type: "AssumedRole",
    principalId: "AROAEXAMPLEROLEID0001:alice@example.com",
    arn: PERSON_ARN,
    accountId: ACCOUNT,
    accessKeyId: "ASIAEXAMPLEKEY000001",
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: "AROAEXAMPLEROLEID0001",
        arn: PERSON_ROLE_ARN,
        accountId: ACCOUNT,
        userName: SSO_ROLE,
      },
      attributes: { creationDate: "2021-01-24T04:50:00Z", mfaAuthenticated: "false" },
    },
  };
}

let sequence = 0;

/** A successful write by a person through the CLI; `overrides` replace top-level fields. */
export function apiCall(
  eventSource: string,
  eventName: string,
  requestParameters: RawRecord | null,
  overrides: RawRecord = {},
): RawRecord {
  sequence++;
  return {
    eventVersion: "1.08",
    userIdentity: person(),
    eventTime: TIME,
    eventSource,
    eventName,
    awsRegion: "eu-west-1",
    sourceIPAddress: "203.0.113.7",
    userAgent: CLI_AGENT,
    requestParameters,
    responseElements: null,
    requestID: `00000000-0000-4000-8000-${String(sequence).padStart(12, "0")}`,
    eventID: `11111111-0000-4000-8000-${String(sequence).padStart(12, "0")}`,
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    ...overrides,
  };
}

export const SG_ID = "sg-0abc1234def567890";

export const ingress = (overrides: RawRecord = {}): RawRecord =>
  apiCall(
    "ec2.amazonaws.com",
    "AuthorizeSecurityGroupIngress",
    {
      groupId: SG_ID,
      ipPermissions: {
        items: [
          { ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: "0.0.0.0/0" }] } },
        ],
      },
    },
    overrides,
  );

export const createTags = (overrides: RawRecord = {}): RawRecord =>
  apiCall(
    "ec2.amazonaws.com",
    "CreateTags",
    { resourcesSet: { items: [{ resourceId: SG_ID }] }, tagSet: { items: [{ key: "env", value: "prod" }] } },
    overrides,
  );

export const modifyInstanceAttribute = (overrides: RawRecord = {}): RawRecord =>
  apiCall(
    "ec2.amazonaws.com",
    "ModifyInstanceAttribute",
    { instanceId: "i-0123456789abcdef0", instanceType: { value: "m5.2xlarge" } },
    overrides,
  );

export const modifyDbInstance = (overrides: RawRecord = {}): RawRecord =>
  apiCall(
    "rds.amazonaws.com",
    "ModifyDBInstance",
    { dBInstanceIdentifier: "orders-db", dBInstanceClass: "db.r6g.2xlarge", applyImmediately: true },
    overrides,
  );

export const updateFunctionConfiguration = (overrides: RawRecord = {}): RawRecord =>
  apiCall(
    "lambda.amazonaws.com",
    "UpdateFunctionConfiguration20150331v2",
    { functionName: "payments-api", memorySize: 2048 },
    overrides,
  );

export const runInstances = (overrides: RawRecord = {}): RawRecord =>
  apiCall(
    "ec2.amazonaws.com",
    "RunInstances",
    { instanceType: "t3.micro", minCount: 1, maxCount: 1 },
    overrides,
  );

export const stopInstances = (overrides: RawRecord = {}): RawRecord =>
  apiCall(
    "ec2.amazonaws.com",
    "StopInstances",
    { instancesSet: { items: [{ instanceId: "i-0123456789abcdef0" }] }, force: false },
    overrides,
  );

/** A copy of `record` without `keys`. */
export function without(record: RawRecord, ...keys: string[]): RawRecord {
  const copy = { ...record };
  for (const key of keys) delete copy[key];
  return copy;
}

/** Parses a record that must parse; the failure message carries the rejection. */
export function parsed(raw: unknown): CloudTrailRecord {
  const result = parseRecord(raw);
  if (!result.ok) throw new Error(`expected a record, got ${result.reason}: ${result.detail}`);
  return result.record;
}

/** The reason and detail of an ignored or rejected judgement (empty for a change). */
export function why(judgement: Judgement): { reason: string; detail: string } {
  return judgement.verdict === "change"
    ? { reason: "", detail: "" }
    : { reason: judgement.reason, detail: judgement.detail };
}

/** Keys lowercased all the way down, as SIEM exports write them. */
export function lowercaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowercaseKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), lowercaseKeys(v)]));
}

/** The single item of `items`; fails when there is not exactly one. */
export function only<T>(items: readonly T[]): T {
  const [first] = items;
  if (items.length !== 1 || first === undefined)
    throw new Error(`expected exactly one item, got ${items.length}`);
  return first;
}
