// Test support: a KubeClient on the test apiserver, kubectl, and waiting for an object to go.
import { spawn } from 'node:child_process';
import type { KubeConfig } from '@kubernetes/client-node';
import { startReflector, testKubeConfig } from '@kontroler/kube-agent/testing';
import { KubeClient } from '@kontroler/runtime-kube';

/**
 * kubectl against the test apiserver, asynchronously (a webhook server in this very process can
 * answer it). Resolves with its exit status and output.
 */
export function kubectl(args: string[], input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: process.env.KONTROLER_TEST_KUBECONFIG } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

export function testClient(opts: { qps?: number; burst?: number } = {}): KubeClient {
  return new KubeClient(testKubeConfig(), { qps: opts.qps ?? 0, burst: opts.burst ?? 100 });
}

/** Resolves once the named object is absent from the collection (already, or by a DELETED event). */
export function untilGone(kc: KubeConfig, collection: string, name: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let present = false;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void r.stop().then(() => (err ? reject(err) : resolve()));
    };
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${collection}/${name} to go`)), timeoutMs);
    const r = startReflector<{ metadata?: { name?: string } }>({
      kubeConfig: kc,
      path: collection,
      fieldSelector: `metadata.name=${name}`,
      onEvent: (e) => {
        if (e.type === 'ADDED' || e.type === 'MODIFIED') present = true;
        if (e.type === 'DELETED' || (e.type === 'SYNCED' && !present)) finish();
      },
    });
  });
}
