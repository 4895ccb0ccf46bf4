import { client } from "@datadog/datadog-api-client";
import {
  type ApplyReport,
  applyObservability,
  ObservabilityFileError,
  type PlanItem,
  readDefinitions,
  withNotifications,
} from "../adapters/datadog-apply.ts";
import { type Output, UsageError } from "./output.ts";

/** `phantom datadog apply` flags. */
export interface DatadogApplyOptions {
  readonly dryRun?: boolean;
  /** Datadog site, e.g. `datadoghq.eu`; else `DD_SITE`, else `datadoghq.com`. */
  readonly site?: string;
  /** Notification handles appended to every monitor message. */
  readonly notify?: readonly string[];
  readonly json?: boolean;
  /** Definitions folder (default: the shipped `functions/observability/`). */
  readonly dir?: string;
}

/** What `phantom datadog apply` reads from the environment. */
export interface DatadogEnv {
  readonly DD_API_KEY?: string;
  readonly DD_APP_KEY?: string;
  readonly DD_SITE?: string;
  /** The API's base URL instead of the site's (as the Datadog Terraform provider's `DD_HOST`): proxies, tests. */
  readonly DD_HOST?: string;
}

const SITE = /^(?:[a-z0-9-]+\.)+[a-z]{2,}$/;

/** The official client for the site, or for `DD_HOST` when set. Client retries stay off: apply owns them. */
function configurationFor(keys: { apiKey: string; appKey: string }, site: string, host: string | undefined) {
  const configuration = client.createConfiguration({
    authMethods: { apiKeyAuth: keys.apiKey, appKeyAuth: keys.appKey },
    ...(host ? { baseServer: new client.BaseServerConfiguration(host.replace(/\/+$/, ""), {}) } : {}),
  });
  configuration.setServerVariables({ site });
  return configuration;
}

/** Bad definition files are an input problem (exit 1), listed all at once. */
async function definitionsFrom(dir: string | undefined) {
  try {
    return await readDefinitions(dir);
  } catch (error) {
    if (error instanceof ObservabilityFileError) throw new UsageError(error.message);
    throw error;
  }
}

function line(item: PlanItem): string {
  const id = item.id === undefined ? "" : ` (id ${item.id})`;
  const head = `  ${item.action.padEnd(9)} ${item.kind} ${JSON.stringify(item.name)}${id}\n`;
  const notes = item.note ? `      note: ${item.note}\n` : "";
  return head + notes + item.differences.map((d) => `      ${d}\n`).join("");
}

function render(report: ApplyReport, site: string): string {
  const header = report.dryRun
    ? `Datadog plan for ${site} (dry run: nothing written)${report.account === "empty" ? " against an empty account" : ""}\n`
    : `Datadog apply on ${site}\n`;
  const { create, update, unchanged } = report.summary;
  const tail = report.dryRun
    ? `Plan: ${create} to create, ${update} to update, ${unchanged} unchanged.\n`
    : `Applied: ${create} created, ${update} updated, ${unchanged} unchanged.\n`;
  return header + report.items.map(line).join("") + tail;
}

/**
 * `phantom datadog apply [--dry-run] [--site …] [--notify …] [--json]`: creates or updates the
 * dashboard and monitors in `functions/observability/`, matched by title and name. Keys come from
 * `DD_API_KEY` / `DD_APP_KEY`; without them only a dry run is possible, planned against an empty
 * account (and it says so). Keys are never printed.
 * @see https://docs.datadoghq.com/account_management/api-app-keys/
 * @see https://docs.datadoghq.com/getting_started/site/
 */
export async function runDatadogApply(
  opts: DatadogApplyOptions,
  io: Output,
  env: DatadogEnv = process.env,
): Promise<ApplyReport> {
  const site = (opts.site ?? env.DD_SITE ?? "datadoghq.com").trim().toLowerCase();
  if (!SITE.test(site))
    throw new UsageError(`--site ${JSON.stringify(site)} is not a Datadog site (e.g. datadoghq.eu)`);
  const dryRun = opts.dryRun === true;
  const apiKey = env.DD_API_KEY?.trim() ?? "";
  const appKey = env.DD_APP_KEY?.trim() ?? "";
  const missing = [...(apiKey ? [] : ["DD_API_KEY"]), ...(appKey ? [] : ["DD_APP_KEY"])];
  if (missing.length > 0 && !dryRun) {
    throw new UsageError(
      `${missing.join(" and ")} must be set to apply (an API key and an application key with dashboards_write and monitors_write); use --dry-run to plan without them`,
    );
  }
  if (missing.length > 0)
    io.err(
      `phantom: ${missing.join(" and ")} not set: planning against an empty account (everything shows as create)\n`,
    );

  const definitions = withNotifications(await definitionsFrom(opts.dir), opts.notify ?? []);
  const host = env.DD_HOST?.trim() || undefined;
  const report = await applyObservability({
    ...(missing.length === 0 ? { configuration: configurationFor({ apiKey, appKey }, site, host) } : {}),
    definitions,
    dryRun,
    ...(opts.json
      ? {}
      : {
          onApplied: (item: PlanItem) =>
            io.err(`phantom: ${item.action}d ${item.kind} ${JSON.stringify(item.name)}\n`),
        }),
  });
  io.out(opts.json ? `${JSON.stringify({ site, ...report })}\n` : render(report, site));
  return report;
}
