import { describe, expect, it } from "vitest";
import { seeBlindSpots } from "../../core/drift/live.ts";
import { redact } from "../../core/secrets.ts";
import {
  corpusText,
  driftOf,
  RecordedLiveState,
  stackResource,
  touched,
  windowEvent,
} from "../drift/live-support.ts";

/**
 * A window keeps its requests with their secrets redacted (core/reactor/touch.ts). Where drift
 * detection is blind and Cloud Control cannot read, the requests say what changed: a redacted value
 * says a property was set, never to what, so it is never compared with the template's as if it were
 * real (issue 15).
 */

const FN = stackResource("orders-prod", "LambdaFunction", "AWS::Lambda::Function", "lambda-function-prod");

async function blind(requestParameters: unknown) {
  return seeBlindSpots({
    drift: { resources: [driftOf(FN, "IN_SYNC")], calls: 1 },
    events: [
      windowEvent(
        {
          eventName: "UpdateFunctionConfiguration20150331v2",
          eventSource: "lambda.amazonaws.com",
          eventTime: "2026-03-14T03:07:31Z",
          // As touch stores it.
          requestParameters: redact(requestParameters),
        },
        [touched(FN)],
      ),
    ],
    template: { text: await corpusText("cfn-templates/acft__Lambda__LambdaSample.yaml"), format: "yaml" },
    parameters: { EnvName: "prod", LambdaHandlerPath: "index.lambda_handler" },
    stackResources: [FN],
    live: new RecordedLiveState({ LambdaFunction: { kind: "unavailable", reason: "throttled", detail: "" } }),
    region: "us-east-1",
    account: "123456789012",
  });
}

describe("seeBlindSpots on a redacted request", () => {
  it("reports the variable the request added, and not the unchanged ones whose values it no longer has", async () => {
    const result = await blind({
      functionName: FN.physicalId,
      environment: { variables: { ENV: "prod", TZ: "UTC", DB_PASSWORD: "hunter2-in-the-console" } },
    });

    // ENV and TZ equal the template's: a redacted value is not taken for a different one.
    expect(result.resources[0]?.differences).toEqual([
      {
        path: "/Environment/Variables/DB_PASSWORD",
        type: "ADD",
        expected: null,
        actual: "[redacted]",
        source: "request",
      },
    ]);
    expect(result.resources[0]?.note).toContain(
      "the requests set /Environment/Variables/ENV, /Environment/Variables/TZ to a secret Phantom does not keep, so it is not compared with the template",
    );
    expect(JSON.stringify(result)).not.toContain("hunter2");
  });
});
