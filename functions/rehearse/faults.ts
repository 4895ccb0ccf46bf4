import type { BuildMiddleware, MetadataBearer, MiddlewareStack } from "@smithy/types";
import { z } from "zod";
import { HANDLER_STEPS, InvocationAborted, type StepHandler } from "../../core/reactor/steps.ts";

/**
 * `phantom rehearse --fault SPEC`: failures injected into the deployed path (docs/architecture.md,
 * "Faults").
 *
 * - `<service>.<Operation|*>:<throttle|5xx|timeout|reset>[:N]` fails the first N calls a handler makes
 *   to that operation (every call when N is absent), at the HTTP level of the stand-in, so the real
 *   clients' retries are what meets it: `throttle` is the service's own throttling answer, `5xx` a
 *   server error, `timeout` a request held unanswered past the client's timeout, `reset` the socket
 *   destroyed before any answer. The operation is named as the report's `calls` name it
 *   (`cloudformation.DetectStackResourceDrift`, `github.pulls/create`, `datadog.SubmitMetrics`).
 * - `crash:<handler>:<step>[:N]` aborts the handler's invocation right after the named step the first
 *   N times it passes (every time when N is absent), as a Lambda that dies there
 *   (core/reactor/steps.ts).
 *
 * A faulted request never reaches the service: a throttled, failed, held or reset call changed
 * nothing. (Real services may apply a request whose answer is lost; that gap is documented.)
 */

export const FAULT_SERVICES = [
  "cloudformation",
  "cloudcontrol",
  "dynamodb",
  "sqs",
  "bedrock-runtime",
  "eventbridge",
  "sts",
  "github",
  "datadog",
] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];

