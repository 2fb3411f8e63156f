// The CLI's remote commands end to end: a child process talking HTTP to a running server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ADMIN_PASSWORD, kontroler, startRemoteEnv, type RemoteEnv } from './remote-env.js';

let env: RemoteEnv;
before(async () => {
  env = await startRemoteEnv();
});
after(async () => env.close());

const DAG = (name: string, tasks: string[]) => `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: ${name}
spec:
  parameters:
    - name: MSG
      defaultValue: hello
  task:
${tasks.map((t, i) => `    - name: ${t}\n      image: alpine\n      command: ["true"]\n      parameters: ["MSG"]\n${i > 0 ? `      runAfter: ["${tasks[i - 1]}"]\n` : ''}`).join('')}`;

describe('kontroler remote commands', () => {
  test('login stores a token (0600) and whoami uses it; bad password fails with exit 1', async () => {
    const bad = await kontroler(env, ['login', '--server', env.url, '-u', 'admin'], { KONTROLER_PASSWORD: 'wrong' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /UNAUTHENTICATED/);
    const ok = await kontroler(env, ['login', '--server', env.url, '-u', 'admin', '--password-stdin'], {}, `${ADMIN_PASSWORD}\n`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(statSync(env.configFile).mode & 0o777, 0o600);
    const cfg = JSON.parse(readFileSync(env.configFile, 'utf8')) as { current: string; servers: Record<string, { token: string }> };
    assert.equal(cfg.current, env.url);
    assert.match(cfg.servers[env.url]!.token, /^kt_/);
    const me = await kontroler(env, ['whoami']);
    assert.equal(me.code, 0, me.stderr);
    assert.match(me.stdout, /admin\s+token/);
  });

  test('apply -f DIR with YAML (several documents) and DSL; errors point at file:line', async () => {
    const dir = join(env.dir, 'dags');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pipeline.yaml'), `${DAG('pipeline', ['one', 'two'])}---\n${DAG('failing', ['ok', 'fail-here'])}`);
    writeFileSync(join(dir, 'graph.kdag'), 'graph { a -> b }\ntask a { image "alpine" command ["true"] }\ntask b { image "alpine" command ["true"] }\n');
    const r = await kontroler(env, ['apply', '-f', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dag\/pipeline created/);
    assert.match(r.stdout, /dag\/failing created/);
    assert.match(r.stdout, /dag\/graph created/);
    const again = await kontroler(env, ['apply', '-f', join(dir, 'pipeline.yaml')]);
    assert.match(again.stdout, /dag\/pipeline unchanged/);
    const bad = join(env.dir, 'bad.yaml');
    writeFileSync(bad, `${DAG('good-one', ['x'])}---\n${DAG('bad-one', ['x']).replace('image: alpine', 'imag: alpine')}`);
    const b = await kontroler(env, ['apply', '-f', bad]);
    assert.equal(b.code, 1);
    assert.match(b.stdout, /dag\/good-one created/);
    assert.match(b.stderr, new RegExp(`${bad.replace(/[/.]/g, '\\$&')}:2[0-9]:\\d+: spec\\.task\\[0\\]`), b.stderr);
    const list = await kontroler(env, ['get', 'dags', '-o', 'json']);
    const names = (JSON.parse(list.stdout) as { items: Array<{ name: string }> }).items.map((d) => d.name);
    assert.deepEqual(names.sort(), ['failing', 'good-one', 'graph', 'pipeline']);
    const table = await kontroler(env, ['get', 'dags']);
    assert.match(table.stdout, /NAMESPACE\s+NAME\s+VERSION/);
  });

  test('run --wait shows progress and exits with the outcome; describe and logs show it', async () => {
    const ok = await kontroler(env, ['run', 'pipeline', '--param', 'MSG=howdy', '--wait']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /succeeded — 2\/2 succeeded/);
    const id = /started run (\d+)/.exec(ok.stderr)![1]!;
    const d = await kontroler(env, ['describe', 'run', id]);
    assert.match(d.stdout, /Status:\s+succeeded/);
    assert.match(d.stdout, /two\s+succeeded\s+1\s+0/);
    assert.match(d.stdout, /\n\nTASK +STATUS/, 'a blank line before the table');
    assert.ok(d.stdout.endsWith('\n') && !d.stdout.endsWith('\n\n'), 'the table ends with one newline');
    const logs = await kontroler(env, ['logs', id, 'one']);
    assert.equal(logs.stdout, 'one says howdy\n');
    const follow = await kontroler(env, ['logs', id, 'two', '-f']);
    assert.equal(follow.stdout, 'two says howdy\n');
    assert.match(follow.stderr, /attempt 1 succeeded \(exit code 0\)/);
    const failed = await kontroler(env, ['run', 'failing', '--wait']);
    assert.equal(failed.code, 2);
    const unknown = await kontroler(env, ['run', 'pipeline', '--param', 'NOPE=1']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /UNKNOWN_PARAMETER.*NOPE/);
    const runs = await kontroler(env, ['get', 'runs', '--dag', 'pipeline', '-o', 'yaml']);
    assert.equal((parse(runs.stdout) as { items: unknown[] }).items.length, 1);
  });

  test('cancel and retry', async () => {
    const r = await kontroler(env, ['apply', '-f', (() => { const f = join(env.dir, 'forever.yaml'); writeFileSync(f, DAG('forever', ['spin'])); return f; })()]);
    assert.equal(r.code, 0, r.stderr);
    const started = await kontroler(env, ['run', 'forever', '-o', 'json']);
    const id = String((JSON.parse(started.stdout) as { id: number }).id);
    // run-status -w prints the run again at each change until it ends; the server pushes them.
    const watching = kontroler(env, ['run-status', id, '-w']);
    const c = await kontroler(env, ['cancel', id, '--wait']);
    assert.equal(c.code, 3, c.stderr);
    const watched = await watching;
    assert.equal(watched.code, 3, watched.stderr);
    assert.match(watched.stdout, /canceled/);
    const metrics = await (await fetch(`${env.url}/metrics`)).text();
    assert.match(metrics, /kontroler_event_streams_total\{stream="run"\} [1-9]/, 'run --wait and run-status -w were told by the change stream');
    const retry = await kontroler(env, ['retry', id]);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /retry requested/);
    await kontroler(env, ['cancel', id, '--wait']);
  });

  test('retry-task and mark: one task of a failed run run again, then marked succeeded; refusals name the state', async () => {
    const started = await kontroler(env, ['run', 'failing', '-o', 'json', '--wait']);
    assert.equal(started.code, 2, started.stderr);
    const id = String((JSON.parse(started.stdout) as { id: number }).id);
    const retried = await kontroler(env, ['retry-task', id, 'fail-here', '--wait']);
    assert.equal(retried.code, 2, retried.stderr);
    assert.match(retried.stdout, new RegExp(`run ${id}: retry of fail-here requested`));
    const cfg = JSON.parse(readFileSync(env.configFile, 'utf8')) as { servers: Record<string, { token: string }> };
    const task = (await (await fetch(`${env.url}/api/v1/runs/${id}/tasks/fail-here`, { headers: { authorization: `Bearer ${cfg.servers[env.url]!.token}` } })).json()) as { attempts: unknown[] };
    assert.equal(task.attempts.length, 2, '--wait waited for the retry to end');
    const bad = await kontroler(env, ['mark', id, 'fail-here', 'skipped']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /use succeeded or failed/);
    const same = await kontroler(env, ['mark', id, 'ok', 'succeeded']);
    assert.equal(same.code, 1);
    assert.match(same.stderr, /INVALID_STATE.*task ok is already succeeded/);
    const marked = await kontroler(env, ['mark', id, 'fail-here', 'succeeded', '--wait']);
    assert.equal(marked.code, 0, marked.stderr);
    assert.match(marked.stdout, /fail-here marked succeeded/);
  });

  test('tokens create / list / revoke, and use with --token', async () => {
    const c = await kontroler(env, ['tokens', 'create', 'ci', '--role', 'viewer', '--namespace', 'default', '--expires-in-days', '7']);
    assert.equal(c.code, 0, c.stderr);
    const token = c.stdout.trim();
    assert.match(token, /^kt_/);
    const viaToken = await kontroler(env, ['get', 'runs', '--token', token, '--server', env.url]);
    assert.equal(viaToken.code, 0, viaToken.stderr);
    const denied = await kontroler(env, ['run', 'pipeline', '--token', token]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /FORBIDDEN/);
    const list = await kontroler(env, ['tokens', 'list', '-o', 'json']);
    const ci = (JSON.parse(list.stdout) as { items: Array<{ id: number; name: string }> }).items.find((t) => t.name === 'ci')!;
    assert.equal((await kontroler(env, ['tokens', 'revoke', String(ci.id)])).code, 0);
    const after = await kontroler(env, ['get', 'runs', '--token', token]);
    assert.equal(after.code, 1);
    assert.match(after.stderr, /UNAUTHENTICATED/);
  });

  test('users create / set-roles / disable / delete', async () => {
    const c = await kontroler(env, ['users', 'create', 'frank', '--role', 'default=viewer'], { KONTROLER_NEW_PASSWORD: 'frank-pass-1' });
    assert.equal(c.code, 0, c.stderr);
    const roles = await kontroler(env, ['users', 'set-roles', 'frank', 'default=editor', 'ops=viewer']);
    assert.match(roles.stdout, /default=editor, ops=viewer/);
    const list = await kontroler(env, ['users', 'list']);
    assert.match(list.stdout, /frank\s+default=editor,ops=viewer\s+false/);
    assert.equal((await kontroler(env, ['users', 'disable', 'frank'])).code, 0);
    assert.equal((await kontroler(env, ['users', 'delete', 'frank'])).code, 0);
  });

  test('logout revokes the stored token', async () => {
    const before = JSON.parse(readFileSync(env.configFile, 'utf8')) as { servers: Record<string, { token: string }> };
    const token = before.servers[env.url]!.token;
    assert.equal((await kontroler(env, ['logout'])).code, 0);
    const me = await kontroler(env, ['whoami']);
    assert.equal(me.code, 1);
    assert.match(me.stderr, /not logged in/);
    const old = await kontroler(env, ['whoami', '--token', token]);
    assert.equal(old.code, 1);
    assert.match(old.stderr, /UNAUTHENTICATED/);
  });
});
