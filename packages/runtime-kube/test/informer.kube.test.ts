// The informer against the real apiserver: list then watch, resume from the last resourceVersion
// when the server ends a watch, and list again when that resourceVersion was compacted away
// (410 Gone), without losing or duplicating objects. PodTemplates are served without the watch
// cache in the harness, so compacting etcd gives a real 410.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactEtcd, testNamespace } from '@kontroler/kube-agent/testing';
import { Informer, type InformerEvent, type KubeObject } from '@kontroler/runtime-kube';
import { testClient } from './helpers.js';

const ns = await testNamespace('informer');

test('watches resume from their resourceVersion and re-list after 410 Gone, keeping the cache right', async (t) => {
  const client = testClient();
  const events: Array<InformerEvent<KubeObject>> = [];
  const waiters = new Set<() => void>();
  const path = `/api/v1/namespaces/${ns.name}/podtemplates`;
  const template = (name: string) => ({ metadata: { name }, template: { spec: { containers: [{ name: 'c', image: 'x' }] } } });
  await client.request('POST', path, { body: template('one') });
  const informer = new Informer<KubeObject>({
    client,
    path: () => path,
    watchTimeoutSeconds: 1,
    // Bookmarks would move the resourceVersion past the compaction (etcd progress notifications).
    bookmarks: false,
    onEvent: (e) => {
      events.push(e);
      for (const w of [...waiters]) w();
    },
  }).start();
  t.after(() => informer.stop());
  const until = (pred: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        waiters.delete(check);
        reject(new Error(`timed out: ${what}; counters ${JSON.stringify(informer.counters)}`));
      }, 60_000);
      // Watch restarts emit no event: counters are also looked at every 100 ms.
      const poll = setInterval(() => check(), 100);
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        clearInterval(poll);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  await informer.synced();
  assert.deepEqual(informer.list().map((o) => o.metadata?.name), ['one']);
  await until(() => informer.counters.watches >= 2, 'a watch resumed after the server ended it');

  // Move etcd past the informer's resourceVersion, compact, and let its next resume hit 410.
  // Two writes, so the compaction is past the first revision after the informer's (etcd serves a
  // watch from the compaction revision itself).
  await client.request('POST', `/api/v1/namespaces/${ns.name}/configmaps`, { body: { metadata: { name: 'bump' } } });
  const cm = await client.request<{ metadata: { resourceVersion: string } }>('PUT', `/api/v1/namespaces/${ns.name}/configmaps/bump`, { body: { metadata: { name: 'bump' }, data: { a: 'b' } } });
  await compactEtcd(cm.metadata.resourceVersion);
  await until(() => informer.counters.expired >= 1, '410 Gone and a re-list');
  assert.ok(informer.counters.lists >= 2);
  assert.deepEqual(informer.list().map((o) => o.metadata?.name), ['one'], 'the re-list changed nothing');
  assert.equal(events.filter((e) => e.type === 'added').length, 1, 'no duplicate added event after the re-list');

  await client.request('POST', path, { body: template('two') });
  await client.request('DELETE', `${path}/one`);
  await until(() => events.some((e) => e.type === 'deleted' && e.object.metadata?.name === 'one'), 'the deletion');
  assert.deepEqual(informer.list().map((o) => o.metadata?.name), ['two']);
  client.close();
});
