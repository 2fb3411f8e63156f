import { readHarnessEnv, type HarnessEnv } from '../harness-env.js';

/** The running harness' env.json (KONTROLER_TEST_KUBE_HARNESS_ENV), for tests that need more than a kubeconfig. */
export async function testHarnessEnv(): Promise<HarnessEnv> {
  const path = process.env.KONTROLER_TEST_KUBE_HARNESS_ENV;
  if (!path) throw new Error('KONTROLER_TEST_KUBE_HARNESS_ENV is not set: start the tests with `npm test` (scripts/fixtures/20-kube.mjs)');
  return readHarnessEnv(path);
}

/**
 * Compacts the harness' etcd up to `revision` (a resourceVersion), as the apiserver's periodic
 * compaction would, so watches resuming from an older resourceVersion get a real 410 Gone
 * (for resources served without the watch cache: the harness serves PodTemplates that way).
 */
export async function compactEtcd(revision: string): Promise<void> {
  const env = await testHarnessEnv();
  const res = await fetch(`${env.etcd}/v3/kv/compaction`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ revision, physical: true }),
  });
  if (!res.ok) throw new Error(`etcd compaction to ${revision} failed: HTTP ${res.status} ${await res.text()}`);
}
