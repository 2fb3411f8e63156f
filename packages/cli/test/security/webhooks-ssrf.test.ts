// Attack replay (issue 11, item 5): an editor points a DAG's webhook at the controller's own host,
// its network or a cloud metadata address, and reads the connection errors back through
// /runs/{id}/webhooks. Each delivery must be refused with the generic error, and no connection
// may reach a listener on 127.0.0.1; with KONTROLER_WEBHOOK_ALLOW=127.0.0.1 delivery works, signed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DESTINATION_REFUSED, UNREACHABLE } from '@kontroler/controller';
import { freePort, startInstance, type Instance } from './instance.js';

const SECRET = 'ssrf-test-webhook-secret';

interface Delivery { status: string; attempts: number; lastError: string | null; lastStatus: number | null }

let receiver: Server;
let receiverPort = 0;
let connections = 0;
const received: Array<{ body: string; signature: string | undefined }> = [];

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ body, signature: req.headers['x-kontroler-signature'] as string | undefined });
      res.end('ok');
    });
  });
  receiver.on('connection', () => connections++);
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverPort = (receiver.address() as AddressInfo).port;
});
after(() => new Promise<void>((r) => receiver.close(() => r())));

const dagYaml = (name: string, url: string) => `apiVersion: kontroler.greedykomodo/v1alpha1
kind: DAG
metadata:
  name: ${name}
spec:
  webhook:
    url: "${url}"
    verifySSL: true
  task:
    - name: only
      image: alpine:3.20
      command: ["true"]
`;

/** Applies a DAG with this webhook and starts a run of it; resolves the run id. */
async function startHooked(k: Instance, name: string, url: string): Promise<number> {
  const put = await k.api('/api/v1/namespaces/default/dags', { method: 'POST', body: dagYaml(name, url), headers: { 'content-type': 'application/yaml' } });
  assert.ok(put.status === 200 || put.status === 201, `${name}: ${put.status} ${await put.text()}`);
  const started = await k.api(`/api/v1/namespaces/default/dags/${name}/runs`, { method: 'POST', body: '{}' });
  assert.equal(started.status, 201, await started.clone().text());
  return ((await started.json()) as { id: number }).id;
}

/** Polls the run's delivery history until `done` holds for it (30 s deadline). */
async function waitDeliveries(k: Instance, id: number, done: (items: Delivery[], runStatus: string) => boolean): Promise<Delivery[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = (await (await k.api(`/api/v1/runs/${id}`)).json()) as { status: string };
    const items = ((await (await k.api(`/api/v1/runs/${id}/webhooks`)).json()) as { items: Delivery[] }).items;
    if (done(items, run.status)) return items;
    assert.ok(Date.now() < deadline, `run ${id}: deliveries not as expected in time: ${JSON.stringify(items)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a DAG with this webhook and waits until the run ended and every delivery has been tried. */
async function deliveriesFor(k: Instance, name: string, url: string): Promise<Delivery[]> {
  const id = await startHooked(k, name, url);
  const ended = (s: string) => ['succeeded', 'failed', 'cancelled'].includes(s);
  return waitDeliveries(k, id, (items, status) => ended(status) && items.length > 0 && items.every((d) => d.status !== 'pending'));
}

describe('webhooks are no SSRF or port-scan oracle', () => {
  let k: Instance;
  before(async () => { k = await startInstance({ env: { KONTROLER_WEBHOOK_SECRET: SECRET } }); });
  after(async () => k.stop());

  const targets: Array<[string, (port: number) => string]> = [
    ['loopback-port', (p) => `http://127.0.0.1:${p}/hook`],
    ['unspecified', (p) => `http://0.0.0.0:${p}/hook`],
    ['hex-loopback', (p) => `http://0x7f000001:${p}/hook`],
    ['metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['mapped-metadata', () => 'http://[::ffff:169.254.169.254]/latest/meta-data/'],
    ['localhost-name', (p) => `http://localhost:${p}/hook`],
  ];
  for (const [name, url] of targets) {
    test(`a webhook to ${url(1234)} is refused with the generic error and never connects`, async () => {
      const before = connections;
      const items = await deliveriesFor(k, name, url(receiverPort));
      assert.ok(items.length >= 2, 'task and run deliveries were queued');
      for (const d of items) {
        assert.equal(d.status, 'failed');
        assert.equal(d.lastError, DESTINATION_REFUSED);
        assert.equal(d.lastStatus, null);
        assert.equal(d.attempts, 1, 'a refused destination is not retried');
      }
      assert.equal(connections, before, 'no connection reached the listener on 127.0.0.1');
    });
  }
});

describe('KONTROLER_WEBHOOK_ALLOW=127.0.0.1', () => {
  let k: Instance;
  before(async () => { k = await startInstance({ env: { KONTROLER_WEBHOOK_SECRET: SECRET, KONTROLER_WEBHOOK_ALLOW: '127.0.0.1' } }); });
  after(async () => k.stop());

  test('delivers to the allowed receiver, signed', async () => {
    const before = received.length;
    const items = await deliveriesFor(k, 'allowed', `http://127.0.0.1:${receiverPort}/hook`);
    assert.ok(items.every((d) => d.status === 'delivered' && d.lastStatus === 200), JSON.stringify(items));
    const mine = received.slice(before);
    assert.equal(mine.length, items.length);
    for (const r of mine) assert.equal(r.signature, `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`);
  });

  test('a closed port records the generic error, not the connection text', async () => {
    const closed = await freePort();
    const id = await startHooked(k, 'closed-port', `http://127.0.0.1:${closed}/hook`);
    // Unreachable deliveries are retried with backoff: wait for the first recorded failure.
    const items = await waitDeliveries(k, id, (list) => list.some((d) => d.lastError !== null));
    const failed = items.filter((d) => d.lastError !== null);
    for (const d of failed) {
      assert.equal(d.lastError, UNREACHABLE);
      assert.doesNotMatch(d.lastError ?? '', /ECONNREFUSED|connect|127\.0\.0\.1/);
    }
  });
});
