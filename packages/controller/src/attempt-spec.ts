import { KontrolerError, lookupEnvSecret, type DagDefinition, type ResolvedTask } from '@kontroler/core';
import type { AttemptSpec } from '@kontroler/engine';
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
): AttemptSpec {
  const env: Record<string, string> = {};
  const secretEnv: Record<string, string> = {};
  const missing: string[] = [];
  for (const p of task.parameters) {
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
  return {
    runId: String(run.id),
    task: task.name,
    attempt,
    namespace: run.namespace,
    dagName: run.dagName,
    image: task.image,
    command: task.command,
    args: task.args,
    env,
    ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}),
    ...(task.script !== undefined ? { script: task.script } : {}),
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
