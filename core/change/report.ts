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

/** Characters JSON.stringify writes escaped: quote, backslash, controls, and (unpaired) surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters JSON escapes are the point.
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

function quoted(text: string): string {
  return ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function quotedOrNull(text: string | null): string {
  return text === null ? "null" : quoted(text);
}

/**
 * `JSON.stringify(line)`, byte for byte, written out field by field: `phantom inspect --json` renders
 * a line per record, and this skips the generic walk over the object.
 */
export function inspectJson(line: InspectLine): string {
  let out = `{"source":${quoted(line.source)},"eventID":${quotedOrNull(line.eventID)},"eventName":${quotedOrNull(line.eventName)},"eventSource":${quotedOrNull(line.eventSource)},"eventTime":${quotedOrNull(line.eventTime)},"verdict":${quoted(line.verdict)}`;
  if (line.reason !== undefined) out += `,"reason":${quoted(line.reason)}`;
  if (line.reasonCode !== undefined) out += `,"reasonCode":${quoted(line.reasonCode)}`;
  const actor = line.actor;
  out += `,"actor":{"name":${quoted(actor.name)}`;
  if (actor.arn !== undefined) out += `,"arn":${quoted(actor.arn)}`;
  if (actor.type !== undefined) out += `,"type":${quoted(actor.type)}`;
  out += `,"console":${actor.console ? "true" : "false"}},"resources":[`;
  for (let i = 0; i < line.resources.length; i++) {
    const r = line.resources[i] as { type: string; id: string };
    out += `${i === 0 ? "" : ","}{"type":${quoted(r.type)},"id":${quoted(r.id)}}`;
  }
  return `${out}]}`;
}
