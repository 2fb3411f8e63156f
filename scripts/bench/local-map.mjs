#!/usr/bin/env node
// A mapped task through the local runtime in the real all-in-one process: `list` writes a JSON
// array of N items, `each` maps `true` over them (withParam, maxParallel P), next to a run of N
// independent plain `true` tasks under the same limit (KONTROLER_MAX_PARALLEL_TASKS = P), in the
// same process. Figures: instances/s, the time from `list`'s end to the first instance running
// (the controller reads the output, expands N instances, saves them, spawns the first; an
// attempt's createdAt is its decision's `now`, taken before that work, so it is not used), the
// engine's own expansion (decideAll on the exit of `list`, in this process, best of 5) and both
// makespans.
//   node scripts/bench/local-map.mjs [items] [maxParallel]     (default 10000 8)
// Not a test: figures are printed, nothing is asserted.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli, dag, freePort, peakRssMb, runTimes } from './local.mjs';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'packages/cli/bin/kontroler.js');

/** The DAG: `list` writes [0, 1, ..., items-1] as its output, `each` maps `true` over it. */
function mapDag(name, items, maxParallel) {
  return [
    'apiVersion: kontroler.greedykomodo/v1alpha1',
    'kind: DAG',
    `metadata: {name: ${name}}`,
    'spec:',
    '  task:',
    '    - name: list',
    '      image: none',
    '      outputs: [{name: items}]',
    '      script: |',
    `        awk 'BEGIN { printf "["; for (i = 0; i < ${items}; i++) printf "%s%d", (i ? "," : ""), i; printf "]" }' > "$KONTROLER_OUTPUTS/items"`,
    '    - name: each',
    '      runAfter: [list]',
    '      image: none',
    '      withParam: "{{tasks.list.outputs.items}}"',
    `      maxParallel: ${maxParallel}`,
    '      command: ["true"]',
    '',
  ].join('\n');
}

/** The engine alone: how long decideAll takes to expand `items` instances on the exit of `list`. */
async function engineExpandMs(items, maxParallel) {
  const engine = await import(pathToFileURL(join(root, 'packages/engine/dist/index.js')).href);
  const task = (name, extra) => ({ name, runAfter: [], image: 'none', command: ['true'], args: [], retryLimit: 0, retryDelay: { delaySeconds: 10, factor: 2, maxDelaySeconds: 300 }, triggerRule: 'AllSucceeded', parameters: [], ...extra });
  const def = {
    namespace: 'default', name: 'm', timezone: 'UTC', concurrencyPolicy: 'Allow', catchUp: 1, suspended: false, parameters: [],
    tasks: [task('list', { outputs: ['items'] }), task('each', { runAfter: ['list'], withParam: '{{tasks.list.outputs.items}}', maxParallel })],
  };
  const opts = { context: { runId: '1', runName: 'm-1', params: {} } };
  const text = JSON.stringify(Array.from({ length: items }, (_, i) => i));
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const s = engine.decideAll(def, engine.initialRunState(def), [{ type: 'run:tick' }], 1, opts).state;
    const t0 = performance.now();
    const r = engine.decideAll(def, s, [{ type: 'attempt:exited', task: 'list', attempt: 1, at: 2, exitCode: 0, outputs: { items: text } }], 2, opts);
    best = Math.min(best, performance.now() - t0);
    if (r.state.tasks.get('each')?.instances !== items) throw new Error('the engine did not expand every item');
  }
  return best;
}

