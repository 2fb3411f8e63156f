// Dynamic fan-out: a task with withItems / withParam runs one instance per item; downstream tasks
// wait for them all and see their outputs as JSON arrays in item order.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceName, runIndexBuilds, type Command, type DecideOptions, type RunEvent } from '@kontroler/engine';
import type { DagDefinition } from '@kontroler/core';
import { dag, RunDriver } from './helpers.js';

const ctx: DecideOptions = { context: { runId: '9', runName: 'r-9', params: {} } };
const starts = (cs: readonly Command[]) => cs.flatMap((c) => (c.type === 'attempt:start' ? [c.task] : []));
const kills = (cs: readonly Command[]) => cs.flatMap((c) => (c.type === 'attempt:kill' ? [c.task] : []));
const exited = (task: string, exitCode = 0, outputs?: Record<string, string>, attempt = 1): RunEvent => ({
  type: 'attempt:exited', task, attempt, at: 1, exitCode, ...(outputs ? { outputs } : {}),
});

class Run extends RunDriver {
  constructor(def: DagDefinition, opts: DecideOptions = ctx, fresh = false) {
    super(def, opts, fresh);
  }
  resolvedArgs(name: string) {
    return this.task(name)?.attempts.at(-1)?.resolved?.args;
  }
}

describe('withItems', () => {
  const def = dag([
    { name: 'list' },
    { name: 'process', runAfter: ['list'], withItems: ['a', 2, { k: 'v' }], args: ['{{item}}'], outputs: ['o'] },
    { name: 'reduce', runAfter: ['process'], args: ['{{tasks.process.outputs.o}}'] },
  ]);

  test('expands into one instance per item once its upstream ended, each with {{item}}', () => {
    const r = new Run(def);
    assert.deepEqual(starts(r.commands), ['list']);
    assert.equal(r.task('process[0]'), undefined, 'no instance before the upstream task ended');
    r.step([exited('list')]);
    assert.deepEqual(starts(r.commands), ['process[0]', 'process[1]', 'process[2]']);
    assert.equal(r.task('process')?.status, 'running');
    assert.equal(r.task('process')?.instances, 3);
    assert.equal(r.task('process')?.attempts.length, 0, 'the mapped task runs no attempt itself');
    assert.deepEqual([0, 1, 2].map((k) => r.resolvedArgs(instanceName('process', k))), [['a'], ['2'], ['{"k":"v"}']]);
    assert.deepEqual([0, 1, 2].map((k) => r.task(`process[${k}]`)?.mapOf), ['process', 'process', 'process']);
    assert.deepEqual(r.task('process[2]')?.item, { k: 'v' });
  });

  test('downstream waits for every instance and reads their outputs in item order, whatever order they end in', () => {
    const r = new Run(def);
    r.step([exited('list')]);
    r.step([exited('process[2]', 0, { o: 'z' })]);
    r.step([exited('process[0]', 0, { o: 'x' })]);
    assert.deepEqual(starts(r.commands), [], 'reduce waits for the last instance');
    assert.equal(r.task('process')?.status, 'running');
    r.step([exited('process[1]', 0, { o: 'y' })]);
    assert.equal(r.task('process')?.status, 'succeeded');
    assert.deepEqual(starts(r.commands), ['reduce']);
    assert.deepEqual(r.resolvedArgs('reduce'), ['["x","y","z"]']);
    r.step([exited('reduce')]);
    assert.equal(r.state.status, 'succeeded');
  });

  test('a failed instance fails the mapped task and skips what depends on it; a run retry reruns only that instance', () => {
    const r = new Run(def);
    r.step([exited('list')]);
    r.step([exited('process[0]', 0, { o: 'x' }), exited('process[1]', 3), exited('process[2]', 0, { o: 'z' })]);
    assert.equal(r.task('process[1]')?.status, 'failed');
    assert.equal(r.task('process')?.status, 'failed');
    assert.equal(r.task('process')?.reason, '1 of 3 instances failed');
    assert.equal(r.task('reduce')?.status, 'skipped');
    assert.equal(r.state.status, 'failed');
    r.step([{ type: 'run:retry' }]);
    assert.deepEqual(starts(r.commands), ['process[1]']);
    assert.equal(r.task('process')?.status, 'running');
    assert.equal(r.task('process[0]')?.attempts.length, 1, 'a succeeded instance is not run again');
    r.step([exited('process[1]', 0, { o: 'y' }, 2)]);
    assert.deepEqual(starts(r.commands), ['reduce']);
    assert.deepEqual(r.resolvedArgs('reduce'), ['["x","y","z"]']);
  });

  test('an instance retries by the task’s retry policy', () => {
    const retried = dag([{ name: 'm', withItems: ['a', 'b'], retryLimit: 1, retryDelay: { delaySeconds: 0, factor: 2, maxDelaySeconds: 0 } }]);
    const r = new Run(retried);
    r.step([exited('m[1]', 1)]);
    assert.deepEqual(starts(r.commands), ['m[1]']);
    assert.equal(r.task('m[1]')?.attempts.length, 2);
    r.step([exited('m[0]'), exited('m[1]', 0, undefined, 2)]);
    assert.equal(r.task('m')?.status, 'succeeded');
    assert.equal(r.state.status, 'succeeded');
  });

  test('cancel kills running instances, cancels pending ones, and the mapped task ends canceled once they did', () => {
    const limited = dag([{ name: 'm', withItems: [1, 2, 3, 4], maxParallel: 2 }]);
    const r = new Run(limited);
    assert.deepEqual(starts(r.commands), ['m[0]', 'm[1]']);
    r.step([{ type: 'run:cancel' }]);
    assert.deepEqual(kills(r.commands), ['m[0]', 'm[1]']);
    assert.equal(r.task('m[2]')?.status, 'canceled');
    assert.equal(r.task('m')?.status, 'running', 'running until its killed instances end');
    r.step([exited('m[0]', 143), exited('m[1]', 143)]);
    assert.equal(r.task('m')?.status, 'canceled');
    assert.equal(r.state.status, 'canceled');
  });

  test('a `when` that uses {{item}} is evaluated per instance; one that does not, once for the mapped task', () => {
    const perItem = dag([{ name: 'm', withItems: ['keep', 'drop', 'keep'], when: "'{{item}}' == 'keep'" }]);
    const r = new Run(perItem);
    assert.deepEqual(starts(r.commands), ['m[0]', 'm[2]']);
    assert.equal(r.task('m[1]')?.status, 'skipped');
    assert.equal(r.task('m[1]')?.reason, 'ConditionFalse');
    r.step([exited('m[0]'), exited('m[2]')]);
    assert.equal(r.task('m')?.status, 'succeeded', 'a skipped instance does not fail the mapped task');
    const whole = new Run(dag([{ name: 'm', withItems: ['a'], when: '1 == 2' }, { name: 'after', runAfter: ['m'], triggerRule: 'AllDone' }]));
    assert.equal(whole.task('m')?.status, 'skipped');
    assert.equal(whole.task('m')?.instances, undefined, 'a false condition expands nothing');
    assert.deepEqual(starts(whole.commands), ['after']);
  });
});

