import { z } from "zod";
import { CLOUD_CONTROL_ERRORS } from "../../adapters/cloudcontrol-live-state.ts";
import { loadRecordedAccount, notRecordedMessage } from "../../replay/recorded-account.ts";
import type { FaultPlan } from "../faults.ts";
import { type Served, type StandIn, type StandInRequest, startStandIn } from "./stand-in.ts";

/**
 * The AWS Cloud Control API stand-in: a scenario's recorded live state (DESIGN §4,
 * `account/resources/<Stack>/<LogicalId>.json`) served over the wire protocol of the installed
 * `@aws-sdk/client-cloudcontrol` (3.1142: `AwsJson1_0Protocol`, service target `CloudApiService`):
 * `POST /` with `content-type: application/x-amz-json-1.0` and `x-amz-target:
 * CloudApiService.<Operation>`, a JSON body, JSON replies; errors as `{"__type":
 * "com.amazonaws.cloudcontrol#<Code>", "Message"}` with the HTTP status the model gives the error
 * (`ResourceNotFoundException` 404, `UnsupportedActionException` 405, `ThrottlingException` 429, …),
 * which the SDK throws as an error named after the code (and retries when it is throttling or 5xx).
 *
 * The directory is validated with replay's own loader (`loadRecordedAccount`), so the stand-in and
 * replay read the same answers. Served: `GetResource` by `TypeName` and `Identifier` (the physical
 * id): the recorded `ResourceDescription`, or the recorded `Error` with its status. A resource with
 * nothing recorded is `ResourceNotFoundException` with the words replay uses
 * ({@link notRecordedMessage}), so both report the same reason and detail. `answer` (tests, fault
 * drills) is asked first and may answer anything Cloud Control could, malformed `Properties`
 * included.
 *
 * `unexpected` lists unknown operations and malformed requests; "not found" and the recorded errors
 * are answers the adapter handles, never unexpected.
 * @see https://docs.aws.amazon.com/cloudcontrolapi/latest/APIReference/API_GetResource.html
 * @see https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
 */

/** What the stand-in answers a GetResource with, in place of the recorded state. */
export type CloudControlAnswer =
  /** `Properties` exactly as given: a JSON object's text, or anything else (a malformed answer). */
  | { readonly properties: string }
  /** A Cloud Control error (its model status unless `status` is given: a 500 from a proxy, say). */
  | { readonly error: string; readonly message?: string; readonly status?: number };

export interface CloudControlStandInOptions {
  /** Faults to inject (`phantom rehearse --fault`); default none. */
  readonly faults?: FaultPlan;
  /** The scenario's `account/` directory; without it nothing is recorded (every read is not found). */
  readonly accountDir?: string;
  /** Asked first for every GetResource; `undefined` falls through to the recorded state. */
  readonly answer?: (request: {
    readonly typeName: string;
    readonly identifier: string;
  }) => CloudControlAnswer | undefined;
}

const TARGET_PREFIX = "CloudApiService.";
const CONTENT_TYPE = "application/x-amz-json-1.0";
const NAMESPACE = "com.amazonaws.cloudcontrol";
const TYPE_NAME = /^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$/;

const getResourceInput = z.looseObject({
  TypeName: z
    .string({ error: "Member must not be null" })
    .regex(TYPE_NAME, "Member must satisfy regular expression pattern"),
  Identifier: z
    .string({ error: "Member must not be null" })
    .min(1, "Member must have length greater than or equal to 1"),
  TypeVersionId: z.string().optional(),
  RoleArn: z.string().optional(),
});

function json(status: number, body: unknown): Served["reply"] {
  return { status, headers: { "content-type": CONTENT_TYPE }, body: JSON.stringify(body) };
}

function errorReply(code: string, message: string, status?: number): Served["reply"] {
  return json(status ?? CLOUD_CONTROL_ERRORS[code]?.status ?? 400, {
    __type: `${NAMESPACE}#${code}`,
    Message: message === "" ? code : message,
  });
}

/** Starts the Cloud Control stand-in. @throws {RecordedAccountError} for an invalid account directory. */
export async function startCloudControlStandIn(options: CloudControlStandInOptions = {}): Promise<StandIn> {
  const recorded = options.accountDir ? await loadRecordedAccount(options.accountDir) : undefined;
  const reads = new Map((recorded?.liveReads ?? []).map((r) => [`${r.typeName}\n${r.identifier}`, r]));
  const owners = (recorded?.stacks ?? []).flatMap((stack) => recorded?.resources(stack) ?? []);

  function getResource(typeName: string, identifier: string): Served["reply"] {
    const override = options.answer?.({ typeName, identifier });
    const read = reads.get(`${typeName}\n${identifier}`);
    const answer: CloudControlAnswer | undefined =
      override ??
      (read === undefined
        ? undefined
        : read.answer.kind === "found"
          ? { properties: read.answer.properties }
          : { error: read.answer.code, message: read.answer.message });
    if (answer === undefined) {
      const owner = owners.find((r) => r.type === typeName && r.physicalId === identifier);
      return errorReply(
        "ResourceNotFoundException",
        owner
          ? notRecordedMessage(owner.stack, owner.logicalId)
          : `Resource of type '${typeName}' with identifier '${identifier}' was not found.`,
      );
    }
    if ("error" in answer) return errorReply(answer.error, answer.message ?? "", answer.status);
    return json(200, {
      TypeName: typeName,
      ResourceDescription: { Identifier: identifier, Properties: answer.properties },
    });
  }

  function serve(request: StandInRequest): Served {
    const target = String(request.headers["x-amz-target"] ?? "");
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
    const refuse = (code: string, message: string): Served => ({
      operation,
      reply: errorReply(code, message, 400),
      unexpected: `${code}: ${message}`,
    });
    if (request.method !== "POST" || operation === "") {
      return refuse(
        "UnknownOperationException",
        `no ${TARGET_PREFIX}<Operation> target: ${request.method} ${target}`,
      );
    }
    if (!String(request.headers["content-type"] ?? "").startsWith(CONTENT_TYPE)) {
      return refuse("SerializationException", `content-type must be ${CONTENT_TYPE}`);
    }
    if (operation !== "GetResource") {
      return refuse("UnknownOperationException", `the Cloud Control stand-in does not serve ${operation}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body === "" ? "{}" : request.body);
    } catch {
      return refuse("SerializationException", "the body is not JSON");
    }
    const input = getResourceInput.safeParse(body);
    if (!input.success) {
      const problems = input.error.issues.map(
        (i) => `Value at '${i.path.join(".")}' failed to satisfy constraint: ${i.message}`,
      );
      return refuse(
        "ValidationException",
        `${problems.length} validation error${problems.length === 1 ? "" : "s"} detected: ${problems.join("; ")}`,
      );
    }
    return { operation, reply: getResource(input.data.TypeName, input.data.Identifier) };
  }

  return startStandIn("cloudcontrol", serve, { ...(options.faults ? { faults: options.faults } : {}) });
}
