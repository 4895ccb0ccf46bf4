import type { CloudTrailRecord } from "../change/schema.ts";
import { stringsAt } from "./path.ts";
import { ec2Ref, physicalId, refFromArn } from "./physical-id.ts";
import type { CatalogEntry, ResourceRef, ResourceSpec } from "./types.ts";

export type Resolution =
  | { readonly ok: true; readonly resources: readonly ResourceRef[] }
  | { readonly ok: false; readonly error: string };

const EXPLICIT_ROOTS = ["requestParameters.", "responseElements.", "resources[]", "additionalEventData."];

function qualify(path: string): string {
  return path
    .split("|")
    .map((alt) => alt.trim())
    .map((alt) => (EXPLICIT_ROOTS.some((root) => alt.startsWith(root)) ? alt : `requestParameters.${alt}`))
    .join("|");
}

function refsFor(spec: ResourceSpec, record: CloudTrailRecord): ResourceRef[] {
  const refs: ResourceRef[] = [];
  for (const raw of stringsAt(record, qualify(spec.from))) {
    const ref =
      spec.type === "arn"
        ? refFromArn(raw)
        : spec.type === "ec2-id"
          ? ec2Ref(raw)
          : { type: spec.type, id: physicalId(spec.type, raw, record) };
    if (ref !== undefined && ref.id !== "") refs.push(ref);
  }
  return refs;
}

/**
 * The resources a catalogued call touches, with ids in the form CloudFormation stores.
 * Fails (with a sentence naming the missing field) only when no resource can be identified at all.
 */
export function touchedResources(entry: CatalogEntry, record: CloudTrailRecord): Resolution {
  const seen = new Set<string>();
  const resources: ResourceRef[] = [];
  for (const spec of entry.touches) {
    for (const ref of refsFor(spec, record)) {
      const key = `${ref.type}\u0000${ref.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      resources.push(ref);
    }
  }
  if (resources.length === 0 && entry.touches.length > 0) {
    const wanted = entry.touches.map((s) => qualify(s.from)).join(", ");
    return {
      ok: false,
      error: `${entry.event}: no resource id found (looked for ${wanted})`,
    };
  }
  return { ok: true, resources };
}
