// The incremental engine against the whole-run reference (reference.ts): on random DAGs and random
// event orders, fed decision by decision, both give exactly the same states, commands and changed
// tasks. Seeded: a failure names its seed; ENGINE_SEED=<seed> replays it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAll, initialRunState, isActiveAttempt, taskMap, type Decision, type DecideOptions, type RunEvent, type RunState } from '@kontroler/engine';
import { TRIGGER_RULES, type DagDefinition } from '@kontroler/core';
import { dag, type TaskInput } from './helpers.js';
import { referenceDecideAll } from './reference.js';

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = ReturnType<typeof prng>;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
function pick<T>(r: Rand, xs: readonly T[]): T {
  const x = xs[Math.floor(r() * xs.length)];
  if (x === undefined) throw new Error('pick from an empty list');
  return x;
}

/** A random DAG of 1–60 tasks; `runAfter` may name tasks later in the definition (a random topological order). */
function randomDag(r: Rand): DagDefinition {
  const n = int(r, 1, 60);
  const topo = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = int(r, 0, i);
    [topo[i], topo[j]] = [topo[j] ?? 0, topo[i] ?? 0];
  }
  const rank = new Map(topo.map((task, k) => [task, k]));
  const tasks: TaskInput[] = [];
  for (let i = 0; i < n; i++) {
    const before = topo.slice(0, rank.get(i) ?? 0);
    const deps = new Set<number>();
    const want = r() < 0.2 ? 0 : int(r, 1, 3);
    for (let k = 0; k < want && before.length > 0; k++) deps.add(pick(r, before));
    tasks.push({
      name: `t${i}`,
      runAfter: [...deps].map((d) => `t${d}`),
      triggerRule: pick(r, TRIGGER_RULES),
      retryLimit: int(r, 0, 3),
      retryDelay: { delaySeconds: pick(r, [0, 0, 1, 5]), factor: pick(r, [1, 2, 3]), maxDelaySeconds: pick(r, [1, 10, 30]) },
      ...(r() < 0.3 ? { retryCodes: [1, 2].filter(() => r() < 0.7) } : {}),
      ...(r() < 0.3 ? { timeoutSeconds: int(r, 0, 20) } : {}),
    });
  }
  return dag(tasks);
}

/** The state as plain data (tasks in definition order), for deep comparison. */
function plain(def: DagDefinition, s: RunState): unknown {
  const { tasks, ...rest } = s;
  return { ...rest, tasks: def.tasks.map((t) => tasks.get(t.name)), size: tasks.size };
}

/** A random event about the run as it stands (`history`: events delivered so far, for duplicates). */
function randomEvent(r: Rand, def: DagDefinition, s: RunState, now: number, history: RunEvent[]): RunEvent {
  const active = [...s.tasks.values()].filter((t) => t.status === 'running');
  const roll = r();
  if (roll < 0.08 && history.length > 0) return pick(r, history); // duplicate delivery
  if (roll < 0.12) {
    // stale: a wrong attempt number, or a task the DAG does not have
    const name = r() < 0.5 ? 'nope' : pick(r, def.tasks).name;
    return r() < 0.5 ? { type: 'attempt:exited', task: name, attempt: int(r, 0, 5), at: now, exitCode: 0 } : { type: 'attempt:started', task: name, attempt: int(r, 0, 5), at: now };
  }
  if (roll < 0.15) return { type: 'run:cancel' };
  // A person's task actions (ignored when the task is in no state for them).
  if (roll < 0.165) return { type: 'task:retry', task: pick(r, def.tasks).name, downstream: r() < 0.5 };
  if (roll < 0.18) return { type: 'task:mark', task: pick(r, def.tasks).name, status: r() < 0.5 ? 'succeeded' : 'failed', by: 'p' };
  if (roll < 0.2 || active.length === 0) return { type: 'run:retry' };
  const t = pick(r, active);
  const a = t.attempts[t.attempts.length - 1];
  if (!a || !isActiveAttempt(a.status)) return { type: 'run:tick' };
  if (a.status === 'starting' && r() < 0.4) return { type: 'attempt:started', task: t.name, attempt: a.attempt, at: now, ...(r() < 0.5 ? { handle: `h${a.attempt}` } : {}) };
  const how = r();
  if (how < 0.1) return { type: 'attempt:exited', task: t.name, attempt: a.attempt, at: now, reason: pick(r, ['Killed', 'Lost', 'NotStarted']) };
  if (how < 0.15) return { type: 'attempt:exited', task: t.name, attempt: a.attempt, at: now, reason: 'SecretNotFound', noRetry: true };
  return { type: 'attempt:exited', task: t.name, attempt: a.attempt, at: now, exitCode: pick(r, [0, 0, 0, 1, 2, 3, 137]) };
}

