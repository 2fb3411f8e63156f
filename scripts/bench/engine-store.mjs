// Engine + store throughput with a no-op runtime (every attempt ends at once with exit 0):
// task transitions per second through decide(), PostgreSQL saves and the controller loop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const store = await import(join(root, 'packages/store/dist/index.js'));
const { startEmbeddedPostgres } = await import(join(root, 'packages/cli/dist/embedded/index.js'));
const { Controller, silentLog, envSecretResolver } = await import(join(root, 'packages/controller/dist/index.js'));

export class NoopRuntime {
  name = 'noop';
  listeners = new Set();
  async start(spec) {
    queueMicrotask(() => {
      const at = Date.now();
      for (const l of this.listeners) l({ type: 'started', key: spec, handle: 'noop', at });
      for (const l of this.listeners) l({ type: 'exited', key: spec, at, exitCode: 0, reason: 'Completed' });
    });
  }
  async adopt() { return { state: 'unknown' }; }
  async kill() {}
  async release() {}
  async releaseRun() {}
  subscribe(l) { this.listeners.add(l); return () => this.listeners.delete(l); }
  async close() {}
}

export async function benchEngineStore({ runs = 20, width = 50, depth = 5 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-bench-es-'));
  const pg = await startEmbeddedPostgres({ dataDir: dir });
  const pool = store.createPool(pg.url, 20);
  try {
    await store.migrate(pool);
    const task = [];
    for (let d = 0; d < depth; d++) for (let w = 0; w < width; w++) task.push({ name: `d${d}w${w}`, image: 'x', command: ['true'], ...(d ? { runAfter: [`d${d - 1}w${w}`] } : {}) });
    await store.applyResource(pool, { apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'grid' }, spec: { task } }, { source: 'bench' });
    const c = new Controller({ pool, databaseUrl: pg.url, runtime: new NoopRuntime(), id: 'bench', log: silentLog, secrets: envSecretResolver({}) });
    await c.start();
    let left = runs;
    const done = new Promise((r) => c.onRunEnded(() => { if (--left === 0) r(); }));
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await store.startRun(pool, { namespace: 'default', dagName: 'grid', trigger: 'manual' });
    await done;
    const ms = performance.now() - t0;
    await c.stop();
    // Each task: pending -> running -> succeeded (2 task transitions) and its attempt
    // starting -> running -> succeeded (2 attempt transitions).
    const tasks = runs * width * depth;
    return { runs, tasks, seconds: ms / 1000, taskTransitionsPerSec: (tasks * 2) / (ms / 1000), allTransitionsPerSec: (tasks * 4) / (ms / 1000) };
  } finally {
    await pool.end();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await benchEngineStore(), null, 2));
