// The audit log: who changed what, newest first, filtered by actor / action / namespace.
import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useApi } from '../../api.js';
import { formatTimestamp } from '../../lib/format.js';
import { StatusBadge, useCursorPages, useDebounced } from '../../lib/ui.js';
import { ListCard } from '../../lib/list-card.js';
import { useTitle } from '../../lib/use-title.js';

export function AuditPage() {
  useTitle('Audit log');
  const api = useApi();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [namespace, setNamespace] = useState('');
  const key = useDebounced(JSON.stringify({ actor: actor.trim(), action: action.trim(), namespace: namespace.trim() }), 300);
  const q = JSON.parse(key) as { actor: string; action: string; namespace: string };
  const pages = useCursorPages(key);
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
            <th>Namespace</th>
            <th>Resource</th>
            <th>Address</th>
          </>
        }
        row={(a) => (
          <tr key={a.id} title={JSON.stringify(a.details)}>
            <td className="mono">{formatTimestamp(a.at)}</td>
            <td>{a.actor}</td>
            <td className="mono">{a.action}</td>
            <td>
              <StatusBadge status={a.outcome === 'ok' ? 'succeeded' : a.outcome === 'denied' ? 'waiting' : 'failed'} label={a.outcome} />
            </td>
            <td>{a.namespace ?? '—'}</td>
            <td>{a.resource ?? '—'}</td>
            <td className="muted">{a.address ?? ''}</td>
          </tr>
        )}
      />
    </div>
  );
}
