import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  type PropertyWrite,
  REQUEST_PROPERTIES,
  requestPropertiesKey,
  requestWrites,
} from "../../core/catalog/request-properties.ts";
import { CORPUS } from "../support/corpus.ts";

/**
 * The request-property table (`core/catalog/request-properties.ts`) against real request shapes:
 * CloudTrail records from `fixtures/corpus/cloudtrail/events/` and the real trails under
 * `fixtures/corpus/realworld/` (an attack simulation's trail files, detonation logs). Each expected
 * write below was read off the record and the CloudFormation resource reference by hand.
 */

type Record_ = Record<string, unknown>;

function recordsOf(value: unknown): Record_[] {
  if (Array.isArray(value)) return value.flatMap(recordsOf);
  if (typeof value !== "object" || value === null) return [];
  const v = value as Record_;
  if (Array.isArray(v.Records)) return v.Records as Record_[];
  if (typeof v.detail === "object" && v.detail !== null && "eventName" in v.detail)
    return [v.detail as Record_];
  return "eventName" in v ? [v] : [];
}

async function walk(dir: URL): Promise<URL[]> {
  const out: URL[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const url = new URL(`${entry.name}${entry.isDirectory() ? "/" : ""}`, dir);
    if (entry.isDirectory()) out.push(...(await walk(url)));
    else if (entry.name.endsWith(".json")) out.push(url);
  }
  return out;
}

/** Every successful record of the corpus and the real trails. */
async function allRecords(): Promise<Record_[]> {
  const files = [
    ...(await walk(new URL("cloudtrail/events/", CORPUS))),
    ...(await walk(new URL("realworld/", CORPUS))),
  ];
  const records: Record_[] = [];
  for (const file of files) {
    const text = await readFile(file, "utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as unknown);
    }
    records.push(...recordsOf(parsed).filter((r) => r.errorCode === undefined));
  }
  return records;
}

const RECORDS = allRecords();

async function byId(eventID: string): Promise<Record_> {
  const found = (await RECORDS).find((r) => r.eventID === eventID);
  if (!found) throw new Error(`no record ${eventID} in the corpus`);
  return found;
}

async function named(file: string): Promise<Record_> {
  return JSON.parse(await readFile(new URL(`cloudtrail/events/${file}`, CORPUS), "utf8")) as Record_;
}

function writesOf(record: Record_): PropertyWrite[] | undefined {
  return requestWrites(String(record.eventSource), String(record.eventName), record.requestParameters);
}

/** Lowercased keys and JSON-string values, as Athena, CloudTrail Lake and SIEM exports hold requests. */
function exported(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(exported);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), exported(v)]));
}

