// Client-side request rate limit, as client-go's token bucket (QPS with a burst). Pure apart
// from the clock and timer it is given.

export interface TokenBucketOptions {
  /** Sustained requests per second; 0 or less = unlimited. */
  readonly qps: number;
  /** Requests allowed at once after a quiet period (at least 1). */
  readonly burst: number;
  readonly now?: () => number;
}

/**
 * A token bucket: `burst` tokens, refilled at `qps` per second. `take()` resolves when a token
 * is available; waiters are served in order.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly now: () => number;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: TokenBucketOptions) {
    this.now = o.now ?? Date.now;
    this.tokens = Math.max(1, o.burst);
    this.last = this.now();
  }

  /** Milliseconds until a token is free, taking it when it is free now (0). */
  tryTake(): number {
    if (this.o.qps <= 0) return 0;
    const t = this.now();
    this.tokens = Math.min(Math.max(1, this.o.burst), this.tokens + ((t - this.last) / 1000) * this.o.qps);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.o.qps) * 1000);
  }

  /** Waits for a token (first come, first served). */
  take(): Promise<void> {
    if (this.o.qps <= 0) return Promise.resolve();
    const next = this.queue.then(async () => {
      for (;;) {
        const wait = this.tryTake();
        if (wait === 0) return;
        await new Promise((r) => setTimeout(r, wait));
      }
    });
    this.queue = next;
    return next;
  }
}
