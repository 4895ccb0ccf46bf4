import type { ResourceRef } from "../catalog/types.ts";
import type { DriftReport } from "./types.ts";

/** Where a physical resource belongs. */
export interface StackResource {
  readonly stack: string;
  readonly stackId?: string;
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
}

/** Physical id ► owning stack. `undefined` means the resource is not stack-owned (unmanaged). */
export interface StackDirectory {
  lookup(
    resource: ResourceRef,
    where?: { readonly region?: string; readonly account?: string },
  ): Promise<StackResource | undefined>;
}

/** Targeted drift detection: the given logical ids of one stack, and nothing else. */
export interface DriftDetector {
  detect(stack: string, logicalIds: readonly string[]): Promise<DriftReport>;
}
