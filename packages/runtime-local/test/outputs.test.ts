// Task outputs on the local runtime: `$KONTROLER_OUTPUTS/<name>` read when the attempt exits,
// bounded, regular files only, and found again by a runtime that adopts an attempt that ended.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { DATA_FLOW_LIMITS } from '@kontroler/core';
import type { LocalProcessRuntime } from '@kontroler/runtime-local';
import { EventRecorder, attemptSpec as spec } from '@kontroler/testing';
import { sandbox, script, type Sandbox } from './helpers.js';

describe('LocalProcessRuntime: outputs', () => {
  let box: Sandbox;
  let rt: LocalProcessRuntime;
  let rec: EventRecorder;

  before(async () => {
    box = await sandbox();
    rt = box.runtime();
    rec = new EventRecorder(rt);
  });
  after(() => box.cleanup());

  it('reads the declared outputs, one trailing newline stripped; a missing one is no value; undeclared files are ignored', async () => {
    const s = script('echo 3 > "$KONTROLER_OUTPUTS/n"; printf "a\\nb\\n\\n" > "$KONTROLER_OUTPUTS/text"; echo x > "$KONTROLER_OUTPUTS/other"', { outputs: ['n', 'text', 'missing'] });
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.exitCode, 0);
    assert.deepEqual(end.outputs, { n: '3', text: 'a\nb\n' });
    assert.equal(end.outputError, undefined);
  });

  it('gives every attempt a private outputs folder, also without declared outputs', async () => {
    const s = script('echo "$KONTROLER_OUTPUTS"; test -d "$KONTROLER_OUTPUTS" && stat -c %a "$KONTROLER_OUTPUTS"');
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.exitCode, 0, rec.logText(s));
    const lines = rec.logText(s).trim().split('\n');
    const folder = lines.find((l) => l.endsWith('/outputs'));
    assert.equal(lines[lines.length - 1], '700');
    assert.ok(folder && (await stat(folder)).isDirectory());
    assert.equal(end.outputs, undefined);
  });

  it('refuses a value over the limit, naming the output and the limit', async () => {
    const size = DATA_FLOW_LIMITS.maxOutputBytes + 1;
    const s = script(`head -c ${size} /dev/zero | tr '\\0' a > "$KONTROLER_OUTPUTS/big"; echo ok > "$KONTROLER_OUTPUTS/small"`, { outputs: ['small', 'big'] });
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.exitCode, 0);
    assert.equal(end.outputError, `OutputTooLarge: output "big" is ${size} bytes; the limit is ${DATA_FLOW_LIMITS.maxOutputBytes} bytes`);
    assert.equal(end.outputs, undefined);
  });

  it('takes a value of exactly the limit', async () => {
    const size = DATA_FLOW_LIMITS.maxOutputBytes;
    const s = script(`head -c ${size} /dev/zero | tr '\\0' a > "$KONTROLER_OUTPUTS/big"`, { outputs: ['big'] });
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.outputs?.big?.length, size);
  });

  it('refuses a symbolic link (it could point at any file of the user running Kontroler) and a folder', async () => {
    const link = script('ln -s /etc/passwd "$KONTROLER_OUTPUTS/v"', { outputs: ['v'] });
    const dir = script('mkdir "$KONTROLER_OUTPUTS/v"', { outputs: ['v'] });
    await Promise.all([rt.start(link), rt.start(dir)]);
    const [a, b] = await Promise.all([rec.exited(link), rec.exited(dir)]);
    assert.equal(a.outputError, 'OutputError: output "v" is a symbolic link; write the value to a regular file');
    assert.equal(b.outputError, 'OutputError: output "v" is not a regular file; write the value to a regular file');
  });

  it('does not read the outputs of a failed attempt', async () => {
    const s = script('echo 1 > "$KONTROLER_OUTPUTS/n"; exit 4', { outputs: ['n'] });
    await rt.start(s);
    const end = await rec.exited(s);
    assert.equal(end.exitCode, 4);
    assert.equal(end.outputs, undefined);
  });

  it('a runtime adopting an attempt that ended while none was watching reports its outputs', async () => {
    const s = spec({ runId: 'adopt-outputs', script: 'echo 42 > "$KONTROLER_OUTPUTS/answer"', outputs: ['answer'] });
    await rt.start(s);
    await rec.exited(s);
    // A new runtime on the same state folder (a restarted controller) adopts it.
    const again = box.runtime();
    const rec2 = new EventRecorder(again);
    const seen = await again.adopt(s, 0);
    assert.equal(seen.state, 'exited');
    const end = await rec2.exited(s);
    assert.deepEqual(end.outputs, { answer: '42' });
  });
});
