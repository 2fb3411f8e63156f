// The plumbing every process-watching runtime needs (the local and the container runtime extend
// it): one operation per attempt at a time, background work awaited at close, and events fanned
// out to listeners, a throwing listener logged, never breaking the others.
import { messageOf } from '@kontroler/core';
import type { RuntimeEvent } from '@kontroler/engine';

export class RuntimePlumbing {
  readonly listeners = new Set<(ev: RuntimeEvent) => void>();
  /** The last operation queued per attempt (see serial). */
  readonly queues = new Map<string, Promise<void>>();
  readonly background = new Set<Promise<void>>();
  closed = false;

  constructor(
    /** Names the runtime in log lines ("local runtime"). */
    private readonly label: string,
    readonly log: (msg: string) => void,
  ) {}

  /** Runs `op` after every operation queued before it for `id` (an attempt's folder or name). */
  serial<T>(id: string, op: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev.then(op);
    const done = next.then(
      () => {},
      () => {},
    );
    this.queues.set(id, done);
    void done.then(() => {
      if (this.queues.get(id) === done) this.queues.delete(id);
    });
    return next;
  }

  /** Work nobody awaits (close does): a failure is logged. */
  runInBackground(p: Promise<void>): void {
    const guarded = p.catch((e: unknown) => this.log(`${this.label}: ${messageOf(e)}`));
    this.background.add(guarded);
    void guarded.then(() => this.background.delete(guarded));
  }

  emit(ev: RuntimeEvent): void {
    if (this.closed) return;
    for (const listener of this.listeners) {
      try {
        listener(ev);
      } catch (e) {
        this.log(`${this.label}: an event listener threw on ${ev.type}: ${messageOf(e)}`);
      }
    }
  }
}
