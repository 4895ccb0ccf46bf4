/**
 * Observability around a window: what the monitoring showed when the console changes happened.
 * The shape of a scenario's `signals.json` (DESIGN §4, contract).
 */

export interface MonitorSignal {
  readonly name: string;
  /** `Alert`, `Warn`, `OK`, `No Data`, ... as the monitoring system says it. */
  readonly status: string;
  /** 1 (highest) to 5, when the monitor has one. */
  readonly priority?: number;
  /** ISO time the monitor triggered. */
  readonly triggeredAt: string;
  readonly resolvedAt?: string;
  readonly query?: string;
  readonly tags?: readonly string[];
  /** The group that alerted, for a multi-alert monitor (e.g. `dbinstanceidentifier:payments-db`). */
  readonly group?: string;
}

/** One metric of one resource, summarised around the window. */
export interface MetricSignal {
  /** The resource it measures: a logical id, physical id or name. */
  readonly resource: string;
  /** e.g. `aws.rds.cpuutilization`, `CPUUtilization`. */
  readonly metric: string;
  readonly unit?: string;
  /** Average in the period before the first event (e.g. the 2 h before). */
  readonly before?: number;
  /** Average (or peak, see `note`) between the first and last event. */
  readonly during?: number;
  /** Highest value between the first and last event. */
  readonly peak?: number;
  /** Average in the period after the last event (e.g. the hour after). */
  readonly after?: number;
}

export interface EventSignal {
  readonly title: string;
  readonly at: string;
  readonly source?: string;
  readonly tags?: readonly string[];
}

export interface SignalsReport {
  readonly monitors: readonly MonitorSignal[];
  readonly metrics: readonly MetricSignal[];
  readonly events?: readonly EventSignal[];
  readonly notes: readonly string[];
}

/** A drifted resource whose metrics judge its sizing. */
export interface SignalResource {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
}

/** Observability around a time range. Datadog in the cloud, the scenario's `signals.json` in replay. */
export interface Signals {
  around(input: {
    readonly stack: string;
    /** Epoch ms: first event − 2 h. */
    readonly from: number;
    /** Epoch ms: last event + 1 h. */
    readonly to: number;
    readonly firstEventAt: number;
    readonly lastEventAt: number;
    readonly resources: readonly SignalResource[];
  }): Promise<SignalsReport>;
}

export const NO_SIGNALS: SignalsReport = { monitors: [], metrics: [], notes: [] };
