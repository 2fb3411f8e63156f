// podGC: how long a finished task pod is kept (so `kubectl logs` works after the task ended; its
// log is archived in the store either way), as in Argo Workflows. A DAG's `spec.podGC`, else the
// controller's default, else delete each pod as soon as its attempt is recorded. Pure.

/** When a finished pod becomes due for deletion. */
export type PodGCStrategy = 'OnPodCompletion' | 'OnRunCompletion' | 'OnRunSuccess';
export const POD_GC_STRATEGIES: readonly PodGCStrategy[] = ['OnPodCompletion', 'OnRunCompletion', 'OnRunSuccess'];
/** The longest a pod may be kept after its strategy's moment: 7 days. */
export const POD_GC_MAX_DELETE_AFTER_SECONDS = 7 * 24 * 3600;

export interface PodGCSpec {
  /**
   * OnPodCompletion (default): deleteAfterSeconds after its attempt is recorded; OnRunCompletion:
   * deleteAfterSeconds after its run ended; OnRunSuccess: deleteAfterSeconds after its run
   * succeeded, and the pods of a failed or canceled run are kept while their DagRun exists (they
   * are owned by it).
   */
  strategy?: PodGCStrategy;
  /** Seconds to wait after that moment (default 0; at most POD_GC_MAX_DELETE_AFTER_SECONDS). */
  deleteAfterSeconds?: number;
}

export interface PodGCPolicy {
  readonly strategy: PodGCStrategy;
  readonly deleteAfterSeconds: number;
}

/** Today's behaviour, and the default: delete a pod once its attempt is recorded. */
export const DEFAULT_POD_GC: PodGCPolicy = { strategy: 'OnPodCompletion', deleteAfterSeconds: 0 };

/** The problems of a podGC value, by field path under `path` (empty when valid). */
export function podGCProblems(v: unknown, path: string): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v)) return [{ path, message: 'must be an object: {strategy, deleteAfterSeconds}' }];
  const o = v as Record<string, unknown>;
  const s = o['strategy'];
  if (s !== undefined && !(typeof s === 'string' && (POD_GC_STRATEGIES as readonly string[]).includes(s))) {
    out.push({ path: `${path}.strategy`, message: `must be one of ${POD_GC_STRATEGIES.join(', ')} (got ${JSON.stringify(s)})` });
  }
  const n = o['deleteAfterSeconds'];
  if (n !== undefined && !(typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= POD_GC_MAX_DELETE_AFTER_SECONDS)) {
    out.push({ path: `${path}.deleteAfterSeconds`, message: `must be a whole number of seconds from 0 to ${POD_GC_MAX_DELETE_AFTER_SECONDS} (7 days) (got ${JSON.stringify(n)})` });
  }
  return out;
}

/** The policy of a (valid) podGC value over a default: each field given wins. */
export function podGCPolicy(v: PodGCSpec | undefined | null, dflt: PodGCPolicy = DEFAULT_POD_GC): PodGCPolicy {
  return { strategy: v?.strategy ?? dflt.strategy, deleteAfterSeconds: v?.deleteAfterSeconds ?? dflt.deleteAfterSeconds };
}

/**
 * A policy written as `STRATEGY[:SECONDS]` (a controller's default, e.g. `OnRunCompletion:300`).
 * Throws an Error naming `what` and the problem.
 */
export function parsePodGC(text: string, what: string): PodGCPolicy {
  const [strategy = '', seconds, extra] = text.trim().split(':');
  const spec = { strategy, ...(seconds !== undefined ? { deleteAfterSeconds: /^\d+$/.test(seconds) ? Number(seconds) : Number.NaN } : {}) };
  const problems = extra !== undefined ? [{ path: what, message: 'too many ":"' }] : podGCProblems(spec, what);
  if (problems.length > 0) throw new Error(`${what} must be STRATEGY[:SECONDS] (${POD_GC_STRATEGIES.join(', ')}; seconds 0 to ${POD_GC_MAX_DELETE_AFTER_SECONDS}), got "${text}": ${problems.map((p) => p.message).join('; ')}`);
  return podGCPolicy(spec as PodGCSpec);
}