describe('withParam', () => {
  const def = (extra: object = {}) =>
    dag([
      { name: 'list', outputs: ['files'] },
      { name: 'p', runAfter: ['list'], withParam: '{{tasks.list.outputs.files}}', command: ['wc', '{{item.path}}'], outputs: ['n'], ...extra },
      { name: 'sum', runAfter: ['p'], args: ['{{tasks.p.outputs.n}}'] },
    ]);

  test('expands over the JSON array an upstream task wrote', () => {
    const r = new Run(def());
    r.step([exited('list', 0, { files: '[{"path":"/a"},{"path":"/b"}]' })]);
    assert.deepEqual(starts(r.commands), ['p[0]', 'p[1]']);
    assert.deepEqual(r.task('p[1]')?.attempts[0]?.resolved?.command, ['wc', '/b']);
  });

  test('an empty array succeeds with zero instances, and downstream reads []', () => {
    const r = new Run(def());
    r.step([exited('list', 0, { files: '[]' })]);
    assert.equal(r.task('p')?.status, 'succeeded');
    assert.equal(r.task('p')?.instances, 0);
    assert.deepEqual(starts(r.commands), ['sum']);
    assert.deepEqual(r.resolvedArgs('sum'), ['[]']);
  });

  test('a value that is not a JSON array fails the mapped task, saying what it got', () => {
    for (const [files, want] of [
      ['not json', /WithParamInvalid: withParam of task p is not JSON/],
      ['{"a":1}', /WithParamInvalid: withParam of task p must be a JSON array, got object/],
    ] as const) {
      const r = new Run(def());
      r.step([exited('list', 0, { files })]);
      assert.equal(r.task('p')?.status, 'failed');
      assert.match(r.task('p')?.reason ?? '', want);
      assert.equal(r.task('sum')?.status, 'skipped');
      assert.equal(r.state.status, 'failed');
    }
  });

  test('more than 10,000 items fail the mapped task, naming the limit', () => {
    const r = new Run(def());
    r.step([exited('list', 0, { files: JSON.stringify(Array.from({ length: 10_001 }, (_, i) => i)) })]);
    assert.match(r.task('p')?.reason ?? '', /TooManyItems: .* 10001 items; the limit is 10000/);
  });

  test('10,000 instances expand and finish, a decision per instance staying cheap (the run index is kept, never rebuilt)', () => {
    const r = new Run(def({ maxParallel: 50 }));
    const builds = runIndexBuilds();
    const items = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => ({ path: `/f${i}` })));
    r.step([exited('list', 0, { files: items })]);
    assert.equal(starts(r.commands).length, 50);
    let running = starts(r.commands);
    let done = 0;
    while (running.length > 0) {
      const t = running.shift() as string;
      const c = r.step([exited(t, 0, { n: String(done) })]);
      done++;
      running.push(...starts(c).filter((x) => x !== 'sum'));
      if (starts(c).includes('sum')) running = running.filter((x) => x !== 'sum');
    }
    assert.equal(done, 10_000);
    assert.equal(runIndexBuilds(), builds, 'each decision took the index the previous one left');
    assert.equal(r.task('p')?.status, 'succeeded');
    assert.equal(r.task('sum')?.status, 'running');
    const sum = JSON.parse(r.resolvedArgs('sum')?.[0] ?? 'null') as string[];
    assert.equal(sum.length, 10_000);
  });
});

