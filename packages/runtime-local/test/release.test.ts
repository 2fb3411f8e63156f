import assert from 'node:assert/strict';
import { access, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasCode } from '@kontroler/core';
import { EventRecorder, attemptSpec as spec } from '@kontroler/testing';
import { sandbox, script, until, type Sandbox } from './helpers.js';

const exists = (p: string) => access(p).then(() => true, () => false);

describe('LocalProcessRuntime: releasing and closing', () => {
  let box: Sandbox;

  before(async () => {
    box = await sandbox();
  });
  after(() => box.cleanup());

  it('release removes an ended attempt folder and refuses a running one', async () => {
    const rt = box.runtime();
    const rec = new EventRecorder(rt);
    const go = join(box.dir, 'release-go');
    const s = script(`while [ ! -f '${go}' ]; do sleep 0.02; done`, { runId: 'run-rel' });
    await rt.start(s);
    await rec.started(s);
    await assert.rejects(rt.release(s), (e: unknown) => hasCode(e, 'INVALID_STATE'));
    await writeFile(go, '');
    await rec.exited(s);
    const dir = join(box.stateDir, 'attempts', 'run-rel', s.task, '1');
    assert.ok(await exists(dir));
    await rt.release(s);
    assert.equal(await exists(dir), false);
    await rt.release(s); // idempotent
    assert.deepEqual(await rt.adopt(s, 0), { state: 'unknown' });
  });

  it('releaseRun removes the workspace and every attempt of the run, and nothing else', async () => {
    const rt = box.runtime();
    const rec = new EventRecorder(rt);
    const a = script('echo a > a.txt', { runId: 'run-gone', workspace: true });
    const b = spec({ runId: 'run-gone', command: ['true'] });
    const other = spec({ runId: 'run-kept', command: ['true'] });
    await Promise.all([rt.start(a), rt.start(b), rt.start(other)]);
    await Promise.all([rec.exited(a), rec.exited(b), rec.exited(other)]);
    assert.ok(await exists(join(box.stateDir, 'workspaces', 'run-gone', 'a.txt')));
    await rt.releaseRun('run-gone');
    assert.equal(await exists(join(box.stateDir, 'workspaces', 'run-gone')), false);
    assert.equal(await exists(join(box.stateDir, 'attempts', 'run-gone')), false);
    assert.ok(await exists(join(box.stateDir, 'attempts', 'run-kept')));
    await rt.releaseRun('run-gone'); // idempotent
  });

  for (const useSpawner of [true, false]) {
    it(`release empties the trash in the background, leftovers of an earlier process too (${useSpawner ? 'spawner' : 'direct'})`, async () => {
      const trash = join(box.stateDir, 'trash');
      await mkdir(join(trash, 'left-by-a-dead-controller', 'work'), { recursive: true });
      await writeFile(join(trash, 'left-by-a-dead-controller', 'log'), 'x');
      const rt = box.runtime({ spawner: useSpawner });
      const rec = new EventRecorder(rt);
      const specs = Array.from({ length: 10 }, () => script('echo hi > file-left-in-work', { runId: 'run-trash' }));
      await Promise.all(specs.map((s) => rt.start(s)));
      for (const s of specs) await rec.exited(s);
      await Promise.all(specs.map((s) => rt.release(s)));
      for (const s of specs) assert.equal(await exists(join(box.stateDir, 'attempts', 'run-trash', s.task, '1')), false);
      await until(async () => (await readdir(trash)).length === 0, 'the trash is empty');
    });
  }

  it('close leaves processes running and no timers, watchers or child handles behind', async () => {
    // Long-lived handles only: one-off fs requests of other tests come and go.
    const held = new Set(['Timeout', 'Immediate', 'FSEventWrap', 'StatWatcher', 'ProcessWrap', 'FileHandle']);
    const resources = () => process.getActiveResourcesInfo().filter((r) => held.has(r));
    const baseline = resources();
    const rt = box.runtime();
    const rec = new EventRecorder(rt);
    const go = join(box.dir, 'close-go');
    const s = script(`echo up; while [ ! -f '${go}' ]; do sleep 0.02; done`);
    await rt.start(s);
    await rec.logContains(s, 'up\n');
    assert.ok(resources().length > baseline.length, 'watching holds handles');
    await rt.close();
    assert.deepEqual(resources().sort(), baseline.sort());
    await assert.rejects(rt.start(s), (e: unknown) => hasCode(e, 'INVALID_STATE'));
    // Still running: a new runtime sees it, then its end.
    const next = box.runtime();
    const recNext = new EventRecorder(next);
    assert.equal((await next.adopt(s, 0)).state, 'running');
    await writeFile(go, '');
    assert.equal((await recNext.exited(s)).reason, 'Completed');
  });
});
