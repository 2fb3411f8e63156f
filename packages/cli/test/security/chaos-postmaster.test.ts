// Chaos (issue 11, "Done means"): the embedded PostgreSQL's postmaster is SIGKILLed, twice,
// during a 200-task run of `kontroler up`. The instance restarts it; the run completes with every
// task started exactly once (a marker file per start of a task) and exactly one succeeded attempt
// per task, and every task's log is whole.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startInstance, type Instance } from './instance.js';

const TASKS = 200;
const LINES = 40;
/** Markers seen before each SIGKILL of the postmaster. */
const KILL_AT = [50, 130];
const RUN_DEADLINE_MS = 100_000;

let a: Instance;
let marks: string;
before(async () => {
  a = await startInstance({ env: { KONTROLER_MAX_PARALLEL_TASKS: '40' } });
  marks = join(a.dir, 'marks');
  mkdirSync(marks);
  const script = [
    ': > "$MARKS/$KONTROLER_TASK.$$"',
    'i=0',
    `while [ $i -lt ${LINES} ]; do echo "$KONTROLER_TASK line $i"; i=$((i+1)); done`,
    'sleep 0.5',
    'echo "$KONTROLER_TASK end"',
  ].join('\n');
  const tasks = Array.from({ length: TASKS }, (_, i) => ({ name: `t${i}`, image: 'alpine', script, parameters: ['MARKS'] }));
  const dag = { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'chaos' }, spec: { parameters: [{ name: 'MARKS', defaultValue: marks }], task: tasks } };
  writeFileSync(join(a.dagsDir, 'chaos.json'), JSON.stringify(dag));
});
after(async () => {
  await a.stop();
});

function postmasterPid(): number {
  return Number(readFileSync(join(a.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `${what} within ${ms} ms\n${a.proc.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('SIGKILL of the embedded postmaster (twice) during a 200-task run: it completes, every task exactly once, every log whole', async () => {
  const t0 = Date.now();
  await until('the DAG is loaded', async () => ((await a.api('/api/v1/namespaces/default/dags/chaos')).status === 200 ? true : undefined), 30_000);
  const res = await a.api('/api/v1/namespaces/default/dags/chaos/runs', { method: 'POST', body: '{}' });
  const body = await res.text();
  assert.equal(res.status, 201, body);
  const runId = (JSON.parse(body) as { id: number }).id;

  for (const [n, at] of KILL_AT.entries()) {
    await until(`${at} tasks started`, () => (readdirSync(marks).length >= at ? true : undefined), 60_000);
    const pid = postmasterPid();
    process.kill(pid, 'SIGKILL');
    await a.proc.waitFor(new RegExp(`embedded PostgreSQL is back \\(pid \\d+, restart ${n + 1}\\)`, ''), 30_000);
    assert.ok(readdirSync(marks).length < TASKS, 'the kill came during the run');
  }

  const status = await until(
    'the run ends',
    async () => {
      const r = await a.api(`/api/v1/runs/${runId}`).catch(() => undefined);
      if (r?.status !== 200) return undefined;
      const s = ((await r.json()) as { status: string }).status;
      return s === 'pending' || s === 'running' ? undefined : s;
    },
    RUN_DEADLINE_MS,
  );
  assert.equal(status, 'succeeded');
  assert.equal((await fetch(`${a.url}/readyz`)).status, 200);

  // Started exactly once: one marker per task.
  const started = new Map<string, number>();
  for (const m of readdirSync(marks)) {
    const task = m.slice(0, m.indexOf('.'));
    started.set(task, (started.get(task) ?? 0) + 1);
  }
  const twice = [...started].filter(([, n]) => n !== 1);
  assert.deepEqual(twice, [], 'no task started twice');
  assert.equal(started.size, TASKS);

  // Exactly one attempt per task, succeeded.
  const url = (JSON.parse(readFileSync(join(a.dataDir, 'instance.json'), 'utf8')) as { databaseUrl: string }).databaseUrl;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows } = await c.query<{ task: string; attempt: number; status: string; log_size: string }>(
    'select task, attempt, status, log_size from attempts where run_id = $1 order by task',
    [runId],
  );
  await c.end();
  assert.equal(rows.length, TASKS, 'one attempt row per task');
  assert.deepEqual(rows.filter((r) => r.attempt !== 1 || r.status !== 'succeeded'), []);

  // Every log whole: every line once, in order, and the end line.
  const broken: string[] = [];
  for (let i = 0; i < TASKS; i++) {
    const task = `t${i}`;
    const log = await (await a.api(`/api/v1/runs/${runId}/tasks/${task}/attempts/1/logs`)).text();
    const mine = log.split('\n').filter((l) => l.startsWith(`${task} `));
    const want = [...Array.from({ length: LINES }, (_, j) => `${task} line ${j}`), `${task} end`];
    if (JSON.stringify(mine) !== JSON.stringify(want)) broken.push(`${task}: ${mine.length} lines`);
  }
  assert.deepEqual(broken, [], 'every log whole');
  const ms = Date.now() - t0;
  process.stderr.write(`chaos: ${TASKS} tasks, ${KILL_AT.length} postmaster kills, run done in ${ms} ms\n`);
});
