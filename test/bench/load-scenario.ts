import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { createTagsRecord } from "./cloudtrail.ts";
import { securityGroupStack, securityGroupTemplate } from "./security-group-template.ts";
import { groupId, prng } from "./windows.ts";

/**
 * A generated scenario directory (docs/architecture.md "Scenario directory") for the load figures
 * (BENCHMARKS.md "Load"): `stacks` stacks of `groups` security groups in one account, and `events`
 * console `CreateTags` calls on them over `spanMs`, in bursts. Every stack gets the same number of
 * events: an even-numbered stack in two bursts, an odd one in one. A burst lasts at most
 * {@link BURST_MS}; two bursts of a stack are at least {@link BURST_GAP_MS} apart, so with deliveries
 * up to {@link MAX_LAG_MS} late and a 120 s quiet period each burst is one window, and a window
 * that settled twice or an event that went missing shows. Every `driftEvery`-th stack has its first
 * group recorded `MODIFIED` (a tag changed by hand: a pull request), the rest `IN_SYNC`.
 * Deterministic (mulberry32). Used by test/rehearse/load.test.ts and the `load` part of `npm run bench`.
 */

export const ACCOUNT = "111122223333";
export const REGION = "us-east-1";
const T0 = Date.parse("2026-03-14T03:00:00Z");
const REPO = "acme/load-infra";
/** The quiet period the scenario is written for (`scenario.yaml`). */
export const QUIET_MS = 120_000;
/** The longest delivery lag the bursts leave room for: a later copy may still join its window. */
export const MAX_LAG_MS = 60_000;
/** Longest burst. */
export const BURST_MS = 60_000;
/** Least time from a burst's last event to the next burst's first: lag + quiet + a minute's margin. */
export const BURST_GAP_MS = MAX_LAG_MS + QUIET_MS + 60_000;

export interface LoadScenarioOptions {
  readonly stacks: number;
  /** A multiple of `stacks` (each gets the same number) and, per two-burst stack, of 2. */
  readonly events: number;
  /** From the first to the last possible event; must fit two bursts and their gap. */
  readonly spanMs: number;
  readonly groups: number;
  readonly driftEvery: number;
  readonly seed: number;
}

export interface Burst {
  readonly stack: string;
  readonly events: number;
  readonly firstAt: number;
  readonly lastAt: number;
}

export interface LoadScenario {
  readonly dir: string;
  readonly events: number;
  readonly stacks: readonly string[];
  readonly bursts: readonly Burst[];
  /** Stacks whose first group is recorded `MODIFIED`. */
  readonly drifted: readonly string[];
  /** Each change's `eventID` ► its stack and its time (epoch ms). */
  readonly changes: ReadonlyMap<string, { readonly stack: string; readonly at: number }>;
}

const stackName = (k: number) => `svc-${String(k).padStart(3, "0")}-prod`;

