import { KontrolerError, findReferences, formatLogicalTime, itemText, lookupEnvSecret, substitute, type DagDefinition, type ResolvedTask } from '@kontroler/core';
import type { AttemptSpec, ResolvedInputs, RunContext, TaskState } from '@kontroler/engine';
import type { RunRecord } from '@kontroler/store';

/**
 * What the controller knows of a secret parameter's value (never stored in the database): the
 * value; or that the runtime reads secrets itself (Kubernetes: the pod's `secretKeyRef`, so the
 * value never passes through the controller); or that it does not exist, with a message naming
 * the secret and how to provide it (never a value).
 */
export type SecretLookup =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'runtime-reads' }
  | { readonly kind: 'missing'; readonly message: string };

export type SecretResolver = (namespace: string, secretName: string) => SecretLookup;

/** Reason of an attempt that failed before starting because a secret it needs does not exist. */
export const SECRET_NOT_FOUND = 'SecretNotFound';

/** Local secrets from the environment, scoped by namespace (core's `secretEnvName`). */
export function envSecretResolver(env: Readonly<Record<string, string | undefined>>): SecretResolver {
  return (ns, secret) => {
    const r = lookupEnvSecret(ns, secret, env);
    return r.found ? { kind: 'value', value: r.value } : { kind: 'missing', message: r.message };
  };
}

/** For runtimes that read secrets themselves (Kubernetes pods): the controller reads none. */
export const runtimeReadsSecrets: SecretResolver = () => ({ kind: 'runtime-reads' });

/**
 * A run's logical time and the schedule's fire before it, RFC 3339 in the time zone recorded with
 * the run (`def`'s when none was: runs from before migration 13); absent when the run has none.
 */
export function logicalTimesOf(run: RunRecord, def?: Pick<DagDefinition, 'timezone'>): { logicalTime?: string; prevLogicalTime?: string } {
  // (`== null`: records built by hand, e.g. in tests, may leave it out.)
  if (run.scheduledFor == null) return {};
  const tz = run.logicalTimezone ?? def?.timezone ?? 'UTC';
  return {
    logicalTime: formatLogicalTime(run.scheduledFor, tz),
    ...(run.prevLogicalTime !== undefined ? { prevLogicalTime: formatLogicalTime(run.prevLogicalTime, tz) } : {}),
  };
}

/** What references and conditions of the run see (the engine's DecideOptions.context). */
export function runContext(run: RunRecord): RunContext {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(run.parameters)) {
    if (!Object.hasOwn(run.secretRefs, k)) Object.defineProperty(params, k, { value: v, enumerable: true });
  }
  return { runId: String(run.id), runName: run.name ?? String(run.id), params, secretParams: Object.keys(run.secretRefs), depth: run.depth ?? 0, ...logicalTimesOf(run) };
}

/** A dagRef task's child run parameters: its `dagRef.parameters`, with the values its attempt resolved. */
export function childParameters(spec: ResolvedTask, resolved: ResolvedInputs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of spec.dagRef?.parameters ?? []) Object.defineProperty(out, p.name, { value: resolved?.parameters?.[p.name] ?? p.value, enumerable: true, writable: true });
  return out;
}

/** Secret-backed parameters a text references as `{{params.S}}`. */
function secretReferences(texts: readonly string[], run: RunRecord): string[] {
  const out = new Set<string>();
  for (const t of texts) {
    if (!t.includes('{{')) continue;
    for (const m of findReferences(t)) if (m.ref?.kind === 'param' && Object.hasOwn(run.secretRefs, m.ref.name)) out.add(m.ref.name);
  }
  return [...out];
}

/**
 * What the runtime needs to run attempt `attempt` of `task` in `run`. Throws NOT_FOUND with a
 * message starting `SecretNotFound:` and naming every missing secret (never a value) when a secret
 * parameter the task uses does not exist: the attempt must then fail before it starts.
 */
