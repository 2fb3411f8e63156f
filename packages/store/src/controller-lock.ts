// The controller id's lock: a session advisory lock named after the id, held on a dedicated
// connection for the life of the process, so two live processes never act as the same controller
// (runs are leased by id: a second copy would take the first one's runs as its own).
//
// The lock lives exactly as long as its connection. When the connection breaks (database
// restarted, network cut, backend terminated) the lock is gone, and another process may take the
// id. Decision: the holder reports 'lost' (its owner stops claiming runs and waits for that to
// settle), then reconnects with a jittered, capped backoff for as long as the database stays
// unreachable. Once connected it tries for `acquireWaitMs` to take the lock again (a terminated
// session takes a moment to end on the server): held → 'held' (claiming resumes); still held by
// someone else → 'taken', which is final: the process must stop acting as this controller (`kontroler
// up` exits non-zero with the message).
import { KontrolerError, backoffMs, type BackoffPolicy } from '@kontroler/core';
import pg from 'pg';

/** How long taking the lock waits for a previous holder's session to end (start and re-take). */
export const CONTROLLER_LOCK_WAIT_MS = 5_000;
/** Reconnecting after the lock's connection broke: 200 ms, doubling, at most 10 s, jittered. */
export const CONTROLLER_LOCK_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 10_000 };
/** The lock's connection name in `pg_stat_activity.application_name`. */
export const CONTROLLER_LOCK_APPLICATION = 'kontroler-id';

export type ControllerLockState = 'lost' | 'held' | 'taken';

export interface ControllerIdLock {
  readonly id: string;
  /** True while the lock is held (false from a loss until it is held again; false once taken). */
  readonly held: boolean;
  /**
   * Calls `fn` at every change: 'lost' (stop claiming: the lock waits for the promise `fn` returns
   * before it tries to get the lock back), 'held' (got it back), 'taken' (another process holds
   * the id; final). Listeners are called in order, synchronously. Returns an unsubscribe.
   */
  watch(fn: (state: ControllerLockState, cause?: unknown) => Promise<void> | void): () => void;
  /** Gives the lock up and closes its connection. Idempotent. */
  release(): Promise<void>;
}

export interface ControllerLockOptions {
  readonly acquireWaitMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function takenError(id: string, cause?: unknown): KontrolerError {
  return new KontrolerError(
    'CONFLICT',
    `another live Kontroler controller already uses the id "${id}" on this database (same data folder?). Stop it, or give this one another id with KONTROLER_CONTROLLER_ID.`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Takes the lock for `id` (waiting up to `acquireWaitMs` for a previous holder to go) and keeps
 * it; see the file comment for what happens when its connection breaks. Throws CONFLICT when
 * another live process holds the id, or the connection error when the database is unreachable.
 */
export async function holdControllerId(databaseUrl: string, id: string, opts: ControllerLockOptions = {}): Promise<ControllerIdLock> {
  const waitMs = opts.acquireWaitMs ?? CONTROLLER_LOCK_WAIT_MS;
  const policy = opts.backoff ?? CONTROLLER_LOCK_BACKOFF;
  const random = opts.random ?? Math.random;
  const listeners = new Set<(state: ControllerLockState, cause?: unknown) => Promise<void> | void>();
  let closed = false;
  let held = false;
  let client: pg.Client | undefined;

  /** A connected client holding the lock, or undefined when someone else holds it after `waitMs`. */
  const acquire = async (): Promise<pg.Client | undefined> => {
    const c = new pg.Client({ connectionString: databaseUrl, application_name: CONTROLLER_LOCK_APPLICATION, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    c.on('error', () => undefined); // until held: failures surface as rejected queries
    try {
      await c.connect();
      const deadline = Date.now() + waitMs;
      for (;;) {
        const { rows } = await c.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [id]);
        if (rows[0]?.ok === true) return c;
        if (Date.now() >= deadline || closed) break;
        await sleep(100);
      }
    } catch (e) {
      await c.end().catch(() => undefined);
      throw e;
    }
    await c.end().catch(() => undefined);
    return undefined;
  };

  const emit = (state: ControllerLockState, cause?: unknown): Promise<unknown> =>
    Promise.allSettled(
      [...listeners].map((fn) => {
        try {
          return fn(state, cause);
        } catch (e) {
          return Promise.reject(e);
        }
      }),
    );

  const watchConnection = (c: pg.Client): void => {
    let gone = false;
    const onGone = (cause?: unknown): void => {
      if (gone || closed) return;
      gone = true;
      held = false;
      client = undefined;
      c.end().catch(() => undefined);
      void emit('lost', cause).then(() => regain(cause));
    };
    c.on('error', onGone);
    c.on('end', () => onGone(new Error('the controller id lock connection ended')));
  };

  const regain = async (lostCause: unknown): Promise<void> => {
    for (let retry = 1; !closed; retry++) {
      await sleep(backoffMs(retry, policy, random));
      if (closed) return;
      let c: pg.Client | undefined;
      try {
        c = await acquire();
      } catch {
        continue; // database still unreachable: keep trying, claims stay paused
      }
      if (closed) {
        await c?.end().catch(() => undefined);
        return;
      }
      if (!c) {
        void emit('taken', takenError(id, lostCause));
        return;
      }
      client = c;
      held = true;
      watchConnection(c);
      void emit('held');
      return;
    }
  };

  const first = await acquire();
  if (!first) throw takenError(id);
  client = first;
  held = true;
  watchConnection(first);

  return {
    id,
    get held() {
      return held;
    },
    watch(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    async release() {
      closed = true;
      held = false;
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
