// The one WHERE builder of run listings (the controller's `listRuns`, the API's pages), and the
// bounded page size every listing binds as a parameter.
import type { RunStatus } from '@kontroler/engine';

export interface RunFilter {
  /** Only runs in these namespaces (RBAC); undefined = every namespace. */
  namespaces?: readonly string[];
  namespace?: string;
  dagName?: string;
  status?: readonly RunStatus[];
  createdAfter?: number;
  createdBefore?: number;
  /** Runs with an id below this one (cursor pagination, newest first). */
  beforeId?: number;
}

/**
 * The `where …` clause (or '') of a run filter over the columns of `runs`; its values are pushed
 * onto `args` and referenced as `$n`, never spliced into the text. Pure.
 */
export function runWhere(q: RunFilter, args: unknown[]): string {
  const where: string[] = [];
  if (q.namespaces) where.push(`namespace = any($${args.push(q.namespaces)}::text[])`);
  if (q.namespace) where.push(`namespace = $${args.push(q.namespace)}`);
  if (q.dagName) where.push(`dag_name = $${args.push(q.dagName)}`);
  if (q.status && q.status.length > 0) where.push(`status = any($${args.push(q.status)}::text[])`);
  if (q.createdAfter !== undefined) where.push(`created_at >= $${args.push(new Date(q.createdAfter))}`);
  if (q.createdBefore !== undefined) where.push(`created_at < $${args.push(new Date(q.createdBefore))}`);
  if (q.beforeId !== undefined) where.push(`id < $${args.push(q.beforeId)}`);
  return where.length ? `where ${where.join(' and ')}` : '';
}

/** A requested page size made a whole number in [1, max], bound as a parameter by the caller. Pure. */
export function pageSize(limit: number, max: number): number {
  return Math.min(Math.max(Math.trunc(limit), 1), max);
}