function sameDecision(def: DagDefinition, got: Decision, want: Decision, where: string): void {
  assert.deepEqual(plain(def, got.state), plain(def, want.state), `${where}: states differ`);
  assert.deepEqual(got.commands, want.commands, `${where}: commands differ`);
  assert.deepEqual([...got.changed].sort(), [...want.changed].sort(), `${where}: changed tasks differ`);
  assert.equal(new Set(got.changed).size, got.changed.length, `${where}: a changed task listed twice`);
}

const RUNS = 300;
const STEPS = 200;

test('the incremental engine gives exactly the whole-run reference’s states and commands, decision by decision', () => {
  const base = Number(process.env['ENGINE_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  const runs = process.env['ENGINE_SEED'] ? 1 : RUNS;
  for (let run = 0; run < runs; run++) {
    const seed = base + run;
    const r = prng(seed);
    const def = randomDag(r);
    const opts: DecideOptions = r() < 0.4 ? { maxRunning: int(r, 1, 5) } : {};
    let now = 1_000;
    let mine: RunState = initialRunState(def);
    let ref: RunState = mine;
    const past: [RunState, RunState][] = [];
    const history: RunEvent[] = [];
    for (let step = 0; step < STEPS; step++) {
      const where = `seed ${seed} (replay: ENGINE_SEED=${seed}), step ${step}`;
      const roll = r();
      if (roll < 0.03 && past.length > 0) {
        [mine, ref] = pick(r, past); // an older state passed in again
      } else if (roll < 0.05) {
        mine = { ...mine, tasks: taskMap([...mine.tasks.values()]) }; // a state loaded from the store
      }
      now += r() < 0.05 ? -int(r, 1, 5_000) : r() < 0.5 ? 0 : int(r, 1, 30_000);
      const events: RunEvent[] = [];
      const count = r() < 0.7 ? 1 : int(r, 0, 6);
      for (let k = 0; k < count; k++) events.push(r() < 0.15 ? { type: 'run:tick' } : randomEvent(r, def, mine, now, history));
      const got = decideAll(def, mine, events, now, opts);
      const want = referenceDecideAll(def, ref, events, now, opts);
      sameDecision(def, got, want, `${where}, events ${JSON.stringify(events)} at ${now}`);
      if (got.state !== mine && r() < 0.2) past.push([mine, ref]);
      mine = got.state;
      ref = want.state;
      history.push(...events);
    }
  }
});

test('a state passed in again after it moved on is decided as if new', () => {
  const def = dag([{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'c', runAfter: ['a'] }]);
  const s0 = decideAll(def, initialRunState(def), [{ type: 'run:tick' }], 0).state;
  const ok = decideAll(def, s0, [{ type: 'attempt:exited', task: 'a', attempt: 1, at: 1, exitCode: 0 }], 1);
  const bad = decideAll(def, s0, [{ type: 'attempt:exited', task: 'a', attempt: 1, at: 1, exitCode: 1 }], 1);
  assert.deepEqual(ok.state.tasks.get('b')?.status, 'running');
  assert.deepEqual(bad.state.tasks.get('b')?.status, 'skipped');
  assert.equal(bad.state.status, 'failed');
  // Each branch goes on from its own state.
  const okNext = decideAll(def, ok.state, [{ type: 'attempt:exited', task: 'b', attempt: 1, at: 2, exitCode: 0 }], 2);
  assert.equal(okNext.state.tasks.get('c')?.status, 'running');
  assert.equal(okNext.state.status, 'running');
});

test('tasks appended to the definition join a running run', () => {
  const tasks: TaskInput[] = [{ name: 'a' }, { name: 'z', runAfter: ['late'] }];
  const def = dag(tasks);
  let s = decideAll(def, initialRunState(def), [{ type: 'run:tick' }], 0).state;
  assert.equal(s.tasks.get('z')?.status, 'pending', 'an upstream not defined yet counts as pending');
  s = decideAll(def, s, [{ type: 'attempt:exited', task: 'a', attempt: 1, at: 1, exitCode: 0 }], 1).state;
  assert.equal(s.status, 'running');
  def.tasks.push(dag([{ name: 'late', runAfter: ['a'] }]).tasks[0]!);
  // The run's index grows with the definition (the state does not hold the new task yet: it waits).
  const grown = decideAll(def, s, [{ type: 'run:tick' }], 2);
  sameDecision(def, grown, referenceDecideAll(def, s, [{ type: 'run:tick' }], 2), 'the definition grew');
  s = grown.state;
  const withLate: RunState = { ...s, tasks: taskMap([...s.tasks.values(), { name: 'late', status: 'pending', attempts: [] }]) };
  let d = decideAll(def, withLate, [{ type: 'run:tick' }], 2);
  const want = referenceDecideAll(def, withLate, [{ type: 'run:tick' }], 2);
  sameDecision(def, d, want, 'after the append');
  assert.equal(d.state.tasks.get('late')?.status, 'running');
  d = decideAll(def, d.state, [{ type: 'attempt:exited', task: 'late', attempt: 1, at: 3, exitCode: 0 }], 3);
  assert.equal(d.state.tasks.get('z')?.status, 'running', 'the task after the appended one starts once it succeeded');
});
