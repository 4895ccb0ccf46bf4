import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { client } from "@datadog/datadog-api-client";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  applyObservability,
  differences,
  type ObservabilityDefinitions,
  readDefinitions,
  withNotifications,
} from "../../functions/adapters/datadog-apply.ts";
import { runDatadogApply } from "../../functions/cli/datadog.ts";
import { UsageError } from "../../functions/cli/output.ts";
import { type FakeDatadog, startFakeDatadog } from "./fake-datadog.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const BIN = path.join(root, "functions/cli/bin.js");
const API_KEY = "0123456789abcdef0123456789abcdef";
const APP_KEY = "fedcba9876543210fedcba9876543210fedcba98";

type Json = Record<string, unknown>;

let fake: FakeDatadog;
let definitions: ObservabilityDefinitions;
let dashboardFile: Json;
let monitorsFile: Json[];

function configuration(server: { url: string }): client.Configuration {
  return client.createConfiguration({
    baseServer: new client.BaseServerConfiguration(server.url, {}),
    authMethods: { apiKeyAuth: API_KEY, appKeyAuth: APP_KEY },
    httpConfig: { compress: false },
  });
}

/** An older version of the managed dashboard: same title, three widgets, another description. */
function olderDashboard(): Json {
  return {
    ...dashboardFile,
    description: "first draft",
    widgets: (dashboardFile.widgets as unknown[]).slice(0, 3),
  };
}

function collector() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

beforeAll(async () => {
  definitions = await readDefinitions();
  dashboardFile = JSON.parse(
    await readFile(new URL("../../functions/observability/dashboard.json", import.meta.url), "utf8"),
  ) as Json;
  monitorsFile = JSON.parse(
    await readFile(new URL("../../functions/observability/monitors.json", import.meta.url), "utf8"),
  ) as Json[];
});

beforeEach(async () => {
  fake = await startFakeDatadog({
    dashboards: [olderDashboard(), { title: "Someone else's", layout_type: "ordered", widgets: [] }],
  });
});

afterEach(async () => {
  await fake.close();
});

describe("phantom datadog apply", () => {
  it("dry run: plans an update for the existing dashboard and creates for the monitors, writing nothing", async () => {
    const report = await applyObservability({
      configuration: configuration(fake),
      definitions,
      dryRun: true,
    });

    expect(report.account).toBe("datadog");
    expect(report.summary).toEqual({ create: 4, update: 1, unchanged: 0 });
    const [dashboard, ...monitors] = report.items;
    expect(dashboard).toMatchObject({
      kind: "dashboard",
      name: "Phantom — CloudFormation drift",
      action: "update",
      id: "abc-def-001",
    });
    expect(dashboard?.differences).toEqual([
      expect.stringMatching(/^description: "first draft" ► "Drift Phantom found/),
      `widgets: 3 items ► ${(dashboardFile.widgets as unknown[]).length} items`,
    ]);
    expect(monitors.map((m) => [m.kind, m.name, m.action])).toEqual(
      monitorsFile.map((m) => ["monitor", m.name, "create"]),
    );
    expect(fake.writes()).toEqual([]);
    expect(fake.unexpected).toEqual([]);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /api/v1/dashboard",
      "GET /api/v1/dashboard/abc-def-001",
      ...monitorsFile.map(() => "GET /api/v1/monitor"),
    ]);
    expect(fake.requests.filter((r) => r.path === "/api/v1/monitor").map((r) => r.query.get("name"))).toEqual(
      monitorsFile.map((m) => m.name),
    );
  });

  it("applies exactly the files, then a second apply finds everything unchanged", async () => {
    const applied: string[] = [];
    const first = await applyObservability({
      configuration: configuration(fake),
      definitions,
      dryRun: false,
      onApplied: (item) => applied.push(`${item.action} ${item.name}`),
    });

    expect(first.summary).toEqual({ create: 4, update: 1, unchanged: 0 });
    expect(fake.writes()).toEqual([
      "PUT /api/v1/dashboard/abc-def-001",
      "POST /api/v1/monitor",
      "POST /api/v1/monitor",
      "POST /api/v1/monitor",
      "POST /api/v1/monitor",
    ]);
    const writes = fake.requests.filter((r) => r.method !== "GET");
    expect(writes[0]?.json).toEqual(dashboardFile);
    expect(writes.slice(1).map((r) => r.json)).toEqual(monitorsFile);
    for (const r of fake.requests) {
      expect(r.headers["dd-api-key"]).toBe(API_KEY);
      expect(r.headers["dd-application-key"]).toBe(APP_KEY);
    }
    expect(first.items.slice(1).map((i) => i.id)).toEqual([5001, 5002, 5003, 5004]);
    expect(applied).toHaveLength(5);

    const before = fake.writes().length;
    const second = await applyObservability({
      configuration: configuration(fake),
      definitions,
      dryRun: false,
    });

    expect(second.summary).toEqual({ create: 0, update: 0, unchanged: 5 });
    expect(second.items.every((i) => i.differences.length === 0)).toBe(true);
    expect(fake.writes()).toHaveLength(before);
    expect(fake.unexpected).toEqual([]);
  });

  it("updates a monitor edited in the UI back to the file, naming the difference", async () => {
    await applyObservability({ configuration: configuration(fake), definitions, dryRun: false });
    const edited = fake.monitors.get(5002);
    if (!edited) throw new Error("monitor 5002 missing");
    fake.monitors.set(5002, {
      ...edited,
      query: "min(last_1h):min:phantom.decision.confidence{*} < 0.1",
      tags: ["x:y"],
    });

    const plan = await applyObservability({ configuration: configuration(fake), definitions, dryRun: true });

    const item = plan.items.find((i) => i.id === 5002);
    expect(item?.action).toBe("update");
    expect(item?.differences).toEqual([
      expect.stringMatching(/^query: "min\(last_1h\):min:phantom.decision.confidence\{\*\} < 0.1" ► /),
      'tags: ["x:y"] ► ["managed-by:phantom","service:phantom"]',
    ]);
  });

  it("plans against an empty account without keys, and refuses to apply without them", async () => {
    const plan = await applyObservability({ definitions, dryRun: true });

    expect(plan.account).toBe("empty");
    expect(plan.summary).toEqual({ create: 5, update: 0, unchanged: 0 });
    await expect(applyObservability({ definitions, dryRun: false })).rejects.toThrow(
      /needs Datadog API and application keys/,
    );
  });
});

