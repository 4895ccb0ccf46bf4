import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import type { AnalyzedReport } from "../../core/analysis/analyze.ts";
import { DECISIONS, type Decision } from "../../core/analysis/types.ts";
import type { DomainEvents } from "../../core/publish/ports.ts";
import type { WindowReport } from "../../core/report/analysis.ts";

/**
 * Phantom's domain event on EventBridge: one "Phantom Drift Analyzed" event per analysed window
 * (source `phantom`), so other tools (chat, ticketing, SIEM) can react with their own rules.
 *
 * Wire: EventBridge speaks AWS JSON 1.1 — `POST /`, `content-type: application/x-amz-json-1.1`,
 * `x-amz-target: AWSEvents.PutEvents`, body `{"Entries":[{Source, DetailType, Detail, EventBusName}]}`
 * (checked against the SDK's own request in test/sweep/eventbridge-events.test.ts).
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */

/** Source and detail-type of the event (contract: rules match on them). */
export const DRIFT_ANALYZED = {
  source: "phantom",
  detailType: "Phantom Drift Analyzed",
  /** Bumped on an incompatible change of the detail. */
  version: "1",
} as const;

/**
 * The largest entry Phantom sends: 256 KB, the PutEvents entry limit before 2026-01-29 and still
 * what older accounts' tooling assumes (1 MB is accepted since).
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/calculate-putevents-entry-size.html
 */
export const MAX_ENTRY_BYTES = 256 * 1024;

/** Changes listed in one event at most; the rest are counted in `changesTotal`. */
export const MAX_EVENT_CHANGES = 200;

/** One change in the event: what drifted and what Phantom decided. No values (they may be secrets). */
export interface DriftAnalyzedChange {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly propertyPath: string;
  readonly differenceType: string;
  readonly decision: Decision | null;
  readonly severity: string | null;
  readonly monthlyUsd: number | null;
  /** The guardrail rule that overrode the analyzer, if one did. */
  readonly guardrail: string | null;
}

/** The `detail` of a "Phantom Drift Analyzed" event (schema in the README). */
export interface DriftAnalyzedDetail {
  readonly version: typeof DRIFT_ANALYZED.version;
  readonly stack: string;
  readonly windowId: string;
  /** `quiet` / `max-wait` for a window of events, `sweep` for the scheduled sweep. */
  readonly settledBy: string;
  readonly settledAt: string;
  readonly env: string;
  readonly severity: string | null;
  readonly decisions: Readonly<Record<Decision, number>>;
  readonly costDelta: {
    readonly currentMonthlyUsd: number | null;
    readonly rectifiedMonthlyUsd: number | null;
    readonly deltaMonthlyUsd: number | null;
  };
  readonly prUrl: string | null;
  readonly actors: readonly string[];
  readonly changesTotal: number;
  readonly changes: readonly DriftAnalyzedChange[];
}

function isAnalyzed(report: WindowReport | AnalyzedReport): report is AnalyzedReport {
  return "analyzer" in report && "severity" in report;
}

/**
 * Builds the event detail from a window report (analysed or not). Redacted by construction: it
 * carries names, paths, decisions and figures, never property values, proposals or reasoning text.
 * At most {@link MAX_EVENT_CHANGES} changes are listed (`changesTotal` counts all), which keeps the
 * entry far below {@link MAX_ENTRY_BYTES}.
 */
export function driftAnalyzedDetail(
  report: WindowReport | AnalyzedReport,
  extra: { readonly prUrl?: string } = {},
): DriftAnalyzedDetail {
  const analysed = isAnalyzed(report) ? report : undefined;
  const decisions = Object.fromEntries(DECISIONS.map((d) => [d, 0])) as Record<Decision, number>;
  const changes: DriftAnalyzedChange[] = analysed
    ? analysed.changes.map((c) => {
        decisions[c.decision] += 1;
        return {
          logicalId: c.logicalId,
          resourceType: c.resourceType,
          propertyPath: c.propertyPath,
          differenceType: c.differenceType,
          decision: c.decision,
          severity: c.severity,
          monthlyUsd: c.costDelta.monthlyUsd,
          guardrail: c.guardrail?.rule ?? null,
        };
      })
    : report.changes.map((c) => ({
        logicalId: c.logicalId,
        resourceType: c.resourceType,
        propertyPath: c.propertyPath,
        differenceType: c.differenceType,
        decision: null,
        severity: null,
        monthlyUsd: null,
        guardrail: null,
      }));
  return {
    version: DRIFT_ANALYZED.version,
    stack: report.stack,
    windowId: report.window.id,
    settledBy: report.window.settledBy,
    settledAt: report.window.settledAt,
    env: analysed?.environment ?? "unknown",
    severity: analysed?.severity ?? null,
    decisions,
    costDelta: {
      currentMonthlyUsd: analysed?.costDelta.currentMonthlyUsd ?? null,
      rectifiedMonthlyUsd: analysed?.costDelta.rectifiedMonthlyUsd ?? null,
      deltaMonthlyUsd: analysed?.costDelta.deltaMonthlyUsd ?? null,
    },
    prUrl: extra.prUrl ?? null,
    actors: report.actors.map((a) => a.name),
    changesTotal: changes.length,
    changes: changes.slice(0, MAX_EVENT_CHANGES),
  };
}

