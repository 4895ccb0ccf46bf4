import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGzip } from "node:zlib";

/**
 * Deterministic generator of CloudTrail capture files for the intake benchmark (BENCHMARKS.md).
 * Same seed and count ► byte-identical file, and a smaller file is a prefix of a larger one.
 * Every line is one record, as an EventBridge envelope or a bare CloudTrail record.
 */

/** Record categories and their share of the file. */
export const MIX = {
  /** Catalogued configuration writes by people and CI (the drift Phantom looks for). */
  catalogued: 0.01,
  /** Failed calls (`errorCode` set): reads and writes, catalogued or not. */
  failed: 0.09,
  /** Successful writes outside the catalogue: data-plane writes (items, objects, messages, events, invokes). */
  unrelated: 0.18,
  /** Successful read-only calls (`readOnly: true`): Describe*, Get*, List*, AssumeRole, Decrypt. */
  read: 0.72,
} as const;

/** Share of lines written as EventBridge envelopes; the rest are bare records. */
export const ENVELOPE_SHARE = 0.6;

export type Category = keyof typeof MIX;

export interface GenerateStats {
  readonly records: number;
  readonly bytes: number;
  readonly envelopes: number;
  readonly categories: Record<Category, number>;
  readonly minLineBytes: number;
  readonly maxLineBytes: number;
}

/** mulberry32: a small, fast 32-bit PRNG; plenty for shaping test data, never for secrets. */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }

  hex(length: number): string {
    let out = "";
    while (out.length < length) out += this.int(0x10000).toString(16).padStart(4, "0");
    return out.slice(0, length);
  }

  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const ACCOUNTS = ["111122223333", "444455556666"] as const;
const REGIONS = ["us-east-1", "us-east-1", "us-east-1", "eu-west-1", "us-west-2"] as const;
const SSO_ROLE = "AWSReservedSSO_AdministratorAccess_4f1c2a9d8e7b6c5a";
const PEOPLE = ["sam.rivera", "alex.chen", "priya.natarajan", "jordan.lee", "maria.garcia", "kenji.watanabe"];

interface Identity {
  readonly userIdentity: JsonObject;
  readonly userAgent: (service: string, eventName: string) => string;
  readonly sourceIp: (rng: Prng) => string;
  readonly console: boolean;
}

function assumedRole(
  account: string,
  role: string,
  rolePath: string,
  session: string,
  created: string,
): JsonObject {
  const roleId = `AROA${role.length.toString(16).toUpperCase().padStart(4, "0")}EXAMPLE${account.slice(0, 4)}`;
  return {
    type: "AssumedRole",
    principalId: `${roleId}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
    accountId: account,
    accessKeyId: `ASIA${account.slice(0, 6)}EXAMPLE${session.length.toString().padStart(2, "0")}`,
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: roleId,
        arn: `arn:aws:iam::${account}:role/${rolePath}${role}`,
        accountId: account,
        userName: role,
      },
      webIdFederationData: {},
      attributes: { creationDate: created, mfaAuthenticated: "false" },
    },
  };
}

function identities(account: string): {
  people: Identity[];
  ci: Identity;
  app: Identity;
  monitor: Identity;
  legacy: Identity;
} {
  const created = "2026-03-14T00:00:00Z";
  const people = PEOPLE.map(
    (who): Identity => ({
      userIdentity: assumedRole(
        account,
        SSO_ROLE,
        "aws-reserved/sso.amazonaws.com/",
        `${who}@example.com`,
        created,
      ),
      userAgent: (service) =>
        service === "rds" || service === "lambda" ? "AWS Internal" : `console.${service}.amazonaws.com`,
      sourceIp: (rng) => `203.0.113.${10 + rng.int(200)}`,
      console: true,
    }),
  );
  const ci: Identity = {
    userIdentity: assumedRole(account, "github-actions-deploy", "ci/", "GitHubActions", created),
    userAgent: (service, eventName) =>
      `aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-azure exe/x86_64.ubuntu.22 prompt/off command/${service}.${eventName.toLowerCase()}`,
    sourceIp: (rng) => `198.51.100.${1 + rng.int(250)}`,
    console: false,
  };
  const app: Identity = {
    userIdentity: assumedRole(account, "payments-api-role", "service-role/", "payments-api-handler", created),
    userAgent: (service) =>
      `aws-sdk-js/3.540.0 ua/2.1 os/linux#5.10.209-198.858.amzn2.x86_64 lang/js md/nodejs#20.11.1 api/${service}#3.540.0 exec-env/AWS_Lambda_nodejs20.x`,
    sourceIp: (rng) => `54.${80 + rng.int(20)}.${rng.int(256)}.${rng.int(256)}`,
    console: false,
  };
  const monitor: Identity = {
    userIdentity: assumedRole(account, "DatadogIntegrationRole", "", "DatadogAWSIntegration", created),
    userAgent: () => "Datadog/1.0 aws-sdk-go/1.51.21 (go1.22.2; linux; amd64)",
    sourceIp: (rng) => `3.233.${144 + rng.int(16)}.${rng.int(256)}`,
    console: false,
  };
  const legacy: Identity = {
    userIdentity: {
      type: "IAMUser",
      principalId: "AIDAEXAMPLEUSERID0042",
      arn: `arn:aws:iam::${account}:user/legacy-reporting`,
      accountId: account,
      accessKeyId: "AKIAEXAMPLEKEY0000042",
      userName: "legacy-reporting",
    },
    userAgent: () =>
      "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.15.0-1057-aws md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    sourceIp: () => "192.0.2.77",
    console: false,
  };
  return { people, ci, app, monitor, legacy };
}

