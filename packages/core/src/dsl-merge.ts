// Merging a DAG's `spec.dsl` into the rest of its spec, the way the Go controller does.

import type { FieldError } from './errors.js';
import type { SourcePosition } from './field-path.js';
import { parseDsl } from './dsl.js';
import type { DagSpec } from './spec.js';

export interface DslExpansion {
  /** The spec with the DSL's sections merged in (the input object itself when there is no DSL). */
  spec: DagSpec;
  /** The DSL's errors: path `spec.dsl`, line/column relative to the DSL text. */
  errors: FieldError[];
  /** Positions (in the DSL text) of the fields that came from the DSL; see `DslParseResult`. */
  positions: Map<string, SourcePosition>;
  /** True when `spec.dsl` held DSL text. */
  used: boolean;
}

/**
 * Merges a DAG's `spec.dsl` into its spec the way the Go controller does: the DSL takes
 * precedence section by section — a non-empty DSL schedule replaces `schedule`, a non-empty
 * parameter list replaces `parameters`, a non-empty task list replaces `task`, a non-empty
 * `outputs` block replaces the DAG's `outputs` (ours; the Go DSL has none) — and every other
 * field (webhook, workspace, suspended, our additions, and any section the DSL leaves out) stays
 * as written in YAML. So a resource the Go controller has already patched (both `dsl` and the
 * generated fields present) reads the same. Returns the merged spec even when the DSL has errors
 * (with what could be read). Pure; never throws; does not modify its input.
 */
export function applyDsl(spec: DagSpec): DslExpansion {
  const text = (spec as { dsl?: unknown }).dsl;
  if (typeof text !== 'string' || text.trim() === '') {
    return { spec, errors: [], positions: new Map(), used: false };
  }
  const parsed = parseDsl(text);
  const merged: DagSpec = { ...spec };
  const keep = new Set<string>();
  if (parsed.spec.schedule !== undefined && parsed.spec.schedule !== '') {
    merged.schedule = parsed.spec.schedule;
    keep.add('spec.schedule');
  }
  if (parsed.spec.parameters !== undefined && parsed.spec.parameters.length > 0) {
    merged.parameters = parsed.spec.parameters;
    keep.add('spec.parameters');
  }
  if (parsed.spec.task !== undefined && parsed.spec.task.length > 0) {
    merged.task = parsed.spec.task;
    keep.add('spec.task');
  }
  if (parsed.spec.outputs !== undefined && parsed.spec.outputs.length > 0) {
    merged.outputs = parsed.spec.outputs;
    keep.add('spec.outputs');
  }
  const positions = new Map<string, SourcePosition>();
  for (const [path, pos] of parsed.positions) {
    const section = /^spec\.(schedule|parameters|task|outputs)/.exec(path)?.[0];
    if (section !== undefined && keep.has(section)) positions.set(path, pos);
  }
  return { spec: merged, errors: parsed.errors, positions, used: true };
}
