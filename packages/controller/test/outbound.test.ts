// The webhook destination policy and the guarded connection: real sockets on 127.0.0.1, a count
// of the connections that reach the listener, and the allow-list parser's messages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { request } from 'undici';
import {
  DESTINATION_REFUSED, MAX_ALLOW_ENTRIES, addressAllowed, destinationPolicy, guardedAgent, hostAllowed, isDestinationRefused,
} from '@kontroler/controller';

let srv: Server;
let port = 0;
let connections = 0;
before(async () => {
  srv = createServer((_req, res) => res.end('ok'));
  srv.on('connection', (_s: Socket) => connections++);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  port = (srv.address() as AddressInfo).port;
});
after(() => new Promise<void>((r) => srv.close(() => r())));

async function attempt(url: string, allow = '', resolve?: (h: string) => string[]): Promise<{ status?: number; refused: boolean; error?: unknown }> {
  const agent = guardedAgent(destinationPolicy(allow), {
    connectTimeoutMs: 2000,
    ...(resolve ? { resolve: async (h: string) => resolve(h).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })) } : {}),
  });
  try {
    const res = await request(url, { method: 'POST', body: '{}', dispatcher: agent, signal: AbortSignal.timeout(5000) });
    await res.body.dump();
    return { status: res.statusCode, refused: false };
  } catch (e) {
    return { refused: isDestinationRefused(e), error: e };
  } finally {
    await agent.close();
  }
}

describe('destination policy', () => {
  test('refuses loopback, private, link-local, unspecified, mapped and special ranges; allows public unicast', () => {
    const p = destinationPolicy();
    for (const ip of ['127.0.0.1', '127.1.2.3', '0.0.0.0', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '224.0.0.1', '255.255.255.255',
      '::1', '::', '::7f00:1', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe', 'fe80::1', 'fd00::1', '64:ff9b::a9fe:a9fe', '2002:7f00:1::1', 'ff02::1']) {
      assert.equal(addressAllowed(p, ip, 80), false, ip);
    }
    for (const ip of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '[2606:4700:4700::1111]']) assert.equal(addressAllowed(p, ip, 443), true, ip);
  });

  test('allow-list: CIDRs and addresses on every port, address:port and host[:port] on one', () => {
    const p = destinationPolicy('10.0.0.0/8, 127.0.0.1:9000 [::1]:9001\nhooks.internal:8443,Other.Internal.');
    assert.equal(addressAllowed(p, '10.9.9.9', 1), true);
    assert.equal(addressAllowed(p, '::ffff:10.9.9.9', 1), true, 'the mapped form of an allowed address');
    assert.equal(addressAllowed(p, '127.0.0.1', 9000), true);
    assert.equal(addressAllowed(p, '127.0.0.1', 9002), false);
    assert.equal(addressAllowed(p, '::1', 9001), true);
    assert.equal(addressAllowed(p, '::1', 9000), false);
    assert.equal(hostAllowed(p, 'HOOKS.internal', 8443), true);
    assert.equal(hostAllowed(p, 'hooks.internal', 443), false);
    assert.equal(hostAllowed(p, 'other.internal', 1), true);
    assert.equal(addressAllowed(destinationPolicy('127.0.0.1'), '127.0.0.1', 1234), true);
    const w = destinationPolicy('*.svc.cluster.local');
    assert.equal(hostAllowed(w, 'hooks.team-a.svc.cluster.local', 80), true);
    assert.equal(hostAllowed(w, 'svc.cluster.local', 80), false, 'a wildcard covers names below the domain only');
    assert.equal(hostAllowed(w, 'evilsvc.cluster.local', 80), false);
  });

  test('a bad allow-list entry is refused with a message naming it', () => {
    for (const [text, bad] of [['10.0.0.0/33', '10.0.0.0/33'], ['10.0.0.0/8,nope/8', 'nope/8'], ['127.0.0.1:0', '127.0.0.1:0'], ['host:99999', 'host:99999'], ['a b:c:d', 'b:c:d'], ['http://x', 'http://x'], ['*.', '*.'], ['a.*.b', 'a.*.b']]) {
      assert.throws(() => destinationPolicy(text!), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'VALIDATION_FAILED');
        assert.ok(e.message.includes(`KONTROLER_WEBHOOK_ALLOW: "${bad}"`), e.message);
        return true;
      });
    }
  });

  test(`at most ${MAX_ALLOW_ENTRIES} entries`, () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${Math.floor(i / 256)}.${i % 256}`).join(',');
    assert.doesNotThrow(() => destinationPolicy(entries(MAX_ALLOW_ENTRIES)));
    assert.throws(() => destinationPolicy(entries(MAX_ALLOW_ENTRIES + 1)), /at most 1000/);
  });
});

describe('guarded connections', () => {
  test('every refused address form is refused before a connection is made', async () => {
    const before = connections;
    for (const host of ['127.0.0.1', '0x7f000001', '2130706433', '127.1', '0.0.0.0', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:169.254.169.254]', '169.254.169.254', 'localhost']) {
      const r = await attempt(`http://${host}:${port}/hook`);
      assert.equal(r.refused, true, `${host}: ${String(r.error)}`);
      assert.equal((r.error as Error).message, DESTINATION_REFUSED);
    }
    assert.equal(connections, before, 'no connection reached the listener');
  });

  test('a host name is checked after resolution: one refused address refuses it, and the checked address is the one used', async () => {
    const before = connections;
    // A rebinding answer: a public address and loopback.
    assert.equal((await attempt(`http://rebind.example:${port}/`, '', () => ['93.184.215.14', '127.0.0.1'])).refused, true);
    assert.equal((await attempt(`http://inside.example:${port}/`, '', () => ['127.0.0.1'])).refused, true);
    assert.equal(connections, before);
    // Allowed by address: the resolver's answer is what is connected to.
    const ok = await attempt(`http://inside.example:${port}/`, '127.0.0.1', () => ['127.0.0.1']);
    assert.equal(ok.status, 200, String(ok.error));
    assert.equal(connections, before + 1);
  });

  test('allowed by the allow-list: address, address:port, host name', async () => {
    assert.equal((await attempt(`http://127.0.0.1:${port}/`, '127.0.0.1')).status, 200);
    assert.equal((await attempt(`http://127.0.0.1:${port}/`, `127.0.0.1:${port}`)).status, 200);
    assert.equal((await attempt(`http://127.0.0.1:${port}/`, `127.0.0.1:${port + 1}`)).refused, true);
    assert.equal((await attempt(`http://localhost:${port}/`, 'localhost')).status, 200);
    assert.equal((await attempt(`http://localhost:${port}/`, '127.0.0.0/8, ::1')).status, 200);
  });
});
