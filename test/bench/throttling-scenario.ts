import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { createTagsRecord } from "./cloudtrail.ts";
import { securityGroupStack, securityGroupTemplate } from "./security-group-template.ts";
import { groupId, prng } from "./windows.ts";

/**
 * A generated scenario directory (docs/architecture.md "Scenario directory") for the throttling
 * figures: one stack of `resources` security groups, and a burst of `events` console `CreateTags`
 * calls on `touched` of them (an engineer's script re-tagging groups during an incident), spread
 * evenly over `spanMs`. The first `modified` touched groups are recorded `MODIFIED` (their tag no
 * longer matches the template), the rest `IN_SYNC`. Deterministic (mulberry32, seed 14).
 * Used by test/rehearse/throttling.test.ts and the `throttling` part of `npm run bench`.
 */

export const ACCOUNT = "111122223333";
export const REGION = "us-east-1";
export const STACK = "burst-prod";
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK}/2d4c6e80-0a1b-11f1-9c1d-0a1b2c3d4e5f`;
const T0 = Date.parse("2026-03-14T03:00:00Z");

export interface ThrottlingScenarioOptions {
  readonly events: number;
  /** Security groups in the stack; at most 100 keeps the lookup to one DescribeStackResources. */
  readonly resources: number;
  readonly touched: number;
  readonly modified: number;
  readonly spanMs: number;
}

export interface ThrottlingScenario {
  readonly dir: string;
  readonly events: number;
  /** Logical ids the burst touched. */
  readonly touched: readonly string[];
}

/** Writes the scenario under `root` and answers what it holds. */
export async function writeThrottlingScenario(
  root: string,
  options: ThrottlingScenarioOptions,
): Promise<ThrottlingScenario> {
  const dir = path.join(root, `burst-${options.events}`);
  const random = prng(14);
  const touched = Array.from({ length: options.touched }, (_, k) =>
    Math.floor((k * options.resources) / options.touched),
  );
  const last = new Map<number, string>();
  const records = [];
  for (let i = 0; i < options.events; i++) {
    const at = T0 + Math.floor((i * options.spanMs) / options.events);
    const index = touched[i % touched.length] ?? 0;
    const value = `INC-${1000 + i}`;
    last.set(index, value);
    records.push(
      createTagsRecord(random, { at, account: ACCOUNT, region: REGION }, groupId(index), {
        key: "IncidentRef",
        value,
      }),
    );
  }
  for (const sub of ["events", "account/stacks", "account/templates", `account/drift/${STACK}`])
    await mkdir(path.join(dir, sub), { recursive: true });
  await writeFile(
    path.join(dir, "scenario.yaml"),
    stringify({
      description: `Generated: ${options.events} console CreateTags calls on ${options.touched} of the ${options.resources} groups of ${STACK}.`,
      config: { windows: { quietPeriod: "120s", maxWait: "15m" } },
    }),
  );
  await writeFile(
    path.join(dir, "events", `${ACCOUNT}_CloudTrail_${REGION}_20260314T0300Z_burst.json`),
    JSON.stringify({ Records: records }),
  );
  await writeFile(
    path.join(dir, "account/stacks", `${STACK}.json`),
    securityGroupStack(
      STACK,
      STACK_ID,
      Array.from({ length: options.resources }, (_, i) => groupId(i)),
      { repo: "acme/burst-infra", path: `stacks/${STACK}.yaml` },
    ),
  );
  await writeFile(
    path.join(dir, "account/templates", `${STACK}.yaml`),
    securityGroupTemplate(
      STACK,
      options.resources,
      { key: "IncidentRef", value: "none" },
      "test/bench/throttling-scenario.ts",
    ),
  );
  const checkedAt = new Date(T0 + options.spanMs + 150_000).toISOString();
  for (const [k, index] of touched.entries()) {
    const expected = {
      GroupDescription: `${STACK} group ${index}`,
      Tags: [{ Key: "IncidentRef", Value: "none" }],
    };
    const modified = k < options.modified;
    const actual = modified
      ? { ...expected, Tags: [{ Key: "IncidentRef", Value: last.get(index) }] }
      : expected;
    await writeFile(
      path.join(dir, `account/drift/${STACK}`, `Group${index}.json`),
      JSON.stringify({
        StackResourceDrift: {
          StackId: STACK_ID,
          LogicalResourceId: `Group${index}`,
          PhysicalResourceId: groupId(index),
          ResourceType: "AWS::EC2::SecurityGroup",
          ExpectedProperties: JSON.stringify(expected),
          ActualProperties: JSON.stringify(actual),
          PropertyDifferences: modified
            ? [
                {
                  PropertyPath: "/Tags/0/Value",
                  ExpectedValue: "none",
                  ActualValue: last.get(index),
                  DifferenceType: "NOT_EQUAL",
                },
              ]
            : [],
          StackResourceDriftStatus: modified ? "MODIFIED" : "IN_SYNC",
          Timestamp: checkedAt,
        },
      }),
    );
  }
  return { dir, events: options.events, touched: touched.map((i) => `Group${i}`) };
}
