// The "Data flow" part of the task form: outputs, the `when` condition, task env, and the map
// (withItems or withParam, with maxParallel). Problems come from core's validator through the
// task's problems (`outputs[0].name`, `when`, …), each shown at its field.
import { useEffect, useState } from 'react';
import type { EnvVarSpec, OutputSpec, TaskSpec } from '@kontroler/core';
import {
  editRow, freeName, itemsToText, mapModeOf, parseItems, problemsAt, removeRow, switchMap, type MapMode, type TaskPatch,
} from './data-flow-model.js';
import { Field } from './field.js';
import { ListRows } from './list-rows.js';
import type { TaskProblem } from './model.js';

const num = (v: string): number | undefined => (v.trim() === '' || !Number.isFinite(Number(v)) ? undefined : Number(v));

export function TaskDataFlowForm({ task, problems, onChange }: { task: TaskSpec; problems: readonly TaskProblem[]; onChange: (patch: TaskPatch) => void }) {
  const at = (prefix: string) => problemsAt(problems, prefix);
  const outputs = task.outputs ?? [];
  const env = task.env ?? [];
  const [mode, setMode] = useState<MapMode>(() => mapModeOf(task));
  const [itemsText, setItemsText] = useState(() => itemsToText(task.withItems));
  const [itemsError, setItemsError] = useState<string>();
  const itemsKey = JSON.stringify(task.withItems ?? null);
  // The items changed elsewhere (the YAML view): show them, unless the draft already says so.
  useEffect(() => {
    const draft = parseItems(itemsText);
    if (draft.error === undefined && JSON.stringify(draft.items) === JSON.stringify(task.withItems ?? [])) return;
    if (task.withItems === undefined && draft.error !== undefined) return; // still typing
    setItemsText(itemsToText(task.withItems));
    setItemsError(undefined);
    setMode(mapModeOf(task));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [itemsKey]);
  useEffect(() => {
    if (task.withParam !== undefined) setMode('param');
  }, [task.withParam]);

  const mapProblems = [...at('withItems'), ...at('withParam'), ...at('maxParallel')];
  return (
    <fieldset className="form-section" data-testid="data-flow" aria-label="Data flow">
      <legend>Data flow</legend>
      <ListRows<OutputSpec>
        label="Outputs"
        hint="(written to $KONTROLER_OUTPUTS/NAME; later tasks use {{tasks.THIS.outputs.NAME}})"
        what="output"
        name="output"
        rows={outputs}
        columns={[
          { key: 'name', label: 'name', placeholder: 'name', width: 130, get: (o) => o.name ?? '' },
          { key: 'description', label: 'description', placeholder: 'description (optional)', get: (o) => o.description ?? '' },
        ]}
        listAt="outputs"
        rowAt={(i, c) => (c ? `outputs[${i}].${c}` : `outputs[${i}]`)}
        problems={at('outputs')}
        onEdit={(i, c, v) => onChange({ outputs: editRow(outputs, i, c, v, c === 'description') })}
        onRemove={(i) => onChange({ outputs: removeRow(outputs, i) })}
        onAdd={() => onChange({ outputs: [...outputs, { name: freeName(outputs.map((o) => o.name), 'output') }] })}
      />
      <Field label="Run only when" hint={'(CEL, e.g. tasks.check.outputs.ok == "yes"; empty: always)'} problems={at('when')}>
        <textarea
          name="task-when"
          rows={2}
          placeholder={'tasks.check.status == "succeeded"'}
          value={task.when ?? ''}
          className={at('when').length ? 'invalid' : undefined}
          aria-invalid={at('when').length ? true : undefined}
          onChange={(e) => onChange({ when: e.target.value })}
        />
      </Field>
      <ListRows<EnvVarSpec>
        label="Environment"
        hint="(values may use {{params.X}}, {{tasks.T.outputs.Y}}, {{item}})"
        what="variable"
        name="env"
        rows={env}
        columns={[
          { key: 'name', label: 'name', placeholder: 'NAME', width: 130, get: (e) => e.name ?? '' },
          { key: 'value', label: 'value', placeholder: 'value', get: (e) => e.value ?? '' },
        ]}
        listAt="env"
        rowAt={(i, c) => (c ? `env[${i}].${c}` : `env[${i}]`)}
        problems={at('env')}
        onEdit={(i, c, v) => onChange({ env: editRow(env, i, c, v) })}
        onRemove={(i) => onChange({ env: removeRow(env, i) })}
        onAdd={() => onChange({ env: [...env, { name: freeName(env.map((e) => e.name), 'VAR', '_'), value: '' }] })}
      />
      <Field label="Map" hint="(one instance of the task per item: {{item}})" as="div" problems={mode === 'none' ? mapProblems : []}>
        <select
          name="task-map"
          aria-label="Map"
          value={mode}
          onChange={(e) => {
            const to = e.target.value as MapMode;
            setMode(to);
            setItemsError(undefined);
            if (to !== 'items') setItemsText('');
            onChange(switchMap(task, to));
          }}
        >
          <option value="none">no map (runs once)</option>
          <option value="items">over a list (withItems)</option>
          <option value="param">over an output (withParam)</option>
        </select>
      </Field>
      {mode === 'items' ? (
        <Field label="Items" hint='(a JSON list: ["a", "b"], [1, 2] or objects)' problems={[...at('withItems'), ...at('withParam'), ...(itemsError ? [{ message: itemsError, at: 'withItems' }] : [])]}>
          <textarea
            name="task-with-items"
            rows={2}
            placeholder='["a", "b"]'
            value={itemsText}
            className={itemsError || at('withItems').length ? 'invalid' : undefined}
            aria-invalid={itemsError || at('withItems').length ? true : undefined}
            onChange={(e) => {
              setItemsText(e.target.value);
              const r = parseItems(e.target.value);
              setItemsError(r.error);
              if (r.error === undefined) onChange({ withItems: r.items });
            }}
          />
        </Field>
      ) : null}
      {mode === 'param' ? (
        <Field label="Items from" hint="(a reference to a JSON array output)" problems={[...at('withParam'), ...at('withItems')]}>
          <input
            name="task-with-param"
            placeholder="{{tasks.list.outputs.files}}"
            value={task.withParam ?? ''}
            className={at('withParam').length ? 'invalid' : undefined}
            aria-invalid={at('withParam').length ? true : undefined}
            onChange={(e) => onChange({ withParam: e.target.value })}
          />
        </Field>
      ) : null}
      {mode !== 'none' ? (
        <Field label="At most at once" hint="(empty: no limit)" problems={at('maxParallel')}>
          <input
            name="task-max-parallel"
            type="number"
            min={1}
            style={{ width: 90 }}
            value={task.maxParallel ?? ''}
            className={at('maxParallel').length ? 'invalid' : undefined}
            onChange={(e) => onChange({ maxParallel: num(e.target.value) })}
          />
        </Field>
      ) : null}
    </fieldset>
  );
}
