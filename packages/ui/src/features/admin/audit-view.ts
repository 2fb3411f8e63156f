// What the audit page shows of an entry: its target, what it changed (a DAG's versions to diff,
// or the fields it set) and, for a refused or failed action, the error. Pure.
import type { AuditEntry } from '@kontroler/client';

export type AuditChange =
  | { kind: 'version'; namespace: string; name: string; from: number; to: number }
  | { kind: 'created'; version: number }
  | { kind: 'unchanged'; version: number };

/** A DAG apply's change: the versions to diff, a first version, or no new version. */
export function auditChange(e: Pick<AuditEntry, 'action' | 'namespace' | 'resource' | 'details' | 'outcome'>): AuditChange | undefined {
  const v = e.details.version;
  if (e.action !== 'dag.apply' || e.outcome !== 'ok' || typeof v !== 'number' || e.details.dryRun === true) return undefined;
  if (e.details.created !== true) return { kind: 'unchanged', version: v };
  if (v === 1 || !e.resource) return { kind: 'created', version: v };
  return { kind: 'version', namespace: e.namespace ?? 'default', name: e.resource, from: v - 1, to: v };
}

/** Detail keys the page shows elsewhere (target, outcome, error) or that say nothing. */
const SHOWN_ELSEWHERE = new Set(['status', 'error', 'name', 'username', 'kind', 'version', 'created']);

function valueText(v: unknown): string {
  if (Array.isArray(v)) return v.map(valueText).join(', ') || '[]';
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // A role binding reads as `namespace:role`.
    if (typeof o.namespace === 'string' && typeof o.role === 'string' && Object.keys(o).length === 2) return `${o.namespace}:${o.role}`;
    return JSON.stringify(v);
  }
  return String(v);
}

/** The fields the action set, `key: value`, at most `max` of them (long values cut at 80 characters). */
export function auditFields(details: Record<string, unknown>, max = 6): string[] {
  return Object.entries(details)
    .filter(([k, v]) => !SHOWN_ELSEWHERE.has(k) && v !== undefined && v !== null && !(k === 'dryRun' && v === false))
    .slice(0, max)
    .map(([k, v]) => {
      const t = valueText(v);
      return `${k}: ${t.length > 80 ? `${t.slice(0, 79)}…` : t}`;
    });
}

/** The error a refused or failed action answered with. */
export function auditError(details: Record<string, unknown>): { code: string; message: string } | undefined {
  const e = details.error as { code?: unknown; message?: unknown } | undefined;
  return e && typeof e.code === 'string' ? { code: e.code, message: typeof e.message === 'string' ? e.message : '' } : undefined;
}

/** `namespace/resource`, or whichever of the two is known; '—' when neither is. */
export function auditTarget(e: Pick<AuditEntry, 'namespace' | 'resource'>): string {
  if (e.namespace && e.resource) return `${e.namespace}/${e.resource}`;
  return e.resource ?? e.namespace ?? '—';
}
