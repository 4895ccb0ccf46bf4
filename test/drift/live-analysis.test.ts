import { describe, expect, it } from "vitest";
import { analyzeWindow } from "../../core/analysis/analyze.ts";
import { createRulesAnalyst } from "../../core/analysis/rules.ts";
import { seeBlindSpots } from "../../core/drift/live.ts";
import type { StackResource } from "../../core/drift/ports.ts";
import { buildWindowReport } from "../../core/report/analysis.ts";
import { pullRequestBody } from "../../core/report/pull-request.ts";
import type { Window, WindowEvent } from "../../core/window/types.ts";
import {
  corpusRecord,
  corpusText,
  driftOf,
  RecordedLiveState,
  stackResource,
  touched,
  windowEvent,
} from "./live-support.ts";

/**
 * The blind spots through the rest of the reaction: the differences Cloud Control (or the request)
 * found are analysed, guarded, rectified and published like drift detection's own. The two
 * incidents of issue 13: SSH opened to the world on a group whose rules are separate resources
 * (revert, critical) and a Lambda throttled to zero (revert).
 */

const ACCOUNT = "123456789012";
const REGION = "us-east-1";
const SETTLED = Date.parse("2026-03-14T03:12:00Z");
const NO_SIGNALS = { monitors: [], metrics: [], notes: [] };

function windowOf(stack: string, events: WindowEvent[]): Window {
  return {
    account: events.find((e) => e.account)?.account ?? "111122223333",
    region: events.find((e) => e.region)?.region ?? "us-east-1",
    stack,
    id: `${stack}-w1`,
    status: "claimed",
    openedAt: Date.parse("2026-03-14T03:05:00Z"),
    lastTouchedAt: Date.parse("2026-03-14T03:07:31Z"),
    events,
    touched: [...new Set(events.flatMap((e) => e.resources.map((r) => r.logicalId)))].sort(),
  };
}

async function react(input: {
  stack: string;
  resource: StackResource;
  events: WindowEvent[];
  template: string;
  parameters: Record<string, string>;
  stackResources: StackResource[];
  live: RecordedLiveState;
}) {
  const window = windowOf(input.stack, input.events);
  const drift = await seeBlindSpots({
    drift: { resources: [driftOf(input.resource, "IN_SYNC")], calls: 1 },
    events: window.events,
    template: { text: input.template, format: "yaml" },
    parameters: input.parameters,
    stackResources: input.stackResources,
    live: input.live,
    region: REGION,
    account: ACCOUNT,
  });
  const report = buildWindowReport(window, drift, { at: SETTLED, reason: "quiet" });
  const rules = createRulesAnalyst();
  const analysed = await analyzeWindow(report, drift, window, {
    analyst: rules,
    fallback: rules,
    environment: "prod",
    region: REGION,
    signals: NO_SIGNALS,
    template: { text: input.template, path: "template.yaml", format: "yaml" },
  });
  return { report, analysed };
}

describe("blind spots through analysis, guardrails, rectify and the pull request", () => {
  it("SSH to the world on a group whose rules are separate resources: found, reverted critical, guarded", async () => {
    const group = stackResource(
      "ecs-prod",
      "ALBSecurityGroup",
      "AWS::EC2::SecurityGroup",
      "sg-0d921df5d84f7270a",
    );
    const record = await corpusRecord("ec2.amazonaws.com_AuthorizeSecurityGroupIngress_2.json");
    const ssh = { CidrIp: "0.0.0.0/0", IpProtocol: "tcp", FromPort: 22, ToPort: 22 };
    const { report, analysed } = await react({
      stack: "ecs-prod",
      resource: group,
      events: [windowEvent({ ...record, eventTime: "2026-03-14T03:07:31Z" }, [touched(group)])],
      template: await corpusText("cfn-templates/widdix__ecs__cluster.yaml"),
      parameters: { LoadBalancerCertificateArn: `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0b1c` },
      stackResources: [group],
      live: new RecordedLiveState({
        ALBSecurityGroup: {
          GroupId: group.physicalId,
          SecurityGroupIngress: [
            { CidrIp: "0.0.0.0/0", IpProtocol: "tcp", FromPort: 80, ToPort: 80 },
            { CidrIpv6: "::/0", IpProtocol: "tcp", FromPort: 80, ToPort: 80 },
            { CidrIp: "0.0.0.0/0", IpProtocol: "tcp", FromPort: 443, ToPort: 443 },
            { CidrIpv6: "::/0", IpProtocol: "tcp", FromPort: 443, ToPort: 443 },
            ssh,
          ],
          SecurityGroupEgress: [{ CidrIp: "0.0.0.0/0", IpProtocol: "-1" }],
        },
      }),
    });
    expect(report.detection.liveReads).toBe(1);
    expect(report.resources[0]).toMatchObject({
      status: "MODIFIED",
      events: ["AuthorizeSecurityGroupIngress"],
    });
    expect(report.resources[0]?.note).toMatch(/Cloud Control/);
    const [change] = analysed.report.changes;
    expect(change).toMatchObject({
      logicalId: "ALBSecurityGroup",
      propertyPath: "/SecurityGroupIngress/4",
      differenceType: "ADD",
      actual: ssh,
      source: "cloudcontrol",
      attachment: { type: "AWS::EC2::SecurityGroupIngress" },
      decision: "revert",
      severity: "critical",
    });
    expect(change?.actors.map((a) => a.name)).toEqual(["mei@example.com"]);
    // A revert keeps the template as it is; the revert plan restores the live group.
    expect(analysed.artifacts.template?.changed).toBe(false);
    expect(analysed.artifacts.revert?.changeSetName).toBeTruthy();
    const body = pullRequestBody(analysed.report);
    expect(body).toMatch(/`\/SecurityGroupIngress\/4` \(live read\)/);
  });

  it("the Lambda kill switch: found although the template sets no ReservedConcurrentExecutions, and reverted", async () => {
    const fn = stackResource(
      "orders-prod",
      "LambdaFunction",
      "AWS::Lambda::Function",
      "lambda-function-prod",
    );
    const throttle = {
      eventName: "PutFunctionConcurrency20171031",
      eventSource: "lambda.amazonaws.com",
      eventTime: "2026-03-14T03:07:31Z",
      requestParameters: { functionName: fn.physicalId, reservedConcurrentExecutions: 0 },
    };
    const { analysed } = await react({
      stack: "orders-prod",
      resource: fn,
      events: [windowEvent(throttle, [touched(fn)])],
      template: await corpusText("cfn-templates/acft__Lambda__LambdaSample.yaml"),
      parameters: { EnvName: "prod", LambdaHandlerPath: "index.lambda_handler" },
      stackResources: [fn, stackResource("orders-prod", "LambdaRole", "AWS::IAM::Role", "lambda-role")],
      live: new RecordedLiveState({
        LambdaFunction: { kind: "unavailable", reason: "throttled", detail: "Rate exceeded" },
      }),
    });
    const [change] = analysed.report.changes;
    expect(change).toMatchObject({
      propertyPath: "/ReservedConcurrentExecutions",
      differenceType: "ADD",
      expected: null,
      actual: 0,
      source: "request",
      decision: "revert",
    });
    expect(analysed.report.resources[0]?.note).toMatch(
      /throttled \(Rate exceeded\); differences taken from the requests/,
    );
    expect(pullRequestBody(analysed.report)).toMatch(/`\/ReservedConcurrentExecutions` \(from the request\)/);
  });
});
