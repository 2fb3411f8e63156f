// Attack replay (issue 11, item 2): a second `kontroler up` on a live instance's data dir used to
// SIGINT the first one's PostgreSQL (which then looped on ECONNREFUSED) and delete its
// instance.json; one on another data dir but the same port hung after "port in use". Now the
// data dir is locked before anything in it is touched, and both exit at once, non-zero.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start } from '../proc.js';
import { cleanEnv, freePort, startInstance, type Instance } from './instance.js';

/** A second instance must give up within this time (it used to hang for good). */
const EXIT_WITHIN_MS = 20_000;

let a: Instance;
before(async () => {
  a = await startInstance();
});
after(async () => {
  await a.stop();
});

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function instanceFile(dataDir: string): { pid: number } {
  return JSON.parse(readFileSync(join(dataDir, 'instance.json'), 'utf8')) as { pid: number };
}

async function exitsWithin(p: ReturnType<typeof start>, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([p.exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), ms)))]);
  clearTimeout(timer);
  if (code === 'hung') {
    p.signal('SIGKILL');
    assert.fail(`the second instance did not exit within ${ms} ms:\n${p.output()}`);
  }
  return code;
}

async function stillWorks(i: Instance): Promise<void> {
  const ready = await fetch(`${i.url}/readyz`);
  assert.equal(ready.status, 200, await ready.text());
  const dags = await i.api('/api/v1/namespaces/default/dags');
  assert.equal(dags.status, 200);
}

test('a second `up` on the same data dir exits at once, non-zero, naming the pid; the first keeps its PostgreSQL and instance.json', async () => {
  await stillWorks(a);
  const pm = postmasterPid(a.dataDir);
  const firstPid = a.proc.child.pid;
  assert.equal(instanceFile(a.dataDir).pid, firstPid);
  const second = start(['up', '--dags', a.dagsDir, '--port', String(await freePort())], a.env);
  const code = await exitsWithin(second, EXIT_WITHIN_MS);
  assert.notEqual(code, 0, second.output());
  assert.match(second.output(), new RegExp(`data dir ${a.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by pid ${firstPid}`));
  assert.doesNotMatch(second.output(), /starting embedded PostgreSQL/, 'it must not touch the data dir');
  // The first one is untouched: same postmaster, its instance file, and it serves.
  assert.equal(postmasterPid(a.dataDir), pm);
  assert.equal(instanceFile(a.dataDir).pid, firstPid);
  await stillWorks(a);
});

test('a second `up` on another data dir but the same port exits non-zero (it used to hang) and leaves no lock or instance file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kontroler-sec-port-'));
  try {
    const dataDir = join(dir, 'data');
    const second = start(['up', '--dags', join(dir, 'dags'), '--port', String(a.port)], cleanEnv({ KONTROLER_DATA_DIR: dataDir }));
    const code = await exitsWithin(second, 60_000);
    assert.notEqual(code, 0, second.output());
    assert.match(second.output(), new RegExp(`port ${a.port} on 127.0.0.1 is in use`));
    assert.equal(existsSync(join(dataDir, 'kontroler.lock')), false, 'the lock is released');
    assert.equal(existsSync(join(dataDir, 'instance.json')), false);
    await stillWorks(a);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
