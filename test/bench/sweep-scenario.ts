import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import { startCloudFormationStandIn } from "../../functions/rehearse/stand-ins/cloudformation.ts";
import { startPlaceRouter } from "../../functions/rehearse/stand-ins/places.ts";
import type { StandIn } from "../../functions/rehearse/stand-ins/stand-in.ts";
import type { Scenario } from "../../functions/replay/scenario.ts";
import { securityGroupStack, securityGroupTemplate } from "./security-group-template.ts";

/**
 * A generated multi-place scenario (docs/architecture.md "Scenario directory", `accounts/<AccountId>/<region>/`)
 * for the sweep figures: `accounts` member accounts × `regions`, each place holding `stacksPerPlace`
 * stacks named as a StackSet names them (`svc-<k>-prod`, the same names in every place, one template per
 * name in one repository), each of `resources` security groups with every resource's drift recorded.
 * No events: the sweep alone runs (`runRehearsal(…, { sweep: true })`). The stack `svc-1-prod` of each
 * of the `driftedAccounts` (in every region) has its first group `MODIFIED` (a tag changed by hand), so
 * the same stack name drifts in several accounts and regions at once; every other resource is `IN_SYNC`. Used by test/rehearse/sweep-scale.test.ts and the `sweep` part of `npm run bench`.
 */

export interface SweepScenarioOptions {
  readonly accounts: number;
  readonly regions: readonly string[];
  readonly stacksPerPlace: number;
  /** Security groups per stack; at most 100 keeps DescribeStackResourceDrifts to one page. */
  readonly resources: number;
  /** Indexes (from 0) of the accounts with one drifted stack in each region. */
  readonly driftedAccounts: readonly number[];
}

export interface SweepScenario {
  readonly dir: string;
  /** Every recorded place's stacks, `<account>/<region>/<stack>`. */
  readonly stacks: readonly string[];
  /** The drifted stacks, `<account>/<region>/<stack>`, and their drifted logical id. */
  readonly drifted: readonly { readonly place: string; readonly stack: string; readonly logicalId: string }[];
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
}

const REPO = "acme/platform-stacks";
const CHECKED_AT = "2026-03-15T04:00:00.000Z";
/** Member accounts: 12 digits, distinct from the rehearsal's central account. */
export const memberAccount = (a: number) => String(210_000_000_000 + a * 7_919);
const DRIFTED_STACK = 1;

const groupIdOf = (account: string, region: string, k: number, i: number) =>
  `sg-${(Number(account.slice(-6)) * 1000 + (region === "us-east-1" ? 0 : 500) + k * 20 + i)
    .toString(16)
    .padStart(17, "0")}`;

/** Writes the scenario under `root` and answers what it holds. */
export async function writeSweepScenario(
  root: string,
  options: SweepScenarioOptions,
): Promise<SweepScenario> {
  if (options.resources > 100) throw new Error("resources must be at most 100 (one drift page)");
  const dir = path.join(
    root,
    `sweep-${options.accounts}x${options.regions.length}x${options.stacksPerPlace}`,
  );
  await mkdir(path.join(dir, "events"), { recursive: true });
  await writeFile(
    path.join(dir, "scenario.yaml"),
    stringify({
      description: `Generated: the weekly sweep over ${options.accounts} accounts × ${options.regions.length} regions × ${options.stacksPerPlace} stacks.`,
      config: { windows: { quietPeriod: "120s", maxWait: "15m" } },
    }),
  );
  const stacks: string[] = [];
  const drifted: { place: string; stack: string; logicalId: string }[] = [];
  const accounts = Array.from({ length: options.accounts }, (_, a) => memberAccount(a));
  for (const [a, account] of accounts.entries()) {
    for (const region of options.regions) {
      const place = path.join(dir, "accounts", account, region);
      await mkdir(path.join(place, "stacks"), { recursive: true });
      await mkdir(path.join(place, "templates"), { recursive: true });
      for (let k = 0; k < options.stacksPerPlace; k++) {
        const name = `svc-${k}-prod`;
        const stackId = `arn:aws:cloudformation:${region}:${account}:stack/${name}/${account.slice(-8)}-0a1b-11f1-9c1d-${String(k).padStart(12, "0")}`;
        const isDrifted = options.driftedAccounts.includes(a) && k === DRIFTED_STACK;
        stacks.push(`${account}/${region}/${name}`);
        if (isDrifted) drifted.push({ place: `${account}/${region}`, stack: name, logicalId: "Group0" });
        await writeFile(
          path.join(place, "stacks", `${name}.json`),
          securityGroupStack(
            name,
            stackId,
            Array.from({ length: options.resources }, (_, i) => groupIdOf(account, region, k, i)),
            { repo: REPO, path: `stacks/svc-${k}.yaml` },
          ),
        );
        await writeFile(
          path.join(place, "templates", `${name}.yaml`),
          securityGroupTemplate(
            name,
            options.resources,
            { key: "Owner", value: "platform" },
            "test/bench/sweep-scenario.ts",
          ),
        );
        const driftDir = path.join(place, "drift", name);
        await mkdir(driftDir, { recursive: true });
        for (let i = 0; i < options.resources; i++) {
          const expected = {
            GroupDescription: `${name} group ${i}`,
            Tags: [{ Key: "Owner", Value: "platform" }],
          };
          const modified = isDrifted && i === 0;
          const actual = modified
            ? { ...expected, Tags: [{ Key: "Owner", Value: "payments-oncall" }] }
            : expected;
          await writeFile(
            path.join(driftDir, `Group${i}.json`),
            JSON.stringify({
              StackResourceDrift: {
                StackId: stackId,
                LogicalResourceId: `Group${i}`,
                PhysicalResourceId: groupIdOf(account, region, k, i),
                ResourceType: "AWS::EC2::SecurityGroup",
                ExpectedProperties: JSON.stringify(expected),
                ActualProperties: JSON.stringify(actual),
                PropertyDifferences: modified
                  ? [
                      {
                        PropertyPath: "/Tags/0/Value",
                        ExpectedValue: "platform",
                        ActualValue: "payments-oncall",
                        DifferenceType: "NOT_EQUAL",
                      },
                    ]
                  : [],
                StackResourceDriftStatus: modified ? "MODIFIED" : "IN_SYNC",
                Timestamp: CHECKED_AT,
              },
            }),
          );
        }
      }
    }
  }
  return { dir, stacks, drifted, accounts, regions: options.regions };
}

