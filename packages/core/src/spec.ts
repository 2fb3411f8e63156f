// Resource shapes of Kontroler `kontroler.greedykomodo/v1alpha1`, accepted unchanged, plus our
// optional additions (marked "ours"). Field names follow the Go project's CRDs exactly.

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
  nodeSelector?: Record<string, string>;
  tolerations?: Array<Record<string, unknown>>;
  affinity?: Record<string, unknown>;
  serviceAccountName?: string;
  activeDeadlineSeconds?: number;
  automountServiceAccountToken?: boolean;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
}

/** Ours: when a task may start, given its upstream tasks' outcomes. */
export type TriggerRule = 'AllSucceeded' | 'AllDone' | 'AnySucceeded' | 'AnyFailed';
export const TRIGGER_RULES: readonly TriggerRule[] = ['AllSucceeded', 'AllDone', 'AnySucceeded', 'AnyFailed'];

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
}

export interface TaskSpec extends TaskBodySpec {
  name: string;
  runAfter?: string[];
  taskRef?: { name: string; version: number };
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
}
