// Data flow in the engine: outputs of succeeded attempts, references resolved when an attempt is
// created (and recorded on it), `when` conditions, and the run's declared outputs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, decideAll, initialRunState, type Command, type DecideOptions, type RunEvent, type RunState } from '@kontroler/engine';
import type { DagDefinition } from '@kontroler/core';
import { dag } from './helpers.js';

const ctx: DecideOptions = { context: { runId: '7', runName: 'nightly-7', params: { LIMIT: '10', WHO: 'ann' }, secretParams: ['TOKEN'] } };
const starts = (cs: readonly Command[]) => cs.flatMap((c) => (c.type === 'attempt:start' ? [c.task] : []));
const exited = (task: string, outputs?: Record<string, string>, exitCode = 0, extra: Partial<Extract<RunEvent, { type: 'attempt:exited' }>> = {}): RunEvent => ({
  type: 'attempt:exited', task, attempt: 1, at: 1, exitCode, ...(outputs ? { outputs } : {}), ...extra,
});

function runTo(def: DagDefinition, events: RunEvent[], opts: DecideOptions = ctx): { state: RunState; commands: Command[] } {
  let r = decide(def, initialRunState(def), { type: 'run:tick' }, 0, opts);
  const commands: Command[] = [...r.commands];
  for (const ev of events) {
    r = decide(def, r.state, ev, 1, opts);
    commands.push(...r.commands);
  }
  return { state: r.state, commands };
}

describe('outputs', () => {
  const def = dag([{ name: 'a', outputs: ['n', 'm'] }]);
  test('a succeeded attempt keeps exactly its declared outputs', () => {
    const { state } = runTo(def, [exited('a', { n: '3', m: '', extra: 'x' })]);
    const a = state.tasks.get('a');
    assert.equal(a?.status, 'succeeded');
    assert.deepEqual(a?.attempts[0]?.outputs, { n: '3', m: '' });
  });
  test('exit 0 without a declared output fails the attempt, naming it', () => {
    const { state } = runTo(def, [exited('a', { n: '3' })]);
    assert.equal(state.tasks.get('a')?.status, 'failed');
    assert.equal(state.tasks.get('a')?.attempts[0]?.reason, 'OutputMissing: output "m" was not written to $KONTROLER_OUTPUTS/m');
    assert.equal(state.tasks.get('a')?.attempts[0]?.outputs, undefined);
  });
  test("the runtime's output error fails an attempt that exited 0, and the retry policy applies", () => {
    const retried = dag([{ name: 'a', outputs: ['n'], retryLimit: 1, retryDelay: { delaySeconds: 60, factor: 2, maxDelaySeconds: 300 } }]);
    const reason = 'OutputTooLarge: output "n" is 70000 bytes; the limit is 65536 bytes';
    const { state } = runTo(retried, [exited('a', {}, 0, { outputError: reason })]);
    const a = state.tasks.get('a');
    assert.equal(a?.status, 'waiting');
    assert.equal(a?.attempts[0]?.status, 'failed');
    assert.equal(a?.attempts[0]?.reason, reason);
    assert.match(a?.reason ?? '', /retry 1 of 1 after OutputTooLarge/);
  });
  test('a failed attempt keeps no outputs', () => {
    const { state } = runTo(def, [exited('a', { n: '1', m: '2' }, 1)]);
    assert.equal(state.tasks.get('a')?.attempts[0]?.outputs, undefined);
  });
});

describe('references', () => {
  test('are substituted when the attempt is created and recorded on it; secrets stay as written', () => {
    const def = dag([
      { name: 'a', outputs: ['rows'] },
      {
        name: 'b', runAfter: ['a'], command: ['echo', '{{tasks.a.outputs.rows}}'], args: ['{{run.id}}', 'plain'],
        script: 'echo {{params.WHO}} {{params.TOKEN}} {{run.name}} {{other}}', env: [{ name: 'ROWS', value: 'n={{tasks.a.outputs.rows}}' }, { name: 'FIXED', value: 'x' }],
      },
    ]);
    const { state, commands } = runTo(def, [exited('a', { rows: '42' })]);
    assert.deepEqual(starts(commands), ['a', 'b']);
    assert.deepEqual(state.tasks.get('b')?.attempts[0]?.resolved, {
      command: ['echo', '42'], args: ['7', 'plain'], script: 'echo ann {{params.TOKEN}} nightly-7 {{other}}', env: { ROWS: 'n=42' },
    });
  });
  test('a task without references records nothing', () => {
    const def = dag([{ name: 'a' }]);
    assert.equal(runTo(def, []).state.tasks.get('a')?.attempts[0]?.resolved, undefined);
  });
  test('a reference with no value fails the task without an attempt, and says why', () => {
    const def = dag([
      { name: 'a', outputs: ['n'] },
      { name: 'b', runAfter: ['a'], triggerRule: 'AllDone', args: ['{{tasks.a.outputs.n}}'] },
      { name: 'c', runAfter: ['b'] },
    ]);
    const { state, commands } = runTo(def, [exited('a', undefined, 1)]);
    const b = state.tasks.get('b');
    assert.equal(b?.status, 'failed');
    assert.equal(b?.attempts.length, 0);
    assert.equal(b?.reason, 'UnresolvedReference: {{tasks.a.outputs.n}} has no value (task a is failed)');
    assert.equal(state.tasks.get('c')?.status, 'skipped');
    assert.equal(state.status, 'failed');
    assert.ok(commands.some((c) => c.type === 'notify:task' && c.task === 'b' && c.status === 'failed'));
  });
});

