// Counts failures per key in fixed windows (in memory: one server process; several replicas each
// allow the limit, which still bounds guessing). Entries expire with their window.

export class FailureLimiter {
  private readonly hits = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may now. */
  blockedFor(key: string): number {
    const e = this.hits.get(key);
    if (!e) return 0;
    const t = this.now();
    if (e.resetAt <= t) {
      this.hits.delete(key);
      return 0;
    }
    return e.count >= this.max ? Math.ceil((e.resetAt - t) / 1000) : 0;
  }

  fail(key: string): void {
    const t = this.now();
    const e = this.hits.get(key);
    if (!e || e.resetAt <= t) {
      if (this.hits.size >= this.maxKeys) this.prune(t);
      this.hits.set(key, { count: 1, resetAt: t + this.windowMs });
    } else {
      e.count++;
    }
  }

  reset(key: string): void {
    this.hits.delete(key);
  }

  private prune(t: number): void {
    for (const [k, e] of this.hits) if (e.resetAt <= t) this.hits.delete(k);
    // Still full (an attack from many keys): drop the oldest entries rather than grow without bound.
    if (this.hits.size >= this.maxKeys) {
      let n = Math.ceil(this.maxKeys / 10);
      for (const k of this.hits.keys()) {
        this.hits.delete(k);
        if (--n === 0) break;
      }
    }
  }
}