/** Writes the scenario under `root` and answers what it holds. */
export async function writeLoadScenario(root: string, options: LoadScenarioOptions): Promise<LoadScenario> {
  const { stacks: count, events, spanMs, groups } = options;
  const perStack = events / count;
  if (!Number.isInteger(perStack) || perStack % 2 !== 0)
    throw new Error(`events (${events}) must give every one of ${count} stacks an even number`);
  if (spanMs < 2 * BURST_MS + BURST_GAP_MS)
    throw new Error(`spanMs ${spanMs} cannot hold two bursts ${BURST_GAP_MS} ms apart`);
  const dir = path.join(root, `load-${events}x${count}`);
  const random = prng(options.seed);
  const records: Record<string, unknown>[] = [];
  const bursts: Burst[] = [];
  const stacks: string[] = [];
  const drifted: string[] = [];
  const changes = new Map<string, { stack: string; at: number }>();
  const call = (at: number) => ({ at, account: ACCOUNT, region: REGION });
  const burst = (k: number, start: number, size: number) => {
    const name = stackName(k);
    let last = start;
    for (let i = 0; i < size; i++) {
      // Evenly over the burst plus jitter, never past its end.
      const at = start + Math.floor(((i + random()) * BURST_MS) / size);
      const group = groupId(k * groups + Math.floor(random() * groups));
      const record = createTagsRecord(random, call(at), group, {
        key: "IncidentRef",
        value: `INC-${k}-${i}`,
      });
      records.push(record);
      changes.set(String(record.eventID), { stack: name, at });
      last = Math.max(last, at);
    }
    bursts.push({ stack: name, events: size, firstAt: start, lastAt: last });
    return last;
  };
  for (let k = 0; k < count; k++) {
    stacks.push(stackName(k));
    if (k % 2 === 0) {
      // Two bursts: the first early enough that the second fits after the gap.
      const latest = spanMs - 2 * BURST_MS - BURST_GAP_MS;
      const end = burst(k, T0 + Math.floor(random() * latest), perStack / 2);
      const from = end + BURST_GAP_MS;
      burst(k, from + Math.floor(random() * (T0 + spanMs - BURST_MS - from)), perStack / 2);
    } else {
      burst(k, T0 + Math.floor(random() * (spanMs - BURST_MS)), perStack);
    }
  }
  records.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));

  await mkdir(path.join(dir, "events"), { recursive: true });
  await mkdir(path.join(dir, "account/stacks"), { recursive: true });
  await mkdir(path.join(dir, "account/templates"), { recursive: true });
  await writeFile(
    path.join(dir, "scenario.yaml"),
    stringify({
      description: `Generated: ${events} console CreateTags calls on ${count} stacks over ${spanMs / 60_000} minutes, in bursts.`,
      config: { windows: { quietPeriod: `${QUIET_MS / 1000}s`, maxWait: "15m" } },
    }),
  );
  // As CloudTrail delivers to S3: one log file per 5 minutes of calls.
  const files = new Map<string, Record<string, unknown>[]>();
  for (const record of records) {
    const at = Date.parse(String(record.eventTime));
    const slot = new Date(at - (at % 300_000)).toISOString().replace(/[-:]|\.\d{3}/g, "");
    const list = files.get(slot) ?? [];
    list.push(record);
    files.set(slot, list);
  }
  for (const [slot, list] of files) {
    await writeFile(
      path.join(dir, "events", `${ACCOUNT}_CloudTrail_${REGION}_${slot}_load.json`),
      JSON.stringify({ Records: list }),
    );
  }
  for (let k = 0; k < count; k++) {
    const name = stackName(k);
    const stackId = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${name}/5e0c${String(k).padStart(4, "0")}-0a1b-11f1-9c1d-0a1b2c3d4e5f`;
    const isDrifted = k % options.driftEvery === 0;
    if (isDrifted) drifted.push(name);
    await writeFile(
      path.join(dir, "account/stacks", `${name}.json`),
      securityGroupStack(
        name,
        stackId,
        Array.from({ length: groups }, (_, i) => groupId(k * groups + i)),
        { repo: REPO, path: `stacks/${name}.yaml` },
      ),
    );
    await writeFile(
      path.join(dir, "account/templates", `${name}.yaml`),
      securityGroupTemplate(
        name,
        groups,
        { key: "IncidentRef", value: "none" },
        "test/bench/load-scenario.ts",
      ),
    );
    const driftDir = path.join(dir, "account/drift", name);
    await mkdir(driftDir, { recursive: true });
    for (let i = 0; i < groups; i++) {
      const expected = {
        GroupDescription: `${name} group ${i}`,
        Tags: [{ Key: "IncidentRef", Value: "none" }],
      };
      const modified = isDrifted && i === 0;
      const actual = modified ? { ...expected, Tags: [{ Key: "IncidentRef", Value: `INC-${k}` }] } : expected;
      await writeFile(
        path.join(driftDir, `Group${i}.json`),
        JSON.stringify({
          StackResourceDrift: {
            StackId: stackId,
            LogicalResourceId: `Group${i}`,
            PhysicalResourceId: groupId(k * groups + i),
            ResourceType: "AWS::EC2::SecurityGroup",
            ExpectedProperties: JSON.stringify(expected),
            ActualProperties: JSON.stringify(actual),
            PropertyDifferences: modified
              ? [
                  {
                    PropertyPath: "/Tags/0/Value",
                    ExpectedValue: "none",
                    ActualValue: `INC-${k}`,
                    DifferenceType: "NOT_EQUAL",
                  },
                ]
              : [],
            StackResourceDriftStatus: modified ? "MODIFIED" : "IN_SYNC",
            Timestamp: new Date(T0 + spanMs + 300_000).toISOString(),
          },
        }),
      );
    }
  }
  return { dir, events, stacks, bursts, drifted, changes };
}
