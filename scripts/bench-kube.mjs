#!/usr/bin/env node
// Benchmarks of the Kubernetes test substrate (run after `tsc -b`):
//   - cold build time of the kube-harness (read from the build.json scripts/build-kube-harness.sh
//     wrote when it last built the current sources),
//   - start-up: harness start to READY (apiserver serving), node agent start to READY,
//   - pod round trip: create a no-op pod -> Succeeded seen by a watch, p50/p95 over N pods.
//
//   node scripts/bench-kube.mjs [--pods N] [--json]
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { pods: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } } });
const podCount = Number(values.pods);

const agent = await import(join(root, 'packages/kube-agent/dist/index.js'));
const { CoreV1Api, KubeConfig } = await import('@kubernetes/client-node');

const quiet = () => undefined;
const kube = await agent.startKubeSubstrate({ root, log: quiet });
const results = {};
try {
  const buildFile = join(dirname(kube.harnessBinary), 'build.json');
  results.coldBuild = existsSync(buildFile) ? JSON.parse(readFileSync(buildFile, 'utf8')) : null;
  results.startup = { apiserverReadyMs: kube.timings.apiserverReadyMs, agentReadyMs: kube.timings.agentReadyMs };
  results.podRoundTrip = await podRoundTrips(kube.kubeconfig, podCount);
} finally {
  await kube.stop();
}

if (values.json) console.log(JSON.stringify(results, null, 2));
else {
  const b = results.coldBuild;
  const kind = b?.modulesCached === false ? 'cold: module download + compile' : 'modules were already cached; the Go build cache may have been warm too';
  console.log(b ? `kube-harness build:           ${b.seconds} s (${kind}; k8s ${b.kubernetes}, ${b.go}, ${b.cpus} CPUs, built ${b.builtAt})` : 'kube-harness build:           unknown (no build.json next to the binary)');
  console.log(`start-up to ready:            apiserver ${results.startup.apiserverReadyMs} ms, node agent ${results.startup.agentReadyMs} ms`);
  const r = results.podRoundTrip;
  console.log(`no-op pod create->Succeeded:  p50 ${r.p50} ms, p95 ${r.p95} ms, min ${r.min} ms, max ${r.max} ms (n=${r.n}, sequential)`);
}

async function podRoundTrips(kubeconfig, n) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = `bench-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const seen = new Map(); // pod name -> resolve(timestamp)
  const reflector = agent.startReflector({
    kubeConfig: kc,
    path: `/api/v1/namespaces/${ns}/pods`,
    list: async () => {
      const l = await core.listNamespacedPod({ namespace: ns });
      return { items: l.items, resourceVersion: l.metadata?.resourceVersion ?? '' };
    },
    onEvent: (e) => {
      if (e.type === 'SYNCED' || e.object.status?.phase !== 'Succeeded') return;
      seen.get(e.object.metadata.name)?.(performance.now());
    },
  });
  const times = [];
  try {
    for (let i = 0; i < n; i++) {
      const name = `noop-${i}`;
      const done = new Promise((resolve, reject) => {
        seen.set(name, resolve);
        setTimeout(() => reject(new Error(`pod ${name} not Succeeded within 60 s`)), 60_000).unref();
      });
      const t0 = performance.now();
      await core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['true'] }] } },
      });
      times.push((await done) - t0);
    }
  } finally {
    await reflector.stop();
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
  times.sort((a, b) => a - b);
  const q = (p) => Math.round(times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]);
  return { n, p50: q(0.5), p95: q(0.95), min: Math.round(times[0]), max: Math.round(times.at(-1)) };
}
