import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildContext, type ContextInputs, changeIds, UNPRICED } from "../../core/analysis/context.ts";
import type { ReportChange, WindowReport } from "../../core/report/analysis.ts";
import type { SignalsReport } from "../../core/signals/types.ts";
import type { Window, WindowEvent } from "../../core/window/types.ts";
import { INJECTION } from "./support.ts";

/**
 * `buildContext` assembles what one analysis call sees: redacted drift facts, who did what when, the
 * template fragments that matter and the signals. Nothing secret may reach it.
 */

const PAYMENTS_TEMPLATE = readFileSync(
  new URL(
    "../../fixtures/scenarios/payments-3am-incident/account/templates/payments-prod.yaml",
    import.meta.url,
  ),
  "utf8",
);

const SAM = { name: "sam@example.com", console: true } as const;

function event(eventName: string, eventTime: string, logicalId: string, type: string): WindowEvent {
  return {
    key: `${eventName}-${eventTime}`,
    eventID: `id-${eventName}-${eventTime}`,
    eventName,
    eventSource: "console.amazonaws.com",
    eventTime,
    actor: SAM,
    resources: [{ logicalId, physicalId: `${logicalId.toLowerCase()}-1`, type }],
  };
}

function reportChange(
  fields: Pick<ReportChange, "logicalId" | "resourceType" | "propertyPath" | "expected" | "actual"> &
    Partial<ReportChange>,
  eventName = "ConsoleCall",
  eventTime = "2026-03-14T03:05:00.000Z",
): ReportChange {
  return {
    physicalId: `${fields.logicalId.toLowerCase()}-1`,
    differenceType: "NOT_EQUAL",
    actors: [{ name: SAM.name, console: true, events: [{ eventName, eventTime }] }],
    ...fields,
  };
}

function inputs(changes: readonly ReportChange[], extra: Partial<ContextInputs> = {}): ContextInputs {
  const events = changes.map((c) =>
    event(
      c.actors[0]?.events[0]?.eventName ?? "ConsoleCall",
      c.actors[0]?.events[0]?.eventTime ?? "",
      c.logicalId,
      c.resourceType,
    ),
  );
  const touched = [...new Set(changes.map((c) => c.logicalId))].sort();
  const window: Window = {
    stack: "payments-prod",
    id: "payments-prod-w1",
    account: "111122223333",
    region: "us-east-1",
    status: "claimed",
    openedAt: Date.parse("2026-03-14T03:04:10Z"),
    lastTouchedAt: Date.parse("2026-03-14T03:09:40Z"),
    events,
    touched,
  };
  const report: WindowReport = {
    stack: "payments-prod",
    window: {
      id: "payments-prod-w1",
      account: "111122223333",
      region: "us-east-1",
      firstEventAt: "2026-03-14T03:04:10.000Z",
      lastEventAt: "2026-03-14T03:09:40.000Z",
      openedAt: "2026-03-14T03:04:10.000Z",
      settledAt: "2026-03-14T03:11:40.000Z",
      settledBy: "quiet",
      events: events.length,
      touched,
    },
    detection: { resourcesChecked: touched.length, calls: touched.length, unverified: [] },
    resources: [],
    changes,
    actors: [SAM],
  };
  return {
    report,
    window,
    environment: "prod",
    signals: { monitors: [], metrics: [], notes: [] },
    ...extra,
  };
}

// --- planted secrets -----------------------------------------------------------------------------

const SECRETS = {
  lambdaVariable: "Tr0ub4dor&3-lambda",
  lambdaVariableBefore: "old-lambda-db-pass",
  wholeVariables: "plain-signing-value-9f8e",
  masterPassword: "correct-horse-battery-staple",
  masterPasswordBefore: "hunter2-before",
  tagToken: "tok-a1b2c3d4e5f6",
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  privateKeyBody: "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0",
  urlPassword: "s3cretUrlPw",
  jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvbi1jYWxsLWJvdCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
  githubToken: "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
  templatePassword: "template-literal-pw-77",
} as const;

