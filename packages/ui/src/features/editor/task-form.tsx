// The side form of the selected task: every field of a Kontroler task, each showing the
// validator's problems for it as you type. What the task does (command/script, sub-DAG,
// approval) is chosen at the top; the data-flow fields have their own part (task-data-flow-form).
import { useEffect, useRef, useState } from 'react';
import { parse as parseYaml, stringify } from 'yaml';
import type { TaskSpec, TriggerRule } from '@kontroler/core';
import { cycleThrough } from '../graph/model.js';
import { CodeEditor } from './code-editor.js';
import { shownTaskFields, switchKind, taskKindOf, unclaimed, type RunStash, type TaskKind } from './data-flow-model.js';
import { Field } from './field.js';
import { edgesOf, linesToList, listToLines, parseCodes, type DagDoc, type TaskProblem } from './model.js';
import { TaskDataFlowForm } from './task-data-flow-form.js';
import { ApprovalFields, DagRefFields } from './task-kind-form.js';

type Patch = Partial<Omit<TaskSpec, 'name' | 'runAfter'>>;

const KINDS: Array<{ kind: TaskKind; label: string }> = [
  { kind: 'run', label: 'Command / script' },
  { kind: 'dagRef', label: 'Sub-DAG' },
  { kind: 'approval', label: 'Approval' },
];

const num = (v: string): number | undefined => (v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));