describe('when', () => {
  const def = dag([
    { name: 'count', outputs: ['n'] },
    { name: 'big', runAfter: ['count'], when: 'int(tasks.count.outputs.n) > int(params.LIMIT)' },
    { name: 'small', runAfter: ['count'], when: 'int(tasks.count.outputs.n) <= int(params.LIMIT) && tasks.count.exitCode == 0' },
    { name: 'after-big', runAfter: ['big'] },
    { name: 'either', runAfter: ['big', 'small'], triggerRule: 'AnySucceeded' },
    { name: 'done', runAfter: ['big', 'small'], triggerRule: 'AllDone', when: 'tasks["small"].status == "skipped"' },
  ]);
  test('false skips the task (ConditionFalse), never starting it; the tasks after it follow their trigger rules', () => {
    const { state, commands } = runTo(def, [exited('count', { n: '19' }), exited('big'), exited('either'), exited('done')]);
    assert.equal(state.tasks.get('small')?.status, 'skipped');
    assert.equal(state.tasks.get('small')?.reason, 'ConditionFalse');
    assert.ok(!starts(commands).includes('small'));
    assert.deepEqual(starts(commands), ['count', 'big', 'after-big', 'either', 'done']);
  });
  test('the other branch with another output', () => {
    const { state } = runTo(def, [exited('count', { n: '3' })]);
    assert.equal(state.tasks.get('big')?.reason, 'ConditionFalse');
    assert.equal(state.tasks.get('after-big')?.status, 'skipped');
    assert.equal(state.tasks.get('small')?.status, 'running');
  });
  test('an evaluation error fails the task with the CEL message', () => {
    const { state } = runTo(def, [exited('count', { n: 'many' })]);
    assert.match(state.tasks.get('big')?.reason ?? '', /^ConditionError: /);
    assert.equal(state.tasks.get('big')?.status, 'failed');
    assert.equal(state.tasks.get('big')?.attempts.length, 0);
  });
  test('a result that is not a bool fails the task', () => {
    const d = dag([{ name: 'a', when: '"yes"' }]);
    assert.equal(runTo(d, []).state.tasks.get('a')?.reason, 'ConditionError: the expression must give a bool, it gave a string');
  });
  test('references in the condition are substituted first', () => {
    const d = dag([{ name: 'a', outputs: ['ok'] }, { name: 'b', runAfter: ['a'], when: '"{{tasks.a.outputs.ok}}" == "yes"' }]);
    assert.equal(runTo(d, [exited('a', { ok: 'no' })]).state.tasks.get('b')?.reason, 'ConditionFalse');
    assert.equal(runTo(d, [exited('a', { ok: 'yes' })]).state.tasks.get('b')?.status, 'running');
  });
  test('a false condition never starts its task, whatever the event batching (property over orders)', () => {
    for (let seed = 0; seed < 50; seed++) {
      const n = String(seed % 20);
      const events = [exited('count', { n }), exited('big'), exited('small'), exited('after-big'), exited('either'), exited('done')];
      // One decision for everything the runtime reports at once, or one per event.
      const batched = decideAll(def, decide(def, initialRunState(def), { type: 'run:tick' }, 0, ctx).state, events.slice(0, 1), 1, ctx);
      const single = runTo(def, events.slice(0, 1));
      assert.deepEqual(starts(batched.commands), starts(single.commands).filter((t) => t !== 'count'));
      const bigStarted = starts(single.commands).includes('big');
      assert.equal(bigStarted, Number(n) > 10, `n=${n}`);
      assert.equal(starts(single.commands).includes('small'), Number(n) <= 10, `n=${n}`);
    }
  });
});

describe('run outputs', () => {
  test('are resolved when the run succeeds; one that does not resolve is left out', () => {
    const def: DagDefinition = {
      ...dag([{ name: 'a', outputs: ['n'] }, { name: 'b', runAfter: ['a'], when: 'false', outputs: ['m'] }]),
      outputs: [{ name: 'total', value: 'n={{tasks.a.outputs.n}}' }, { name: 'missing', value: '{{tasks.b.outputs.m}}' }],
    };
    const running = runTo(def, []);
    assert.equal(running.state.outputs, undefined);
    const { state } = runTo(def, [exited('a', { n: '5' })]);
    assert.equal(state.status, 'succeeded');
    assert.deepEqual(state.outputs, { total: 'n=5' });
  });
  test('a failed run has none', () => {
    const def: DagDefinition = { ...dag([{ name: 'a', outputs: ['n'] }]), outputs: [{ name: 'x', value: '{{tasks.a.outputs.n}}' }] };
    assert.equal(runTo(def, [exited('a', undefined, 2)]).state.outputs, undefined);
  });
});
