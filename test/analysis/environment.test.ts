import { describe, expect, it } from "vitest";
import { environmentOf, normalizeEnvironment } from "../../core/analysis/environment.ts";

/**
 * The stack's environment (DESIGN §3 "Severity"): the configured one, else the stack tag `env` or
 * `environment` (any case), else unknown.
 */

describe("environmentOf", () => {
  it("takes the configured environment over the stack's tags", () => {
    expect(environmentOf("prod", { env: "dev" })).toBe("prod");
    expect(environmentOf("development", { Environment: "production" })).toBe("dev");
  });

  it.each([
    ["env", "prod", "prod"],
    ["Environment", "production", "prod"],
    ["ENV", "PRD", "prod"],
    ["environment", "Live", "prod"],
    ["ENVIRONMENT", "staging", "staging"],
    ["Env", "uat", "staging"],
    ["eNv", "Development", "dev"],
  ])("reads the stack tag %s=%s when nothing is configured", (key, value, expected) => {
    expect(environmentOf(undefined, { Name: "payments", [key]: value })).toBe(expected);
  });

  it("maps the tag through the aliases", () => {
    expect(environmentOf(undefined, { Team: "payments", environment: "Production" })).toBe("prod");
    expect(environmentOf(undefined, { ENV: "stage" })).toBe("staging");
    expect(environmentOf(undefined, { Env: " QA " })).toBe("dev");
  });

  it("ignores tags that are not env or environment", () => {
    expect(
      environmentOf(undefined, { Stage: "prod", "aws:cloudformation:stack-name": "payments-prod" }),
    ).toBe("unknown");
    expect(environmentOf(undefined, { environment_name: "prod" })).toBe("unknown");
  });

  it("is unknown without configuration or tag, and for an unknown word", () => {
    expect(environmentOf(undefined, {})).toBe("unknown");
    expect(environmentOf(undefined, { env: "payments" })).toBe("unknown");
    expect(environmentOf("blue", { env: "prod" })).toBe("unknown");
  });
});

describe("normalizeEnvironment", () => {
  it.each([
    ["prod", "prod"],
    ["production", "prod"],
    ["prd", "prod"],
    ["live", "prod"],
    ["PRODUCTION", "prod"],
    ["staging", "staging"],
    ["stage", "staging"],
    ["stg", "staging"],
    ["preprod", "staging"],
    ["pre-prod", "staging"],
    ["uat", "staging"],
    ["dev", "dev"],
    ["development", "dev"],
    ["test", "dev"],
    ["testing", "dev"],
    ["qa", "dev"],
    ["sandbox", "dev"],
    ["  Dev\t", "dev"],
    ["production-eu", "unknown"],
    ["", "unknown"],
    [undefined, "unknown"],
  ] as const)("%j ► %s", (value, expected) => {
    expect(normalizeEnvironment(value)).toBe(expected);
  });
});
