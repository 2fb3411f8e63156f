// What a live view needs to know when a run changed: its status, task counts and times, and a
// version that orders its changes (the run row's last write, in microseconds), for Server-Sent
// Events that resume after a reconnect (Last-Event-ID).
import type { RunStatus } from '@kontroler/engine';
import type { Queryable } from './db.js';
import { ms } from './records.js';
import type { RunsRow } from './rows.js';
import { countTotal, fullTaskCounts, type TaskCounts } from './run-tasks.js';

export interface RunChange {
  id: number;
  namespace: string;
  dagName: string;
  status: RunStatus;
  requested: 'cancel' | 'retry' | 'tasks' | null;
  /** Increases with every write of the run (state saves, requests): equal versions, same state. */
  version: string;
  counts: TaskCounts;
  total: number;
  startedAt: number | null;
  finishedAt: number | null;
}

type ChangeRow = Pick<RunsRow, 'id' | 'namespace' | 'dag_name' | 'status' | 'requested' | 'task_counts' | 'started_at' | 'finished_at'> & { version: string };

/** The runs with these ids as they are now (unknown ids are left out), in id order. One query. */
export async function getRunChanges(db: Queryable, ids: readonly number[]): Promise<RunChange[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<ChangeRow>(
    `select id, namespace, dag_name, status, requested, task_counts, started_at, finished_at,
            (extract(epoch from updated_at) * 1000000)::bigint::text as version
       from runs where id = any($1::bigint[]) order by id`,
    [ids],
  );
  return rows.map((r) => {
    const counts = fullTaskCounts(r.task_counts);
    return {
      id: Number(r.id),
      namespace: r.namespace,
      dagName: r.dag_name,
      status: r.status,
      requested: r.requested,
      version: r.version,
      counts,
      total: countTotal(counts),
      startedAt: ms(r.started_at),
      finishedAt: ms(r.finished_at),
    };
  });
}
