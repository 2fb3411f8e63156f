#!/usr/bin/env node
// Validation of large DAGs (issue 11, item 10; issue 13): time, CPU time and peak RSS of parsing,
// validating, resolving and hashing a JSON and a YAML DAG of N tasks (what the API does with a
// body), each in a fresh process so peak RSS is that run's own; µs per task shows linearity.
//   node scripts/bench/validate-large.mjs [N...]       (default: 1000 10000 100000)
// Not a test: figures are printed, nothing is asserted. JSON is read by core's own linear reader;
// YAML by the `yaml` package, which dominates the YAML figures.
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
  const { loadValidatedResources, parseResources, resolveDag, specHash } = await import('../../packages/core/dist/index.js');
  const { NODE_SHA256 } = await import('../../packages/store/dist/index.js'); // what the API hashes with
  const { stringify } = await import('yaml');
  const broken = format.endsWith('-broken');
  const dag = largeDag(n, broken);
  const text = format.startsWith('json') ? JSON.stringify(dag) : stringify(dag);
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  // A valid DAG goes the API's way (resourceFromBody + the store's applyResource, less the
  // database): parse, then resolveDag (which validates), then hash. A broken one is loaded and
  // validated with every error located (loadValidatedResources), as the DAG folder and CLI do.
  const r = broken ? loadValidatedResources(text, { source: 'bench' }) : parseResources(text, 'bench');
  const t1 = performance.now();
  let t2 = t1;
  if (!broken) {
    if (r.errors.length > 0) throw new Error(`unexpected errors: ${JSON.stringify(r.errors.slice(0, 3))}`);
    const resolved = resolveDag(r.resources[0], () => undefined);
    if (resolved.errors.length > 0) throw new Error(`unexpected errors: ${JSON.stringify(resolved.errors.slice(0, 3))}`);
    if (resolved.definition === undefined) throw new Error('not resolved');
    t2 = performance.now();
    specHash(resolved.definition, NODE_SHA256);
  } else if (r.errors.length < n - 10) throw new Error(`expected ${n - 10} errors, got ${r.errors.length}`);
  const ms = performance.now() - t0;
  const phases = { loadMs: t1 - t0, resolveMs: t2 - t1, hashMs: ms - (t2 - t0) };
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  const peak = process.resourceUsage().maxRSS / 1024; // KiB → MiB
  process.stdout.write(JSON.stringify({ n, format, bytes: text.length, ms, cpuMs, peakMb: peak, baseMb: before / 1048576, ...phases }));
}

const main = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (main && process.argv[2] === '--child') {
  await child(Number(process.argv[3]), process.argv[4]);
} else if (main) {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  const { loadavg } = await import('node:os');
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (figures under load are upper bounds)`);
  for (const n of sizes.length > 0 ? sizes : [1000, 10000, 100000]) {
    for (const format of ['json', 'yaml', 'json-broken']) {
      const r = spawnSync(process.execPath, [self, '--child', String(n), format], { encoding: 'utf8' });
      if (r.status !== 0) {
        console.log(`${n} tasks ${format}: failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
        continue;
      }
      const o = JSON.parse(r.stdout);
      const us = (x) => ((x * 1000) / n).toFixed(1);
      const split = format.endsWith('-broken') ? `parse+validate ${o.loadMs.toFixed(0)}` : `parse ${o.loadMs.toFixed(0)} + validate+resolve ${o.resolveMs.toFixed(0)} + hash ${o.hashMs.toFixed(0)}`;
      console.log(
        `${String(n).padStart(6)} tasks, ${format.padEnd(11)} ${(o.bytes / 1048576).toFixed(2).padStart(5)} MiB: ${o.ms.toFixed(0).padStart(5)} ms (${split}), CPU ${o.cpuMs.toFixed(0)} ms; ` +
          `${us(o.ms)} µs/task (CPU ${us(o.cpuMs)} µs/task); peak RSS ${o.peakMb.toFixed(0)} MiB (before: ${o.baseMb.toFixed(0)} MiB)`,
      );
    }
  }
}
