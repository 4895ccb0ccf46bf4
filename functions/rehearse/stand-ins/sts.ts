import { createHash } from "node:crypto";
import type { FaultPlan } from "../faults.ts";
import {
  type RehearsalClock,
  type Served,
  type StandIn,
  type StandInRequest,
  startStandIn,
} from "./stand-in.ts";

/**
 * The STS stand-in: `AssumeRole` in the AWS Query protocol, the protocol of the SDK's STS client
 * (`@aws-sdk/nested-clients` sts, `AwsQueryProtocol`, version 2011-06-15): `POST /`,
 * `content-type: application/x-www-form-urlencoded`, `Action=AssumeRole&Version=2011-06-15&RoleArn=…
 * &RoleSessionName=…[&DurationSeconds=…][&ExternalId=…]`; the answer
 * `<AssumeRoleResponse><AssumeRoleResult><Credentials>…</Credentials><AssumedRoleUser>…` and errors
 * `<ErrorResponse><Error><Type>Sender</Type><Code/><Message/></Error><RequestId/></ErrorResponse>`
 * (`AccessDenied` 403, `ValidationError` 400), the way STS answers them.
 *
 * A role exists when its ARN is `arn:aws:iam::<12 digits>:role/<name>` and `roles` admits it
 * (default: every such ARN); any other is `AccessDenied` with STS's wording, as a role that is missing
 * or does not trust the caller is. Sessions last `DurationSeconds` (900–43,200, default 3,600) on the
 * rehearsal clock. The access key it mints names the account, `ASIA<account><4 hex>`, so a stand-in
 * of another service can tell which account a request is signed for ({@link accountOfAccessKey}).
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
 */

const XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export interface StsStandInOptions {
  /** Faults to inject (`phantom rehearse --fault`); default none. */
  readonly faults?: FaultPlan;
  /** Session expirations are on this clock. */
  readonly clock: RehearsalClock;
  /** Which role ARNs exist and trust the caller; default every well-formed role ARN. */
  readonly roles?: (roleArn: string) => boolean;
}

/** One AssumeRole STS granted. */
export interface AssumedSession {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly accessKeyId: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

export interface StsStandIn extends StandIn {
  /** The sessions granted, in order. */
  sessions(): readonly AssumedSession[];
}

/** The account a key minted by this stand-in belongs to (`ASIA<account><4 hex>`), else `undefined`. */
export function accountOfAccessKey(accessKeyId: string): string | undefined {
  return /^ASIA(\d{12})[0-9A-F]{4}$/.exec(accessKeyId)?.[1];
}

/** The access key id of a SigV4 `Authorization` header (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
export function accessKeyOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? "")?.[1];
}

function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

function errorReply(status: number, code: string, message: string, requestId: string) {
  return {
    status,
    headers: { "content-type": "text/xml" },
    body:
      `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** Starts the STS stand-in on 127.0.0.1. */
export async function startStsStandIn(options: StsStandInOptions): Promise<StsStandIn> {
  const granted: AssumedSession[] = [];
  let requestSeq = 0;

  function serve(request: StandInRequest): Served {
    requestSeq += 1;
    const requestId = createHash("sha256").update(`sts/${requestSeq}`).digest("hex").slice(0, 32);
    const params = String(request.headers["content-type"] ?? "").includes("x-www-form-urlencoded")
      ? new URLSearchParams(request.body)
      : new URLSearchParams(new URL(request.path, "http://stand-in").search);
    const action = params.get("Action") ?? "";
    const refuse = (status: number, code: string, message: string, unexpected: boolean): Served => ({
      operation: action,
      reply: errorReply(status, code, message, requestId),
      ...(unexpected ? { unexpected: `${code}: ${message}` } : {}),
    });
    if (request.method !== "POST" || action !== "AssumeRole") {
      return refuse(
        400,
        "InvalidAction",
        action === "" ? "The request names no Action." : `The STS stand-in does not serve ${action}`,
        true,
      );
    }
    const roleArn = params.get("RoleArn") ?? "";
    const sessionName = params.get("RoleSessionName") ?? "";
    const duration = Number(params.get("DurationSeconds") ?? "3600");
    const problems = [
      ...(roleArn.length < 20
        ? [
            "Value at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
          ]
        : []),
      ...(SESSION_NAME.test(sessionName)
        ? []
        : [
            `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
          ]),
      ...(Number.isInteger(duration) && duration >= 900 && duration <= 43_200
        ? []
        : [
            `Value '${params.get("DurationSeconds")}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
          ]),
    ];
    if (problems.length > 0) {
      return refuse(
        400,
        "ValidationError",
        `${problems.length} validation error(s) detected: ${problems.join("; ")}`,
        true,
      );
    }
    const caller = accessKeyOf(
      Array.isArray(request.headers.authorization)
        ? request.headers.authorization[0]
        : request.headers.authorization,
    );
    const match = ROLE_ARN.exec(roleArn);
    if (match === null || !(options.roles?.(roleArn) ?? true)) {
      // STS's words for a role that is missing or whose trust policy does not admit the caller.
      return refuse(
        403,
        "AccessDenied",
        `User: ${caller ?? "anonymous"} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        false,
      );
    }
    const account = match[1] as string;
    const roleName = match[2] as string;
    const accessKeyId = `ASIA${account}${(granted.length % 0x10000).toString(16).toUpperCase().padStart(4, "0")}`;
    const expiresAt = options.clock.now() + duration * 1000;
    granted.push({ roleArn, sessionName, accessKeyId, expiresAt });
    const roleId = `AROA${createHash("sha256").update(roleArn).digest("hex").slice(0, 17).toUpperCase()}`;
    const result =
      `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId>` +
      `<SecretAccessKey>rehearsal-${escapeXml(sessionName)}</SecretAccessKey>` +
      `<SessionToken>rehearsal-session-${granted.length}</SessionToken>` +
      `<Expiration>${new Date(expiresAt).toISOString()}</Expiration></Credentials>` +
      `<AssumedRoleUser><AssumedRoleId>${roleId}:${escapeXml(sessionName)}</AssumedRoleId>` +
      `<Arn>arn:aws:sts::${account}:assumed-role/${escapeXml(roleName)}/${escapeXml(sessionName)}</Arn></AssumedRoleUser>` +
      "<PackedPolicySize>0</PackedPolicySize>";
    return {
      operation: action,
      reply: {
        status: 200,
        headers: { "content-type": "text/xml" },
        body:
          `<AssumeRoleResponse xmlns="${XMLNS}"><AssumeRoleResult>${result}</AssumeRoleResult>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      },
    };
  }

  const standIn = await startStandIn("sts", serve, {
    ...(options.faults ? { faults: options.faults } : {}),
  });
  return { ...standIn, sessions: () => [...granted] };
}
