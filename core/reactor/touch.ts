import type { ResourceRef } from "../catalog/types.ts";
import type { Judgement } from "../change/classify.ts";
import { eventKey } from "../change/fingerprint.ts";
import type { Clock, Ids } from "../clock.ts";
import type { StackDirectory } from "../drift/ports.ts";
import { dueAt } from "../window/policy.ts";
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
}

/** What one change did to the windows. */
export interface TouchOutcome {
  readonly key: string;
  /** One entry per stack the change touched. */
  readonly stacks: readonly {
    readonly stack: string;
    readonly windowId: string;
    readonly opened: boolean;
    readonly duplicate: boolean;
  }[];
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
  const where = {
    ...(record.awsRegion ? { region: record.awsRegion } : {}),
    ...(record.recipientAccountId ? { account: record.recipientAccountId } : {}),
  };
  const byStack = new Map<string, TouchedResource[]>();
  const unmanaged: ResourceRef[] = [];
  for (const ref of change.resources) {
    const owner = await ports.directory.lookup(ref, where);
    if (owner === undefined) {
      unmanaged.push(ref);
      continue;
    }
    const list = byStack.get(owner.stack) ?? [];
    if (!list.some((r) => r.logicalId === owner.logicalId)) {
      list.push({ logicalId: owner.logicalId, physicalId: owner.physicalId, type: owner.type });
    }
    byStack.set(owner.stack, list);
  }

  const stacks: TouchOutcome["stacks"][number][] = [];
  for (const [stack, resources] of byStack) {
    const event: WindowEvent = {
      key,
      ...(record.eventID ? { eventID: record.eventID } : {}),
      eventName: record.eventName,
      eventSource: record.eventSource,
      eventTime: record.eventTime,
      ...where,
      actor: change.actor,
      resources,
      ...(record.requestParameters ? { request: record.requestParameters } : {}),
    };
    const now = ports.clock.now();
    const result = await ports.windows.touch({
      stack,
      event,
      logicalIds: resources.map((r) => r.logicalId),
      now,
      newId: () => ports.ids.next(stack),
    });
    if (result.opened) {
      await ports.timer.arm({ stack, windowId: result.window.id }, now + ports.policy.quietMs);
    } else if (result.duplicate && result.window.status === "open" && result.window.events[0]?.key === key) {
      // A redelivery of the window's first event: the first delivery may have died between opening
      // the window and arming its timer. Arming again is harmless (a settle of a done window is
      // skipped), and without it the window would wait for the weekly sweep.
      await ports.timer.arm({ stack, windowId: result.window.id }, dueAt(result.window, ports.policy));
    }
    stacks.push({ stack, windowId: result.window.id, opened: result.opened, duplicate: result.duplicate });
  }
  return { key, stacks, unmanaged };
}
