import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KontrolerError, createLog, jsonLogLine, maskUrlPasswords, parseLogFormat, runContextOf, textLogLine } from '@kontroler/core';

const at = new Date('2026-12-07T23:07:08.123Z');

test('parseLogFormat: text when unset or empty, json, anything else refused naming the setting and the allowed values', () => {
  assert.equal(parseLogFormat(undefined, 'KONTROLER_LOG_FORMAT'), 'text');
  assert.equal(parseLogFormat('', 'KONTROLER_LOG_FORMAT'), 'text');
  assert.equal(parseLogFormat('json', 'KONTROLER_LOG_FORMAT'), 'json');
  assert.equal(parseLogFormat('text', 'KONTROLER_LOG_FORMAT'), 'text');
  assert.throws(() => parseLogFormat('JSON', 'KONTROLER_LOG_FORMAT'), /^Error: KONTROLER_LOG_FORMAT must be text or json, got "JSON"$/);
  assert.throws(() => parseLogFormat('logfmt', '--log-format'), /--log-format must be text or json, got "logfmt"/);
});

test('runContextOf: the run, task and attempt of a message in the house form, nothing otherwise', () => {
  assert.deepEqual(runContextOf('run 12: build#3 could not start: no image'), { runId: 12, task: 'build', attempt: 3 });
  assert.deepEqual(runContextOf('run 7: size[2]#1 exited with code 1 (Error)'), { runId: 7, task: 'size[2]', attempt: 1 });
  assert.deepEqual(runContextOf('run 12: lease lost, leaving it to its new owner'), { runId: 12 });
  assert.deepEqual(runContextOf('claiming runs failed'), {});
  assert.deepEqual(runContextOf('a run 12: build#3 in the middle'), {});
});

test('maskUrlPasswords: the password of a connection string is masked, the rest kept', () => {
  assert.equal(maskUrlPasswords('connect postgres://app:s3cr%40t@db:5432/k failed'), 'connect postgres://app:***@db:5432/k failed');
  assert.equal(maskUrlPasswords('see https://example.com/a:b@c and user@example.com'), 'see https://example.com/a:b@c and user@example.com');
});

test('jsonLogLine: time (RFC 3339 ms), level, component, msg, run fields from the message or given, error with code and message', () => {
  const line = jsonLogLine({ time: at, level: 'warn', component: 'controller', msg: 'run 5: boom#2 not started: refused', err: new KontrolerError('INVALID_STATE', 'postgres://a:pw@h/db gone') });
  assert.deepEqual(JSON.parse(line), {
    time: '2026-12-07T23:07:08.123Z',
    level: 'warn',
    component: 'controller',
    msg: 'run 5: boom#2 not started: refused',
    runId: 5,
    task: 'boom',
    attempt: 2,
    error: { code: 'INVALID_STATE', message: 'postgres://a:***@h/db gone' },
  });
  const given = JSON.parse(jsonLogLine({ time: at, level: 'info', component: 'server', msg: 'hello', fields: { runId: 9, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' } })) as Record<string, unknown>;
  assert.deepEqual(given, { time: '2026-12-07T23:07:08.123Z', level: 'info', component: 'server', msg: 'hello', runId: 9, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
  assert.ok(!line.includes('\n'));
  assert.ok(!jsonLogLine({ time: at, level: 'info', component: 'c', msg: 'two\nlines' }).includes('\n'), 'one line, whatever the message');
});

test('textLogLine: the text as before, `[component] msg: error message`', () => {
  assert.equal(textLogLine({ time: at, level: 'error', component: 'controller', msg: 'claiming runs failed', err: new Error('boom') }), '[controller] claiming runs failed: boom');
  assert.equal(textLogLine({ time: at, level: 'info', component: 'server', msg: 'up' }), '[server] up');
});

test('createLog: info to out, warnings and errors to err, in the format asked for', () => {
  const out: string[] = [];
  const err: string[] = [];
  const log = createLog({ component: 'controller', format: 'json', sink: { out: (l) => out.push(l), err: (l) => err.push(l) }, now: () => at });
  log.info('run 1: a#1 exited with code 1 (Error)');
  log.warn('careful');
  log.error('failed', new Error('x'), { runId: 3 });
  assert.equal(out.length, 1);
  assert.equal(err.length, 2);
  assert.deepEqual(JSON.parse(err[1]!), { time: at.toISOString(), level: 'error', component: 'controller', msg: 'failed', runId: 3, error: { message: 'x' } });
});
