import { prepared, type PoolLike, type Queryable } from './db.js';
import type { AttemptsRow } from './rows.js';
import type { AttemptLogsRow } from './rows/run-parts.js';

export const LOGS_CHANNEL = 'kontroler_logs';

/** Longest NOTIFY payload sent; a longer list of run ids is sent as '' (listeners re-read everything). PostgreSQL refuses 8,000 bytes and more. */
export const MAX_NOTIFY_PAYLOAD = 7_000;

export interface LogChunk {
  runId: number;
  task: string;
  attempt: number;
  /** Byte offset of `data` within the attempt's log. */
  offset: number;
  data: Uint8Array;
}

export interface AttemptLogKey {
  runId: number;
  task: string;
  attempt: number;
}

/** Where an attempt's stored log stands: `size` stored bytes, `received` raw output bytes accounted for, `line` length of its unterminated last line. */
export interface AttemptLogState extends AttemptLogKey {
  size: number;
  received: number;
  line: number;
}

/** One attempt's part of a log write: stored bytes [from, state.size), as `chunks`. */
export interface AttemptLogAppend {
  from: number;
  state: AttemptLogState;
  chunks: readonly LogChunk[];
}

/** How each attempt of a write fared: appended; already there (a repeated write); or refused (the stored log does not end at `from`). */
export interface LogWriteResult {
  appended: AttemptLogKey[];
  alreadyStored: AttemptLogKey[];
  refused: Array<AttemptLogKey & { size: number }>;
}

/** The LOGS_CHANNEL payload for a write of these runs: their ids, or '' when too long (wake everyone). */
export function logsNotifyPayload(runIds: readonly number[]): string {
  const p = [...new Set(runIds)].join(',');
  return p.length > MAX_NOTIFY_PAYLOAD ? '' : p;
}

const APPEND_LOGS = prepared('kontroler_append_logs', `with u as (
       select * from unnest($1::bigint[], $2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::bigint[], $7::int[])
         as u(run_id, task, attempt, start, stop, received, line)),
     pre as (select a.run_id, a.task, a.attempt, a.log_size from attempts a join u using (run_id, task, attempt)),
     ok as (
       update attempts a set log_size = u.stop, log_received = u.received, log_line = u.line from u
       where a.run_id = u.run_id and a.task = u.task and a.attempt = u.attempt and a.log_size = u.start
       returning a.run_id, a.task, a.attempt),
     ins as (
       insert into attempt_logs (run_id, task, attempt, "offset", data)
       select c.run_id, c.task, c.attempt, c."offset", c.data
       from unnest($8::bigint[], $9::text[], $10::int[], $11::bigint[], $12::bytea[]) as c(run_id, task, attempt, "offset", data)
       join ok on ok.run_id = c.run_id and ok.task = c.task and ok.attempt = c.attempt
       on conflict (run_id, task, attempt, "offset") do update set data = excluded.data
       returning 1)
     select coalesce((select json_agg(json_build_array(run_id, task, attempt)) from ok), '[]'::json) as applied,
            coalesce((select json_agg(json_build_array(run_id, task, attempt, log_size)) from pre), '[]'::json) as pre,
            (select count(*) from ins) as inserted,
            pg_notify($13, $14)`);

/**
 * Appends to the logs of several attempts in one statement (atomic, one round trip) and notifies
 * followers. An attempt's chunks are stored only if its stored log ends exactly at `from`, and
 * its size, received count and line length then become `state`'s: a log never has a gap and its
 * size never steps past one. Idempotent: repeating a write that was committed (e.g. the
 * connection dropped before the reply) reports the attempts as `alreadyStored`. Throws on
 * database errors (the caller retries).
 */
export async function appendLogs(pool: Queryable, appends: readonly AttemptLogAppend[]): Promise<LogWriteResult> {
  const out: LogWriteResult = { appended: [], alreadyStored: [], refused: [] };
  if (appends.length === 0) return out;
  const chunks = appends.flatMap((a) => a.chunks);
  const { rows } = await pool.query<{ applied: Array<[number, string, number]>; pre: Array<[number, string, number, number]> }>(
    APPEND_LOGS,
    [
      appends.map((a) => a.state.runId),
      appends.map((a) => a.state.task),
      appends.map((a) => a.state.attempt),
      appends.map((a) => a.from),
      appends.map((a) => a.state.size),
      appends.map((a) => a.state.received),
      appends.map((a) => a.state.line),
      chunks.map((c) => c.runId),
      chunks.map((c) => c.task),
      chunks.map((c) => c.attempt),
      chunks.map((c) => c.offset),
      chunks.map((c) => Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength)),
      LOGS_CHANNEL,
      logsNotifyPayload(appends.map((a) => a.state.runId)),
    ],
  );
  const row = rows[0];
  const k = (runId: number, task: string, attempt: number): string => `${runId}\u0000${task}\u0000${attempt}`;
  const applied = new Set((row?.applied ?? []).map(([r, t, a]) => k(r, t, a)));
  const pre = new Map((row?.pre ?? []).map(([r, t, a, size]) => [k(r, t, a), size]));
  for (const a of appends) {
    const key = { runId: a.state.runId, task: a.state.task, attempt: a.state.attempt };
    const id = k(key.runId, key.task, key.attempt);
    const size = pre.get(id) ?? 0;
    if (applied.has(id)) out.appended.push(key);
    else if (pre.has(id) && size >= a.state.size && a.state.size > a.from) out.alreadyStored.push(key);
    else out.refused.push({ ...key, size });
  }
  return out;
}

