import type { Actor } from "../change/actor.ts";
import type { DifferenceSource, DifferenceType, DriftReport, DriftStatus } from "../drift/types.ts";
import { eventSpan } from "../window/policy.ts";
import type { Window } from "../window/types.ts";

/**
 * The serialisable report of one settled window: `analysis.json` (DESIGN §4, contract). Built first,
 * rendered later (pull request bodies, metrics, human output).
 */

export interface ReportActor {
  readonly name: string;
  readonly arn?: string;
  readonly console: boolean;
  /** Events by this actor that touched the changed resource, in time order. */
  readonly events: readonly {
    readonly eventName: string;
    readonly eventTime: string;
    readonly eventID?: string;
  }[];
}

export interface ReportChange {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly physicalId: string;
  /** JSON-pointer form; `""` is the whole resource (a deletion). */
  readonly propertyPath: string;
  readonly differenceType: DifferenceType;
  readonly expected: unknown;
  readonly actual: unknown;
  /**
   * Who found it where drift detection was blind: the live state read through Cloud Control
   * (`cloudcontrol`) or, where Cloud Control could not read, the window's requests (`request`).
   * Absent: CloudFormation drift detection.
   */
  readonly source?: Exclude<DifferenceSource, "drift">;
  /** The separate resource that declares the item (or the type a new one would be), e.g. a group's ingress rule. */
  readonly attachment?: { readonly type: string; readonly logicalId?: string };
  readonly actors: readonly ReportActor[];
}

/** Every touched resource and what drift detection could say about it. */
export interface ReportResource {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly physicalId: string;
  readonly status: DriftStatus;
  readonly differences: number;
  readonly note?: string;
  /** The events that touched it (for an attachment changed through its target, the target's). */
  readonly events: readonly string[];
  /** Touched resources it changed through: a bucket policy changed with `PutBucketPolicy` on its bucket. */
  readonly changedThrough?: readonly string[];
}

