// How a task's reason reads for people; the reason itself stays visible.

/** How a task's reason reads in the panel: a false `when`, a skip after a skip or failure, a mark say so in words. */
export function reasonText(reason: string): string {
  if (reason === 'ConditionFalse') return 'condition false (its when expression was false)';
  const after = /^Upstream(Skipped|Canceled|Failed): (.+)$/.exec(reason);
  if (after) return `upstream task ${after[2] ?? ''} ${after[1] === 'Skipped' ? 'was skipped' : after[1] === 'Canceled' ? 'was canceled' : 'failed'} (${reason})`;
  const marked = /^Marked(Succeeded|Failed): by (.+)$/.exec(reason);
  if (marked) return `marked ${marked[1] === 'Succeeded' ? 'succeeded' : 'failed'} by ${marked[2] ?? ''} (${reason})`;
  return reason;
}

/** The fields of a task the reason walk reads. */
export interface ReasonTask {
  readonly name: string;
  readonly status: string;
  readonly reason?: string | null;
  readonly runAfter: readonly string[];
}

/** Most upstream steps `explainReason` walks (a bound for a deep chain of skips). */
const MAX_WALK = 10_000;

/**
 * A task's reason naming the upstream task that failed: the engine says `UpstreamFailed` for a task
 * skipped after a failure (also through other skipped tasks); this walks `runAfter` (first in
 * order) to the failed task and gives `UpstreamFailed: NAME`. Other reasons, or a failed task not
 * among `tasks`, come back as they are. Pure; O(tasks walked), each task walked once per `memo`
 * (pass one memo when explaining many tasks of one run).
 */
export function explainReason(task: ReasonTask, tasks: ReadonlyMap<string, ReasonTask>, memo: Map<string, string | null> = new Map()): string | undefined {
  const reason = task.reason ?? undefined;
  if (reason !== 'UpstreamFailed' || task.status !== 'skipped') return reason;
  let steps = 0;
  // The failed task upstream of skipped task `t`, each task's answer kept in `memo` (so explaining
  // every task of a run costs O(tasks + edges) with one memo).
  const walk = (t: ReasonTask): string | null => {
    const known = memo.get(t.name);
    if (known !== undefined) return known;
    memo.set(t.name, null); // in progress: a cycle (not in a DAG) or a repeat finds nothing
    let found: string | null = null;
    for (const n of t.runAfter) {
      if (tasks.get(n)?.status === 'failed') {
        found = n;
        break;
      }
    }
    for (let i = 0; found === null && i < t.runAfter.length && ++steps <= MAX_WALK; i++) {
      const u = tasks.get(t.runAfter[i]!);
      if (u?.status === 'skipped' && u.reason === 'UpstreamFailed') found = walk(u);
    }
    memo.set(t.name, found);
    return found;
  };
  const failed = walk(task);
  return failed !== null ? `UpstreamFailed: ${failed}` : reason;
}
