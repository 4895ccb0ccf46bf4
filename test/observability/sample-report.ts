import type { ReportChange, WindowReport } from "../../core/report/analysis.ts";

/**
 * A settled and analysed window as `analysis.json` holds it (DESIGN §4): the report fields that exist
 * today plus the analysis fields (decision, severity, confidence, cost, analyzer) the metrics read.
 * Modelled on the payments 3 AM incident scenario (fixtures/scenarios/payments-3am-incident).
 */

type AnalysedChange = ReportChange & {
  readonly decision: "legitimize" | "revert" | "refactor";
  readonly severity: "low" | "medium" | "high" | "critical";
  readonly confidence: number;
  readonly costDelta: { readonly monthlyUsd: number | null };
};

export type AnalysedReport = Omit<WindowReport, "changes"> & {
  readonly changes: readonly AnalysedChange[];
  readonly severity: "low" | "medium" | "high" | "critical";
  readonly costDelta: {
    readonly currentMonthlyUsd: number | null;
    readonly rectifiedMonthlyUsd: number | null;
    readonly deltaMonthlyUsd: number | null;
  };
  readonly analyzer: {
    readonly kind: "rules" | "bedrock";
    readonly model?: string;
    readonly inputTokens?: number;
    readonly outputTokens?: number;
    readonly latencyMs: number;
  };
};

const sam = (eventName: string, eventTime: string) => ({
  name: "sam@example.com",
  arn: "arn:aws:sts::123456789012:assumed-role/OnCall/sam@example.com",
  console: true,
  events: [{ eventName, eventTime, eventID: `${eventName}-1` }],
});

const base = (logicalId: string, resourceType: string, physicalId: string) => ({
  logicalId,
  resourceType,
  physicalId,
  differenceType: "NOT_EQUAL" as const,
});

/** Four changes: two critical reverts, a high refactor, a low legitimize. Settled 2026-03-14T03:12:15Z. */
export const SAMPLE_REPORT: AnalysedReport = {
  stack: "payments-prod",
  window: {
    id: "payments-prod-w1",
    account: "111122223333",
    region: "us-east-1",
    firstEventAt: "2026-03-14T03:04:31Z",
    lastEventAt: "2026-03-14T03:10:15Z",
    openedAt: "2026-03-14T03:04:31.000Z",
    settledAt: "2026-03-14T03:12:15.000Z",
    settledBy: "quiet",
    events: 5,
    touched: ["AppSecurityGroup", "PaymentsDb", "AppServer"],
  },
  detection: { resourcesChecked: 3, calls: 3, unverified: ["AppServer"] },
  resources: [],
  changes: [
    {
      ...base("AppSecurityGroup", "AWS::EC2::SecurityGroup", "sg-0a1b2c3d"),
      propertyPath: "/SecurityGroupIngress/1",
      differenceType: "ADD",
      expected: null,
      actual: { CidrIp: "0.0.0.0/0", FromPort: 22, ToPort: 22, IpProtocol: "tcp" },
      actors: [sam("AuthorizeSecurityGroupIngress", "2026-03-14T03:05:10Z")],
      decision: "revert",
      severity: "critical",
      confidence: 0.95,
      costDelta: { monthlyUsd: 0 },
    },
    {
      ...base("PaymentsDb", "AWS::RDS::DBInstance", "payments-db"),
      propertyPath: "/DBInstanceClass",
      expected: "db.r5.large",
      actual: "db.r5.4xlarge",
      actors: [sam("ModifyDBInstance", "2026-03-14T03:07:31Z")],
      decision: "refactor",
      severity: "high",
      confidence: 0.72,
      costDelta: { monthlyUsd: 1200.5 },
    },
    {
      ...base("PaymentsDb", "AWS::RDS::DBInstance", "payments-db"),
      propertyPath: "/BackupRetentionPeriod",
      expected: 7,
      actual: 1,
      actors: [sam("ModifyDBInstance", "2026-03-14T03:07:31Z")],
      decision: "revert",
      severity: "critical",
      confidence: 0.9,
      costDelta: { monthlyUsd: null },
    },
    {
      ...base("AppServer", "AWS::EC2::Instance", "i-0123456789abcdef0"),
      propertyPath: "/Tags/1/Value",
      expected: "payments",
      actual: "payments-incident-4412",
      actors: [
        {
          name: "deploy-bot",
          console: false,
          events: [{ eventName: "CreateTags", eventTime: "2026-03-14T03:04:31Z" }],
        },
      ],
      decision: "legitimize",
      severity: "low",
      confidence: 0.99,
      costDelta: { monthlyUsd: 0 },
    },
  ],
  actors: [{ name: "sam@example.com", console: true }],
  severity: "critical",
  costDelta: { currentMonthlyUsd: 2803.2, rectifiedMonthlyUsd: 1602.7, deltaMonthlyUsd: 1200.5 },
  analyzer: {
    kind: "bedrock",
    model: "anthropic.claude-sonnet-4",
    inputTokens: 5120,
    outputTokens: 880,
    latencyMs: 4210,
  },
};

/** The same window before any analysis: what `buildWindowReport` gives today. */
export function unanalysed(report: AnalysedReport = SAMPLE_REPORT): WindowReport {
  const { severity: _s, costDelta: _c, analyzer: _a, changes, ...rest } = report;
  return {
    ...rest,
    changes: changes.map(
      ({ decision: _d, severity: _v, confidence: _f, costDelta: _x, ...change }) => change,
    ),
  };
}

/** `settledAt` in epoch seconds. */
export const SETTLED = 1773457935;
