// Engine-only scaling: µs of engine CPU per task for a chain, a wide DAG (one root → n−1) and a
// binary tree, fed (a) one event per decision and (b) batched (every exit that is due in one
// decideAll), every attempt exiting (code 0) as soon as it is started. Then the heap the run state
// of a 100,000-task run takes (with the engine's index), per task.
//   node --expose-gc scripts/bench/engine-scaling.mjs [--sizes 1000,10000,100000] [--shapes chain,wide,tree]
//        [--modes single,batch] [--engine path/to/engine/dist/index.js] [--no-memory] [--json]
// Targets (issue 13): per-task cost at 100,000 within 1.5× of the cost at 1,000, and ≤ 20 µs per task.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('../..', import.meta.url).pathname;

export const SHAPES = ['chain', 'wide', 'tree'];
export const MODES = ['single', 'batch'];

function task(name, runAfter) {
  return { name, runAfter, image: 'x', command: ['true'], args: [], retryLimit: 0, retryDelay: { delaySeconds: 0, factor: 2, maxDelaySeconds: 300 }, triggerRule: 'AllSucceeded', parameters: [] };
}

/** A resolved definition of `n` tasks of the given shape (as `resolve` would build it). */
export function shapeDef(shape, n) {
  const tasks = [];
  for (let i = 0; i < n; i++) {
    const ups = i === 0 ? [] : shape === 'chain' ? [i - 1] : shape === 'wide' ? [0] : [(i - 1) >> 1];
    tasks.push(task(`t${i}`, ups.map((u) => `t${u}`)));
  }
  return { namespace: 'default', name: `${shape}-${n}`, timezone: 'UTC', concurrencyPolicy: 'Allow', catchUp: 1, suspended: false, parameters: [], tasks };
}

/** Runs the whole DAG; returns engine CPU µs (the harness's own work is a queue push per start). */
export function runOnce(engine, def, mode) {
  let now = 1_000;
  let state = engine.initialRunState(def);
  let pending = [];
  const cpu0 = process.cpuUsage();
  let decisions = 0;
  const take = (cmds) => {
    for (const c of cmds) if (c.type === 'attempt:start') pending.push({ type: 'attempt:exited', task: c.task, attempt: c.attempt, at: now, exitCode: 0 });
  };
  let d = engine.decideAll(def, state, [{ type: 'run:tick' }], now);
  decisions++;
  state = d.state;
  take(d.commands);
  if (mode === 'single') {
    for (let i = 0; i < pending.length; i++) {
      now++;
      d = engine.decideAll(def, state, [pending[i]], now);
      decisions++;
      state = d.state;
      take(d.commands);
    }
  } else {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      now++;
      d = engine.decideAll(def, state, batch, now);
      decisions++;
      state = d.state;
      take(d.commands);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  if (state.status !== 'succeeded') throw new Error(`${def.name} ${mode}: run ended ${state.status}`);
  return { cpuUs: cpu.user + cpu.system, decisions };
}

const gc = globalThis.gc;
function heapUsed() {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

/** Heap of a run state (and the engine's index of it), per task, for a wide run of `n` tasks. */
export function measureMemory(engine, n) {
  if (!gc) return undefined;
  const def = shapeDef('wide', n);
  const before = heapUsed();
  let state = engine.decideAll(def, engine.initialRunState(def), [{ type: 'run:tick' }], 1).state;
  state = engine.decideAll(def, state, [{ type: 'attempt:exited', task: 't0', attempt: 1, at: 2, exitCode: 0 }], 2).state;
  const running = heapUsed() - before;
  // The same state without the engine's index (a copy of the state object has none; the index of
  // the original goes with it): the difference is the index.
  let bare = { ...state };
  state = undefined;
  const indexBytes = running - (heapUsed() - before);
  state = bare;
  bare = undefined;
  const exits = [];
  for (let i = 1; i < n; i++) exits.push({ type: 'attempt:exited', task: `t${i}`, attempt: 1, at: 3, exitCode: 0 });
  state = engine.decideAll(def, state, exits, 3).state;
  exits.length = 0;
  const done = heapUsed() - before;
  if (state.status !== 'succeeded') throw new Error('memory run did not succeed');
  return { tasks: n, runningBytesPerTask: running / n, indexBytesPerTask: indexBytes / n, succeededBytesPerTask: done / n };
}

export async function benchEngineScaling({ sizes = [1_000, 10_000, 100_000], shapes = SHAPES, modes = MODES, enginePath = join(root, 'packages/engine/dist/index.js'), memory = true } = {}) {
  const engine = await import(pathToFileURL(enginePath).href);
  // Warm-up (JIT) on a small run of every shape and mode.
  for (const s of shapes) for (const m of modes) runOnce(engine, shapeDef(s, 500), m);
  const rows = [];
  for (const shape of shapes) {
    for (const mode of modes) {
      const row = { shape, mode, perTaskUs: {}, decisions: {} };
      for (const n of sizes) {
        // The best of a few runs (at least 20,000 tasks in all): the machine is shared, and the
        // least disturbed run is the engine's own cost.
        let best = Number.POSITIVE_INFINITY;
        for (let rep = 0; rep < Math.max(2, Math.ceil(20_000 / n)); rep++) {
          const r = runOnce(engine, shapeDef(shape, n), mode);
          best = Math.min(best, r.cpuUs / n);
          row.decisions[n] = r.decisions;
        }
        row.perTaskUs[n] = best;
      }
      rows.push(row);
    }
  }
  const mem = memory ? measureMemory(engine, Math.max(...sizes)) : undefined;
  return { sizes, rows, memory: mem };
}

function arg(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = (arg('--sizes') ?? '1000,10000,100000').split(',').map(Number);
  const r = await benchEngineScaling({
    sizes,
    shapes: (arg('--shapes') ?? SHAPES.join(',')).split(','),
    modes: (arg('--modes') ?? MODES.join(',')).split(','),
    ...(arg('--engine') ? { enginePath: arg('--engine') } : {}),
    memory: !process.argv.includes('--no-memory'),
  });
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(r, null, 2));
  } else {
    const first = sizes[0];
    const last = sizes[sizes.length - 1];
    console.log(`| DAG | feed | ${sizes.map((n) => `${n.toLocaleString('en')} tasks`).join(' | ')} | ratio ${last.toLocaleString('en')}/${first.toLocaleString('en')} |`);
    console.log(`|---|---|${sizes.map(() => '---|').join('')}---|`);
    for (const row of r.rows) {
      const cells = sizes.map((n) => `${row.perTaskUs[n].toFixed(2)} µs`);
      console.log(`| ${row.shape} | ${row.mode === 'single' ? 'one event per decision' : 'batched'} | ${cells.join(' | ')} | ${(row.perTaskUs[last] / row.perTaskUs[first]).toFixed(2)}× |`);
    }
    console.log('(µs of engine CPU per task, best of ≥ 2 runs; targets: ratio ≤ 1.5×, ≤ 20 µs per task)');
    if (r.memory) {
      console.log(`heap of a ${r.memory.tasks.toLocaleString('en')}-task run state with the engine's index: ${r.memory.runningBytesPerTask.toFixed(0)} B per task with every task running (of which the engine's index ${r.memory.indexBytesPerTask.toFixed(0)} B), ${r.memory.succeededBytesPerTask.toFixed(0)} B per task once all succeeded`);
    } else if (!process.argv.includes('--no-memory')) {
      console.log('(memory not measured: run with node --expose-gc)');
    }
  }
}
