// A keyed work queue in the style of client-go's: a key is queued at most once, processed by one
// worker at a time, may be re-queued after a delay, and is processed at most once per
// `minIntervalMs` (so a burst of changes to one object becomes one write). A key whose handler
// throws is retried after a delay that doubles with each failure in a row, up to a maximum
// (client-go's per-item exponential backoff), so a persistent error does not spin.

/** Delay before the first retry of a failed key (doubles per failure in a row). */
export const QUEUE_RETRY_BASE_MS = 1000;
/** Longest delay between retries of a key that keeps failing. */
export const QUEUE_RETRY_MAX_MS = 60_000;

/** The delay before retry number `failures` (1-based) of a key. Pure. */
export function retryBackoffMs(failures: number, baseMs = QUEUE_RETRY_BASE_MS, maxMs = QUEUE_RETRY_MAX_MS): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
}

export interface WorkQueueOptions {
  readonly workers?: number;
  readonly minIntervalMs?: number;
  /** Called with the failure count in a row and the delay before the retry. */
  readonly onError?: (key: string, err: unknown, failures: number, retryInMs: number) => void;
  readonly now?: () => number;
  /** Default QUEUE_RETRY_BASE_MS. */
  readonly retryBaseMs?: number;
  /** Default QUEUE_RETRY_MAX_MS. */
  readonly retryMaxMs?: number;
}

/** What a handler asks for: nothing, or to be called again after `ms`. */
export type Outcome = void | { readonly requeueAfterMs: number };

export class WorkQueue {
  private readonly due = new Map<string, number>();
  private readonly busy = new Set<string>();
  private readonly again = new Set<string>();
  private readonly lastRun = new Map<string, number>();
  /** Failures in a row, per key (cleared by a success). */
  private readonly failures = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = 0;
  private paused = true;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private readonly now: () => number;

  constructor(
    private readonly handler: (key: string) => Promise<Outcome>,
    private readonly o: WorkQueueOptions = {},
  ) {
    this.now = o.now ?? Date.now;
  }

  /** Queues `key` to run after `delayMs` (keeps an earlier time if already queued). */
  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (this.busy.has(key) && delayMs === 0) {
      this.again.add(key);
      return;
    }
    const at = this.now() + delayMs;
    const cur = this.due.get(key);
    if (cur === undefined || at < cur) this.due.set(key, at);
    this.pump();
  }

  /** Starts (or resumes) processing. */
  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Stops taking new keys (queued ones wait); running handlers finish. */
  pause(): void {
    this.paused = true;
  }

  get size(): number {
    return this.due.size;
  }

  /** Resolves when nothing is queued for now and nothing runs. */
  idle(): Promise<void> {
    if (this.running === 0 && ![...this.due.values()].some((t) => t <= this.now())) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.paused = true;
    if (this.timer) clearTimeout(this.timer);
    this.due.clear();
    while (this.running > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private pump(): void {
    if (this.paused || this.stopped) return;
    const now = this.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [key, at0] of this.due) {
      if (this.running >= (this.o.workers ?? 4)) break;
      if (this.busy.has(key)) continue;
      const last = this.lastRun.get(key);
      const at = Math.max(at0, last !== undefined ? last + (this.o.minIntervalMs ?? 0) : 0);
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      this.due.delete(key);
      this.start(key);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (Number.isFinite(next)) {
      this.timer = setTimeout(() => this.pump(), Math.max(1, next - now));
      this.timer.unref?.();
    }
    if (this.running === 0 && !this.due.size) for (const w of this.idleWaiters.splice(0)) w();
  }

  private start(key: string): void {
    this.running++;
    this.busy.add(key);
    this.lastRun.set(key, this.now());
    void this.handler(key)
      .then(
        (out) => {
          this.failures.delete(key);
          if (out && typeof out === 'object') this.due.set(key, Math.min(this.due.get(key) ?? Infinity, this.now() + out.requeueAfterMs));
        },
        (err: unknown) => {
          const n = (this.failures.get(key) ?? 0) + 1;
          if (this.failures.size < 10_000 || this.failures.has(key)) this.failures.set(key, n);
          const delay = retryBackoffMs(n, this.o.retryBaseMs, this.o.retryMaxMs);
          this.o.onError?.(key, err, n, delay);
          this.due.set(key, Math.min(this.due.get(key) ?? Infinity, this.now() + delay));
        },
      )
      .finally(() => {
        this.running--;
        this.busy.delete(key);
        if (this.again.delete(key)) this.due.set(key, Math.min(this.due.get(key) ?? Infinity, this.now()));
        if (this.lastRun.size > 10_000) this.lastRun.clear();
        this.pump();
        if (this.running === 0 && ![...this.due.values()].some((t) => t <= this.now())) for (const w of this.idleWaiters.splice(0)) w();
      });
  }
}
