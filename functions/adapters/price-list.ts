import { readFile } from "node:fs/promises";
import { GetProductsCommand, type PricingClient } from "@aws-sdk/client-pricing";
import {
  collectProduct,
  emptyCollection,
  type PriceListQuery,
  priceListQueries,
  type RegionCollection,
  readPriceListItem,
  rebuildPriceTable,
} from "../../core/cost/price-list.ts";
import { type PriceTable, PriceTableError, parsePriceTable } from "../../core/cost/schema.ts";
import { SHIPPED_PRICE_TABLE } from "../../core/cost/table.ts";

/**
 * The AWS Price List Query API endpoint region the refresh talks to by default. The API is served
 * from us-east-1, eu-central-1 and ap-south-1 only, and answers for every region.
 * @see https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-price-list-query-api.html
 */
export const PRICE_LIST_API_REGION = "us-east-1";

/** `GetProducts` returns at most 100 products per page. */
const MAX_PAGE_SIZE = 100;
/** A guard against a service that never stops paging. */
const MAX_PAGES_PER_QUERY = 500;

/** The refresh failed; the message says why in a user's terms, `cause` holds the SDK error. */
export class PriceListError extends Error {
  override readonly name: string = "PriceListError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // An expected failure with a complete message: the CLI prints it without a stack trace.
    this.stack = `${this.name}: ${message}`;
  }
}

/** No AWS credentials could be found for the Price List API. */
export class MissingCredentialsError extends PriceListError {
  override readonly name = "MissingCredentialsError";
  constructor(options?: { cause?: unknown }) {
    super(
      "no AWS credentials: the Price List API needs credentials allowed pricing:GetProducts " +
        "(set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); the shipped table keeps working without them",
      options,
    );
    this.stack = `${this.name}: ${this.message}`;
  }
}

export interface RefreshPriceTableOptions {
  /** A Pricing client (its region is the API endpoint's, not the priced region's). */
  readonly client: PricingClient;
  /** Regions to price, e.g. `["us-east-1", "eu-west-1"]`. */
  readonly regions: readonly string[];
  /** The table whose shape and tracked sizes to rebuild, and whose figures fill gaps; default: shipped. */
  readonly base?: PriceTable;
  /** Today, for `retrieved`; default: the system clock. */
  readonly now?: () => Date;
  /** Products per `GetProducts` page (1–100); default 100. */
  readonly pageSize?: number;
}

export interface RefreshPriceTableResult {
  readonly table: PriceTable;
  /** `GetProducts` calls made. */
  readonly requests: number;
  /** `<region> <path>` entries the API did not return, carried over from the base table. */
  readonly carriedOver: readonly string[];
  /** Figures far from the base table's, and conflicting prices: worth a look before shipping. */
  readonly warnings: readonly string[];
}

/**
 * Rebuilds the price table from the AWS Price List Query API: for each region, pages through
 * `GetProducts` (service codes AmazonEC2, AWSELB, AmazonRDS, AmazonElastiCache, AmazonDynamoDB,
 * `TERM_MATCH` filters, on-demand terms; each `PriceList` entry is a JSON string), and maps the
 * products onto the base table's shape with `retrieved` set to today. Queries run one at a time.
 * @see https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html
 */
export async function refreshPriceTable(options: RefreshPriceTableOptions): Promise<RefreshPriceTableResult> {
  const base = options.base ?? SHIPPED_PRICE_TABLE;
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(options.pageSize ?? MAX_PAGE_SIZE)));
  const retrieved = (options.now?.() ?? new Date()).toISOString().slice(0, 10);
  const collected = new Map<string, RegionCollection>();
  let requests = 0;

  for (const region of options.regions) {
    const collection = emptyCollection();
    collected.set(region, collection);
    for (const query of priceListQueries(region)) {
      for await (const item of products(options.client, query, pageSize, () => requests++)) {
        const product = readPriceListItem(item);
        if (product === undefined) {
          collection.warnings.push(
            `${region} ${query.serviceCode}: a PriceList entry is not a product document`,
          );
          continue;
        }
        collectProduct(region, collection, product);
      }
    }
  }

  const rebuilt = rebuildPriceTable({ base, regions: options.regions, collected, retrieved });
  if (rebuilt.table === undefined) {
    const shown = rebuilt.missing.slice(0, 10).join(", ");
    const more = rebuilt.missing.length > 10 ? ` and ${rebuilt.missing.length - 10} more` : "";
    throw new PriceListError(
      `the Price List API returned no price for ${shown}${more}, and the base table has none to carry over`,
    );
  }
  return { table: rebuilt.table, requests, carriedOver: rebuilt.carriedOver, warnings: rebuilt.warnings };
}

/** Every `PriceList` entry of a query, page after page, as JSON text. */
async function* products(
  client: PricingClient,
  query: PriceListQuery,
  pageSize: number,
  counted: () => void,
): AsyncGenerator<string> {
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES_PER_QUERY; page++) {
    counted();
    const output = await send(client, query, pageSize, token);
    // The SDK hands each entry over as a String object holding the JSON text.
    for (const item of output.PriceList ?? []) yield String(item);
    token = output.NextToken || undefined;
    if (token === undefined) return;
  }
  throw new PriceListError(`${query.serviceCode} ${describe(query)}: more than ${MAX_PAGES_PER_QUERY} pages`);
}

async function send(
  client: PricingClient,
  query: PriceListQuery,
  pageSize: number,
  token: string | undefined,
) {
  try {
    return await client.send(
      new GetProductsCommand({
        ServiceCode: query.serviceCode,
        Filters: Object.entries(query.filters).map(([Field, Value]) => ({
          Type: "TERM_MATCH",
          Field,
          Value,
        })),
        FormatVersion: "aws_v1",
        MaxResults: pageSize,
        ...(token ? { NextToken: token } : {}),
      }),
    );
  } catch (cause) {
    const name = cause instanceof Error ? cause.name : "";
    const message = cause instanceof Error ? cause.message : String(cause);
    if (name === "CredentialsProviderError") throw new MissingCredentialsError({ cause });
    if (name === "AccessDeniedException" || name === "UnrecognizedClientException") {
      throw new PriceListError(
        `the Price List API refused the credentials (${name}: ${message}); they need pricing:GetProducts`,
        { cause },
      );
    }
    throw new PriceListError(
      `GetProducts ${query.serviceCode} ${describe(query)} failed: ${name}: ${message}`,
      {
        cause,
      },
    );
  }
}

function describe(query: PriceListQuery): string {
  return Object.entries(query.filters)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/**
 * Reads a price table written by `phantom prices refresh --out FILE`, validated like the shipped one.
 * Throws `PriceTableError` listing every problem when the file is not a valid table.
 */
export async function loadPriceTableFile(file: string): Promise<PriceTable> {
  const text = await readFile(file, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new PriceTableError(
      [`${file}: not JSON (${cause instanceof Error ? cause.message : String(cause)})`],
      {
        cause,
      },
    );
  }
  return parsePriceTable(json);
}
