import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hasCode } from '@kontroler/core';
import type { LocalProcessRuntime } from '@kontroler/runtime-local';
import { EventRecorder, attemptSpec as spec } from '@kontroler/testing';
import { TICKER, sandbox, script, trackTickLatency, type Sandbox } from './helpers.js';

describe('LocalProcessRuntime: running attempts', () => {
  let box: Sandbox;
  let rt: LocalProcessRuntime;
  let rec: EventRecorder;

  before(async () => {
    box = await sandbox();
    rt = box.runtime();
    rec = new EventRecorder(rt);
  });
  after(() => box.cleanup());

  it('reports exit code 0 as Completed and 3 as Error', async () => {
    const ok = spec({ command: ['true'] });
    const bad = spec({ command: ['sh'], args: ['-c', 'exit 3'] });
    await Promise.all([rt.start(ok), rt.start(bad)]);
    const [okEnd, badEnd] = await Promise.all([rec.exited(ok), rec.exited(bad)]);
    assert.equal(okEnd.exitCode, 0);
    assert.equal(okEnd.reason, 'Completed');
    assert.equal(badEnd.exitCode, 3);
    assert.equal(badEnd.reason, 'Error');
    const started = await rec.started(ok);
    assert.match(started.handle, /^\d+$/);
  });

  it('passes command and args as argv, without shell interpretation', async () => {
    const s = spec({ command: ['printf'], args: ['[%s]', '$HOME', 'a b', '*', ';echo no', '`id`', '$(NOPE)'] });
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.exitCode, 0);
    const lines = rec.logText(s).split('\n');
    assert.equal(lines[1], '[$HOME][a b][*][;echo no][`id`][$(NOPE)]');
  });

  it('expands $(VAR) in args from the attempt variables, as Kubernetes does', async () => {
    const s = spec({ command: ['printf'], args: ['%s|', '$(GREETING)', '$$(GREETING)', '$(KONTROLER_TASK)'], env: { GREETING: 'hi there' } });
    await rt.start(s);
    await rec.exited(s);
    assert.equal(rec.logText(s).split('\n')[1], `hi there|$(GREETING)|${s.task}|`);
  });

  it('runs a script with /bin/sh and says first that the image is not used', async () => {
    const s = script('for i in 1 2 3; do printf "$i"; done | tr 123 abc\necho\nexit 0', { image: 'busybox:1.36' });
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.reason, 'Completed');
    const [banner, out] = rec.logText(s).split('\n');
    assert.match(banner ?? '', /^\[kontroler\] local runtime: image "busybox:1\.36" is not pulled; running its script with \/bin\/sh/);
    assert.equal(out, 'abc');
  });

  it('prefers the script over command and args', async () => {
    const s = script('echo from-script', { command: ['echo', 'from-command'] });
    await rt.start(s);
    await rec.exited(s);
    assert.equal(rec.logText(s).split('\n')[1], 'from-script');
  });

  it('gives the process its parameters, the KONTROLER_* variables and only a minimal inherited env', async () => {
    process.env.KONTROLER_TEST_SHOULD_NOT_LEAK = 'leak';
    const local = box.runtime();
    delete process.env.KONTROLER_TEST_SHOULD_NOT_LEAK;
    const r = new EventRecorder(local);
    const s = spec({ runId: 'run-env', command: ['env'], env: { DB_PASSWORD: 's3cret value', PATH: '/usr/bin:/bin' } });
    await local.start(s);
    assert.equal((await r.exited(s)).exitCode, 0);
    const log = r.logText(s);
    const env = new Map(log.split('\n').slice(1).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(env.get('DB_PASSWORD'), 's3cret value');
    assert.equal(env.get('PATH'), '/usr/bin:/bin');
    assert.equal(env.get('KONTROLER_RUN_ID'), 'run-env');
    assert.equal(env.get('KONTROLER_TASK'), s.task);
    assert.equal(env.get('KONTROLER_ATTEMPT'), '1');
    assert.equal(env.get('KONTROLER_DAG'), 'dag-1');
    assert.equal(env.get('KONTROLER_NAMESPACE'), 'default');
    assert.equal(env.get('KONTROLER_TEST_SHOULD_NOT_LEAK'), undefined);
    assert.equal(env.has('KONTROLER_WORKSPACE'), false);
    assert.ok(!log.split('\n')[0]?.includes('s3cret'), 'the banner never shows parameter values');
  });

  it('runs in a fresh folder per attempt, or in the run workspace shared by its tasks', async () => {
    const alone = spec({ runId: 'run-ws', command: ['pwd'] });
    const write = script('echo shared > data.txt; pwd; echo "$KONTROLER_WORKSPACE"', { runId: 'run-ws', workspace: true });
    await Promise.all([rt.start(alone), rt.start(write)]);
    await Promise.all([rec.exited(alone), rec.exited(write)]);
    const read = script('cat data.txt', { runId: 'run-ws', workspace: true });
    await rt.start(read);
    assert.equal((await rec.exited(read)).exitCode, 0);
    assert.equal(rec.logText(read).split('\n')[1], 'shared');
    const [, cwd, exported] = rec.logText(write).split('\n');
    assert.equal(cwd, join(box.stateDir, 'workspaces', 'run-ws'));
    assert.equal(exported, cwd);
    assert.equal(rec.logText(alone).split('\n')[1], join(box.stateDir, 'attempts', 'run-ws', alone.task, '1', 'work'));
  });

  it('streams the log while the process runs, in order, with byte offsets', async () => {
    const go = join(box.dir, 'go-stream');
    const s = script(`echo first; while [ ! -f '${go}' ]; do sleep 0.02; done; printf 'second\\nthird\\n'`);
    await rt.start(s);
    await rec.logContains(s, 'first\n');
    assert.equal(rec.count('exited', s), 0, 'the process is still waiting');
    await writeFile(go, '');
    const end = await rec.exited(s);
    assert.equal(end.reason, 'Completed');
    const text = rec.logText(s); // throws unless offsets are contiguous
    assert.match(text, /\nfirst\nsecond\nthird\n$/);
    const last = rec.logEvents(s).at(-1);
    assert.ok(last !== undefined && last.offset + last.data.byteLength === Buffer.byteLength(text));
    assert.ok(rec.events.indexOf(end) > rec.events.indexOf(last), 'the whole log comes before exited');
  });

  it('delivers output within moments of it being written, not at the next slow poll', async () => {
    const s = script(TICKER(10));
    const worst = trackTickLatency(rt, s);
    await rt.start(s);
    await rec.exited(s);
    assert.equal(rec.logText(s).match(/tick/g)?.length, 10);
    assert.ok(worst() < 400, `worst delivery delay ${worst()} ms`);
  });

  it('reports a command that cannot be found as an error exit, like a shell would', async () => {
    const s = spec({ command: ['kontroler-no-such-command'] });
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.exitCode, 127);
    assert.equal(end.reason, 'Error');
    assert.match(rec.logText(s), /kontroler-no-such-command/);
  });

  it('refuses an attempt with neither command nor script, saying what to do', async () => {
    const s = spec({ command: [], script: '  ' });
    await assert.rejects(rt.start(s), (e: unknown) => {
      assert.ok(hasCode(e, 'VALIDATION_FAILED'));
      assert.match((e as Error).message, /neither a command nor a script/);
      return true;
    });
    assert.deepEqual(await rt.adopt(s, 0), { state: 'unknown' }, 'nothing was created');
  });

  it('refuses a parameter that cannot be an environment variable, without showing its value', async () => {
    const s = spec({ command: ['true'], env: { 'BAD=NAME': 'top-secret-value' } });
    await assert.rejects(rt.start(s), (e: unknown) => {
      assert.ok(hasCode(e, 'VALIDATION_FAILED'));
      assert.match((e as Error).message, /BAD=NAME/);
      assert.doesNotMatch((e as Error).message, /top-secret-value/);
      return true;
    });
  });

  it('keeps odd run and task names apart on disk', async () => {
    const a = spec({ runId: '../evil', task: 'a/b', command: ['echo', 'one'] });
    const b = spec({ runId: '../evil', task: 'a_b', command: ['echo', 'two'] });
    await Promise.all([rt.start(a), rt.start(b)]);
    await Promise.all([rec.exited(a), rec.exited(b)]);
    assert.equal(rec.logText(a).split('\n')[1], 'one');
    assert.equal(rec.logText(b).split('\n')[1], 'two');
  });
});
