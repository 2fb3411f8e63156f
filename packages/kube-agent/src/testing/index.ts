// Helpers for tests that run against the real kube-apiserver started by the test fixture
// (scripts/fixtures/20-kube.mjs): a kubeconfig from the environment, a fresh namespace per test
// file, and waiting on watch events instead of sleeping.
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { httpStatusOf } from '../kube-errors.js';
import { startReflector } from '../reflector.js';

export { kubeRequest, KubeHttpError } from '../raw-request.js';
export { startReflector, type Reflector, type ReflectorEvent } from '../reflector.js';

/**
 * The kubeconfig of the test apiserver (KONTROLER_TEST_KUBECONFIG). Throws, never skips, when
 * the tests were started without the Kubernetes fixture.
 */
export function testKubeConfig(): KubeConfig {
  const path = process.env.KONTROLER_TEST_KUBECONFIG;
  if (!path) {
    throw new Error(
      'KONTROLER_TEST_KUBECONFIG is not set: Kubernetes tests (*.kube.test.js) need the real kube-apiserver that `npm test` starts (scripts/fixtures/20-kube.mjs)',
    );
  }
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export interface TestNamespace {
  readonly name: string;
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  /** Deletes the namespace (the namespace controller then removes its contents). Idempotent. */
  delete(): Promise<void>;
}

/**
 * Creates a fresh namespace `<prefix>-<random>` for one test file and, unless `keep` is set,
 * deletes it when the file's tests are done. Call it at the top level of the test file
 * (`const ns = await testNamespace('pods')`): it registers a node:test `after` hook, and one
 * registered inside a `before` hook or a test would run when that hook or test ends.
 */
export async function testNamespace(prefix: string, opts: { keep?: boolean; labels?: Record<string, string> } = {}): Promise<TestNamespace> {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const base = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'test';
  const name = `${base}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { ...opts.labels, 'kontroler.dev/test': base } } } });
  let deleted = false;
  const ns: TestNamespace = {
    name,
    kc,
    core,
    async delete() {
      if (deleted) return;
      deleted = true;
      try {
        await core.deleteNamespace({ name });
      } catch (err) {
        if (httpStatusOf(err) !== 404) throw err;
      }
    },
  };
  if (!opts.keep) after(() => ns.delete());
  return ns;
}

export interface WaitTarget {
  /** Collection path, e.g. `/api/v1/namespaces/ns/pods`. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
}

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * Lists and watches `target` until `predicate` accepts an object (existing objects count, as
 * ADDED) and resolves with it. Rejects after `timeoutMs` with the last object seen, so a failing
 * test says what state it got stuck in.
 */
export function waitFor<T extends KubernetesObject>(
  kc: KubeConfig,
  target: WaitTarget,
  predicate: (obj: T, type: WatchType) => boolean,
  opts: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise<T>((resolve, reject) => {
    let last: T | undefined;
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void reflector.stop().then(fn);
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? target.path}; last object seen: ${last ? JSON.stringify(last) : 'none'}`)),
        ),
      timeoutMs,
    );
    const reflector = startReflector<T>({
      kubeConfig: kc,
      path: target.path,
      ...(target.fieldSelector ? { fieldSelector: target.fieldSelector } : {}),
      ...(target.labelSelector ? { labelSelector: target.labelSelector } : {}),
      onEvent: (e) => {
        if (e.type === 'SYNCED' || settled) return;
        last = e.object;
        let ok = false;
        try {
          ok = predicate(e.object, e.type);
        } catch (err) {
          finish(() => reject(err));
          return;
        }
        if (ok) finish(() => resolve(e.object));
      },
    });
  });
}
export { testHarnessEnv, compactEtcd } from './harness.js';
