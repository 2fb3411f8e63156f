// Records every event a TaskRuntime emits and lets a test wait on one (never on sleeps).
import type { AttemptKey, RuntimeEvent, TaskRuntime } from '@kontroler/engine';

export type Exited = Extract<RuntimeEvent, { type: 'exited' }>;
export type Started = Extract<RuntimeEvent, { type: 'started' }>;
export type LogEvent = Extract<RuntimeEvent, { type: 'log' }>;

/** How long `waitFor` waits for an event before it fails the test. */
export const EVENT_WAIT_LIMIT_MS = 20_000;

/** Longest description of the events so far in a timeout message. */
const DESCRIBE_LIMIT_CHARS = 2000;

export function sameKey(a: AttemptKey, b: AttemptKey): boolean {
  return a.runId === b.runId && a.task === b.task && a.attempt === b.attempt;
}

interface Waiter {
  readonly match: (ev: RuntimeEvent) => boolean;
  readonly resolve: (ev: RuntimeEvent) => void;
}

/** Records every event of a runtime; `waitFor` and friends resolve when a matching event arrives. */
export class EventRecorder {
  readonly events: RuntimeEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  readonly unsubscribe: () => void;

  constructor(rt: TaskRuntime) {
    this.unsubscribe = rt.subscribe((ev) => {
      this.events.push(ev);
      for (const w of this.waiters) {
        if (w.match(ev)) {
          this.waiters.delete(w);
          w.resolve(ev);
        }
      }
    });
  }

  /** The first matching event, already recorded or still to come. Fails after EVENT_WAIT_LIMIT_MS. */
  waitFor(match: (ev: RuntimeEvent) => boolean, what: string): Promise<RuntimeEvent> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`timed out waiting for ${what}; events so far: ${describeEvents(this.events)}`));
      }, EVENT_WAIT_LIMIT_MS);
      const w: Waiter = {
        match,
        resolve: (ev) => {
          clearTimeout(timer);
          resolve(ev);
        },
      };
      this.waiters.add(w);
    });
  }

  async exited(key: AttemptKey): Promise<Exited> {
    return (await this.waitFor((ev) => ev.type === 'exited' && sameKey(ev.key, key), `exited of ${key.task}`)) as Exited;
  }

  async started(key: AttemptKey): Promise<Started> {
    return (await this.waitFor((ev) => ev.type === 'started' && sameKey(ev.key, key), `started of ${key.task}`)) as Started;
  }

  /** Resolves once the attempt's log (as delivered so far) contains `text`. */
  async logContains(key: AttemptKey, text: string): Promise<void> {
    if (this.logText(key).includes(text)) return;
    await this.waitFor(() => this.logText(key).includes(text), `log "${text}" of ${key.task}`);
  }

  logEvents(key: AttemptKey): LogEvent[] {
    return this.events.filter((ev): ev is LogEvent => ev.type === 'log' && sameKey(ev.key, key));
  }

  /** The delivered log; throws unless the events are contiguous from `from`. */
  logText(key: AttemptKey, from = 0): string {
    let expected = from;
    const parts: Buffer[] = [];
    for (const ev of this.logEvents(key)) {
      if (ev.offset !== expected) throw new Error(`log of ${key.task}: event at offset ${ev.offset}, expected ${expected}`);
      expected += ev.data.byteLength;
      parts.push(Buffer.from(ev.data));
    }
    return Buffer.concat(parts).toString('utf8');
  }

  count(type: RuntimeEvent['type'], key: AttemptKey): number {
    return this.events.filter((ev) => ev.type === type && sameKey(ev.key, key)).length;
  }
}

function describeEvents(events: readonly RuntimeEvent[]): string {
  return JSON.stringify(
    events.map((ev) => (ev.type === 'log' ? { ...ev, data: Buffer.from(ev.data).toString('utf8') } : ev)),
  ).slice(0, DESCRIBE_LIMIT_CHARS);
}