const IDENTITIES = new Map(ACCOUNTS.map((account) => [account, identities(account)]));

/** Resource pools, fixed by the seed so names repeat like they do in a real account. */
interface Pools {
  readonly groups: string[];
  readonly instances: string[];
  readonly databases: string[];
  readonly functions: string[];
  readonly tables: string[];
  readonly buckets: string[];
  readonly keys: string[];
}

function pools(rng: Prng): Pools {
  const ids = (prefix: string, n: number, length: number) =>
    Array.from({ length: n }, () => `${prefix}${rng.hex(length)}`);
  const named = (stems: readonly string[], suffixes: readonly string[]) =>
    stems.flatMap((stem) => suffixes.map((s) => `${stem}-${s}`));
  return {
    groups: ids("sg-0", 40, 16),
    instances: ids("i-0", 120, 16),
    databases: named(["payments", "ledger", "identity", "catalog"], ["prod-db", "staging-db", "replica-1"]),
    functions: named(
      ["payments-api", "ledger-sync", "thumbnailer", "webhook-relay", "nightly-report"],
      ["prod", "staging"],
    ),
    tables: named(["orders", "sessions", "idempotency-keys", "feature-flags"], ["prod", "staging"]),
    buckets: named(["acme-invoices", "acme-exports", "acme-static-assets"], ["prod", "staging"]),
    keys: Array.from({ length: 6 }, () => rng.uuid()),
  };
}

interface Call {
  readonly service: string;
  readonly eventName: string;
  readonly readOnly: boolean;
  readonly data?: boolean;
  readonly request: JsonObject | null;
  readonly response: JsonObject | null;
  readonly resources?: Json[];
  readonly additional?: JsonObject;
}

type CallMaker = (rng: Prng, p: Pools, account: string, region: string) => Call;

const tableArn = (account: string, region: string, table: string) =>
  `arn:aws:dynamodb:${region}:${account}:table/${table}`;

