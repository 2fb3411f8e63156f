// DAG-level settings (shown when no task is selected): name, namespace, schedule, parameters,
// the run's outputs, and the problems that belong to no single task.
import type { DagSpec, FieldError, NamedValueSpec } from '@kontroler/core';
import { editRow, freeName, removeRow } from './data-flow-model.js';
import { ListRows } from './list-rows.js';
import type { DagDoc } from './model.js';

export function DagSettingsForm({ doc, isNew, problems, onChange }: { doc: DagDoc; isNew: boolean; problems: FieldError[]; onChange: (doc: DagDoc) => void }) {
  const spec = doc.spec;
  const setSpec = (patch: Partial<DagSpec>) => {
    const next: Record<string, unknown> = { ...spec };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) delete next[k];
      else next[k] = v;
    }
    onChange({ ...doc, spec: next as DagSpec });
  };
  const params = spec.parameters ?? [];
  const of = (prefix: string) => problems.filter((p) => p.path === prefix || p.path.startsWith(`${prefix}.`) || p.path.startsWith(`${prefix}[`));
  const Errors = ({ list }: { list: FieldError[] }) => (
    <>
      {list.map((p, i) => (
        <span key={i} className="field-error" role="alert">
          {p.message}
        </span>
      ))}
    </>
  );
  const shown = new Set<FieldError>();
  const take = (list: FieldError[]) => {
    list.forEach((e) => shown.add(e));
    return list;
  };
  const nameErrs = take(of('metadata.name'));
  const nsErrs = take(of('metadata.namespace'));
  const schedErrs = take([...of('spec.schedule'), ...of('spec.timezone')]);
  const paramErrs = take(of('spec.parameters'));
  const outputs = spec.outputs ?? [];
  const outputErrs = take(of('spec.outputs')).map((e) => ({ at: e.path, message: e.message }));
  const rest = problems.filter((p) => !shown.has(p));

  return (
    <div className="form" data-testid="dag-settings" aria-label="DAG settings">
      <h2 style={{ margin: 0 }}>DAG</h2>
      <p className="muted" style={{ margin: 0, fontSize: 12.5 }}>
        Select a task on the canvas to edit it. Drag tasks from the left; connect a task’s right handle to another’s left handle to make the second run after the first.
      </p>
      <label className="field">
        Name
        <input name="dag-name" value={doc.metadata.name} readOnly={!isNew} className={nameErrs.length ? 'invalid' : undefined} onChange={(e) => onChange({ ...doc, metadata: { ...doc.metadata, name: e.target.value } })} />
        <Errors list={nameErrs} />
      </label>
      <label className="field">
        Namespace
        <input name="dag-namespace" value={doc.metadata.namespace ?? 'default'} readOnly={!isNew} onChange={(e) => onChange({ ...doc, metadata: { ...doc.metadata, namespace: e.target.value } })} />
        <Errors list={nsErrs} />
      </label>
      <label className="field">
        <span>
          Schedule <span className="hint">(5-field cron or @daily; empty: on demand only)</span>
        </span>
        <input name="dag-schedule" placeholder="e.g. 0 3 * * *" value={spec.schedule ?? ''} className={schedErrs.length ? 'invalid' : undefined} onChange={(e) => setSpec({ schedule: e.target.value })} />
        <Errors list={schedErrs} />
      </label>
      <div className="row">
        <label className="field grow">
          Time zone
          <input name="dag-timezone" placeholder="UTC" value={spec.timezone ?? ''} onChange={(e) => setSpec({ timezone: e.target.value })} />
        </label>
        <label className="field">
          Concurrency
          <select value={spec.concurrencyPolicy ?? 'Allow'} onChange={(e) => setSpec({ concurrencyPolicy: e.target.value === 'Allow' ? undefined : (e.target.value as DagSpec['concurrencyPolicy']) })}>
            <option>Allow</option>
            <option>Forbid</option>
            <option>Replace</option>
          </select>
        </label>
      </div>
      <div className="field">
        <span>Parameters</span>
        {params.map((p, i) => (
          <div className="row" key={i}>
            <input aria-label={`parameter ${i + 1} name`} placeholder="NAME" value={p.name} style={{ width: 130 }} onChange={(e) => setSpec({ parameters: params.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) })} />
            <input
              aria-label={`parameter ${i + 1} default`}
              placeholder="default value"
              className="grow"
              value={p.defaultValue ?? ''}
              onChange={(e) => setSpec({ parameters: params.map((x, j) => (j === i ? { name: x.name, defaultValue: e.target.value } : x)) })}
            />
            <button className="small ghost" aria-label={`remove parameter ${p.name}`} onClick={() => setSpec({ parameters: params.filter((_, j) => j !== i) })}>
              ✕
            </button>
          </div>
        ))}
        <Errors list={paramErrs} />
        <button className="small" style={{ alignSelf: 'flex-start' }} onClick={() => setSpec({ parameters: [...params, { name: `PARAM_${params.length + 1}`, defaultValue: '' }] })}>
          + Parameter
        </button>
      </div>
      <ListRows<NamedValueSpec>
        label="Outputs"
        hint="(the run's outputs; values may use {{tasks.T.outputs.Y}})"
        what="DAG output"
        name="dag-output"
        rows={outputs}
        columns={[
          { key: 'name', label: 'name', placeholder: 'name', width: 130, get: (o) => o.name ?? '' },
          { key: 'value', label: 'value', placeholder: '{{tasks.T.outputs.Y}}', get: (o) => o.value ?? '' },
        ]}
        listAt="spec.outputs"
        rowAt={(i, c) => (c ? `spec.outputs[${i}].${c}` : `spec.outputs[${i}]`)}
        problems={outputErrs}
        onEdit={(i, c, v) => setSpec({ outputs: editRow(outputs, i, c, v) })}
        onRemove={(i) => setSpec({ outputs: removeRow(outputs, i) })}
        onAdd={() => setSpec({ outputs: [...outputs, { name: freeName(outputs.map((o) => o.name), 'output'), value: '' }] })}
      />
      {rest.length ? (
        <div className="error-box" role="alert" data-testid="dag-problems">
          {rest.map((p, i) => (
            <div key={i}>
              {p.path === '<root>' ? '' : `${p.path}: `}
              {p.message}
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
