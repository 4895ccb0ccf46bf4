import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createRulesAnalyst } from "../../core/analysis/rules.ts";
import { DEFAULT_CONFIG } from "../../core/config/schema.ts";
import type { DriftDetector } from "../../core/drift/ports.ts";
import type {
  DomainEvents,
  DriftAnalyzed,
  MetricPoint,
  PullRequestRequest,
} from "../../core/publish/ports.ts";
import {
  REVIEW_AFTER_MS,
  type ReactPorts,
  type ReactStep,
  react,
  reviewAt,
} from "../../core/reactor/react.ts";
import { NO_SIGNALS } from "../../core/signals/types.ts";
import type { TemplateSource } from "../../core/template/ports.ts";
import type { Window } from "../../core/window/types.ts";
import { loadRecordedAccount } from "../../functions/replay/recorded-account.ts";
import { recordedTemplateSource } from "../../functions/replay/recorded-templates.ts";
import { VirtualClock } from "../../functions/replay/virtual-time.ts";

/**
 * `react`, the one reaction the Lambdas and replay share: over the 3 AM incident's recorded account
 * with plain-object ports, what it checks, where the safe state comes from, what it publishes, and
 * what it does when a location is missing or a port fails.
 */

const ACCOUNT = fileURLToPath(
  new URL("../../fixtures/scenarios/payments-3am-incident/account", import.meta.url),
);
const T = Date.parse("2026-03-14T03:07:00Z");
const SETTLED = { at: T + 5 * 60_000, reason: "quiet" } as const;
const TOUCHED = ["AppSecurityGroup", "AppServer", "PaymentsDatabase"];
const LOCATION_TAGS = { "phantom:repo": "acme/payments-infra", "phantom:path": "stacks/payments-prod.yaml" };

const window: Window = {
  account: "111122223333",
  region: "us-east-1",
  stack: "payments-prod",
  id: "payments-prod-w1",
  status: "claimed",
  openedAt: T,
  lastTouchedAt: T + 3 * 60_000,
  touched: TOUCHED,
  events: [
    {
      key: "e1",
      eventID: "e1",
      eventName: "AuthorizeSecurityGroupIngress",
      eventSource: "ec2.amazonaws.com",
      eventTime: new Date(T).toISOString(),
      region: "us-east-1",
      actor: {
        name: "sam.rivera@example.com",
        arn: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/sam.rivera@example.com",
        console: true,
      },
      resources: TOUCHED.map((logicalId) => ({
        logicalId,
        physicalId: logicalId,
        type: "AWS::EC2::Instance",
      })),
    },
  ],
};

interface Recorded {
  readonly ports: ReactPorts;
  readonly asked: string[][];
  readonly requests: PullRequestRequest[];
  readonly points: MetricPoint[];
  readonly events: DriftAnalyzed[];
  readonly steps: ReactStep[];
}

async function harness(
  overrides: Omit<Partial<ReactPorts>, "tags"> & {
    stackTags?: Record<string, string>;
    events?: DomainEvents;
  } = {},
): Promise<Recorded> {
  const account = await loadRecordedAccount(ACCOUNT);
  const clock = new VirtualClock(SETTLED.at);
  const rules = createRulesAnalyst(clock);
  const asked: string[][] = [];
  const requests: PullRequestRequest[] = [];
  const points: MetricPoint[] = [];
  const events: DriftAnalyzed[] = [];
  const steps: ReactStep[] = [];
  const drift: DriftDetector = {
    detect: async (stack, ids) => {
      asked.push([...ids]);
      return account.drift.detect(stack, ids);
    },
  };
  const { stackTags, ...rest } = overrides;
  const ports: ReactPorts = {
    drift,
    tags: { tagsOf: async () => ({ env: "production", ...(stackTags ?? LOCATION_TAGS) }) },
    templates: { repository: recordedTemplateSource(ACCOUNT) },
    signals: { around: async () => NO_SIGNALS },
    analyst: rules,
    fallback: rules,
    changeRequests: {
      ensure: async (request) => {
        requests.push(request);
        return { kind: "created", number: 7, url: "https://github.com/acme/payments-infra/pull/7" };
      },
    },
    metrics: { emit: async (batch) => void points.push(...batch) },
    events: { driftAnalyzed: async (event) => void events.push(event) },
    config: DEFAULT_CONFIG,
    clock,
    afterStep: (step) => void steps.push(step),
    ...rest,
  };
  return { ports, asked, requests, points, events, steps };
}

