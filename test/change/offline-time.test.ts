import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../functions/cli/main.ts";
import type { Output } from "../../functions/cli/output.ts";

/**
 * A capture read offline is judged by its own times: a scenario dated years after the machine's clock
 * (a clock set wrong, a test written for a later date) reads as it would on any day, and only the
 * absolute bounds reject (issue 15: year 275760).
 */

function record(eventTime: string, eventID: string): string {
  return JSON.stringify({
    eventVersion: "1.08",
    userIdentity: { type: "IAMUser", arn: "arn:aws:iam::123456789012:user/sam", accountId: "123456789012" },
    eventTime,
    eventSource: "ec2.amazonaws.com",
    eventName: "DescribeInstances",
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.9",
    userAgent: "console.amazonaws.com",
    requestParameters: null,
    responseElements: null,
    eventID,
    readOnly: true,
    eventType: "AwsApiCall",
    recipientAccountId: "123456789012",
  });
}

describe("phantom inspect on times past the machine's clock", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "phantom-offline-time-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("judges a record dated years ahead like any other, and rejects only past year 9999", async () => {
    const ahead = new Date(Date.now() + 3 * 365 * 24 * 3_600_000).toISOString();
    const file = path.join(scratch, "ahead.jsonl");
    await writeFile(
      file,
      [
        record(ahead, "11111111-1111-4111-8111-111111111111"),
        record("+275760-09-13T00:00:00.000Z", "22222222-2222-4222-8222-222222222222"),
      ].join("\n"),
    );
    let out = "";
    const io: Output = { out: (t) => (out += t), err: () => {} };
    await main(["inspect", "--json", file], io);
    const lines = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { verdict: string; eventTime: string | null; reason?: string });
    expect(lines.map((l) => l.verdict)).toEqual(["ignored", "rejected"]);
    expect(lines[1]?.reason).toContain("eventTime");
  });
});
