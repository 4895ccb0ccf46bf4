import path from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { afterEach, describe, expect, it } from "vitest";
import { throttlePoints } from "../../core/report/metrics.ts";
import {
  awsRetry,
  awsRetryFromEnv,
  awsRetryStrategy,
  fullJitterDelay,
  observeThrottling,
  type Throttle,
  throttleTally,
} from "../../functions/adapters/aws-retry.ts";
import { faultPlan, parseFaultSpec } from "../../functions/rehearse/faults.ts";
import {
  type CloudFormationStandIn,
  startCloudFormationStandIn,
} from "../../functions/rehearse/stand-ins/cloudformation.ts";

/**
 * The one retry policy of every AWS client, over real HTTP: the CloudFormation stand-in answers
 * `Throttling` ("Rate exceeded", HTTP 400, as CloudFormation does) before serving each call.
 */

const ACCOUNT_DIR = path.resolve(
  import.meta.dirname,
  "../../fixtures/scenarios/payments-3am-incident/account",
);
const clock = { now: () => Date.parse("2026-03-14T03:20:00Z") };
let standIn: CloudFormationStandIn | undefined;

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function throttledCloudFormation(times: number) {
  standIn = await startCloudFormationStandIn({ accountDir: ACCOUNT_DIR, clock, throttle: { times } });
  return standIn;
}

function client(url: string, retry: ReturnType<typeof awsRetry>): CloudFormationClient {
  return new CloudFormationClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    ...retry,
  });
}

describe("fullJitterDelay", () => {
  it("waits a random time below base × 2^retry, capped", () => {
    const options = { baseMs: 100, maxDelayMs: 1_000, random: () => 0.999 };
    expect([0, 1, 2, 3, 4, 10].map((n) => fullJitterDelay(n, options))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(fullJitterDelay(5, { ...options, random: () => 0 })).toBe(0);
  });
});

describe("awsRetry over a throttled CloudFormation", () => {
  it("gets through after throttled attempts, waiting a full-jitter backoff between them, and counts each throttle by service and operation", async () => {
    const cfn = await throttledCloudFormation(3);
    const waits: number[] = [];
    const random = () => 0.5;
    const retry = awsRetry({ maxAttempts: 5, throttlingBaseMs: 8, maxDelayMs: 40, random });
    const strategy = retry.retryStrategy;
    const seen: Throttle[] = [];
    const tally = throttleTally();
    const sdk = client(cfn.url, {
      ...retry,
      retryStrategy: {
        ...strategy,
        async refreshRetryTokenForRetry(token, info) {
          const next = await strategy.refreshRetryTokenForRetry(token, info);
          waits.push(next.getRetryDelay());
          return next;
        },
      },
    });
    observeThrottling(sdk, "cloudformation", (t) => {
      seen.push(t);
      tally.record(t);
    });

    const out = await sdk.send(new DescribeStacksCommand({ StackName: "payments-prod" }));

    expect(out.Stacks?.[0]?.StackName).toBe("payments-prod");
    expect(out.$metadata.attempts).toBe(4);
    // Full jitter at random 0.5: half of 8, 16, 32 ms.
    expect(waits).toEqual([4, 8, 16]);
    expect(cfn.calls.get("cloudformation.DescribeStacks")).toBe(4);
    expect(cfn.throttled.get("DescribeStacks")).toBe(3);
    expect(seen).toEqual(
      Array.from({ length: 3 }, () => ({
        service: "cloudformation",
        operation: "DescribeStacks",
        code: "Throttling",
      })),
    );
    expect(tally.drain()).toEqual([{ service: "cloudformation", operation: "DescribeStacks", count: 3 }]);
    expect(tally.drain()).toEqual([]);
    sdk.destroy();
  });

  it("gives up after maxAttempts with CloudFormation's own error, every attempt counted", async () => {
    const cfn = await throttledCloudFormation(Number.POSITIVE_INFINITY);
    const tally = throttleTally();
    const sdk = client(cfn.url, awsRetry({ maxAttempts: 3, throttlingBaseMs: 1, random: () => 0 }));
    observeThrottling(sdk, "cloudformation", tally.record);

    const error = await sdk.send(new DescribeStacksCommand({})).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: "Throttling", message: "Rate exceeded", $metadata: { attempts: 3 } });
    expect(cfn.calls.get("cloudformation.DescribeStacks")).toBe(3);
    expect(tally.drain()).toEqual([{ service: "cloudformation", operation: "DescribeStacks", count: 3 }]);
    sdk.destroy();
  });

  it("never retries a client error", async () => {
    const cfn = await throttledCloudFormation(0);
    const sdk = client(cfn.url, awsRetry({ maxAttempts: 5, random: () => 0 }));

    const error = await sdk.send(new DescribeStacksCommand({ StackName: "no-such-stack" })).catch((e) => e);

    expect(error).toMatchObject({ name: "ValidationError", $metadata: { attempts: 1 } });
    expect(cfn.calls.get("cloudformation.DescribeStacks")).toBe(1);
    sdk.destroy();
  });

  it("waits at least what a Retry-After hint asks, within the cap", async () => {
    const now = 1_000_000;
    const strategy = awsRetryStrategy({ random: () => 0, maxDelayMs: 5_000, now: () => now });
    const first = await strategy.acquireInitialRetryToken("");
    const next = await strategy.refreshRetryTokenForRetry(first, {
      errorType: "THROTTLING",
      retryAfterHint: new Date(now + 3_000),
    });
    expect(next.getRetryDelay()).toBe(3_000);
    const capped = await strategy.refreshRetryTokenForRetry(first, {
      errorType: "THROTTLING",
      retryAfterHint: new Date(now + 60_000),
    });
    expect(capped.getRetryDelay()).toBe(5_000);
  });
});

