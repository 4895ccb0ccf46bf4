import { createCatalog } from "../catalog/catalog.ts";
import { compileIgnoreRules } from "../config/ignore.ts";
import type { PhantomConfig } from "../config/schema.ts";
import type { IntakeContext } from "./classify.ts";

/** The intake context for a configuration: the built-in catalog and the config's ignore rules. */
export function catalogContext(config: PhantomConfig): IntakeContext {
  return {
    catalog: createCatalog(),
    ignore: compileIgnoreRules(config.ignore),
    includeServiceAutomation: config.serviceAutomation === "include",
  };
}
