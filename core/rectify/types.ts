import type { DifferenceType } from "../drift/types.ts";

/**
 * What a rectification takes and gives (DESIGN §3 "Revert" and "Rectify edits text"). The decision on
 * each drifted property says what happens to the safe-state template:
 * - `legitimize`: the live value becomes the template's value;
 * - `refactor`: the analyzer's `proposed` value becomes the template's value;
 * - `revert`: the template stays; a drift-aware change set restores the live resource to it.
 */
export const DECISIONS = ["legitimize", "revert", "refactor"] as const;
/** What happens to one drifted property. */
export type Decision = (typeof DECISIONS)[number];

/** One drifted property and the decision on it: a row of `analysis.json`'s `changes[]`. */
export interface RectifyChange {
  readonly logicalId: string;
  /** CloudFormation's JSON-pointer form, relative to `Properties`: `/Tags/1/Value`; `""` is the whole resource. */
  readonly propertyPath: string;
  readonly differenceType: DifferenceType;
  /** The template's value as drift detection resolved it (parameters and intrinsics evaluated). */
  readonly expected: unknown;
  /** The live value. */
  readonly actual: unknown;
  readonly decision: Decision;
  /** The value a `refactor` writes. */
  readonly proposed?: unknown;
  readonly resourceType?: string;
  /**
   * The resource's `ExpectedProperties` / `ActualProperties` from the drift result, when known. They
   * tell which tag (by `Key`) an index-only path like `/Tags/1/Value` means.
   */
  readonly expectedProperties?: unknown;
  readonly actualProperties?: unknown;
  /**
   * Where the difference was found: drift detection (absent), Cloud Control's read of a resource
   * drift detection is blind to (`cloudcontrol`), or the request of a window event (`request`). A
   * rectification treats them all alike; a `cloudcontrol` difference is often on a property the
   * template does not declare at all, which legitimizing writes in.
   */
  readonly source?: "cloudcontrol" | "request";
  /**
   * Set when the template declares the item (or would) as a separate resource attached to this one
   * (core/drift/types.ts): a group's `AWS::EC2::SecurityGroupIngress`, a bucket's `AWS::S3::BucketPolicy`.
   */
  readonly attachment?: { readonly type: string; readonly logicalId?: string };
}

/** A template, the decided changes, and optionally the parameter file and stack (for the revert plan). */
export interface RectifyInput {
  readonly template: {
    readonly text: string;
    /** Detected from the text when absent: a document starting with `{` is JSON. */
    readonly format?: "yaml" | "json";
    /** Where the template lives in its repository (for the revert command's `file://`). */
    readonly path?: string;
  };
  readonly changes: readonly RectifyChange[];
  /**
   * The stack's environment parameter file (`[{"ParameterKey", "ParameterValue"}]`). When given, a
   * value behind `!Ref Parameter` is written here instead of the parameter's `Default`.
   */
  readonly parameters?: { readonly text: string; readonly path?: string };
  /**
   * The stack, for the revert plan and to resolve what the template's expressions evaluate to (a tag
   * whose `Key` is `!Ref TagKey` or `!Sub "${AWS::StackName}-owner"`): `parameters` are the stack's
   * parameter values, which win over the parameter file and the parameters' `Default`.
   */
  readonly stack?: {
    readonly name: string;
    readonly region?: string;
    readonly accountId?: string;
    readonly parameters?: Readonly<Record<string, string>>;
  };
}

/** Where an edit landed. `line` is 1-based, in the new text. */
export type EditTarget =
  | { readonly kind: "template"; readonly path: string; readonly line: number }
  | { readonly kind: "parameter-default"; readonly parameter: string; readonly line: number }
  | { readonly kind: "parameter-file"; readonly parameter: string; readonly line: number };

/** One text edit a change made. */
export interface AppliedEdit {
  readonly action: "set" | "add" | "remove";
  readonly target: EditTarget;
  /** The value written (absent for a removal). */
  readonly value?: unknown;
}

