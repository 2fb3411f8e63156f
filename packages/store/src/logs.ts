import type { PoolLike, Queryable } from './db.js';

export const LOGS_CHANNEL = 'kontroler_logs';

export interface LogChunk {
  runId: number;
  task: string;
  attempt: number;
  /** Byte offset of `data` within the attempt's log. */
  offset: number;
  data: Uint8Array;
}

/**
 * Appends log chunks (any number of attempts) in one transaction. Idempotent: a chunk at an offset
 * already stored is ignored, so a re-delivered chunk after a crash is not duplicated. Keeps each
 * attempt's `log_size` at the end of its contiguous log and notifies followers.
 */
export async function appendLogs(pool: PoolLike, chunks: readonly LogChunk[]): Promise<void> {
  if (chunks.length === 0) return;
  const ends = new Map<string, { runId: number; task: string; attempt: number; end: number }>();
  for (const c of chunks) {
    const k = `${c.runId}\u0000${c.task}\u0000${c.attempt}`;
    const end = c.offset + c.data.byteLength;
    const cur = ends.get(k);
    if (!cur || cur.end < end) ends.set(k, { runId: c.runId, task: c.task, attempt: c.attempt, end });
  }
  const e = [...ends.values()];
  // One statement (one round trip, atomic): the chunks, the sizes, the wake-up for followers.
  await pool.query(
    `with ins as (
       insert into attempt_logs (run_id, task, attempt, "offset", data)
       select * from unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[], $5::bytea[])
       on conflict do nothing returning 1),
     sizes as (
       update attempts a set log_size = greatest(a.log_size, x.size)
       from unnest($6::bigint[], $7::text[], $8::int[], $9::bigint[]) as x(run_id, task, attempt, size)
       where a.run_id = x.run_id and a.task = x.task and a.attempt = x.attempt returning 1)
     select pg_notify($10, $11), (select count(*) from ins), (select count(*) from sizes)`,
    [
      chunks.map((c) => c.runId),
      chunks.map((c) => c.task),
      chunks.map((c) => c.attempt),
      chunks.map((c) => c.offset),
      chunks.map((c) => Buffer.from(c.data)),
      e.map((x) => x.runId),
      e.map((x) => x.task),
      e.map((x) => x.attempt),
      e.map((x) => x.end),
      LOGS_CHANNEL,
      [...new Set(chunks.map((c) => c.runId))].join(','),
    ],
  );
}

/**
 * Reads an attempt's log from byte `from` (inclusive) up to `to` (exclusive, default: the end),
 * at most `maxBytes`. Returns the bytes and the offset after them.
 */
export async function readLog(
  db: Queryable,
  key: { runId: number; task: string; attempt: number },
  from = 0,
  to?: number,
  maxBytes = 8 * 1024 * 1024,
): Promise<{ data: Buffer; next: number }> {
  const { rows } = await db.query<{ offset: number; data: Buffer }>(
    `select "offset", data from attempt_logs
     where run_id = $1 and task = $2 and attempt = $3 and "offset" + length(data) > $4 ${to !== undefined ? 'and "offset" < $5' : ''}
     order by "offset"`,
    to !== undefined ? [key.runId, key.task, key.attempt, from, to] : [key.runId, key.task, key.attempt, from],
  );
  const parts: Buffer[] = [];
  let pos = from;
  let size = 0;
  for (const r of rows) {
    const off = Number(r.offset);
    if (off > pos) break; // a gap: not yet written
    let chunk = r.data.subarray(pos - off);
    if (to !== undefined) chunk = chunk.subarray(0, Math.max(0, to - pos));
    if (size + chunk.length > maxBytes) chunk = chunk.subarray(0, maxBytes - size);
    parts.push(chunk);
    pos += chunk.length;
    size += chunk.length;
    if (size >= maxBytes || (to !== undefined && pos >= to)) break;
  }
  return { data: Buffer.concat(parts), next: pos };
}
