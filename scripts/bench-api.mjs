#!/usr/bin/env node
// API benchmark: seeds 100k runs / 1M attempts in a scratch database with bulk SQL, starts the API
// server in a child process, then measures on loopback:
//   - latency p50/p99 (sequential requests) of listing runs (first and a deep page), getting a
//     200-task run, fetching a 64 KiB log;
//   - throughput with 64 concurrent keep-alive clients.
// Targets: list p99 <= 20 ms; >= 2,000 requests/s.
//
//   node scripts/bench-api.mjs [--runs 100000] [--seconds 10] [--clients 64] [--keep]
// Uses $KONTROLER_BENCH_DATABASE_URL (a server where it may create a scratch database) or starts
// an embedded PostgreSQL in a temporary folder. Everything it starts, it stops.
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { adminToken, latency as latencyOf, newAgent, pct, request as requestOf, scratchDatabase, serveIfChild, serverChild, store } from './bench/api-harness.mjs';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

// ---- child mode: just the server ----------------------------------------------------------------
await serveIfChild(Number(process.env.BENCH_POOL ?? 10));

const RUNS = arg('runs', 100_000);
const TASKS = 10; // attempts per run: RUNS * TASKS = 1M
const SECONDS = arg('seconds', 10);
const CLIENTS = arg('clients', 64);
const DAGS = 50;

// ---- database -----------------------------------------------------------------------------------
const { dbUrl, pool, drop } = await scratchDatabase('kontroler_bench');
let server;

function task(name, runAfter) {
  return { name, runAfter, image: 'alpine', command: ['true'], args: [], retryLimit: 0, retryDelay: { delaySeconds: 0, factor: 2, maxDelaySeconds: 300 }, triggerRule: 'AllSucceeded', parameters: [] };
}
function definition(name, n) {
  return { namespace: 'bench', name, timezone: 'UTC', concurrencyPolicy: 'Allow', catchUp: 1, suspended: false, parameters: [], tasks: Array.from({ length: n }, (_, i) => task(`t${i}`, i === 0 ? [] : [`t${i - 1}`])) };
}