const skippedReasons = (points: readonly MetricPoint[]) =>
  points.filter((p) => p.metric === "phantom.publish.skipped").map((p) => p.tags);

describe("react", () => {
  it("checks exactly the touched ids, then analyses, opens the PR, emits the figures and one event, in that order", async () => {
    const h = await harness();

    const reaction = await react(window, SETTLED, h.ports);

    expect(h.asked).toEqual([TOUCHED]);
    expect(h.steps).toEqual(["drift", "analysis", "pull-request", "metrics", "event"]);
    expect(reaction.template).toEqual({ path: "stacks/payments-prod.yaml", origin: "repository" });
    expect(h.requests).toHaveLength(1);
    const [request] = h.requests;
    expect(request).toMatchObject({
      repo: "acme/payments-infra",
      branch: "phantom/payments-prod",
      marker: { stack: "payments-prod", window: "payments-prod-w1" },
      commitMessage: "phantom: rectify payments-prod drift (payments-prod-w1)",
    });
    expect(request?.labels).toEqual(
      expect.arrayContaining(["phantom", "severity:critical", "decision:revert"]),
    );
    expect(request?.files.map((f) => f.path)).toContain(".phantom/drift/payments-prod/payments-prod-w1.json");
    expect(reaction.publication).toMatchObject({ kind: "pull-request", outcome: { number: 7 } });
    expect(h.points).toEqual(reaction.points);
    expect(h.points.map((p) => p.metric)).toContain("phantom.reaction.seconds");
    expect(skippedReasons(h.points)).toEqual([]);
    expect(h.events).toEqual([
      expect.objectContaining({ prUrl: "https://github.com/acme/payments-infra/pull/7", env: "prod" }),
    ]);
    expect(h.events[0]?.report).toBe(reaction.report);
  });

  it("targets the branch the location names (phantom:ref)", async () => {
    const h = await harness({ stackTags: { ...LOCATION_TAGS, "phantom:ref": "release/2026" } });

    await react(window, SETTLED, h.ports);

    expect(h.requests[0]?.baseBranch).toBe("release/2026");
  });

  it("without a template location: analyses the deployed template, opens no PR and says why", async () => {
    const deployed: TemplateSource = {
      read: async (stack, location) => {
        const found = await recordedTemplateSource(ACCOUNT).read(stack, location);
        return found && { ...found, origin: "deployed" };
      },
    };
    const h = await harness({ stackTags: {}, templates: { deployed } });

    const reaction = await react(window, SETTLED, h.ports);

    expect(h.requests).toEqual([]);
    expect(reaction.template).toEqual({ path: "payments-prod.yaml", origin: "deployed" });
    expect(reaction.publication).toMatchObject({ kind: "skipped", reason: "no-repository" });
    expect(reaction.publication.kind === "skipped" && reaction.publication.detail).toContain("phantom:repo");
    expect(reaction.report.changes.length).toBeGreaterThan(0);
    expect(skippedReasons(h.points)).toEqual([
      ["stack:payments-prod", "env:prod", "account:111122223333", "region:us-east-1", "reason:no-repository"],
    ]);
    expect(h.events).toEqual([expect.objectContaining({ skipped: "no-repository" })]);
  });

  it("never follows a location that leaves the repository: it is reported as unknown", async () => {
    const h = await harness({ stackTags: { ...LOCATION_TAGS, "phantom:path": "../../etc/passwd" } });

    const reaction = await react(window, SETTLED, h.ports);

    expect(h.requests).toEqual([]);
    expect(reaction.publication).toMatchObject({
      kind: "skipped",
      reason: "no-repository",
      detail:
        'tag phantom:path "../../etc/passwd" is not a path inside the repository: it has a ".." segment',
    });
  });

  it.each([
    ["a control character", "main\nrefs/heads/evil"],
    ["a double dot", "main..evil"],
    ["a leading dash", "-f"],
  ])("refuses a phantom:ref with %s", async (_what, ref) => {
    const h = await harness({ stackTags: { ...LOCATION_TAGS, "phantom:ref": ref } });

    const reaction = await react(window, SETTLED, h.ports);

    expect(h.requests).toEqual([]);
    expect(reaction.publication).toMatchObject({ kind: "skipped", reason: "no-repository" });
  });

  it("says the template is missing when the repository has no file at the location", async () => {
    const h = await harness({ templates: { repository: { read: async () => undefined } } });

    const reaction = await react(window, SETTLED, h.ports);

    expect(h.requests).toEqual([]);
    expect(reaction.publication).toMatchObject({
      kind: "skipped",
      reason: "template-missing",
      detail: "stacks/payments-prod.yaml is not on acme/payments-infra",
    });
  });

  it("says pull requests are off when no GitHub credentials were given", async () => {
    const h = await harness({ changeRequests: undefined });
    const { changeRequests: _, ...ports } = h.ports;

    const reaction = await react(window, SETTLED, ports);

    expect(reaction.publication).toMatchObject({ kind: "skipped", reason: "github-disabled" });
    expect(skippedReasons(h.points)).toEqual([
      [
        "stack:payments-prod",
        "env:prod",
        "account:111122223333",
        "region:us-east-1",
        "reason:github-disabled",
      ],
    ]);
  });

  it("finishes when the metrics port fails: the PR and the event still go out, and the loss is reported", async () => {
    const h = await harness({
      metrics: {
        emit: async () => {
          throw new Error("Datadog 503");
        },
      },
    });

    const reaction = await react(window, SETTLED, h.ports);

    expect(h.requests).toHaveLength(1);
    expect(h.events).toHaveLength(1);
    expect(reaction.failed).toEqual([{ step: "metrics", error: "Error: Datadog 503" }]);
  });

  it("fails after the PR when the domain event cannot be published, so the message is retried", async () => {
    const h = await harness({
      events: {
        driftAnalyzed: async () => {
          throw new Error("PutEvents 500");
        },
      },
    });

    await expect(react(window, SETTLED, h.ports)).rejects.toThrow("PutEvents 500");
    expect(h.requests).toHaveLength(1);
    expect(h.steps).toEqual(["drift", "analysis", "pull-request", "metrics"]);
  });

  it("publishes the figures and the event of a window that drifted back: no analysis, no PR", async () => {
    const clean: DriftDetector = {
      detect: async (_stack, ids) => ({
        resources: ids.map((logicalId) => ({ logicalId, status: "IN_SYNC", differences: [] })),
        calls: ids.length,
      }),
    };
    const h = await harness({ drift: clean });

    const reaction = await react(window, SETTLED, h.ports);

    expect(reaction.publication).toEqual({ kind: "in-sync" });
    expect(h.requests).toEqual([]);
    expect(h.steps).toEqual(["drift", "metrics", "event"]);
    expect(h.points.map((p) => p.metric)).toContain("phantom.windows.settled");
    expect(h.events).toHaveLength(1);
  });

  it("reacts to drift the sweep already found without detecting again", async () => {
    const h = await harness();
    const found = await (await loadRecordedAccount(ACCOUNT)).drift.detect("payments-prod", ["AppServer"]);

    const reaction = await react(
      { ...window, touched: ["AppServer"] },
      { at: SETTLED.at, reason: "sweep" },
      h.ports,
      found,
    );

    expect(h.asked).toEqual([]);
    expect(reaction.report.window.settledBy).toBe("sweep");
    expect(reaction.report.changes.every((c) => c.logicalId === "AppServer")).toBe(true);
  });

  it("asks for a review an hour after the incident while the drifted resources' signals are incomplete", async () => {
    const incomplete = {
      monitors: [{ name: "db CPU", status: "Alert", triggeredAt: new Date(T).toISOString() }],
      metrics: [{ resource: "PaymentsDatabase", metric: "aws.rds.cpuutilization", before: 40, during: 95 }],
      notes: [],
    };
    const complete = {
      monitors: [
        {
          name: "db CPU",
          status: "OK",
          triggeredAt: new Date(T).toISOString(),
          resolvedAt: new Date(T + 600_000).toISOString(),
        },
      ],
      metrics: [
        { resource: "PaymentsDatabase", metric: "aws.rds.cpuutilization", before: 40, during: 95, after: 30 },
      ],
      notes: [],
    };
    const withSignals = async (signals: typeof incomplete) =>
      react(window, SETTLED, (await harness({ signals: { around: async () => signals } })).ports);

    const due = reviewAt(await withSignals(incomplete));
    const lastEventAt = Date.parse(window.events.at(-1)?.eventTime ?? "");

    expect(due).toBe(lastEventAt + REVIEW_AFTER_MS);
    expect(reviewAt(await withSignals(complete))).toBeUndefined();
    expect(reviewAt(await react(window, SETTLED, (await harness()).ports))).toBeUndefined();
    const reviewed = await react(
      window,
      { at: SETTLED.at + REVIEW_AFTER_MS, reason: "review" },
      (await harness({ signals: { around: async () => incomplete } })).ports,
    );
    expect(reviewAt(reviewed)).toBeUndefined();
  });
});