export const FAULT_KINDS = ["throttle", "5xx", "timeout", "reset"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultSpec =
  | {
      readonly kind: "service";
      readonly service: FaultService;
      /** An operation name, or `*` for every operation of the service. */
      readonly operation: string;
      readonly fault: FaultKind;
      /** How many calls fail; absent: all of them. */
      readonly times?: number;
    }
  | {
      readonly kind: "crash";
      readonly handler: StepHandler;
      readonly step: string;
      readonly times?: number;
    };

/** A `--fault` value that is not a fault: a usage error, naming what is wrong. */
export class FaultSpecError extends Error {
  override readonly name = "FaultSpecError";
}

const USAGE =
  "expected <service>.<Operation|*>:<throttle|5xx|timeout|reset>[:N] or crash:<handler>:<step>[:N]";

const times = z
  .string()
  .regex(/^[1-9]\d{0,5}$/, "N must be a whole number from 1 to 999999")
  .transform(Number)
  .optional();

const serviceFault = z.strictObject({
  service: z.enum(FAULT_SERVICES, {
    error: (issue) => `unknown service ${JSON.stringify(issue.input)}: one of ${FAULT_SERVICES.join(", ")}`,
  }),
  operation: z
    .string()
    .regex(/^(\*|[A-Za-z][\w/-]{0,99})$/, "the operation must be * or an operation name such as PutEvents"),
  fault: z.enum(FAULT_KINDS, {
    error: (issue) => `unknown fault ${JSON.stringify(issue.input)}: one of ${FAULT_KINDS.join(", ")}`,
  }),
  times,
});

const crashFault = z
  .strictObject({
    handler: z.enum(Object.keys(HANDLER_STEPS) as [StepHandler, ...StepHandler[]], {
      error: (issue) =>
        `unknown handler ${JSON.stringify(issue.input)}: one of ${Object.keys(HANDLER_STEPS).join(", ")}`,
    }),
    step: z.string(),
    times,
  })
  .superRefine((value, ctx) => {
    const steps: readonly string[] = HANDLER_STEPS[value.handler];
    if (!steps.includes(value.step)) {
      ctx.addIssue({
        code: "custom",
        path: ["step"],
        message: `${value.handler} has no step ${JSON.stringify(value.step)}: one of ${steps.join(", ")}`,
      });
    }
  });

function fail(spec: string, why: string): never {
  throw new FaultSpecError(`--fault ${JSON.stringify(spec)}: ${why} (${USAGE})`);
}

function firstIssue(error: z.ZodError): string {
  return error.issues[0]?.message ?? "invalid";
}

/** Parses one `--fault` value; throws {@link FaultSpecError} saying what is wrong. */
export function parseFaultSpec(spec: string): FaultSpec {
  const parts = spec.split(":");
  if (parts[0] === "crash") {
    if (parts.length < 3 || parts.length > 4) fail(spec, "a crash has 3 or 4 parts separated by ':'");
    const parsed = crashFault.safeParse({
      handler: parts[1],
      step: parts[2],
      ...(parts[3] !== undefined ? { times: parts[3] } : {}),
    });
    if (!parsed.success) fail(spec, firstIssue(parsed.error));
    const { handler, step, times: n } = parsed.data;
    return { kind: "crash", handler, step, ...(n !== undefined ? { times: n } : {}) };
  }
  if (parts.length < 2 || parts.length > 3) fail(spec, "a service fault has 2 or 3 parts separated by ':'");
  const target = parts[0] ?? "";
  const dot = target.indexOf(".");
  if (dot <= 0) fail(spec, `${JSON.stringify(target)} is not <service>.<Operation|*>`);
  const parsed = serviceFault.safeParse({
    service: target.slice(0, dot),
    operation: target.slice(dot + 1),
    fault: parts[1],
    ...(parts[2] !== undefined ? { times: parts[2] } : {}),
  });
  if (!parsed.success) fail(spec, firstIssue(parsed.error));
  const { service, operation, fault: kind, times: n } = parsed.data;
  return { kind: "service", service, operation, fault: kind, ...(n !== undefined ? { times: n } : {}) };
}

/** The text of a spec, as `--fault` takes it. */
export function formatFaultSpec(spec: FaultSpec): string {
  const n = spec.times !== undefined ? `:${spec.times}` : "";
  return spec.kind === "crash"
    ? `crash:${spec.handler}:${spec.step}${n}`
    : `${spec.service}.${spec.operation}:${spec.fault}${n}`;
}

/**
 * The faults of one rehearsal: which call or step fails next, and how many were injected
 * (`<service>.<Operation>:<kind>` and `crash:<handler>:<step>`, the report's `faults`).
 */
export interface FaultPlan {
  /** The fault the next call to `service.operation` gets, if any (and counts it). */
  serviceFault(service: string, operation: string): FaultKind | undefined;
  /** Throws {@link InvocationAborted} when `handler` must die right after `step`. */
  afterStep(handler: StepHandler, step: string): void;
  /** Whether any spec holds a `timeout` (the clients then get a short request timeout). */
  readonly holds: boolean;
  /** Faults injected so far. */
  injected(): Record<string, number>;
}

/** A plan over `specs`; several specs may match one call: the first with calls left applies. */
export function faultPlan(specs: readonly FaultSpec[]): FaultPlan {
  const left = specs.map((spec) => spec.times ?? Number.POSITIVE_INFINITY);
  const counts = new Map<string, number>();
  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  return {
    holds: specs.some((s) => s.kind === "service" && s.fault === "timeout"),
    serviceFault(service, operation) {
      for (const [i, spec] of specs.entries()) {
        if (spec.kind !== "service" || spec.service !== service) continue;
        if (spec.operation !== "*" && spec.operation !== operation) continue;
        if ((left[i] ?? 0) <= 0) continue;
        left[i] = (left[i] ?? 0) - 1;
        count(`${service}.${operation || "(none)"}:${spec.fault}`);
        return spec.fault;
      }
      return undefined;
    },
    afterStep(handler, step) {
      for (const [i, spec] of specs.entries()) {
        if (spec.kind !== "crash" || spec.handler !== handler || spec.step !== step) continue;
        if ((left[i] ?? 0) <= 0) continue;
        left[i] = (left[i] ?? 0) - 1;
        count(`crash:${handler}:${step}`);
        throw new InvocationAborted(`rehearsal fault: ${handler} crashed right after ${step}`);
      }
    },
    injected: () => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** The HTTP answer a throttle or a 5xx gets: each service's own error shape and status. */
export function faultReply(
  service: string,
  kind: "throttle" | "5xx",
): { status: number; headers: Record<string, string>; body: string } {
  const throttle = kind === "throttle";
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const awsJson = (
    contentType: string,
    type: string,
    message: string,
    headers: Record<string, string> = {},
  ) => ({
    status: throttle ? 400 : 500,
    headers: { "content-type": contentType, ...headers },
    body: JSON.stringify({ __type: type, message }),
  });
  const query = (code: string, message: string) => ({
    status: throttle ? 400 : 500,
    headers: { "content-type": "text/xml" },
    body:
      `<ErrorResponse><Error><Type>${throttle ? "Sender" : "Receiver"}</Type><Code>${code}</Code>` +
      `<Message>${message}</Message></Error><RequestId>rehearsal-fault</RequestId></ErrorResponse>`,
  });
  switch (service) {
    case "dynamodb":
      return awsJson(
        "application/x-amz-json-1.0",
        throttle
          ? "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
          : "com.amazonaws.dynamodb.v20120810#InternalServerError",
        throttle
          ? "The level of configured provisioned throughput for the table was exceeded."
          : "Internal server error",
      );
    case "sqs":
      return awsJson(
        "application/x-amz-json-1.0",
        throttle ? "com.amazonaws.sqs#ThrottlingException" : "com.amazonaws.sqs#InternalError",
        throttle ? "Rate exceeded" : "We encountered an internal error. Please try again.",
        { "x-amzn-query-error": throttle ? "ThrottlingException;Sender" : "InternalError;Receiver" },
      );
    case "cloudcontrol":
      return awsJson(
        "application/x-amz-json-1.0",
        throttle
          ? "com.amazonaws.cloudapiservice#ThrottlingException"
          : "com.amazonaws.cloudapiservice#ServiceInternalErrorException",
        throttle ? "Rate exceeded" : "Internal error",
      );
    case "eventbridge":
      return awsJson(
        "application/x-amz-json-1.1",
        throttle ? "ThrottlingException" : "InternalException",
        throttle ? "Rate exceeded" : "Internal error",
      );
    case "cloudformation":
    case "sts":
      return query(
        throttle ? "Throttling" : "InternalFailure",
        throttle ? "Rate exceeded" : "Internal failure",
      );
    case "bedrock-runtime":
      return json(
        throttle ? 429 : 500,
        {
          message: throttle ? "Too many requests, please wait before trying again." : "Internal server error",
        },
        {
          "x-amzn-errortype": `${throttle ? "ThrottlingException" : "InternalServerException"}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
        },
      );
    case "github":
      return throttle
        ? json(
            403,
            {
              message:
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
              documentation_url:
                "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            },
            { "retry-after": "1" },
          )
        : json(502, { message: "Server Error" });
    case "datadog":
      return throttle
        ? json(
            429,
            { errors: ["Too many requests"] },
            { "x-ratelimit-limit": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1" },
          )
        : json(503, { errors: ["Service Unavailable"] });
    default:
      return json(throttle ? 429 : 500, { message: throttle ? "Rate exceeded" : "Internal error" });
  }
}

/**
 * The AWS operation a request names before anything reads it: `X-Amz-Target` (AWS JSON, the
 * operation after its last `.`) or the `Action` of a Query-protocol form body.
 */
export function awsOperationOf(headers: Readonly<Record<string, unknown>>, body: string): string {
  const target = headers["x-amz-target"];
  if (typeof target === "string") return target.split(".").pop() ?? "";
  const action = /(?:^|&)Action=([^&]*)/.exec(body)?.[1];
  return action === undefined ? "" : decodeURIComponent(action);
}

/** Marks the requests the rehearsal driver itself makes (Lambda's event source mapping, setup): never faulted. */
export const DRIVER_HEADER = "x-phantom-rehearsal-driver";

/** Whether a request came from the driver rather than a handler. */
export function fromDriver(headers: Readonly<Record<string, unknown>>): boolean {
  return headers[DRIVER_HEADER] !== undefined;
}

/** Marks every request of an AWS SDK client as the driver's ({@link DRIVER_HEADER}): never faulted. */
export function asDriver<
  I extends object,
  O extends MetadataBearer,
  C extends { readonly middlewareStack: MiddlewareStack<I, O> },
>(client: C): C {
  const middleware: BuildMiddleware<I, O> = (next) => async (args) => {
    const request = args.request as { headers?: Record<string, string> } | undefined;
    if (request?.headers) request.headers[DRIVER_HEADER] = "1";
    return next(args);
  };
  client.middlewareStack.add(middleware, { step: "build", name: "phantomRehearsalDriver", override: true });
  return client;
}