describe('maxParallel', () => {
  test('never more instances running than maxParallel, and they start in item order', () => {
    const r = new Run(dag([{ name: 'm', withItems: [0, 1, 2, 3, 4], maxParallel: 2 }]));
    const started: string[] = [...starts(r.commands)];
    assert.deepEqual(started, ['m[0]', 'm[1]']);
    for (const t of ['m[1]', 'm[0]', 'm[2]', 'm[3]', 'm[4]']) {
      started.push(...starts(r.step([exited(t)])));
      const running = [...r.state.tasks.values()].filter((x) => x.mapOf === 'm' && x.status === 'running');
      assert.ok(running.length <= 2, `${running.length} running`);
    }
    assert.deepEqual(started, ['m[0]', 'm[1]', 'm[2]', 'm[3]', 'm[4]']);
    assert.equal(r.state.status, 'succeeded');
  });

  test('a running mapped task takes no slot of the run’s parallelism limit', () => {
    const r = new Run(dag([{ name: 'm', withItems: [0, 1, 2] }, { name: 'other' }]), { ...ctx, maxRunning: 2 });
    assert.deepEqual(starts(r.commands), ['m[0]', 'm[1]']);
  });
});

/** Small random generator (deterministic). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('properties', () => {
  test('on random maps: instances start only after their upstream ended, within maxParallel; reduced outputs follow item order; the run ends; a rebuilt index decides the same', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rand = rng(seed);
      const n = Math.floor(rand() * 8);
      const max = rand() < 0.5 ? 1 + Math.floor(rand() * 3) : undefined;
      const retry = rand() < 0.5 ? 1 : 0;
      const def = dag([
        { name: 'up', outputs: ['items'] },
        { name: 'm', runAfter: ['up'], withParam: '{{tasks.up.outputs.items}}', outputs: ['o'], retryLimit: retry, ...(max ? { maxParallel: max } : {}) },
        { name: 'down', runAfter: ['m'], triggerRule: 'AllDone', args: ['{{tasks.m.outputs.o}}'] },
      ]);
      const a = new Run(def);
      const b = new Run(def, ctx, true);
      const running = new Set<string>(starts(a.commands));
      const upEnded = () => a.task('up')?.status === 'succeeded';
      for (let step = 0; step < 200 && a.state.status === 'running'; step++) {
        const list = [...running];
        const pick = list[Math.floor(rand() * list.length)];
        if (pick === undefined) break;
        running.delete(pick);
        const att = a.task(pick)?.attempts.length ?? 1;
        const ok = rand() < 0.8;
        const ev = pick === 'up' ? exited('up', 0, { items: JSON.stringify(Array.from({ length: n }, (_, i) => i)) }) : exited(pick, ok ? 0 : 1, ok ? { o: `v${pick}` } : undefined, att);
        const ca = a.step([ev], step + 2);
        const cb = b.step([ev], step + 2);
        assert.deepEqual(cb, ca, `seed ${seed} step ${step}: a rebuilt index decides the same`);
        assert.deepEqual([...b.state.tasks.values()], [...a.state.tasks.values()], `seed ${seed} step ${step}: same states`);
        for (const s of starts(ca)) {
          if (s.startsWith('m[')) assert.ok(upEnded(), `seed ${seed}: ${s} started before its upstream ended`);
          running.add(s);
        }
        const inst = [...a.state.tasks.values()].filter((t) => t.mapOf === 'm' && t.status === 'running').length;
        if (max) assert.ok(inst <= max, `seed ${seed}: ${inst} instances running, maxParallel ${max}`);
      }
      assert.notEqual(a.state.status, 'running', `seed ${seed}: the run ended`);
      const down = a.task('down');
      if (a.task('m')?.status === 'succeeded') {
        const want = Array.from({ length: n }, (_, i) => `vm[${i}]`);
        assert.deepEqual(JSON.parse(down?.attempts[0]?.resolved?.args?.[0] ?? 'null'), want, `seed ${seed}: reduced in item order`);
      }
    }
  });
});
