#!/usr/bin/env node
// Runs of 100,000 tasks through controller + store with a no-op runtime (every attempt exits at
// once): a wide run (one root → 99,999) and a binary tree complete; a wide run whose controller
// is SIGKILLed halfway is loaded and resumed by a new one; and graphile-worker's jobs/s on the
// same PostgreSQL, for scale. Each controller runs in its own process, so its peak RSS is its own.
//   node scripts/bench/scale.mjs [tasks]          (default 100000)
// Not a test: figures are printed, nothing is asserted.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const self = fileURLToPath(import.meta.url);
const store = await import(join(root, 'packages/store/dist/index.js'));

/** A task of the stored (resolved) definition; the bench skips validation, which val13 measures. */
const task = (name, runAfter) => ({
  name, runAfter, image: 'none', command: ['true'], args: [], retryLimit: 0,
  retryDelay: { delaySeconds: 0, factor: 2, maxDelaySeconds: 300 }, triggerRule: 'AllSucceeded', parameters: [],
});

export function shapes(n) {
  const wide = [task('root', [])];
  for (let i = 1; i < n; i++) wide.push(task(`t${i}`, ['root']));
  const tree = [];
  for (let i = 0; i < n; i++) tree.push(task(`t${i}`, i === 0 ? [] : [`t${Math.floor((i - 1) / 2)}`]));
  return { wide, tree };
}

const definition = (name, tasks) => ({ namespace: 'default', name, timezone: 'UTC', concurrencyPolicy: 'Allow', catchUp: 1, suspended: false, parameters: [], tasks });

const peakRssMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;

/** Child: a controller with a no-op runtime; prints JSON lines (ready, claim log lines, ended). */
async function controllerChild(url, adoptAll) {
  const { Controller, envSecretResolver } = await import(join(root, 'packages/controller/dist/index.js'));
  const { NoopRuntime } = await import(join(root, 'scripts/bench/engine-store.mjs'));
  class Runtime extends NoopRuntime {
    // After a crash of the no-op controller every attempt it started has ended (with 0).
    async adopt() {
      if (!adoptAll) return { state: 'unknown' };
      const at = Date.now();
      return { state: 'exited', handle: 'noop', startedAt: at, finishedAt: at, exitCode: 0, reason: 'Completed' };
    }
  }
  const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const log = { info: (m) => out({ log: m }), warn: (m) => out({ log: m }), error: (m, e) => out({ log: `${m}: ${e?.message ?? ''}` }) };
  const pool = store.createPool(url, 10);
  const c = new Controller({ pool, databaseUrl: url, runtime: new Runtime(), id: 'bench-scale', log, secrets: envSecretResolver({}), pollMs: 200 });
  let maxEstimate = 0;
  const sample = setInterval(() => (maxEstimate = Math.max(maxEstimate, c.memory().estimatedBytes)), 500);
  c.onRunEnded((id) => {
    clearInterval(sample);
    out({ ended: id, peakRssMb: peakRssMb(), estimateMb: maxEstimate / 1048576, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 });
  });
  await c.start();
  out({ ready: true });
  process.once('SIGTERM', () => void c.stop().then(() => pool.end()).then(() => process.exit(0)));
}