export function buildAttemptSpec(
  run: RunRecord,
  def: DagDefinition,
  task: ResolvedTask,
  attempt: number,
  deadlineAt: number | undefined,
  secrets: SecretResolver,
  resolved?: ResolvedInputs,
  instance?: Pick<TaskState, 'name' | 'mapOf' | 'index' | 'item'>,
): AttemptSpec {
  const env: Record<string, string> = {};
  const secretEnv: Record<string, string> = {};
  const missing: string[] = [];
  // The attempt's fields as the engine resolved them when it created the attempt (references
  // substituted), else the task's own; the task's `env` entries join the parameters.
  const command = resolved?.command ?? task.command;
  const args = resolved?.args ?? task.args;
  const script = resolved?.script ?? task.script;
  const taskEnv = (task.env ?? []).map((e) => ({ name: e.name, value: resolved?.env?.[e.name] ?? e.value }));
  const texts = [...command, ...args, ...(script !== undefined ? [script] : []), ...taskEnv.map((e) => e.value)];
  const secretRefs = secretReferences(texts, run);
  for (const p of new Set([...task.parameters, ...secretRefs])) {
    const secret = run.secretRefs[p];
    if (secret === undefined) {
      const value = run.parameters[p];
      if (value !== undefined) env[p] = value;
      continue;
    }
    const found = secrets(run.namespace, secret);
    if (found.kind === 'value') env[p] = found.value;
    else if (found.kind === 'runtime-reads') secretEnv[p] = secret;
    else missing.push(`parameter ${p}: ${found.message}`);
  }
  if (missing.length > 0) {
    throw new KontrolerError('NOT_FOUND', `${SECRET_NOT_FOUND}: ${missing.join('; ')}`);
  }
  // `{{params.S}}` of a secret parameter is filled in here, for the runtime only (never recorded):
  // with the value when the controller has it. Where the pod reads the secret itself (the value
  // never reaches the controller), as a reference to the container's variable S: `$(S)` in command
  // and args (the kubelet expands it), `${S}` in a script (the shell does); an env value cannot
  // refer to it (env values are taken literally), so that is refused.
  const fillWith = (form: (p: string) => string) => {
    const values: Record<string, string> = {};
    for (const p of secretRefs) Object.defineProperty(values, p, { value: env[p] ?? form(p), enumerable: true });
    return (t: string): string => (secretRefs.length > 0 && t.includes('{{') ? substitute(t, { params: values }).text : t);
  };
  const fill = fillWith((p) => `$(${p})`);
  const fillScript = fillWith((p) => `\${${p}}`);
  for (const e of taskEnv) {
    const inEnv = secretRefs.find((p) => env[p] === undefined && e.value.includes(`{{params.${p}}}`));
    if (inEnv !== undefined) {
      throw new KontrolerError('VALIDATION_FAILED', `env ${e.name}: secret parameter ${inEnv} cannot be used in an env value where the pod reads the secret itself; list ${inEnv} in the task's parameters and use $${inEnv} instead`);
    }
    env[e.name] = fill(e.value);
  }
  // An instance of a mapped task also gets its item: KONTROLER_ITEM (a string as it is, anything
  // else as JSON, like {{item}}) and KONTROLER_ITEM_INDEX.
  if (instance?.mapOf !== undefined) {
    env.KONTROLER_ITEM = itemText(instance.item ?? null);
    env.KONTROLER_ITEM_INDEX = String(instance.index ?? 0);
  }
  // The run's logical time (a scheduled or backfilled run, or one started with it) and the
  // schedule's fire before it, so a task can process "its" interval.
  const times = logicalTimesOf(run, def);
  if (times.logicalTime !== undefined) env.KONTROLER_LOGICAL_TIME = times.logicalTime;
  if (times.prevLogicalTime !== undefined) env.KONTROLER_PREV_LOGICAL_TIME = times.prevLogicalTime;
  return {
    runId: String(run.id),
    task: instance?.mapOf !== undefined ? instance.name : task.name,
    attempt,
    namespace: run.namespace,
    dagName: run.dagName,
    image: task.image,
    command: command.map(fill),
    args: args.map(fill),
    env,
    ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}),
    ...(script !== undefined ? { script: fillScript(script) } : {}),
    ...(task.outputs && task.outputs.length > 0 ? { outputs: task.outputs } : {}),
    ...(task.scriptInjectorImage !== undefined ? { scriptInjectorImage: task.scriptInjectorImage } : {}),
    ...(def.workspace?.enable ? { workspace: true } : {}),
    ...(def.workspace?.enable && def.workspace.pvc ? { workspaceClaim: def.workspace.pvc as Record<string, unknown> } : {}),
    ...(deadlineAt !== undefined ? { deadlineAt } : {}),
    ...(task.podTemplate ? { podTemplate: task.podTemplate } : {}),
    ...(task.kontrolerToken ? { kontrolerToken: true } : {}),
    // A run a DagRun object started is named after it (the CRD adapter's startRun).
    ...(run.trigger === 'crd' && run.name ? { runObject: run.name } : {}),
  };
}
