import { readFile } from "node:fs/promises";
import type { LiveRead, LiveState } from "../../core/drift/live.ts";
import type { StackResource } from "../../core/drift/ports.ts";
import type { DriftStatus, ResourceDrift } from "../../core/drift/types.ts";
import type { TouchedResource, WindowEvent } from "../../core/window/types.ts";
import { CORPUS } from "../support/corpus.ts";

/** A corpus file's text: `cfn-templates/…`, `cloudtrail/events/…`, `realworld/…`. */
export async function corpusText(path: string): Promise<string> {
  return readFile(new URL(path, CORPUS), "utf8");
}

/** A real CloudTrail record from `fixtures/corpus/cloudtrail/events/`. */
export async function corpusRecord(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await corpusText(`cloudtrail/events/${name}`)) as Record<string, unknown>;
}

/** A window event as `touch` keeps it, from a CloudTrail record and the stack resources it touched. */
export function windowEvent(
  record: Record<string, unknown>,
  resources: readonly TouchedResource[],
  key = "e1",
): WindowEvent {
  return {
    key,
    eventName: String(record.eventName),
    eventSource: String(record.eventSource),
    eventTime: String(record.eventTime ?? "2026-03-14T03:00:00Z"),
    actor: { name: "mei@example.com", console: true },
    resources,
    ...(record.requestParameters !== undefined ? { request: record.requestParameters } : {}),
  };
}

/** A recorded live state per logical id; anything else is `not-found`. Counts the reads. */
export class RecordedLiveState implements LiveState {
  readonly reads: string[] = [];
  constructor(private readonly answers: Readonly<Record<string, LiveRead | Record<string, unknown>>>) {}
  async read(resource: {
    stack: string;
    logicalId: string;
    type: string;
    physicalId: string;
  }): Promise<LiveRead> {
    this.reads.push(resource.logicalId);
    const answer = this.answers[resource.logicalId];
    if (answer === undefined)
      return { kind: "unavailable", reason: "not-found", detail: `${resource.type} ${resource.physicalId}` };
    return "kind" in answer && (answer.kind === "found" || answer.kind === "unavailable")
      ? (answer as LiveRead)
      : { kind: "found", properties: answer };
  }
}

export function stackResource(
  stack: string,
  logicalId: string,
  type: string,
  physicalId: string,
): StackResource {
  return { stack, logicalId, type, physicalId };
}

export function driftOf(resource: StackResource, status: DriftStatus): ResourceDrift {
  return {
    logicalId: resource.logicalId,
    physicalId: resource.physicalId,
    type: resource.type,
    status,
    differences: [],
  };
}

export function touched(resource: StackResource): TouchedResource {
  return { logicalId: resource.logicalId, physicalId: resource.physicalId, type: resource.type };
}
