// DAG definitions for tests: resolved tasks with the defaults resolution gives, and a definition
// around them; override what the test is about.
import { DEFAULT_RETRY_DELAY, type DagDefinition, type ResolvedTask } from '@kontroler/core';

/** A resolved task running `true` in alpine after `runAfter`: no retries, AllSucceeded, no parameters. */
export function resolvedTask(name: string, runAfter: readonly string[] = [], extra: Partial<ResolvedTask> = {}): ResolvedTask {
  return {
    name,
    runAfter: [...runAfter],
    image: 'alpine',
    command: ['true'],
    args: [],
    retryLimit: 0,
    retryDelay: { ...DEFAULT_RETRY_DELAY },
    triggerRule: 'AllSucceeded',
    parameters: [],
    ...extra,
  };
}

/** A definition of `tasks` in `namespace`: UTC, concurrency Allow, catch-up 1, not suspended, no parameters. */
export function dagDefinition(namespace: string, name: string, tasks: ResolvedTask[], extra: Partial<DagDefinition> = {}): DagDefinition {
  return { namespace, name, timezone: 'UTC', concurrencyPolicy: 'Allow', catchUp: 1, suspended: false, parameters: [], tasks, ...extra };
}
