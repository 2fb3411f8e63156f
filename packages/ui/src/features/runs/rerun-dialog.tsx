// "Re-run": a new run of the same DAG, its parameters pre-filled with this run's values and
// editable; a secret-backed parameter keeps its secret unless a value is typed in.
import { useState } from 'react';
import { useNavigate } from 'react-router';
import type { RunDetail } from '@kontroler/client';
import { useApi } from '../../api.js';
import { Dialog, ErrorBox, useToast } from '../../lib/ui.js';
import { useSubmit } from '../../lib/use-submit.js';
import { changedParameters } from './task-actions-model.js';

/** Longest value a parameter field takes (the API's own bound is checked there too). */
const PARAM_MAX_LENGTH = 4096;

export function RerunDialog({ run, open, onClose }: { run: RunDetail; open: boolean; onClose: () => void }) {
  const api = useApi();
  const nav = useNavigate();
  const toast = useToast();
  const [values, setValues] = useState<Record<string, string>>(run.parameters);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const names = Object.keys(run.parameters);
  const { busy, error, submit } = useSubmit(async () => {
    const parameters = changedParameters(run.parameters, values, secrets);
    const started = await api.rerun(run.id, Object.keys(parameters).length > 0 ? parameters : undefined);
    toast(`Run ${started.id} started`);
    onClose();
    nav(`/runs/${started.id}`);
  });
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={`Re-run ${run.dag}`}
      footer={
        <>
          <button onClick={onClose}>Cancel</button>
          <button className="primary" type="submit" form="rerun-form" disabled={busy}>
            {busy ? 'Starting…' : 'Start run'}
          </button>
        </>
      }
    >
      <form id="rerun-form" data-testid="rerun-form" onSubmit={submit} style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
        <p className="muted" style={{ margin: 0 }}>
          A new run of {run.dag}&apos;s current version with the parameters of run #{run.id}.
        </p>
        {names.length === 0 && run.secretParameters.length === 0 ? <p className="muted" style={{ margin: 0 }}>This run has no parameters.</p> : null}
        {names.map((p) => (
          <label className="field" key={p}>
            <span>{p}</span>
            <input name={`param-${p}`} value={values[p] ?? ''} maxLength={PARAM_MAX_LENGTH} onChange={(e) => setValues((v) => ({ ...v, [p]: e.target.value }))} />
          </label>
        ))}
        {run.secretParameters.map((p) => (
          <label className="field" key={p}>
            <span>
              {p} <span className="hint">(from a secret: leave empty to keep it)</span>
            </span>
            <input name={`param-${p}`} value={secrets[p] ?? ''} maxLength={PARAM_MAX_LENGTH} placeholder="kept from the secret" onChange={(e) => setSecrets((v) => ({ ...v, [p]: e.target.value }))} />
          </label>
        ))}
      </form>
      <ErrorBox error={error} />
    </Dialog>
  );
}