describe("the request timeout", () => {
  it("fails a held attempt after the timeout and retries it, instead of waiting for the socket forever", async () => {
    standIn = await startCloudFormationStandIn({
      accountDir: ACCOUNT_DIR,
      clock,
      faults: faultPlan([parseFaultSpec("cloudformation.DescribeStacks:timeout:1")]),
    });
    const sdk = client(standIn.url, awsRetry({ requestTimeoutMs: 200, baseMs: 1 }));
    const started = performance.now();

    const out = await sdk.send(new DescribeStacksCommand({ StackName: "payments-prod" }));

    expect(out.Stacks?.[0]?.StackName).toBe("payments-prod");
    expect(out.$metadata.attempts).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    sdk.destroy();
  });

  it("is 30 s by default, PHANTOM_REQUEST_TIMEOUT sets it", () => {
    expect(awsRetry().requestHandler).toEqual({
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
      throwOnRequestTimeout: true,
    });
    expect(awsRetryFromEnv({ PHANTOM_REQUEST_TIMEOUT: "2s" })).toEqual({ requestTimeoutMs: 2_000 });
    expect(() => awsRetryFromEnv({ PHANTOM_REQUEST_TIMEOUT: "never" })).toThrow(
      'PHANTOM_REQUEST_TIMEOUT "never" is not a positive duration',
    );
  });
});

describe("awsRetryFromEnv", () => {
  it("takes PHANTOM_AWS_BACKOFF as the throttling base, and refuses what is not a duration", () => {
    expect(awsRetryFromEnv({})).toEqual({});
    expect(awsRetryFromEnv({ PHANTOM_AWS_BACKOFF: "20ms" })).toEqual({
      throttlingBaseMs: 20,
      baseMs: 4,
      maxDelayMs: 800,
    });
    expect(() => awsRetryFromEnv({ PHANTOM_AWS_BACKOFF: "soon" })).toThrow(
      'PHANTOM_AWS_BACKOFF "soon" is not a positive duration',
    );
  });
});

describe("throttlePoints", () => {
  it("is one phantom.aws.throttled count per service and operation", () => {
    expect(
      throttlePoints(
        Date.parse("2026-03-14T03:05:00.900Z"),
        [
          { service: "cloudformation", operation: "DescribeStackResources", count: 3 },
          { service: "dynamodb", operation: "GetItem", count: 0 },
        ],
        { region: "eu-west-1" },
      ),
    ).toEqual([
      {
        metric: "phantom.aws.throttled",
        type: "count",
        value: 3,
        timestamp: Date.parse("2026-03-14T03:05:00Z") / 1000,
        tags: ["region:eu-west-1", "service:cloudformation", "operation:describestackresources"],
      },
    ]);
  });

  it("tells a throttled member account apart: its counts carry the place's account and region", () => {
    const tally = throttleTally();
    const member = { service: "cloudformation", operation: "DetectStackDrift", code: "Throttling" };
    tally.record({ ...member, account: "305482197364", region: "eu-west-1" });
    tally.record({ ...member, account: "305482197364", region: "eu-west-1" });
    tally.record({ ...member, account: "762913458021", region: "us-east-1" });
    tally.record(member);

    const points = throttlePoints(0, tally.drain(), { region: "us-east-1" });

    expect(points.map((p) => [p.value, p.tags.slice(0, 2)])).toEqual([
      [2, ["account:305482197364", "region:eu-west-1"]],
      [1, ["account:762913458021", "region:us-east-1"]],
      [1, ["region:us-east-1", "service:cloudformation"]],
    ]);
  });
});
