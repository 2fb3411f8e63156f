// Releases backfills' pending fire times as runs (the store's `releaseBackfills`): woken when a run
// driven here ends, and every `pollMs` as the fallback (a run that ended on another controller, a
// controller that crashed while releasing). Several controllers may run it at once: the store
// locks each backfill to one of them, so a backfill never has more than maxActive runs active.
import type { PoolLike } from '@kontroler/store';
import { releaseBackfills } from '@kontroler/store';
import type { ControllerLog } from './log.js';

export interface BackfillReleaserOptions {
  readonly pool: PoolLike;
  readonly log: ControllerLog;
  /** Longest wait between checks (default 2 s). */
  readonly pollMs?: number;
}

export class BackfillReleaser {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly o: BackfillReleaserOptions) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.o.pollMs ?? 2_000);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Release now (coalesces calls made while a release is in flight into one more). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = releaseBackfills(this.o.pool)
      .then(() => undefined)
      .catch((e: unknown) => this.o.log.error('releasing backfill runs failed', e))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }
}
