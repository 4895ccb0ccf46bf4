/** Time, injected: the system clock in Lambda, a virtual clock in replay and tests. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** New ids, injected: random in Lambda, deterministic in replay and tests. */
export interface Ids {
  next(prefix: string): string;
}
