// Resource shapes of Kontroler `kontroler.greedykomodo/v1alpha1`, accepted unchanged, plus our
// optional additions (marked "ours"). Field names follow the Go project's CRDs exactly.
import type { PodGCSpec } from './pod-gc.js';

export const API_GROUP = 'kontroler.greedykomodo';
export const API_VERSION = `${API_GROUP}/v1alpha1`;
export const DEFAULT_NAMESPACE = 'default';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface DagParameterSpec {
  name: string;
  defaultValue?: string;
  defaultFromSecret?: string;
}

export interface BackoffSpec {
  /** Number of retries after the first attempt (limit N = at most N+1 attempts). */
  limit: number;
}

export interface ConditionalSpec {
  enabled: boolean;
  /** Only these exit codes are retried when enabled. */
  retryCodes: number[];
}

/** Ours: delay between attempts, exponential with a cap. */
export interface RetryDelaySpec {
  /** Delay before the first retry, seconds (default 0). */
  delaySeconds?: number;
  /** Multiplier per further retry (default 2). */
  factor?: number;
  /** Upper bound of one delay, seconds (default 300). */
  maxDelaySeconds?: number;
}

export interface PodTemplateSpec {
  volumes?: Array<{ name: string; emptyDir?: Record<string, unknown>; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } } & Record<string, unknown>>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  imagePullSecrets?: Array<{ name: string }>;
  securityContext?: Record<string, unknown>;
  /**
   * Ours: SecurityContext fields of the task's main container, over the defaults that pass Pod
   * Security `restricted` (allowPrivilegeEscalation: false, capabilities.drop: [ALL]).
   */
  containerSecurityContext?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  tolerations?: Array<Record<string, unknown>>;
  affinity?: Record<string, unknown>;
  serviceAccountName?: string;
  activeDeadlineSeconds?: number;
  automountServiceAccountToken?: boolean;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  /**
   * Ours: when to pull the task's image, as a Kubernetes container's `imagePullPolicy` (the pod's
   * main container gets it; the container runtime follows it). Absent: the runtime's default.
   */
  imagePullPolicy?: ImagePullPolicy;
}

export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export const IMAGE_PULL_POLICIES: readonly ImagePullPolicy[] = ['Always', 'IfNotPresent', 'Never'];

/** Ours: when a task may start, given its upstream tasks' outcomes. */
export type TriggerRule = 'AllSucceeded' | 'AllDone' | 'AnySucceeded' | 'AnyFailed';
export const TRIGGER_RULES: readonly TriggerRule[] = ['AllSucceeded', 'AllDone', 'AnySucceeded', 'AnyFailed'];

/** Ours (data flow): any JSON value, e.g. an item of `withItems`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Ours: a value a task hands to later tasks; it writes it to the file `$KONTROLER_OUTPUTS/<name>`. */
export interface OutputSpec {
  name: string;
  description?: string;
}

/** Ours: an environment variable of the task; `value` may use references (`{{params.X}}`, ...). */
export interface EnvVarSpec {
  name: string;
  value: string;
}

/** Ours: a name / value pair whose value may use references (dagRef parameters, DAG outputs). */
export interface NamedValueSpec {
  name: string;
  value: string;
}

/** Ours: the task runs DAG `name` (same namespace) as a child run and ends when it ends. */
export interface DagRefSpec {
  name: string;
  parameters?: NamedValueSpec[];
}

export type ApprovalTimeoutAction = 'Reject' | 'Approve';
export const APPROVAL_TIMEOUT_ACTIONS: readonly ApprovalTimeoutAction[] = ['Reject', 'Approve'];

/** Ours: the task (no command) waits for a person to approve or reject it. */
export interface ApprovalSpec {
  message?: string;
  /** No decision after this many seconds → `onTimeout` (default: wait forever). */
  timeoutSeconds?: number;
  /** Default Reject. */
  onTimeout?: ApprovalTimeoutAction;
  /** Names of values the person gives with the decision; they become the task's outputs. */
  inputs?: string[];
}

/** Fields a task has whether inline in a DAG or as a reusable DagTask. */
export interface TaskBodySpec {
  image?: string;
  command?: string[];
  args?: string[];
  script?: string;
  scriptInjectorImage?: string;
  backoff?: BackoffSpec;
  conditional?: ConditionalSpec;
  parameters?: string[];
  podTemplate?: PodTemplateSpec;
  /** Ours. */
  retry?: RetryDelaySpec;
  /** Ours: per-attempt timeout; `podTemplate.activeDeadlineSeconds` is honoured too (the smaller wins). */
  timeoutSeconds?: number;
  /** Ours: default AllSucceeded. */
  triggerRule?: TriggerRule;
  /**
   * Ours: mount a Kubernetes service account token for the Kontroler API (projected, audience
   * `kontroler`) into the task's pod, so it can call the API as its service account (workload
   * identity). Overrides the DAG's `kontrolerToken`. Kubernetes runtime only.
   */
  kontrolerToken?: boolean;
  /** Ours: values the task writes to `$KONTROLER_OUTPUTS/<name>` for later tasks. */
  outputs?: OutputSpec[];
  /** Ours: extra environment variables; values may use references. */
  env?: EnvVarSpec[];
  /** Ours: run a child run of another DAG instead of a command. */
  dagRef?: DagRefSpec;
  /** Ours: wait for a person's decision instead of running a command. */
  approval?: ApprovalSpec;
}

