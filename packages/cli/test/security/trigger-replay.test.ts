// Attack replay (issue 11, item 9): a captured inbound trigger delivery is sent again. Before, the
// signature covered only the body, so every copy started a new run. Now the signature covers a
// timestamp and a delivery id: a replay starts nothing (also after a restart: the ids are in
// PostgreSQL), an old timestamp is refused, and bad signatures from one address do not block
// valid deliveries from another (throttled per address and DAG).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signedTriggerHeaders } from '@kontroler/server';
import { startInstance, type Instance } from './instance.js';

let dir: string;
let k: Instance;
const secrets: Record<string, string> = {};

const dagYaml = (name: string) => `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: ${name}
spec:
  parameters:
    - name: REF
      defaultValue: none
  task:
    - name: only
      image: alpine:3.20
      command: ["true"]
      parameters: ["REF"]
`;

async function setUp(name: string): Promise<void> {
  const put = await k.api('/api/v1/namespaces/default/dags', { method: 'POST', body: dagYaml(name), headers: { 'content-type': 'application/yaml' } });
  assert.ok(put.status === 200 || put.status === 201, await put.text());
  const trig = await k.api(`/api/v1/namespaces/default/dags/${name}/trigger`, { method: 'PUT', body: JSON.stringify({ parameterMap: { REF: 'ref' } }) });
  assert.equal(trig.status, 201, await trig.clone().text());
  secrets[name] = ((await trig.json()) as { secret: string }).secret;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kontroler-sec-replay-'));
  k = await startInstance({ dir });
  await setUp('deploy');
  await setUp('other');
});
after(async () => {
  await k.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** POSTs a delivery from `localAddress`, as a sender would. */
function deliver(dag: string, body: string, headers: Record<string, string>, localAddress = '127.0.0.1'): Promise<{ status: number; body: { id?: number; message?: string }; replay: boolean; retryAfter: number }> {
  return new Promise((resolve, reject) => {
    const req = request(`${k.url}/api/v1/triggers/default/${dag}`, {
      method: 'POST',
      localAddress,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
    }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        body: text ? (JSON.parse(text) as { id?: number; message?: string }) : {},
        replay: res.headers['x-kontroler-replay'] === 'true',
        retryAfter: Number(res.headers['retry-after'] ?? 0),
      }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function runCount(dag: string): Promise<number> {
  const res = await k.api(`/api/v1/runs?namespace=default&dag=${dag}&limit=100`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { items: unknown[] }).items.length;
}

const now = () => Math.floor(Date.now() / 1000);

test('a replayed delivery starts nothing, also after a restart', async () => {
  const body = JSON.stringify({ ref: 'v1.2.3' });
  const headers = signedTriggerHeaders(secrets.deploy!, 'delivery-0001', body);
  const first = await deliver('deploy', body, headers);
  assert.equal(first.status, 202, JSON.stringify(first.body));
  for (let i = 0; i < 5; i++) {
    const again = await deliver('deploy', body, headers);
    assert.equal(again.status, 200);
    assert.equal(again.replay, true);
    assert.equal(again.body.id, first.body.id, 'the replay answers with the original run');
  }
  assert.equal(await runCount('deploy'), 1);

  await k.stop();
  k = await startInstance({ dir });
  const afterRestart = await deliver('deploy', body, headers);
  assert.equal(afterRestart.status, 200);
  assert.equal(afterRestart.body.id, first.body.id);
  assert.equal(await runCount('deploy'), 1, 'nothing started after the restart either');
});

test('an old (or far future) timestamp is refused, even correctly signed with a new delivery id', async () => {
  const body = JSON.stringify({ ref: 'old' });
  for (const ts of [now() - 301, now() + 301, now() - 86_400]) {
    const r = await deliver('deploy', body, signedTriggerHeaders(secrets.deploy!, `old-${ts}`, body, ts));
    assert.equal(r.status, 401);
    assert.match(r.body.message ?? '', /timestamp is \d+ s from the server's clock; at most 300 s/);
  }
  // A body-only signature (the old, replayable scheme) is refused.
  const old = signedTriggerHeaders(secrets.deploy!, 'x', body);
  const bodyOnly = await deliver('deploy', body, { 'x-kontroler-signature': old['x-kontroler-signature']!.replace('v1=', 'sha256=') });
  assert.equal(bodyOnly.status, 401);
  assert.equal(await runCount('deploy'), 1);
});

test('bad signatures from one address do not block valid deliveries from another (or to another DAG)', async () => {
  const body = JSON.stringify({ ref: 'attack' });
  let limited: { status: number; retryAfter: number } | undefined;
  for (let i = 0; i < 40 && !limited; i++) {
    const r = await deliver('deploy', body, signedTriggerHeaders('not-the-secret', `bad-${i}`, body), '127.0.0.2');
    if (r.status === 429) limited = r;
    else assert.equal(r.status, 401);
  }
  assert.ok(limited, 'the attacking address is throttled');
  assert.ok(limited.retryAfter > 0);
  const good = JSON.stringify({ ref: 'v2' });
  const valid = await deliver('deploy', good, signedTriggerHeaders(secrets.deploy!, 'delivery-0002', good), '127.0.0.1');
  assert.equal(valid.status, 202, 'a valid delivery from another address is accepted');
  const otherDag = await deliver('other', good, signedTriggerHeaders(secrets.other!, 'delivery-0003', good), '127.0.0.2');
  assert.equal(otherDag.status, 202, 'the throttle is per (address, DAG)');
});
