import type { DagDefinition } from '@kontroler/core';
import { KontrolerError } from '@kontroler/core';

/** Parameter values and secret references of a run that overrides nothing. */
export function defaultParameters(def: DagDefinition): { values: Record<string, string>; secretRefs: Record<string, string> } {
  return runParameters(def, {});
}

/**
 * A run's parameters: the DAG's defaults with `overrides` on top. A secret-backed parameter keeps
 * only its secret's name (resolved when an attempt starts, never stored). An override of a name the
 * DAG does not declare throws UNKNOWN_PARAMETER naming it and the declared ones.
 */
export function runParameters(
  def: DagDefinition,
  overrides: Readonly<Record<string, string>>,
  secretOverrides: Readonly<Record<string, string>> = {},
): { values: Record<string, string>; secretRefs: Record<string, string> } {
  const declared = new Set(def.parameters.map((p) => p.name));
  const unknown = [...Object.keys(overrides), ...Object.keys(secretOverrides)].filter((k) => !declared.has(k));
  if (unknown.length > 0) {
    const list = def.parameters.map((p) => p.name).join(', ') || '(none)';
    throw new KontrolerError('UNKNOWN_PARAMETER', `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}; ${def.namespace}/${def.name} declares: ${list}`, {
      details: unknown.map((u) => ({ path: `parameters.${u}`, message: `unknown parameter; declared: ${list}` })),
    });
  }
  const values: Record<string, string> = {};
  const secretRefs: Record<string, string> = {};
  for (const p of def.parameters) {
    const o = overrides[p.name];
    const so = secretOverrides[p.name];
    if (o !== undefined) values[p.name] = o;
    else if (so !== undefined) secretRefs[p.name] = so;
    else if (p.defaultValue !== undefined) values[p.name] = p.defaultValue;
    else if (p.defaultFromSecret !== undefined) secretRefs[p.name] = p.defaultFromSecret;
  }
  return { values, secretRefs };
}
