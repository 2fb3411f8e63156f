// The pod of one attempt, built from the attempt spec. Pure.
import { KontrolerError } from '@kontroler/core';
import type { AttemptSpec } from '@kontroler/engine';
import type { V1Container, V1EnvVar, V1PersistentVolumeClaim, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { OwnerReference } from '../kube/objects.js';
import { LABELS, LOG_FINALIZER, attemptAnnotations, attemptLabels, labelValue, podName, workspaceClaimName } from './naming.js';
import { OUTPUTS_ANNOTATION, OUTPUTS_DIR, OUTPUTS_VOLUME, TERMINATION_MESSAGE_PATH, wrapCommand } from './outputs.js';
import { addedContainerSecurityContext, mainContainerSecurityContext, podSecurityContext } from './security-context.js';

/** The Go project's default image for the init container that writes a task's script. */
export const DEFAULT_SCRIPT_INJECTOR_IMAGE = 'registry.access.redhat.com/ubi9/ubi-micro:latest';
export const MAIN_CONTAINER = 'main';
export const SCRIPT_INJECTOR_CONTAINER = 'script-injector';
export const SCRIPT_DIR = '/kontroler/script';
export const SCRIPT_PATH = `${SCRIPT_DIR}/task.sh`;
export const WORKSPACE_PATH = '/workspace';
const SCRIPT_VOLUME = 'kontroler-script';
/** Where a task that asks for `kontrolerToken` finds its token for the Kontroler API. */
export const KONTROLER_TOKEN_DIR = '/var/run/secrets/kontroler';
export const KONTROLER_TOKEN_PATH = `${KONTROLER_TOKEN_DIR}/token`;
const KONTROLER_TOKEN_VOLUME = 'kontroler-token';
const WORKSPACE_VOLUME = 'workspace';
/** Key read from a parameter's Secret, as in the Go project; `secret-name/key` picks another key. */
export const DEFAULT_SECRET_KEY = 'secret';

export interface PodOptions {
  /** The DagRun that owns the pod (garbage collection, `kubectl get`), when there is one. */
  readonly owner?: OwnerReference;
  /** Extra labels on every pod (e.g. the shard label). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Extra annotations on every pod (e.g. `sidecar.istio.io/inject: "false"`). */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Hold the pod until its log is archived (default true). */
  readonly logFinalizer?: boolean;
  /** Seconds between SIGTERM and SIGKILL when a pod is stopped (pod terminationGracePeriodSeconds). */
  readonly terminationGraceSeconds?: number;
  /** The token of tasks that ask for `kontrolerToken` (default audience `kontroler`, 3600 s). */
  readonly kontrolerToken?: KontrolerTokenOptions;
  /** When the pod is built (epoch ms): turns the attempt's `deadlineAt` into `activeDeadlineSeconds`. */
  readonly now?: number;
}

/**
 * The pod's `activeDeadlineSeconds`: the smaller of the template's and the whole seconds left
 * until the attempt's `deadlineAt` (rounded up, at least 1: the kubelet counts from the pod's
 * start, never before `now`, so the pod is not stopped before the deadline). Undefined when
 * neither is set or `now` is not known.
 */
export function podActiveDeadlineSeconds(spec: AttemptSpec, now: number | undefined): number | undefined {
  const fromTemplate = spec.podTemplate?.activeDeadlineSeconds;
  const left = spec.deadlineAt !== undefined && now !== undefined ? Math.max(1, Math.ceil((spec.deadlineAt - now) / 1000)) : undefined;
  if (fromTemplate === undefined) return left;
  return left === undefined ? fromTemplate : Math.min(fromTemplate, left);
}

/**
 * A projected service account token for the Kontroler API (workload identity): the kubelet writes
 * it to KONTROLER_TOKEN_PATH and refreshes it before it expires; the server verifies it against
 * the cluster's issuer and maps the pod's service account to roles.
 */
export interface KontrolerTokenOptions {
  /** Must equal the server's KONTROLER_K8S_AUDIENCE (default `kontroler`). */
  readonly audience: string;
  /** Token lifetime requested from the kubelet (≥ 600; default 3600). */
  readonly expirationSeconds: number;
  /** The API's URL as tasks reach it, given to them as KONTROLER_SERVER. */
  readonly serverUrl?: string;
}

export const DEFAULT_KONTROLER_TOKEN: KontrolerTokenOptions = { audience: 'kontroler', expirationSeconds: 3600 };

/**
 * Kubernetes expands `$(VAR)` in env values; parameter values and scripts are data, so every `$`
 * is escaped (`$$` is a literal `$`).
 */
export function literalEnvValue(v: string): string {
  return v.replace(/\$/g, '$$$$');
}

/** `name` or `name/key` → the Secret and key to read. */
export function secretRef(ref: string): { name: string; key: string } {
  const i = ref.indexOf('/');
  return i > 0 ? { name: ref.slice(0, i), key: ref.slice(i + 1) } : { name: ref, key: DEFAULT_SECRET_KEY };
}

function envOf(spec: AttemptSpec, token: KontrolerTokenOptions | undefined): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  for (const [name, value] of Object.entries(spec.env)) env.push({ name, value: literalEnvValue(value) });
  for (const [name, secret] of Object.entries(spec.secretEnv ?? {})) {
    if (Object.hasOwn(spec.env, name)) continue;
    env.push({ name, valueFrom: { secretKeyRef: secretRef(secret) } });
  }
  // Last, so a parameter cannot fake the attempt's identity.
  const own: Record<string, string> = {
    KONTROLER_RUN_ID: spec.runId,
    KONTROLER_TASK: spec.task,
    KONTROLER_ATTEMPT: String(spec.attempt),
    KONTROLER_DAG: spec.dagName,
    KONTROLER_NAMESPACE: spec.namespace,
    ...(spec.workspace ? { KONTROLER_WORKSPACE: WORKSPACE_PATH } : {}),
    KONTROLER_OUTPUTS: OUTPUTS_DIR,
    ...(token ? { KONTROLER_TOKEN_FILE: KONTROLER_TOKEN_PATH, ...(token.serverUrl ? { KONTROLER_SERVER: token.serverUrl } : {}) } : {}),
  };
  const out = env.filter((e) => !Object.hasOwn(own, e.name));
  for (const [name, value] of Object.entries(own)) out.push({ name, value: literalEnvValue(value) });
  return out;
}

