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

/** Opens a connection pool. Only entry points call this. */
export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'kontroler' });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead
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
