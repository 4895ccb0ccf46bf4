import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";

/**
 * Planted-secret scenarios (issue 15): a stack whose incident carries generated secrets in every form
 * the secrets table knows — under their own key, by a sibling name key, by their shape inside
 * console text, and inside base64 UserData — in the window's events (request parameters, tags), the
 * drift values (actual), the stack's tags and the Datadog signals (monitor names, queries, notes).
 * The template holds none: what a rectification writes is Phantom's doing.
 */

export const ACCOUNT = "123456789012";
export const REGION = "us-east-1";
export const STACK = "vault-prod";
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`;
const T0 = Date.parse("2026-11-24T03:00:00Z");

const ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A random secret: letters and digits, long enough never to occur by chance in Phantom's output. */
export const secretValue = fc
  .array(fc.constantFrom(...ALNUM), { minLength: 16, maxLength: 24 })
  .map((chars) => `${chars.join("")}Q7z`);

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** A secret inside console text, by its shape: the text, and what must never appear of it. */
export interface Shaped {
  readonly text: string;
  readonly secrets: readonly string[];
}

/** Every shape of a secret inside a string the table names. */
export const shapedSecret: fc.Arbitrary<Shaped> = fc.oneof(
  secretValue.map((s) => ({
    text: `curl -H 'Authorization: Bearer ${s}' https://api.example.com/v1`,
    secrets: [s],
  })),
  secretValue.map((s) => {
    const token = b64(`deploy:${s}`);
    return { text: `proxy login Basic ${token} (rotated)`, secrets: [s, token] };
  }),
  secretValue.map((s) => ({
    text: `export https://reports.example.com/run?user=ops&password=${s}&fmt=csv`,
    secrets: [s],
  })),
  secretValue.map((s) => ({
    text: `Server=vault-db.internal;Database=vault;Uid=app;Pwd=${s};`,
    secrets: [s],
  })),
  secretValue.map((s) => ({
    text: `debug via postgres://app:${s}@vault-db.internal:5432/vault`,
    secrets: [s],
  })),
  secretValue.map((s) => ({
    text: `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBG${s}AQgA\n=Xq9w\n-----END PGP PRIVATE KEY BLOCK-----`,
    secrets: [s],
  })),
  secretValue.map((s) => ({
    text: `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA${s}\n-----END OPENSSH PRIVATE KEY-----`,
    secrets: [s],
  })),
  fc.array(fc.constantFrom(...UPPER), { minLength: 16, maxLength: 16 }).map((chars) => {
    const id = `AKIA${chars.join("")}`;
    return { text: `aws configure set aws_access_key_id ${id}`, secrets: [id] };
  }),
  fc.array(fc.constantFrom(...ALNUM), { minLength: 37, maxLength: 37 }).map((chars) => {
    const key = `${chars.join("")}K9z`;
    return { text: `rotated the deploy user's secret access key ${key} today`, secrets: [key] };
  }),
  fc.array(fc.constantFrom(...ALNUM), { minLength: 36, maxLength: 36 }).map((chars) => {
    const token = `ghp_${chars.join("")}`;
    return { text: `git clone https://${token}@github.com/acme/vault`, secrets: [token] };
  }),
);

/** A UserData script with a secret in it, base64 as EC2 keeps it (gzip too). */
const userData = fc
  .tuple(
    fc.oneof(
      secretValue.map((s) => ({ line: `export DB_PASSWORD=${s}`, secrets: [s] })),
      secretValue.map((s) => ({ line: `mysql -u admin --password ${s} -e 'select 1'`, secrets: [s] })),
      shapedSecret.map((shape) => ({ line: shape.text, secrets: shape.secrets })),
    ),
    fc.boolean(),
  )
  .map(([{ line, secrets }, gzip]) => {
    const script = `#!/bin/bash\nyum install -y nginx\n${line}\nsystemctl start nginx\n`;
    const encoded = gzip ? gzipSync(Buffer.from(script)).toString("base64") : b64(script);
    return { encoded, secrets: [...secrets, encoded] };
  });

