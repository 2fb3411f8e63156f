// The data-dir lock on its own: a live holder refuses, a provably dead one is taken over.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDataDir, LOCK_FILE } from '@kontroler/cli';

const dir = mkdtempSync(join(tmpdir(), 'kontroler-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function ownStartTime(): string {
  const line = readFileSync('/proc/self/stat', 'utf8');
  return line.slice(line.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

function writeLock(d: string, pid: number, startTime: string | null): void {
  writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid, startTime, host: hostname(), since: 'earlier' }));
}

function sub(name: string): string {
  const d = join(dir, name);
  spawnSync('mkdir', ['-p', d]);
  return d;
}

test('a second lock on a held data dir is refused with "data dir X is in use by pid N"; release frees it', async () => {
  const d = sub('held');
  const lock = await lockDataDir(d);
  assert.equal(statSync(join(d, LOCK_FILE)).mode & 0o777, 0o600);
  await assert.rejects(lockDataDir(d), (e: Error & { code?: string }) => e.code === 'CONFLICT' && e.message.includes(`data dir ${d} is in use by pid ${process.pid}`));
  lock.release();
  (await lockDataDir(d)).release();
});

test('a lock left by a process that is gone is taken over', async () => {
  const d = sub('dead');
  const gone = spawnSync('true').pid ?? 0; // exited and reaped
  writeLock(d, gone, '1');
  const lock = await lockDataDir(d);
  assert.equal((JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')) as { pid: number }).pid, process.pid);
  lock.release();
});

test('a lock whose pid was reused by another process (other start time) is taken over; the same start time is not', async () => {
  const d = sub('reused');
  writeLock(d, process.pid, '1'); // our pid, but not our start time: the holder is gone
  const lock = await lockDataDir(d);
  lock.release();
  writeLock(d, process.pid, ownStartTime());
  await assert.rejects(lockDataDir(d), /is in use by pid/);
});

test('an unreadable lock file is stale', async () => {
  const d = sub('garbage');
  writeFileSync(join(d, LOCK_FILE), 'not json');
  (await lockDataDir(d)).release();
});

test('an instance of a version before the lock (instance.json only) that still runs keeps the data dir', async () => {
  const d = sub('unlocked');
  const old = spawn('/bin/sh', ['-c', 'read x', 'kontroler-up-old'], { stdio: ['pipe', 'ignore', 'ignore'] });
  try {
    writeFileSync(join(d, 'instance.json'), JSON.stringify({ pid: old.pid, databaseUrl: 'x', url: '', startedAt: 'earlier' }));
    await assert.rejects(lockDataDir(d), new RegExp(`is in use by pid ${old.pid}`));
    assert.throws(() => readFileSync(join(d, LOCK_FILE)), /ENOENT/, 'the lock is not left behind');
  } finally {
    old.kill();
  }
  await new Promise((r) => old.once('exit', r));
  (await lockDataDir(d)).release(); // gone: the stale instance.json no longer counts
});