const CATALOGUED: readonly CallMaker[] = [
  (rng, p) => {
    const groupId = rng.pick(p.groups);
    const port = rng.pick([22, 443, 5432, 3306, 8080]);
    const cidr = rng.pick(["0.0.0.0/0", "10.0.0.0/16", "203.0.113.42/32"]);
    return {
      service: "ec2",
      eventName: "AuthorizeSecurityGroupIngress",
      readOnly: false,
      request: {
        groupId,
        ipPermissions: {
          items: [
            {
              ipProtocol: "tcp",
              fromPort: port,
              toPort: port,
              groups: {},
              ipRanges: { items: [{ cidrIp: cidr, description: "temp debug" }] },
              ipv6Ranges: {},
              prefixListIds: {},
            },
          ],
        },
      },
      response: {
        requestId: rng.uuid(),
        _return: true,
        securityGroupRuleSet: {
          items: [
            {
              groupOwnerId: "111122223333",
              groupId,
              securityGroupRuleId: `sgr-0${rng.hex(16)}`,
              isEgress: false,
              ipProtocol: "tcp",
              fromPort: port,
              toPort: port,
              cidrIpv4: cidr,
              description: "temp debug",
            },
          ],
        },
      },
    };
  },
  (rng, p) => ({
    service: "ec2",
    eventName: "ModifyInstanceAttribute",
    readOnly: false,
    request: {
      instanceId: rng.pick(p.instances),
      instanceType: { value: rng.pick(["t3.large", "t3.xlarge", "m6i.2xlarge"]) },
    },
    response: { requestId: rng.uuid(), _return: true },
  }),
  (rng, p) => ({
    service: "rds",
    eventName: "ModifyDBInstance",
    readOnly: false,
    request: {
      dBInstanceIdentifier: rng.pick(p.databases),
      dBInstanceClass: rng.pick(["db.r5.large", "db.r5.4xlarge", "db.t4g.medium"]),
      backupRetentionPeriod: rng.pick([1, 7, 14]),
      applyImmediately: rng.next() < 0.5,
    },
    response: null,
  }),
  (rng, p) => ({
    service: "lambda",
    eventName: "UpdateFunctionConfiguration20150331v2",
    readOnly: false,
    request: {
      functionName: rng.pick(p.functions),
      memorySize: rng.pick([256, 512, 1024, 2048]),
      timeout: rng.pick([15, 30, 60]),
      environment: { variables: "HIDDEN_DUE_TO_SECURITY_REASONS" },
    },
    response: null,
  }),
  (rng, p) => ({
    service: "ec2",
    eventName: "CreateTags",
    readOnly: false,
    request: {
      resourcesSet: {
        items: [{ resourceId: rng.next() < 0.5 ? rng.pick(p.instances) : rng.pick(p.groups) }],
      },
      tagSet: { items: [{ key: "IncidentRef", value: `INC-${1000 + rng.int(9000)}` }] },
    },
    response: { requestId: rng.uuid(), _return: true },
  }),
];

