import type { CloudTrailRecord } from "./schema.ts";

/** Who made a call, in the words an on-call engineer would use. */
export interface Actor {
  /** IAM user name, assumed-role session name (often an email for IAM Identity Center), `root`, or a service. */
  readonly name: string;
  readonly arn?: string;
  /** CloudTrail `userIdentity.type`: `IAMUser`, `AssumedRole`, `Root`, `AWSService`, ... */
  readonly type?: string;
  readonly sourceIp?: string;
  /** The call came from the AWS console (console session credentials, console user agent, sign-in). */
  readonly console: boolean;
}

/** `console.amazonaws.com`, `console.ec2.amazonaws.com`, `signin.amazonaws.com`, `...console.aws.amazon.com`. */
const CONSOLE_AGENT =
  /(^|[\s(])(console|signin)\.([a-z0-9-]+\.)*amazonaws\.com|console\.aws\.amazon\.com|^AWS Console/i;

/** Last segment of an ARN resource path: `arn:aws:sts::1:assumed-role/Role/sam@example.com` ► `sam@example.com`. */
function lastSegment(arn: string): string {
  const resource = arn.split(":").slice(5).join(":");
  const parts = resource.split("/");
  return parts[parts.length - 1] ?? resource;
}

function readableName(record: CloudTrailRecord): string {
  const id = record.userIdentity;
  if (id === undefined || id === null) return "unknown";
  const type = id.type?.toLowerCase();
  if (type === "root") return "root";
  if (type === "awsservice") return id.invokedBy ?? "aws-service";
  // SAML and web identity callers carry the person or token subject in userName; their principalId
  // starts with the provider ARN, whose colons would otherwise be split as a session name.
  if ((type === "samluser" || type === "webidentityuser") && id.userName) return id.userName;
  if (
    type === "assumedrole" ||
    type === "federateduser" ||
    type === "samluser" ||
    type === "webidentityuser"
  ) {
    if (id.arn?.includes("/")) return lastSegment(id.arn);
    const session = id.principalId?.split(":")[1];
    if (session) return session;
  }
  if (id.userName) return id.userName;
  if (id.onBehalfOf?.userId) return id.onBehalfOf.userId;
  if (id.arn) return id.arn.includes("/") ? lastSegment(id.arn) : id.arn;
  return id.principalId ?? id.invokedBy ?? "unknown";
}

/** True when the record shows a console session: the 1.08 flag, a console user agent or the sign-in service. */
export function fromConsole(record: CloudTrailRecord): boolean {
  if (record.sessionCredentialFromConsole === true) return true;
  if (record.eventSource === "signin.amazonaws.com") return true;
  const agent = record.userAgent ?? "";
  if (CONSOLE_AGENT.test(agent)) return true;
  return record.userIdentity?.invokedBy === "signin.amazonaws.com";
}

/** Extracts the actor of a record. Never throws: missing identity yields `unknown`. */
export function actorOf(record: CloudTrailRecord): Actor {
  const id = record.userIdentity ?? undefined;
  return {
    name: readableName(record),
    ...(id?.arn ? { arn: id.arn } : {}),
    ...(id?.type ? { type: id.type } : {}),
    ...(record.sourceIPAddress ? { sourceIp: record.sourceIPAddress } : {}),
    console: fromConsole(record),
  };
}
