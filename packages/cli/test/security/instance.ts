// A real all-in-one Kontroler (`kontroler up`: embedded PostgreSQL, controller, API) on a fresh
// data folder, for the attack replays in this folder. Each test file starts its own.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, type Proc } from '../proc.js';

/** How long `stop()` waits after SIGINT before it kills the instance and fails. */
const STOP_LIMIT_MS = 30_000;

export const ADMIN_PASSWORD = 'security-test-admin-password-1';

export interface Instance {
  /** Base URL of the API, e.g. http://127.0.0.1:PORT */
  url: string;
  port: number;
  dir: string;
  dataDir: string;
  dagsDir: string;
  env: NodeJS.ProcessEnv;
  proc: Proc;
  /** A Bearer token of the built-in admin. */
  adminToken(): Promise<string>;
  /** fetch against the instance with the admin's Bearer token (unless headers say otherwise). */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** SIGINT, wait for exit, remove the folder. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** The environment of a test process, less whatever would point Kontroler at another database. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { DATABASE_URL: _a, KONTROLER_DATABASE_URL: _b, KONTROLER_TEST_DATABASE_URL: _c, ...rest } = process.env;
  return { ...rest, ...extra };
}

/** Signs in as the built-in admin (password ADMIN_PASSWORD) at `url`; resolves with its Bearer token. */
export async function loginAdmin(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export interface InstanceOptions {
  env?: NodeJS.ProcessEnv;
  args?: string[];
  /** Reuse this folder (data in DIR/data, DAGs in DIR/dags) instead of a fresh one. */
  dir?: string;
}

export async function startInstance(o: InstanceOptions = {}): Promise<Instance> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'kontroler-sec-'));
  const dataDir = join(dir, 'data');
  const dagsDir = join(dir, 'dags');
  mkdirSync(dagsDir, { recursive: true });
  const port = await freePort();
  const env = cleanEnv({ KONTROLER_DATA_DIR: dataDir, KONTROLER_ADMIN_PASSWORD: ADMIN_PASSWORD, ...o.env });
  const proc = start(['up', '--dags', dagsDir, '--port', String(port), ...(o.args ?? [])], env);
  await proc.waitFor(/Kontroler is up/, 120_000);
  const url = `http://127.0.0.1:${port}`;
  let token: string | undefined;
  const adminToken = async () => {
    token ??= await loginAdmin(url);
    return token;
  };
  return {
    url,
    port,
    dir,
    dataDir,
    dagsDir,
    env,
    proc,
    adminToken,
    async api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${await adminToken()}`);
      if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      return fetch(`${url}${path}`, { ...init, headers });
    },
    async stop() {
      proc.signal('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), STOP_LIMIT_MS)));
      const outcome = await Promise.race([proc.exited, late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        proc.signal('SIGKILL');
        await proc.exited;
      }
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
      if (outcome === 'late') throw new Error(`kontroler up did not stop within ${STOP_LIMIT_MS} ms of SIGINT (killed); its output:\n${proc.output().slice(-4000)}`);
    },
  };
}