const READS: readonly CallMaker[] = [
  (rng, p) => ({
    service: "ec2",
    eventName: "DescribeInstances",
    readOnly: true,
    request: {
      instancesSet: { items: [{ instanceId: rng.pick(p.instances) }] },
      filterSet: { items: [{ name: "instance-state-name", valueSet: { items: [{ value: "running" }] } }] },
    },
    response: null,
  }),
  (rng, p) => ({
    service: "ec2",
    eventName: "DescribeSecurityGroups",
    readOnly: true,
    request: {
      securityGroupSet: {},
      securityGroupIdSet: { items: [{ groupId: rng.pick(p.groups) }] },
      filterSet: {},
    },
    response: null,
  }),
  () => ({
    service: "ec2",
    eventName: "DescribeVolumes",
    readOnly: true,
    request: { volumeSet: {}, filterSet: {}, maxResults: 500 },
    response: null,
  }),
  (rng, p) => ({
    service: "rds",
    eventName: "DescribeDBInstances",
    readOnly: true,
    request: { dBInstanceIdentifier: rng.pick(p.databases) },
    response: null,
  }),
  (rng, p) => ({
    service: "lambda",
    eventName: "GetFunction20150331v2",
    readOnly: true,
    request: { functionName: rng.pick(p.functions) },
    response: null,
  }),
  () => ({
    service: "lambda",
    eventName: "ListFunctions20150331",
    readOnly: true,
    request: null,
    response: null,
  }),
  (rng, p) => ({
    service: "dynamodb",
    eventName: "DescribeTable",
    readOnly: true,
    request: { tableName: rng.pick(p.tables) },
    response: null,
  }),
  (rng) => ({
    service: "monitoring",
    eventName: "GetMetricData",
    readOnly: true,
    request: {
      metricDataQueries: [
        {
          id: `m${rng.int(100)}`,
          metricStat: {
            metric: { namespace: "AWS/EC2", metricName: "CPUUtilization", dimensions: [] },
            period: 300,
            stat: "Average",
          },
          returnData: true,
        },
      ],
      startTime: "Mar 14, 2026, 2:00:00 AM",
      endTime: "Mar 14, 2026, 3:00:00 AM",
    },
    response: null,
  }),
  (rng, p) => ({
    service: "s3",
    eventName: "GetBucketPolicy",
    readOnly: true,
    request: { bucketName: rng.pick(p.buckets), Host: "s3.amazonaws.com", policy: "" },
    response: null,
    additional: {
      SignatureVersion: "SigV4",
      CipherSuite: "TLS_AES_128_GCM_SHA256",
      bytesTransferredIn: 0,
      AuthenticationMethod: "AuthHeader",
      "x-amz-id-2": rng.hex(56),
      bytesTransferredOut: 0,
    },
  }),
  () => ({
    service: "iam",
    eventName: "ListRoles",
    readOnly: true,
    request: { maxItems: 100 },
    response: null,
  }),
  (rng) => ({
    service: "ssm",
    eventName: "GetParameter",
    readOnly: true,
    request: { name: `/payments/${rng.pick(["prod", "staging"])}/db-url`, withDecryption: true },
    response: null,
  }),
  (rng, _p, account, region) => ({
    service: "secretsmanager",
    eventName: "GetSecretValue",
    readOnly: true,
    request: { secretId: `arn:aws:secretsmanager:${region}:${account}:secret:payments/db-${rng.hex(6)}` },
    response: null,
  }),
  (rng, _p, account) => ({
    service: "sts",
    eventName: "AssumeRole",
    readOnly: true,
    request: {
      roleArn: `arn:aws:iam::${account}:role/payments-api-role`,
      roleSessionName: `session-${rng.hex(8)}`,
      durationSeconds: 3600,
    },
    response: {
      credentials: {
        accessKeyId: `ASIA${rng.hex(16).toUpperCase()}`,
        sessionToken: `IQoJb3JpZ2luX2VjE${rng.hex(96)}`,
        expiration: "Mar 14, 2026, 4:00:00 AM",
      },
      assumedRoleUser: {
        assumedRoleId: `AROAEXAMPLEROLEID0009:session-${rng.hex(8)}`,
        arn: `arn:aws:sts::${account}:assumed-role/payments-api-role/session`,
      },
    },
  }),
  (rng, p, account, region) => {
    const key = rng.pick(p.keys);
    return {
      service: "kms",
      eventName: "Decrypt",
      readOnly: true,
      request: {
        encryptionAlgorithm: "SYMMETRIC_DEFAULT",
        encryptionContext: {
          "aws:lambda:FunctionArn": `arn:aws:lambda:${region}:${account}:function:${rng.pick(p.functions)}`,
        },
      },
      response: null,
      resources: [
        { accountId: account, type: "AWS::KMS::Key", ARN: `arn:aws:kms:${region}:${account}:key/${key}` },
      ],
    };
  },
  (rng, p, account, region) => {
    const table = rng.pick(p.tables);
    return {
      service: "dynamodb",
      eventName: "GetItem",
      readOnly: true,
      data: true,
      request: { tableName: table, key: { pk: `ORDER#${rng.hex(12)}` }, consistentRead: false },
      response: null,
      resources: [
        { accountId: account, type: "AWS::DynamoDB::Table", ARN: tableArn(account, region, table) },
      ],
    };
  },
];

