import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defineApp } from "../../functions/infra/app.ts";
import { IMPLIED_ACTIONS } from "../../functions/infra/iam.ts";
import { DEFAULT_APP_OPTIONS } from "../../functions/infra/options.ts";
import { runRehearsal } from "../../functions/rehearse/rehearse.ts";
import { loadScenario } from "../../functions/replay/scenario.ts";
import { recordingPlatform } from "../infra/recorder.ts";

/**
 * IAM follows use, proven at run time: the rehearsal books every AWS call to the handler that made
 * it, and each call must be an action the SST app grants that very function; and every action the
 * app grants a function is one its handler was seen calling in some rehearsal (or one AWS requires
 * for a call it makes, `IMPLIED_ACTIONS`). test/infra proves the same from the adapters' source.
 */

const SCENARIOS = fileURLToPath(new URL("../../fixtures/scenarios/", import.meta.url));

const HANDLERS = {
  "on-change": "functions/on-change.handler",
  "on-settle": "functions/on-settle.handler",
  "on-sweep": "functions/on-sweep.handler",
} as const;

/** `<stand-in service>.<Operation>` ► the IAM action it needs; GitHub and Datadog are not AWS. */
function actionOf(call: string): string | undefined {
  const [service = "", operation = ""] = call.split(".");
  if (service === "bedrock-runtime")
    return operation === "Converse" ? "bedrock:InvokeModel" : `bedrock:${operation}`;
  if (service === "eventbridge") return `events:${operation}`;
  // Cloud Control API's IAM prefix is `cloudformation` (cloudformation:GetResource).
  if (service === "cloudcontrol") return `cloudformation:${operation}`;
  // SQS authorizes a batch call as its single action (ChangeMessageVisibilityBatch ► ChangeMessageVisibility).
  if (service === "sqs") return `sqs:${operation.replace(/Batch$/, "")}`;
  if (["cloudformation", "dynamodb"].includes(service)) return `${service}:${operation}`;
  return undefined;
}

/** Grants a handler needs only on a path the bundled scenarios do not take, each with the path. */
const CONDITIONAL: Readonly<Record<string, string>> = {
  "cloudformation:ListStackResources":
    "the directory pages ListStackResources for a resource past the first 100 DescribeStackResources returns",
  "dynamodb:DeleteItem":
    "a stack's CloudFormation Stack Status Change drops its cached directory entries (no bundled scenario updates a stack)",
};

function granted(): Map<string, Set<string>> {
  const { platform, recording } = recordingPlatform();
  defineApp(platform, DEFAULT_APP_OPTIONS);
  const functions = [...recording.subscriptions.map((s) => s.fn), ...recording.crons.map((c) => c.fn)];
  return new Map(
    functions.map((f) => [f.handler, new Set(f.permissions.flatMap((p) => p.actions))] as const),
  );
}

describe("IAM follows use, at run time", () => {
  it("grants each function exactly what its handler calls in the rehearsals (with the sweep)", async () => {
    const grants = granted();
    const used = new Map<string, Set<string>>();
    // The last run points the template location at a branch the repository does not have: the file
    // is not there, so the safe state comes from GetTemplate (a path leaving the repository, which
    // this run used, is now refused with the config).
    // sg-ssh-world-cdk-rules is blind to drift detection: on-settle reads the group's live state
    // (cloudcontrol.GetResource) and the stack's resources (ListStackResources).
    const runs = [
      ["payments-3am-incident", {}],
      ["two-stacks-interleaved", {}],
      ["sg-ssh-world-cdk-rules", {}],
      ["payments-3am-incident", { stacks: { "payments-prod": { branch: "no-such-branch" } } }],
    ] as const;
    for (const [name, base] of runs) {
      const scenario = await loadScenario(path.join(SCENARIOS, name), { base });
      const report = await runRehearsal(scenario, { sweep: true });
      expect(report.unexpected).toEqual([]);
      for (const [handler, calls] of Object.entries(report.callsByHandler)) {
        const actions = used.get(handler) ?? new Set<string>();
        for (const call of Object.keys(calls)) {
          const action = actionOf(call);
          if (action) actions.add(action);
        }
        used.set(handler, actions);
      }
    }

    for (const [handler, fn] of Object.entries(HANDLERS)) {
      const allowed = grants.get(fn) ?? new Set();
      const calls = used.get(handler) ?? new Set();
      expect(
        [...calls].filter((a) => !allowed.has(a)),
        `${handler} calls what it is not granted`,
      ).toEqual([]);
      const implied = new Set([...Object.keys(IMPLIED_ACTIONS), ...Object.keys(CONDITIONAL)]);
      expect(
        [...allowed].filter((a) => !calls.has(a) && !implied.has(a)).sort(),
        `${handler} is granted what it never calls`,
      ).toEqual([]);
    }
  });
});
