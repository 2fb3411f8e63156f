// How a task's reason reads for people; the reason itself stays visible.

/** How a task's reason reads in the panel: a false `when` and a skip after a skip say so in words. */
export function reasonText(reason: string): string {
  if (reason === 'ConditionFalse') return 'condition false (its when expression was false)';
  const after = /^Upstream(Skipped|Canceled): (.+)$/.exec(reason);
  if (after) return `upstream task ${after[2] ?? ''} was ${after[1] === 'Skipped' ? 'skipped' : 'canceled'} (${reason})`;
  return reason;
}