const UNRELATED: readonly CallMaker[] = [
  (rng, p, account, region) => {
    const table = rng.pick(p.tables);
    return {
      service: "dynamodb",
      eventName: rng.pick(["PutItem", "UpdateItem", "DeleteItem"]),
      readOnly: false,
      data: true,
      request: { tableName: table, key: { pk: `ORDER#${rng.hex(12)}`, sk: `V#${rng.int(50)}` } },
      response: null,
      resources: [
        { accountId: account, type: "AWS::DynamoDB::Table", ARN: tableArn(account, region, table) },
      ],
    };
  },
  (rng, p, account): Call => {
    const bucket = rng.pick(p.buckets);
    const key = `exports/2026/03/14/${rng.hex(12)}.csv.gz`;
    return {
      service: "s3",
      eventName: "PutObject",
      readOnly: false,
      data: true,
      request: {
        bucketName: bucket,
        Host: `${bucket}.s3.us-east-1.amazonaws.com`,
        key,
        "x-amz-server-side-encryption": "aws:kms",
      },
      response: { "x-amz-server-side-encryption": "aws:kms", "x-amz-version-id": rng.hex(32) },
      additional: {
        SignatureVersion: "SigV4",
        CipherSuite: "TLS_AES_128_GCM_SHA256",
        bytesTransferredIn: 1024 + rng.int(1 << 20),
        SSEApplied: "SSE_KMS",
        AuthenticationMethod: "AuthHeader",
        "x-amz-id-2": rng.hex(56),
        bytesTransferredOut: 0,
      },
      resources: [
        { type: "AWS::S3::Object", ARN: `arn:aws:s3:::${bucket}/${key}` },
        { accountId: account, type: "AWS::S3::Bucket", ARN: `arn:aws:s3:::${bucket}` },
      ],
    };
  },
  (rng, p, account, region) => ({
    service: "sns",
    eventName: "Publish",
    readOnly: false,
    data: true,
    request: {
      topicArn: `arn:aws:sns:${region}:${account}:${rng.pick(p.functions)}-events`,
      messageStructure: "json",
    },
    response: { messageId: rng.uuid() },
  }),
  (rng, p, account, region) => {
    const queue = `${rng.pick(p.functions)}-jobs`;
    return {
      service: "sqs",
      eventName: "SendMessage",
      readOnly: false,
      data: true,
      request: {
        queueUrl: `https://sqs.${region}.amazonaws.com/${account}/${queue}`,
        messageAttributes: { traceparent: { dataType: "String" } },
        delaySeconds: 0,
      },
      response: { mD5OfMessageBody: rng.hex(32), messageId: rng.uuid() },
      resources: [
        { accountId: account, type: "AWS::SQS::Queue", ARN: `arn:aws:sqs:${region}:${account}:${queue}` },
      ],
    };
  },
  (rng) => ({
    service: "events",
    eventName: "PutEvents",
    readOnly: false,
    data: true,
    request: { entries: [{ source: "acme.payments", detailType: "OrderSettled", eventBusName: "default" }] },
    response: { failedEntryCount: 0, entries: [{ eventId: rng.uuid() }] },
  }),
  (rng, p, account, region) => {
    const stream = `${rng.pick(p.tables)}-changes`;
    return {
      service: "kinesis",
      eventName: "PutRecord",
      readOnly: false,
      data: true,
      request: { streamName: stream, partitionKey: `ORDER#${rng.hex(12)}` },
      response: { shardId: `shardId-00000000000${rng.int(4)}`, sequenceNumber: `4964${rng.hex(40)}` },
      resources: [
        {
          accountId: account,
          type: "AWS::Kinesis::Stream",
          ARN: `arn:aws:kinesis:${region}:${account}:stream/${stream}`,
        },
      ],
    };
  },
  (rng, p, account, region) => {
    const fn = rng.pick(p.functions);
    return {
      service: "lambda",
      eventName: "Invoke",
      readOnly: false,
      data: true,
      request: {
        functionName: `arn:aws:lambda:${region}:${account}:function:${fn}`,
        invocationType: "Event",
      },
      response: null,
      additional: { functionVersion: `arn:aws:lambda:${region}:${account}:function:${fn}:$LATEST` },
      resources: [
        {
          accountId: account,
          type: "AWS::Lambda::Function",
          ARN: `arn:aws:lambda:${region}:${account}:function:${fn}`,
        },
      ],
    };
  },
];

const FAILURES = [
  { code: "AccessDenied", share: 0.7 },
  { code: "Client.UnauthorizedOperation", share: 0.15 },
  { code: "ThrottlingException", share: 0.1 },
  { code: "ResourceNotFoundException", share: 0.05 },
] as const;

function failureCode(rng: Prng, service: string): string {
  let roll = rng.next();
  for (const f of FAILURES) {
    roll -= f.share;
    if (roll < 0)
      return service !== "ec2" && f.code === "Client.UnauthorizedOperation" ? "AccessDenied" : f.code;
  }
  return "AccessDenied";
}

function category(rng: Prng): Category {
  let roll = rng.next();
  for (const [name, share] of Object.entries(MIX) as [Category, number][]) {
    roll -= share;
    if (roll < 0) return name;
  }
  return "read";
}