/** A change Phantom wrote (possibly only in part: see `manual` for the rest). */
export interface AppliedChange {
  readonly index: number;
  readonly logicalId: string;
  readonly propertyPath: string;
  readonly decision: "legitimize" | "refactor";
  /** Empty when the template already had the value. */
  readonly edits: readonly AppliedEdit[];
  /** What a reviewer should know (a parameter used elsewhere too, an intrinsic removed with its property). */
  readonly notes: readonly string[];
}

/**
 * A change a person must make, with the reason: Phantom never overwrites an intrinsic function, and a
 * change it cannot apply (a resource or item the template does not have, a tag it cannot match, an
 * edit that would touch a region strict parsers reject) is left here while every other change of the
 * window is still written.
 */
export interface ManualChange {
  readonly index: number;
  readonly logicalId: string;
  readonly propertyPath: string;
  readonly decision: Decision;
  /** One sentence: what to edit, where, and to what. */
  readonly message: string;
}

/** A change left to the revert plan. */
export interface RevertedChange {
  readonly index: number;
  readonly logicalId: string;
  readonly propertyPath: string;
  readonly resourceType?: string;
}

/**
 * A malformed change (not a decision, not a JSON pointer, a refactor without a value) or a template
 * that cannot be read at all: the input is wrong, so nothing is written. A well-formed change the
 * template cannot take is a {@link ManualChange}, never an issue.
 */
export interface RectifyIssue {
  /** The change's position in the input, when the issue is about one change. */
  readonly index?: number;
  readonly logicalId?: string;
  readonly propertyPath?: string;
  readonly message: string;
}

/** The CreateChangeSet input of a revert plan: the SDK's `CreateChangeSetCommandInput` shape, plain data. */
export interface RevertChangeSetInput {
  readonly StackName: string;
  readonly ChangeSetName: string;
  readonly ChangeSetType: "UPDATE";
  readonly DeploymentMode: "REVERT_DRIFT";
  readonly Description: string;
  readonly ClientToken: string;
  readonly UsePreviousTemplate?: boolean;
  readonly TemplateBody?: string;
  readonly Parameters: readonly {
    readonly ParameterKey: string;
    readonly ParameterValue?: string;
    readonly UsePreviousValue?: boolean;
  }[];
  readonly Capabilities?: readonly ("CAPABILITY_IAM" | "CAPABILITY_NAMED_IAM")[];
}

/**
 * The drift-aware change set that restores reverted properties to the template: the exact CLI
 * command and the API input. Phantom may create it (behind a flag); it never executes it.
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/drift-aware-change-sets.html
 */
export interface RevertPlan {
  readonly stack: string;
  readonly changeSetName: string;
  readonly command: string;
  readonly input: RevertChangeSetInput;
  readonly resources: readonly {
    readonly logicalId: string;
    readonly resourceType?: string;
    readonly propertyPaths: readonly string[];
  }[];
  /** Caveats a reviewer must read before executing it. */
  readonly notes: readonly string[];
}

/** What a rectification wrote, left to a person, and left to the revert plan. */
export interface RectifyResult {
  /** The rectified template: byte-identical to the input outside the edited nodes. */
  readonly text: string;
  readonly changed: boolean;
  /** The rectified parameter file, when the rectification changed it. */
  readonly parameters?: string;
  readonly applied: readonly AppliedChange[];
  readonly manual: readonly ManualChange[];
  readonly reverted: readonly RevertedChange[];
  /** Undefined when no change is reverted. */
  readonly revert?: RevertPlan;
  /** Things about the input Phantom left alone (YAML errors a lenient parser accepts). */
  readonly warnings: readonly string[];
}

/** Every problem at once, or the result. */
export type RectifyOutcome =
  | { readonly ok: true; readonly result: RectifyResult }
  | { readonly ok: false; readonly issues: readonly RectifyIssue[] };
