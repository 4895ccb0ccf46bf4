import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createRulesAnalyst } from "../../core/analysis/rules.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import type { LiveState } from "../../core/drift/live.ts";
import { type LivePorts, type ReactPorts, react } from "../../core/reactor/react.ts";
import { NO_SIGNALS } from "../../core/signals/types.ts";
import type { TemplateSource } from "../../core/template/ports.ts";
import type { Window } from "../../core/window/types.ts";
import { loadRecordedAccount } from "../../functions/replay/recorded-account.ts";
import { recordedTemplateSource } from "../../functions/replay/recorded-templates.ts";
import { VirtualClock } from "../../functions/replay/virtual-time.ts";

/**
 * `react` with the live ports (`ports.live`), over the SSH-to-the-world scenario's recorded account:
 * what it reads and how often when drift detection is blind, that it reads nothing more when it is
 * not, and how a failing read of the stack behaves (a retry) against a failing live read (an answer).
 */

const SCENARIO = fileURLToPath(new URL("../../fixtures/scenarios/sg-ssh-world-cdk-rules/", import.meta.url));
const ACCOUNT = `${SCENARIO}account`;
const STACK = "orders-api-prod";
const AT = Date.parse("2026-12-01T03:06:41Z");

/** The captured AuthorizeSecurityGroupIngress, as a window keeps it. */
function capturedWindow(): Window {
  const line = readFileSync(`${SCENARIO}events/console-session.jsonl`, "utf8")
    .split("\n")
    .find((l) => l.includes('"AuthorizeSecurityGroupIngress"'));
  const detail = (JSON.parse(line ?? "{}") as { detail: Record<string, unknown> }).detail;
  return {
    account: String(detail.recipientAccountId),
    region: String(detail.awsRegion),
    stack: STACK,
    id: `${STACK}-w1`,
    status: "claimed",
    openedAt: AT,
    lastTouchedAt: AT,
    touched: ["AppSecurityGroup"],
    events: [
      {
        key: String(detail.eventID),
        eventID: String(detail.eventID),
        eventName: "AuthorizeSecurityGroupIngress",
        eventSource: "ec2.amazonaws.com",
        eventTime: "2026-12-01T03:06:41Z",
        region: "eu-west-1",
        account: "418273645091",
        actor: { name: "marco.rossi@example.com", console: true },
        resources: [
          {
            logicalId: "AppSecurityGroup",
            physicalId: "sg-0f1e2d3c4b5a69788",
            type: "AWS::EC2::SecurityGroup",
          },
        ],
        request: detail.requestParameters,
      },
    ],
  };
}

interface Counted {
  readonly ports: ReactPorts;
  readonly count: Record<"reads" | "resources" | "parameters" | "templates", number>;
}

async function harness(live: Partial<LivePorts> = {}): Promise<Counted> {
  const account = await loadRecordedAccount(ACCOUNT);
  const clock = new VirtualClock(AT + 120_000);
  const rules = createRulesAnalyst(clock);
  const count = { reads: 0, resources: 0, parameters: 0, templates: 0 };
  const recorded = recordedTemplateSource(ACCOUNT);
  const templates: TemplateSource = {
    read: async (stack, location) => {
      count.templates++;
      return recorded.read(stack, location);
    },
  };
  const state: LiveState = {
    read: async (resource) => {
      count.reads++;
      return account.live.read(resource);
    },
  };
  const ports: ReactPorts = {
    drift: account.drift,
    live: {
      state,
      resources: async (stack) => {
        count.resources++;
        return account.resources(stack);
      },
      parameters: async (stack) => {
        count.parameters++;
        return account.parameters(stack);
      },
      ...live,
    },
    tags: { tagsOf: async (stack) => account.stackTags(stack) },
    templates: { repository: templates },
    signals: { around: async () => NO_SIGNALS },
    analyst: rules,
    fallback: rules,
    changeRequests: { ensure: async () => ({ kind: "created", number: 1, url: "https://example.com/pr/1" }) },
    metrics: { emit: async () => {} },
    events: { driftAnalyzed: async () => {} },
    config: DEFAULT_CONFIG,
    clock,
  };
  return { ports, count };
}

const SETTLED = { at: AT + 120_000, reason: "quiet" } as const;

describe("react with the live ports", () => {
  it("reads the blind spot once, with the stack's resources and parameters, and the template only once for both uses", async () => {
    const { ports, count } = await harness();

    const reaction = await react(capturedWindow(), SETTLED, ports);

    expect(count).toEqual({ reads: 1, resources: 1, parameters: 1, templates: 1 });
    expect(reaction.report.detection.liveReads).toBe(1);
    expect(reaction.report.changes.map((c) => [c.propertyPath, c.source])).toEqual([
      ["/SecurityGroupIngress/2", "cloudcontrol"],
    ]);
    expect(reaction.publication.kind).toBe("pull-request");
  });

  it("reads nothing live for the sweep's window (drift already found, no events) or a window without blind spots", async () => {
    const { ports, count } = await harness();
    const account = await loadRecordedAccount(ACCOUNT);
    const swept: Window = { ...capturedWindow(), id: "sweep-orders-api-prod", events: [] };
    const modified = {
      resources: [
        {
          logicalId: "AppSecurityGroup",
          type: "AWS::EC2::SecurityGroup",
          physicalId: "sg-0f1e2d3c4b5a69788",
          status: "MODIFIED" as const,
          differences: [
            { path: "/GroupDescription", type: "NOT_EQUAL" as const, expected: "a", actual: "b" },
          ],
        },
      ],
      calls: 1,
    };

    await react(swept, { at: SETTLED.at, reason: "sweep" }, ports, modified);
    await react(capturedWindow(), SETTLED, ports, modified);
    const inSync = await account.drift.detect(STACK, ["AppSecurityGroup"]);
    await react({ ...capturedWindow(), events: [] }, SETTLED, ports, inSync);

    expect({ reads: count.reads, resources: count.resources, parameters: count.parameters }).toEqual({
      reads: 0,
      resources: 0,
      parameters: 0,
    });
  });

  it("throws when the stack's resources cannot be read (the settle is retried): a guess at !Ref would be noise", async () => {
    const { ports } = await harness({
      resources: async () => {
        throw new Error("StackReadError: cannot read the resources of stack orders-api-prod: Throttling");
      },
    });

    await expect(react(capturedWindow(), SETTLED, ports)).rejects.toThrow("cannot read the resources");
  });

  it("finishes when the live read itself fails, even by throwing: the request is compared and the resource says why", async () => {
    const { ports } = await harness({
      state: {
        read: async () => {
          throw new Error("socket hang up");
        },
      },
    });

    const reaction = await react(capturedWindow(), SETTLED, ports);

    const resource = reaction.report.resources.find((r) => r.logicalId === "AppSecurityGroup");
    expect(resource?.note).toContain("socket hang up");
    expect(reaction.report.changes.map((c) => [c.propertyPath, c.source])).toEqual([
      ["/SecurityGroupIngress/2", "request"],
    ]);
  });
});
