import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { EventRecorder } from '@kontroler/testing';
import { TICKER, alive, sandbox, script, trackTickLatency, until, type Sandbox } from './helpers.js';

describe('LocalProcessRuntime: crash safety', () => {
  let box: Sandbox;

  before(async () => {
    box = await sandbox();
  });
  after(() => box.cleanup());

  const gate = (name: string) => join(box.dir, name);
  const waitForGate = (name: string) => `while [ ! -f '${gate(name)}' ]; do sleep 0.02; done`;

  it('a new runtime adopts a running attempt and gets the rest of its log and its exit', async () => {
    const first = box.runtime();
    const rec1 = new EventRecorder(first);
    const s = script(`echo before; ${waitForGate('adopt-go')}; echo after; exit 5`);
    await first.start(s);
    await rec1.logContains(s, 'before\n');
    const offset = Buffer.byteLength(rec1.logText(s));
    await first.close(); // the controller dies; the attempt keeps running

    const second = box.runtime();
    const rec2 = new EventRecorder(second);
    const seen = await second.adopt(s, offset);
    assert.equal(seen.state, 'running');
    assert.equal(seen.state === 'running' && seen.handle, (await rec1.started(s)).handle);
    await writeFile(gate('adopt-go'), '');
    const end = await rec2.exited(s);
    assert.equal(end.exitCode, 5);
    assert.equal(end.reason, 'Error');
    assert.equal(rec2.logText(s, offset), 'after\n', 'each byte once: only what came after the offset');
  });

  it('an adopter delivers what was written meanwhile at once, and new output within moments', async () => {
    const first = box.runtime();
    const rec1 = new EventRecorder(first);
    const s = script(`echo meanwhile; ${waitForGate('latency-go')}; ${TICKER(10)}`);
    await first.start(s);
    await rec1.logContains(s, 'meanwhile\n'); // written before the adopter exists: a backlog
    await first.close();

    const second = box.runtime();
    const rec2 = new EventRecorder(second);
    const worst = trackTickLatency(second, s);
    const t0 = Date.now();
    assert.equal((await second.adopt(s, 0)).state, 'running');
    await rec2.logContains(s, 'meanwhile\n');
    assert.ok(Date.now() - t0 < 400, `backlog delivered after ${Date.now() - t0} ms`);
    await writeFile(gate('latency-go'), '');
    await rec2.exited(s);
    assert.equal(rec2.logText(s).match(/tick/g)?.length, 10);
    assert.ok(worst() < 400, `worst delivery delay ${worst()} ms`);
  });

  it('adopts an attempt that finished while no runtime was alive', async () => {
    const first = box.runtime();
    const rec1 = new EventRecorder(first);
    const s = script(`echo one; ${waitForGate('finish-go')}; echo two; exit 3`);
    await first.start(s);
    await rec1.logContains(s, 'one\n');
    await first.close();
    await writeFile(gate('finish-go'), '');
    const attemptDir = join(box.stateDir, 'attempts', s.runId, s.task, '1');
    await waitForFile(join(attemptDir, 'exit'));

    const second = box.runtime();
    const rec2 = new EventRecorder(second);
    const seen = await second.adopt(s, 0);
    assert.equal(seen.state, 'exited');
    assert.equal(seen.state === 'exited' && seen.exitCode, 3);
    assert.equal(seen.state === 'exited' && seen.reason, 'Error');
    // Events tell the same story, the full log before `exited`.
    assert.match(rec2.logText(s), /\none\ntwo\n$/);
    assert.equal((await rec2.exited(s)).exitCode, 3);
  });

  it('never runs an attempt twice, however often and by whom it is started', async () => {
    const count = join(box.dir, 'count');
    const s = script(`echo ran >> '${count}'; ${waitForGate('twice-go')}`);
    const a = box.runtime();
    const b = box.runtime();
    const recA = new EventRecorder(a);
    const recB = new EventRecorder(b);
    await Promise.all([a.start(s), a.start(s), b.start(s)]);
    await b.start(s);
    await writeFile(gate('twice-go'), '');
    const [endA, endB] = await Promise.all([recA.exited(s), recB.exited(s)]);
    assert.equal(endA.reason, 'Completed');
    assert.equal(endB.reason, 'Completed');
    // A restarted controller starting it once more, after it ended, just learns the outcome.
    const c = box.runtime();
    const recC = new EventRecorder(c);
    await c.start(s);
    assert.equal((await recC.exited(s)).reason, 'Completed');
    assert.equal(await readFile(count, 'utf8'), 'ran\n');
  });

  it('survives a SIGKILLed controller: a new runtime adopts the attempt it started', async () => {
    const s = script(`echo before; ${waitForGate('sigkill-go')}; echo after; exit 7`);
    const fixture = fileURLToPath(new URL('./fixtures/start-then-hang.js', import.meta.url));
    const controller = spawn(process.execPath, [fixture, box.stateDir, JSON.stringify(s)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      controller.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('started\n') && out.includes('log before')) resolve();
      });
      controller.on('exit', (code) => reject(new Error(`the stand-in controller exited early (${code}): ${out}`)));
    });
    controller.removeAllListeners('exit');
    const gone = new Promise((resolve) => controller.once('exit', resolve));
    controller.kill('SIGKILL');
    await gone;

    const rt = box.runtime();
    const rec = new EventRecorder(rt);
    const seen = await rt.adopt(s, 0);
    assert.equal(seen.state, 'running');
    await rec.logContains(s, 'before\n');
    await writeFile(gate('sigkill-go'), '');
    const end = await rec.exited(s);
    assert.equal(end.exitCode, 7);
    assert.match(rec.logText(s), /\nbefore\nafter\n$/);
  });

  it('reports Lost when the supervisor vanished without recording an exit (e.g. a reboot)', async () => {
    const first = box.runtime();
    const s = script('echo up; sleep 60');
    const rec1 = new EventRecorder(first);
    await first.start(s);
    await rec1.logContains(s, 'up\n');
    const pid = Number((await rec1.started(s)).handle);
    await first.close();
    process.kill(-pid, 'SIGKILL');
    await waitUntilDead(pid);

    const second = box.runtime();
    const seen = await second.adopt(s, 0);
    assert.equal(seen.state, 'exited');
    assert.equal(seen.state === 'exited' && seen.reason, 'Lost');
    assert.equal(seen.state === 'exited' && seen.exitCode, undefined);
  });

  it('reports Lost when a watched supervisor is killed from outside, spawned or adopted', async () => {
    const first = box.runtime();
    const rec1 = new EventRecorder(first);
    const adopted = script('echo up; sleep 60');
    await first.start(adopted);
    await rec1.logContains(adopted, 'up\n');
    await first.close();

    const second = box.runtime();
    const rec2 = new EventRecorder(second);
    assert.equal((await second.adopt(adopted, 0)).state, 'running');
    const own = script('echo up; sleep 60');
    await second.start(own);
    await rec2.logContains(own, 'up\n');
    for (const key of [adopted, own]) process.kill(-Number((await rec2.started(key)).handle), 'SIGKILL');
    for (const key of [adopted, own]) {
      const end = await rec2.exited(key);
      assert.deepEqual([end.reason, end.exitCode], ['Lost', undefined]);
    }
  });

  it('does not mistake a reused pid for the supervisor', async () => {
    // A record that names a live process (this test) with another start time.
    const dir = join(box.stateDir, 'attempts', 'run-reuse', 'task', '1');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'pid'), `${Date.now()} - ${process.pid} 1\n`);
    const rt = box.runtime();
    const seen = await rt.adopt({ runId: 'run-reuse', task: 'task', attempt: 1 }, 0);
    assert.equal(seen.state, 'exited');
    assert.equal(seen.state === 'exited' && seen.reason, 'Lost');
  });

  it('claims an attempt folder whose creator died before spawning, so it can never run later', async () => {
    const dir = join(box.stateDir, 'attempts', 'run-orphan', 'task', '1');
    await mkdir(dir, { recursive: true });
    const rt = box.runtime({ spawnGraceMs: 200 });
    const rec = new EventRecorder(rt);
    const key = { runId: 'run-orphan', task: 'task', attempt: 1 };
    const seen = await rt.adopt(key, 0);
    assert.equal(seen.state === 'exited' && seen.reason, 'NotStarted');
    assert.equal((await rec.exited(key)).reason, 'NotStarted');
    // A start of the same attempt now only reports that.
    const marker = join(box.dir, 'orphan-ran');
    await rt.start(script(`touch '${marker}'`, key));
    await assert.rejects(readFile(marker), { code: 'ENOENT' });
  });

  it('continues a kill that a dead controller began: SIGKILL after the grace period', async () => {
    const first = box.runtime({ killGraceMs: 60_000 });
    const rec1 = new EventRecorder(first);
    const s = script("trap '' TERM; echo up; sleep 60");
    await first.start(s);
    await rec1.logContains(s, 'up\n');
    await first.kill(s, 'Canceled');
    await first.close();
    const second = box.runtime({ killGraceMs: 300 });
    const rec2 = new EventRecorder(second);
    assert.equal((await second.adopt(s, 0)).state, 'running');
    const end = await rec2.exited(s);
    assert.equal(end.reason, 'Canceled');
    assert.equal(end.exitCode, undefined);
  });

  it('kills attempts started by an earlier runtime, adopted or not', async () => {
    const first = box.runtime();
    const rec1 = new EventRecorder(first);
    const adopted = script('echo up; exec sleep 60');
    const notAdopted = script('echo up; exec sleep 60');
    await Promise.all([first.start(adopted), first.start(notAdopted)]);
    await Promise.all([rec1.logContains(adopted, 'up\n'), rec1.logContains(notAdopted, 'up\n')]);
    await first.close();

    const second = box.runtime();
    const rec2 = new EventRecorder(second);
    assert.equal((await second.adopt(adopted, 0)).state, 'running');
    await second.kill(adopted, 'Canceled');
    const end = await rec2.exited(adopted);
    assert.deepEqual([end.reason, end.exitCode], ['Canceled', undefined]);

    await second.kill(notAdopted, 'Canceled');
    const pid = Number((await rec1.started(notAdopted)).handle);
    await until(async () => !(await alive(pid)), 'the unwatched attempt is stopped');
    const seen = await second.adopt(notAdopted, 0);
    assert.equal(seen.state === 'exited' && seen.reason, 'Canceled');
  });

  it('adopting an attempt nobody created says unknown', async () => {
    const rt = box.runtime();
    assert.deepEqual(await rt.adopt({ runId: 'nope', task: 'nope', attempt: 1 }, 0), { state: 'unknown' });
  });

  async function waitForFile(path: string): Promise<void> {
    await until(async () => (await readFile(path, 'utf8').catch(() => '')).endsWith('\n'), `${path} is written`);
  }

  async function waitUntilDead(pid: number): Promise<void> {
    await until(async () => !(await alive(pid)), `process ${pid} is gone`);
  }
});
