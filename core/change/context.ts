import { type Catalog, createCatalog } from "../catalog/catalog.ts";
import { compileIgnoreRules } from "../config/ignore.ts";
import type { PhantomConfig } from "../config/schema.ts";
import type { IntakeContext } from "./classify.ts";
import { latestEventTimeAt } from "./schema.ts";

let builtIn: Catalog | undefined;
const contexts = new WeakMap<PhantomConfig, IntakeContext>();

/**
 * The intake context for a configuration: the built-in catalog and the config's compiled ignore
 * rules. Built once per config object (handlers call this per message).
 */
export function catalogContext(config: PhantomConfig): IntakeContext {
  let context = contexts.get(config);
  if (context === undefined) {
    builtIn ??= createCatalog();
    context = {
      catalog: builtIn,
      ignore: compileIgnoreRules(config.ignore),
      includeServiceAutomation: config.serviceAutomation === "include",
    };
    contexts.set(config, context);
  }
  return context;
}

/**
 * The intake context for a live reader whose clock reads `nowMs`: a record more than a day after it is
 * rejected as implausible (schema.ts `implausibleTime`). on-change passes its clock. The CLI reads
 * captures offline with {@link catalogContext} and the absolute bounds only: a capture's times are its
 * own, and a scenario written for a later date must replay the same on any machine.
 */
export function intakeContextAt(config: PhantomConfig, nowMs: number): IntakeContext {
  return { ...catalogContext(config), latestEventTime: latestEventTimeAt(nowMs) };
}
