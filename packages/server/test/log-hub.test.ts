import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogHub } from '@kontroler/server';

test('log hub: a payload naming the run wakes its followers; an empty payload (a list too long to send) wakes all', async () => {
  const hub = new LogHub(60_000);
  const abort = new AbortController();
  const woke: string[] = [];
  const a = hub.wait(1, abort.signal).then(() => woke.push('run 1'));
  const b = hub.wait(2, abort.signal).then(() => woke.push('run 2'));
  hub.notify('3,1');
  await a;
  assert.deepEqual(woke, ['run 1']);
  hub.notify('');
  await b;
  assert.deepEqual(woke, ['run 1', 'run 2']);
  hub.close();
});
