// The audit log: who changed what, newest first, filtered by actor / action / namespace; what each
// entry changed (a DAG's version diff, or the fields it set) and why a failed one failed.
import { Fragment, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useApi } from '../../api.js';
import { formatTimestamp } from '../../lib/format.js';
import { StatusBadge, useCursorPages, useDebounced } from '../../lib/ui.js';
import { ListCard } from '../../lib/list-card.js';
import { useTitle } from '../../lib/use-title.js';
import { VersionDiff } from '../dags/version-diff.js';
import { auditChange, auditError, auditFields, auditTarget } from './audit-view.js';

export function AuditPage() {
  useTitle('Audit log');
  const api = useApi();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [namespace, setNamespace] = useState('');
  const key = useDebounced(JSON.stringify({ actor: actor.trim(), action: action.trim(), namespace: namespace.trim() }), 300);
  const q = JSON.parse(key) as { actor: string; action: string; namespace: string };
  const pages = useCursorPages(key);
  const [open, setOpen] = useState<number>();
  const list = useQuery({
    queryKey: ['audit', q, pages.cursor],
    queryFn: () => api.listAudit({ ...(q.actor ? { actor: q.actor } : {}), ...(q.action ? { action: q.action } : {}), ...(q.namespace ? { namespace: q.namespace } : {}), ...(pages.cursor ? { cursor: pages.cursor } : {}), limit: 50 }),
    placeholderData: keepPreviousData,
  });
  return (
    <div className="page">
      <div className="page-head">
        <h1>Audit log</h1>
      </div>
      <div className="toolbar">
        <input data-search placeholder="Actor, e.g. user:admin" aria-label="Filter by actor" value={actor} onChange={(e) => setActor(e.target.value)} />
        <input placeholder="Action, e.g. token.create" aria-label="Filter by action" value={action} onChange={(e) => setAction(e.target.value)} />
        <input placeholder="Namespace" aria-label="Filter by namespace" value={namespace} onChange={(e) => setNamespace(e.target.value)} />
      </div>
      <ListCard
        list={list}
        label="Audit log"
        empty="Nothing recorded for these filters."
        pages={pages}
        columns={
          <>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Outcome</th>
            <th>Target</th>
            <th>Changes</th>
            <th>Address</th>
          </>
        }
        row={(a) => {
          const change = auditChange(a);
          const error = auditError(a.details);
          const fields = auditFields(a.details);
          return (
            <Fragment key={a.id}>
              <tr data-audit={a.id} data-action={a.action} data-outcome={a.outcome}>
                <td className="mono">{formatTimestamp(a.at)}</td>
                <td>{a.actor}</td>
                <td className="mono">{a.action}</td>
                <td>
                  <StatusBadge status={a.outcome === 'ok' ? 'succeeded' : a.outcome === 'denied' ? 'waiting' : 'failed'} label={a.outcome} />
                  {error ? (
                    <div className="audit-error" data-testid="audit-error" title={error.message}>
                      <span className="mono">{error.code}</span> {error.message}
                    </div>
                  ) : null}
                </td>
                <td data-testid="audit-target">{auditTarget(a)}</td>
                <td className="audit-changes">
                  {change?.kind === 'version' ? (
                    <button className="small" aria-expanded={open === a.id} onClick={() => setOpen(open === a.id ? undefined : a.id)} data-testid="audit-diff-toggle">
                      v{change.from} → v{change.to} {open === a.id ? '▾' : '▸'}
                    </button>
                  ) : change?.kind === 'created' ? (
                    <span>created v{change.version}</span>
                  ) : change?.kind === 'unchanged' ? (
                    <span className="muted">unchanged (v{change.version})</span>
                  ) : null}
                  {fields.length > 0 ? <div className="muted audit-fields">{fields.join(' · ')}</div> : null}
                </td>
                <td className="muted">{a.address ?? ''}</td>
              </tr>
              {change?.kind === 'version' && open === a.id ? (
                <tr className="audit-diff-row">
                  <td colSpan={7}>
                    <VersionDiff ns={change.namespace} name={change.name} from={change.from} to={change.to} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          );
        }}
      />
    </div>
  );
}
