#!/usr/bin/env node
// `npm run bench`: every benchmark, printed. Targets are shown next to the figures; nothing here
// fails on a missed target (speed is measured, not asserted in tests).
//   node scripts/bench.mjs [local] [local-map] [engine] [validate] [api] [kube] [ui] [ui-large-run] [ui-live]   (default: all that exist)
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const want = new Set(process.argv.slice(2));
const on = (name) => want.size === 0 || want.has(name);
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : String(n));

const os = await import('node:os');
console.log(`machine: ${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString()}, load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);

if (on('engine')) {
  const { benchEngineStore } = await import('./bench/engine-store.mjs');
  const r = await benchEngineStore();
  console.log('\n## engine + store throughput (no-op runtime, real PostgreSQL)');
  console.log(`${r.runs} runs × ${r.tasks / r.runs} tasks in ${fmt(r.seconds, 2)} s: ${fmt(r.taskTransitionsPerSec, 0)} task transitions/s (target ≥ 5,000/s); ${fmt(r.allTransitionsPerSec, 0)}/s counting attempt transitions`);
}

if (on('dagrun-status')) {
  const { benchDagRunStatus } = await import('./bench/dagrun-status.mjs');
  const r = await benchDagRunStatus();
  console.log('\n## DagRun status write: what the CRD adapter reads and writes per status, by run size (real PostgreSQL)');
  for (const row of r.rows) console.log(`${row.tasks.toLocaleString('en')} tasks: summary + status ${fmt(row.summaryMs)} ms (whole-run load ${fmt(row.fullLoadMs)} ms); status ${row.statusBytes.toLocaleString('en')} bytes (bound ${r.maxBytes.toLocaleString('en')})`);
}

if (on('scale')) {
  const { benchScale, report } = await import('./bench/scale.mjs');
  console.log('\n## 100,000-task runs through controller + store (no-op runtime; scripts/bench/scale.mjs), graphile-worker on the same PostgreSQL');
  for (const line of report(await benchScale())) console.log(line);
}

if (on('local-large')) {
  const { benchLocalLarge, reportLocalLarge } = await import('./bench/local-large.mjs');
  console.log('\n## 10,000 tasks through the local runtime (scripts/bench/local-large.mjs)');
  for (const line of reportLocalLarge(await benchLocalLarge())) console.log(line);
}

if (on('local-map')) {
  const { benchLocalMap, reportLocalMap } = await import('./bench/local-map.mjs');
  console.log('\n## a mapped task over 10,000 items through the local runtime, next to 10,000 plain tasks (scripts/bench/local-map.mjs)');
  for (const line of reportLocalMap(await benchLocalMap())) console.log(line);
}

if (on('local')) {
  const { benchLocal } = await import('./bench/local.mjs');
  const r = await benchLocal();
  console.log('\n## local runtime through the all-in-one process');
  console.log(`chain of 100 × \`true\`: ${r.chain.makespanMs} ms, ${fmt(r.chain.perHopMs)} ms per hop; process start ${fmt(r.chain.processStartMs)} ms; overhead per hop ${fmt(r.chain.overheadPerHopMs)} ms`);
  console.log(`graphile-worker ${r.graphile.version}, 100-job chain on the same PostgreSQL: ${fmt(r.graphile.perHopMs, 2)} ms per hop; ratio of our overhead per hop to it: ${fmt(r.chain.vsGraphile, 2)} (target ≤ 1; medians of ${r.chain.rounds.length} alternating rounds: ${r.chain.rounds.map((x) => `${fmt(x.overheadPerHopMs)}/${fmt(x.graphilePerHopMs, 2)}`).join(', ')})`);
  console.log(`1,000 independent \`true\`: ${r.wide.makespanMs} ms; xargs -P ${r.wide.xargsParallelism}: ${fmt(r.wide.xargsMs, 0)} ms; ratio ${fmt(r.wide.ratio, 2)}× (target ≤ 2×)`);
  console.log(`peak RSS of the all-in-one process: ${fmt(r.peakRssMb)} MiB`);
}

if (on('engine-scale')) {
  console.log('\n## engine-only scaling (scripts/bench/engine-scaling.mjs; µs of engine CPU per task, every attempt exiting at once)');
  const r = spawnSync(process.execPath, ['--expose-gc', join(root, 'scripts/bench/engine-scaling.mjs')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) console.log(`(engine-scaling.mjs exited with ${r.status})`);
}

if (on('validate')) {
  console.log('\n## parse + validate of large DAGs (scripts/bench/validate-large.mjs; each row its own process)');
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench/validate-large.mjs'), '1000', '10000', '100000'], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) console.log(`(validate-large.mjs exited with ${r.status})`);
}

if (on('run-api')) {
  console.log('\n## API on a 100,000-task run (scripts/bench/run-api.mjs): GET /runs/{id} and pages of /runs/{id}/tasks');
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench/run-api.mjs')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) console.log(`(run-api.mjs exited with ${r.status})`);
}

if (on('ui-live')) {
  console.log('\n## live updates (scripts/bench/ui-live.mjs): a task\'s end to the run page showing it, 50-task chain in Chromium');
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench/ui-live.mjs')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) console.log(`(ui-live.mjs exited with ${r.status})`);
}

if (on('ui-large-run')) {
  console.log('\n## UI on a 100,000-task run (scripts/bench/ui-large-run.mjs): time to first render of its page in Chromium');
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench/ui-large-run.mjs')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) console.log(`(ui-large-run.mjs exited with ${r.status})`);
}

for (const [name, script] of [['api', 'scripts/bench-api.mjs'], ['kube', 'scripts/bench-kube.mjs'], ['kube-runtime', 'scripts/bench-kube-runtime.mjs'], ['ui', 'scripts/bench-ui.mjs']]) {
  if (!on(name) || !existsSync(join(root, script))) continue;
  console.log(`\n## ${name} (${script})`);
  const r = spawnSync(process.execPath, [join(root, script)], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) console.log(`(${script} exited with ${r.status})`);
}
