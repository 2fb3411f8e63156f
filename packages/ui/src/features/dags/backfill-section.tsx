// A scheduled DAG's backfills (issue 18): a "Backfill" form (from, to, max active, reverse) that
// previews the fire times (a dry run) before anything is created, and the DAG's backfills with
// their progress, cancelable while they run.
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { BackfillCreated } from '@kontroler/client';
import { useApi, errorText } from '../../api.js';
import { formatRelative, formatTimestamp } from '../../lib/format.js';
import { CountsBar, ErrorBox, StatusBadge, useNow, useToast } from '../../lib/ui.js';

/** Fire times the preview shows (the rest are counted). */
const PREVIEW_SHOWN = 50;

export function BackfillSection({ ns, name, editable }: { ns: string; name: string; editable: boolean }) {
  const api = useApi();
  const qc = useQueryClient();
  const toast = useToast();
  const now = useNow(30_000);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [maxActive, setMaxActive] = useState('1');
  const [reverse, setReverse] = useState(false);
  const [preview, setPreview] = useState<{ key: string; result: BackfillCreated }>();
  const list = useQuery({ queryKey: ['backfills', ns, name], queryFn: () => api.listBackfills({ namespace: ns, dag: name, limit: 20 }), refetchInterval: 3000 });
  const input = { from: from.trim(), to: to.trim(), maxActive: Number(maxActive), reverse };
  const key = JSON.stringify(input);
  const previewed = preview?.key === key ? preview.result : undefined;
  const dryRun = useMutation({
    mutationFn: () => api.createBackfill(ns, name, { ...input, dryRun: true }),
    onSuccess: (result) => setPreview({ key, result }),
  });
  const create = useMutation({
    mutationFn: () => api.createBackfill(ns, name, input),
    onSuccess: (r) => {
      toast(`Backfill ${r.backfill?.id ?? ''} started: ${r.fireTimeCount} run(s)${r.skippedCount > 0 ? `, ${r.skippedCount} skipped` : ''}`);
      setPreview(undefined);
      void qc.invalidateQueries({ queryKey: ['backfills', ns, name] });
    },
  });
  const cancel = useMutation({
    mutationFn: (id: number) => api.cancelBackfill(id),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['backfills', ns, name] }),
    onError: (e) => toast(errorText(e), true),
  });
  const items = list.data?.items ?? [];
  const running = items.filter((b) => b.status === 'running').length;

  return (
    <details className="card" data-testid="backfills" style={{ flex: 'none' }}>
      <summary style={{ cursor: 'pointer', fontWeight: 600 }}>
        Backfill <span className="muted" style={{ fontWeight: 400 }}>· {items.length} backfill(s){running > 0 ? `, ${running} running` : ''}</span>
      </summary>
      {editable ? (
        <form
          aria-label="Backfill"
          style={{ display: 'flex', flexWrap: 'wrap', gap: 12, alignItems: 'flex-end', marginTop: 10 }}
          onSubmit={(e) => {
            e.preventDefault();
            if (previewed) create.mutate();
            else dryRun.mutate();
          }}
        >
          <label className="field">
            <span>From <span className="hint">(inclusive, RFC 3339)</span></span>
            <input name="backfill-from" value={from} placeholder="2026-01-01T00:00:00Z" onChange={(e) => setFrom(e.target.value)} required />
          </label>
          <label className="field">
            <span>To <span className="hint">(exclusive)</span></span>
            <input name="backfill-to" value={to} placeholder="2026-01-02T00:00:00Z" onChange={(e) => setTo(e.target.value)} required />
          </label>
          <label className="field" style={{ width: 110 }}>
            <span>Max active</span>
            <input name="backfill-max-active" type="number" min={1} max={100} value={maxActive} onChange={(e) => setMaxActive(e.target.value)} />
          </label>
          <label className="row" style={{ gap: 6 }}>
            <input name="backfill-reverse" type="checkbox" checked={reverse} onChange={(e) => setReverse(e.target.checked)} /> newest first
          </label>
          <button type="button" onClick={() => dryRun.mutate()} disabled={dryRun.isPending || !input.from || !input.to}>
            {dryRun.isPending ? 'Previewing…' : 'Preview fire times'}
          </button>
          <button className="primary" type="submit" disabled={!previewed || previewed.fireTimeCount === 0 || create.isPending} title={previewed ? '' : 'preview the fire times first'}>
            {create.isPending ? 'Starting…' : previewed ? `Start backfill (${previewed.fireTimeCount} runs)` : 'Start backfill'}
          </button>
        </form>
      ) : (
        <p className="muted">Backfilling needs the editor role in {ns}.</p>
      )}
      <ErrorBox error={dryRun.error ?? create.error} />
      {previewed ? (
        <div data-testid="backfill-preview" style={{ marginTop: 8 }}>
          <p className="muted" style={{ margin: '4px 0' }}>
            {previewed.fireTimeCount} fire time(s) in {previewed.timezone} would get a run
            {previewed.skippedCount > 0 ? `; ${previewed.skippedCount} skipped (a run exists)` : ''}:
          </p>
          <ol style={{ columns: 3, margin: 0, fontFamily: 'monospace', fontSize: 12 }}>
            {previewed.fireTimes.slice(0, PREVIEW_SHOWN).map((t) => (
              <li key={t}>{t}</li>
            ))}
          </ol>
          {previewed.fireTimeCount > PREVIEW_SHOWN ? <p className="muted">… and {previewed.fireTimeCount - PREVIEW_SHOWN} more</p> : null}
        </div>
      ) : null}
      {items.length > 0 ? (
        <div style={{ overflowX: 'auto', marginTop: 10 }}>
        <table className="data" aria-label="Backfills">
          <thead>
            <tr>
              <th>Backfill</th>
              <th>Range</th>
              <th>Status</th>
              <th>Progress</th>
              <th>Max active</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((b) => (
              <tr key={b.id} data-backfill={b.id} data-status={b.status}>
                <td>#{b.id}</td>
                <td className="muted">
                  {formatTimestamp(b.from)} → {formatTimestamp(b.to)}
                  {b.reverse ? ' (newest first)' : ''}
                </td>
                <td>
                  <StatusBadge status={b.status === 'running' ? 'running' : b.status} />
                </td>
                <td>
                  <CountsBar counts={{ succeeded: b.progress.done, running: b.progress.running, failed: b.progress.failed, pending: b.progress.pending }} />{' '}
                  <span className="muted" data-testid="backfill-progress">
                    {b.progress.done}/{b.progress.total - b.progress.skipped} done · {b.progress.running} running · {b.progress.failed} failed · {b.progress.pending} pending
                    {b.progress.skipped > 0 ? ` · ${b.progress.skipped} skipped` : ''}
                  </span>
                </td>
                <td>{b.maxActive}</td>
                <td title={formatTimestamp(b.createdAt)}>{formatRelative(b.createdAt, now)} by {b.createdBy}</td>
                <td>
                  {editable && b.status === 'running' ? (
                    <button onClick={() => cancel.mutate(b.id)} disabled={cancel.isPending}>
                      Cancel
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      ) : null}
    </details>
  );
}
