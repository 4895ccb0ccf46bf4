import { createHash } from "node:crypto";
import { nodeAt, type TemplateNode } from "./tree.ts";
import type { RevertChangeSetInput, RevertedChange, RevertPlan } from "./types.ts";

/**
 * The revert plan: a drift-aware change set (`CreateChangeSet` with `DeploymentMode: REVERT_DRIFT`,
 * `ChangeSetType: UPDATE`) that brings drifted resources back to the template. CloudFormation compares
 * the live state, the previous deployment and the template it is given, and resets what differs.
 * Creating it changes nothing; executing it is a person's decision.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/drift-aware-change-sets.html
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html
 */

/** `--template-body` takes at most 51,200 bytes; larger templates go through S3 (`--template-url`). */
export const TEMPLATE_BODY_LIMIT = 51_200;

/** What the revert plan deploys and where the files are. */
export interface RevertPlanOptions {
  readonly region?: string;
  /** Where the rectified template is, for `--template-body file://…`. */
  readonly templatePath?: string;
  /** Where the environment's parameter file is, for `--parameters file://…`. */
  readonly parametersPath?: string;
  /**
   * The template the change set deploys. Absent: the stack's previous template
   * (`--use-previous-template`), right when the rectification edited nothing.
   */
  readonly templateBody?: string;
  /** Every template parameter; `value` where the rectification changed it, the previous value otherwise. */
  readonly parameters?: readonly { readonly key: string; readonly value?: string }[];
  /** The environment's parameter file entries: passed as they are, instead of `parameters`. */
  readonly parameterFile?: readonly { readonly ParameterKey: string; readonly ParameterValue: string }[];
  readonly capabilities?: readonly ("CAPABILITY_IAM" | "CAPABILITY_NAMED_IAM")[];
}

const IAM_NAME_PROPERTY: Record<string, string> = {
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::User": "UserName",
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
};

/**
 * The capabilities a change set on this template must acknowledge: `CAPABILITY_IAM` for IAM
 * resources, `CAPABILITY_NAMED_IAM` when one has a custom name.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html
 */
export function requiredCapabilities(
  root: TemplateNode | undefined,
): ("CAPABILITY_IAM" | "CAPABILITY_NAMED_IAM")[] {
  const resources = nodeAt(root, ["Resources"]);
  if (resources?.kind !== "map") return [];
  let iam = false;
  let named = false;
  for (const { value } of resources.entries) {
    const type = nodeAt(value, ["Type"]);
    if (type?.kind !== "scalar" || typeof type.value !== "string" || !type.value.startsWith("AWS::IAM::"))
      continue;
    iam = true;
    const nameProperty = IAM_NAME_PROPERTY[type.value];
    if (nameProperty && nodeAt(value, ["Properties", nameProperty]) !== undefined) named = true;
  }
  return named ? ["CAPABILITY_NAMED_IAM"] : iam ? ["CAPABILITY_IAM"] : [];
}

/** Quotes a shell word when it needs it. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function parameterArgs(parameters: RevertChangeSetInput["Parameters"]): string[] {
  const simple = parameters.every(
    (p) => p.ParameterValue === undefined || /^[^,=\s"'\\[\]{}]*$/.test(p.ParameterValue),
  );
  if (!simple) return [shellWord(JSON.stringify(parameters))];
  return parameters.map((p) =>
    shellWord(
      p.ParameterValue !== undefined
        ? `ParameterKey=${p.ParameterKey},ParameterValue=${p.ParameterValue}`
        : `ParameterKey=${p.ParameterKey},UsePreviousValue=true`,
    ),
  );
}

/**
 * Builds the revert plan for the reverted changes of one stack. The change set name and client token
 * are a fingerprint of the stack, the reverted properties and the template, so the same plan always
 * names the same change set (creating it twice finds the first).
 */
