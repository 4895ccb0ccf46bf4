import { randomUUID } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { PricingClient } from "@aws-sdk/client-pricing";
import type { PriceTable } from "../../core/cost/schema.ts";
import { SHIPPED_PRICE_TABLE } from "../../core/cost/table.ts";
import { PRICE_LIST_API_REGION, refreshPriceTable } from "../adapters/price-list.ts";
import { type Output, UsageError } from "./output.ts";

export interface PricesRefreshOptions {
  /** Write the table here instead of printing it. */
  readonly out?: string;
  /** Regions to price; default: the shipped table's. */
  readonly region?: readonly string[];
}

export interface PricesRefreshDeps {
  /** A Pricing client; default: one for the Price List API in us-east-1 with the default credential chain. */
  readonly client?: PricingClient;
  readonly base?: PriceTable;
  readonly now?: () => Date;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/**
 * `phantom prices refresh`: rebuilds the price table from the AWS Price List API and prints it (or
 * writes it to `--out`, atomically). Progress and warnings go to stderr. Needs AWS credentials
 * allowed `pricing:GetProducts`; without them it fails with a clear message (exit 2).
 * @see https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-price-list-query-api.html
 */
export async function runPricesRefresh(
  options: PricesRefreshOptions,
  io: Output,
  deps: PricesRefreshDeps = {},
): Promise<void> {
  const base = deps.base ?? SHIPPED_PRICE_TABLE;
  const regions =
    options.region && options.region.length > 0 ? [...new Set(options.region)] : Object.keys(base.regions);
  const bad = regions.filter((r) => !REGION.test(r));
  if (bad.length > 0) {
    throw new UsageError(
      `--region ${bad.map((r) => JSON.stringify(r)).join(", ")}: not an AWS region code (e.g. eu-west-1)`,
    );
  }

  const client = deps.client ?? new PricingClient({ region: PRICE_LIST_API_REGION });
  io.err(`phantom: pricing ${regions.join(", ")} from the AWS Price List API...\n`);
  try {
    const result = await refreshPriceTable({
      client,
      regions,
      base,
      ...(deps.now ? { now: deps.now } : {}),
    });
    const text = `${JSON.stringify(result.table, null, 2)}\n`;
    if (options.out) await writeAtomically(options.out, text);
    else io.out(text);
    for (const warning of result.warnings) io.err(`phantom: warning: ${warning}\n`);
    const carried =
      result.carriedOver.length > 0
        ? `; ${result.carriedOver.length} entries not in the API's answer were carried over (listed under "derived")`
        : "";
    io.err(
      `phantom: ${regions.length} region(s) priced in ${result.requests} request(s), retrieved ${result.table.retrieved}` +
        `${carried}${options.out ? `; written to ${options.out}` : ""}\n`,
    );
  } finally {
    if (!deps.client) client.destroy();
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    await writeFile(temp, text, "utf8");
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
