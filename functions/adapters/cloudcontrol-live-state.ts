import { type CloudControlClient, GetResourceCommand } from "@aws-sdk/client-cloudcontrol";
import type { LiveRead, LiveState } from "../../core/drift/live.ts";
import { errorMessage, errorName, isThrottling } from "./cloudformation.ts";

/**
 * The live state of a stack resource through AWS Cloud Control API (`GetResource`), for the
 * resources drift detection is blind to (core/drift/live.ts reads only those). Cloud Control runs the
 * type's read handler and answers the resource's properties in its CloudFormation schema shape, so
 * they compare with the template property for property.
 *
 * A read never throws: every failure is an `unavailable` answer with its reason, and the reaction
 * compares the window's requests instead. `TypeNotFoundException` (a type Cloud Control does not
 * know) is `unsupported-type`, `UnsupportedActionException` (a type without a read handler)
 * `unsupported-action`, `ResourceNotFoundException` `not-found`, throttling past the SDK's retries
 * `throttled`, and anything else (a handler failure, 5xx, access denied, Properties that are not a
 * JSON object, the network) `failed`.
 * @see https://docs.aws.amazon.com/cloudcontrolapi/latest/APIReference/API_GetResource.html
 * @see https://docs.aws.amazon.com/cloudcontrolapi/latest/userguide/resource-operations-read.html
 */

export type LiveReadFailure = Extract<LiveRead, { kind: "unavailable" }>;

/**
 * Cloud Control's errors (the `@aws-sdk/client-cloudcontrol` model): HTTP status, and what a read
 * that failed with it means. The stand-in answers with these statuses; replay maps a recorded error
 * through the same table, so replay and rehearsal give the same reason.
 */
export const CLOUD_CONTROL_ERRORS: Readonly<
  Record<string, { readonly status: number; readonly reason: LiveReadFailure["reason"] }>
> = {
  ResourceNotFoundException: { status: 404, reason: "not-found" },
  TypeNotFoundException: { status: 404, reason: "unsupported-type" },
  UnsupportedActionException: { status: 405, reason: "unsupported-action" },
  ThrottlingException: { status: 429, reason: "throttled" },
  AlreadyExistsException: { status: 400, reason: "failed" },
  GeneralServiceException: { status: 400, reason: "failed" },
  HandlerFailureException: { status: 502, reason: "failed" },
  HandlerInternalFailureException: { status: 502, reason: "failed" },
  InvalidCredentialsException: { status: 401, reason: "failed" },
  InvalidRequestException: { status: 400, reason: "failed" },
  NetworkFailureException: { status: 502, reason: "failed" },
  NotStabilizedException: { status: 400, reason: "failed" },
  NotUpdatableException: { status: 400, reason: "failed" },
  PrivateTypeException: { status: 400, reason: "failed" },
  ResourceConflictException: { status: 409, reason: "failed" },
  ServiceInternalErrorException: { status: 502, reason: "failed" },
  ServiceLimitExceededException: { status: 400, reason: "failed" },
};

/** What a resource is called in a live read's detail: `AWS::EC2::SecurityGroup sg-0abc`. */
export interface LiveReadTarget {
  readonly type: string;
  readonly physicalId: string;
}

/**
 * The answer to a read that failed with `code` (a Cloud Control error code, another AWS error code,
 * or `Error`). The detail names the resource and Cloud Control's own words.
 */
export function liveReadFailure(target: LiveReadTarget, code: string, message: string): LiveReadFailure {
  const reason = Object.hasOwn(CLOUD_CONTROL_ERRORS, code)
    ? (CLOUD_CONTROL_ERRORS[code]?.reason ?? "failed")
    : "failed";
  const said = message === "" || message === code ? code : `${code}: ${message}`;
  return {
    kind: "unavailable",
    reason,
    detail: `Cloud Control could not read ${target.type} ${target.physicalId}: ${said}`,
  };
}

/**
 * Reads `Properties` (a JSON string on the wire): a JSON object is the live state; anything else is
 * a `failed` read that says what came back.
 */
export function liveReadOf(target: LiveReadTarget, properties: unknown): LiveRead {
  const bad = (what: string): LiveReadFailure => ({
    kind: "unavailable",
    reason: "failed",
    detail: `Cloud Control read ${target.type} ${target.physicalId} but its Properties ${what}`,
  });
  if (typeof properties !== "string") return bad("are missing");
  let parsed: unknown;
  try {
    parsed = JSON.parse(properties);
  } catch (error) {
    return bad(`are not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return bad(`are not a JSON object: ${properties.slice(0, 80)}`);
  }
  return { kind: "found", properties: parsed as Readonly<Record<string, unknown>> };
}

export interface CloudControlLiveStateOptions {
  /**
   * The Cloud Control client of the account and region the stacks live in. This adapter does not
   * retry itself: give it the SDK's retries (standard mode, 3 attempts), so throttling is retried
   * with backoff before a read is reported `throttled`.
   */
  readonly client: CloudControlClient;
}

/**
 * `LiveState` through Cloud Control `GetResource({TypeName, Identifier})`, the identifier being the
 * physical id CloudFormation stores (for a resource CloudFormation provisioned it is the primary
 * identifier Cloud Control asks for).
 */
export function createCloudControlLiveState(options: CloudControlLiveStateOptions): LiveState {
  return {
    async read(resource) {
      const target = { type: resource.type, physicalId: resource.physicalId };
      try {
        const output = await options.client.send(
          new GetResourceCommand({ TypeName: resource.type, Identifier: resource.physicalId }),
        );
        return liveReadOf(target, output.ResourceDescription?.Properties);
      } catch (error) {
        // Throttling by any name (ThrottlingException, 429) is `throttled` once the SDK gave up.
        const code = isThrottling(error) ? "ThrottlingException" : errorName(error);
        return liveReadFailure(target, code, errorMessage(error));
      }
    },
  };
}
