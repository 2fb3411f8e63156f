#!/usr/bin/env node
// Through the local runtime in the real all-in-one process: a run of 10,000 independent `true`
// tasks, at most P running at once (KONTROLER_MAX_PARALLEL_TASKS), and its makespan next to
// `xargs -P P` spawning the same 10,000 commands. P = cores × 4, as in local.mjs.
//   node scripts/bench/local-large.mjs [tasks]     (default 10000)
// Not a test: figures are printed, nothing is asserted.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli, dag, freePort, peakRssMb, runTimes } from './local.mjs';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'packages/cli/bin/kontroler.js');

export async function benchLocalLarge({ tasks = 10_000 } = {}) {
  const p = availableParallelism() * 4;
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-bench-local-large-'));
  const dags = join(dir, 'dags');
  mkdirSync(dags);
  const name = `wide${tasks}`;
  writeFileSync(join(dags, 'wide.yaml'), dag(name, Array.from({ length: tasks }, (_, i) => ({ name: `t${i}` }))));
  const port = await freePort();
  const { DATABASE_URL: _d, ...base } = process.env;
  const env = { ...base, KONTROLER_DATA_DIR: join(dir, 'data'), KONTROLER_MAX_PARALLEL_TASKS: String(p) };
  const up = spawn(process.execPath, [bin, 'up', '--dags', dags, '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  up.stdout.on('data', (d) => (out += d));
  up.stderr.on('data', (d) => (out += d));
  try {
    await new Promise((resolve, reject) => {
      const t = setInterval(() => {
        if (new RegExp(`DAG default/${name}: loaded`).test(out) && /Kontroler is up/.test(out)) { clearInterval(t); resolve(); }
        if (up.exitCode !== null) { clearInterval(t); reject(new Error(out)); }
      }, 50);
    });
    const id = Number(/started run (\d+)/.exec(cli(['run', name, '--wait'], env))[1]);
    const run = runTimes(id, env);
    const input = Array.from({ length: tasks }, () => 'true').join('\n');
    const x0 = performance.now();
    execFileSync('xargs', ['-P', String(p), '-n', '1', 'sh', '-c', 'exec "$0"'], { input });
    const xargsMs = performance.now() - x0;
    return { tasks, status: run.status, makespanMs: run.ms, xargsMs, parallelism: p, ratio: run.ms / xargsMs, peakRssMb: peakRssMb(up.pid) };
  } finally {
    up.kill('SIGINT');
    await new Promise((r) => up.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportLocalLarge(r) {
  const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : String(n));
  return [
    `${r.tasks} independent \`true\` (at most ${r.parallelism} at once): ${r.status} in ${fmt(r.makespanMs / 1000, 1)} s; ` +
      `xargs -P ${r.parallelism}: ${fmt(r.xargsMs / 1000, 1)} s; ratio ${fmt(r.ratio, 2)}×; peak RSS of the all-in-one ${fmt(r.peakRssMb, 0)} MiB`,
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const l of reportLocalLarge(await benchLocalLarge({ tasks: Number(process.argv[2] ?? 10_000) }))) console.log(l);
}
