// Wakes log followers when new output for their run is stored (fed by the server's LISTEN
// connection), polling as the fallback when notifications are down or absent.

export class LogHub {
  private readonly waiters = new Map<number, Set<() => void>>();
  private closed = false;
  followers = 0;

  constructor(
    /** Longest wait without a notification before the follower polls anyway. */
    private readonly pollMs = 1000,
  ) {}

  /** Resolves when output for `runId` may have arrived, after `pollMs` at the latest, or on abort. */
  async wait(runId: number, signal: AbortSignal): Promise<void> {
    if (this.closed || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const set = this.waiters.get(runId) ?? new Set<() => void>();
      this.waiters.set(runId, set);
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(runId) === set) this.waiters.delete(runId);
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      signal.addEventListener('abort', done);
      set.add(done);
    });
  }

  /** A LOGS_CHANNEL payload: the comma-separated run ids that got output; '' (a list too long to send) wakes everyone. */
  notify(payload: string): void {
    if (payload === '') {
      this.wakeAll();
      return;
    }
    for (const id of payload.split(',')) {
      const set = this.waiters.get(Number(id));
      if (set) for (const w of [...set]) w();
    }
  }

  wakeAll(): void {
    for (const set of this.waiters.values()) for (const w of [...set]) w();
  }

  close(): void {
    this.closed = true;
    this.wakeAll();
  }
}
