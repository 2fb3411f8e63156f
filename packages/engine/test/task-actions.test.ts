// Task actions a person takes from the API: retry one task (with or without the tasks after it)
// and mark one succeeded or failed; refused (ignored) when the task is in no state for it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, downstreamNames, initialRunState, markRefusal, retryRefusal, type Command, type RunEvent, type RunState } from '@kontroler/engine';
import type { DagDefinition } from '@kontroler/core';
import { dag, RunDriver } from './helpers.js';

const step = (def: DagDefinition, s: RunState, ev: RunEvent, now = 0) => decide(def, s, ev, now);
const starts = (cs: readonly Command[]) => cs.flatMap((c) => (c.type === 'attempt:start' ? [`${c.task}#${c.attempt}`] : []));
const exited = (task: string, attempt: number, exitCode: number): RunEvent => ({ type: 'attempt:exited', task, attempt, at: 1, exitCode });
const statuses = (s: RunState) => Object.fromEntries([...s.tasks.values()].map((t) => [t.name, t.status]));

// a → b → c, and x alone.
const def = dag([{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'c', runAfter: ['b'] }, { name: 'x' }]);

function succeededRun() {
  let r = step(def, initialRunState(def), { type: 'run:tick' });
  r = step(def, r.state, exited('a', 1, 0));
  r = step(def, r.state, exited('x', 1, 0));
  r = step(def, r.state, exited('b', 1, 0));
  r = step(def, r.state, exited('c', 1, 0), 3);
  assert.equal(r.state.status, 'succeeded');
  return r;
}

