import type { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';
import { expand } from './env-expansion.js';
import { httpStatusOf, kubeErrorMessage } from './kube-errors.js';

/** A container cannot be created yet (kubelet's CreateContainerConfigError); retried later. */
export class ContainerConfigError extends Error {
  readonly code = 'CreateContainerConfigError';
}

type Source = Record<string, string>;

/**
 * The environment kubelet would give the container: `envFrom` first, then `env` in order, with
 * `$(VAR)` references to earlier variables expanded; values from Secrets, ConfigMaps and the pod's
 * own fields. Throws ContainerConfigError when a non-optional source is missing.
 */
export async function resolveEnv(core: CoreV1Api, pod: V1Pod, c: V1Container): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {};
  const cache = new Map<string, Source | undefined>();
  const load = async (kind: 'Secret' | 'ConfigMap', name: string, optional: boolean): Promise<Source | undefined> => {
    const key = `${kind}/${name}`;
    if (!cache.has(key)) cache.set(key, await readSource(core, kind, ns, name));
    const src = cache.get(key);
    if (!src && !optional) throw new ContainerConfigError(`${kind.toLowerCase()} "${name}" not found`);
    return src;
  };

  for (const from of c.envFrom ?? []) {
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref?.name) continue;
    const src = await load(from.secretRef ? 'Secret' : 'ConfigMap', ref.name, ref.optional ?? false);
    for (const [k, v] of Object.entries(src ?? {})) env[`${from.prefix ?? ''}${k}`] = v;
  }
  for (const e of c.env ?? []) {
    const vf = e.valueFrom;
    if (!vf) {
      env[e.name] = expand(e.value ?? '', (n) => env[n]);
      continue;
    }
    const keyRef = vf.secretKeyRef ?? vf.configMapKeyRef;
    if (keyRef) {
      const kind = vf.secretKeyRef ? 'Secret' : 'ConfigMap';
      const src = await load(kind, keyRef.name ?? '', keyRef.optional ?? false);
      const value = src?.[keyRef.key];
      if (value !== undefined) env[e.name] = value;
      else if (src && !keyRef.optional) throw new ContainerConfigError(`couldn't find key ${keyRef.key} in ${kind} ${ns}/${keyRef.name}`);
    } else if (vf.fieldRef) {
      env[e.name] = podField(pod, vf.fieldRef.fieldPath);
    } else if (vf.resourceFieldRef) {
      throw new ContainerConfigError(`env ${e.name}: resourceFieldRef is not supported by the local node agent`);
    }
  }
  return env;
}

async function readSource(core: CoreV1Api, kind: 'Secret' | 'ConfigMap', namespace: string, name: string): Promise<Source | undefined> {
  try {
    if (kind === 'ConfigMap') {
      const cm = await core.readNamespacedConfigMap({ name, namespace });
      const binary = Object.fromEntries(Object.entries(cm.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      return { ...binary, ...(cm.data ?? {}) };
    }
    const secret = await core.readNamespacedSecret({ name, namespace });
    return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  } catch (err) {
    if (httpStatusOf(err) === 404) return undefined;
    throw new ContainerConfigError(`read ${kind} ${namespace}/${name}: ${kubeErrorMessage(err)}`, { cause: err });
  }
}

/** The downward-API fields kubelet supports for env (`fieldRef`). */
export function podField(pod: V1Pod, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2] as string] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.podIP':
      return '127.0.0.1';
    case 'status.hostIPs':
    case 'status.podIPs':
      return '127.0.0.1';
    default:
      throw new ContainerConfigError(`fieldRef ${path} is not supported by the local node agent`);
  }
}
