// The embedded PostgreSQL on its own: the application role can migrate (no superuser needed), a
// server that dies is restarted on the same port with its data, and supervision gives up (and
// says so) when it cannot bring the server back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createPool, migrate } from '@kontroler/store';
import { startEmbeddedPostgres, type RunningPostgres } from '@kontroler/cli/embedded';

let dir: string;
let server: RunningPostgres;
const gaveUp: Error[] = [];
const notices: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kontroler-embedded-'));
  server = await startEmbeddedPostgres({
    dataDir: dir,
    onNotice: (l) => notices.push(l),
    onGiveUp: (e) => gaveUp.push(e),
    restart: { firstDelayMs: 50, maxDelayMs: 200, limit: 3 },
  });
});
after(async () => {
  chmodSync(join(dir, 'pg'), 0o700);
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function one(url: string, sql: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

test('the application role runs every migration on a fresh cluster', async () => {
  const pool = createPool(server.url, 2);
  try {
    const applied = await migrate(pool);
    assert.ok(applied.length > 0);
    const rows = await one(server.url, `select rolsuper from pg_roles where rolname = current_user`);
    assert.deepEqual(rows, [{ rolsuper: false }]);
  } finally {
    await pool.end();
  }
});

test('a SIGKILLed postmaster is restarted on the same port with its data', async () => {
  await one(server.url, 'create table survivor (v text); insert into survivor values (\'kept\')');
  const before = server.pid;
  assert.ok(before);
  process.kill(before, 'SIGKILL');
  await until('a restart', () => server.restarts === 1);
  assert.notEqual(server.pid, before);
  assert.deepEqual(await one(server.url, 'select v from survivor'), [{ v: 'kept' }]);
  assert.ok(notices.some((n) => n.includes('exited on its own (SIGKILL)')), notices.join('\n'));
  assert.equal(gaveUp.length, 0);
});

test('when the server cannot be brought back, supervision gives up after the limit and says why', async () => {
  chmodSync(join(dir, 'pg'), 0o000); // the server can no longer read its folder
  const pid = server.pid;
  assert.ok(pid);
  process.kill(pid, 'SIGKILL');
  await until('giving up', () => gaveUp.length === 1);
  assert.match(gaveUp[0]?.message ?? '', /could not start embedded PostgreSQL/);
  assert.equal(server.restarts, 1, 'no restart counted as a success');
});
