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

const json = JSON.stringify;

/**
 * `JSON.stringify(inspectLine(source, judgement))`, written straight from the judgement for an ignored
 * record (most of a capture): no line object is built and walked. The same text, key for key; other
 * verdicts take the object. test/change/quick.test.ts holds the two to the same text.
 */
export function inspectJson(source: string, judgement: Judgement): string {
  if (judgement.verdict !== "ignored" || judgement.resources.length > 0) {
    return json(inspectLine(source, judgement));
  }
  return ignoredJson(json(source), judgement);
}

/**
 * The start of `JSON.stringify(`${name}#${n}`)` for any n: the name's JSON text without its closing
 * quote, then `#`. A file's lines share it, so the name is escaped once per file, not once per line.
 */
export function sourcePrefix(name: string): string {
  return `${json(name).slice(0, -1)}#`;
}

/** `inspectJson(`${name}#${index}`, judgement)`, with `prefix` = `sourcePrefix(name)`. */
export function inspectJsonAt(prefix: string, name: string, index: number, judgement: Judgement): string {
  if (judgement.verdict !== "ignored" || judgement.resources.length > 0) {
    return json(inspectLine(`${name}#${index}`, judgement));
  }
  // `#` and digits are never escaped, so the prefix, the index and a quote are the source's JSON text.
  return ignoredJson(`${prefix}${index}"`, judgement);
}

function ignoredJson(source: string, judgement: Extract<Judgement, { verdict: "ignored" }>): string {
  const { record, actor } = judgement;
  const id = record.eventID === undefined ? "null" : json(record.eventID);
  const arn = actor.arn ? `,"arn":${json(actor.arn)}` : "";
  const type = actor.type ? `,"type":${json(actor.type)}` : "";
  return `{"source":${source},"eventID":${id},"eventName":${json(record.eventName)},"eventSource":${json(record.eventSource)},"eventTime":${json(record.eventTime)},"verdict":"ignored","reason":${json(`${judgement.reason}: ${judgement.detail}`)},"reasonCode":${json(judgement.reason)},"actor":{"name":${json(actor.name)}${arn}${type},"console":${actor.console}},"resources":[]}`;
}
