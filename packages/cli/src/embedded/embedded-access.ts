// Who may connect to the embedded PostgreSQL, and as whom. Every data dir has its own random
// superuser password and its own application role (`kontroler`: no superuser, no CREATEDB, no
// CREATEROLE) that owns the schema Kontroler's tables live in, and nothing else. Both passwords
// are files readable only by the user that runs Kontroler. Only 127.0.0.1 and a Unix socket in a
// private folder are accepted, both with scram-sha-256. Data dirs made by older versions (superuser password
// `LEGACY_SUPERUSER_PASSWORD`, public in the source) are upgraded at their next start.
import { randomBytes } from 'node:crypto';
import { chmod, chown, link, mkdir, mkdtemp, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const SUPERUSER = 'postgres';
export const APP_ROLE = 'kontroler';
/** The database that holds Kontroler's tables (older data dirs put them there; kept for them). */
export const APP_DATABASE = 'postgres';
/** The superuser password every data dir had before passwords were per data dir. Never accepted after an upgrade. */
export const LEGACY_SUPERUSER_PASSWORD = 'kontroler';

/** Where the passwords of a data dir's cluster are kept (folder 0700, files 0600). */
export function secretsDir(dataDir: string): string {
  return join(dataDir, 'secrets');
}

export interface ClusterSecrets {
  superuserPassword: string;
  appPassword: string;
}

function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

/**
 * Reads the secret in `path`, or creates it (32 random bytes, base64url) with mode 0600. The file
 * is written under a temporary name and hard-linked into place, so it is never seen half-written
 * and two starters agree on one value. Idempotent.
 */
async function readOrCreateSecret(path: string): Promise<string> {
  for (;;) {
    try {
      const text = (await readFile(path, 'utf8')).trim();
      if (text.length > 0) return text;
      throw new Error(`${path} is empty: remove it, and the superuser password file with it only for a new cluster`);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw e;
    }
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    try {
      await link(tmp, path);
    } catch (e) {
      if (!isErrno(e, 'EEXIST')) throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }
}

/** The passwords of this data dir's cluster, created on first use. */
export async function clusterSecrets(dataDir: string): Promise<ClusterSecrets> {
  const dir = secretsDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return {
    superuserPassword: await readOrCreateSecret(join(dir, 'postgres-superuser-password')),
    appPassword: await readOrCreateSecret(join(dir, 'postgres-app-password')),
  };
}

/**
 * pg_hba.conf while the access is set up: SCRAM logins over the Unix socket only. The socket is
 * in a folder only the user running Kontroler can enter (see `privateSocketDir`), so nobody else
 * can try the public legacy password of an old (or a just initialised) cluster before it is
 * rotated. TCP connections match no line and are refused.
 */
export const HBA_SETUP = ['# Written by Kontroler at every start: edits are overwritten.', 'local   all  all                scram-sha-256', ''].join('\n');
/** pg_hba.conf once the passwords are this data dir's own: also 127.0.0.1, nothing else. */
export const HBA_SERVE = HBA_SETUP + 'host    all  all  127.0.0.1/32  scram-sha-256\n';

/** Server settings that keep the cluster reachable from this machine's loopback (and the private socket) only. */
export function serverFlags(socketDir: string): string[] {
  return ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir}`, '-c', 'unix_socket_permissions=0700', '-c', 'password_encryption=scram-sha-256'];
}

/** Writes pg_hba.conf into the cluster folder, owned like the cluster (the `postgres` user when we are root). */
export async function writeHba(databaseDir: string, text: string): Promise<void> {
  const owner = await stat(join(databaseDir, 'PG_VERSION'));
  const path = join(databaseDir, 'pg_hba.conf');
  await writeFile(`${path}.tmp`, text, { mode: 0o600 });
  if (typeof process.getuid === 'function' && process.getuid() === 0) await chown(`${path}.tmp`, owner.uid, owner.gid);
  await rename(`${path}.tmp`, path);
}

/**
 * A fresh folder (mode 0700) for the server's Unix socket, owned by the user the server runs as
 * (`postgres` when we are root: root enters it anyway). Short, so the socket path fits in 107 bytes.
 */
export async function privateSocketDir(databaseDir: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kontroler-pg-'));
  await chmod(dir, 0o700);
  if (typeof process.getuid === 'function' && process.getuid() === 0) {
    const owner = await stat(join(databaseDir, 'PG_VERSION'));
    await chown(dir, owner.uid, owner.gid);
  }
  return dir;
}

export function urlFor(user: string, password: string, port: number, database = APP_DATABASE): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function connectAs(user: string, password: string, socketDir: string, port: number): Promise<pg.Client> {
  const c = new pg.Client({ host: socketDir, port, user, password, database: APP_DATABASE, application_name: 'kontroler-setup' });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/**
 * Connects as the superuser with this data dir's password. A cluster an older version made still
 * has the public legacy password: it is rotated to the data dir's own at once. Throws when
 * neither works (the message says which file holds the password).
 */
async function superuserClient(socketDir: string, port: number, secrets: ClusterSecrets, dataDir: string, notice: ((l: string) => void) | undefined): Promise<pg.Client> {
  try {
    return await connectAs(SUPERUSER, secrets.superuserPassword, socketDir, port);
  } catch (e) {
    if ((e as { code?: string }).code !== '28P01') throw e;
  }
  let legacy: pg.Client;
  try {
    legacy = await connectAs(SUPERUSER, LEGACY_SUPERUSER_PASSWORD, socketDir, port);
  } catch (cause) {
    throw new Error(
      `the embedded PostgreSQL refused the superuser password in ${join(secretsDir(dataDir), 'postgres-superuser-password')}: ` +
        'restore that file from a backup of this data dir',
      { cause },
    );
  }
  await legacy.query(`alter role ${pg.escapeIdentifier(SUPERUSER)} password ${pg.escapeLiteral(secrets.superuserPassword)}`);
  notice?.('[kontroler] rotated the embedded PostgreSQL superuser password (it was the old public default) to one of this data dir\'s own');
  return legacy;
}

/**
 * Makes sure the application role exists with this data dir's password and owns the schema
 * `public` of the application database and every table, sequence, view, function and type in it
 * (tables an older version created as the superuser are handed over). Idempotent; run as the
 * superuser over the private socket at every start, while pg_hba.conf is HBA_SETUP.
 */
export async function prepareAccess(socketDir: string, port: number, dataDir: string, fresh: boolean, notice: (l: string) => void): Promise<ClusterSecrets> {
  const secrets = await clusterSecrets(dataDir);
  // A cluster initdb just made has the legacy password too: rotating it is no news.
  const c = await superuserClient(socketDir, port, secrets, dataDir, fresh ? undefined : notice);
  try {
    const role = pg.escapeIdentifier(APP_ROLE);
    const pw = pg.escapeLiteral(secrets.appPassword);
    const { rowCount } = await c.query('select 1 from pg_roles where rolname = $1', [APP_ROLE]);
    const attrs = 'login nosuperuser nocreatedb nocreaterole noreplication nobypassrls';
    await c.query(rowCount === 0 ? `create role ${role} ${attrs} password ${pw}` : `alter role ${role} ${attrs} password ${pw}`);
    await c.query('begin');
    await c.query(`alter schema public owner to ${role}`);
    await c.query('revoke create on schema public from public');
    await c.query(`revoke all on database ${pg.escapeIdentifier(APP_DATABASE)} from public`);
    await c.query(`grant connect, temporary on database ${pg.escapeIdentifier(APP_DATABASE)} to ${role}`);
    // Tables first: their indexes and owned (serial) sequences follow them.
    const owned = await c.query<{ sql: string }>(
      `select format('alter %s %s owner to %I', kind, obj, $1::text) as sql from (
         select case c.relkind when 'v' then 'view' when 'm' then 'materialized view' when 'S' then 'sequence'
                                when 'f' then 'foreign table' else 'table' end as kind,
                c.oid::regclass::text as obj, case when c.relkind in ('r', 'p') then 0 else 1 end as ord
           from pg_class c
          where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
            and pg_get_userbyid(c.relowner) <> $1
            and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i'))
         union all
         select case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end,
                p.oid::regprocedure::text, 2
           from pg_proc p where p.pronamespace = 'public'::regnamespace and pg_get_userbyid(p.proowner) <> $1
         union all
         select 'type', t.oid::regtype::text, 3
           from pg_type t where t.typnamespace = 'public'::regnamespace and t.typtype in ('e', 'd', 'r', 'm')
            and pg_get_userbyid(t.typowner) <> $1
       ) x order by ord`,
      [APP_ROLE],
    );
    for (const r of owned.rows) await c.query(r.sql);
    await c.query('commit');
    if (owned.rows.length > 0) notice(`[kontroler] handed ${owned.rows.length} database objects to the application role "${APP_ROLE}"`);
  } catch (e) {
    await c.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    await c.end().catch(() => undefined);
  }
  return secrets;
}

/** Time `openTcp` waits for the server to load HBA_SERVE after a reload. */
export const RELOAD_WAIT_MS = 10_000;

/**
 * Switches pg_hba.conf to HBA_SERVE and waits until the application role can log in over TCP
 * (a reload is asynchronous). Throws when it cannot within RELOAD_WAIT_MS.
 */
export async function openTcp(databaseDir: string, socketDir: string, port: number, secrets: ClusterSecrets): Promise<void> {
  await writeHba(databaseDir, HBA_SERVE);
  const su = await connectAs(SUPERUSER, secrets.superuserPassword, socketDir, port);
  try {
    await su.query('select pg_reload_conf()');
  } finally {
    await su.end().catch(() => undefined);
  }
  const deadline = Date.now() + RELOAD_WAIT_MS;
  for (;;) {
    const c = new pg.Client({ connectionString: urlFor(APP_ROLE, secrets.appPassword, port), application_name: 'kontroler-setup' });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.end();
      return;
    } catch (e) {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL did not accept the application role over 127.0.0.1:${port} within ${RELOAD_WAIT_MS} ms`, { cause: e });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