async function seed() {
  const t0 = Date.now();
  await store.migrate(pool);
  for (let d = 1; d <= DAGS + 1; d++) {
    const name = d <= DAGS ? `dag-${d}` : 'big';
    const n = d <= DAGS ? TASKS : 200;
    await store.saveDag(pool, { namespace: 'bench', name, spec: {}, definition: definition(name, n), hash: `h${d}`, source: 'bench' });
  }
  const ids = new Map((await pool.query(`select id, name from dags`)).rows.map((r) => [r.name, Number(r.id)]));
  const dagIds = Array.from({ length: DAGS }, (_, i) => ids.get(`dag-${i + 1}`));
  await pool.query(
    `insert into runs (dag_id, dag_version, namespace, dag_name, status, trigger, parameters, created_at, started_at, finished_at)
     select ($2::bigint[])[1 + g % $3], 1, 'bench', 'dag-' || (1 + g % $3),
            case when g % 20 = 0 then 'failed' when g % 33 = 0 then 'canceled' else 'succeeded' end,
            'schedule', '{}'::jsonb, t, t + interval '1 second', t + interval '1 second' * (5 + g % 300)
     from generate_series(1, $1::int) g
     cross join lateral (select now() - interval '30 days' + interval '30 days' * g / $1::int as t) tt`,
    [RUNS, dagIds, DAGS],
  );
  await pool.query(
    `insert into attempts (run_id, task, attempt, status, exit_code, reason, created_at, started_at, finished_at, log_size)
     select r.id, 't' || k, 1, case when r.status = 'failed' and k = 9 then 'failed' else 'succeeded' end,
            case when r.status = 'failed' and k = 9 then 1 else 0 end, case when r.status = 'failed' and k = 9 then 'Error' else 'Completed' end,
            r.started_at, r.started_at, r.finished_at, 0
     from runs r cross join generate_series(0, ${TASKS - 1}) k`,
  );
  await pool.query(
    `insert into task_states (run_id, task, status, position)
     select r.id, 't' || k, case when r.status = 'failed' and k = 9 then 'failed' else 'succeeded' end, k
     from runs r cross join generate_series(0, ${TASKS - 1}) k`,
  );
  await pool.query(
    `update runs set task_counts = case when status = 'failed' then jsonb_build_object('succeeded', ${TASKS - 1}, 'failed', 1) else jsonb_build_object('succeeded', ${TASKS}) end`,
  );
  const big = (await store.createRun(pool, { dagId: ids.get('big'), dagVersion: 1, namespace: 'bench', dagName: 'big', trigger: 'manual', parameters: {} })).run.id;
  await pool.query(`update runs set status = 'succeeded', started_at = now(), finished_at = now() where id = $1`, [big]);
  await pool.query(
    `insert into attempts (run_id, task, attempt, status, exit_code, reason, created_at, started_at, finished_at)
     select $1, 't' || k, 1, 'succeeded', 0, 'Completed', now(), now(), now() from generate_series(0, 199) k`,
    [big],
  );
  await pool.query(`update task_states set status = 'succeeded' where run_id = $1`, [big]);
  await pool.query(`update runs set task_counts = '{"succeeded": 200}' where id = $1`, [big]);
  const line = Buffer.from(`${'x'.repeat(63)}\n`);
  const chunk = Buffer.concat(Array.from({ length: 64 }, () => line)); // 4 KiB
  const chunks = Array.from({ length: 16 }, (_, i) => ({ runId: big, task: 't0', attempt: 1, offset: i * chunk.length, data: chunk }));
  const size = 16 * chunk.length;
  await store.appendLogs(pool, [{ from: 0, state: { runId: big, task: 't0', attempt: 1, size, received: size, line: 0 }, chunks }]);
  await pool.query('analyze');
  const counts = (await pool.query(`select (select count(*) from runs)::int as runs, (select count(*) from attempts)::int as attempts`)).rows[0];
  console.log(`seeded ${counts.runs} runs, ${counts.attempts} attempts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { big };
}

// ---- HTTP helpers -------------------------------------------------------------------------------
const agent = newAgent(CLIENTS);
const request = (url, path, token, headers = {}) => requestOf(agent, url, path, token, headers);
const latency = (url, token, name, path, n) => latencyOf(agent, url, token, name, path, n);
async function throughput(url, token, path, seconds, clients) {
  const end = Date.now() + seconds * 1000;
  let ok = 0;
  let bad = 0;
  const lat = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        const r = await request(url, path, token);
        lat.push(Number(process.hrtime.bigint() - t) / 1e6);
        if (r.status === 200) ok++;
        else bad++;
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { path, rps: ok / seconds, errors: bad, p50: pct(lat, 50), p99: pct(lat, 99) };
}

try {
  const { big } = await seed();
  server = await serverChild(fileURLToPath(import.meta.url), dbUrl);
  const url = server.url;
  const token = await adminToken(url, pool);
  const deep = Buffer.from(JSON.stringify(Math.floor(RUNS / 100))).toString('base64url');
  const L = [];
  L.push(await latency(url, token, 'list runs, first page (50)', '/api/v1/runs?limit=50', 300));
  L.push(await latency(url, token, `list runs, deep page (50, before id ${Math.floor(RUNS / 100)})`, `/api/v1/runs?limit=50&cursor=${deep}`, 300));
  L.push(await latency(url, token, 'list runs of one DAG, deep page', `/api/v1/runs?dag=dag-7&limit=50&cursor=${deep}`, 300));
  L.push(await latency(url, token, 'list failed runs, first page', '/api/v1/runs?status=failed&limit=50', 300));
  L.push(await latency(url, token, 'get a 200-task run', `/api/v1/runs/${big}`, 300));
  L.push(await latency(url, token, 'fetch a 64 KiB log', `/api/v1/runs/${big}/tasks/t0/attempts/1/logs`, 300));
  L.push(await latency(url, token, 'stats, 30-day window', '/api/v1/stats?window=30d', 20));
  const T = [];
  T.push(await throughput(url, token, '/api/v1/runs?limit=20', SECONDS, CLIENTS));
  T.push(await throughput(url, token, `/api/v1/runs/${RUNS - 5}`, SECONDS, CLIENTS));
  T.push(await throughput(url, token, '/api/v1/auth/me', SECONDS, CLIENTS));
  T.push(await throughput(url, token, '/healthz', SECONDS, CLIENTS));
  const f = (x) => x.toFixed(2);
  console.log(`\nmachine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; server in a child process, load generator in this one\n`);
  console.log('| request | n | p50 ms | p99 ms | bytes |\n|---|---|---|---|---|');
  for (const r of L) console.log(`| ${r.name} | ${r.n} | ${f(r.p50)} | ${f(r.p99)} | ${r.bytes} |`);
  console.log(`\n| throughput, ${CLIENTS} clients, ${SECONDS} s | req/s | errors | p50 ms | p99 ms |\n|---|---|---|---|---|`);
  for (const r of T) console.log(`| GET ${r.path} | ${r.rps.toFixed(0)} | ${r.errors} | ${f(r.p50)} | ${f(r.p99)} |`);
  const listP99 = Math.max(L[0].p99, L[1].p99);
  console.log(`\ntargets: list p99 <= 20 ms: ${listP99 <= 20 ? 'met' : 'MISSED'} (${f(listP99)} ms); >= 2,000 req/s: ${T[0].rps >= 2000 ? 'met' : 'MISSED'} (${T[0].rps.toFixed(0)})`);
} finally {
  agent.destroy();
  await server?.stop();
  await drop();
}
