// The line diff of two versions of a DAG (their YAML, as the editor writes it): on the DAG's
// Versions tab and under a DAG change in the audit log.
import { useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../../api.js';
import { ErrorBox, Skeleton } from '../../lib/ui.js';
import { dagToYaml, docFromSpec } from '../editor/model.js';
import { diffRows, withContext } from './diff.js';

export function VersionDiff({ ns, name, from, to }: { ns: string; name: string; from: number | undefined; to: number }) {
  const api = useApi();
  const va = useQuery({ queryKey: ['version', ns, name, from], queryFn: () => api.getDagVersion(ns, name, from!), enabled: from !== undefined, staleTime: Infinity });
  const vb = useQuery({ queryKey: ['version', ns, name, to], queryFn: () => api.getDagVersion(ns, name, to), staleTime: Infinity });
  const rows = useMemo(() => {
    if (!va.data || !vb.data) return [];
    return withContext(diffRows(dagToYaml(docFromSpec(ns, name, va.data.spec)), dagToYaml(docFromSpec(ns, name, vb.data.spec))));
  }, [va.data, vb.data, ns, name]);
  if (va.error || vb.error) return <ErrorBox error={va.error ?? vb.error} title="Versions not readable" />;
  if (va.isLoading || vb.isLoading) return <Skeleton rows={3} />;
  return (
    <div className="diff" data-testid="diff" aria-label={`Changes of ${name} from v${from} to v${to}`}>
      {from === to ? <div className="muted">Same version: pick two different versions.</div> : null}
      {rows.map((r, i) => (
        <div key={i} className={r.kind === 'same' ? '' : r.kind}>
          <span className="ln">{r.oldLine ?? ''}</span>
          <span className="ln">{r.newLine ?? ''}</span>
          <span>{r.kind === 'added' ? '+' : r.kind === 'removed' ? '−' : ''}</span>
          <span>{'skipped' in r && r.skipped ? `… ${r.skipped} unchanged lines` : r.text}</span>
        </div>
      ))}
    </div>
  );
}
