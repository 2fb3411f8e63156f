// The fields of a task that runs no container: a sub-DAG (`dagRef`: the DAG and its parameters)
// or an approval (message, timeout, what a timeout decides, the inputs the approver gives).
import type { ApprovalTimeoutAction, NamedValueSpec, TaskSpec } from '@kontroler/core';
import { APPROVAL_TIMEOUT_ACTIONS } from '@kontroler/core';
import { editRow, freeName, problemsAt, removeRow, unclaimed, withApproval, withDagRef, type TaskPatch } from './data-flow-model.js';
import { Field, ProblemList } from './field.js';
import { ListRows } from './list-rows.js';
import type { TaskProblem } from './model.js';

const num = (v: string): number | undefined => (v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));

export function DagRefFields({ task, problems, onChange }: { task: TaskSpec; problems: readonly TaskProblem[]; onChange: (patch: TaskPatch) => void }) {
  const ref = task.dagRef ?? { name: '' };
  const params = ref.parameters ?? [];
  const at = (prefix: string) => problemsAt(problems, prefix);
  const set = (patch: Partial<typeof ref>) => onChange({ dagRef: withDagRef(ref, patch) });
  const rest = unclaimed(at('dagRef'), ['dagRef.name', 'dagRef.parameters']);
  return (
    <fieldset className="form-section" data-testid="dag-ref" aria-label="Sub-DAG">
      <legend>Sub-DAG</legend>
      <Field label="DAG" hint="(of this namespace; runs as a child run, its outputs become this task's)" problems={at('dagRef.name')}>
        <input
          name="task-dag-ref"
          placeholder="name of a DAG"
          value={ref.name ?? ''}
          className={at('dagRef.name').length ? 'invalid' : undefined}
          aria-invalid={at('dagRef.name').length ? true : undefined}
          onChange={(e) => set({ name: e.target.value })}
        />
      </Field>
      <ListRows<NamedValueSpec>
        label="Its parameters"
        hint="(values may use references)"
        what="parameter"
        name="dag-ref-param"
        rows={params}
        columns={[
          { key: 'name', label: 'name', placeholder: 'NAME', width: 130, get: (p) => p.name ?? '' },
          { key: 'value', label: 'value', placeholder: 'value', get: (p) => p.value ?? '' },
        ]}
        listAt="dagRef.parameters"
        rowAt={(i, c) => (c ? `dagRef.parameters[${i}].${c}` : `dagRef.parameters[${i}]`)}
        problems={at('dagRef.parameters')}
        onEdit={(i, c, v) => set({ parameters: editRow(params, i, c, v) })}
        onRemove={(i) => set({ parameters: removeRow(params, i) })}
        onAdd={() => set({ parameters: [...params, { name: freeName(params.map((p) => p.name), 'PARAM', '_'), value: '' }] })}
      />
      <ProblemList problems={rest} />
    </fieldset>
  );
}

export function ApprovalFields({ task, problems, onChange }: { task: TaskSpec; problems: readonly TaskProblem[]; onChange: (patch: TaskPatch) => void }) {
  const approval = task.approval ?? {};
  const inputs = approval.inputs ?? [];
  const at = (prefix: string) => problemsAt(problems, prefix);
  const set = (patch: Parameters<typeof withApproval>[1]) => onChange({ approval: withApproval(approval, patch) });
  const rest = unclaimed(at('approval'), ['approval.message', 'approval.timeoutSeconds', 'approval.onTimeout', 'approval.inputs']);
  return (
    <fieldset className="form-section" data-testid="approval-fields" aria-label="Approval">
      <legend>Approval</legend>
      <Field label="Message" hint="(shown to the approver; may use references)" problems={at('approval.message')}>
        <textarea name="approval-message" rows={2} value={approval.message ?? ''} className={at('approval.message').length ? 'invalid' : undefined} onChange={(e) => set({ message: e.target.value })} />
      </Field>
      <div className="row" style={{ alignItems: 'flex-start' }}>
        <Field label="Timeout (s)" hint="(empty: waits)" problems={at('approval.timeoutSeconds')}>
          <input
            name="approval-timeout"
            type="number"
            min={1}
            style={{ width: 110 }}
            value={approval.timeoutSeconds ?? ''}
            className={at('approval.timeoutSeconds').length ? 'invalid' : undefined}
            aria-invalid={at('approval.timeoutSeconds').length ? true : undefined}
            onChange={(e) => set({ timeoutSeconds: num(e.target.value) })}
          />
        </Field>
        <Field label="On timeout" problems={at('approval.onTimeout')}>
          <select name="approval-on-timeout" value={approval.onTimeout ?? 'Reject'} onChange={(e) => set({ onTimeout: e.target.value === 'Reject' && approval.onTimeout === undefined ? undefined : (e.target.value as ApprovalTimeoutAction) })}>
            {APPROVAL_TIMEOUT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a === 'Reject' ? 'Reject (default)' : a}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <ListRows<string>
        label="Inputs"
        hint="(values the approver gives; they become outputs, with approvedBy and comment)"
        what="input"
        name="approval-input"
        rows={inputs}
        columns={[{ key: 'name', label: 'name', placeholder: 'name', get: (n) => n }]}
        listAt="approval.inputs"
        rowAt={(i) => `approval.inputs[${i}]`}
        problems={at('approval.inputs')}
        onEdit={(i, _c, v) => set({ inputs: inputs.map((n, j) => (j === i ? v : n)) })}
        onRemove={(i) => set({ inputs: removeRow(inputs, i) })}
        onAdd={() => set({ inputs: [...inputs, freeName(inputs, 'input')] })}
      />
      <ProblemList problems={rest} />
    </fieldset>
  );
}
