/**
 * CloudTrail records for the generated scenarios of the benches (rehearsal, throttling, load): one
 * management event written the way CloudTrail writes it for an engineer working in the console through
 * an IAM Identity Center (SSO) session, so the intake classifies it as a console change by a person.
 * Deterministic: every id comes from the caller's `random` (mulberry32, `prng` in windows.ts).
 */

const SSO_ROLE = "AWSReservedSSO_AdministratorAccess_4f1c2a9d8e7b6c5a";
const ENGINEER = "sam.rivera@example.com";

/** A version-4 UUID drawn from `random`. */
export function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** CloudTrail's `eventTime`: ISO 8601, whole seconds, UTC. */
export const trailTime = (at: number): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");

export interface ConsoleCall {
  /** Epoch milliseconds of the call. */
  readonly at: number;
  readonly account: string;
  readonly region: string;
  /** e.g. `ec2.amazonaws.com`. */
  readonly eventSource: string;
  readonly eventName: string;
  readonly requestParameters: Record<string, unknown>;
  /** What `responseElements` holds besides `requestId` and `_return` (may draw ids from `random`). */
  readonly response?: (requestId: string) => Record<string, unknown>;
}

/**
 * One record of a console call. Ids are drawn in a fixed order (request id, then whatever `response`
 * draws, then the event id), so a generated scenario is the same on every run.
 */
export function consoleRecord(random: () => number, call: ConsoleCall): Record<string, unknown> {
  const { account, region, eventSource } = call;
  const service = eventSource.split(".")[0] ?? eventSource;
  const requestId = uuid(random);
  const responseElements = { requestId, _return: true, ...call.response?.(requestId) };
  return {
    eventVersion: "1.09",
    userIdentity: {
      type: "AssumedRole",
      principalId: `AROAEXAMPLEROLEID0001:${ENGINEER}`,
      arn: `arn:aws:sts::${account}:assumed-role/${SSO_ROLE}/${ENGINEER}`,
      accountId: account,
      accessKeyId: "ASIAEXAMPLEKEY000001",
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: "AROAEXAMPLEROLEID0001",
          arn: `arn:aws:iam::${account}:role/aws-reserved/sso.amazonaws.com/${SSO_ROLE}`,
          accountId: account,
          userName: SSO_ROLE,
        },
        webIdFederationData: {},
        attributes: { creationDate: "2026-03-14T02:58:41Z", mfaAuthenticated: "false" },
      },
    },
    eventTime: trailTime(call.at),
    eventSource,
    eventName: call.eventName,
    awsRegion: region,
    sourceIPAddress: "203.0.113.42",
    userAgent: `console.${eventSource}`,
    requestParameters: call.requestParameters,
    responseElements,
    requestID: requestId,
    eventID: uuid(random),
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: "Management",
    tlsDetails: {
      tlsVersion: "TLSv1.3",
      cipherSuite: "TLS_AES_128_GCM_SHA256",
      clientProvidedHostHeader: `${service}.${region}.amazonaws.com`,
    },
    sessionCredentialFromConsole: "true",
  };
}

/** A console `CreateTags` on one resource (an EC2 id): the cheapest change to generate in bulk. */
export function createTagsRecord(
  random: () => number,
  call: { readonly at: number; readonly account: string; readonly region: string },
  resourceId: string,
  tag: { readonly key: string; readonly value: string },
): Record<string, unknown> {
  return consoleRecord(random, {
    ...call,
    eventSource: "ec2.amazonaws.com",
    eventName: "CreateTags",
    requestParameters: {
      resourcesSet: { items: [{ resourceId }] },
      tagSet: { items: [{ key: tag.key, value: tag.value }] },
    },
  });
}