/** One place's CloudFormation stand-in, kept so its calls and `Throttling` answers can be read per place. */
export interface PlacedCloudFormation {
  readonly router: StandIn;
  /** `<account>/<region>` ► that place's stand-in (started on the place's first request). */
  readonly places: ReadonlyMap<string, Awaited<ReturnType<typeof startCloudFormationStandIn>>>;
  /** Calls and `Throttling` answers summed over every place, by operation. */
  totals(): { calls: Record<string, number>; throttled: Record<string, number> };
  /** Requests a place's stand-in (or the router) could not serve as CloudFormation would. */
  unexpected(): string[];
  close(): Promise<void>;
}

/**
 * The CloudFormation a multi-place rehearsal starts (one endpoint routing each request to its place's
 * stand-in, `startPlaceRouter`), started here instead so every place's stand-in can throttle and be
 * read: pass its `router.url` as `AWS_ENDPOINT_URL_CLOUDFORMATION` in `runRehearsal`'s `env`.
 * `homeAccount` is the rehearsal's central account (requests signed with its own key).
 */
export async function startPlacedCloudFormation(
  scenario: Scenario,
  options: { homeAccount: string; emptyAccountDir: string; throttle?: { times: number } },
): Promise<PlacedCloudFormation> {
  const places = new Map<string, Awaited<ReturnType<typeof startCloudFormationStandIn>>>();
  const router = await startPlaceRouter({
    homeAccount: options.homeAccount,
    standInAt: async (place) => {
      const recorded = scenario.places?.find((p) => p.account === place.account && p.region === place.region);
      const standIn = await startCloudFormationStandIn({
        accountDir: recorded?.dir ?? options.emptyAccountDir,
        clock: { now: () => Date.parse(CHECKED_AT) },
        ...place,
        ...(options.throttle ? { throttle: options.throttle } : {}),
      });
      places.set(`${place.account}/${place.region}`, standIn);
      return standIn;
    },
  });
  const sum = (maps: Iterable<ReadonlyMap<string, number>>, strip: (k: string) => string) => {
    const out: Record<string, number> = {};
    for (const map of maps) for (const [k, n] of map) out[strip(k)] = (out[strip(k)] ?? 0) + n;
    return out;
  };
  return {
    router,
    places,
    totals: () => ({
      calls: sum(
        [...places.values()].map((s) => s.calls),
        (k) => k,
      ),
      throttled: sum(
        [...places.values()].map((s) => s.throttled),
        (k) => `cloudformation.${k}`,
      ),
    }),
    unexpected: () => [...router.unexpected, ...[...places.values()].flatMap((s) => s.unexpected)],
    async close() {
      await router.close();
      await Promise.allSettled([...places.values()].map((s) => s.close()));
    },
  };
}
