// Wakes log followers when new output for their run is stored: one LISTEN connection per server
// (started with the first follower), polling as the fallback when it is down or absent.
import type { Listener } from '@kontroler/store';
import { LOGS_CHANNEL, listen } from '@kontroler/store';
import type { ServerLog } from './config.js';

export class LogHub {
  private readonly waiters = new Map<number, Set<() => void>>();
  private listener: Promise<Listener | undefined> | undefined;
  private closed = false;
  followers = 0;

  constructor(
    private readonly databaseUrl: string | undefined,
    private readonly log: ServerLog,
    /** Longest wait without a notification before the follower polls anyway. */
    private readonly pollMs = 1000,
  ) {}

  /** Resolves when output for `runId` may have arrived, after `pollMs` at the latest, or on abort. */
  async wait(runId: number, signal: AbortSignal): Promise<void> {
    await this.ensureListening();
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

  private ensureListening(): Promise<Listener | undefined> {
    if (!this.databaseUrl) return Promise.resolve(undefined);
    this.listener ??= listen(this.databaseUrl, [LOGS_CHANNEL], (_ch, payload) => this.notify(payload), () => this.wakeAll()).catch((e) => {
      this.log.warn(`log follow: LISTEN failed, polling instead (${e instanceof Error ? e.message : String(e)})`);
      return undefined;
    });
    return this.listener;
  }

  private notify(payload: string): void {
    for (const id of payload.split(',')) {
      const set = this.waiters.get(Number(id));
      if (set) for (const w of [...set]) w();
    }
  }

  private wakeAll(): void {
    for (const set of this.waiters.values()) for (const w of [...set]) w();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    const l = await this.listener;
    await l?.close();
  }
}