describe('task actions', () => {
  test('downstream names follow runAfter transitively, each once', () => {
    const d = dag([{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'c', runAfter: ['a', 'b'] }, { name: 'd', runAfter: ['c'] }, { name: 'e' }]);
    const spec = (n: string) => d.tasks.find((t) => t.name === n);
    assert.deepEqual(downstreamNames('a', d.tasks.map((t) => t.name), spec).sort(), ['b', 'c', 'd']);
    assert.deepEqual(downstreamNames('c', d.tasks.map((t) => t.name), spec), ['d']);
    assert.deepEqual(downstreamNames('e', d.tasks.map((t) => t.name), spec), []);
  });

  test('retry one task of a succeeded run: only it runs again, then the run succeeds again', () => {
    let r = succeededRun();
    r = step(def, r.state, { type: 'task:retry', task: 'b', downstream: false }, 4);
    assert.equal(r.state.status, 'running');
    assert.equal(r.state.finishedAt, undefined);
    assert.deepEqual(starts(r.commands), ['b#2']);
    r = step(def, r.state, exited('b', 2, 0), 5);
    assert.deepEqual(starts(r.commands), [], 'c keeps its result');
    assert.equal(r.state.status, 'succeeded');
    assert.equal(r.state.finishedAt, 5);
  });

  test('retry with downstream: the tasks after it run again, in order; others keep their result', () => {
    let r = succeededRun();
    r = step(def, r.state, { type: 'task:retry', task: 'a', downstream: true }, 4);
    assert.deepEqual(starts(r.commands), ['a#2']);
    assert.deepEqual(statuses(r.state), { a: 'running', b: 'pending', c: 'pending', x: 'succeeded' });
    r = step(def, r.state, exited('a', 2, 0));
    assert.deepEqual(starts(r.commands), ['b#2']);
    r = step(def, r.state, exited('b', 2, 0));
    assert.deepEqual(starts(r.commands), ['c#2']);
  });

  test('a task that has not finished is not retried; a refusal says why', () => {
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    const before = r.state;
    r = step(def, r.state, { type: 'task:retry', task: 'a', downstream: true });
    assert.equal(r.state, before, 'nothing changed');
    assert.match(retryRefusal(before.tasks.get('a')!) ?? '', /task a is running: only a finished task/);
    assert.match(retryRefusal(before.tasks.get('b')!) ?? '', /task b is pending/);
    assert.equal(step(def, before, { type: 'task:retry', task: 'nope', downstream: false }).state, before);
  });

  test('mark a failed task succeeded: the tasks after it run (in a running run) and the mark names who', () => {
    const d = dag([{ name: 'a' }, { name: 'b', runAfter: ['a'] }, { name: 'slow' }]);
    let r = step(d, initialRunState(d), { type: 'run:tick' });
    r = step(d, r.state, exited('a', 1, 2));
    assert.equal(r.state.tasks.get('b')?.status, 'skipped');
    // b is skipped for good: marking a does not bring it back; a mark on a pending task does start its downstream.
    const d2 = dag([{ name: 'a' }, { name: 'gate', runAfter: ['a'] }, { name: 'b', runAfter: ['gate'] }]);
    let r2 = step(d2, initialRunState(d2), { type: 'run:tick' });
    r2 = step(d2, r2.state, { type: 'task:mark', task: 'gate', status: 'succeeded', by: 'ann' });
    assert.equal(r2.state.tasks.get('gate')?.status, 'succeeded');
    assert.equal(r2.state.tasks.get('gate')?.reason, 'MarkedSucceeded: by ann');
    assert.deepEqual(starts(r2.commands), ['b#1'], 'gate counts as succeeded: b, after it only, starts at once');
    r2 = step(d2, r2.state, exited('a', 1, 0));
    assert.deepEqual(starts(r2.commands), [], 'gate never runs');
    r = step(d, r.state, { type: 'task:mark', task: 'a', status: 'succeeded', by: 'ann' });
    assert.equal(r.state.tasks.get('a')?.status, 'succeeded');
    r = step(d, r.state, exited('slow', 1, 0), 9);
    assert.equal(r.state.status, 'succeeded', 'no task failed any more');
  });

  test('mark a task of a finished run: the run outcome is evaluated again', () => {
    let r = succeededRun();
    r = step(def, r.state, { type: 'task:mark', task: 'x', status: 'failed', by: 'bob' }, 7);
    assert.equal(r.state.status, 'failed');
    assert.equal(r.state.finishedAt, 7);
    assert.equal(r.state.tasks.get('x')?.reason, 'MarkedFailed: by bob');
    assert.ok(r.commands.some((c) => c.type === 'notify:run' && c.status === 'failed'));
    assert.deepEqual(starts(r.commands), []);
    r = step(def, r.state, { type: 'task:mark', task: 'x', status: 'succeeded', by: 'bob' }, 8);
    assert.equal(r.state.status, 'succeeded');
  });

  test('a running task is not marked; neither is a task already in that state', () => {
    const r = step(def, initialRunState(def), { type: 'run:tick' });
    assert.equal(step(def, r.state, { type: 'task:mark', task: 'a', status: 'failed', by: 'ann' }).state, r.state);
    assert.match(markRefusal(r.state.tasks.get('a')!, 'failed') ?? '', /task a is running/);
    const s = succeededRun();
    assert.match(markRefusal(s.state.tasks.get('a')!, 'succeeded') ?? '', /already succeeded/);
  });

  test('mapped tasks: retry one failed instance with downstream reruns it and what follows; retry the mapped task reruns every instance; its instances are marked, not it', () => {
    const m = dag([
      { name: 'list' },
      { name: 'process', runAfter: ['list'], withItems: ['a', 'b'] },
      { name: 'reduce', runAfter: ['process'] },
    ]);
    const r = new RunDriver(m, { context: { runId: '1', runName: 'r', params: {} } }, false);
    r.step([exited('list', 1, 0)]);
    r.step([exited('process[0]', 1, 0), exited('process[1]', 1, 3)]);
    assert.equal(r.state.status, 'failed');
    assert.equal(r.task('reduce')?.status, 'skipped');
    assert.match(markRefusal(r.task('process')!, 'succeeded') ?? '', /mapped task: .*mark an instance/);
    r.step([{ type: 'task:retry', task: 'process[1]', downstream: true }]);
    assert.deepEqual(starts(r.commands), ['process[1]#2']);
    assert.deepEqual([r.state.status, r.task('process')?.status, r.task('reduce')?.status], ['running', 'running', 'pending']);
    r.step([exited('process[1]', 2, 0)]);
    assert.deepEqual(starts(r.commands), ['reduce#1']);
    r.step([exited('reduce', 1, 0)]);
    assert.equal(r.state.status, 'succeeded');
    r.step([{ type: 'task:retry', task: 'process', downstream: false }]);
    assert.deepEqual(starts(r.commands).sort(), ['process[0]#2', 'process[1]#3']);
    assert.equal(r.task('reduce')?.attempts.length, 1, 'reduce keeps its result');
  });

  test('while a cancel is under way, task actions are ignored', () => {
    let r = step(def, initialRunState(def), { type: 'run:tick' });
    r = step(def, r.state, { type: 'run:cancel' });
    const before = r.state;
    assert.equal(step(def, before, { type: 'task:mark', task: 'b', status: 'succeeded', by: 'ann' }).state, before);
  });
});
