// Attack replay (issue 11, item 11, runtime files): the data dir, instance.json (a database URL
// with its password), the lock and the local runtime's attempt folders and logs were 0644 in
// 0755 folders, readable by every local user. Now every file Kontroler writes under the data dir
// is 0600 and every folder 0700, whatever the umask, and an older data dir is tightened at start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BIN, start, type Proc } from '../proc.js';
import { ADMIN_PASSWORD, cleanEnv, freePort, loginAdmin } from './instance.js';

const isRoot = process.getuid?.() === 0;
let dir: string;
let dataDir: string;
let proc: Proc;
let url: string;
let token: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kontroler-sec-modes-'));
  dataDir = join(dir, 'data');
  const dags = join(dir, 'dags');
  mkdirSync(dags);
  writeFileSync(
    join(dags, 'modes.yaml'),
    [
      'apiVersion: kontroler.greedykomodo/v1alpha1',
      'kind: DAG',
      'metadata: { name: modes }',
      'spec:',
      '  workspace: { enable: true }',
      '  task:',
      '    - name: writes',
      '      image: alpine',
      '      script: "echo secret-output; echo data > made-by-task.txt; mkdir made-dir"',
      '',
    ].join('\n'),
  );
  // What an older version left: world-readable folders and files.
  mkdirSync(join(dataDir, 'runtime', 'attempts'), { recursive: true, mode: 0o755 });
  for (const d of [dataDir, join(dataDir, 'runtime'), join(dataDir, 'runtime', 'attempts')]) chmodSync(d, 0o755);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // umask 000: every mode must be set at creation, not left to the umask.
  proc = start(
    ['up', '--dags', dags, '--port', String(port)],
    cleanEnv({ KONTROLER_DATA_DIR: dataDir, KONTROLER_ADMIN_PASSWORD: ADMIN_PASSWORD }),
    undefined,
    '/bin/sh',
    ['-c', 'umask 000; exec "$0" "$@"', process.execPath, BIN],
  );
  await proc.waitFor(/Kontroler is up/, 120_000);
  token = await loginAdmin(url);
});
after(async () => {
  proc.signal('SIGINT');
  await proc.exited;
  rmSync(dir, { recursive: true, force: true });
});

function walk(d: string, out: string[] = []): string[] {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    out.push(p);
    if (lstatSync(p).isDirectory()) walk(p, out);
  }
  return out;
}

test('every file under the data dir (but PostgreSQL\'s own) is 0600 and every folder 0700, with umask 000, after a run', async () => {
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const res = await fetch(`${url}/api/v1/namespaces/default/dags/modes/runs`, { method: 'POST', headers: auth, body: '{}' });
  const body = await res.text();
  assert.equal(res.status, 201, body);
  const runId = (JSON.parse(body) as { id: number }).id;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = (await (await fetch(`${url}/api/v1/runs/${runId}`, { headers: auth })).json()) as { status: string };
    if (r.status === 'succeeded') break;
    assert.ok(r.status === 'pending' || r.status === 'running', `run ended ${r.status}`);
    assert.ok(Date.now() < deadline, 'the run did not end in 30 s');
    await new Promise((r2) => setTimeout(r2, 100));
  }
  const paths = walk(dataDir).filter((p) => !relative(dataDir, p).startsWith(`pg`));
  const names = paths.map((p) => relative(dataDir, p));
  // What there is to check: the lock, the instance file, the passwords, an attempt's files and log, the task's own files.
  for (const want of ['kontroler.lock', 'instance.json', 'secrets/postgres-app-password', 'runtime/attempts']) assert.ok(names.includes(want), `${want} in ${names.join(', ')}`);
  for (const want of [/\/log$/, /\/pid$/, /\/exit$/, /made-by-task\.txt$/, /made-dir$/]) assert.ok(names.some((n) => want.test(n)), `${want} among ${names.join(', ')}`);
  const wrong = paths
    .map((p) => {
      const st = lstatSync(p);
      const want = st.isDirectory() ? 0o700 : 0o600;
      return (st.mode & 0o777) === want ? undefined : `${relative(dataDir, p)}: ${(st.mode & 0o777).toString(8)}`;
    })
    .filter((x) => x !== undefined);
  assert.deepEqual(wrong, []);
  // The data dir itself: 0700, or 0701 as root (PostgreSQL runs as the `postgres` user and must
  // pass through to its own folder; it cannot list the data dir).
  assert.equal(lstatSync(dataDir).mode & 0o777, isRoot ? 0o701 : 0o700);
  assert.equal(lstatSync(join(dataDir, 'pg')).mode & 0o077, 0, 'PostgreSQL keeps its own folder private');
});