/** A window whose values, template and signals carry secrets in every place the issue names. */
function secretWindow(): ContextInputs {
  const changes: ReportChange[] = [
    reportChange({
      logicalId: "SettleFunction",
      resourceType: "AWS::Lambda::Function",
      propertyPath: "/Environment/Variables/DB_PASSWORD",
      expected: SECRETS.lambdaVariableBefore,
      actual: SECRETS.lambdaVariable,
    }),
    reportChange({
      logicalId: "SettleFunction",
      resourceType: "AWS::Lambda::Function",
      propertyPath: "/Environment/Variables",
      expected: { TZ: "UTC" },
      actual: { TZ: "UTC", API_SIGNING: SECRETS.wholeVariables },
    }),
    reportChange({
      logicalId: "PaymentsDatabase",
      resourceType: "AWS::RDS::DBInstance",
      propertyPath: "/MasterUserPassword",
      expected: SECRETS.masterPasswordBefore,
      actual: SECRETS.masterPassword,
    }),
    reportChange({
      logicalId: "AppServer",
      resourceType: "AWS::EC2::Instance",
      propertyPath: "/Tags/0",
      differenceType: "ADD",
      expected: null,
      actual: { Key: "api_token", Value: SECRETS.tagToken },
    }),
    reportChange({
      logicalId: "AppServer",
      resourceType: "AWS::EC2::Instance",
      propertyPath: "/Tags/3",
      differenceType: "ADD",
      expected: null,
      actual: { Key: "Note", Value: INJECTION },
    }),
    reportChange({
      logicalId: "SettleFunction",
      resourceType: "AWS::Lambda::Function",
      propertyPath: "/Description",
      expected: "Settles payments",
      actual: `Settles payments; deploy with ${SECRETS.accessKeyId} / ${SECRETS.secretAccessKey}`,
    }),
    reportChange({
      logicalId: "DeployKey",
      resourceType: "AWS::SSM::Parameter",
      propertyPath: "/Value",
      expected: "placeholder",
      actual: `-----BEGIN RSA PRIVATE KEY-----\n${SECRETS.privateKeyBody}\n-----END RSA PRIVATE KEY-----`,
    }),
    reportChange({
      logicalId: "AppSecurityGroup",
      resourceType: "AWS::EC2::SecurityGroup",
      propertyPath: "/SecurityGroupIngress/1",
      differenceType: "ADD",
      expected: null,
      actual: {
        CidrIp: "0.0.0.0/0",
        FromPort: 22,
        ToPort: 22,
        IpProtocol: "tcp",
        Description: `debug via postgres://admin:${SECRETS.urlPassword}@payments-prod-db:5432/payments`,
      },
    }),
  ];
  const template = PAYMENTS_TEMPLATE.replace(
    "      MasterUsername: payments\n",
    `      MasterUsername: payments\n      MasterUserPassword: ${SECRETS.templatePassword}\n`,
  ).replace(
    "      Monitoring: true\n",
    `      Monitoring: true\n      UserData: aws configure set aws_secret_access_key ${SECRETS.secretAccessKey}\n`,
  );
  const signals: SignalsReport = {
    monitors: [
      {
        name: "payments-db CPU > 90%",
        status: "Alert",
        triggeredAt: "2026-03-14T02:58:00Z",
        query: `avg(last_5m):avg:aws.rds.cpuutilization{token:${SECRETS.githubToken}} > 90`,
      },
    ],
    metrics: [{ resource: "PaymentsDatabase", metric: "CPUUtilization", during: 97, after: 28.6 }],
    events: [{ title: `Deploy by bot ${SECRETS.jwt}`, at: "2026-03-14T02:40:00Z" }],
    notes: [`Runbook: postgres://admin:${SECRETS.urlPassword}@payments-prod-db/payments`],
  };
  return inputs(changes, { template, signals });
}