describe("runDatadogApply (the CLI action)", () => {
  it("exits 1 with a clear message when keys are missing and it is not a dry run", async () => {
    const { io } = collector();

    await expect(runDatadogApply({}, io, { DD_API_KEY: API_KEY })).rejects.toThrow(UsageError);
    await expect(runDatadogApply({}, io, {})).rejects.toThrow(/DD_API_KEY and DD_APP_KEY must be set/);
  });

  it("dry run without keys says it plans against an empty account", async () => {
    const { io, out, err } = collector();

    await runDatadogApply({ dryRun: true }, io, {});

    expect(err.join("")).toContain("not set: planning against an empty account");
    expect(out.join("")).toContain("Plan: 5 to create, 0 to update, 0 unchanged.");
    expect(fake.requests).toEqual([]);
  });

  it("rejects a site that is not one", async () => {
    const { io } = collector();

    await expect(runDatadogApply({ dryRun: true, site: "https://evil/" }, io, {})).rejects.toThrow(
      /not a Datadog site/,
    );
  });

  it("applies through DD_HOST with --notify, and never prints a key", async () => {
    const { io, out, err } = collector();
    const env = { DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY, DD_HOST: fake.url };

    const report = await runDatadogApply({ notify: ["@slack-oncall"], json: true }, io, env);

    expect(report.summary).toEqual({ create: 4, update: 1, unchanged: 0 });
    const doc = JSON.parse(out.join("")) as { site: string; summary: unknown };
    expect(doc.site).toBe("datadoghq.com");
    const created = fake.requests.filter((r) => r.method === "POST").map((r) => (r.json as Json).message);
    expect(created.every((m) => String(m).endsWith("\n\nNotify: @slack-oncall"))).toBe(true);
    for (const text of [...out, ...err]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(APP_KEY);
    }
  });
});

describe("phantom datadog apply (the bin, as a user runs it)", () => {
  const run = promisify(execFile);
  async function phantom(env: Record<string, string>, ...args: string[]) {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DD_")));
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
        cwd: root,
        env: { ...clean, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  }

  // Each run starts the whole CLI in a fresh Node process: slow on a busy machine, so one run per outcome.
  it("exits 1 without keys", { timeout: 120_000 }, async () => {
    const refused = await phantom({}, "datadog", "apply");

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("DD_API_KEY and DD_APP_KEY must be set");
  });

  it("applies through DD_HOST and exits 0, printing no key", { timeout: 120_000 }, async () => {
    const env = { DD_API_KEY: API_KEY, DD_APP_KEY: APP_KEY, DD_HOST: fake.url, DD_SITE: "datadoghq.eu" };

    const applied = await phantom(env, "datadog", "apply");

    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("Datadog apply on datadoghq.eu");
    expect(applied.stdout).toContain("Applied: 4 created, 1 updated, 0 unchanged.");
    expect(fake.writes()).toHaveLength(5);
    for (const text of [applied.stdout, applied.stderr]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(APP_KEY);
    }
  });
});

describe("differences", () => {
  it("ignores fields only Datadog has, treats null as absent and tags as a set", () => {
    expect(differences({ a: 1, tags: ["b", "a"], n: null }, { a: 1, id: 7, tags: ["a", "b"] })).toEqual([]);
  });

  it("names each path that differs, existing ► desired", () => {
    expect(differences({ a: { b: [1, 2] }, c: "x" }, { a: { b: [1, 3, 4] } })).toEqual([
      "a.b: 3 items ► 2 items",
      "a.b[1]: 3 ► 2",
      'c: (absent) ► "x"',
    ]);
  });

  it("adds notification handles as the last message line", () => {
    const out = withNotifications({ dashboards: [], monitors: [{ name: "m", message: "hello" }] }, [
      "slack-x",
      "@pd",
    ]);

    expect(out.monitors[0]?.message).toBe("hello\n\nNotify: @slack-x @pd");
  });
});
