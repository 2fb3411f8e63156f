// Outputs through the termination message, without Kubernetes: the wrapper run by a real /bin/sh
// (its message parsed back, for any values), the parser's refusals, and the pod's shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DATA_FLOW_LIMITS } from '@kontroler/core';
import { MESSAGE_HEADER, OUTPUTS_ANNOTATION, OUTPUTS_DIR, buildPod, checkPodOutputs, declaredOutputs, outputsWrapper, parseOutputs } from '@kontroler/runtime-kube';
import { attempt } from './helpers.js';

const LIMIT = DATA_FLOW_LIMITS.maxTerminationMessageBytes;

/** Runs `command` under the wrapper in a fresh folder; the values are written first. Returns the exit code and the message. */
function runWrapped(names: string[], values: Record<string, string | Buffer>, command: string[]): { code: number | null; message: string } {
  const root = mkdtempSync(join(tmpdir(), 'kontroler-outputs-'));
  try {
    const dir = join(root, 'outputs');
    mkdirSync(dir);
    for (const [n, v] of Object.entries(values)) writeFileSync(join(dir, n), v);
    const message = join(root, 'termination-log');
    writeFileSync(message, '');
    const r = spawnSync('/bin/sh', ['-c', outputsWrapper(names, { dir, message }), 'kontroler-outputs', ...command], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DIR: dir } });
    return { code: r.status, message: readFileSync(message, 'utf8') };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the wrapper keeps the exit code and packs what the task wrote; the parser gives back exactly the declared values, one trailing newline less', () => {
  const r = runWrapped(['rows', 'count', 'absent'], {}, ['sh', '-c', 'printf "a\\nb\\n" > "$DIR/rows"; echo 3 > "$DIR/count"; echo 0 > "$DIR/undeclared"; exit 0']);
  assert.equal(r.code, 0);
  assert.equal(r.message, `${MESSAGE_HEADER}\nrows 4\na\nb\ncount 2\n3\n`);
  assert.deepEqual(parseOutputs('list', r.message, ['rows', 'count', 'absent']), { outputs: { rows: 'a\nb', count: '3' } });
  assert.deepEqual(parseOutputs('list', r.message, ['count']), { outputs: { count: '3' } }, 'only declared names');

  const failed = runWrapped(['x'], { x: 'v' }, ['sh', '-c', 'exit 7']);
  assert.equal(failed.code, 7, 'the command’s exit code, not the wrapper’s');
  assert.equal(runWrapped(['x'], {}, ['sh', '-c', 'kill -TERM $$']).code, 143, 'a signal exit code too');
});

test('an output named __proto__ comes back as a key, not as the prototype (the round trip below once found it)', () => {
  const r = runWrapped(['__proto__', 'constructor'], Object.fromEntries([['__proto__', 'a'], ['constructor', 'b']]), ['true']);
  const parsed = parseOutputs('t', r.message, ['__proto__', 'constructor']);
  assert.ok('outputs' in parsed && parsed.outputs !== undefined);
  assert.deepEqual(Object.entries(parsed.outputs), [['__proto__', 'a'], ['constructor', 'b']]);
});

test('round trip: any UTF-8 values that fit come back as written (less one trailing newline)', () => {
  const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(name, fc.option(fc.string({ unit: 'grapheme', maxLength: 300 }), { nil: undefined })), { selector: ([n]) => n, maxLength: 6 }), (entries) => {
      const names = entries.map(([n]) => n);
      const values = Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as Record<string, string>;
      const r = runWrapped(names, values, ['true']);
      const expected = Object.fromEntries(Object.entries(values).map(([n, v]) => [n, v.endsWith('\n') ? v.slice(0, -1) : v]));
      assert.deepEqual(parseOutputs('t', r.message, names), names.length === 0 ? {} : { outputs: expected });
    }),
    { numRuns: 40 },
  );
});

test('values that together do not fit in 4096 bytes are refused naming the output that does not fit; the message stays under the limit', () => {
  const r = runWrapped(['small', 'big', 'after'], { small: 'ok', big: 'x'.repeat(4060), after: 'y' }, ['true']);
  assert.ok(Buffer.byteLength(r.message) <= LIMIT);
  assert.equal(r.message, `${MESSAGE_HEADER}\nbig 4060\n`);
  const read = parseOutputs('list', r.message, ['small', 'big', 'after']);
  assert.equal(read.outputs, undefined, 'no outputs at all once one is refused');
  assert.equal(
    read.outputError,
    'OutputTooLarge: output "big" of task list is 4060 bytes and does not fit, with the task\'s other outputs, in the 4096-byte Kubernetes termination message that carries them; write less, or pass a file through the workspace',
  );

  // At the limit exactly: it fits.
  const room = LIMIT - `${MESSAGE_HEADER}\n`.length - 'v 4068\n'.length;
  assert.equal(room, 4068);
  const exact = runWrapped(['v'], { v: 'z'.repeat(room) }, ['true']);
  assert.equal(Buffer.byteLength(exact.message), LIMIT);
  assert.equal(parseOutputs('t', exact.message, ['v']).outputs?.v?.length, room);
  assert.match(parseOutputs('t', runWrapped(['v'], { v: 'z'.repeat(room + 1) }, ['true']).message, ['v']).outputError ?? '', /^OutputTooLarge: output "v" of task t/);
});

