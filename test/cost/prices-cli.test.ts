import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PricingClient } from "@aws-sdk/client-pricing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PriceTableError, parsePriceTable } from "../../core/cost/schema.ts";
import { SHIPPED_PRICE_TABLE } from "../../core/cost/table.ts";
import { loadPriceTableFile } from "../../functions/adapters/price-list.ts";
import { main } from "../../functions/cli/main.ts";
import { runPricesRefresh } from "../../functions/cli/prices.ts";
import { type AwsServer, clientConfig, startAwsServer } from "../support/aws-server.ts";
import { servePriceList, usEast1Catalog } from "./price-list-server.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = path.join(root, "functions/cli/bin.js");

function collector() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

/**
 * Runs the real `phantom` bin with only the given environment (plus PATH): no AWS profile, no
 * instance metadata lookups (AWS_EC2_METADATA_DISABLED), so nothing leaves this machine.
 */
async function phantom(env: Record<string, string>, ...args: string[]) {
  const home = await mkdtemp(path.join(tmpdir(), "phantom-prices-home-"));
  const fullEnv = {
    PATH: process.env.PATH ?? "",
    HOME: home,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: path.join(home, "no-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, "no-credentials"),
    ...env,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root, env: fullEnv });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("phantom prices refresh", () => {
  let server: AwsServer;

  beforeEach(async () => {
    server = await startAwsServer();
  });

  afterEach(async () => {
    await server.close();
    server.verify();
  });

  it("prints the rebuilt table on stdout and a summary on stderr", async () => {
    servePriceList(server, usEast1Catalog());
    const client = new PricingClient(clientConfig(server));
    const { io, out, err } = collector();

    await runPricesRefresh({ region: ["us-east-1"] }, io, {
      client,
      now: () => new Date("2026-11-22T00:00:00Z"),
    });
    client.destroy();

    const table = parsePriceTable(JSON.parse(out.join("")));
    expect(Object.keys(table.regions)).toEqual(["us-east-1"]);
    expect(table.retrieved).toBe("2026-11-22");
    expect(table.regions["us-east-1"]?.ec2["t3.xlarge"]).toBe(0.17);
    // Sizes the catalog lacks keep the shipped figures and are declared as carried over.
    expect(table.regions["us-east-1"]?.ec2["r5.large"]).toBe(
      SHIPPED_PRICE_TABLE.regions["us-east-1"]?.ec2["r5.large"],
    );
    expect(table.derived.some((d) => d.section === "ec2" && d.keys?.includes("r5.large"))).toBe(true);
    expect(err.join("")).toMatch(
      /1 region\(s\) priced in \d+ request\(s\), retrieved 2026-11-22; \d+ entries .* carried over/,
    );
  });

  it("rejects a malformed region before calling AWS (exit 1)", async () => {
    const { io, err } = collector();

    const code = await main(["prices", "refresh", "--region", "us-east-1", "Ireland"], io);

    expect(code).toBe(1);
    expect(err.join("")).toContain('--region "Ireland": not an AWS region code');
    expect(server.requests).toEqual([]);
  });

  it("fails with a clear message and exit 2 without credentials", async () => {
    const result = await phantom(
      { AWS_ENDPOINT_URL_PRICING: server.endpoint },
      "prices",
      "refresh",
      "--region",
      "us-east-1",
    );

    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      "phantom: failed: MissingCredentialsError: no AWS credentials: the Price List API needs credentials allowed pricing:GetProducts",
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(server.requests).toEqual([]);
  });

  it("writes the table to --out through the real bin and SDK credential chain", async () => {
    servePriceList(server, usEast1Catalog());
    const dir = await mkdtemp(path.join(tmpdir(), "phantom-prices-"));
    const file = path.join(dir, "price-table.json");

    const result = await phantom(
      {
        AWS_ENDPOINT_URL_PRICING: server.endpoint,
        AWS_ACCESS_KEY_ID: "AKIDTEST",
        AWS_SECRET_ACCESS_KEY: "secret-test",
      },
      "prices",
      "refresh",
      "--region",
      "us-east-1",
      "--out",
      file,
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`written to ${file}`);
    const table = await loadPriceTableFile(file);
    expect(table.regions["us-east-1"]?.rds.postgres["db.r5.large"]).toEqual({ singleAz: 0.25, multiAz: 0.5 });
    expect(
      server.requests.every((r) => r.headers["x-amz-target"] === "AWSPriceListService.GetProducts"),
    ).toBe(true);
  });

  it("loads a refreshed table file, and rejects one that is not a table", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "phantom-prices-"));
    const good = path.join(dir, "good.json");
    const bad = path.join(dir, "bad.json");
    await writeFile(good, JSON.stringify(SHIPPED_PRICE_TABLE));
    await writeFile(bad, "{ nope");

    expect(await loadPriceTableFile(good)).toEqual(SHIPPED_PRICE_TABLE);
    await expect(loadPriceTableFile(bad)).rejects.toBeInstanceOf(PriceTableError);
  });
});
