import type { Clock, Ids } from "../../core/clock.ts";
import type { SettleMessage, Timer } from "../../core/window/timer.ts";

/** A clock that only moves when replay moves it: a 3-hour capture replays in seconds. */
export class VirtualClock implements Clock {
  #now: number;
  constructor(start: number) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  /** Moves time forward to `to`; time never runs backwards. */
  advance(to: number): void {
    if (to > this.#now) this.#now = to;
  }
}

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly message: SettleMessage;
}

/**
 * Settle reminders on the virtual clock, fired in time order (ties in arming order). Unlike SQS it
 * needs no 900 s cap, but it honours the same contract: a reminder fires at or after its time.
 */
export class VirtualTimer implements Timer {
  readonly #pending: Pending[] = [];
  #seq = 0;

  async arm(message: SettleMessage, at: number): Promise<void> {
    this.#pending.push({ at, seq: this.#seq++, message });
    this.#pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /** The time of the next reminder, if any. */
  peek(): number | undefined {
    return this.#pending[0]?.at;
  }

  /** Removes and returns the next reminder. */
  take(): Pending | undefined {
    return this.#pending.shift();
  }
}

/** Deterministic ids: `<prefix>-w1`, `<prefix>-w2`, ... per prefix, so replays are reproducible. */
export class SequentialIds implements Ids {
  readonly #counters = new Map<string, number>();
  next(prefix: string): string {
    const n = (this.#counters.get(prefix) ?? 0) + 1;
    this.#counters.set(prefix, n);
    return `${prefix}-w${n}`;
  }
}
