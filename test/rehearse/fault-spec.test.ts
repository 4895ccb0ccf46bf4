import { describe, expect, it } from "vitest";
import { main } from "../../functions/cli/main.ts";
import {
  FaultSpecError,
  faultPlan,
  faultReply,
  formatFaultSpec,
  parseFaultSpec,
} from "../../functions/rehearse/faults.ts";
import { lostWindows } from "../../functions/rehearse/rehearse.ts";
import { THREE_AM } from "./fault-matrix.ts";

/** `phantom rehearse --fault SPEC`: what a spec means, and a clear usage error for one that means nothing. */

describe("parseFaultSpec", () => {
  it.each([
    ["eventbridge.*:5xx", { kind: "service", service: "eventbridge", operation: "*", fault: "5xx" }],
    [
      "dynamodb.UpdateItem:throttle:3",
      { kind: "service", service: "dynamodb", operation: "UpdateItem", fault: "throttle", times: 3 },
    ],
    [
      "github.pulls/create:timeout:1",
      { kind: "service", service: "github", operation: "pulls/create", fault: "timeout", times: 1 },
    ],
    [
      "bedrock-runtime.Converse:reset",
      { kind: "service", service: "bedrock-runtime", operation: "Converse", fault: "reset" },
    ],
    [
      "sts.AssumeRole:5xx:2",
      { kind: "service", service: "sts", operation: "AssumeRole", fault: "5xx", times: 2 },
    ],
    ["crash:on-settle:pull-request", { kind: "crash", handler: "on-settle", step: "pull-request" }],
    ["crash:on-change:timer:6", { kind: "crash", handler: "on-change", step: "timer", times: 6 }],
  ])("%s", (text, spec) => {
    expect(parseFaultSpec(text)).toEqual(spec);
    expect(formatFaultSpec(parseFaultSpec(text))).toBe(text);
  });

  it.each([
    ["", "a service fault has 2 or 3 parts"],
    ["eventbridge", "a service fault has 2 or 3 parts"],
    ["eventbridge.*", "a service fault has 2 or 3 parts"],
    ["s3.PutObject:5xx", 'unknown service "s3"'],
    ["eventbridge.*:explode", 'unknown fault "explode"'],
    ["eventbridge.*:5xx:0", "N must be a whole number from 1 to 999999"],
    ["eventbridge.*:5xx:two", "N must be a whole number"],
    ["eventbridge.*:5xx:1:2", "a service fault has 2 or 3 parts"],
    [".PutEvents:5xx", "is not <service>.<Operation|*>"],
    ["eventbridge.Put Events:5xx", "the operation must be * or an operation name"],
    ["crash:on-settle", "a crash has 3 or 4 parts"],
    ["crash:on-sweep:drift", 'unknown handler "on-sweep"'],
    ["crash:on-settle:touch", 'on-settle has no step "touch"'],
    ["crash:on-change:event:1", 'on-change has no step "event"'],
    ["crash:on-settle:event:-1", "N must be a whole number"],
  ])("%j is refused: %s", (text, why) => {
    expect(() => parseFaultSpec(text)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(text)).toThrow(why);
    expect(() => parseFaultSpec(text)).toThrow(`--fault ${JSON.stringify(text)}`);
  });
});