export interface Planted {
  readonly envKey: string;
  readonly envSecret: string;
  readonly tagKey: string;
  readonly tagSecret: string;
  readonly header: string;
  readonly headerSecret: string;
  readonly buildVar: string;
  readonly buildSecret: string;
  readonly ssm: { readonly name: string; readonly type: string };
  readonly ssmSecret: string;
  readonly dbSecret: string;
  readonly stackTagSecret: string;
  readonly description: Shaped;
  readonly requestText: Shaped;
  readonly monitorName: Shaped;
  readonly monitorQuery: Shaped;
  readonly note: Shaped;
  readonly userData: { readonly encoded: string; readonly secrets: readonly string[] };
}

export const planted: fc.Arbitrary<Planted> = fc.record({
  envKey: fc.constantFrom("DB_PASSWORD", "API_TOKEN", "STRIPE_KEY", "LOG_LEVEL", "db_pwd"),
  envSecret: secretValue,
  tagKey: fc.constantFrom(
    "db_pwd",
    "DB_PASSWORD",
    "api-token",
    "ClientSecret",
    "mysqlPass",
    "Redis.AuthToken",
  ),
  tagSecret: secretValue,
  header: fc.constantFrom("X-Origin-Verify", "X-Api-Key", "x-shared", "Authorization"),
  headerSecret: secretValue,
  buildVar: fc.constantFrom("MYSQL_PWD", "DB_PASS", "GITHUB_TOKEN", "SECRET_KEY", "npm-token"),
  buildSecret: secretValue,
  ssm: fc.oneof(
    fc.record({
      name: fc.constantFrom("/prod/db/password", "/prod/app/api-key", "/vault/token", "db_pwd"),
      type: fc.constant("String"),
    }),
    fc.record({
      name: fc.constantFrom("/prod/app/signing", "/vault/app/config"),
      type: fc.constant("SecureString"),
    }),
  ),
  ssmSecret: secretValue,
  dbSecret: secretValue,
  stackTagSecret: secretValue,
  description: shapedSecret,
  requestText: shapedSecret,
  monitorName: shapedSecret,
  monitorQuery: shapedSecret,
  note: shapedSecret,
  userData,
});

/** Every string that must never appear in any output. */
export function secretsOf(p: Planted): string[] {
  return [
    p.envSecret,
    p.tagSecret,
    p.headerSecret,
    p.buildSecret,
    p.ssmSecret,
    p.dbSecret,
    p.stackTagSecret,
    ...p.description.secrets,
    ...p.requestText.secrets,
    ...p.monitorName.secrets,
    ...p.monitorQuery.secrets,
    ...p.note.secrets,
    ...p.userData.secrets,
  ];
}

/** The forms a secret may take in an output: itself, JSON-escaped, base64 (any alignment), lower case. */
export function formsOf(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), secret.toLowerCase()]);
  for (const shift of ["", "a", "ab"]) {
    // The base64 of the secret at each of the 3 alignments, without the characters its neighbours decide.
    const encoded = b64(`${shift}${secret}`);
    const skip = shift.length === 0 ? 0 : shift.length + 2;
    const core = encoded.slice(skip, skip + Math.floor(((secret.length - 2) * 4) / 3) - 2);
    if (core.length >= 12) forms.add(core);
  }
  return [...forms];
}

const fnId = `${STACK}-App-7Hq2Lm9Xw4Pz`;
const DB_ID = "vault-db";
const EDGE_ID = "E2QWRUHAPOMQZL";
const HOST_ID = "i-0a1b2c3d4e5f60718";
const BUILD_ID = "vault-build";

export interface Res {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
}

export function resources(p: Planted): Res[] {
  return [
    { logicalId: "App", physicalId: fnId, type: "AWS::Lambda::Function" },
    { logicalId: "Db", physicalId: DB_ID, type: "AWS::RDS::DBInstance" },
    { logicalId: "Edge", physicalId: EDGE_ID, type: "AWS::CloudFront::Distribution" },
    { logicalId: "Param", physicalId: p.ssm.name, type: "AWS::SSM::Parameter" },
    { logicalId: "Host", physicalId: HOST_ID, type: "AWS::EC2::Instance" },
    { logicalId: "Build", physicalId: BUILD_ID, type: "AWS::CodeBuild::Project" },
  ];
}

