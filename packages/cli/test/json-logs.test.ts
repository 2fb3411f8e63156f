// KONTROLER_LOG_FORMAT=json: a real `kontroler up` (embedded PostgreSQL, controller, server)
// through a run whose task fails; every line it prints is one JSON object with the fields.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, start, type Proc } from './proc.js';
import { cleanEnv, freePort } from './security/instance.js';

const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let dir: string;
let env: NodeJS.ProcessEnv;
let up: Proc;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kontroler-json-logs-'));
  const dags = join(dir, 'dags');
  mkdirSync(dags);
  writeFileSync(
    join(dags, 'fails.yaml'),
    'apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: fails}\nspec:\n  task:\n    - name: boom\n      image: alpine\n      backoff: {limit: 1}\n      script: "echo about to fail; exit 7"\n',
  );
  // Node's own warnings must come out as JSON too: this one is emitted when the test asks (SIGUSR2).
  const preload = join(dir, 'warn-on-usr2.cjs');
  writeFileSync(preload, "process.on('SIGUSR2', () => process.emitWarning('asked for by the test', 'TestWarning'));\n");
  env = cleanEnv({ NODE_OPTIONS: `--require ${preload}`, KONTROLER_DATA_DIR: join(dir, 'data'), KONTROLER_CONFIG: join(dir, 'cli-config.json'), KONTROLER_LOG_FORMAT: 'json', KONTROLER_ADMIN_PASSWORD: 'json-logs-admin-password-1' });
  up = start(['up', '--dags', dags, '--port', String(await freePort())], env);
  await up.waitFor(/"msg":"Kontroler is up/, 120_000);
  await up.waitFor(/DAG default\/fails: loaded version 1/);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function parsedLines(out: string): Array<Record<string, unknown>> {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        assert.fail(`not a JSON line: ${l}`);
      }
    });
}

test('every line of `kontroler up` is JSON with time, level, component and msg; the failing task\'s lines carry runId, task and attempt', async () => {
  const r = await run(['run', 'fails', '--wait'], { ...env, KONTROLER_LOG_FORMAT: undefined, NODE_OPTIONS: undefined });
  assert.equal(r.code, 2, r.out);
  const runId = Number(/run (\d+) failed/.exec(r.out)?.[1]);
  assert.ok(runId > 0, r.out);
  await up.waitFor(new RegExp(`"runId":${runId},"task":"boom","attempt":2`));
  process.kill(up.child.pid!, 'SIGUSR2');
  await up.waitFor(/"level":"warn","component":"cli","msg":"TestWarning: asked for by the test"/);
  up.signal('SIGINT');
  assert.equal(await up.exited, 0, up.output());

  const lines = parsedLines(up.output());
  for (const l of lines) {
    assert.match(String(l.time), RFC3339_MS, JSON.stringify(l));
    assert.ok(['info', 'warn', 'error'].includes(String(l.level)), JSON.stringify(l));
    assert.equal(typeof l.component, 'string', JSON.stringify(l));
    assert.equal(typeof l.msg, 'string', JSON.stringify(l));
    assert.equal(l.traceId, undefined, 'no trace context, no trace id');
  }
  const exits = lines.filter((l) => l.runId === runId && l.task === 'boom');
  assert.deepEqual(exits.map((l) => l.attempt), [1, 2], JSON.stringify(exits));
  for (const l of exits) assert.match(String(l.msg), /boom#\d exited with code 7/);
  assert.ok(lines.some((l) => l.component === 'controller' && l.msg === 'stopped'));
  assert.ok(!up.output().includes('json-logs-admin-password-1'), 'the admin password given is never logged');
});

test('a process that cannot start says why in one JSON line', async () => {
  const r = await run(['controller', '--log-format', 'json'], cleanEnv({ KONTROLER_DATA_DIR: join(dir, 'c-data') }));
  assert.equal(r.code, 1, r.out);
  const lines = parsedLines(r.out);
  assert.equal(lines.length, 1, r.out);
  assert.equal(lines[0]!.level, 'error');
  assert.equal(lines[0]!.component, 'cli');
  assert.match(String(lines[0]!.msg), /kontroler controller failed: kontroler controller needs DATABASE_URL/);
  assert.match(String((lines[0]!.error as { message: string }).message), /needs DATABASE_URL/);
});

test('a bad log format is refused, naming the setting and the allowed values', async () => {
  const bad = await run(['up'], cleanEnv({ KONTROLER_DATA_DIR: join(dir, 'bad-data'), KONTROLER_LOG_FORMAT: 'xml' }));
  assert.equal(bad.code, 1, bad.out);
  assert.match(bad.out, /KONTROLER_LOG_FORMAT must be text or json, got "xml"/);
  const flag = await run(['server', '--log-format', 'yaml'], cleanEnv({}));
  assert.equal(flag.code, 1, flag.out);
  assert.match(flag.out, /--log-format must be text or json, got "yaml"/);
});