const TLS_DETAILS = (host: string): JsonObject => ({
  tlsVersion: "TLSv1.3",
  cipherSuite: "TLS_AES_128_GCM_SHA256",
  clientProvidedHostHeader: host,
});

/** How the callers' sessions look. */
export interface FactoryOptions {
  /**
   * Give every record its own session credentials (access key id and creation date), so no two
   * records share an identity block: the worst case for the intake, which remembers identities.
   * By default each caller keeps one session, as callers do for hours in a real trail.
   */
  readonly freshSessions?: boolean;
}

/** Builds record `n` (0-based); the PRNG state carries the file's history, so call in order. */
export class RecordFactory {
  readonly #rng: Prng;
  readonly #pools: Pools;
  readonly #fresh: Prng | undefined;
  #clock = Date.parse("2026-03-14T00:00:00Z");

  constructor(seed: number, options: FactoryOptions = {}) {
    this.#rng = new Prng(seed);
    this.#pools = pools(new Prng(seed ^ 0x5eed));
    // A PRNG of its own, so the records are otherwise the same as without fresh sessions.
    this.#fresh = options.freshSessions === true ? new Prng(seed ^ 0xf2e5) : undefined;
  }

  /** The identity block of a record: the caller's, with new session credentials when asked. */
  #identityBlock(identity: Identity): JsonObject {
    const fresh = this.#fresh;
    if (fresh === undefined || identity.userIdentity.sessionContext === undefined)
      return identity.userIdentity;
    const block = structuredClone(identity.userIdentity);
    block.accessKeyId = `ASIA${fresh.hex(16).toUpperCase()}`;
    const context = block.sessionContext as JsonObject;
    context.attributes = {
      creationDate: new Date(this.#clock - fresh.int(3_600_000)).toISOString().replace(/\.\d{3}Z$/, "Z"),
      mfaAuthenticated: "false",
    };
    return block;
  }

  next(): { line: string; category: Category; envelope: boolean } {
    const rng = this.#rng;
    this.#clock += rng.int(40);
    const time = `${new Date(this.#clock).toISOString().slice(0, 19)}Z`;
    const account = rng.next() < 0.8 ? ACCOUNTS[0] : ACCOUNTS[1];
    const region = rng.pick(REGIONS);
    const kind = category(rng);
    const failed = kind === "failed";
    const makers =
      kind === "catalogued"
        ? CATALOGUED
        : kind === "unrelated"
          ? UNRELATED
          : failed
            ? pickFailed(rng)
            : READS;
    const call = rng.pick(makers)(rng, this.#pools, account, region);
    const who = IDENTITIES.get(account);
    if (who === undefined) throw new Error(`no identities for ${account}`);
    const identity =
      kind === "catalogued"
        ? rng.next() < 0.7
          ? rng.pick(who.people)
          : who.ci
        : call.data || call.service === "kms"
          ? who.app
          : rng.pick([who.monitor, who.monitor, who.app, who.ci, who.legacy, ...who.people.slice(0, 2)]);
    const eventSource = `${call.service}.amazonaws.com`;
    const record: JsonObject = {
      eventVersion: call.data ? "1.09" : "1.10",
      userIdentity: this.#identityBlock(identity),
      eventTime: time,
      eventSource,
      eventName: call.eventName,
      awsRegion: region,
      sourceIPAddress: identity.sourceIp(rng),
      userAgent: identity.userAgent(call.service, call.eventName),
    };
    if (failed) {
      const code = failureCode(rng, call.service);
      record.errorCode = code;
      record.errorMessage =
        code === "AccessDenied" || code === "Client.UnauthorizedOperation"
          ? `User: ${identity.userIdentity.arn} is not authorized to perform: ${call.service}:${call.eventName} because no identity-based policy allows the ${call.service}:${call.eventName} action`
          : code === "ThrottlingException"
            ? "Rate exceeded"
            : `Requested resource not found`;
    }
    record.requestParameters = call.request;
    record.responseElements = failed ? null : call.response;
    if (call.additional) record.additionalEventData = call.additional;
    record.requestID = rng.uuid();
    record.eventID = rng.uuid();
    record.readOnly = call.readOnly;
    if (call.resources) record.resources = call.resources;
    record.eventType = "AwsApiCall";
    record.managementEvent = !call.data;
    record.recipientAccountId = account;
    record.eventCategory = call.data ? "Data" : "Management";
    record.tlsDetails = TLS_DETAILS(`${call.service}.${region}.amazonaws.com`);
    if (identity.console) record.sessionCredentialFromConsole = "true";
    const envelope = rng.next() < ENVELOPE_SHARE;
    const value: JsonObject = envelope
      ? {
          version: "0",
          id: rng.uuid(),
          "detail-type": "AWS API Call via CloudTrail",
          source: `aws.${call.service}`,
          account,
          time,
          region,
          resources: [],
          detail: record,
        }
      : record;
    return { line: JSON.stringify(value), category: kind, envelope };
  }
}

/** Failed calls are mostly writes that were denied, and some reads. */
function pickFailed(rng: Prng): readonly CallMaker[] {
  const roll = rng.next();
  return roll < 0.25 ? CATALOGUED : roll < 0.6 ? UNRELATED : READS;
}

/** Writes `count` records as JSON lines to `file`, honouring back-pressure. */
export async function generateCaptureFile(
  file: string,
  count: number,
  seed: number,
  options: FactoryOptions = {},
): Promise<GenerateStats> {
  const out = createWriteStream(file);
  const factory = new RecordFactory(seed, options);
  const categories: Record<Category, number> = { catalogued: 0, failed: 0, unrelated: 0, read: 0 };
  let bytes = 0;
  let envelopes = 0;
  let minLineBytes = Number.POSITIVE_INFINITY;
  let maxLineBytes = 0;
  const batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const chunk = batch.join("");
    batch.length = 0;
    if (!out.write(chunk)) await once(out, "drain");
  };
  for (let n = 0; n < count; n++) {
    const { line, category: kind, envelope } = factory.next();
    const size = Buffer.byteLength(line) + 1;
    bytes += size;
    minLineBytes = Math.min(minLineBytes, size);
    maxLineBytes = Math.max(maxLineBytes, size);
    categories[kind]++;
    if (envelope) envelopes++;
    batch.push(`${line}\n`);
    if (batch.length === 512) await flush();
  }
  await flush();
  out.end();
  await once(out, "finish");
  return { records: count, bytes, envelopes, categories, minLineBytes, maxLineBytes };
}

