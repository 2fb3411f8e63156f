#!/usr/bin/env node
// kontroler-kube-agent: runs the local node agent until SIGTERM/SIGINT.
//
//   kontroler-kube-agent --harness-env <state>/env.json [--state-dir DIR] [--port N] [--exit-with-parent]
//   kontroler-kube-agent --kubeconfig F --node-name N --tls-cert C --tls-key K [--client-ca CA] [--state-dir DIR] [--port N]
//
// Prints "READY node=<name> port=<port>" on stdout once the Node is registered.
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { startAgent } from './agent.js';
import { readHarnessEnv } from './harness-env.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'harness-env': { type: 'string' },
      kubeconfig: { type: 'string' },
      'node-name': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'client-ca': { type: 'string' },
      'state-dir': { type: 'string' },
      port: { type: 'string', default: '0' },
      // Stop when the process that started us is gone (e.g. a test runner killed with SIGKILL).
      'exit-with-parent': { type: 'boolean', default: false },
    },
  });
  const h = values['harness-env'] ? await readHarnessEnv(values['harness-env']) : undefined;
  const need = (v: string | undefined, flag: string): string => {
    if (!v) throw new Error(`missing --${flag} (or --harness-env)`);
    return v;
  };
  const kubeconfig = need(values.kubeconfig ?? h?.kubeconfig, 'kubeconfig');
  const clientCA = values['client-ca'] ?? h?.caCert;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const agent = await startAgent({
    kubeConfig: kc,
    nodeName: need(values['node-name'] ?? h?.nodeName, 'node-name'),
    stateDir: values['state-dir'] ?? join(h?.stateDir ?? tmpdir(), 'kube-agent'),
    tlsCert: await readFile(need(values['tls-cert'] ?? h?.kubeletCert, 'tls-cert')),
    tlsKey: await readFile(need(values['tls-key'] ?? h?.kubeletKey, 'tls-key')),
    ...(clientCA ? { clientCA: await readFile(clientCA) } : {}),
    port: Number(values.port),
  });
  process.on('exit', () => agent.killNow());
  process.stdout.write(`READY node=${agent.nodeName} port=${agent.port}\n`);
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    agent.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`kube-agent: stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (values['exit-with-parent']) {
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && shutdown(), 1000).unref();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`kube-agent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
