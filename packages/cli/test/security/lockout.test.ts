// Attack replay (issue 11, item 6): a third party sends wrong passwords for `admin`. Before, ten
// of them from anywhere locked admin out for 15 minutes, renewable forever. Now failures are
// throttled per (user, address) with growing delays (429 + Retry-After), and admin signs in from
// another address at any time. The third party's socket is bound to 127.0.0.2 (the server does
// not trust X-Forwarded-For by default, so a spoofed header must not help either).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { ADMIN_PASSWORD, startInstance, type Instance } from './instance.js';

let k: Instance;
before(async () => { k = await startInstance(); });
after(async () => k.stop());

/** Defaults of `kontroler up`: 10 failures per (user, address) before the first delay. */
const FREE_FAILURES = 10;

function login(localAddress: string, password: string, headers: Record<string, string> = {}): Promise<{ status: number; retryAfter: number }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ username: 'admin', password });
    const req = request(`${k.url}/api/v1/auth/login`, {
      method: 'POST',
      localAddress,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 0) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Waits out a Retry-After (the protocol under test: the client is told how long to wait). */
const waitOut = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000 + 50));

test('a third party\'s wrong passwords from one address do not stop admin from another; delays grow', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < FREE_FAILURES; i++) statuses.push((await login('127.0.0.2', `wrong-${i}`)).status);
  assert.deepEqual(statuses, Array(FREE_FAILURES).fill(401));

  const delays: number[] = [];
  for (let round = 0; round < 3; round++) {
    const blocked = await login('127.0.0.2', 'wrong-again');
    assert.equal(blocked.status, 429);
    delays.push(blocked.retryAfter);
    // While the attacker waits: the right password from the attacker's address is refused too...
    assert.equal((await login('127.0.0.2', ADMIN_PASSWORD)).status, 429);
    // ...a spoofed X-Forwarded-For does not escape the throttle (the proxy header is not trusted)...
    assert.equal((await login('127.0.0.2', 'wrong', { 'x-forwarded-for': `10.0.0.${round}` })).status, 429);
    // ...and admin signs in from another address.
    assert.equal((await login('127.0.0.1', ADMIN_PASSWORD)).status, 200);
    await waitOut(blocked.retryAfter);
    assert.equal((await login('127.0.0.2', 'wrong-after-the-wait')).status, 401, 'after the delay a try is answered again');
  }
  assert.deepEqual(delays, [1, 2, 4], 'delays grow');
});
