// LogWriter against a real PostgreSQL: connections killed mid-write, replies lost after commit,
// a database that is down for a while. No byte lost, no gap, never a flush resolved too early.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { LogWriter, type LogLimits } from '@kontroler/controller';
import pg from 'pg';
import { LOGS_CHANNEL, appendLogs, getLogStates, listen, logsNotifyPayload, readLog, MAX_NOTIFY_PAYLOAD, type PoolLike } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { definition, recordingPool, startRun, task } from './fixtures.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

const roomy: LogLimits = { maxBytes: 64 * 1024 * 1024, maxLineBytes: 64 * 1024 };

async function newAttempt(name: string): Promise<{ runId: number; task: string; attempt: number }> {
  const run = await startRun(db.pool, definition(name, [task('a')]));
  await db.pool.query(`insert into attempts (run_id, task, attempt, status, created_at) values ($1, 'a', 1, 'running', now())`, [run.id]);
  return { runId: run.id, task: 'a', attempt: 1 };
}

/** Printable output in chunks of varied sizes, with newlines (no line reaches the line cap). */
function output(total: number): Buffer {
  const b = Buffer.from(randomBytes(total).map((x) => (x % 50 === 0 ? 0x0a : 0x21 + (x % 90))));
  return b;
}

function chunksOf(data: Buffer, sizes: readonly number[]): Array<{ offset: number; data: Uint8Array }> {
  const out: Array<{ offset: number; data: Uint8Array }> = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - at);
    out.push({ offset: at, data: data.subarray(at, at + n) });
    at += n;
  }
  return out;
}

async function stored(key: { runId: number; task: string; attempt: number }): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let pos = 0; ; ) {
    const { data, next } = await readLog(db.pool, key, pos, undefined, 1024 * 1024);
    if (data.length === 0) break;
    parts.push(data);
    pos = next;
  }
  return Buffer.concat(parts);
}

/** A pool whose queries fail on demand: before reaching the database, or after it committed (the reply lost). */
class FlakyPool implements PoolLike {
  failBefore = 0;
  failAfter = 0;
  down = false;
  failures = 0;
  constructor(private readonly inner: PoolLike) {}
  async query<R extends object = Record<string, unknown>>(text: string, values?: readonly unknown[]) {
    if (this.down || this.failBefore > 0) {
      if (!this.down) this.failBefore--;
      this.failures++;
      throw Object.assign(new Error('connection refused (test)'), { code: 'ECONNREFUSED' });
    }
    const r = await this.inner.query<R>(text, values);
    if (this.failAfter > 0) {
      this.failAfter--;
      this.failures++;
      throw Object.assign(new Error('connection reset after commit (test)'), { code: 'ECONNRESET' });
    }
    return r;
  }
  connect() {
    return this.inner.connect();
  }
  end() {
    return Promise.resolve();
  }
}

