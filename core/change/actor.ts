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
  // The resource is what follows the fifth colon (nothing when there are fewer).
  let colon = -1;
  for (let n = 0; n < 5; n++) {
    colon = arn.indexOf(":", colon + 1);
    if (colon < 0) return "";
  }
  const resource = arn.slice(colon + 1);
  return resource.slice(resource.lastIndexOf("/") + 1);
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

/** The last user agent tested, and whether it is the console's: a trail repeats a handful of agents. */
let lastAgent: string | undefined;
let lastAgentIsConsole = false;

function isConsoleAgent(agent: string): boolean {
  if (agent !== lastAgent) {
    lastAgent = agent;
    lastAgentIsConsole = CONSOLE_AGENT.test(agent);
  }
  return lastAgentIsConsole;
}

/** True when the record shows a console session: the 1.08 flag, a console user agent or the sign-in service. */
export function fromConsole(record: CloudTrailRecord): boolean {
  if (record.sessionCredentialFromConsole === true) return true;
  if (record.eventSource === "signin.amazonaws.com") return true;
  if (isConsoleAgent(record.userAgent ?? "")) return true;
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
