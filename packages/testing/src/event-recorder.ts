// Records every event a TaskRuntime emits (before it looks at any) and lets a test wait on one
// (never on sleeps); a Recording of runtime events with the questions runtime tests ask.
import type { AttemptKey, RuntimeEvent, TaskRuntime } from '@kontroler/engine';
import { Recording } from './recording.js';

export type Exited = Extract<RuntimeEvent, { type: 'exited' }>;
export type Started = Extract<RuntimeEvent, { type: 'started' }>;
export type LogEvent = Extract<RuntimeEvent, { type: 'log' }>;

export function sameKey(a: AttemptKey, b: AttemptKey): boolean {
  return a.runId === b.runId && a.task === b.task && a.attempt === b.attempt;
}

export interface EventRecorderOptions {
  /** How long a wait lasts before it fails the test (default EVENT_WAIT_LIMIT_MS). */
  readonly waitLimitMs?: number;
}

/** Records every event of a runtime; `waitFor` and friends resolve when a matching event arrives. */
export class EventRecorder {
  private readonly recording: Recording<RuntimeEvent>;
  readonly unsubscribe: () => void;

  constructor(rt: TaskRuntime, o: EventRecorderOptions = {}) {
    this.recording = new Recording<RuntimeEvent>({
      ...(o.waitLimitMs !== undefined ? { waitLimitMs: o.waitLimitMs } : {}),
      describe: (ev) => (ev.type === 'log' ? { ...ev, data: Buffer.from(ev.data).toString('utf8') } : ev),
    });
    this.unsubscribe = rt.subscribe((ev) => this.recording.push(ev));
  }

  /** Every event so far, in the order the runtime emitted them. */
  get events(): readonly RuntimeEvent[] {
    return this.recording.events;
  }

  /** The first matching event, already recorded or still to come. Fails after the wait limit (or `timeoutMs`). */
  waitFor(match: (ev: RuntimeEvent) => boolean, what: string, timeoutMs?: number): Promise<RuntimeEvent> {
    return this.recording.waitFor(match, what, timeoutMs);
  }

  async exited(key: AttemptKey, timeoutMs?: number): Promise<Exited> {
    return (await this.waitFor((ev) => ev.type === 'exited' && sameKey(ev.key, key), `exited of ${describeKey(key)}`, timeoutMs)) as Exited;
  }

  async started(key: AttemptKey, timeoutMs?: number): Promise<Started> {
    return (await this.waitFor((ev) => ev.type === 'started' && sameKey(ev.key, key), `started of ${describeKey(key)}`, timeoutMs)) as Started;
  }

  /** Resolves once the attempt's log (as delivered so far) contains `text`. */
  async logContains(key: AttemptKey, text: string, timeoutMs?: number): Promise<void> {
    if (this.logText(key).includes(text)) return;
    await this.waitFor(() => this.logText(key).includes(text), `log "${text}" of ${describeKey(key)}`, timeoutMs);
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

function describeKey(k: AttemptKey): string {
  return `${k.task}#${k.attempt}`;
}