/**
 * Throws VALIDATION_FAILED when a pod cannot carry the task's outputs: it declares some but sets
 * neither a command nor a script, and the outputs wrapper needs a command to run.
 */
export function checkPodOutputs(spec: AttemptSpec): void {
  const outputs = spec.outputs ?? [];
  if (outputs.length > 0 && spec.script === undefined && spec.command.length === 0) {
    throw new KontrolerError(
      'VALIDATION_FAILED',
      `task ${spec.task} declares outputs (${outputs.join(', ')}) but sets neither command nor script: on Kubernetes the outputs are collected by a /bin/sh wrapper around the task's command, and the image's entrypoint cannot be wrapped; give the task a command`,
    );
  }
}

/**
 * The pod that runs attempt `spec`: see README "Kubernetes mode" for its shape. A task with
 * outputs gets its command under the outputs wrapper (outputs.ts). Throws VALIDATION_FAILED as
 * checkPodOutputs does.
 */
export function buildPod(spec: AttemptSpec, opts: PodOptions = {}): V1Pod {
  checkPodOutputs(spec);
  const outputs = spec.outputs ?? [];
  // The task's podTemplate (core's PodTemplateSpec, checked by core's validation): its volumes
  // are Kubernetes volume sources, passed on as they are.
  const t = spec.podTemplate ?? {};
  const mounts: V1VolumeMount[] = [...(t.volumeMounts ?? [])];
  const volumes: V1Volume[] = [...((t.volumes ?? []) as readonly V1Volume[])];
  const token = spec.kontrolerToken ? (opts.kontrolerToken ?? DEFAULT_KONTROLER_TOKEN) : undefined;
  const deadline = podActiveDeadlineSeconds(spec, opts.now);
  const main: V1Container = {
    name: MAIN_CONTAINER,
    image: spec.image,
    env: envOf(spec, token),
    ...(t.resources ? { resources: t.resources } : {}),
    ...(t.imagePullPolicy ? { imagePullPolicy: t.imagePullPolicy } : {}),
    securityContext: mainContainerSecurityContext(t),
  };
  let initContainers: V1Container[] | undefined;
  if (spec.script !== undefined) {
    main.command = ['/bin/sh', SCRIPT_PATH];
    volumes.push({ name: SCRIPT_VOLUME, emptyDir: {} });
    mounts.push({ name: SCRIPT_VOLUME, mountPath: SCRIPT_DIR, readOnly: true });
    initContainers = [
      {
        name: SCRIPT_INJECTOR_CONTAINER,
        image: spec.scriptInjectorImage || DEFAULT_SCRIPT_INJECTOR_IMAGE,
        command: ['/bin/sh', '-c', `printf '%s\\n' "$KONTROLER_SCRIPT" > ${SCRIPT_PATH} && chmod 0555 ${SCRIPT_PATH}`],
        env: [{ name: 'KONTROLER_SCRIPT', value: literalEnvValue(spec.script) }],
        volumeMounts: [{ name: SCRIPT_VOLUME, mountPath: SCRIPT_DIR }],
        securityContext: addedContainerSecurityContext(),
      },
    ];
  } else {
    if (spec.command.length > 0) main.command = [...spec.command];
    if (spec.args.length > 0) main.args = [...spec.args];
  }
  // KONTROLER_OUTPUTS is a folder in every pod (as on every runtime), read only for declared outputs.
  volumes.push({ name: OUTPUTS_VOLUME, emptyDir: {} });
  mounts.push({ name: OUTPUTS_VOLUME, mountPath: OUTPUTS_DIR });
  if (outputs.length > 0) {
    main.command = wrapCommand(outputs, [...(main.command ?? []), ...(main.args ?? [])]);
    delete main.args;
    main.terminationMessagePath = TERMINATION_MESSAGE_PATH;
    main.terminationMessagePolicy = 'File';
  }
  if (spec.workspace) {
    volumes.push({ name: WORKSPACE_VOLUME, persistentVolumeClaim: { claimName: workspaceClaimName(spec.runId) } });
    mounts.push({ name: WORKSPACE_VOLUME, mountPath: WORKSPACE_PATH });
  }
  if (token) {
    volumes.push({
      name: KONTROLER_TOKEN_VOLUME,
      projected: { sources: [{ serviceAccountToken: { audience: token.audience, expirationSeconds: token.expirationSeconds, path: 'token' } }] },
    });
    mounts.push({ name: KONTROLER_TOKEN_VOLUME, mountPath: KONTROLER_TOKEN_DIR, readOnly: true });
  }
  if (mounts.length > 0) main.volumeMounts = mounts;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(spec),
      namespace: spec.namespace,
      labels: { ...(opts.labels ?? {}), ...attemptLabels(spec, spec.dagName) },
      annotations: {
        ...(opts.annotations ?? {}),
        ...attemptAnnotations(spec, spec.dagName),
        ...(outputs.length > 0 ? { [OUTPUTS_ANNOTATION]: JSON.stringify(outputs) } : {}),
      },
      ...(opts.logFinalizer === false ? {} : { finalizers: [LOG_FINALIZER] }),
      ...(opts.owner ? { ownerReferences: [{ ...opts.owner, controller: true, blockOwnerDeletion: false }] } : {}),
    },
    spec: {
      restartPolicy: 'Never',
      containers: [main],
      ...(initContainers ? { initContainers } : {}),
      ...(volumes.length > 0 ? { volumes } : {}),
      ...(t.imagePullSecrets ? { imagePullSecrets: t.imagePullSecrets } : {}),
      securityContext: podSecurityContext(t),
      ...(t.nodeSelector ? { nodeSelector: t.nodeSelector } : {}),
      ...(t.tolerations ? { tolerations: t.tolerations } : {}),
      ...(t.affinity ? { affinity: t.affinity } : {}),
      ...(t.serviceAccountName ? { serviceAccountName: t.serviceAccountName } : {}),
      ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}),
      ...(t.automountServiceAccountToken !== undefined ? { automountServiceAccountToken: t.automountServiceAccountToken } : {}),
      ...(opts.terminationGraceSeconds !== undefined ? { terminationGracePeriodSeconds: opts.terminationGraceSeconds } : {}),
    },
  } as V1Pod;
}