export interface WindowReport {
  readonly stack: string;
  readonly window: {
    readonly id: string;
    /** The stack's account and region: a stack is `(account, region, stack)`. */
    readonly account: string;
    readonly region: string;
    readonly firstEventAt: string | null;
    readonly lastEventAt: string | null;
    readonly openedAt: string;
    readonly settledAt: string;
    readonly settledBy: "quiet" | "max-wait" | "sweep" | "review";
    /** Distinct change events (ignored events and redeliveries excluded). */
    readonly events: number;
    readonly touched: readonly string[];
  };
  readonly detection: {
    /** Resources checked: exactly the touched ones. */
    readonly resourcesChecked: number;
    readonly calls: number;
    /** Touched resources drift detection could not verify (NOT_CHECKED, UNSUPPORTED, UNKNOWN). */
    readonly unverified: readonly string[];
    /** Live-state reads where drift detection was blind (core/drift/live.ts); absent when none. */
    readonly liveReads?: number;
  };
  readonly resources: readonly ReportResource[];
  readonly changes: readonly ReportChange[];
  readonly actors: readonly Pick<Actor, "name" | "arn" | "console">[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Events by logical id: a resource's own, or those of the resources it changed through (an attachment's target). */
function touches(event: Window["events"][number], logicalIds: readonly string[]): boolean {
  return event.resources.some((r) => logicalIds.includes(r.logicalId));
}

function actorsFor(window: Window, logicalIds: readonly string[]): ReportActor[] {
  const byName = new Map<string, ReportActor & { events: ReportActor["events"][number][] }>();
  for (const event of window.events) {
    if (!touches(event, logicalIds)) continue;
    const existing = byName.get(event.actor.name) ?? {
      name: event.actor.name,
      ...(event.actor.arn ? { arn: event.actor.arn } : {}),
      console: event.actor.console,
      events: [],
    };
    existing.events.push({
      eventName: event.eventName,
      eventTime: event.eventTime,
      ...(event.eventID ? { eventID: event.eventID } : {}),
    });
    byName.set(event.actor.name, existing);
  }
  return [...byName.values()];
}

const UNVERIFIED: ReadonlySet<DriftStatus> = new Set(["NOT_CHECKED", "UNSUPPORTED", "UNKNOWN"]);

/**
 * Builds the window report from the window and its targeted drift check: one change per property
 * difference (and one whole-resource change per deleted resource), every touched resource with its
 * status, and the actors behind each change.
 */
export function buildWindowReport(
  window: Window,
  drift: DriftReport,
  settled: { at: number; reason: "quiet" | "max-wait" | "sweep" | "review" },
): WindowReport {
  const span = eventSpan(window);
  const touchedBy = (logicalId: string) =>
    window.events.filter((e) => e.resources.some((r) => r.logicalId === logicalId));
  // An attachment changed through its target (a bucket's policy through the bucket) has its events.
  const through = new Map(
    drift.resources.map((d) => [d.logicalId, [d.logicalId, ...(d.changedThrough ?? [])]]),
  );
  const eventsOf = (logicalId: string) =>
    window.events.filter((e) => touches(e, through.get(logicalId) ?? [logicalId]));
  const identity = (logicalId: string) => {
    const resource = touchedBy(logicalId)[0]?.resources.find((r) => r.logicalId === logicalId);
    return { physicalId: resource?.physicalId ?? "", type: resource?.type ?? "" };
  };

  const resources: ReportResource[] = drift.resources.map((d) => {
    const known = identity(d.logicalId);
    return {
      logicalId: d.logicalId,
      resourceType: d.type ?? known.type,
      physicalId: d.physicalId ?? known.physicalId,
      status: d.status,
      differences: d.status === "DELETED" ? 1 : d.differences.length,
      ...(d.note ? { note: d.note } : {}),
      events: eventsOf(d.logicalId).map((e) => e.eventName),
      ...(d.changedThrough?.length ? { changedThrough: d.changedThrough } : {}),
    };
  });

  const changes: ReportChange[] = drift.resources.flatMap((d) => {
    const known = identity(d.logicalId);
    const base = {
      logicalId: d.logicalId,
      resourceType: d.type ?? known.type,
      physicalId: d.physicalId ?? known.physicalId,
      actors: actorsFor(window, through.get(d.logicalId) ?? [d.logicalId]),
    };
    if (d.status === "DELETED") {
      return [
        {
          ...base,
          propertyPath: "",
          differenceType: "REMOVE" as const,
          expected: d.expectedProperties ?? null,
          actual: null,
        },
      ];
    }
    return d.differences.map((diff) => ({
      ...base,
      propertyPath: diff.path,
      differenceType: diff.type,
      expected: diff.expected,
      actual: diff.actual,
      ...(diff.source === "cloudcontrol" || diff.source === "request" ? { source: diff.source } : {}),
      ...(diff.attachment ? { attachment: diff.attachment } : {}),
    }));
  });

  const actors = new Map<string, Pick<Actor, "name" | "arn" | "console">>();
  for (const e of window.events) {
    if (!actors.has(e.actor.name)) {
      actors.set(e.actor.name, {
        name: e.actor.name,
        ...(e.actor.arn ? { arn: e.actor.arn } : {}),
        console: e.actor.console,
      });
    }
  }

  return {
    stack: window.stack,
    window: {
      id: window.id,
      account: window.account,
      region: window.region,
      firstEventAt: span.first ?? null,
      lastEventAt: span.last ?? null,
      openedAt: iso(window.openedAt),
      settledAt: iso(settled.at),
      settledBy: settled.reason,
      events: window.events.length,
      touched: window.touched,
    },
    detection: {
      resourcesChecked: drift.resources.length,
      calls: drift.calls,
      ...(drift.liveReads ? { liveReads: drift.liveReads } : {}),
      unverified: drift.resources.filter((d) => UNVERIFIED.has(d.status)).map((d) => d.logicalId),
    },
    resources,
    changes,
    actors: [...actors.values()],
  };
}
