// Every route's happy path over real HTTP, with a real controller driving runs to completion.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Controller, envSecretResolver, silentLog } from '@kontroler/controller';
import { signTrigger, signedTriggerHeaders } from '@kontroler/server';
import { getRun } from '@kontroler/store';
import { FakeRuntime } from '@kontroler/testing';
import { ADMIN_PASSWORD, DAG_YAML, call, login, startHarness, type Harness } from './harness.js';

let h: Harness;
let token: string;
let rt: FakeRuntime;
let controller: Controller;

before(async () => {
  h = await startHarness();
  token = await login(h.url, 'admin', ADMIN_PASSWORD);
  rt = new FakeRuntime((spec) => {
    if (spec.dagName === 'slow') return { output: 'starting\n' }; // the test drives it
    if (spec.task === 'first' && spec.env.GREETING === 'fail') return { output: 'boom\n', exitCode: 3 };
    return { output: `hello from ${spec.task}: ${spec.env.GREETING ?? ''}\n`, exitCode: 0 };
  });
  controller = new Controller({ pool: h.db.pool, databaseUrl: h.db.url, runtime: rt, id: 'api-test', log: silentLog, secrets: envSecretResolver({}), pollMs: 200 });
  await controller.start();
});
after(async () => {
  await controller.stop();
  await h.close();
});

function ended(runId: number): Promise<void> {
  return new Promise((resolve) => {
    const off = controller.onRunEnded((id) => {
      if (id === runId) {
        off();
        resolve();
      }
    });
    // It may have ended before we subscribed.
    void getRun(h.db.pool, runId).then((r) => {
      if (r && ['succeeded', 'failed', 'canceled'].includes(r.status)) {
        off();
        resolve();
      }
    });
  });
}

