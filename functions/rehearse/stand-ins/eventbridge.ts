import { createHash } from "node:crypto";
import { z } from "zod";
import { MAX_ENTRY_BYTES } from "../../../core/publish/domain-event.ts";
import { putEventsEntrySize } from "../../adapters/eventbridge-events.ts";
import type { FaultPlan } from "../faults.ts";
import {
  type RehearsalClock,
  type Served,
  type StandIn,
  type StandInRequest,
  startStandIn,
} from "./stand-in.ts";

/**
 * The EventBridge stand-in: `PutEvents` in AWS JSON 1.1, the protocol of the installed
 * `@aws-sdk/client-eventbridge` (3.1169: `AwsJson1_1Protocol`): `POST /`,
 * `content-type: application/x-amz-json-1.1`, `x-amz-target: AWSEvents.PutEvents`, body
 * `{"Entries": [{Source, DetailType, Detail, EventBusName?, Resources?, Time?}]}` (`Time` in epoch
 * seconds). Request errors are `{"__type": "<Name>", "message"}` with HTTP 400.
 *
 * Each entry is judged on its own, as EventBridge does: a missing `Source`, `DetailType` or `Detail`
 * is `InvalidArgument`, a `Detail` that is not a JSON object is `MalformedDetail`, an `aws.` source is
 * `NotAuthorizedForSourceException`; such an entry gets `ErrorCode` / `ErrorMessage` and counts in
 * `FailedEntryCount` (HTTP 200), the others an `EventId` and are recorded. The request itself is
 * refused (`ValidationException`) with no entries, more than 10, or entries over
 * {@link MAX_ENTRY_BYTES} together (the limit Phantom keeps, sized as EventBridge sizes entries).
 * Every bus name is accepted; an event bus ARN is recorded as its name. Rules and targets are not
 * run: the rehearsal reads what was put.
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html
 */

export interface EventBridgeStandInOptions {
  /** Faults to inject (`phantom rehearse --fault`); default none. */
  readonly faults?: FaultPlan;
  /** Stamps events sent without `Time`. */
  readonly clock: RehearsalClock;
}

/** One event EventBridge took. */
export interface PutEvent {
  /** The `EventId` it was given. */
  readonly id: string;
  readonly source: string;
  readonly detailType: string;
  /** `Detail`, parsed. */
  readonly detail: Readonly<Record<string, unknown>>;
  /** The bus name (`default` when none was given). */
  readonly eventBusName: string;
  /** ISO time: the entry's `Time`, else the rehearsal clock's now. */
  readonly time: string;
  readonly resources: readonly string[];
}

/** The EventBridge stand-in and the events it took, in the order they were put. */
export interface EventBridgeStandIn extends StandIn {
  events(): readonly PutEvent[];
}

const MAX_ENTRIES = 10;
const TARGET_PREFIX = "AWSEvents.";

const entrySchema = z.looseObject({
  Source: z.string().optional(),
  DetailType: z.string().optional(),
  Detail: z.string().optional(),
  EventBusName: z.string().optional(),
  Resources: z.array(z.string()).optional(),
  Time: z.number().optional(),
});
const putEventsSchema = z.looseObject({ Entries: z.array(entrySchema) });
type Entry = z.infer<typeof entrySchema>;

function reply(status: number, body: unknown) {
  return { status, headers: { "content-type": "application/x-amz-json-1.1" }, body: JSON.stringify(body) };
}

function requestError(name: string, message: string) {
  return reply(400, { __type: name, message });
}

/** The bus name of a name or an event bus ARN (`arn:aws:events:<region>:<account>:event-bus/<name>`). */
function busName(value: string | undefined): string {
  if (value === undefined || value === "") return "default";
  return /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(value)?.[1] ?? value;
}

/** Why EventBridge refuses an entry, or the parsed detail. */
function judge(
  entry: Entry,
):
  | { readonly ok: true; readonly detail: Record<string, unknown> }
  | { readonly ok: false; readonly code: string; readonly message: string } {
  for (const field of ["Source", "DetailType", "Detail"] as const) {
    const value = entry[field];
    if (value === undefined || value === "")
      return {
        ok: false,
        code: "InvalidArgument",
        message: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
  }
  if (entry.Source?.startsWith("aws."))
    return { ok: false, code: "NotAuthorizedForSourceException", message: "Not authorized for the source." };
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail ?? "") as unknown;
  } catch {
    return { ok: false, code: "MalformedDetail", message: "Detail is malformed." };
  }
  if (typeof detail !== "object" || detail === null || Array.isArray(detail))
    return { ok: false, code: "MalformedDetail", message: "Detail is malformed." };
  return { ok: true, detail: detail as Record<string, unknown> };
}

