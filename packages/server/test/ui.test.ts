// The UI bundle on the API's port: files, SPA fallback, caching, no escape from the folder.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { call, startHarness, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-ui-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Kontroler</title>');
  writeFileSync(join(dir, 'assets', 'app-abcdef12.js'), 'console.log(1)');
  h = await startHarness({ uiDir: dir });
});
after(async () => h.close());

function rawGet(path: string): Promise<number> {
  const u = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the UI: files, client-side routes, cache headers; API paths stay JSON', async () => {
  const index = await call(h.url, 'GET', '/');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type') ?? '', /text\/html/);
  assert.match(index.text, /Kontroler/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const spa = await call(h.url, 'GET', '/runs/42?tab=logs');
  assert.match(spa.text, /Kontroler/);
  const js = await call(h.url, 'GET', '/assets/app-abcdef12.js');
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  assert.match(js.headers.get('cache-control') ?? '', /immutable/);
  const api = await call<{ code: string }>(h.url, 'GET', '/api/v1/nothing-here');
  assert.equal(api.status, 404);
  assert.equal(api.body.code, 'NOT_FOUND');
  assert.equal((await call(h.url, 'GET', '/healthz')).status, 200);
  for (const p of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/%00x']) {
    const status = await rawGet(p);
    // A NUL byte anywhere in a URL is refused up front (400) by the request guards.
    assert.ok(status === 200 || status === 404 || (p.includes('%00') && status === 400), `${p}: ${status}`);
  }
  const traversal = await call(h.url, 'GET', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd');
  assert.ok(!traversal.text.includes('root:'), 'never a file outside the UI folder');
});
