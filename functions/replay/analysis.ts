import { analyzeWindow } from "../../core/analysis/analyze.ts";
import { environmentOf } from "../../core/analysis/environment.ts";
import type { Analyst } from "../../core/analysis/types.ts";
import type { WindowAnalysis } from "../../core/reactor/react.ts";
import type { Signals } from "../../core/signals/types.ts";
import type { RecordedAccount } from "./recorded-account.ts";
import { loadRecordedTemplate } from "./recorded-templates.ts";

const HOUR = 3_600_000;

export interface ReplayAnalysisOptions {
  readonly accountDir: string;
  readonly account: RecordedAccount;
  readonly signals: Signals;
  readonly analyst: Analyst;
  readonly fallback: Analyst;
  /** The environment from configuration; else the stack's `env`/`environment` tag. */
  readonly environment?: string;
}

/**
 * The analysis step for replay: the recorded template and stack tags, the recorded signals around
 * the window ([first event − 2 h, last event + 1 h]), and the configured analyzer.
 */
export function replayAnalysis(options: ReplayAnalysisOptions): WindowAnalysis {
  return async (report, drift, window) => {
    const tags = options.account.stackTags(window.stack);
    const template = await loadRecordedTemplate(options.accountDir, window.stack, tags);
    const first = Date.parse(report.window.firstEventAt ?? report.window.settledAt);
    const last = Date.parse(report.window.lastEventAt ?? report.window.settledAt);
    const signals = await options.signals.around({
      stack: window.stack,
      from: first - 2 * HOUR,
      to: last + HOUR,
      firstEventAt: first,
      lastEventAt: last,
      resources: report.resources.map((r) => ({
        logicalId: r.logicalId,
        physicalId: r.physicalId,
        type: r.resourceType,
      })),
    });
    return analyzeWindow(report, drift, window, {
      analyst: options.analyst,
      fallback: options.fallback,
      environment: environmentOf(options.environment, tags),
      region: window.events.find((e) => e.region)?.region ?? "us-east-1",
      signals,
      ...(template ? { template } : {}),
    });
  };
}
