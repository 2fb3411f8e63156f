import { secretEnvName, type DagDefinition, type ResolvedTask } from '@kontroler/core';
import type { AttemptSpec } from '@kontroler/engine';
import type { RunRecord } from '@kontroler/store';

/**
 * Looks up the value of a secret parameter (never stored in the database). Undefined means the
 * controller cannot read it: the attempt then names the secret in `secretEnv` for runtimes that
 * read secrets themselves (Kubernetes), and local attempts run without the variable.
 */
export type SecretResolver = (namespace: string, secretName: string) => string | undefined;

/** Local secrets from the environment (`secretEnvName`: secret `db-pass` → `KONTROLER_SECRET_DB_PASS`). */
export function envSecretResolver(env: Readonly<Record<string, string | undefined>>): SecretResolver {
  return (_ns, secret) => env[secretEnvName(secret)];
}

/** What the runtime needs to run attempt `attempt` of `task` in `run`. */
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
  for (const p of task.parameters) {
    const secret = run.secretRefs[p];
    const value = secret !== undefined ? secrets(run.namespace, secret) : run.parameters[p];
    if (value !== undefined) env[p] = value;
    else if (secret !== undefined) secretEnv[p] = secret;
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
    ...(task.podTemplate ? { podTemplate: task.podTemplate as Record<string, unknown> } : {}),
    ...(task.kontrolerToken ? { kontrolerToken: true } : {}),
  };
}
