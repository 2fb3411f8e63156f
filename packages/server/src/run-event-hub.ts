// Tells live views that runs changed: fed by the server's LISTEN connection (every state save and
// request of a run notifies), it marks each subscription's runs dirty and wakes it. A
// subscription holds at most `maxPending` dirty run ids: past that it only remembers that it
// overflowed (the view then reloads), so a client that does not read never grows server memory.

/** A live view's interest: one run, or every run (the handler filters by namespace). */
export class RunSubscription {
  private readonly pending = new Set<number>();
  private overflowed = false;
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(
    /** The one run watched, or undefined for every run. */
    readonly runId: number | undefined,
    private readonly maxPending: number,
    private readonly onClose: (s: RunSubscription) => void,
  ) {}

  /** Marks `runId` changed (or every run, for undefined: a notification too long to send, a reconnect). */
  mark(runId: number | undefined): void {
    if (runId === undefined) this.overflowed = true;
    else if (this.runId === undefined || this.runId === runId) {
      if (this.pending.size >= this.maxPending) this.overflowed = true;
      else this.pending.add(runId);
    } else return;
    this.wake?.();
  }

  /** The runs marked since the last take, and whether some were lost (reload everything). */
  take(): { runIds: number[]; overflowed: boolean } {
    const out = { runIds: [...this.pending], overflowed: this.overflowed };
    this.pending.clear();
    this.overflowed = false;
    return out;
  }

  /** How many run ids wait to be taken. */
  get size(): number {
    return this.pending.size;
  }

  get closed(): boolean {
    return this.ended;
  }

  /**
   * Resolves when something was marked (at once if something already is), after `timeoutMs`, on
   * abort, or when the subscription is closed.
   */
  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.ended || signal.aborted || this.pending.size > 0 || this.overflowed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done);
      this.wake = done;
    });
  }

  /** Ends the subscription (the stream then ends: its client reconnects). */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.onClose(this);
    this.wake?.();
  }
}

/** A comment line this often keeps proxies from closing an idle stream. */
export const EVENTS_KEEPALIVE_MS = 15_000;
/** Without notifications (no LISTEN connection), streams look for changes this often. */
export const EVENTS_POLL_MS = 1000;

export class RunEventHub {
  private readonly subs = new Set<RunSubscription>();
  private readonly byRun = new Map<number, Set<RunSubscription>>();
  /**
   * How long a stream waits for a notification before it looks anyway (and sends a keepalive):
   * EVENTS_KEEPALIVE_MS while notifications come, EVENTS_POLL_MS without them.
   */
  waitMs: number;

  constructor(
    notifications: boolean,
    /** Dirty run ids a subscription to every run holds before it overflows. */
    private readonly maxPending = 1000,
  ) {
    this.waitMs = notifications ? EVENTS_KEEPALIVE_MS : EVENTS_POLL_MS;
  }

  subscribe(runId?: number): RunSubscription {
    const s = new RunSubscription(runId, this.maxPending, (x) => this.remove(x));
    this.subs.add(s);
    if (runId !== undefined) {
      const set = this.byRun.get(runId) ?? new Set();
      set.add(s);
      this.byRun.set(runId, set);
    }
    return s;
  }

  /** A run notification's payload: `<id>` or `<id>:<status>`. */
  notify(payload: string): void {
    const id = Number(payload.split(':')[0]);
    if (!Number.isSafeInteger(id) || id <= 0) return;
    for (const s of this.subs) if (s.runId === undefined) s.mark(id);
    for (const s of this.byRun.get(id) ?? []) s.mark(id);
  }

  /** Notifications may have been missed (LISTEN reconnected): every subscription reloads. */
  markAll(): void {
    for (const s of this.subs) s.mark(s.runId);
  }

  /** Ends every subscription: credentials or roles changed, so each client reconnects and is checked again. */
  closeAll(): void {
    for (const s of [...this.subs]) s.close();
  }

  /** Open subscriptions. */
  get size(): number {
    return this.subs.size;
  }

  /** The most dirty run ids any subscription holds (at most `maxPending`). */
  get largestPending(): number {
    let n = 0;
    for (const s of this.subs) n = Math.max(n, s.size);
    return n;
  }

  private remove(s: RunSubscription): void {
    this.subs.delete(s);
    if (s.runId === undefined) return;
    const set = this.byRun.get(s.runId);
    set?.delete(s);
    if (set?.size === 0) this.byRun.delete(s.runId);
  }
}
