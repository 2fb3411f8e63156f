// The audit log: who changed what, when, from where. Append-only.
import type { Queryable } from './db.js';
import { ms } from './records.js';
import { pageSize } from './run-filter.js';
import type { AuditLogRow } from './rows.js';

export interface AuditEntry {
  id: number;
  at: number;
  /** `user:alice` or `token:ci-deploy (alice)` or `trigger` or `system`. */
  actor: string;
  /** `dag.apply`, `run.cancel`, `user.create`, `auth.login.failed`, ... */
  action: string;
  namespace: string | null;
  resource: string | null;
  outcome: string;
  details: Record<string, unknown>;
  address: string | null;
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at' | 'outcome' | 'namespace' | 'resource' | 'details' | 'address'> &
  Partial<Pick<AuditEntry, 'outcome' | 'namespace' | 'resource' | 'details' | 'address'>>;

export async function recordAudit(db: Queryable, e: AuditInput): Promise<void> {
  await db.query('insert into audit_log (actor, action, namespace, resource, outcome, details, address) values ($1, $2, $3, $4, $5, $6, $7)', [
    e.actor,
    e.action,
    e.namespace ?? null,
    e.resource ?? null,
    e.outcome ?? 'ok',
    e.details ?? {},
    e.address ?? null,
  ]);
}

/** Audit entries `listAudit` returns when no limit is asked for. */
export const AUDIT_DEFAULT_LIMIT = 50;
/** The most audit entries one `listAudit` call returns. */
export const AUDIT_MAX_LIMIT = 500;

/** Newest first; page with `beforeId` = the last id of the previous page. */
export async function listAudit(
  db: Queryable,
  q: { namespace?: string; actor?: string; action?: string; beforeId?: number; limit?: number } = {},
): Promise<AuditEntry[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.namespace) where.push(`namespace = $${args.push(q.namespace)}`);
  if (q.actor) where.push(`actor = $${args.push(q.actor)}`);
  if (q.action) where.push(`action = $${args.push(q.action)}`);
  if (q.beforeId !== undefined) where.push(`id < $${args.push(q.beforeId)}`);
  const limit = pageSize(q.limit ?? AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT);
  const { rows } = await db.query<AuditLogRow>(`select * from audit_log ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit $${args.push(limit)}`, args);
  return rows.map((r) => ({
    id: r.id,
    at: ms(r.at) ?? 0,
    actor: r.actor,
    action: r.action,
    namespace: r.namespace,
    resource: r.resource,
    outcome: r.outcome,
    details: r.details,
    address: r.address,
  }));
}
