// The container of one attempt, built from its spec. Pure.
import { KontrolerError } from '@kontroler/core';
import type { AttemptSpec } from '@kontroler/engine';
import { attemptEnv, describeKey, expandK8sVars } from '@kontroler/runtime-local';
import type { BindMount, ContainerRequest } from './container-engine.js';
import { containerLimits } from './limits.js';
import { attemptLabels, containerName, scopeOf } from './naming.js';

/** Where the task finds its outputs folder (KONTROLER_OUTPUTS) in the container, as in a pod. */
export const OUTPUTS_PATH = '/kontroler/outputs';
/** Where the run's workspace is mounted (KONTROLER_WORKSPACE), as in a pod. */
export const WORKSPACE_PATH = '/workspace';

export interface HostFolders {
  /** The attempt's outputs folder on this machine. */
  readonly outputs: string;
  /** The run's workspace on this machine, when the DAG asks for one. */
  readonly workspace: string | undefined;
}

/**
 * `script` runs as `/bin/sh -c <script>` (the image needs a shell, as on Kubernetes); otherwise
 * `command` replaces the image's ENTRYPOINT and `args` its CMD, with Kubernetes' `$(VAR)`
 * expansion. Neither: the image's own. Throws VALIDATION_FAILED for NUL bytes and unusable env.
 */
export function containerRequest(spec: AttemptSpec, folders: HostFolders, owner: { readonly host: string; readonly controller: string | undefined }): ContainerRequest {
  const vars = attemptEnv(spec, folders.workspace !== undefined ? WORKSPACE_PATH : undefined, OUTPUTS_PATH);
  const argv = [...spec.command, ...spec.args, spec.script ?? ''];
  if (argv.some((a) => a.includes('\0'))) {
    throw new KontrolerError('VALIDATION_FAILED', `attempt ${describeKey(spec)}: its command, args or script contains a NUL byte, which a container's argv cannot hold`);
  }
  const mounts: BindMount[] = [{ source: folders.outputs, target: OUTPUTS_PATH }];
  if (folders.workspace !== undefined) mounts.push({ source: folders.workspace, target: WORKSPACE_PATH });
  const run = invocation(spec, vars);
  return {
    name: containerName(scopeOf(owner.host), spec),
    image: spec.image,
    ...run,
    env: Object.entries(vars).map(([k, v]) => `${k}=${v}`),
    labels: attemptLabels(spec, { host: owner.host, dagName: spec.dagName, namespace: spec.namespace, controller: owner.controller, deadlineAt: spec.deadlineAt, outputs: spec.outputs }),
    mounts,
    ...containerLimits(spec.task, spec.podTemplate?.resources?.limits),
  };
}

function invocation(spec: AttemptSpec, vars: Readonly<Record<string, string>>): { entrypoint?: string[]; cmd?: string[] } {
  if (spec.script !== undefined && spec.script.trim() !== '') return { entrypoint: ['/bin/sh', '-c'], cmd: [spec.script, 'script'] };
  const expand = (list: readonly string[]): string[] => list.map((a) => expandK8sVars(a, vars));
  return {
    ...(spec.command.length > 0 ? { entrypoint: expand(spec.command), cmd: expand(spec.args) } : {}),
    ...(spec.command.length === 0 && spec.args.length > 0 ? { cmd: expand(spec.args) } : {}),
  };
}
