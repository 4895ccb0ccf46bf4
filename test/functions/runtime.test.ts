import { describe, expect, it } from "vitest";
import { defaultBedrockModel } from "../../core/analysis/model.ts";
import { RuntimeConfigError, readRuntimeConfig } from "../../functions/runtime.ts";

const complete = {
  PHANTOM_WINDOWS_TABLE: "phantom-production-WindowsTable-ozxbyqnm",
  PHANTOM_SETTLE_QUEUE_URL:
    "https://sqs.us-east-1.amazonaws.com/111122223333/phantom-production-SettleQueue-xtrhcpwa",
};

function errorOf(env: Record<string, string | undefined>): Error {
  try {
    readRuntimeConfig(env);
  } catch (error) {
    return error as Error;
  }
  throw new Error("readRuntimeConfig accepted the environment");
}

describe("readRuntimeConfig", () => {
  it("reads the table, the settle queue and the region; the window policy is the config file's", () => {
    const config = readRuntimeConfig({ ...complete, AWS_REGION: "us-east-1", HOME: "/home/sbx_user1051" });

    expect(config).toEqual({
      table: complete.PHANTOM_WINDOWS_TABLE,
      settleQueueUrl: complete.PHANTOM_SETTLE_QUEUE_URL,
      eventBus: "default",
      bedrockModel: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      analyzer: "bedrock",
      region: "us-east-1",
      // No accounts named: a one-account deployment, every account served with the function's role.
      reach: { homeRegion: "us-east-1", accounts: [], regions: [], readRoleName: "PhantomReadOnly" },
    });
  });

  it("reads the accounts and regions served and the member read role; a bad id is reported with its variable", () => {
    const config = readRuntimeConfig({
      ...complete,
      AWS_REGION: "eu-west-1",
      PHANTOM_HOME_ACCOUNT: "111111111111",
      PHANTOM_ACCOUNTS: "111111111111, 222222222222,,222222222222",
      PHANTOM_REGIONS: "eu-west-1,us-east-1",
      PHANTOM_READ_ROLE: "PhantomRead",
    });
    expect(config.reach).toEqual({
      homeAccount: "111111111111",
      homeRegion: "eu-west-1",
      accounts: ["111111111111", "222222222222"],
      regions: ["eu-west-1", "us-east-1"],
      readRoleName: "PhantomRead",
    });
    const error = errorOf({ ...complete, PHANTOM_ACCOUNTS: "111111111111,12345", PHANTOM_REGIONS: "mars" });
    expect(error.message).toContain("PHANTOM_ACCOUNTS.1 must be 12-digit account ids");
    expect(error.message).toContain("PHANTOM_REGIONS.0 must be regions such as eu-west-1");
  });

  it("leaves the region to the SDK when AWS_REGION is unset", () => {
    expect(readRuntimeConfig(complete)).not.toHaveProperty("region");
  });

  it("reports every missing variable at once", () => {
    const error = errorOf({ AWS_REGION: "us-east-1" });

    expect(error).toBeInstanceOf(RuntimeConfigError);
    expect(error.name).toBe("RuntimeConfigError");
    expect(error.message).toMatch(/^Phantom's Lambda environment is incomplete: /);
    expect(error.message).toContain("PHANTOM_WINDOWS_TABLE");
    expect(error.message).toContain("PHANTOM_SETTLE_QUEUE_URL");
  });

  it("reports an empty table name and a settle queue that is not a URL, together", () => {
    const error = errorOf({
      PHANTOM_WINDOWS_TABLE: "",
      PHANTOM_SETTLE_QUEUE_URL: "phantom-production-SettleQueue",
    });

    expect(error.message).toBe(
      "Phantom's Lambda environment is incomplete: PHANTOM_WINDOWS_TABLE is required (the DynamoDB windows table name); " +
        "PHANTOM_SETTLE_QUEUE_URL must be the settle queue URL",
    );
  });

  it.each([
    ["90s", 90_000],
    ["3m", 180_000],
    ["1h", 3_600_000],
    ["1500ms", 1_500],
    ["150", 150_000],
    ["2.5m", 150_000],
  ])("parses the duration %s as %i ms", (text, ms) => {
    const config = readRuntimeConfig({ ...complete, PHANTOM_QUIET_PERIOD: text, PHANTOM_MAX_WAIT: text });

    expect(config).toMatchObject({ quietMs: ms, maxWaitMs: ms });
  });

  it.each([
    ["us-east-1", "us."],
    ["us-west-2", "us."],
    ["eu-central-1", "eu."],
    ["ap-southeast-2", "apac."],
    ["sa-east-1", "global."],
    [undefined, "global."],
  ])("picks the inference profile of the home region %s: %s", (region, prefix) => {
    expect(defaultBedrockModel(region)).toBe(`${prefix}anthropic.claude-sonnet-4-5-20250929-v1:0`);
    expect(readRuntimeConfig({ ...complete, ...(region ? { AWS_REGION: region } : {}) }).bedrockModel).toBe(
      defaultBedrockModel(region),
    );
  });

  it("takes one variable for the model, PHANTOM_BEDROCK_MODEL, over the default", () => {
    expect(
      readRuntimeConfig({ ...complete, AWS_REGION: "eu-west-1", PHANTOM_BEDROCK_MODEL: "global.x" })
        .bedrockModel,
    ).toBe("global.x");
  });

  it("reports an unknown analyzer and endpoints that are not URLs with the rest", () => {
    const error = errorOf({
      ...complete,
      PHANTOM_ANALYZER: "gpt",
      GITHUB_API_URL: "ghe",
      DATADOG_HOST: "dd",
    });

    expect(error.message).toContain("PHANTOM_ANALYZER must be bedrock or rules");
    expect(error.message).toContain("GITHUB_API_URL must be a URL");
    expect(error.message).toContain("DATADOG_HOST must be a URL");
  });

  it.each([
    ["PHANTOM_QUIET_PERIOD", "2 minutes"],
    ["PHANTOM_QUIET_PERIOD", "-30s"],
    ["PHANTOM_MAX_WAIT", "15 min"],
    ["PHANTOM_MAX_WAIT", ""],
  ])("rejects %s=%j with a clear error", (name, value) => {
    const error = errorOf({ ...complete, [name]: value });

    expect(error).toBeInstanceOf(RuntimeConfigError);
    expect(error.message).toContain(`${name} ${JSON.stringify(value)} is not a duration`);
  });

  // Regression: found by the handler tests, fixed in the same change.
  it("reports missing variables and bad durations in one error", () => {
    const error = errorOf({
      PHANTOM_SETTLE_QUEUE_URL: complete.PHANTOM_SETTLE_QUEUE_URL,
      PHANTOM_QUIET_PERIOD: "2 minutes",
      PHANTOM_MAX_WAIT: "15 min",
    });

    expect(error.message).toContain("PHANTOM_WINDOWS_TABLE");
    expect(error.message).toContain('PHANTOM_QUIET_PERIOD "2 minutes" is not a duration');
    expect(error.message).toContain('PHANTOM_MAX_WAIT "15 min" is not a duration');
  });

  // Regression: found by the handler tests, fixed in the same change.
  it("says what an unset variable is for", () => {
    const error = errorOf({});

    expect(error.message).toContain("PHANTOM_WINDOWS_TABLE is required (the DynamoDB windows table name)");
    expect(error.message).toContain("PHANTOM_SETTLE_QUEUE_URL must be the settle queue URL");
  });
});
