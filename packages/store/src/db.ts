// The subset of node-postgres this package uses (a port owned by its consumer).
import pg from 'pg';
import { isConnectionError, retryKind } from '@kontroler/core';

export interface QueryResultLike<R> {
  rows: R[];
  rowCount: number | null;
}

export interface Queryable {
  /**
   * Runs one statement. `R` is the row it returns, from the row types of rows.ts and rows/*.ts;
   * without one the rows have no readable column, so every read names what it selects.
   */
  query<R extends object = Record<never, never>>(text: string, values?: readonly unknown[]): Promise<QueryResultLike<R>>;
}

export interface PoolLike extends Queryable {
  connect(): Promise<ClientLike>;
  end(): Promise<void>;
}

export interface ClientLike extends Queryable {
  /** Gives the client back; with an error the pool destroys it instead of reusing it. */
  release(err?: Error | boolean): void;
  /** A checked-out client whose connection breaks between queries emits 'error' (unheard: a crash). */
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
}

// bigint columns (ids, offsets) as JS numbers: they stay far below 2^53 here.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** Statement text -> its prepared-statement name (see `prepared`). */
const PREPARED = new Map<string, string>();

/**
 * Marks a statement of the hot path (a run's state save, log appends, lease renewals) to be
 * prepared: a pool from `createPool` sends it as a named statement, parsed and planned once per
 * connection instead of on every call (for the state save that was 1-3 ms of each save). The text
 * is returned unchanged, so test doubles of the port see the statement as before. Throws when a
 * name is reused for another text.
 */
export function prepared(name: string, text: string): string {
  const had = [...PREPARED].find(([, n]) => n === name);
  if (had && had[0] !== text) throw new Error(`prepared statement name ${name} is used for two statements`);
  PREPARED.set(text, name);
  return text;
}

/** The name a statement is prepared under, if it is one of `prepared`'s. */
export function preparedName(text: string): string | undefined {
  return PREPARED.get(text);
}

/** Opens a connection pool. Only entry points call this. */
export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'kontroler' });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead
  // The statements marked by `prepared` go out as named statements; everything else as it came.
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  pool.query = ((...args: unknown[]) => {
    const [text, values] = args;
    const name = typeof text === 'string' ? PREPARED.get(text) : undefined;
    return name === undefined ? query(...args) : query({ name, text, values });
  }) as typeof pool.query;
  return pool;
}

/** How many times `transaction` runs `fn` when the database keeps reporting conflicts. */
export const TRANSACTION_MAX_TRIES = 5;

/**
 * Runs `fn` in a transaction; commits when it resolves, rolls back when it throws. Conflicts
 * (serialization failures, deadlocks: `retryKind(err) === 'conflict'`) are retried with jitter,
 * `TRANSACTION_MAX_TRIES` runs in all: `fn` must be safe to repeat. Anything else is thrown to the
 * caller, who decides (a broken connection is not retried here: whether a failed commit landed
 * is unknown). A client whose connection broke is destroyed, never given back to the pool.
 */
export async function transaction<T>(pool: PoolLike, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broke: Error | undefined;
    const onError = (e: Error): void => {
      broke = e;
    };
    client.on('error', onError);
    try {
      await client.query('begin');
      const out = await fn(client);
      await client.query('commit');
      client.off('error', onError);
      client.release(broke);
      return out;
    } catch (err) {
      const rollback = await client.query('rollback').then(
        () => undefined,
        (e: unknown) => e,
      );
      // A connection-level failure (or a rollback that failed) leaves the client unusable.
      const broken = broke ?? (isConnectionError(err) ? err : rollback);
      client.off('error', onError);
      client.release(broken === undefined ? undefined : broken instanceof Error ? broken : true);
      if (retryKind(err) === 'conflict' && attempt < TRANSACTION_MAX_TRIES) {
        await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
        continue;
      }
      throw err;
    }
  }
}
