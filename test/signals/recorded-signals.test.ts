import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  loadRecordedSignals,
  loadSignalsFile,
  NO_SIGNALS_RECORDED,
  RecordedSignalsError,
} from "../../functions/replay/recorded-signals.ts";

const at = (hhmm: string) => Date.parse(`2024-05-01T${hhmm}:00Z`);

/** The window of the tests: changes 03:05–03:12, range 01:05–04:12. */
const WINDOW = {
  stack: "payments",
  from: at("01:05"),
  to: at("04:12"),
  firstEventAt: at("03:05"),
  lastEventAt: at("03:12"),
  resources: [{ logicalId: "PaymentsDb", physicalId: "payments-db", type: "AWS::RDS::DBInstance" }],
};

const SIGNALS = {
  monitors: [
    {
      name: "before the range",
      status: "Alert",
      triggeredAt: "2024-05-01T00:10:00Z",
      resolvedAt: "2024-05-01T00:40:00Z",
    },
    {
      name: "Payments DB CPU high",
      status: "Alert",
      priority: 1,
      triggeredAt: "2024-05-01T03:06:00Z",
      resolvedAt: "2024-05-01T03:40:00Z",
      query: "avg(last_5m):avg:aws.rds.cpuutilization{dbinstanceidentifier:payments-db} > 90",
      group: "dbinstanceidentifier:payments-db",
    },
    {
      name: "recovered in the range",
      status: "Alert",
      priority: 2,
      triggeredAt: "2024-05-01T00:50:00Z",
      resolvedAt: "2024-05-01T01:20:00Z",
    },
    { name: "after the range", status: "Warn", triggeredAt: "2024-05-01T05:00:00Z" },
  ],
  metrics: [
    {
      resource: "PaymentsDb",
      metric: "aws.rds.cpuutilization",
      unit: "percent",
      before: 35,
      during: 92,
      peak: 97,
      after: 41,
    },
    { resource: "PAYMENTS-DB", metric: "aws.rds.database_connections", before: 120, during: 350 },
    { resource: "OrdersDb", metric: "aws.rds.cpuutilization", before: 10 },
  ],
  events: [
    { title: "Deployed payments-api 2.14.1", at: "2024-05-01T02:30:00Z", source: "github" },
    { title: "Yesterday's deploy", at: "2024-04-30T02:30:00Z" },
  ],
  notes: ["captured from the Datadog UI by the on-call"],
};

