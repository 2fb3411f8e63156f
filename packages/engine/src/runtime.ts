// The port every task runtime implements (local processes, Kubernetes pods). The controller is its
// only caller. An attempt is named by (runId, task, attempt): runtimes derive deterministic
// handles from it, so starting the same attempt twice adopts the first one instead.
import type { PodTemplateSpec } from '@kontroler/core';

export interface AttemptKey {
  readonly runId: string;
  readonly task: string;
  readonly attempt: number;
}

/** Everything a runtime needs to run one attempt. */
export interface AttemptSpec extends AttemptKey {
  readonly namespace: string;
  readonly dagName: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly script?: string;
  readonly scriptInjectorImage?: string;
  /** Parameters as environment variables (name → value). Values may be secret: never log them. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Secret-backed parameters (variable name → secret name) whose value is not in `env`: runtimes
   * that can read secrets themselves (a pod's `secretKeyRef`) take them from here, so the value
   * never passes through the controller. Absent for runtimes given every value in `env`.
   */
  readonly secretEnv?: Readonly<Record<string, string>>;
  /** Per-run shared folder when the DAG asks for a workspace. */
  readonly workspace?: boolean;
  /** The DAG's `workspace.pvc` (claim spec fields), for runtimes that create a volume claim. */
  readonly workspaceClaim?: Readonly<Record<string, unknown>>;
  /** Epoch ms after which the runtime must stop the attempt (also enforced by the engine). */
  readonly deadlineAt?: number;
  /** The task's podTemplate, for runtimes that use it. */
  readonly podTemplate?: Readonly<PodTemplateSpec>;
  /**
   * The DAG asks for a projected service account token for the Kontroler API (audience
   * `kontroler`) in the pod: workload identity. Runtimes without Kubernetes ignore it.
   */
  readonly kontrolerToken?: boolean;
  /**
   * The name of the Kubernetes DagRun object (in `namespace`) the run was started from, when it
   * was: runtimes that create Kubernetes objects make it their owner. Absent for runs started
   * otherwise (API, schedule, webhook); their mirror DagRun object, if any, owns no pods.
   */
  readonly runObject?: string;
  /**
   * Names of the task's declared outputs: the runtime gives the attempt a folder in
   * `KONTROLER_OUTPUTS`, and when it exits reads `<folder>/<name>` for each (a missing file is no
   * value) and reports them with `exited`, or `outputError` when one is over its transport's limit
   * (DATA_FLOW_LIMITS). Absent or empty: no outputs (the variable is still set).
   */
  readonly outputs?: readonly string[];
}

export type AttemptObservation =
  /** The runtime knows nothing of it: never created, or gone without a trace. */
  | { readonly state: 'unknown' }
  | { readonly state: 'running'; readonly handle: string; readonly startedAt: number }
  | {
      readonly state: 'exited';
      readonly handle: string;
      readonly startedAt?: number;
      readonly finishedAt: number;
      readonly exitCode?: number;
      readonly reason: string;
      readonly outputs?: Readonly<Record<string, string>>;
      readonly outputError?: string;
    };

export type RuntimeEvent =
  | { readonly type: 'started'; readonly key: AttemptKey; readonly handle: string; readonly at: number }
  | {
      readonly type: 'exited';
      readonly key: AttemptKey;
      readonly at: number;
      /**
       * When the attempt's process started, on the same clock as `at`: given by runtimes whose
       * end time comes from another clock than their `started` event (a pod's container reports
       * both its times in whole seconds), so the attempt's duration is measured on one clock.
       */
      readonly startedAt?: number;
      readonly exitCode?: number;
      readonly reason: string;
      /** The declared outputs the attempt wrote (see AttemptSpec.outputs). */
      readonly outputs?: Readonly<Record<string, string>>;
      readonly outputError?: string;
    }
  /** New output of an attempt; `offset` is the byte offset of `data` within the attempt's log. */
  | { readonly type: 'log'; readonly key: AttemptKey; readonly offset: number; readonly data: Uint8Array };

export interface TaskRuntime {
  /** Short name for logs and status ("local", "kubernetes"). */
  readonly name: string;
  /**
   * The machine whose attempts this runtime can see, for a runtime whose state is per machine (local
   * processes); undefined when attempts are reachable from anywhere (pods). A controller never takes
   * over a run whose attempts are active on another host: there they would look lost and run twice.
   */
  readonly host?: string;
  /**
   * Create the attempt, or adopt it when it already exists (never runs it twice). Resolves once
   * the attempt is created; `started` / `exited` / `log` events follow through `subscribe`.
   * Throws a KontrolerError when it cannot be created (the attempt then fails with that reason).
   */
  start(spec: AttemptSpec): Promise<void>;
  /**
   * Resume watching an attempt recorded as starting or running (after a controller restart or a
   * lease takeover). `logOffset` is how many log bytes the store already holds; output after it
   * is delivered as `log` events. Resolves with what the runtime sees now.
   */
  adopt(key: AttemptKey, logOffset: number): Promise<AttemptObservation>;
  /** Stop the attempt (idempotent; an ended or unknown attempt is a no-op). */
  kill(key: AttemptKey, reason: string): Promise<void>;
  /** Forget an attempt the store has fully recorded (removes files / pods). Idempotent. */
  release(key: AttemptKey): Promise<void>;
  /** Remove per-run resources (workspace) once the run has ended. Idempotent. */
  releaseRun(runId: string): Promise<void>;
  /** Receive events of every attempt this runtime started or adopted. Returns an unsubscribe. */
  subscribe(listener: (ev: RuntimeEvent) => void): () => void;
  /** Stop watching (attempts keep running: a later process adopts them). */
  close(): Promise<void>;
}
