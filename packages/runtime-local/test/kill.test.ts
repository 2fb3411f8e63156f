import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LocalProcessRuntime } from '@kontroler/runtime-local';
import { EventRecorder, attemptSpec as spec } from '@kontroler/testing';
import { alive, sandbox, script, until, type Sandbox } from './helpers.js';

const GRACE_MS = 1000;

describe('LocalProcessRuntime: stopping attempts', () => {
  let box: Sandbox;
  let rt: LocalProcessRuntime;
  let rec: EventRecorder;

  before(async () => {
    box = await sandbox();
    rt = box.runtime({ killGraceMs: GRACE_MS });
    rec = new EventRecorder(rt);
  });
  after(() => box.cleanup());

  it('kill stops the attempt with SIGTERM and reports the given reason without an exit code', async () => {
    const s = script('echo up; exec sleep 60');
    await rt.start(s);
    await rec.logContains(s, 'up\n');
    const t0 = Date.now();
    await rt.kill(s, 'Canceled');
    const end = await rec.exited(s);
    assert.equal(end.reason, 'Canceled');
    assert.equal(end.exitCode, undefined);
    assert.ok(Date.now() - t0 < GRACE_MS, 'SIGTERM was enough');
    await rt.kill(s, 'Canceled'); // idempotent once ended
    assert.equal(rec.count('exited', s), 1);
  });

  it('escalates to SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const s = script("trap '' TERM; echo up; sleep 60");
    await rt.start(s);
    await rec.logContains(s, 'up\n');
    const t0 = Date.now();
    await rt.kill(s, 'Canceled');
    await rt.kill(s, 'AnotherReason'); // the first reason wins
    const end = await rec.exited(s);
    const took = Date.now() - t0;
    assert.equal(end.reason, 'Canceled');
    assert.equal(end.exitCode, undefined);
    assert.ok(took >= GRACE_MS - 50, `waited the grace period (${took} ms)`);
    assert.ok(took < GRACE_MS + 3000, `then killed promptly (${took} ms)`);
  });

  it('keeps the exit code of a process that handles SIGTERM and exits by itself', async () => {
    const s = script("trap 'echo bye; exit 0' TERM; echo up; while :; do sleep 0.05; done");
    await rt.start(s);
    await rec.logContains(s, 'up\n');
    await rt.kill(s, 'Canceled');
    const end = await rec.exited(s);
    assert.equal(end.reason, 'Canceled');
    assert.equal(end.exitCode, 0);
    assert.match(rec.logText(s), /bye\n$/);
  });

  it('enforces deadlineAt itself with reason DeadlineExceeded', async () => {
    const s = script('echo up; sleep 60', { deadlineAt: Date.now() + 300 });
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.reason, 'DeadlineExceeded');
    assert.equal(end.exitCode, undefined);
    assert.match(rec.logText(s), /up\n/);
  });

  it('does not run an attempt whose deadline has already passed', async () => {
    const marker = join(box.dir, 'late-ran');
    const s = script(`touch '${marker}'`, { deadlineAt: Date.now() - 1 });
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.reason, 'DeadlineExceeded');
    await assert.rejects(readFile(marker), { code: 'ENOENT' });
  });

  it('kills the whole process group, children and grandchildren included', async () => {
    const pids = join(box.dir, 'group-pids');
    // A child that ignores SIGTERM and a grandchild: both must be gone once the attempt has ended.
    const s = script(
      `(trap '' TERM; sleep 60) & echo $! >> '${pids}'\n` +
        `sh -c 'sleep 60 & echo $! >> "$1"; wait' grandparent '${pids}' & echo $! >> '${pids}'\n` +
        `while [ "$(wc -l < '${pids}')" -lt 3 ]; do sleep 0.01; done; echo up; wait`,
    );
    await rt.start(s);
    await rec.logContains(s, 'up\n');
    const recorded = (await readFile(pids, 'utf8')).trim().split('\n').map(Number);
    assert.equal(recorded.length, 3);
    for (const pid of recorded) assert.ok(await alive(pid), `process ${pid} runs before the kill`);
    await rt.kill(s, 'Canceled');
    const end = await rec.exited(s);
    assert.equal(end.reason, 'Canceled');
    for (const pid of recorded) await until(async () => !(await alive(pid)), `process ${pid} is gone`);
  });

  it('treats a kill of an unknown attempt as a no-op', async () => {
    await rt.kill(spec({ command: ['true'] }), 'Canceled');
  });
});
