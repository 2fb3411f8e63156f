// The pod runtime of Kubernetes mode: one pod per attempt (pods/), over a small API client and
// informer (kube/). No store: the Kubernetes front end (CRD adapter, admission, leader election)
// is @kontroler/kube-operator.
export { DEFAULT_KUBE_BURST, DEFAULT_KUBE_QPS, KubeClient, resourceOf, type KubeClientOptions, type ClientStats } from './kube/kube-client.js';
export { KubeApiError, forbiddenHint, isAlreadyExists, isConflict, isNotFound, retryDelay, statusOf, toKontrolerError } from './kube/kube-error.js';
export { Informer, type InformerEvent, type InformerOptions } from './kube/informer.js';
export { TokenBucket } from './kube/rate-limiter.js';
export { objectKey, type KubeList, type KubeObject, type ObjectMeta, type OwnerReference } from './kube/objects.js';
export { DEFAULT_DELETION_TIMEOUT_MS, DEFAULT_KILL_GRACE_SECONDS, DEFAULT_SWEEP_MS, KubePodRuntime, REFOLLOW_AFTER_MS, type KubePodRuntimeOptions } from './pods/kube-pod-runtime.js';
export { buildPod, buildWorkspaceClaim, checkPodOutputs, podActiveDeadlineSeconds, literalEnvValue, secretRef, DEFAULT_SCRIPT_INJECTOR_IMAGE, DEFAULT_KONTROLER_TOKEN, KONTROLER_TOKEN_PATH, type KontrolerTokenOptions } from './pods/pod-spec.js';
export { holdsLog, ownedByDagRun, podDeleteAt, podEndedAt, type PodGCFacts } from './pods/pod-gc.js';
export { DEFAULT_RUN_AS_USER, RESTRICTED_CONTAINER_SECURITY_CONTEXT, addedContainerSecurityContext, mainContainerSecurityContext, podSecurityContext } from './pods/security-context.js';
export { attemptOutcome, deletedUnscheduled, lastExitedView, viewPod, type AttemptOutcome, type EndCircumstances, type ExitedView, type PodView } from './pods/pod-view.js';
export { FOLLOW_END_SLACK_MS, FOLLOW_END_WAIT_MS, streamCoversEnd, unseenPart } from './pods/log-follow.js';
export { SWEEP_MAX_PODS, podEnded, sweepAccounted, type SweepDeps } from './pods/sweep.js';
export { dagRunOwnerReference, readDagRunOwner } from './pods/run-owner.js';
export { ANNOTATIONS, CRD_API_VERSION, CRD_VERSION, GROUP, LABELS, MANAGED_BY, LOG_FINALIZER, keyOfPod, podName, workspaceClaimName, dnsPart, labelValue } from './pods/naming.js';
export { addFinalizer, removeFinalizer, addFinalizerPatch, removeFinalizerPatch, FINALIZER_PATCH_ATTEMPTS } from './kube/finalizers.js';
export { MESSAGE_HEADER, OUTPUTS_ANNOTATION, OUTPUTS_DIR, TERMINATION_MESSAGE_PATH, declaredOutputs, outputsWrapper, parseOutputs, wrapCommand, type OutputsRead } from './pods/outputs.js';
