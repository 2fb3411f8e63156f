// Property-based: malformed DAG specs, request bodies, query strings and path segments never get
// a 5xx, always get the error shape with a useful message, and never take the server down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_RESOURCE_BODY_BYTES, type AnyRoute } from '@kontroler/server';
import { ADMIN_PASSWORD, DAG_YAML, call, callMaybeStream, isStreamRoute, login, seedRun, startHarness, type Harness, type Res } from './harness.js';

let h: Harness;
let token: string;
let runId: number;

before(async () => {
  h = await startHarness({ loginRateLimit: { perUser: { max: 1_000_000, windowSeconds: 60 }, perAddress: { max: 1_000_000, windowSeconds: 60 } } });
  const session = await login(h.url, 'admin', ADMIN_PASSWORD);
  // An API token: a random body sent to /auth/logout cannot end it.
  token = (await call<{ token: string }>(h.url, 'POST', '/api/v1/tokens', { token: session, body: { name: 'fuzz', role: 'admin', namespaces: ['*'] } })).body.token;
  runId = await seedRun(h, 'default', 'seeded');
  assert.equal((await call(h.url, 'POST', '/api/v1/namespaces/default/dags', { token, raw: DAG_YAML('valid') })).status, 201);
});
after(async () => h.close());

function checkClientError(res: Res, what: string): void {
  assert.ok(res.status < 500, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  if (res.status >= 400) {
    const b = res.body as { code?: unknown; message?: unknown; details?: unknown } | undefined;
    assert.ok(b && typeof b.code === 'string' && typeof b.message === 'string' && b.message.length > 5 && Array.isArray(b.details), `${what}: bad error body ${res.text.slice(0, 300)}`);
  }
}

const VALID_DAG = {
  apiVersion: 'kontroler.greedykomodo/v1alpha1',
  kind: 'DAG',
  metadata: { name: 'fuzzed' },
  spec: {
    schedule: '0 1 * * *',
    parameters: [{ name: 'P', defaultValue: 'v' }],
    task: [
      { name: 'a', image: 'alpine', command: ['true'], parameters: ['P'], backoff: { limit: 1 }, conditional: { enabled: true, retryCodes: [1] } },
      { name: 'b', image: 'alpine', script: 'echo hi', runAfter: ['a'] },
    ],
  },
};

/** A copy of `v` with the value at a random path replaced (or a key added / removed). */
function mutate(v: unknown, path: number[], replacement: unknown, op: number): unknown {
  if (path.length === 0 || v === null || typeof v !== 'object') return replacement;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(v) ? [...v] : { ...(v as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0) return replacement;
  const key = keys[path[0]! % keys.length]!;
  if (path.length === 1 && op % 4 === 0 && !Array.isArray(copy)) {
    delete (copy as Record<string, unknown>)[key];
    return copy;
  }
  (copy as Record<string, unknown>)[key] = mutate((copy as Record<string, unknown>)[key], path.slice(1), replacement, op);
  return copy;
}

const runs = (n: number) => ({ numRuns: n, seed: Number(process.env.FC_SEED ?? Date.now() % 100000) });

describe('malformed input never gets a 5xx', () => {
  test('mutated DAG specs (as JSON) answer 2xx or 4xx with field paths', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), fc.nat(), async (path, replacement, op) => {
        const body = JSON.stringify(mutate(VALID_DAG, path, replacement, op));
        const res = await call(h.url, 'POST', '/api/v1/namespaces/default/dags?dryRun=true', { token, raw: body, contentType: 'application/json' });
        checkClientError(res, `dag ${body}`);
        if (res.status === 400) assert.ok(((res.body as { details: unknown[] }).details).length > 0, `no details for ${body}: ${res.text}`);
      }),
      runs(150),
    );
  });

  test('arbitrary text as YAML, JSON and DSL answers 4xx (or a valid resource)', async () => {
    const texts = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.constantFrom('---\n---\n', 'kind: DAG', '{', '[1,2', 'a: &x [*x]', '!!binary x', 'apiVersion: 1\nkind: [x]', `${DAG_YAML('two')}\n---\n${DAG_YAML('three')}`, 'task x { image }', 'graph { a -> }', '\u0000', 'schedule "99 * * * *"\ntask a { image "x" command ["y"] }'),
    );
    const types = fc.constantFrom('application/yaml', 'application/json', 'text/x-kontroler-dsl', 'text/plain', 'application/octet-stream');
    await fc.assert(
      fc.asyncProperty(texts, types, fc.constantFrom('dags', 'dagtasks', 'dags/validate'), async (text, type, target) => {
        const res = await call(h.url, 'POST', `/api/v1/namespaces/default/${target}?name=fuzz-dsl&dryRun=true`, { token, raw: text, contentType: type });
        checkClientError(res, `${target} ${type} ${JSON.stringify(text)}`);
      }),
      runs(150),
    );
  });

  test('arbitrary JSON bodies to every route that takes one', async () => {
    const bodyRoutes = h.server.routes.filter((r) => r.method !== 'GET' && r.method !== 'DELETE' && (r.body ?? 'json') === 'json');
    assert.ok(bodyRoutes.length > 10);
    const path = (r: AnyRoute) =>
      r.url.replace(':ns', 'default').replace(':name', 'valid').replace(':id', String(runId)).replace(':username', 'nobody').replace(':tokenId', '999999');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyRoutes),
        fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.dictionary(fc.constantFrom('parameters', 'name', 'username', 'password', 'roles', 'role', 'namespaces', 'expiresInDays', 'parameterMap', 'enabled', 'rotateSecret', 'disabled', 'currentPassword', 'newPassword'), fc.jsonValue({ maxDepth: 3 }))),
        async (r, body) => {
          const res = await call(h.url, r.method, path(r), { token, raw: JSON.stringify(body), contentType: 'application/json' });
          checkClientError(res, `${r.method} ${r.url} ${JSON.stringify(body).slice(0, 200)}`);
        },
      ),
      runs(250),
    );
    const notJson = await call(h.url, 'POST', '/api/v1/users', { token, raw: '{"username":', contentType: 'application/json' });
    assert.equal(notJson.status, 400);
    const wrongType = await call(h.url, 'POST', '/api/v1/users', { token, raw: 'username: x', contentType: 'application/yaml' });
    assert.equal(wrongType.status, 415);
    // Resource routes take up to MAX_RESOURCE_BODY_BYTES (a 100,000-task DAG); every other route 4 MiB.
    const huge = await call(h.url, 'POST', '/api/v1/namespaces/default/dags', { token, raw: `x: "${'a'.repeat(MAX_RESOURCE_BODY_BYTES + 1)}"` });
    assert.equal(huge.status, 413);
    const bigJson = await call(h.url, 'POST', '/api/v1/users', { token, raw: JSON.stringify({ username: 'a'.repeat(5 * 1024 * 1024) }), contentType: 'application/json' });
    assert.equal(bigJson.status, 413);
  });

  test('arbitrary query strings and path segments on every GET route', async () => {
    const gets = h.server.routes.filter((r) => r.method === 'GET' && !r.url.includes('/logs'));
    const seg = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('0', '-1', '1e3', '99999999999999999999', '%00', '..', 'a b', 'ümlaut', String(runId)));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...gets), seg, fc.dictionary(fc.constantFrom('limit', 'cursor', 'status', 'since', 'until', 'dag', 'namespace', 'window', 'from', 'to', 'label', 'scheduled', 'follow', 'offset', 'all', 'top'), fc.string({ maxLength: 30 })), async (r, s, q) => {
        const e = encodeURIComponent(s);
        const p = r.url.replace(':ns', e).replace(':name', e).replace(':id', e).replace(':task', e).replace(':n', e).replace(':username', e).replace(':tokenId', e).replace(':version', e);
        const qs = new URLSearchParams(q).toString();
        const res = await (isStreamRoute(r) ? callMaybeStream : call)(h.url, 'GET', `${p}${qs ? `?${qs}` : ''}`, { token });
        checkClientError(res, `GET ${p}?${qs}`);
      }),
      runs(250),
    );
  });

  test('logs: arbitrary Range headers and offsets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 30 }), fc.nat(), async (range, offset) => {
        const res = await call(h.url, 'GET', `/api/v1/runs/${runId}/tasks/a/attempts/1/logs?offset=${offset}`, { token, headers: { range: `bytes=${range}` } });
        checkClientError(res, `range ${range}`);
      }),
      runs(40),
    );
    assert.equal((await call(h.url, 'GET', '/healthz')).status, 200, 'still serving');
  });
});
