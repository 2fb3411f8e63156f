import type { DagDefinition, ResolvedTask } from '@kontroler/core';
import type { PoolLike, RunRecord } from '@kontroler/store';
import { createRun, getRun, saveDag } from '@kontroler/store';
import { dagDefinition, resolvedTask } from '@kontroler/testing';

/** The kit's resolved task (alpine, `true`, no retries). */
export { resolvedTask as task } from '@kontroler/testing';

/** The kit's definition of `tasks`, in namespace `default`. */
export function definition(name: string, tasks: ResolvedTask[], extra: Partial<DagDefinition> = {}): DagDefinition {
  return dagDefinition('default', name, tasks, extra);
}

export function chain(name: string, n: number): DagDefinition {
  return definition(name, Array.from({ length: n }, (_, i) => resolvedTask(`t${i}`, i === 0 ? [] : [`t${i - 1}`])));
}

let hashes = 0;
export async function startRun(pool: PoolLike, def: DagDefinition, parameters: Record<string, string> = {}, secretRefs: Record<string, string> = {}): Promise<RunRecord> {
  const saved = await saveDag(pool, { namespace: def.namespace, name: def.name, spec: {}, definition: def, hash: `h${hashes++}`, source: 'test' });
  const { run } = await createRun(pool, { dagId: saved.dag.id, dagVersion: saved.version, namespace: def.namespace, dagName: def.name, trigger: 'manual', parameters, secretRefs });
  return run;
}

/** Resolves once the run has ended (polls the store: the run is written by another component). */
export async function waitForRunEnd(pool: PoolLike, id: number, timeoutMs = 30_000): Promise<RunRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getRun(pool, id);
    if (r && ['succeeded', 'failed', 'canceled'].includes(r.status)) return r;
    if (Date.now() > deadline) throw new Error(`run ${id} did not end within ${timeoutMs} ms (status ${r?.status})`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** A double of our own port in front of the real pool: records every statement's text in `statements`, then forwards it. */
export function recordingPool(pool: PoolLike, statements: string[]): PoolLike {
  return {
    query: ((text: string, values?: readonly unknown[]) => {
      statements.push(text);
      return pool.query(text, values as unknown[]);
    }) as PoolLike['query'],
    connect: () => pool.connect(),
    end: async () => undefined,
  };
}
