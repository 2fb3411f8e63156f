import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Container, type V1Pod, type V1Volume } from '@kubernetes/client-node';
import { ContainerConfigError } from './container-env.js';
import { httpStatusOf, kubeErrorMessage } from './kube-errors.js';

/** A host directory (or file) bind-mounted at `containerPath`. */
export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface VolumeDirs {
  /** Per-pod directory; emptyDir volumes live under it and go with the pod. */
  podDir: string;
  /** Root of per-claim directories (`<claims>/<namespace>/<claim>`), kept across pods. */
  claimsDir: string;
}

/**
 * Maps each pod volume to a host directory, creating it: emptyDir → per pod; PVC → per claim
 * (the claim must exist; a Pending claim is marked Bound, as a provisioner would); hostPath →
 * itself; configMap / secret → files written into a per-pod directory; projected
 * serviceAccountToken → a token from the TokenRequest API bound to the pod, as the kubelet writes
 * it (once: the agent does not refresh it; test pods are short-lived). Throws
 * ContainerConfigError for a missing source or an unsupported volume type (the pod waits).
 */
export async function prepareVolumes(core: CoreV1Api, pod: V1Pod, dirs: VolumeDirs): Promise<Map<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const out = new Map<string, string>();
  for (const v of pod.spec?.volumes ?? []) out.set(v.name, v.projected ? await prepareProjected(core, pod, v, dirs) : await prepareVolume(core, ns, v, dirs));
  return out;
}

async function prepareVolume(core: CoreV1Api, ns: string, v: V1Volume, dirs: VolumeDirs): Promise<string> {
  const perPod = join(dirs.podDir, 'volumes', v.name);
  if (v.emptyDir) {
    await mkdir(perPod, { recursive: true, mode: 0o777 });
    return perPod;
  }
  if (v.persistentVolumeClaim) {
    const claim = v.persistentVolumeClaim.claimName;
    await bindClaim(core, ns, claim);
    const dir = join(dirs.claimsDir, ns, claim);
    await mkdir(dir, { recursive: true, mode: 0o777 });
    return dir;
  }
  if (v.hostPath) {
    if (v.hostPath.type === 'DirectoryOrCreate') await mkdir(v.hostPath.path, { recursive: true });
    return v.hostPath.path;
  }
  if (v.configMap || v.secret) {
    const files = v.configMap
      ? await configMapFiles(core, ns, v.configMap.name ?? '', v.configMap.optional ?? false)
      : await secretFiles(core, ns, v.secret?.secretName ?? '', v.secret?.optional ?? false);
    const items = v.configMap?.items ?? v.secret?.items;
    await mkdir(perPod, { recursive: true });
    const chosen = items ? items.map((i) => [i.path, i.key] as const) : Object.keys(files).map((k) => [k, k] as const);
    for (const [path, key] of chosen) {
      const data = files[key];
      if (data === undefined) throw new ContainerConfigError(`volume ${v.name}: key ${key} not found`);
      await mkdir(join(perPod, path, '..'), { recursive: true });
      await writeFile(join(perPod, path), data);
    }
    return perPod;
  }
  throw new ContainerConfigError(`volume ${v.name}: only emptyDir, persistentVolumeClaim, hostPath, configMap, secret and projected service account token volumes are supported by the local node agent`);
}

async function prepareProjected(core: CoreV1Api, pod: V1Pod, v: V1Volume, dirs: VolumeDirs): Promise<string> {
  const ns = pod.metadata?.namespace ?? 'default';
  const dir = join(dirs.podDir, 'volumes', v.name);
  await mkdir(dir, { recursive: true });
  for (const src of v.projected?.sources ?? []) {
    const t = src.serviceAccountToken;
    if (!t) throw new ContainerConfigError(`volume ${v.name}: only serviceAccountToken sources of projected volumes are supported by the local node agent`);
    const sa = pod.spec?.serviceAccountName || 'default';
    let token: string | undefined;
    try {
      const tr = await core.createNamespacedServiceAccountToken({
        name: sa,
        namespace: ns,
        body: {
          spec: {
            audiences: t.audience ? [t.audience] : [],
            expirationSeconds: t.expirationSeconds ?? 3600,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
          },
        },
      });
      token = tr.status?.token;
    } catch (err) {
      throw new ContainerConfigError(`volume ${v.name}: token of service account "${sa}": ${kubeErrorMessage(err)}`, { cause: err });
    }
    if (!token) throw new ContainerConfigError(`volume ${v.name}: the TokenRequest for service account "${sa}" returned no token`);
    await mkdir(join(dir, t.path, '..'), { recursive: true });
    await writeFile(join(dir, t.path), token, { mode: 0o644 });
  }
  return dir;
}

async function bindClaim(core: CoreV1Api, namespace: string, name: string): Promise<void> {
  let pvc;
  try {
    pvc = await core.readNamespacedPersistentVolumeClaim({ name, namespace });
  } catch (err) {
    if (httpStatusOf(err) === 404) throw new ContainerConfigError(`persistentvolumeclaim "${name}" not found`, { cause: err });
    throw new ContainerConfigError(`read persistentvolumeclaim ${namespace}/${name}: ${kubeErrorMessage(err)}`, { cause: err });
  }
  if (pvc.status?.phase === 'Bound') return;
  const storage = pvc.spec?.resources?.requests?.storage;
  await core.patchNamespacedPersistentVolumeClaimStatus(
    {
      name,
      namespace,
      body: { status: { phase: 'Bound', accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'], ...(storage ? { capacity: { storage } } : {}) } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

async function configMapFiles(core: CoreV1Api, namespace: string, name: string, optional: boolean): Promise<Record<string, Buffer>> {
  try {
    const cm = await core.readNamespacedConfigMap({ name, namespace });
    const files: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(cm.data ?? {})) files[k] = Buffer.from(v);
    for (const [k, v] of Object.entries(cm.binaryData ?? {})) files[k] = Buffer.from(v, 'base64');
    return files;
  } catch (err) {
    if (httpStatusOf(err) === 404 && optional) return {};
    throw new ContainerConfigError(`configmap "${name}": ${kubeErrorMessage(err)}`, { cause: err });
  }
}

async function secretFiles(core: CoreV1Api, namespace: string, name: string, optional: boolean): Promise<Record<string, Buffer>> {
  try {
    const s = await core.readNamespacedSecret({ name, namespace });
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  } catch (err) {
    if (httpStatusOf(err) === 404 && optional) return {};
    throw new ContainerConfigError(`secret "${name}": ${kubeErrorMessage(err)}`, { cause: err });
  }
}

/** The container's volumeMounts as host bind mounts, parents before children. */
export function containerMounts(c: V1Container, volumes: Map<string, string>): Mount[] {
  const mounts = (c.volumeMounts ?? []).map((m) => {
    const base = volumes.get(m.name);
    if (base === undefined) throw new ContainerConfigError(`volumeMount ${m.mountPath}: no volume named ${m.name}`);
    return { hostPath: m.subPath ? join(base, m.subPath) : base, containerPath: m.mountPath, readOnly: m.readOnly ?? false };
  });
  return mounts.sort((a, b) => a.containerPath.split('/').length - b.containerPath.split('/').length);
}
