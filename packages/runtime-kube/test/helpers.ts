// Test support: a KubeClient on the test apiserver, attempt specs, and waiting on runtime events.
import type { AttemptKey, AttemptSpec, RuntimeEvent, TaskRuntime } from '@kontroler/engine';
import { testKubeConfig } from '@kontroler/kube-agent/testing';
import { KubeClient } from '@kontroler/runtime-kube';

export function testClient(opts: { qps?: number; burst?: number } = {}): KubeClient {
  return new KubeClient(testKubeConfig(), { qps: opts.qps ?? 0, burst: opts.burst ?? 100 });
}

export function attempt(ns: string, runId: string, task: string, n: number, script: string, extra: Partial<AttemptSpec> = {}): AttemptSpec {
  return { runId, task, attempt: n, namespace: ns, dagName: 'test-dag', image: 'alpine:3.20', command: [], args: [], ...(script ? { script } : {}), env: {}, ...extra };
}

export interface Recorder {
  readonly events: RuntimeEvent[];
  /** The log of an attempt as delivered so far (bytes in offset order). */
  log(key: AttemptKey): string;
  /** Resolves with the first event (past or future) that satisfies `pred`. */
  until(pred: (e: RuntimeEvent) => boolean, what: string, timeoutMs?: number): Promise<RuntimeEvent>;
  exited(key: AttemptKey, timeoutMs?: number): Promise<Extract<RuntimeEvent, { type: 'exited' }>>;
  stop(): void;
}

const same = (a: AttemptKey, b: AttemptKey): boolean => a.runId === b.runId && a.task === b.task && a.attempt === b.attempt;

export function record(rt: TaskRuntime): Recorder {
  const events: RuntimeEvent[] = [];
  const waiters = new Set<() => void>();
  const unsubscribe = rt.subscribe((e) => {
    events.push(e);
    for (const w of [...waiters]) w();
  });
  const r: Recorder = {
    events,
    log(key) {
      const parts = events.filter((e): e is Extract<RuntimeEvent, { type: 'log' }> => e.type === 'log' && same(e.key, key)).sort((a, b) => a.offset - b.offset);
      let out = Buffer.alloc(0);
      for (const p of parts) {
        if (p.offset > out.length) throw new Error(`log gap at ${out.length} (next chunk at ${p.offset})`);
        out = Buffer.concat([out.subarray(0, p.offset), Buffer.from(p.data)]);
      }
      return out.toString('utf8');
    },
    until(pred, what, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; events: ${events.map((e) => `${e.type}:${e.key.task}#${e.key.attempt}`).join(' ')}`));
        }, timeoutMs);
        function check(): void {
          const hit = events.find(pred);
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
        }
        waiters.add(check);
        check();
      });
    },
    async exited(key, timeoutMs) {
      return (await r.until((e) => e.type === 'exited' && same(e.key, key), `exited of ${key.task}#${key.attempt}`, timeoutMs)) as Extract<RuntimeEvent, { type: 'exited' }>;
    },
    stop: unsubscribe,
  };
  return r;
}
