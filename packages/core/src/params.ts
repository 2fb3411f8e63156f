// A run's parameter values: the DAG's declared parameters, their defaults, and the run's
// overrides. Secrets are not read here (core is pure): they are returned by name for the caller.
//
// Local-mode secret convention: a secret named `etl-db.secret` is read from the environment
// variable `KONTROLER_SECRET_ETL_DB_SECRET` (`secretEnvName`): the name upper-cased, every
// character other than A-Z and 0-9 replaced by `_`. In a cluster the Kubernetes Secret of that
// name is used instead (key `secret`, as in the Go project).

import type { FieldError } from './errors.js';
import { childPath } from './field-path.js';
import type { DagDefinition, DagRunResource } from './spec.js';

export interface RunParameters {
  /** Plain values by parameter name: overrides, else defaultValue. Excludes secret-backed ones. */
  values: Record<string, string>;
  /** Names of the parameters whose value comes from a secret (the keys of `secretRefs`). */
  secrets: string[];
  /** Secret-backed parameters: parameter name → secret name, to be read by the caller. */
  secretRefs: Record<string, string>;
  /** Problems, at paths `parameters.NAME`. */
  errors: FieldError[];
}

/**
 * Resolves a run's parameters from the definition and the run's overrides. Every declared
 * parameter gets exactly one source: a plain override (`overrides`), a secret override
 * (`secretOverrides`: name → secret name, from a DagRun's `fromSecret`), the DAG's defaultValue,
 * or the DAG's defaultFromSecret. An override of a parameter the DAG does not declare is an
 * error (`parameters.FOO: unknown parameter; the DAG declares: a, b`) — the Go project drops it
 * silently — and so is overriding one name both ways. A plain override of a secret-backed
 * parameter replaces the secret. Pure; never throws.
 */
export function resolveRunParameters(
  def: DagDefinition,
  overrides: Readonly<Record<string, string>>,
  secretOverrides: Readonly<Record<string, string>> = {},
): RunParameters {
  const out: RunParameters = { values: {}, secrets: [], secretRefs: {}, errors: [] };
  const declared = new Set(def.parameters.map((p) => p.name));
  const list = declared.size === 0 ? 'the DAG declares no parameters' : `the DAG declares: ${[...declared].join(', ')}`;
  const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
  for (const [source, map] of [['value', overrides], ['secret', secretOverrides]] as const) {
    for (const [name, value] of Object.entries(map)) {
      const path = childPath('parameters', name);
      if (!declared.has(name)) out.errors.push({ path, message: `unknown parameter; ${list}` });
      else if (typeof value !== 'string') out.errors.push({ path, message: `expected a string ${source === 'value' ? 'value' : 'secret name'}` });
      else if (source === 'secret' && own(overrides, name)) {
        out.errors.push({ path, message: 'set both as a value and from a secret; give one' });
      } else if (source === 'secret' && value === '') {
        out.errors.push({ path, message: 'empty secret name' });
      }
    }
  }
  for (const p of def.parameters) {
    const plain = own(overrides, p.name) ? overrides[p.name] : undefined;
    const secret = own(secretOverrides, p.name) ? secretOverrides[p.name] : undefined;
    if (typeof plain === 'string') out.values[p.name] = plain;
    else if (typeof secret === 'string' && secret !== '') out.secretRefs[p.name] = secret;
    else if (p.defaultFromSecret !== undefined && p.defaultFromSecret !== '') out.secretRefs[p.name] = p.defaultFromSecret;
    else out.values[p.name] = p.defaultValue ?? '';
  }
  out.secrets = Object.keys(out.secretRefs);
  return out;
}

/**
 * A DagRun's `spec.parameters` as the two override maps `resolveRunParameters` takes. Entries
 * without a name are skipped (validateDagRun reports them); a later entry wins over an earlier
 * one of the same name (validateDagRun reports duplicates). Pure; never throws.
 */
export function dagRunOverrides(run: DagRunResource): { values: Record<string, string>; secrets: Record<string, string> } {
  const values: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  const list = Array.isArray(run.spec?.parameters) ? run.spec.parameters : [];
  for (const p of list) {
    if (typeof p !== 'object' || p === null || typeof p.name !== 'string' || p.name === '') continue;
    if (typeof p.fromSecret === 'string' && p.fromSecret !== '') secrets[p.name] = p.fromSecret;
    else if (typeof p.value === 'string') values[p.name] = p.value;
  }
  return { values, secrets };
}

/** The environment variable local mode reads a secret from: `KONTROLER_SECRET_<NAME>` (see top). */
export function secretEnvName(secretName: string): string {
  return `KONTROLER_SECRET_${secretName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Reads secret-backed parameters from an environment map (local mode), following
 * `secretEnvName`. A missing variable is an error at `parameters.NAME` saying which variable to
 * set. `env` is passed in (core never reads the process environment). Pure; never throws.
 */
export function resolveSecretsFromEnv(
  secretRefs: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
): { values: Record<string, string>; errors: FieldError[] } {
  const values: Record<string, string> = {};
  const errors: FieldError[] = [];
  for (const [param, secret] of Object.entries(secretRefs)) {
    const variable = secretEnvName(secret);
    const v = Object.prototype.hasOwnProperty.call(env, variable) ? env[variable] : undefined;
    if (v === undefined) {
      errors.push({ path: childPath('parameters', param), message: `secret ${JSON.stringify(secret)} is not available: set the environment variable ${variable}` });
    } else values[param] = v;
  }
  return { values, errors };
}
