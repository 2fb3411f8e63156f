// KONTROLER_TASK_USER: each attempt's command runs as an unprivileged user, so a task cannot read
// what the user running Kontroler can. These tests switch users, so they need root (as CI runs).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasCode } from '@kontroler/core';
import { resolveTaskUser, type LocalProcessRuntime, type TaskUser } from '@kontroler/runtime-local';
import { EventRecorder, attemptSpec as spec } from '@kontroler/testing';
import { sandbox, script, type Sandbox } from './helpers.js';

describe('LocalProcessRuntime with a task user', () => {
  let box: Sandbox;
  let rt: LocalProcessRuntime;
  let rec: EventRecorder;
  let nobody: TaskUser;
  let secret: string;

  before(async () => {
    assert.equal(process.getuid?.(), 0, 'these tests switch users and so must run as root (CI does)');
    nobody = resolveTaskUser('nobody', 0);
    box = await sandbox();
    rt = box.runtime({ taskUser: nobody });
    rec = new EventRecorder(rt);
    await mkdir(box.stateDir, { recursive: true, mode: 0o700 });
    secret = join(box.dir, 'secret');
    await writeFile(secret, 'the signing key\n', { mode: 0o600 });
  });
  after(() => box.cleanup());

  it('runs the command as that user, with its groups and home, without capabilities', async () => {
    const s = script('id -u; id -g; echo "home=$HOME user=$USER"; grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status');
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.exitCode, 0, rec.logText(s));
    const lines = rec.logText(s).split('\n');
    assert.equal(lines[1], String(nobody.uid));
    assert.equal(lines[2], String(nobody.gid));
    assert.equal(lines[3], `home=${nobody.home} user=${nobody.name}`);
    assert.match(rec.logText(s), /CapEff:\s+0+\n/);
    assert.match(rec.logText(s), /CapBnd:\s+0+\n/);
    assert.match(rec.logText(s), /NoNewPrivs:\s+1\n/);
  });

  it("cannot read the controller user's files; the exit status is still recorded", async () => {
    const s = spec({ command: ['cat'], args: [secret] });
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.exitCode, 1);
    assert.match(rec.logText(s), /Permission denied/);
    assert.doesNotMatch(rec.logText(s), /signing key/);
  });

  it('owns its workspace, reachable by its absolute path', async () => {
    const first = script('echo data > "$KONTROLER_WORKSPACE/out" && ls -ln "$KONTROLER_WORKSPACE/out"', { runId: 'ws-run', workspace: true });
    await rt.start(first);
    assert.equal((await rec.exited(first)).exitCode, 0, rec.logText(first));
    assert.match(rec.logText(first), new RegExp(` ${nobody.uid} +${nobody.gid} `));
    const second = script('cat out', { runId: 'ws-run', workspace: true });
    await rt.start(second);
    assert.equal((await rec.exited(second)).exitCode, 0, rec.logText(second));
    assert.equal(rec.logText(second).split('\n')[1], 'data');
  });

  it('is killed on cancel like any attempt', async () => {
    const s = script('echo up; exec sleep 600');
    await rt.start(s);
    await rec.logContains(s, 'up');
    await rt.kill(s, 'Canceled');
    const end = await rec.exited(s);
    assert.equal(end.reason, 'Canceled');
  });
});

describe('resolveTaskUser', () => {
  it('names the setting and what to do when it cannot be used', () => {
    assert.throws(() => resolveTaskUser('nobody', 1000), (e: unknown) => hasCode(e, 'UNAVAILABLE') && /needs Kontroler to run as root/.test(String(e)));
    assert.throws(() => resolveTaskUser('no-such-user-kontroler', 0), (e: unknown) => hasCode(e, 'VALIDATION_FAILED') && /KONTROLER_TASK_USER="no-such-user-kontroler": no such user/.test(String(e)));
    assert.throws(() => resolveTaskUser('root', 0), (e: unknown) => hasCode(e, 'VALIDATION_FAILED') && /that is root/.test(String(e)));
  });

  it('takes a numeric uid as well as a name', () => {
    const byId = resolveTaskUser('65534', 0);
    assert.equal(byId.uid, 65534);
    assert.equal(byId.name, resolveTaskUser('nobody', 0).name);
  });
});