function startChild(url, adoptAll = false) {
  const child = spawn(process.execPath, ['--max-old-space-size=4096', self, '--controller', url, adoptAll ? 'adopt' : 'fresh'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = new Set();
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      let o;
      try { o = JSON.parse(line); } catch { o = { log: line }; }
      lines.push(o);
      if (o.log) process.stderr.write(`  [controller ${child.pid}] ${o.log}\n`); // its warnings (a lost lease...) show
      for (const w of waiters) w();
    }
  });
  const exited = new Promise((r) => child.once('exit', r));
  const waitFor = (pred) => new Promise((resolve, reject) => {
    const check = () => {
      const hit = lines.find(pred);
      if (hit) { waiters.delete(check); resolve(hit); } else if (child.exitCode !== null) { waiters.delete(check); reject(new Error(`controller exited: ${JSON.stringify(lines.slice(-5))}`)); }
    };
    waiters.add(check);
    check();
  });
  return { child, lines, waitFor, exited, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

async function runWhole(pool, url, dag) {
  const c = startChild(url);
  await c.waitFor((l) => l.ready);
  const t0 = performance.now();
  const { run } = await store.createRun(pool, { dagId: dag.dag.id, dagVersion: dag.version, namespace: 'default', dagName: dag.dag.name, trigger: 'manual', parameters: {} });
  const end = await c.waitFor((l) => l.ended === run.id);
  const seconds = (performance.now() - t0) / 1000;
  await c.stop();
  const status = (await store.getRun(pool, run.id)).status;
  const claim = c.lines.find((l) => l.log?.startsWith(`run ${run.id}:`))?.log;
  return { status, seconds, peakRssMb: end.peakRssMb, estimateMb: end.estimateMb, cpuS: end.cpuMs / 1000, claim };
}

async function runResume(pool, url, dag, tasks) {
  const a = startChild(url);
  await a.waitFor((l) => l.ready);
  const { run } = await store.createRun(pool, { dagId: dag.dag.id, dagVersion: dag.version, namespace: 'default', dagName: dag.dag.name, trigger: 'manual', parameters: {} });
  for (;;) {
    const { rows } = await pool.query(`select count(*)::int as n from attempts where run_id = $1 and status = 'succeeded'`, [run.id]);
    if (rows[0].n >= tasks / 2) break;
    if (a.child.exitCode !== null) throw new Error('controller exited');
    await new Promise((r) => setTimeout(r, 200));
  }
  a.child.kill('SIGKILL');
  await a.exited;
  const { rows } = await pool.query(`select count(*) filter (where status = 'succeeded')::int as done, count(*) filter (where status in ('starting', 'running'))::int as active from attempts where run_id = $1`, [run.id]);
  const b = startChild(url, true);
  const t0 = performance.now();
  const claim = (await b.waitFor((l) => l.log?.startsWith(`run ${run.id}:`))).log;
  const claimS = (performance.now() - t0) / 1000;
  const end = await b.waitFor((l) => l.ended === run.id);
  const seconds = (performance.now() - t0) / 1000;
  await b.stop();
  return { status: (await store.getRun(pool, run.id)).status, atKill: rows[0], claimS, seconds, peakRssMb: end.peakRssMb, claim };
}

/** graphile-worker on the same PostgreSQL: no-op jobs, as many as complete in ~`seconds`. */
async function graphileJobsPerSec(url, jobs, seconds, concurrency) {
  const { run, makeWorkerUtils, Logger } = await import('graphile-worker');
  const { default: pg } = await import('pg');
  const logger = new Logger(() => () => undefined);
  // Our own pool, ended here: graphile-worker's would outlive it and error when PostgreSQL stops.
  const pgPool = new pg.Pool({ connectionString: url, max: concurrency + 2 });
  pgPool.on('error', () => undefined);
  const utils = await makeWorkerUtils({ pgPool, logger });
  try {
    await utils.migrate();
    for (let i = 0; i < jobs; i += 10_000) await utils.addJobs(Array.from({ length: Math.min(10_000, jobs - i) }, () => ({ identifier: 'noop', payload: {} })));
    let done = 0;
    const t0 = performance.now();
    const runner = await run({ pgPool, concurrency, noHandleSignals: true, pollInterval: 1000, taskList: { noop: async () => undefined }, logger });
    runner.events.on('job:success', () => { done++; });
    await new Promise((resolve) => {
      const t = setInterval(() => { if (done >= jobs || performance.now() - t0 > seconds * 1000) { clearInterval(t); resolve(); } }, 100);
    });
    const elapsed = (performance.now() - t0) / 1000;
    await runner.stop();
    return { jobs: done, seconds: elapsed, jobsPerSec: done / elapsed, concurrency };
  } finally {
    await utils.release();
    await pgPool.end();
  }
}

export async function benchScale({ tasks = 100_000, only, progress } = {}) {
  const { startEmbeddedPostgres } = await import(join(root, 'packages/cli/dist/embedded/index.js'));
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-bench-scale-'));
  const pg = await startEmbeddedPostgres({ dataDir: dir });
  const pool = store.createPool(pg.url, 5);
  const out = { tasks };
  try {
    await store.migrate(pool);
    const { wide, tree } = shapes(tasks);
    const save = (name, t) => store.saveDag(pool, { namespace: 'default', name, spec: {}, definition: definition(name, t), hash: name, source: 'bench' });
    const wideDag = await save('wide', wide);
    const treeDag = await save('tree', tree);
    const want = (k) => !only || only.includes(k);
    const done = (k, v) => {
      out[k] = v;
      progress?.(k, v);
    };
    if (want('wide')) done('wide', await runWhole(pool, pg.url, wideDag));
    if (want('tree')) done('tree', await runWhole(pool, pg.url, treeDag));
    if (want('resume')) done('resume', await runResume(pool, pg.url, wideDag, tasks));
    // graphile-worker creates its own schema: as the superuser (the application role may not).
    if (want('graphile')) done('graphile', await graphileJobsPerSec(pg.superuserUrl, tasks, 30, 10));
    return out;
  } finally {
    await pool.end();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures as lines, targets beside them. */
export function report(r) {
  const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : String(n));
  const lines = [];
  for (const k of ['wide', 'tree']) {
    const x = r[k];
    if (!x) continue;
    lines.push(`${k} run of ${r.tasks} tasks: ${x.status} in ${fmt(x.seconds, 1)} s (target ≤ 60 s); ${fmt((2 * r.tasks) / x.seconds, 0)} task transitions/s; ` +
      `controller peak RSS ${fmt(x.peakRssMb, 0)} MiB (target ≤ 1024), estimate of its runs' memory ${fmt(x.estimateMb, 0)} MiB; controller CPU ${fmt(x.cpuS, 1)} s`);
  }
  if (r.resume) {
    const x = r.resume;
    lines.push(`resume of a wide run of ${r.tasks} killed at ${x.atKill.done} succeeded / ${x.atKill.active} active: claimed, loaded and resumed in ${fmt(x.claimS, 2)} s ` +
      `(${x.claim}); ${x.status} ${fmt(x.seconds, 1)} s after the new controller started; its peak RSS ${fmt(x.peakRssMb, 0)} MiB`);
  }
  if (r.graphile) {
    const g = r.graphile;
    lines.push(`graphile-worker, same PostgreSQL: ${g.jobs} no-op jobs in ${fmt(g.seconds, 1)} s = ${fmt(g.jobsPerSec, 0)} jobs/s (concurrency ${g.concurrency})`);
    for (const k of ['wide', 'tree']) if (r[k]) lines.push(`  ${k}: ${fmt((2 * r.tasks) / r[k].seconds / g.jobsPerSec, 2)} task transitions per graphile job (${fmt(r.tasks / r[k].seconds / g.jobsPerSec, 2)} tasks per job)`);
  }
  return lines;
}

const main = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (main && process.argv[2] === '--controller') {
  await controllerChild(process.argv[3], process.argv[4] === 'adopt');
} else if (main) {
  const n = Number(process.argv[2] ?? 100_000);
  const only = process.argv.slice(3);
  const r = await benchScale({ tasks: n, ...(only.length > 0 ? { only } : {}), progress: (k, v) => console.error(`${k}: ${JSON.stringify(v)}`) });
  for (const l of report(r)) console.log(l);
}
