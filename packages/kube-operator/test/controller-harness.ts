// A Controller on a fresh test database driving pods through KubePodRuntime, in-process.
import { Controller, runtimeReadsSecrets, silentLog } from '@kontroler/controller';
import type { DagResource, DagTaskResource } from '@kontroler/core';
import { KubePodRuntime } from '@kontroler/runtime-kube';
import { applyResource, startRun, type RunRecord } from '@kontroler/store';
import { createTestDatabase, type TestDatabase } from '@kontroler/store/testing';
import { getRun } from '@kontroler/store';
import { testClient } from './helpers.js';

export interface KubeController {
  readonly db: TestDatabase;
  readonly runtime: KubePodRuntime;
  readonly controller: Controller;
  apply(r: DagResource | DagTaskResource): Promise<void>;
  /** Starts a run and resolves with it once it ended. */
  run(dagName: string, parameters?: Record<string, string>, timeoutMs?: number): Promise<RunRecord>;
  stop(): Promise<void>;
}

export async function startKubeController(namespace: string, id: string): Promise<KubeController> {
  const db = await createTestDatabase();
  const runtime = new KubePodRuntime({ client: testClient(), namespaces: [namespace], killGraceSeconds: 2 });
  const controller = new Controller({ pool: db.pool, databaseUrl: db.url, runtime, id, log: silentLog, secrets: runtimeReadsSecrets, pollMs: 1000 });
  const ended = new Set<number>();
  const waiters = new Map<number, () => void>();
  controller.onRunEnded((rid) => {
    ended.add(rid);
    waiters.get(rid)?.();
  });
  await controller.start();
  return {
    db,
    runtime,
    controller,
    async apply(r) {
      await applyResource(db.pool, { ...r, metadata: { ...r.metadata, namespace } } as DagResource, { source: 'test' });
    },
    async run(dagName, parameters = {}, timeoutMs = 180_000) {
      const { run } = await startRun(db.pool, { namespace, dagName, parameters, trigger: 'manual' });
      if (!ended.has(run.id)) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`run ${run.id} of ${dagName} did not end within ${timeoutMs} ms`)), timeoutMs);
          waiters.set(run.id, () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return (await getRun(db.pool, run.id))!;
    },
    async stop() {
      await controller.stop();
      await runtime.close();
      await db.drop();
    },
  };
}
