// What deciding about a run's finished pods needs (podGC): the run's status and end, and the
// `spec.podGC` of the DAG version it runs. One row read.
import { podGCPolicy, type PodGCPolicy, type PodGCSpec } from '@kontroler/core';
import type { Queryable } from './db.js';
import { ms } from './records.js';

export interface RunPodGC {
  readonly status: string;
  readonly finishedAt: number | null;
  /** The run's DAG version's `spec.podGC`, as stored (validated when the version was stored). */
  readonly podGC: PodGCSpec | undefined;
}

/** The run's status, end and podGC, or undefined for an unknown run. Throws the pool's errors. */
export async function getRunPodGC(db: Queryable, runId: number): Promise<RunPodGC | undefined> {
  const { rows } = await db.query<{ status: string; finished_at: Date | null; pod_gc: PodGCSpec | null }>(
    `select r.status, r.finished_at, v.spec->'podGC' as pod_gc
       from runs r join dag_versions v on v.dag_id = r.dag_id and v.version = r.dag_version
      where r.id = $1`,
    [runId],
  );
  const r = rows[0];
  return r ? { status: r.status, finishedAt: ms(r.finished_at), podGC: r.pod_gc ?? undefined } : undefined;
}

/** What the pod runtime's podGC asks of a run: its policy (the DAG's over `dflt`), status and end. */
export interface RunPodGCFacts {
  readonly policy: PodGCPolicy;
  readonly runStatus: string;
  readonly runFinishedAt: number | null;
}

/** The run's podGC facts (its DAG's `spec.podGC` over `dflt`), or undefined for an unknown run. */
export async function runPodGCFacts(db: Queryable, runId: number, dflt?: PodGCPolicy): Promise<RunPodGCFacts | undefined> {
  const r = await getRunPodGC(db, runId);
  return r ? { policy: podGCPolicy(r.podGC, dflt), runStatus: r.status, runFinishedAt: r.finishedAt } : undefined;
}
