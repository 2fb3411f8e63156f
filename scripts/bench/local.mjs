// Benchmarks of the run engine with the local runtime, through the real all-in-one process, on an
// embedded PostgreSQL started here (the all-in-one's own, given as DATABASE_URL so the peer can
// use the same server):
//  - chain of 100 no-op tasks: per-hop overhead beyond process start, and graphile-worker's hop
//    in a 100-job chain on the same PostgreSQL, in the same run (scripts/bench/graphile-chain.mjs)
//  - 1,000 independent no-op tasks: makespan, and the ratio to `xargs -P` on the same commands
//  - peak RSS of the all-in-one process while doing both
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startGraphileChain } from './graphile-chain.mjs';

/** Alternating rounds of our chain and the peer's. */
const ROUNDS = 3;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'packages/cli/bin/kontroler.js');

export function dag(name, tasks) {
  return [
    'apiVersion: kontroler.greedykomodo/v1alpha1',
    'kind: DAG',
    `metadata: {name: ${name}}`,
    'spec:',
    '  task:',
    ...tasks.flatMap((t) => [`    - name: ${t.name}`, '      image: none', '      command: ["true"]', ...(t.after ? [`      runAfter: [${t.after}]`] : [])]),
    '',
  ].join('\n');
}

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export function peakRssMb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch { return NaN; }
}

export function cli(args, env) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kontroler ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  // `run --wait` reports progress ("started run N", ...) on stderr, results on stdout.
  return `${r.stdout}${r.stderr}`;
}

export function runTimes(id, env) {
  const r = spawnSync(process.execPath, [bin, 'run-status', String(id), '-o', 'json'], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kontroler run-status ${id} failed: ${r.stdout}${r.stderr}`);
  // The API's run detail: ISO start and end of the run.
  const j = JSON.parse(r.stdout);
  return { status: j.status, ms: Date.parse(j.finishedAt) - Date.parse(j.startedAt) };
}

/** Mean time to spawn and reap `true`, sequentially, from Node (process start cost). */
async function spawnCostMs(n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await new Promise((r) => spawn('true').on('exit', r));
  return (performance.now() - t0) / n;
}

export async function benchLocal() {
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-bench-'));
  const { startEmbeddedPostgres } = await import(join(root, 'packages/cli/dist/embedded/index.js'));
  const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg') });
  const dags = join(dir, 'dags');
  mkdirSync(dags);
  writeFileSync(join(dags, 'chain.yaml'), dag('chain100', Array.from({ length: 100 }, (_, i) => ({ name: `t${i}`, after: i > 0 ? `t${i - 1}` : undefined }))));
  writeFileSync(join(dags, 'wide.yaml'), dag('wide1000', Array.from({ length: 1000 }, (_, i) => ({ name: `t${i}` }))));
  const port = await freePort();
  const { DATABASE_URL: _d, ...base } = process.env;
  const env = { ...base, KONTROLER_DATA_DIR: join(dir, 'data'), DATABASE_URL: pg.url };
  const up = spawn(process.execPath, [bin, 'up', '--dags', dags, '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  up.stdout.on('data', (d) => (out += d));
  up.stderr.on('data', (d) => (out += d));
  await new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (/DAG default\/wide1000: loaded/.test(out) && /Kontroler is up/.test(out)) { clearInterval(t); resolve(); }
      if (up.exitCode !== null) { clearInterval(t); reject(new Error(out)); }
    }, 50);
  });
  const results = {};
  try {
    // Chain of 100, and the peer's 100-job chain on the same PostgreSQL (its own schema: as the
    // superuser), in alternating rounds after a warm-up of each, so both see the same machine;
    // medians of ROUNDS rounds.
    const graphile = await startGraphileChain(pg.superuserUrl);
    const rounds = [];
    try {
      cli(['run', 'chain100', '--wait'], env);
      await graphile.chain(100);
      for (let r = 0; r < ROUNDS; r++) {
        const spawnMs = await spawnCostMs(100);
        const chainId = Number(/started run (\d+)/.exec(cli(['run', 'chain100', '--wait'], env))[1]);
        const ms = runTimes(chainId, env).ms;
        rounds.push({ makespanMs: ms, perHopMs: ms / 100, processStartMs: spawnMs, overheadPerHopMs: ms / 100 - spawnMs, graphilePerHopMs: await graphile.chain(100) });
      }
    } finally {
      await graphile.stop();
    }
    const med = (k) => median(rounds.map((x) => x[k]));
    results.chain = { makespanMs: med('makespanMs'), perHopMs: med('perHopMs'), processStartMs: med('processStartMs'), overheadPerHopMs: med('overheadPerHopMs'), rounds };
    results.graphile = { version: graphile.version, perHopMs: med('graphilePerHopMs') };
    results.chain.vsGraphile = median(rounds.map((x) => x.overheadPerHopMs / x.graphilePerHopMs));
    // 1,000 independent.
    const wideId = Number(/started run (\d+)/.exec(cli(['run', 'wide1000', '--wait'], env))[1]);
    const wide = runTimes(wideId, env);
    const p = availableParallelism() * 4;
    const input = Array.from({ length: 1000 }, () => 'true').join('\n');
    const x0 = performance.now();
    execFileSync('xargs', ['-P', String(p), '-n', '1', 'sh', '-c', 'exec "$0"'], { input });
    const xargsMs = performance.now() - x0;
    results.wide = { makespanMs: wide.ms, xargsMs, xargsParallelism: p, ratio: wide.ms / xargsMs };
    results.peakRssMb = peakRssMb(up.pid);
  } finally {
    up.kill('SIGINT');
    await new Promise((r) => up.on('exit', r));
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchLocal();
  console.log(JSON.stringify(r, null, 2));
}
