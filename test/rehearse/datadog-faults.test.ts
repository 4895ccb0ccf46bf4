import { client } from "@datadog/datadog-api-client";
import { afterEach, describe, expect, it } from "vitest";
import { createDatadogMetrics } from "../../functions/adapters/datadog-metrics.ts";
import { faultPlan, parseFaultSpec } from "../../functions/rehearse/faults.ts";
import { type DatadogStandIn, startDatadogStandIn } from "../../functions/rehearse/stand-ins/datadog.ts";
import { withRequestTimeout } from "../../functions/runtime.ts";

/**
 * Datadog's intake behind a connection that resets or hangs: the metrics adapter retries it as it
 * retries a 5xx, so a window's figures arrive (before, a reset lost the whole flush).
 */

const API_KEY = "0123456789abcdef0123456789abcdef";
let standIn: DatadogStandIn | undefined;

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

const POINT = {
  metric: "phantom.windows.settled",
  type: "count",
  value: 1,
  timestamp: Date.parse("2026-03-14T03:20:00Z") / 1000,
  tags: ["stack:payments-prod"],
} as const;

describe.each(["reset", "timeout"] as const)("SubmitMetrics answered with a %s twice", (kind) => {
  it("is retried and delivered once", async () => {
    standIn = await startDatadogStandIn({
      clock: { now: () => Date.parse("2026-03-14T03:20:00Z") },
      apiKey: API_KEY,
      faults: faultPlan([parseFaultSpec(`datadog.SubmitMetrics:${kind}:2`)]),
    });
    const configuration = client.createConfiguration({
      authMethods: { apiKeyAuth: API_KEY },
      baseServer: new client.BaseServerConfiguration(standIn.url, {}),
    });
    // The per-request timeout the runtime gives every Datadog call, short here.
    const metrics = createDatadogMetrics({
      configuration: withRequestTimeout(configuration, 200),
      sleep: async () => {},
    });

    await metrics.emit([POINT]);

    expect(standIn.metrics()).toEqual([expect.objectContaining({ metric: POINT.metric, value: 1 })]);
    expect(standIn.calls.get("datadog.SubmitMetrics")).toBe(3);
  });
});
