// Live updates over real HTTP (Server-Sent Events fed by LISTEN/NOTIFY), with a real controller:
// a run's changes in order, resume after a reconnect (Last-Event-ID), RBAC per event, a role
// change ending the streams, and a client that does not read never growing the server's memory.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { KontrolerClient, parseSse, type RunChangeEvent, type SseMessage } from '@kontroler/client';
import { Controller, envSecretResolver, silentLog } from '@kontroler/controller';
import { requestRun, setUserRoles } from '@kontroler/store';
import { FakeRuntime, Recording } from '@kontroler/testing';
import { ADMIN_PASSWORD, DAG_YAML, call, login, startHarness, userWithSession, type Harness } from './harness.js';

let h: Harness;
let admin: string;
let rt: FakeRuntime;
let controller: Controller;

before(async () => {
  h = await startHarness();
  admin = await login(h.url, 'admin', ADMIN_PASSWORD);
  // Tasks of DAG `held` wait for the test; the others exit 0.
  rt = new FakeRuntime((spec) => (spec.dagName === 'held' ? { output: 'waiting\n' } : { output: 'ok\n', exitCode: 0 }));
  controller = new Controller({ pool: h.db.pool, databaseUrl: h.db.url, runtime: rt, id: 'events-test', log: silentLog, secrets: envSecretResolver({}), pollMs: 200 });
  await controller.start();
  for (const [ns, name] of [['a', 'held'], ['a', 'quick'], ['b', 'quick']] as const) {
    const r = await call(h.url, 'POST', `/api/v1/namespaces/${ns}/dags`, { token: admin, raw: DAG_YAML(name) });
    assert.equal(r.status, 201, r.text);
  }
});
after(async () => {
  await controller.stop();
  await h.close();
});

const client = (token: string) => new KontrolerClient({ baseUrl: h.url, token });

async function startRun(ns: string, dag: string): Promise<number> {
  const r = await call<{ id: number }>(h.url, 'POST', `/api/v1/namespaces/${ns}/dags/${dag}/runs`, { token: admin, body: {} });
  assert.equal(r.status, 201, r.text);
  return r.body.id;
}

/** Records a generator's items until aborted. */
function recordAll<T>(items: AsyncGenerator<T>, describe: (x: T) => string): Recording<T> {
  const rec = new Recording<T>({ waitLimitMs: 20_000, describe });
  void (async () => {
    try {
      for await (const x of items) rec.push(x);
    } catch {
      // aborted
    }
  })();
  return rec;
}

test("a run's stream: the run at once, then each change in order, to its end", async () => {
  const abort = new AbortController();
  const id = await startRun('a', 'quick');
  const rec = recordAll(client(admin).watchRun(id, { signal: abort.signal }), (c) => `${c.status} ${JSON.stringify(c.taskCounts)}`);
  const done = await rec.waitFor((c) => c.status === 'succeeded', 'succeeded');
  abort.abort();
  assert.equal(done.taskCounts.succeeded, 2);
  const versions = rec.events.map((c) => BigInt(c.version));
  assert.ok(versions.every((v, i) => i === 0 || v > versions[i - 1]!), `versions increase: ${versions.join(', ')}`);
  const order = ['pending', 'running', 'succeeded'];
  const statuses = rec.events.map((c) => order.indexOf(c.status));
  assert.ok(statuses.every((s, i) => s >= 0 && (i === 0 || s >= statuses[i - 1]!)), `statuses in order: ${rec.events.map((c) => c.status).join(', ')}`);
  assert.ok(rec.events.some((c) => c.status === 'running' || c.status === 'pending') || rec.events.length === 1, 'the run as it was when the stream began, then its changes');
});