describe('log writer', () => {
  test('backends killed with pg_terminate_backend while writing: every byte stored once, in order, no gap', async () => {
    const key = await newAttempt('kill-backends');
    const pool = new pg.Pool({ connectionString: db.url, max: 3, application_name: 'log-writer-test' });
    pool.on('error', () => undefined);
    const errors: unknown[] = [];
    const w = new LogWriter(pool, (e) => errors.push(e), { limits: roomy, intervalMs: 5 });
    const data = output(3 * 1024 * 1024);
    const chunks = chunksOf(data, [1, 4096, 65536, 17, 30_000, 999]);
    let kills = 0;
    let feeding = true;
    // Kill every connection of the writer's pool, idle or in the middle of a write, again and again.
    const killer = (async () => {
      while (feeding) {
        const r = await db.pool.query<{ n: number }>(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
           where datname = current_database() and application_name = 'log-writer-test'`,
        );
        kills += r.rows[0]!.n;
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    for (let i = 0; i < chunks.length; i++) {
      w.add({ ...key, ...chunks[i]! });
      if (i % 4 === 3) await new Promise((res) => setTimeout(res, 2)); // pace the output like a process would
    }
    const flushed = w.flush();
    await new Promise((res) => setTimeout(res, 50));
    feeding = false;
    await killer;
    await flushed;
    assert.ok(kills > 0, 'connections were killed');
    assert.ok(errors.length > 0, 'writes failed and were retried');
    const got = await stored(key);
    assert.equal(got.length, data.length);
    assert.ok(got.equals(data), 'the stored log is the output, byte for byte');
    const [st] = await getLogStates(db.pool, [key]);
    assert.deepEqual([st!.size, st!.received], [data.length, data.length]);
    const { rows } = await db.pool.query<{ n: number; gaps: number }>(
      `select count(*)::int as n, count(*) filter (where "offset" <> coalesce(prev_end, 0))::int as gaps
       from (select "offset", lag("offset" + length(data)) over (order by "offset") as prev_end from attempt_logs where run_id = $1) x`,
      [key.runId],
    );
    assert.equal(rows[0]!.gaps, 0, 'chunks are contiguous');
    console.log(`# ${data.length} bytes in ${chunks.length} chunks, ${kills} backends killed, ${errors.length} write errors retried`);
    await w.close();
    await pool.end();
  });

  test('a reply lost after commit is not written twice; a refused connection is retried; flush waits for both', async () => {
    const key = await newAttempt('lost-reply');
    const flaky = new FlakyPool(db.pool);
    const w = new LogWriter(flaky, () => undefined, { limits: roomy, intervalMs: 1 });
    const data = output(200_000);
    const chunks = chunksOf(data, [7000, 13]);
    const half = Math.floor(chunks.length / 2);
    for (const c of chunks.slice(0, half)) w.add({ ...key, ...c });
    flaky.failAfter = 2; // the state read and the first write commit, but their replies are lost
    await w.flush();
    flaky.failBefore = 3;
    for (const c of chunks.slice(half)) w.add({ ...key, ...c });
    await w.flush();
    assert.ok(flaky.failures >= 5);
    assert.ok((await stored(key)).equals(data));
    await w.close();
  });

  test('while the database is down: flush does not resolve, the buffer stays bounded, the overflow is marked; then all is stored', async () => {
    const key = await newAttempt('db-down');
    const flaky = new FlakyPool(db.pool);
    const max = 64 * 1024;
    const errors: unknown[] = [];
    const w = new LogWriter(flaky, (e) => errors.push(e), { limits: roomy, intervalMs: 1, maxBufferedBytes: max });
    const first = Buffer.from('before the outage\n');
    w.add({ ...key, offset: 0, data: first });
    await w.flush();
    flaky.down = true;
    const data = output(300_000);
    const chunks = chunksOf(data, [4096]);
    for (const c of chunks) w.add({ ...key, offset: first.length + c.offset, data: c.data });
    assert.ok(w.buffered <= max, `buffered ${w.buffered} <= ${max}`);
    let resolved = false;
    const f = w.flush().then(() => (resolved = true));
    const deadline = Date.now() + 10_000;
    while (errors.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(errors.length >= 3, 'the writer kept trying');
    assert.equal(resolved, false, 'flush does not resolve while nothing could be written');
    flaky.down = false;
    await f;
    const got = (await stored(key)).toString('latin1');
    const kept = 16 * 4096; // what fits in the buffer: the first 16 chunks
    const dropped = data.length - kept;
    assert.equal(got, `before the outage\n${data.subarray(0, kept).toString('latin1')}${data[kept - 1] === 0x0a ? '' : '\n'}[kontroler: ${dropped} bytes dropped: the database was unavailable]\n`);
    // Output after the outage continues the log where it stands.
    w.add({ ...key, offset: first.length + data.length, data: Buffer.from('after\n') });
    await w.flush();
    assert.ok((await stored(key)).toString('latin1').endsWith('unavailable]\nafter\n'));
    await w.close();
  });

  test('takeEnd: the output not stored yet, with the kept tail, is one append the caller stores; the writer writes none of it', async () => {
    const key = await newAttempt('take-end');
    const statements: string[] = [];
    const pool = recordingPool(db.pool, statements);
    const limits: LogLimits = { maxBytes: 64 * 1024, maxLineBytes: 1024 };
    const w = new LogWriter(pool, () => undefined, { limits, intervalMs: 60_000 });
    w.fresh(key); // created by this controller: its stored log is empty
    const data = output(300_000);
    for (const c of chunksOf(data, [10_000])) w.add({ ...key, ...c });
    const append = await w.takeEnd(key);
    assert.ok(append, 'there is output to store');
    assert.equal(append.from, 0);
    assert.equal(append.state.received, data.length);
    await w.flush();
    assert.deepEqual(statements, [], 'no state read (fresh) and no write by the writer');
    const r = await appendLogs(db.pool, [append]);
    assert.equal(r.appended.length, 1);
    const got = await stored(key);
    assert.equal(got.length, append.state.size);
    assert.match(got.toString('latin1'), /\n\[kontroler: \d+ bytes cut\]\n/);
    assert.ok(got.subarray(got.length - 1000).equals(data.subarray(data.length - 1000)), 'the kept tail ends the log');
    await w.close();
  });

  test('takeEnd waits for a write of the same attempt under way and continues where it ends; without a known state it reads it', async () => {
    const key = await newAttempt('take-end-in-flight');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let hit: () => void = () => undefined;
    const writing = new Promise<void>((r) => (hit = r));
    const pool: PoolLike = {
      query: (async (text: string, values?: readonly unknown[]) => {
        if (/^\s*with u as/.test(text)) {
          hit();
          await gate;
        }
        return db.pool.query(text, values as unknown[]);
      }) as PoolLike['query'],
      connect: () => db.pool.connect(),
      end: async () => undefined,
    };
    const w = new LogWriter(pool, () => undefined, { limits: roomy, intervalMs: 1 });
    const first = Buffer.from('first part\n');
    w.add({ ...key, offset: 0, data: first }); // no fresh(): the writer reads the state first
    await writing; // its write is under way, held
    const second = Buffer.from('second part\n');
    w.add({ ...key, offset: first.length, data: second });
    let taken = false;
    const t = w.takeEnd(key).then((a) => {
      taken = true;
      return a;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(taken, false, 'takeEnd waits for the write under way');
    release();
    const append = await t;
    assert.ok(append);
    assert.equal(append.from, first.length, 'the append starts where the first write ends');
    assert.deepEqual((await appendLogs(db.pool, [append])).refused, []);
    assert.equal((await stored(key)).toString(), 'first part\nsecond part\n');
    await w.flush();
    assert.equal((await stored(key)).toString(), 'first part\nsecond part\n', 'the writer did not write the second part again');
    await w.close();
  });

  test('close gives up after its time limit and rejects flushes that could not complete', async () => {
    const key = await newAttempt('close-down');
    const flaky = new FlakyPool(db.pool);
    flaky.down = true;
    const w = new LogWriter(flaky, () => undefined, { limits: roomy, intervalMs: 1 });
    w.add({ ...key, offset: 0, data: Buffer.from('x\n') });
    const f = w.flush();
    const t0 = Date.now();
    await w.close(300);
    assert.ok(Date.now() - t0 < 3000);
    await assert.rejects(f, { code: 'UNAVAILABLE' });
  });

  test('the NOTIFY payload is bounded: a long list of run ids becomes "" (listeners re-read)', async () => {
    assert.equal(logsNotifyPayload([3, 1, 3]), '3,1');
    const many = Array.from({ length: 2000 }, (_, i) => 1_000_000 + i);
    assert.ok(many.join(',').length > 8000);
    assert.equal(logsNotifyPayload(many), '');
    assert.ok(logsNotifyPayload(many.slice(0, 800)).length <= MAX_NOTIFY_PAYLOAD);
    // And a real write notifies with the run id.
    const key = await newAttempt('notify');
    const got: string[] = [];
    const l = await listen(db.url, [LOGS_CHANNEL], (_c, p) => got.push(p));
    const w = new LogWriter(db.pool, () => undefined, { limits: roomy, intervalMs: 1 });
    w.add({ ...key, offset: 0, data: Buffer.from('hi\n') });
    await w.flush();
    const deadline = Date.now() + 5000;
    while (!got.includes(String(key.runId)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(got.includes(String(key.runId)));
    await l.close();
    await w.close();
  });

  test('with a small cap, a long task ends with the head, the cut marker and the tail stored; adoption resumes at the raw position', async () => {
    const key = await newAttempt('capped');
    const limits: LogLimits = { maxBytes: 64 * 1024, maxLineBytes: 1024 };
    const w = new LogWriter(db.pool, () => undefined, { limits, intervalMs: 1 });
    const data = output(2 * 1024 * 1024);
    for (const c of chunksOf(data, [10_000])) w.add({ ...key, ...c });
    await w.flush();
    const [mid] = await getLogStates(db.pool, [key]);
    assert.ok(mid!.size < limits.maxBytes && mid!.received < data.length, 'past the head, nothing more is stored before the end');
    w.end(key);
    await w.flush();
    const got = await stored(key);
    assert.ok(got.length <= limits.maxBytes);
    assert.match(got.toString('latin1'), /\n\[kontroler: \d+ bytes cut\]\n/);
    assert.ok(got.subarray(got.length - 1000).equals(data.subarray(data.length - 1000)), 'the tail is the end of the output');
    const [end] = await getLogStates(db.pool, [key]);
    assert.deepEqual([end!.size, end!.received], [got.length, data.length]);
    await w.close();
  });

  test('one 100 MB line with the default caps: stored split and capped, read back page by page', async () => {
    const key = await newAttempt('line-100mb');
    const w = new LogWriter(db.pool, () => undefined, { limits: roomy });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const total = 100 * 1024 * 1024;
    let t = Date.now();
    for (let at = 0; at < total; at += chunk.length) {
      w.add({ ...key, offset: at, data: chunk });
      if (w.buffered > 8 * 1024 * 1024) await w.flush();
    }
    w.add({ ...key, offset: total, data: Buffer.from('\nend\n') });
    w.end(key);
    await w.flush();
    const writeMs = Date.now() - t;
    const [st] = await getLogStates(db.pool, [key]);
    assert.ok(st!.size <= roomy.maxBytes, `stored ${st!.size}`);
    assert.equal(st!.received, total + 5);
    t = Date.now();
    let pos = 0;
    let pages = 0;
    let longest = 0;
    let line = 0;
    let last: Buffer = Buffer.alloc(0);
    for (;;) {
      const { data, next } = await readLog(db.pool, key, pos, undefined, 256 * 1024);
      if (data.length === 0) break;
      assert.ok(data.length <= 256 * 1024, 'a page never exceeds what was asked');
      for (const b of data) {
        line = b === 0x0a ? 0 : line + 1;
        longest = Math.max(longest, line);
      }
      pos = next;
      pages++;
      last = data;
    }
    assert.equal(pos, st!.size);
    assert.ok(longest <= roomy.maxLineBytes, `longest stored line ${longest}`);
    assert.ok(last.toString().endsWith('a\nend\n'));
    console.log(`# 100 MB line: written in ${writeMs} ms as ${st!.size} bytes; read back in ${pages} pages of 256 KiB in ${Date.now() - t} ms`);
    await w.close();
  });
});