export function TaskForm({
  doc,
  task,
  problems,
  onRename,
  onChange,
  onDependency,
  onDelete,
}: {
  doc: DagDoc;
  task: TaskSpec;
  problems: TaskProblem[];
  onRename: (to: string) => string | undefined;
  onChange: (patch: Patch) => void;
  onDependency: (source: string, on: boolean) => void;
  onDelete: () => void;
}) {
  const [name, setName] = useState(task.name);
  const [nameError, setNameError] = useState<string>();
  const [codes, setCodes] = useState((task.conditional?.retryCodes ?? []).join(', '));
  const [codesError, setCodesError] = useState<string>();
  const [pod, setPod] = useState(task.podTemplate ? stringify(task.podTemplate) : '');
  const [podError, setPodError] = useState<string>();
  const [mode, setMode] = useState<'script' | 'command'>(task.script !== undefined || !task.command ? 'script' : 'command');
  useEffect(() => {
    setName(task.name);
    setNameError(undefined);
    // Reset drafts when another task is selected (not when this one changes).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [task.name]);
  const of = (field: string) => problems.filter((p) => p.field === field);
  /** The field's problems, and the form's own complaint about what was typed into it. */
  const withLocal = (field: string, local: string | undefined) => [...of(field), ...(local ? [{ field, at: field, message: local, path: '' }] : [])];
  const kind = taskKindOf(task);
  // The command/script a task had before it became a sub-DAG or approval: switching back restores it.
  const stash = useRef<RunStash>(undefined);
  const chooseKind = (to: TaskKind) => {
    const r = switchKind(task, to, stash.current);
    stash.current = r.stash;
    if (to === 'run') setMode(r.patch.script !== undefined || !r.patch.command ? 'script' : 'command');
    onChange(r.patch);
  };
  const unshown = unclaimed(problems, shownTaskFields(kind));
  const others = (doc.spec.task ?? []).filter((t) => t.name !== task.name);
  const edges = edgesOf(doc);
  const declared = (doc.spec.parameters ?? []).map((p) => p.name);

  const commitName = () => {
    const to = name.trim();
    if (to === task.name) return;
    const err = onRename(to);
    setNameError(err);
  };

  return (
    <div className="form" data-testid="task-form" aria-label={`Task ${task.name}`}>
      <div className="row">
        <h2 style={{ margin: 0 }}>Task</h2>
        <span className="grow" />
        <button className="small danger" onClick={onDelete}>
          Delete task
        </button>
      </div>
      <Field label="Name" problems={[...of('name'), ...(nameError ? [{ field: 'name', at: 'name', message: nameError, path: '' }] : [])]}>
        <input
          name="task-name"
          value={name}
          className={nameError || of('name').length ? 'invalid' : undefined}
          onChange={(e) => setName(e.target.value)}
          onBlur={commitName}
          onKeyDown={(e) => e.key === 'Enter' && commitName()}
        />
      </Field>
      <div className="segmented" role="group" aria-label="What the task does">
        {KINDS.map((k) => (
          <button key={k.kind} type="button" aria-pressed={kind === k.kind} data-kind={k.kind} onClick={() => chooseKind(k.kind)}>
            {k.label}
          </button>
        ))}
      </div>
      {kind === 'run' ? (
        <>
          <Field label="Image" problems={of('image')}>
            <input name="task-image" value={task.image ?? ''} className={of('image').length ? 'invalid' : undefined} onChange={(e) => onChange({ image: e.target.value })} />
          </Field>
          <div className="segmented" role="group" aria-label="What the task runs">
            <button type="button" aria-pressed={mode === 'script'} onClick={() => { setMode('script'); onChange({ command: [], args: [], script: task.script ?? 'echo hello' }); }}>
              Script
            </button>
            <button type="button" aria-pressed={mode === 'command'} onClick={() => { setMode('command'); onChange({ script: undefined, command: task.command?.length ? task.command : ['echo'], args: task.args ?? [] }); }}>
              Command + args
            </button>
          </div>
          {mode === 'script' ? (
            <Field label="Script" hint="(run with /bin/sh)" problems={of('script')}>
              <CodeEditor language="shell" value={task.script ?? ''} onChange={(v) => onChange({ script: v })} ariaLabel="script" height={140} invalid={of('script').length > 0} />
            </Field>
          ) : (
            <>
              <Field label="Command" hint="(one argument per line)" problems={of('command')}>
                <textarea name="task-command" rows={2} value={listToLines(task.command)} className={of('command').length ? 'invalid' : undefined} onChange={(e) => onChange({ command: linesToList(e.target.value) })} />
              </Field>
              <Field label="Args" hint="(one per line)" problems={of('args')}>
                <textarea name="task-args" rows={2} value={listToLines(task.args)} onChange={(e) => onChange({ args: linesToList(e.target.value) })} />
              </Field>
            </>
          )}
        </>
      ) : kind === 'dagRef' ? (
        <DagRefFields task={task} problems={problems} onChange={onChange} />
      ) : (
        <ApprovalFields task={task} problems={problems} onChange={onChange} />
      )}
      <Field label="Runs after" problems={of('runAfter')}>
        <div style={{ display: 'flex', flexWrap: 'wrap', gap: '4px 12px' }}>
          {others.length === 0 ? <span className="muted">No other task yet.</span> : null}
          {others.map((o) => {
            const on = task.runAfter?.includes(o.name) ?? false;
            const cycle = on ? undefined : cycleThrough(edges, o.name, task.name);
            return (
              <label key={o.name} className="row" style={{ gap: 4, fontWeight: 400, color: 'var(--text)' }} title={cycle ? `would make a cycle: ${cycle.join(' → ')}` : undefined}>
                <input type="checkbox" checked={on} disabled={Boolean(cycle)} onChange={(e) => onDependency(o.name, e.target.checked)} /> {o.name}
              </label>
            );
          })}
        </div>
      </Field>
      <Field label="Parameters" hint="(injected as environment variables)" problems={of('parameters')}>
        <div style={{ display: 'flex', flexWrap: 'wrap', gap: '4px 12px' }}>
          {declared.length === 0 ? <span className="muted">Declare parameters in the DAG settings.</span> : null}
          {declared.map((p) => {
            const on = task.parameters?.includes(p) ?? false;
            return (
              <label key={p} className="row" style={{ gap: 4, fontWeight: 400, color: 'var(--text)' }}>
                <input type="checkbox" checked={on} onChange={(e) => onChange({ parameters: e.target.checked ? [...(task.parameters ?? []), p] : (task.parameters ?? []).filter((x) => x !== p) })} /> {p}
              </label>
            );
          })}
          {(task.parameters ?? []).filter((p) => !declared.includes(p)).map((p) => (
            <span key={p} className="chip" style={{ color: 'var(--danger)' }}>
              {p} (undeclared)
            </span>
          ))}
        </div>
      </Field>
      <div className="row" style={{ alignItems: 'flex-start' }}>
        <Field label="Retries" problems={of('backoff')}>
          <input name="task-retries" type="number" min={0} style={{ width: 90 }} value={task.backoff?.limit ?? ''} onChange={(e) => { const n = num(e.target.value); onChange({ backoff: n === undefined ? undefined : { limit: n } }); }} />
        </Field>
        <Field label="Retry delay (s)" problems={of('retry')}>
          <input name="task-retry-delay" type="number" min={0} style={{ width: 100 }} value={task.retry?.delaySeconds ?? ''} onChange={(e) => { const n = num(e.target.value); onChange({ retry: n === undefined ? undefined : { ...task.retry, delaySeconds: n } }); }} />
        </Field>
        <Field label="Timeout (s)" problems={of('timeoutSeconds')}>
          <input name="task-timeout" type="number" min={1} style={{ width: 90 }} value={task.timeoutSeconds ?? ''} onChange={(e) => onChange({ timeoutSeconds: num(e.target.value) })} />
        </Field>
      </div>
      <Field label="Retry only these exit codes" hint="(empty: every failure retries)" problems={withLocal('conditional', codesError)}>
        <input
          name="task-retry-codes"
          placeholder="e.g. 1, 137"
          value={codes}
          className={codesError ? 'invalid' : undefined}
          onChange={(e) => {
            setCodes(e.target.value);
            const r = parseCodes(e.target.value);
            setCodesError(r.error);
            if (!r.error) onChange({ conditional: r.codes.length ? { enabled: true, retryCodes: r.codes } : undefined });
          }}
        />
      </Field>
      <Field label="Trigger rule" problems={of('triggerRule')}>
        <select value={task.triggerRule ?? 'AllSucceeded'} onChange={(e) => onChange({ triggerRule: e.target.value === 'AllSucceeded' ? undefined : (e.target.value as TriggerRule) })}>
          <option value="AllSucceeded">all upstream succeeded (default)</option>
          <option value="AllDone">all upstream done</option>
          <option value="AnySucceeded">any upstream succeeded</option>
          <option value="AnyFailed">any upstream failed</option>
        </select>
      </Field>
      {kind === 'run' ? (
        <>
          <Field label="Pod template" hint="(YAML: resources, volumes, nodeSelector, …)" problems={withLocal('podTemplate', podError)}>
            <CodeEditor
              language="yaml"
              ariaLabel="pod template"
              height={120}
              value={pod}
              invalid={Boolean(podError) || of('podTemplate').length > 0}
              onChange={(v) => {
                setPod(v);
                try {
                  const o = v.trim() === '' ? undefined : (parseYaml(v) as unknown);
                  if (o !== undefined && (typeof o !== 'object' || o === null || Array.isArray(o))) throw new Error('the pod template is a mapping (key: value)');
                  setPodError(undefined);
                  onChange({ podTemplate: o as TaskSpec['podTemplate'] });
                } catch (e) {
                  setPodError(`not valid YAML: ${(e as Error).message.split('\n')[0]}`);
                }
              }}
            />
          </Field>
        </>
      ) : null}
      <TaskDataFlowForm key={task.name} task={task} problems={problems} onChange={onChange} />
      {unshown.length ? (
        <div className="error-box" role="alert" data-testid="task-other-problems">
          {unshown.map((p, i) => (
            <div key={i} data-at={p.at}>
              {p.at}: {p.message}
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
