import type { CloudTrailRecord } from "../change/schema.ts";
import { fieldMatches, stringsAt } from "./path.ts";
import { ec2Ref, physicalId, refFromArn, unownableKind } from "./physical-id.ts";
import type { CatalogEntry, ResourceRef, ResourceSpec } from "./types.ts";

/**
 * `not-found`: no field the entry names holds a usable id. `not-ownable`: every id found names something
 * no stack can own (an AMI, a snapshot): not drift, and not an error in the record either.
 */
export type Resolution =
  | { readonly ok: true; readonly resources: readonly ResourceRef[] }
  | { readonly ok: false; readonly reason: "not-found" | "not-ownable"; readonly error: string };

const EXPLICIT_ROOTS = ["requestParameters.", "responseElements.", "resources[]", "additionalEventData."];

function qualify(path: string): string {
  return path
    .split("|")
    .map((alt) => alt.trim())
    .map((alt) => (EXPLICIT_ROOTS.some((root) => alt.startsWith(root)) ? alt : `requestParameters.${alt}`))
    .join("|");
}

/** The refs a spec yields, and the values it found that name something no stack can own. */
function refsFor(spec: ResourceSpec, record: CloudTrailRecord): { refs: ResourceRef[]; unownable: string[] } {
  const refs: ResourceRef[] = [];
  const unownable: string[] = [];
  if (spec.when !== undefined && !fieldMatches(record, spec.when)) return { refs, unownable };
  for (const raw of stringsAt(record, qualify(spec.from))) {
    const ref =
      spec.type === "arn"
        ? refFromArn(raw)
        : spec.type === "ec2-id"
          ? ec2Ref(raw)
          : { type: spec.type, id: physicalId(spec.type, raw, record) };
    if (ref !== undefined && ref.id !== "") {
      refs.push(ref);
      continue;
    }
    const kind = unownableKind(raw);
    if (kind !== undefined) unownable.push(`${raw.trim()} (${kind})`);
  }
  return { refs, unownable };
}

/**
 * The resources a catalogued call touches, with ids in the form CloudFormation stores.
 * Fails (with a sentence naming the missing field) only when no resource can be identified at all.
 */
export function touchedResources(entry: CatalogEntry, record: CloudTrailRecord): Resolution {
  const seen = new Set<string>();
  const resources: ResourceRef[] = [];
  const unownable: string[] = [];
  for (const spec of entry.touches) {
    const found = refsFor(spec, record);
    unownable.push(...found.unownable);
    for (const ref of found.refs) {
      const key = `${ref.type}\u0000${ref.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      resources.push(ref);
    }
  }
  if (resources.length === 0 && unownable.length > 0) {
    return {
      ok: false,
      reason: "not-ownable",
      error: `${entry.event} names only ${unownable.join(", ")}: no stack can own that`,
    };
  }
  if (resources.length === 0 && entry.touches.length > 0) {
    const wanted = entry.touches.map((s) => qualify(s.from)).join(", ");
    return {
      ok: false,
      reason: "not-found",
      error: `${entry.event}: no resource id found (looked for ${wanted})`,
    };
  }
  return { ok: true, resources };
}
