import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FAULT_KINDS } from "../../functions/rehearse/faults.ts";
import type { RehearsalReport } from "../../functions/rehearse/rehearse.ts";
import { absorbedFaults, expectConverged, expectInjected, outcome, rehearseWith } from "./fault-matrix.ts";

/**
 * Fault matrix, AWS services (issue 15): every fault kind on the AWS services of the reaction path,
 * injected at the HTTP level of the rehearsal's stand-ins so the real SDK clients and their retries
 * meet it. Against the 3 AM capture: one PR, one commit, each reaction's event once, no lost window.
 * Cloud Control and STS are not called by that capture: they are faulted on the captures that call
 * them (a blind spot, a member account) and must change nothing there.
 */

/** The operation of each service whose failure hurts most on the 3 AM capture. */
const TARGETS = [
  "cloudformation.DetectStackResourceDrift",
  "cloudformation.DescribeStackResources",
  "dynamodb.UpdateItem",
  "dynamodb.GetItem",
  "sqs.SendMessage",
] as const;

const cases = absorbedFaults(TARGETS);

describe("the 3 AM capture under AWS faults the retries absorb", () => {
  it.each(cases)(
    "%s: one PR, one commit, one event per reaction, no lost window",
    async (spec) => {
      const report = await rehearseWith([spec]);
      expectInjected(report, spec);
      expectConverged(report);
    },
    60_000,
  );

  it.each(["cloudformation.*:throttle:4", "dynamodb.*:5xx:4"])(
    "%s (every operation in turn) converges too",
    async (spec) => {
      const report = await rehearseWith([spec]);
      expectInjected(report, spec);
      expectConverged(report);
    },
    60_000,
  );
});

const SCENARIO = (name: string) =>
  fileURLToPath(new URL(`../../fixtures/scenarios/${name}/`, import.meta.url));

describe.each([
  { service: "cloudcontrol.GetResource", scenario: "lambda-kill-switch" },
  { service: "sts.AssumeRole", scenario: "same-stack-three-places" },
])("$service on $scenario", ({ service, scenario }) => {
  let baseline: RehearsalReport | undefined;
  it.each(FAULT_KINDS)(
    `${service}:%s:2 changes nothing`,
    async (kind) => {
      baseline ??= await rehearseWith([], SCENARIO(scenario));
      const spec = `${service}:${kind}:2`;
      const report = await rehearseWith([spec], SCENARIO(scenario));
      expectInjected(report, spec);
      expect(outcome(report)).toEqual(outcome(baseline));
    },
    90_000,
  );
});
