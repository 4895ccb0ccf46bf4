import type { RevertPlan } from "./types.ts";

/** What creating a revert change set gave: a new change set, or the one this plan already created. */
export type CreatedChangeSet =
  | {
      readonly kind: "created";
      readonly changeSetName: string;
      readonly id: string;
      readonly stackId?: string;
    }
  | { readonly kind: "exists"; readonly changeSetName: string };

/**
 * Creates drift-aware change sets from revert plans. Creating one changes no resource; no
 * implementation ever executes it.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html
 */
export interface ChangeSets {
  createRevertChangeSet(plan: RevertPlan): Promise<CreatedChangeSet>;
}