/** GET on the instance's API with its local CLI credential. */
async function api(instance, path) {
  const res = await fetch(`${instance.url}${path}`, { headers: { authorization: `Bearer ${instance.token}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Every instance of `each` (pages of 1,000): the first attempt created, the first started, the last finished. */
async function instanceTimes(instance, runId) {
  let created = Infinity, started = Infinity, finished = -Infinity, n = 0, cursor;
  do {
    const page = await api(instance, `/api/v1/runs/${runId}/tasks?mapOf=each&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const t of page.items) {
      n++;
      for (const a of t.attempts) {
        created = Math.min(created, Date.parse(a.createdAt));
        started = Math.min(started, Date.parse(a.startedAt ?? a.createdAt));
        if (a.finishedAt) finished = Math.max(finished, Date.parse(a.finishedAt));
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { n, created, started, finished };
}

export async function benchLocalMap({ items = 10_000, maxParallel = 8 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-bench-local-map-'));
  const dags = join(dir, 'dags');
  const dataDir = join(dir, 'data');
  mkdirSync(dags);
  writeFileSync(join(dags, 'map.yaml'), mapDag(`map${items}`, items, maxParallel));
  writeFileSync(join(dags, 'wide.yaml'), dag(`wide${items}`, Array.from({ length: items }, (_, i) => ({ name: `t${i}` }))));
  const engineMs = await engineExpandMs(items, maxParallel);
  const port = await freePort();
  const { DATABASE_URL: _d, ...base } = process.env;
  const env = { ...base, KONTROLER_DATA_DIR: dataDir, KONTROLER_MAX_PARALLEL_TASKS: String(maxParallel) };
  const up = spawn(process.execPath, [bin, 'up', '--dags', dags, '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  up.stdout.on('data', (d) => (out += d));
  up.stderr.on('data', (d) => (out += d));
  try {
    await new Promise((resolve, reject) => {
      const t = setInterval(() => {
        if (new RegExp(`DAG default/map${items}: loaded`).test(out) && new RegExp(`DAG default/wide${items}: loaded`).test(out) && /Kontroler is up/.test(out)) { clearInterval(t); resolve(); }
        if (up.exitCode !== null) { clearInterval(t); reject(new Error(out)); }
      }, 50);
    });
    const instance = JSON.parse(readFileSync(join(dataDir, 'instance.json'), 'utf8'));
    const mapId = Number(/started run (\d+)/.exec(cli(['run', `map${items}`, '--wait'], env))[1]);
    const mapRun = runTimes(mapId, env);
    const detail = await api(instance, `/api/v1/runs/${mapId}`);
    const list = detail.tasks.find((t) => t.name === 'list');
    const listEnd = Date.parse(list.attempts.at(-1).finishedAt);
    const inst = await instanceTimes(instance, mapId);
    const wideId = Number(/started run (\d+)/.exec(cli(['run', `wide${items}`, '--wait'], env))[1]);
    const wideRun = runTimes(wideId, env);
    return {
      items, maxParallel, engineExpandMs: engineMs,
      map: { status: mapRun.status, makespanMs: mapRun.ms, instances: inst.n, expandMs: inst.started - listEnd, decidedMs: inst.created - listEnd, instancesMs: inst.finished - inst.started, instancesPerSec: inst.n / ((inst.finished - inst.started) / 1000) },
      plain: { status: wideRun.status, makespanMs: wideRun.ms, tasksPerSec: items / (wideRun.ms / 1000) },
      peakRssMb: peakRssMb(up.pid),
    };
  } finally {
    up.kill('SIGINT');
    await new Promise((r) => up.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportLocalMap(r) {
  const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : String(n));
  return [
    `mapped task over ${r.items.toLocaleString('en')} items of \`true\` (maxParallel ${r.maxParallel}): ${r.map.status} in ${fmt(r.map.makespanMs / 1000)} s; ` +
      `${r.map.instances.toLocaleString('en')} instances in ${fmt(r.map.instancesMs / 1000)} s = ${fmt(r.map.instancesPerSec, 0)} instances/s`,
    `expansion: ${fmt(r.map.expandMs, 0)} ms from list's end to the first instance running (controller + engine + store + spawn; the expanding decision began ${fmt(r.map.decidedMs, 0)} ms after list's end); the engine alone ${fmt(r.engineExpandMs, 1)} ms`,
    `${r.items.toLocaleString('en')} independent plain \`true\` tasks (at most ${r.maxParallel} at once, same process): ${r.plain.status} in ${fmt(r.plain.makespanMs / 1000)} s = ${fmt(r.plain.tasksPerSec, 0)} tasks/s; ` +
      `map/plain makespan ${fmt(r.map.makespanMs / r.plain.makespanMs, 2)}×; peak RSS ${fmt(r.peakRssMb, 0)} MiB`,
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const l of reportLocalMap(await benchLocalMap({ items: Number(process.argv[2] ?? 10_000), maxParallel: Number(process.argv[3] ?? 8) }))) console.log(l);
}
