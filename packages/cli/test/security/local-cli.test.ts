// Attack replay (issue 12, one CLI path): `kontroler run` and `kontroler logs` without --server
// went straight to the local instance's database, past RBAC and the audit log, while `get dags`
// said "no server". Now every command goes through the API: `kontroler up` issues a local
// credential (an API token of its admin) at each start, keeps it with its URL in the private
// instance.json, and revokes it at stop; a killed instance's token is revoked by the next start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { run } from '../proc.js';
import { startInstance, type Instance } from './instance.js';

let db: TestDatabase;
let dir: string;
let home: string;
let k: Instance | undefined;

before(async () => {
  // An external database, so the token rows can be read while no instance runs.
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'kontroler-sec-cli-'));
  home = mkdtempSync(join(tmpdir(), 'kontroler-sec-cli-home-'));
});
after(async () => {
  await k?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
  await db.drop();
});

const DAG = 'apiVersion: kontroler.greedykomodo/v1alpha1\nkind: DAG\nmetadata: {name: hello}\nspec:\n  task:\n    - name: say\n      image: alpine\n      script: "echo hello from the local instance"\n';

/** The CLI as a newcomer runs it: no login, no --server, no token; only the data dir. */
function cli(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  if (!k) throw new Error('no instance');
  const { KONTROLER_ADMIN_PASSWORD: _p, ...env } = k.env;
  return run(args, { ...env, HOME: home, KONTROLER_CONFIG: join(home, 'config.json'), ...extra });
}

function instanceToken(i: Instance): string {
  const t = (JSON.parse(readFileSync(join(i.dataDir, 'instance.json'), 'utf8')) as { token?: string }).token;
  assert.match(t ?? '', /^kt_/, 'instance.json holds the local credential');
  return t!;
}

async function tokenRows(): Promise<Array<{ name: string; revoked: boolean }>> {
  const { rows } = await db.pool.query<{ name: string; revoked: boolean }>("select name, revoked_at is not null as revoked from api_tokens where name like 'local-cli@%' order by id");
  return rows;
}

test('without a login the CLI works against the local instance, through the API: RBAC applies and the audit log records it', async () => {
  k = await startInstance({ dir, env: { DATABASE_URL: db.url } });
  writeFileSync(join(k.dagsDir, 'hello.yaml'), DAG);
  await k.proc.waitFor(/DAG default\/hello: loaded version 1/);

  const dags = await cli(['get', 'dags']);
  assert.equal(dags.code, 0, dags.out);
  assert.match(dags.out, /default\s+hello\s+1/);
  const me = await cli(['whoami']);
  assert.match(me.out, /admin\s+token local-cli@[0-9a-f]{16}/, me.out);

  const started = await cli(['run', 'hello', '--wait']);
  assert.equal(started.code, 0, started.out);
  const id = /started run (\d+)/.exec(started.out)?.[1];
  assert.ok(id, started.out);
  const logs = await cli(['logs', id, 'say']);
  assert.equal(logs.code, 0, logs.out);
  assert.match(logs.out, /hello from the local instance/);

  const audit = (await (await k.api('/api/v1/audit?action=run.start')).json()) as { items: Array<{ actor: string; resource: string | null }> };
  assert.ok(
    audit.items.some((e) => /^token:local-cli@[0-9a-f]{16} \(admin\)$/.test(e.actor)),
    `run.start audited with the local token as actor: ${JSON.stringify(audit.items)}`,
  );

  // RBAC: a viewer's token given to the CLI cannot start a run on the local instance (the
  // database path took no credential at all).
  const res = await k.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ name: 'viewer-only', role: 'viewer' }) });
  assert.equal(res.status, 201);
  const viewer = ((await res.json()) as { token: string }).token;
  const denied = await cli(['run', 'hello'], { KONTROLER_TOKEN: viewer });
  assert.equal(denied.code, 1, denied.out);
  assert.match(denied.out, /FORBIDDEN/);
  const listed = await cli(['runs'], { KONTROLER_TOKEN: viewer });
  assert.equal(listed.code, 0, listed.out);
  assert.match(listed.out, new RegExp(`^${id}\\s+default\\s+hello\\s+succeeded`, 'm'));
});

test('the local token is revoked at stop; a killed instance\'s token is revoked by the next start', async () => {
  assert.ok(k);
  const first = instanceToken(k);
  k.proc.signal('SIGKILL');
  await k.proc.exited;
  k = undefined;
  assert.deepEqual((await tokenRows()).map((r) => r.revoked), [false], 'a kill leaves the token live');

  k = await startInstance({ dir, env: { DATABASE_URL: db.url } });
  const second = instanceToken(k);
  assert.notEqual(second, first);
  const old = await fetch(`${k.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${first}` } });
  assert.equal(old.status, 401, 'the killed instance\'s token no longer works');
  const now = await fetch(`${k.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${second}` } });
  assert.equal(now.status, 200);
  const rows = await tokenRows();
  assert.deepEqual(rows.map((r) => r.revoked), [true, false]);
  assert.equal(rows[0]?.name, rows[1]?.name, 'one token name per instance (host and data dir)');

  const stopping = k;
  k = undefined;
  await stopping.stop();
  assert.deepEqual((await tokenRows()).map((r) => r.revoked), [true, true], 'a clean stop revokes the token');

  // No instance: the CLI says how to start one or where else to go, instead of "no server".
  const { KONTROLER_ADMIN_PASSWORD: _p, ...env } = stopping.env;
  const none = await run(['get', 'dags'], { ...env, HOME: home, KONTROLER_CONFIG: join(home, 'config.json') });
  assert.equal(none.code, 1);
  assert.match(none.out, /UNAVAILABLE.*no running Kontroler found in .*: start it with `npm start`.*or pass --server URL/);
});
