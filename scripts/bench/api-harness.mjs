// What the API benchmarks share: a scratch database (on $KONTROLER_BENCH_DATABASE_URL, or an
// embedded PostgreSQL in a temporary folder), the API server in a child process (the benchmark
// script run again with --serve), an admin API token, and sequential request latency over
// keep-alive HTTP (p50/p99 and the response's size). Everything it starts, `close` stops.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const store = await import(join(root, 'packages/store/dist/index.js'));

/** In the child (`--serve`): runs the API server on BENCH_DB_URL until SIGTERM; never returns. */
export async function serveIfChild(poolSize = 10) {
  if (!process.argv.includes('--serve')) return;
  const { createServer } = await import(join(root, 'packages/server/dist/index.js'));
  const pool = store.createPool(process.env.BENCH_DB_URL, poolSize);
  const server = await createServer({ pool, databaseUrl: process.env.BENCH_DB_URL, config: { jwtSecret: 'bench' } });
  const url = await server.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${url}\n`);
  process.on('SIGTERM', async () => {
    await server.close();
    await pool.end();
    process.exit(0);
  });
  await new Promise(() => {});
}

/** A fresh database named after `prefix`, with a pool of `poolSize`; `drop` removes it (unless --keep). */
export async function scratchDatabase(prefix, poolSize = 4) {
  let pg;
  let pgDir;
  let baseUrl = process.env.KONTROLER_BENCH_DATABASE_URL;
  if (!baseUrl) {
    const { startEmbeddedPostgres } = await import(join(root, 'packages/cli/dist/embedded/index.js'));
    pgDir = mkdtempSync(join(tmpdir(), 'kontroler-bench-pg-'));
    chmodSync(pgDir, 0o755);
    pg = await startEmbeddedPostgres({ dataDir: pgDir });
    baseUrl = pg.superuserUrl; // it creates a database
  }
  const dbName = `${prefix}_${Date.now().toString(36)}`;
  const admin = store.createPool(baseUrl, 1);
  await admin.query(`create database ${dbName}`);
  const u = new URL(baseUrl);
  u.pathname = `/${dbName}`;
  const dbUrl = u.toString();
  const pool = store.createPool(dbUrl, poolSize);
  return {
    dbUrl,
    pool,
    async drop() {
      await pool.end();
      if (process.argv.includes('--keep')) console.log(`kept database ${dbUrl}`);
      else await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
      if (pg) await pg.stop();
      if (pgDir) rmSync(pgDir, { recursive: true, force: true });
    },
  };
}

/** Starts `script --serve` on `dbUrl`: its URL, and `stop`. */
export async function serverChild(script, dbUrl) {
  const child = spawn(process.execPath, [script, '--serve'], { env: { ...process.env, BENCH_DB_URL: dbUrl }, stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /READY (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (c) => reject(new Error(`server exited (${c})`)));
    });
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** An admin API token on the server at `url` (bootstraps the admin user in `pool`). */
export async function adminToken(url, pool) {
  const { bootstrapAdmin } = await import(join(root, 'packages/server/dist/index.js'));
  await bootstrapAdmin(pool, { password: 'bench-password' });
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'bench-password' }) }).then((r) => r.json());
  const tok = await fetch(`${url}/api/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${login.token}` }, body: JSON.stringify({ name: 'bench' }) }).then((r) => r.json());
  return tok.token;
}

export function newAgent(maxSockets) {
  return new http.Agent({ keepAlive: true, maxSockets });
}

/** One GET with a bearer token: its status and the response's size in bytes. */
export function request(agent, url, path, token, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { agent, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      let n = 0;
      res.on('data', (d) => (n += d.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes: n }));
    });
    req.on('error', reject);
    req.end();
  });
}

export function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `n` sequential GETs of `path` after 20 to warm up: p50 and p99 in ms, and the last size. */
export async function latency(agent, url, token, name, path, n) {
  for (let i = 0; i < 20; i++) await request(agent, url, path, token);
  const times = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const r = await request(agent, url, path, token);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 200) throw new Error(`${name}: HTTP ${r.status}`);
    bytes = r.bytes;
  }
  times.sort((a, b) => a - b);
  return { name, n, p50: pct(times, 50), p99: pct(times, 99), bytes };
}