describe("faultPlan", () => {
  it("fails the first N matching calls, then lets them through, and counts what it injected", () => {
    const plan = faultPlan([
      parseFaultSpec("dynamodb.UpdateItem:throttle:2"),
      parseFaultSpec("dynamodb.*:5xx:1"),
    ]);
    expect(plan.serviceFault("dynamodb", "GetItem")).toBe("5xx");
    expect(plan.serviceFault("dynamodb", "GetItem")).toBeUndefined();
    expect(plan.serviceFault("dynamodb", "UpdateItem")).toBe("throttle");
    expect(plan.serviceFault("sqs", "UpdateItem")).toBeUndefined();
    expect(plan.serviceFault("dynamodb", "UpdateItem")).toBe("throttle");
    expect(plan.serviceFault("dynamodb", "UpdateItem")).toBeUndefined();
    expect(plan.injected()).toEqual({ "dynamodb.GetItem:5xx": 1, "dynamodb.UpdateItem:throttle": 2 });
    expect(plan.holds).toBe(false);
  });

  it("a fault without N never stops; a crash aborts the invocation right after its step", () => {
    const plan = faultPlan([parseFaultSpec("github.*:timeout"), parseFaultSpec("crash:on-settle:event:1")]);
    for (let i = 0; i < 100; i++) expect(plan.serviceFault("github", "pulls/create")).toBe("timeout");
    expect(plan.holds).toBe(true);
    expect(() => plan.afterStep("on-settle", "metrics")).not.toThrow();
    expect(() => plan.afterStep("on-settle", "event")).toThrow(/on-settle crashed right after event/);
    expect(() => plan.afterStep("on-settle", "event")).not.toThrow();
    expect(plan.injected()).toMatchObject({ "crash:on-settle:event": 1, "github.pulls/create:timeout": 100 });
  });

  it("answers a throttle in each service's own shape", () => {
    expect(faultReply("cloudformation", "throttle")).toMatchObject({ status: 400 });
    expect(faultReply("cloudformation", "throttle").body).toContain("<Code>Throttling</Code>");
    expect(faultReply("dynamodb", "throttle").body).toContain("ProvisionedThroughputExceededException");
    expect(faultReply("github", "throttle")).toMatchObject({ status: 403, headers: { "retry-after": "1" } });
    expect(faultReply("datadog", "throttle")).toMatchObject({ status: 429 });
    expect(faultReply("bedrock-runtime", "throttle").headers["x-amzn-errortype"]).toMatch(
      /^ThrottlingException:/,
    );
    expect(faultReply("eventbridge", "5xx").status).toBe(500);
  });
});

describe("phantom rehearse --fault", () => {
  it("exits 1 naming the spec that is wrong, before anything runs", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ["rehearse", THREE_AM, "--fault", "eventbridge.*:5xx", "--fault", "crash:on-settle:teleport"],
      {
        out: (t) => void out.push(t),
        err: (t) => void err.push(t),
      },
    );
    expect(code).toBe(1);
    expect(err.join("")).toContain('--fault "crash:on-settle:teleport": on-settle has no step "teleport"');
    expect(err.join("")).not.toMatch(/\n\s+at /);
    expect(out.join("")).toBe("");
  });

  it("rehearses with the faults and reports them", async () => {
    const out: string[] = [];
    const saved = process.env.PHANTOM_AWS_BACKOFF;
    process.env.PHANTOM_AWS_BACKOFF = "2ms";
    try {
      const code = await main(
        [
          "rehearse",
          THREE_AM,
          "--json",
          "--fault",
          "eventbridge.PutEvents:throttle:2",
          "--fault",
          "crash:on-change:touch:1",
        ],
        {
          out: (t) => void out.push(t),
          err: () => {},
        },
      );
      expect(code).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.PHANTOM_AWS_BACKOFF;
      else process.env.PHANTOM_AWS_BACKOFF = saved;
    }
    const report = JSON.parse(out.join("")) as { faults: Record<string, number>; aborted: number };
    expect(report.faults).toEqual({ "crash:on-change:touch": 1, "eventbridge.PutEvents:throttle": 2 });
    expect(report.aborted).toBe(1);
  }, 60_000);
});

describe("lostWindows", () => {
  const window = (status: string) => ({
    stack: "payments-prod",
    account: "111122223333",
    region: "us-east-1",
    window: `w-${status}`,
    status,
  });

  it("a window left unfinished is lost unless a DLQ message accounts for it", () => {
    expect(lostWindows({ unfinished: [], dlq: { changes: 0, settle: 0 } })).toEqual([]);
    expect(lostWindows({ unfinished: [window("claimed")], dlq: { changes: 0, settle: 1 } })).toEqual([]);
    expect(lostWindows({ unfinished: [window("open")], dlq: { changes: 3, settle: 0 } })).toEqual([]);
    expect(lostWindows({ unfinished: [window("claimed")], dlq: { changes: 2, settle: 0 } })).toEqual([
      window("claimed"),
    ]);
    expect(lostWindows({ unfinished: [window("open")], dlq: { changes: 0, settle: 1 } })).toEqual([
      window("open"),
    ]);
  });
});
