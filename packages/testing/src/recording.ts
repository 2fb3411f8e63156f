// Records a stream of events of any kind and lets a test wait on one (never on sleeps): every
// event is recorded before any waiter looks at it, so a wait started late still sees it.

/** How long `waitFor` waits for an event before it fails the test, unless told otherwise. */
export const EVENT_WAIT_LIMIT_MS = 20_000;

/** Longest description of the events so far in a timeout message. */
const DESCRIBE_LIMIT_CHARS = 2000;

interface Waiter<E> {
  readonly match: (ev: E) => boolean;
  readonly resolve: (ev: E) => void;
}

export interface RecordingOptions<E> {
  /** How long a wait lasts before it fails (default EVENT_WAIT_LIMIT_MS). */
  readonly waitLimitMs?: number;
  /** One event as a timeout message shows it (default JSON). */
  readonly describe?: (ev: E) => unknown;
}

/** Every event pushed, in order; `waitFor` resolves on the first matching one, past or future. */
export class Recording<E> {
  readonly events: E[] = [];
  private readonly waiters = new Set<Waiter<E>>();
  private readonly waitLimitMs: number;
  private readonly describeOne: (ev: E) => unknown;

  constructor(o: RecordingOptions<E> = {}) {
    this.waitLimitMs = o.waitLimitMs ?? EVENT_WAIT_LIMIT_MS;
    this.describeOne = o.describe ?? ((ev) => ev);
  }

  /** Records `ev`, then resolves the waiters it matches. */
  push(ev: E): void {
    this.events.push(ev);
    for (const w of this.waiters) {
      if (w.match(ev)) {
        this.waiters.delete(w);
        w.resolve(ev);
      }
    }
  }

  /**
   * The first matching event, already recorded or still to come. Fails after `timeoutMs` (default:
   * the recording's wait limit) with the events seen so far.
   */
  waitFor(match: (ev: E) => boolean, what: string, timeoutMs = this.waitLimitMs): Promise<E> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events so far: ${this.describe()}`));
      }, timeoutMs);
      const w: Waiter<E> = {
        match,
        resolve: (ev) => {
          clearTimeout(timer);
          resolve(ev);
        },
      };
      this.waiters.add(w);
    });
  }

  /** The events so far, as a timeout message shows them (cut at DESCRIBE_LIMIT_CHARS). */
  describe(): string {
    return JSON.stringify(this.events.map(this.describeOne)).slice(0, DESCRIBE_LIMIT_CHARS);
  }
}
