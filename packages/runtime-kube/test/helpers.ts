// Test support: a KubeClient on the test apiserver, attempt specs, and the kit's event recorder
// with a wait limit for pods.
import type { AttemptSpec, TaskRuntime } from '@kontroler/engine';
import { testKubeConfig } from '@kontroler/kube-agent/testing';
import { KubeClient } from '@kontroler/runtime-kube';
import { EventRecorder } from '@kontroler/testing';

/** How long a pod test waits for a runtime event: a pod goes through the apiserver and the node agent, slower than a process. */
export const POD_EVENT_WAIT_MS = 60_000;

export function testClient(opts: { qps?: number; burst?: number } = {}): KubeClient {
  return new KubeClient(testKubeConfig(), { qps: opts.qps ?? 0, burst: opts.burst ?? 100 });
}

export function attempt(ns: string, runId: string, task: string, n: number, script: string, extra: Partial<AttemptSpec> = {}): AttemptSpec {
  return { runId, task, attempt: n, namespace: ns, dagName: 'test-dag', image: 'alpine:3.20', command: [], args: [], ...(script ? { script } : {}), env: {}, ...extra };
}

/** Records every event of `rt` (the kit's recorder, waiting up to POD_EVENT_WAIT_MS). */
export function record(rt: TaskRuntime): EventRecorder {
  return new EventRecorder(rt, { waitLimitMs: POD_EVENT_WAIT_MS });
}