test('resume with Last-Event-ID: nothing when nothing changed; the run as it is now when it did', async () => {
  const id = await startRun('a', 'held');
  const first = await firstEvent(`/api/v1/runs/${id}/events`, admin);
  assert.equal(first.event, 'run');
  const seen = JSON.parse(first.data) as RunChangeEvent;
  assert.equal(first.id, seen.version);
  // Reconnect with the version it has: no event until the run changes.
  const abort = new AbortController();
  const res = await fetch(`${h.url}/api/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${admin}`, accept: 'text/event-stream', 'last-event-id': seen.version }, signal: abort.signal });
  const events = recordAll(sseOf(res), (e) => e.event);
  await requestRun(h.db.pool, id, 'cancel');
  // The controller may save a change of its own first (its task starting): every event is a change.
  await events.waitFor((e) => {
    if (e.event !== 'run') return false;
    const c = JSON.parse(e.data) as RunChangeEvent;
    return c.requested === 'cancel' || c.status === 'canceled';
  }, 'a run event telling the cancel request');
  abort.abort();
  const runEvents = events.events.filter((e) => e.event === 'run').map((e) => JSON.parse(e.data) as RunChangeEvent);
  assert.ok(runEvents.every((c) => BigInt(c.version) > BigInt(seen.version)), `the known state was not sent again: ${runEvents.map((c) => c.version).join(', ')} after ${seen.version}`);
  // An old version: the current state at once.
  const again = await firstEvent(`/api/v1/runs/${id}/events`, admin, seen.version);
  assert.notEqual((JSON.parse(again.data) as RunChangeEvent).version, seen.version);
});

test('with detail=true a run\'s stream pushes GET /runs/{id}\'s answer itself, to its end, with the same ids', async () => {
  const id = await startRun('a', 'quick');
  const abort = new AbortController();
  const res = await fetch(`${h.url}/api/v1/runs/${id}/events?detail=true`, { headers: { authorization: `Bearer ${admin}`, accept: 'text/event-stream' }, signal: abort.signal });
  assert.equal(res.status, 200);
  const events = recordAll(sseOf(res), (e) => e.event);
  const last = await events.waitFor((e) => e.event === 'detail' && (JSON.parse(e.data) as { status: string }).status === 'succeeded', 'a detail event of the run succeeded');
  abort.abort();
  assert.deepEqual(events.events.map((e) => e.event).filter((e) => e !== 'detail'), [], 'only detail events');
  const got = await call<Record<string, unknown>>(h.url, 'GET', `/api/v1/runs/${id}`, { token: admin });
  assert.deepEqual(JSON.parse(last.data), got.body, 'the pushed run is what GET /runs/{id} answers');
  const [change] = await (async () => { const r = await firstEvent(`/api/v1/runs/${id}/events`, admin); return [JSON.parse(r.data) as RunChangeEvent]; })();
  assert.equal(last.id, change!.version, 'its id is the run\'s version, as for run events');
  // A bad value of detail is refused, naming it.
  const bad = await call(h.url, 'GET', `/api/v1/runs/${id}/events?detail=maybe`, { token: admin });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /detail/);
});