/** The run's workspace claim (the DAG's `workspace.pvc`, 1Gi ReadWriteOnce by default). */
export function buildWorkspaceClaim(spec: AttemptSpec, opts: PodOptions = {}): V1PersistentVolumeClaim {
  const pvc = (spec.workspaceClaim ?? {}) as {
    accessModes?: string[];
    selector?: Record<string, unknown>;
    resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
    storageClassName?: string;
    volumeMode?: string;
  };
  const requests = { storage: '1Gi', ...(pvc.resources?.requests ?? {}) };
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: workspaceClaimName(spec.runId),
      namespace: spec.namespace,
      labels: { ...(opts.labels ?? {}), [LABELS.managedBy]: 'kontroler', [LABELS.runId]: labelValue(spec.runId), [LABELS.dag]: labelValue(spec.dagName) },
      ...(opts.owner ? { ownerReferences: [{ ...opts.owner, controller: true, blockOwnerDeletion: false }] } : {}),
    },
    spec: {
      accessModes: pvc.accessModes && pvc.accessModes.length > 0 ? pvc.accessModes : ['ReadWriteOnce'],
      resources: { requests, ...(pvc.resources?.limits ? { limits: pvc.resources.limits } : {}) },
      ...(pvc.selector ? { selector: pvc.selector } : {}),
      ...(pvc.storageClassName ? { storageClassName: pvc.storageClassName } : {}),
      ...(pvc.volumeMode ? { volumeMode: pvc.volumeMode } : {}),
    },
  } as V1PersistentVolumeClaim;
}
