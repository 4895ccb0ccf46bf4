import type { Actor } from "./actor.ts";
import type { Judgement } from "./classify.ts";

/** One `phantom inspect --json` line (DESIGN §4, contract). */
export interface InspectLine {
  readonly source: string;
  readonly eventID: string | null;
  readonly eventName: string | null;
  readonly eventSource: string | null;
  readonly eventTime: string | null;
  readonly verdict: Judgement["verdict"];
  /** `<code>: <sentence>`, e.g. `failed-call: the call failed with AccessDenied`. */
  readonly reason?: string;
  /** The stable code alone, for grouping. */
  readonly reasonCode?: string;
  readonly actor: { name: string; arn?: string; type?: string; console: boolean };
  readonly resources: readonly { type: string; id: string }[];
}

/** Renders a judgement as the contract's inspect line. */
export function inspectLine(source: string, judgement: Judgement): InspectLine {
  if (judgement.verdict === "rejected") {
    const p = judgement.partial;
    return {
      source,
      eventID: p.eventID ?? null,
      eventName: p.eventName ?? null,
      eventSource: p.eventSource ?? null,
      eventTime: judgement.record?.eventTime ?? p.eventTime ?? null,
      verdict: "rejected",
      reason: `${judgement.reason}: ${judgement.detail}`,
      reasonCode: judgement.reason,
      actor: actorFields(judgement.actor),
      resources: [],
    };
  }
  const { record } = judgement;
  return {
    source,
    eventID: record.eventID ?? null,
    eventName: record.eventName,
    eventSource: record.eventSource,
    eventTime: record.eventTime,
    verdict: judgement.verdict,
    ...(judgement.verdict === "ignored"
      ? { reason: `${judgement.reason}: ${judgement.detail}`, reasonCode: judgement.reason }
      : {}),
    actor: actorFields(judgement.actor),
    resources: judgement.resources.map((r) => ({ type: r.type, id: r.id })),
  };
}

function actorFields(actor: Actor | undefined): InspectLine["actor"] {
  if (actor === undefined) return { name: "unknown", console: false };
  return {
    name: actor.name,
    ...(actor.arn ? { arn: actor.arn } : {}),
    ...(actor.type ? { type: actor.type } : {}),
    console: actor.console,
  };
}
