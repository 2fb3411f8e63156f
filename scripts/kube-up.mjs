#!/usr/bin/env node
// `npm run kube:up`: a real kube-apiserver (embedded etcd, garbage-collector and namespace
// controllers) and the local node agent, for trying Kontroler's Kubernetes mode by hand. Prints
// `KUBECONFIG=<path>` once ready and runs until Ctrl-C. State (etcd, certificates, logs, pod
// directories) lives in .kontroler/kube/ and is fresh on every start.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stateDir = join(root, '.kontroler', 'kube');
const { startKubeSubstrate } = await import(join(root, 'packages/kube-agent/dist/substrate.js'));

rmSync(stateDir, { recursive: true, force: true });
let kube;
try {
  kube = await startKubeSubstrate({ root, stateDir, log: (line) => process.stderr.write(`${line}\n`) });
} catch (err) {
  console.error(`kube:up: ${err.message}`);
  process.exit(1);
}
const t = kube.timings;
console.error(`kube:up: kube-apiserver ${kube.harness.kubeVersion} ready in ${t.apiserverReadyMs} ms, node "${kube.harness.nodeName}" ready in ${t.agentReadyMs} ms`);
console.error(`kube:up: component logs in ${kube.harness.logDir}; Ctrl-C stops everything`);
console.log(`KUBECONFIG=${kube.kubeconfig}`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.error('kube:up: stopping...');
  await kube.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
