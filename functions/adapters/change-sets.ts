import { type CloudFormationClient, CreateChangeSetCommand } from "@aws-sdk/client-cloudformation";
import type { ChangeSets, CreatedChangeSet } from "../../core/rectify/ports.ts";
import { TEMPLATE_BODY_LIMIT } from "../../core/rectify/revert-plan.ts";
import type { RevertPlan } from "../../core/rectify/types.ts";
import { describeError, errorName } from "./cloudformation.ts";

/** The change set could not be created (validation, permissions, a template over the size limit). */
export class ChangeSetError extends Error {
  override readonly name = "ChangeSetError";
}

/**
 * The real `ChangeSets`: `CreateChangeSet` with the plan's input (`DeploymentMode: REVERT_DRIFT`).
 * It never calls `ExecuteChangeSet`. The change set name and client token come from the plan's
 * fingerprint, so creating the same plan twice finds the first change set (`AlreadyExistsException`)
 * instead of making another.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html
 */
export function createChangeSets(deps: { readonly client: CloudFormationClient }): ChangeSets {
  return {
    async createRevertChangeSet(plan: RevertPlan): Promise<CreatedChangeSet> {
      const { input } = plan;
      const body = input.TemplateBody;
      if (body !== undefined && new TextEncoder().encode(body).length > TEMPLATE_BODY_LIMIT) {
        throw new ChangeSetError(
          `the rectified template is over the ${TEMPLATE_BODY_LIMIT}-byte TemplateBody limit: upload it to S3 and create the change set with --template-url`,
        );
      }
      const { Capabilities, Parameters, ...rest } = input;
      try {
        const output = await deps.client.send(
          new CreateChangeSetCommand({
            ...rest,
            Parameters: Parameters.map((p) => ({ ...p })),
            ...(Capabilities ? { Capabilities: [...Capabilities] } : {}),
          }),
        );
        return {
          kind: "created",
          changeSetName: input.ChangeSetName,
          id: output.Id ?? input.ChangeSetName,
          ...(output.StackId ? { stackId: output.StackId } : {}),
        };
      } catch (error) {
        if (errorName(error) === "AlreadyExistsException")
          return { kind: "exists", changeSetName: input.ChangeSetName };
        throw new ChangeSetError(
          `CreateChangeSet ${input.ChangeSetName} on ${input.StackName} failed: ${describeError(error)}`,
          {
            cause: error,
          },
        );
      }
    },
  };
}