export function revertPlan(
  stack: string,
  changes: readonly RevertedChange[],
  options: RevertPlanOptions = {},
): RevertPlan {
  const resources = new Map<string, { logicalId: string; resourceType?: string; propertyPaths: string[] }>();
  for (const c of changes) {
    const entry = resources.get(c.logicalId) ?? {
      logicalId: c.logicalId,
      ...(c.resourceType ? { resourceType: c.resourceType } : {}),
      propertyPaths: [],
    };
    if (!entry.propertyPaths.includes(c.propertyPath)) entry.propertyPaths.push(c.propertyPath);
    resources.set(c.logicalId, entry);
  }

  const fingerprint = createHash("sha256")
    .update(
      JSON.stringify([
        stack,
        [...resources.values()].map((r) => [r.logicalId, [...r.propertyPaths].sort()]),
        options.templateBody ?? null,
        options.parameters ?? null,
        options.parameterFile ?? null,
      ]),
    )
    .digest("hex");
  const changeSetName = `phantom-revert-${fingerprint.slice(0, 12)}`;
  const what = [...resources.values()]
    .map((r) => `${r.logicalId} (${r.propertyPaths.map((p) => p || "whole resource").join(", ")})`)
    .join("; ");
  const description = `Phantom: revert drift on ${what}`;

  const Parameters: RevertChangeSetInput["Parameters"] =
    options.parameterFile?.map((p) => ({ ParameterKey: p.ParameterKey, ParameterValue: p.ParameterValue })) ??
    (options.parameters ?? []).map((p) =>
      p.value !== undefined
        ? { ParameterKey: p.key, ParameterValue: p.value }
        : { ParameterKey: p.key, UsePreviousValue: true },
    );
  const capabilities = options.capabilities ?? [];
  const input: RevertChangeSetInput = {
    StackName: stack,
    ChangeSetName: changeSetName,
    ChangeSetType: "UPDATE",
    DeploymentMode: "REVERT_DRIFT",
    Description: description.length > 1024 ? `${description.slice(0, 1021)}...` : description,
    ClientToken: `phantom-${fingerprint.slice(0, 32)}`,
    ...(options.templateBody === undefined
      ? { UsePreviousTemplate: true }
      : { TemplateBody: options.templateBody }),
    Parameters,
    ...(capabilities.length > 0 ? { Capabilities: capabilities } : {}),
  };

  const templatePath = options.templatePath ?? "template.yaml";
  const args = [
    ["--stack-name", shellWord(stack)],
    ["--change-set-name", changeSetName],
    ["--change-set-type", "UPDATE"],
    ["--deployment-mode", "REVERT_DRIFT"],
    options.templateBody === undefined
      ? ["--use-previous-template"]
      : ["--template-body", shellWord(`file://${templatePath}`)],
    ...(Parameters.length === 0
      ? []
      : options.parameterFile && options.parametersPath
        ? [["--parameters", shellWord(`file://${options.parametersPath}`)]]
        : [["--parameters", ...parameterArgs(Parameters)]]),
    ...(capabilities.length > 0 ? [["--capabilities", ...capabilities]] : []),
    ["--description", shellWord(input.Description)],
    ["--client-token", input.ClientToken],
    ...(options.region ? [["--region", shellWord(options.region)]] : []),
  ];
  const command = ["aws cloudformation create-change-set", ...args.map((a) => `  ${a.join(" ")}`)].join(
    " \\\n",
  );

  const notes = [
    "A drift-aware change set restores every drifted property of every resource in the stack to the template, not only the ones listed: review it " +
      `(aws cloudformation describe-change-set --stack-name ${shellWord(stack)} --change-set-name ${changeSetName}) before executing it.`,
    options.templateBody === undefined
      ? "It deploys the stack's current template unchanged (--use-previous-template) and keeps every parameter value, so it can run at any time."
      : "Run it after the pull request with the rectified template merges: it deploys that template, so legitimized and refactored values stay as they are and only reverted ones are restored.",
    `Phantom never executes it: aws cloudformation execute-change-set --stack-name ${shellWord(stack)} --change-set-name ${changeSetName}`,
  ];
  const bytes =
    options.templateBody === undefined ? 0 : new TextEncoder().encode(options.templateBody).length;
  if (bytes > TEMPLATE_BODY_LIMIT) {
    notes.push(
      `The template is ${bytes.toLocaleString("en-US")} bytes, over the ${TEMPLATE_BODY_LIMIT.toLocaleString("en-US")}-byte limit of --template-body: upload it to S3 and pass --template-url instead.`,
    );
  }
  return { stack, changeSetName, command, input, resources: [...resources.values()], notes };
}
