import { describe, expect, it } from "vitest";
import { jsonLogger } from "../../functions/log.ts";

/** Log lines go to CloudWatch and Datadog: a field never carries a secret (issue 15). */

const PASSWORD = "Zq8-vLm2Rt9xWp4K";

describe("jsonLogger", () => {
  it("redacts secrets in fields by key, by pair and by shape, and keeps the rest", () => {
    const lines: string[] = [];
    const log = jsonLogger(
      (line) => lines.push(line),
      () => 0,
    );

    log.log("warn", "event rejected", {
      stack: "orders-prod",
      error: `connect failed: postgres://orders:${PASSWORD}@db.internal/orders`,
      request: { name: "/prod/db/password", value: PASSWORD, overwrite: true },
      tags: [{ Key: "db_pwd", Value: PASSWORD }],
      header: `Authorization: Bearer ${PASSWORD}`,
    });

    const line = lines.join("");
    expect(line).not.toContain(PASSWORD);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.stack).toBe("orders-prod");
    expect(parsed.error).toBe("connect failed: postgres://[redacted]@db.internal/orders");
    expect(parsed.request).toEqual({ name: "/prod/db/password", value: "[redacted]", overwrite: true });
  });
});
