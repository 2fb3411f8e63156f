// The fake runtime keeps the TaskRuntime contract, and records every call before it decides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRecorder, FakeRuntime, ManualClock, attemptSpec, contractFakeScript, runtimeContract } from '@kontroler/testing';

runtimeContract('FakeRuntime', async () => {
  const base = new FakeRuntime(contractFakeScript);
  const opened: FakeRuntime[] = [];
  return {
    open() {
      const rt = opened.length === 0 ? base : base.reopen();
      opened.push(rt);
      return rt;
    },
    async cleanup() {
      await Promise.all(opened.map((rt) => rt.close()));
    },
  };
});

test('every call is recorded before it is decided: a repeated start shows, but runs once', async () => {
  const rt = new FakeRuntime();
  const rec = new EventRecorder(rt);
  const s = attemptSpec();
  await rt.start(s);
  await rt.start(s);
  await rec.exited(s);
  assert.equal(rec.logText(s), `hello from ${s.task}\n`, 'one output: it ran once');
  await rt.kill(s, 'Canceled');
  await rt.adopt(s, 0);
  const id = `${s.runId}/${s.task}/1`;
  assert.deepEqual(rt.starts, [id, id]);
  assert.deepEqual(rt.kills, [`${id}:Canceled`]);
  assert.deepEqual(rt.calls.map((c) => c.method), ['start', 'start', 'kill', 'adopt']);
  assert.equal(rec.count('started', s), 2, 'once by start, once by adopt');
  assert.equal(rt.specs.size, 1);
  rec.unsubscribe();
});

test('an attempt without an exit code runs until the test finishes it', async () => {
  const rt = new FakeRuntime(() => ({ output: 'working\n' }));
  const rec = new EventRecorder(rt);
  const s = attemptSpec();
  await rt.start(s);
  await rec.logContains(s, 'working\n');
  assert.equal((await rt.adopt(s, 8)).state, 'running');
  rt.write(s, 'more\n');
  rt.finish(s, 7);
  rt.finish(s, 0);
  const e = await rec.exited(s);
  assert.deepEqual([e.exitCode, e.reason], [7, 'Error']);
  assert.equal(rec.count('exited', s), 1, 'finish ends it once');
  assert.equal(rec.logText(s), 'working\nmore\n', 'adopt from the end delivers nothing again; write appends');
  rec.unsubscribe();
});

test('ManualClock moves only when told, never back with advance', () => {
  const c = new ManualClock(1000);
  const now = c.now;
  assert.equal(now(), 1000);
  assert.equal(c.advance(250), 1250);
  assert.equal(now(), 1250);
  c.set(5);
  assert.equal(now(), 5);
  assert.throws(() => c.advance(-1), /does not go back/);
});

test('started() resolves once the started event is out, also when asked before the start', async () => {
  const rt = new FakeRuntime(() => ({}));
  const rec = new EventRecorder(rt);
  const s = attemptSpec();
  const early = rt.started(s).then(() => rec.count('started', s));
  await rt.start(s);
  assert.equal(await early, 1, 'the started event came first');
  await rt.started(s);
  rt.finish(s, 0);
  rec.unsubscribe();
});
