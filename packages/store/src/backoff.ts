// The one backoff rule for reconnecting to the database: exponential, capped, with full jitter in
// the upper half, so a fleet of clients that lost the same server does not come back in step.

export interface Backoff {
  /** Delay after the first failure. */
  readonly firstMs: number;
  /** Cap of any delay. */
  readonly maxMs: number;
}

/** Reconnect delays of LISTEN connections: 250 ms doubling up to 10 s. */
export const RECONNECT_BACKOFF: Backoff = { firstMs: 250, maxMs: 10_000 };

/** Delay before retry number `failures` (1 = after the first failure), in [d/2, d] where d = min(max, first·2^(failures-1)). Pure but for `random`. */
export function backoffDelay(failures: number, b: Backoff = RECONNECT_BACKOFF, random: () => number = Math.random): number {
  const d = Math.min(b.maxMs, b.firstMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.round(d / 2 + (random() * d) / 2);
}