test('the parser refuses what the wrapper did not write, values cut by a kubelet, non-files, and messages over the limit', () => {
  assert.deepEqual(parseOutputs('t', undefined, []), {}, 'no declared outputs: nothing to read');
  assert.match(parseOutputs('t', undefined, ['a']).outputError ?? '', /^OutputError: the termination message of task t does not hold its outputs \(it is empty\): the image needs \/bin\/sh/);
  assert.match(parseOutputs('t', 'written by the task', ['a']).outputError ?? '', /does not start with kontroler-outputs\/v1/);
  assert.match(parseOutputs('t', `${MESSAGE_HEADER}\nrows 10\nabc`, ['rows']).outputError ?? '', /^OutputTooLarge: output "rows" of task t is 10 bytes .* 4096-byte Kubernetes termination message/);
  assert.match(parseOutputs('t', `${MESSAGE_HEADER}\ngarbage\n`, ['rows']).outputError ?? '', /^OutputError: .* not in the form its outputs wrapper writes \(at byte 21\)$/);
  assert.match(parseOutputs('t', `${MESSAGE_HEADER}\nrows 3\n\uFFFDbad\n`, ['rows']).outputError ?? '', /not UTF-8 text/);
  assert.equal(parseOutputs('t', `${MESSAGE_HEADER}\nrows -\n`, ['rows']).outputError, 'OutputError: output "rows" of task t is not a regular file; write the value to a regular file');
  assert.deepEqual(parseOutputs('t', `${MESSAGE_HEADER}\nother -\n`, ['rows']), { outputs: {} }, 'an undeclared non-file is nobody’s business');
  assert.match(parseOutputs('t', `${MESSAGE_HEADER}\nrows 4100\n${'r'.repeat(4100)}`, ['rows']).outputError ?? '', /^OutputTooLarge: the outputs of task t \(rows\) take 4131 bytes, over the 4096-byte Kubernetes termination message/);

  const dirValue = runWrapped(['d'], {}, ['sh', '-c', 'mkdir "$DIR/d"']);
  assert.equal(dirValue.message, `${MESSAGE_HEADER}\nd -\n`);
});

test('buildPod with outputs: the outputs folder, the wrapped command (script or command + args, `$` escaped), the annotation; entrypoint-only tasks are refused', () => {
  const withCommand = buildPod(attempt('d', '1', 'list', 1, '', { command: ['sh', '-c'], args: ['echo $(P) > $KONTROLER_OUTPUTS/rows'], outputs: ['rows', 'count'] }));
  const main = withCommand.spec?.containers[0];
  assert.deepEqual(main?.command?.slice(0, 2), ['/bin/sh', '-c']);
  assert.deepEqual(main?.command?.slice(3), ['kontroler-outputs', 'sh', '-c', 'echo $(P) > $KONTROLER_OUTPUTS/rows'], 'the task’s command and args as they were, after the wrapper');
  assert.equal(main?.args, undefined);
  assert.ok(!/\$[^$]/.test((main?.command?.[2] ?? '').replace(/\$\$/g, '')), 'every `$` of the wrapper is escaped from Kubernetes expansion');
  assert.equal(main?.terminationMessagePath, '/dev/termination-log');
  assert.equal(main?.terminationMessagePolicy, 'File');
  assert.equal(main?.env?.find((e) => e.name === 'KONTROLER_OUTPUTS')?.value, OUTPUTS_DIR);
  assert.ok(main?.volumeMounts?.some((m) => m.mountPath === OUTPUTS_DIR));
  assert.equal(withCommand.metadata?.annotations?.[OUTPUTS_ANNOTATION], '["rows","count"]');
  assert.deepEqual(declaredOutputs(withCommand), ['rows', 'count']);

  const script = buildPod(attempt('d', '1', 'list', 1, 'echo 1 > $KONTROLER_OUTPUTS/rows', { outputs: ['rows'] }));
  assert.deepEqual(script.spec?.containers[0]?.command?.slice(3), ['kontroler-outputs', '/bin/sh', '/kontroler/script/task.sh']);

  const none = buildPod(attempt('d', '1', 'plain', 1, '', { command: ['echo'], args: ['hi'] }));
  assert.deepEqual(none.spec?.containers[0]?.command, ['echo'], 'no outputs: the command is not wrapped');
  assert.equal(none.metadata?.annotations?.[OUTPUTS_ANNOTATION], undefined);
  assert.deepEqual(declaredOutputs(none), []);

  const entrypoint = attempt('d', '1', 'extract', 1, '', { outputs: ['rows'] });
  assert.throws(() => checkPodOutputs(entrypoint), (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED' && /task extract declares outputs \(rows\) but sets neither command nor script/.test(e.message));
  assert.throws(() => buildPod(entrypoint), /give the task a command/);
});