function template(p: Planted): string {
  return `AWSTemplateFormatVersion: "2010-09-09"
Description: Vault (production)
Parameters:
  DbPassword:
    Type: String
    NoEcho: true
Resources:
  App:
    Type: AWS::Lambda::Function
    Properties:
      Description: vault api
      MemorySize: 512
      Runtime: nodejs20.x
      Handler: index.handler
      Role: arn:aws:iam::${ACCOUNT}:role/vault-app
      Code:
        S3Bucket: vault-artifacts
        S3Key: app.zip
      Environment:
        Variables:
          LOG_LEVEL: info
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      DBInstanceClass: db.t3.small
      Engine: postgres
      MasterUsername: vault
      MasterUserPassword: !Ref DbPassword
      Tags:
        - Key: team
          Value: vault
        - Key: ${p.tagKey}
          Value: unset
  Edge:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        Origins:
          - Id: api
            DomainName: api.example.com
            CustomOriginConfig:
              OriginProtocolPolicy: https-only
            OriginCustomHeaders:
              - HeaderName: ${p.header}
                HeaderValue: unset
  Param:
    Type: AWS::SSM::Parameter
    Properties:
      Name: ${p.ssm.name}
      Type: String
      Value: unset
  Host:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0123456789abcdef0
      InstanceType: t3.small
      UserData: ${b64("#!/bin/bash\nyum install -y nginx\n")}
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: ${BUILD_ID}
      ServiceRole: arn:aws:iam::${ACCOUNT}:role/vault-build
      Artifacts:
        Type: NO_ARTIFACTS
      Source:
        Type: NO_SOURCE
        BuildSpec: "version: 0.2"
      Environment:
        Type: LINUX_CONTAINER
        ComputeType: BUILD_GENERAL1_SMALL
        Image: aws/codebuild/standard:7.0
        EnvironmentVariables:
          - Name: STAGE
            Value: prod
          - Name: ${p.buildVar}
            Value: unset
`;
}

interface Difference {
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly type: "ADD" | "NOT_EQUAL";
}

function driftFile(r: Res, expected: unknown, actual: unknown, differences: Difference[]) {
  return {
    StackResourceDrift: {
      StackId: STACK_ID,
      LogicalResourceId: r.logicalId,
      PhysicalResourceId: r.physicalId,
      ResourceType: r.type,
      ExpectedProperties: JSON.stringify(expected),
      ActualProperties: JSON.stringify(actual),
      PropertyDifferences: differences.map((d) => ({
        PropertyPath: d.path,
        ExpectedValue: typeof d.expected === "string" ? d.expected : JSON.stringify(d.expected),
        ActualValue: typeof d.actual === "string" ? d.actual : JSON.stringify(d.actual),
        DifferenceType: d.type,
      })),
      StackResourceDriftStatus: "MODIFIED",
      Timestamp: new Date(T0 + 20 * 60_000).toISOString(),
    },
  };
}

