import shipped from "./price-table.json" with { type: "json" };
import { type DerivedEntry, type PriceSection, type PriceTable, parsePriceTable } from "./schema.ts";

/**
 * The price table shipped with Phantom (`price-table.json`): on-demand list prices for the main
 * regions, with its `source`, `retrieved` date and `note` beside the figures. Validated once at
 * load, so a bad edit fails loudly. `phantom prices refresh` rebuilds it from the AWS Price List API.
 * @see https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/price-changes.html
 */
export const SHIPPED_PRICE_TABLE: PriceTable = parsePriceTable(shipped);

/**
 * The `derived` entry covering `key` of `section` in `region`, if that figure is not a list price
 * (derived by ratio, or carried over). A key matches exactly, or by prefix when the entry's key ends
 * with a dot (`"m7i."` covers `m7i.large`).
 */
export function derivation(
  table: PriceTable,
  region: string,
  section: PriceSection,
  key: string,
): DerivedEntry | undefined {
  return table.derived.find(
    (d) =>
      d.section === section &&
      d.regions.includes(region) &&
      (d.keys === undefined || d.keys.some((k) => k === key || (k.endsWith(".") && key.startsWith(k)))),
  );
}
