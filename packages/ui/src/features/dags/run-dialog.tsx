// "Start a run" with a form for the DAG's parameters (defaults filled in; secret-backed ones
// say where their value comes from unless overridden).
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { useApi } from '../../api.js';
import { Dialog, ErrorBox, Skeleton, useToast } from '../../lib/ui.js';
import { useSubmit } from '../../lib/use-submit.js';

export function RunDialog({ namespace, name, open, onClose }: { namespace: string; name: string; open: boolean; onClose: () => void }) {
  const api = useApi();
  const nav = useNavigate();
  const toast = useToast();
  const dag = useQuery({ queryKey: ['dag', namespace, name], queryFn: () => api.getDag(namespace, name), enabled: open });
  const [values, setValues] = useState<Record<string, string>>({});
  const [runName, setRunName] = useState('');
  const params = dag.data?.parameters ?? [];

  const { busy, error, submit } = useSubmit(async () => {
    const parameters: Record<string, string> = {};
    for (const p of params) {
      const v = values[p.name];
      if (v !== undefined && v !== (p.defaultValue ?? '')) parameters[p.name] = v;
    }
    const run = await api.startRun(namespace, name, { ...(Object.keys(parameters).length ? { parameters } : {}), ...(runName ? { name: runName } : {}) });
    toast(`Run ${run.id} of ${name} started`);
    onClose();
    nav(`/runs/${run.id}`);
  });

  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Run ${name}`}
      footer={
        <>
          <button onClick={onClose}>Cancel</button>
          <button className="primary" type="submit" form="run-form" disabled={busy || dag.isLoading}>
            {busy ? 'Starting…' : 'Start run'}
          </button>
        </>
      }
    >
      {dag.isLoading ? <Skeleton rows={2} /> : null}
      <ErrorBox error={dag.error} />
      <form id="run-form" onSubmit={submit} style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
        {params.length === 0 && !dag.isLoading ? <p className="muted" style={{ margin: 0 }}>This DAG has no parameters.</p> : null}
        {params.map((p) => (
          <label className="field" key={p.name}>
            <span>
              {p.name} {p.defaultFromSecret ? <span className="hint">(default from secret “{p.defaultFromSecret}”)</span> : null}
            </span>
            <input
              name={`param-${p.name}`}
              value={values[p.name] ?? p.defaultValue ?? ''}
              placeholder={p.defaultFromSecret ? 'leave empty to use the secret' : ''}
              onChange={(e) => setValues((v) => ({ ...v, [p.name]: e.target.value }))}
            />
          </label>
        ))}
        <label className="field">
          <span>
            Run name <span className="hint">(optional: starting twice with one name gives the same run)</span>
          </span>
          <input value={runName} onChange={(e) => setRunName(e.target.value)} />
        </label>
        <ErrorBox error={error} />
      </form>
    </Dialog>
  );
}