describe("request properties: real records", () => {
  it.each<[string, () => Promise<Record_>, PropertyWrite[]]>([
    [
      "SSH opened to the world (EC2 ipPermissions, numeric ports)",
      () => named("ec2.amazonaws.com_AuthorizeSecurityGroupIngress_2.json"),
      [
        {
          path: "/SecurityGroupIngress",
          op: {
            kind: "add-items",
            items: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "0.0.0.0/0" }],
          },
        },
      ],
    ],
    [
      "ports logged as strings become numbers",
      () => named("ec2.amazonaws.com_AuthorizeSecurityGroupIngress_1.json"),
      [
        {
          path: "/SecurityGroupIngress",
          op: {
            kind: "add-items",
            items: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIp: "0.0.0.0/16" }],
          },
        },
      ],
    ],
    [
      "a range's description is the rule's",
      () => named("ec2.amazonaws.com_AuthorizeSecurityGroupIngress_4.json"),
      [
        {
          path: "/SecurityGroupIngress",
          op: {
            kind: "add-items",
            items: [
              {
                IpProtocol: "tcp",
                FromPort: 22,
                ToPort: 22,
                CidrIp: "127.0.0.1/32",
                Description: "SSH for me",
              },
            ],
          },
        },
      ],
    ],
    [
      "the older flat form (cidrIp at the top)",
      () => named("ec2.amazonaws.com_AuthorizeSecurityGroupIngress_6.json"),
      [
        {
          path: "/SecurityGroupIngress",
          op: {
            kind: "add-items",
            items: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "208.236.235.254/0" }],
          },
        },
      ],
    ],
    [
      "a revoke in the flat form (real trail, Invictus dataset)",
      () => byId("8733f811-267d-4c46-8e5b-000fe7c6a9f2"),
      [
        {
          path: "/SecurityGroupIngress",
          op: {
            kind: "remove-items",
            items: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIp: "0.0.0.0/0" }],
          },
        },
      ],
    ],
    [
      "termination protection turned off (EC2 {value} wrapper)",
      () => byId("104596ab-1765-43cf-8e7e-57dc1f676224"),
      [{ path: "/DisableApiTermination", op: { kind: "set", value: false } }],
    ],
    [
      "user data CloudTrail removed is touched, not copied",
      () => byId("f634894e-d625-4b7b-b1c1-50354cc1100e"),
      [{ path: "/UserData", op: { kind: "touch" } }],
    ],
    [
      "a Lambda layer added, environment emptied (detonation log)",
      () => byId("da929d96-8e20-475c-a810-973addd64769"),
      [
        {
          path: "/Layers",
          op: {
            kind: "set",
            value: [
              "arn:aws:lambda:eugov-eastcentral-1r:712967571683:layer:stratus-red-team-lambda-layer-my-lambda-extension:1",
            ],
          },
        },
        { path: "/Environment", op: { kind: "remove" } },
      ],
    ],
    [
      "a public Lambda permission (a new AWS::Lambda::Permission)",
      () => byId("b67a9bba-d9da-4980-bf74-baed881b117d"),
      [
        {
          type: "AWS::Lambda::Permission",
          path: "",
          op: { kind: "add-items", items: [{ Action: "lambda:InvokeFunction", Principal: "*" }] },
        },
      ],
    ],
    [
      "versioning suspended",
      () => named("s3.amazonaws.com_PutBucketVersioning_6.json"),
      [{ path: "/VersioningConfiguration/Status", op: { kind: "set", value: "Suspended" } }],
    ],
    [
      "logging turned off (an empty BucketLoggingStatus)",
      () => named("s3.amazonaws.com_PutBucketLogging_1.json"),
      [{ path: "/LoggingConfiguration", op: { kind: "remove" } }],
    ],
    [
      "logging turned on",
      () => named("s3.amazonaws.com_PutBucketLogging_6.json"),
      [
        {
          path: "/LoggingConfiguration",
          op: { kind: "set", value: { DestinationBucketName: "logging-bucket", LogFilePrefix: "logs/" } },
        },
      ],
    ],
    [
      "bucket tags replaced (S3's XML: one Tag as an object)",
      () => byId("3062b11c-79df-4632-b794-8768581013e9"),
      [{ path: "/Tags", op: { kind: "set", value: [{ Key: "StratusRedTeam", Value: true }] } }],
    ],
    [
      "a user's inline policy (IAM's JSON text, tabs and all)",
      () => named("iam.amazonaws.com_PutUserPolicy_1.json"),
      [
        {
          path: "/Policies",
          op: {
            kind: "put-keyed",
            key: "PolicyName",
            items: [
              {
                PolicyName: "TestUserDenyAll",
                PolicyDocument: {
                  Version: "2012-10-17",
                  Statement: [{ Sid: "TestUserDenyAll", Effect: "Deny", Action: ["*"], Resource: ["*"] }],
                },
              },
            ],
          },
        },
      ],
    ],
    [
      "a queue policy set through SetQueueAttributes belongs to AWS::SQS::QueuePolicy",
      () => named("sqs.amazonaws.com_SetQueueAttributes_1.json"),
      [
        {
          type: "AWS::SQS::QueuePolicy",
          path: "/PolicyDocument",
          op: {
            kind: "set",
            value: {
              Version: "2012-10-17",
              Statement: [
                {
                  Effect: "Allow",
                  Principal: "*",
                  Action: "sqs:*",
                  Resource: "*",
                  Condition: { StringEquals: { "aws:PrincipalOrgID": "o-test123456" } },
                },
                { Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: "*" },
              ],
            },
          },
        },
      ],
    ],
    [
      "a queue attribute logged as a string becomes a number",
      () => named("sqs.amazonaws.com_SetQueueAttributes_2.json"),
      [{ path: "/VisibilityTimeout", op: { kind: "set", value: 100 } }],
    ],
    [
      "deletion protection off and public (RDS)",
      () => named("rds.amazonaws.com_ModifyDBInstance_2.json"),
      [
        { path: "/DeletionProtection", op: { kind: "set", value: false } },
        { path: "/PubliclyAccessible", op: { kind: "set", value: true } },
      ],
    ],
    [
      "a master password is touched, never copied",
      () => named("rds.amazonaws.com_ModifyDBInstance_12.json"),
      [
        { path: "/MaxAllocatedStorage", op: { kind: "set", value: 1000 } },
        { path: "/MasterUserPassword", op: { kind: "touch" } },
      ],
    ],
    [
      "a key policy opened to everyone (KMS, as an object)",
      () => named("kms.amazonaws.com_PutKeyPolicy_1.json"),
      [
        {
          path: "/KeyPolicy",
          op: {
            kind: "set",
            value: {
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" }],
            },
          },
        },
      ],
    ],
    [
      "a trail made single-region",
      () => named("cloudtrail.amazonaws.com_UpdateTrail_1.json"),
      [{ path: "/IsMultiRegionTrail", op: { kind: "set", value: false } }],
    ],
    [
      "a trail's management events turned off (detonation log)",
      () => byId("c2a89408-340a-42f0-8ace-75d9f5769393"),
      [
        {
          path: "/EventSelectors",
          op: {
            kind: "set",
            value: [
              {
                DataResources: [
                  { Type: "AWS::S3::Object", Values: [] },
                  { Type: "AWS::Lambda::Function", Values: [] },
                ],
                ExcludeManagementEventSources: [],
                IncludeManagementEvents: false,
                ReadWriteType: "ReadOnly",
              },
            ],
          },
        },
      ],
    ],
    [
      "a new SecureString parameter is a create, not a change (overwrite: false)",
      () => byId("024e30c3-4173-4bff-b374-cd3c5dc0a717"),
      [],
    ],
  ])("%s", async (_what, load, expected) => {
    expect(writesOf(await load())).toEqual(expected);
  });

  it("reads the same writes from an export with lowercase keys and JSON-string requests", async () => {
    for (const load of [
      () => named("ec2.amazonaws.com_AuthorizeSecurityGroupIngress_2.json"),
      () => named("s3.amazonaws.com_PutBucketVersioning_6.json"),
      () => named("rds.amazonaws.com_ModifyDBInstance_2.json"),
    ]) {
      const record = await load();
      const lowered = JSON.stringify(exported(record.requestParameters));
      expect(requestWrites(String(record.eventSource), String(record.eventName), lowered)).toEqual(
        writesOf(record),
      );
    }
  });

  it("reads every real record it knows without throwing, and names a property for each", async () => {
    const known = (await RECORDS).filter(
      (r) => requestPropertiesKey(String(r.eventSource), String(r.eventName)) !== undefined,
    );
    expect(known.length).toBeGreaterThan(100);
    const silent: string[] = [];
    for (const record of known) {
      const writes = writesOf(record);
      expect(Array.isArray(writes)).toBe(true);
      for (const w of writes ?? []) expect(w.path === "" || w.path.startsWith("/")).toBe(true);
      // A modify call names at least one property, unless its logged request holds nothing but the
      // resource's name (some samples are trimmed so) or it is a PutParameter without overwrite (a create).
      const request = record.requestParameters;
      const bare = typeof request !== "object" || request === null || Object.keys(request).length <= 1;
      if ((writes ?? []).length === 0 && !bare && record.eventName !== "PutParameter") {
        silent.push(String(record.eventName));
      }
    }
    expect(silent).toEqual([]);
  });

  it("never throws on requests that are missing, empty, JSON text or nonsense", () => {
    for (const key of Object.keys(REQUEST_PROPERTIES)) {
      const [service, api] = key.split(":") as [string, string];
      for (const request of [
        undefined,
        null,
        {},
        "",
        "{not json",
        [],
        { items: 3 },
        { ipPermissions: "x" },
      ]) {
        expect(() => requestWrites(`${service}.amazonaws.com`, api, request)).not.toThrow();
      }
    }
  });

  it("matches versioned Lambda names and ignores APIs it does not know", () => {
    expect(requestPropertiesKey("lambda.amazonaws.com", "PutFunctionConcurrency20171031")).toBe(
      "lambda:PutFunctionConcurrency",
    );
    expect(requestPropertiesKey("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2")).toBe(
      "lambda:UpdateFunctionConfiguration",
    );
    expect(
      requestWrites("elasticloadbalancing.amazonaws.com", "CreateLoadBalancerPolicy", {}),
    ).toBeUndefined();
  });
});