describe('DAGs', () => {
  test('create from YAML (201), update is a new version (200), unchanged is the same version', async () => {
    const c = await call<{ version: number; created: boolean }>(h.url, 'POST', '/api/v1/namespaces/team/dags', { token, raw: DAG_YAML('etl') });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.version, 1);
    const same = await call<{ version: number; created: boolean }>(h.url, 'PUT', '/api/v1/namespaces/team/dags/etl', { token, raw: DAG_YAML('etl') });
    assert.equal(same.status, 200);
    assert.deepEqual([same.body.version, same.body.created], [1, false]);
    const changed = await call<{ version: number }>(h.url, 'PUT', '/api/v1/namespaces/team/dags/etl', { token, raw: DAG_YAML('etl').replace('alpine:3.20', 'alpine:3.21') });
    assert.equal(changed.body.version, 2);
    const versions = await call<{ items: Array<{ version: number }> }>(h.url, 'GET', '/api/v1/namespaces/team/dags/etl/versions', { token });
    assert.deepEqual(versions.body.items.map((v) => v.version), [2, 1]);
    const v1 = await call<{ spec: { task: Array<{ image: string }> } }>(h.url, 'GET', '/api/v1/namespaces/team/dags/etl/versions/1', { token });
    assert.equal(v1.body.spec.task[0]?.image, 'alpine:3.20');
  });

  test('create from JSON and from the DSL', async () => {
    const json = JSON.stringify({
      apiVersion: 'kontroler.greedykomodo/v1alpha1',
      kind: 'DAG',
      metadata: { name: 'from-json', labels: { team: 'data' } },
      spec: { schedule: '0 3 * * *', task: [{ name: 'only', image: 'alpine', command: ['true'] }] },
    });
    const j = await call(h.url, 'POST', '/api/v1/namespaces/team/dags', { token, raw: json, contentType: 'application/json' });
    assert.equal(j.status, 201, j.text);
    const dsl = `schedule "*/5 * * * *"
graph { a -> b  a -> {c, d} }
task a { image "alpine" command ["true"] }
task b { image "alpine" command ["true"] }
task c { image "alpine" script """
  echo hi
""" }
task d { image "alpine" command ["false"] retry [1, 2] backoff 2 }
`;
    const noName = await call(h.url, 'POST', '/api/v1/namespaces/team/dags', { token, raw: dsl, contentType: 'text/x-kontroler-dsl' });
    assert.equal(noName.status, 400);
    const d = await call(h.url, 'POST', '/api/v1/namespaces/team/dags?name=from-dsl', { token, raw: dsl, contentType: 'text/x-kontroler-dsl' });
    assert.equal(d.status, 201, d.text);
    const got = await call<{ definition: { tasks: Array<{ name: string; runAfter: string[] }> }; schedule: string }>(h.url, 'GET', '/api/v1/namespaces/team/dags/from-dsl', { token });
    assert.equal(got.body.schedule, '*/5 * * * *');
    assert.deepEqual(got.body.definition.tasks.find((t) => t.name === 'c')?.runAfter, ['a']);
  });

  test('invalid specs answer 400 with field paths and lines; validate is a dry run', async () => {
    const bad = DAG_YAML('broken').replace('runAfter: ["first"]', 'runAfter: ["nope"]');
    const r = await call<{ code: string; details: Array<{ path: string; line?: number }> }>(h.url, 'POST', '/api/v1/namespaces/team/dags', { token, raw: bad });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'VALIDATION_FAILED');
    assert.ok(r.body.details.some((d) => d.path.includes('runAfter')), JSON.stringify(r.body.details));
    const typo = await call<{ details: Array<{ path: string; line?: number; message: string }> }>(h.url, 'POST', '/api/v1/namespaces/team/dags', { token, raw: DAG_YAML('typo').replace('image: alpine:3.20', 'imagee: alpine:3.20') });
    assert.equal(typo.status, 400);
    assert.ok(typo.body.details.some((d) => d.line !== undefined), JSON.stringify(typo.body.details));
    const v = await call<{ valid: boolean; errors: unknown[] }>(h.url, 'POST', '/api/v1/namespaces/team/dags/validate', { token, raw: bad });
    assert.equal(v.status, 200);
    assert.equal(v.body.valid, false);
    const ok = await call<{ valid: boolean; dryRun: boolean }>(h.url, 'POST', '/api/v1/namespaces/team/dags/validate', { token, raw: DAG_YAML('never-saved') });
    assert.deepEqual([ok.body.valid, ok.body.dryRun], [true, true]);
    assert.equal((await call(h.url, 'GET', '/api/v1/namespaces/team/dags/never-saved', { token })).status, 404);
    const wrongNs = await call(h.url, 'POST', '/api/v1/namespaces/team/dags', { token, raw: DAG_YAML('x').replace('name: x', 'name: x\n  namespace: other') });
    assert.equal(wrongNs.status, 400);
  });

  test('list with filters and cursor; suspend and resume; delete keeps history unless purged', async () => {
    for (const n of ['l1', 'l2', 'l3']) await call(h.url, 'POST', '/api/v1/namespaces/listing/dags', { token, raw: DAG_YAML(n) });
    const p1 = await call<{ items: Array<{ name: string }>; nextCursor?: string }>(h.url, 'GET', '/api/v1/namespaces/listing/dags?limit=2', { token });
    assert.deepEqual(p1.body.items.map((d) => d.name), ['l1', 'l2']);
    const p2 = await call<{ items: Array<{ name: string }>; nextCursor?: string }>(h.url, 'GET', `/api/v1/namespaces/listing/dags?limit=2&cursor=${p1.body.nextCursor}`, { token });
    assert.deepEqual(p2.body.items.map((d) => d.name), ['l3']);
    assert.equal(p2.body.nextCursor, undefined);
    const byLabel = await call<{ items: Array<{ name: string }> }>(h.url, 'GET', '/api/v1/namespaces/team/dags?label=team=data', { token });
    assert.deepEqual(byLabel.body.items.map((d) => d.name), ['from-json']);
    const scheduled = await call<{ items: Array<{ name: string }> }>(h.url, 'GET', '/api/v1/namespaces/team/dags?scheduled=true', { token });
    assert.deepEqual(scheduled.body.items.map((d) => d.name).sort(), ['from-dsl', 'from-json']);
    const s = await call<{ suspended: boolean }>(h.url, 'POST', '/api/v1/namespaces/listing/dags/l1/suspend', { token });
    assert.equal(s.body.suspended, true);
    const suspended = await call<{ items: Array<{ name: string }> }>(h.url, 'GET', '/api/v1/namespaces/listing/dags?suspended=true', { token });
    assert.deepEqual(suspended.body.items.map((d) => d.name), ['l1']);
    assert.equal((await call<{ suspended: boolean }>(h.url, 'POST', '/api/v1/namespaces/listing/dags/l1/resume', { token })).body.suspended, false);
    const run = await call<{ id: number }>(h.url, 'POST', '/api/v1/namespaces/listing/dags/l2/runs', { token, body: {} });
    assert.equal((await call(h.url, 'DELETE', '/api/v1/namespaces/listing/dags/l2', { token })).status, 204);
    assert.equal((await call(h.url, 'GET', '/api/v1/namespaces/listing/dags/l2', { token })).status, 404);
    assert.equal((await call(h.url, 'GET', `/api/v1/runs/${run.body.id}`, { token })).status, 200, 'history kept');
    assert.equal((await call(h.url, 'DELETE', '/api/v1/namespaces/listing/dags/l3?purge=true', { token })).status, 204);
    assert.equal((await call(h.url, 'DELETE', '/api/v1/namespaces/listing/dags/l3', { token })).status, 404);
  });

  test('DagTasks: apply, get, list, versions, delete', async () => {
    const yaml = `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DagTask
metadata:
  name: shared-loader
spec:
  image: alpine:3.20
  command: ["echo", "load"]
`;
    assert.equal((await call(h.url, 'POST', '/api/v1/namespaces/team/dagtasks', { token, raw: yaml })).status, 201);
    assert.equal((await call<{ version: number }>(h.url, 'PUT', '/api/v1/namespaces/team/dagtasks/shared-loader', { token, raw: yaml.replace('"load"', '"load2"') })).body.version, 2);
    const got = await call<{ spec: { command: string[] } }>(h.url, 'GET', '/api/v1/namespaces/team/dagtasks/shared-loader', { token });
    assert.deepEqual(got.body.spec.command, ['echo', 'load2']);
    const list = await call<{ items: Array<{ name: string }> }>(h.url, 'GET', '/api/v1/namespaces/team/dagtasks', { token });
    assert.deepEqual(list.body.items.map((t) => t.name), ['shared-loader']);
    assert.equal((await call<{ items: unknown[] }>(h.url, 'GET', '/api/v1/namespaces/team/dagtasks/shared-loader/versions', { token })).body.items.length, 2);
    assert.equal((await call(h.url, 'GET', '/api/v1/namespaces/team/dagtasks/shared-loader/versions/1', { token })).status, 200);
    const wrongKind = await call(h.url, 'POST', '/api/v1/namespaces/team/dagtasks', { token, raw: DAG_YAML('x') });
    assert.equal(wrongKind.status, 400);
    assert.equal((await call(h.url, 'DELETE', '/api/v1/namespaces/team/dagtasks/shared-loader', { token })).status, 204);
  });
});