describe("buildContext: secrets", () => {
  it("never contains a planted secret anywhere", () => {
    // Prepare
    const planted = secretWindow();
    expect(planted.template).toContain(`MasterUserPassword: ${SECRETS.templatePassword}`);
    expect(planted.template).toContain(`aws_secret_access_key ${SECRETS.secretAccessKey}`);

    // Act
    const text = JSON.stringify(buildContext(planted));

    // Assess
    for (const [where, secret] of Object.entries(SECRETS)) expect(text, where).not.toContain(secret);
  });

  it("keeps what is not secret: names, keys, non-secret values and console text as data", () => {
    const context = buildContext(secretWindow());

    const byId = new Map(context.changes.map((c) => [c.id, c]));
    expect(byId.get("SettleFunction/Environment/Variables")?.actual).toEqual({
      TZ: "[redacted]",
      API_SIGNING: "[redacted]",
    });
    expect(byId.get("AppServer/Tags/0")?.actual).toEqual({ Key: "api_token", Value: "[redacted]" });
    // The injection attempt stays a JSON value: not removed, not interpreted.
    expect(byId.get("AppServer/Tags/3")?.actual).toEqual({ Key: "Note", Value: INJECTION });
    expect(byId.get("AppSecurityGroup/SecurityGroupIngress/1")?.actual).toMatchObject({
      CidrIp: "0.0.0.0/0",
      FromPort: 22,
      // Only the credentials go: the host stays for the analysis.
      Description: "debug via postgres://[redacted]@payments-prod-db:5432/payments",
    });
    expect(context.templateFragments).toContain("MasterUsername: payments");
    expect(context.templateFragments).toContain("MasterUserPassword: [redacted]");
    expect(context.signals.metrics).toEqual([
      { resource: "PaymentsDatabase", metric: "CPUUtilization", during: 97, after: 28.6 },
    ]);
  });

  it("redacts the drifted Lambda function's environment variables in the template fragments", () => {
    // BUG (core/analysis/redact.ts redactText, used by core/analysis/context.ts buildContext): the
    // values of a function's `Environment: Variables:` are secrets in drift values (redactAt) but not
    // in the template text, so a drifted function's own template block carries them to the prompt.
    const template = [
      "Resources:",
      "  SettleFunction:",
      "    Type: AWS::Lambda::Function",
      "    Properties:",
      "      Runtime: nodejs20.x",
      "      Environment:",
      "        Variables:",
      "          STRIPE_SECRET_KEY: sk_live_51HxYzAbCdEfGhIjKlMnOp",
    ].join("\n");
    const window = inputs(
      [
        reportChange({
          logicalId: "SettleFunction",
          resourceType: "AWS::Lambda::Function",
          propertyPath: "/Runtime",
          expected: "nodejs20.x",
          actual: "nodejs22.x",
        }),
      ],
      { template },
    );

    expect(JSON.stringify(buildContext(window))).not.toContain("sk_live_51HxYzAbCdEfGhIjKlMnOp");
  });

  it("redacts a Secrets Manager secret's drifted SecretString", () => {
    // BUG (core/analysis/redact.ts SECRET_KEY, via redactAt in buildContext): `/SecretString` is not a
    // secret-named key, so both the template's and the live secret reach the context verbatim.
    const window = inputs([
      reportChange({
        logicalId: "DbCredential",
        resourceType: "AWS::SecretsManager::Secret",
        propertyPath: "/SecretString",
        expected: '{"username":"payments","password":"before-pw-1"}',
        actual: '{"username":"payments","password":"after-pw-2"}',
      }),
    ]);

    const text = JSON.stringify(buildContext(window));

    expect(text).not.toContain("before-pw-1");
    expect(text).not.toContain("after-pw-2");
  });
});

