// What only a container runtime does, against the real engine: the task runs inside its image (and
// sees none of the host's files), env and `$(VAR)` expansion, the run's workspace, pull policy and
// pull failures, resource limits, a command the image lacks, release removing the container.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventRecorder, attemptSpec } from '@kontroler/testing';
import { LABELS, OUTPUTS_PATH, WORKSPACE_PATH, type DockerContainerRuntime } from '@kontroler/runtime-container';
import { sandbox, type Sandbox } from './helpers.js';

describe('container runtime', () => {
  let box: Sandbox;
  let rt: DockerContainerRuntime;
  before(async () => {
    box = await sandbox();
    rt = box.runtime();
  });
  after(async () => {
    await box.cleanup();
  });

  const spec = (over: Parameters<typeof attemptSpec>[0]) => attemptSpec({ runId: box.runId, image: box.te.image, ...over });

  it('runs the task inside its image: it sees the image\'s marker file and not the host\'s files', async () => {
    const hostOnly = join(tmpdir(), `kontroler-host-only-${process.pid}`);
    await writeFile(hostOnly, 'host\n');
    assert.equal(existsSync('/kontroler-test-image'), false, 'the host has no marker file');
    const rec = new EventRecorder(rt);
    const s = spec({ script: `cat /kontroler-test-image; if [ -e ${hostOnly} ]; then echo host-file-visible; else echo host-file-invisible; fi; if [ -e /usr/bin/podman ]; then echo host-podman; fi` });
    await rt.start(s);
    const e = await rec.exited(s);
    assert.equal(e.exitCode, 0);
    assert.equal(rec.logText(s), 'kontroler test image\nhost-file-invisible\n');
    await rm(hostOnly, { force: true });
    rec.unsubscribe();
  });

  it('gives the task its parameters and KONTROLER_* variables; command and args are entrypoint and cmd, with $(VAR) expansion', async () => {
    const rec = new EventRecorder(rt);
    const s = spec({ command: ['/bin/sh', '-c'], args: ['echo "$GREETING $(GREETING) $KONTROLER_TASK $KONTROLER_RUN_ID $KONTROLER_ATTEMPT $KONTROLER_OUTPUTS"'], env: { GREETING: 'hi' } });
    await rt.start(s);
    await rec.exited(s);
    assert.equal(rec.logText(s), `hi hi ${s.task} ${box.runId} 1 ${OUTPUTS_PATH}\n`);
    const plain = spec({ command: ['printf'], args: ['%s|%s\\n', '$(GREETING)', '$$(GREETING)'], env: { GREETING: 'hello' } });
    await rt.start(plain);
    await rec.exited(plain);
    assert.equal(rec.logText(plain), 'hello|$(GREETING)\n', 'no shell: args as given, `$(VAR)` expanded and `$$` escaped as in a pod');
    rec.unsubscribe();
  });

  it('shares the run\'s workspace between its tasks at /workspace', async () => {
    const rec = new EventRecorder(rt);
    const write = spec({ workspace: true, script: `echo shared > ${WORKSPACE_PATH}/file; echo "$KONTROLER_WORKSPACE"` });
    await rt.start(write);
    assert.equal((await rec.exited(write)).exitCode, 0);
    assert.equal(rec.logText(write), `${WORKSPACE_PATH}\n`);
    const read = spec({ workspace: true, script: `cat ${WORKSPACE_PATH}/file` });
    await rt.start(read);
    await rec.exited(read);
    assert.equal(rec.logText(read), 'shared\n');
    rec.unsubscribe();
  });

  it('pull policy Never with a missing image: the attempt fails with ErrImageNeverPull, naming the image', async () => {
    const rec = new EventRecorder(rt);
    const s = spec({ image: 'localhost/kontroler-no-such-image:0', script: 'echo must not run' });
    await rt.start(s);
    const e = await rec.exited(s);
    assert.match(e.reason, /^ErrImageNeverPull: image "localhost\/kontroler-no-such-image:0" is not present and the pull policy is Never/);
    assert.equal(e.exitCode, undefined);
    const seen = await box.runtime().adopt(s, 0);
    assert.equal(seen.state === 'exited' && seen.reason, e.reason, 'an adopter reports the same failure');
    rec.unsubscribe();
  });

  it('a pull that fails ends the attempt with ErrImagePull and the registry\'s message (IfNotPresent, and Always from the podTemplate)', async () => {
    const pulling = box.runtime({ pullPolicy: 'IfNotPresent' });
    const rec = new EventRecorder(pulling);
    // Port 1 on this machine: nothing listens, so the "registry" refuses at once.
    const s = spec({ image: '127.0.0.1:1/kontroler/missing:1', script: 'echo must not run' });
    await pulling.start(s);
    const e = await rec.exited(s);
    assert.match(e.reason, /^ErrImagePull: pulling image 127\.0\.0\.1:1\/kontroler\/missing:1: .*(connection refused|connect)/i);
    // Always pulls even an image that is present: the test image, named as if from that registry.
    const present = '127.0.0.1:1/kontroler/present:1';
    const tagged = spawnSync('podman', ['tag', box.te.image, present], { encoding: 'utf8' });
    assert.equal(tagged.status, 0, `podman tag: ${tagged.stderr}`);
    const always = spec({ image: present, script: 'echo must not run', podTemplate: { imagePullPolicy: 'Always' } });
    await pulling.start(always);
    const ea = await rec.exited(always);
    assert.match(ea.reason, /^ErrImagePull: .*127\.0\.0\.1:1/);
    assert.equal(rec.logText(always).includes('must not run'), false);
    rec.unsubscribe();
  });

  it('a registry that does not answer cannot hold an attempt past its deadline', async () => {
    // Accepts connections and never answers: the pull hangs.
    const sockets = new Set<Socket>();
    const registry = createServer((sock) => sockets.add(sock));
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const port = (registry.address() as AddressInfo).port;
    try {
      const pulling = box.runtime({ pullPolicy: 'IfNotPresent' });
      const rec = new EventRecorder(pulling);
      const s = spec({ image: `127.0.0.1:${port}/kontroler/slow:1`, script: 'echo must not run', deadlineAt: Date.now() + 1500 });
      await pulling.start(s);
      const e = await rec.exited(s);
      assert.equal(e.reason, 'DeadlineExceeded');
      assert.ok(e.at >= (s.deadlineAt ?? 0));
      rec.unsubscribe();
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise((resolve) => registry.close(resolve));
    }
  });

  it('applies podTemplate.resources.limits cpu and memory to the container', async () => {
    const rec = new EventRecorder(rt);
    const s = spec({ script: 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max', podTemplate: { resources: { limits: { cpu: '500m', memory: '64Mi' } } } });
    await rt.start(s);
    await rec.exited(s);
    const info = await box.te.engine.inspect(rt.containerName(s));
    assert.equal(info?.nanoCpus, 500_000_000);
    assert.equal(info?.memoryBytes, 64 * 2 ** 20);
    assert.equal(rec.logText(s), `${64 * 2 ** 20}\n`, 'the task sees its memory limit');
    assert.equal(info?.labels[LABELS.controller], 'test');
    assert.equal(info?.labels[LABELS.task], s.task);
    await assert.rejects(rt.start(spec({ script: 'true', podTemplate: { resources: { limits: { memory: 'lots' } } } })), /limits\.memory "lots" is not a memory size/);
    rec.unsubscribe();
  });

  it('a command the image does not have ends the attempt with StartError, and nothing ran', async () => {
    const rec = new EventRecorder(rt);
    const s = spec({ command: ['/usr/bin/python3'], args: ['-c', 'print(1)'] });
    await rt.start(s);
    const e = await rec.exited(s);
    assert.match(e.reason, /^StartError: .*python3/);
    assert.equal(e.exitCode, undefined);
    rec.unsubscribe();
  });

  it('streams the log live, in order, with contiguous offsets, and its end once more after the exit', async () => {
    const rec = new EventRecorder(rt);
    const s = spec({ script: 'for i in 1 2 3; do echo "line $i"; echo "err $i" >&2; sleep 0.3; done; echo gate; while [ ! -e /kontroler/outputs/go ]; do sleep 0.1; done; printf "no newline at the end"' });
    await rt.start(s);
    await rec.logContains(s, 'gate\n');
    assert.equal(rec.count('exited', s), 0, 'the log arrived while the container ran');
    await writeFile(join(box.stateDir, 'attempts', box.runId, s.task, '1', 'outputs', 'go'), '');
    await rec.exited(s);
    let next = 0;
    for (const ev of rec.logEvents(s)) {
      assert.equal(ev.offset, next, 'each log event starts where the one before ended');
      next += ev.data.length;
    }
    assert.equal(rec.logText(s), 'line 1\nerr 1\nline 2\nerr 2\nline 3\nerr 3\ngate\nno newline at the end');
    rec.unsubscribe();
  });

  it('a task over its memory limit is stopped by the kernel (exit 137; OOMKilled when the engine says so)', async () => {
    const rec = new EventRecorder(rt);
    // Holds 64 MiB in the shell's memory under a 16 MiB limit.
    const s = spec({ script: 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived ${#x}', podTemplate: { resources: { limits: { memory: '16Mi' } } } });
    await rt.start(s);
    const e = await rec.exited(s);
    // Podman 4.3 with runc on these machines' cgroup v1 reports only the exit code, not OOMKilled.
    assert.equal(e.exitCode, 137, JSON.stringify(e));
    assert.ok(e.reason === 'OOMKilled' || e.reason === 'Error', JSON.stringify(e));
    assert.equal(rec.logText(s).includes('survived'), false);
    rec.unsubscribe();
  });

  it('release removes the ended container; releaseRun removes the rest of the run', async () => {
    const rec = new EventRecorder(rt);
    const s = spec({ script: 'echo bye' });
    await rt.start(s);
    await rec.exited(s);
    assert.notEqual(await box.te.engine.inspect(rt.containerName(s)), undefined);
    await rt.release(s);
    assert.equal(await box.te.engine.inspect(rt.containerName(s)), undefined);
    const running = spec({ script: 'sleep 600' });
    await rt.start(running);
    await assert.rejects(rt.release(running), /still running/);
    await assert.rejects(rt.releaseRun(box.runId), /still running/);
    await rt.kill(running, 'Canceled');
    assert.equal((await rec.exited(running)).reason, 'Canceled');
    await rt.releaseRun(box.runId);
    assert.deepEqual(await box.te.engine.list({ [LABELS.runId]: box.runId }), []);
    rec.unsubscribe();
  });
});