test('every visible run: a viewer of namespace a never receives namespace b’s events, nor may open a run of b', async () => {
  const viewer = await userWithSession(h, 'events-viewer', [{ namespace: 'a', role: 'viewer' }]);
  const abort = new AbortController();
  // Each stream is open (subscribed) once its response headers are in.
  const open = async (token: string) => {
    const res = await fetch(`${h.url}/api/v1/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
    assert.equal(res.status, 200);
    return recordAll(runsOf(sseOf(res)), (e) => `${e.namespace}/${e.id} ${e.status}`);
  };
  const rec = await open(viewer.token);
  const all = await open(admin);
  const inB = await startRun('b', 'quick');
  const inA = await startRun('a', 'quick');
  await rec.waitFor((e) => e.id === inA && e.status === 'succeeded', 'run in a succeeded');
  await all.waitFor((e) => e.id === inB && e.status === 'succeeded', 'the admin sees b');
  abort.abort();
  const namespaces = new Set(rec.events.map((e) => e.namespace));
  assert.deepEqual([...namespaces], ['a'], 'only namespace a');
  const denied = await call(h.url, 'GET', `/api/v1/runs/${inB}/events`, { token: viewer.token, headers: { accept: 'text/event-stream' } });
  assert.ok(denied.status === 403 || denied.status === 404, `${denied.status}`);
});

test('a role change ends the open streams: the client reconnects and is checked again', async () => {
  const user = await userWithSession(h, 'events-revoked', [{ namespace: 'a', role: 'viewer' }]);
  const res = await fetch(`${h.url}/api/v1/events`, { headers: { authorization: `Bearer ${user.token}`, accept: 'text/event-stream' } });
  assert.equal(res.status, 200);
  const ended = (async () => {
    for await (const _ of sseOf(res)) void _;
  })();
  await setUserRoles(h.db.pool, 'events-revoked', []);
  await ended; // the server closed it
  const again = await call(h.url, 'GET', '/api/v1/events', { token: user.token, headers: { accept: 'text/event-stream' } });
  assert.equal(again.status, 403, 'no namespace left to watch');
});

test('a client that does not read: the server holds at most 1,000 pending run ids for it, and it is told to resync', async () => {
  const ctl = new AbortController();
  const res = await fetch(`${h.url}/api/v1/events`, { headers: { authorization: `Bearer ${admin}`, accept: 'text/event-stream' }, signal: ctl.signal });
  const reader = res.body!.getReader();
  await reader.read(); // the stream's first bytes; then not a byte more is read for a while
  const hub = h.server.context.runEvents;
  // 3,000 run changes announced while the client reads nothing.
  for (let i = 1; i <= 3000; i++) hub.notify(`${1_000_000 + i}:running`);
  assert.ok(hub.largestPending <= 1000, `${hub.largestPending} pending`);
  // Reading again, it is told it missed changes.
  const dec = new TextDecoder();
  let text = '';
  while (!text.includes('event: resync')) {
    const { value, done } = await reader.read();
    assert.ok(!done, 'the stream stays open');
    text += dec.decode(value, { stream: true });
  }
  ctl.abort();
});

test('at the bound: with maxEventStreams open streams, the next is refused with 503 and Retry-After', async () => {
  const small = await startHarness({ maxEventStreams: 1 });
  const abort = new AbortController();
  try {
    const token = await login(small.url, 'admin', ADMIN_PASSWORD);
    const open = await fetch(`${small.url}/api/v1/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
    assert.equal(open.status, 200);
    const refused = await call<{ code: string; message: string }>(small.url, 'GET', '/api/v1/events', { token, headers: { accept: 'text/event-stream' } });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.code, 'UNAVAILABLE');
    assert.match(refused.body.message, /too many live-update streams/);
    assert.equal(refused.headers.get('retry-after'), '5');
  } finally {
    abort.abort();
    await small.close();
  }
});

/** The messages of an SSE response (parsed as the client parses them). */
async function* sseOf(res: Response): AsyncGenerator<SseMessage> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const m = parseSse(buf.slice(0, i));
      buf = buf.slice(i + 2);
      if (m) yield m;
    }
  }
}

/** The run events of a stream of every run. */
async function* runsOf(messages: AsyncGenerator<{ event: string; data: string }>): AsyncGenerator<RunChangeEvent> {
  for await (const m of messages) if (m.event === 'run') yield JSON.parse(m.data) as RunChangeEvent;
}

/** The first message of a stream, then the connection is closed. */
async function firstEvent(path: string, token: string, lastEventId?: string): Promise<{ event: string; data: string; id?: string }> {
  const abort = new AbortController();
  const res = await fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) }, signal: abort.signal });
  assert.equal(res.status, 200);
  for await (const m of sseOf(res)) {
    abort.abort();
    return m;
  }
  throw new Error('the stream ended without a message');
}
