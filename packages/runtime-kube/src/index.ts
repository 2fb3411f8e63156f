// The pod runtime of Kubernetes mode: one pod per attempt (pods/), over a small API client and
// informer (kube/). No store: the Kubernetes front end (CRD adapter, admission, leader election)
// is @kontroler/kube-operator.
export { KubeClient, resourceOf, type KubeClientOptions, type ClientStats } from './kube/kube-client.js';
export { KubeApiError, isAlreadyExists, isConflict, isNotFound, retryDelay, statusOf, toKontrolerError } from './kube/kube-error.js';
export { Informer, type InformerEvent, type InformerOptions } from './kube/informer.js';
export { TokenBucket } from './kube/rate-limiter.js';
export { objectKey, type KubeList, type KubeObject, type ObjectMeta, type OwnerReference } from './kube/objects.js';
export { KubePodRuntime, type KubePodRuntimeOptions } from './pods/kube-pod-runtime.js';
export { buildPod, buildWorkspaceClaim, literalEnvValue, secretRef, DEFAULT_SCRIPT_INJECTOR_IMAGE, DEFAULT_KONTROLER_TOKEN, KONTROLER_TOKEN_PATH, type KontrolerTokenOptions } from './pods/pod-spec.js';
export { viewPod, type PodView } from './pods/pod-view.js';
export { ANNOTATIONS, GROUP, LABELS, MANAGED_BY, LOG_FINALIZER, keyOfPod, podName, workspaceClaimName, dnsPart, labelValue } from './pods/naming.js';
export { addFinalizer, removeFinalizer, addFinalizerPatch, removeFinalizerPatch, FINALIZER_PATCH_ATTEMPTS } from './kube/finalizers.js';
