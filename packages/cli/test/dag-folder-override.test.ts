// A DAG that a file of the DAG folder manages is not silently overwritten through the API (issue
// 17): over real HTTP, a write answers 409 MANAGED_BY_FILE naming the file, unless the client
// confirms with ?overrideFile=true; the DAG stays the file's, and the next change of the file
// replaces the overriding version (as the editor warns).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bootstrapAdmin, createServer, type KontrolerServer } from '@kontroler/server';
import { getDag, getDagVersion } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { DagFolder } from '../dist/dag-folder.js';

const PASSWORD = 'override-admin-password';
let db: TestDatabase;
let server: KontrolerServer;
let url: string;
let dir: string;
let file: string;
let admin: string;
let viewer: string;
let folder: DagFolder;

const dagYaml = (name: string, echo: string) =>
  `apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  task:\n    - name: only\n      image: alpine:3.20\n      script: echo ${echo}\n`;

async function send(method: string, path: string, token: string, yaml?: string): Promise<{ status: number; body: { code?: string; message?: string; version?: number; details?: Array<{ path: string; message: string; source?: string }> } }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(yaml !== undefined ? { 'content-type': 'application/yaml' } : {}) },
    ...(yaml !== undefined ? { body: yaml } : {}),
  });
  return { status: res.status, body: (await res.json()) as never };
}

/** A session token of `username` (a viewer of `default`, created by `creator`, when given). */
async function signIn(username: string, password: string, creator?: string): Promise<string> {
  const json = { 'content-type': 'application/json' };
  if (creator) {
    const made = await fetch(`${url}/api/v1/users`, { method: 'POST', headers: { ...json, authorization: `Bearer ${creator}` }, body: JSON.stringify({ username, password, roles: [{ namespace: 'default', role: 'viewer' }] }) });
    assert.equal(made.status, 201, await made.text());
  }
  const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) });
  assert.equal(login.status, 200);
  return ((await login.json()) as { token: string }).token;
}

before(async () => {
  db = await createTestDatabase();
  await bootstrapAdmin(db.pool, { password: PASSWORD });
  server = await createServer({ pool: db.pool, databaseUrl: db.url, config: { jwtSecret: 'override-test-secret' } });
  url = await server.listen(0, '127.0.0.1');
  admin = await signIn('admin', PASSWORD);
  viewer = await signIn('reader', 'reader-password-123', admin);
  dir = mkdtempSync(join(tmpdir(), 'kontroler-override-'));
  file = join(dir, 'etl.yaml');
  writeFileSync(file, dagYaml('etl', 'from the file'));
  folder = new DagFolder({ dir, pool: db.pool, log: () => undefined });
  const reports = await folder.scan();
  assert.deepEqual(reports.flatMap((r) => r.errors), []);
});

after(async () => {
  await folder?.stop();
  await server?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('POST and PUT over a DAG the folder loaded answer 409 MANAGED_BY_FILE naming the file; nothing is stored', async () => {
  const dag = await getDag(db.pool, 'default', 'etl');
  assert.equal(dag?.source, `file:${file}`, 'the folder records the file as the source');
  for (const [method, path] of [['POST', '/api/v1/namespaces/default/dags'], ['PUT', '/api/v1/namespaces/default/dags/etl']] as const) {
    const r = await send(method, path, admin, dagYaml('etl', 'from the api'));
    assert.equal(r.status, 409, `${method}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.code, 'MANAGED_BY_FILE');
    assert.ok(r.body.message?.includes(file), `the message names the file: ${r.body.message}`);
    assert.ok(r.body.message?.includes('overrideFile=true'), 'the message says how to write anyway');
    assert.equal(r.body.details?.[0]?.source, file);
  }
  assert.equal((await getDagVersion(db.pool, 'default', 'etl'))?.version, 1);
  // A dry run stores nothing, so it is not refused; a DAG of no file is written as before.
  assert.equal((await send('POST', '/api/v1/namespaces/default/dags?dryRun=true', admin, dagYaml('etl', 'from the api'))).status, 200);
  assert.equal((await send('POST', '/api/v1/namespaces/default/dags', admin, dagYaml('api-only', 'x'))).status, 201);
  assert.equal((await send('POST', '/api/v1/namespaces/default/dags', admin, dagYaml('api-only', 'y'))).status, 200);
});

test('?overrideFile=true writes a version; the DAG stays the file\'s, and the next change of the file replaces it', async () => {
  assert.equal((await send('PUT', '/api/v1/namespaces/default/dags/etl?overrideFile=true', viewer, dagYaml('etl', 'x'))).status, 403, 'the override needs the editor role as any write');
  const bad = await send('PUT', '/api/v1/namespaces/default/dags/etl?overrideFile=maybe', admin, dagYaml('etl', 'x'));
  assert.equal(bad.status, 400);
  assert.ok(bad.body.details?.some((d) => d.path === 'query.overrideFile'), JSON.stringify(bad.body));

  const r = await send('PUT', '/api/v1/namespaces/default/dags/etl?overrideFile=true', admin, dagYaml('etl', 'from the api'));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.version, 2);
  assert.equal((await getDag(db.pool, 'default', 'etl'))?.source, `file:${file}`, 'still managed by its file');
  assert.equal((await send('PUT', '/api/v1/namespaces/default/dags/etl', admin, dagYaml('etl', 'again'))).status, 409, 'the next write is refused again');

  writeFileSync(file, dagYaml('etl', 'the file changed'));
  await folder.scan();
  const v = await getDagVersion(db.pool, 'default', 'etl');
  assert.equal(v?.version, 3);
  assert.match(JSON.stringify(v?.spec), /the file changed/);
});
