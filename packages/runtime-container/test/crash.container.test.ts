// Crash safety against the real engine: a controller SIGKILLed while its attempts run; a new
// runtime adopts the one still running and records the one that ended meanwhile (exit code and
// whole log), and starting either again never runs it twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspaceDir } from '@kontroler/runtime-local';
import { EventRecorder, attemptSpec } from '@kontroler/testing';
import { sandbox, type Sandbox } from './helpers.js';

describe('container runtime: a SIGKILLed controller', () => {
  let box: Sandbox;
  before(async () => {
    box = await sandbox();
  });
  after(async () => {
    await box.cleanup();
  });

  it('is survived: its running container is adopted, its ended one recorded with exit code and whole log, neither runs twice', async () => {
    const common = { runId: box.runId, image: box.te.image, workspace: true };
    const running = attemptSpec({ ...common, script: 'echo running-before; while [ ! -e /workspace/go ]; do sleep 0.1; done; echo running-after; exit 7' });
    const ending = attemptSpec({ ...common, script: 'echo ending-1; while [ ! -e /workspace/end ]; do sleep 0.1; done; echo ending-2; exit 4' });
    const fixture = fileURLToPath(new URL('./fixtures/start-then-hang.js', import.meta.url));
    const controller = spawn(process.execPath, [fixture, box.te.dockerHost, box.stateDir, JSON.stringify([running, ending])], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      controller.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('started\n')) resolve();
      });
      controller.on('exit', (code) => reject(new Error(`the stand-in controller exited early (${code}): ${out}`)));
    });
    controller.removeAllListeners('exit');
    const gone = new Promise((resolve) => controller.once('exit', resolve));
    controller.kill('SIGKILL');
    await gone;

    const endingName = box.runtime().containerName(ending);
    // While no controller lives, one of them ends.
    await writeFile(join(workspaceDir(box.stateDir, box.runId), 'end'), '');
    for (let i = 0; ; i++) {
      const info = await box.te.engine.inspect(endingName);
      if (info !== undefined && !info.running && info.status !== 'created') break;
      assert.ok(i < 200, 'the container that was to end meanwhile did not');
      await new Promise((r) => setTimeout(r, 50));
    }

    const rt = box.runtime();
    const rec = new EventRecorder(rt);
    const ended = await rt.adopt(ending, 0);
    assert.equal(ended.state, 'exited');
    assert.equal(ended.state === 'exited' && ended.exitCode, 4);
    assert.equal(ended.state === 'exited' && ended.reason, 'Error');
    assert.equal(rec.logText(ending), 'ending-1\nending-2\n', 'the whole log of the attempt that ended meanwhile');

    const seen = await rt.adopt(running, 0);
    assert.equal(seen.state, 'running');
    await rec.logContains(running, 'running-before\n');
    // A start of the same attempts (a controller that lost track) adopts them: nothing runs twice.
    await rt.start(running);
    await rt.start(ending);
    await writeFile(join(workspaceDir(box.stateDir, box.runId), 'go'), '');
    const end = await rec.exited(running);
    assert.equal(end.exitCode, 7);
    assert.equal(rec.logText(running), 'running-before\nrunning-after\n', 'one run: the output once');
    const again = await box.te.engine.logs(endingName);
    assert.equal(Buffer.from(again).toString(), 'ending-1\nending-2\n', 'the ended container did not run again');
    assert.equal(rec.count('exited', running), 1);
    rec.unsubscribe();
  });

  it('is survived mid-kill: the adopter sends the SIGKILL on the first runtime\'s schedule and reports its reason', async () => {
    // `exec sleep` as PID 1 ignores SIGTERM: only the SIGKILL ends it.
    const s = attemptSpec({ runId: box.runId, image: box.te.image, script: 'echo up; exec sleep 600' });
    const first = box.runtime({ killGraceMs: 1500 });
    const rec1 = new EventRecorder(first);
    await first.start(s);
    await rec1.logContains(s, 'up\n');
    const asked = Date.now();
    await first.kill(s, 'Canceled');
    rec1.unsubscribe();
    await first.close();
    const second = box.runtime({ killGraceMs: 1500 });
    const rec2 = new EventRecorder(second);
    assert.equal((await second.adopt(s, 3)).state, 'running');
    await second.kill(s, 'Again');
    const e = await rec2.exited(s);
    assert.equal(e.reason, 'Canceled', 'the first reason wins');
    assert.equal(e.exitCode, undefined, 'killed by the signal: no exit code of the task');
    assert.ok(Date.now() - asked >= 1400, 'not before the grace period ran out');
    assert.equal(rec2.logText(s, 3), '', 'the log from the offset the store holds: nothing new');
    rec2.unsubscribe();
  });
});
