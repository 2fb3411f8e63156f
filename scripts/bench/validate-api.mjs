#!/usr/bin/env node
// The measurement (item 10) through a real all-in-one `kontroler up`: POST a DAG of N
// tasks to /dags/validate, poll /healthz meanwhile, and read the process's peak RSS (VmHWM).
//   node scripts/bench/validate-api.mjs [N...]   (default 5000 20000; Linux only: reads /proc)
// KONTROLER_BIN picks another build (e.g. a main checkout's packages/cli/bin/kontroler.js).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { largeDag } from './validate-large.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = process.env.KONTROLER_BIN ?? join(root, 'packages/cli/bin/kontroler.js');
const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
const port = await new Promise((r) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const dir = mkdtempSync(join(tmpdir(), 'kontroler-bench-'));
mkdirSync(join(dir, 'dags'));
const { DATABASE_URL: _a, KONTROLER_DATABASE_URL: _b, KONTROLER_TEST_DATABASE_URL: _c, ...env } = process.env;
const child = spawn(process.execPath, [bin, 'up', '--dags', join(dir, 'dags'), '--port', String(port)], {
  env: { ...env, KONTROLER_DATA_DIR: join(dir, 'data'), KONTROLER_ADMIN_PASSWORD: 'bench-admin-password-1' },
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
});
let out = '';
child.stdout.on('data', (d) => (out += d));
child.stderr.on('data', (d) => (out += d));
const url = `http://127.0.0.1:${port}`;
try {
  for (let t = Date.now(); !/Kontroler is up/.test(out); ) {
    if (Date.now() - t > 120_000 || child.exitCode !== null) throw new Error(`did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'bench-admin-password-1' }) });
  const { token } = await login.json();
  // Which process is the API: the one listening (all-in-one = the `up` process itself).
  const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  console.log(`baseline peak RSS ${hwm().toFixed(0)} MiB (${bin})`);
  for (const n of sizes.length > 0 ? sizes : [5000, 20000]) {
    const body = JSON.stringify(largeDag(n));
    let worstHealth = 0;
    let done = false;
    const poll = (async () => {
      while (!done) {
        const t0 = performance.now();
        await fetch(`${url}/healthz`).then((r) => r.arrayBuffer());
        worstHealth = Math.max(worstHealth, performance.now() - t0);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const t0 = performance.now();
    const res = await fetch(`${url}/api/v1/namespaces/bench/dags/validate`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    const answer = await res.json();
    const ms = performance.now() - t0;
    done = true;
    await poll;
    console.log(`${String(n).padStart(6)} tasks, ${(body.length / 1048576).toFixed(2)} MiB: validate ${res.status} valid=${answer.valid} in ${ms.toFixed(0)} ms; slowest /healthz ${worstHealth.toFixed(0)} ms; peak RSS so far ${hwm().toFixed(0)} MiB`);
  }
} finally {
  try { process.kill(-child.pid, 'SIGINT'); } catch {}
  await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}