/** Drift per logical id: every planted secret in a live (actual) value. */
function drifts(p: Planted): Record<string, unknown> {
  const [app, db, edge, param, host, build] = resources(p) as [Res, Res, Res, Res, Res, Res];
  const appExpected = {
    Description: "vault api",
    MemorySize: 512,
    Runtime: "nodejs20.x",
    Environment: { Variables: { LOG_LEVEL: "info" } },
  };
  const appActual = {
    ...appExpected,
    Description: p.description.text,
    MemorySize: 1024,
    Environment: {
      Variables: { LOG_LEVEL: "info", [p.envKey === "LOG_LEVEL" ? "LOG_LEVEL" : p.envKey]: p.envSecret },
    },
  };
  const dbTags = (value: string) => [
    { Key: "team", Value: "vault" },
    { Key: p.tagKey, Value: value },
  ];
  const dbExpected = {
    DBInstanceClass: "db.t3.small",
    MasterUsername: "vault",
    MasterUserPassword: "****",
    Tags: dbTags("unset"),
  };
  const dbActual = { ...dbExpected, MasterUserPassword: p.dbSecret, Tags: dbTags(p.tagSecret) };
  const origin = (value: string) => ({
    DistributionConfig: {
      Enabled: true,
      Origins: [
        {
          Id: "api",
          DomainName: "api.example.com",
          OriginCustomHeaders: [{ HeaderName: p.header, HeaderValue: value }],
        },
      ],
    },
  });
  const paramOf = (value: string) => ({ Name: p.ssm.name, Type: p.ssm.type, Value: value });
  const hostOf = (userData: string) => ({
    ImageId: "ami-0123456789abcdef0",
    InstanceType: "t3.small",
    UserData: userData,
  });
  const cleanUserData = b64("#!/bin/bash\nyum install -y nginx\n");
  const buildOf = (value: string) => ({
    Name: BUILD_ID,
    Environment: {
      Type: "LINUX_CONTAINER",
      EnvironmentVariables: [
        { Name: "STAGE", Value: "prod" },
        { Name: p.buildVar, Value: value },
      ],
    },
  });
  const envPath = `/Environment/Variables/${p.envKey}`;
  return {
    App: driftFile(app, appExpected, appActual, [
      { path: "/Description", expected: "vault api", actual: p.description.text, type: "NOT_EQUAL" },
      // One ordinary change, so the rectified template is written (and searched) too.
      { path: "/MemorySize", expected: 512, actual: 1024, type: "NOT_EQUAL" },
      p.envKey === "LOG_LEVEL"
        ? { path: envPath, expected: "info", actual: p.envSecret, type: "NOT_EQUAL" }
        : { path: envPath, expected: null, actual: p.envSecret, type: "ADD" },
    ]),
    Db: driftFile(db, dbExpected, dbActual, [
      { path: "/MasterUserPassword", expected: "****", actual: p.dbSecret, type: "NOT_EQUAL" },
      { path: "/Tags/1/Value", expected: "unset", actual: p.tagSecret, type: "NOT_EQUAL" },
    ]),
    Edge: driftFile(edge, origin("unset"), origin(p.headerSecret), [
      {
        path: "/DistributionConfig/Origins/0/OriginCustomHeaders/0/HeaderValue",
        expected: "unset",
        actual: p.headerSecret,
        type: "NOT_EQUAL",
      },
    ]),
    Param: driftFile(param, paramOf("unset"), paramOf(p.ssmSecret), [
      { path: "/Value", expected: "unset", actual: p.ssmSecret, type: "NOT_EQUAL" },
    ]),
    Host: driftFile(host, hostOf(cleanUserData), hostOf(p.userData.encoded), [
      { path: "/UserData", expected: cleanUserData, actual: p.userData.encoded, type: "NOT_EQUAL" },
    ]),
    Build: driftFile(build, buildOf("unset"), buildOf(p.buildSecret), [
      {
        path: "/Environment/EnvironmentVariables/1/Value",
        expected: "unset",
        actual: p.buildSecret,
        type: "NOT_EQUAL",
      },
    ]),
  };
}