describe("react's journal: a retry publishes nothing an earlier attempt published", () => {
  /** A journal in memory, as the window's checkpoints keep it between attempts. */
  function journal(recorded = new Map<string, string>()) {
    return {
      recorded,
      journal: {
        get: (key: string) => recorded.get(key),
        put: async (key: string, value: string) => void recorded.set(key, value),
      },
    };
  }

  it("records the PR, the figures and the event; the retry asks GitHub nothing and sends nothing again", async () => {
    const kept = journal();
    const first = await harness({ journal: kept.journal });
    await react(window, SETTLED, first.ports);
    expect([...kept.recorded.keys()].sort()).toEqual([
      "settle.event",
      "settle.metrics",
      "settle.pull-request",
    ]);

    const retry = await harness({ journal: kept.journal });
    const reaction = await react(window, SETTLED, retry.ports);

    expect(retry.requests).toEqual([]);
    expect(retry.points).toEqual([]);
    expect(retry.events).toEqual([]);
    // The retry's reaction still says what the window published.
    expect(reaction.publication).toMatchObject({
      kind: "pull-request",
      outcome: { kind: "created", url: "https://github.com/acme/payments-infra/pull/7" },
    });
    expect(retry.steps).toEqual(["drift", "analysis", "pull-request", "metrics", "event"]);
  });

  it("a retry whose analysis changed (another fingerprint) brings the PR to it", async () => {
    const kept = journal(
      new Map([
        [
          "settle.pull-request",
          JSON.stringify({ fingerprint: "0ld", outcome: { kind: "created", number: 7, url: "https://x/7" } }),
        ],
      ]),
    );
    const retry = await harness({ journal: kept.journal });
    await react(window, SETTLED, retry.ports);
    expect(retry.requests).toHaveLength(1);
    expect(JSON.parse(kept.recorded.get("settle.pull-request") ?? "{}")).toMatchObject({
      fingerprint: retry.requests[0]?.marker.fingerprint,
    });
  });

  it("the review keeps its own checkpoints: the settle's never silence it", async () => {
    const kept = journal();
    await react(window, SETTLED, (await harness({ journal: kept.journal })).ports);
    const review = await harness({ journal: kept.journal });
    await react(window, { at: SETTLED.at + 3_600_000, reason: "review" }, review.ports);
    expect(review.events).toHaveLength(1);
    expect([...kept.recorded.keys()].filter((k) => k.startsWith("review."))).toHaveLength(3);
  });

  it("a checkpoint that is not ours (unreadable) is ignored: the PR is ensured", async () => {
    const kept = journal(new Map([["settle.pull-request", "{not json"]]));
    const retry = await harness({ journal: kept.journal });
    await react(window, SETTLED, retry.ports);
    expect(retry.requests).toHaveLength(1);
  });

  it("passes the branch step when the PR's commit is on its branch", async () => {
    const h = await harness({
      changeRequests: {
        ensure: async (_request, progress) => {
          await progress?.branchPushed?.();
          return { kind: "created", number: 7, url: "https://github.com/acme/payments-infra/pull/7" };
        },
      },
    });
    await react(window, SETTLED, h.ports);
    expect(h.steps).toEqual(["drift", "analysis", "branch", "pull-request", "metrics", "event"]);
  });
});