/** Publishing the domain event failed; `code` is EventBridge's per-entry `ErrorCode` or the SDK error's name. */
export class DomainEventError extends Error {
  override readonly name = "DomainEventError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The size EventBridge counts for an entry: UTF-8 bytes of Source, DetailType, Detail and each
 * Resources entry, plus 14 when Time is set.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/calculate-putevents-entry-size.html
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, "utf8"));
  return (
    (entry.Time ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, r) => sum + bytes(r), 0)
  );
}

/** Per-entry error codes worth another try (PutEvents answers HTTP 200 with them). */
const RETRYABLE_ENTRY_CODES = new Set(["InternalFailure", "ThrottlingException"]);

export interface EventBridgeEventsOptions {
  readonly client: EventBridgeClient;
  /** Bus name or ARN. Default `default`. */
  readonly busName?: string;
  /** Retries of an entry that failed with a retryable code. Default 2. */
  readonly retries?: number;
  /** Injected so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The {@link DomainEvents} port on EventBridge `PutEvents`: one entry per call, source
 * {@link DRIFT_ANALYZED}.source, detail-type {@link DRIFT_ANALYZED}.detailType. Invariants: an entry
 * over {@link MAX_ENTRY_BYTES} is never sent; PutEvents' HTTP 200 is not trusted alone —
 * `FailedEntryCount` and the entry's `ErrorCode` are checked, a retryable code is retried with
 * backoff, and any other failure throws {@link DomainEventError}.
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
export function createEventBridgeEvents(options: EventBridgeEventsOptions): DomainEvents {
  const busName = options.busName ?? "default";
  const retries = Math.max(0, options.retries ?? 2);
  const sleep = options.sleep ?? defaultSleep;
  return {
    async driftAnalyzed(detail) {
      const entry: PutEventsRequestEntry = {
        Source: DRIFT_ANALYZED.source,
        DetailType: DRIFT_ANALYZED.detailType,
        Detail: JSON.stringify(detail),
        EventBusName: busName,
      };
      const size = putEventsEntrySize(entry);
      if (size > MAX_ENTRY_BYTES) {
        throw new DomainEventError(
          "EntryTooLarge",
          `"${DRIFT_ANALYZED.detailType}" entry is ${size} bytes; the limit Phantom keeps is ${MAX_ENTRY_BYTES}`,
        );
      }
      for (let attempt = 0; ; attempt += 1) {
        let output: PutEventsCommandOutput;
        try {
          output = await options.client.send(new PutEventsCommand({ Entries: [entry] }));
        } catch (error) {
          const code = error instanceof Error ? error.name : "Error";
          throw new DomainEventError(
            code,
            `PutEvents failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        }
        const result = output.Entries?.[0];
        const failed = (output.FailedEntryCount ?? 0) > 0 || result?.ErrorCode !== undefined;
        if (!failed && result?.EventId !== undefined) return;
        const code = result?.ErrorCode ?? "UnknownFailure";
        if (RETRYABLE_ENTRY_CODES.has(code) && attempt < retries) {
          await sleep(200 * 2 ** attempt);
          continue;
        }
        throw new DomainEventError(
          code,
          `PutEvents rejected the "${DRIFT_ANALYZED.detailType}" entry: ${code}${result?.ErrorMessage ? `: ${result.ErrorMessage}` : ""}`,
        );
      }
    },
  };
}
