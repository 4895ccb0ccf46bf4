import type { ResourceRef } from "../catalog/types.ts";
import type { Judgement } from "../change/classify.ts";
import { eventKey } from "../change/fingerprint.ts";
import type { Clock, Ids } from "../clock.ts";
import type { StackDirectory, StackResource } from "../drift/ports.ts";
import { redact } from "../secrets.ts";
import { dueAt } from "../window/policy.ts";
import { isGlobalEvent, type Place, type StackRef, stackKey } from "../window/stack.ts";
import type { WindowStore } from "../window/store.ts";
import type { Timer } from "../window/timer.ts";
import type { TouchedResource, WindowEvent, WindowPolicy } from "../window/types.ts";

export interface TouchPorts {
  readonly directory: StackDirectory;
  readonly windows: WindowStore;
  readonly timer: Timer;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly policy: WindowPolicy;
  /**
   * The place of a record that names none (no `recipientAccountId`, no envelope `account`, no
   * `awsRegion`): the home account and region. Real records always name both.
   */
  readonly home?: Partial<Place>;
  /**
   * Whether an account is configured (the home account and the deploy's member accounts,
   * `PHANTOM_ACCOUNTS`): an event from any other is ignored, reason `unknown-account`. Absent: every
   * account is taken.
   */
  readonly serves?: (account: string) => boolean;
  /**
   * The regions an account's stacks live in (`PHANTOM_REGIONS`), searched for the resource of a global
   * service (IAM, CloudFront, Route 53, global WAF log in us-east-1 whatever the stack's region).
   * Absent: only the event's region is searched.
   */
  readonly regionsOf?: (account: string) => readonly string[];
  /**
   * Sees the event added to a window (`touch`) and the window's settle timer armed (`timer`)
   * (core/reactor/steps.ts); may abort the invocation.
   */
  readonly afterStep?: (step: "touch" | "timer") => void | Promise<void>;
}

/** What one change did to the windows. */
export interface TouchOutcome {
  readonly key: string;
  /** Set when the change was not taken at all: its account is not configured. */
  readonly ignored?: { readonly reason: "unknown-account"; readonly detail: string };
  /** One entry per stack the change touched, each `(account, region, stack)`. */
  readonly stacks: readonly (StackRef & {
    readonly windowId: string;
    readonly opened: boolean;
    readonly duplicate: boolean;
  })[];
  /** Touched resources no stack owns: counted and reported, never lost silently. */
  readonly unmanaged: readonly ResourceRef[];
}

type Change = Extract<Judgement, { verdict: "change" }>;

/**
 * The on-change use case: resolve the stacks that own the resources a change touched, add the
 * change to each stack's open window, and arm the settle timer when this change opened the window.
 * Idempotent under redelivery: the window store de-duplicates on the event key.
 */
export async function touch(change: Change, ports: TouchPorts): Promise<TouchOutcome> {
  const { record } = change;
  const key = eventKey(record);
  // The intake fills `recipientAccountId` and `awsRegion` from the envelope's `account` and `region`
  // when the detail lacks them; the home place stands in only for a record that names neither.
  const account = record.recipientAccountId ?? ports.home?.account;
  const region = record.awsRegion ?? ports.home?.region;
  if (account === undefined || region === undefined) {
    return {
      key,
      ignored: {
        reason: "unknown-account",
        detail: `the record names no ${account === undefined ? "account (recipientAccountId)" : "region (awsRegion)"} and no home is configured`,
      },
      stacks: [],
      unmanaged: [],
    };
  }
  if (ports.serves !== undefined && !ports.serves(account)) {
    return {
      key,
      ignored: {
        reason: "unknown-account",
        detail: `account ${account} is not configured (PHANTOM_ACCOUNTS)`,
      },
      stacks: [],
      unmanaged: [],
    };
  }
  // A global service's resource may belong to a stack in any region of the account: the event's
  // region first, then the account's other configured regions.
  const regions = isGlobalEvent(record.eventSource, region)
    ? [...new Set([region, ...(ports.regionsOf?.(account) ?? [])])]
    : [region];
  const byStack = new Map<string, { ref: StackRef; resources: TouchedResource[] }>();
  const unmanaged: ResourceRef[] = [];
  for (const ref of change.resources) {
    let found: { owner: StackResource; region: string } | undefined;
    for (const r of regions) {
      const owner = await ports.directory.lookup(ref, { account, region: r });
      if (owner !== undefined) {
        found = { owner, region: r };
        break;
      }
    }
    if (found === undefined) {
      unmanaged.push(ref);
      continue;
    }
    const { owner } = found;
    const stackRef: StackRef = { account, region: found.region, stack: owner.stack };
    const id = stackKey(stackRef);
    const entry = byStack.get(id) ?? { ref: stackRef, resources: [] };
    if (!entry.resources.some((r) => r.logicalId === owner.logicalId)) {
      entry.resources.push({ logicalId: owner.logicalId, physicalId: owner.physicalId, type: owner.type });
    }
    byStack.set(id, entry);
  }

  const stacks: TouchOutcome["stacks"][number][] = [];
  for (const { ref, resources } of byStack.values()) {
    const event: WindowEvent = {
      key,
      ...(record.eventID ? { eventID: record.eventID } : {}),
      eventName: record.eventName,
      eventSource: record.eventSource,
      eventTime: record.eventTime,
      region,
      account,
      actor: change.actor,
      resources,
      // Kept in the windows table for 14 days: its secrets redacted, its names and shape intact for
      // the blind-spot comparison (core/drift/live.ts never takes a redacted value for a real one).
      ...(record.requestParameters ? { request: redact(record.requestParameters) } : {}),
    };
    const now = ports.clock.now();
    const result = await ports.windows.touch({
      ...ref,
      event,
      logicalIds: resources.map((r) => r.logicalId),
      now,
      newId: () => ports.ids.next(ref.stack),
    });
    await ports.afterStep?.("touch");
    if (result.opened) {
      await ports.timer.arm({ ...ref, windowId: result.window.id }, now + ports.policy.quietMs);
      await ports.afterStep?.("timer");
    } else if (result.duplicate && result.window.status === "open" && result.window.events[0]?.key === key) {
      // A redelivery of the window's first event: the first delivery may have died between opening
      // the window and arming its timer. Arming again is harmless (a settle of a done window is
      // skipped), and without it the window would wait for the weekly sweep.
      await ports.timer.arm({ ...ref, windowId: result.window.id }, dueAt(result.window, ports.policy));
      await ports.afterStep?.("timer");
    }
    stacks.push({ ...ref, windowId: result.window.id, opened: result.opened, duplicate: result.duplicate });
  }
  return { key, stacks, unmanaged };
}
