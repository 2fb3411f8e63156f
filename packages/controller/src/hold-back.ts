// Runs this controller handed back after failing to drive them (a resume whose adoption threw, a
// save that cannot succeed): their lease is released so any controller may take them, and this
// one leaves them alone for a growing, jittered while so a failure that repeats does not spin.
import { backoffMs, type BackoffPolicy } from '@kontroler/core';

/** Delay before this controller claims a handed-back run again: 1 s, doubling, at most 60 s. */
export const HAND_BACK_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };

interface Entry {
  failures: number;
  until: number;
}

export class HoldBack {
  private readonly entries = new Map<number, Entry>();

  constructor(
    private readonly policy: BackoffPolicy = HAND_BACK_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records one more failure of `runId` at `now`; returns how long the run is held back (ms). */
  hold(runId: number, now: number): number {
    const failures = (this.entries.get(runId)?.failures ?? 0) + 1;
    const delay = backoffMs(failures, this.policy, this.random);
    this.entries.set(runId, { failures, until: now + delay });
    return delay;
  }

  /** The run was driven fine: forget its failures. */
  clear(runId: number): void {
    this.entries.delete(runId);
  }

  /**
   * Runs held back at `now` (to exclude from claims). Entries whose hold ended more than the
   * longest delay ago are forgotten, so the map stays bounded by recent failures.
   */
  held(now: number): number[] {
    const out: number[] = [];
    for (const [id, e] of this.entries) {
      if (e.until > now) out.push(id);
      else if (e.until + this.policy.maxMs < now) this.entries.delete(id);
    }
    return out;
  }
}