describe("loadRecordedSignals", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "phantom-signals-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("without a clock answers with hindsight, as of the range's end: monitors (by trigger time) and events in range, metrics of the resources asked", async () => {
    // Prepare
    await writeFile(path.join(dir, "signals.json"), JSON.stringify(SIGNALS));

    // Act
    const signals = await loadRecordedSignals(dir);
    const report = await signals.around(WINDOW);

    // Assess
    expect(report).toEqual({
      monitors: [
        {
          name: "recovered in the range",
          status: "Alert",
          priority: 2,
          triggeredAt: "2024-05-01T00:50:00.000Z",
          resolvedAt: "2024-05-01T01:20:00.000Z",
        },
        {
          name: "Payments DB CPU high",
          status: "Alert",
          priority: 1,
          triggeredAt: "2024-05-01T03:06:00.000Z",
          resolvedAt: "2024-05-01T03:40:00.000Z",
          query: "avg(last_5m):avg:aws.rds.cpuutilization{dbinstanceidentifier:payments-db} > 90",
          group: "dbinstanceidentifier:payments-db",
        },
      ],
      metrics: [
        {
          resource: "PaymentsDb",
          metric: "aws.rds.cpuutilization",
          unit: "percent",
          before: 35,
          during: 92,
          peak: 97,
          after: 41,
        },
        // Matched by physical id, reported under the logical id; peak is the highest during point.
        {
          resource: "PaymentsDb",
          metric: "aws.rds.database_connections",
          before: 120,
          during: 350,
          peak: 350,
        },
      ],
      events: [{ title: "Deployed payments-api 2.14.1", at: "2024-05-01T02:30:00.000Z", source: "github" }],
      notes: ["captured from the Datadog UI by the on-call"],
    });
    expect(signals.recorded.monitors).toHaveLength(4);
  });

  it("answers as of its clock at settle time: no hour after, a monitor that recovers later still open", async () => {
    // Prepare: the window settles at 03:14, two minutes after its last event.
    await writeFile(path.join(dir, "signals.json"), JSON.stringify(SIGNALS));
    const clock = { now: () => at("03:14") };

    // Act
    const report = await (await loadRecordedSignals(dir, { clock })).around(WINDOW);

    // Assess
    expect(report.monitors).toEqual([
      {
        name: "recovered in the range",
        status: "Alert",
        priority: 2,
        triggeredAt: "2024-05-01T00:50:00.000Z",
        resolvedAt: "2024-05-01T01:20:00.000Z",
      },
      {
        name: "Payments DB CPU high",
        status: "Alert",
        priority: 1,
        triggeredAt: "2024-05-01T03:06:00.000Z",
        query: "avg(last_5m):avg:aws.rds.cpuutilization{dbinstanceidentifier:payments-db} > 90",
        group: "dbinstanceidentifier:payments-db",
      },
    ]);
    // Only [03:05, 03:10) of the during intervals has closed: one point, so the recorded peak is gone.
    expect(report.metrics).toEqual([
      {
        resource: "PaymentsDb",
        metric: "aws.rds.cpuutilization",
        unit: "percent",
        before: 35,
        during: 92,
        peak: 92,
      },
      {
        resource: "PaymentsDb",
        metric: "aws.rds.database_connections",
        before: 120,
        during: 350,
        peak: 350,
      },
    ]);
    expect(report.events).toEqual([
      { title: "Deployed payments-api 2.14.1", at: "2024-05-01T02:30:00.000Z", source: "github" },
    ]);
    expect(report.notes).toEqual(["captured from the Datadog UI by the on-call"]);
  });

  it("has an after figure once a rollup interval that starts after the last event has closed", async () => {
    await writeFile(path.join(dir, "signals.json"), JSON.stringify(SIGNALS));
    const figures = async (hhmm: string) => {
      const signals = await loadRecordedSignals(dir, { clock: { now: () => at(hhmm) } });
      return (await signals.around(WINDOW)).metrics[0];
    };

    // [03:15, 03:20) starts after the 03:12 event: open at 03:19, closed at 03:20.
    expect(await figures("03:19")).toEqual({
      resource: "PaymentsDb",
      metric: "aws.rds.cpuutilization",
      unit: "percent",
      before: 35,
      during: 92,
      peak: 97,
    });
    expect((await figures("03:20"))?.after).toBe(41);
  });

  it("reads a recovered status as alerting before the recovery, and nothing before anything happened", async () => {
    const file = path.join(dir, "signals.json");
    await writeFile(
      file,
      JSON.stringify({
        monitors: [
          {
            name: "CPU",
            status: "OK",
            triggeredAt: "2024-05-01T03:06:00Z",
            resolvedAt: "2024-05-01T03:40:00Z",
          },
        ],
        metrics: [{ resource: "PaymentsDb", metric: "aws.rds.cpuutilization", during: 92, after: 41 }],
        events: [{ title: "Hotfix deploy", at: "2024-05-01T03:35:00Z" }],
        notes: [],
      }),
    );

    const settled = await (await loadSignalsFile(file, { clock: { now: () => at("03:14") } })).around(WINDOW);
    const early = await (await loadSignalsFile(file, { clock: { now: () => at("01:06") } })).around(WINDOW);

    expect(settled).toEqual({
      monitors: [{ name: "CPU", status: "Alert", triggeredAt: "2024-05-01T03:06:00.000Z" }],
      metrics: [{ resource: "PaymentsDb", metric: "aws.rds.cpuutilization", during: 92, peak: 92 }],
      events: [],
      notes: [],
    });
    expect(early).toEqual({ monitors: [], metrics: [], events: [], notes: [] });
  });

  it("is an empty report with a note when the scenario recorded no signals", async () => {
    const signals = await loadRecordedSignals(dir);
    expect(await signals.around(WINDOW)).toEqual({ monitors: [], metrics: [], notes: [NO_SIGNALS_RECORDED] });
    expect(NO_SIGNALS_RECORDED).toBe("no signals recorded");
  });

  it("matches a metric recorded under the resource's Datadog tag and reports it under the logical id", async () => {
    await writeFile(
      path.join(dir, "signals.json"),
      JSON.stringify({
        metrics: [
          { resource: "dbinstanceidentifier:Payments-DB", metric: "aws.rds.cpuutilization", during: 92 },
          { resource: "instance_id:payments-db", metric: "aws.ec2.cpuutilization", during: 50 },
          { resource: "payments", metric: "aws.rds.freeable_memory", during: 1 },
        ],
      }),
    );

    const report = await (await loadRecordedSignals(dir)).around(WINDOW);

    // Only RDS's own tag key names the instance; a bare substring names nothing.
    expect(report.metrics).toEqual([
      { resource: "PaymentsDb", metric: "aws.rds.cpuutilization", during: 92, peak: 92 },
    ]);
  });

  it("loads a file written the way people write it: P1, lowercase status, epoch seconds", async () => {
    const file = path.join(dir, "signals.json");
    await writeFile(
      file,
      JSON.stringify({
        monitors: [{ name: "DB CPU", status: "alert", priority: "P1", triggeredAt: 1773457080 }],
        metrics: [{ resource: "Db", metric: "aws.rds.cpuutilization", during: "95 %" }],
      }),
    );
    const signals = await loadRecordedSignals(dir);
    expect(signals.recorded.monitors).toEqual([
      { name: "DB CPU", status: "Alert", priority: 1, triggeredAt: "2026-03-14T02:58:00.000Z" },
    ]);
    expect(signals.recorded.metrics).toEqual([
      { resource: "Db", metric: "aws.rds.cpuutilization", during: 95 },
    ]);
  });

  it("rejects an invalid file naming the file and every problem with its path", async () => {
    const file = path.join(dir, "signals.json");
    await writeFile(
      file,
      JSON.stringify({
        monitors: [{ name: "m", status: "Alert", triggeredAt: "3am" }],
        metrics: [{ resource: "Db" }],
      }),
    );
    const error = await loadRecordedSignals(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RecordedSignalsError);
    const invalid = error as RecordedSignalsError;
    expect(invalid.file).toBe(file);
    expect(invalid.issues).toEqual([
      'monitors.0.triggeredAt: expected an ISO 8601 time (e.g. 2024-05-01T03:07:00Z) or epoch seconds or milliseconds (got "3am")',
      "metrics.0.metric: Invalid input: expected string, received undefined",
    ]);
    expect(invalid.message).toBe(
      `${file} is not a valid signals file:\n` +
        '  - monitors.0.triggeredAt: expected an ISO 8601 time (e.g. 2024-05-01T03:07:00Z) or epoch seconds or milliseconds (got "3am")\n' +
        "  - metrics.0.metric: Invalid input: expected string, received undefined",
    );
  });

  it("rejects a file that is not JSON, naming it", async () => {
    const file = path.join(dir, "signals.json");
    await writeFile(file, "{ monitors: [");
    await expect(loadRecordedSignals(dir)).rejects.toThrow(
      `${file} is not a valid signals file:\n  - not JSON:`,
    );
  });

  it("reads a signals file given by path, which must then exist", async () => {
    const file = path.join(dir, "incident-signals.json");
    await expect(loadSignalsFile(file)).rejects.toThrow(
      `${file} is not a valid signals file:\n  - cannot read:`,
    );
    await writeFile(file, JSON.stringify({ notes: ["from the UI"] }));
    const signals = await loadSignalsFile(file);
    expect(await signals.around(WINDOW)).toEqual({ monitors: [], metrics: [], notes: ["from the UI"] });
  });

  it("rejects a signals.json that cannot be read", async () => {
    await mkdir(path.join(dir, "signals.json"));
    await expect(loadRecordedSignals(dir)).rejects.toThrow(
      /signals\.json is not a valid signals file:\n {2}- cannot read:/,
    );
  });
});
