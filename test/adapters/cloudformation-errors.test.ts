import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  fullJitterBackoff,
  isNotStackOwned,
  isRetryable,
  isThrottling,
  isUnsupportedDrift,
  stackNameOf,
} from "../../functions/adapters/cloudformation.ts";

/** An error shaped like the SDK's ServiceException. */
function awsError(name: string, message: string, httpStatusCode = 400) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode, attempts: 1 } });
}

describe("CloudFormation error reading", () => {
  it("recognises throttling by code, message and status", () => {
    expect(isThrottling(awsError("Throttling", "Rate exceeded"))).toBe(true);
    expect(isThrottling(awsError("ThrottlingException", "slow down"))).toBe(true);
    expect(isThrottling(awsError("LimitExceeded", "Rate exceeded"))).toBe(true);
    expect(isThrottling(awsError("Whatever", "busy", 429))).toBe(true);
    expect(isThrottling(awsError("ValidationError", "Stack for x does not exist"))).toBe(false);
    expect(isRetryable(awsError("InternalFailure", "oops", 500))).toBe(true);
    expect(isRetryable(awsError("AccessDenied", "no", 403))).toBe(false);
  });

  it("reads 'does not exist' from DescribeStackResources as not stack-owned", () => {
    expect(isNotStackOwned(awsError("ValidationError", "Stack for i-0abc does not exist"))).toBe(true);
    expect(isNotStackOwned(awsError("ValidationError", "Stack with id foo does not exist"))).toBe(true);
    expect(isNotStackOwned(awsError("AccessDenied", "Stack for i-0abc does not exist"))).toBe(false);
  });

  it("tells a type without drift support from a stack-status refusal", () => {
    const unsupported = [
      "Drift detection is not supported for resource type AWS::S3::BucketPolicy",
      "Resource type AWS::IAM::Policy does not support drift detection",
      "Unsupported resource type for drift detection",
    ];
    const other = [
      "Stack MyStack is in UPDATE_IN_PROGRESS state and can not be updated",
      "Drift detection is not supported while the stack is UPDATE_IN_PROGRESS",
      "Resource Queue does not exist for stack MyStack",
    ];

    expect(unsupported.map((m) => isUnsupportedDrift(awsError("ValidationError", m)))).toEqual([
      true,
      true,
      true,
    ]);
    expect(other.map((m) => isUnsupportedDrift(awsError("ValidationError", m)))).toEqual([
      false,
      false,
      false,
    ]);
    expect(isUnsupportedDrift(awsError("AccessDenied", unsupported[0] ?? ""))).toBe(false);
  });

  it("doubles the backoff step up to the cap, with full jitter over the whole step", () => {
    const at = (attempt: number, random: number) =>
      fullJitterBackoff(attempt, { baseDelayMs: 1000, maxDelayMs: 20_000, random: () => random });

    expect([0, 1, 2, 3, 4, 5].map((a) => at(a, 0))).toEqual([0, 0, 0, 0, 0, 0]);
    expect([0, 1, 2, 3, 4, 5].map((a) => at(a, 0.5))).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    expect([0, 1, 2, 3, 4, 5].map((a) => at(a, 0.999999))).toEqual([999, 1999, 3999, 7999, 15_999, 19_999]);
  });

  it("keeps the equal-jitter backoff (the Bedrock analyst's) in the upper half of each step", () => {
    const at = (attempt: number, random: number) =>
      backoffDelay(attempt, { baseDelayMs: 1000, maxDelayMs: 20_000, random: () => random });

    expect([0, 1, 2, 3, 4, 5].map((a) => at(a, 0))).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    expect([0, 1, 2, 3, 4, 5].map((a) => at(a, 0.999999))).toEqual([1000, 2000, 4000, 8000, 16_000, 20_000]);
  });

  it("reads the stack name from an ARN", () => {
    expect(stackNameOf("arn:aws:cloudformation:us-east-1:123456789012:stack/MyStack/d0a825a0-e4cd")).toBe(
      "MyStack",
    );
    expect(stackNameOf("MyStack")).toBe("MyStack");
  });
});
