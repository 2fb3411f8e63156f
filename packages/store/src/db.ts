// The subset of node-postgres this package uses (a port owned by its consumer).
import pg from 'pg';

export interface QueryResultLike<R> {
  rows: R[];
  rowCount: number | null;
}

export interface Queryable {
  query<R extends object = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResultLike<R>>;
}

export interface PoolLike extends Queryable {
  connect(): Promise<ClientLike>;
  end(): Promise<void>;
}

export interface ClientLike extends Queryable {
  release(err?: Error | boolean): void;
}

// bigint columns (ids, offsets) as JS numbers: they stay far below 2^53 here.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** Opens a connection pool. Only entry points call this. */
export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'kontroler' });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead
  return pool;
}

/**
 * Runs `fn` in a transaction; commits when it resolves, rolls back when it throws. Serialization
 * failures and deadlocks are retried (with jitter) up to 5 times: `fn` must be safe to repeat.
 */
export async function transaction<T>(pool: PoolLike, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const out = await fn(client);
      await client.query('commit');
      client.release();
      return out;
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      client.release();
      const code = (err as { code?: string }).code;
      if ((code === '40001' || code === '40P01') && attempt < 5) {
        await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
        continue;
      }
      throw err;
    }
  }
}
