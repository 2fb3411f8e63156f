#!/usr/bin/env node
// The API on a 100,000-task run: creates the run through startRun (the one path of every run; its
// time is reported), sets a realistic mix of task statuses and attempts directly in the database
// (nothing runs), starts the API server in a child process, and measures over real HTTP on
// loopback the p50/p99 (sequential requests) and response sizes of
//   - GET /runs/{id} (counts, first 100 tasks, grouped graph), cold (first request) and warm;
//   - GET /runs/{id}/tasks: the first page, a deep page, with a status filter (first and deep),
//     with several statuses, with a name prefix.
// Target: p99 <= 20 ms for GET /runs/{id} and for a page of /runs/{id}/tasks.
//
//   node scripts/bench/run-api.mjs [--tasks 100000] [--n 300] [--keep]
// Uses $KONTROLER_BENCH_DATABASE_URL (a server where it may create a scratch database) or starts
// an embedded PostgreSQL in a temporary folder. Everything it starts, it stops.
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminToken, latency, newAgent, request, scratchDatabase, serveIfChild, serverChild, store } from './api-harness.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { setTaskStatuses } = await import(join(root, 'packages/store/dist/testing.js'));

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

await serveIfChild();

const TASKS = arg('tasks', 100_000);
const N = arg('n', 300);

/** The mix of a large run part-way: 60% succeeded, 1% failed, 1% skipped, 0.2% running, 0.3% waiting, the rest pending. */
function statusAt(p) {
  const m = p % 1000;
  if (p === 0 || m < 600) return 'succeeded';
  if (m < 610) return 'failed';
  if (m < 620) return 'skipped';
  if (m < 622) return 'running';
  if (m < 625) return 'waiting';
  return 'pending';
}

/** root, then `shard-00001`… after it, and a `merge-*` group of 100 after the first shards. */
function definition(n) {
  const task = (name, runAfter) => ({ name, runAfter, image: 'alpine', command: ['true'], args: [], retryLimit: 2, retryDelay: { delaySeconds: 0, factor: 2, maxDelaySeconds: 300 }, triggerRule: 'AllSucceeded', parameters: [] });
  const shards = n - 101;
  const tasks = [task('root', [])];
  for (let i = 1; i <= shards; i++) tasks.push(task(`shard-${String(i).padStart(5, '0')}`, ['root']));
  for (let i = 0; i < 100; i++) tasks.push(task(`merge-${i}`, [`shard-${String(i + 1).padStart(5, '0')}`]));
  return { namespace: 'bench', name: 'huge', timezone: 'UTC', concurrencyPolicy: 'Allow', catchUp: 1, suspended: false, parameters: [], tasks };
}

const { dbUrl, pool, drop } = await scratchDatabase('kontroler_bench_runapi');
const agent = newAgent(4);
let server;

async function seed() {
  await store.migrate(pool);
  const def = definition(TASKS);
  await store.saveDag(pool, { namespace: 'bench', name: 'huge', spec: {}, definition: def, hash: 'huge', source: 'bench' });
  const t0 = process.hrtime.bigint();
  const { run } = await store.startRun(pool, { namespace: 'bench', dagName: 'huge', trigger: 'manual' });
  const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const positions = Array.from({ length: TASKS }, (_, p) => p);
  await setTaskStatuses(pool, run.id, positions, positions.map(statusAt));
  // One attempt per task that started, two for the failed ones (a retry), ended ones with an exit code.
  await pool.query(
    `insert into attempts (run_id, task, attempt, status, exit_code, reason, created_at, started_at, finished_at, log_size)
     select t.run_id, t.task, a, case when t.status = 'running' then 'running' when t.status = 'succeeded' then 'succeeded' else 'failed' end,
            case when t.status = 'running' then null when t.status = 'succeeded' then 0 else 1 end,
            case when t.status = 'running' then null when t.status = 'succeeded' then 'Completed' else 'Error' end,
            now(), now(), case when t.status = 'running' then null else now() end, 1024
     from task_states t cross join generate_series(1, 2) a
     where t.run_id = $1 and t.status in ('succeeded', 'failed', 'running', 'waiting') and (a = 1 or t.status in ('failed', 'waiting'))`,
    [run.id],
  );
  await pool.query(`update runs set status = 'running', started_at = now() where id = $1`, [run.id]);
  await pool.query('analyze');
  return { runId: run.id, startMs };
}

try {
  const { runId, startMs } = await seed();
  const counts = (await pool.query(`select (select count(*) from task_states where run_id = $1)::int as tasks, (select count(*) from attempts where run_id = $1)::int as attempts`, [runId])).rows[0];
  server = await serverChild(fileURLToPath(import.meta.url), dbUrl);
  const url = server.url;
  const token = await adminToken(url, pool);
  const cursorAt = (p) => Buffer.from(JSON.stringify({ p })).toString('base64url');
  const deep = cursorAt(Math.floor(TASKS * 0.9));

  const t0 = process.hrtime.bigint();
  const cold = await request(agent, url, `/api/v1/runs/${runId}`, token);
  const coldMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (cold.status !== 200) throw new Error(`GET /runs/${runId}: HTTP ${cold.status}`);
  const L = [];
  const run = `/api/v1/runs/${runId}`;
  L.push(await latency(agent, url, token, 'GET /runs/{id} (counts, 100 tasks, grouped graph)', run, N));
  L.push(await latency(agent, url, token, 'tasks: first page (100)', `${run}/tasks`, N));
  L.push(await latency(agent, url, token, `tasks: deep page (100 after position ${Math.floor(TASKS * 0.9)})`, `${run}/tasks?cursor=${deep}`, N));
  L.push(await latency(agent, url, token, 'tasks: a page of 1,000', `${run}/tasks?limit=1000`, Math.ceil(N / 3)));
  L.push(await latency(agent, url, token, 'tasks: status=failed, first page', `${run}/tasks?status=failed`, N));
  L.push(await latency(agent, url, token, 'tasks: status=failed, deep page', `${run}/tasks?status=failed&cursor=${deep}`, N));
  L.push(await latency(agent, url, token, 'tasks: status=running,waiting,failed', `${run}/tasks?status=running,waiting,failed`, N));
  L.push(await latency(agent, url, token, 'tasks: prefix=merge- (at the end of the run)', `${run}/tasks?prefix=merge-`, N));
  const f = (x) => x.toFixed(2);
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`\nmachine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${load}; server in a child process, requests from this one`);
  console.log(`run of ${counts.tasks} tasks, ${counts.attempts} attempts; startRun (task rows + counts, one statement) ${startMs.toFixed(0)} ms; first GET /runs/{id} (reads and indexes the definition) ${coldMs.toFixed(0)} ms, ${cold.bytes} bytes\n`);
  console.log('| request | n | p50 ms | p99 ms | bytes |\n|---|---|---|---|---|');
  for (const r of L) console.log(`| ${r.name} | ${r.n} | ${f(r.p50)} | ${f(r.p99)} | ${r.bytes} |`);
  const page = L.filter((r) => r.name.startsWith('tasks:') && !r.name.includes('1,000') && !r.name.includes('prefix'));
  const worst = Math.max(...page.map((r) => r.p99));
  console.log(`\ntargets: GET /runs/{id} p99 <= 20 ms: ${L[0].p99 <= 20 ? 'met' : 'MISSED'} (${f(L[0].p99)} ms); a page of /runs/{id}/tasks p99 <= 20 ms: ${worst <= 20 ? 'met' : 'MISSED'} (worst ${f(worst)} ms)`);
} finally {
  agent.destroy();
  await server?.stop();
  await drop();
}
