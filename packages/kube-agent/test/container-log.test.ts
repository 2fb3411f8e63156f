import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerLog, readContainerLog, type LogQuery } from '@kontroler/kube-agent';

async function read(log: ContainerLog, q: Partial<LogQuery>): Promise<string> {
  let out = '';
  for await (const chunk of readContainerLog(log.path, log, { follow: false, timestamps: false, ...q }, new AbortController().signal)) out += chunk;
  return out;
}

test('a container log is CRI-formatted and read back with kubelet options', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-agent-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = new ContainerLog(join(dir, '0.log'));
  log.write('stdout', 'one\ntw');
  log.write('stderr', 'err\n');
  log.write('stdout', 'o\nthree');
  log.close();
  const lines = readFileSync(log.path, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\S+Z stdout F one$/);
  assert.match(lines[1]!, / stderr F err$/);
  assert.match(lines[3]!, / stdout F three$/, 'unterminated output is flushed as a full line at exit');

  assert.equal(await read(log, {}), 'one\nerr\ntwo\nthree\n');
  assert.equal(await read(log, { stream: 'stdout' }), 'one\ntwo\nthree\n');
  assert.equal(await read(log, { tailLines: 2 }), 'two\nthree\n');
  assert.equal(await read(log, { limitBytes: 6 }), 'one\ner');
  assert.equal(await read(log, { since: new Date(Date.now() + 60_000) }), '');
  assert.match(await read(log, { timestamps: true, tailLines: 1 }), /^\d{4}-\S+Z three\n$/);
});

test('follow streams appended lines and ends when the container exits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-agent-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = new ContainerLog(join(dir, '0.log'));
  log.write('stdout', 'first\n');
  const chunks: string[] = [];
  const reader = readContainerLog(log.path, log, { follow: true, timestamps: false }, new AbortController().signal);
  const first = await reader.next();
  chunks.push(String(first.value));
  log.write('stdout', 'second\n');
  chunks.push(String((await reader.next()).value));
  log.close();
  assert.equal((await reader.next()).done, true);
  assert.deepEqual(chunks, ['first\n', 'second\n']);
});
