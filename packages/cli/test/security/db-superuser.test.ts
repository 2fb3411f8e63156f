// Attack replay (issue 11, item 3): the embedded PostgreSQL's superuser password was a constant
// in the source, its port visible in `ps`; a local user logged in as superuser, read the session
// signing key and forged an admin session. Now each data dir has its own random passwords (files
// 0600), the application connects as a role that is no superuser, and an old data dir is
// upgraded at its next start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { APP_ROLE, LEGACY_SUPERUSER_PASSWORD } from '@kontroler/cli/embedded';
import { startInstance, type Instance } from './instance.js';

let a: Instance;
let dir: string;
before(async () => {
  a = await startInstance();
  dir = a.dir;
});
after(async () => {
  await a?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function appUrl(i: Instance): string {
  return (JSON.parse(readFileSync(join(i.dataDir, 'instance.json'), 'utf8')) as { databaseUrl: string }).databaseUrl;
}

function portOf(i: Instance): number {
  return Number(new URL(appUrl(i)).port);
}

async function connect(config: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(config);
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function refused(config: pg.ClientConfig): Promise<string> {
  try {
    const c = await connect(config);
    await c.end();
  } catch (e) {
    return String((e as { code?: string }).code ?? (e as Error).message);
  }
  return assert.fail(`connected as ${config.user}`);
}

async function sqlstate(c: pg.Client, sql: string): Promise<string | undefined> {
  try {
    await c.query(sql);
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

test('the old constant superuser password is refused on the embedded PostgreSQL\'s port', async () => {
  const code = await refused({ host: '127.0.0.1', port: portOf(a), user: 'postgres', password: LEGACY_SUPERUSER_PASSWORD, database: 'postgres' });
  assert.equal(code, '28P01', 'password authentication failed');
  // No trust or peer line to fall back on: every pg_hba line asks for SCRAM.
  assert.equal(await refused({ host: '127.0.0.1', port: portOf(a), user: 'postgres', password: 'postgres', database: 'postgres' }), '28P01');
});

test('the application role is no superuser: no pg_authid, no roles, no databases, no server files', async () => {
  const url = appUrl(a);
  assert.equal(new URL(url).username, APP_ROLE);
  const c = await connect({ connectionString: url });
  try {
    const { rows } = await c.query<{ rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; rolbypassrls: boolean }>(
      'select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls from pg_roles where rolname = current_user',
    );
    assert.deepEqual(rows[0], { rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false });
    assert.equal(await sqlstate(c, 'select rolpassword from pg_authid'), '42501');
    assert.equal(await sqlstate(c, `alter role postgres password 'x'`), '42501');
    assert.equal(await sqlstate(c, 'create role intruder superuser'), '42501');
    assert.equal(await sqlstate(c, 'create database intruder'), '42501');
    assert.equal(await sqlstate(c, `select pg_read_file('pg_hba.conf')`), '42501');
    assert.equal(await sqlstate(c, `copy (select 1) to program 'id'`), '42501');
    // It owns Kontroler's tables (it must, to migrate them) and nothing of the system.
    const owners = await c.query<{ owner: string }>(
      `select distinct pg_get_userbyid(relowner) as owner from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'S')`,
    );
    assert.deepEqual(owners.rows.map((r) => r.owner), [APP_ROLE]);
    const listen = await c.query<{ listen_addresses: string }>('show listen_addresses');
    assert.equal(listen.rows[0]?.listen_addresses, '127.0.0.1');
    assert.equal(await sqlstate(c, 'show unix_socket_directories'), '42501');
    // Line 5 of postmaster.pid: the socket folder.
    const sockDir = readFileSync(join(a.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[4] ?? '';
    assert.equal(statSync(sockDir).mode & 0o777, 0o700, `socket folder ${sockDir} is private`);
  } finally {
    await c.end();
  }
});

test('pg_hba.conf accepts SCRAM over 127.0.0.1 and the private socket only; the password files are 0600 in a 0700 folder', () => {
  const hba = readFileSync(join(a.dataDir, 'pg', 'pg_hba.conf'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/).join(' '));
  assert.deepEqual(hba, ['local all all scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256']);
  const secrets = join(a.dataDir, 'secrets');
  assert.equal(statSync(secrets).mode & 0o777, 0o700);
  for (const f of ['postgres-superuser-password', 'postgres-app-password']) {
    assert.equal(statSync(join(secrets, f)).mode & 0o777, 0o600, f);
    assert.ok(readFileSync(join(secrets, f), 'utf8').trim().length >= 40, `${f} is a long random secret`);
  }
  assert.notEqual(readFileSync(join(secrets, 'postgres-superuser-password'), 'utf8').trim(), LEGACY_SUPERUSER_PASSWORD);
});

test('a data dir made by an older version (constant password, tables owned by the superuser) is upgraded at its next start', async () => {
  const superPw = readFileSync(join(a.dataDir, 'secrets', 'postgres-superuser-password'), 'utf8').trim();
  const put = await a.api('/api/v1/namespaces/default/dags/kept', {
    method: 'PUT',
    body: JSON.stringify({ apiVersion: 'kontroler.greedykomodo/v1alpha1', kind: 'DAG', metadata: { name: 'kept' }, spec: { task: [{ name: 'a', image: 'alpine', command: ['true'] }] } }),
  });
  assert.ok(put.status === 200 || put.status === 201, await put.text());
  // Turn it into what an old version left: the public password, everything owned by the superuser, no secrets folder.
  const su = await connect({ host: '127.0.0.1', port: portOf(a), user: 'postgres', password: superPw, database: 'postgres' });
  await su.query(`reassign owned by ${APP_ROLE} to postgres`);
  await su.query(`alter role postgres password '${LEGACY_SUPERUSER_PASSWORD}'`);
  await su.end();
  a.proc.signal('SIGINT');
  await a.proc.exited;
  rmSync(join(dir, 'data', 'secrets'), { recursive: true, force: true });
  writeFileSync(join(dir, 'data', 'pg', 'pg_hba.conf'), 'host all all 0.0.0.0/0 scram-sha-256\n');

  a = await startInstance({ dir });
  assert.match(a.proc.output(), /rotated the embedded PostgreSQL superuser password/);
  assert.equal(await refused({ host: '127.0.0.1', port: portOf(a), user: 'postgres', password: LEGACY_SUPERUSER_PASSWORD, database: 'postgres' }), '28P01');
  const c = await connect({ connectionString: appUrl(a) });
  try {
    const owners = await c.query<{ owner: string }>(
      `select distinct pg_get_userbyid(relowner) as owner from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'S', 'i')`,
    );
    assert.deepEqual(owners.rows.map((r) => r.owner), [APP_ROLE]);
  } finally {
    await c.end();
  }
  const got = await a.api('/api/v1/namespaces/default/dags/kept');
  assert.equal(got.status, 200, 'the data is still there');
  assert.equal(statSync(join(a.dataDir, 'secrets', 'postgres-superuser-password')).mode & 0o777, 0o600);
});
