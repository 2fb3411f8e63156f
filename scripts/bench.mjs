#!/usr/bin/env node
// `npm run bench`: every benchmark, printed. Targets are shown next to the figures; nothing here
// fails on a missed target (speed is measured, not asserted in tests).
//   node scripts/bench.mjs [local] [engine] [validate] [api] [kube] [ui]   (default: all that exist)
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const want = new Set(process.argv.slice(2));
const on = (name) => want.size === 0 || want.has(name);
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : String(n));

console.log(`machine: ${(await import('node:os')).cpus().length} cores, node ${process.version}, ${new Date().toISOString()}`);

if (on('engine')) {
  const { benchEngineStore } = await import('./bench/engine-store.mjs');
  const r = await benchEngineStore();
  console.log('\n## engine + store throughput (no-op runtime, real PostgreSQL)');
  console.log(`${r.runs} runs × ${r.tasks / r.runs} tasks in ${fmt(r.seconds, 2)} s: ${fmt(r.taskTransitionsPerSec, 0)} task transitions/s (target ≥ 5,000/s); ${fmt(r.allTransitionsPerSec, 0)}/s counting attempt transitions`);
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

if (on('local')) {
  const { benchLocal } = await import('./bench/local.mjs');
  const r = await benchLocal();
  console.log('\n## local runtime through the all-in-one process');
  console.log(`chain of 100 × \`true\`: ${r.chain.makespanMs} ms, ${fmt(r.chain.perHopMs)} ms per hop; process start ${fmt(r.chain.processStartMs)} ms; overhead per hop ${fmt(r.chain.overheadPerHopMs)} ms (target ≤ 5 ms)`);
  console.log(`1,000 independent \`true\`: ${r.wide.makespanMs} ms; xargs -P ${r.wide.xargsParallelism}: ${fmt(r.wide.xargsMs, 0)} ms; ratio ${fmt(r.wide.ratio, 2)}× (target ≤ 3×)`);
  console.log(`peak RSS of the all-in-one process: ${fmt(r.peakRssMb)} MiB`);
}

if (on('validate')) {
  console.log('\n## parse + validate of large DAGs (scripts/bench/validate-large.mjs; each row its own process)');
  const r = spawnSync(process.execPath, [join(root, 'scripts/bench/validate-large.mjs'), '5000', '20000'], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) console.log(`(validate-large.mjs exited with ${r.status})`);
}

for (const [name, script] of [['api', 'scripts/bench-api.mjs'], ['kube', 'scripts/bench-kube.mjs'], ['kube-runtime', 'scripts/bench-kube-runtime.mjs'], ['ui', 'scripts/bench-ui.mjs']]) {
  if (!on(name) || !existsSync(join(root, script))) continue;
  console.log(`\n## ${name} (${script})`);
  const r = spawnSync(process.execPath, [join(root, script)], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) console.log(`(${script} exited with ${r.status})`);
}
