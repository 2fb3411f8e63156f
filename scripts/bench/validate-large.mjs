#!/usr/bin/env node
// Validation of large DAGs (issue 11, item 10): time and peak RSS of parsing and validating a
// JSON and a YAML DAG of N tasks, each in a fresh process so peak RSS is that run's own.
//   node scripts/bench/validate-large.mjs [N...]       (default: 5000 20000)
// Not a test: figures are printed, nothing is asserted.
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const self = fileURLToPath(import.meta.url);

/** A DAG of n tasks: a chain of 10-wide layers, each task after two of the layer before. */
export function largeDag(n, broken = false) {
  const task = [];
  for (let i = 0; i < n; i++) {
    // `broken`: every task after one that does not exist (every one an error with a hint).
    const runAfter = i < 10 ? [] : broken ? [`x${i}`] : [`t${i - 10}`, `t${i - 10 - ((i % 10) === 0 ? 0 : 1)}`];
    task.push({ name: `t${i}`, image: 'alpine:3', command: ['sh', '-c'], args: [`echo task ${i} $(WHO)`], runAfter: [...new Set(runAfter)], parameters: ['WHO'] });
  }
  return {
    apiVersion: 'kontroler.greedykomodo/v1alpha1',
    kind: 'DAG',
    metadata: { name: 'large', namespace: 'bench' },
    spec: { parameters: [{ name: 'WHO', defaultValue: 'world' }], task },
  };
}

async function child(n, format) {
  const { loadValidatedResources, resolveDag, specHash } = await import('../../packages/core/dist/index.js');
  const { stringify } = await import('yaml');
  const broken = format.endsWith('-broken');
  const dag = largeDag(n, broken);
  const text = format.startsWith('json') ? JSON.stringify(dag) : stringify(dag);
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = loadValidatedResources(text, { source: 'bench' });
  // What the API does next (store's applyResource, less the database): resolve and hash.
  if (!broken) {
    if (r.errors.length > 0) throw new Error(`unexpected errors: ${JSON.stringify(r.errors.slice(0, 3))}`);
    const resolved = resolveDag(r.resources[0], () => undefined);
    if (resolved.definition === undefined) throw new Error('not resolved');
    specHash(resolved.definition);
  } else if (r.errors.length < n - 10) throw new Error(`expected ${n - 10} errors, got ${r.errors.length}`);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  const peak = process.resourceUsage().maxRSS / 1024; // KiB → MiB
  process.stdout.write(JSON.stringify({ n, format, bytes: text.length, ms, cpuMs, peakMb: peak, baseMb: before / 1048576 }));
}

const main = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (main && process.argv[2] === '--child') {
  await child(Number(process.argv[3]), process.argv[4]);
} else if (main) {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  for (const n of sizes.length > 0 ? sizes : [5000, 20000]) {
    for (const format of ['json', 'yaml', 'json-broken']) {
      const r = spawnSync(process.execPath, [self, '--child', String(n), format], { encoding: 'utf8' });
      if (r.status !== 0) {
        console.log(`${n} tasks ${format}: failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
        continue;
      }
      const o = JSON.parse(r.stdout);
      console.log(`${String(n).padStart(6)} tasks, ${format.padEnd(11)} ${(o.bytes / 1048576).toFixed(2)} MiB: parse+validate ${o.ms.toFixed(0)} ms (CPU ${o.cpuMs.toFixed(0)} ms), peak RSS ${o.peakMb.toFixed(0)} MiB (before: ${o.baseMb.toFixed(0)} MiB)`);
    }
  }
}