describe("buildContext: the facts", () => {
  const scenarioChanges = (): ReportChange[] => [
    reportChange(
      {
        logicalId: "AppSecurityGroup",
        resourceType: "AWS::EC2::SecurityGroup",
        propertyPath: "/SecurityGroupIngress/1",
        differenceType: "ADD",
        expected: null,
        actual: { CidrIp: "0.0.0.0/0", FromPort: 22, ToPort: 22, IpProtocol: "tcp" },
      },
      "AuthorizeSecurityGroupIngress",
      "2026-03-14T03:04:10.000Z",
    ),
    reportChange(
      {
        logicalId: "PaymentsDatabase",
        resourceType: "AWS::RDS::DBInstance",
        propertyPath: "/DBInstanceClass",
        expected: "db.r5.large",
        actual: "db.r5.4xlarge",
      },
      "ModifyDBInstance",
      "2026-03-14T03:07:31.000Z",
    ),
    reportChange(
      {
        logicalId: "PaymentsDatabase",
        resourceType: "AWS::RDS::DBInstance",
        propertyPath: "/BackupRetentionPeriod",
        expected: 7,
        actual: 1,
      },
      "ModifyDBInstance",
      "2026-03-14T03:07:31.000Z",
    ),
  ];

  it("describes each change with its id, values, actors and cost", () => {
    const context = buildContext(
      inputs(scenarioChanges(), {
        costOf: (c) =>
          c.propertyPath === "/DBInstanceClass"
            ? { safeMonthlyUsd: 182.5, currentMonthlyUsd: 1460, deltaMonthlyUsd: 1277.5 }
            : UNPRICED,
      }),
    );

    expect(context.changes).toEqual([
      {
        id: "AppSecurityGroup/SecurityGroupIngress/1",
        logicalId: "AppSecurityGroup",
        physicalId: "appsecuritygroup-1",
        resourceType: "AWS::EC2::SecurityGroup",
        propertyPath: "/SecurityGroupIngress/1",
        differenceType: "ADD",
        expected: null,
        actual: { CidrIp: "0.0.0.0/0", FromPort: 22, ToPort: 22, IpProtocol: "tcp" },
        cost: UNPRICED,
        actors: ["sam@example.com (console) AuthorizeSecurityGroupIngress 03:04:10Z"],
      },
      {
        id: "PaymentsDatabase/DBInstanceClass",
        logicalId: "PaymentsDatabase",
        physicalId: "paymentsdatabase-1",
        resourceType: "AWS::RDS::DBInstance",
        propertyPath: "/DBInstanceClass",
        differenceType: "NOT_EQUAL",
        expected: "db.r5.large",
        actual: "db.r5.4xlarge",
        cost: { safeMonthlyUsd: 182.5, currentMonthlyUsd: 1460, deltaMonthlyUsd: 1277.5 },
        actors: ["sam@example.com (console) ModifyDBInstance 03:07:31Z"],
      },
      {
        id: "PaymentsDatabase/BackupRetentionPeriod",
        logicalId: "PaymentsDatabase",
        physicalId: "paymentsdatabase-1",
        resourceType: "AWS::RDS::DBInstance",
        propertyPath: "/BackupRetentionPeriod",
        differenceType: "NOT_EQUAL",
        expected: 7,
        actual: 1,
        cost: UNPRICED,
        actors: ["sam@example.com (console) ModifyDBInstance 03:07:31Z"],
      },
    ]);
  });

  it("gives the window, its time-ordered timeline and the environment", () => {
    const context = buildContext(inputs(scenarioChanges(), { environment: "staging", region: "us-east-1" }));

    expect(context).toMatchObject({
      stack: "payments-prod",
      environment: "staging",
      region: "us-east-1",
      window: {
        id: "payments-prod-w1",
        firstEventAt: "2026-03-14T03:04:10.000Z",
        lastEventAt: "2026-03-14T03:09:40.000Z",
        timeline: [
          "03:04:10Z sam@example.com (console) AuthorizeSecurityGroupIngress AppSecurityGroup",
          "03:07:31Z sam@example.com (console) ModifyDBInstance PaymentsDatabase",
          "03:07:31Z sam@example.com (console) ModifyDBInstance PaymentsDatabase",
        ],
      },
    });
  });

  it("leaves out the region and the fragments when they are unknown", () => {
    const context = buildContext(inputs(scenarioChanges()));

    expect(context).not.toHaveProperty("region");
    expect(context.templateFragments).toBe("");
  });

  it("carries only the drifted resources' template fragments", () => {
    const context = buildContext(inputs(scenarioChanges(), { template: PAYMENTS_TEMPLATE }));

    expect(context.templateFragments).toContain("# Resources/AppSecurityGroup");
    expect(context.templateFragments).toContain("# Resources/PaymentsDatabase");
    expect(context.templateFragments).toContain("BackupRetentionPeriod: 7 # PCI DSS");
    expect(context.templateFragments).not.toContain("AuditBucket");
    expect(context.templateFragments).not.toContain("SettlementQueue");
  });

  it("is deterministic and serialisable", () => {
    const build = () => buildContext(inputs(scenarioChanges(), { template: PAYMENTS_TEMPLATE }));

    const first = build();

    expect(JSON.stringify(build())).toBe(JSON.stringify(first));
    expect(JSON.parse(JSON.stringify(first))).toEqual(first);
  });
});

describe("changeIds", () => {
  it("is <LogicalId><propertyPath>, numbered when a path repeats", () => {
    expect(
      changeIds([
        { logicalId: "AppServer", propertyPath: "/Tags/0" },
        { logicalId: "AppServer", propertyPath: "/Tags/0" },
        { logicalId: "PaymentsDatabase", propertyPath: "" },
        { logicalId: "AppServer", propertyPath: "/Tags/0" },
      ]),
    ).toEqual(["AppServer/Tags/0", "AppServer/Tags/0#2", "PaymentsDatabase", "AppServer/Tags/0#3"]);
  });
});