/** The window's CloudTrail records, each carrying planted secrets in its request parameters. */
export function events(p: Planted): Record<string, unknown>[] {
  const at = (i: number) => new Date(T0 + i * 40_000).toISOString();
  const record = (i: number, eventSource: string, eventName: string, requestParameters: unknown) => ({
    eventVersion: "1.09",
    eventID: `0c0c0c0c-0000-4000-8000-00000000000${i}`,
    eventTime: at(i),
    eventSource,
    eventName,
    awsRegion: REGION,
    recipientAccountId: ACCOUNT,
    userIdentity: { type: "IAMUser", userName: "dana", arn: `arn:aws:iam::${ACCOUNT}:user/dana` },
    sessionCredentialFromConsole: "true",
    sourceIPAddress: "203.0.113.7",
    userAgent: "AWS Internal",
    requestParameters,
    responseElements: null,
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
  });
  return [
    record(0, "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", {
      functionName: fnId,
      memorySize: 1024,
      description: p.description.text,
      environment: { variables: { LOG_LEVEL: "info", [p.envKey]: p.envSecret } },
    }),
    record(1, "rds.amazonaws.com", "ModifyDBInstance", {
      dBInstanceIdentifier: DB_ID,
      masterUserPassword: p.dbSecret,
      applyImmediately: true,
    }),
    record(2, "rds.amazonaws.com", "AddTagsToResource", {
      resourceName: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${DB_ID}`,
      tags: [{ key: p.tagKey, value: p.tagSecret }],
    }),
    record(3, "cloudfront.amazonaws.com", "UpdateDistribution2020_05_31", {
      id: EDGE_ID,
      distributionConfig: {
        comment: p.requestText.text,
        origins: {
          items: [
            { id: "api", customHeaders: { items: [{ headerName: p.header, headerValue: p.headerSecret }] } },
          ],
        },
      },
    }),
    record(4, "ssm.amazonaws.com", "PutParameter", {
      name: p.ssm.name,
      value: p.ssmSecret,
      type: p.ssm.type,
      overwrite: true,
    }),
    record(5, "ec2.amazonaws.com", "ModifyInstanceAttribute", {
      instanceId: HOST_ID,
      userData: { value: p.userData.encoded },
    }),
    record(6, "codebuild.amazonaws.com", "UpdateProject", {
      name: BUILD_ID,
      environment: { environmentVariables: [{ name: p.buildVar, value: p.buildSecret, type: "PLAINTEXT" }] },
    }),
  ];
}

/** Writes the planted scenario under `dir` (the scenario directory contract, docs/architecture.md). */
export async function writePlantedScenario(dir: string, p: Planted): Promise<void> {
  const account = path.join(dir, "account");
  await mkdir(path.join(account, "stacks"), { recursive: true });
  await mkdir(path.join(account, "templates"), { recursive: true });
  await mkdir(path.join(account, "drift", STACK), { recursive: true });
  await mkdir(path.join(dir, "events"), { recursive: true });
  await writeFile(
    path.join(dir, "scenario.yaml"),
    "description: planted secrets\nconfig:\n  windows:\n    quietPeriod: 120s\n    maxWait: 15m\n",
  );
  await writeFile(
    path.join(account, "stacks", `${STACK}.json`),
    JSON.stringify({
      StackResources: resources(p).map((r) => ({
        StackName: STACK,
        StackId: STACK_ID,
        LogicalResourceId: r.logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        Timestamp: "2026-07-01T10:00:00.000Z",
        ResourceStatus: "CREATE_COMPLETE",
        DriftInformation: { StackResourceDriftStatus: "IN_SYNC" },
      })),
      Tags: [
        { Key: "environment", Value: "production" },
        { Key: "phantom:repo", Value: "acme/vault" },
        { Key: "phantom:path", Value: `${STACK}.yaml` },
        { Key: "db_pwd", Value: p.stackTagSecret },
      ],
    }),
  );
  await writeFile(path.join(account, "templates", `${STACK}.yaml`), template(p));
  for (const [logicalId, drift] of Object.entries(drifts(p))) {
    await writeFile(path.join(account, "drift", STACK, `${logicalId}.json`), JSON.stringify(drift));
  }
  await writeFile(
    path.join(dir, "events", "changes.jsonl"),
    `${events(p)
      .map((e) => JSON.stringify(e))
      .join("\n")}\n`,
  );
  await writeFile(
    path.join(dir, "signals.json"),
    JSON.stringify({
      monitors: [
        {
          name: `[P2] vault api errors: ${p.monitorName.text}`,
          status: "Alert",
          priority: 2,
          triggeredAt: new Date(T0 - 5 * 60_000).toISOString(),
          resolvedAt: new Date(T0 + 30 * 60_000).toISOString(),
          query: `avg(last_5m):avg:aws.rds.cpuutilization{dbinstanceidentifier:vault-db} > 90 # ${p.monitorQuery.text}`,
          tags: ["team:vault", "env:production"],
        },
      ],
      metrics: [],
      notes: [`Runbook: ${p.note.text}`],
    }),
  );
}
