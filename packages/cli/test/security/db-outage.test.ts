// Attack replay (issue 11, item 4): a database that went away was never noticed: /healthz stayed
// 200, the process hammered it ~6 times a second, and SIGTERM was ignored for over 70 s. Now, with
// an external DATABASE_URL: /readyz answers 503 while the database is unreachable and 200 once it
// is back, /healthz stays a liveness probe, a run started before the outage completes after it
// without a restart, and shutdown has a time limit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from '@kontroler/store';
import { start, type Proc } from '../proc.js';
import { ADMIN_PASSWORD, cleanEnv, freePort, loginAdmin } from './instance.js';

/** Shutdown time limit given to the instance; it must exit within it (plus slack) with the database gone. */
const SHUTDOWN_TIMEOUT_S = 4;

let dir: string;
let db: RunningPostgres;
let proc: Proc;
let url: string;
let token: string;
const gate = () => join(dir, 'gate');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kontroler-sec-outage-'));
  db = await startEmbeddedPostgres({ dataDir: join(dir, 'db'), onNotice: () => undefined });
  const dags = join(dir, 'dags');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  proc = start(
    ['up', '--dags', dags, '--port', String(port)],
    cleanEnv({ DATABASE_URL: db.url, KONTROLER_DATA_DIR: join(dir, 'data'), KONTROLER_ADMIN_PASSWORD: ADMIN_PASSWORD, KONTROLER_SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_S) }),
  );
  await proc.waitFor(/Kontroler is up/, 60_000);
  token = await loginAdmin(url);
});
after(async () => {
  proc.signal('SIGKILL');
  await proc.exited;
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms\n${proc.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const readyz = async () => (await fetch(`${url}/readyz`)).status;

test('external database down then back: /readyz 503 → 200, /healthz 200 throughout, a run started before completes', async () => {
  const dag = {
    apiVersion: 'kontroler.greedykomodo/v1alpha1',
    kind: 'DAG',
    metadata: { name: 'outage' },
    spec: {
      parameters: [{ name: 'GATE', defaultValue: gate() }],
      task: [
        { name: 'waits', image: 'alpine', script: 'echo before; while [ ! -e "$GATE" ]; do sleep 0.05; done; echo after', parameters: ['GATE'] },
        { name: 'next', image: 'alpine', script: 'echo next', runAfter: ['waits'] },
      ],
    },
  };
  const put = await api('/api/v1/namespaces/default/dags/outage', { method: 'PUT', body: JSON.stringify(dag) });
  assert.ok(put.status === 200 || put.status === 201, await put.text());
  const res = await api('/api/v1/namespaces/default/dags/outage/runs', { method: 'POST', body: '{}' });
  const body = await res.text();
  assert.equal(res.status, 201, body);
  const runId = (JSON.parse(body) as { id: number }).id;
  await until('the first task runs', async () => {
    const r = (await (await api(`/api/v1/runs/${runId}`)).json()) as { tasks: Array<{ name: string; status: string }> };
    return r.tasks.find((t) => t.name === 'waits')?.status === 'running' ? true : undefined;
  }, 30_000);
  assert.equal(await readyz(), 200);

  const downAt = Date.now();
  const outBefore = proc.output().split('\n').length;
  await db.stop();
  await until('/readyz answers 503', async () => ((await readyz()) === 503 ? true : undefined), 10_000);
  assert.equal((await fetch(`${url}/healthz`)).status, 200, '/healthz is liveness only');
  const body503 = await (await fetch(`${url}/readyz`)).text();
  assert.doesNotMatch(body503, /127\.0\.0\.1|ECONNREFUSED/, 'no connection details on a public route');
  writeFileSync(gate(), ''); // the task ends while the database is away
  await until('the task ended', async () => (existsSync(gate()) ? true : undefined), 1000);

  // Let the outage last a few seconds, as a real one would, to see how hard the process retries.
  const lastFor = Date.now() + 4000;
  await until('4 s of outage', async () => (Date.now() >= lastFor ? true : undefined), 5000);
  const errorLines = proc.output().split('\n').length - outBefore;
  process.stderr.write(`outage: ${errorLines} log lines in ${Date.now() - downAt} ms with the database gone\n`);
  db = await startEmbeddedPostgres({ dataDir: join(dir, 'db'), port: db.port, onNotice: () => undefined });
  await until('/readyz answers 200 again', async () => ((await readyz()) === 200 ? true : undefined), 30_000);
  const status = await until('the run ends', async () => {
    const s = ((await (await api(`/api/v1/runs/${runId}`)).json()) as { status: string }).status;
    return s === 'pending' || s === 'running' ? undefined : s;
  }, 60_000);
  assert.equal(status, 'succeeded');
  const log = await (await api(`/api/v1/runs/${runId}/tasks/waits/attempts/1/logs`)).text();
  assert.match(log, /before\n(.*\n)*after\n/);
  assert.equal(proc.child.exitCode, null, 'survived without a restart');
});

test(`SIGTERM with the database gone during a run: the process exits within KONTROLER_SHUTDOWN_TIMEOUT_SECONDS (${SHUTDOWN_TIMEOUT_S} s)`, async () => {
  rmSync(gate());
  const res = await api('/api/v1/namespaces/default/dags/outage/runs', { method: 'POST', body: '{}' });
  const runId = ((await res.json()) as { id: number }).id;
  await until('the first task runs', async () => {
    const r = (await (await api(`/api/v1/runs/${runId}`)).json()) as { tasks: Array<{ name: string; status: string }> };
    return r.tasks.find((t) => t.name === 'waits')?.status === 'running' ? true : undefined;
  }, 30_000);
  await db.stop();
  writeFileSync(gate(), ''); // its end must be recorded, and cannot be
  await until('/readyz answers 503', async () => ((await readyz()) === 503 ? true : undefined), 10_000);
  const t0 = Date.now();
  proc.signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([proc.exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), (SHUTDOWN_TIMEOUT_S + 3) * 1000)))]);
  clearTimeout(timer);
  const ms = Date.now() - t0;
  assert.notEqual(code, 'hung', `still running ${ms} ms after SIGTERM:\n${proc.output().slice(-2000)}`);
  process.stderr.write(`outage: exited ${ms} ms after SIGTERM with the database gone (code ${String(code)})\n`);
  db = await startEmbeddedPostgres({ dataDir: join(dir, 'db'), port: db.port, onNotice: () => undefined });
});
