// `kontroler backfill / backfills / backfill-status / backfill-cancel` and `run --logical-time` /
// `run-status` as child processes over HTTP against a real server, controller (fake runtime) and
// PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackfillReleaser, silentLog } from '@kontroler/controller';
import { ADMIN_PASSWORD, kontroler, startRemoteEnv, type RemoteEnv } from './remote-env.js';

let env: RemoteEnv;
let releaser: BackfillReleaser;
before(async () => {
  env = await startRemoteEnv();
  releaser = new BackfillReleaser({ pool: env.db.pool, log: silentLog, pollMs: 200 });
  releaser.start();
  const login = await kontroler(env, ['login', '--server', env.url, '-u', 'admin', '--password-stdin'], {}, `${ADMIN_PASSWORD}\n`);
  assert.equal(login.code, 0, login.stderr);
  const dir = join(env.dir, 'dags');
  mkdirSync(dir, { recursive: true });
  const yaml = (name: string, extra: string) =>
    `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: ${name}}\nspec:\n${extra}  task:\n    - name: one\n      image: alpine\n      command: ["true"]\n`;
  writeFileSync(join(dir, 'daily.yaml'), yaml('daily', '  schedule: "0 6 * * *"\n  timezone: America/New_York\n  suspended: true\n'));
  writeFileSync(join(dir, 'forever-daily.yaml'), yaml('forever-daily', '  schedule: "0 6 * * *"\n  suspended: true\n'));
  writeFileSync(join(dir, 'adhoc.yaml'), yaml('adhoc', ''));
  const applied = await kontroler(env, ['apply', '-f', dir]);
  assert.equal(applied.code, 0, applied.stderr);
});
after(async () => {
  await releaser.stop();
  await env.close();
});

describe('kontroler backfill', () => {
  test('--dry-run prints the fire times in the DAG time zone and creates nothing; bad flags name themselves', async () => {
    const dry = await kontroler(env, ['backfill', 'daily', '--from', '2026-03-06T00:00:00Z', '--to', '2026-03-10T00:00:00Z', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, '2026-03-06T06:00:00-05:00\n2026-03-07T06:00:00-05:00\n2026-03-08T06:00:00-04:00\n2026-03-09T06:00:00-04:00\n');
    assert.match(dry.stderr, /4 fire time\(s\) of default\/daily \(America\/New_York\) would get a run/);
    const none = await kontroler(env, ['backfills', 'daily']);
    assert.match(none.stdout, /No resources found/);
    const bad = await kontroler(env, ['backfill', 'daily', '--from', 'monday', '--to', '2026-03-10T00:00:00Z']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--from: "monday" is not a date-time; expected an RFC 3339/);
    const many = await kontroler(env, ['backfill', 'daily', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z', '--max-active', '500']);
    assert.match(many.stderr, /--max-active "500": expected an integer from 1 to 100/);
    const adhoc = await kontroler(env, ['backfill', 'adhoc', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-02T00:00:00Z']);
    assert.equal(adhoc.code, 1);
    assert.match(adhoc.stderr, /default\/adhoc has no schedule/);
  });

  test('--wait runs it to the end; backfills, backfill-status and run-status show it; a second one skips every fire time', async () => {
    const r = await kontroler(env, ['backfill', 'daily', '--from', '2026-03-06T00:00:00Z', '--to', '2026-03-10T00:00:00Z', '--max-active', '2', '--wait']);
    assert.equal(r.code, 0, r.stderr);
    const id = /^backfill (\d+) of default\/daily: 4 fire time\(s\), at most 2 active/.exec(r.stdout)?.[1];
    assert.ok(id, r.stdout);
    assert.match(r.stderr, new RegExp(`backfill ${id}: succeeded — 4/4 done, 0 running, 0 failed, 0 pending`));
    const list = await kontroler(env, ['backfills', 'daily']);
    assert.match(list.stdout, new RegExp(`^${id}\\s+default/daily\\s+2026-03-06T00:00:00.000Z\\s+2026-03-10T00:00:00.000Z\\s+succeeded\\s+4\\s+0\\s+0\\s+0\\s+0\\s+2`, 'm'));
    const status = await kontroler(env, ['backfill-status', id]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /2026-03-08T06:00:00-04:00\s+\d+\s+succeeded/);
    const runId = /2026-03-08T06:00:00-04:00\s+(\d+)/.exec(status.stdout)![1]!;
    const rs = await kontroler(env, ['run-status', runId]);
    assert.match(rs.stdout, new RegExp(`logical time: 2026-03-08T06:00:00-04:00 \\(previous: 2026-03-07T06:00:00-05:00\\), backfill ${id}`));
    const again = await kontroler(env, ['backfill', 'daily', '--from', '2026-03-06T00:00:00Z', '--to', '2026-03-10T00:00:00Z', '--dry-run']);
    assert.equal(again.stdout, '');
    assert.match(again.stderr, /0 fire time\(s\).*; 4 skipped \(a run exists\): 2026-03-06T06:00:00-05:00 \(run \d+\)/);
  });

  test('backfill-cancel cancels a running backfill and its runs', async () => {
    const r = await kontroler(env, ['backfill', 'forever-daily', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-11T00:00:00Z', '--max-active', '3', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout) as { backfill: { id: number } }).backfill.id;
    const c = await kontroler(env, ['backfill-cancel', String(id)]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, new RegExp(`backfill ${id}: canceled`));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await env.db.pool.query<{ n: number }>(`select count(*)::int as n from runs where backfill_id = $1 and status = 'canceled'`, [id]);
      if (rows[0]?.n === 3) break;
      assert.ok(Date.now() < deadline, `the backfill's 3 runs were canceled (${rows[0]?.n})`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const s = await kontroler(env, ['backfill-status', String(id)]);
    assert.match(s.stdout, new RegExp(`backfill ${id}: canceled — 0/10 done, 0 running, 3 failed, 7 pending`));
  });

  test('run --logical-time gives a manual run one; a bad one is refused naming the flag', async () => {
    const bad = await kontroler(env, ['run', 'adhoc', '--logical-time', '2026-01-01']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--logical-time: "2026-01-01" is not a date-time/);
    const ok = await kontroler(env, ['run', 'adhoc', '--logical-time', '2026-01-01T00:00:00+01:00', '--wait']);
    assert.equal(ok.code, 0, ok.stderr);
    const id = /started run (\d+)/.exec(ok.stderr)![1]!;
    const rs = await kontroler(env, ['run-status', id]);
    // In the DAG's time zone (UTC by default); no schedule, so no previous fire time.
    assert.match(rs.stdout, /logical time: 2025-12-31T23:00:00\+00:00\n/);
  });
});
