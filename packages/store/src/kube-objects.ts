// Kubernetes mode: which DagRun object mirrors each run, so runs started from the API or a
// schedule get a DagRun too, exactly once (a DagRun a user deleted is not made again).
import type { Queryable } from './db.js';
import { pageSize } from './run-filter.js';
import type { RunsRow } from './rows.js';
import { ms } from './records.js';

export interface RunObjectRef {
  id: number;
  namespace: string;
  dagName: string;
  /** The run's name (a DagRun's, or a scheduled run's), if any. */
  name: string | null;
  status: string;
  /** The DagRun object's name; null while none was made; '' when none will be. */
  kubeObject: string | null;
  /** The DagRun object's uid, once recorded (runs from before migration 12 have none). */
  kubeObjectUid: string | null;
  createdAt: number;
}

/** The columns of `runs` a RunObjectRef is made of. */
type RunObjectRow = Pick<RunsRow, 'id' | 'namespace' | 'dag_name' | 'name' | 'status' | 'kube_object' | 'kube_object_uid' | 'created_at'>;
const REF_COLUMNS = 'id, namespace, dag_name, name, status, kube_object, kube_object_uid, created_at';

function refFromRow(r: RunObjectRow): RunObjectRef {
  return {
    id: r.id,
    namespace: r.namespace,
    dagName: r.dag_name,
    name: r.name,
    status: r.status,
    kubeObject: r.kube_object,
    kubeObjectUid: r.kube_object_uid,
    createdAt: ms(r.created_at) ?? 0,
  };
}

/** The run's namespace, names and DagRun object, or undefined. */
export async function getRunObjectRef(db: Queryable, runId: number): Promise<RunObjectRef | undefined> {
  const { rows } = await db.query<RunObjectRow>(`select ${REF_COLUMNS} from runs where id = $1`, [runId]);
  return rows[0] ? refFromRow(rows[0]) : undefined;
}

/** The run a DagRun object named `name` started in `namespace` (run names are unique per namespace), or undefined. */
export async function getRunObjectRefByName(db: Queryable, namespace: string, name: string): Promise<RunObjectRef | undefined> {
  const { rows } = await db.query<RunObjectRow>(`select ${REF_COLUMNS} from runs where namespace = $1 and name = $2`, [namespace, name]);
  return rows[0] ? refFromRow(rows[0]) : undefined;
}

/**
 * Records the DagRun object of a run ('' = none will be made) and its uid when known. Idempotent;
 * the first name wins, and so does the first uid.
 */
export async function setRunKubeObject(db: Queryable, runId: number, objectName: string, uid?: string): Promise<void> {
  await db.query(
    `update runs set kube_object = coalesce(kube_object, $2), kube_object_uid = coalesce(kube_object_uid, $3)
      where id = $1 and (kube_object is null or (kube_object_uid is null and $3::text is not null and kube_object = $2))`,
    [runId, objectName, uid ?? null],
  );
}

/**
 * Runs that have no DagRun object yet and still matter: active ones, and ones that ended in the
 * last `recentMs` (a run can end before its object is made). Oldest first.
 */
/** Runs one `runsWithoutKubeObject` call returns by default, and at the most. */
export const RUNS_WITHOUT_OBJECT_DEFAULT = 500;
export const RUNS_WITHOUT_OBJECT_MAX = 5000;

export async function runsWithoutKubeObject(db: Queryable, opts: { namespaces?: readonly string[]; recentMs?: number; limit?: number } = {}): Promise<RunObjectRef[]> {
  const args: unknown[] = [new Date(Date.now() - (opts.recentMs ?? 10 * 60_000))];
  const nsFilter = opts.namespaces ? `and namespace = any($${args.push(opts.namespaces)}::text[])` : '';
  const { rows } = await db.query<RunObjectRow>(
    `select ${REF_COLUMNS} from runs
     where kube_object is null and (status in ('pending', 'running') or finished_at > $1) ${nsFilter}
     order by id limit $${args.push(pageSize(opts.limit ?? RUNS_WITHOUT_OBJECT_DEFAULT, RUNS_WITHOUT_OBJECT_MAX))}`,
    args,
  );
  return rows.map(refFromRow);
}