describe('runs', () => {
  test('start with parameters, run to success, get with graph and attempts, list with filters', async () => {
    const bad = await call<{ code: string; message: string }>(h.url, 'POST', '/api/v1/namespaces/team/dags/etl/runs', { token, body: { parameters: { NOPE: 'x' } } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'UNKNOWN_PARAMETER');
    assert.match(bad.body.message, /NOPE/);
    const typed = await call<{ message: string }>(h.url, 'POST', '/api/v1/namespaces/team/dags/etl/runs', { token, body: { parameters: { GREETING: 5 } } });
    assert.equal(typed.status, 400);
    assert.match(typed.body.message, /GREETING/);
    assert.equal((await call(h.url, 'POST', '/api/v1/namespaces/team/dags/nope/runs', { token, body: {} })).status, 404);
    const r = await call<{ id: number; status: string }>(h.url, 'POST', '/api/v1/namespaces/team/dags/etl/runs', { token, body: { parameters: { GREETING: 'hi' } } });
    assert.equal(r.status, 201, r.text);
    await ended(r.body.id);
    const d = await call<{ status: string; graph: { edges: unknown[] }; tasks: Array<{ name: string; status: string; attempts: Array<{ exitCode: number; logSize: number }> }> }>(
      h.url, 'GET', `/api/v1/runs/${r.body.id}`, { token },
    );
    assert.equal(d.body.status, 'succeeded');
    assert.deepEqual(d.body.graph.edges, [{ from: 'first', to: 'second' }]);
    assert.deepEqual(d.body.tasks.map((t) => [t.name, t.status, t.attempts[0]?.exitCode]), [['first', 'succeeded', 0], ['second', 'succeeded', 0]]);
    const named = await call<{ id: number }>(h.url, 'POST', '/api/v1/namespaces/team/dags/etl/runs', { token, body: { name: 'once' } });
    const again = await call<{ id: number }>(h.url, 'POST', '/api/v1/namespaces/team/dags/etl/runs', { token, body: { name: 'once' } });
    assert.deepEqual([named.status, again.status, again.body.id], [201, 200, named.body.id]);
    await ended(named.body.id);
    const list = await call<{ items: Array<{ id: number; status: string }>; nextCursor?: string }>(h.url, 'GET', '/api/v1/runs?dag=etl&status=succeeded&limit=1', { token });
    assert.equal(list.body.items.length, 1);
    assert.ok(list.body.nextCursor);
    const next = await call<{ items: Array<{ id: number }> }>(h.url, 'GET', `/api/v1/runs?dag=etl&status=succeeded&limit=1&cursor=${list.body.nextCursor}`, { token });
    assert.ok(next.body.items[0]!.id < list.body.items[0]!.id);
    const window = await call<{ items: unknown[] }>(h.url, 'GET', `/api/v1/runs?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { token });
    assert.equal(window.body.items.length, 0);
    const attempts = await call<{ items: Array<{ attempt: number; status: string }> }>(h.url, 'GET', `/api/v1/runs/${r.body.id}/tasks/first/attempts`, { token });
    assert.deepEqual(attempts.body.items.map((a) => [a.attempt, a.status]), [[1, 'succeeded']]);
    assert.equal((await call(h.url, 'GET', `/api/v1/runs/${r.body.id}/tasks/first/attempts/1`, { token })).status, 200);
    assert.equal((await call(h.url, 'GET', `/api/v1/runs/${r.body.id}/tasks/first/attempts/2`, { token })).status, 404);
  });

  test('archived logs with Range', async () => {
    const r = await call<{ id: number }>(h.url, 'POST', '/api/v1/namespaces/team/dags/etl/runs', { token, body: { parameters: { GREETING: 'ranges' } } });
    await ended(r.body.id);
    const path = `/api/v1/runs/${r.body.id}/tasks/first/attempts/1/logs`;
    const full = await call(h.url, 'GET', path, { token });
    assert.equal(full.status, 200);
    assert.equal(full.text, 'hello from first: ranges\n');
    assert.equal(full.headers.get('accept-ranges'), 'bytes');
    const part = await call(h.url, 'GET', path, { token, headers: { range: 'bytes=6-9' } });
    assert.equal(part.status, 206);
    assert.equal(part.text, 'from');
    assert.equal(part.headers.get('content-range'), `bytes 6-9/${full.text.length}`);
    const suffix = await call(h.url, 'GET', path, { token, headers: { range: 'bytes=-7' } });
    assert.equal(suffix.text, 'ranges\n');
    const out = await call(h.url, 'GET', path, { token, headers: { range: 'bytes=999-' } });
    assert.equal(out.status, 416);
    assert.equal(out.headers.get('content-range'), `bytes */${full.text.length}`);
  });

  test('follow (SSE) continues from archived to live output and ends with the attempt', async () => {
    await call(h.url, 'POST', '/api/v1/namespaces/team/dags', { token, raw: DAG_YAML('slow').replace(/    - name: second[\s\S]*$/, '') });
    const r = await call<{ id: number }>(h.url, 'POST', '/api/v1/namespaces/team/dags/slow/runs', { token, body: {} });
    await rt.started({ runId: String(r.body.id), task: 'first', attempt: 1 });
    const key = { runId: String(r.body.id), task: 'first', attempt: 1 };
    const res = await fetch(`${h.url}/api/v1/runs/${r.body.id}/tasks/first/attempts/1/logs?follow=true`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    const readUntil = async (pred: (s: string) => boolean) => {
      while (!pred(buf)) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
      }
    };
    await readUntil((s) => s.includes('starting'));
    rt.write(key, 'live line ü\n');
    await readUntil((s) => s.includes('live line'));
    rt.write(key, 'last\n');
    rt.finish(key, 0);
    await readUntil((s) => s.includes('event: end'));
    const { done } = await reader.read();
    assert.equal(done, true, 'the stream ends with the attempt');
    const texts = [...buf.matchAll(/event: log\ndata: (.*)\n/g)].map((m) => (JSON.parse(m[1]!) as { text: string }).text).join('');
    assert.equal(texts, 'starting\nlive line ü\nlast\n');
    assert.match(buf, /event: end\ndata: \{"status":"succeeded","exitCode":0/);
    // Resume from an event id: only what came after it.
    const ids = [...buf.matchAll(/id: (\d+)\nevent: log/g)].map((m) => Number(m[1]));
    const resumed = await call(h.url, 'GET', `/api/v1/runs/${r.body.id}/tasks/first/attempts/1/logs?follow=true`, { token, headers: { accept: 'text/event-stream', 'last-event-id': String(ids[0]) } });
    assert.ok(!resumed.text.includes('starting') && resumed.text.includes('last'), resumed.text);
    // Plain chunked follow of an ended attempt: the whole text, then the end.
    const plain = await call(h.url, 'GET', `/api/v1/runs/${r.body.id}/tasks/first/attempts/1/logs?follow=true`, { token });
    assert.equal(plain.text, 'starting\nlive line ü\nlast\n');
  });

  test('a follower that goes away is let go (no leaked stream or wait)', async () => {
    const r = await call<{ id: number }>(h.url, 'POST', '/api/v1/namespaces/team/dags/slow/runs', { token, body: {} });
    await rt.started({ runId: String(r.body.id), task: 'first', attempt: 1 });
    const abort = new AbortController();
    const res = await fetch(`${h.url}/api/v1/runs/${r.body.id}/tasks/first/attempts/1/logs?follow=true`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    const reader = res.body!.getReader();
    await reader.read();
    const followers = (): number => h.server.context.logHub.followers;
    assert.equal(followers(), 1);
    abort.abort();
    await reader.read().catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (followers() !== 0 && Date.now() < deadline) await new Promise((res2) => setTimeout(res2, 20));
    assert.equal(followers(), 0);
    rt.finish({ runId: String(r.body.id), task: 'first', attempt: 1 }, 0);
    await ended(r.body.id);
  });

  test('cancel, retry from failed tasks, re-run with new parameters', async () => {
    const r = await call<{ id: number }>(h.url, 'POST', '/api/v1/namespaces/team/dags/slow/runs', { token, body: {} });
    await rt.started({ runId: String(r.body.id), task: 'first', attempt: 1 });
    const c = await call<{ requested: string }>(h.url, 'POST', `/api/v1/runs/${r.body.id}/cancel`, { token });
    assert.equal(c.status, 202);
    await ended(r.body.id);
    assert.equal((await call<{ status: string }>(h.url, 'GET', `/api/v1/runs/${r.body.id}`, { token })).body.status, 'canceled');
    assert.equal((await call<{ code: string }>(h.url, 'POST', `/api/v1/runs/${r.body.id}/cancel`, { token })).status, 409);

    const f = await call<{ id: number }>(h.url, 'POST', '/api/v1/namespaces/team/dags/etl/runs', { token, body: { parameters: { GREETING: 'fail' } } });
    await ended(f.body.id);
    assert.equal((await call<{ status: string }>(h.url, 'GET', `/api/v1/runs/${f.body.id}`, { token })).body.status, 'failed');
    const retry = await call(h.url, 'POST', `/api/v1/runs/${f.body.id}/retry`, { token });
    assert.equal(retry.status, 202);
    const rerun = await call<{ id: number; parameters: Record<string, string> }>(h.url, 'POST', `/api/v1/runs/${f.body.id}/rerun`, { token, body: { parameters: { GREETING: 'better' } } });
    assert.equal(rerun.status, 201);
    assert.equal(rerun.body.parameters.GREETING, 'better');
    await ended(rerun.body.id);
    assert.equal((await call<{ status: string }>(h.url, 'GET', `/api/v1/runs/${rerun.body.id}`, { token })).body.status, 'succeeded');
  });

  test('webhook delivery history and the signed inbound trigger', async () => {
    await call(h.url, 'POST', '/api/v1/namespaces/team/dags', {
      token,
      raw: DAG_YAML('hooked', '  webhook:\n    url: "http://127.0.0.1:9/hook"\n    verifySSL: false\n'),
    });
    const put = await call<{ secret: string; url: string }>(h.url, 'PUT', '/api/v1/namespaces/team/dags/hooked/trigger', { token, body: { parameterMap: { GREETING: 'head_commit.message' } } });
    assert.equal(put.status, 201, put.text);
    assert.ok(put.body.secret.length > 20);
    const body = JSON.stringify({ head_commit: { message: 'from-push' } });
    const unsigned = await call(h.url, 'POST', put.body.url, { raw: body, contentType: 'application/json' });
    assert.equal(unsigned.status, 401);
    const wrong = await call(h.url, 'POST', put.body.url, { raw: body, contentType: 'application/json', headers: signedTriggerHeaders('wrong', 'abc-123', body) });
    assert.equal(wrong.status, 401);
    const bodyOnly = await call(h.url, 'POST', put.body.url, { raw: body, contentType: 'application/json', headers: { 'x-kontroler-signature': `sha256=${createHmac('sha256', put.body.secret).update(body).digest('hex')}` } });
    assert.equal(bodyOnly.status, 401, 'a body-only signature (replayable) is no longer accepted');
    const headers = signedTriggerHeaders(put.body.secret, 'abc-123', body);
    const fired = await call<{ id: number; parameters: Record<string, string>; trigger: string }>(h.url, 'POST', put.body.url, { raw: body, contentType: 'application/json', headers });
    assert.equal(fired.status, 202, fired.text);
    assert.deepEqual([fired.body.parameters.GREETING, fired.body.trigger], ['from-push', 'webhook']);
    const again = await call<{ id: number }>(h.url, 'POST', put.body.url, { raw: body, contentType: 'application/json', headers });
    assert.equal(again.status, 200, 'a replay answers 200 and starts nothing');
    assert.equal(again.headers.get('x-kontroler-replay'), 'true');
    assert.equal(again.body.id, fired.body.id, 'a redelivery is idempotent');
    const later = Math.floor(Date.now() / 1000);
    const redelivered = await call<{ id: number }>(h.url, 'POST', put.body.url, { raw: body, contentType: 'application/json', headers: signedTriggerHeaders(put.body.secret, 'abc-123', body, later + 1) });
    assert.equal(redelivered.body.id, fired.body.id, 'the same delivery id freshly signed is still the same delivery');
    assert.equal(signTrigger('k', 1, 'd', 'b'), `v1=${createHmac('sha256', 'k').update('v1:1:d:b').digest('hex')}`, 'the documented signed string');
    await ended(fired.body.id);
    const hooks = await call<{ items: Array<{ event: string }> }>(h.url, 'GET', `/api/v1/runs/${fired.body.id}/webhooks`, { token });
    assert.equal(hooks.status, 200);
    assert.ok(hooks.body.items.length > 0, 'deliveries are queued for the run');
    const got = await call<{ parameterMap: Record<string, string> }>(h.url, 'GET', '/api/v1/namespaces/team/dags/hooked/trigger', { token });
    assert.deepEqual(got.body.parameterMap, { GREETING: 'head_commit.message' });
    const rotated = await call<{ secret: string }>(h.url, 'PUT', '/api/v1/namespaces/team/dags/hooked/trigger', { token, body: { rotateSecret: true } });
    assert.notEqual(rotated.body.secret, put.body.secret);
    assert.equal((await call(h.url, 'DELETE', '/api/v1/namespaces/team/dags/hooked/trigger', { token })).status, 204);
  });
});

describe('stats, system, admin', () => {
  test('stats: runs per day by outcome, success rate, durations, failing tasks', async () => {
    const s = await call<{ totals: { runs: number; failed: number }; successRate: number; runsPerDay: unknown[]; durations: Array<{ dag: string }>; failingTasks: Array<{ task: string }> }>(
      h.url, 'GET', '/api/v1/stats?window=1d', { token },
    );
    assert.equal(s.status, 200, s.text);
    assert.ok(s.body.totals.runs > 0 && s.body.totals.failed > 0);
    assert.ok(s.body.successRate > 0 && s.body.successRate < 1);
    assert.ok(s.body.durations.some((d) => d.dag === 'etl'));
    assert.equal(s.body.failingTasks[0]?.task, 'first');
    assert.equal((await call(h.url, 'GET', '/api/v1/stats?window=1x', { token })).status, 400);
  });

  test('health, readiness, metrics, OpenAPI, namespaces', async () => {
    assert.equal((await call(h.url, 'GET', '/healthz')).status, 200);
    assert.equal((await call<{ status: string }>(h.url, 'GET', '/readyz')).body.status, 'ready');
    const m = await call(h.url, 'GET', '/metrics');
    assert.match(m.text, /kontroler_http_requests_total/);
    assert.match(m.text, /kontroler_runs\{status="succeeded"\}/);
    const doc = await call<{ openapi: string; paths: Record<string, Record<string, { operationId: string }>> }>(h.url, 'GET', '/api/v1/openapi.json');
    assert.equal(doc.body.openapi, '3.0.3');
    assert.equal(doc.body.paths['/api/v1/runs/{id}']?.get?.operationId, 'getRun');
    const ns = await call<{ items: Array<{ name: string }> }>(h.url, 'GET', '/api/v1/namespaces', { token });
    assert.ok(ns.body.items.some((n) => n.name === 'team'));
  });

  test('users: create, get, update roles, disable, delete; audit log records who changed what', async () => {
    const u = await call(h.url, 'POST', '/api/v1/users', { token, body: { username: 'erin', password: 'erin-pass-1', roles: [{ namespace: 'team', role: 'viewer' }] } });
    assert.equal(u.status, 201);
    assert.equal((await call(h.url, 'POST', '/api/v1/users', { token, body: { username: 'erin', password: 'erin-pass-1', roles: [] } })).status, 409);
    const patched = await call<{ roles: unknown }>(h.url, 'PATCH', '/api/v1/users/erin', { token, body: { roles: [{ namespace: 'team', role: 'editor' }] } });
    assert.deepEqual(patched.body.roles, [{ namespace: 'team', role: 'editor' }]);
    const erin = await login(h.url, 'erin', 'erin-pass-1');
    await call(h.url, 'PATCH', '/api/v1/users/erin', { token, body: { disabled: true } });
    assert.equal((await call(h.url, 'GET', '/api/v1/auth/me', { token: erin })).status, 401, 'disabling revokes sessions');
    assert.equal((await call(h.url, 'POST', '/api/v1/auth/login', { body: { username: 'erin', password: 'erin-pass-1' } })).status, 401);
    assert.equal((await call(h.url, 'GET', '/api/v1/users/erin', { token })).status, 200);
    assert.equal((await call<{ items: unknown[] }>(h.url, 'GET', '/api/v1/users', { token })).body.items.length >= 2, true);
    assert.equal((await call(h.url, 'DELETE', '/api/v1/users/admin', { token })).status, 409, 'not yourself');
    assert.equal((await call(h.url, 'DELETE', '/api/v1/users/erin', { token })).status, 204);
    const audit = await call<{ items: Array<{ actor: string; action: string; namespace: string | null; resource: string | null }> }>(h.url, 'GET', '/api/v1/audit?limit=200', { token });
    const actions = audit.body.items.map((e) => `${e.actor} ${e.action} ${e.namespace ?? '-'} ${e.resource ?? '-'}`);
    assert.ok(actions.includes('user:admin user.delete - erin'), actions.join('\n'));
    assert.ok(actions.includes('user:admin dag.apply team etl'), actions.join('\n'));
    assert.ok(actions.some((a) => a.startsWith('user:admin run.cancel team run/')), actions.join('\n'));
    assert.ok(actions.some((a) => a.startsWith('trigger run.trigger team hooked')), actions.join('\n'));
  });
});