/** Starts the EventBridge stand-in on 127.0.0.1. */
export async function startEventBridgeStandIn(
  options: EventBridgeStandInOptions,
): Promise<EventBridgeStandIn> {
  const { clock } = options;
  const events: PutEvent[] = [];
  let eventSeq = 0;

  function putEvents(json: unknown): Served {
    const parsed = putEventsSchema.safeParse(json);
    if (!parsed.success) {
      const message = `1 validation error detected: ${parsed.error.issues.map((i) => `Value at '${i.path.map(String).join(".") || "entries"}' failed to satisfy constraint: ${i.message}`).join("; ")}`;
      return {
        operation: "PutEvents",
        reply: requestError("ValidationException", message),
        unexpected: message,
      };
    }
    const entries = parsed.data.Entries;
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      const message = `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${entries.length < 1 ? "greater than or equal to 1" : `less than or equal to ${MAX_ENTRIES}`}`;
      return {
        operation: "PutEvents",
        reply: requestError("ValidationException", message),
        unexpected: message,
      };
    }
    const size = entries.reduce(
      (sum, e) =>
        sum +
        putEventsEntrySize({
          ...(e.Source !== undefined ? { Source: e.Source } : {}),
          ...(e.DetailType !== undefined ? { DetailType: e.DetailType } : {}),
          ...(e.Detail !== undefined ? { Detail: e.Detail } : {}),
          ...(e.Resources !== undefined ? { Resources: e.Resources } : {}),
          ...(e.Time !== undefined ? { Time: new Date(e.Time * 1000) } : {}),
        }),
      0,
    );
    if (size > MAX_ENTRY_BYTES) {
      const message = `Total size of the entries in the request is over the limit (${size} bytes; the limit is ${MAX_ENTRY_BYTES}).`;
      return {
        operation: "PutEvents",
        reply: requestError("ValidationException", message),
        unexpected: message,
      };
    }

    const problems: string[] = [];
    const results = entries.map((entry, index) => {
      const verdict = judge(entry);
      if (!verdict.ok) {
        problems.push(`entry ${index}: ${verdict.code}: ${verdict.message}`);
        return { ErrorCode: verdict.code, ErrorMessage: verdict.message };
      }
      eventSeq += 1;
      const hash = createHash("sha256").update(`event/${eventSeq}`).digest("hex");
      const id = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
      events.push({
        id,
        source: entry.Source ?? "",
        detailType: entry.DetailType ?? "",
        detail: verdict.detail,
        eventBusName: busName(entry.EventBusName),
        time: new Date(entry.Time !== undefined ? entry.Time * 1000 : clock.now()).toISOString(),
        resources: entry.Resources ?? [],
      });
      return { EventId: id };
    });
    return {
      operation: "PutEvents",
      reply: reply(200, { FailedEntryCount: problems.length, Entries: results }),
      ...(problems.length > 0 ? { unexpected: problems.join("; ") } : {}),
    };
  }

  function serve(request: StandInRequest): Served {
    const target = request.headers["x-amz-target"];
    const operation =
      typeof target === "string" && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : "";
    if (request.method !== "POST" || operation !== "PutEvents") {
      const message = `The EventBridge stand-in does not serve ${operation || `${request.method} ${request.path} without an AWSEvents target`}.`;
      return { operation, reply: requestError("UnknownOperationException", message), unexpected: message };
    }
    let json: unknown;
    try {
      json = JSON.parse(request.body === "" ? "{}" : request.body) as unknown;
    } catch (error) {
      const message = `The request body is not JSON: ${error instanceof Error ? error.message : String(error)}`;
      return { operation, reply: requestError("SerializationException", message), unexpected: message };
    }
    return putEvents(json);
  }

  const standIn = await startStandIn("eventbridge", serve, {
    ...(options.faults ? { faults: options.faults } : {}),
  });
  return { ...standIn, events: () => [...events] };
}