export interface TaskSpec extends TaskBodySpec {
  name: string;
  runAfter?: string[];
  taskRef?: { name: string; version: number };
  /** Ours: a CEL expression; false → the task is skipped (reason ConditionFalse). */
  when?: string;
  /** Ours: run one instance of the task per item (`{{item}}`). */
  withItems?: JsonValue[];
  /** Ours: like withItems, from a JSON array, e.g. `{{tasks.list.outputs.files}}`. */
  withParam?: string;
  /** Ours: at most this many instances of a mapped task run at once (default: no limit). */
  maxParallel?: number;
}

export interface WebhookSpec {
  url: string;
  verifySSL: boolean;
}

export interface WorkspaceSpec {
  enable: boolean;
  pvc?: {
    accessModes?: string[];
    selector?: Record<string, unknown>;
    resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
    storageClassName?: string;
    volumeMode?: string;
  };
}

export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';
export const CONCURRENCY_POLICIES: readonly ConcurrencyPolicy[] = ['Allow', 'Forbid', 'Replace'];

export interface DagSpec {
  schedule?: string;
  suspended?: boolean;
  parameters?: DagParameterSpec[];
  task?: TaskSpec[];
  webhook?: WebhookSpec;
  workspace?: WorkspaceSpec;
  dsl?: string;
  /** Ours: IANA time zone for `schedule` (default UTC). */
  timezone?: string;
  /** Ours: what a scheduled fire does while a run of the same DAG is active (default Allow). */
  concurrencyPolicy?: ConcurrencyPolicy;
  /** Ours: how many missed fires to run after downtime, latest first (default 1; 0 = none). */
  catchUp?: number;
  /** Ours: `kontrolerToken` for every task that does not set its own (default false). */
  kontrolerToken?: boolean;
  /** Ours: the run's outputs (values use references); a `dagRef` task in a parent run gets them. */
  outputs?: NamedValueSpec[];
  /** Ours: how long finished task pods are kept (Kubernetes runtime; see pod-gc.ts). */
  podGC?: PodGCSpec;
}

export interface DagResource {
  apiVersion: string;
  kind: 'DAG';
  metadata: ObjectMeta;
  spec: DagSpec;
}

export interface DagTaskResource {
  apiVersion: string;
  kind: 'DagTask';
  metadata: ObjectMeta;
  spec: TaskBodySpec & { runAfter?: string[] };
}

export interface DagRunParameterSpec {
  name: string;
  value?: string;
  fromSecret?: string;
}

export interface DagRunResource {
  apiVersion: string;
  kind: 'DagRun';
  metadata: ObjectMeta;
  spec: { dagName: string; parameters?: DagRunParameterSpec[] };
}

export type KontrolerResource = DagResource | DagTaskResource | DagRunResource;

/**
 * A task with every reference resolved: what the engine and runtimes see. `taskRef` tasks are
 * replaced by the referenced DagTask version's body; defaults are filled in.
 */
export interface ResolvedTask {
  name: string;
  runAfter: string[];
  image: string;
  command: string[];
  args: string[];
  script?: string;
  scriptInjectorImage?: string;
  /** Retries after the first attempt. */
  retryLimit: number;
  /** Exit codes that retry; undefined = every failure retries. */
  retryCodes?: number[];
  retryDelay: Required<RetryDelaySpec>;
  /** Per-attempt timeout in seconds, if any. */
  timeoutSeconds?: number;
  triggerRule: TriggerRule;
  parameters: string[];
  podTemplate?: PodTemplateSpec;
  taskRef?: { name: string; version: number };
  /** The pod gets a projected service account token for the Kontroler API (set only when true). */
  kontrolerToken?: true;
  // Data flow (ours; each absent when the task does not use it, so older snapshots stay valid).
  /** Names of the declared outputs. */
  outputs?: string[];
  env?: EnvVarSpec[];
  when?: string;
  withItems?: JsonValue[];
  withParam?: string;
  maxParallel?: number;
  dagRef?: { name: string; parameters: NamedValueSpec[] };
  approval?: { message: string; timeoutSeconds?: number; onTimeout: ApprovalTimeoutAction; inputs: string[] };
}

/** An immutable, validated, resolved DAG version: what a run snapshots. */
export interface DagDefinition {
  namespace: string;
  name: string;
  schedule?: string;
  timezone: string;
  concurrencyPolicy: ConcurrencyPolicy;
  catchUp: number;
  suspended: boolean;
  parameters: DagParameterSpec[];
  tasks: ResolvedTask[];
  webhook?: WebhookSpec;
  workspace?: WorkspaceSpec;
  /** Ours: the run's outputs (absent when none are declared). */
  outputs?: NamedValueSpec[];
}