/** The shapes a capture comes in (BENCHMARKS.md, "Memory per input shape"). */
export const SHAPES = ["jsonl", "trail", "array", "jsonl.gz", "trail.gz", "array.gz"] as const;
export type Shape = (typeof SHAPES)[number];

async function write(out: WriteStream | ReturnType<typeof createGzip>, text: string): Promise<void> {
  if (!out.write(text)) await once(out, "drain");
}

/**
 * Writes the records of a JSON lines file in another shape: `trail`, a trail log file on one line as
 * S3 delivers them (`{"Records":[...]}`, envelopes unwrapped, for a trail holds bare records);
 * `array`, a pretty-printed JSON array of the lines' values as Stratus' detonation logs are; `.gz`,
 * gzipped. Streams line by line, so the benchmark's own memory stays flat too.
 */
export async function writeShape(jsonl: string, shape: Shape, file: string): Promise<number> {
  const base = shape.replace(/\.gz$/, "");
  const sink = createWriteStream(file);
  const gzip = shape.endsWith(".gz") ? createGzip() : undefined;
  gzip?.pipe(sink);
  const out = gzip ?? sink;
  let first = true;
  if (base === "trail") await write(out, '{"Records":[');
  if (base === "array") await write(out, "[\n");
  for await (const line of createInterface({
    input: createReadStream(jsonl),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    if (line === "") continue;
    if (base === "jsonl") {
      await write(out, `${line}\n`);
      continue;
    }
    const value = JSON.parse(line) as JsonObject;
    const item = base === "trail" && "detail-type" in value ? (value.detail as JsonObject) : value;
    const text = base === "trail" ? JSON.stringify(item) : JSON.stringify(item, null, 2).replace(/^/gm, "  ");
    await write(out, `${first ? "" : base === "trail" ? "," : ",\n"}${text}`);
    first = false;
  }
  if (base === "trail") await write(out, "]}\n");
  if (base === "array") await write(out, "\n]\n");
  out.end();
  await once(sink, "finish");
  return sink.bytesWritten;
}
