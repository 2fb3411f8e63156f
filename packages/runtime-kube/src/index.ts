export { KubeClient, type KubeClientOptions, type ClientStats } from './kube/kube-client.js';
export { KubeApiError, isAlreadyExists, isNotFound, retryDelay } from './kube/kube-error.js';
export { Informer, type InformerEvent, type InformerOptions } from './kube/informer.js';
export { TokenBucket } from './kube/rate-limiter.js';
export type { KubeObject, ObjectMeta, OwnerReference } from './kube/objects.js';
export { KubePodRuntime, type KubePodRuntimeOptions } from './pods/kube-pod-runtime.js';
export { buildPod, buildWorkspaceClaim, literalEnvValue, secretRef, DEFAULT_SCRIPT_INJECTOR_IMAGE } from './pods/pod-spec.js';
export { viewPod, type PodView } from './pods/pod-view.js';
export { ANNOTATIONS, LABELS, LOG_FINALIZER, keyOfPod, podName, workspaceClaimName, dnsPart, labelValue } from './pods/naming.js';
