// A run's parameter values: the DAG's declared parameters, their defaults, and the run's
// overrides. Secrets are not read here (core is pure): they are returned by name for the caller.
//
// Local-mode secret convention (scoped by namespace): a secret named `etl-db.secret` of namespace
// `team-a` is read from the environment variable `KONTROLER_SECRET_TEAM_A__ETL_DB_SECRET`
// (`secretEnvName`): namespace and name upper-cased, every character other than A-Z and 0-9
// replaced by `_`, joined by a double `_`. A namespace never starts or ends with "-", so the first
// `__` after the prefix always ends the namespace; namespaces containing "--" would be ambiguous
// and have no environment secrets. In a cluster the Kubernetes Secret of that name in the run's
// namespace is used instead (key `secret`, as in the Go project).

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

/** Upper-cased, every character other than A-Z and 0-9 replaced by `_`. */
function envPart(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * The environment variable local mode reads secret `secretName` of `namespace` from:
 * `KONTROLER_SECRET_<NAMESPACE>__<NAME>` (see top). Undefined for a namespace whose variable names
 * could be read as another namespace's (one containing "--"). Pure.
 */
export function secretEnvName(namespace: string, secretName: string): string | undefined {
  const ns = envPart(namespace);
  if (ns === '' || ns.includes('__') || ns.startsWith('_') || ns.endsWith('_')) return undefined;
  return `KONTROLER_SECRET_${ns}__${envPart(secretName)}`;
}

/** The unscoped variable older versions read (`KONTROLER_SECRET_<NAME>`): refused now, named in errors. */
export function legacySecretEnvName(secretName: string): string {
  return `KONTROLER_SECRET_${envPart(secretName)}`;
}

/**
 * Variables of the old unscoped form (`KONTROLER_SECRET_<NAME>`, no `__`) present in `env`: no
 * longer read; an entry point warns about each at startup. Pure.
 */
export function legacySecretVariables(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.keys(env).filter((k) => k.startsWith('KONTROLER_SECRET_') && !k.slice('KONTROLER_SECRET_'.length).includes('__')).sort();
}

/** A secret looked up in local mode: its value, or why it is not available (never the value). */
export type EnvSecretLookup = { readonly found: true; readonly value: string } | { readonly found: false; readonly message: string };

/**
 * Looks up secret `secret` of `namespace` in an environment map following `secretEnvName`. A
 * missing secret says which variable to set; the old unscoped `KONTROLER_SECRET_<NAME>` is not
 * read (it would be visible to every namespace) and, when present, the message says to rename it.
 * Pure; never throws.
 */
export function lookupEnvSecret(namespace: string, secret: string, env: Readonly<Record<string, string | undefined>>): EnvSecretLookup {
  const variable = secretEnvName(namespace, secret);
  const label = `secret ${JSON.stringify(secret)} of namespace ${JSON.stringify(namespace)}`;
  if (variable === undefined) {
    return { found: false, message: `${label} cannot be read from the environment: a namespace containing "--" has no environment secrets; use another namespace` };
  }
  const v = Object.prototype.hasOwnProperty.call(env, variable) ? env[variable] : undefined;
  if (v !== undefined) return { found: true, value: v };
  const legacy = legacySecretEnvName(secret);
  const hint = Object.prototype.hasOwnProperty.call(env, legacy) && env[legacy] !== undefined
    ? `; ${legacy} is no longer read (secrets are scoped by namespace): rename it to ${variable}`
    : '';
  return { found: false, message: `${label} is not set: set the environment variable ${variable}${hint}` };
}

/**
 * Reads secret-backed parameters of a run in `namespace` from an environment map (local mode),
 * following `secretEnvName`. A missing variable is an error at `parameters.NAME` saying which
 * variable to set. `env` is passed in (core never reads the process environment). Pure; never throws.
 */
export function resolveSecretsFromEnv(
  namespace: string,
  secretRefs: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
): { values: Record<string, string>; errors: FieldError[] } {
  const values: Record<string, string> = {};
  const errors: FieldError[] = [];
  for (const [param, secret] of Object.entries(secretRefs)) {
    const r = lookupEnvSecret(namespace, secret, env);
    if (r.found) values[param] = r.value;
    else errors.push({ path: childPath('parameters', param), message: r.message });
  }
  return { values, errors };
}
