// Issue 11, item 4, all-in-one mode: when the embedded PostgreSQL dies and cannot be brought back,
// `kontroler up` used to keep answering /healthz 200 and retrying forever. Now it restarts the
// postmaster with backoff (RESTART_POLICY) and, when that keeps failing, exits non-zero.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESTART_POLICY } from '@kontroler/cli/embedded';
import { startInstance, type Instance } from './instance.js';

let a: Instance;
before(async () => {
  a = await startInstance();
});
after(async () => {
  chmodSync(join(a.dataDir, 'pg'), 0o700);
  await a.stop();
});

/** Longest the restarts can take: every delay at its cap, plus a start attempt each, plus the shutdown. */
const GIVE_UP_WITHIN_MS = RESTART_POLICY.limit * (RESTART_POLICY.maxDelayMs + 2_000) + 20_000;

test('a postmaster that cannot be restarted makes `up` exit non-zero, after the restarts it is allowed', async () => {
  const pid = Number(readFileSync(join(a.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  chmodSync(join(a.dataDir, 'pg'), 0o000); // the server can no longer read its folder
  const t0 = Date.now();
  process.kill(pid, 'SIGKILL');
  // While it tries: not ready, but alive.
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${a.url}/readyz`)).status !== 503) {
    assert.ok(Date.now() < deadline, '/readyz turns 503 while the database is gone');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal((await fetch(`${a.url}/healthz`)).status, 200);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([a.proc.exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), GIVE_UP_WITHIN_MS)))]);
  clearTimeout(timer);
  assert.notEqual(code, 'hung', `still running ${GIVE_UP_WITHIN_MS} ms later:\n${a.proc.output().slice(-2000)}`);
  assert.equal(code, 1, a.proc.output().slice(-2000));
  assert.match(a.proc.output(), /the embedded PostgreSQL died and could not be restarted/);
  process.stderr.write(`postmaster-gone: exited ${Date.now() - t0} ms after the kill (code ${String(code)})\n`);
});