const LOG_STATES = prepared('kontroler_log_states', `select a.run_id, a.task, a.attempt, a.log_size, a.log_received, a.log_line
     from attempts a join unnest($1::bigint[], $2::text[], $3::int[]) as k(run_id, task, attempt) using (run_id, task, attempt)`);

/** The stored log states of attempts (zeros for an attempt not found). */
export async function getLogStates(db: Queryable, keys: readonly AttemptLogKey[]): Promise<AttemptLogState[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<Pick<AttemptsRow, 'run_id' | 'task' | 'attempt' | 'log_size' | 'log_received' | 'log_line'>>(
    LOG_STATES,
    [keys.map((x) => x.runId), keys.map((x) => x.task), keys.map((x) => x.attempt)],
  );
  const found = new Map(rows.map((r) => [`${r.run_id}\u0000${r.task}\u0000${r.attempt}`, r]));
  return keys.map((x) => {
    const r = found.get(`${x.runId}\u0000${x.task}\u0000${x.attempt}`);
    return { ...x, size: r?.log_size ?? 0, received: r?.log_received ?? 0, line: r?.log_line ?? 0 };
  });
}

/** Most chunk rows one read query returns: reads are paged, never the whole log at once. */
const READ_ROWS = 32;

/**
 * Reads an attempt's log from byte `from` (inclusive) up to `to` (exclusive, default: the end),
 * at most `maxBytes`. Returns the bytes and the offset after them. Memory is bounded by
 * `maxBytes` (rows are fetched a few at a time and cut in the database), whatever the log's size.
 */
export async function readLog(
  db: Queryable,
  key: { runId: number; task: string; attempt: number },
  from = 0,
  to?: number,
  maxBytes = 8 * 1024 * 1024,
): Promise<{ data: Buffer; next: number }> {
  const parts: Buffer[] = [];
  let pos = from;
  let size = 0;
  const limit = to ?? Number.MAX_SAFE_INTEGER;
  while (size < maxBytes && pos < limit) {
    const want = Math.min(maxBytes - size, limit - pos);
    // The chunk holding `pos` (the greatest offset <= pos), then the following ones.
    const { rows } = await db.query<Pick<AttemptLogsRow, 'offset' | 'data'> & { len: number }>(
      `select "offset", length(data) as len,
              substring(data from (greatest($4::bigint - "offset", 0) + 1)::int for $5::int) as data
       from attempt_logs
       where run_id = $1 and task = $2 and attempt = $3
         and "offset" >= coalesce((select max("offset") from attempt_logs where run_id = $1 and task = $2 and attempt = $3 and "offset" <= $4), 0)
         and "offset" < $6
       order by "offset" limit $7`,
      [key.runId, key.task, key.attempt, pos, want, pos + want, READ_ROWS],
    );
    if (rows.length === 0) break;
    let progressed = false;
    for (const r of rows) {
      const off = r.offset;
      if (off + r.len <= pos) continue; // the chunk before `pos` ends before it
      if (off > pos) return { data: Buffer.concat(parts), next: pos }; // a gap: not yet written
      // `data` starts at `pos` (the database cut the first row there; the others start there).
      const chunk = r.data.subarray(0, Math.min(r.data.length, maxBytes - size, limit - pos));
      parts.push(chunk);
      pos += chunk.length;
      size += chunk.length;
      progressed = chunk.length > 0;
      if (size >= maxBytes || pos >= limit) break;
    }
    if (!progressed || rows.length < READ_ROWS) break;
  }
  return { data: Buffer.concat(parts), next: pos };
}

/** One stored chunk of an attempt's log: bytes [offset, offset + size), stored at `storedAt` (epoch ms; null: before stored times were kept). */
export interface LogChunkTime {
  offset: number;
  size: number;
  storedAt: number | null;
}

/** Most chunks one `listLogChunkTimes` call returns. */
export const LOG_CHUNK_TIMES_MAX_LIMIT = 10_000;

/**
 * The stored chunks of an attempt's log in byte order from the one holding byte `from` on, at most
 * `limit` (bounded by LOG_CHUNK_TIMES_MAX_LIMIT): their byte ranges and when each was stored, for
 * per-line times. Reads no log data. `next`: the byte to ask from for the following page.
 */
export async function listLogChunkTimes(db: Queryable, key: AttemptLogKey, from = 0, limit = 1000): Promise<{ chunks: LogChunkTime[]; next?: number }> {
  const n = Math.max(1, Math.min(LOG_CHUNK_TIMES_MAX_LIMIT, Math.floor(limit)));
  const { rows } = await db.query<{ offset: string | number; len: number; stored_at: Date | null }>(
    `select "offset", length(data) as len, stored_at from attempt_logs
     where run_id = $1 and task = $2 and attempt = $3
       and "offset" >= coalesce((select max("offset") from attempt_logs where run_id = $1 and task = $2 and attempt = $3 and "offset" <= $4), 0)
     order by "offset" limit $5`,
    [key.runId, key.task, key.attempt, from, n + 1],
  );
  const chunks = rows.slice(0, n).map((r) => ({ offset: Number(r.offset), size: r.len, storedAt: r.stored_at ? r.stored_at.getTime() : null }));
  const last = chunks[chunks.length - 1];
  return { chunks, ...(rows.length > n && last ? { next: last.offset + last.size } : {}) };
}
