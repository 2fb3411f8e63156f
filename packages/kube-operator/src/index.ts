// The Kubernetes front end of Kontroler, a peer of the server: the CRD adapter (DAG / DagTask /
// DagRun objects and the store in step), admission webhooks, leader election and shards. Pods are
// run by @kontroler/runtime-kube.
export { crdManifests, shapeToSchema, API_VERSION as CRD_API_VERSION, CRD_GROUP, CRD_VERSION, DAGRUN_SPEC_IMMUTABLE } from './crd/crd-schema.js';
export { CrdAdapter, DAGRUN_FINALIZE_RECHECK_MS, runPhaseEvents, type CrdAdapterOptions, type CrdAdapterCounters, type AdapterLog } from './crd/crd-adapter.js';
export { BackfillAdapter, backfillObjectStatus, type BackfillAdapterOptions } from './crd/backfill-adapter.js';
export { WorkQueue, retryBackoffMs, QUEUE_RETRY_BASE_MS, QUEUE_RETRY_MAX_MS } from './crd/work-queue.js';
export { dagRunObjectFor, dagRunNameFor, storedStatus, invalidStatus, failedRunStatus, statusDiffers, toResource, runIdOf, runEnded, dagRunSettled, RUN_ID_ANNOTATION, PURGE_ANNOTATION, DAGRUN_FINALIZER, type CustomObject } from './crd/crd-objects.js';
export {
  DAGRUN_STATUS_DETAIL_MAX_TASKS,
  DAGRUN_STATUS_LIST_CAP,
  DAGRUN_STATUS_MAX_BYTES,
  DAGRUN_STATUS_POD_MAX_BYTES,
  DAGRUN_STATUS_REASON_MAX_BYTES,
  DAGRUN_STATUS_URL_MAX_BYTES,
  clipJson,
  dagRunStatus,
  runApiPath,
  summarizeTasks,
  zeroCounts,
  type DagRunStatusOptions,
  type StatusRun,
  type TaskSummary,
} from './crd/dagrun-status.js';
export { LeaderElector, type LeaderElectorOptions } from './leader/leader-elector.js';
export { decideLease, nextLeaseSpec, microTime, type LeaseSpec } from './leader/lease-decision.js';
export { ShardNamespaces } from './leader/shard-namespaces.js';
export { startWebhookServer, webhookConfiguration, type RunningWebhookServer, type WebhookServerOptions } from './webhook/webhook-server.js';
export { validateAdmission, admissionResponse, onlyFinalizersChanged, type AdmissionRequest, type AdmissionReview, type Verdict } from './webhook/admission.js';
export { certFromDir, issueServingCert, newAuthority, selfSignedCert, type CertAuthority, type ServingCert } from './webhook/certs.js';
export { planCert, renewTls, servingOf, splitPem, type CertPlan, type CertWants, type StoredTls } from './webhook/cert-plan.js';
export { CERT_CHECK_MS, WebhookCertKeeper, type CertKeeperOptions, type CertSource } from './webhook/cert-keeper.js';
export { eventFor, recordEvent } from './crd/events.js';
export { CONDITION_MESSAGE_MAX_CHARS, FAILED, READY, RUNNING, SUCCEEDED, condition, withConditionTimes, type Condition, type ConditionStatus, type DesiredCondition } from './crd/conditions.js';
export { runConditions } from './crd/crd-objects.js';
export { goDuration } from './crd/duration.js';
export { TASK_EVENTS_PER_MINUTE, TASK_EVENTS_WINDOW_MS, TaskEventNotifier, rollWindow, suppressedEvent, taskEvent, type TaskEventWindow } from './crd/task-events.js';
export { DEFAULT_WEBHOOK_CONFIG_NAME, registerWebhook, webhookCertNames, webhookNamespaceSelector, webhookUrlProblem } from './webhook/registration.js';
